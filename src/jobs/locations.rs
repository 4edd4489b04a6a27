//! `location-purge`: shared locations older than the retention period are deleted, once
//! an hour.

use async_trait::async_trait;
use chrono::Duration;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::config::MigrantSettings;
use crate::store::Store;

/// The hour whose purge of old locations ran last.
const MARKER: &str = "locations.purged_hour";

pub struct LocationPurge {
    store: Store,
    retention: Duration,
}

impl LocationPurge {
    pub fn new(store: Store, settings: &MigrantSettings) -> Self {
        Self {
            store,
            retention: Duration::days(i64::from(settings.retention_days)),
        }
    }
}

#[async_trait]
impl ScheduledJob for LocationPurge {
    fn job(&self) -> Job {
        Job::LocationPurge
    }

    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        let marker = MARKER.to_string();
        vec![(Schedule::Hourly { marker }, Subject::All)]
    }

    async fn run(&self, _: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let deleted = self.store.purge_locations(due.now - self.retention).await?;
        if deleted > 0 {
            tracing::info!(deleted, "old shared locations deleted");
        }
        Ok(Outcome::Count(deleted))
    }
}
