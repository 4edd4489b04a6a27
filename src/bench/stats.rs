//! `weike bench stats`: how fast an admin's `/stats` is answered over a large organization.
//!
//! 1. a scratch database with a branch tree (cities › towns › villages), N members spread
//!    over the villages (one in ten away from home) and C check-ins spread over 40 days of
//!    a season, written with the rollup rows the service keeps as members check in;
//! 2. `/stats` sent by an admin through the real conversation (store queries, the sums
//!    over the tree, the message text), for the whole organization and for one city, for
//!    the week and for the season: each timed, several times.
//!
//! The figures are the whole answer's time as an admin would wait for it, minus sending.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{NaiveDate, TimeZone, Utc};

use super::{BenchDb, loaders, queries};
use crate::channel::{Inbound, InboundEvent, Outbound};
use crate::clock::ManualClock;
use crate::domain::points::week_of;
use crate::domain::stats::{season_key, week_key};
use crate::domain::{Dialog, Locale};
use crate::service::App;

const CITIES: usize = 20;
const TOWNS: usize = 10;
const VILLAGES: usize = 5;
const DAYS: i64 = 40;
const SEASON_START: (i32, u32, u32) = (2026, 11, 1);

#[derive(Debug, Clone)]
pub struct StatsBench {
    pub members: i64,
    pub checkins: i64,
    pub database: BenchDb,
    /// Times each query is asked.
    pub repeat: usize,
}

#[derive(Debug, Clone, Default)]
pub struct StatsFigures {
    pub setup: Duration,
    pub checkins_written: i64,
    /// Members with a check-in this week (checked: the same from check-ins and rollups).
    pub week_participants: i64,
    /// (what was asked, every timing)
    pub queries: Vec<(String, Vec<Duration>)>,
}

impl StatsFigures {
    pub fn table(&self, bench: &StatsBench) -> String {
        let db = match &bench.database {
            BenchDb::Sqlite => "SQLite (WAL, file)",
            BenchDb::Postgres(_) => "PostgreSQL",
        };
        let mut out = format!(
            "weike bench stats: {} members in {} branches, {} check-ins, {db}\n",
            bench.members,
            CITIES * (1 + TOWNS * (1 + VILLAGES)),
            self.checkins_written
        );
        out.push_str(&format!(
            "setup (members, check-ins and rollups): {:.1} s; {} members studied this week \
             (counted from the check-ins and from the rollups: equal)\n\n",
            self.setup.as_secs_f64(),
            self.week_participants
        ));
        out.push_str(&format!(
            "{:<40} {:>10} {:>10} {:>10}\n",
            "/stats ...", "median", "max", "runs"
        ));
        for (what, times) in &self.queries {
            let mut sorted = times.clone();
            sorted.sort();
            let median = sorted.get(sorted.len() / 2).copied().unwrap_or_default();
            let max = sorted.last().copied().unwrap_or_default();
            out.push_str(&format!(
                "{:<40} {:>8.0} ms {:>7.0} ms {:>10}\n",
                what,
                median.as_secs_f64() * 1000.0,
                max.as_secs_f64() * 1000.0,
                times.len()
            ));
        }
        out
    }
}

pub async fn run(bench: &StatsBench, progress: impl Fn(&str)) -> anyhow::Result<StatsFigures> {
    let scratch = tempfile::tempdir()?;
    write_fixture(scratch.path())?;
    let db = super::Scratch::create(&bench.database, scratch.path(), "bench_stats").await?;
    let result = measure(bench, scratch.path(), &db.url, progress).await;
    db.drop_database().await?;
    result
}

fn village(i: usize) -> String {
    let per_city = TOWNS * VILLAGES;
    format!(
        "c{}.t{}.v{}",
        i / per_city,
        (i % per_city) / VILLAGES,
        i % VILLAGES
    )
}

async fn measure(
    bench: &StatsBench,
    dir: &Path,
    url: &str,
    progress: impl Fn(&str),
) -> anyhow::Result<StatsFigures> {
    let mut figures = StatsFigures::default();
    let config = super::fixture_config(dir, url)?;
    let (y, m, d) = SEASON_START;
    let first_day = NaiveDate::from_ymd_opt(y, m, d).ok_or_else(|| anyhow::anyhow!("date"))?;
    // "Now" is the last day of the check-ins, in the afternoon in Shanghai.
    let now = Utc
        .with_ymd_and_hms(y, m, d, 6, 0, 0)
        .single()
        .unwrap_or_default()
        + chrono::Duration::days(DAYS - 1);
    let clock = ManualClock::new(now);
    let app = App::start(config, Arc::new(clock.clone())).await?;
    let store = &app.store;

    let t = Instant::now();
    let villages = CITIES * TOWNS * VILLAGES;
    progress(&format!(
        "creating {} members in {villages} villages ...",
        bench.members
    ));
    let per_village = bench.members / villages as i64;
    let mut created = 0;
    for v in 0..villages {
        let count = if v + 1 == villages {
            bench.members - created
        } else {
            per_village
        };
        loaders::members(
            store,
            "telegram",
            1_000_000_000 + created,
            count,
            &village(v),
            "bench",
            now + chrono::Duration::days(1),
            now,
        )
        .await?;
        created += count;
    }
    loaders::mark_away(store, 10, now).await?;
    progress(&format!(
        "  members created in {:.1} s",
        t.elapsed().as_secs_f64()
    ));

    // Check-ins: each member studies on a day with the probability that makes `checkins`
    // in all, written day by day in member order.
    let chance = (bench.checkins as f64 / (bench.members as f64 * DAYS as f64)).min(1.0);
    progress(&format!(
        "writing about {} check-ins over {DAYS} days ...",
        bench.checkins
    ));
    let mut written = 0i64;
    for day in 0..DAYS {
        let date = first_day + chrono::Duration::days(day);
        let day_start = Utc.from_utc_datetime(&date.and_hms_opt(0, 0, 0).unwrap_or_default());
        written += loaders::checkins_of_day(store, day_start, &format!("l{:02}", day + 1), chance)
            .await? as i64;
        if (day + 1) % 5 == 0 {
            progress(&format!(
                "  day {}/{DAYS}: {written} check-ins ({:.1} s)",
                day + 1,
                t.elapsed().as_secs_f64()
            ));
        }
    }
    figures.checkins_written = written;
    progress("building the rollups ...");
    let season = app
        .conversation
        .points()
        .seasons
        .first()
        .ok_or_else(|| anyhow::anyhow!("the bench season is missing"))?;
    loaders::build_rollups(
        store,
        8,
        &season_key(&season.id),
        season.starts_at(),
        season.ends_at(),
    )
    .await?;
    progress("ANALYZE (and VACUUM on PostgreSQL) ...");
    loaders::analyze(store, &["members", "activity_rollup", "lesson_rollup"]).await?;
    figures.setup = t.elapsed();

    // The rollups must say what the check-ins say.
    let (from, to) = week_of(now, chrono_tz::Asia::Shanghai);
    let direct = queries::participants_between(store, from, to).await?;
    let rolled: i64 = store
        .branch_figures(&week_key(now, chrono_tz::Asia::Shanghai))
        .await?
        .values()
        .map(|f| f.participants)
        .sum();
    anyhow::ensure!(
        direct == rolled,
        "this week's participants: {direct} from the check-ins, {rolled} from the rollups"
    );
    figures.week_participants = direct;

    // An admin asks. Console members are owners.
    let mut admin = store
        .create_member(
            crate::channel::console::CHANNEL_NAME,
            "bench-admin",
            Locale::ZhCn,
            "Asia/Shanghai",
            app.config.default_lesson_time,
            &Dialog::Idle.encode(),
            now,
        )
        .await?;
    admin.onboarded = true;
    admin.display_name = Some("admin".into());
    admin.branch_id = Some(village(0));
    store.save_member(&admin, now).await?;
    for (label, command) in [
        ("whole organization, this week", "/stats"),
        ("whole organization, season", "/stats season"),
        ("one city, this week", "/stats c3"),
        ("one village, season", "/stats c3.t4.v2 season"),
    ] {
        progress(&format!("asking {command} ..."));
        let mut times = Vec::new();
        for _ in 0..bench.repeat.max(1) {
            let inbound = Inbound {
                channel: crate::channel::console::CHANNEL_NAME.into(),
                chat_id: "bench-admin".into(),
                language: None,
                event: InboundEvent::Text(command.into()),
            };
            let t = Instant::now();
            let replies = app.conversation.handle(&inbound).await?;
            times.push(t.elapsed());
            let answered = replies
                .iter()
                .any(|r| matches!(r, Outbound::Text { html, .. } if html.contains("📊")));
            anyhow::ensure!(
                answered,
                "{command} was not answered with statistics: {replies:?}"
            );
            // The message limit is per minute: the clock moves on between questions.
            clock.advance(chrono::Duration::seconds(4));
        }
        figures.queries.push((label.to_string(), times));
    }
    app.store.close().await;
    Ok(figures)
}

fn write_fixture(dir: &Path) -> std::io::Result<()> {
    super::write_daily_course(dir, DAYS)?;
    let mut tree = String::new();
    for c in 0..CITIES {
        tree.push_str(&format!("[[branch]]\nid = \"c{c}\"\nname = \"城市{c}\"\n"));
        for t in 0..TOWNS {
            tree.push_str(&format!(
                "  [[branch.branch]]\n  id = \"c{c}.t{t}\"\n  name = \"镇{t}\"\n"
            ));
            for v in 0..VILLAGES {
                tree.push_str(&format!(
                    "    [[branch.branch.branch]]\n    id = \"c{c}.t{t}.v{v}\"\n    name = \"村{v}\"\n"
                ));
            }
        }
    }
    std::fs::write(dir.join("branches.toml"), tree)?;
    let (y, m, d) = SEASON_START;
    std::fs::write(
        dir.join("points.toml"),
        format!(
            "[[season]]\nid = \"bench\"\nstart = {y}-{m:02}-{d:02}\nend = {y}-12-31\ntimezone = \"Asia/Shanghai\"\ntop = 3\ntitle = {{ zh-CN = \"标兵\" }}\n"
        ),
    )
}
