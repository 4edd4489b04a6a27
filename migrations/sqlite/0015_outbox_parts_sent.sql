-- A delivery is sent as parts (a long text split by the channel, then its audio): each part
-- books its own send slot. When a later part meets a 429 or a temporary failure, the row
-- is given back with the number of parts already sent, and the next attempt resumes from
-- the first part not yet sent instead of sending the earlier ones again.
ALTER TABLE outbox ADD COLUMN parts_sent INTEGER NOT NULL DEFAULT 0;
