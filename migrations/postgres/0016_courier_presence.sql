-- Couriers that send through the same channel share its overall rate limit: each live
-- courier notes itself here every few seconds, counts the live couriers of its channel
-- (seen within the last 15 s), and keeps 1/N of the channel's overall limit, so that N
-- processes on one PostgreSQL database together stay under it. Rows of couriers gone for
-- an hour are deleted.
CREATE TABLE courier_presence (
    worker   TEXT PRIMARY KEY,
    channel  TEXT NOT NULL,
    seen_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX courier_presence_channel ON courier_presence (channel, seen_at);
