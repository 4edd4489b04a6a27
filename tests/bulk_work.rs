//! Bulk work does not stall members. While the real binary imports 200,000 venues into
//! the SQLite file of a running `weike run --webhook` (another process), members write
//! every 200 ms and each is answered within a second, and the service never finds the
//! database locked. An import killed with SIGKILL between its batches is completed by
//! running it again: the venues, activities and announcements are those of a clean import,
//! and nobody is told twice about an activity. The store's other bulk writers (planning,
//! fan-outs, broadcasts, retries, purges, the branch tree) go a batch at a time and still do
//! all their work. SQLite and PostgreSQL.

mod support;

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::db::TestDb;
use support::harness::{Harness, add_members};
use support::webhook::{command_update, free_port, post_update, webhook_service};
use tokio::io::{AsyncBufReadExt, BufReader};
use weike::domain::geo::LatLon;

const SECRET: &str = "import-load-secret_0123456789";

/// The latency test runs alone: the other long tests of this file take the two cores too.
static ALONE: tokio::sync::RwLock<()> = tokio::sync::RwLock::const_new(());
const PATH: &str = "/telegram";

fn weike(db_url: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_weike"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"));
    for var in weike::config::ENV_VARS {
        cmd.env_remove(var);
    }
    cmd.env_remove("WEIKE_CONFIG")
        .env("WEIKE_DATABASE_URL", db_url)
        .env("WEIKE_LOG", "warn")
        .kill_on_drop(true);
    cmd
}

/// `count` venues `v-000000..` spread over a square of about 220 km around Shanghai
/// (a pseudo-random but fixed layout).
fn write_venues(path: &Path, count: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "id,name,lat,lon,address").unwrap();
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % 1_000_000) as f64 / 1_000_000.0
    };
    for i in 0..count {
        let (lat, lon) = (30.0 + 2.0 * next(), 120.0 + 2.0 * next());
        writeln!(f, "v-{i:06},驿站 {i},{lat:.5},{lon:.5},\"第 {i} 号, 1 楼\"").unwrap();
    }
}

/// `count` activities `a-000000..`, one at each of the first venues, in December 2030.
fn write_activities(path: &Path, count: usize) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(f, "id,venue,title,start,end,capacity").unwrap();
    for i in 0..count {
        let day = 1 + i % 28;
        writeln!(
            f,
            "a-{i:06},v-{i:06},活动 {i},2030-12-{day:02} 19:00,2030-12-{day:02} 21:00,{}",
            10 + i % 50
        )
        .unwrap();
    }
}

/// Posts `/start` from a new member and waits for the first message to them; returns how
/// long that took (10 s: not answered).
async fn probe(h: Arc<Harness>, port: u16, update_id: i64, chat: i64) -> Duration {
    let started = Instant::now();
    let (status, _) = post_update(
        port,
        PATH,
        SECRET,
        &command_update(update_id, chat, "/start"),
    )
    .await;
    assert_eq!(status, 200, "the webhook refused member {chat}'s update");
    while started.elapsed() < Duration::from_secs(10) {
        if h.fake
            .calls_to("sendMessage")
            .iter()
            .any(|c| c.chat_id() == Some(chat))
        {
            return started.elapsed();
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    Duration::from_secs(10)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn members_are_answered_within_a_second_during_a_200k_venue_import() {
    const VENUES: usize = 200_000;
    let _alone = ALONE.write().await;
    let h = Arc::new(Harness::new(TestDb::sqlite()).await);
    h.fake.accept_any_chat(true);
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("venues.csv");
    write_venues(&csv, VENUES);
    let service_log = dir.path().join("service.log");
    let port = free_port();
    let mut service = webhook_service(&h, port, PATH, SECRET)
        .env("WEIKE_LOG", "warn")
        .stderr(std::fs::File::create(&service_log).unwrap())
        .spawn()
        .unwrap();
    h.fake.wait_for_calls("setWebhook", 1).await;
    // Warm up: a member is answered.
    let warm = probe(h.clone(), port, 1, 7000).await;
    assert!(
        warm < Duration::from_secs(10),
        "the service does not answer"
    );

    let started = Instant::now();
    let mut import = weike(&h.db.url)
        .args(["import", "venues"])
        .arg(&csv)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = import.stdout.take().unwrap();
    let stderr = import.stderr.take().unwrap();
    let output = tokio::spawn(async move {
        let (mut out, mut err) = (String::new(), String::new());
        let (mut o, mut e) = (BufReader::new(stdout), BufReader::new(stderr));
        let _ = tokio::join!(
            tokio::io::AsyncReadExt::read_to_string(&mut o, &mut out),
            tokio::io::AsyncReadExt::read_to_string(&mut e, &mut err)
        );
        (out, err)
    });
    // Wait for the writing to begin (the file is read and checked first).
    let mut probes = Vec::new();
    let mut n = 0;
    let status = loop {
        if let Some(status) = import.try_wait().unwrap() {
            break status;
        }
        n += 1;
        probes.push(tokio::spawn(probe(h.clone(), port, 1 + n, 7000 + n)));
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let took = started.elapsed();
    let (stdout, stderr) = output.await.unwrap();
    assert!(status.success(), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "{VENUES} venues imported ({VENUES} new, 0 updated)"
        )),
        "{stdout}"
    );
    let mut latencies = Vec::new();
    for p in probes {
        latencies.push(p.await.unwrap());
    }
    latencies.sort();
    let max = *latencies.last().unwrap();
    eprintln!(
        "import of {VENUES} venues: {:.1} s ({:.0} rows/s, with the reading and checking); \
         {} members wrote meanwhile, answered after {} ms (median), {} ms (95th percentile), \
         {} ms at most",
        took.as_secs_f64(),
        VENUES as f64 / took.as_secs_f64(),
        latencies.len(),
        percentile(&latencies, 0.5).as_millis(),
        percentile(&latencies, 0.95).as_millis(),
        max.as_millis()
    );
    assert!(
        latencies.len() >= 10,
        "too few updates during the import ({})",
        latencies.len()
    );
    assert!(
        max < Duration::from_secs(1),
        "a member waited {} ms for an answer during the import",
        max.as_millis()
    );
    // Progress every ten batches.
    assert!(stderr.contains("100000/200000 venues written"), "{stderr}");
    let store = weike::store::Store::connect(&h.db.url).await.unwrap();
    assert_eq!(store.venue_ids().await.unwrap().len(), VENUES);
    store.close().await;
    service.start_kill().unwrap();
    let _ = service.wait().await;
    let log = std::fs::read_to_string(&service_log).unwrap();
    assert!(
        !log.contains("database is locked"),
        "the service found the database locked:\n{log}"
    );
}

/// Runs `weike import ARGS` to the end; returns its stdout (it must succeed).
async fn import_all(db_url: &str, args: &[&str], file: &Path) -> String {
    let out = weike(db_url)
        .arg("import")
        .args(args)
        .arg(file)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).to_string(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    );
    assert!(out.status.success(), "{stdout}{stderr}");
    stdout
}

/// Runs `weike import ARGS` and kills it (SIGKILL) as soon as it prints a progress line
/// containing `at`; returns what it printed. It must not have finished.
async fn import_killed(db_url: &str, args: &[&str], file: &Path, at: &str) -> String {
    let mut child = weike(db_url)
        .arg("import")
        .args(args)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = String::new();
    while let Some(line) = lines.next_line().await.unwrap() {
        seen.push_str(&line);
        seen.push('\n');
        if line.contains(at) {
            child.start_kill().unwrap();
            break;
        }
    }
    let status = child.wait().await.unwrap();
    let mut stdout = String::new();
    tokio::io::AsyncReadExt::read_to_string(&mut child.stdout.take().unwrap(), &mut stdout)
        .await
        .unwrap();
    assert!(
        !status.success() && !stdout.contains("imported"),
        "the import finished before it could be killed at {at:?}: {stdout}{seen}"
    );
    seen
}

/// Migrant members away from home, with fresh locations among the venues of
/// [`write_venues`], so that `--notify` has people to tell.
async fn migrants(h: &Harness) {
    let app = weike::service::App::start(h.config(), Arc::new(weike::clock::SystemClock))
        .await
        .unwrap();
    let now = chrono::Utc::now();
    add_members(&app, 12, 90_000, now).await;
    for (i, id) in (1..=12).enumerate() {
        let point = LatLon {
            lat: 30.1 + 0.15 * i as f64,
            lon: 120.1 + 0.15 * i as f64,
        };
        app.store.set_away(id, Some(now)).await.unwrap();
        app.store.save_location(id, point, now).await.unwrap();
    }
    app.store.close().await;
}

/// The rows an import writes, as text (timestamps of the writes left out), and the
/// outbox.
async fn imported_state(url: &str) -> [Vec<String>; 3] {
    let venues = support::sql::strings(
        url,
        "SELECT id || '|' || name || '|' || CAST(lat AS TEXT) || '|' || CAST(lon AS TEXT) || '|'
                || CAST(cell AS TEXT) || '|' || COALESCE(address, '-') || '|'
                || CAST(radius_km AS TEXT) || '|' || COALESCE(branch_id, '-') || '|' || status
         FROM venues ORDER BY id",
    )
    .await;
    let activities = support::sql::strings(
        url,
        "SELECT id || '|' || venue_id || '|' || CAST(cell AS TEXT) || '|' || CAST(lat AS TEXT) || '|'
                || CAST(lon AS TEXT) || '|' || title || '|' || COALESCE(description, '-') || '|'
                || CAST(starts_at AS TEXT) || '|' || CAST(ends_at AS TEXT) || '|' || timezone || '|'
                || COALESCE(CAST(capacity AS TEXT), '-') || '|' || status || '|'
                || CAST(announce_pending AS TEXT)
         FROM activities ORDER BY id",
    )
    .await;
    let outbox = support::sql::strings(
        url,
        "SELECT CAST(member_id AS TEXT) || '|' || kind || '|' || ref || '|' || dedup_key || '|' || status
         FROM outbox ORDER BY dedup_key",
    )
    .await;
    [venues, activities, outbox]
}

async fn count(url: &str, sql: &str) -> usize {
    support::sql::strings(url, &format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}")).await[0]
        .parse()
        .unwrap()
}

/// One database imports the files cleanly; on the other the imports are killed while
/// writing venues, while writing activities and while announcing them, and run again.
async fn killed_import_scenario(clean: TestDb, cut: TestDb) {
    let _shared = ALONE.read().await;
    const VENUES: usize = 25_000;
    const ACTIVITIES: usize = 12_000;
    let dir = tempfile::tempdir().unwrap();
    let (venues, activities) = (dir.path().join("v.csv"), dir.path().join("a.csv"));
    write_venues(&venues, VENUES);
    write_activities(&activities, ACTIVITIES);
    let (clean, cut) = (Harness::new(clean).await, Harness::new(cut).await);
    migrants(&clean).await;
    migrants(&cut).await;
    let notify = ["activities", "--notify"];

    import_all(&clean.db.url, &["venues"], &venues).await;
    let told = import_all(&clean.db.url, &notify, &activities).await;
    let expected = imported_state(&clean.db.url).await;
    assert_eq!(expected[0].len(), VENUES);
    assert_eq!(expected[1].len(), ACTIVITIES);
    assert!(
        expected[2].len() > 100,
        "few members told ({}): {told}",
        expected[2].len()
    );
    let url = &cut.db.url;

    // Killed after ten batches of venues: those are written, whole.
    import_killed(url, &["venues"], &venues, "10000/25000 venues written").await;
    let written = count(url, "venues").await;
    assert!(
        (10_000..VENUES).contains(&written) && written % 1_000 == 0,
        "{written} venues after the kill"
    );
    let out = import_all(url, &["venues"], &venues).await;
    assert!(
        out.contains(&format!(
            "{VENUES} venues imported ({} new, {written} updated)",
            VENUES - written
        )),
        "{out}"
    );

    // Killed while writing activities, then while announcing them.
    import_killed(url, &notify, &activities, "10000/12000 activities written").await;
    let written = count(url, "activities").await;
    assert!(written >= 10_000, "{written} activities after the kill");
    assert_eq!(
        count(url, "activities WHERE announce_pending").await,
        written,
        "every activity written waits for its announcement"
    );
    let seen = import_killed(url, &notify, &activities, "activities announced").await;
    assert!(seen.contains("12000/12000 activities written"), "{seen}");
    let pending = count(url, "activities WHERE announce_pending").await;
    let queued = count(url, "outbox").await;
    assert!(
        pending > 0 && queued > 0 && queued < expected[2].len(),
        "{pending} activities still to announce, {queued} members told so far"
    );
    // As if it had been killed after queuing the first announcements and before unmarking
    // their activities: the rerun queues them again, and the outbox keeps one of each.
    support::sql::execute(
        url,
        "UPDATE activities SET announce_pending = TRUE WHERE id < 'a-001000'",
    )
    .await;
    let out = import_all(url, &notify, &activities).await;
    assert!(
        out.contains(&format!(
            "{ACTIVITIES} activities imported (0 new, {ACTIVITIES} updated); {} migrant member(s) told",
            expected[2].len() - queued
        )),
        "{out}"
    );

    // What a clean import gives, and nobody told twice (nor left out).
    let state = imported_state(url).await;
    for (what, (got, want)) in ["venues", "activities", "outbox"]
        .iter()
        .zip(state.iter().zip(&expected))
    {
        assert_eq!(got.len(), want.len(), "{what}: how many rows");
        if let Some((g, w)) = got.iter().zip(want).find(|(g, w)| g != w) {
            panic!("{what}: {g} instead of {w}");
        }
    }
}

#[tokio::test]
async fn a_killed_import_is_completed_by_running_it_again_on_sqlite() {
    killed_import_scenario(TestDb::sqlite(), TestDb::sqlite()).await;
}

#[tokio::test]
async fn a_killed_import_is_completed_by_running_it_again_on_postgres() {
    let Some(clean) = TestDb::postgres("import_killed_clean").await else {
        return;
    };
    let cut = TestDb::postgres("import_killed_cut").await.unwrap();
    killed_import_scenario(clean, cut).await;
}

/// The store's bulk writers commit every 1,000 rows and say so; what they write reads back
/// exactly; activities follow a venue that moved; a missing venue fails its batch only.
async fn batched_writers_scenario(db: TestDb) {
    use weike::store::{NewActivity, NewVenue, StoreError};
    let store = weike::store::Store::connect(&db.url).await.unwrap();
    store.migrate().await.unwrap();
    let now = chrono::Utc::now();
    let venue = |i: usize, lat: f64| NewVenue {
        id: format!("v-{i:04}"),
        name: format!("驿站 {i}"),
        location: LatLon {
            lat,
            lon: 121.0 + i as f64 / 7_919.0,
        },
        address: i.is_multiple_of(2).then(|| format!("第 {i} 号")),
        radius_km: 0.1 + i as f64 / 100.0,
        branch_id: None,
    };
    let venues: Vec<NewVenue> = (0..2_500)
        .map(|i| venue(i, 31.0 + i as f64 / 3_571.0))
        .collect();
    let seen = std::sync::Mutex::new(Vec::new());
    let new = store
        .upsert_venues_reporting(&venues, now, &|n| seen.lock().unwrap().push(n))
        .await
        .unwrap();
    assert_eq!(new, 2_500);
    assert_eq!(*seen.lock().unwrap(), [1_000, 2_000, 2_500]);
    for v in [&venues[0], &venues[1_234], &venues[2_499]] {
        let got = store.venue(&v.id).await.unwrap().unwrap();
        assert_eq!(
            (got.location(), got.name, got.address, got.radius_km),
            (v.location, v.name.clone(), v.address.clone(), v.radius_km)
        );
    }

    let start = now + chrono::Duration::days(30);
    let activity = |i: usize, venue: &str| NewActivity {
        id: format!("a-{i:04}"),
        venue_id: venue.into(),
        title: format!("活动 {i}"),
        description: i.is_multiple_of(3).then(|| "说明".to_string()),
        starts_at: start,
        ends_at: start + chrono::Duration::hours(2),
        timezone: "Asia/Shanghai".into(),
        capacity: i.is_multiple_of(2).then_some(30),
    };
    let activities: Vec<NewActivity> = (0..1_500).map(|i| activity(i, &venues[i].id)).collect();
    let before = store.upsert_activities(&activities, now).await.unwrap();
    assert!(before.iter().all(Option::is_none));
    let before = store.upsert_activities(&activities, now).await.unwrap();
    assert!(before.iter().all(Option::is_some));
    assert_eq!(
        store.pending_announcements(10).await.unwrap(),
        [] as [String; 0]
    );

    // v-1007 moves 50 km north in the second batch of an update: its activity follows.
    let mut moved = venues.clone();
    moved[1_007] = venue(1_007, 31.5);
    assert_eq!(store.upsert_venues(&moved, now).await.unwrap(), 0);
    let (a, v) = store.activity_with_venue("a-1007").await.unwrap().unwrap();
    assert_eq!(v.location(), moved[1_007].location);
    let near = store
        .activities_near(
            v.location(),
            100.0,
            now,
            start + chrono::Duration::days(1),
            5,
        )
        .await
        .unwrap();
    assert_eq!(near.found.len(), 1, "{near:?}");
    assert_eq!(near.found[0].activity, a);

    // A venue missing in the second batch: the first batch is written, the second not.
    let mut more: Vec<NewActivity> = (1_500..3_500)
        .map(|i| activity(i, &venues[i % 2_500].id))
        .collect();
    more[1_200].venue_id = "nowhere".into();
    let err = store
        .upsert_activities_reporting(&more, now, true, &|_| {})
        .await
        .unwrap_err();
    assert!(
        matches!(&err, StoreError::Corrupt { problem, .. }
            if problem.contains("a-2700") && problem.contains("nowhere")),
        "{err}"
    );
    assert!(store.activity("a-2499").await.unwrap().is_some());
    assert!(store.activity("a-2500").await.unwrap().is_none());
    let pending = store.pending_announcements(5_000).await.unwrap();
    assert_eq!(pending.len(), 1_000, "the first batch's new activities");
    assert_eq!(store.announced(&pending[..10]).await.unwrap(), 10);
    assert_eq!(store.announced(&pending[..10]).await.unwrap(), 0);
    assert_eq!(store.pending_announcements(5_000).await.unwrap().len(), 990);
    store.close().await;
}

sqlite_and_postgres!(store_bulk_writers_commit_in_batches => batched_writers_scenario);

/// The other writers that can touch many rows go through them a batch at a time and still
/// do all their work: planning, a topic test's fan-out, a broadcast queued and cancelled,
/// the branch tree, outbox and inbox retries, the purges of old locations and updates,
/// expired questions. 2,500 members: three windows of 1,000.
async fn other_bulk_writers_scenario(db: TestDb) {
    const N: usize = 2_500;
    let h = Harness::new(db).await;
    h.fake.accept_any_chat(true);
    let app = weike::service::App::start(h.config(), Arc::new(h.clock.clone()))
        .await
        .unwrap();
    let (store, url) = (&app.store, &h.db.url);
    let now = h.clock_now();
    let course = app.library.courses[0].id.clone();
    let branch = "qingshan.donghu.liucun";
    support::harness::add_members(&app, N, 500_000, now).await;
    // Every member's first lesson due now (their enrollments started now).
    support::sql::execute(
        &h.db.url,
        "UPDATE enrollments SET next_due_at = (SELECT MIN(started_at) FROM enrollments)",
    )
    .await;

    // A broadcast to everyone, cancelled before anything is sent; a delivery claimed
    // while the cancellation went on is not sent.
    let id = store.create_broadcast(1, "通知", None, now).await.unwrap();
    let everyone = weike::store::AudienceFilter::default();
    assert_eq!(
        store
            .queue_broadcast(id, &everyone, now, now)
            .await
            .unwrap(),
        Some(N as i64)
    );
    assert_eq!(
        store
            .queue_broadcast(id, &everyone, now, now)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        store.cancel_broadcast(id, now).await.unwrap(),
        Some(N as u64)
    );
    assert_eq!(count(url, "outbox WHERE status = 'cancelled'").await, N + 1);
    support::sql::execute(
        url,
        "UPDATE outbox SET status = 'pending' WHERE dedup_key = 'bc:1:7'",
    )
    .await;
    let courier = app.courier(h.telegram_channel(), "bulk");
    courier.drain().await.unwrap();
    assert!(h.fake.calls_to("sendMessage").is_empty());
    assert_eq!(count(url, "outbox WHERE status = 'sent'").await, 1);

    // Planning: every member's lesson, in batches.
    let report = app.planner.plan_due().await.unwrap();
    assert_eq!(report.planned, N as u64);
    assert_eq!(count(url, "assignments").await, N);
    assert_eq!(count(url, "outbox WHERE kind = 'lesson'").await, N);

    // A topic test's fan-out, by windows of member ids, once per member.
    let fan_out = |branches: Option<Vec<String>>, prefix: &'static str| {
        let course = course.clone();
        async move {
            store
                .enqueue_for_course(
                    &course,
                    branches.as_deref(),
                    weike::domain::outbox::OutboxKind::QuizTest,
                    "t",
                    prefix,
                    now,
                    now,
                )
                .await
                .unwrap()
        }
    };
    assert_eq!(fan_out(None, "t:a:").await, N as u64);
    assert_eq!(fan_out(None, "t:a:").await, 0);
    assert_eq!(fan_out(Some(vec!["nowhere".into()]), "t:b:").await, 0);
    assert_eq!(fan_out(Some(vec![branch.into()]), "t:c:").await, N as u64);

    // Outbox retries: every dead row of an active member.
    support::sql::execute(
        url,
        "UPDATE outbox SET status = 'dead' WHERE kind = 'lesson'",
    )
    .await;
    assert_eq!(store.requeue(true, now).await.unwrap(), N as u64);
    assert_eq!(count(url, "outbox WHERE status = 'dead'").await, 0);

    // Old locations and stored updates, dead updates retried, expired questions.
    let old = "'2020-01-01T00:00:00+00:00'";
    for sql in [
        format!(
            "INSERT INTO member_locations (member_id, lat, lon, at) SELECT id, 31.0, 121.0, {old} FROM members"
        ),
        format!(
            "INSERT INTO last_locations (member_id, lat, lon, cell, at) SELECT id, 31.0, 121.0, 0, {old} FROM members"
        ),
        format!(
            "INSERT INTO inbound_updates (update_id, chat_key, payload, received_at, status) SELECT id, CAST(id AS TEXT), '', {old}, 'dead' FROM members"
        ),
        format!(
            "INSERT INTO quiz_asks (member_id, question_key, asked_at, closes_at) SELECT id, 'q', {old}, {old} FROM members"
        ),
    ] {
        support::sql::execute(url, &sql).await;
    }
    assert_eq!(store.purge_locations(now).await.unwrap(), N as u64);
    assert_eq!(count(url, "last_locations").await, 0);
    assert_eq!(store.requeue_dead_updates().await.unwrap(), N as u64);
    support::sql::execute(url, "UPDATE inbound_updates SET status = 'done'").await;
    assert_eq!(store.purge_updates(now, now).await.unwrap(), N as u64);
    assert_eq!(count(url, "inbound_updates").await, 0);
    let expired = store.expire_asks(now).await.unwrap();
    assert_eq!(expired.len(), N);
    assert_eq!(count(url, "quiz_asks WHERE outcome = 'expired'").await, N);

    // A tree of 2,500 branches, in its order.
    let branches: Vec<weike::domain::Branch> = (0..N)
        .map(|i| weike::domain::Branch {
            id: format!("b{i:04}"),
            name: format!("支部 {i}"),
            names: [("en".to_string(), format!("Branch {i}"))].into(),
            parent_id: (i > 0).then(|| "b0000".to_string()),
        })
        .collect();
    store
        .sync_branches(&weike::domain::BranchTree::new(branches.clone()))
        .await
        .unwrap();
    let stored: Vec<weike::domain::Branch> = store
        .branches()
        .await
        .unwrap()
        .into_iter()
        .filter(|b| b.id.starts_with('b'))
        .collect();
    assert_eq!(stored, branches);
    store.close().await;
}

sqlite_and_postgres!(other_bulk_writers_go_a_batch_at_a_time => other_bulk_writers_scenario);
