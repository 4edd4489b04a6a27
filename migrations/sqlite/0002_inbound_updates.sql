-- Updates received through the webhook, stored before Telegram gets its 200 and handled
-- from here in per-chat order (one at a time per chat, oldest first).
CREATE TABLE inbound_updates (
    update_id      INTEGER PRIMARY KEY,
    chat_key       TEXT NOT NULL,
    payload        TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending',
    claimed_by     TEXT,
    claimed_until  TEXT
);
CREATE INDEX inbound_updates_open ON inbound_updates (status, update_id);
CREATE INDEX inbound_updates_chat ON inbound_updates (chat_key, update_id);
