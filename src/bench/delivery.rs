//! `weike bench delivery`: the delivery engine measured end to end on this machine, against
//! the lean fake Bot API on 127.0.0.1 (real HTTP, real database).
//!
//! 1. plan one day's lessons for N members (outbox rows and lesson days written), with the
//!    CPU time this process and the database's server processes spent on it;
//! 2. drain them with limits off: claim, compose, HTTP send, mark sent;
//! 3. plan another day and drain with Telegram's limits on for a fixed time, the fake server
//!    enforcing those limits with 429s;
//! 4. the peak resident memory of the process;
//! 5. the phases of `replies.rs` (members' /start, lessons' lateness, replies during a
//!    backlog), on the same database.
//!
//! `--phases plan` stops after step 1 (and `--phases plan,limited` leaves out step 2); any
//! choice but `all` leaves out step 5.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;

use super::BenchDb;
use super::fake_bot_api::{FakeBotApi, FakeLimits};
use crate::channel::Channel;
use crate::channel::telegram::TelegramChannel;
use crate::clock::{Clock, ManualClock, SystemClock};
use crate::courier::rate_limit::LimitSettings;
use crate::courier::{Courier, CourierSettings, DrainReport};
use crate::service::App;
use crate::store::{Pool, Store};

#[derive(Debug, Clone)]
pub struct DeliveryBench {
    pub members: i64,
    pub database: BenchDb,
    /// How long to drain with Telegram's limits on.
    pub limited_for: Duration,
    pub concurrency: usize,
    pub phases: Phases,
    /// The phases of `replies.rs`.
    pub replies: super::replies::RepliesBench,
}

/// The steps after planning that a run takes (`--phases`); planning always runs, since the
/// others send what it planned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Phases {
    /// Drain the planned day with limits off.
    pub drain: bool,
    /// Plan another day and drain it with Telegram's limits for `limited_for`.
    pub limited: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PhasesError {
    #[error(
        "--phases {0:?}: use all, or phases out of plan, drain and limited separated by commas"
    )]
    Unknown(String),
}

impl Phases {
    pub const ALL: Phases = Phases {
        drain: true,
        limited: true,
    };

    /// `all`, or a comma-separated list out of `plan`, `drain` and `limited` (`plan` is
    /// implied).
    pub fn parse(text: &str) -> Result<Phases, PhasesError> {
        if text.trim() == "all" {
            return Ok(Phases::ALL);
        }
        let mut phases = Phases {
            drain: false,
            limited: false,
        };
        for phase in text.split(',').map(str::trim) {
            match phase {
                "plan" => {}
                "drain" => phases.drain = true,
                "limited" => phases.limited = true,
                _ => return Err(PhasesError::Unknown(text.to_string())),
            }
        }
        Ok(phases)
    }
}

#[derive(Debug, Clone, Default)]
pub struct DeliveryFigures {
    pub setup: Duration,
    pub plan: Duration,
    pub planned: u64,
    /// CPU time (user and system) this process spent planning.
    pub plan_cpu: Option<Duration>,
    /// CPU time the PostgreSQL server processes of the scratch database's connections spent
    /// during planning (a server on this machine only).
    pub plan_server_cpu: Option<Duration>,
    /// The machine's load average (1 minute) when planning began: other work on the machine
    /// slows every figure down.
    pub load_before_plan: Option<f64>,
    pub drain: Duration,
    pub drained: u64,
    pub limited_sent: u64,
    pub limited_for: Duration,
    pub too_many_requests: u64,
    pub max_in_one_second: u64,
    pub peak_rss_kb: Option<u64>,
    pub replies: super::replies::RepliesFigures,
}

impl DeliveryFigures {
    pub fn table(&self, bench: &DeliveryBench) -> String {
        let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        let db = match &bench.database {
            BenchDb::Sqlite => "SQLite (WAL, file)".to_string(),
            BenchDb::Postgres(_) => "PostgreSQL".to_string(),
        };
        let mut out = String::new();
        out.push_str(&format!(
            "weike bench delivery: {} members, {db}, send concurrency {}\n\n",
            bench.members, bench.concurrency
        ));
        out.push_str(&format!("{:<44} {:>12} {:>16}\n", "step", "time", "rate"));
        out.push_str(&format!(
            "{:<44} {:>10.2} s\n",
            "create members and enrollments (setup)",
            self.setup.as_secs_f64()
        ));
        out.push_str(&format!(
            "{:<44} {:>10.2} s {:>10.0} rows/s\n",
            format!("plan one day ({} lessons)", self.planned),
            self.plan.as_secs_f64(),
            rate(self.planned, self.plan)
        ));
        let secs = |d: Option<Duration>| {
            d.map(|d| format!("{:.1} s", d.as_secs_f64()))
                .unwrap_or_else(|| "n/a".into())
        };
        out.push_str(&format!(
            "  CPU used planning: weike {}{}; load average before: {}\n",
            secs(self.plan_cpu),
            match &bench.database {
                BenchDb::Sqlite => String::new(),
                BenchDb::Postgres(_) =>
                    format!(", PostgreSQL server {}", secs(self.plan_server_cpu)),
            },
            self.load_before_plan
                .map(|l| format!("{l:.1}"))
                .unwrap_or_else(|| "n/a".into())
        ));
        if bench.phases.drain {
            out.push_str(&format!(
                "{:<44} {:>10.2} s {:>11.0} msg/s\n",
                format!("drain, limits off ({} messages)", self.drained),
                self.drain.as_secs_f64(),
                rate(self.drained, self.drain)
            ));
        }
        if bench.phases.limited {
            out.push_str(&format!(
                "{:<44} {:>10.2} s {:>11.1} msg/s\n",
                format!("drain, Telegram's limits ({} messages)", self.limited_sent),
                self.limited_for.as_secs_f64(),
                rate(self.limited_sent, self.limited_for)
            ));
            out.push_str(&format!(
                "{:<44} {:>12} {:>16}\n",
                "  429s received / most sends in any second",
                self.too_many_requests,
                format!("{} (limit 30)", self.max_in_one_second)
            ));
        }
        out.push_str(&format!(
            "{:<44} {:>12}\n",
            "peak RSS",
            rss_label(self.peak_rss_kb)
        ));
        out.push_str(&self.replies.table(&bench.replies));
        out
    }
}

/// CPU time (user and system, all threads) used so far by process `pid` ("self": this one),
/// from `/proc/<pid>/stat` (Linux; in clock ticks of 1/100 s, the kernel's `USER_HZ`).
fn cpu_of(pid: &str) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // After the command name in parentheses (which may hold spaces): state, then 10 more
    // fields, then utime and stime.
    let rest = &stat[stat.rfind(')')? + 1..];
    let mut fields = rest.split_whitespace().skip(11);
    let user: u64 = fields.next()?.parse().ok()?;
    let system: u64 = fields.next()?.parse().ok()?;
    Some(Duration::from_millis((user + system) * 10))
}

/// The machine's load average over the last minute (Linux).
fn load_average() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// The CPU time used so far by each PostgreSQL server process serving a connection to the
/// store's database, by process id; None for SQLite, or when the server is not a process on
/// this machine (it is named `postgres` in `/proc`).
async fn server_cpu(store: &Store) -> anyhow::Result<Option<HashMap<i32, Duration>>> {
    let Pool::Postgres(p) = store.pool() else {
        return Ok(None);
    };
    let pids: Vec<i32> =
        sqlx::query_scalar("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            .fetch_all(p)
            .await?;
    let mut cpu = HashMap::new();
    for pid in pids {
        let comm = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        if comm.trim() != "postgres" {
            return Ok(None);
        }
        if let Some(used) = cpu_of(&pid.to_string()) {
            cpu.insert(pid, used);
        }
    }
    Ok(Some(cpu))
}

/// CPU time the server processes used between two readings of [`server_cpu`] (a process that
/// started in between counts from zero).
fn server_cpu_between(
    before: &Option<HashMap<i32, Duration>>,
    after: &Option<HashMap<i32, Duration>>,
) -> Option<Duration> {
    let (before, after) = (before.as_ref()?, after.as_ref()?);
    Some(
        after
            .iter()
            .map(|(pid, used)| used.saturating_sub(before.get(pid).copied().unwrap_or_default()))
            .sum(),
    )
}

/// A peak RSS for a figures table: `74 MB`, or `n/a` where it cannot be read.
pub fn rss_label(kb: Option<u64>) -> String {
    kb.map(|kb| format!("{:.0} MB", kb as f64 / 1024.0))
        .unwrap_or_else(|| "n/a".into())
}

/// Peak resident set size of this process (Linux), in kB.
pub fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

pub fn write_fixture(dir: &Path) -> std::io::Result<()> {
    let course = super::write_course(dir)?;
    for n in 1..=3 {
        std::fs::write(
            course.join(format!("0{n}-lesson-{n}.zh-CN.md")),
            format!(
                "+++\nid = \"lesson-{n}\"\ntitle = \"第{n}课：过马路\"\n+++\n过马路走人行横道，看清红绿灯。**骑电动车戴头盔**，不闯红灯。\n\n- 先看左，再看右\n- 天黑穿浅色衣服\n"
            ),
        )?;
    }
    std::fs::write(
        dir.join("branches.toml"),
        "[[branch]]\nid = \"b\"\nname = \"支部\"\n",
    )
}

pub async fn run(
    bench: &DeliveryBench,
    progress: impl Fn(&str),
) -> anyhow::Result<DeliveryFigures> {
    let scratch = tempfile::tempdir()?;
    write_fixture(scratch.path())?;
    let db = super::Scratch::create(&bench.database, scratch.path(), "bench").await?;
    let mut result = measure(bench, scratch.path(), &db.url, &progress).await;
    // The members' phases come with every phase only (`--phases plan` times planning alone).
    if let Ok(figures) = &mut result
        && bench.phases == Phases::ALL
    {
        match super::replies::run(&bench.replies, scratch.path(), &db.url, &progress).await {
            Ok(replies) => figures.replies = replies,
            Err(e) => result = Err(e),
        }
    }
    db.drop_database().await?;
    result
}

/// A service on the scratch database with `bench.members` members of `channel` enrolled
/// and due a minute ago, on a manual clock at the real now (planning runs on it; sending
/// on the real clock), as a service that has had its quiet moments since they joined, and
/// how long that took.
pub(super) async fn start_with_members(
    bench: &DeliveryBench,
    channel: &str,
    dir: &Path,
    url: &str,
    progress: &impl Fn(&str),
) -> anyhow::Result<Started> {
    let config = super::fixture_config(dir, url)?;
    let start = Utc::now();
    let clock = ManualClock::new(start);
    let app = App::start(config, Arc::new(clock.clone())).await?;

    progress(&format!("creating {} {channel} members ...", bench.members));
    let t = Instant::now();
    let due = start - chrono::Duration::minutes(1);
    super::loaders::members(
        &app.store,
        channel,
        1_000_000_000,
        bench.members,
        "b",
        "bench",
        due,
        start,
    )
    .await?;
    // On PostgreSQL, what autovacuum would have done by now after members joined over
    // time: the query planner's statistics (without them PostgreSQL read each page of due
    // enrollments by sorting all of them). The service never runs `ANALYZE` on SQLite.
    if matches!(app.store.pool(), Pool::Postgres(_)) {
        super::loaders::analyze(&app.store, &["members", "enrollments"]).await?;
    }
    super::loaders::quiet(&app.store).await?;
    Ok(Started {
        app,
        clock,
        setup: t.elapsed(),
    })
}

/// What [`start_with_members`] made.
pub(super) struct Started {
    pub app: App,
    pub clock: ManualClock,
    pub setup: Duration,
}

async fn measure(
    bench: &DeliveryBench,
    dir: &Path,
    url: &str,
    progress: impl Fn(&str),
) -> anyhow::Result<DeliveryFigures> {
    let mut figures = DeliveryFigures::default();
    let Started { app, clock, setup } =
        start_with_members(bench, "telegram", dir, url, &progress).await?;
    figures.setup = setup;

    progress("planning one day ...");
    figures.load_before_plan = load_average();
    let server_before = server_cpu(&app.store).await?;
    let cpu_before = cpu_of("self");
    let t = Instant::now();
    let report = app.planner.plan_due().await?;
    figures.plan = t.elapsed();
    figures.planned = report.planned;
    figures.plan_cpu = cpu_of("self")
        .zip(cpu_before)
        .map(|(after, before)| after.saturating_sub(before));
    figures.plan_server_cpu = server_cpu_between(&server_before, &server_cpu(&app.store).await?);
    if !bench.phases.drain && !bench.phases.limited {
        figures.peak_rss_kb = peak_rss_kb();
        app.store.close().await;
        return Ok(figures);
    }

    let fake = FakeBotApi::start(None).await?;
    let channel: Arc<dyn Channel> = Arc::new(TelegramChannel::new(
        "1000000:BENCH",
        Some(&fake.api_url()),
    )?);
    if bench.phases.drain {
        progress("draining with limits off ...");
        let unlimited = bench_courier(
            &app,
            bench,
            channel.clone(),
            LimitSettings::unlimited(),
            Arc::new(clock.clone()),
            "bench-unlimited",
        );
        let (drain, _) = drain_unlimited(unlimited, report.planned).await?;
        figures.drain = drain;
        figures.drained = fake.stats().ok;
    }
    if !bench.phases.limited {
        figures.peak_rss_kb = peak_rss_kb();
        app.store.close().await;
        return Ok(figures);
    }

    progress(&format!(
        "draining with Telegram's limits for {:?} ...",
        bench.limited_for
    ));
    plan_another_day(&app, &clock).await?;
    // The unlimited drain's sends are still in the fake's one-second window (with a small
    // --members it ended a moment ago): the limited phase starts once they are out of it,
    // as it would after a quiet second at Telegram.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    fake.reset_stats();
    fake.set_limits(Some(FakeLimits::telegram()));
    let limited = bench_courier(
        &app,
        bench,
        channel,
        // Telegram's own limits.
        LimitSettings::default(),
        Arc::new(SystemClock),
        "bench-limited",
    );
    let limited = drain_for(limited, bench.limited_for, || fake.stats()).await?;
    figures.limited_for = limited.elapsed;
    figures.limited_sent = limited.stats.ok;
    figures.too_many_requests = limited.stats.too_many_requests;
    figures.max_in_one_second = limited.stats.max_per_second;
    figures.peak_rss_kb = peak_rss_kb();
    app.store.close().await;
    Ok(figures)
}

/// A benchmark's courier on `app`'s store, sending `bench.concurrency` deliveries at a time
/// through `channel` within `limits`, as worker `worker`.
pub(super) fn bench_courier(
    app: &App,
    bench: &DeliveryBench,
    channel: Arc<dyn Channel>,
    limits: LimitSettings,
    clock: Arc<dyn Clock>,
    worker: &str,
) -> Courier {
    Courier::new(
        app.store.clone(),
        channel,
        app.conversation.clone(),
        clock,
        CourierSettings {
            limits,
            concurrency: bench.concurrency,
            ..CourierSettings::default()
        },
        worker.to_string(),
        7,
        app.metrics.clone(),
    )
}

/// Drains everything due with `courier` (its limits off) and how long that took. The
/// courier then stops, as a process would: the limited one after it does not share the
/// channel's limit with it (see `Courier::keep_presence`). Every one of the `planned` rows
/// must have been sent.
pub(super) async fn drain_unlimited(
    courier: Courier,
    planned: u64,
) -> anyhow::Result<(Duration, DrainReport)> {
    let t = Instant::now();
    let drained = courier.drain().await?;
    let elapsed = t.elapsed();
    courier.release_all().await?;
    anyhow::ensure!(
        drained.sent == planned,
        "drained {} of {planned} planned rows ({drained:?})",
        drained.sent,
    );
    Ok((elapsed, drained))
}

/// Plans another day: the manual clock at the real now, every enrollment due a minute ago.
pub(super) async fn plan_another_day(app: &App, clock: &ManualClock) -> anyhow::Result<()> {
    let now = Utc::now();
    clock.set(now);
    super::loaders::set_all_next_due(&app.store, now - chrono::Duration::minutes(1)).await?;
    app.planner.plan_due().await?;
    Ok(())
}

/// What [`drain_for`] saw.
pub(super) struct Limited<S> {
    /// The fake's counts when the time was up.
    pub stats: S,
    pub elapsed: Duration,
    /// What the courier reported when it stopped.
    pub report: anyhow::Result<DrainReport>,
}

/// Lets `courier` drain for `time` (real time), reads the fake's counts with `stats` when
/// the time is up, then stops the courier and gives back what it held.
pub(super) async fn drain_for<S>(
    courier: Courier,
    time: Duration,
    stats: impl FnOnce() -> S,
) -> anyhow::Result<Limited<S>> {
    let courier = Arc::new(courier);
    let runner = {
        let courier = courier.clone();
        tokio::spawn(async move { courier.drain().await })
    };
    let t = Instant::now();
    tokio::time::sleep(time).await;
    let stats = stats();
    let elapsed = t.elapsed();
    courier.stop();
    let report = match runner.await {
        Ok(report) => report.map_err(anyhow::Error::from),
        Err(e) => Err(anyhow::Error::from(e)),
    };
    courier.release_all().await?;
    Ok(Limited {
        stats,
        elapsed,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Telegram's limits have three models on purpose, each written from Telegram's
    /// documentation on its own: the courier's limiter (`courier/rate_limit.rs`, which books
    /// evenly spaced slots), the tests' fake (`tests/support/fake_telegram.rs`, a sliding
    /// window per second) and this benchmark's fake (a sliding window and a token bucket per
    /// chat). If one of them were wrong, the others would catch it: here the courier at its
    /// default limits meets this fake's enforcement for a few seconds and must not get a
    /// single 429 (`tests/courier.rs` does the same against the tests' fake).
    #[tokio::test]
    async fn bench_courier_stays_within_the_fakes_limits() {
        let bench = DeliveryBench {
            members: 200,
            database: BenchDb::Sqlite,
            limited_for: Duration::from_secs(4),
            concurrency: 8,
            phases: Phases::ALL,
            replies: crate::bench::replies::RepliesBench::off(),
        };
        let _alone = crate::bench::TIMED_TESTS.lock().await;
        let figures = run(&bench, |_| {}).await.expect("the benchmark runs");
        assert_eq!(figures.too_many_requests, 0, "{figures:?}");
        assert!(figures.max_in_one_second <= 30, "{figures:?}");
        assert!(
            figures.limited_sent >= 100,
            "the courier kept sending at its rate: {figures:?}"
        );
    }

    #[test]
    fn phases_are_read_from_a_list() {
        assert_eq!(Phases::parse("all"), Ok(Phases::ALL));
        assert_eq!(Phases::parse("plan,drain,limited"), Ok(Phases::ALL));
        assert_eq!(
            Phases::parse("plan"),
            Ok(Phases {
                drain: false,
                limited: false
            })
        );
        assert_eq!(
            Phases::parse("plan, limited"),
            Ok(Phases {
                drain: false,
                limited: true
            })
        );
        assert_eq!(
            Phases::parse("plan,send"),
            Err(PhasesError::Unknown("plan,send".into()))
        );
    }

    #[test]
    fn this_process_has_used_some_cpu() {
        let mut x = 0u64;
        for i in 0..50_000_000u64 {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(i);
        }
        assert!(x != 1, "keeps the loop");
        let used = cpu_of("self").expect("/proc/self/stat is readable on Linux");
        assert!(used > Duration::ZERO, "{used:?}");
        assert!(load_average().is_some_and(|l| l >= 0.0));
    }
}
