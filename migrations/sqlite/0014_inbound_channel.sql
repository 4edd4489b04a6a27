-- Stored updates carry the channel they came from: the service handles only its own
-- channel's updates (it reads them with that channel's parser and answers through that
-- channel), and update ids are unique within a channel only, so the key is
-- (channel, update_id). Every update stored before came from Telegram. SQLite cannot change
-- a primary key: the table is rebuilt with the same rows.
CREATE TABLE inbound_updates_keyed (
    channel        TEXT NOT NULL DEFAULT 'telegram',
    update_id      INTEGER NOT NULL,
    chat_key       TEXT NOT NULL,
    payload        TEXT NOT NULL,
    received_at    TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'pending',
    claimed_by     TEXT,
    claimed_until  TEXT,
    attempts       INTEGER NOT NULL DEFAULT 0,
    last_error     TEXT,
    replies        TEXT,
    replies_sent   INTEGER NOT NULL DEFAULT 0,
    failed_at      TEXT,
    PRIMARY KEY (channel, update_id)
);
INSERT INTO inbound_updates_keyed (channel, update_id, chat_key, payload, received_at, status,
                                   claimed_by, claimed_until, attempts, last_error, replies,
                                   replies_sent, failed_at)
SELECT 'telegram', update_id, chat_key, payload, received_at, status,
       claimed_by, claimed_until, attempts, last_error, replies,
       replies_sent, failed_at
FROM inbound_updates;
DROP TABLE inbound_updates;
ALTER TABLE inbound_updates_keyed RENAME TO inbound_updates;
CREATE INDEX inbound_updates_open ON inbound_updates (status, update_id);
CREATE INDEX inbound_updates_chat ON inbound_updates (channel, chat_key, update_id);
