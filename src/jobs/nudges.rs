//! `nudges`: friendly reminders for members who missed several lessons in a row, queued
//! once a day from the configured time (in the organization's time zone), at most one
//! per member and week (the dedup key). A lesson counts as missed a day after it was sent.

use async_trait::async_trait;
use chrono::Duration;
use chrono_tz::Tz;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::config::NudgeSettings;
use crate::domain::outbox::OutboxKind;
use crate::domain::stats::week_key;
use crate::store::{NewDelivery, Store};

/// The organization's local day whose nudges were queued last.
const MARKER: &str = "nudges.last_day";
/// Members looked at per query.
const PAGE: i64 = 5_000;

pub struct Nudges {
    store: Store,
    settings: NudgeSettings,
    /// The organization's time zone.
    tz: Tz,
}

impl Nudges {
    pub fn new(store: Store, settings: NudgeSettings, tz: Tz) -> Self {
        Self {
            store,
            settings,
            tz,
        }
    }
}

#[async_trait]
impl ScheduledJob for Nudges {
    fn job(&self) -> Job {
        Job::Nudges
    }

    /// Daily at `nudge_time`; none when `nudge_after_missed` is 0.
    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        if self.settings.after_missed == 0 {
            return Vec::new();
        }
        let schedule = Schedule::DailyAt {
            time: self.settings.time,
            tz: self.tz,
            marker: MARKER.to_string(),
        };
        vec![(schedule, Subject::All)]
    }

    async fn run(&self, _: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let now = due.now;
        let week = week_key(now, self.tz);
        let cutoff = now - Duration::hours(24);
        let last = self.store.max_member_id().await?;
        let mut queued = 0;
        let mut after = 0;
        while after < last {
            let up_to = after.saturating_add(PAGE);
            for member_id in self
                .store
                .members_to_nudge(i64::from(self.settings.after_missed), cutoff, after, up_to)
                .await?
            {
                let delivery = NewDelivery {
                    member_id,
                    kind: OutboxKind::Nudge,
                    reference: week.clone(),
                    dedup_key: OutboxKind::Nudge.dedup_key(format_args!("{member_id}:{week}")),
                    due_at: now,
                };
                let new = self.store.enqueue(&delivery, now).await?;
                queued += u64::from(new);
            }
            after = up_to;
        }
        let day = now.with_timezone(&self.tz).date_naive();
        tracing::info!(queued, day = %day, "nudges queued");
        Ok(Outcome::Count(queued))
    }
}
