//! One failing job never stops the others: with a stored branch row that the branch refresh
//! cannot read, every tick's refresh fails (logged, counted in /metrics, backed off), and
//! the lessons are still planned and delivered. On SQLite and PostgreSQL.

mod support;

use chrono::{Duration, TimeZone, Utc};
use support::db::TestDb;
use support::harness::{Harness, add_members};
use weike::jobs::Job;

/// The state key whose change makes every process reload the branch tree.
const BRANCHES_VERSION: &str = "branches.version";

async fn failing_job_does_not_stop_delivery(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    let app = &service.app;
    let chats = add_members(app, 3, 7001, h.clock_now()).await;
    h.fake.allow_chats(chats.clone());

    // A branch row the refresh cannot read, and a version that makes it read the tree.
    support::sql::execute(
        &h.db.url,
        "UPDATE branches SET names_json = '{not json' WHERE id = 'qingshan'",
    )
    .await;
    app.store
        .set_state(BRANCHES_VERSION, "edited-elsewhere")
        .await
        .unwrap();

    // 07:31 in Shanghai the next morning: the first lesson is due for all three.
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 23, 31, 0).unwrap());
    let report = service.tick().await;
    assert_eq!(report.failures.len(), 1, "{:?}", report.failures);
    let failure = &report.failures[0];
    assert_eq!(failure.job, Job::RefreshBranches);
    assert!(failure.error.contains("branches"), "{}", failure.error);
    assert_eq!(failure.in_a_row, 1);
    assert_eq!(report.planned.planned, 3, "lessons are still planned");
    assert_eq!(report.drained.sent, 3, "and delivered");
    let calls = h.fake.take_calls();
    for chat in &chats {
        assert!(
            calls.iter().any(|c| c.ok && c.chat_id() == Some(*chat)),
            "no lesson reached {chat}: {calls:#?}"
        );
    }
    let metrics = app.metrics.render(&[]);
    assert!(
        metrics.contains("weike_job_failures_total{job=\"refresh-branches\"} 1\n"),
        "{metrics}"
    );
    assert!(metrics.contains("weike_job_failures_total{job=\"plan-lessons\"} 0\n"));
    let success = format!(
        "weike_job_last_success_timestamp_seconds{{job=\"plan-lessons\"}} {}\n",
        h.clock_now().timestamp()
    );
    assert!(metrics.contains(&success), "{metrics}");

    // The next tick a second later leaves the failing job alone (it backs off) and runs the
    // others.
    h.clock.advance(Duration::seconds(1));
    let report = service.tick().await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert_eq!(report.backing_off, [Job::RefreshBranches]);
    // After its wait it is tried again, fails again, and waits twice as long.
    h.clock.advance(Duration::seconds(4));
    let report = service.tick().await;
    assert_eq!(report.failures.len(), 1);
    assert_eq!(report.failures[0].in_a_row, 2);
    assert_eq!(
        report.failures[0].retry_at,
        h.clock_now() + Duration::seconds(10)
    );
    assert!(
        app.metrics
            .render(&[])
            .contains("weike_job_failures_total{job=\"refresh-branches\"} 2\n")
    );

    // The next day's lessons go out too, while the row is still broken.
    h.clock.advance(Duration::days(1));
    let report = service.tick().await;
    assert_eq!(report.planned.planned, 3);
    assert_eq!(report.drained.sent, 3);
    assert_eq!(
        report.failures.iter().map(|f| f.job).collect::<Vec<_>>(),
        [Job::RefreshBranches]
    );

    // Repaired, the job runs again at its next try and its record is clean.
    support::sql::execute(
        &h.db.url,
        "UPDATE branches SET names_json = '{}' WHERE id = 'qingshan'",
    )
    .await;
    h.clock.advance(Duration::minutes(5));
    let report = service.tick().await;
    assert!(report.failures.is_empty(), "{:?}", report.failures);
    assert!(report.backing_off.is_empty());
    let success = format!(
        "weike_job_last_success_timestamp_seconds{{job=\"refresh-branches\"}} {}\n",
        h.clock_now().timestamp()
    );
    assert!(app.metrics.render(&[]).contains(&success));
}

sqlite_and_postgres!(failing_job_does_not_stop_delivery);
