-- The foundation: members, branches, lessons, enrollments, the outbox, check-ins.
-- Times are UTC (sqlx stores DateTime<Utc> as RFC 3339 text); local days are 'YYYY-MM-DD'.

CREATE TABLE branches (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    names_json  TEXT NOT NULL DEFAULT '{}',
    parent_id   TEXT,
    position    INTEGER NOT NULL
);

CREATE TABLE members (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    channel         TEXT NOT NULL,
    chat_id         TEXT NOT NULL,
    display_name    TEXT,
    branch_id       TEXT,
    home_branch_id  TEXT,
    locale          TEXT NOT NULL,
    timezone        TEXT NOT NULL,
    lesson_time     TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'active',
    is_migrant      BOOLEAN NOT NULL DEFAULT 0,
    segments        TEXT NOT NULL DEFAULT '',
    onboarded       BOOLEAN NOT NULL DEFAULT 0,
    dialog          TEXT NOT NULL DEFAULT 'idle',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    UNIQUE (channel, chat_id)
);
CREATE INDEX members_branch ON members (branch_id);

CREATE TABLE roles (
    member_id   INTEGER NOT NULL REFERENCES members (id),
    role        TEXT NOT NULL,
    branch_id   TEXT,
    UNIQUE (member_id, role, branch_id)
);

CREATE TABLE lessons (
    course        TEXT NOT NULL,
    id            TEXT NOT NULL,
    seq           INTEGER NOT NULL,
    version_hash  TEXT NOT NULL,
    title         TEXT NOT NULL,
    updated_at    TEXT NOT NULL,
    PRIMARY KEY (course, id)
);

CREATE TABLE enrollments (
    member_id     INTEGER NOT NULL REFERENCES members (id),
    course        TEXT NOT NULL,
    next_seq      INTEGER NOT NULL,
    next_due_at   TEXT,
    started_at    TEXT NOT NULL,
    completed_at  TEXT,
    PRIMARY KEY (member_id, course)
);
CREATE INDEX enrollments_due ON enrollments (next_due_at) WHERE completed_at IS NULL;

-- Which lesson a member was given on which of their local days.
CREATE TABLE assignments (
    member_id   INTEGER NOT NULL REFERENCES members (id),
    course      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    lesson_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    PRIMARY KEY (member_id, course, seq)
);

CREATE TABLE outbox (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id           INTEGER NOT NULL REFERENCES members (id),
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
CREATE INDEX outbox_ready ON outbox (status, next_attempt_at);
CREATE INDEX outbox_member ON outbox (member_id);

CREATE TABLE checkins (
    member_id   INTEGER NOT NULL REFERENCES members (id),
    course      TEXT NOT NULL,
    lesson_id   TEXT NOT NULL,
    at          TEXT NOT NULL,
    PRIMARY KEY (member_id, course, lesson_id)
);

CREATE TABLE file_ids (
    sha256    TEXT NOT NULL,
    channel   TEXT NOT NULL,
    file_id   TEXT NOT NULL,
    PRIMARY KEY (sha256, channel)
);

-- Small per-channel state, e.g. the Telegram getUpdates offset.
CREATE TABLE channel_state (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
