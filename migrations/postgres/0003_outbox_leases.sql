-- Finding rows whose lease ran out (a crashed courier) without scanning the outbox.
CREATE INDEX outbox_leases ON outbox (status, claimed_until);
