//! Databases for integration tests: a fresh SQLite file, or a fresh PostgreSQL database
//! on the server named by `WEIKE_TEST_POSTGRES_URL` (started by `.ci/run`). Without a
//! server a PostgreSQL test is skipped, with a notice on stderr, except in CI (`CI` set),
//! where it fails: a run that skipped them must not look green there.

use sqlx::Connection;

pub const POSTGRES_ENV: &str = "WEIKE_TEST_POSTGRES_URL";

/// What a PostgreSQL test does, given `WEIKE_TEST_POSTGRES_URL` and `CI`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PostgresPlan {
    /// Run on the server at this URL.
    Run(String),
    /// No server, not in CI: skip, saying so.
    Skip,
    /// No server in CI: fail.
    Fail,
}

/// Decides [`PostgresPlan`] from the two variables (None: unset). An empty URL counts as
/// unset; CI is on when `CI` is set to anything but empty, `false` or `0` (GitHub, GitLab
/// and most runners set `CI=true`; `.ci/run` does too).
pub fn postgres_plan(url: Option<&str>, ci: Option<&str>) -> PostgresPlan {
    if let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) {
        return PostgresPlan::Run(url.to_string());
    }
    let in_ci = ci
        .map(str::trim)
        .is_some_and(|v| !v.is_empty() && v != "0" && !v.eq_ignore_ascii_case("false"));
    if in_ci {
        PostgresPlan::Fail
    } else {
        PostgresPlan::Skip
    }
}

/// For a test that needs an outside tool that is missing (`what` says what to set up):
/// locally a visible SKIPPED notice on stderr, in CI (the rule of [`postgres_plan`]) a
/// failure.
pub fn skip_or_fail(test: &str, what: &str) {
    let ci = std::env::var("CI").ok();
    if postgres_plan(None, ci.as_deref()) == PostgresPlan::Fail {
        panic!(
            "{test} needs {what} in CI (CI={:?}); .ci/run sets it up",
            ci.unwrap_or_default()
        );
    }
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "SKIPPED {test}: set up {what} to run it");
}

/// A database that lives as long as this value (the SQLite folder is deleted on drop; the
/// PostgreSQL database is left for inspection and has a unique name).
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

impl TestDb {
    pub fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("weike.db").display());
        TestDb {
            url,
            _dir: Some(dir),
        }
    }

    /// A new empty database, or None (with a notice on stderr, shown even for a passing
    /// test) when no server is configured; in CI no server is a failure.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let url = std::env::var(POSTGRES_ENV).ok();
        let ci = std::env::var("CI").ok();
        let base = match postgres_plan(url.as_deref(), ci.as_deref()) {
            PostgresPlan::Run(base) => base,
            PostgresPlan::Skip => {
                // Straight to the stderr handle: the test harness captures eprintln! as it
                // captures println!, and shows neither for a passing test.
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED {test}: set {POSTGRES_ENV}=postgres://... to run it against PostgreSQL"
                );
                return None;
            }
            PostgresPlan::Fail => panic!(
                "{test} needs PostgreSQL in CI (CI={:?}): set {POSTGRES_ENV}=postgres://... \
                 to a server where databases may be created, as .ci/run does",
                ci.unwrap_or_default()
            ),
        };
        let name = format!(
            "weike_{}_{}_{}",
            test.chars()
                .filter(|c| c.is_ascii_alphanumeric())
                .take(20)
                .collect::<String>()
                .to_lowercase(),
            std::process::id(),
            rand::random::<u32>()
        );
        let mut admin = sqlx::PgConnection::connect(&base)
            .await
            .unwrap_or_else(|e| {
                panic!("{POSTGRES_ENV} is set but the server cannot be reached: {e}")
            });
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let mut url = url::Url::parse(&base).expect("valid URL");
        url.set_path(&format!("/{name}"));
        Some(TestDb {
            url: url.to_string(),
            _dir: None,
        })
    }
}

/// `migrator` without the migrations from `version` on: the schema as it was before it,
/// for testing a migration on a populated database.
pub fn migrations_before(
    mut migrator: sqlx::migrate::Migrator,
    version: i64,
) -> sqlx::migrate::Migrator {
    migrator.migrations = std::borrow::Cow::Owned(
        migrator
            .migrations
            .iter()
            .filter(|m| m.version < version)
            .cloned()
            .collect(),
    );
    migrator
}

/// A SQLite pool on `db` (foreign keys on, as the service opens it) with the schema as it
/// was before migration `version`: for testing that migration on a populated database.
pub async fn sqlite_before(db: &TestDb, version: i64) -> sqlx::SqlitePool {
    let options: sqlx::sqlite::SqliteConnectOptions = db
        .url
        .parse::<sqlx::sqlite::SqliteConnectOptions>()
        .expect("url")
        .create_if_missing(true)
        .foreign_keys(true);
    let pool = sqlx::SqlitePool::connect_with(options).await.expect("open");
    migrations_before(sqlx::migrate!("./migrations/sqlite"), version)
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("migrations before {version:04}: {e}"));
    pool
}

/// The same on PostgreSQL.
pub async fn postgres_before(db: &TestDb, version: i64) -> sqlx::PgPool {
    let pool = sqlx::PgPool::connect(&db.url).await.expect("open");
    migrations_before(sqlx::migrate!("./migrations/postgres"), version)
        .run(&pool)
        .await
        .unwrap_or_else(|e| panic!("migrations before {version:04}: {e}"));
    pool
}

/// How many foreign keys `table` has on SQLite (a migration test checks one is gone).
pub async fn sqlite_foreign_keys(pool: &sqlx::SqlitePool, table: &str) -> usize {
    let fks: Vec<(i64,)> = sqlx::query_as("SELECT id FROM pragma_foreign_key_list($1)")
        .bind(table)
        .fetch_all(pool)
        .await
        .expect("foreign keys");
    fks.len()
}

/// The same on PostgreSQL.
pub async fn postgres_foreign_keys(pool: &sqlx::PgPool, table: &str) -> i64 {
    sqlx::query_scalar(
        "SELECT COUNT(*) FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'f'",
    )
    .bind(table)
    .fetch_one(pool)
    .await
    .expect("foreign keys")
}

/// Inserts a member (chat `1001`, created at `$now`) with plain SQL that every schema since
/// the first migration takes, into the pool `$pool` of either database; gives its id. For
/// seeding a database before a migration under test.
#[macro_export]
macro_rules! member_before {
    ($pool:expr, $now:expr) => {{
        let (member,): (i64,) = sqlx::query_as(
            "INSERT INTO members (channel, chat_id, locale, timezone, lesson_time, onboarded, created_at, updated_at)
             VALUES ('telegram', '1001', 'zh-CN', 'Asia/Shanghai', '08:00', true, $1, $1) RETURNING id",
        )
        .bind($now)
        .fetch_one($pool)
        .await
        .expect("insert member");
        member
    }};
}

/// The two tests of each async scenario `fn(TestDb)`: `<name>::sqlite` and
/// `<name>::postgres` (skipped without a server, a failure in CI: [`TestDb::postgres`]).
/// `sqlite_and_postgres!(scenario)` names them after the scenario,
/// `sqlite_and_postgres!(name => scenario)` otherwise.
#[macro_export]
macro_rules! sqlite_and_postgres {
    ($scenario:ident) => {
        $crate::sqlite_and_postgres!($scenario => $scenario);
    };
    ($name:ident => $scenario:ident) => {
        mod $name {
            use $crate::support::db::TestDb;

            #[tokio::test]
            async fn sqlite() {
                super::$scenario(TestDb::sqlite()).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(db) = TestDb::postgres(stringify!($name)).await {
                    super::$scenario(db).await;
                }
            }
        }
    };
}

/// The instant the planning migration tests start from (2026-12-01 00:00 UTC).
pub fn plan_t0() -> chrono::DateTime<chrono::Utc> {
    use chrono::TimeZone;
    chrono::Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap()
}

/// A lesson of the course `safety` to plan for `member` at position `seq` (1-based; due
/// `seq - 1` days after [`plan_t0`]), as the planner writes it.
pub fn planned_lesson(member: i64, seq: i64) -> weike::store::PlannedLesson {
    use weike::store::{Assignment, NewDelivery, PlannedLesson};
    let due_at = plan_t0() + chrono::Duration::days(seq - 1);
    PlannedLesson {
        assignment: Assignment {
            member_id: member,
            course: "safety".into(),
            seq,
            lesson_id: format!("l{seq}"),
            day: chrono::NaiveDate::from_ymd_opt(2026, 12, seq as u32).unwrap(),
            due_at,
        },
        delivery: NewDelivery {
            member_id: member,
            kind: weike::domain::outbox::OutboxKind::Lesson,
            reference: format!("safety:l{seq}"),
            dedup_key: format!("lesson:{member}:safety:{seq}"),
            due_at,
        },
        next_seq: seq + 1,
        next_due_at: Some(due_at + chrono::Duration::days(1)),
        branch_id: None,
    }
}
