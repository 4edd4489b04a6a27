-- Announcements to many members, sent through the outbox (kind 'broadcast', ref = id).
CREATE TABLE broadcasts (
    id                   INTEGER PRIMARY KEY AUTOINCREMENT,
    author_id            INTEGER NOT NULL REFERENCES members (id),
    created_at           TEXT NOT NULL,
    body_html            TEXT NOT NULL,
    media_kind           TEXT,
    media_file_id        TEXT,
    audience             TEXT NOT NULL DEFAULT '',
    status               TEXT NOT NULL DEFAULT 'draft',
    send_at              TEXT,
    recipients           INTEGER NOT NULL DEFAULT 0,
    progress_at          TEXT,
    finished_at          TEXT
);
CREATE INDEX broadcasts_status ON broadcasts (status);

-- The deliveries of one broadcast (progress counts) and, generally, of one reference.
CREATE INDEX outbox_ref ON outbox (ref, kind);

-- Segments for broadcasts: tags given by admins, and members working away from home.
CREATE TABLE member_tags (
    member_id  INTEGER NOT NULL REFERENCES members (id),
    tag        TEXT NOT NULL,
    PRIMARY KEY (member_id, tag)
);
CREATE INDEX member_tags_tag ON member_tags (tag);
ALTER TABLE members ADD COLUMN away_since TEXT;

-- Members' check-ins by time, for "inactive for N days" and statistics.
CREATE INDEX checkins_at ON checkins (at, member_id);
