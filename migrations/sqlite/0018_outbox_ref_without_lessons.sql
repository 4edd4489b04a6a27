-- The index of deliveries by reference serves broadcasts (their deliveries and progress
-- message by broadcast id) and activity reminders (cancelled by activity), never lessons:
-- nothing looks a lesson's delivery up by its reference. Yet every planned lesson entered
-- it, all of one day's under one reference ('course:lesson'), a fifth of the time of
-- inserting a batch of lesson deliveries on PostgreSQL. Lessons are left out; the queries
-- by reference say `kind <> 'lesson'`, so that both databases know the index covers them.
DROP INDEX outbox_ref;
CREATE INDEX outbox_ref ON outbox (ref, kind) WHERE kind <> 'lesson';
