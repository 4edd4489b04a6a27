//! What the benchmarks read besides the service's own queries, not timed: counts that check
//! or explain the figures (the rows a nearby search looks at, this week's participants
//! counted from the check-ins) and the query plan of the nearby search.

use chrono::{DateTime, Utc};

use crate::domain::geo::{self, GeoError, LatLon};
use crate::domain::outbox::OutboxKind;
use crate::domain::venue_csv::MAX_ACTIVITY_HOURS;
use crate::store::{Pool, Result, Store, StoreError, on_pool};

/// `select` (with `{lo}` and `{hi}`) once per cell range, as `SUM` over a `UNION ALL` of
/// counts (an `OR` of ranges would not use the index); ranges bound from `$first` on.
fn sum_over_ranges(select: &str, ranges: usize, first: usize) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM ({}) AS counts",
        crate::store::union_of_ranges(select, ranges, first)
    )
}

/// What a nearby search over activities reads, counted apart (not timed).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NearbyCandidates {
    /// Activities in the searched cells, whatever their time and status (index entries
    /// the cell ranges cover).
    pub in_cells: i64,
    /// Of those, the rows the SQL returns (scheduled, in the time window, open venue),
    /// before the exact distance is checked.
    pub returned: i64,
}

/// A benchmark count that could not run: a bad centre or radius, or the database.
#[derive(Debug, thiserror::Error)]
pub enum BenchGeoError {
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The ids of the members away from home, in order.
pub async fn away_members(store: &Store) -> Result<Vec<i64>> {
    let rows: Vec<(i64,)> = on_pool!(store, p => {
        sqlx::query_as("SELECT id FROM members WHERE away_since IS NOT NULL ORDER BY id")
            .fetch_all(p)
            .await?
    });
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The count `sql` (a `BIGINT`) gives with `$1` = `from` and `$2` = `to`.
async fn count_between(
    store: &Store,
    sql: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    let n: i64 = on_pool!(store, p => {
        sqlx::query_scalar(sql).bind(from).bind(to).fetch_one(p).await?
    });
    Ok(n)
}

/// Members with a check-in in [from, to), counted from the check-ins themselves.
pub async fn participants_between(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    let sql = "SELECT CAST(COUNT(DISTINCT member_id) AS BIGINT) FROM checkins
               WHERE at >= $1 AND at < $2";
    count_between(store, sql, from, to).await
}

/// Scheduled activities that end after `from` and start before `to` (the nearby window),
/// over all venues.
pub async fn activities_in_window(
    store: &Store,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<i64> {
    let sql = "SELECT CAST(COUNT(*) AS BIGINT) FROM activities
               WHERE status = 'scheduled' AND ends_at > $1 AND starts_at < $2";
    count_between(store, sql, from, to).await
}

/// What `activities_near` with these arguments reads, counted.
pub async fn nearby_candidates(
    store: &Store,
    center: LatLon,
    radius_m: f64,
    ends_after: DateTime<Utc>,
    starts_before: DateTime<Utc>,
) -> std::result::Result<NearbyCandidates, BenchGeoError> {
    let ranges = geo::cell_ranges_within(center, radius_m)?;
    let in_cells_sql = sum_over_ranges(
        "SELECT COUNT(*) AS n FROM activities a WHERE a.cell BETWEEN {lo} AND {hi}",
        ranges.len(),
        1,
    );
    // The same conditions as `activities_near` (an activity lasts at most a day).
    let returned_sql = sum_over_ranges(
        "SELECT COUNT(*) AS n FROM activities a
         WHERE a.cell BETWEEN {lo} AND {hi} AND a.starts_at > $3 AND a.starts_at < $2
           AND a.ends_at > $1 AND a.status = 'scheduled'",
        ranges.len(),
        4,
    );
    let (in_cells, returned): (i64, i64) = on_pool!(store, p => {
        let mut q = sqlx::query_scalar(&in_cells_sql);
        for (lo, hi) in &ranges {
            q = q.bind(*lo).bind(*hi);
        }
        let in_cells = q.fetch_one(p).await.map_err(StoreError::from)?;
        let mut q = sqlx::query_scalar(&returned_sql)
            .bind(ends_after)
            .bind(starts_before)
            .bind(ends_after - chrono::Duration::hours(MAX_ACTIVITY_HOURS));
        for (lo, hi) in &ranges {
            q = q.bind(*lo).bind(*hi);
        }
        (in_cells, q.fetch_one(p).await.map_err(StoreError::from)?)
    });
    Ok(NearbyCandidates { in_cells, returned })
}

/// The rows `migrants_near` with these arguments gets from the database (before the exact
/// distance is checked).
pub async fn migrant_candidates(
    store: &Store,
    center: LatLon,
    radius_m: f64,
    fresh_since: DateTime<Utc>,
) -> std::result::Result<i64, BenchGeoError> {
    let ranges = geo::cell_ranges_within(center, radius_m)?;
    let sql = sum_over_ranges(
        "SELECT COUNT(*) AS n FROM last_locations
         WHERE cell BETWEEN {lo} AND {hi} AND away AND at >= $1",
        ranges.len(),
        2,
    );
    let n: i64 = on_pool!(store, p => {
        let mut q = sqlx::query_scalar(&sql).bind(fresh_since);
        for (lo, hi) in &ranges {
            q = q.bind(*lo).bind(*hi);
        }
        q.fetch_one(p).await.map_err(StoreError::from)?
    });
    Ok(n)
}

/// The query plan of the statement `activities_near` sends for its first round, for the
/// cell of `center` alone (SQLite: `EXPLAIN QUERY PLAN` of one per-cell part; PostgreSQL:
/// `EXPLAIN (ANALYZE, BUFFERS)` of the statement over arrays), one line per row. The SQL
/// comes from the store's `venues.rs`.
pub async fn explain_nearby(
    store: &Store,
    center: LatLon,
    ends_after: DateTime<Utc>,
    starts_before: DateTime<Utc>,
) -> std::result::Result<Vec<String>, BenchGeoError> {
    let starts_after = ends_after - chrono::Duration::hours(MAX_ACTIVITY_HOURS);
    let cell = geo::cell_of(center);
    let first = crate::store::FIRST_PER_CELL;
    let lines = match store.pool() {
        Pool::Sqlite(p) => {
            let sql = crate::store::sqlite_cell_query(0, 4, first);
            sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {sql}"))
                .bind(starts_after)
                .bind(starts_before)
                .bind(ends_after)
                .bind(cell)
                .fetch_all(p)
                .await
                .map_err(StoreError::from)?
                .into_iter()
                .map(|(id, parent, _, detail)| format!("{id} <- {parent}: {detail}"))
                .collect()
        }
        Pool::Postgres(p) => {
            let sql = crate::store::SOONEST_PER_CELL_POSTGRES;
            sqlx::query_scalar::<_, String>(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                .bind(starts_after)
                .bind(starts_before)
                .bind(ends_after)
                .bind(vec![cell])
                .bind(vec![0i64])
                .bind(vec![i64::try_from(first).unwrap_or(i64::MAX)])
                .fetch_all(p)
                .await
                .map_err(StoreError::from)?
        }
    };
    Ok(lines)
}

/// The highest member id (0 with none): the members added after it are a phase's own.
pub async fn max_member_id(store: &Store) -> Result<i64> {
    Ok(on_pool!(store, p => {
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM members")
            .fetch_one(p)
            .await?
    }))
}

/// Moves every pending delivery's next attempt to `at` (a later phase's measurement does not
/// meet an earlier phase's backlog, or does on purpose). Returns the rows moved.
pub async fn set_pending_attempt(store: &Store, at: DateTime<Utc>) -> Result<u64> {
    Ok(on_pool!(store, p => {
        sqlx::query("UPDATE outbox SET next_attempt_at = $1 WHERE status = 'pending'")
            .bind(at)
            .execute(p)
            .await?
            .rows_affected()
    }))
}

/// Deliveries not yet sent (pending or being sent) of the members with an id above
/// `after_member`.
pub async fn unsent_after(store: &Store, after_member: i64) -> Result<i64> {
    Ok(on_pool!(store, p => {
        sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM outbox
             WHERE member_id > $1 AND status IN ('pending', 'sending')",
        )
        .bind(after_member)
        .fetch_one(p)
        .await?
    }))
}

/// When each lesson of the members with an id above `after_member` was due and sent.
pub async fn lesson_times_after(
    store: &Store,
    after_member: i64,
) -> Result<Vec<(DateTime<Utc>, DateTime<Utc>)>> {
    Ok(on_pool!(store, p => {
        sqlx::query_as(
            "SELECT due_at, sent_at FROM outbox
             WHERE member_id > $1 AND kind = $2 AND status = 'sent' AND sent_at IS NOT NULL",
        )
        .bind(after_member)
        .bind(OutboxKind::Lesson.as_str())
        .fetch_all(p)
        .await?
    }))
}

/// Gives the members with an id above `after_member` the lesson time `time` ("HH:MM", their
/// zone's), so that their next lesson is planned a day later at that time.
pub async fn set_lesson_time(store: &Store, after_member: i64, time: &str) -> Result<u64> {
    Ok(on_pool!(store, p => {
        sqlx::query("UPDATE members SET lesson_time = $1 WHERE id > $2")
            .bind(time)
            .bind(after_member)
            .execute(p)
            .await?
            .rows_affected()
    }))
}
