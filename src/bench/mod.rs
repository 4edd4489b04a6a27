//! Benchmarks that run as `weike bench ...` and print their figures.

pub mod delivery;
pub mod fake_bot_api;
pub mod geo;
pub mod poster;
pub mod stats;

use std::path::Path;

use delivery::BenchDb;

use crate::config::{Config, ConfigError};

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
                let url = crate::store::create_scratch_postgres(base, &name).await?;
                Scratch {
                    url,
                    postgres: Some((base.clone(), name)),
                }
            }
        })
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        if let Some((base, name)) = self.postgres {
            crate::store::drop_scratch_postgres(&base, &name).await?;
        }
        Ok(())
    }
}
