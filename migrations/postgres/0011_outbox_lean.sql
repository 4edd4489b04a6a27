-- A leaner outbox for large fan-outs (a new activity told to over a thousand migrants in one
-- transaction): every row written used to pay for six index entries and a foreign-key check
-- (a trigger per row, a third of a large fan-out's time).
-- - No foreign key to members: outbox rows are only ever written for members just read from
--   the members table, and members are never deleted (they are marked left or blocked).
--   The courier joins members on every claim, so a row without its member could not be sent
--   anyway.
-- - The claim index covers only waiting rows and the lease index only rows being sent, so
--   a new row enters one of them, not both, and neither grows with the sent history.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_member_id_fkey;
DROP INDEX outbox_ready;
DROP INDEX outbox_leases;
CREATE INDEX outbox_ready ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_leases ON outbox (claimed_until) WHERE status = 'sending';
