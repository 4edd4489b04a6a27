//! Planning keeps its promises when it goes by batches, on SQLite and PostgreSQL: every due
//! lesson is planned once, with its delivery; planning the same lessons again plans nothing
//! new (no delivery, no count) and still moves the enrollments on; two planners at once plan
//! each lesson once; and the members given each lesson per branch, as the statistics keep
//! them, equal a direct count of the lesson days. 2,500 members (three batches) in three
//! branches and none.

mod support;

use std::sync::Arc;

use support::db::TestDb;
use support::harness::{Harness, add_members};
use weike::planner::Planner;
use weike::service::App;
use weike::store::Store;

const N: usize = 2_500;

/// The branches the members are spread over ('' for members without one).
const BRANCHES: [&str; 4] = [
    "qingshan.donghu.liucun",
    "qingshan.donghu.taohua",
    "qingshan.xishan.shiqiao",
    "",
];

async fn count(url: &str, sql: &str) -> i64 {
    support::sql::strings(url, &format!("SELECT CAST(COUNT(*) AS TEXT) FROM {sql}")).await[0]
        .parse()
        .expect("a count")
}

/// Every enrollment's next lesson due now (the members enrolled now).
async fn all_due_now(url: &str) {
    support::sql::execute(
        url,
        "UPDATE enrollments SET next_due_at = (SELECT MIN(started_at) FROM enrollments)",
    )
    .await;
}

/// The members given each lesson in each branch, from the statistics' counts, equal the
/// lesson days counted directly; gives the total.
async fn counts_per_branch_agree(app: &App) -> i64 {
    let url = &app.config.database_url;
    let mut total = 0;
    for branch in BRANCHES {
        let kept = app
            .store
            .lesson_figures(Some(&[branch.to_string()]))
            .await
            .expect("lesson figures");
        let member_branch = if branch.is_empty() {
            "m.branch_id IS NULL".to_string()
        } else {
            format!("m.branch_id = '{branch}'")
        };
        let counted = support::sql::strings(
            url,
            &format!(
                "SELECT a.course || '/' || a.lesson_id || '=' || CAST(COUNT(*) AS TEXT)
                 FROM assignments a JOIN members m ON m.id = a.member_id
                 WHERE {member_branch} GROUP BY a.course, a.lesson_id ORDER BY 1"
            ),
        )
        .await;
        let kept: Vec<String> = kept
            .iter()
            .filter(|(_, f)| f.assigned > 0)
            .map(|((course, lesson), f)| format!("{course}/{lesson}={}", f.assigned))
            .collect();
        assert_eq!(kept, counted, "branch {branch:?}");
        assert!(!kept.is_empty(), "branch {branch:?} has members");
        total += kept
            .iter()
            .filter_map(|k| k.rsplit('=').next()?.parse::<i64>().ok())
            .sum::<i64>();
    }
    total
}

/// Every member's first lesson planned once, with its delivery, every enrollment moved on
/// to its next lesson day, and the counts per branch agreeing.
async fn first_lessons_planned_once(app: &App) {
    let url = &app.config.database_url;
    assert_eq!(count(url, "assignments").await, N as i64);
    assert_eq!(count(url, "outbox WHERE kind = 'lesson'").await, N as i64);
    assert_eq!(
        count(
            url,
            "enrollments WHERE next_seq = 2 AND next_due_at > started_at"
        )
        .await,
        N as i64,
        "every enrollment moved on to its next lesson day"
    );
    assert_eq!(counts_per_branch_agree(app).await, N as i64);
}

async fn scenario(db: TestDb) {
    let h = Harness::new(db);
    let h = h.await;
    h.fake.accept_any_chat(true);
    let app = App::start(h.config(), Arc::new(h.clock.clone()))
        .await
        .expect("app");
    let url = h.db.url.clone();
    let now = h.clock_now();
    add_members(&app, N, 800_000, now).await;
    support::sql::execute(
        &url,
        "UPDATE members SET branch_id = CASE id % 4
           WHEN 0 THEN 'qingshan.donghu.liucun' WHEN 1 THEN 'qingshan.donghu.taohua'
           WHEN 2 THEN 'qingshan.xishan.shiqiao' ELSE NULL END",
    )
    .await;
    all_due_now(&url).await;

    // Every member's first lesson, once, with its delivery.
    let report = app.planner.plan_due().await.expect("plan");
    assert_eq!(report.planned, N as u64);
    first_lessons_planned_once(&app).await;

    // Nothing is due any more.
    assert_eq!(app.planner.plan_due().await.expect("plan").planned, 0);

    // The same lessons due again (as after restoring a backup taken before planning):
    // nothing new is planned, sent or counted, and the enrollments move on again.
    support::sql::execute(&url, "UPDATE enrollments SET next_seq = 1").await;
    all_due_now(&url).await;
    let again = app.planner.plan_due().await.expect("plan again");
    assert_eq!(again.planned, 0, "{again:?}");
    first_lessons_planned_once(&app).await;

    // The second lessons, by two planners at once (each with its own connections): each
    // lesson once.
    all_due_now(&url).await;
    let other = Planner::new(
        Store::connect(&url).await.expect("second store"),
        app.library.clone(),
        app.clock.clone(),
        app.config.grace,
    );
    let (a, b) = tokio::join!(app.planner.plan_due(), other.plan_due());
    let (a, b) = (a.expect("first planner"), b.expect("second planner"));
    assert_eq!(a.planned + b.planned, N as u64, "{a:?} {b:?}");
    assert_eq!(count(&url, "assignments").await, 2 * N as i64);
    assert_eq!(
        count(&url, "outbox WHERE kind = 'lesson'").await,
        2 * N as i64
    );
    assert_eq!(
        count(
            &url,
            "(SELECT DISTINCT dedup_key FROM outbox WHERE kind = 'lesson') d"
        )
        .await,
        2 * N as i64
    );
    assert_eq!(
        count(&url, "enrollments WHERE next_seq = 3").await,
        N as i64
    );
    assert_eq!(counts_per_branch_agree(&app).await, 2 * N as i64);
}

sqlite_and_postgres!(planning_is_once_and_counted => scenario);
