//! `update-purge`: stored updates that are no longer needed are deleted, once an hour:
//! handled ones after `handled_update_retention_hours` (their content was emptied when
//! they were handled), dead ones after `dead_update_retention_days`.

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::config::InboxSettings;
use crate::store::Store;

/// The hour whose purge ran last.
const MARKER: &str = "updates.purged_hour";

pub struct UpdatePurge {
    store: Store,
    settings: InboxSettings,
}

impl UpdatePurge {
    pub fn new(store: Store, settings: InboxSettings) -> Self {
        Self { store, settings }
    }
}

#[async_trait]
impl ScheduledJob for UpdatePurge {
    fn job(&self) -> Job {
        Job::UpdatePurge
    }

    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        let marker = MARKER.to_string();
        vec![(Schedule::Hourly { marker }, Subject::All)]
    }

    async fn run(&self, _: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let now = due.now;
        let deleted = self
            .store
            .purge_updates(
                now - self.settings.handled_retention,
                now - self.settings.dead_retention,
            )
            .await?;
        if deleted > 0 {
            tracing::info!(deleted, "old stored updates deleted");
        }
        Ok(Outcome::Count(deleted))
    }
}
