-- Quizzes, topic tests, spaced review, the points ledger, season titles and posters.

-- A topic test taken by one member: one per member and round (a scheduled occurrence or
-- an admin's send).
CREATE TABLE quiz_tests (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id    INTEGER NOT NULL REFERENCES members (id),
    course       TEXT NOT NULL,
    topic        TEXT NOT NULL,
    round        TEXT NOT NULL,
    seconds      INTEGER NOT NULL,
    created_at   TEXT NOT NULL,
    finished_at  TEXT,
    asked        INTEGER NOT NULL,
    correct      INTEGER,
    points       INTEGER,
    UNIQUE (member_id, round)
);
CREATE INDEX quiz_tests_round ON quiz_tests (round, correct);

-- Every question put to a member. A lesson's question is asked once (test_id NULL);
-- a test asks its questions in `position` order, each when the previous one is done.
CREATE TABLE quiz_asks (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id     INTEGER NOT NULL REFERENCES members (id),
    question_key  TEXT NOT NULL,
    test_id       INTEGER REFERENCES quiz_tests (id),
    position      INTEGER NOT NULL DEFAULT 0,
    review        INTEGER NOT NULL DEFAULT 0,
    poll_id       TEXT,
    asked_at      TEXT,
    closes_at     TEXT,
    answered_at   TEXT,
    chosen        INTEGER,
    correct       INTEGER,
    outcome       TEXT NOT NULL DEFAULT 'open'
);
CREATE UNIQUE INDEX quiz_asks_poll ON quiz_asks (poll_id) WHERE poll_id IS NOT NULL;
CREATE UNIQUE INDEX quiz_asks_lesson_once ON quiz_asks (member_id, question_key) WHERE test_id IS NULL;
CREATE INDEX quiz_asks_test ON quiz_asks (test_id, position) WHERE test_id IS NOT NULL;
CREATE INDEX quiz_asks_closing ON quiz_asks (closes_at) WHERE outcome = 'open' AND closes_at IS NOT NULL;
CREATE INDEX quiz_asks_member ON quiz_asks (member_id, answered_at);

-- Questions answered wrong, until answered right.
CREATE TABLE review_items (
    member_id     INTEGER NOT NULL REFERENCES members (id),
    question_key  TEXT NOT NULL,
    level         INTEGER NOT NULL,
    due_at        TEXT NOT NULL,
    PRIMARY KEY (member_id, question_key)
);
CREATE INDEX review_items_due ON review_items (member_id, due_at);

-- The points ledger: append-only; one award per member, reason and reference.
CREATE TABLE points_ledger (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id   INTEGER NOT NULL REFERENCES members (id),
    amount      INTEGER NOT NULL,
    reason      TEXT NOT NULL,
    reference   TEXT NOT NULL,
    awarded_at  TEXT NOT NULL,
    UNIQUE (member_id, reason, reference)
);
CREATE INDEX points_ledger_time ON points_ledger (awarded_at, member_id);

-- Season titles, given once when a season ends. scope: 'all' or a branch id.
CREATE TABLE season_titles (
    season_id   TEXT NOT NULL,
    member_id   INTEGER NOT NULL REFERENCES members (id),
    scope       TEXT NOT NULL,
    rank        INTEGER NOT NULL,
    points      INTEGER NOT NULL,
    awarded_at  TEXT NOT NULL,
    PRIMARY KEY (season_id, member_id, scope)
);
CREATE INDEX season_titles_member ON season_titles (member_id);

-- Learning posters: the figures at the moment a stage was completed (re-rendered on demand).
CREATE TABLE posters (
    member_id     INTEGER NOT NULL REFERENCES members (id),
    course        TEXT NOT NULL,
    stage         INTEGER NOT NULL,
    created_at    TEXT NOT NULL,
    figures_json  TEXT NOT NULL,
    PRIMARY KEY (member_id, course, stage)
);
