//! Migration 0014 (stored updates carry their channel) on a database that already has
//! updates, on SQLite and PostgreSQL: every row is Telegram's and keeps its state and
//! fields; afterwards each channel has its own update ids, duplicates are recognized per
//! channel, a process claims only its own channel's updates, and a chat's updates wait for
//! each other only within their channel.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use support::db::{TestDb, postgres_before, sqlite_before};
use weike::store::Store;

/// The migration under test.
const INBOUND_CHANNEL: i64 = 14;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

/// Updates stored before the migration: (update id, chat, status, last error).
const ROWS: &[(i64, &str, &str, Option<&str>)] = &[
    (10, "42", "pending", None),
    (11, "42", "pending", None),
    (
        12,
        "43",
        "dead",
        Some("cannot read the update: message: bad"),
    ),
    (13, "44", "done", None),
];

/// Writes the rows as the schema before 0014 has them, with plain SQL (the same statements
/// on both databases).
macro_rules! seed {
    ($pool:expr) => {{
        for (id, chat, status, error) in ROWS {
            sqlx::query(
                "INSERT INTO inbound_updates (update_id, chat_key, payload, received_at, status,
                                              attempts, last_error, failed_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(*id)
            .bind(*chat)
            .bind(format!(r#"{{"update_id": {id}}}"#))
            .bind(t0())
            .bind(*status)
            .bind(if error.is_some() { 5_i64 } else { 0 })
            .bind(*error)
            .bind(error.map(|_| t0()))
            .execute($pool)
            .await
            .expect("insert an update");
        }
    }};
}

/// Applies 0014 through the store, as `weike migrate` does, and checks the updates after it.
async fn migrate_and_check(url: &str) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("0014");
    check_after_migration(&store).await;
    store.close().await;
}

/// The stored content of an update.
async fn payload(store: &Store, channel: &str, id: i64) -> Option<String> {
    store.update_payload(channel, id).await.expect("payload")
}

/// What `channel`'s process claims now: (channel, update id) of each.
async fn claim(store: &Store, channel: &str, now: DateTime<Utc>) -> Vec<(String, i64)> {
    let worker = format!("w-{channel}");
    store
        .claim_updates(channel, &worker, now, now + Duration::seconds(10), 10)
        .await
        .expect("claim")
        .into_iter()
        .map(|u| (u.channel, u.update_id))
        .collect()
}

async fn check_after_migration(store: &Store) {
    let counts = store.update_counts().await.expect("counts");
    let counts: Vec<(&str, i64)> = counts.iter().map(|(s, n)| (s.as_str(), *n)).collect();
    assert_eq!(counts, [("dead", 1), ("done", 1), ("pending", 2)]);
    let summary = store.inbox_summary(10).await.expect("summary");
    assert_eq!(summary.recent_dead.len(), 1);
    let dead = &summary.recent_dead[0];
    assert_eq!(
        (
            dead.channel.as_str(),
            dead.update_id,
            dead.chat_key.as_str()
        ),
        ("telegram", 12, "43")
    );
    assert_eq!(dead.attempts, 5);
    assert_eq!(
        dead.last_error.as_deref(),
        Some("cannot read the update: message: bad")
    );
    let original = Some(r#"{"update_id": 10}"#.to_string());
    assert_eq!(payload(store, "telegram", 10).await, original);

    // Update ids are unique per channel: Telegram's 10 again is a duplicate, the console's
    // 10 is another update.
    let now = t0() + Duration::minutes(1);
    assert!(
        !store
            .save_update("telegram", 10, "42", "{}", now)
            .await
            .expect("save")
    );
    assert!(
        store
            .save_update("console", 10, "42", r#"{"event": null}"#, now)
            .await
            .expect("save")
    );
    assert_eq!(
        payload(store, "telegram", 10).await,
        original,
        "the duplicate changed nothing"
    );

    // Each channel's process claims its own updates; chat 42 on Telegram waits for 10
    // before 11, and does not hold back chat 42 of the console.
    assert_eq!(
        claim(store, "telegram", now).await,
        [("telegram".into(), 10)]
    );
    assert_eq!(claim(store, "console", now).await, [("console".into(), 10)]);

    // Finishing the console's 10 leaves Telegram's 10 claimed; finishing Telegram's 10
    // lets its 11 go.
    store
        .finish_update("console", 10, "w-console")
        .await
        .expect("finish");
    assert_eq!(payload(store, "telegram", 10).await, original);
    store
        .finish_update("telegram", 10, "w-telegram")
        .await
        .expect("finish");
    assert_eq!(
        claim(store, "telegram", now).await,
        [("telegram".into(), 11)]
    );

    // Old handled updates of every channel are purged.
    let purged = store
        .purge_updates(now + Duration::hours(1), t0())
        .await
        .expect("purge");
    assert_eq!(purged, 3, "done: 13, and both 10s");
}

#[tokio::test]
async fn sqlite_updates_become_telegrams() {
    let db = TestDb::sqlite();
    let pool = sqlite_before(&db, INBOUND_CHANNEL).await;
    seed!(&pool);
    pool.close().await;
    migrate_and_check(&db.url).await;
}

#[tokio::test]
async fn postgres_updates_become_telegrams() {
    let Some(db) = TestDb::postgres("inbound_migration").await else {
        return;
    };
    let pool = postgres_before(&db, INBOUND_CHANNEL).await;
    seed!(&pool);
    pool.close().await;
    migrate_and_check(&db.url).await;
}
