//! Databases for integration tests: a fresh SQLite file, or a fresh PostgreSQL database
//! on the server named by `WEIKE_TEST_POSTGRES_URL` (started by `.ci/run`).

use sqlx::Connection;

pub const POSTGRES_ENV: &str = "WEIKE_TEST_POSTGRES_URL";

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

    /// A new empty database, or None (with a printed notice) when no server is configured.
    pub async fn postgres(test: &str) -> Option<TestDb> {
        let Ok(base) = std::env::var(POSTGRES_ENV) else {
            println!(
                "SKIPPED {test}: set {POSTGRES_ENV}=postgres://... to run it against PostgreSQL"
            );
            return None;
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
