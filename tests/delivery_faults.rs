//! The delivery engine under faults, against the fake Bot API on 127.0.0.1 (real HTTP) with
//! a manual clock for backoff and pauses: nothing lost, nothing doubled beyond the stated
//! bound, on SQLite and PostgreSQL.

mod support;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeZone, Utc};
use support::db::TestDb;
use support::fake_telegram::Fault;
use support::harness::{Harness, TOKEN, add_members, member_of, text_only_lessons};
use weike::clock::Clock;
use weike::courier::rate_limit::LimitSettings;
use weike::service::App;

/// 07:30 in Shanghai on the first lesson day.
fn lesson_time() -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap()
}

async fn app_for(h: &Harness, lessons: &tempfile::TempDir, concurrency: usize) -> App {
    let dir = lessons.path().display().to_string();
    let mut config = h.config_with(&[("WEIKE_LESSONS_DIR", dir.as_str())]);
    config.courier.limits = LimitSettings::unlimited();
    config.courier.concurrency = concurrency;
    config.courier.max_attempts = 10;
    config.courier.backoff = Duration::from_secs(1);
    config.courier.max_backoff = Duration::from_secs(30);
    App::start(config, Arc::new(h.clock.clone())).await.unwrap()
}

/// How many messages each chat received.
fn per_chat(delivered: &[(i64, String)]) -> BTreeMap<i64, usize> {
    let mut counts = BTreeMap::new();
    for (chat, _) in delivered {
        *counts.entry(*chat).or_default() += 1;
    }
    counts
}

async fn outbox(app: &App) -> BTreeMap<String, i64> {
    app.store
        .outbox_counts()
        .await
        .unwrap()
        .into_iter()
        .collect()
}

/// Ticks (plan + drain) and moves the manual clock on until nothing is waiting.
async fn drain_everything(h: &Harness, app: &App, courier: &weike::courier::Courier) {
    for _ in 0..200 {
        app.tick(courier).await.into_result().unwrap();
        let counts = outbox(app).await;
        if counts.get("pending").copied().unwrap_or(0) + counts.get("sending").copied().unwrap_or(0)
            == 0
        {
            return;
        }
        h.clock.advance(chrono::Duration::seconds(40));
    }
    panic!("the outbox did not drain: {:?}", outbox(app).await);
}

/// 10,000 deliveries, 2% of the members have blocked the bot, and one send in ten fails
/// with a 500, a dropped connection or a 429: every active member gets exactly one copy,
/// blocked members none, and the outbox agrees with what the server saw.
async fn random_faults_scenario(db: TestDb, members: usize) {
    let h = Harness::new(db).await;
    let lessons = text_only_lessons();
    let app = app_for(&h, &lessons, 16).await;
    let chats = add_members(&app, members, 100_000, h.clock.now()).await;
    h.fake.accept_any_chat(true);
    let blocked: Vec<i64> = chats.iter().copied().filter(|c| c % 50 == 7).collect();
    for c in &blocked {
        h.fake.block_user(*c);
    }
    h.fake.set_random_faults(
        42,
        0.1,
        vec![
            Fault::server_error(),
            Fault::Drop,
            Fault::server_error(),
            Fault::too_many_requests(1),
        ],
    );
    h.clock.set(lesson_time());
    let courier = app.courier(h.telegram_channel(), "w1");
    drain_everything(&h, &app, &courier).await;

    let delivered = per_chat(&h.fake.delivered());
    let active = members - blocked.len();
    assert_eq!(
        delivered.len(),
        active,
        "every active member got the lesson"
    );
    assert!(
        delivered.values().all(|n| *n == 1),
        "no copies: {:?}",
        delivered
            .iter()
            .filter(|(_, n)| **n > 1)
            .collect::<Vec<_>>()
    );
    assert!(blocked.iter().all(|c| !delivered.contains_key(c)));
    let counts = outbox(&app).await;
    assert_eq!(
        counts.get("sent").copied(),
        Some(active as i64),
        "{counts:?}"
    );
    assert_eq!(
        counts.get("dead").copied(),
        Some(blocked.len() as i64),
        "{counts:?}"
    );
    let calls = h.fake.calls_to("sendMessage");
    let failed = calls.iter().filter(|c| !c.ok).count();
    let statuses: BTreeMap<u16, usize> = calls.iter().fold(BTreeMap::new(), |mut m, c| {
        *m.entry(c.status).or_default() += 1;
        m
    });
    println!(
        "{members} deliveries: {} requests, {failed} failed, by status {statuses:?}, 429s {}",
        calls.len(),
        h.fake.too_many_requests()
    );
    assert!(
        statuses.get(&500).copied().unwrap_or(0) > members / 50,
        "faults were injected: {statuses:?}"
    );
    assert!(
        statuses.get(&0).copied().unwrap_or(0) > members / 100,
        "dropped connections: {statuses:?}"
    );
    assert_eq!(statuses.get(&403).copied().unwrap_or(0), blocked.len());
    // Blocked members are marked so and get nothing more planned.
    let store = &app.store;
    for c in blocked.iter().take(5) {
        let m = member_of(store, *c).await;
        assert_eq!(m.status, weike::domain::MemberStatus::Blocked);
    }
}

#[tokio::test]
async fn ten_thousand_deliveries_with_random_faults_on_sqlite() {
    random_faults_scenario(TestDb::sqlite(), 10_000).await;
}

#[tokio::test]
async fn ten_thousand_deliveries_with_random_faults_on_postgres() {
    if let Some(db) = TestDb::postgres("faults").await {
        random_faults_scenario(db, 10_000).await;
    }
}

/// The courier is killed in the middle of a run (its task aborted at whatever await it is
/// in) and another one takes over after the lease: nothing is lost, and the repeats are at
/// most the number of deliveries in flight.
async fn crash_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let lessons = text_only_lessons();
    let concurrency = 8;
    let app = Arc::new(app_for(&h, &lessons, concurrency).await);
    let members = 2_000;
    add_members(&app, members, 200_000, h.clock.now()).await;
    h.fake.accept_any_chat(true);
    h.clock.set(lesson_time());
    app.planner.plan_due().await.unwrap();
    // Slow answers keep several sends in flight when the crash comes.
    h.fake
        .set_random_faults(1, 0.3, vec![Fault::Delay(Duration::from_millis(30))]);
    let first = Arc::new(app.courier(h.telegram_channel(), "crashing"));
    let task = {
        let first = first.clone();
        tokio::spawn(async move { first.drain().await })
    };
    h.fake.wait_for_calls("sendMessage", 700).await;
    task.abort();
    let _ = task.await;
    let before = h.fake.delivered().len();
    assert!(before < members, "the crash came before the end ({before})");
    h.fake.clear_faults();

    // After the lease, a new courier finishes the job.
    h.clock.advance(chrono::Duration::minutes(6));
    let second = app.courier(h.telegram_channel(), "restarted");
    drain_everything(&h, &app, &second).await;
    let delivered = per_chat(&h.fake.delivered());
    assert_eq!(delivered.len(), members, "nothing lost");
    let repeats: usize = delivered.values().map(|n| n - 1).sum();
    println!(
        "crash after {before} deliveries: {repeats} repeated (bound: concurrency {concurrency})"
    );
    assert!(repeats <= concurrency, "{repeats} repeats > {concurrency}");
    assert_eq!(
        outbox(&app).await.get("sent").copied(),
        Some(members as i64)
    );
}

sqlite_and_postgres!(crash_and_restart => crash_scenario);

/// Two couriers (two processes' worth: separate pools, workers and limiters) drain one
/// database at the same time: no row is sent twice.
async fn two_couriers_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let lessons = text_only_lessons();
    let app1 = app_for(&h, &lessons, 8).await;
    let app2 = app_for(&h, &lessons, 8).await;
    let members = 3_000;
    add_members(&app1, members, 300_000, h.clock.now()).await;
    h.fake.accept_any_chat(true);
    h.clock.set(lesson_time());
    app1.planner.plan_due().await.unwrap();
    let c1 = app1.courier(h.telegram_channel(), "one");
    let c2 = app2.courier(h.telegram_channel(), "two");
    let (r1, r2) = tokio::join!(c1.drain(), c2.drain());
    let (r1, r2) = (r1.unwrap(), r2.unwrap());
    println!("courier one sent {}, courier two sent {}", r1.sent, r2.sent);
    assert_eq!(r1.sent + r2.sent, members as u64);
    assert!(r1.sent > 0 && r2.sent > 0, "both took part: {r1:?} {r2:?}");
    let delivered = per_chat(&h.fake.delivered());
    assert_eq!(delivered.len(), members);
    assert!(delivered.values().all(|n| *n == 1));
}

sqlite_and_postgres!(two_couriers => two_couriers_scenario);

/// A server that echoes the request's URL, token and all, in its error descriptions: the
/// errors stored with the rows (dead, and waiting for a retry) hold no token.
async fn echoed_token_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let lessons = text_only_lessons();
    let app = app_for(&h, &lessons, 1).await;
    add_members(&app, 2, 500_000, h.clock.now()).await;
    h.fake.accept_any_chat(true);
    h.clock.set(lesson_time());
    app.planner.plan_due().await.unwrap();
    let echo = |code: u16, what: &str| {
        Fault::status(
            code,
            format!("{what}: POST http://127.0.0.1/bot{TOKEN}/sendMessage"),
        )
    };
    h.fake
        .fail_next_with("sendMessage", echo(400, "Bad Request: no such route"));
    h.fake
        .fail_next_with("sendMessage", echo(502, "Bad Gateway"));
    let courier = app.courier(h.telegram_channel(), "echo");
    courier.drain().await.unwrap();
    let counts = outbox(&app).await;
    assert_eq!(counts.get("dead"), Some(&1), "{counts:?}");
    let dead = app.store.outbox_summary(10).await.unwrap().recent_dead;
    let error = dead[0].4.clone().unwrap_or_default();
    assert_eq!(
        error,
        "400 Bad Request: no such route: POST http://127.0.0.1/bot<token>/sendMessage"
    );
    // The row waiting for its retry keeps its error too: read it straight from the table.
    let waiting: Vec<String> = support::sql::strings(
        &h.db.url,
        "SELECT last_error FROM outbox WHERE status = 'pending' AND last_error IS NOT NULL",
    )
    .await;
    assert_eq!(
        waiting,
        ["502 Bad Gateway: POST http://127.0.0.1/bot<token>/sendMessage"]
    );
}

sqlite_and_postgres!(no_token_in_stored_errors => echoed_token_scenario);

/// A 429 storm, on the real clock: after each 429, no request reaches the server until its
/// retry_after has passed (allowing 20 ms for a request already on the wire).
#[tokio::test]
async fn no_request_during_a_retry_after_window() {
    let db = TestDb::sqlite();
    let h = Harness::new(db).await;
    let lessons = text_only_lessons();
    let dir = lessons.path().display().to_string();
    let mut config = h.config_with(&[("WEIKE_LESSONS_DIR", dir.as_str())]);
    config.courier.concurrency = 8;
    let app = App::start(config, Arc::new(weike::clock::SystemClock))
        .await
        .unwrap();
    let now = Utc::now();
    add_members(&app, 40, 400_000, now - chrono::Duration::days(1)).await;
    // Make the lessons due now.
    for chat in 400_000..400_040i64 {
        let m = member_of(&app.store, chat).await;
        app.store
            .set_next_due(m.id, "short", Some(now))
            .await
            .unwrap();
    }
    h.fake.accept_any_chat(true);
    for _ in 0..3 {
        h.fake
            .fail_next_with("sendMessage", Fault::too_many_requests(1));
    }
    let courier = app.courier(h.telegram_channel(), "storm");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        app.tick(&courier).await.into_result().unwrap();
        if h.fake.delivered().len() == 40 || std::time::Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(h.fake.delivered().len(), 40);
    let calls = h.fake.calls_to("sendMessage");
    let storms: Vec<_> = calls
        .iter()
        .filter(|c| c.status == 429)
        .map(|c| c.at)
        .collect();
    assert_eq!(storms.len(), 3);
    for t in &storms {
        let inside: Vec<_> = calls
            .iter()
            .filter(|c| c.at > *t + Duration::from_millis(20) && c.at < *t + Duration::from_secs(1))
            .collect();
        assert!(
            inside.is_empty(),
            "{} request(s) inside a retry_after window",
            inside.len()
        );
    }
}

/// Several processes on one PostgreSQL database: one plans at a time, and another takes
/// over when it goes away.
#[tokio::test]
async fn one_planner_at_a_time_on_postgres() {
    let Some(db) = TestDb::postgres("planner").await else {
        return;
    };
    let first = weike::store::Store::connect(&db.url).await.unwrap();
    first.migrate().await.unwrap();
    let second = weike::store::Store::connect(&db.url).await.unwrap();
    assert!(first.is_planner(&db.url).await.unwrap());
    assert!(
        first.is_planner(&db.url).await.unwrap(),
        "it stays the planner"
    );
    assert!(!second.is_planner(&db.url).await.unwrap());
    first.close().await; // the process stops: its lock goes with its connection
    assert!(second.is_planner(&db.url).await.unwrap());
    // SQLite is one process: always the planner.
    let sqlite = TestDb::sqlite();
    let store = weike::store::Store::connect(&sqlite.url).await.unwrap();
    assert!(store.is_planner(&sqlite.url).await.unwrap());
}
