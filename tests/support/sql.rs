//! Raw SQL against a test database, for scenarios that damage stored data on purpose (a
//! corrupt row, as an older version or a hand edit could leave it) or read it behind the
//! store's back.

use sqlx::Connection;

/// Runs `$body` with `$c` a connection to the test database at `$url` (SQLite or
/// PostgreSQL, by the address), closed afterwards.
macro_rules! on_connection {
    ($url:expr, $c:ident => $body:expr) => {
        if $url.starts_with("sqlite:") {
            let mut $c = sqlx::SqliteConnection::connect($url)
                .await
                .expect("connect to the SQLite test database");
            let out = $body;
            $c.close().await.expect("close");
            out
        } else {
            let mut $c = sqlx::PgConnection::connect($url)
                .await
                .expect("connect to the PostgreSQL test database");
            let out = $body;
            $c.close().await.expect("close");
            out
        }
    };
}

/// Runs `sql` (one statement, no parameters) on the database at `url`.
pub async fn execute(url: &str, sql: &str) {
    on_connection!(url, c => sqlx::query(sql).execute(&mut c).await.map(|_| ()))
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// The first column (text) of every row `sql` returns on the database at `url`.
pub async fn strings(url: &str, sql: &str) -> Vec<String> {
    on_connection!(url, c => sqlx::query_scalar::<_, String>(sql).fetch_all(&mut c).await)
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The integer `sql` returns for its one text parameter `$1` on the database at `url`.
pub async fn integer(url: &str, sql: &str, param: &str) -> i64 {
    on_connection!(url, c => {
        sqlx::query_scalar::<_, i64>(sql)
            .bind(param)
            .fetch_one(&mut c)
            .await
    })
    .unwrap_or_else(|e| panic!("{sql}: {e}"))
}
