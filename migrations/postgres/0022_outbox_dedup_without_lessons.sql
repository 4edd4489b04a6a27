-- The outbox's unique index of dedup keys no longer holds lessons. A lesson is planned once
-- because its assignment (member, course, position) is: planning inserts the assignment
-- first and writes the delivery only for a new one, in the same transaction, so the dedup
-- key never refused a lesson that the assignment had not refused already. Yet every planned
-- lesson paid for an entry in it (a text key, checked before the insert): nearly a fifth of
-- the server's time planning a day for a million members. Every other kind is kept unique
-- as before; the inserts say `ON CONFLICT (dedup_key) WHERE kind <> 'lesson'` so that the
-- index is their arbiter, and look-ups by dedup key say `kind <> 'lesson'`.
ALTER TABLE outbox DROP CONSTRAINT IF EXISTS outbox_dedup_key_key;
CREATE UNIQUE INDEX outbox_dedup_key ON outbox (dedup_key) WHERE kind <> 'lesson';
