//! Statistics: the rollup tables kept up to date as members study (see
//! `migrations/*/0008_stats.sql`), the queries that read them, members' progress for
//! exports, and the members to nudge.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use super::{Pool, Result, Store};
use crate::domain::stats::{Figures, LessonFigures};

/// What one event adds to a member's figures of its periods.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ActivityBump {
    pub checkins: i64,
    /// Of `checkins`, those made while the member was away from home.
    pub away_checkins: i64,
    pub answered: i64,
    pub correct: i64,
    pub points: i64,
}

/// Adds to a member's row of one period (created with the member's branch and away status
/// as of now; `migrant` is no longer read: participation away from home is counted from
/// `away_checkins`). Binds: period, member id, checkins, answered, correct, points,
/// away_checkins.
pub(super) const BUMP_ACTIVITY: &str = "INSERT INTO activity_rollup (period, member_id, branch_id, migrant, checkins, answered, correct, points, away_checkins)
     SELECT $1, m.id, COALESCE(m.branch_id, ''), (m.away_since IS NOT NULL), $3, $4, $5, $6, $7 FROM members m WHERE m.id = $2
     ON CONFLICT (period, member_id) DO UPDATE SET
       checkins = activity_rollup.checkins + excluded.checkins,
       away_checkins = activity_rollup.away_checkins + excluded.away_checkins,
       answered = activity_rollup.answered + excluded.answered,
       correct = activity_rollup.correct + excluded.correct,
       points = activity_rollup.points + excluded.points";

/// Adds a check-in to a lesson's row for the member's branch. Binds: member id, course,
/// lesson id.
pub(super) const BUMP_LESSON_CHECKIN: &str = "INSERT INTO lesson_rollup (branch_id, course, lesson_id, assigned, checked_in)
     SELECT COALESCE(m.branch_id, ''), $2, $3, 0, 1 FROM members m WHERE m.id = $1
     ON CONFLICT (branch_id, course, lesson_id) DO UPDATE SET checked_in = lesson_rollup.checked_in + 1";

/// Runs [`BUMP_ACTIVITY`] for every period of `$periods` inside transaction `$tx`.
macro_rules! bump_activity {
    ($tx:ident, $member:expr, $periods:expr, $bump:expr) => {
        for period in $periods {
            sqlx::query($crate::store::stats::BUMP_ACTIVITY)
                .bind(period)
                .bind($member)
                .bind($bump.checkins)
                .bind($bump.answered)
                .bind($bump.correct)
                .bind($bump.points)
                .bind($bump.away_checkins)
                .execute(&mut *$tx)
                .await?;
        }
    };
}
pub(super) use bump_activity;

/// One member's figures for an export.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct MemberProgress {
    pub member_id: i64,
    pub chat_id: String,
    pub display_name: Option<String>,
    pub branch_id: Option<String>,
    pub status: String,
    pub away: bool,
    /// Lessons given to the member in the period.
    pub lessons: i64,
    pub checkins: i64,
    /// The member's latest check-in (of any period), if any.
    pub last_checkin: Option<DateTime<Utc>>,
    pub answered: i64,
    pub correct: i64,
    pub points: i64,
}

impl Store {
    /// Per branch (`""` for members without one): active members now, and the activity of
    /// `period` (a key from [`crate::domain::stats::StatsCalendar`]).
    pub async fn branch_figures(&self, period: &str) -> Result<BTreeMap<String, Figures>> {
        let members: Vec<(String, i64, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT COALESCE(branch_id, ''), COUNT(*),
                        CAST(SUM(CASE WHEN away_since IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT)
                 FROM members WHERE status = 'active' AND onboarded GROUP BY branch_id",
            )
            .fetch_all(p)
            .await?
        });
        let activity: Vec<(String, i64, i64, i64, i64, i64, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT branch_id,
                        CAST(SUM(CASE WHEN checkins > 0 THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(CASE WHEN away_checkins > 0 THEN 1 ELSE 0 END) AS BIGINT),
                        CAST(SUM(checkins) AS BIGINT), CAST(SUM(answered) AS BIGINT),
                        CAST(SUM(correct) AS BIGINT), CAST(SUM(points) AS BIGINT)
                 FROM activity_rollup WHERE period = $1 GROUP BY branch_id",
            )
            .bind(period)
            .fetch_all(p)
            .await?
        });
        let mut out: BTreeMap<String, Figures> = BTreeMap::new();
        for (branch, active, migrant) in members {
            let f = out.entry(branch).or_default();
            f.active += active;
            f.migrant_active += migrant;
        }
        for (branch, participants, migrant, checkins, answered, correct, points) in activity {
            let f = out.entry(branch).or_default();
            f.participants += participants;
            f.migrant_participants += migrant;
            f.checkins += checkins;
            f.answered += answered;
            f.correct += correct;
            f.points += points;
        }
        Ok(out)
    }

    /// Lesson completion: (course, lesson id) -> figures, summed over `branches` (every
    /// branch when None).
    pub async fn lesson_figures(
        &self,
        branches: Option<&[String]>,
    ) -> Result<BTreeMap<(String, String), LessonFigures>> {
        let filter = match (&self.pool, branches) {
            (_, None) => "",
            (Pool::Sqlite(_), Some(_)) => "WHERE branch_id IN (SELECT value FROM json_each($1))",
            (Pool::Postgres(_), Some(_)) => {
                "WHERE branch_id IN (SELECT jsonb_array_elements_text($1::jsonb))"
            }
        };
        let sql = format!(
            "SELECT course, lesson_id, CAST(SUM(assigned) AS BIGINT), CAST(SUM(checked_in) AS BIGINT)
             FROM lesson_rollup {filter} GROUP BY course, lesson_id"
        );
        let list = branches
            .map(|b| serde_json::Value::from(b.to_vec()).to_string())
            .unwrap_or_default();
        let rows: Vec<(String, String, i64, i64)> = on_pool!(self, p => {
            let q = sqlx::query_as(&sql);
            let q = if branches.is_some() { q.bind(&list) } else { q };
            q.fetch_all(p).await?
        });
        Ok(rows
            .into_iter()
            .map(|(course, lesson, assigned, checked_in)| {
                (
                    (course, lesson),
                    LessonFigures {
                        assigned,
                        checked_in,
                    },
                )
            })
            .collect())
    }

    /// Members' figures for `period`, for an export: every onboarded member of `branches`
    /// (all when None), ordered by branch and id, with the lessons given to them in the
    /// period and their latest check-in.
    pub async fn member_progress(
        &self,
        period: &str,
        branches: Option<&[String]>,
    ) -> Result<Vec<MemberProgress>> {
        let filter = match (&self.pool, branches) {
            (_, None) => "",
            (Pool::Sqlite(_), Some(_)) => "AND m.branch_id IN (SELECT value FROM json_each($4))",
            (Pool::Postgres(_), Some(_)) => {
                "AND m.branch_id IN (SELECT jsonb_array_elements_text($4::jsonb))"
            }
        };
        // A key of no known period (a season no longer configured): lessons of all time.
        let (from, to) = self.calendar.range_of(period).unwrap_or((
            DateTime::<Utc>::UNIX_EPOCH,
            DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::days(365 * 1000),
        ));
        let sql = format!(
            "SELECT m.id AS member_id, m.chat_id, m.display_name, m.branch_id, m.status,
                    (m.away_since IS NOT NULL) AS away,
                    (SELECT CAST(COUNT(*) AS BIGINT) FROM assignments a
                     WHERE a.member_id = m.id AND a.due_at >= $2 AND a.due_at < $3) AS lessons,
                    (SELECT MAX(c.at) FROM checkins c WHERE c.member_id = m.id) AS last_checkin,
                    CAST(COALESCE(r.checkins, 0) AS BIGINT) AS checkins,
                    CAST(COALESCE(r.answered, 0) AS BIGINT) AS answered,
                    CAST(COALESCE(r.correct, 0) AS BIGINT) AS correct,
                    CAST(COALESCE(r.points, 0) AS BIGINT) AS points
             FROM members m LEFT JOIN activity_rollup r ON r.member_id = m.id AND r.period = $1
             WHERE m.onboarded {filter}
             ORDER BY m.branch_id, m.id"
        );
        let list = branches
            .map(|b| serde_json::Value::from(b.to_vec()).to_string())
            .unwrap_or_default();
        let rows = on_pool!(self, p => {
            let q = sqlx::query_as::<_, MemberProgress>(&sql)
                .bind(period)
                .bind(from)
                .bind(to);
            let q = if branches.is_some() { q.bind(&list) } else { q };
            q.fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Active members with ids in (`after`, `up_to`] whose `missed` most recent lessons due
    /// before `cutoff` all went without a check-in (no check-in at all since the first of
    /// them).
    pub async fn members_to_nudge(
        &self,
        missed: i64,
        cutoff: DateTime<Utc>,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<i64>> {
        let ids: Vec<i64> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT id FROM (
                   SELECT m.id,
                          (SELECT a.due_at FROM assignments a WHERE a.member_id = m.id AND a.due_at <= $2
                           ORDER BY a.due_at DESC LIMIT 1 OFFSET $1) AS run_start
                   FROM members m
                   WHERE m.status = 'active' AND m.onboarded AND m.id > $3 AND m.id <= $4
                 ) AS c
                 WHERE c.run_start IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM checkins k WHERE k.member_id = c.id AND k.at >= c.run_start)
                 ORDER BY id",
            )
            .bind(missed - 1)
            .bind(cutoff)
            .bind(after)
            .bind(up_to)
            .fetch_all(p)
            .await?
        });
        Ok(ids)
    }

    /// The highest member id (0 without members), for paging through members.
    pub async fn max_member_id(&self) -> Result<i64> {
        let id: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT MAX(id) FROM members").fetch_one(p).await?
        });
        Ok(id.unwrap_or(0))
    }
}
