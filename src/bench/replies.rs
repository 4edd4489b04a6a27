//! The phases of `weike bench delivery` that measure what members wait for, run after the
//! delivery phases on the same scratch database (`delivery.rs` calls [`run`]):
//!
//! 1. **starts**: N members send /start at once to the real service (long polling against
//!    the fake Bot API, which answers every call after a round trip and keeps Telegram's
//!    limits); the time from each /start to the first message in that chat;
//! 2. **lateness**: members spread over realistic lesson times (most between 06:30 and
//!    08:00) on a simulated clock; the planner and the courier run as the service's tick
//!    runs them (plan what is due, then drain), and each lesson's lateness is its send time
//!    less its due time, per slot, beside the `/capacity` forecast;
//! 3. **replies**: the service drains a backlog of every member's lesson at Telegram's
//!    limits while members send commands and press buttons (about 2 a second): the replies'
//!    latency, the 429s, and the most messages in any second.
//!
//! Each phase scales down with the options ([`RepliesBench`]), so a tiny run stays short.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveTime, TimeZone as _, Utc};
use rand::{Rng as _, SeedableRng as _};
use serde_json::{Value, json};

use super::fake_bot_api::{FakeBotApi, FakeLimits, Reply};
use crate::channel::UpdateSource;
use crate::channel::telegram::TelegramChannel;
use crate::clock::{Clock as _, ManualClock, SystemClock};
use crate::conversation::action::{Action, RankPeriod};
use crate::domain::capacity::{Slot, forecast};
use crate::domain::outbox::ClaimOrder;
use crate::service::{App, Mode, Service, run_services_until};

/// The bot's token in the benchmarks (its id is the part before the colon).
const TOKEN: &str = "1000000:BENCH";
/// Members who send commands and press buttons in the replies phase, at most.
const INTERACTING_MEMBERS: i64 = 200;
/// The first chat ids of each phase's own members (the delivery phases use 1,000,000,000
/// on).
const STARTS_CHATS: i64 = 2_000_000_000;
const LATENESS_CHATS: i64 = 3_000_000_000;
const INTERACTING_CHATS: i64 = 4_000_000_000;
/// Lesson times (Asia/Shanghai, the benchmark members' zone) and the share of members at
/// each, in percent: most between 06:30 and 08:00.
const SLOTS: [(u32, u32, i64); 7] = [
    (6, 0, 5),
    (6, 30, 15),
    (7, 0, 25),
    (7, 30, 30),
    (8, 0, 15),
    (12, 0, 5),
    (20, 0, 5),
];

/// What the phases do, and how big they are.
#[derive(Debug, Clone)]
pub struct RepliesBench {
    /// Members sending /start at once, one run each (empty: no starts phase).
    pub starts: Vec<usize>,
    /// How long each call to the fake Bot API takes (the starts and replies phases).
    pub round_trip: Duration,
    /// Members spread over the lesson times of the lateness phase (0: no lateness phase).
    pub lateness_members: i64,
    /// How long members send commands and press buttons while the backlog drains (zero: no
    /// replies phase).
    pub replies_for: Duration,
    /// Commands and button presses a second in the replies phase.
    pub interactions_per_second: f64,
    /// Deliveries in flight at once.
    pub concurrency: usize,
}

impl RepliesBench {
    /// The phases at the sizes asked for, scaled to a run over `members` members: each
    /// starts run at most a quarter of them (a tiny run stays short), the lateness phase
    /// over `lateness_members` (default: `members`), replies for `replies_for`.
    pub fn scaled(
        members: i64,
        starts: &[usize],
        lateness_members: Option<i64>,
        replies_for: Duration,
        concurrency: usize,
    ) -> RepliesBench {
        let most = usize::try_from(members / 4).unwrap_or(usize::MAX).max(1);
        RepliesBench {
            starts: starts
                .iter()
                .map(|&n| n.min(most))
                .filter(|&n| n > 0)
                .collect(),
            round_trip: Duration::from_millis(100),
            lateness_members: lateness_members.unwrap_or(members).max(0),
            replies_for,
            interactions_per_second: 2.0,
            concurrency,
        }
    }

    /// No phase at all.
    pub fn off() -> RepliesBench {
        RepliesBench {
            starts: Vec::new(),
            round_trip: Duration::ZERO,
            lateness_members: 0,
            replies_for: Duration::ZERO,
            interactions_per_second: 2.0,
            concurrency: 1,
        }
    }
}

/// The starts phase for one number of members.
#[derive(Debug, Clone, Default)]
pub struct StartFigures {
    pub members: usize,
    pub answered: usize,
    /// Time from /start to the first message in the chat.
    pub first_reply: Latencies,
    /// The same less the wait Telegram's limit imposes (the sends that went out before it
    /// at the limiter's rate).
    pub beyond_limiter: Latencies,
    pub too_many_requests: u64,
    pub max_in_one_second: u64,
}

/// The lateness of the lessons of one lesson time.
#[derive(Debug, Clone, Default)]
pub struct SlotLateness {
    /// The lesson time, local (Asia/Shanghai).
    pub time: String,
    pub members: u64,
    /// Claimed earliest due first, as the service does.
    pub lateness: Latencies,
    /// Claimed in the order the rows were written ([`ClaimOrder::Written`]).
    pub written_order: Latencies,
    /// The `/capacity` forecast of the slot's longest wait.
    pub forecast: Duration,
}

#[derive(Debug, Clone, Default)]
pub struct LatenessFigures {
    pub members: i64,
    /// Lessons sent in the day claimed earliest due first, and in the one claimed in the
    /// order written.
    pub sent: u64,
    pub sent_written_order: u64,
    /// Wall time of the two simulations.
    pub took: Duration,
    pub slots: Vec<SlotLateness>,
    pub all: Latencies,
    pub all_written_order: Latencies,
}

/// The replies phase.
#[derive(Debug, Clone, Default)]
pub struct ReplyFigures {
    /// Deliveries waiting when it started.
    pub backlog: i64,
    pub took: Duration,
    pub interactions: usize,
    pub answered: usize,
    pub latency: Latencies,
    /// Messages sent in all (lessons and replies).
    pub sent: u64,
    pub too_many_requests: u64,
    pub max_in_one_second: u64,
}

#[derive(Debug, Clone, Default)]
pub struct RepliesFigures {
    pub starts: Vec<StartFigures>,
    pub lateness: Option<LatenessFigures>,
    pub replies: Option<ReplyFigures>,
}

/// p50, p99 and the largest of a set of durations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Latencies {
    pub count: usize,
    pub p50: Duration,
    pub p99: Duration,
    pub max: Duration,
}

impl Latencies {
    /// Nearest-rank percentiles.
    pub fn of(mut values: Vec<Duration>) -> Latencies {
        values.sort_unstable();
        let rank = |p: f64| {
            let n = values.len();
            let i = ((p * n as f64).ceil() as usize).clamp(1, n.max(1)) - 1;
            values.get(i).copied().unwrap_or_default()
        };
        Latencies {
            count: values.len(),
            p50: rank(0.50),
            p99: rank(0.99),
            max: values.last().copied().unwrap_or_default(),
        }
    }

    fn show(&self) -> String {
        format!(
            "p50 {} / p99 {} / max {}",
            seconds(self.p50),
            seconds(self.p99),
            seconds(self.max)
        )
    }
}

fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 600.0 {
        format!("{:.1} min", s / 60.0)
    } else {
        format!("{s:.2} s")
    }
}

impl RepliesFigures {
    pub fn table(&self, bench: &RepliesBench) -> String {
        let mut out = String::new();
        let ms = bench.round_trip.as_millis();
        for s in &self.starts {
            out.push_str(&format!(
                "{:<44} {}/{} answered (fake answers in {ms} ms)\n",
                format!("{} members send /start at once", s.members),
                s.answered,
                s.members
            ));
            out.push_str(&format!(
                "{:<44} {}\n",
                "  time to the first reply",
                s.first_reply.show()
            ));
            out.push_str(&format!(
                "{:<44} {}  (target p99 <= 1 s)\n",
                "  beyond the limiter's wait",
                s.beyond_limiter.show()
            ));
            out.push_str(&format!(
                "{:<44} {} / {} (limit 30)\n",
                "  429s received / most sends in any second",
                s.too_many_requests,
                s.max_in_one_second
            ));
        }
        if let Some(l) = &self.lateness {
            out.push_str(&format!(
                "{:<44} {} + {} lessons sent in {:.1} s (simulated clock, each order)\n",
                format!("lateness, {} members over lesson times", l.members),
                l.sent,
                l.sent_written_order,
                l.took.as_secs_f64()
            ));
            out.push_str(&format!(
                "  {:<8} {:>9}  {:<46} {:<46} {}\n",
                "slot",
                "members",
                "lateness (earliest due first)",
                "(claimed in the order written)",
                "/capacity forecast"
            ));
            for s in &l.slots {
                out.push_str(&format!(
                    "  {:<8} {:>9}  {:<46} {:<46} {}\n",
                    s.time,
                    s.members,
                    s.lateness.show(),
                    s.written_order.show(),
                    seconds(s.forecast)
                ));
            }
            out.push_str(&format!(
                "  {:<8} {:>9}  {:<46} {}\n",
                "all",
                l.all.count,
                l.all.show(),
                l.all_written_order.show()
            ));
        }
        if let Some(r) = &self.replies {
            out.push_str(&format!(
                "{:<44} {} rows waiting, {:.0} s, {} sent ({:.1} msg/s)\n",
                "replies while a backlog drains",
                r.backlog,
                r.took.as_secs_f64(),
                r.sent,
                r.sent as f64 / r.took.as_secs_f64().max(1e-9)
            ));
            out.push_str(&format!(
                "{:<44} {}  (target p99 <= 1.5 s)\n",
                format!(
                    "  reply latency ({}/{} answered)",
                    r.answered, r.interactions
                ),
                r.latency.show()
            ));
            out.push_str(&format!(
                "{:<44} {} / {} (targets 0 / 30)\n",
                "  429s received / most sends in any second",
                r.too_many_requests,
                r.max_in_one_second
            ));
        }
        out
    }
}

/// Runs the phases on the scratch database of `url` (the lessons and branches in `dir`),
/// after the delivery phases: its members are there, with one day's lessons planned and
/// partly sent.
pub async fn run(
    bench: &RepliesBench,
    dir: &Path,
    url: &str,
    progress: &impl Fn(&str),
) -> anyhow::Result<RepliesFigures> {
    let mut figures = RepliesFigures::default();
    // What the delivery phases left waiting is held back until the replies phase.
    {
        let app = start_app(bench, dir, url, Arc::new(SystemClock)).await?;
        let later = Utc::now() + chrono::Duration::days(3650);
        super::queries::set_pending_attempt(&app.store, later).await?;
        app.store.close().await;
    }
    for (run, &members) in bench.starts.iter().enumerate() {
        progress(&format!("{members} members send /start at once ..."));
        let first_chat = STARTS_CHATS + run as i64 * 1_000_000;
        figures
            .starts
            .push(starts(bench, dir, url, first_chat, members).await?);
    }
    if bench.lateness_members > 0 {
        progress(&format!(
            "lateness of {} members' lessons (simulated clock) ...",
            bench.lateness_members
        ));
        figures.lateness = Some(lateness(bench, dir, url).await?);
    }
    if !bench.replies_for.is_zero() {
        progress(&format!(
            "replies while the backlog drains, for {:?} ...",
            bench.replies_for
        ));
        figures.replies = Some(replies(bench, dir, url).await?);
    }
    Ok(figures)
}

async fn start_app(
    bench: &RepliesBench,
    dir: &Path,
    url: &str,
    clock: Arc<dyn crate::clock::Clock>,
) -> anyhow::Result<App> {
    Ok(App::start(app_config(bench, dir, url)?, clock).await?)
}

/// The service's configuration in these phases: the fixture's, with the benchmark's send
/// concurrency.
fn app_config(
    bench: &RepliesBench,
    dir: &Path,
    url: &str,
) -> anyhow::Result<crate::config::Config> {
    let mut config = super::fixture_config(dir, url)?;
    config.courier.concurrency = bench.concurrency.max(1);
    Ok(config)
}

/// Runs the service (polling mode, against `fake`) while `work` runs, `work` starting once
/// the service polls for updates; then stops the service as a signal would (graceful
/// shutdown; the store is closed). The service's future is not `Send`: it runs on this task,
/// as in `weike run`.
async fn serve_while<T>(
    app: Arc<App>,
    fake: &FakeBotApi,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<T> {
    let channel: Arc<dyn UpdateSource> =
        Arc::new(TelegramChannel::new(TOKEN, Some(&fake.api_url()))?);
    let service = Service::new(app, channel);
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serving = run_services_until(vec![(service, Mode::Polling)], async move {
        let _ = stopped.await;
    });
    let driving = async {
        let waited = Instant::now();
        let result = loop {
            if fake
                .stats()
                .by_method
                .get("getUpdates")
                .copied()
                .unwrap_or(0)
                > 0
            {
                break work.await;
            }
            if waited.elapsed() > Duration::from_secs(30) {
                break Err(anyhow::anyhow!(
                    "the service did not poll for updates within 30 s"
                ));
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let _ = stop.send(());
        result
    };
    let (served, result) = tokio::join!(serving, driving);
    served?;
    result
}

/// Waits until `expected` replies are in (or `limit` has passed); gives them.
async fn collect_replies(fake: &FakeBotApi, expected: usize, limit: Duration) -> Vec<Reply> {
    let started = Instant::now();
    let mut replies = Vec::with_capacity(expected);
    loop {
        let (more, _) = fake.take_replies();
        replies.extend(more);
        if replies.len() >= expected || started.elapsed() > limit {
            return replies;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A member's private chat and their user, as Telegram describes them.
fn user(chat: i64) -> Value {
    json!({"id": chat, "is_bot": false, "first_name": format!("U{chat}"), "language_code": "zh-hans"})
}

fn private_chat(chat: i64) -> Value {
    json!({"id": chat, "type": "private", "first_name": format!("U{chat}")})
}

fn unix_now() -> i64 {
    Utc::now().timestamp()
}

/// An update with a text from `chat` (a command gets its `bot_command` entity).
pub fn text_update(chat: i64, text: &str) -> Value {
    let mut message = json!({
        "message_id": 1,
        "from": user(chat),
        "chat": private_chat(chat),
        "date": unix_now(),
        "text": text,
    });
    if text.starts_with('/') {
        let command = text.split_whitespace().next().unwrap_or(text);
        message["entities"] =
            json!([{"type": "bot_command", "offset": 0, "length": command.encode_utf16().count()}]);
    }
    json!({ "message": message })
}

/// An update with a press on a button with `data` under a message of the bot in `chat`.
pub fn button_update(chat: i64, data: &str, query: u64) -> Value {
    json!({
        "callback_query": {
            "id": format!("CB{query}"),
            "from": user(chat),
            "message": {
                "message_id": 1,
                "from": {"id": 1_000_000, "is_bot": true, "first_name": "weike"},
                "chat": private_chat(chat),
                "date": unix_now(),
                "text": "…",
            },
            "chat_instance": format!("CI{chat}"),
            "data": data,
        }
    })
}

async fn starts(
    bench: &RepliesBench,
    dir: &Path,
    url: &str,
    first_chat: i64,
    members: usize,
) -> anyhow::Result<StartFigures> {
    let app = Arc::new(start_app(bench, dir, url, Arc::new(SystemClock)).await?);
    let fake = FakeBotApi::start(Some(FakeLimits::telegram())).await?;
    fake.set_delay(bench.round_trip);
    let per_second = crate::channel::telegram::LIMITS.global_per_second;
    let (replies, stats) = serve_while(app, &fake, async {
        fake.reset_stats();
        for i in 0..members {
            let chat = first_chat + i as i64;
            fake.push_update(chat, text_update(chat, "/start"));
        }
        let limit = Duration::from_secs_f64(members as f64 / per_second + 30.0);
        let replies = collect_replies(&fake, members, limit).await;
        Ok((replies, fake.stats()))
    })
    .await?;
    Ok(StartFigures {
        members,
        answered: replies.len(),
        first_reply: Latencies::of(replies.iter().map(|r| r.after).collect()),
        beyond_limiter: Latencies::of(replies.iter().map(|r| beyond(r, per_second)).collect()),
        too_many_requests: stats.too_many_requests,
        max_in_one_second: stats.max_per_second,
    })
}

/// A reply's time less the limiter's wait: the sends that went out before it, at the
/// limiter's `per_second` (its slots are evenly spaced, one every 1/`per_second` s).
fn beyond(reply: &Reply, per_second: f64) -> Duration {
    let wait = reply.sends_before as f64 / per_second;
    reply.after.saturating_sub(Duration::from_secs_f64(wait))
}

/// The local midnight (Asia/Shanghai) of a day ten days ago, in UTC: a simulated day that
/// does not reach the next lessons of the delivery phases' members.
fn simulated_day() -> DateTime<Utc> {
    let zone = chrono_tz::Asia::Shanghai;
    let day = (Utc::now() - chrono::Duration::days(10))
        .with_timezone(&zone)
        .date_naive();
    zone.from_local_datetime(&day.and_time(NaiveTime::MIN))
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| Utc::now() - chrono::Duration::days(10))
}

/// The members of each slot, `total` shared by [`SLOTS`]' percentages (at least one each).
fn slot_members(total: i64) -> Vec<i64> {
    let mut counts: Vec<i64> = SLOTS
        .iter()
        .map(|&(_, _, pct)| (total * pct / 100).max(1))
        .collect();
    let given: i64 = counts.iter().sum();
    // The rounding's remainder goes to the busiest slot.
    if let Some(busiest) = counts.iter_mut().max() {
        *busiest = (*busiest + total - given).max(1);
    }
    counts
}

/// One simulated day of the lateness phase, with the courier claiming in `order`.
struct SimulatedDay {
    sent: u64,
    took: Duration,
    /// Each lesson's due and sent time.
    times: Vec<(DateTime<Utc>, DateTime<Utc>)>,
    /// The courier's overall rate (the forecast's).
    per_second: f64,
}

/// Loads `counts[i]` members at `dues[i]` (chats from `first_chat`), then runs the planner
/// and a courier claiming in `order` as the service's tick runs them, on a simulated clock,
/// until every one of their lessons is sent.
async fn simulate_day(
    bench: &RepliesBench,
    dir: &Path,
    url: &str,
    (dues, counts): (&[DateTime<Utc>], &[i64]),
    order: ClaimOrder,
    first_chat: i64,
) -> anyhow::Result<SimulatedDay> {
    let midnight = simulated_day();
    let clock = ManualClock::new(midnight);
    let mut config = app_config(bench, dir, url)?;
    config.courier.claim_order = order;
    let app = App::start(config, Arc::new(clock.clone())).await?;
    let after = super::queries::max_member_id(&app.store).await?;
    let mut chat = first_chat;
    for ((&due, &count), &(h, m, _)) in dues.iter().zip(counts).zip(&SLOTS) {
        let before = super::queries::max_member_id(&app.store).await?;
        super::loaders::members(
            &app.store, "telegram", chat, count, "b", "bench", due, midnight,
        )
        .await?;
        // Their next lesson is the next day's, at the same time.
        super::queries::set_lesson_time(&app.store, before, &format!("{h:02}:{m:02}")).await?;
        chat += count;
    }
    // Sends are answered at once, without limits: the courier's limiter (Telegram's limits
    // on the simulated clock) is what spaces them.
    let fake = FakeBotApi::start(None).await?;
    let channel = Arc::new(TelegramChannel::new(TOKEN, Some(&fake.api_url()))?);
    let courier = app.courier(channel, "bench-lateness");
    let started = Instant::now();
    let mut sent = 0;
    clock.set(dues[0]);
    loop {
        // What the service's tick does for lessons: plan what is due, then send it for one
        // turn, and again at once while rows are due.
        app.planner.plan_due().await?;
        let drained = courier.drain_turn().await?;
        sent += drained.sent;
        if drained.sent > 0 || drained.more {
            continue;
        }
        let now = clock.now();
        match dues.iter().find(|d| **d > now) {
            Some(next) => clock.set(*next),
            None if super::queries::unsent_after(&app.store, after).await? == 0 => break,
            // Retries: their time comes.
            None => clock.advance(chrono::Duration::seconds(1)),
        }
        anyhow::ensure!(
            clock.now() < midnight + chrono::Duration::days(2),
            "the simulated day's lessons were not all sent within two days"
        );
    }
    let took = started.elapsed();
    courier.release_all().await?;
    let times = super::queries::lesson_times_after(&app.store, after).await?;
    let per_second = courier.limits().global_per_second;
    app.store.close().await;
    Ok(SimulatedDay {
        sent,
        took,
        times,
        per_second,
    })
}

/// The lateness phase: the same day simulated twice, its members claimed earliest due
/// first (as the service does), then in the order their rows were written.
async fn lateness(bench: &RepliesBench, dir: &Path, url: &str) -> anyhow::Result<LatenessFigures> {
    let midnight = simulated_day();
    let dues: Vec<DateTime<Utc>> = SLOTS
        .iter()
        .map(|&(h, m, _)| midnight + chrono::Duration::minutes(i64::from(h * 60 + m)))
        .collect();
    let counts = slot_members(bench.lateness_members);
    let members = counts.iter().sum::<i64>();
    let slots = (dues.as_slice(), counts.as_slice());
    let edf = simulate_day(
        bench,
        dir,
        url,
        slots,
        ClaimOrder::EarliestDue,
        LATENESS_CHATS,
    )
    .await?;
    let written = simulate_day(
        bench,
        dir,
        url,
        slots,
        ClaimOrder::Written,
        LATENESS_CHATS + members,
    )
    .await?;
    let forecasts = forecast(
        &dues
            .iter()
            .zip(&counts)
            .map(|(&due, &members)| Slot {
                due,
                members: members as u64,
            })
            .collect::<Vec<_>>(),
        1.0,
        edf.per_second,
    );
    let late =
        |(due, sent): &(DateTime<Utc>, DateTime<Utc>)| (*sent - *due).to_std().unwrap_or_default();
    let of_slot = |day: &SimulatedDay, due: DateTime<Utc>| {
        Latencies::of(day.times.iter().filter(|t| t.0 == due).map(late).collect())
    };
    let slots = SLOTS
        .iter()
        .zip(&dues)
        .zip(&counts)
        .map(|((&(h, m, _), &due), &members)| SlotLateness {
            time: format!("{h:02}:{m:02}"),
            members: members as u64,
            lateness: of_slot(&edf, due),
            written_order: of_slot(&written, due),
            forecast: forecasts
                .iter()
                .find(|f| f.due == due)
                .and_then(|f| f.longest_wait().to_std().ok())
                .unwrap_or_default(),
        })
        .collect();
    Ok(LatenessFigures {
        members: bench.lateness_members,
        sent: edf.sent,
        sent_written_order: written.sent,
        took: edf.took + written.took,
        slots,
        all: Latencies::of(edf.times.iter().map(late).collect()),
        all_written_order: Latencies::of(written.times.iter().map(late).collect()),
    })
}

/// What the members of the replies phase send, in turn.
enum Interaction {
    Command(&'static str),
    Button(Action),
}

const INTERACTIONS: [Interaction; 6] = [
    Interaction::Command("/today"),
    Interaction::Button(Action::Rank(RankPeriod::Week)),
    Interaction::Command("/me"),
    Interaction::Command("/help"),
    Interaction::Button(Action::Rank(RankPeriod::Season)),
    Interaction::Command("/rank"),
];

async fn replies(bench: &RepliesBench, dir: &Path, url: &str) -> anyhow::Result<ReplyFigures> {
    let app = Arc::new(start_app(bench, dir, url, Arc::new(SystemClock)).await?);
    // Every member's next lesson, on top of what is still waiting from before.
    let now = Utc::now();
    super::loaders::set_all_next_due(&app.store, now - chrono::Duration::minutes(1)).await?;
    app.planner.plan_due().await?;
    let backlog =
        super::queries::set_pending_attempt(&app.store, now - chrono::Duration::minutes(1)).await?;
    // The members who write: no lesson of theirs is waiting, so the first message in their
    // chat after they write is the reply.
    let members = super::queries::max_member_id(&app.store)
        .await?
        .clamp(1, INTERACTING_MEMBERS);
    super::loaders::members(
        &app.store,
        "telegram",
        INTERACTING_CHATS,
        members,
        "b",
        "bench",
        now + chrono::Duration::days(30),
        now,
    )
    .await?;
    let fake = FakeBotApi::start(Some(FakeLimits::telegram())).await?;
    fake.set_delay(bench.round_trip);
    let every = Duration::from_secs_f64(1.0 / bench.interactions_per_second.max(0.01));
    let (pushed, replies, took, stats) = serve_while(app, &fake, async {
        fake.reset_stats();
        let started = Instant::now();
        let mut rng = rand::rngs::SmallRng::seed_from_u64(15);
        let mut ticker = tokio::time::interval(every);
        let mut pushed = 0usize;
        let mut replies = Vec::new();
        while started.elapsed() < bench.replies_for {
            ticker.tick().await;
            let chat = INTERACTING_CHATS + rng.random_range(0..members);
            let update = match &INTERACTIONS[pushed % INTERACTIONS.len()] {
                Interaction::Command(text) => text_update(chat, text),
                Interaction::Button(action) => button_update(chat, &action.encode(), pushed as u64),
            };
            fake.push_update(chat, update);
            pushed += 1;
            replies.extend(fake.take_replies().0);
        }
        // The last ones have a few seconds to be answered.
        let rest = pushed.saturating_sub(replies.len());
        replies.extend(collect_replies(&fake, rest, Duration::from_secs(5)).await);
        Ok((pushed, replies, started.elapsed(), fake.stats()))
    })
    .await?;
    Ok(ReplyFigures {
        backlog: i64::try_from(backlog).unwrap_or(i64::MAX),
        took,
        interactions: pushed,
        answered: replies.len(),
        latency: Latencies::of(replies.iter().map(|r| r.after).collect()),
        sent: stats.sent,
        too_many_requests: stats.too_many_requests,
        max_in_one_second: stats.max_per_second,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every phase, tiny, through `weike bench delivery`'s own run: the service answers
    /// each /start and each command or button, within the fake's limits, and the lateness
    /// phase sends every simulated lesson.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn every_phase_runs_tiny() {
        use crate::bench::BenchDb;
        use crate::bench::delivery::{DeliveryBench, run};
        let bench = DeliveryBench {
            members: 40,
            database: BenchDb::Sqlite,
            limited_for: Duration::from_secs(1),
            concurrency: 8,
            phases: crate::bench::delivery::Phases::ALL,
            replies: RepliesBench {
                starts: vec![6],
                round_trip: Duration::from_millis(20),
                lateness_members: 30,
                replies_for: Duration::from_secs(2),
                interactions_per_second: 5.0,
                concurrency: 8,
            },
        };
        let figures = run(&bench, |_| {}).await.expect("the benchmark runs");
        let r = &figures.replies;
        assert_eq!(r.starts.len(), 1, "{r:?}");
        let s = &r.starts[0];
        assert_eq!((s.members, s.answered), (6, 6), "{s:?}");
        assert_eq!(s.too_many_requests, 0, "{s:?}");
        // A round trip of the update and one of the reply at least.
        assert!(s.first_reply.p50 >= Duration::from_millis(40), "{s:?}");
        assert!(s.beyond_limiter.p99 <= s.first_reply.p99, "{s:?}");

        let l = r.lateness.as_ref().expect("the lateness phase ran");
        assert_eq!((l.sent, l.sent_written_order), (30, 30), "{l:?}");
        assert_eq!((l.all.count, l.all_written_order.count), (30, 30), "{l:?}");
        assert_eq!(l.slots.iter().map(|s| s.members).sum::<u64>(), 30, "{l:?}");
        assert!(
            l.slots.iter().all(|s| s.lateness.count as u64 == s.members
                && s.written_order.count as u64 == s.members),
            "{l:?}"
        );
        // A few members a slot at 29.5 a second: each slot is sent within seconds.
        assert!(l.all.max < Duration::from_secs(5), "{l:?}");
        assert!(l.all_written_order.max < Duration::from_secs(5), "{l:?}");

        let p = r.replies.as_ref().expect("the replies phase ran");
        assert!(p.interactions >= 8, "{p:?}");
        assert_eq!(p.answered, p.interactions, "{p:?}");
        // The delivery phases' members' lessons and the day planned on top.
        assert!(p.backlog >= 40, "{p:?}");
        assert_eq!(p.too_many_requests, 0, "{p:?}");
        assert!(p.max_in_one_second <= 30, "{p:?}");
        assert!(p.sent > p.answered as u64, "lessons went out too: {p:?}");
        let table = figures.table(&bench);
        assert!(table.contains("6 members send /start at once"), "{table}");
        assert!(table.contains("reply latency"), "{table}");
        assert!(table.contains("07:30"), "{table}");
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let ms = |v: u64| Duration::from_millis(v);
        let l = Latencies::of((1..=100).rev().map(ms).collect());
        assert_eq!(
            (l.count, l.p50, l.p99, l.max),
            (100, ms(50), ms(99), ms(100))
        );
        let l = Latencies::of(vec![ms(7)]);
        assert_eq!((l.p50, l.p99, l.max), (ms(7), ms(7), ms(7)));
        assert_eq!(Latencies::of(Vec::new()), Latencies::default());
    }

    #[test]
    fn slots_share_every_member() {
        assert_eq!(slot_members(100), vec![5, 15, 25, 30, 15, 5, 5]);
        assert_eq!(slot_members(1_000_003).iter().sum::<i64>(), 1_000_003);
        // A tiny run still has a member at each time.
        let tiny = slot_members(3);
        assert!(tiny.iter().all(|&n| n >= 1), "{tiny:?}");
    }

    #[test]
    fn the_limiters_wait_is_taken_off() {
        let reply = Reply {
            chat: 1,
            after: Duration::from_millis(2300),
            sends_before: 65,
        };
        // 65 sends before it at 26 a second: the limiter held it 2.5 s.
        assert_eq!(beyond(&reply, 26.0), Duration::from_millis(0));
        // At 32.5 a second, 2 s: it came 0.3 s after its slot.
        assert_eq!(beyond(&reply, 32.5), Duration::from_millis(300));
    }

    #[test]
    fn updates_read_as_the_service_reads_them() {
        let mut update = text_update(42, "/start");
        update["update_id"] = json!(1);
        let inbound = crate::channel::telegram::parse_update(&update.to_string())
            .expect("readable")
            .expect("an event");
        assert_eq!(inbound.chat_id, "42");
        assert_eq!(
            inbound.event,
            crate::channel::InboundEvent::Text("/start".into())
        );
        let mut update = button_update(42, "rank:week", 3);
        update["update_id"] = json!(2);
        let inbound = crate::channel::telegram::parse_update(&update.to_string())
            .expect("readable")
            .expect("an event");
        assert_eq!(inbound.chat_id, "42");
        assert!(
            matches!(&inbound.event, crate::channel::InboundEvent::Button { data, .. } if data == "rank:week"),
            "{inbound:?}"
        );
    }
}
