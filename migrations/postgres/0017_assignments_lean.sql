-- Planning writes an assignment per lesson: a million members, a million rows a day. Their
-- foreign key to members cost a trigger per row, which looked the member up again and
-- locked its row (a write to the members table for every lesson): a third of the time of
-- inserting a batch. Assignments are only ever written for members just read from the
-- members table, and members are never deleted (they are marked left or blocked), as for
-- the outbox (0011).
ALTER TABLE assignments DROP CONSTRAINT IF EXISTS assignments_member_id_fkey;
