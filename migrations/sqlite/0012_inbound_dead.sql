-- Updates that keep failing are kept, not dropped: each failed attempt is counted with its
-- error, the update is tried again after a short wait (`claimed_until`), and after the last
-- attempt it is marked 'dead' (the member is told; `weike inbox` lists it, `weike inbox
-- retry` queues it again). An update that cannot be read is dead at once, with the reason.
-- Both long polling and the webhook store every update here before handling it.
ALTER TABLE inbound_updates ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound_updates ADD COLUMN last_error TEXT;
-- The replies to an update are written down (JSON) before they are sent, and how many were
-- sent is counted as they go: after a crash, another process sends what is left instead
-- of handling the update again (a member would see a second welcome). While a process
-- works on an update it renews a short lease (heartbeat), so that after a crash another
-- process takes over within seconds.
ALTER TABLE inbound_updates ADD COLUMN replies TEXT;
ALTER TABLE inbound_updates ADD COLUMN replies_sent INTEGER NOT NULL DEFAULT 0;
ALTER TABLE inbound_updates ADD COLUMN failed_at TEXT;
-- A handled update's content is not needed any more (its effects are stored): it is emptied
-- when it is finished, and the row (kept for recognizing duplicates) is deleted after
-- `handled_update_retention_hours`. Updates handled before this migration are emptied here.
UPDATE inbound_updates SET payload = '' WHERE status = 'done';
