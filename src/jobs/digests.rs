//! `digests`: the weekly digest of nearby activities for members away from home with a
//! fresh location, queued at each time of the `migrant_digest` cron expression (in the
//! organization's time zone); a time missed by more than a day is skipped.

use async_trait::async_trait;
use chrono::Duration;
use chrono_tz::Tz;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::config::MigrantSettings;
use crate::domain::outbox::OutboxKind;
use crate::store::{NewDelivery, Store};

/// When the last digest was queued (its scheduled time, RFC 3339).
const MARKER: &str = "digest.last";
/// A digest whose time passed longer ago than this (the service was down) is skipped.
const GRACE: Duration = Duration::hours(24);
/// Members looked at per query.
const PAGE: i64 = 5_000;

pub struct Digests {
    store: Store,
    cron: Option<cron::Schedule>,
    /// Locations older than this are not used.
    retention: Duration,
    /// The organization's time zone.
    tz: Tz,
}

impl Digests {
    pub fn new(store: Store, settings: &MigrantSettings, tz: Tz) -> Self {
        Self {
            store,
            cron: settings.digest.clone(),
            retention: Duration::days(i64::from(settings.retention_days)),
            tz,
        }
    }
}

#[async_trait]
impl ScheduledJob for Digests {
    fn job(&self) -> Job {
        Job::Digests
    }

    /// The cron expression; none when the digest is off.
    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        let Some(cron) = &self.cron else {
            return Vec::new();
        };
        let schedule = Schedule::Cron {
            cron: Box::new(cron.clone()),
            tz: self.tz,
            grace: GRACE,
            marker: MARKER.to_string(),
        };
        vec![(schedule, Subject::All)]
    }

    async fn run(&self, _: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let now = due.now;
        let fresh_since = now - self.retention;
        let reference = due.at.timestamp().to_string();
        let last = self.store.max_member_id().await?;
        let mut queued = 0;
        let mut after = 0;
        while after < last {
            let up_to = after.saturating_add(PAGE);
            let deliveries: Vec<NewDelivery> = self
                .store
                .migrants_with_location(fresh_since, after, up_to)
                .await?
                .into_iter()
                .map(|member_id| NewDelivery {
                    member_id,
                    kind: OutboxKind::ActivityDigest,
                    reference: reference.clone(),
                    dedup_key: OutboxKind::ActivityDigest
                        .dedup_key(format_args!("{member_id}:{reference}")),
                    due_at: now,
                })
                .collect();
            queued += self.store.enqueue_many(&deliveries, now).await?;
            after = up_to;
        }
        tracing::info!(queued, "weekly digests of nearby activities queued");
        Ok(Outcome::Count(queued))
    }
}
