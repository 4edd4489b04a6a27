-- Updates that keep failing are kept, not dropped: each failed attempt is counted with its
-- error, the update is tried again after a short wait (`claimed_until`), and after the last
-- attempt it is marked 'dead' (the member is told; `weike inbox` lists it, `weike inbox
-- retry` queues it again). An update that cannot be read is dead at once, with the reason.
-- Both long polling and the webhook store every update here before handling it.
ALTER TABLE inbound_updates ADD COLUMN attempts BIGINT NOT NULL DEFAULT 0;
ALTER TABLE inbound_updates ADD COLUMN last_error TEXT;
ALTER TABLE inbound_updates ADD COLUMN failed_at TIMESTAMPTZ;
-- A handled update's content is not needed any more (its effects are stored): it is emptied
-- when it is finished, and the row (kept for recognizing duplicates) is deleted after
-- `handled_update_retention_hours`. Updates handled before this migration are emptied here.
UPDATE inbound_updates SET payload = '' WHERE status = 'done';
