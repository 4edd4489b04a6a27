//! `plan-lessons`: the planner queues the lessons that are due (by each enrollment's
//! next lesson time).

use std::sync::Arc;

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, ScheduledJob, Subject, Tick};
use crate::planner::Planner;

pub struct PlanLessons {
    planner: Arc<Planner>,
}

impl PlanLessons {
    pub fn new(planner: Arc<Planner>) -> Self {
        Self { planner }
    }
}

#[async_trait]
impl ScheduledJob for PlanLessons {
    fn job(&self) -> Job {
        Job::PlanLessons
    }

    async fn run(&self, _: &Subject, _: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        Ok(Outcome::Planned(self.planner.plan_due().await?))
    }
}
