//! Roles, the audit log, and queueing a delivery for a chosen set of members.

use chrono::{DateTime, Utc};

use super::{Pool, Result, Store};
use crate::domain::outbox::OutboxKind;

/// Role names as stored.
pub const ROLE_ADMIN: &str = "admin";
pub const ROLE_BRANCH_ADMIN: &str = "branch_admin";
/// The `branch_id` of an organization-wide role.
pub const WHOLE_ORGANIZATION: &str = "*";

/// A role held by a member.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct RoleRow {
    pub member_id: i64,
    pub chat_id: String,
    pub display_name: Option<String>,
    pub role: String,
    pub branch_id: Option<String>,
}

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AuditRow {
    pub at: DateTime<Utc>,
    pub member_id: i64,
    pub command: String,
    pub args: String,
    pub outcome: String,
    pub detail: String,
}

impl Store {
    /// Grants a role; false if the member had it already.
    pub async fn grant_role(&self, member_id: i64, role: &str, branch_id: &str) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO roles (member_id, role, branch_id) VALUES ($1, $2, $3)
                 ON CONFLICT (member_id, role, branch_id) DO NOTHING",
            )
            .bind(member_id)
            .bind(role)
            .bind(branch_id)
            .execute(p)
            .await?
            .rows_affected()
        });
        Ok(n == 1)
    }

    /// Revokes a role; false if the member did not have it.
    pub async fn revoke_role(&self, member_id: i64, role: &str, branch_id: &str) -> Result<bool> {
        let n = on_pool!(self, p => {
            sqlx::query("DELETE FROM roles WHERE member_id = $1 AND role = $2 AND branch_id = $3")
                .bind(member_id)
                .bind(role)
                .bind(branch_id)
                .execute(p)
                .await?
                .rows_affected()
        });
        Ok(n > 0)
    }

    /// Every role of every member (or of one member), by role then name.
    pub async fn roles(&self, member_id: Option<i64>) -> Result<Vec<RoleRow>> {
        let rows: Vec<RoleRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT r.member_id, m.chat_id, m.display_name, r.role, r.branch_id
                 FROM roles r JOIN members m ON m.id = r.member_id
                 WHERE $1 IS NULL OR r.member_id = $1
                 ORDER BY r.role, m.display_name, r.member_id, r.branch_id",
            )
            .bind(member_id)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Writes one line to the audit log.
    pub async fn audit(
        &self,
        member_id: i64,
        command: &str,
        args: &str,
        outcome: &str,
        detail: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        on_pool!(self, p => {
            sqlx::query(
                "INSERT INTO audit_log (at, member_id, command, args, outcome, detail)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(now)
            .bind(member_id)
            .bind(command)
            .bind(args)
            .bind(outcome)
            .bind(detail)
            .execute(p)
            .await?;
        });
        Ok(())
    }

    /// The latest audit lines, newest first.
    pub async fn audit_log(&self, limit: i64) -> Result<Vec<AuditRow>> {
        let rows: Vec<AuditRow> = on_pool!(self, p => {
            sqlx::query_as(
                "SELECT at, member_id, command, args, outcome, detail FROM audit_log
                 ORDER BY id DESC LIMIT $1",
            )
            .bind(limit)
            .fetch_all(p)
            .await?
        });
        Ok(rows)
    }

    /// Queues one delivery for every active, onboarded member enrolled in `course` whose
    /// branch is among `branches` (None: everyone). Dedup key: `dedup_prefix` + member id.
    /// Returns how many were queued. One statement per window of [`BATCH_ROWS`] member ids
    /// (short transactions); interrupted, the same call again completes it.
    ///
    /// [`BATCH_ROWS`]: super::BATCH_ROWS
    #[allow(clippy::too_many_arguments)]
    pub async fn enqueue_for_course(
        &self,
        course: &str,
        branches: Option<&[String]>,
        kind: OutboxKind,
        reference: &str,
        dedup_prefix: &str,
        due_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        // `$7`: the branches as a JSON list, or '' for every branch.
        let branch_filter = match &self.pool {
            Pool::Sqlite(_) => {
                "AND ($7 = '' OR m.branch_id IN (SELECT value FROM json_each(CASE WHEN $7 = '' THEN '[]' ELSE $7 END)))"
            }
            Pool::Postgres(_) => {
                "AND ($7 = '' OR m.branch_id IN (SELECT jsonb_array_elements_text(CASE WHEN $7 = '' THEN '[]' ELSE $7 END::jsonb)))"
            }
        };
        let sql = format!(
            "INSERT INTO outbox (member_id, kind, ref, dedup_key, due_at, next_attempt_at, created_at)
             SELECT e.member_id, $2, $3, $4 || CAST(e.member_id AS TEXT), $5, $5, $6
             FROM enrollments e JOIN members m ON m.id = e.member_id
             WHERE e.course = $1 AND m.status = 'active' AND m.onboarded {branch_filter}
               AND e.member_id > $8 AND e.member_id <= $9
             ON CONFLICT (dedup_key) WHERE {not_lesson} DO NOTHING",
            not_lesson = crate::not_lesson!()
        );
        let list = branches
            .map(|b| serde_json::to_string(b).unwrap_or_default())
            .unwrap_or_default();
        let n = by_member_windows!(self, lo, hi => on_pool!(self, p => {
            sqlx::query(&sql)
                .bind(course)
                .bind(kind.as_str())
                .bind(reference)
                .bind(dedup_prefix)
                .bind(due_at)
                .bind(now)
                .bind(&list)
                .bind(lo)
                .bind(hi)
                .execute(p)
                .await?
                .rows_affected()
        }));
        Ok(n)
    }
}
