//! SQLite's write-ahead log, copied into the database file in the background.
//!
//! By default SQLite checkpoints inside whichever commit makes the log pass 1,000 pages:
//! that commit waits for the copy and for the database file's `fsync` (tens of
//! milliseconds after a large fan-out). Here a task does it instead, every
//! [`CHECKPOINT_EVERY`]:
//! - a `PASSIVE` checkpoint, which never blocks readers or writers, copies what it can;
//! - under continuous writing a passive checkpoint never catches up with the end of the log
//!   at the moment a writer starts, so the log is never restarted and grows. Once it holds
//!   more than [`RESTART_AFTER_PAGES`], and the passive run left at most
//!   [`RESTART_WHEN_LEFT_PAGES`] to copy, a `RESTART` checkpoint copies that remainder
//!   while holding writers back (a few milliseconds), so the next writer starts the log
//!   from its beginning. It runs on the task's own connection, which waits at most
//!   [`RESTART_PATIENCE`] for a writer or a long reader (a large report) and otherwise gives
//!   up until the next round: writers are never held back for longer than that and the copy.
//! - `wal_autocheckpoint` stays, at [`SAFETY_PAGES`], as a safety net should the task
//!   fall behind.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::Connection;
use sqlx::sqlite::{SqliteConnectOptions, SqliteConnection};

/// How often the log is checkpointed.
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);
/// Log size, in pages, from which the log is restarted.
pub const RESTART_AFTER_PAGES: i64 = 4_096;
/// Pages a passive checkpoint may have left for a restart to copy while writers wait.
pub const RESTART_WHEN_LEFT_PAGES: i64 = 64;
/// Passive checkpoints in a row, at most, to bring what is left down to that.
const PASSIVE_ROUNDS: usize = 4;
/// How long a restart waits for the current writer, and then for readers of older
/// snapshots, before it gives up for this round.
pub const RESTART_PATIENCE: Duration = Duration::from_millis(20);
/// `wal_autocheckpoint`: log pages after which a commit checkpoints by itself (64 MiB of
/// 4 KiB pages).
pub const SAFETY_PAGES: &str = "16384";

/// What the background checkpoints did, for benchmarks and operators.
#[derive(Debug, Default)]
pub struct CheckpointStats {
    passive: AtomicU64,
    restarts: AtomicU64,
    largest_log_pages: AtomicU64,
}

/// A copy of [`CheckpointStats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CheckpointFigures {
    /// Passive checkpoints that found something new to copy.
    pub passive: u64,
    /// Restarts of the log.
    pub restarts: u64,
    /// The longest the log was seen, in pages.
    pub largest_log_pages: u64,
}

impl CheckpointStats {
    pub fn figures(&self) -> CheckpointFigures {
        CheckpointFigures {
            passive: self.passive.load(Ordering::Relaxed),
            restarts: self.restarts.load(Ordering::Relaxed),
            largest_log_pages: self.largest_log_pages.load(Ordering::Relaxed),
        }
    }
}

/// Checkpoints the log of the database `options` opens every [`CHECKPOINT_EVERY`], on a
/// connection of its own, until `pool` (the store's) is closed.
pub fn spawn(options: SqliteConnectOptions, pool: sqlx::SqlitePool, stats: Arc<CheckpointStats>) {
    let options = options.busy_timeout(RESTART_PATIENCE);
    tokio::spawn(async move {
        let mut every = tokio::time::interval(CHECKPOINT_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut conn: Option<SqliteConnection> = None;
        let mut seen = (0, 0);
        loop {
            every.tick().await;
            if pool.is_closed() {
                break;
            }
            let result = match conn.as_mut() {
                Some(c) => checkpoint_once(c, &mut seen, &stats).await,
                None => match SqliteConnection::connect_with(&options).await {
                    Ok(c) => {
                        conn = Some(c);
                        Ok(())
                    }
                    Err(e) => Err(e),
                },
            };
            if let Err(e) = result {
                tracing::debug!(error = %e, "background checkpoint of the SQLite log failed; retrying");
                conn = None;
            }
        }
        if let Some(c) = conn {
            let _ = c.close().await;
        }
    });
}

/// Passive checkpoints until little is left to copy, and a restart of the log if it is long.
async fn checkpoint_once(
    conn: &mut SqliteConnection,
    // The log's (pages, pages copied) after the task's previous round: a round with nothing
    // written since does nothing.
    seen: &mut (i64, i64),
    stats: &CheckpointStats,
) -> Result<(), sqlx::Error> {
    for _ in 0..PASSIVE_ROUNDS {
        // (busy, pages in the log, pages copied); -1 when not in WAL mode (in-memory).
        let (_, log, copied): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *conn)
            .await?;
        if log <= 0 || copied <= 0 {
            return Ok(());
        }
        if *seen == (log, copied) {
            return Ok(()); // nothing written since the last round
        }
        *seen = (log, copied);
        stats
            .largest_log_pages
            .fetch_max(u64::try_from(log).unwrap_or(0), Ordering::Relaxed);
        stats.passive.fetch_add(1, Ordering::Relaxed);
        if log - copied > RESTART_WHEN_LEFT_PAGES {
            continue; // writers added more meanwhile: copy those too, still without blocking
        }
        if log >= RESTART_AFTER_PAGES {
            // (1, ..) when it gave up waiting: then it was a passive one.
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(RESTART)")
                .fetch_one(&mut *conn)
                .await?;
            if busy == 0 {
                stats.restarts.fetch_add(1, Ordering::Relaxed);
            }
        }
        return Ok(());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    async fn open(dir: &tempfile::TempDir) -> SqliteConnection {
        let url = format!("sqlite://{}", dir.path().join("log.db").display());
        let options = SqliteConnectOptions::from_str(&url)
            .expect("url")
            .create_if_missing(true)
            .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal)
            .pragma("wal_autocheckpoint", "0");
        SqliteConnection::connect_with(&options)
            .await
            .expect("open")
    }

    /// (busy, pages in the log, pages copied) without copying anything.
    async fn log_pages(conn: &mut SqliteConnection) -> i64 {
        // A passive checkpoint by a second connection would copy; reading the size of the
        // log file is what tells whether it was restarted.
        let (_, log, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&mut *conn)
            .await
            .expect("checkpoint");
        log
    }

    /// Appends `rows` rows of 4,000 random bytes (a log page each, about).
    async fn write(conn: &mut SqliteConnection, rows: i64) {
        sqlx::query(&format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows})
             INSERT INTO t (v) SELECT randomblob(4000) FROM n"
        ))
        .execute(conn)
        .await
        .expect("write");
    }

    /// One round of the checkpoint task, and the figures after it.
    async fn round(
        conn: &mut SqliteConnection,
        seen: &mut (i64, i64),
        stats: &CheckpointStats,
    ) -> CheckpointFigures {
        checkpoint_once(conn, seen, stats)
            .await
            .expect("checkpoint");
        stats.figures()
    }

    #[tokio::test]
    async fn a_long_log_is_copied_and_restarted_a_short_one_only_copied() {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut writer = open(&dir).await;
        let mut checkpointer = open(&dir).await;
        let stats = CheckpointStats::default();
        let mut seen = (0, 0);
        sqlx::query("CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB NOT NULL)")
            .execute(&mut writer)
            .await
            .expect("create");

        // A short log: copied, not restarted.
        write(&mut writer, 100).await;
        let f = round(&mut checkpointer, &mut seen, &stats).await;
        assert_eq!((f.passive, f.restarts), (1, 0), "{f:?}");
        assert!(f.largest_log_pages >= 100, "{f:?}");

        // A long one: copied, then restarted, so the next write starts the log again.
        write(&mut writer, RESTART_AFTER_PAGES + 100).await;
        let f = round(&mut checkpointer, &mut seen, &stats).await;
        assert_eq!(f.restarts, 1, "{f:?}");
        assert!(f.largest_log_pages >= RESTART_AFTER_PAGES as u64, "{f:?}");
        write(&mut writer, 10).await;
        let log = log_pages(&mut checkpointer).await;
        assert!(
            log < 100,
            "the log restarted from its beginning: {log} pages"
        );

        // Idle rounds do nothing.
        let idle = round(&mut checkpointer, &mut seen, &stats).await;
        assert_eq!(round(&mut checkpointer, &mut seen, &stats).await, idle);
        assert_eq!(round(&mut checkpointer, &mut seen, &stats).await, idle);
        assert_eq!(idle.restarts, 1);
    }
}
