//! `deliveries`: the courier sends what the outbox holds (on every process), for one turn
//! at a time (`Courier::drain_turn`) so that a long backlog does not hold back the other jobs.

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, ScheduledJob, Subject, Tick};

pub struct Deliveries;

#[async_trait]
impl ScheduledJob for Deliveries {
    fn job(&self) -> Job {
        Job::Deliveries
    }

    async fn run(&self, _: &Subject, _: &Due, tick: &Tick<'_>) -> Result<Outcome, JobError> {
        Ok(Outcome::Drained(tick.courier.drain_turn().await?))
    }
}
