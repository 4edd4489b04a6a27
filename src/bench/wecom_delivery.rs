//! `weike bench delivery --channel wecom`: the delivery engine measured end to end through
//! the WeCom channel, against the lean fake WeCom server API on 127.0.0.1
//! ([`FakeWecomApi`]: real HTTP, real database), with the same steps and figures as for
//! Telegram (`delivery.rs`):
//!
//! 1. plan one day's lessons for N WeCom members;
//! 2. drain them with the courier's limits off (the channel still keeps each member's 30 a
//!    minute and 1,000 an hour, as it always does) and the fake's off;
//! 3. plan another day and drain at WeCom's limits for a fixed time (40 calls a second
//!    overall, 0.27 a second per member), the fake dropping what goes beyond a
//!    member's limits and refusing calls beyond 10,000 a minute: it must drop nothing;
//! 4. the peak resident memory of the process.
//!
//! A lesson is two of WeCom's messages (its text and the check-in card). The app's daily
//! budget is set high enough not to stop the benchmark (it is still reserved in the
//! database, as in service).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::delivery::{
    DeliveryBench, Started, bench_courier, drain_for, drain_unlimited, peak_rss_kb,
    plan_another_day, rss_label, start_with_members,
};
use super::fake_wecom_api::FakeWecomApi;
use crate::channel::Channel;
use crate::channel::wecom::{CHANNEL_NAME, LIMITS, WecomChannel, WecomTexts};
use crate::clock::SystemClock;
use crate::config::WecomSettings;
use crate::courier::rate_limit::LimitSettings;

/// The app's daily budget during the benchmark: far above what it sends.
const BENCH_DAILY_BUDGET: u64 = 1_000_000_000;

#[derive(Debug, Clone, Default)]
pub struct WecomFigures {
    pub setup: Duration,
    pub plan: Duration,
    pub planned: u64,
    pub drain: Duration,
    /// Deliveries (lessons) and WeCom messages of the drain with limits off.
    pub drained: u64,
    pub drained_messages: u64,
    pub limited_for: Duration,
    /// Lessons sent by the limited courier by the time it stopped (after the fake's count).
    pub limited_sent: u64,
    /// WeCom messages the fake received during the limited phase's time.
    pub limited_messages: u64,
    pub dropped: u64,
    pub frequency_refused: u64,
    pub max_in_one_second: u64,
    pub max_in_one_minute: u64,
    pub max_member_minute: u64,
    pub peak_rss_kb: Option<u64>,
}

impl WecomFigures {
    pub fn table(&self, bench: &DeliveryBench) -> String {
        let rate = |n: u64, d: Duration| n as f64 / d.as_secs_f64().max(1e-9);
        let db = match &bench.database {
            super::BenchDb::Sqlite => "SQLite (WAL, file)".to_string(),
            super::BenchDb::Postgres(_) => "PostgreSQL".to_string(),
        };
        let mut out = String::new();
        out.push_str(&format!(
            "weike bench delivery --channel wecom: {} members, {db}, send concurrency {}\n\n",
            bench.members, bench.concurrency
        ));
        out.push_str(&format!("{:<48} {:>12} {:>16}\n", "step", "time", "rate"));
        out.push_str(&format!(
            "{:<48} {:>10.2} s\n",
            "create members and enrollments (setup)",
            self.setup.as_secs_f64()
        ));
        out.push_str(&format!(
            "{:<48} {:>10.2} s {:>10.0} rows/s\n",
            format!("plan one day ({} lessons)", self.planned),
            self.plan.as_secs_f64(),
            rate(self.planned, self.plan)
        ));
        out.push_str(&format!(
            "{:<48} {:>10.2} s {:>11.0} msg/s\n",
            format!(
                "drain, limits off ({} lessons, {} messages)",
                self.drained, self.drained_messages
            ),
            self.drain.as_secs_f64(),
            rate(self.drained_messages, self.drain)
        ));
        out.push_str(&format!(
            "{:<48} {:>10.2} s {:>11.1} msg/s\n",
            format!("drain, WeCom's limits ({} messages)", self.limited_messages),
            self.limited_for.as_secs_f64(),
            rate(self.limited_messages, self.limited_for)
        ));
        out.push_str(&format!(
            "{:<48} {:>12} {:>16}\n",
            "  dropped by WeCom / 45009 / most in any second",
            format!("{} / {}", self.dropped, self.frequency_refused),
            format!(
                "{} (paced {}/s)",
                self.max_in_one_second, LIMITS.global_per_second
            )
        ));
        out.push_str(&format!(
            "{:<48} {:>12}\n",
            "  most calls in any minute (limit 10,000)", self.max_in_one_minute
        ));
        out.push_str(&format!(
            "{:<48} {:>12}\n",
            "  most to one member in any minute (limit 30)", self.max_member_minute
        ));
        out.push_str(&format!(
            "{:<48} {:>12}\n",
            "peak RSS",
            rss_label(self.peak_rss_kb)
        ));
        out
    }
}

pub async fn run(bench: &DeliveryBench, progress: impl Fn(&str)) -> anyhow::Result<WecomFigures> {
    let scratch = tempfile::tempdir()?;
    super::delivery::write_fixture(scratch.path())?;
    let db = super::Scratch::create(&bench.database, scratch.path(), "bench").await?;
    let result = measure(bench, scratch.path(), &db.url, progress).await;
    db.drop_database().await?;
    result
}

fn settings(api_base: String) -> WecomSettings {
    WecomSettings {
        corp_id: "wwbench0123456789".into(),
        agent_id: 1_000_002,
        secret: "bench-secret".into(),
        token: "benchToken".into(),
        aes_key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
        api_url: Some(api_base),
        daily_budget: BENCH_DAILY_BUDGET,
        opusdec: "opusdec".into(),
        sox: "sox".into(),
    }
}

async fn measure(
    bench: &DeliveryBench,
    dir: &Path,
    url: &str,
    progress: impl Fn(&str),
) -> anyhow::Result<WecomFigures> {
    let mut figures = WecomFigures::default();
    let Started { app, clock, setup } =
        start_with_members(bench, CHANNEL_NAME, dir, url, &progress).await?;
    figures.setup = setup;

    progress("planning one day ...");
    let t = Instant::now();
    let report = app.planner.plan_due().await?;
    figures.plan = t.elapsed();
    figures.planned = report.planned;

    progress("draining with limits off ...");
    let fake = FakeWecomApi::start(false).await?;
    // A channel per phase, keeping each member's windows on the real clock: with limits off
    // its own pace is off too.
    let wecom = |rate: f64| -> anyhow::Result<Arc<dyn Channel>> {
        Ok(Arc::new(
            WecomChannel::new(
                &settings(fake.api_base()),
                Arc::new(SystemClock),
                WecomTexts::default(),
                app.metrics.clone(),
            )?
            .with_rate(rate),
        ))
    };
    let unlimited = bench_courier(
        &app,
        bench,
        wecom(f64::INFINITY)?,
        LimitSettings::unlimited(),
        Arc::new(clock.clone()),
        "bench-wecom-unlimited",
    );
    let (drain, drained) = drain_unlimited(unlimited, report.planned).await?;
    figures.drain = drain;
    figures.drained = drained.sent;
    figures.drained_messages = fake.stats().ok;

    progress(&format!(
        "draining with WeCom's limits for {:?} ...",
        bench.limited_for
    ));
    plan_another_day(&app, &clock).await?;
    // The drain with limits off went far beyond WeCom's 10,000 calls a minute: the limited
    // phase starts as after a quiet hour, its windows empty.
    fake.reset();
    fake.set_limits(true);
    let limited = bench_courier(
        &app,
        bench,
        wecom(LIMITS.global_per_second)?,
        // WeCom's own limits.
        LimitSettings::default(),
        Arc::new(SystemClock),
        "bench-wecom-limited",
    );
    let limited = drain_for(limited, bench.limited_for, || fake.stats()).await?;
    let stats = limited.stats;
    figures.limited_for = limited.elapsed;
    figures.limited_sent = limited.report?.sent;
    figures.limited_messages = stats.ok;
    figures.dropped = stats.dropped;
    figures.frequency_refused = stats.frequency_refused;
    figures.max_in_one_second = stats.max_per_second;
    figures.max_in_one_minute = stats.max_per_minute;
    figures.max_member_minute = stats.max_member_minute;
    figures.peak_rss_kb = peak_rss_kb();
    app.store.close().await;
    Ok(figures)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::BenchDb;

    /// The courier at WeCom's limits meets the fake's enforcement of WeCom's documented
    /// limits for a few seconds: nothing dropped, nothing refused, at most 40 a second.
    #[tokio::test]
    async fn bench_wecom_courier_stays_within_wecoms_limits() {
        let bench = DeliveryBench {
            members: 200,
            database: BenchDb::Sqlite,
            limited_for: Duration::from_secs(3),
            concurrency: 8,
            phases: crate::bench::delivery::Phases::ALL,
            replies: crate::bench::replies::RepliesBench::off(),
        };
        let _alone = crate::bench::TIMED_TESTS.lock().await;
        let figures = run(&bench, |_| {}).await.expect("the benchmark runs");
        assert_eq!(figures.drained, 200, "{figures:?}");
        assert!(figures.drained_messages >= 200, "{figures:?}");
        assert_eq!(figures.dropped, 0, "{figures:?}");
        assert_eq!(figures.frequency_refused, 0, "{figures:?}");
        // The channel spaces its calls 25 ms apart, whatever a part is (a late one may
        // arrive with the next: WeCom counts minutes and hours, not seconds).
        let paced = 40.0 * figures.limited_for.as_secs_f64() + 8.0;
        assert!((figures.max_in_one_minute as f64) <= paced, "{figures:?}");
        assert!(figures.max_member_minute <= 30, "{figures:?}");
        assert!(
            figures.limited_messages >= 40,
            "the courier kept sending at its rate: {figures:?}"
        );
        let table = figures.table(&bench);
        assert!(table.contains("WeCom's limits"), "{table}");
    }
}
