-- The planner pages through due enrollments by (next_due_at, member_id).
DROP INDEX enrollments_due;
CREATE INDEX enrollments_due ON enrollments (next_due_at, member_id) WHERE completed_at IS NULL;
