//! The benchmarks' bulk loaders, for the rows of a scratch database that the store's own
//! writers would take too long to write: they write one row at a time (a statement or
//! two, often a transaction, per row), and a benchmark needs hundreds of thousands to
//! millions. What the store writes fast enough is written with the store's writers
//! (venues with `upsert_venues`, the benchmarks' new activities with `upsert_activities`,
//! their outbox rows with `enqueue_many`, lessons with the planner).
//!
//! The loaders write multi-row `INSERT`s (1,000 rows each) or one `INSERT ... SELECT` per
//! batch, in one transaction per call, with the same columns and values (and the same grid
//! cells, from `domain::geo::cell_of`) as the store's writers: the test below reads rows of
//! both back through the store and compares them. Also the housekeeping a service would
//! have done by the time its tables are this big.

use chrono::{DateTime, Utc};

use crate::domain::geo::{self, LatLon};
use crate::store::{NewActivity, NewDelivery, Pool, Result, Store, in_tx, on_pool};

/// Rows per multi-row `INSERT` (at most 10 values each: 10,000 placeholders, below both
/// databases' limits: 32,766 for SQLite, 65,535 for PostgreSQL).
const ROWS_PER_INSERT: usize = 1_000;

/// Rows per `INSERT` of [`enqueue_positional`], as in `enqueue_many`.
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
        if matches!($store.pool(), Pool::Sqlite(_)) {
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

// ----- members ---------------------------------------------------------------------------

/// Creates `count` onboarded members on `channel` with chat ids `first_chat..`, enrolled
/// in `course` with their next lesson at `next_due`, in transactions of 1,000: one
/// `INSERT ... SELECT` over a series for the members and one for their enrollments. (The
/// store creates a member with `create_member`, `save_member` and `enroll`: four statements
/// per member, for the benchmarks' million members.)
#[allow(clippy::too_many_arguments)]
pub async fn members(
    store: &Store,
    channel: &str,
    first_chat: i64,
    count: i64,
    branch: &str,
    course: &str,
    next_due: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<()> {
    const CHUNK: i64 = 1_000;
    let mut start = 0;
    while start < count {
        let end = (start + CHUNK).min(count);
        in_tx!(store, tx => {
            let before: i64 = sqlx::query_scalar("SELECT CAST(COALESCE(MAX(id), 0) AS BIGINT) FROM members")
                .fetch_one(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO members (channel, chat_id, display_name, branch_id, home_branch_id, locale, timezone,
                                      lesson_time, status, onboarded, dialog, created_at, updated_at)
                 SELECT $1, CAST(($2 + n) AS TEXT), 'member ' || CAST(n AS TEXT), $3, $3, 'zh-CN', 'Asia/Shanghai',
                        '07:30', 'active', TRUE, 'idle', $4, $4
                 FROM (WITH RECURSIVE seq(n) AS (SELECT $5 UNION ALL SELECT n + 1 FROM seq WHERE n + 1 < $6)
                       SELECT n FROM seq) AS s",
            )
            .bind(channel)
            .bind(first_chat)
            .bind(branch)
            .bind(now)
            .bind(start)
            .bind(end)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "INSERT INTO enrollments (member_id, course, next_seq, next_due_at, started_at)
                 SELECT id, $1, 1, $2, $3 FROM members WHERE id > $4",
            )
            .bind(course)
            .bind(next_due)
            .bind(now)
            .bind(before)
            .execute(&mut *tx)
            .await?;
        });
        start = end;
    }
    Ok(())
}

/// Moves every open enrollment's next lesson to `at` (another lesson day): one `UPDATE`
/// instead of the store's `set_next_due` per member.
pub async fn set_all_next_due(store: &Store, at: DateTime<Utc>) -> Result<u64> {
    let n = on_pool!(store, p => {
        sqlx::query("UPDATE enrollments SET next_due_at = $1 WHERE completed_at IS NULL")
            .bind(at)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Marks every `every`-th member as away from home since `since`: one `UPDATE` instead of
/// the store's `set_away` (a transaction) per member. None of them has a location yet.
pub async fn mark_away(store: &Store, every: i64, since: DateTime<Utc>) -> Result<u64> {
    let n = on_pool!(store, p => {
        sqlx::query("UPDATE members SET away_since = $2 WHERE id % $1 = 0")
            .bind(every)
            .bind(since)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(n)
}

/// Every member away from home agrees to their locations being stored (since `at`): one
/// `UPDATE` instead of the store's `set_location_consent` per member. Returns how many.
pub async fn consent_away(store: &Store, at: DateTime<Utc>) -> Result<u64> {
    let n = on_pool!(store, p => {
        sqlx::query("UPDATE members SET location_consent_at = $1 WHERE away_since IS NOT NULL")
            .bind(at)
            .execute(p)
            .await?
            .rows_affected()
    });
    Ok(n)
}

// ----- check-ins and statistics ----------------------------------------------------------

/// Check-ins of one day for every member with probability `chance`, in member order
/// (lesson `lesson_id`, times spread over ten hours from `day_start`), in one
/// `INSERT ... SELECT` (the store's `record_checkin` is a transaction per check-in, with
/// its rollups, and `weike bench stats` writes millions). The rollups are made afterwards
/// by [`build_rollups`]. Returns the rows written.
pub async fn checkins_of_day(
    store: &Store,
    day_start: DateTime<Utc>,
    lesson_id: &str,
    chance: f64,
) -> Result<u64> {
    let members: i64 = on_pool!(store, p => {
        sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM members").fetch_one(p).await?
    });
    let n = in_tx!(store, tx => {
        match store.pool() {
            Pool::Sqlite(_) => sqlx::query(
                "INSERT INTO checkins (member_id, course, lesson_id, at, away)
                 SELECT id, 'bench', $1,
                        strftime('%Y-%m-%dT%H:%M:%S+00:00', $2, '+' || (id * 36000 / $3) || ' seconds'),
                        (away_since IS NOT NULL)
                 FROM members WHERE (abs(random()) % 1000000) < $4 ORDER BY id
                 ON CONFLICT DO NOTHING",
            ),
            Pool::Postgres(_) => sqlx::query(
                "INSERT INTO checkins (member_id, course, lesson_id, at, away)
                 SELECT id, 'bench', $1, $2::timestamptz + make_interval(secs => id * 36000 / $3),
                        (away_since IS NOT NULL)
                 FROM members WHERE (random() * 1000000) < $4 ORDER BY id
                 ON CONFLICT DO NOTHING",
            ),
        }
        .bind(lesson_id)
        .bind(crate::store::db_time(day_start))
        .bind(members.max(1))
        .bind((chance * 1_000_000.0) as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected()
    });
    Ok(n)
}

/// The rollup rows of every check-in, made in one pass as the service makes them one
/// check-in at a time: per member and week (Monday in a zone `utc_offset_hours` from UTC,
/// without daylight saving time), per member and `season` for check-ins in [from, to), and
/// per branch and lesson.
pub async fn build_rollups(
    store: &Store,
    utc_offset_hours: i32,
    season: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<()> {
    let week = match store.pool() {
        Pool::Sqlite(_) => {
            format!("'w:' || date(c.at, '{utc_offset_hours:+} hours', '-6 days', 'weekday 1')")
        }
        Pool::Postgres(_) => format!(
            "'w:' || to_char(date_trunc('week', c.at + interval '{utc_offset_hours} hours'), 'YYYY-MM-DD')"
        ),
    };
    let by_week = format!(
        "INSERT INTO activity_rollup (period, member_id, branch_id, migrant, checkins, answered, correct, points, away_checkins)
         SELECT {week}, c.member_id, COALESCE(MIN(m.branch_id), ''), MIN(CASE WHEN m.away_since IS NULL THEN 0 ELSE 1 END) = 1,
                COUNT(*), 0, 0, 0, SUM(CASE WHEN c.away THEN 1 ELSE 0 END)
         FROM checkins c JOIN members m ON m.id = c.member_id GROUP BY 1, 2"
    );
    let by_season = "INSERT INTO activity_rollup (period, member_id, branch_id, migrant, checkins, answered, correct, points, away_checkins)
         SELECT $1, c.member_id, COALESCE(MIN(m.branch_id), ''), MIN(CASE WHEN m.away_since IS NULL THEN 0 ELSE 1 END) = 1,
                COUNT(*), 0, 0, 0, SUM(CASE WHEN c.away THEN 1 ELSE 0 END)
         FROM checkins c JOIN members m ON m.id = c.member_id WHERE c.at >= $2 AND c.at < $3 GROUP BY c.member_id";
    let by_lesson = "INSERT INTO lesson_rollup (branch_id, course, lesson_id, assigned, checked_in)
         SELECT COALESCE(m.branch_id, ''), c.course, c.lesson_id, COUNT(*), COUNT(*)
         FROM checkins c JOIN members m ON m.id = c.member_id GROUP BY 1, 2, 3";
    in_tx!(store, tx => {
        sqlx::query(&by_week).execute(&mut *tx).await?;
        sqlx::query(by_season).bind(season).bind(from).bind(to).execute(&mut *tx).await?;
        sqlx::query(by_lesson).execute(&mut *tx).await?;
    });
    Ok(())
}

// ----- venues, activities, locations, outbox -----------------------------------------------

/// Adds scheduled activities in one transaction; each takes its venue's cell and position,
/// as `upsert_activities` does (an activity whose venue does not exist is left out).
/// Returns how many were written. (`upsert_activities`, a lookup and an upsert per row,
/// loaded `weike bench geo`'s 500,000 activities in 55 s instead of 18 s on SQLite, 138 s
/// instead of 21 s on PostgreSQL.)
pub async fn activities(
    store: &Store,
    activities: &[NewActivity],
    now: DateTime<Utc>,
) -> Result<u64> {
    let mut n = 0;
    in_tx!(store, tx => {
        let cache = bulk_cache_on!(store, tx);
        for chunk in activities.chunks(ROWS_PER_INSERT) {
            // Joined with the venues once (one subquery per value would open a cursor
            // each, and SQLite's cost of opening one grows with those open).
            let values = values_list(store.pool(), chunk.len(), "(?, ?, ?, ?, ?, ?, ?, ?, ?)");
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

/// For each `(member, point, when)`, one stored point and the member's latest location, as
/// `save_location` writes them; one transaction. The members must not have a latest
/// location yet. Returns how many. (`save_location`, a transaction per point, loaded
/// `weike bench geo`'s 100,000 in 54 s instead of 4 s on SQLite, 104 s instead of 7 s on
/// PostgreSQL.)
pub async fn last_locations(store: &Store, points: &[(i64, LatLon, DateTime<Utc>)]) -> Result<u64> {
    let mut n = 0;
    in_tx!(store, tx => {
        let cache = bulk_cache_on!(store, tx);
        for chunk in points.chunks(ROWS_PER_INSERT) {
            let history = values_list(store.pool(), chunk.len(), "(?, ?, ?, ?)");
            let sql = format!("INSERT INTO member_locations (member_id, lat, lon, at) VALUES {history}");
            let mut q = sqlx::query(&sql);
            for (member_id, at, when) in chunk {
                q = q.bind(*member_id).bind(at.lat).bind(at.lon).bind(*when);
            }
            q.execute(&mut *tx).await?;
            // The members are away from home (see `queries::away_members`).
            let latest = values_list(store.pool(), chunk.len(), "(?, ?, ?, ?, ?, TRUE)");
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

/// The outbox rows `enqueue_many` writes, as multi-row `VALUES` of bound values (500 rows
/// a statement; plain `?` placeholders on SQLite, whose binding of numbered ones is
/// quadratic): not a loader but the other way of writing them, timed against
/// `enqueue_many`'s (one JSON parameter), so its own SQL.
pub async fn enqueue_positional(
    store: &Store,
    deliveries: &[NewDelivery],
    now: DateTime<Utc>,
) -> Result<u64> {
    if deliveries.is_empty() {
        return Ok(0);
    }
    let mut new = 0;
    in_tx!(store, tx => {
        for chunk in deliveries.chunks(ENQUEUE_CHUNK) {
            let values = values_list(store.pool(), chunk.len(), "(?, ?, ?, ?, ?, ?, ?)");
            let sql = format!(
                "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
                 VALUES {values} ON CONFLICT (dedup_key) WHERE {not_lesson} DO NOTHING",
                not_lesson = crate::not_lesson!()
            );
            let mut q = sqlx::query(&sql);
            for d in chunk {
                q = q
                    .bind(d.member_id)
                    .bind(d.kind.as_str())
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

// ----- housekeeping ------------------------------------------------------------------------

/// After a bulk load, what autovacuum and a periodic `ANALYZE` would have done by the time
/// the tables are this big: the query planner's statistics and, on PostgreSQL, the
/// visibility map of `tables` (so that index-only scans need not visit the table rows).
pub async fn analyze(store: &Store, tables: &[&str]) -> Result<()> {
    match store.pool() {
        Pool::Sqlite(p) => {
            sqlx::query("ANALYZE").execute(p).await?;
        }
        Pool::Postgres(p) => {
            for table in tables {
                sqlx::query(&format!("VACUUM (ANALYZE) {table}"))
                    .execute(p)
                    .await?;
            }
            sqlx::query("ANALYZE").execute(p).await?;
        }
    }
    Ok(())
}

/// A quiet moment of the service before a timed write. On SQLite the log is copied into
/// the database file and emptied, as the background checkpoints do whenever writing
/// pauses; PostgreSQL checkpoints in its own processes, so nothing is done.
pub async fn quiet(store: &Store) -> Result<()> {
    if let Pool::Sqlite(p) = store.pool() {
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(p)
            .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveTime, TimeZone};

    use super::*;
    use crate::domain::{Dialog, Locale, Member};
    use crate::store::{Activity, NewVenue};

    /// Rows written by the loaders read back through the store as the rows its own writers
    /// write: the benchmarks measure the service's rows.
    #[tokio::test]
    async fn bulk_rows_read_back_as_the_stores_own() -> anyhow::Result<()> {
        let dir = tempfile::tempdir()?;
        let store =
            Store::connect(&format!("sqlite://{}", dir.path().join("t.db").display())).await?;
        store.migrate().await?;
        let now = Utc
            .with_ymd_and_hms(2026, 6, 1, 2, 0, 0)
            .single()
            .ok_or_else(|| anyhow::anyhow!("no such time"))?;
        let due = now + chrono::Duration::days(1);

        // A member loaded, and one as the store creates, onboards and enrolls one.
        members(&store, "telegram", 100, 1, "b", "bench", due, now).await?;
        let loaded = store
            .member_by_chat("telegram", "100")
            .await?
            .ok_or_else(|| anyhow::anyhow!("not loaded"))?;
        let mut own = store
            .create_member(
                "telegram",
                "200",
                Locale::ZhCn,
                "Asia/Shanghai",
                NaiveTime::from_hms_opt(7, 30, 0).unwrap_or_default(),
                &Dialog::Idle.encode(),
                now,
            )
            .await?;
        own.display_name = Some("member 0".into());
        own.branch_id = Some("b".into());
        own.onboarded = true;
        store.save_member(&own, now).await?;
        store.enroll(own.id, "bench", Some(due), now).await?;
        assert_eq!(
            store.member(own.id).await?,
            Some(Member {
                id: own.id,
                chat_id: own.chat_id.clone(),
                ..loaded.clone()
            })
        );
        let enrollment = store.enrollment(loaded.id, "bench").await?;
        assert_eq!(
            store.enrollment(own.id, "bench").await?,
            enrollment.map(|e| crate::store::Enrollment {
                member_id: own.id,
                ..e
            })
        );

        // An activity loaded (one at a venue that does not exist is left out), and one
        // written by the store; both found where their venue is.
        let venue = NewVenue {
            id: "v1".into(),
            name: "驿站".into(),
            location: LatLon {
                lat: 31.23,
                lon: 121.47,
            },
            address: None,
            radius_km: 10.0,
            branch_id: Some("b".into()),
        };
        store
            .upsert_venues(std::slice::from_ref(&venue), now)
            .await?;
        let activity = |id: &str, venue_id: &str| NewActivity {
            id: id.into(),
            venue_id: venue_id.into(),
            title: "学习".into(),
            description: Some("交流".into()),
            starts_at: now + chrono::Duration::hours(1),
            ends_at: now + chrono::Duration::hours(3),
            timezone: "Asia/Shanghai".into(),
            capacity: Some(30),
        };
        store
            .upsert_activities(&[activity("own", "v1")], now)
            .await?;
        let written = activities(
            &store,
            &[activity("loaded", "v1"), activity("lost", "nowhere")],
            now,
        )
        .await?;
        assert_eq!(written, 1);
        let anonymous = |a: Option<Activity>| {
            a.map(|a| Activity {
                id: "-".into(),
                ..a
            })
        };
        assert!(store.activity("own").await?.is_some());
        assert_eq!(
            anonymous(store.activity("loaded").await?),
            anonymous(store.activity("own").await?)
        );
        let near = store
            .activities_near(venue.location, 1_000.0, now, due, 10)
            .await?;
        let mut ids: Vec<&str> = near.found.iter().map(|n| n.activity.id.as_str()).collect();
        ids.sort();
        assert_eq!(ids, ["loaded", "own"]);

        // Both away from home with a location: loaded, and saved by the store.
        assert_eq!(mark_away(&store, 1, now).await?, 2);
        let at = LatLon {
            lat: 31.24,
            lon: 121.48,
        };
        assert_eq!(last_locations(&store, &[(loaded.id, at, now)]).await?, 1);
        store.save_location(own.id, at, now).await?;
        for id in [loaded.id, own.id] {
            assert_eq!(store.last_location(id).await?, Some((at, now)));
            assert_eq!(store.location_count(id).await?, 1);
        }
        let mut near: Vec<i64> = store
            .migrants_near(at, 1_000.0, now)
            .await?
            .iter()
            .map(|m| m.member_id)
            .collect();
        near.sort();
        assert_eq!(near, [loaded.id, own.id]);

        // Outbox rows written both ways are claimed alike.
        let delivery = |key: &str| NewDelivery {
            member_id: own.id,
            kind: crate::domain::outbox::OutboxKind::ActivityNew,
            reference: "own".into(),
            dedup_key: key.into(),
            due_at: now,
        };
        assert_eq!(store.enqueue_many(&[delivery("json")], now).await?, 1);
        assert_eq!(
            enqueue_positional(&store, &[delivery("values")], now).await?,
            1
        );
        let claimed = store
            .claim_due("telegram", "w", now, now + chrono::Duration::minutes(1), 10)
            .await?;
        let mut claimed: Vec<_> = claimed
            .into_iter()
            .map(|c| crate::store::OutboxItem {
                id: 0,
                kind: "-".into(),
                dedup_key: "-".into(),
                ..c
            })
            .collect();
        assert_eq!(claimed.len(), 2);
        assert_eq!(claimed.pop(), claimed.pop());
        store.close().await;
        Ok(())
    }
}
