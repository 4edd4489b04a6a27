-- Rollups for statistics: kept up to date as members study, so that /stats reads one row
-- per member and period (or per branch and lesson) instead of scanning check-ins.

-- One row per member and period: 'w:YYYY-MM-DD' (the week's Monday, in the organization's
-- time zone) or 's:<season id>'. Branch and migrant status as of the member's first
-- activity in the period.
CREATE TABLE activity_rollup (
    period     TEXT NOT NULL,
    member_id  INTEGER NOT NULL REFERENCES members (id),
    branch_id  TEXT NOT NULL,
    migrant    INTEGER NOT NULL,
    checkins   INTEGER NOT NULL DEFAULT 0,
    answered   INTEGER NOT NULL DEFAULT 0,
    correct    INTEGER NOT NULL DEFAULT 0,
    points     INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (period, member_id)
);
CREATE INDEX activity_rollup_branch ON activity_rollup (period, branch_id, checkins, migrant, answered, correct, points);

-- Per branch and lesson: how many members were given the lesson, how many checked in.
CREATE TABLE lesson_rollup (
    branch_id   TEXT NOT NULL,
    course      TEXT NOT NULL,
    lesson_id   TEXT NOT NULL,
    assigned    INTEGER NOT NULL DEFAULT 0,
    checked_in  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (branch_id, course, lesson_id)
);

-- Active members per branch (and how many are away), from the index alone.
CREATE INDEX members_stats ON members (branch_id, status, onboarded, away_since);
