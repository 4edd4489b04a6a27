-- A leaner outbox for large fan-outs (a new activity told to over a thousand migrants in one
-- transaction): every row written used to pay for six index entries and a foreign-key check.
-- - No foreign key to members: outbox rows are only ever written for members just read from
--   the members table, and members are never deleted (they are marked left or blocked).
--   The courier joins members on every claim, so a row without its member could not be sent
--   anyway. SQLite cannot drop a constraint, so the table is rebuilt with the same columns,
--   ids and AUTOINCREMENT counter.
-- - The claim index covers only waiting rows and the lease index only rows being sent, so
--   a new row enters one of them, not both, and neither grows with the sent history.
CREATE TABLE outbox_lean (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id           INTEGER NOT NULL,
    kind                TEXT NOT NULL,
    ref                 TEXT NOT NULL,
    dedup_key           TEXT NOT NULL UNIQUE,
    due_at              TEXT NOT NULL,
    status              TEXT NOT NULL DEFAULT 'pending',
    attempts            INTEGER NOT NULL DEFAULT 0,
    next_attempt_at     TEXT NOT NULL,
    last_error          TEXT,
    claimed_by          TEXT,
    claimed_until       TEXT,
    sent_at             TEXT,
    channel_message_id  TEXT,
    created_at          TEXT NOT NULL
);
INSERT INTO outbox_lean (id, member_id, kind, ref, dedup_key, due_at, status, attempts,
                         next_attempt_at, last_error, claimed_by, claimed_until, sent_at,
                         channel_message_id, created_at)
SELECT id, member_id, kind, ref, dedup_key, due_at, status, attempts,
       next_attempt_at, last_error, claimed_by, claimed_until, sent_at,
       channel_message_id, created_at
FROM outbox;
-- Ids of deleted rows are never handed out again: carry the counter over.
DELETE FROM sqlite_sequence WHERE name = 'outbox_lean';
INSERT INTO sqlite_sequence (name, seq) SELECT 'outbox_lean', seq FROM sqlite_sequence WHERE name = 'outbox';
DROP TABLE outbox;
ALTER TABLE outbox_lean RENAME TO outbox;
CREATE INDEX outbox_ready ON outbox (next_attempt_at) WHERE status = 'pending';
CREATE INDEX outbox_leases ON outbox (claimed_until) WHERE status = 'sending';
CREATE INDEX outbox_member ON outbox (member_id);
CREATE INDEX outbox_ref ON outbox (ref, kind);
