-- Whether a member was away from home when they checked in, recorded with each check-in,
-- and the check-ins made away from home per member and period: /stats counts a member as
-- taking part away from home in a period when any of their check-ins of the period was
-- made away (before, the rollup kept the status of their first activity of the period).

-- Check-ins made before this migration: away when the member is away now and was already
-- away then (the best the stored data tells; a member who has come back since counts as
-- home).
ALTER TABLE checkins ADD COLUMN away INTEGER NOT NULL DEFAULT 0;
UPDATE checkins SET away = 1
WHERE EXISTS (SELECT 1 FROM members m
              WHERE m.id = checkins.member_id AND m.away_since IS NOT NULL AND checkins.at >= m.away_since);

-- The rollup keeps what it showed: a row marked migrant had all its check-ins away.
-- `migrant` stays as it was (the status at the first activity) and is no longer read.
ALTER TABLE activity_rollup ADD COLUMN away_checkins INTEGER NOT NULL DEFAULT 0;
UPDATE activity_rollup SET away_checkins = checkins WHERE migrant <> 0 AND checkins > 0;

-- The statistics read this index alone, as they read activity_rollup_branch before.
DROP INDEX activity_rollup_branch;
CREATE INDEX activity_rollup_figures ON activity_rollup (period, branch_id, checkins, away_checkins, answered, correct, points);
