//! Quizzes, topic tests, spaced review, the points ledger, season titles and posters.

use chrono::{DateTime, Utc};

use super::{Pool, Result, Store};

/// One question put (or to be put) to a member.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Ask {
    pub id: i64,
    pub member_id: i64,
    pub question_key: String,
    pub test_id: Option<i64>,
    pub position: i64,
    pub review: bool,
    pub poll_id: Option<String>,
    pub asked_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
    pub answered_at: Option<DateTime<Utc>>,
    pub chosen: Option<i64>,
    pub correct: Option<bool>,
    pub outcome: String,
}

const ASK_COLUMNS: &str = "id, member_id, question_key, test_id, position, review, poll_id, asked_at, \
     closes_at, answered_at, chosen, correct, outcome";

/// A topic test of one member.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct QuizTest {
    pub id: i64,
    pub member_id: i64,
    pub course: String,
    pub topic: String,
    pub round: String,
    pub seconds: i64,
    pub created_at: DateTime<Utc>,
    pub finished_at: Option<DateTime<Utc>>,
    pub asked: i64,
    pub correct: Option<i64>,
    pub points: Option<i64>,
}

const TEST_COLUMNS: &str =
    "id, member_id, course, topic, round, seconds, created_at, finished_at, asked, correct, points";

/// A question to put into a new set of asks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAsk {
    pub question_key: String,
    pub review: bool,
}

/// A member's total in a ranking.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PointsRow {
    pub member_id: i64,
    pub display_name: Option<String>,
    pub branch_id: Option<String>,
    pub total: i64,
}

/// A title a member holds.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct TitleRow {
    pub season_id: String,
    pub scope: String,
    pub rank: i64,
    pub points: i64,
}

/// A stored poster (the figures it shows).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PosterRow {
    pub course: String,
    pub stage: i64,
    pub created_at: DateTime<Utc>,
    pub figures_json: String,
}

/// Answer counts, for `/me` and statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AnswerCounts {
    pub answered: i64,
    pub correct: i64,
}

/// An award for the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Award {
    pub amount: i64,
    pub reason: &'static str,
    pub reference: String,
}

impl Store {
    /// How many of the members a topic test for `course` would go to (active, onboarded,
    /// enrolled, in `branches` or everywhere when None, as `enqueue_for_course` picks them)
    /// have been given at least one of `lessons`: those who get questions from it.
    pub async fn members_given_any(
        &self,
        course: &str,
        branches: Option<&[String]>,
        lessons: &[String],
    ) -> Result<i64> {
        let (branch_filter, lesson_list) = match &self.pool {
            Pool::Sqlite(_) => (
                "AND ($2 = '' OR m.branch_id IN (SELECT value FROM json_each(CASE WHEN $2 = '' THEN '[]' ELSE $2 END)))",
                "SELECT value FROM json_each($3)",
            ),
            Pool::Postgres(_) => (
                "AND ($2 = '' OR m.branch_id IN (SELECT jsonb_array_elements_text(CASE WHEN $2 = '' THEN '[]' ELSE $2 END::jsonb)))",
                "SELECT jsonb_array_elements_text($3::jsonb)",
            ),
        };
        let sql = format!(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM enrollments e JOIN members m ON m.id = e.member_id
             WHERE e.course = $1 AND m.status = 'active' AND m.onboarded {branch_filter}
               AND EXISTS (SELECT 1 FROM assignments a
                           WHERE a.member_id = e.member_id AND a.course = $1 AND a.lesson_id IN ({lesson_list}))"
        );
        let branches = branches
            .map(|b| serde_json::to_string(b).unwrap_or_default())
            .unwrap_or_default();
        let lessons = serde_json::to_string(lessons).unwrap_or_else(|_| "[]".into());
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar(&sql)
                .bind(course)
                .bind(&branches)
                .bind(&lessons)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    // ----- points -----------------------------------------------------------------------

    /// Writes awards to the ledger; an award already given (same member, reason and
    /// reference) is not given again. Zero awards are skipped. Returns the points added.
    pub async fn award(&self, member_id: i64, awards: &[Award], now: DateTime<Utc>) -> Result<i64> {
        let mut added = 0;
        let periods = self.calendar.periods_at(now);
        in_tx!(self, tx => {
            for a in awards.iter().filter(|a| a.amount != 0) {
                let n = sqlx::query(
                    "INSERT INTO points_ledger (member_id, amount, reason, reference, awarded_at)
                     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (member_id, reason, reference) DO NOTHING",
                )
                .bind(member_id)
                .bind(a.amount)
                .bind(a.reason)
                .bind(&a.reference)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if n == 1 {
                    added += a.amount;
                }
            }
            if added != 0 {
                let bump = super::ActivityBump { points: added, ..Default::default() };
                super::stats::bump_activity!(tx, member_id, &periods, bump);
            }
        });
        Ok(added)
    }

    /// A member's points awarded in [from, to) (all time when both are None).
    pub async fn points_of(
        &self,
        member_id: i64,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
    ) -> Result<i64> {
        let (from, to) = bounds(from, to);
        let total: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM points_ledger
                 WHERE member_id = $1 AND awarded_at >= $2 AND awarded_at < $3",
            )
            .bind(member_id)
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?
        });
        Ok(total)
    }

    /// The highest totals in [from, to), of one branch's members or of everyone, highest
    /// first (ties by member id), at most `limit` rows.
    pub async fn leaderboard(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        branch: Option<&str>,
        limit: i64,
    ) -> Result<Vec<PointsRow>> {
        let (from, to) = bounds(from, to);
        let rows: Vec<PointsRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT t.member_id, m.display_name, m.branch_id, t.total FROM (
                     SELECT l.member_id, CAST(SUM(l.amount) AS BIGINT) AS total
                     FROM points_ledger l JOIN members m ON m.id = l.member_id
                     WHERE l.awarded_at >= $1 AND l.awarded_at < $2
                       AND ($3 IS NULL OR m.branch_id = $3)
                     GROUP BY l.member_id
                 ) t JOIN members m ON m.id = t.member_id
                 ORDER BY t.total DESC, t.member_id LIMIT $4",
            )
            .bind(from)
            .bind(to)
            .bind(branch)
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// How many members (of one branch, or everyone) have more than `total` points in
    /// [from, to): a member's rank is this plus one.
    pub async fn members_above(
        &self,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        branch: Option<&str>,
        total: i64,
    ) -> Result<i64> {
        let (from, to) = bounds(from, to);
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM (
                     SELECT l.member_id FROM points_ledger l JOIN members m ON m.id = l.member_id
                     WHERE l.awarded_at >= $1 AND l.awarded_at < $2
                       AND ($3 IS NULL OR m.branch_id = $3)
                     GROUP BY l.member_id HAVING SUM(l.amount) > $4
                 ) t",
            )
            .bind(from)
            .bind(to)
            .bind(branch)
            .bind(total)
            .fetch_one(p)
            .await?
        });
        Ok(n)
    }

    /// The branches that have members with points in [from, to).
    pub async fn branches_with_points(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<String>> {
        let rows: Vec<String> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT DISTINCT m.branch_id FROM points_ledger l JOIN members m ON m.id = l.member_id
                 WHERE l.awarded_at >= $1 AND l.awarded_at < $2 AND m.branch_id IS NOT NULL
                 ORDER BY m.branch_id",
            )
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    // ----- season titles ----------------------------------------------------------------

    /// Records a title; false if the member already holds it for this season and scope.
    pub async fn give_title(
        &self,
        season_id: &str,
        member_id: i64,
        scope: &str,
        rank: i64,
        points: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO season_titles (season_id, member_id, scope, rank, points, awarded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (season_id, member_id, scope) DO NOTHING",
            )
            .bind(season_id)
            .bind(member_id)
            .bind(scope)
            .bind(rank)
            .bind(points)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn titles_of(&self, member_id: i64) -> Result<Vec<TitleRow>> {
        let rows: Vec<TitleRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT season_id, scope, rank, points FROM season_titles WHERE member_id = $1
                 ORDER BY awarded_at, season_id, scope",
            )
            .bind(member_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    // ----- asks -------------------------------------------------------------------------

    /// Queues a lesson's questions for a member (each question once per member, ever).
    /// Returns how many were new.
    pub async fn queue_lesson_asks(&self, member_id: i64, keys: &[String]) -> Result<u64> {
        let mut added = 0;
        in_tx!(self, tx => {
            for (i, key) in keys.iter().enumerate() {
                added += sqlx::query(
                    "INSERT INTO quiz_asks (member_id, question_key, position)
                     VALUES ($1, $2, $3)
                     ON CONFLICT (member_id, question_key) WHERE test_id IS NULL DO NOTHING",
                )
                .bind(member_id)
                .bind(key)
                .bind(i as i64)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            }
        });
        Ok(added)
    }

    /// The next question not yet asked: of a test, or (test None) of the lesson questions
    /// whose key starts with `prefix`.
    pub async fn next_unasked(
        &self,
        member_id: i64,
        test_id: Option<i64>,
        prefix: &str,
    ) -> Result<Option<Ask>> {
        let sql = format!(
            "SELECT {ASK_COLUMNS} FROM quiz_asks
             WHERE member_id = $1 AND asked_at IS NULL AND outcome = 'open'
               AND (($2 IS NULL AND test_id IS NULL AND substr(question_key, 1, length($3)) = $3)
                    OR test_id = $2)
             ORDER BY position, id LIMIT 1"
        );
        let row: Option<Ask> = on_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(member_id)
                .bind(test_id)
                .bind(prefix)
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// Marks a question as put to the member (before it is sent).
    pub async fn mark_asked(
        &self,
        ask_id: i64,
        now: DateTime<Utc>,
        closes_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE quiz_asks SET asked_at = $2, closes_at = $3 WHERE id = $1")
                .bind(ask_id)
                .bind(now)
                .bind(closes_at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Closes a question that can no longer be asked (removed from the lessons).
    pub async fn skip_ask(&self, ask_id: i64, now: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE quiz_asks SET outcome = 'gone', asked_at = COALESCE(asked_at, $2) WHERE id = $1",
            )
            .bind(ask_id)
            .bind(now)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// Remembers the channel's poll id of a sent question.
    pub async fn bind_poll(&self, ask_id: i64, poll_id: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE quiz_asks SET poll_id = $2 WHERE id = $1")
                .bind(ask_id)
                .bind(poll_id)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    pub async fn ask_by_poll(&self, poll_id: &str) -> Result<Option<Ask>> {
        let sql = format!("SELECT {ASK_COLUMNS} FROM quiz_asks WHERE poll_id = $1");
        let row: Option<Ask> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(poll_id).fetch_optional(p).await?
        });
        Ok(row)
    }

    /// The question put to the member most recently that is still open at `now` (asked,
    /// not answered, its time not run out): what a typed number answers.
    pub async fn open_ask(&self, member_id: i64, now: DateTime<Utc>) -> Result<Option<Ask>> {
        let sql = format!(
            "SELECT {ASK_COLUMNS} FROM quiz_asks
             WHERE member_id = $1 AND answered_at IS NULL AND outcome = 'open'
               AND asked_at IS NOT NULL AND (closes_at IS NULL OR closes_at > $2)
             ORDER BY asked_at DESC, id DESC LIMIT 1"
        );
        let row: Option<Ask> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(member_id).bind(now).fetch_optional(p).await?
        });
        Ok(row)
    }

    pub async fn ask(&self, ask_id: i64) -> Result<Option<Ask>> {
        let sql = format!("SELECT {ASK_COLUMNS} FROM quiz_asks WHERE id = $1");
        let row: Option<Ask> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(ask_id).fetch_optional(p).await?
        });
        Ok(row)
    }

    /// Records the answer to an open question; false (and nothing changes) if it was
    /// answered already, or closed at `now`.
    pub async fn record_answer(
        &self,
        ask_id: i64,
        chosen: i64,
        correct: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let periods = self.calendar.periods_at(now);
        let bump = super::ActivityBump {
            answered: 1,
            correct: i64::from(correct),
            ..Default::default()
        };
        let answered = in_tx!(self, tx => {
            let member: Option<i64> = sqlx::query_scalar(
                "UPDATE quiz_asks SET answered_at = $2, chosen = $3, correct = $4, outcome = 'answered'
                 WHERE id = $1 AND outcome = 'open' AND asked_at IS NOT NULL
                   AND (closes_at IS NULL OR closes_at > $2)
                 RETURNING member_id",
            )
            .bind(ask_id)
            .bind(now)
            .bind(chosen)
            .bind(correct)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(member_id) = member {
                super::stats::bump_activity!(tx, member_id, &periods, bump);
            }
            member.is_some()
        });
        Ok(answered)
    }

    /// Closes asked questions whose time ran out, [`BATCH_ROWS`] at a time; returns them.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn expire_asks(&self, now: DateTime<Utc>) -> Result<Vec<Ask>> {
        let sql = format!(
            "UPDATE quiz_asks SET outcome = 'expired', correct = FALSE
             WHERE id IN (
               SELECT id FROM quiz_asks
               WHERE outcome = 'open' AND closes_at IS NOT NULL AND closes_at <= $1
               LIMIT $2)
             RETURNING {ASK_COLUMNS}"
        );
        let mut expired = Vec::new();
        until_done!(self, {
            let rows: Vec<Ask> = on_pool!(self, p => {
                sqlx::query_as(&sql)
                    .bind(now)
                    .bind(super::BATCH_ROWS as i64)
                    .fetch_all(p)
                    .await?
            });
            let n = rows.len() as u64;
            expired.extend(rows);
            n
        });
        Ok(expired)
    }

    /// How many questions a member answered, and how many right (all time).
    pub async fn answer_counts(&self, member_id: i64) -> Result<AnswerCounts> {
        let (answered, correct): (i64, i64) = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN correct THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM quiz_asks WHERE member_id = $1 AND outcome = 'answered'",
            )
            .bind(member_id)
            .fetch_one(p)
            .await?
        });
        Ok(AnswerCounts { answered, correct })
    }

    // ----- review -----------------------------------------------------------------------

    pub async fn review_level(&self, member_id: i64, key: &str) -> Result<Option<i64>> {
        let level: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT level FROM review_items WHERE member_id = $1 AND question_key = $2",
            )
            .bind(member_id)
            .bind(key)
            .fetch_optional(p)
            .await?
        });
        Ok(level)
    }

    pub async fn set_review(
        &self,
        member_id: i64,
        key: &str,
        level: i64,
        due_at: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO review_items (member_id, question_key, level, due_at) VALUES ($1, $2, $3, $4)
                 ON CONFLICT (member_id, question_key) DO UPDATE SET level = $3, due_at = $4",
            )
            .bind(member_id)
            .bind(key)
            .bind(level)
            .bind(due_at)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    pub async fn clear_review(&self, member_id: i64, key: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("DELETE FROM review_items WHERE member_id = $1 AND question_key = $2")
                .bind(member_id)
                .bind(key)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Review questions due at `now` whose key starts with `prefix`, oldest due first.
    pub async fn due_reviews(
        &self,
        member_id: i64,
        prefix: &str,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<String>> {
        let rows: Vec<String> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT question_key FROM review_items
                 WHERE member_id = $1 AND due_at <= $3 AND substr(question_key, 1, length($2)) = $2
                 ORDER BY due_at, question_key LIMIT $4",
            )
            .bind(member_id)
            .bind(prefix)
            .bind(now)
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    // ----- topic tests --------------------------------------------------------------------

    /// Creates a member's test for a round with its questions; None if the member already
    /// has a test for this round.
    #[allow(clippy::too_many_arguments)]
    pub async fn create_test(
        &self,
        member_id: i64,
        course: &str,
        topic: &str,
        round: &str,
        seconds: i64,
        asks: &[NewAsk],
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        let id = in_tx!(self, tx => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO quiz_tests (member_id, course, topic, round, seconds, created_at, asked)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (member_id, round) DO NOTHING RETURNING id",
            )
            .bind(member_id)
            .bind(course)
            .bind(topic)
            .bind(round)
            .bind(seconds)
            .bind(now)
            .bind(asks.len() as i64)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(id) = id {
                for (i, a) in asks.iter().enumerate() {
                    sqlx::query(
                        "INSERT INTO quiz_asks (member_id, question_key, test_id, position, review)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(member_id)
                    .bind(&a.question_key)
                    .bind(id)
                    .bind(i as i64)
                    .bind(a.review)
                    .execute(&mut *tx)
                    .await?;
                }
            }
            id
        });
        Ok(id)
    }

    pub async fn test(&self, test_id: i64) -> Result<Option<QuizTest>> {
        let sql = format!("SELECT {TEST_COLUMNS} FROM quiz_tests WHERE id = $1");
        let row: Option<QuizTest> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(test_id).fetch_optional(p).await?
        });
        Ok(row)
    }

    /// A member's unfinished tests, oldest first.
    pub async fn open_tests(&self, member_id: i64) -> Result<Vec<QuizTest>> {
        let sql = format!(
            "SELECT {TEST_COLUMNS} FROM quiz_tests WHERE member_id = $1 AND finished_at IS NULL ORDER BY id"
        );
        let rows: Vec<QuizTest> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(member_id).fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Counts the right answers of a test and closes it; None if it was closed already.
    pub async fn finish_test(
        &self,
        test_id: i64,
        points: impl Fn(i64, i64) -> i64,
        now: DateTime<Utc>,
    ) -> Result<Option<QuizTest>> {
        let sql = format!("SELECT {TEST_COLUMNS} FROM quiz_tests WHERE id = $1");
        let finished = in_tx!(self, tx => {
            let correct: i64 = sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM quiz_asks WHERE test_id = $1 AND correct",
            )
            .bind(test_id)
            .fetch_one(&mut *tx)
            .await?;
            let asked: i64 = sqlx::query_scalar("SELECT asked FROM quiz_tests WHERE id = $1")
                .bind(test_id)
                .fetch_one(&mut *tx)
                .await?;
            let n = sqlx::query(
                "UPDATE quiz_tests SET finished_at = $2, correct = $3, points = $4
                 WHERE id = $1 AND finished_at IS NULL",
            )
            .bind(test_id)
            .bind(now)
            .bind(correct)
            .bind(points(correct, asked))
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                let t: QuizTest = sqlx::query_as(&sql).bind(test_id).fetch_one(&mut *tx).await?;
                Some(t)
            } else {
                None
            }
        });
        Ok(finished)
    }

    /// The rank of a score among the finished tests of a round taken by members of a
    /// branch: (members with more right answers + 1, finished tests).
    pub async fn test_rank_in_branch(
        &self,
        round: &str,
        branch: Option<&str>,
        correct: i64,
    ) -> Result<(i64, i64)> {
        let (above, total): (i64, i64) = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(CASE WHEN t.correct > $3 THEN 1 ELSE 0 END), 0) AS BIGINT),
                        COUNT(*)
                 FROM quiz_tests t JOIN members m ON m.id = t.member_id
                 WHERE t.round = $1 AND t.finished_at IS NOT NULL
                   AND (($2 IS NULL AND m.branch_id IS NULL) OR m.branch_id = $2)",
            )
            .bind(round)
            .bind(branch)
            .bind(correct)
            .fetch_one(p)
            .await?
        });
        Ok((above + 1, total))
    }

    // ----- posters ------------------------------------------------------------------------

    /// Stores a poster's figures; false if the member has this stage's poster already.
    pub async fn save_poster(
        &self,
        member_id: i64,
        course: &str,
        stage: i64,
        figures_json: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO posters (member_id, course, stage, created_at, figures_json)
                 VALUES ($1, $2, $3, $4, $5) ON CONFLICT (member_id, course, stage) DO NOTHING",
            )
            .bind(member_id)
            .bind(course)
            .bind(stage)
            .bind(now)
            .bind(figures_json)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn poster(
        &self,
        member_id: i64,
        course: &str,
        stage: i64,
    ) -> Result<Option<PosterRow>> {
        let row: Option<PosterRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT course, stage, created_at, figures_json FROM posters
                 WHERE member_id = $1 AND course = $2 AND stage = $3",
            )
            .bind(member_id)
            .bind(course)
            .bind(stage)
            .fetch_optional(p)
            .await?
        });
        Ok(row)
    }

    pub async fn latest_poster(&self, member_id: i64) -> Result<Option<PosterRow>> {
        let row: Option<PosterRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT course, stage, created_at, figures_json FROM posters
                 WHERE member_id = $1 ORDER BY created_at DESC, stage DESC LIMIT 1",
            )
            .bind(member_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row)
    }

    /// Days on which the member checked in (distinct local days are not known here, so
    /// this counts check-ins), for the poster's "days studied".
    pub async fn checkin_count(&self, member_id: i64) -> Result<i64> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE member_id = $1")
                .bind(member_id)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }
}

/// Open bounds become the widest instants both databases store.
fn bounds(
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::TimeZone;
    let min = Utc.with_ymd_and_hms(1970, 1, 1, 0, 0, 0).single();
    let max = Utc.with_ymd_and_hms(9999, 12, 31, 0, 0, 0).single();
    (
        from.or(min).unwrap_or_default(),
        to.or(max).unwrap_or_default(),
    )
}
