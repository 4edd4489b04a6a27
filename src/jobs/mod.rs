//! The service's scheduled work in one place: each [`Job`] has its name (in logs and
//! `/metrics`), its [`Schedule`] (what decides that it is due) and its body, in a file of
//! its own; [`JobRunner`] runs each in isolation (a failure is logged, counted and backed
//! off while the others go on). [`Jobs::tick`] gives every job its turn, in [`Job::ALL`]
//! order, the jobs of [`Job::planner_only`] on the one planning process only.

mod branches;
mod broadcasts;
mod deliveries;
mod digests;
mod lessons;
mod locations;
mod nudges;
mod quizzes;
mod runner;
mod schedule;
mod seasons;
mod updates;

use std::sync::Arc;

use crate::clock::Clock;
use crate::config::Config;
use crate::conversation::{Conversation, ConversationError};
use crate::courier::{Courier, DrainReport};
use crate::planner::{PlanReport, Planner};
use crate::store::{Store, StoreError};
pub use runner::{FIRST_BACKOFF, JobFailure, JobRunner, MAX_BACKOFF, Turn, backoff};
pub use schedule::{Due, Schedule};

/// A job of the service. Its [`Job::name`] is what logs and `/metrics` show.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Job {
    /// Reload the organization tree when an admin edited it (on any process).
    RefreshBranches,
    /// Queue the lessons that are due (one process at a time).
    PlanLessons,
    /// Close quiz questions whose time to answer has passed.
    ExpireQuestions,
    /// Send topic tests on their schedule.
    TopicTests,
    /// Give season titles when a season ends.
    Seasons,
    /// Queue the day's reminders for members who missed lessons.
    Nudges,
    /// Queue the weekly digest of nearby activities for members away from home.
    Digests,
    /// Delete shared locations older than the retention period.
    LocationPurge,
    /// Delete stored updates once they are no longer needed.
    UpdatePurge,
    /// Edit the progress message of running broadcasts.
    BroadcastProgress,
    /// Send what the outbox holds (the courier).
    Deliveries,
}

impl Job {
    /// Every job, in the order a tick runs them.
    pub const ALL: [Job; 11] = [
        Job::RefreshBranches,
        Job::PlanLessons,
        Job::ExpireQuestions,
        Job::TopicTests,
        Job::Seasons,
        Job::Nudges,
        Job::Digests,
        Job::LocationPurge,
        Job::UpdatePurge,
        Job::BroadcastProgress,
        Job::Deliveries,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::RefreshBranches => "refresh-branches",
            Job::PlanLessons => "plan-lessons",
            Job::ExpireQuestions => "expire-questions",
            Job::TopicTests => "topic-tests",
            Job::Seasons => "seasons",
            Job::Nudges => "nudges",
            Job::Digests => "digests",
            Job::LocationPurge => "location-purge",
            Job::UpdatePurge => "update-purge",
            Job::BroadcastProgress => "broadcast-progress",
            Job::Deliveries => "deliveries",
        }
    }

    pub fn parse(name: &str) -> Option<Job> {
        Job::ALL.into_iter().find(|j| j.name() == name)
    }

    /// Whether only the planning process runs it (with several processes on one
    /// PostgreSQL database); the others run on every process.
    pub fn planner_only(self) -> bool {
        !matches!(self, Job::RefreshBranches | Job::Deliveries)
    }
}

impl std::fmt::Display for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Why a job failed.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
}

/// What a job's turn did, for the [`TickReport`].
#[derive(Debug)]
pub enum Outcome {
    /// How many things it did (deliveries queued, titles given, rows deleted, ...).
    Count(u64),
    Planned(PlanReport),
    Drained(DrainReport),
}

/// One scheduled job.
#[async_trait::async_trait]
pub trait ScheduledJob: Send + Sync {
    fn job(&self) -> Job;

    /// Its schedules, each with what it is about (the topic tests have one per course, the
    /// season titles one per season; a job switched off in the settings has none). By
    /// default: every tick.
    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        vec![(Schedule::EveryTick, Subject::All)]
    }

    /// Its work for one due run. A job returns its errors rather than hiding them: the
    /// runner logs, counts and backs off.
    async fn run(&self, subject: &Subject, due: &Due, tick: &Tick<'_>)
    -> Result<Outcome, JobError>;
}

/// What one of a job's schedules is about: the job as a whole, or one of its items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    All,
    Course(String),
    Season(String),
}

/// What a tick lends the jobs.
pub struct Tick<'a> {
    /// The process's courier (deliveries, progress edits sent directly).
    pub courier: &'a Courier,
    /// The couriers of the process's other channels (a process that serves several).
    pub peers: &'a [Arc<Courier>],
    pub store: &'a Store,
}

impl Tick<'_> {
    /// The courier whose channel has `chat` as a member: the process's own when it serves
    /// one channel, or when no channel has it.
    pub async fn courier_for(&self, chat: &str) -> Result<&Courier, crate::store::StoreError> {
        if self.peers.is_empty() {
            return Ok(self.courier);
        }
        for courier in std::iter::once(self.courier).chain(self.peers.iter().map(|p| p.as_ref())) {
            let channel = courier.channel().name();
            if self.store.member_by_chat(channel, chat).await?.is_some() {
                return Ok(courier);
            }
        }
        Ok(self.courier)
    }
}

/// What one tick did.
#[derive(Debug, Default)]
pub struct TickReport {
    pub planned: PlanReport,
    pub drained: DrainReport,
    /// The jobs that failed in this tick (each logged and counted already).
    pub failures: Vec<JobFailure>,
    /// The jobs that skipped this tick because they failed recently.
    pub backing_off: Vec<Job>,
}

impl TickReport {
    /// Keeps the failure or the waiting of a job's turn; returns what the job returned.
    pub(crate) fn note<T>(&mut self, turn: Turn<T>) -> Option<T> {
        match turn {
            Turn::Ran(value) => Some(value),
            Turn::Failed(failure) => {
                self.failures.push(failure);
                None
            }
            Turn::BackingOff(job) => {
                self.backing_off.push(job);
                None
            }
        }
    }

    /// The report, or an error naming every job that failed in this tick.
    pub fn into_result(self) -> Result<TickReport, TickFailed> {
        if self.failures.is_empty() {
            Ok(self)
        } else {
            Err(TickFailed(self.failures))
        }
    }
}

/// Jobs that failed in one tick (the others ran).
#[derive(Debug, thiserror::Error)]
#[error("{}", .0.iter().map(|f| f.to_string()).collect::<Vec<_>>().join("; "))]
pub struct TickFailed(pub Vec<JobFailure>);

/// Every job of the service, with the runner that isolates them.
pub struct Jobs {
    store: Store,
    clock: Arc<dyn Clock>,
    /// Asked for the planner lock (PostgreSQL).
    database_url: String,
    runner: JobRunner,
    /// In [`Job::ALL`] order.
    jobs: Vec<Box<dyn ScheduledJob>>,
}

impl Jobs {
    /// Every job of [`Job::ALL`] with what it needs.
    pub fn new(
        config: &Config,
        store: Store,
        clock: Arc<dyn Clock>,
        conversation: &Conversation,
        planner: Arc<Planner>,
        runner: JobRunner,
    ) -> Self {
        let ctx = conversation.ctx();
        let settings = &ctx.settings;
        let features = conversation.features();
        let points = conversation.points().clone();
        let jobs = Job::ALL
            .into_iter()
            .map(|job| -> Box<dyn ScheduledJob> {
                match job {
                    Job::RefreshBranches => Box::new(branches::RefreshBranches::new(ctx.clone())),
                    Job::PlanLessons => Box::new(lessons::PlanLessons::new(planner.clone())),
                    Job::ExpireQuestions => Box::new(quizzes::ExpireQuestions::new(
                        store.clone(),
                        features.quizzes.clone(),
                    )),
                    Job::TopicTests => Box::new(quizzes::TopicTests::new(
                        store.clone(),
                        ctx.library.clone(),
                        config.grace,
                    )),
                    Job::Seasons => Box::new(seasons::Seasons::new(store.clone(), points.clone())),
                    Job::Nudges => Box::new(nudges::Nudges::new(
                        store.clone(),
                        settings.nudges.clone(),
                        settings.default_timezone,
                    )),
                    Job::Digests => Box::new(digests::Digests::new(
                        store.clone(),
                        &settings.migrants,
                        settings.default_timezone,
                    )),
                    Job::LocationPurge => Box::new(locations::LocationPurge::new(
                        store.clone(),
                        &settings.migrants,
                    )),
                    Job::UpdatePurge => {
                        Box::new(updates::UpdatePurge::new(store.clone(), config.inbox))
                    }
                    Job::BroadcastProgress => Box::new(broadcasts::BroadcastProgress::new(
                        features.broadcasts.clone(),
                    )),
                    Job::Deliveries => Box::new(deliveries::Deliveries),
                }
            })
            .collect();
        Self {
            store,
            clock,
            database_url: config.database_url.clone(),
            runner,
            jobs,
        }
    }

    /// Gives every job its turn, in [`Job::ALL`] order. With several processes on one
    /// PostgreSQL database, one of them (holding the planner lock) runs the
    /// [`Job::planner_only`] jobs; all of them reload the tree and send.
    pub async fn tick(&self, courier: &Courier) -> TickReport {
        self.tick_with(courier, &[]).await
    }

    /// [`Self::tick`] in a process that serves several channels: `peers` are the couriers
    /// of its other channels (see [`Tick::courier_for`]).
    pub async fn tick_with(&self, courier: &Courier, peers: &[Arc<Courier>]) -> TickReport {
        let mut report = TickReport::default();
        let tick = Tick {
            courier,
            peers,
            store: &self.store,
        };
        let mut planner = None;
        for job in &self.jobs {
            let name = job.job();
            if name.planner_only() {
                let is_planner = match planner {
                    Some(p) => p,
                    None => {
                        let p = self.is_planner(&mut report).await;
                        planner = Some(p);
                        p
                    }
                };
                if !is_planner {
                    continue;
                }
            }
            let turn = self
                .runner
                .run(name, || self.turn(job.as_ref(), &tick))
                .await;
            for outcome in report.note(turn).into_iter().flatten() {
                match outcome {
                    Outcome::Planned(planned) => report.planned = planned,
                    Outcome::Drained(drained) => report.drained = drained,
                    Outcome::Count(_) => {}
                }
            }
        }
        report
    }

    /// Whether this process plans; a failure to ask counts as a failure of planning.
    async fn is_planner(&self, report: &mut TickReport) -> bool {
        match self.store.is_planner(&self.database_url).await {
            Ok(planner) => planner,
            Err(e) => {
                report.note(
                    self.runner
                        .fail(
                            Job::PlanLessons,
                            format!("cannot ask for the planner lock: {e}"),
                        )
                        .await,
                );
                false
            }
        }
    }

    /// One job's turn: each of its schedules that is due runs, and is marked done.
    async fn turn(
        &self,
        job: &dyn ScheduledJob,
        tick: &Tick<'_>,
    ) -> Result<Vec<Outcome>, JobError> {
        let mut outcomes = Vec::new();
        for (schedule, subject) in job.schedules() {
            let Some(due) = schedule.due(&self.store, self.clock.now()).await? else {
                continue;
            };
            outcomes.push(job.run(&subject, &due, tick).await?);
            schedule.done(&self.store, &due).await?;
        }
        Ok(outcomes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        let mut names = std::collections::BTreeSet::new();
        for job in Job::ALL {
            assert_eq!(Job::parse(job.name()), Some(job));
            assert!(names.insert(job.name()), "{job:?} has a name twice");
            assert!(
                job.name()
                    .chars()
                    .all(|c| c.is_ascii_lowercase() || c == '-'),
                "{} is not a metric label value of a-z and -",
                job.name()
            );
        }
        assert_eq!(Job::parse("no-such-job"), None);
    }
}
