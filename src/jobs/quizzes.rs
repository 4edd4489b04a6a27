//! `expire-questions` (questions whose time ran out are closed, counted wrong, put under
//! review, and what follows them queued) and `topic-tests` (each course's topic tests at
//! the times of its `course.toml` cron expression).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::Duration;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::content::Library;
use crate::conversation::features::quizzes::{Quizzes, test_reference};
use crate::domain::outbox::OutboxKind;
use crate::store::{NewDelivery, Store};

pub struct ExpireQuestions {
    store: Store,
    /// Puts an expired question under review.
    quizzes: Arc<Quizzes>,
}

impl ExpireQuestions {
    pub fn new(store: Store, quizzes: Arc<Quizzes>) -> Self {
        Self { store, quizzes }
    }
}

#[async_trait]
impl ScheduledJob for ExpireQuestions {
    fn job(&self) -> Job {
        Job::ExpireQuestions
    }

    /// Closes the questions whose time ran out; returns how many.
    async fn run(&self, _: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let now = due.now;
        let expired = self.store.expire_asks(now).await?;
        for ask in &expired {
            if let Some(member) = self.store.member(ask.member_id).await? {
                self.quizzes.update_review(&member, ask, false).await?;
            }
            if let Some(test_id) = ask.test_id {
                self.store
                    .enqueue(
                        &NewDelivery {
                            member_id: ask.member_id,
                            kind: OutboxKind::QuizNext,
                            reference: test_id.to_string(),
                            dedup_key: OutboxKind::QuizNext.dedup_key(ask.id),
                            due_at: now,
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(Outcome::Count(expired.len() as u64))
    }
}

pub struct TopicTests {
    store: Store,
    library: Arc<Library>,
    /// A test time missed by more than this is skipped.
    grace: Duration,
}

impl TopicTests {
    pub fn new(store: Store, library: Arc<Library>, grace: Duration) -> Self {
        Self {
            store,
            library,
            grace,
        }
    }
}

#[async_trait]
impl ScheduledJob for TopicTests {
    fn job(&self) -> Job {
        Job::TopicTests
    }

    /// Each course's test schedule, remembered under `tests.<course>.last`.
    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        self.library
            .courses
            .iter()
            .filter_map(|course| {
                let test = course.test.as_ref()?;
                let schedule = Schedule::Cron {
                    cron: Box::new(test.schedule.clone()),
                    tz: test.timezone,
                    grace: self.grace,
                    marker: format!("tests.{}.last", course.id),
                };
                Some((schedule, Subject::Course(course.id.clone())))
            })
            .collect()
    }

    /// Queues the course's test for every member enrolled; returns how many.
    async fn run(&self, subject: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let Subject::Course(course) = subject else {
            return Ok(Outcome::Count(0));
        };
        let (at, now) = (due.at, due.now);
        let reference = test_reference(course, None, at);
        let dedup_key = OutboxKind::QuizTest.dedup_key(format_args!("{reference}:"));
        let queued = self
            .store
            .enqueue_for_course(
                course,
                None,
                OutboxKind::QuizTest,
                &reference,
                &dedup_key,
                at,
                now,
            )
            .await?;
        tracing::info!(course = %course, at = %at, queued, "topic tests queued");
        Ok(Outcome::Count(queued))
    }
}
