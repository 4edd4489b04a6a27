-- Stored updates carry the channel they came from: the service handles only its own
-- channel's updates (it reads them with that channel's parser and answers through that
-- channel), and update ids are unique within a channel only, so the key is
-- (channel, update_id). Every update stored before came from Telegram.
ALTER TABLE inbound_updates ADD COLUMN channel TEXT NOT NULL DEFAULT 'telegram';
ALTER TABLE inbound_updates DROP CONSTRAINT inbound_updates_pkey;
ALTER TABLE inbound_updates ADD PRIMARY KEY (channel, update_id);
DROP INDEX inbound_updates_chat;
CREATE INDEX inbound_updates_chat ON inbound_updates (channel, chat_key, update_id);
