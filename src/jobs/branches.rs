//! `refresh-branches`: every process reloads the organization tree when the stored one
//! changed (an admin's edit on any process sets a new `branches.version`).

use std::sync::Arc;

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, ScheduledJob, Subject, Tick};
use crate::conversation::ctx::Ctx;
use crate::conversation::features::branches::VERSION_KEY;

pub struct RefreshBranches {
    ctx: Arc<Ctx>,
}

impl RefreshBranches {
    pub fn new(ctx: Arc<Ctx>) -> Self {
        Self { ctx }
    }
}

#[async_trait]
impl ScheduledJob for RefreshBranches {
    fn job(&self) -> Job {
        Job::RefreshBranches
    }

    async fn run(&self, _: &Subject, _: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let version = self.ctx.store.state(VERSION_KEY).await?;
        if version == self.ctx.tree_version() {
            return Ok(Outcome::Count(0));
        }
        self.ctx.reload_tree(version).await?;
        Ok(Outcome::Count(1))
    }
}
