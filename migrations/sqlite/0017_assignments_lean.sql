-- Planning writes an assignment per lesson: a million members, a million rows a day. Their
-- foreign key to members cost a look-up of the member per row. Assignments are only ever
-- written for members just read from the members table, and members are never deleted
-- (they are marked left or blocked), as for the outbox (0011). SQLite cannot drop a
-- constraint, so the table is rebuilt with the same rows, and as a table without rowid: its
-- rows live in the primary key's tree, so that a new assignment is written into one tree
-- instead of the table's and the key's.
CREATE TABLE assignments_lean (
    member_id   INTEGER NOT NULL,
    course      TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    lesson_id   TEXT NOT NULL,
    day         TEXT NOT NULL,
    due_at      TEXT NOT NULL,
    PRIMARY KEY (member_id, course, seq)
) WITHOUT ROWID;
INSERT INTO assignments_lean (member_id, course, seq, lesson_id, day, due_at)
SELECT member_id, course, seq, lesson_id, day, due_at FROM assignments;
DROP TABLE assignments;
ALTER TABLE assignments_lean RENAME TO assignments;
