//! `broadcast-progress`: the progress message of each running broadcast is edited (sent
//! directly by the courier, with a slot from its limiter, not through the outbox).

use std::sync::Arc;

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, ScheduledJob, Subject, Tick};
use crate::conversation::features::broadcasts::Broadcasts;

pub struct BroadcastProgress {
    broadcasts: Arc<Broadcasts>,
}

impl BroadcastProgress {
    pub fn new(broadcasts: Arc<Broadcasts>) -> Self {
        Self { broadcasts }
    }
}

#[async_trait]
impl ScheduledJob for BroadcastProgress {
    fn job(&self) -> Job {
        Job::BroadcastProgress
    }

    async fn run(&self, _: &Subject, _: &Due, tick: &Tick<'_>) -> Result<Outcome, JobError> {
        let mut shown = 0;
        for (chat, edit) in self.broadcasts.broadcast_progress().await? {
            // Through the channel the author is on.
            let courier = tick.courier_for(&chat).await?;
            match courier.send_reply(&chat, &edit).await {
                Ok(_) => shown += 1,
                Err(e) => {
                    tracing::warn!(%chat, error = %e, "a broadcast's progress could not be shown")
                }
            }
        }
        Ok(Outcome::Count(shown))
    }
}
