//! Migration 0011 (the lean outbox) on a database that already has deliveries, on SQLite
//! and PostgreSQL: every row keeps its id, state and fields; the ids of deleted rows are not
//! handed out again; the foreign key to members is gone; waiting rows are still claimed in
//! order, and rows whose lease ran out come back.

mod support;

use weike::domain::outbox::OutboxKind;

use chrono::{DateTime, Duration, TimeZone, Utc};
use support::db::{
    TestDb, postgres_before, postgres_foreign_keys, sqlite_before, sqlite_foreign_keys,
};
use weike::store::{NewDelivery, Store};

/// The migration under test.
const LEAN_OUTBOX: i64 = 11;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

/// Rows written before the migration: (dedup key, status, claimed_until).
const ROWS: &[(&str, &str, Option<i64>)] = &[
    ("k1", "sent", None),
    ("k2", "pending", None),
    ("k3", "sending", Some(-5)), // a lease that ran out 5 minutes ago
    ("k4", "dead", None),
    ("k5", "pending", None),
    ("k6", "pending", None), // deleted before the migration: its id must not come back
];

/// Writes a member and outbox rows as the schema before 0011 has them, with plain SQL (the
/// same statements on both databases); deletes the last row. Gives (member, deleted id).
macro_rules! seed {
    ($pool:expr) => {{
        let now = t0();
        let member = $crate::member_before!($pool, now);
        let mut last = 0;
        for (key, status, lease) in ROWS {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, status, next_attempt_at,
                                     claimed_by, claimed_until, created_at)
                 VALUES ($1, 'lesson', $2, $2, $3, $4, $3, $5, $6, $3) RETURNING id",
            )
            .bind(member)
            .bind(*key)
            .bind(now)
            .bind(*status)
            .bind(lease.map(|_| "old-courier"))
            .bind(lease.map(|m| now + Duration::minutes(m)))
            .fetch_one($pool)
            .await
            .expect("insert outbox row");
            last = id;
        }
        sqlx::query("DELETE FROM outbox WHERE id = $1")
            .bind(last)
            .execute($pool)
            .await
            .expect("delete the last row");
        (member, last)
    }};
}

/// Applies 0011 through the store, as `weike migrate` does, and checks the outbox after it.
async fn migrate_and_check(url: &str, member: i64, deleted_id: i64) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("0011");
    check_after_migration(&store, member, deleted_id).await;
    store.close().await;
}

/// Claims up to `limit` rows due at `now` for a new courier (a lease of 5 minutes).
async fn claim(store: &Store, now: DateTime<Utc>, limit: i64) -> Vec<weike::store::OutboxItem> {
    store
        .claim_due(
            "telegram",
            "new-courier",
            now,
            now + Duration::minutes(5),
            limit,
        )
        .await
        .expect("claim")
}

async fn check_after_migration(store: &Store, member: i64, deleted_id: i64) {
    let summary = store.outbox_summary(10).await.expect("summary");
    let count = |status: &str| -> i64 {
        summary
            .counts
            .iter()
            .filter(|(s, ..)| s == status)
            .map(|(.., n)| n)
            .sum()
    };
    assert_eq!(
        (
            count("sent"),
            count("pending"),
            count("sending"),
            count("dead")
        ),
        (1, 2, 1, 1),
        "every row keeps its state: {summary:?}"
    );
    // A claim finds the expired lease and the waiting rows, oldest first.
    let now = t0() + Duration::minutes(1);
    let claimed = claim(store, now, 10).await;
    let mut keys: Vec<&str> = claimed.iter().map(|c| c.dedup_key.as_str()).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["k2", "k3", "k5"]);
    assert!(claimed.iter().all(|c| c.member_id == member));
    // New rows get new ids, never the deleted one's.
    let new = NewDelivery {
        member_id: member,
        kind: OutboxKind::Lesson,
        reference: "k7".into(),
        dedup_key: "k7".into(),
        due_at: now,
    };
    assert_eq!(store.enqueue_many(&[new], now).await.expect("enqueue"), 1);
    let claimed = claim(store, now, 10).await;
    assert_eq!(claimed.len(), 1);
    assert!(
        claimed[0].id > deleted_id,
        "new id {} must be above the deleted {deleted_id}",
        claimed[0].id
    );
    // Every kind is stored as its text and read back as the same kind.
    let rows: Vec<NewDelivery> = OutboxKind::ALL
        .iter()
        .map(|kind| NewDelivery {
            member_id: member,
            kind: *kind,
            reference: "r".into(),
            dedup_key: kind.dedup_key("every-kind"),
            due_at: now,
        })
        .collect();
    assert_eq!(
        store.enqueue_many(&rows, now).await.expect("enqueue"),
        OutboxKind::ALL.len() as u64
    );
    let claimed = claim(store, now, 100).await;
    let mut kinds: Vec<OutboxKind> = claimed
        .iter()
        .map(|c| {
            OutboxKind::parse(&c.kind).unwrap_or_else(|| panic!("{:?} does not decode", c.kind))
        })
        .collect();
    kinds.sort();
    assert_eq!(kinds, OutboxKind::ALL);
}

#[tokio::test]
async fn sqlite_outbox_keeps_rows_and_ids() {
    let db = TestDb::sqlite();
    let pool = sqlite_before(&db, LEAN_OUTBOX).await;
    let (member, deleted) = seed!(&pool);

    assert!(sqlite_foreign_keys(&pool, "outbox").await > 0, "before");
    migrate_and_check(&db.url, member, deleted).await;
    // No foreign key left on the outbox; the partial indexes serve the claims.
    let pool = &pool;
    assert_eq!(sqlite_foreign_keys(pool, "outbox").await, 0);
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT id FROM outbox WHERE status = 'pending' AND next_attempt_at <= '2027'
         ORDER BY next_attempt_at LIMIT 10",
    )
    .fetch_all(pool)
    .await
    .expect("plan");
    assert!(
        plan.iter().any(|(.., d)| d.contains("outbox_ready")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn postgres_outbox_keeps_rows_and_ids() {
    let Some(db) = TestDb::postgres("outbox_migration").await else {
        return;
    };
    let pool = postgres_before(&db, LEAN_OUTBOX).await;
    let (member, deleted) = seed!(&pool);

    assert!(postgres_foreign_keys(&pool, "outbox").await > 0, "before");
    migrate_and_check(&db.url, member, deleted).await;
    let pool = &pool;
    assert_eq!(postgres_foreign_keys(pool, "outbox").await, 0);
}
