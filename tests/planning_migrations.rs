//! Migrations 0017 (assignments without their foreign key; on SQLite a table without rowid)
//! and 0018 (lessons left out of the outbox's index by reference) on a database that
//! already has lesson days, on SQLite and PostgreSQL: every row is kept and read back as
//! before, the foreign key is gone, a lesson planned before is still not planned again, and
//! a look-up by reference that says it is not after lessons is served by the index.

mod support;

use chrono::{Duration, NaiveDate};
use support::db::{
    TestDb, plan_t0, planned_lesson, postgres_before, postgres_foreign_keys, sqlite_before,
    sqlite_foreign_keys,
};
use weike::store::Store;

/// The first migration under test.
const LEAN_ASSIGNMENTS: i64 = 17;

/// Writes a member with three lesson days, as the schema before 0017 has them, with plain
/// SQL (the same statements on both databases). Gives the member.
macro_rules! seed {
    ($pool:expr) => {{
        let now = plan_t0();
        let member = $crate::member_before!($pool, now);
        for seq in 1..=3_i64 {
            sqlx::query(
                "INSERT INTO assignments (member_id, course, seq, lesson_id, day, due_at)
                 VALUES ($1, 'safety', $2, $3, $4, $5)",
            )
            .bind(member)
            .bind(seq)
            .bind(format!("l{seq}"))
            .bind(format!("2026-12-0{seq}"))
            .bind(now + Duration::days(seq - 1))
            .execute($pool)
            .await
            .expect("insert assignment");
        }
        member
    }};
}

/// Applies 0017 and 0018 through the store, as `weike migrate` does, and checks the lesson
/// days.
async fn migrate_and_check(url: &str, member: i64) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("0017 and 0018");
    let latest = store
        .latest_assignment(member)
        .await
        .expect("latest")
        .expect("kept");
    assert_eq!((latest.seq, latest.lesson_id.as_str()), (3, "l3"));
    assert_eq!(latest.due_at, plan_t0() + Duration::days(2));
    let days = store.lesson_days(member).await.expect("lesson days");
    let mut days: Vec<NaiveDate> = days.into_iter().map(|d| d.day).collect();
    days.sort();
    assert_eq!(
        days,
        (1..=3)
            .map(|d| NaiveDate::from_ymd_opt(2026, 12, d).unwrap())
            .collect::<Vec<_>>()
    );
    // Lesson 3 was planned before: not again. Lesson 4 is new.
    let now = plan_t0() + Duration::days(3);
    assert_eq!(
        store
            .plan_lessons(&[planned_lesson(member, 3)], now)
            .await
            .expect("plan lesson 3"),
        0
    );
    assert_eq!(
        store
            .plan_lessons(&[planned_lesson(member, 4)], now)
            .await
            .expect("plan lesson 4"),
        1
    );
    assert_eq!(
        store
            .progress(member, "safety")
            .await
            .expect("progress")
            .assigned,
        4
    );
    store.close().await;
}

/// A broadcast's deliveries counted by reference, as `store/broadcast.rs` does.
const BY_REFERENCE: &str =
    "SELECT COUNT(*) FROM outbox WHERE ref = $1 AND kind = $2 AND kind <> 'lesson'";

#[tokio::test]
async fn sqlite_assignments_keep_their_rows() {
    let db = TestDb::sqlite();
    let pool = sqlite_before(&db, LEAN_ASSIGNMENTS).await;
    let member = seed!(&pool);

    assert!(
        sqlite_foreign_keys(&pool, "assignments").await > 0,
        "before"
    );
    migrate_and_check(&db.url, member).await;
    assert_eq!(sqlite_foreign_keys(&pool, "assignments").await, 0);
    let (sql,): (String,) =
        sqlx::query_as("SELECT sql FROM sqlite_schema WHERE name = 'assignments'")
            .fetch_one(&pool)
            .await
            .expect("schema");
    assert!(sql.contains("WITHOUT ROWID"), "{sql}");
    let plan: Vec<(i64, i64, i64, String)> =
        sqlx::query_as(&format!("EXPLAIN QUERY PLAN {BY_REFERENCE}"))
            .bind("7")
            .bind("broadcast")
            .fetch_all(&pool)
            .await
            .expect("plan");
    assert!(
        plan.iter().any(|(.., d)| d.contains("outbox_ref")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn postgres_assignments_keep_their_rows() {
    let Some(db) = TestDb::postgres("assignments_migration").await else {
        return;
    };
    let pool = postgres_before(&db, LEAN_ASSIGNMENTS).await;
    let member = seed!(&pool);

    assert!(
        postgres_foreign_keys(&pool, "assignments").await > 0,
        "before"
    );
    migrate_and_check(&db.url, member).await;
    assert_eq!(postgres_foreign_keys(&pool, "assignments").await, 0);
    // On a table this small a scan is cheapest: forbidden, to see that the index can serve.
    let mut conn = pool.acquire().await.expect("connection");
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await
        .expect("set");
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {BY_REFERENCE}"))
        .bind("7")
        .bind("broadcast")
        .fetch_all(&mut *conn)
        .await
        .expect("plan");
    assert!(plan.iter().any(|l| l.contains("outbox_ref")), "{plan:?}");
}
