//! Friendly reminders (nudges) for members who missed several lessons in a row: once a
//! day at the configured time, through the outbox, at most one per member and week.

use chrono::Duration;

use super::{Conversation, Replies, Result};
use crate::channel::Outbound;
use crate::content::markdown::escape_html;
use crate::domain::Member;
use crate::domain::outbox::OutboxKind;
use crate::domain::stats::week_key;
use crate::store::NewDelivery;
use crate::t;

/// The organization's local day whose nudges were queued last.
const NUDGE_STATE: &str = "nudges.last_day";
/// Members looked at per query.
const PAGE: i64 = 5_000;

impl Conversation {
    /// Queues the day's nudges once the configured time has come (in the organization's
    /// time zone). A lesson counts as missed a day after it was sent. Returns how many
    /// were queued.
    pub async fn queue_nudges(&self) -> Result<u64> {
        let settings = &self.settings.nudges;
        if settings.after_missed == 0 {
            return Ok(0);
        }
        let now = self.now();
        let tz = self.settings.default_timezone;
        let local = now.with_timezone(&tz);
        if local.time() < settings.time {
            return Ok(0);
        }
        let today = local.date_naive().format("%Y-%m-%d").to_string();
        if self.store.state(NUDGE_STATE).await?.as_deref() == Some(today.as_str()) {
            return Ok(0);
        }
        let week = week_key(now, tz);
        let cutoff = now - Duration::hours(24);
        let last = self.store.max_member_id().await?;
        let mut queued = 0;
        let mut after = 0;
        while after < last {
            let up_to = after.saturating_add(PAGE);
            for member_id in self
                .store
                .members_to_nudge(i64::from(settings.after_missed), cutoff, after, up_to)
                .await?
            {
                let new = self
                    .store
                    .enqueue(
                        &NewDelivery {
                            member_id,
                            kind: OutboxKind::Nudge,
                            reference: week.clone(),
                            dedup_key: OutboxKind::Nudge
                                .dedup_key(format_args!("{member_id}:{week}")),
                            due_at: now,
                        },
                        now,
                    )
                    .await?;
                queued += u64::from(new);
            }
            after = up_to;
        }
        self.store.set_state(NUDGE_STATE, &today).await?;
        tracing::info!(queued, day = %today, "nudges queued");
        Ok(queued)
    }

    /// The message of a `nudge` delivery.
    pub(super) fn compose_nudge(&self, member: &Member) -> Replies {
        let text = match &self.settings.nudges.text {
            Some(text) => text.clone(),
            None => t!(
                self.i18n,
                member.locale,
                "nudge",
                name = escape_html(member.display_name.as_deref().unwrap_or_default())
            ),
        };
        vec![Outbound::text(text)]
    }
}
