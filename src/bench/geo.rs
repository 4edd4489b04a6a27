//! `weike bench geo`: how fast `/nearby` is answered and a new activity fanned out to the
//! migrant members near its venue, over a large organization.
//!
//! 1. a scratch database with V venues (红色驿站) spread around 42 Chinese cities (weighted
//!    roughly by urban population, a normal spread of 15 km around each centre), A
//!    scheduled activities at random venues starting over the next 30 days (1 to 3 hours
//!    long), and M onboarded active members of whom every `migrant_every`-th is away from
//!    home with a shared location (the same spread around the cities, stored in the last
//!    20 days): the venues written by the store (`upsert_venues`), the rest by the bulk
//!    loaders (`bench::loaders`), then `ANALYZE` (and `VACUUM` on PostgreSQL);
//! 2. `/nearby`: `Store::activities_near` (the query the bot runs: the member's radius and
//!    days ahead from the settings, 10 km and 7 days by default) from the locations of
//!    random migrant members, timed one by one; also the whole conversation path
//!    (`/nearby` sent by a member) for up to 100 of them;
//! 3. fan-out: new activities at random venues (written with `upsert_activities`, not
//!    timed), then `Conversation::announce_activity` timed: the search for migrants within
//!    the venue's radius and the outbox rows queued for them; then, apart and with a warm
//!    cache, `migrants_near` alone, `enqueue_many` of the same members, and the same rows
//!    written as multi-row `VALUES` with bound values instead (for comparing the two ways).
//!    Each fan-out is one admin's new activity on a service that has caught up with its
//!    housekeeping: before it (untimed), the SQLite log is checkpointed, as the background
//!    checkpoints do in any quiet moment. A second series then times fan-outs back to back,
//!    with the log left to the background checkpoints (continuous writing: the worst case
//!    for SQLite).
//!
//! The clock stands at a fixed instant, so that the data, the retention period and the
//! searches agree. The data are the same at every run (seeded).
//! `WEIKE_BENCH_GEO_KEEP=1` keeps the scratch database (and prints where it is).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};

use super::{BenchDb, loaders, queries};
use crate::channel::{Inbound, InboundEvent, Outbound};
use crate::clock::ManualClock;
use crate::domain::geo::{EARTH_RADIUS_M, LatLon};
use crate::service::App;
use crate::store::checkpoint::CheckpointFigures;
use crate::store::{NewActivity, NewDelivery, NewVenue};

/// (name, latitude, longitude, weight: roughly the urban population in millions).
pub const CITIES: [(&str, f64, f64, f64); 42] = [
    ("上海", 31.2304, 121.4737, 24.9),
    ("北京", 39.9042, 116.4074, 21.9),
    ("成都", 30.5728, 104.0668, 16.0),
    ("广州", 23.1291, 113.2644, 18.8),
    ("深圳", 22.5431, 114.0579, 17.7),
    ("重庆", 29.5630, 106.5516, 16.0),
    ("天津", 39.3434, 117.3616, 13.9),
    ("武汉", 30.5928, 114.3055, 13.7),
    ("西安", 34.3416, 108.9398, 13.0),
    ("苏州", 31.2990, 120.5853, 12.9),
    ("郑州", 34.7466, 113.6254, 12.8),
    ("杭州", 30.2741, 120.1551, 12.4),
    ("石家庄", 38.0428, 114.5149, 11.0),
    ("东莞", 23.0205, 113.7518, 10.5),
    ("长沙", 28.2282, 112.9388, 10.4),
    ("青岛", 36.0671, 120.3826, 10.3),
    ("哈尔滨", 45.8038, 126.5349, 9.9),
    ("佛山", 23.0215, 113.1214, 9.6),
    ("合肥", 31.8206, 117.2272, 9.6),
    ("宁波", 29.8683, 121.5440, 9.6),
    ("温州", 27.9938, 120.6994, 9.6),
    ("南京", 32.0603, 118.7969, 9.5),
    ("济南", 36.6512, 117.1201, 9.4),
    ("沈阳", 41.8057, 123.4315, 9.1),
    ("长春", 43.8171, 125.3235, 9.0),
    ("南宁", 22.8170, 108.3665, 8.8),
    ("泉州", 24.8741, 118.6757, 8.8),
    ("昆明", 25.0389, 102.7183, 8.6),
    ("福州", 26.0745, 119.2965, 8.4),
    ("大连", 38.9140, 121.6147, 7.5),
    ("无锡", 31.4912, 120.3119, 7.5),
    ("南昌", 28.6829, 115.8579, 6.5),
    ("贵阳", 26.6470, 106.6302, 6.0),
    ("太原", 37.8706, 112.5489, 5.4),
    ("厦门", 24.4798, 118.0894, 5.3),
    ("兰州", 36.0611, 103.8343, 4.4),
    ("乌鲁木齐", 43.8256, 87.6168, 4.0),
    ("呼和浩特", 40.8414, 111.7519, 3.5),
    ("海口", 20.0440, 110.1999, 2.9),
    ("银川", 38.4872, 106.2309, 2.9),
    ("西宁", 36.6171, 101.7782, 2.5),
    ("拉萨", 29.6520, 91.1721, 0.9),
];

/// The spread of venues and members around a city centre (standard deviation, each axis).
const SPREAD_M: f64 = 15_000.0;
/// Every venue announces its activities this far.
const VENUE_RADIUS_KM: f64 = 10.0;
/// Activities start over this many days from now.
const HORIZON_DAYS: i64 = 30;
/// Migrants' locations were stored over this many days before now.
const LOCATIONS_OVER_DAYS: i64 = 20;
const SEED: u64 = 0x0057_4549_4b45_6765; // "WEIKEge"
/// The tables the load writes (VACUUMed on PostgreSQL after it).
const GEO_TABLES: [&str; 7] = [
    "members",
    "enrollments",
    "venues",
    "activities",
    "member_locations",
    "last_locations",
    "outbox",
];
/// Rows per bulk-load call (one transaction each).
const LOAD_BATCH: usize = 50_000;
/// Activities one `/nearby` answer lists (as the bot asks for).
const NEARBY_LIST: usize = 10;
/// Untimed searches (and fan-outs) before the timed ones.
const WARMUP: usize = 10;
/// At most this many fan-outs are timed (each queues outbox rows).
const FANOUT_MAX: usize = 200;
/// At most this many `/nearby` are sent through the whole conversation.
const CONVERSATION_MAX: usize = 100;
/// The targets.
const TARGET_NEARBY_P99_MS: f64 = 5.0;
const TARGET_FANOUT_P99_MS: f64 = 50.0;

pub struct GeoBench {
    pub venues: i64,
    pub activities: i64,
    pub members: i64,
    pub migrant_every: i64,
    pub database: BenchDb,
    pub queries: usize,
}

/// Timings of one kind of operation, with a count per run.
#[derive(Debug, Clone, Default)]
pub struct Timed {
    pub times: Vec<Duration>,
    pub counts: Vec<u64>,
}

impl Timed {
    fn push(&mut self, time: Duration, count: u64) {
        self.times.push(time);
        self.counts.push(count);
    }

    fn sorted(&self) -> Vec<Duration> {
        let mut t = self.times.clone();
        t.sort();
        t
    }

    /// The nearest-rank percentile `p` (0 < p ≤ 100), in milliseconds.
    pub fn percentile_ms(&self, p: f64) -> f64 {
        let sorted = self.sorted();
        if sorted.is_empty() {
            return 0.0;
        }
        let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
        sorted[rank.clamp(1, sorted.len()) - 1].as_secs_f64() * 1000.0
    }

    pub fn max_ms(&self) -> f64 {
        self.percentile_ms(100.0)
    }

    pub fn mean_count(&self) -> f64 {
        mean(&self.counts)
    }

    pub fn max_count(&self) -> u64 {
        self.counts.iter().copied().max().unwrap_or(0)
    }
}

fn mean(values: &[u64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.iter().sum::<u64>() as f64 / values.len() as f64
}

#[derive(Debug, Clone, Default)]
pub struct GeoFigures {
    /// (what, rows, time)
    pub loads: Vec<(String, u64, Duration)>,
    pub analyze: Duration,
    pub migrants: u64,
    /// Scheduled activities in the `/nearby` window (ending after now, starting within
    /// `nearby_days`).
    pub in_window: u64,
    pub radius_km: f64,
    pub nearby_days: u32,
    /// `activities_near`: time and activities found, per search.
    pub nearby: Timed,
    /// Per timed search: activities in the searched cells (any time), rows the SQL
    /// returned (before the exact distance).
    pub nearby_in_cells: Vec<u64>,
    pub nearby_returned: Vec<u64>,
    /// Per timed search: all the activities within the radius in the window (the search
    /// returns the first 10 of them).
    pub nearby_within: Vec<u64>,
    /// `/nearby` through the conversation: time and messages answered.
    pub conversation: Timed,
    /// Of those, answers listing activities.
    pub conversation_lists: u64,
    /// `announce_activity`: time and members reached, per new activity.
    pub fanout: Timed,
    /// Per fan-out: rows the migrants query returned (before the exact distance).
    pub fanout_returned: Vec<u64>,
    /// The parts of a fan-out, timed again apart right after it (so with a warm cache):
    /// `migrants_near` alone, `enqueue_many` of the same members, and the same rows
    /// written as multi-row `VALUES` (`loaders::enqueue_positional`).
    pub fanout_query: Timed,
    pub fanout_enqueue: Timed,
    pub fanout_enqueue_positional: Timed,
    /// `announce_activity` again, back to back, without quiet moments.
    pub fanout_back_to_back: Timed,
    /// SQLite: what the background checkpoints of the log did during the whole run.
    pub checkpoints: Option<CheckpointFigures>,
    /// The query plan of the busiest timed search.
    pub busiest_plan: Vec<String>,
    pub busiest_found: u64,
    pub kept: Option<String>,
}

impl GeoFigures {
    pub fn table(&self, bench: &GeoBench) -> String {
        let db = match &bench.database {
            BenchDb::Sqlite => "SQLite (WAL, file)",
            BenchDb::Postgres(_) => "PostgreSQL",
        };
        let mut out = format!(
            "weike bench geo: {} venues around {} cities, {} scheduled activities (next {HORIZON_DAYS} days), \
             {} members ({} away from home with a location), {db}\n",
            bench.venues,
            CITIES.len(),
            bench.activities,
            bench.members,
            self.migrants
        );
        out.push_str("load:");
        let mut total = self.analyze;
        for (what, rows, time) in &self.loads {
            total += *time;
            out.push_str(&format!(
                " {what} {:.1} s ({:.0}/s);",
                time.as_secs_f64(),
                *rows as f64 / time.as_secs_f64().max(1e-9)
            ));
        }
        out.push_str(&format!(
            " ANALYZE{} {:.1} s; total {:.1} s\n",
            if matches!(bench.database, BenchDb::Postgres(_)) {
                " + VACUUM"
            } else {
                ""
            },
            self.analyze.as_secs_f64(),
            total.as_secs_f64()
        ));
        out.push_str(&format!(
            "activities in the /nearby window (next {} days): {} of {} ({:.1}%)\n\n",
            self.nearby_days,
            self.in_window,
            bench.activities,
            100.0 * self.in_window as f64 / (bench.activities.max(1) as f64)
        ));
        out.push_str(&format!(
            "{:<44} {:>9} {:>9} {:>9} {:>6} {:>11} {:>9}  target\n",
            "", "p50", "p99", "max", "runs", "mean found", "max found"
        ));
        let row = |out: &mut String, what: &str, t: &Timed, target: Option<f64>| {
            let verdict = match target {
                Some(ms) if t.percentile_ms(99.0) <= ms => format!("p99 ≤ {ms} ms: met"),
                Some(ms) => format!("p99 ≤ {ms} ms: MISSED"),
                None => String::new(),
            };
            out.push_str(&format!(
                "{what:<44} {:>6.2} ms {:>6.2} ms {:>6.2} ms {:>6} {:>11.1} {:>9}  {verdict}\n",
                t.percentile_ms(50.0),
                t.percentile_ms(99.0),
                t.max_ms(),
                t.times.len(),
                t.mean_count(),
                t.max_count(),
            ));
        };
        row(
            &mut out,
            &format!(
                "/nearby query ({} km, {} days)",
                self.radius_km, self.nearby_days
            ),
            &self.nearby,
            Some(TARGET_NEARBY_P99_MS),
        );
        if !self.conversation.times.is_empty() {
            row(
                &mut out,
                "/nearby whole conversation (replies)",
                &self.conversation,
                None,
            );
        }
        row(
            &mut out,
            &format!("fan-out of a new activity ({VENUE_RADIUS_KM} km, reached)"),
            &self.fanout,
            Some(TARGET_FANOUT_P99_MS),
        );
        if !self.fanout_back_to_back.times.is_empty() {
            row(
                &mut out,
                "  the same, back to back (reached)",
                &self.fanout_back_to_back,
                None,
            );
        }
        if !self.fanout_query.times.is_empty() {
            row(
                &mut out,
                "  its parts, again: migrants_near (found)",
                &self.fanout_query,
                None,
            );
            row(
                &mut out,
                "  enqueue_many of them (queued)",
                &self.fanout_enqueue,
                None,
            );
            row(
                &mut out,
                "  the same as multi-row VALUES (queued)",
                &self.fanout_enqueue_positional,
                None,
            );
        }
        out.push_str(&format!(
            "\n/nearby: each search lists the first {NEARBY_LIST} by start time; around the searched \
             points there are {:.0} activities in the searched cells (any time, max {}), {:.0} of them in \
             the window (max {}), {:.1} within {} km (max {})\n",
            mean(&self.nearby_in_cells),
            self.nearby_in_cells.iter().max().copied().unwrap_or(0),
            mean(&self.nearby_returned),
            self.nearby_returned.iter().max().copied().unwrap_or(0),
            mean(&self.nearby_within),
            self.radius_km,
            self.nearby_within.iter().max().copied().unwrap_or(0),
        ));
        if !self.conversation.times.is_empty() {
            out.push_str(&format!(
                "/nearby conversation: {} of {} answers listed activities (the others: none near)\n",
                self.conversation_lists,
                self.conversation.times.len()
            ));
        }
        out.push_str(&format!(
            "fan-out rows per activity: {:.0} migrants in the searched cells (before the exact distance; max {}), \
             {:.1} within {VENUE_RADIUS_KM} km and queued in the outbox\n",
            mean(&self.fanout_returned),
            self.fanout_returned.iter().max().copied().unwrap_or(0),
            self.fanout.mean_count()
        ));
        out.push_str(&format!(
            "slowest /nearby searches (run: time, listed, in the window in the searched cells): {}\n",
            self.slowest_nearby(5)
        ));
        out.push_str(&format!(
            "slowest fan-outs (run: time, reached): {}; back to back: {}\n",
            slowest(&self.fanout, 5),
            slowest(&self.fanout_back_to_back, 5)
        ));
        if let Some(c) = &self.checkpoints {
            out.push_str(&format!(
                "SQLite log, checkpointed in the background: {} passive checkpoints, {} restarts, longest {} pages ({:.1} MiB)\n",
                c.passive,
                c.restarts,
                c.largest_log_pages,
                c.largest_log_pages as f64 * 4096.0 / (1024.0 * 1024.0)
            ));
        }
        if !self.busiest_plan.is_empty() {
            out.push_str(&format!(
                "\nplan of the first round of the busiest timed /nearby search, for its centre's cell ({} listed):\n",
                self.busiest_found
            ));
            for line in &self.busiest_plan {
                out.push_str(&format!("  {line}\n"));
            }
        }
        if let Some(kept) = &self.kept {
            out.push_str(&format!("\nscratch database kept: {kept}\n"));
        }
        out
    }
}

impl GeoFigures {
    /// The `n` slowest timed searches, slowest first.
    fn slowest_nearby(&self, n: usize) -> String {
        let mut runs: Vec<usize> = (0..self.nearby.times.len()).collect();
        runs.sort_by(|a, b| self.nearby.times[*b].cmp(&self.nearby.times[*a]));
        runs.iter()
            .take(n)
            .map(|&i| {
                format!(
                    "#{} {:.1} ms, {}, {}",
                    i + 1,
                    self.nearby.times[i].as_secs_f64() * 1000.0,
                    self.nearby.counts[i],
                    self.nearby_returned.get(i).copied().unwrap_or(0)
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The `n` slowest runs of `timed`, as `#run time, count`.
fn slowest(timed: &Timed, n: usize) -> String {
    let mut runs: Vec<usize> = (0..timed.times.len()).collect();
    runs.sort_by(|a, b| timed.times[*b].cmp(&timed.times[*a]));
    runs.iter()
        .take(n)
        .map(|&i| {
            format!(
                "#{} {:.1} ms, {}",
                i + 1,
                timed.times[i].as_secs_f64() * 1000.0,
                timed.counts[i]
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where venues and people are: a city picked by weight, then a normal spread around its
/// centre.
pub struct Places {
    rng: SmallRng,
    /// Running sums of the cities' weights.
    cumulative: Vec<f64>,
}

impl Places {
    pub fn new(seed: u64) -> Places {
        let mut sum = 0.0;
        let cumulative = CITIES
            .iter()
            .map(|c| {
                sum += c.3;
                sum
            })
            .collect();
        Places {
            rng: SmallRng::seed_from_u64(seed),
            cumulative,
        }
    }

    pub fn rng(&mut self) -> &mut SmallRng {
        &mut self.rng
    }

    /// A city's index, by weight.
    pub fn city(&mut self) -> usize {
        let total = self.cumulative.last().copied().unwrap_or(0.0);
        let x = self.rng.random::<f64>() * total;
        self.cumulative
            .partition_point(|&c| c <= x)
            .min(CITIES.len() - 1)
    }

    /// A standard normal number (Box-Muller).
    fn normal(&mut self) -> f64 {
        let u1 = 1.0 - self.rng.random::<f64>(); // (0, 1]
        let u2 = self.rng.random::<f64>();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// A city and a point around it.
    pub fn point(&mut self) -> (usize, LatLon) {
        let city = self.city();
        let (_, lat, lon, _) = CITIES[city];
        let north = self.normal() * SPREAD_M;
        let east = self.normal() * SPREAD_M;
        (city, offset(LatLon { lat, lon }, north, east))
    }
}

/// The point `north_m` north and `east_m` east of `c` (flat-earth approximation, plenty
/// for tens of kilometres), kept in the valid ranges: latitude clamped, longitude wrapped.
pub fn offset(c: LatLon, north_m: f64, east_m: f64) -> LatLon {
    let m_per_deg = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;
    let lat = (c.lat + north_m / m_per_deg).clamp(-90.0, 90.0);
    let cos = c.lat.to_radians().cos().max(1e-6);
    let lon = c.lon + east_m / (m_per_deg * cos);
    let lon = (lon + 180.0).rem_euclid(360.0) - 180.0;
    LatLon { lat, lon }
}

pub fn venue_id(i: usize) -> String {
    format!("v{i:06}")
}

/// Venue `i`.
pub fn venue(i: usize, places: &mut Places) -> NewVenue {
    let (city, location) = places.point();
    let name = CITIES[city].0;
    NewVenue {
        id: venue_id(i),
        name: format!("{name}红色驿站{}", i + 1),
        location,
        address: Some(format!("{name}市第{}号", i % 997 + 1)),
        radius_km: VENUE_RADIUS_KM,
        branch_id: Some(format!("c{city}")),
    }
}

/// Activity `i` at one of `venues` venues, starting within `HORIZON_DAYS` of `now` (to
/// the minute), 1 to 3 hours long.
pub fn activity(i: usize, venues: usize, now: DateTime<Utc>, rng: &mut SmallRng) -> NewActivity {
    let venue = rng.random_range(0..venues.max(1));
    let start = rng.random_range(0..HORIZON_DAYS * 24 * 60);
    let starts_at = now + chrono::Duration::minutes(start);
    let minutes = 60 + 30 * rng.random_range(0..=4i64);
    NewActivity {
        id: format!("a{i:07}"),
        venue_id: venue_id(venue),
        title: format!("主题党日学习活动 {}", i + 1),
        description: Some("集中学习，交流心得。".into()),
        starts_at,
        ends_at: starts_at + chrono::Duration::minutes(minutes),
        timezone: "Asia/Shanghai".into(),
        capacity: i.is_multiple_of(3).then_some(30 + (i % 7) as i64 * 10),
    }
}

/// The fixed "now" of the bench: 10:00 in Shanghai.
fn bench_now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 2, 0, 0)
        .single()
        .unwrap_or_default()
}

pub async fn run(bench: &GeoBench, progress: impl Fn(&str)) -> anyhow::Result<GeoFigures> {
    let scratch = tempfile::tempdir()?;
    write_fixture(scratch.path())?;
    let db = super::Scratch::create(&bench.database, scratch.path(), "bench_geo").await?;
    let result = measure(bench, scratch.path(), &db.url, &progress).await;
    let keep = std::env::var_os("WEIKE_BENCH_GEO_KEEP").is_some_and(|v| !v.is_empty());
    if keep {
        let url = crate::config::redact_url(&db.url);
        let _ = scratch.keep();
        progress(&format!("keeping the scratch database {url}"));
        return result.map(|mut f| {
            f.kept = Some(url);
            f
        });
    }
    db.drop_database().await?;
    result
}

async fn measure(
    bench: &GeoBench,
    dir: &Path,
    url: &str,
    progress: &impl Fn(&str),
) -> anyhow::Result<GeoFigures> {
    let mut figures = GeoFigures::default();
    let config = super::fixture_config(dir, url)?;
    let now = bench_now();
    let clock = ManualClock::new(now);
    let app = App::start(config, Arc::new(clock.clone())).await?;
    let store = &app.store;
    let settings = app.config.migrants.clone();
    figures.radius_km = settings.nearby_radius_km;
    figures.nearby_days = settings.nearby_days;
    let retention = chrono::Duration::days(i64::from(settings.retention_days));
    let load = |what: &str, rows: u64, t: Instant| {
        let s = t.elapsed().as_secs_f64();
        progress(&format!(
            "  {what}: {rows} in {s:.1} s ({:.0}/s)",
            rows as f64 / s.max(1e-9)
        ));
    };

    // Venues.
    let venue_count = usize::try_from(bench.venues)?;
    progress(&format!("writing {venue_count} venues ..."));
    let t = Instant::now();
    let mut places = Places::new(SEED);
    let venues: Vec<NewVenue> = (0..venue_count).map(|i| venue(i, &mut places)).collect();
    let mut written = 0;
    for batch in venues.chunks(LOAD_BATCH) {
        written += store.upsert_venues(batch, now).await?;
        load("venues", written, t);
    }
    figures.loads.push(("venues".into(), written, t.elapsed()));

    // Activities.
    let activity_count = usize::try_from(bench.activities)?;
    progress(&format!("writing {activity_count} activities ..."));
    let t = Instant::now();
    let mut rng = SmallRng::seed_from_u64(SEED ^ 1);
    let mut written = 0;
    // Written in the order of the nearby index (cell, start), as a venue's schedule is
    // usually published at once: the index grows at its end instead of everywhere.
    let cell_of_venue: std::collections::HashMap<&str, i64> = venues
        .iter()
        .map(|v| (v.id.as_str(), crate::domain::geo::cell_of(v.location)))
        .collect();
    let mut all: Vec<NewActivity> = (0..activity_count)
        .map(|i| activity(i, venue_count, now, &mut rng))
        .collect();
    all.sort_by_key(|a| (cell_of_venue.get(a.venue_id.as_str()).copied(), a.starts_at));
    for batch in all.chunks(LOAD_BATCH) {
        written += loaders::activities(store, batch, now).await?;
        load("activities", written, t);
    }
    anyhow::ensure!(
        written == activity_count as u64,
        "{written} of {activity_count} activities were written"
    );
    figures
        .loads
        .push(("activities".into(), written, t.elapsed()));

    // Members, spread over the cities' branches like the venues.
    progress(&format!("writing {} members ...", bench.members));
    let t = Instant::now();
    let total_weight: f64 = CITIES.iter().map(|c| c.3).sum();
    let mut created = 0i64;
    for (i, city) in CITIES.iter().enumerate() {
        let count = if i + 1 == CITIES.len() {
            bench.members - created
        } else {
            ((bench.members as f64 * city.3 / total_weight) as i64).min(bench.members - created)
        };
        if count <= 0 {
            continue;
        }
        loaders::members(
            store,
            "telegram",
            1_000_000_000 + created,
            count,
            &format!("c{i}"),
            "bench",
            now + chrono::Duration::days(1),
            now - chrono::Duration::days(90),
        )
        .await?;
        created += count;
        if (i + 1) % 6 == 0 || i + 1 == CITIES.len() {
            load("members", created as u64, t);
        }
    }
    figures
        .loads
        .push(("members".into(), created as u64, t.elapsed()));

    // Migrants: away, consenting, with a location.
    progress("marking migrants and writing their locations ...");
    let t = Instant::now();
    let away_since = now - chrono::Duration::days(60);
    loaders::mark_away(store, bench.migrant_every, away_since).await?;
    loaders::consent_away(store, away_since).await?;
    let migrants = queries::away_members(store).await?;
    figures.migrants = migrants.len() as u64;
    let mut places = Places::new(SEED ^ 2);
    let located: Vec<(i64, LatLon, DateTime<Utc>)> = migrants
        .iter()
        .map(|&id| {
            let (_, at) = places.point();
            let ago = places.rng().random_range(0..LOCATIONS_OVER_DAYS * 24 * 60);
            (id, at, now - chrono::Duration::minutes(ago))
        })
        .collect();
    let mut written = 0;
    for batch in located.chunks(LOAD_BATCH) {
        written += loaders::last_locations(store, batch).await?;
        load("locations", written, t);
    }
    figures
        .loads
        .push(("migrants' locations".into(), written, t.elapsed()));

    progress(if matches!(bench.database, BenchDb::Postgres(_)) {
        "VACUUM (ANALYZE) ..."
    } else {
        "ANALYZE ..."
    });
    let t = Instant::now();
    loaders::analyze(store, &GEO_TABLES).await?;
    loaders::quiet(store).await?;
    figures.analyze = t.elapsed();
    progress(&format!("  in {:.1} s", figures.analyze.as_secs_f64()));

    let radius_m = settings.nearby_radius_km * 1000.0;
    let until = now + chrono::Duration::days(i64::from(settings.nearby_days));
    figures.in_window = queries::activities_in_window(store, now, until).await? as u64;
    anyhow::ensure!(!located.is_empty(), "no member is away from home");

    // 1. /nearby from where migrants are.
    progress(&format!(
        "timing {} /nearby searches ({} warm-up) ...",
        bench.queries, WARMUP
    ));
    let mut rng = SmallRng::seed_from_u64(SEED ^ 3);
    let mut centres = Vec::with_capacity(bench.queries);
    for i in 0..WARMUP + bench.queries {
        let (_, at, _) = located[rng.random_range(0..located.len())];
        let t = Instant::now();
        let found = store
            .activities_near(at, radius_m, now, until, NEARBY_LIST)
            .await?;
        let elapsed = t.elapsed();
        if i >= WARMUP {
            figures.nearby.push(elapsed, found.found.len() as u64);
            centres.push(at);
        }
    }
    progress(&format!(
        "  p50 {:.2} ms, p99 {:.2} ms; counting the rows they read ...",
        figures.nearby.percentile_ms(50.0),
        figures.nearby.percentile_ms(99.0)
    ));
    for at in &centres {
        let c = queries::nearby_candidates(store, *at, radius_m, now, until).await?;
        figures.nearby_in_cells.push(c.in_cells as u64);
        figures.nearby_returned.push(c.returned as u64);
        let all = store
            .activities_near(*at, radius_m, now, until, usize::MAX)
            .await?;
        figures.nearby_within.push(all.found.len() as u64);
    }
    if let Some((busiest, found)) = centres
        .iter()
        .zip(&figures.nearby.counts)
        .max_by_key(|(_, n)| **n)
    {
        figures.busiest_found = *found;
        figures.busiest_plan = queries::explain_nearby(store, *busiest, now, until).await?;
    }

    // The whole conversation path, for distinct members.
    let conversations = bench.queries.min(CONVERSATION_MAX);
    progress(&format!(
        "timing {conversations} /nearby through the conversation ..."
    ));
    let mut picked = std::collections::BTreeSet::new();
    let mut senders = Vec::new();
    while senders.len() < WARMUP + conversations && picked.len() < located.len() {
        let i = rng.random_range(0..located.len());
        if picked.insert(i) {
            let member = store
                .member(located[i].0)
                .await?
                .ok_or_else(|| anyhow::anyhow!("member {} is missing", located[i].0))?;
            senders.push((member.channel, member.chat_id));
        }
    }
    for (i, (channel, chat_id)) in senders.into_iter().enumerate() {
        let inbound = Inbound {
            channel,
            chat_id,
            language: None,
            event: InboundEvent::Text("/nearby".into()),
        };
        let t = Instant::now();
        let replies = app.conversation.handle(&inbound).await?;
        let elapsed = t.elapsed();
        anyhow::ensure!(!replies.is_empty(), "/nearby was not answered");
        if i >= WARMUP {
            figures.conversation.push(elapsed, replies.len() as u64);
            let listed = replies
                .iter()
                .any(|r| matches!(r, Outbound::Text { buttons, .. } if !buttons.is_empty()));
            figures.conversation_lists += u64::from(listed);
        }
    }

    // 2. Fan-out of new activities.
    let fanouts = bench.queries.min(FANOUT_MAX);
    progress(&format!(
        "timing {fanouts} fan-outs of a new activity ({} warm-up) ...",
        WARMUP / 2
    ));
    let fresh_since = now - retention;
    for back_to_back in [false, true] {
        if back_to_back {
            progress(&format!(
                "  p50 {:.2} ms, p99 {:.2} ms; now {fanouts} back to back ...",
                figures.fanout.percentile_ms(50.0),
                figures.fanout.percentile_ms(99.0)
            ));
        }
        for i in 0..WARMUP / 2 + fanouts {
            let venue = &venues[rng.random_range(0..venues.len())];
            let starts_at = now + chrono::Duration::minutes(rng.random_range(60..14 * 24 * 60));
            let id = format!("new{}{i:04}", if back_to_back { "b" } else { "" });
            let new = NewActivity {
                id: id.clone(),
                venue_id: venue.id.clone(),
                title: format!("新活动 {}", i + 1),
                description: None,
                starts_at,
                ends_at: starts_at + chrono::Duration::hours(2),
                timezone: "Asia/Shanghai".into(),
                capacity: None,
            };
            store.upsert_activities(&[new], now).await?;
            let (activity, venue) = store
                .activity_with_venue(&id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("activity {id} is missing"))?;
            if !back_to_back {
                loaders::quiet(store).await?;
            }
            let t = Instant::now();
            let reached = app
                .conversation
                .announce_activity(&activity, &venue)
                .await?;
            let elapsed = t.elapsed();
            if i >= WARMUP / 2 && back_to_back {
                figures.fanout_back_to_back.push(elapsed, reached);
            } else if i >= WARMUP / 2 {
                figures.fanout.push(elapsed, reached);
                let radius = venue.radius_km * 1000.0;
                let returned =
                    queries::migrant_candidates(store, venue.location(), radius, fresh_since)
                        .await?;
                figures.fanout_returned.push(returned as u64);
                // The parts again, apart.
                loaders::quiet(store).await?;
                let t = Instant::now();
                let near = store
                    .migrants_near(venue.location(), radius, fresh_since)
                    .await?;
                figures.fanout_query.push(t.elapsed(), near.len() as u64);
                // Rows of a new activity, under dedup keys of their own per way of writing.
                let deliveries = |label: &str| -> Vec<NewDelivery> {
                    near.iter()
                        .map(|m| NewDelivery {
                            member_id: m.member_id,
                            kind: crate::domain::outbox::OutboxKind::ActivityNew,
                            reference: activity.id.clone(),
                            dedup_key: format!("{label}:{}:{}", activity.id, m.member_id),
                            due_at: now,
                        })
                        .collect()
                };
                let (named, positional) =
                    (deliveries("bench-named"), deliveries("bench-positional"));
                // Alternately first, so that neither always finds the other's pages in the cache.
                for second in [false, true] {
                    loaders::quiet(store).await?;
                    if second == (i % 2 == 0) {
                        let t = Instant::now();
                        let n = store.enqueue_many(&named, now).await?;
                        figures.fanout_enqueue.push(t.elapsed(), n);
                    } else {
                        let t = Instant::now();
                        let n = loaders::enqueue_positional(store, &positional, now).await?;
                        figures.fanout_enqueue_positional.push(t.elapsed(), n);
                    }
                }
            }
        }
    }
    progress(&format!(
        "  p50 {:.2} ms, p99 {:.2} ms",
        figures.fanout_back_to_back.percentile_ms(50.0),
        figures.fanout_back_to_back.percentile_ms(99.0)
    ));
    if let BenchDb::Sqlite = bench.database {
        figures.checkpoints = Some(store.checkpoint_figures());
    }
    app.store.close().await;
    Ok(figures)
}

fn write_fixture(dir: &Path) -> std::io::Result<()> {
    super::write_daily_course(dir, 1)?;
    let mut tree = String::new();
    for (i, (name, ..)) in CITIES.iter().enumerate() {
        tree.push_str(&format!("[[branch]]\nid = \"c{i}\"\nname = \"{name}\"\n"));
    }
    std::fs::write(dir.join("branches.toml"), tree)?;
    std::fs::write(dir.join("points.toml"), "# the default rules, no seasons\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::geo;

    #[test]
    fn places_are_valid_near_their_city_and_deterministic() {
        let mut a = Places::new(7);
        let mut b = Places::new(7);
        let mut per_city = [0usize; CITIES.len()];
        for _ in 0..20_000 {
            let (city, p) = a.point();
            assert_eq!((city, p), b.point());
            assert!(LatLon::new(p.lat, p.lon).is_ok(), "{p:?}");
            let (_, lat, lon, _) = CITIES[city];
            // Farther than 6 standard deviations: practically never.
            assert!(geo::distance_m(LatLon { lat, lon }, p) < 6.0 * SPREAD_M * 1.5);
            per_city[city] += 1;
        }
        // Shanghai (24.9) is picked far more often than Lhasa (0.9).
        assert!(
            per_city[0] > 10 * per_city[CITIES.len() - 1],
            "{per_city:?}"
        );
        assert!(per_city.iter().all(|&n| n > 0), "{per_city:?}");
        // Another seed, other points.
        assert_ne!(Places::new(8).point(), Places::new(7).point());
    }

    #[test]
    fn offsets_stay_in_range() {
        let p = offset(
            LatLon {
                lat: 89.9,
                lon: 179.9,
            },
            50_000.0,
            50_000.0,
        );
        assert!(LatLon::new(p.lat, p.lon).is_ok(), "{p:?}");
        assert_eq!(p.lat, 90.0);
        let p = offset(
            LatLon {
                lat: 0.0,
                lon: -179.99,
            },
            0.0,
            -5_000.0,
        );
        assert!(p.lon > 179.0 && p.lon < 180.0, "{p:?}");
        let p = offset(
            LatLon {
                lat: 30.0,
                lon: 120.0,
            },
            10_000.0,
            0.0,
        );
        let d = geo::distance_m(
            LatLon {
                lat: 30.0,
                lon: 120.0,
            },
            p,
        );
        assert!((d - 10_000.0).abs() < 1.0, "{d}");
    }

    #[test]
    fn activities_are_in_the_horizon_and_one_to_three_hours() {
        let now = bench_now();
        let mut rng = SmallRng::seed_from_u64(1);
        let mut in_week = 0;
        for i in 0..10_000 {
            let a = activity(i, 100, now, &mut rng);
            assert!(a.starts_at >= now && a.starts_at < now + chrono::Duration::days(30));
            let minutes = (a.ends_at - a.starts_at).num_minutes();
            assert!((60..=180).contains(&minutes), "{minutes}");
            assert!(a.venue_id.as_str() < venue_id(100).as_str());
            in_week += usize::from(a.starts_at < now + chrono::Duration::days(7));
        }
        // About 7/30 of them.
        assert!((2_000..2_700).contains(&in_week), "{in_week}");
        let (mut x, mut y) = (SmallRng::seed_from_u64(2), SmallRng::seed_from_u64(2));
        for i in 0..100 {
            assert_eq!(activity(i, 100, now, &mut x), activity(i, 100, now, &mut y));
        }
    }
}
