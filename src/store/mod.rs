//! Every SQL statement of the service: one repository API over SQLite and PostgreSQL.
//!
//! The same SQL text (with `$1` placeholders) runs on both databases; where they differ
//! (row locking, transaction start) the difference is spelled out next to the statement.
//! Each public method is one unit of work; methods never call each other while holding a
//! transaction.

mod rows;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::Connection;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::domain::outbox::{ClaimOrder, OutboxKind};
use crate::domain::stats::StatsCalendar;
use crate::domain::streak::LessonDay;
use crate::domain::{Branch, BranchTree, Locale, Member, MemberStatus};
use rows::{DueRow, EnrollmentRow, MemberRow, OutboxRow};

pub use rows::{Enrollment, OutboxItem};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database URL {0:?} is not supported: use sqlite://FILE or postgres://...")]
    UnsupportedUrl(String),
    #[error("cannot open the database: {0}")]
    Connect(#[source] sqlx::Error),
    #[error("cannot migrate the database: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("database error: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("cannot write a batch as JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("corrupt row in {table}: {problem}")]
    Corrupt {
        table: &'static str,
        problem: String,
    },
}

pub type Result<T> = std::result::Result<T, StoreError>;

/// The connection pool of one of the two databases.
#[derive(Clone, Debug)]
pub(crate) enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs the same code against whichever pool (or transaction) is in use.
macro_rules! on_pool {
    ($store:expr, $p:ident => $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite($p) => $body,
            $crate::store::Pool::Postgres($p) => $body,
        }
    };
}

/// Updates the outbox row `$id` while `$worker` holds it (claimed, still sending): `$set`
/// is the SET list, its placeholders from `$3` on bound to the values that follow. A row
/// the worker no longer holds (its lease ran out and another took it) is left alone.
macro_rules! update_claimed {
    ($store:expr, $id:expr, $worker:expr, $set:literal $(, $value:expr)* $(,)?) => {
        on_pool!($store, p => {
            sqlx::query(concat!(
                "UPDATE outbox SET ", $set,
                " WHERE id = $1 AND claimed_by = $2 AND status = 'sending'"
            ))
            .bind($id)
            .bind($worker)
            $(.bind($value))*
            .execute(p)
            .await?
            .rows_affected()
        })
    };
}

/// Runs `$body` inside a write transaction `$tx` and commits it. SQLite takes the write
/// lock at once (`BEGIN IMMEDIATE`) so that two writers wait instead of failing.
macro_rules! in_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match $store.pool() {
            $crate::store::Pool::Sqlite(p) => {
                let mut $tx = p.begin_with("BEGIN IMMEDIATE").await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
            $crate::store::Pool::Postgres(p) => {
                let mut $tx = p.begin().await?;
                let out = $body;
                $tx.commit().await?;
                out
            }
        }
    };
}

/// For the benchmarks' bulk loaders (`src/bench`), which write with the store's pool.
#[cfg(feature = "bench")]
pub(crate) use {in_tx, on_pool};

/// Rows a bulk write (imports, planning, fan-outs, broadcasts, retries, purges, the branch
/// tree) touches in one transaction at most. On a loaded two-core machine a batch of 1,000
/// new venues holds SQLite's write lock for 11 ms (median; 23 ms at the 95th percentile) in a
/// release build, 1,000 updated ones 19 ms (35 ms), about the same in a debug build
/// (`WEIKE_LOG=weike::store=debug` logs each batch's time).
pub const BATCH_ROWS: usize = 1_000;

/// What a bulk write waits between two of its transactions, after yielding to the other
/// tasks: writers of other connections and processes wait for SQLite's lock in its busy
/// handler, which looks again after 1, 2, 5, 10, 15, 20, 25 ms, then every 25 to 100 ms, and
/// must find it free. Members writing every 200 ms during an import of 200,000 venues
/// (release build, `tests/bulk_work.rs`) were answered after at most 26-70 ms with 20 ms,
/// 37-212 ms with 10 ms, 61-112 ms with 5 ms and 141-199 ms with none, while the pauses
/// make up half of the import's 7.5 s.
pub const BATCH_PAUSE: Duration = Duration::from_millis(20);

impl Store {
    /// Between two transactions of a bulk write: the lock goes to whoever waits for it.
    pub(crate) async fn between_batches(&self) {
        tokio::task::yield_now().await;
        tokio::time::sleep(BATCH_PAUSE).await;
    }

    /// `items` a batch of [`BATCH_ROWS`] at a time, with `between_batches` before every
    /// batch but the first: the loop of a bulk write that takes its rows from memory.
    pub(crate) fn batches<'a, T>(&'a self, items: &'a [T]) -> Batches<'a, T> {
        Batches {
            store: self,
            rest: items.chunks(BATCH_ROWS),
            start: 0,
        }
    }

    /// The id ending the next window of [`BATCH_ROWS`] members after id `after` (None: fewer
    /// are left), for bulk writes that go through the members a window at a time.
    async fn member_window_end(&self, after: i64) -> Result<Option<i64>> {
        let end = on_pool!(self, p => {
            sqlx::query_scalar("SELECT id FROM members WHERE id > $1 ORDER BY id LIMIT 1 OFFSET $2")
                .bind(after)
                .bind(BATCH_ROWS as i64 - 1)
                .fetch_optional(p)
                .await?
        });
        Ok(end)
    }
}

/// The batches of a bulk write ([`Store::batches`]).
pub(crate) struct Batches<'a, T> {
    store: &'a Store,
    rest: std::slice::Chunks<'a, T>,
    start: usize,
}

impl<'a, T> Batches<'a, T> {
    /// The next batch and the index of its first item, after the pause between batches.
    pub(crate) async fn next(&mut self) -> Option<(usize, &'a [T])> {
        let batch = self.rest.next()?;
        let start = self.start;
        if start > 0 {
            self.store.between_batches().await;
        }
        self.start += batch.len();
        Some((start, batch))
    }
}

/// `items` as one JSON array, a row each made by `row`: the one parameter that carries a
/// batch of rows to a statement (`json_each` on SQLite, `jsonb_array_elements` on
/// PostgreSQL), instead of thousands of bound values.
pub(crate) fn json_rows<I: IntoIterator>(
    items: I,
    row: impl FnMut(I::Item) -> serde_json::Value,
) -> String {
    serde_json::Value::Array(items.into_iter().map(row).collect()).to_string()
}

/// Repeats `$batch` (an expression, usually one statement, giving how many rows it touched,
/// at most [`BATCH_ROWS`]) until it touches fewer, with `between_batches` between; gives
/// the rows touched in all. Each statement must leave the rows it touched outside its own
/// condition, so that the loop ends.
macro_rules! until_done {
    ($store:expr, $batch:expr) => {{
        let mut total: u64 = 0;
        loop {
            let n: u64 = $batch;
            total += n;
            if n < $crate::store::BATCH_ROWS as u64 {
                break total;
            }
            $store.between_batches().await;
        }
    }};
}

/// Runs `$batch` once per window of [`BATCH_ROWS`] member ids, `$lo` excluded and `$hi`
/// included, with `between_batches` between; gives the sum of what the windows gave.
macro_rules! by_member_windows {
    ($store:expr, $lo:ident, $hi:ident => $batch:expr) => {{
        let mut total: u64 = 0;
        let mut $lo: i64 = 0;
        loop {
            let end = $store.member_window_end($lo).await?;
            let $hi: i64 = end.unwrap_or(i64::MAX);
            let n: u64 = $batch;
            total += n;
            match end {
                Some(end) => $lo = end,
                None => break total,
            }
            $store.between_batches().await;
        }
    }};
}

/// Logs (debug) how long one transaction of a bulk write took, begun at `started`.
fn batch_committed(what: &'static str, rows: usize, started: std::time::Instant) {
    tracing::debug!(
        what,
        rows,
        ms = started.elapsed().as_secs_f64() * 1e3,
        "batch committed"
    );
}

mod admin;
mod broadcast;
mod budget;
pub mod checkpoint;
mod inbox;
mod quiz;
mod stats;
mod venues;
pub use admin::{AuditRow, ROLE_ADMIN, ROLE_BRANCH_ADMIN, RoleRow, WHOLE_ORGANIZATION};
pub use broadcast::{AudienceFilter, BroadcastCounts, BroadcastRow};
pub use inbox::{DeadUpdate, InboxSummary, StoredUpdate};
pub use quiz::{AnswerCounts, Ask, Award, NewAsk, PointsRow, PosterRow, QuizTest, TitleRow};
pub use stats::{ActivityBump, MemberProgress};
pub use venues::{
    ACTIVITY_CANCELLED, ACTIVITY_SCHEDULED, Activity, ActivityFigures, MemberNear, NearError,
    Nearby, NewActivity, NewVenue, VENUE_OPEN, VENUE_REMOVED, Venue,
};
/// The nearby search's statements, for the benchmarks' counts and query plans.
#[cfg(feature = "bench")]
pub(crate) use venues::{
    FIRST_PER_CELL, SOONEST_PER_CELL_POSTGRES, sqlite_cell_query, union_of_ranges,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A new row for the outbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDelivery {
    pub member_id: i64,
    pub kind: OutboxKind,
    pub reference: String,
    pub dedup_key: String,
    pub due_at: DateTime<Utc>,
}

/// Where an enrollment moves after planning: (course, next position, next lesson time).
type EnrollmentMove<'a> = (&'a str, i64, Option<DateTime<Utc>>);

/// An enrollment due for its next lesson (of an active, onboarded member), with what
/// planning needs of its member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueEnrollment {
    pub member_id: i64,
    pub course: String,
    /// 1-based position of the lesson due.
    pub next_seq: i64,
    pub next_due_at: DateTime<Utc>,
    /// The member's branch, for the per-branch lesson counts.
    pub branch_id: Option<String>,
    pub timezone: chrono_tz::Tz,
    pub lesson_time: NaiveTime,
}

/// One lesson to plan: the assignment, its delivery, where the enrollment moves next, and
/// the branch whose count of members given the lesson goes up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedLesson {
    pub assignment: Assignment,
    pub delivery: NewDelivery,
    pub next_seq: i64,
    pub next_due_at: Option<DateTime<Utc>>,
    /// The member's branch as read with the due enrollment (None: counted under '').
    pub branch_id: Option<String>,
}

/// A lesson handed to a member on one of their days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub member_id: i64,
    pub course: String,
    pub seq: i64,
    pub lesson_id: String,
    pub day: NaiveDate,
    pub due_at: DateTime<Utc>,
}

/// Counts for `/me`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Progress {
    pub assigned: i64,
    pub checked_in: i64,
}

#[derive(Clone, Debug)]
pub struct Store {
    pool: Pool,
    /// PostgreSQL: a dedicated connection holding the planner's advisory lock while this
    /// process is the one that plans.
    leader: Arc<tokio::sync::Mutex<Option<sqlx::PgConnection>>>,
    /// The periods statistics are kept for (weeks in the organization's zone, seasons).
    calendar: Arc<StatsCalendar>,
    /// SQLite: what the background checkpoints of the log did.
    checkpoints: Arc<checkpoint::CheckpointStats>,
}

/// Queues deliveries given as one JSON parameter `$1` (`[[member, kind, ref, dedup_key,
/// due], ...]`), created at `$2`; idempotent by dedup key, except for lessons (migration
/// 0022): the outbox's unique index of dedup keys leaves them out, as a lesson is planned
/// once by its assignment (see [`Store::plan_lessons`]), and the conflict clause names that
/// index's predicate so that both databases take it as the arbiter.
const OUTBOX_FROM_JSON_SQLITE: &str = concat!(
    "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
     SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 4, $2
     FROM json_each($1) WHERE true
     ON CONFLICT (dedup_key) WHERE ",
    crate::not_lesson!(),
    " DO NOTHING"
);
const OUTBOX_FROM_JSON_POSTGRES: &str =
    concat!("INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
     SELECT (r ->> 0)::bigint, r ->> 1, r ->> 2, r ->> 3, (r ->> 4)::timestamptz, (r ->> 4)::timestamptz, $2
     FROM jsonb_array_elements($1::jsonb) AS r
     ON CONFLICT (dedup_key) WHERE ", crate::not_lesson!(), " DO NOTHING");

/// One delivery as a row of the JSON parameter of [`OUTBOX_FROM_JSON_SQLITE`].
fn delivery_json(d: &NewDelivery) -> serde_json::Value {
    serde_json::json!([
        d.member_id,
        d.kind.as_str(),
        d.reference,
        d.dedup_key,
        db_time(d.due_at)
    ])
}

/// Plans a batch of lessons on PostgreSQL in one statement (so one transaction and one
/// round trip): the rows travel as one array per column, the assignments are inserted, and
/// only the new ones get their delivery (a plain insert: lessons are not in the unique
/// index of dedup keys, 0022) and are counted per branch; every enrollment of the
/// batch moves on unless it is past its lesson already. The counts are the only rows two
/// batches written at once share: they are upserted in key order (so the batches lock them
/// in the same order) and last (PostgreSQL completes the data-modifying CTEs the query does
/// not read in reverse order of the list), so that a batch holds them the shortest.
const PLAN_POSTGRES: &str = "
WITH p AS (
    SELECT * FROM UNNEST($1::bigint[], $2::text[], $3::bigint[], $4::text[], $5::text[],
                         $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[],
                         $11::bigint[], $12::timestamptz[])
        AS p (member_id, course, seq, lesson_id, day, due_at, kind, ref, dedup_key, branch_id,
              next_seq, next_due_at)
),
new AS (
    INSERT INTO assignments (member_id, course, seq, lesson_id, day, due_at)
    SELECT member_id, course, seq, lesson_id, day, due_at FROM p
    ON CONFLICT (member_id, course, seq) DO NOTHING
    RETURNING member_id, course, seq
),
planned AS (
    SELECT p.* FROM p JOIN new USING (member_id, course, seq)
),
given AS (
    INSERT INTO lesson_rollup (branch_id, course, lesson_id, assigned, checked_in)
    SELECT branch_id, course, lesson_id, COUNT(*), 0 FROM planned
    GROUP BY branch_id, course, lesson_id ORDER BY branch_id, course, lesson_id
    ON CONFLICT (branch_id, course, lesson_id)
    DO UPDATE SET assigned = lesson_rollup.assigned + excluded.assigned
),
deliveries AS (
    INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
    SELECT member_id, kind, ref, dedup_key, due_at, due_at, $13 FROM planned
),
moved AS (
    UPDATE enrollments e SET next_seq = p.next_seq, next_due_at = p.next_due_at
    FROM p
    WHERE e.member_id = ANY($1) AND e.member_id = p.member_id AND e.course = p.course
      AND e.next_seq <= p.next_seq
)
SELECT COUNT(*) FROM new";

async fn plan_batch_postgres(
    pool: &PgPool,
    chunk: &[PlannedLesson],
    now: DateTime<Utc>,
) -> Result<u64> {
    let n = chunk.len();
    let mut member = Vec::with_capacity(n);
    let mut course = Vec::with_capacity(n);
    let mut seq = Vec::with_capacity(n);
    let mut lesson = Vec::with_capacity(n);
    let mut day = Vec::with_capacity(n);
    let mut due = Vec::with_capacity(n);
    let mut kind = Vec::with_capacity(n);
    let mut reference = Vec::with_capacity(n);
    let mut dedup_key = Vec::with_capacity(n);
    let mut branch = Vec::with_capacity(n);
    let mut next_seq = Vec::with_capacity(n);
    let mut next_due = Vec::with_capacity(n);
    for p in chunk {
        let a = &p.assignment;
        member.push(a.member_id);
        course.push(a.course.as_str());
        seq.push(a.seq);
        lesson.push(a.lesson_id.as_str());
        day.push(a.day.format("%Y-%m-%d").to_string());
        due.push(a.due_at);
        kind.push(p.delivery.kind.as_str());
        reference.push(p.delivery.reference.as_str());
        dedup_key.push(p.delivery.dedup_key.as_str());
        branch.push(p.branch_id.as_deref().unwrap_or(""));
        next_seq.push(p.next_seq);
        next_due.push(p.next_due_at);
    }
    let new: i64 = sqlx::query_scalar(PLAN_POSTGRES)
        .bind(&member)
        .bind(&course)
        .bind(&seq)
        .bind(&lesson)
        .bind(&day)
        .bind(&due)
        .bind(&kind)
        .bind(&reference)
        .bind(&dedup_key)
        .bind(&branch)
        .bind(&next_seq)
        .bind(&next_due)
        .bind(now)
        .fetch_one(pool)
        .await?;
    Ok(u64::try_from(new).unwrap_or(0))
}

/// Plans a batch of lessons on SQLite in one write transaction: the assignments as one JSON
/// parameter, the deliveries of the new ones as another, their counts per branch summed here
/// (usually one row per batch), and the enrollments moved by one statement per destination
/// (usually one per batch), the members as a JSON list.
///
/// The lessons planned before are asked for first (usually none come back) instead of the
/// inserted assignments coming back by `RETURNING`: sqlx hands every row of a result from
/// SQLite's worker thread to the task through a channel, and a thousand rows per batch were
/// a tenth of planning's CPU time. The write transaction (`BEGIN IMMEDIATE`) keeps the
/// answer true until the insert.
async fn plan_batch_sqlite(
    pool: &SqlitePool,
    chunk: &[PlannedLesson],
    now: DateTime<Utc>,
) -> Result<u64> {
    let assignments = serde_json::to_string(
        &chunk
            .iter()
            .map(|p| {
                let a = &p.assignment;
                (
                    a.member_id,
                    &a.course,
                    a.seq,
                    &a.lesson_id,
                    a.day.format("%Y-%m-%d").to_string(),
                    db_time(a.due_at),
                )
            })
            .collect::<Vec<_>>(),
    )?;
    // Members whose enrollment moves the same way share one statement.
    let mut moves: std::collections::BTreeMap<EnrollmentMove, Vec<i64>> =
        std::collections::BTreeMap::new();
    for p in chunk {
        moves
            .entry((&p.assignment.course, p.next_seq, p.next_due_at))
            .or_default()
            .push(p.assignment.member_id);
    }
    let moves = moves
        .into_iter()
        .map(|(to, members)| Ok((to, serde_json::to_string(&members)?)))
        .collect::<Result<Vec<_>>>()?;

    let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
    let planned_before: std::collections::HashSet<(i64, String, i64)> = sqlx::query_as(
        "SELECT a.member_id, a.course, a.seq FROM json_each($1) AS j
         JOIN assignments a ON a.member_id = j.value ->> 0 AND a.course = j.value ->> 1
                           AND a.seq = j.value ->> 2",
    )
    .bind(&assignments)
    .fetch_all(&mut *tx)
    .await?
    .into_iter()
    .collect();
    sqlx::query(
        "INSERT INTO assignments (member_id, course, seq, lesson_id, day, due_at)
         SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5
         FROM json_each($1) WHERE true
         ON CONFLICT (member_id, course, seq) DO NOTHING",
    )
    .bind(&assignments)
    .execute(&mut *tx)
    .await?;
    let new: Vec<&PlannedLesson> = chunk
        .iter()
        .filter(|p| {
            let a = &p.assignment;
            planned_before.is_empty()
                || !planned_before.contains(&(a.member_id, a.course.clone(), a.seq))
        })
        .collect();
    if !new.is_empty() {
        let deliveries = serde_json::to_string(
            &new.iter()
                .map(|p| {
                    let d = &p.delivery;
                    (
                        d.member_id,
                        d.kind.as_str(),
                        &d.reference,
                        &d.dedup_key,
                        db_time(d.due_at),
                    )
                })
                .collect::<Vec<_>>(),
        )?;
        sqlx::query(OUTBOX_FROM_JSON_SQLITE)
            .bind(deliveries)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        // Lesson completion statistics: members given each lesson, per branch.
        let mut given: std::collections::BTreeMap<(&str, &str, &str), i64> =
            std::collections::BTreeMap::new();
        for p in &new {
            let a = &p.assignment;
            *given
                .entry((
                    p.branch_id.as_deref().unwrap_or(""),
                    &a.course,
                    &a.lesson_id,
                ))
                .or_default() += 1;
        }
        for ((branch, course, lesson), n) in given {
            sqlx::query(
                "INSERT INTO lesson_rollup (branch_id, course, lesson_id, assigned, checked_in)
                 VALUES ($1, $2, $3, $4, 0)
                 ON CONFLICT (branch_id, course, lesson_id)
                 DO UPDATE SET assigned = lesson_rollup.assigned + excluded.assigned",
            )
            .bind(branch)
            .bind(course)
            .bind(lesson)
            .bind(n)
            .execute(&mut *tx)
            .await?;
        }
    }
    for ((course, next_seq, next_due_at), members) in moves {
        sqlx::query(
            "UPDATE enrollments SET next_seq = $2, next_due_at = $3
             WHERE course = $1 AND next_seq <= $2 AND member_id IN (SELECT value FROM json_each($4))",
        )
        .bind(course)
        .bind(next_seq)
        .bind(next_due_at)
        .bind(members)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(new.len() as u64)
}

/// The advisory lock key of the planner ("weike" in ASCII).
const PLANNER_LOCK_KEY: i64 = 0x0077_6569_6b65;

/// Operators' view of the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OutboxSummary {
    /// (status, kind, count)
    pub counts: Vec<(String, String, i64)>,
    /// Due time of the oldest row still waiting to be sent.
    pub oldest_pending_due: Option<DateTime<Utc>>,
    /// The most recent dead rows: (id, kind, member, attempts, error).
    pub recent_dead: Vec<(i64, String, i64, i64, Option<String>)>,
}

impl Store {
    /// Opens (and for SQLite creates) the database at `url`. Does not migrate.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(StoreError::Connect)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(30))
                // 32 MiB of page cache per connection (SQLite's default is 2 MiB): statistics
                // and planning read large indexes.
                .pragma("cache_size", "-32768")
                // Reads of the first 256 MiB through memory mapping instead of a system call
                // per page: nearby searches jump between many small index ranges.
                .pragma("mmap_size", "268435456")
                // Checkpoints run in the background (see `checkpoint`), not inside whichever
                // commit happens to pass 1,000 pages of log.
                .pragma("wal_autocheckpoint", checkpoint::SAFETY_PAGES)
                .foreign_keys(true);
            let pool = SqlitePoolOptions::new()
                .max_connections(4)
                // A file connection does not go stale; pinging it before every query cost a
                // round trip to its worker thread.
                .test_before_acquire(false)
                .connect_with(options.clone())
                .await
                .map_err(StoreError::Connect)?;
            let checkpoints = Arc::new(checkpoint::CheckpointStats::default());
            checkpoint::spawn(options, pool.clone(), checkpoints.clone());
            Ok(Store {
                pool: Pool::Sqlite(pool),
                leader: Default::default(),
                calendar: Default::default(),
                checkpoints,
            })
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            let options = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
            let pool = PgPoolOptions::new()
                .max_connections(8)
                // No ping before every query (a round trip each: a third of a nearby
                // search). A connection the server dropped fails its next query instead,
                // and that work is retried as any failed query is: inbound updates and
                // deliveries stay claimed until they are done.
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(options)
                .await
                .map_err(StoreError::Connect)?;
            Ok(Store {
                pool: Pool::Postgres(pool),
                leader: Default::default(),
                calendar: Default::default(),
                checkpoints: Default::default(),
            })
        } else {
            Err(StoreError::UnsupportedUrl(crate::config::redact_url(url)))
        }
    }

    /// The same store, keeping statistics for `calendar`'s periods.
    pub fn with_calendar(mut self, calendar: StatsCalendar) -> Store {
        self.calendar = Arc::new(calendar);
        self
    }

    /// SQLite: what the background checkpoints of the log did so far (zeros on PostgreSQL).
    pub fn checkpoint_figures(&self) -> checkpoint::CheckpointFigures {
        self.checkpoints.figures()
    }

    /// The connection pool (for `on_pool!` and `in_tx!`).
    pub(crate) fn pool(&self) -> &Pool {
        &self.pool
    }

    pub fn calendar(&self) -> &StatsCalendar {
        &self.calendar
    }

    /// A subquery giving the strings of the JSON array bound at `$n` (`["a", "b"]`), for
    /// `IN (...)`.
    fn json_ids(&self, n: usize) -> String {
        match self.pool {
            Pool::Sqlite(_) => format!("SELECT value FROM json_each(${n})"),
            Pool::Postgres(_) => format!("SELECT jsonb_array_elements_text(${n}::jsonb)"),
        }
    }

    /// Claims skip rows another process holds (PostgreSQL); SQLite has one writer at a time
    /// (claims run in `BEGIN IMMEDIATE` transactions) and needs no row locks.
    fn skip_locked(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => "",
            Pool::Postgres(_) => "FOR UPDATE SKIP LOCKED",
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations for this database that have not run yet.
    pub async fn migrate(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => sqlx::migrate!("./migrations/sqlite").run(p).await?,
            Pool::Postgres(p) => sqlx::migrate!("./migrations/postgres").run(p).await?,
        }
        Ok(())
    }

    /// Whether this process should plan. With SQLite (one process) always; with PostgreSQL
    /// only the process holding an advisory lock on a dedicated connection, so that several
    /// `weike run` processes plan one at a time. When that process dies, its connection
    /// closes, the lock is free, and another takes over at its next tick.
    pub async fn is_planner(&self, url: &str) -> Result<bool> {
        if let Pool::Sqlite(_) = self.pool {
            return Ok(true);
        }
        let mut leader = self.leader.lock().await;
        if let Some(conn) = leader.as_mut() {
            if conn.ping().await.is_ok() {
                return Ok(true);
            }
            *leader = None; // lost the connection, and with it the lock
        }
        let options = PgConnectOptions::from_str(url).map_err(StoreError::Connect)?;
        let mut conn = sqlx::PgConnection::connect_with(&options)
            .await
            .map_err(StoreError::Connect)?;
        let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(PLANNER_LOCK_KEY)
            .fetch_one(&mut conn)
            .await?;
        if locked {
            *leader = Some(conn);
        } else {
            let _ = conn.close().await;
        }
        Ok(locked)
    }

    /// Gives up planning (shutdown): the lock is released and its connection closed.
    pub async fn resign_planner(&self) {
        if let Some(mut conn) = self.leader.lock().await.take() {
            // Unlock first: the server frees a closed connection's locks only once its
            // backend has exited, so another process asking right after could still be
            // refused.
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PLANNER_LOCK_KEY)
                .execute(&mut conn)
                .await;
            let _ = conn.close().await;
        }
    }

    pub async fn close(&self) {
        self.resign_planner().await;
        match &self.pool {
            Pool::Sqlite(p) => p.close().await,
            Pool::Postgres(p) => p.close().await,
        }
    }

    // ----- branches and lessons -------------------------------------------------------

    /// Writes the branch tree (insert or update; branches no longer in the file stay, as
    /// members may still point at them; those an admin's command added, renamed or removed
    /// keep the command's version). One statement per [`BATCH_ROWS`] branches, the rows as
    /// one JSON parameter, with `between_batches` between.
    pub async fn sync_branches(&self, tree: &BranchTree) -> Result<()> {
        let rows_sql = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
                 FROM json_each($1) WHERE true"
            }
            Pool::Postgres(_) => {
                "SELECT r ->> 0, r ->> 1, r ->> 2, r ->> 3, (r ->> 4)::bigint
                 FROM jsonb_array_elements($1::jsonb) AS r"
            }
        };
        let sql = format!(
            "INSERT INTO branches (id, name, names_json, parent_id, position)
             {rows_sql}
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, names_json = excluded.names_json,
               parent_id = excluded.parent_id, position = excluded.position
             WHERE branches.origin = 'file'"
        );
        let all = tree.all();
        let mut batches = self.batches(all);
        while let Some((start, batch)) = batches.next().await {
            let rows = json_rows(batch.iter().zip(start..), |(b, position)| {
                let names = serde_json::to_string(&b.names).unwrap_or_else(|_| "{}".into());
                serde_json::json!([b.id, b.name, names, b.parent_id, position])
            });
            on_pool!(self, p => {
                sqlx::query(&sql).bind(rows).execute(p).await?;
            });
        }
        Ok(())
    }

    /// Records the loaded lessons (id, position, content hash), in transactions of
    /// [`BATCH_ROWS`] lessons with `between_batches` between.
    pub async fn sync_lessons(
        &self,
        library: &crate::content::Library,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let lessons: Vec<_> = library
            .courses
            .iter()
            .flat_map(|course| course.lessons.iter().map(move |lesson| (course, lesson)))
            .collect();
        let mut batches = self.batches(&lessons);
        while let Some((_, batch)) = batches.next().await {
            in_tx!(self, tx => {
                for (course, lesson) in batch {
                    let title = lesson.version(course.default_locale, course.default_locale).title.clone();
                    sqlx::query(
                        "INSERT INTO lessons (course, id, seq, version_hash, title, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
                         ON CONFLICT (course, id) DO UPDATE SET seq = excluded.seq, title = excluded.title,
                           version_hash = excluded.version_hash,
                           updated_at = CASE WHEN lessons.version_hash = excluded.version_hash
                                             THEN lessons.updated_at ELSE excluded.updated_at END",
                    )
                    .bind(&course.id)
                    .bind(&lesson.id)
                    .bind(i64::from(lesson.seq))
                    .bind(&lesson.version_hash)
                    .bind(title)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
                }
            });
        }
        Ok(())
    }

    // ----- members ----------------------------------------------------------------------

    pub async fn member_by_chat(&self, channel: &str, chat_id: &str) -> Result<Option<Member>> {
        let row: Option<MemberRow> = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {} FROM members WHERE channel = $1 AND chat_id = $2", MemberRow::COLUMNS))
                .bind(channel)
                .bind(chat_id)
                .fetch_optional(p)
                .await?
        });
        row.map(MemberRow::into_member).transpose()
    }

    /// Members whose name is `name`, or (when none is) contains it, on `channel`, at most
    /// `limit`, by id. For admins who name a member instead of giving the id.
    pub async fn members_named(
        &self,
        channel: &str,
        name: &str,
        limit: i64,
    ) -> Result<Vec<Member>> {
        let name = name.trim();
        if name.is_empty() {
            return Ok(Vec::new());
        }
        // LIKE's own characters are matched as themselves.
        let pattern = format!(
            "%{}%",
            name.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        let sql = format!(
            "SELECT {} FROM members
             WHERE channel = $1 AND display_name LIKE $2 ESCAPE '\\'
             ORDER BY CASE WHEN display_name = $3 THEN 0 ELSE 1 END, id LIMIT $4",
            MemberRow::COLUMNS
        );
        let rows: Vec<MemberRow> = on_pool!(self, p => {
            sqlx::query_as(&sql)
                .bind(channel)
                .bind(&pattern)
                .bind(name)
                .bind(limit)
                .fetch_all(p)
                .await?
        });
        let members = rows
            .into_iter()
            .map(MemberRow::into_member)
            .collect::<Result<Vec<_>>>()?;
        // An exact name wins over names that only contain it.
        if members
            .iter()
            .any(|m| m.display_name.as_deref() == Some(name))
        {
            return Ok(members
                .into_iter()
                .filter(|m| m.display_name.as_deref() == Some(name))
                .collect());
        }
        Ok(members)
    }

    pub async fn member(&self, id: i64) -> Result<Option<Member>> {
        let row: Option<MemberRow> = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {} FROM members WHERE id = $1", MemberRow::COLUMNS))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        row.map(MemberRow::into_member).transpose()
    }

    /// Creates a member who has just written for the first time (or returns the existing
    /// one if another request created it meanwhile).
    #[allow(clippy::too_many_arguments)]
    pub async fn create_member(
        &self,
        channel: &str,
        chat_id: &str,
        locale: Locale,
        timezone: &str,
        lesson_time: NaiveTime,
        dialog: &str,
        now: DateTime<Utc>,
    ) -> Result<Member> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO members (channel, chat_id, locale, timezone, lesson_time, status, dialog, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, $7)
                 ON CONFLICT (channel, chat_id) DO NOTHING",
            )
            .bind(channel)
            .bind(chat_id)
            .bind(locale.code())
            .bind(timezone)
            .bind(lesson_time.format("%H:%M").to_string())
            .bind(dialog)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        self.member_by_chat(channel, chat_id)
            .await?
            .ok_or(StoreError::Corrupt {
                table: "members",
                problem: format!("member {channel}:{chat_id} missing right after insert"),
            })
    }

    /// Saves every mutable field of a member.
    pub async fn save_member(&self, m: &Member, now: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE members SET display_name = $2, branch_id = $3, home_branch_id = COALESCE(home_branch_id, $3),
                   locale = $4, timezone = $5, lesson_time = $6, status = $7, onboarded = $8, dialog = $9,
                   updated_at = $10
                 WHERE id = $1",
            )
            .bind(m.id)
            .bind(&m.display_name)
            .bind(&m.branch_id)
            .bind(m.locale.code())
            .bind(m.timezone.name())
            .bind(m.lesson_time.format("%H:%M").to_string())
            .bind(m.status.as_str())
            .bind(m.onboarded)
            .bind(m.dialog.encode())
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Sets a member's status (their pending rows are left alone: the courier cancels them
    /// with [`Store::cancel_pending`] when a member turns out unreachable).
    pub async fn set_member_status(
        &self,
        member_id: i64,
        status: MemberStatus,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE members SET status = $2, updated_at = $3 WHERE id = $1")
                .bind(member_id)
                .bind(status.as_str())
                .bind(now)
                .execute(p)
                .await?
            .rows_affected()
        });
        Ok(())
    }

    // ----- enrollments and planning ---------------------------------------------------

    /// Enrolls a member in a course at lesson 1 unless already enrolled.
    pub async fn enroll(
        &self,
        member_id: i64,
        course: &str,
        next_due_at: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO enrollments (member_id, course, next_seq, next_due_at, started_at)
                 VALUES ($1, $2, 1, $3, $4) ON CONFLICT (member_id, course) DO NOTHING",
            )
            .bind(member_id)
            .bind(course)
            .bind(next_due_at)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    pub async fn enrollment(&self, member_id: i64, course: &str) -> Result<Option<Enrollment>> {
        let row: Option<EnrollmentRow> = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {} FROM enrollments WHERE member_id = $1 AND course = $2", EnrollmentRow::COLUMNS))
                .bind(member_id)
                .bind(course)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(Enrollment::from))
    }

    pub async fn enrollments_of(&self, member_id: i64) -> Result<Vec<Enrollment>> {
        let rows: Vec<EnrollmentRow> = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {} FROM enrollments WHERE member_id = $1 ORDER BY started_at, course", EnrollmentRow::COLUMNS))
                .bind(member_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(Enrollment::from).collect())
    }

    /// Moves the next lesson time of an enrollment (after a settings change, a resume, or
    /// a skipped occurrence).
    pub async fn set_next_due(
        &self,
        member_id: i64,
        course: &str,
        next_due_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE enrollments SET next_due_at = $3 WHERE member_id = $1 AND course = $2")
                .bind(member_id)
                .bind(course)
                .bind(next_due_at)
                .execute(p)
                .await?
            .rows_affected()
        });
        Ok(())
    }

    pub async fn complete_enrollment(
        &self,
        member_id: i64,
        course: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE enrollments SET completed_at = $3, next_due_at = NULL WHERE member_id = $1 AND course = $2")
                .bind(member_id)
                .bind(course)
                .bind(now)
                .execute(p)
                .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Enrollments whose next lesson is due by `now`, of active, onboarded members, in
    /// order of (lesson time, member) after `after`, at most `limit`.
    pub async fn due_enrollments(
        &self,
        now: DateTime<Utc>,
        after: Option<(DateTime<Utc>, i64)>,
        limit: i64,
    ) -> Result<Vec<DueEnrollment>> {
        let sql = self.due_sql();
        let (after_due, after_member) = after.unwrap_or((DateTime::<Utc>::UNIX_EPOCH, i64::MIN));
        let rows: Vec<DueRow> = match &self.pool {
            // The page as one JSON row: sqlx hands every row of a result from SQLite's
            // worker thread to the task through a channel, which for a page of a thousand
            // rows cost more than reading them (planning a million lessons: 19.9 s of CPU
            // time with the rows one by one, 13.8 s with the page as one JSON row).
            Pool::Sqlite(p) => {
                let page: String = sqlx::query_scalar(&format!(
                    "SELECT json_group_array(json_array({}) ORDER BY next_due_at, member_id)
                     FROM ({sql})",
                    DueRow::JSON_COLUMNS
                ))
                .bind(now)
                .bind(after_due)
                .bind(after_member)
                .bind(limit)
                .fetch_one(p)
                .await?;
                let rows: Vec<rows::DueJson> = serde_json::from_str(&page)?;
                rows.into_iter()
                    .map(DueRow::from_json)
                    .collect::<Result<_>>()?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(&sql)
                    .bind(now)
                    .bind(after_due)
                    .bind(after_member)
                    .bind(limit)
                    .fetch_all(p)
                    .await?
            }
        };
        rows.into_iter().map(DueRow::into_due).collect()
    }

    /// The page of due enrollments after a key, for [`Store::due_enrollments`]: `$1` now,
    /// `$2`/`$3` the key (lesson time, member) of the previous page's last row, `$4` the
    /// page size.
    ///
    /// Keyset pagination from that key: the index scan starts there instead of stepping over
    /// every row planned so far (on PostgreSQL those leave dead index entries until vacuum,
    /// which made each page slower than the last). The key is compared as a row value, which
    /// both databases turn into the start of the range scan on `enrollments_due
    /// (next_due_at, member_id)`; written as `next_due_at > $2 OR (next_due_at = $2 AND
    /// member_id > $3)` it was a filter on PostgreSQL, which read every due row of the
    /// lesson time up to the page's (for a million members at one lesson time, half a
    /// million on average), or without statistics sorted all of them for every page.
    ///
    /// SQLite is told to use that index: with statistics (`ANALYZE`, which the service does
    /// not run, but an operator may) it chose by the bound values to scan all members, look
    /// up their enrollments and sort them, for every page.
    pub(crate) fn due_sql(&self) -> String {
        let index_hint = match self.pool {
            Pool::Sqlite(_) => "INDEXED BY enrollments_due",
            Pool::Postgres(_) => "",
        };
        format!(
            "SELECT {} FROM enrollments e {index_hint} JOIN members m ON m.id = e.member_id
             WHERE e.completed_at IS NULL AND e.next_due_at <= $1
               AND (e.next_due_at, e.member_id) > ($2, $3)
               AND m.status = 'active' AND m.onboarded
             ORDER BY e.next_due_at, e.member_id LIMIT $4",
            DueRow::COLUMNS
        )
    }

    /// How many batches of planning the planner writes at once, reading the next page
    /// meanwhile (0: it writes each batch before reading the next page). SQLite has one
    /// writer at a time, and members' writes waiting in its busy handler get the lock while
    /// the planner reads the next page: reading it during the write would leave them no
    /// such moment. On PostgreSQL a batch locks only the rows it writes (and the per-branch
    /// counts for a moment), so batches go side by side on the server's cores. Two, on the
    /// two-core machine they were measured on (1,000,000 lessons beside other work: 33-34 s
    /// writing each page before reading the next, 29-31 s with one write during the read,
    /// 17-25 s with two; three or four were no faster).
    pub fn plan_writes_at_once(&self) -> usize {
        match self.pool {
            Pool::Sqlite(_) => 0,
            Pool::Postgres(_) => 2,
        }
    }

    /// Plans many lessons in transactions of [`BATCH_ROWS`] (yielding between them; the
    /// planner gives one page of that size at a time and reads the next in between):
    /// each assignment with its delivery, its lesson statistics and its enrollment moved to
    /// the next lesson, together. A lesson planned before (same member, course and
    /// position) is not planned again: it gets no delivery and is not counted, and its
    /// enrollment moves only if it has not moved past it. Returns how many were new.
    pub async fn plan_lessons(&self, plans: &[PlannedLesson], now: DateTime<Utc>) -> Result<u64> {
        let mut planned = 0;
        for (i, chunk) in plans.chunks(BATCH_ROWS).enumerate() {
            if i > 0 {
                tokio::task::yield_now().await;
            }
            let started = std::time::Instant::now();
            planned += match &self.pool {
                Pool::Sqlite(p) => plan_batch_sqlite(p, chunk, now).await?,
                Pool::Postgres(p) => plan_batch_postgres(p, chunk, now).await?,
            };
            batch_committed("lessons planned", chunk.len(), started);
        }
        Ok(planned)
    }

    /// Queues a delivery (idempotent by its dedup key). Returns true if it was new. Lessons
    /// are not deduplicated by their key (migration 0022): only planning queues them, once
    /// per assignment ([`Store::plan_lessons`]).
    pub async fn enqueue(&self, delivery: &NewDelivery, now: DateTime<Utc>) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                concat!("INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $5, $6) ON CONFLICT (dedup_key) WHERE ", crate::not_lesson!(), " DO NOTHING"),
            )
            .bind(delivery.member_id)
            .bind(delivery.kind.as_str())
            .bind(&delivery.reference)
            .bind(&delivery.dedup_key)
            .bind(delivery.due_at)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn latest_assignment(&self, member_id: i64) -> Result<Option<Assignment>> {
        let row: Option<rows::AssignmentRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT member_id, course, seq, lesson_id, day, due_at FROM assignments
                 WHERE member_id = $1 ORDER BY due_at DESC, seq DESC LIMIT 1",
            )
            .bind(member_id)
            .fetch_optional(p)
            .await?
        });
        row.map(Assignment::try_from).transpose()
    }

    /// The member's lesson days with whether each was checked in, for streaks.
    pub async fn lesson_days(&self, member_id: i64) -> Result<Vec<LessonDay>> {
        let rows: Vec<(String, bool)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT a.day, (c.member_id IS NOT NULL) AS checked_in FROM assignments a
                 LEFT JOIN checkins c ON c.member_id = a.member_id AND c.course = a.course AND c.lesson_id = a.lesson_id
                 WHERE a.member_id = $1",
            )
            .bind(member_id)
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(day, checked_in)| {
                let day = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|e| {
                    StoreError::Corrupt {
                        table: "assignments",
                        problem: format!("day {day:?}: {e}"),
                    }
                })?;
                Ok(LessonDay { day, checked_in })
            })
            .collect()
    }

    pub async fn progress(&self, member_id: i64, course: &str) -> Result<Progress> {
        let (assigned, checked_in): (i64, i64) = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM assignments WHERE member_id = $1 AND course = $2),
                        (SELECT COUNT(*) FROM checkins WHERE member_id = $1 AND course = $2)",
            )
            .bind(member_id)
            .bind(course)
            .fetch_one(p)
            .await?
        });
        Ok(Progress {
            assigned,
            checked_in,
        })
    }

    /// The organization tree as stored: the file's branches with the admins' edits.
    pub async fn branches(&self) -> Result<Vec<Branch>> {
        let rows: Vec<(String, String, String, Option<String>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, name, names_json, parent_id FROM branches WHERE origin <> 'removed'
                 ORDER BY position, id",
            )
            .fetch_all(p)
            .await?
        });
        rows.into_iter()
            .map(|(id, name, names, parent_id)| {
                let names = serde_json::from_str(&names).map_err(|e| StoreError::Corrupt {
                    table: "branches",
                    problem: format!("names of {id:?}: {e}"),
                })?;
                Ok(Branch {
                    id,
                    name,
                    names,
                    parent_id,
                })
            })
            .collect()
    }

    /// Adds or renames a branch by an admin's command (kept over `branches.toml` from now
    /// on). A new branch goes after every other one.
    pub async fn save_branch_edit(&self, b: &Branch) -> Result<()> {
        let names = serde_json::to_string(&b.names).unwrap_or_else(|_| "{}".into());
        in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO branches (id, name, names_json, parent_id, position, origin)
                 SELECT $1, $2, $3, $4, COALESCE(MAX(position), 0) + 1, 'command' FROM branches WHERE true
                 ON CONFLICT (id) DO UPDATE SET name = excluded.name, names_json = excluded.names_json,
                   parent_id = excluded.parent_id, origin = 'command'",
            )
            .bind(&b.id)
            .bind(&b.name)
            .bind(names)
            .bind(&b.parent_id)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// Hides a branch (removed by an admin's command; the file does not bring it back).
    pub async fn remove_branch(&self, id: &str) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE branches SET origin = 'removed' WHERE id = $1 AND origin <> 'removed'")
                .bind(id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Onboarded members whose branch is `id`.
    pub async fn members_in_branch(&self, id: &str) -> Result<i64> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM members WHERE branch_id = $1")
                .bind(id)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    /// Records a check-in once, with whether the member is away from home now, and the
    /// statistics it counts for (an away check-in counts as participation away from home in
    /// its periods). Returns false if it was already recorded.
    pub async fn record_checkin(
        &self,
        member_id: i64,
        course: &str,
        lesson_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let periods = self.calendar.periods_at(now);
        let recorded = in_tx!(self, tx => {
            let away: Option<bool> = sqlx::query_scalar(
                "INSERT INTO checkins (member_id, course, lesson_id, at, away)
                 SELECT m.id, $2, $3, $4, (m.away_since IS NOT NULL) FROM members m WHERE m.id = $1
                 ON CONFLICT (member_id, course, lesson_id) DO NOTHING
                 RETURNING away",
            )
            .bind(member_id)
            .bind(course)
            .bind(lesson_id)
            .bind(now)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some(away) = away {
                let bump = ActivityBump {
                    checkins: 1,
                    away_checkins: i64::from(away),
                    ..ActivityBump::default()
                };
                stats::bump_activity!(tx, member_id, &periods, bump);
                sqlx::query(stats::BUMP_LESSON_CHECKIN)
                    .bind(member_id)
                    .bind(course)
                    .bind(lesson_id)
                    .execute(&mut *tx)
                    .await?;
            }
            away.is_some()
        });
        Ok(recorded)
    }

    pub async fn has_checkin(&self, member_id: i64, course: &str, lesson_id: &str) -> Result<bool> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM checkins WHERE member_id = $1 AND course = $2 AND lesson_id = $3")
                .bind(member_id)
                .bind(course)
                .bind(lesson_id)
                .fetch_one(p)
                .await?
        });
        Ok(n > 0)
    }

    /// The latest lesson given to a member that they have not checked in to: (course,
    /// lesson id), for a typed "学完了".
    pub async fn latest_unchecked(&self, member_id: i64) -> Result<Option<(String, String)>> {
        let row: Option<(String, String)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT a.course, a.lesson_id FROM assignments a
                 WHERE a.member_id = $1 AND NOT EXISTS (
                     SELECT 1 FROM checkins c
                     WHERE c.member_id = a.member_id AND c.course = a.course AND c.lesson_id = a.lesson_id)
                 ORDER BY a.due_at DESC LIMIT 1",
            )
            .bind(member_id)
            .fetch_optional(p)
            .await?
        });
        Ok(row)
    }

    pub async fn has_assignment(
        &self,
        member_id: i64,
        course: &str,
        lesson_id: &str,
    ) -> Result<bool> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar("SELECT COUNT(*) FROM assignments WHERE member_id = $1 AND course = $2 AND lesson_id = $3")
                .bind(member_id)
                .bind(course)
                .bind(lesson_id)
                .fetch_one(p)
                .await?
        });
        Ok(n > 0)
    }

    // ----- outbox -----------------------------------------------------------------------

    /// Claims up to `limit` deliveries that are due to members of `channel` (a courier
    /// sends through one channel), leasing them to `worker` until `lease_until`. Rows
    /// whose lease ran out (a crashed worker) are claimable again.
    /// Earliest due first ([`ClaimOrder::EarliestDue`]).
    pub async fn claim_due(
        &self,
        channel: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        self.claim_due_in(
            ClaimOrder::EarliestDue,
            channel,
            worker,
            now,
            lease_until,
            limit,
        )
        .await
    }

    /// [`Store::claim_due`] in the given order (the courier's `claim_order` setting).
    pub async fn claim_due_in(
        &self,
        order: ClaimOrder,
        channel: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<OutboxItem>> {
        // Rows of a courier that died: back to pending (an index range, not a scan).
        let expired = on_pool!(self, p => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', claimed_until = NULL
                 WHERE status = 'sending' AND claimed_until < $1",
            )
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        if expired > 0 {
            tracing::warn!(
                rows = expired,
                "leases ran out (a courier stopped mid-way): rows are pending again"
            );
        }
        let ready = "o.status = 'pending' AND o.next_attempt_at <= $1
             AND EXISTS (SELECT 1 FROM members m WHERE m.id = o.member_id AND m.channel = $5)";
        let sql = format!(
            "UPDATE outbox SET status = 'sending', claimed_by = $2, claimed_until = $3
             WHERE id IN (SELECT o.id FROM outbox o WHERE {ready} ORDER BY {order} LIMIT $4 {})
             RETURNING id",
            self.skip_locked(),
            order = order.sql(),
        );
        let ids: Vec<i64> = self
            .claim_rows::<(i64,)>(&sql, channel, worker, now, lease_until, limit)
            .await?
            .into_iter()
            .map(|(id,)| id)
            .collect();
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        let rows: Vec<OutboxRow> = on_pool!(self, p => {
            sqlx::query_as(&format!(
                "SELECT o.id, o.member_id, o.kind, o.ref, o.dedup_key, o.due_at, o.attempts, o.parts_sent, m.channel, m.chat_id, m.status AS member_status
                 FROM outbox o JOIN members m ON m.id = o.member_id WHERE o.id IN ({list}) ORDER BY {}, o.id", order.sql()
            ))
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(OutboxItem::from).collect())
    }

    /// Marks a claimed delivery as sent, with the id of the (last) message it produced.
    pub async fn mark_sent(
        &self,
        id: i64,
        worker: &str,
        message_id: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        update_claimed!(
            self,
            id,
            worker,
            "status = 'sent', sent_at = $3, channel_message_id = $4, claimed_until = NULL, last_error = NULL",
            now,
            message_id,
        );
        Ok(())
    }

    /// Puts a delivery back for another attempt at `retry_at`, or marks it dead.
    pub async fn mark_failed(
        &self,
        id: i64,
        worker: &str,
        error: &str,
        retry_at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        let status = if retry_at.is_some() {
            "pending"
        } else {
            "dead"
        };
        update_claimed!(
            self,
            id,
            worker,
            "status = $3, attempts = attempts + 1, last_error = $4,
             next_attempt_at = COALESCE($5, next_attempt_at), claimed_until = NULL",
            status,
            error,
            retry_at,
        );
        Ok(())
    }

    /// Gives a claimed row back untouched (shutdown, or a pause imposed by the channel), to
    /// be claimed again from `retry_at` (the courier gives its due time: the row keeps its
    /// place, earliest due first).
    pub async fn release(&self, id: i64, worker: &str, retry_at: DateTime<Utc>) -> Result<()> {
        update_claimed!(
            self,
            id,
            worker,
            "status = 'pending', next_attempt_at = $3, claimed_until = NULL",
            retry_at,
        );
        Ok(())
    }

    /// Notes that the first `parts` parts of a claimed delivery were sent, before it is
    /// given back or retried: the next attempt starts after them.
    pub async fn save_parts_sent(&self, id: i64, worker: &str, parts: i64) -> Result<()> {
        update_claimed!(self, id, worker, "parts_sent = $3", parts);
        Ok(())
    }

    /// Gives back every row a worker still holds (shutdown after a timeout).
    pub async fn release_worker(&self, worker: &str, now: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "UPDATE outbox SET status = 'pending', next_attempt_at = $2, claimed_until = NULL
                 WHERE claimed_by = $1 AND status = 'sending'",
            )
            .bind(worker)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Cancels the member's pending deliveries (they blocked the bot or paused).
    pub async fn cancel_pending(&self, member_id: i64, reason: &str) -> Result<u64> {
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE outbox SET status = 'dead', last_error = $2 WHERE member_id = $1 AND status = 'pending'")
                .bind(member_id)
                .bind(reason)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Counts by status and kind, the oldest waiting row, and recent dead rows.
    pub async fn outbox_summary(&self, dead_rows: i64) -> Result<OutboxSummary> {
        let counts: Vec<(String, String, i64)> = on_pool!(self, p => {
            sqlx::query_as("SELECT status, kind, COUNT(*) FROM outbox GROUP BY status, kind ORDER BY status, kind")
                .fetch_all(p)
                .await?
        });
        let oldest_pending_due: Option<DateTime<Utc>> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT MIN(due_at) FROM outbox WHERE status IN ('pending', 'sending')")
                .fetch_one(p)
                .await?
        });
        let recent_dead: Vec<(i64, String, i64, i64, Option<String>)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT id, kind, member_id, attempts, last_error FROM outbox WHERE status = 'dead' ORDER BY id DESC LIMIT $1",
            )
            .bind(dead_rows)
            .fetch_all(p)
            .await?
        });
        Ok(OutboxSummary {
            counts,
            oldest_pending_due,
            recent_dead,
        })
    }

    /// Makes waiting rows due now; with `dead`, also gives dead rows of active members a
    /// fresh set of attempts. Returns how many rows were requeued. Goes [`BATCH_ROWS`] at a
    /// time (a requeued row is pending and due, so it is not taken again).
    pub async fn requeue(&self, dead: bool, now: DateTime<Utc>) -> Result<u64> {
        let n = until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    "UPDATE outbox SET status = 'pending', next_attempt_at = $1,
                   attempts = CASE WHEN status = 'dead' THEN 0 ELSE attempts END
                 WHERE id IN (
                   SELECT id FROM outbox
                   WHERE (status = 'pending' AND next_attempt_at > $1)
                      OR ($2 AND status = 'dead'
                          AND member_id IN (SELECT id FROM members WHERE status = 'active'))
                   LIMIT $3)",
                )
                .bind(now)
                .bind(dead)
                .bind(BATCH_ROWS as i64)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        Ok(n)
    }

    /// Outbox rows by status, for operators and tests.
    /// Lessons that will be due from `from` until `to`, grouped by due time: (when, how
    /// many members), for the delivery forecast (`/capacity`). Only active, onboarded
    /// members' unfinished courses count, as planning takes them.
    pub async fn upcoming_lessons(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<(DateTime<Utc>, i64)>> {
        let rows: Vec<(DateTime<Utc>, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT e.next_due_at, COUNT(*) FROM enrollments e JOIN members m ON m.id = e.member_id
                 WHERE e.completed_at IS NULL AND e.next_due_at > $1 AND e.next_due_at <= $2
                   AND m.status = 'active' AND m.onboarded
                 GROUP BY e.next_due_at ORDER BY e.next_due_at",
            )
            .bind(from)
            .bind(to)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Deliveries waiting to be sent that are due by `now` (the backlog a forecast starts
    /// with).
    pub async fn due_backlog(&self, now: DateTime<Utc>) -> Result<i64> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT COUNT(*) FROM outbox WHERE status IN ('pending', 'sending') AND next_attempt_at <= $1",
            )
            .bind(now)
            .fetch_one(p)
            .await?
        });
        Ok(n)
    }

    pub async fn outbox_counts(&self) -> Result<Vec<(String, i64)>> {
        self.status_counts("outbox").await
    }

    /// The rows of `table` (a queue with a `status` column) by status.
    pub(crate) async fn status_counts(&self, table: &str) -> Result<Vec<(String, i64)>> {
        let sql = format!("SELECT status, COUNT(*) FROM {table} GROUP BY status ORDER BY status");
        let rows: Vec<(String, i64)> = on_pool!(self, p => {
            sqlx::query_as(&sql).fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Runs a claiming statement of a queue in one transaction: `sql` takes `$1` now, `$2`
    /// the worker, `$3` the end of its lease, `$4` how many rows at most and `$5` the
    /// channel, and returns the rows claimed.
    pub(crate) async fn claim_rows<T>(
        &self,
        sql: &str,
        channel: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<T>>
    where
        T: Send
            + Unpin
            + for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>,
    {
        let rows: Vec<T> = in_tx!(self, tx => {
            sqlx::query_as(sql)
                .bind(now)
                .bind(worker)
                .bind(lease_until)
                .bind(limit)
                .bind(channel)
                .fetch_all(&mut *tx)
                .await?
        });
        Ok(rows)
    }

    // ----- inbound updates (webhook) ---------------------------------------------------

    /// Checks that the database answers.
    pub async fn ping(&self) -> Result<()> {
        let _: i64 =
            on_pool!(self, p => sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(p).await?);
        Ok(())
    }

    // ----- small state ------------------------------------------------------------------

    pub async fn file_id(&self, sha256: &str, channel: &str) -> Result<Option<String>> {
        let v: Option<String> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT file_id FROM file_ids WHERE sha256 = $1 AND channel = $2")
                .bind(sha256)
                .bind(channel)
                .fetch_optional(p)
                .await?
        });
        Ok(v)
    }

    pub async fn save_file_id(&self, sha256: &str, channel: &str, file_id: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO file_ids (sha256, channel, file_id) VALUES ($1, $2, $3)
                 ON CONFLICT (sha256, channel) DO UPDATE SET file_id = excluded.file_id",
            )
            .bind(sha256)
            .bind(channel)
            .bind(file_id)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Notes that courier `worker` of `channel` is alive at `now`, and returns how many
    /// couriers of that channel are alive (seen since `live_since`, itself included) and
    /// how many of them noted themselves since `joined_at` (when this one first did: they
    /// have counted it). Couriers gone for an hour are forgotten.
    pub async fn courier_presence(
        &self,
        channel: &str,
        worker: &str,
        now: DateTime<Utc>,
        live_since: DateTime<Utc>,
        joined_at: DateTime<Utc>,
    ) -> Result<(u32, u32)> {
        let (live, counted): (i64, i64) = in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO courier_presence (worker, channel, seen_at) VALUES ($1, $2, $3)
                 ON CONFLICT (worker) DO UPDATE SET channel = excluded.channel, seen_at = excluded.seen_at",
            )
            .bind(worker)
            .bind(channel)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM courier_presence WHERE seen_at < $1")
                .bind(now - chrono::Duration::hours(1))
                .execute(&mut *tx)
                .await?;
            sqlx::query_as(
                "SELECT COUNT(*),
                        COALESCE(SUM(CASE WHEN seen_at >= $3 THEN 1 ELSE 0 END), 0)
                 FROM courier_presence WHERE channel = $1 AND seen_at >= $2",
            )
            .bind(channel)
            .bind(live_since)
            .bind(joined_at)
            .fetch_one(&mut *tx)
            .await?
        });
        let count = |n: i64| u32::try_from(n).unwrap_or(1).max(1);
        Ok((count(live), count(counted)))
    }

    /// Forgets courier `worker` (it stopped): the others take its share at once.
    pub async fn courier_gone(&self, worker: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("DELETE FROM courier_presence WHERE worker = $1")
                .bind(worker)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    pub async fn state(&self, key: &str) -> Result<Option<String>> {
        let v: Option<String> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT value FROM channel_state WHERE key = $1")
                .bind(key)
                .fetch_optional(p)
                .await?
        });
        Ok(v)
    }

    pub async fn set_state(&self, key: &str, value: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO channel_state (key, value) VALUES ($1, $2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            )
            .bind(key)
            .bind(value)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }
}

/// A time as sqlx writes `DateTime<Utc>` into SQLite (RFC 3339, UTC), so that rows written
/// through JSON compare and decode like rows written with bound values.
pub(crate) fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// With statistics, which made SQLite scan all members and sort their enrollments for
    /// some pages (5,000 members due at one time, a key in the middle), a page of due
    /// enrollments is still read from `enrollments_due`, in order, from the key on.
    #[tokio::test]
    async fn sqlite_reads_due_pages_from_the_due_index_with_statistics() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let store =
            Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await?;
        store.migrate().await?;
        let Pool::Sqlite(p) = store.pool() else {
            anyhow::bail!("a SQLite store");
        };
        let due = DateTime::parse_from_rfc3339("2026-12-07T01:49:00.123456789Z")?.to_utc();
        let now = due + chrono::Duration::minutes(1);
        sqlx::query(
            "INSERT INTO members (channel, chat_id, branch_id, locale, timezone, lesson_time,
                                  status, onboarded, created_at, updated_at)
             SELECT 'telegram', CAST(n AS TEXT), 'b', 'zh-CN', 'Asia/Shanghai', '07:30',
                    'active', TRUE, $1, $1
             FROM (WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < 5000)
                   SELECT n FROM seq) AS s",
        )
        .bind(due)
        .execute(p)
        .await?;
        sqlx::query(
            "INSERT INTO enrollments (member_id, course, next_seq, next_due_at, started_at)
             SELECT id, 'c', 1, $1, $1 FROM members",
        )
        .bind(due)
        .execute(p)
        .await?;
        sqlx::query("ANALYZE").execute(p).await?;

        for (after_due, after_member) in [
            (DateTime::<Utc>::UNIX_EPOCH, i64::MIN),
            (due, 500),
            (due, 4_000),
        ] {
            let plan: Vec<(i64, i64, i64, String)> =
                sqlx::query_as(&format!("EXPLAIN QUERY PLAN {}", store.due_sql()))
                    .bind(now)
                    .bind(after_due)
                    .bind(after_member)
                    .bind(100_i64)
                    .fetch_all(p)
                    .await?;
            let plan: Vec<String> = plan.into_iter().map(|(_, _, _, step)| step).collect();
            let plan = plan.join("\n");
            assert!(
                plan.contains("SEARCH e USING INDEX enrollments_due"),
                "after {after_member}:\n{plan}"
            );
            assert!(
                !plan.contains("TEMP B-TREE"),
                "after {after_member}:\n{plan}"
            );
        }
        let page = store.due_enrollments(now, Some((due, 500)), 100).await?;
        let ids: Vec<i64> = page.iter().map(|d| d.member_id).collect();
        assert_eq!(ids, (501..=600).collect::<Vec<_>>());
        // The page came as one JSON row: the time to the nanosecond, the member's fields.
        assert!(page.iter().all(|d| d.next_due_at == due
            && d.branch_id.as_deref() == Some("b")
            && d.course == "c"
            && d.next_seq == 1
            && d.timezone == chrono_tz::Asia::Shanghai
            && d.lesson_time == NaiveTime::from_hms_opt(7, 30, 0).unwrap()));
        // The next page starts after the last member of this one.
        let next = store.due_enrollments(now, Some((due, 600)), 2).await?;
        assert_eq!(
            next.iter().map(|d| d.member_id).collect::<Vec<_>>(),
            [601, 602]
        );
        Ok(())
    }

    #[test]
    fn sqlite_times_are_read_in_every_form_sqlx_reads() {
        let t = |s: &str| rows::sqlite_time(s).map(|t| t.to_rfc3339());
        let want = Some("2026-12-07T07:30:00.250+00:00".to_string());
        assert_eq!(t("2026-12-07T07:30:00.25Z"), want);
        assert_eq!(t("2026-12-07T15:30:00.25+08:00"), want);
        assert_eq!(t("2026-12-07 07:30:00.25"), want);
        assert_eq!(t("2026-12-07 15:30:00.25+08:00"), want);
        assert_eq!(t("2026-12-07T07:30:00.25"), want);
        assert_eq!(t("yesterday"), None);
    }
}
