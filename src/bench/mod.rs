//! Benchmarks that run as `weike bench ...` and print their figures.

pub mod command;
pub mod delivery;
pub mod fake_bot_api;
pub mod fake_wecom_api;
pub mod geo;
pub mod loaders;
pub mod poster;
pub mod queries;
pub mod replies;
pub mod stats;
pub mod wecom_delivery;

/// The timed benchmark tests (Telegram's and WeCom's delivery at their limits) run one at a
/// time: side by side on two cores, each would disturb the other's timing.
#[cfg(test)]
pub(crate) static TIMED_TESTS: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

use std::path::Path;

use sqlx::Connection as _;

use crate::config::redact_url;
use crate::config::{Config, ConfigError};
use crate::store::StoreError;

/// Where a benchmark's scratch database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BenchDb {
    /// A file in a temporary folder.
    Sqlite,
    /// A database created (and dropped afterwards) on the PostgreSQL server of this URL.
    Postgres(String),
}

/// Why a benchmark has no database to run on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BenchDbError {
    #[error(
        "--db postgres needs a PostgreSQL server where the benchmark may create and drop a \
         scratch database: set --postgres-url postgres://... or WEIKE_BENCH_POSTGRES_URL \
         (WEIKE_DATABASE_URL is not used: it may be the production server)"
    )]
    NoPostgresServer,
    #[error("--postgres-url {0:?}: use postgres://... or postgresql://...")]
    NotPostgres(String),
    #[error("--db {0:?}: use sqlite or postgres")]
    UnknownDb(String),
}

/// The database `--db` names: `sqlite`, or `postgres` on the server of `postgres_url` (from
/// `--postgres-url` or `WEIKE_BENCH_POSTGRES_URL`, and only from there: never the service's
/// `WEIKE_DATABASE_URL`, which on a production host is the production server, nor the
/// tests' `WEIKE_TEST_POSTGRES_URL`). An empty URL is none.
pub fn bench_db(db: &str, postgres_url: Option<&str>) -> Result<BenchDb, BenchDbError> {
    match db {
        "sqlite" => Ok(BenchDb::Sqlite),
        "postgres" => match postgres_url.filter(|u| !u.is_empty()) {
            None => Err(BenchDbError::NoPostgresServer),
            Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
                Ok(BenchDb::Postgres(u.to_string()))
            }
            Some(u) => Err(BenchDbError::NotPostgres(redact_url(u))),
        },
        other => Err(BenchDbError::UnknownDb(other.to_string())),
    }
}

/// The settings of a benchmark: its scratch database and the lessons, branches (and points,
/// if the fixture has a `points.toml`) written into `dir`.
pub fn fixture_config(dir: &Path, url: &str) -> Result<Config, ConfigError> {
    let lessons = dir.join("lessons").display().to_string();
    let branches = dir.join("branches.toml").display().to_string();
    let points = dir.join("points.toml");
    let points = points.exists().then(|| points.display().to_string());
    Config::from_sources(None, |k| match k {
        "WEIKE_DATABASE_URL" => Some(url.to_string()),
        "WEIKE_LESSONS_DIR" => Some(lessons.clone()),
        "WEIKE_BRANCHES_FILE" => Some(branches.clone()),
        "WEIKE_POINTS_FILE" => points.clone(),
        _ => None,
    })
}

/// Writes the benchmark course `bench` (its `course.toml`) under `dir/lessons`; gives its
/// folder, for the lesson files.
pub fn write_course(dir: &Path) -> std::io::Result<std::path::PathBuf> {
    let course = dir.join("lessons").join("bench");
    std::fs::create_dir_all(&course)?;
    std::fs::write(
        course.join("course.toml"),
        "id = \"bench\"\n[title]\nzh-CN = \"基准课程\"\n",
    )?;
    Ok(course)
}

/// Writes the benchmark course with `lessons` one-line lessons (`l01`, `l02`, ...).
pub fn write_daily_course(dir: &Path, lessons: i64) -> std::io::Result<()> {
    let course = write_course(dir)?;
    for n in 1..=lessons {
        std::fs::write(
            course.join(format!("{n:02}-lesson.zh-CN.md")),
            format!("+++\nid = \"l{n:02}\"\ntitle = \"第{n}课\"\n+++\n每天一课。\n"),
        )?;
    }
    Ok(())
}

/// A benchmark's scratch database: a file in `dir` for SQLite, or a new database on the
/// PostgreSQL server (dropped by [`Scratch::drop_database`]).
pub struct Scratch {
    pub url: String,
    postgres: Option<(String, String)>,
}

impl Scratch {
    pub async fn create(database: &BenchDb, dir: &Path, name: &str) -> anyhow::Result<Scratch> {
        Ok(match database {
            BenchDb::Sqlite => Scratch {
                url: format!("sqlite://{}", dir.join("bench.db").display()),
                postgres: None,
            },
            BenchDb::Postgres(base) => {
                let name = format!("weike_{name}_{}", std::process::id());
                let url = create_postgres_database(base, &name).await?;
                Scratch {
                    url,
                    postgres: Some((base.clone(), name)),
                }
            }
        })
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let Some((base, name)) = self.postgres {
            drop_postgres_database(&base, &name).await?;
        }
        Ok(())
    }
}

/// Creates an empty database `name` on the PostgreSQL server of `base_url` (dropping one of
/// that name first) and returns its URL.
async fn create_postgres_database(base_url: &str, name: &str) -> crate::store::Result<String> {
    on_server(
        base_url,
        &[
            format!("DROP DATABASE IF EXISTS {name}"),
            format!("CREATE DATABASE {name}"),
        ],
    )
    .await?;
    let mut url = url::Url::parse(base_url)
        .map_err(|e| StoreError::UnsupportedUrl(format!("{}: {e}", redact_url(base_url))))?;
    url.set_path(&format!("/{name}"));
    Ok(url.to_string())
}

/// Drops the database `name` on the PostgreSQL server of `base_url`.
async fn drop_postgres_database(base_url: &str, name: &str) -> crate::store::Result<()> {
    on_server(
        base_url,
        &[format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")],
    )
    .await
}

/// Runs `statements` one by one on a connection of their own to the server of `base_url`.
async fn on_server(base_url: &str, statements: &[String]) -> crate::store::Result<()> {
    let mut admin = sqlx::PgConnection::connect(base_url)
        .await
        .map_err(StoreError::Connect)?;
    for sql in statements {
        sqlx::query(sql).execute(&mut admin).await?;
    }
    let _ = admin.close().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn postgres_runs_only_on_the_server_given_for_benchmarks() {
        let server = "postgres://bench:secret@10.0.0.9/postgres";
        assert_eq!(bench_db("sqlite", None), Ok(BenchDb::Sqlite));
        // The variable may be set for every run; SQLite runs ignore it.
        assert_eq!(bench_db("sqlite", Some(server)), Ok(BenchDb::Sqlite));
        assert_eq!(
            bench_db("postgres", Some(server)),
            Ok(BenchDb::Postgres(server.into()))
        );
        assert_eq!(
            bench_db("postgres", Some("postgresql://127.0.0.1/postgres")),
            Ok(BenchDb::Postgres("postgresql://127.0.0.1/postgres".into()))
        );
        // Without one (or with an empty one) there is no fallback, and the error says what
        // to set.
        for none in [None, Some("")] {
            let error = bench_db("postgres", none).expect_err("no server");
            assert_eq!(error, BenchDbError::NoPostgresServer);
            let text = error.to_string();
            assert!(text.contains("--postgres-url"), "{text}");
            assert!(text.contains("WEIKE_BENCH_POSTGRES_URL"), "{text}");
        }
        assert_eq!(
            bench_db("postgres", Some("sqlite://bench.db")),
            Err(BenchDbError::NotPostgres("sqlite://bench.db".into()))
        );
        let text = bench_db("postgres", Some("mysql://u:secret@h/db"))
            .expect_err("not PostgreSQL")
            .to_string();
        assert!(!text.contains("secret"), "{text}");
        assert_eq!(
            bench_db("mysql", Some(server)),
            Err(BenchDbError::UnknownDb("mysql".into()))
        );
    }
}
