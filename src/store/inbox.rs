//! Inbound updates: stored as they arrive (long polling and webhook alike), with the name of
//! the channel they came from, claimed per channel and chat in order, retried after a
//! failure, and kept as dead with their error when they cannot be read or keep failing. An
//! update is identified by its channel and the channel's update id.

use chrono::{DateTime, Utc};

use super::{Result, Store};

/// An update claimed for handling.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct StoredUpdate {
    pub channel: String,
    pub update_id: i64,
    /// The update's JSON as the chat app sent it.
    pub payload: String,
    /// Failed attempts so far.
    pub attempts: i64,
    /// The replies written down by an earlier attempt (JSON), if its handling got that far:
    /// they are sent (from `replies_sent` on) instead of handling the update again.
    pub replies: Option<String>,
    /// How many of `replies` were sent.
    pub replies_sent: i64,
}

/// Operators' view of the stored updates (`weike inbox`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InboxSummary {
    /// (status, count)
    pub counts: Vec<(String, i64)>,
    /// When the oldest dead update was received.
    pub oldest_dead: Option<DateTime<Utc>>,
    /// The most recently failed dead updates.
    pub recent_dead: Vec<DeadUpdate>,
}

/// An update given up on.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DeadUpdate {
    pub channel: String,
    pub update_id: i64,
    pub chat_key: String,
    pub attempts: i64,
    pub failed_at: Option<DateTime<Utc>>,
    pub last_error: Option<String>,
}

impl Store {
    /// Stores an update of `channel`. Returns false for a duplicate (a chat app sends an
    /// update again when it did not get a 200 for it, as Telegram does, and long polling
    /// repeats one whose offset was not stored).
    pub async fn save_update(
        &self,
        channel: &str,
        update_id: i64,
        chat_key: &str,
        payload: &str,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO inbound_updates (update_id, chat_key, payload, received_at, channel)
                 VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (channel, update_id) DO NOTHING",
            )
            .bind(update_id)
            .bind(chat_key)
            .bind(payload)
            .bind(now)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Claims stored updates of `channel` to handle: for each chat only its oldest
    /// unfinished one, so that a chat's updates are handled one at a time and in order, by
    /// whichever process. An update waiting for its next attempt (`claimed_until` in the
    /// future) holds back the later ones of its chat; a dead one does not.
    pub async fn claim_updates(
        &self,
        channel: &str,
        worker: &str,
        now: DateTime<Utc>,
        lease_until: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<StoredUpdate>> {
        let ready = "u.channel = $5
                     AND (u.status = 'pending' OR (u.status = 'handling' AND u.claimed_until <= $1))
                     AND NOT EXISTS (SELECT 1 FROM inbound_updates e
                                     WHERE e.channel = u.channel AND e.chat_key = u.chat_key
                                       AND e.update_id < u.update_id
                                       AND e.status NOT IN ('done', 'dead'))";
        let sql = format!(
            "UPDATE inbound_updates SET status = 'handling', claimed_by = $2, claimed_until = $3
             WHERE channel = $5
               AND update_id IN (SELECT u.update_id FROM inbound_updates u WHERE {ready}
                                 ORDER BY u.update_id LIMIT $4 {})
             RETURNING channel, update_id, payload, attempts, replies, replies_sent",
            self.skip_locked()
        );
        let mut rows: Vec<StoredUpdate> = self
            .claim_rows(&sql, channel, worker, now, lease_until, limit)
            .await?;
        rows.sort_by_key(|u| u.update_id);
        Ok(rows)
    }

    /// Marks a claimed update handled and empties its content: what the member sent is
    /// stored where it belongs now (a check-in, a consented location, ...); the row stays
    /// only to recognize a duplicate delivery, until [`Store::purge_updates`].
    pub async fn finish_update(&self, channel: &str, update_id: i64, worker: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET status = 'done', claimed_until = NULL, payload = '', replies = NULL
                 WHERE update_id = $1 AND claimed_by = $2 AND channel = $3",
            )
            .bind(update_id)
            .bind(worker)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Renews the lease of every update `worker` is working on (a heartbeat while the
    /// process is alive; after a crash the short lease runs out and another process takes
    /// the updates over). Updates waiting for a retry are not held by a worker.
    pub async fn renew_update_leases(&self, worker: &str, until: DateTime<Utc>) -> Result<u64> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET claimed_until = $2
                 WHERE claimed_by = $1 AND status = 'handling'",
            )
            .bind(worker)
            .bind(until)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n)
    }

    /// Writes down the replies to a claimed update before they are sent.
    pub async fn write_replies(
        &self,
        channel: &str,
        update_id: i64,
        worker: &str,
        replies: &str,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET replies = $3, replies_sent = 0
                 WHERE update_id = $1 AND claimed_by = $2 AND channel = $4",
            )
            .bind(update_id)
            .bind(worker)
            .bind(replies)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Records that the first `sent` replies of a claimed update were sent.
    pub async fn replies_sent(
        &self,
        channel: &str,
        update_id: i64,
        worker: &str,
        sent: i64,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET replies_sent = $3
                 WHERE update_id = $1 AND claimed_by = $2 AND channel = $4",
            )
            .bind(update_id)
            .bind(worker)
            .bind(sent)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Records a failed attempt at a claimed update; it stays claimed (holding back its
    /// chat's later updates) until `retry_at`, when any process may try it again.
    pub async fn retry_update(
        &self,
        channel: &str,
        update_id: i64,
        worker: &str,
        error: &str,
        retry_at: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET attempts = attempts + 1, last_error = $3, claimed_until = $4,
                   claimed_by = NULL
                 WHERE update_id = $1 AND claimed_by = $2 AND channel = $5",
            )
            .bind(update_id)
            .bind(worker)
            .bind(error)
            .bind(retry_at)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Gives up on a claimed update: it is kept as dead with its error (`attempts` counts
    /// this attempt too), and with `payload` instead of what was stored when given (the
    /// content without what must not be kept, such as a location). Later updates of its
    /// chat are handled from now on.
    pub async fn kill_update(
        &self,
        channel: &str,
        update_id: i64,
        worker: &str,
        error: &str,
        payload: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "UPDATE inbound_updates SET status = 'dead', attempts = attempts + 1, last_error = $3,
                   failed_at = $4, claimed_until = NULL, payload = COALESCE($5, payload)
                 WHERE update_id = $1 AND claimed_by = $2 AND channel = $6",
            )
            .bind(update_id)
            .bind(worker)
            .bind(error)
            .bind(now)
            .bind(payload)
            .bind(channel)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(())
    }

    /// Queues every dead update again with a fresh set of attempts (`weike inbox retry`);
    /// the service handles them per chat in order of arrival. Returns how many. Goes
    /// [`BATCH_ROWS`] at a time.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn requeue_dead_updates(&self) -> Result<u64> {
        let n = until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    "UPDATE inbound_updates SET status = 'pending', attempts = 0, claimed_by = NULL,
                   claimed_until = NULL
                 WHERE (channel, update_id) IN (SELECT channel, update_id FROM inbound_updates WHERE status = 'dead' LIMIT $1)",
                )
                .bind(super::BATCH_ROWS as i64)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        Ok(n)
    }

    /// Deletes handled updates received before `done_before` and dead ones received before
    /// `dead_before`, [`BATCH_ROWS`] at a time (short transactions, a pause between them).
    /// Returns how many were deleted.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn purge_updates(
        &self,
        done_before: DateTime<Utc>,
        dead_before: DateTime<Utc>,
    ) -> Result<u64> {
        let deleted = until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    "DELETE FROM inbound_updates WHERE (channel, update_id) IN (
                   SELECT channel, update_id FROM inbound_updates
                   WHERE (status = 'done' AND received_at < $1) OR (status = 'dead' AND received_at < $2)
                   LIMIT $3)",
                )
                .bind(done_before)
                .bind(dead_before)
                .bind(super::BATCH_ROWS as i64)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        Ok(deleted)
    }

    /// The stored content of every update of a chat, for tests and for scrubbing.
    pub async fn update_payloads_of_chat(
        &self,
        channel: &str,
        chat_key: &str,
    ) -> Result<Vec<(i64, String)>> {
        let rows = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT update_id, payload FROM inbound_updates WHERE channel = $1 AND chat_key = $2
                 ORDER BY update_id",
            )
            .bind(channel)
            .bind(chat_key)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Updates by status, for tests and operators.
    pub async fn update_counts(&self) -> Result<Vec<(String, i64)>> {
        self.status_counts("inbound_updates").await
    }

    /// Counts by status, the oldest dead update and the `recent` last dead ones.
    pub async fn inbox_summary(&self, recent: i64) -> Result<InboxSummary> {
        let counts = self.update_counts().await?;
        let oldest_dead: Option<DateTime<Utc>> = on_pool!(self, p => {
            sqlx::query_scalar("SELECT MIN(received_at) FROM inbound_updates WHERE status = 'dead'")
                .fetch_one(p)
                .await?
        });
        let recent_dead = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT channel, update_id, chat_key, attempts, failed_at, last_error FROM inbound_updates
                 WHERE status = 'dead' ORDER BY failed_at DESC, update_id DESC LIMIT $1",
            )
            .bind(recent)
            .fetch_all(p)
            .await?
        });
        Ok(InboxSummary {
            counts,
            oldest_dead,
            recent_dead,
        })
    }

    /// The stored content of an update, for operators and tests.
    pub async fn update_payload(&self, channel: &str, update_id: i64) -> Result<Option<String>> {
        let payload = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT payload FROM inbound_updates WHERE channel = $1 AND update_id = $2",
            )
                .bind(channel)
                .bind(update_id)
                .fetch_optional(p)
                .await?
        });
        Ok(payload)
    }
}
