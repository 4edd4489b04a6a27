//! Migration 0021 (the away flag of each check-in) on a database that already has members,
//! check-ins and statistics, on SQLite and PostgreSQL: past check-ins are marked away when
//! the member was already away then, the figures /stats shows are unchanged by the
//! migration, and from then on a check-in made away from home counts as participation away
//! from home whatever the member's status at their first activity of the week.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use support::db::{TestDb, postgres_before, sqlite_before};
use weike::domain::stats::Figures;
use weike::store::Store;

/// The migration under test.
const CHECKIN_AWAY: i64 = 21;

/// Tuesday 2026-12-01 16:00 in Shanghai: in the week `w:2026-11-30`.
fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap()
}

const WEEK: &str = "w:2026-11-30";

/// Writes, as the schema before 0021 has them, with plain SQL (the same statements on both
/// databases): AWAY, away since `t0`, who checked in at home on Monday and away on
/// Tuesday; HOME, at home, who checked in on Monday; QUIZ, away, who only answered a
/// question this week; and their rollup rows as the service wrote them (the status at the
/// first activity). Gives the ids (AWAY, HOME, QUIZ).
macro_rules! seed {
    ($pool:expr) => {{
        let now = t0();
        let mut ids = Vec::new();
        for (chat, away) in [("1001", true), ("1002", false), ("1003", true)] {
            let (id,): (i64,) = sqlx::query_as(
                "INSERT INTO members (channel, chat_id, branch_id, locale, timezone, lesson_time, onboarded,
                                      away_since, created_at, updated_at)
                 VALUES ('telegram', $1, 'b1', 'zh-CN', 'Asia/Shanghai', '08:00', true, $2, $3, $3) RETURNING id",
            )
            .bind(chat)
            .bind(away.then_some(now - Duration::hours(2)))
            .bind(now - Duration::days(3))
            .fetch_one($pool)
            .await
            .expect("insert member");
            ids.push(id);
        }
        let (away, home, quiz) = (ids[0], ids[1], ids[2]);
        for (member, lesson, at) in [
            (away, "l1", now - Duration::days(1)),
            (away, "l2", now),
            (home, "l1", now - Duration::days(1)),
        ] {
            sqlx::query("INSERT INTO checkins (member_id, course, lesson_id, at) VALUES ($1, 'safety', $2, $3)")
                .bind(member)
                .bind(lesson)
                .bind(at)
                .execute($pool)
                .await
                .expect("insert check-in");
        }
        // AWAY's row was marked migrant (away at the time of the service that wrote it).
        for (member, migrant, checkins, answered) in
            [(away, true, 2i64, 0i64), (home, false, 1, 0), (quiz, true, 0, 1)]
        {
            sqlx::query(
                "INSERT INTO activity_rollup (period, member_id, branch_id, migrant, checkins, answered, correct, points)
                 VALUES ($1, $2, 'b1', $3, $4, $5, 0, $4)",
            )
            .bind(WEEK)
            .bind(member)
            .bind(migrant)
            .bind(checkins)
            .bind(answered)
            .execute($pool)
            .await
            .expect("insert rollup row");
        }
        (away, home, quiz)
    }};
}

/// Every check-in's (member, lesson, away), read with plain SQL.
async fn away_flags(url: &str) -> Vec<(i64, String, bool)> {
    use sqlx::Connection;
    let sql = "SELECT member_id, lesson_id, away FROM checkins ORDER BY member_id, lesson_id";
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&mut c).await.unwrap()
    }
}

/// The figures of branch b1 in WEEK.
async fn b1_figures(store: &Store) -> Figures {
    store.branch_figures(WEEK).await.expect("figures")["b1"]
}

/// What the away flag moves in `f`: (migrants active, participants, participants away from
/// home, check-ins).
fn away_counts(f: &Figures) -> (i64, i64, i64, i64) {
    (
        f.migrant_active,
        f.participants,
        f.migrant_participants,
        f.checkins,
    )
}

/// Applies 0021 through the store, as `weike migrate` does, and checks the data after it.
async fn migrate_and_check(url: &str, away: i64, home: i64, quiz: i64) {
    let store = Store::connect(url).await.expect("connect");
    store.migrate().await.expect("0021");

    // Past check-ins: away only when the member was already away.
    let flags = away_flags(url).await;
    assert_eq!(
        flags,
        [
            (away, "l1".to_string(), false),
            (away, "l2".to_string(), true),
            (home, "l1".to_string(), false),
        ]
    );

    // The figures are what they were: AWAY took part away from home; QUIZ did not check in.
    let figures = b1_figures(&store).await;
    assert_eq!((figures.active, away_counts(&figures)), (3, (2, 2, 1, 3)));

    // HOME goes away mid-week and checks in: now a participant away from home too, though
    // their row of the week was started at home.
    store
        .set_away(home, Some(t0() + Duration::hours(1)))
        .await
        .expect("away");
    assert!(
        store
            .record_checkin(home, "safety", "l2", t0() + Duration::hours(2))
            .await
            .expect("check-in")
    );
    assert_eq!(away_counts(&b1_figures(&store).await), (3, 2, 2, 4));
    // QUIZ checks in while away; AWAY comes home and checks in: still one away check-in.
    assert!(
        store
            .record_checkin(quiz, "safety", "l1", t0() + Duration::hours(3))
            .await
            .unwrap()
    );
    store.set_away(away, None).await.unwrap();
    assert!(
        store
            .record_checkin(away, "safety", "l3", t0() + Duration::hours(4))
            .await
            .unwrap()
    );
    let figures = b1_figures(&store).await;
    assert_eq!(away_counts(&figures), (2, 3, 3, 6));
    // A check-in recorded twice counts once.
    assert!(
        !store
            .record_checkin(away, "safety", "l3", t0() + Duration::hours(5))
            .await
            .unwrap()
    );
    let again = b1_figures(&store).await;
    assert_eq!(again, figures);
    store.close().await;
}

#[tokio::test]
async fn sqlite_checkins_keep_where_they_were_made() {
    let db = TestDb::sqlite();
    let pool = sqlite_before(&db, CHECKIN_AWAY).await;
    let (away, home, quiz) = seed!(&pool);

    migrate_and_check(&db.url, away, home, quiz).await;
    // The statistics read the new index alone.
    let plan: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT branch_id, SUM(CASE WHEN away_checkins > 0 THEN 1 ELSE 0 END), SUM(checkins)
         FROM activity_rollup WHERE period = 'w:2026-11-30' GROUP BY branch_id",
    )
    .fetch_all(&pool)
    .await
    .expect("plan");
    assert!(
        plan.iter()
            .any(|(.., d)| d.contains("COVERING INDEX activity_rollup_figures")),
        "{plan:?}"
    );
}

#[tokio::test]
async fn postgres_checkins_keep_where_they_were_made() {
    let Some(db) = TestDb::postgres("checkin_away_migration").await else {
        return;
    };
    let pool = postgres_before(&db, CHECKIN_AWAY).await;
    let (away, home, quiz) = seed!(&pool);

    migrate_and_check(&db.url, away, home, quiz).await;
    let (indexes,): (i64,) = sqlx::query_as(
        "SELECT COUNT(*) FROM pg_indexes WHERE tablename = 'activity_rollup'
         AND indexname IN ('activity_rollup_figures', 'activity_rollup_branch')",
    )
    .fetch_one(&pool)
    .await
    .expect("indexes");
    assert_eq!(indexes, 1, "the new index replaces the old one");
}
