//! Benchmarks (`weike bench geo`): bulk loaders for venues, activities and the locations of
//! migrant members, and counts of the rows a nearby search looks at. Multi-row `INSERT`s
//! (1,000 rows each) in one transaction per call, with the same columns (and the same grid
//! cells, from `domain::geo::cell_of`) as the real writes in `venues.rs`.

use chrono::{DateTime, Utc};

use super::{NewActivity, NewDelivery, NewVenue, Pool, Result, Store};
use crate::domain::geo::{self, GeoError, LatLon};

/// Rows per multi-row `INSERT` (at most 10 values each: 10,000 placeholders, below both
/// databases' limits: 32,766 for SQLite, 65,535 for PostgreSQL).
const ROWS_PER_INSERT: usize = 1_000;

/// Rows per `INSERT` of [`Store::bench_enqueue_positional`], as in `enqueue_many`.
const ENQUEUE_CHUNK: usize = 500;

/// SQLite: the page cache (KiB) of the connection a bulk load runs on, while it runs: the
/// indexes take random inserts, and with the usual cache (32 MiB) most of them would read
/// and spill pages (loading 500,000 activities took minutes). Set back afterwards, so that
/// the timed queries see the cache the service has.
const BULK_CACHE_KIB: i64 = 1_000_000;

/// SQLite: sets the page cache of the connection of the load's transaction `$tx` to
/// [`BULK_CACHE_KIB`]; gives the size it had (None on PostgreSQL), for `bulk_cache_off!`.
macro_rules! bulk_cache_on {
    ($store:expr, $tx:ident) => {
        if matches!($store.pool, Pool::Sqlite(_)) {
            let old: i64 = sqlx::query_scalar("PRAGMA cache_size")
                .fetch_one(&mut *$tx)
                .await?;
            sqlx::query(&format!("PRAGMA cache_size = -{BULK_CACHE_KIB}"))
                .execute(&mut *$tx)
                .await?;
            Some(old)
        } else {
            None
        }
    };
}

/// Sets back the page cache `bulk_cache_on!` gave.
macro_rules! bulk_cache_off {
    ($tx:ident, $old:expr) => {
        if let Some(old) = $old {
            sqlx::query(&format!("PRAGMA cache_size = {old}"))
                .execute(&mut *$tx)
                .await?;
        }
    };
}

/// `rows` copies of `row` (a tuple with `?` for each value) joined by commas: as they are
/// for SQLite, numbered `$1, $2, ...` for PostgreSQL. (Numbered placeholders would make
/// binding quadratic on SQLite: sqlx looks up each one's name, and SQLite finds a name by
/// walking the list of all of them.)
fn values_list(pool: &Pool, rows: usize, row: &str) -> String {
    let all = vec![row; rows].join(", ");
    match pool {
        Pool::Sqlite(_) => all,
        Pool::Postgres(_) => {
            let mut out = String::with_capacity(all.len() * 2);
            let mut n = 0;
            for ch in all.chars() {
                if ch == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(ch);
                }
            }
            out
        }
    }
}

/// `select` (with `{lo}` and `{hi}`) once per cell range, as `SUM` over a `UNION ALL` of
/// counts (an `OR` of ranges would not use the index); ranges bound from `$first` on.
fn sum_over_ranges(select: &str, ranges: usize, first: usize) -> String {
    format!(
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM ({}) AS counts",
        super::venues::union_of_ranges(select, ranges, first)
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

impl Store {
    /// Benchmarks: adds venues (all open) in one transaction; returns how many.
    pub async fn bench_venues(&self, venues: &[NewVenue], now: DateTime<Utc>) -> Result<u64> {
        let mut n = 0;
        in_tx!(self, tx => {
            let cache = bulk_cache_on!(self, tx);
            for chunk in venues.chunks(ROWS_PER_INSERT) {
                let values = values_list(&self.pool, chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)");
                let sql = format!(
                    "INSERT INTO venues (id, name, lat, lon, cell, address, radius_km, branch_id, status, created_at, updated_at)
                     VALUES {values}"
                );
                let mut q = sqlx::query(&sql);
                for v in chunk {
                    q = q
                        .bind(&v.id)
                        .bind(&v.name)
                        .bind(v.location.lat)
                        .bind(v.location.lon)
                        .bind(geo::cell_of(v.location))
                        .bind(&v.address)
                        .bind(v.radius_km)
                        .bind(&v.branch_id)
                        .bind(now)
                        .bind(now);
                }
                n += q.execute(&mut *tx).await?.rows_affected();
            }
            bulk_cache_off!(tx, cache);
        });
        Ok(n)
    }

    /// Benchmarks: adds scheduled activities in one transaction; each takes its venue's
    /// cell and position, as `upsert_activities` does (an activity whose venue does not
    /// exist is left out). Returns how many were written.
    pub async fn bench_activities(
        &self,
        activities: &[NewActivity],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut n = 0;
        in_tx!(self, tx => {
            let cache = bulk_cache_on!(self, tx);
            for chunk in activities.chunks(ROWS_PER_INSERT) {
                // Joined with the venues once (one subquery per value would open a cursor
                // each, and SQLite's cost of opening one grows with those open).
                let values = values_list(&self.pool, chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
                let sql = format!(
                    "INSERT INTO activities (id, venue_id, cell, lat, lon, title, description, starts_at, ends_at,
                                             timezone, capacity, status, created_at, updated_at)
                     SELECT x.column1, v.id, v.cell, v.lat, v.lon, x.column3, x.column4, x.column5, x.column6,
                            x.column7, x.column8, 'scheduled', x.column9, x.column9
                     FROM (VALUES {values}) AS x JOIN venues v ON v.id = x.column2"
                );
                let mut q = sqlx::query(&sql);
                for a in chunk {
                    q = q
                        .bind(&a.id)
                        .bind(&a.venue_id)
                        .bind(&a.title)
                        .bind(&a.description)
                        .bind(a.starts_at)
                        .bind(a.ends_at)
                        .bind(&a.timezone)
                        .bind(a.capacity)
                        .bind(now);
                }
                n += q.execute(&mut *tx).await?.rows_affected();
            }
            bulk_cache_off!(tx, cache);
        });
        Ok(n)
    }

    /// Benchmarks: the ids of the members away from home, in order.
    pub async fn bench_away_members(&self) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT id FROM members WHERE away_since IS NOT NULL ORDER BY id")
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Benchmarks: for each `(member, point, when)`, one stored point and the member's
    /// latest location, as `save_location` writes them; one transaction. The members must
    /// not have a latest location yet. Returns how many.
    pub async fn bench_last_locations(
        &self,
        points: &[(i64, LatLon, DateTime<Utc>)],
    ) -> Result<u64> {
        let mut n = 0;
        in_tx!(self, tx => {
            let cache = bulk_cache_on!(self, tx);
            for chunk in points.chunks(ROWS_PER_INSERT) {
                let history = values_list(&self.pool, chunk.len(), "(?, ?, ?, ?)");
                let sql = format!("INSERT INTO member_locations (member_id, lat, lon, at) VALUES {history}");
                let mut q = sqlx::query(&sql);
                for (member_id, at, when) in chunk {
                    q = q.bind(*member_id).bind(at.lat).bind(at.lon).bind(*when);
                }
                q.execute(&mut *tx).await?;
                // The members are away from home (see `bench_away_members`).
                let latest = values_list(&self.pool, chunk.len(), "(?, ?, ?, ?, ?, TRUE)");
                let sql = format!("INSERT INTO last_locations (member_id, lat, lon, cell, at, away) VALUES {latest}");
                let mut q = sqlx::query(&sql);
                for (member_id, at, when) in chunk {
                    q = q
                        .bind(*member_id)
                        .bind(at.lat)
                        .bind(at.lon)
                        .bind(geo::cell_of(*at))
                        .bind(*when);
                }
                n += q.execute(&mut *tx).await?.rows_affected();
            }
            bulk_cache_off!(tx, cache);
        });
        Ok(n)
    }

    /// Benchmarks: the outbox rows `enqueue_many` writes, as multi-row `VALUES` of bound
    /// values (500 rows a statement; plain `?` placeholders on SQLite, whose binding of
    /// numbered ones is quadratic), for comparing with `enqueue_many`'s way.
    pub async fn bench_enqueue_positional(
        &self,
        deliveries: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        if deliveries.is_empty() {
            return Ok(0);
        }
        let mut new = 0;
        in_tx!(self, tx => {
            for chunk in deliveries.chunks(ENQUEUE_CHUNK) {
                let values = values_list(&self.pool, chunk.len(), "(?, ?, ?, ?, ?, ?, ?)");
                let sql = format!(
                    "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
                     VALUES {values} ON CONFLICT (dedup_key) DO NOTHING"
                );
                let mut q = sqlx::query(&sql);
                for d in chunk {
                    q = q
                        .bind(d.member_id)
                        .bind(&d.kind)
                        .bind(&d.reference)
                        .bind(&d.dedup_key)
                        .bind(d.due_at)
                        .bind(d.due_at)
                        .bind(now);
                }
                new += q.execute(&mut *tx).await?.rows_affected();
            }
        });
        Ok(new)
    }

    /// Benchmarks: every member away from home agrees to their locations being stored
    /// (since `at`). Returns how many.
    pub async fn bench_consent_away(&self, at: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE members SET location_consent_at = $1 WHERE away_since IS NOT NULL")
                .bind(at)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n)
    }

    /// Benchmarks: what `activities_near` with these arguments reads, counted.
    pub async fn bench_nearby_candidates(
        &self,
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
        let (in_cells, returned): (i64, i64) = on_pool!(self, p => {
            let mut q = sqlx::query_scalar(&in_cells_sql);
            for (lo, hi) in &ranges {
                q = q.bind(*lo).bind(*hi);
            }
            let in_cells = q.fetch_one(p).await.map_err(super::StoreError::from)?;
            let mut q = sqlx::query_scalar(&returned_sql)
                .bind(ends_after)
                .bind(starts_before)
                .bind(ends_after - chrono::Duration::hours(crate::domain::venue_csv::MAX_ACTIVITY_HOURS));
            for (lo, hi) in &ranges {
                q = q.bind(*lo).bind(*hi);
            }
            (in_cells, q.fetch_one(p).await.map_err(super::StoreError::from)?)
        });
        Ok(NearbyCandidates { in_cells, returned })
    }

    /// Benchmarks: the rows `migrants_near` with these arguments gets from the database
    /// (before the exact distance is checked).
    pub async fn bench_migrant_candidates(
        &self,
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
        let n: i64 = on_pool!(self, p => {
            let mut q = sqlx::query_scalar(&sql).bind(fresh_since);
            for (lo, hi) in &ranges {
                q = q.bind(*lo).bind(*hi);
            }
            q.fetch_one(p).await.map_err(super::StoreError::from)?
        });
        Ok(n)
    }

    /// Benchmarks: scheduled activities that end after `from` and start before `to` (the
    /// nearby window), over all venues.
    pub async fn bench_activities_in_window(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<i64> {
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT CAST(COUNT(*) AS BIGINT) FROM activities
                 WHERE status = 'scheduled' AND ends_at > $1 AND starts_at < $2",
            )
            .bind(from)
            .bind(to)
            .fetch_one(p)
            .await?
        });
        Ok(n)
    }

    /// Benchmarks: a quiet moment of the service before a timed write. On SQLite the log is
    /// copied into the database file and emptied, as the background checkpoints do whenever
    /// writing pauses; PostgreSQL checkpoints in its own processes, so nothing is done.
    pub async fn bench_quiet(&self) -> Result<()> {
        if let Pool::Sqlite(p) = &self.pool {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(p)
                .await?;
        }
        Ok(())
    }

    /// Benchmarks: after the bulk loads, what autovacuum and a periodic `ANALYZE` would
    /// have done by the time the tables are this big (planner statistics; on PostgreSQL
    /// also the visibility map, for index-only scans; on SQLite the log of the bulk load
    /// copied into the database file, as the background checkpoints do within seconds).
    pub async fn bench_geo_analyze(&self) -> Result<()> {
        match &self.pool {
            Pool::Sqlite(p) => {
                sqlx::query("ANALYZE").execute(p).await?;
                sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                    .execute(p)
                    .await?;
            }
            Pool::Postgres(p) => {
                for table in [
                    "members",
                    "enrollments",
                    "venues",
                    "activities",
                    "member_locations",
                    "last_locations",
                    "outbox",
                ] {
                    sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
                        .execute(p)
                        .await?;
                }
                sqlx::query("ANALYZE").execute(p).await?;
            }
        }
        Ok(())
    }

    /// Benchmarks: the query plan of the statement `activities_near` sends for its first
    /// round, for the cell of `center` alone (SQLite: `EXPLAIN QUERY PLAN` of one per-cell
    /// part; PostgreSQL: `EXPLAIN (ANALYZE, BUFFERS)` of the statement over arrays), one
    /// line per row. The SQL comes from `venues.rs`.
    pub async fn bench_explain_nearby(
        &self,
        center: LatLon,
        ends_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
    ) -> std::result::Result<Vec<String>, BenchGeoError> {
        let starts_after =
            ends_after - chrono::Duration::hours(crate::domain::venue_csv::MAX_ACTIVITY_HOURS);
        let cell = geo::cell_of(center);
        let first = super::venues::FIRST_PER_CELL;
        let lines = match &self.pool {
            Pool::Sqlite(p) => {
                let sql = super::venues::sqlite_cell_query(0, 4, first);
                sqlx::query_as::<_, (i64, i64, i64, String)>(&format!("EXPLAIN QUERY PLAN {sql}"))
                    .bind(starts_after)
                    .bind(starts_before)
                    .bind(ends_after)
                    .bind(cell)
                    .fetch_all(p)
                    .await
                    .map_err(super::StoreError::from)?
                    .into_iter()
                    .map(|(id, parent, _, detail)| format!("{id} <- {parent}: {detail}"))
                    .collect()
            }
            Pool::Postgres(p) => {
                let sql = super::venues::SOONEST_PER_CELL_POSTGRES;
                sqlx::query_scalar::<_, String>(&format!("EXPLAIN (ANALYZE, BUFFERS) {sql}"))
                    .bind(starts_after)
                    .bind(starts_before)
                    .bind(ends_after)
                    .bind(vec![cell])
                    .bind(vec![0i64])
                    .bind(vec![i64::try_from(first).unwrap_or(i64::MAX)])
                    .fetch_all(p)
                    .await
                    .map_err(super::StoreError::from)?
            }
        };
        Ok(lines)
    }
}

/// A benchmark count that could not run: a bad centre or radius, or the database.
#[derive(Debug, thiserror::Error)]
pub enum BenchGeoError {
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}
