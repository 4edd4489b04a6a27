//! Migration 0022 (lessons left out of the outbox's unique index of dedup keys; on SQLite
//! the table rebuilt) on a database that already has deliveries, on SQLite and
//! PostgreSQL: every row is kept with its id, no id of a deleted row is handed out again,
//! every other kind is still queued once by its key (through the store and in plain SQL),
//! a lesson planned before is still not planned again, and a look-up by dedup key that
//! says it is not after lessons is served by the index.

mod support;

use chrono::Duration;
use support::db::{TestDb, plan_t0, planned_lesson, postgres_before, sqlite_before};
use weike::domain::outbox::OutboxKind;
use weike::store::{NewDelivery, Store};

/// The migration under test.
const LESSONS_NOT_UNIQUE: i64 = 22;

/// The broadcast's progress message looked up by its key, as `store/broadcast.rs` does.
const BY_KEY: &str = "SELECT o.channel_message_id FROM outbox o
                      WHERE o.dedup_key = $1 AND o.kind <> 'lesson' AND o.status = 'sent'";

/// Inserts an outbox row with plain SQL (the same statement on both databases).
macro_rules! outbox_row {
    ($pool:expr, $member:expr, $kind:expr, $key:expr, $status:expr) => {
        sqlx::query(
            "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at,
                                 created_at, status, channel_message_id)
             VALUES ($1, $2, 'r', $3, $4, $4, $4, $5, CASE WHEN $5 = 'sent' THEN '55' END)",
        )
        .bind($member)
        .bind($kind)
        .bind($key)
        .bind(plan_t0())
        .bind($status)
        .execute($pool)
        .await
    };
}

/// Writes, before 0022: a member, lesson 1 planned (its lesson day and its delivery), a
/// nudge waiting, a broadcast's progress message sent, and a row deleted after the others.
/// Gives the member, the ids and keys of the rows left, and the deleted row's id.
macro_rules! seed {
    ($pool:expr) => {{
        let (member,): (i64,) = sqlx::query_as(
            "INSERT INTO members (channel, chat_id, locale, timezone, lesson_time, onboarded, created_at, updated_at)
             VALUES ('telegram', '1001', 'zh-CN', 'Asia/Shanghai', '08:00', true, $1, $1) RETURNING id",
        )
        .bind(plan_t0())
        .fetch_one($pool)
        .await
        .expect("insert member");
        sqlx::query(
            "INSERT INTO assignments (member_id, course, seq, lesson_id, day, due_at)
             VALUES ($1, 'safety', 1, 'l1', '2026-12-01', $2)",
        )
        .bind(member)
        .bind(plan_t0())
        .execute($pool)
        .await
        .expect("insert assignment");
        let lesson_key = format!("lesson:{member}:safety:1");
        for (kind, key, status) in [
            ("lesson", lesson_key.as_str(), "pending"),
            ("nudge", "nudge:w1", "pending"),
            ("broadcast-progress", "bcp:7", "sent"),
            ("nudge", "nudge:gone", "sent"),
        ] {
            outbox_row!($pool, member, kind, key, status).expect("insert outbox row");
        }
        let (deleted,): (i64,) =
            sqlx::query_as("DELETE FROM outbox WHERE dedup_key = 'nudge:gone' RETURNING id")
                .fetch_one($pool)
                .await
                .expect("delete");
        let rows: Vec<(i64, String)> =
            sqlx::query_as("SELECT id, dedup_key FROM outbox ORDER BY id")
                .fetch_all($pool)
                .await
                .expect("rows");
        (member, rows, deleted)
    }};
}

fn nudge(member: i64, key: &str) -> NewDelivery {
    NewDelivery {
        member_id: member,
        kind: OutboxKind::Nudge,
        reference: "r".into(),
        dedup_key: key.into(),
        due_at: plan_t0(),
    }
}

/// Applies 0022 through the store, as `weike migrate` does, and checks what the store
/// does with the rows written before.
async fn migrate_and_check(url: &str, member: i64) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("0022");
    let now = plan_t0() + Duration::days(1);
    assert_eq!(
        store
            .broadcast_progress_message(7)
            .await
            .expect("progress message"),
        Some(("1001".to_string(), "55".to_string()))
    );
    // Another kind is still queued once by its key; a new key is queued.
    assert!(
        !store
            .enqueue(&nudge(member, "nudge:w1"), now)
            .await
            .expect("same nudge")
    );
    assert_eq!(
        store
            .enqueue_many(&[nudge(member, "nudge:w1"), nudge(member, "nudge:w2")], now)
            .await
            .expect("nudges"),
        1
    );
    // Lesson 1 was planned before: not again. Lesson 2 is new, with its delivery.
    assert_eq!(
        store
            .plan_lessons(&[planned_lesson(member, 1)], now)
            .await
            .expect("plan lesson 1"),
        0
    );
    assert_eq!(
        store
            .plan_lessons(&[planned_lesson(member, 1), planned_lesson(member, 2)], now)
            .await
            .expect("plan lesson 2"),
        1
    );
    store.close().await;
}

/// What is in the outbox after [`migrate_and_check`] (the same checks on both databases).
macro_rules! check_rows {
    ($pool:expr, $member:expr, $before:expr, $deleted:expr) => {{
        let rows: Vec<(i64, String, String)> =
            sqlx::query_as("SELECT id, dedup_key, kind FROM outbox ORDER BY id")
                .fetch_all($pool)
                .await
                .expect("rows");
        // The rows written before keep their ids; the new ones come after the deleted one.
        let kept: Vec<(i64, String)> = rows
            .iter()
            .take($before.len())
            .map(|(id, key, _)| (*id, key.clone()))
            .collect();
        assert_eq!(kept, $before);
        let new: Vec<&str> = rows[$before.len()..]
            .iter()
            .map(|(_, key, _)| key.as_str())
            .collect();
        let lesson_2 = format!("lesson:{}:safety:2", $member);
        assert_eq!(new, ["nudge:w2", lesson_2.as_str()]);
        assert!(rows[$before.len()..].iter().all(|(id, ..)| *id > $deleted));
        // One delivery per lesson planned.
        let lessons: Vec<&str> = rows
            .iter()
            .filter(|(.., kind)| kind == "lesson")
            .map(|(_, key, _)| key.as_str())
            .collect();
        let lesson_1 = format!("lesson:{}:safety:1", $member);
        assert_eq!(lessons, [lesson_1.as_str(), lesson_2.as_str()]);
        // In plain SQL: a second nudge with a key taken is refused; a lesson's key is no
        // longer in the index (its assignment is the guard).
        assert!(outbox_row!($pool, $member, "nudge", "nudge:w1", "pending").is_err());
        outbox_row!($pool, $member, "lesson", lesson_1.as_str(), "pending")
            .expect("a lesson's key is not unique");
    }};
}

#[tokio::test]
async fn sqlite_outbox_keeps_its_rows_and_keys() {
    let db = TestDb::sqlite();
    let pool = sqlite_before(&db, LESSONS_NOT_UNIQUE).await;
    let (member, before, deleted) = seed!(&pool);

    migrate_and_check(&db.url, member).await;
    check_rows!(&pool, member, before, deleted);
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {BY_KEY}"))
            .bind("bcp:7")
            .fetch_all(&pool)
            .await
            .expect("plan");
    assert!(
        plan.iter().any(|(.., d)| d.contains("outbox_dedup_key")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn postgres_outbox_keeps_its_rows_and_keys() {
    let Some(db) = TestDb::postgres("outbox_dedup_migration").await else {
        return;
    };
    let pool = postgres_before(&db, LESSONS_NOT_UNIQUE).await;
    let (member, before, deleted) = seed!(&pool);

    migrate_and_check(&db.url, member).await;
    check_rows!(&pool, member, before, deleted);
    // On a table this small a scan is cheapest: forbidden, to see that the index can serve.
    let mut conn = pool.acquire().await.expect("connection");
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .expect("set");
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {BY_KEY}"))
        .bind("bcp:7")
        .fetch_all(&mut *conn)
        .await
        .expect("plan");
    assert!(
        plan.iter().any(|l| l.contains("outbox_dedup_key")),
        "{plan:?}"
    );
}
