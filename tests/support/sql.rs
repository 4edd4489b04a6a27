//! Raw SQL against a test database, for scenarios that damage stored data on purpose (a
//! corrupt row, as an older version or a hand edit could leave it).

use sqlx::Connection;

/// Runs `sql` (one statement, no parameters) on the database at `url`.
pub async fn execute(url: &str, sql: &str) {
    if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connect to the SQLite test database");
        sqlx::query(sql)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await.expect("close");
    } else {
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to the PostgreSQL test database");
        sqlx::query(sql)
            .execute(&mut c)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        c.close().await.expect("close");
    }
}

/// The first column (text) of every row `sql` returns on the database at `url`.
pub async fn strings(url: &str, sql: &str) -> Vec<String> {
    let rows = if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url)
            .await
            .expect("connect to the SQLite test database");
        sqlx::query_scalar::<_, String>(sql).fetch_all(&mut c).await
    } else {
        let mut c = sqlx::PgConnection::connect(url)
            .await
            .expect("connect to the PostgreSQL test database");
        sqlx::query_scalar::<_, String>(sql).fetch_all(&mut c).await
    };
    rows.unwrap_or_else(|e| panic!("{sql}: {e}"))
}
