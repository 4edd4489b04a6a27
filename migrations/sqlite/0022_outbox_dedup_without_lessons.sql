-- The outbox's unique index of dedup keys no longer holds lessons. A lesson is planned once
-- because its assignment (member, course, position) is: planning inserts the assignment
-- first and writes the delivery only for a new one, in the same transaction, so the dedup
-- key never refused a lesson that the assignment had not refused already. Yet every planned
-- lesson paid for an entry in it (a text key, checked before the insert). Every other kind
-- is kept unique as before; the inserts say `ON CONFLICT (dedup_key) WHERE kind <> 'lesson'`
-- so that the index is their arbiter, and look-ups by dedup key say `kind <> 'lesson'`.
-- SQLite cannot drop a UNIQUE constraint written in the table, so the table is rebuilt
-- with the same columns, ids and AUTOINCREMENT counter, as 0011 did.
CREATE TABLE outbox_rebuilt (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id           INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    ref                 TEXT NOT NULL,
    dedup_key           TEXT NOT NULL,
    due_at              TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT NOT NULL,
    last_error          TEXT,
    claimed_by          TEXT,
    claimed_until       TEXT,
    sent_at             TEXT,
    channel_message_id  TEXT,
    created_at          TEXT NOT NULL,
    parts_sent          INTEGER NOT NULL DEFAULT 0
);
INSERT INTO outbox_rebuilt (id, member_id, kind, ref, dedup_key, due_at, status, attempts,
                            next_attempt_at, last_error, claimed_by, claimed_until, sent_at,
                            channel_message_id, created_at, parts_sent)
SELECT id, member_id, kind, ref, dedup_key, due_at, status, attempts,
       next_attempt_at, last_error, claimed_by, claimed_until, sent_at,
       channel_message_id, created_at, parts_sent
FROM outbox;
-- Ids of deleted rows are never handed out again: carry the counter over.
DELETE FROM sqlite_sequence WHERE name = 'outbox_rebuilt';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_rebuilt', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_rebuilt RENAME TO outbox;
CREATE INDEX outbox_ready ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_leases ON outbox (claimed_until) WHERE status = 'sending';
CREATE INDEX outbox_member ON outbox (member_id);
CREATE INDEX outbox_ref ON outbox (ref, kind) WHERE kind <> 'lesson';
CREATE UNIQUE INDEX outbox_dedup_key ON outbox (dedup_key) WHERE kind <> 'lesson';
