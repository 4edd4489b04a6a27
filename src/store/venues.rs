//! Venues (红色驿站) and their activities, RSVPs, in-person attendance, and the locations
//! members share. Nearby searches use the grid cell column of `domain::geo`: one indexed
//! range per run of cells (`UNION ALL` of `cell BETWEEN lo AND hi`), then the exact distance.

use chrono::{DateTime, Duration, Utc};

use super::{NewDelivery, Pool, Result, Store, json_rows};
use crate::domain::geo::{self, GeoError, LatLon};
use crate::domain::outbox::OutboxKind;
use crate::domain::venue_csv::{ActivityRow, MAX_ACTIVITY_HOURS, VenueRow};

pub const VENUE_OPEN: &str = "open";
pub const VENUE_REMOVED: &str = "removed";
pub const ACTIVITY_SCHEDULED: &str = "scheduled";
pub const ACTIVITY_CANCELLED: &str = "cancelled";

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Venue {
    pub id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    pub address: Option<String>,
    pub radius_km: f64,
    pub branch_id: Option<String>,
    pub status: String,
}

impl Venue {
    pub fn location(&self) -> LatLon {
        LatLon {
            lat: self.lat,
            lon: self.lon,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Activity {
    pub id: String,
    pub venue_id: String,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub capacity: Option<i64>,
    pub status: String,
    pub cancel_note: Option<String>,
}

impl Activity {
    pub fn is_scheduled(&self) -> bool {
        self.status == ACTIVITY_SCHEDULED
    }
}

/// A venue to add or replace.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVenue {
    pub id: String,
    pub name: String,
    pub location: LatLon,
    pub address: Option<String>,
    pub radius_km: f64,
    pub branch_id: Option<String>,
}

/// An activity to add or replace (its status is kept when it exists).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    pub id: String,
    pub venue_id: String,
    pub title: String,
    pub description: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub timezone: String,
    pub capacity: Option<i64>,
}

impl From<VenueRow> for NewVenue {
    /// A venue as a file's row or an admin's /venue_add wrote it.
    fn from(r: VenueRow) -> NewVenue {
        NewVenue {
            id: r.id,
            name: r.name,
            location: r.location,
            address: r.address,
            radius_km: r.radius_km,
            branch_id: r.branch,
        }
    }
}

impl From<ActivityRow> for NewActivity {
    /// An activity as a file's row or an admin's /activity_add wrote it.
    fn from(r: ActivityRow) -> NewActivity {
        NewActivity {
            id: r.id,
            venue_id: r.venue,
            title: r.title,
            description: r.description,
            starts_at: r.start,
            ends_at: r.end,
            timezone: r.timezone,
            capacity: r.capacity.map(i64::from),
        }
    }
}

/// An activity with its venue and the distance from the point searched from.
#[derive(Debug, Clone, PartialEq)]
pub struct Nearby {
    pub activity: Activity,
    pub venue: Venue,
    pub distance_m: f64,
}

/// What a nearby search found (see [`Store::activities_near`]).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct NearbyPage {
    /// In the order of start, distance, id.
    pub found: Vec<Nearby>,
    /// Whether more activities matched than were returned.
    pub more: bool,
}

/// An activity as the nearby index has it: enough to order and measure it.
#[derive(Debug, Clone, sqlx::FromRow)]
struct Candidate {
    slot: i64,
    id: String,
    starts_at: DateTime<Utc>,
    lat: f64,
    lon: f64,
}

/// Searches over at most this many grid cells ask each cell for its soonest activities;
/// wider ones (beyond about 50 km) read whole runs of cells.
pub const MAX_CELLS_PER_SEARCH: usize = 64;
/// Activities asked of each cell at first (then four times as many, as needed).
pub(crate) const FIRST_PER_CELL: usize = 16;

/// A member near a point, with the distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct MemberNear {
    pub member_id: i64,
    pub distance_m: f64,
}

/// RSVPs and attendance of one activity.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ActivityFigures {
    pub activity_id: String,
    pub title: String,
    pub venue_id: String,
    pub venue_name: String,
    pub branch_id: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub status: String,
    pub rsvps: i64,
    pub attended: i64,
}

#[derive(sqlx::FromRow)]
struct NearbyRow {
    id: String,
    venue_id: String,
    title: String,
    description: Option<String>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    timezone: String,
    capacity: Option<i64>,
    status: String,
    cancel_note: Option<String>,
    v_name: String,
    v_lat: f64,
    v_lon: f64,
    v_address: Option<String>,
    v_radius_km: f64,
    v_branch_id: Option<String>,
    v_status: String,
}

impl NearbyRow {
    fn split(self) -> (Activity, Venue) {
        let venue = Venue {
            id: self.venue_id.clone(),
            name: self.v_name,
            lat: self.v_lat,
            lon: self.v_lon,
            address: self.v_address,
            radius_km: self.v_radius_km,
            branch_id: self.v_branch_id,
            status: self.v_status,
        };
        let activity = Activity {
            id: self.id,
            venue_id: self.venue_id,
            title: self.title,
            description: self.description,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            timezone: self.timezone,
            capacity: self.capacity,
            status: self.status,
            cancel_note: self.cancel_note,
        };
        (activity, venue)
    }
}

const VENUE_COLUMNS: &str = "id, name, lat, lon, address, radius_km, branch_id, status";
const ACTIVITY_COLUMNS: &str =
    "id, venue_id, title, description, starts_at, ends_at, timezone, capacity, status, cancel_note";
const NEARBY_COLUMNS: &str = "a.id, a.venue_id, a.title, a.description, a.starts_at, a.ends_at, \
     a.timezone, a.capacity, a.status, a.cancel_note, v.name AS v_name, v.lat AS v_lat, \
     v.lon AS v_lon, v.address AS v_address, v.radius_km AS v_radius_km, \
     v.branch_id AS v_branch_id, v.status AS v_status";

/// `UNION ALL` of `select` once per cell range, where `select` contains `{lo}` and `{hi}`
/// for the range's placeholders; ranges are bound from `$first` on, two per range.
/// SQLite: the soonest `limit` activities of the cell bound at `$cell_param`, tagged `slot`
/// (one part of the `UNION ALL` of `soonest_per_cell`; `$1`-`$3` are the time bounds).
pub(crate) fn sqlite_cell_query(slot: usize, cell_param: usize, limit: usize) -> String {
    format!(
        "SELECT * FROM (SELECT CAST({slot} AS BIGINT) AS slot, id, starts_at, lat, lon
         FROM activities WHERE cell = ${cell_param} AND starts_at > $1 AND starts_at < $2
           AND ends_at > $3 AND status = 'scheduled'
         ORDER BY starts_at LIMIT {limit}) AS c{slot}"
    )
}

/// PostgreSQL: the soonest `$6[i]` activities of each cell `$4[i]`, tagged `$5[i]`, with
/// the time bounds `$1`-`$3` (`soonest_per_cell`).
pub(crate) const SOONEST_PER_CELL_POSTGRES: &str = "SELECT c.slot, a.id, a.starts_at, a.lat, a.lon
     FROM unnest($4::bigint[], $5::bigint[], $6::bigint[]) AS c(cell, slot, lim)
     CROSS JOIN LATERAL (
         SELECT id, starts_at, lat, lon FROM activities
         WHERE cell = c.cell AND starts_at > $1 AND starts_at < $2
           AND ends_at > $3 AND status = 'scheduled'
         ORDER BY starts_at LIMIT c.lim) AS a";

/// A JSON array of ids, for [`Store::json_ids`].
fn ids_json<'a>(ids: impl Iterator<Item = &'a str>) -> String {
    serde_json::Value::Array(ids.map(|id| id.into()).collect()).to_string()
}

/// `$first, $first + 1, ...`: `count` numbered placeholders, for an `IN` list (SQLite).
fn numbered_placeholders(first: usize, count: usize) -> String {
    (first..first + count)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(crate) fn union_of_ranges(select: &str, ranges: usize, first: usize) -> String {
    (0..ranges)
        .map(|i| {
            select
                .replace("{lo}", &format!("${}", first + 2 * i))
                .replace("{hi}", &format!("${}", first + 2 * i + 1))
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ")
}

impl Store {
    // ----- venues --------------------------------------------------------------------------

    /// Adds or replaces venues; returns how many were new. A venue that moved takes its
    /// activities' cells with it. See [`Self::upsert_venues_reporting`].
    pub async fn upsert_venues(&self, venues: &[NewVenue], now: DateTime<Utc>) -> Result<u64> {
        self.upsert_venues_reporting(venues, now, &|_| {}).await
    }

    /// [`Self::upsert_venues`] in transactions of [`BATCH_ROWS`] venues (each a few
    /// statements, the rows travelling as one JSON parameter), with [`BATCH_PAUSE`] between
    /// them so that other writers are not kept waiting; `written(n)` after each, `n` the
    /// venues written so far. Each batch is all or nothing; an error or a kill leaves the
    /// batches before it written (an upsert by id: writing the same venues again completes
    /// the work).
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    /// [`BATCH_PAUSE`]: super::BATCH_PAUSE
    pub async fn upsert_venues_reporting(
        &self,
        venues: &[NewVenue],
        now: DateTime<Utc>,
        written: &(dyn Fn(usize) + Sync),
    ) -> Result<u64> {
        // The rows as `[id, name, lat, lon, cell, address, radius_km, branch]`.
        let rows_sql = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
                        value ->> 6, value ->> 7, 'open', $2, $2
                 FROM json_each($1) WHERE true"
            }
            Pool::Postgres(_) => {
                "SELECT r ->> 0, r ->> 1, (r ->> 2)::float8, (r ->> 3)::float8, (r ->> 4)::bigint,
                        r ->> 5, (r ->> 6)::float8, r ->> 7, 'open', $2, $2
                 FROM jsonb_array_elements($1::jsonb) AS r"
            }
        };
        let upsert_sql = format!(
            "INSERT INTO venues (id, name, lat, lon, cell, address, radius_km, branch_id, status, created_at, updated_at)
             {rows_sql}
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat,
               lon = excluded.lon, cell = excluded.cell, address = excluded.address,
               radius_km = excluded.radius_km, branch_id = excluded.branch_id,
               status = 'open', updated_at = excluded.updated_at"
        );
        let existing_sql = format!(
            "SELECT COUNT(*) FROM venues WHERE id IN ({})",
            self.json_ids(1)
        );
        // Activities follow a venue that moved.
        let follow_sql = format!(
            "UPDATE activities SET cell = v.cell, lat = v.lat, lon = v.lon FROM venues v
             WHERE activities.venue_id IN ({}) AND v.id = activities.venue_id
               AND (activities.cell <> v.cell OR activities.lat <> v.lat OR activities.lon <> v.lon)",
            self.json_ids(1)
        );
        let mut new = 0;
        let mut done = 0;
        let mut batches = self.batches(venues);
        while let Some((_, batch)) = batches.next().await {
            let ids = ids_json(batch.iter().map(|v| v.id.as_str()));
            let rows = json_rows(batch, |v| {
                serde_json::json!([
                    v.id,
                    v.name,
                    v.location.lat,
                    v.location.lon,
                    geo::cell_of(v.location),
                    v.address,
                    v.radius_km,
                    v.branch_id
                ])
            });
            let started = std::time::Instant::now();
            let existing: i64 = in_tx!(self, tx => {
                let (existing,): (i64,) = sqlx::query_as(&existing_sql)
                    .bind(&ids)
                    .fetch_one(&mut *tx)
                    .await?;
                sqlx::query(&upsert_sql).bind(&rows).bind(now).execute(&mut *tx).await?;
                if existing > 0 {
                    sqlx::query(&follow_sql).bind(&ids).execute(&mut *tx).await?;
                }
                existing
            });
            super::batch_committed("venues", batch.len(), started);
            new += batch.len() as u64 - u64::try_from(existing).unwrap_or(0);
            done += batch.len();
            written(done);
        }
        Ok(new)
    }

    pub async fn venue(&self, id: &str) -> Result<Option<Venue>> {
        let row = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {VENUE_COLUMNS} FROM venues WHERE id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// The ids of every open venue (for validating an activities file).
    pub async fn venue_ids(&self) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT id FROM venues WHERE status = 'open' ORDER BY id")
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Open venues, by id.
    pub async fn venues(&self) -> Result<Vec<Venue>> {
        let rows = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {VENUE_COLUMNS} FROM venues WHERE status = 'open' ORDER BY id"))
                .fetch_all(p)
                .await?
        });
        Ok(rows)
    }

    /// Marks a venue removed; false if it was not open.
    pub async fn remove_venue(&self, id: &str, now: DateTime<Utc>) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query("UPDATE venues SET status = 'removed', updated_at = $2 WHERE id = $1 AND status = 'open'")
                .bind(id)
                .bind(now)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Scheduled activities of a venue that have not ended at `now`.
    pub async fn upcoming_at_venue(&self, venue_id: &str, now: DateTime<Utc>) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT COUNT(*) FROM activities WHERE venue_id = $1 AND status = 'scheduled' AND ends_at > $2",
            )
            .bind(venue_id)
            .bind(now)
            .fetch_one(p)
            .await?
        });
        Ok(n)
    }

    // ----- activities ----------------------------------------------------------------------

    /// Adds or replaces activities (an existing one keeps its status). Returns, for each
    /// input in order, the activity as it was before (None: new). Every venue must exist.
    /// See [`Self::upsert_activities_reporting`].
    pub async fn upsert_activities(
        &self,
        activities: &[NewActivity],
        now: DateTime<Utc>,
    ) -> Result<Vec<Option<Activity>>> {
        self.upsert_activities_reporting(activities, now, false, &|_| {})
            .await
    }

    /// [`Self::upsert_activities`] in transactions of [`BATCH_ROWS`] activities with
    /// [`BATCH_PAUSE`] between them, calling `written(n)` after each (as
    /// [`Self::upsert_venues_reporting`]). With `announce_later`, the new ones are marked
    /// `announce_pending` in the same transaction (see [`Self::pending_announcements`]).
    /// A venue that does not exist fails its batch (the batches before it stay written).
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    /// [`BATCH_PAUSE`]: super::BATCH_PAUSE
    pub async fn upsert_activities_reporting(
        &self,
        activities: &[NewActivity],
        now: DateTime<Utc>,
        announce_later: bool,
        written: &(dyn Fn(usize) + Sync),
    ) -> Result<Vec<Option<Activity>>> {
        // The rows as `[id, venue, title, description, start, end, zone, capacity]`, with
        // their venue's position.
        let rows_sql = match self.pool {
            Pool::Sqlite(_) => {
                "SELECT j.value ->> 0, v.id, v.cell, v.lat, v.lon, j.value ->> 2, j.value ->> 3,
                        j.value ->> 4, j.value ->> 5, j.value ->> 6, j.value ->> 7, 'scheduled', $2, $2, $3
                 FROM json_each($1) j JOIN venues v ON v.id = j.value ->> 1 WHERE true"
            }
            Pool::Postgres(_) => {
                "SELECT r ->> 0, v.id, v.cell, v.lat, v.lon, r ->> 2, r ->> 3, (r ->> 4)::timestamptz,
                        (r ->> 5)::timestamptz, r ->> 6, (r ->> 7)::bigint, 'scheduled', $2, $2, $3
                 FROM jsonb_array_elements($1::jsonb) AS r JOIN venues v ON v.id = r ->> 1"
            }
        };
        let upsert_sql = format!(
            "INSERT INTO activities (id, venue_id, cell, lat, lon, title, description, starts_at, ends_at,
                                     timezone, capacity, status, created_at, updated_at, announce_pending)
             {rows_sql}
             ON CONFLICT (id) DO UPDATE SET venue_id = excluded.venue_id, cell = excluded.cell,
               lat = excluded.lat, lon = excluded.lon,
               title = excluded.title, description = excluded.description,
               starts_at = excluded.starts_at, ends_at = excluded.ends_at,
               timezone = excluded.timezone, capacity = excluded.capacity,
               updated_at = excluded.updated_at"
        );
        let before_sql = format!(
            "SELECT {ACTIVITY_COLUMNS} FROM activities WHERE id IN ({})",
            self.json_ids(1)
        );
        let mut before = Vec::with_capacity(activities.len());
        let mut batches = self.batches(activities);
        while let Some((_, batch)) = batches.next().await {
            let ids = ids_json(batch.iter().map(|a| a.id.as_str()));
            let rows = json_rows(batch, |a| {
                serde_json::json!([
                    a.id,
                    a.venue_id,
                    a.title,
                    a.description,
                    super::db_time(a.starts_at),
                    super::db_time(a.ends_at),
                    a.timezone,
                    a.capacity
                ])
            });
            let started = std::time::Instant::now();
            let mut old: std::collections::HashMap<String, Activity> = in_tx!(self, tx => {
                let old: Vec<Activity> = sqlx::query_as(&before_sql)
                    .bind(&ids)
                    .fetch_all(&mut *tx)
                    .await?;
                let n = sqlx::query(&upsert_sql)
                    .bind(&rows)
                    .bind(now)
                    .bind(announce_later)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n != batch.len() as u64 {
                    // Rolled back as the transaction is dropped.
                    let venue_ids = ids_json(batch.iter().map(|a| a.venue_id.as_str()));
                    let known: Vec<(String,)> = sqlx::query_as(&format!("SELECT id FROM venues WHERE id IN ({})", self.json_ids(1)))
                        .bind(venue_ids)
                        .fetch_all(&mut *tx)
                        .await?;
                    let known: std::collections::HashSet<String> = known.into_iter().map(|(id,)| id).collect();
                    let lost = batch.iter().find(|a| !known.contains(&a.venue_id));
                    return Err(super::StoreError::Corrupt {
                        table: "activities",
                        problem: match lost {
                            Some(a) => format!("activity {:?}: venue {:?} does not exist", a.id, a.venue_id),
                            None => format!("{} of {} activities written", n, batch.len()),
                        },
                    });
                }
                old.into_iter().map(|a| (a.id.clone(), a)).collect()
            });
            super::batch_committed("activities", batch.len(), started);
            before.extend(batch.iter().map(|a| old.remove(&a.id)));
            written(before.len());
        }
        Ok(before)
    }

    /// Activities waiting for their announcement as new (written by an import with
    /// `--notify`, see [`Self::upsert_activities_reporting`]), by id, at most `limit`.
    pub async fn pending_announcements(&self, limit: usize) -> Result<Vec<String>> {
        let rows: Vec<(String,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT id FROM activities WHERE announce_pending ORDER BY id LIMIT $1")
                .bind(i64::try_from(limit).unwrap_or(i64::MAX))
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Unmarks activities whose announcements are queued; returns how many were marked.
    pub async fn announced(&self, ids: &[String]) -> Result<u64> {
        let sql = format!(
            "UPDATE activities SET announce_pending = FALSE WHERE announce_pending AND id IN ({})",
            self.json_ids(1)
        );
        let ids = ids_json(ids.iter().map(String::as_str));
        let n = on_pool!(self, p => {
            sqlx::query(&sql).bind(ids).execute(p).await?.rows_affected()
        });
        Ok(n)
    }

    pub async fn activity(&self, id: &str) -> Result<Option<Activity>> {
        let row = on_pool!(self, p => {
            sqlx::query_as(&format!("SELECT {ACTIVITY_COLUMNS} FROM activities WHERE id = $1"))
                .bind(id)
                .fetch_optional(p)
                .await?
        });
        Ok(row)
    }

    /// Cancels a scheduled activity; false if it was not scheduled.
    pub async fn cancel_activity(
        &self,
        id: &str,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "UPDATE activities SET status = 'cancelled', cancel_note = $2, updated_at = $3
                 WHERE id = $1 AND status = 'scheduled'",
            )
            .bind(id)
            .bind(note)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// The first `limit` scheduled activities within `radius_m` of `center` that end after
    /// `ends_after` and start before `starts_before`, in the order of their start, then
    /// distance, then id; and whether there are more.
    ///
    /// A search over at most [`MAX_CELLS_PER_SEARCH`] grid cells asks each cell for its
    /// soonest rows (the index `activities_nearby` is in start order within a cell, and
    /// holds the position, so the table is not read), keeps those within the radius, and asks
    /// again, for more rows, only the cells whose rows could still come before the
    /// `limit`-th found. So the work grows with `limit`, not with the number of activities
    /// around. A wider search reads its runs of cells whole. Only the activities returned
    /// are then read with their venues.
    pub async fn activities_near(
        &self,
        center: LatLon,
        radius_m: f64,
        ends_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
        limit: usize,
    ) -> std::result::Result<NearbyPage, NearError> {
        let ranges = geo::cell_ranges_within(center, radius_m)?;
        let cells: Vec<i64> = ranges
            .iter()
            .flat_map(|&(lo, hi)| lo..=hi)
            .take(MAX_CELLS_PER_SEARCH + 1)
            .collect();
        // An activity lasts at most a day: one still going on started less than a day ago.
        let starts_after = ends_after - Duration::hours(MAX_ACTIVITY_HOURS);
        let within = |c: &Candidate| {
            let d = geo::distance_m(
                center,
                LatLon {
                    lat: c.lat,
                    lon: c.lon,
                },
            );
            (d <= radius_m).then_some(d)
        };
        let order = |a: &(Candidate, f64), b: &(Candidate, f64)| {
            a.0.starts_at
                .cmp(&b.0.starts_at)
                .then(a.1.total_cmp(&b.1))
                .then_with(|| a.0.id.cmp(&b.0.id))
        };
        let (mut found, mut more) = if cells.len() <= MAX_CELLS_PER_SEARCH {
            let mut per_cell: Vec<Vec<Candidate>> = vec![Vec::new(); cells.len()];
            let mut asked = vec![FIRST_PER_CELL; cells.len()];
            let mut to_ask: Vec<usize> = (0..cells.len()).collect();
            loop {
                if !to_ask.is_empty() {
                    let limits: Vec<usize> = to_ask.iter().map(|&slot| asked[slot]).collect();
                    let rows = self
                        .soonest_per_cell(
                            &cells,
                            &to_ask,
                            &limits,
                            starts_after,
                            starts_before,
                            ends_after,
                        )
                        .await?;
                    for &slot in &to_ask {
                        per_cell[slot].clear();
                    }
                    for row in rows {
                        let slot = usize::try_from(row.slot).unwrap_or(usize::MAX);
                        if let Some(list) = per_cell.get_mut(slot) {
                            list.push(row);
                        }
                    }
                }
                let mut found: Vec<(Candidate, f64)> = per_cell
                    .iter()
                    .flatten()
                    .filter_map(|c| within(c).map(|d| (c.clone(), d)))
                    .collect();
                found.sort_by(order);
                // A cell that returned all it was asked for may hold more rows; they start at
                // or after its last one, so they matter only if that is not after the
                // `limit`-th found.
                let kth = found.get(limit.saturating_sub(1)).map(|c| c.0.starts_at);
                let truncated = |slot: usize| per_cell[slot].len() >= asked[slot];
                to_ask = (0..cells.len())
                    .filter(|&slot| truncated(slot))
                    .filter(|&slot| match (kth, per_cell[slot].last()) {
                        (Some(kth), Some(last)) => last.starts_at <= kth,
                        _ => true,
                    })
                    .collect();
                if to_ask.is_empty() || limit == 0 {
                    let more = found.len() > limit || (0..cells.len()).any(truncated);
                    break (found, more);
                }
                for &slot in &to_ask {
                    asked[slot] = asked[slot].saturating_mul(4);
                }
            }
        } else {
            let rows = self
                .in_cell_ranges(&ranges, starts_after, starts_before, ends_after)
                .await?;
            let mut found: Vec<(Candidate, f64)> = rows
                .into_iter()
                .filter_map(|c| within(&c).map(|d| (c, d)))
                .collect();
            found.sort_by(order);
            let more = found.len() > limit;
            (found, more)
        };
        found.truncate(limit);
        if found.is_empty() {
            return Ok(NearbyPage {
                found: Vec::new(),
                more,
            });
        }
        // The activities returned, with their venues.
        let ids: Vec<&str> = found.iter().map(|(c, _)| c.id.as_str()).collect();
        let rows: Vec<NearbyRow> = match &self.pool {
            Pool::Sqlite(p) => {
                let placeholders = numbered_placeholders(1, ids.len());
                let sql = format!(
                    "SELECT {NEARBY_COLUMNS} FROM activities a JOIN venues v ON v.id = a.venue_id
                     WHERE a.id IN ({placeholders}) AND v.status = 'open'"
                );
                let mut q = sqlx::query_as(&sql);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await.map_err(super::StoreError::from)?
            }
            // One statement text whatever the count, planned once per connection.
            Pool::Postgres(p) => sqlx::query_as(&format!(
                "SELECT {NEARBY_COLUMNS} FROM activities a JOIN venues v ON v.id = a.venue_id
                 WHERE a.id = ANY($1) AND v.status = 'open'"
            ))
            .bind(&ids)
            .fetch_all(p)
            .await
            .map_err(super::StoreError::from)?,
        };
        let mut by_id: std::collections::HashMap<String, (Activity, Venue)> = rows
            .into_iter()
            .map(|r| {
                let (a, v) = r.split();
                (a.id.clone(), (a, v))
            })
            .collect();
        let mut page = Vec::with_capacity(found.len());
        for (c, distance_m) in &found {
            match by_id.remove(&c.id) {
                Some((activity, venue)) => page.push(Nearby {
                    activity,
                    venue,
                    distance_m: *distance_m,
                }),
                // Cancelled or moved to a closed venue since the first read.
                None => more = true,
            }
        }
        Ok(NearbyPage { found: page, more })
    }

    /// For each `slots[i]`, the soonest `limits[i]` scheduled activities of the grid cell
    /// `cells[slots[i]]` that start in `(starts_after, starts_before)` and end after
    /// `ends_after`, tagged with their slot; in one statement, each cell read in index order.
    /// SQLite gets a `UNION ALL` of one query per cell (cheap to plan there). PostgreSQL gets
    /// one fixed statement over arrays, planned once per connection: planning a `UNION ALL`
    /// whose text changes with the number of cells cost it more than running it.
    async fn soonest_per_cell(
        &self,
        cells: &[i64],
        slots: &[usize],
        limits: &[usize],
        starts_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
        ends_after: DateTime<Utc>,
    ) -> Result<Vec<Candidate>> {
        let rows = match &self.pool {
            Pool::Sqlite(p) => {
                let sql = slots
                    .iter()
                    .zip(limits)
                    .enumerate()
                    .map(|(i, (&slot, &limit))| sqlite_cell_query(slot, i + 4, limit))
                    .collect::<Vec<_>>()
                    .join(" UNION ALL ");
                let mut q = sqlx::query_as(&sql)
                    .bind(starts_after)
                    .bind(starts_before)
                    .bind(ends_after);
                for &slot in slots {
                    q = q.bind(cells[slot]);
                }
                q.fetch_all(p).await?
            }
            Pool::Postgres(p) => {
                let cell_of: Vec<i64> = slots.iter().map(|&slot| cells[slot]).collect();
                let slot_of: Vec<i64> = slots.iter().map(|&slot| slot as i64).collect();
                let limit_of: Vec<i64> = limits
                    .iter()
                    .map(|&l| i64::try_from(l).unwrap_or(i64::MAX))
                    .collect();
                sqlx::query_as(SOONEST_PER_CELL_POSTGRES)
                    .bind(starts_after)
                    .bind(starts_before)
                    .bind(ends_after)
                    .bind(&cell_of)
                    .bind(&slot_of)
                    .bind(&limit_of)
                    .fetch_all(p)
                    .await?
            }
        };
        Ok(rows)
    }

    /// Every scheduled activity in the runs of grid cells `ranges` that starts in
    /// `(starts_after, starts_before)` and ends after `ends_after` (for searches too wide to
    /// ask cell by cell).
    async fn in_cell_ranges(
        &self,
        ranges: &[(i64, i64)],
        starts_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
        ends_after: DateTime<Utc>,
    ) -> Result<Vec<Candidate>> {
        let rows = match &self.pool {
            Pool::Sqlite(p) => {
                let sql = union_of_ranges(
                    "SELECT CAST(0 AS BIGINT) AS slot, id, starts_at, lat, lon FROM activities
                     WHERE cell BETWEEN {lo} AND {hi} AND starts_at > $1 AND starts_at < $2
                       AND ends_at > $3 AND status = 'scheduled'",
                    ranges.len(),
                    4,
                );
                let mut q = sqlx::query_as(&sql)
                    .bind(starts_after)
                    .bind(starts_before)
                    .bind(ends_after);
                for (lo, hi) in ranges {
                    q = q.bind(*lo).bind(*hi);
                }
                q.fetch_all(p).await?
            }
            Pool::Postgres(p) => {
                let (lo, hi): (Vec<i64>, Vec<i64>) = ranges.iter().copied().unzip();
                sqlx::query_as(
                    "SELECT CAST(0 AS BIGINT) AS slot, a.id, a.starts_at, a.lat, a.lon
                     FROM unnest($4::bigint[], $5::bigint[]) AS r(lo, hi)
                     CROSS JOIN LATERAL (
                         SELECT id, starts_at, lat, lon FROM activities
                         WHERE cell BETWEEN r.lo AND r.hi AND starts_at > $1 AND starts_at < $2
                           AND ends_at > $3 AND status = 'scheduled') AS a",
                )
                .bind(starts_after)
                .bind(starts_before)
                .bind(ends_after)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows)
    }

    /// One activity with its venue.
    pub async fn activity_with_venue(&self, id: &str) -> Result<Option<(Activity, Venue)>> {
        let row: Option<NearbyRow> = on_pool!(self, p => {
            sqlx::query_as(&format!(
                "SELECT {NEARBY_COLUMNS} FROM activities a JOIN venues v ON v.id = a.venue_id WHERE a.id = $1"
            ))
            .bind(id)
            .fetch_optional(p)
            .await?
        });
        Ok(row.map(NearbyRow::split))
    }

    /// The activities with these ids that exist, with their venues, by id.
    pub async fn activities_with_venues(&self, ids: &[String]) -> Result<Vec<(Activity, Venue)>> {
        let sql = format!(
            "SELECT {NEARBY_COLUMNS} FROM activities a JOIN venues v ON v.id = a.venue_id
             WHERE a.id IN ({}) ORDER BY a.id",
            self.json_ids(1)
        );
        let ids = ids_json(ids.iter().map(String::as_str));
        let rows: Vec<NearbyRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(ids).fetch_all(p).await?
        });
        Ok(rows.into_iter().map(NearbyRow::split).collect())
    }

    /// Members away from home whose latest location, stored at or after `fresh_since`, is
    /// within `radius_m` of `center` (one covering index; a member who blocked the bot or
    /// paused is skipped by the courier when the message is due).
    pub async fn migrants_near(
        &self,
        center: LatLon,
        radius_m: f64,
        fresh_since: DateTime<Utc>,
    ) -> std::result::Result<Vec<MemberNear>, NearError> {
        let ranges = geo::cell_ranges_within(center, radius_m)?;
        let rows: Vec<(i64, f64, f64)> = match &self.pool {
            Pool::Sqlite(p) => {
                let sql = union_of_ranges(
                    "SELECT member_id, lat, lon FROM last_locations
                     WHERE cell BETWEEN {lo} AND {hi} AND away AND at >= $1",
                    ranges.len(),
                    2,
                );
                let mut q = sqlx::query_as(&sql).bind(fresh_since);
                for (lo, hi) in &ranges {
                    q = q.bind(*lo).bind(*hi);
                }
                q.fetch_all(p).await.map_err(super::StoreError::from)?
            }
            Pool::Postgres(p) => {
                let (lo, hi): (Vec<i64>, Vec<i64>) = ranges.iter().copied().unzip();
                sqlx::query_as(
                    "SELECT l.member_id, l.lat, l.lon
                     FROM unnest($2::bigint[], $3::bigint[]) AS r(lo, hi)
                     CROSS JOIN LATERAL (
                         SELECT member_id, lat, lon FROM last_locations
                         WHERE cell BETWEEN r.lo AND r.hi AND away AND at >= $1) AS l",
                )
                .bind(fresh_since)
                .bind(&lo)
                .bind(&hi)
                .fetch_all(p)
                .await
                .map_err(super::StoreError::from)?
            }
        };
        Ok(rows
            .into_iter()
            .filter_map(|(member_id, lat, lon)| {
                let distance_m = geo::distance_m(center, LatLon { lat, lon });
                (distance_m <= radius_m).then_some(MemberNear {
                    member_id,
                    distance_m,
                })
            })
            .collect())
    }

    /// Migrant members with a location stored at or after `fresh_since`, with ids in
    /// `(after, up_to]` (for paging through everyone).
    pub async fn migrants_with_location(
        &self,
        fresh_since: DateTime<Utc>,
        after: i64,
        up_to: i64,
    ) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT l.member_id FROM last_locations l JOIN members m ON m.id = l.member_id
                 WHERE l.member_id > $2 AND l.member_id <= $3 AND l.at >= $1
                   AND m.away_since IS NOT NULL AND m.status = 'active' AND m.onboarded
                 ORDER BY l.member_id",
            )
            .bind(fresh_since)
            .bind(after)
            .bind(up_to)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Queues many deliveries (idempotent by dedup key, lessons aside: see
    /// [`Store::enqueue`]) in transactions of [`BATCH_ROWS`]
    /// with [`BATCH_PAUSE`] between them; each travels as one JSON parameter (as lesson
    /// planning does: one prepared statement instead of thousands of bound values). Returns
    /// how many were new. An error leaves the batches before it queued: queuing the same
    /// deliveries again completes the work.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    /// [`BATCH_PAUSE`]: super::BATCH_PAUSE
    pub async fn enqueue_many(
        &self,
        deliveries: &[NewDelivery],
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let sql = match self.pool {
            Pool::Sqlite(_) => super::OUTBOX_FROM_JSON_SQLITE,
            Pool::Postgres(_) => super::OUTBOX_FROM_JSON_POSTGRES,
        };
        let mut new = 0;
        let mut batches = self.batches(deliveries);
        while let Some((_, batch)) = batches.next().await {
            let rows = json_rows(batch, super::delivery_json);
            new += on_pool!(self, p => {
                sqlx::query(sql)
                    .bind(rows)
                    .bind(now)
                    .execute(p)
                    .await?
                    .rows_affected()
            });
        }
        Ok(new)
    }

    /// Cancels waiting deliveries of `kind` with one of `references` (of one member, or of
    /// everyone). Returns how many. Lessons are not in the index by reference (`outbox_ref`,
    /// 0018): theirs are looked for without it.
    pub async fn cancel_deliveries(
        &self,
        kind: OutboxKind,
        references: &[String],
        member_id: Option<i64>,
        why: &str,
    ) -> Result<u64> {
        let indexed = if kind == OutboxKind::Lesson {
            ""
        } else {
            concat!("AND ", crate::not_lesson!())
        };
        let sql = format!(
            "UPDATE outbox SET status = 'cancelled', last_error = $4
             WHERE ref = $1 AND kind = $2 {indexed} AND status = 'pending' AND ($3 = 0 OR member_id = $3)"
        );
        let mut n = 0;
        for reference in references {
            n += on_pool!(self, p => {
                sqlx::query(&sql)
                .bind(reference)
                .bind(kind.as_str())
                .bind(member_id.unwrap_or(0))
                .bind(why)
                .execute(p)
                .await?
                .rows_affected()
            });
        }
        Ok(n)
    }

    // ----- RSVPs and attendance ------------------------------------------------------------

    /// Records that a member will go; false if they had already said so.
    pub async fn rsvp(
        &self,
        activity_id: &str,
        member_id: i64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query("INSERT INTO rsvps (activity_id, member_id, at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING")
                .bind(activity_id)
                .bind(member_id)
                .bind(now)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    /// Withdraws an RSVP; false if there was none.
    pub async fn cancel_rsvp(&self, activity_id: &str, member_id: i64) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query("DELETE FROM rsvps WHERE activity_id = $1 AND member_id = $2")
                .bind(activity_id)
                .bind(member_id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n == 1)
    }

    pub async fn has_rsvp(&self, activity_id: &str, member_id: i64) -> Result<bool> {
        let row: Option<(i64,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT member_id FROM rsvps WHERE activity_id = $1 AND member_id = $2")
                .bind(activity_id)
                .bind(member_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.is_some())
    }

    /// Which of `activity_ids` the member said they will go to (one query for a list).
    pub async fn rsvped_among(
        &self,
        member_id: i64,
        activity_ids: &[&str],
    ) -> Result<std::collections::HashSet<String>> {
        if activity_ids.is_empty() {
            return Ok(Default::default());
        }
        let rows: Vec<(String,)> = match &self.pool {
            Pool::Sqlite(p) => {
                let placeholders = numbered_placeholders(2, activity_ids.len());
                let sql = format!(
                    "SELECT activity_id FROM rsvps WHERE member_id = $1 AND activity_id IN ({placeholders})"
                );
                let mut q = sqlx::query_as(&sql).bind(member_id);
                for id in activity_ids {
                    q = q.bind(*id);
                }
                q.fetch_all(p).await?
            }
            Pool::Postgres(p) => {
                sqlx::query_as(
                    "SELECT activity_id FROM rsvps WHERE member_id = $1 AND activity_id = ANY($2)",
                )
                .bind(member_id)
                .bind(activity_ids)
                .fetch_all(p)
                .await?
            }
        };
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    pub async fn rsvp_count(&self, activity_id: &str) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => {
            sqlx::query_as("SELECT COUNT(*) FROM rsvps WHERE activity_id = $1")
                .bind(activity_id)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    /// The members who said they will go, by id.
    pub async fn rsvp_members(&self, activity_id: &str) -> Result<Vec<i64>> {
        let rows: Vec<(i64,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT member_id FROM rsvps WHERE activity_id = $1 ORDER BY member_id")
                .bind(activity_id)
                .fetch_all(p)
                .await?
        });
        Ok(rows.into_iter().map(|(id,)| id).collect())
    }

    /// Scheduled activities a member said they will go to, ending after `ends_after` and
    /// starting before `starts_before`, by start time.
    pub async fn rsvped_activities(
        &self,
        member_id: i64,
        ends_after: DateTime<Utc>,
        starts_before: DateTime<Utc>,
    ) -> Result<Vec<(Activity, Venue)>> {
        let rows: Vec<NearbyRow> = on_pool!(self, p => {
            sqlx::query_as(&format!(
                "SELECT {NEARBY_COLUMNS} FROM rsvps r JOIN activities a ON a.id = r.activity_id
                 JOIN venues v ON v.id = a.venue_id
                 WHERE r.member_id = $1 AND a.status = 'scheduled' AND a.ends_at > $2 AND a.starts_at < $3
                 ORDER BY a.starts_at, a.id"
            ))
            .bind(member_id)
            .bind(ends_after)
            .bind(starts_before)
            .fetch_all(p)
            .await?
        });
        Ok(rows.into_iter().map(NearbyRow::split).collect())
    }

    /// Records an in-person check-in; false if the member had already checked in.
    pub async fn record_attendance(
        &self,
        activity_id: &str,
        member_id: i64,
        distance_m: f64,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO attendance (activity_id, member_id, at, distance_m) VALUES ($1, $2, $3, $4)
                 ON CONFLICT DO NOTHING",
            )
            .bind(activity_id)
            .bind(member_id)
            .bind(now)
            .bind(distance_m)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// RSVPs and attendance of the activities starting at or after `since`, by venue and
    /// start time (at most `limit` activities).
    pub async fn activity_figures(
        &self,
        since: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<ActivityFigures>> {
        let rows = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT a.id AS activity_id, a.title, a.venue_id, v.name AS venue_name, v.branch_id,
                        a.starts_at, a.status,
                        (SELECT COUNT(*) FROM rsvps r WHERE r.activity_id = a.id) AS rsvps,
                        (SELECT COUNT(*) FROM attendance t WHERE t.activity_id = a.id) AS attended
                 FROM activities a JOIN venues v ON v.id = a.venue_id
                 WHERE a.starts_at >= $1
                 ORDER BY a.venue_id, a.starts_at, a.id
                 LIMIT $2",
            )
            .bind(since)
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    // ----- shared locations ----------------------------------------------------------------

    /// Since when the member is working away from home (None: at home).
    pub async fn away_since(&self, member_id: i64) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(Option<DateTime<Utc>>,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT away_since FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(|(at,)| at))
    }

    /// When the member agreed to their locations being stored (None: not, or withdrawn).
    pub async fn location_consent(&self, member_id: i64) -> Result<Option<DateTime<Utc>>> {
        let row: Option<(Option<DateTime<Utc>>,)> = on_pool!(self, p => {
            sqlx::query_as("SELECT location_consent_at FROM members WHERE id = $1")
                .bind(member_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.and_then(|(at,)| at))
    }

    pub async fn set_location_consent(
        &self,
        member_id: i64,
        at: Option<DateTime<Utc>>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE members SET location_consent_at = $2 WHERE id = $1")
                .bind(member_id)
                .bind(at)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(())
    }

    /// Stores a point and makes it the member's latest.
    pub async fn save_location(
        &self,
        member_id: i64,
        at: LatLon,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let cell = geo::cell_of(at);
        in_tx!(self, tx => {
            sqlx::query("INSERT INTO member_locations (member_id, lat, lon, at) VALUES ($1, $2, $3, $4)")
                .bind(member_id)
                .bind(at.lat)
                .bind(at.lon)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "INSERT INTO last_locations (member_id, lat, lon, cell, at, away)
                 SELECT $1, $2, $3, $4, $5, (m.away_since IS NOT NULL) FROM members m WHERE m.id = $1
                 ON CONFLICT (member_id) DO UPDATE SET lat = excluded.lat, lon = excluded.lon,
                   cell = excluded.cell, at = excluded.at, away = excluded.away",
            )
            .bind(member_id)
            .bind(at.lat)
            .bind(at.lon)
            .bind(cell)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        });
        Ok(())
    }

    /// The member's latest point, if one is stored.
    pub async fn last_location(&self, member_id: i64) -> Result<Option<(LatLon, DateTime<Utc>)>> {
        let row: Option<(f64, f64, DateTime<Utc>)> = on_pool!(self, p => {
            sqlx::query_as("SELECT lat, lon, at FROM last_locations WHERE member_id = $1")
                .bind(member_id)
                .fetch_optional(p)
                .await?
        });
        Ok(row.map(|(lat, lon, at)| (LatLon { lat, lon }, at)))
    }

    /// How many points are stored for a member.
    pub async fn location_count(&self, member_id: i64) -> Result<i64> {
        let (n,): (i64,) = on_pool!(self, p => {
            sqlx::query_as("SELECT COUNT(*) FROM member_locations WHERE member_id = $1")
                .bind(member_id)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    /// Deletes every point of a member; returns how many there were.
    pub async fn forget_locations(&self, member_id: i64) -> Result<u64> {
        let n = in_tx!(self, tx => {
            let n = sqlx::query("DELETE FROM member_locations WHERE member_id = $1")
                .bind(member_id)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM last_locations WHERE member_id = $1")
                .bind(member_id)
                .execute(&mut *tx)
                .await?;
            n
        });
        Ok(n)
    }

    /// Deletes every point stored before `before`, [`BATCH_ROWS`] at a time (short
    /// transactions, a pause between them); returns how many. Interrupted, it leaves fewer
    /// old points; the next purge deletes the rest.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn purge_locations(&self, before: DateTime<Utc>) -> Result<u64> {
        let limit = super::BATCH_ROWS as i64;
        let n = until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    "DELETE FROM member_locations WHERE id IN (
                       SELECT id FROM member_locations WHERE at < $1 LIMIT $2)",
                )
                .bind(before)
                .bind(limit)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    "DELETE FROM last_locations WHERE member_id IN (
                       SELECT member_id FROM last_locations WHERE at < $1 LIMIT $2)",
                )
                .bind(before)
                .bind(limit)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        Ok(n)
    }
}

/// A nearby search that could not run: a bad centre or radius, or the database.
#[derive(Debug, thiserror::Error)]
pub enum NearError {
    #[error(transparent)]
    Geo(#[from] GeoError),
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

impl From<sqlx::Error> for NearError {
    fn from(e: sqlx::Error) -> Self {
        NearError::Store(e.into())
    }
}
