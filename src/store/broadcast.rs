//! Broadcasts: drafts, their audience, their deliveries and progress; member tags.

use chrono::{DateTime, Utc};

use super::{Pool, Result, Store};
use crate::domain::outbox::OutboxKind;

/// Outbox kinds of broadcasts.

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct BroadcastRow {
    pub id: i64,
    pub author_id: i64,
    pub created_at: DateTime<Utc>,
    pub body_html: String,
    pub media_kind: Option<String>,
    pub media_file_id: Option<String>,
    pub audience: String,
    pub status: String,
    pub send_at: Option<DateTime<Utc>>,
    pub recipients: i64,
    pub progress_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, author_id, created_at, body_html, media_kind, media_file_id, audience, \
     status, send_at, recipients, progress_at, finished_at";

/// Who receives: members who are active and onboarded, and
/// - `branches`: whose branch is in the list (None: any branch),
/// - `tag`: who carry the tag,
/// - `migrant`: who are working away from home,
/// - `inactive_since`: who have no check-in since then.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AudienceFilter {
    pub branches: Option<Vec<String>>,
    pub tag: Option<String>,
    pub migrant: bool,
    pub inactive_since: Option<DateTime<Utc>>,
}

/// Where a broadcast's deliveries are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct BroadcastCounts {
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub blocked: i64,
    pub cancelled: i64,
}

impl BroadcastCounts {
    pub fn total(&self) -> i64 {
        self.pending + self.sent + self.failed + self.blocked + self.cancelled
    }
}

impl Store {
    fn audience_where(&self) -> &'static str {
        match self.pool {
            Pool::Sqlite(_) => {
                "m.status = 'active' AND m.onboarded
                 AND ($1 = '' OR m.branch_id IN (SELECT value FROM json_each(CASE WHEN $1 = '' THEN '[]' ELSE $1 END)))
                 AND ($2 = '' OR EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = m.id AND t.tag = $2))
                 AND ($3 = FALSE OR m.away_since IS NOT NULL)
                 AND ($4 IS NULL OR NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.id AND c.at >= $4))"
            }
            Pool::Postgres(_) => {
                "m.status = 'active' AND m.onboarded
                 AND ($1 = '' OR m.branch_id IN (SELECT jsonb_array_elements_text(CASE WHEN $1 = '' THEN '[]' ELSE $1 END::jsonb)))
                 AND ($2 = '' OR EXISTS (SELECT 1 FROM member_tags t WHERE t.member_id = m.id AND t.tag = $2))
                 AND ($3 = FALSE OR m.away_since IS NOT NULL)
                 AND ($4::timestamptz IS NULL OR NOT EXISTS (SELECT 1 FROM checkins c WHERE c.member_id = m.id AND c.at >= $4))"
            }
        }
    }

    /// How many members an audience reaches now.
    pub async fn count_audience(&self, filter: &AudienceFilter) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM members m WHERE {}",
            self.audience_where()
        );
        let branches = branch_list(filter);
        let n: i64 = on_pool!(self, p => {
            sqlx::query_scalar(&sql)
                .bind(&branches)
                .bind(filter.tag.as_deref().unwrap_or_default())
                .bind(filter.migrant)
                .bind(filter.inactive_since)
                .fetch_one(p)
                .await?
        });
        Ok(n)
    }

    pub async fn create_broadcast(
        &self,
        author_id: i64,
        body_html: &str,
        media: Option<(&str, &str)>,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let id: i64 = on_pool!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO broadcasts (author_id, created_at, body_html, media_kind, media_file_id)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(author_id)
            .bind(now)
            .bind(body_html)
            .bind(media.map(|m| m.0))
            .bind(media.map(|m| m.1))
            .fetch_one(p)
            .await?
        });
        Ok(id)
    }

    pub async fn broadcast(&self, id: i64) -> Result<Option<BroadcastRow>> {
        let sql = format!("SELECT {COLUMNS} FROM broadcasts WHERE id = $1");
        let row: Option<BroadcastRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(id).fetch_optional(p).await?
        });
        Ok(row)
    }

    pub async fn set_broadcast_audience(&self, id: i64, audience: &str) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE broadcasts SET audience = $2 WHERE id = $1 AND status = 'draft'")
                .bind(id)
                .bind(audience)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Queues a draft: one delivery per member of the audience at `send_at`, and the
    /// author's progress message just before. Returns the recipients, or None if the
    /// broadcast is not a draft any more (confirmed twice).
    ///
    /// The audience's deliveries are written first, one statement per window of
    /// [`BATCH_ROWS`] member ids (short transactions), then the broadcast is marked queued
    /// in one transaction with its progress message and its count of recipients. A crash
    /// in between leaves a draft with some deliveries queued (they are sent when due, as
    /// confirmed); confirming again (the update is handled again after a crash) queues the
    /// rest, the dedup keys keeping one delivery per member.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn queue_broadcast(
        &self,
        id: i64,
        filter: &AudienceFilter,
        send_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Option<i64>> {
        if self
            .broadcast(id)
            .await?
            .is_none_or(|b| b.status != "draft")
        {
            return Ok(None);
        }
        let sql = format!(
            concat!("INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
             SELECT m.id, '{broadcast}', $5, 'bc:' || $5 || ':' || CAST(m.id AS TEXT), $6, $6, $7
             FROM members m WHERE {} AND m.id > $8 AND m.id <= $9
             ON CONFLICT (dedup_key) WHERE ", crate::not_lesson!(), " DO NOTHING"),
            self.audience_where(),
            broadcast = OutboxKind::Broadcast.as_str(),
        );
        let branches = branch_list(filter);
        let reference = id.to_string();
        by_member_windows!(self, lo, hi => on_pool!(self, p => {
            sqlx::query(&sql)
                .bind(&branches)
                .bind(filter.tag.as_deref().unwrap_or_default())
                .bind(filter.migrant)
                .bind(filter.inactive_since)
                .bind(&reference)
                .bind(send_at)
                .bind(now)
                .bind(lo)
                .bind(hi)
                .execute(p)
                .await?
                .rows_affected()
        }));
        let progress_at = send_at - chrono::Duration::milliseconds(1);
        let queued = in_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE broadcasts SET status = 'queued', send_at = $2 WHERE id = $1 AND status = 'draft'",
            )
            .bind(id)
            .bind(send_at)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                let recipients: i64 = sqlx::query_scalar(
                    concat!("SELECT COUNT(*) FROM outbox WHERE ref = $1 AND kind = $2 AND ", crate::not_lesson!()),
                )
                .bind(&reference)
                .bind(OutboxKind::Broadcast.as_str())
                .fetch_one(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
                     SELECT author_id, $2, $3, $4, $5, $5, $6 FROM broadcasts WHERE id = $1",
                )
                .bind(id)
                .bind(OutboxKind::BroadcastProgress.as_str())
                .bind(&reference)
                .bind(format!("bcp:{id}"))
                .bind(progress_at)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                sqlx::query("UPDATE broadcasts SET recipients = $2 WHERE id = $1")
                    .bind(id)
                    .bind(recipients)
                    .execute(&mut *tx)
                    .await?;
                Some(recipients)
            } else {
                None
            }
        });
        Ok(queued)
    }

    pub async fn broadcast_counts(&self, id: i64) -> Result<BroadcastCounts> {
        let rows: Vec<(String, bool, i64)> = on_pool!(self, p => {
            sqlx::query_as(
                concat!("SELECT o.status, m.status = 'blocked', COUNT(*) FROM outbox o JOIN members m ON m.id = o.member_id
                 WHERE o.ref = $1 AND o.kind = $2 AND ", crate::not_lesson!("o."), "
                 GROUP BY o.status, m.status = 'blocked'"),
            )
            .bind(id.to_string())
            .bind(OutboxKind::Broadcast.as_str())
            .fetch_all(p)
            .await?
        });
        let mut c = BroadcastCounts::default();
        for (status, blocked, n) in rows {
            match (status.as_str(), blocked) {
                ("pending" | "sending", _) => c.pending += n,
                ("sent", _) => c.sent += n,
                ("dead", true) => c.blocked += n,
                ("dead", false) => c.failed += n,
                _ => c.cancelled += n,
            }
        }
        Ok(c)
    }

    /// The author's progress message of a broadcast, once sent: (chat id, message id).
    pub async fn broadcast_progress_message(&self, id: i64) -> Result<Option<(String, String)>> {
        let row: Option<(String, Option<String>)> = on_pool!(self, p => {
            sqlx::query_as(
                concat!("SELECT m.chat_id, o.channel_message_id FROM outbox o JOIN members m ON m.id = o.member_id
                 WHERE o.dedup_key = $1 AND ", crate::not_lesson!("o."), " AND o.status = 'sent'"),
            )
            .bind(format!("bcp:{id}"))
            .fetch_optional(p)
            .await?
        });
        Ok(row.and_then(|(chat, message)| Some((chat, message?))))
    }

    /// Broadcasts being sent (queued, not finished).
    pub async fn running_broadcasts(&self) -> Result<Vec<BroadcastRow>> {
        let sql = format!("SELECT {COLUMNS} FROM broadcasts WHERE status = 'queued' ORDER BY id");
        let rows: Vec<BroadcastRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).fetch_all(p).await?
        });
        Ok(rows)
    }

    /// Recent broadcasts (not drafts), newest first; of one author, or of everyone.
    pub async fn recent_broadcasts(
        &self,
        author: Option<i64>,
        limit: i64,
    ) -> Result<Vec<BroadcastRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM broadcasts WHERE status <> 'draft' AND ($1 IS NULL OR author_id = $1)
             ORDER BY id DESC LIMIT $2"
        );
        let rows: Vec<BroadcastRow> = on_pool!(self, p => {
            sqlx::query_as(&sql).bind(author).bind(limit).fetch_all(p).await?
        });
        Ok(rows)
    }

    pub async fn set_broadcast_progress_at(&self, id: i64, at: DateTime<Utc>) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query("UPDATE broadcasts SET progress_at = $2 WHERE id = $1")
                .bind(id)
                .bind(at)
                .execute(p)
                .await?;
        });
        Ok(())
    }

    /// Marks a broadcast done (all deliveries settled); false if it was not running.
    pub async fn finish_broadcast(&self, id: i64, now: DateTime<Utc>) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "UPDATE broadcasts SET status = 'done', finished_at = $2 WHERE id = $1 AND status = 'queued'",
            )
            .bind(id)
            .bind(now)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Cancels what has not been sent of a running broadcast. None if it was not running
    /// (finished, cancelled already, or a draft); else how many deliveries were cancelled.
    /// The broadcast and its progress message are cancelled in one transaction, then its
    /// waiting deliveries [`BATCH_ROWS`] at a time; one claimed meanwhile, or left by a
    /// crash, composes nothing (`compose_broadcast` looks at the status).
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    pub async fn cancel_broadcast(&self, id: i64, now: DateTime<Utc>) -> Result<Option<u64>> {
        let reference = id.to_string();
        let cancelled = in_tx!(self, tx => {
            let n = sqlx::query(
                "UPDATE broadcasts SET status = 'cancelled', finished_at = $2 WHERE id = $1 AND status = 'queued'",
            )
            .bind(id)
            .bind(now)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 1 {
                // A progress message not shown yet is not needed any more.
                sqlx::query(
                    concat!("UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled'
                     WHERE ref = $1 AND kind = $2 AND ", crate::not_lesson!(), " AND status = 'pending'"),
                )
                .bind(&reference)
                .bind(OutboxKind::BroadcastProgress.as_str())
                .execute(&mut *tx)
                .await?;
            }
            n == 1
        });
        if !cancelled {
            return Ok(None);
        }
        let n = until_done!(
            self,
            on_pool!(self, p => {
                sqlx::query(
                    concat!("UPDATE outbox SET status = 'cancelled', last_error = 'broadcast cancelled'
                 WHERE id IN (
                   SELECT id FROM outbox WHERE ref = $1 AND kind = $2 AND ", crate::not_lesson!(), "
                     AND status = 'pending' LIMIT $3)"),
                )
                .bind(&reference)
                .bind(OutboxKind::Broadcast.as_str())
                .bind(super::BATCH_ROWS as i64)
                .execute(p)
                .await?
                .rows_affected()
            })
        );
        Ok(Some(n))
    }

    /// Adds or removes a tag; false if nothing changed.
    pub async fn set_tag(&self, member_id: i64, tag: &str, on: bool) -> Result<bool> {
        let n = on_pool!(self, p => {
            if on {
                sqlx::query(
                    "INSERT INTO member_tags (member_id, tag) VALUES ($1, $2) ON CONFLICT (member_id, tag) DO NOTHING",
                )
                .bind(member_id)
                .bind(tag)
                .execute(p)
                .await?
                .rows_affected()
            } else {
                sqlx::query("DELETE FROM member_tags WHERE member_id = $1 AND tag = $2")
                    .bind(member_id)
                    .bind(tag)
                    .execute(p)
                    .await?
                    .rows_affected()
            }
        });
        Ok(n == 1)
    }

    /// The tags in use, with how many members carry each.
    pub async fn tags_in_use(&self) -> Result<Vec<(String, i64)>> {
        let rows: Vec<(String, i64)> = on_pool!(self, p => {
            sqlx::query_as("SELECT tag, COUNT(*) FROM member_tags GROUP BY tag ORDER BY tag")
                .fetch_all(p)
                .await?
        });
        Ok(rows)
    }

    /// Marks a member as working away from home (None: at home again).
    /// (The latest shared location carries the same flag, for the fan-out's index.)
    pub async fn set_away(&self, member_id: i64, since: Option<DateTime<Utc>>) -> Result<()> {
        in_tx!(self, tx => {
            sqlx::query("UPDATE members SET away_since = $2 WHERE id = $1")
                .bind(member_id)
                .bind(since)
                .execute(&mut *tx)
                .await?;
            sqlx::query("UPDATE last_locations SET away = $2 WHERE member_id = $1")
                .bind(member_id)
                .bind(since.is_some())
                .execute(&mut *tx)
                .await?;
        });
        Ok(())
    }
}

fn branch_list(filter: &AudienceFilter) -> String {
    match &filter.branches {
        None => String::new(),
        Some(list) => serde_json::to_string(list).unwrap_or_else(|_| "[]".into()),
    }
}
