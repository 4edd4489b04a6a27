//! Turns due lessons into outbox rows. Idempotent: planning the same lesson twice changes
//! nothing (the assignment's primary key refuses it, and only a new assignment gets its
//! delivery, in the same transaction), so a restart or two planners at once never double a
//! lesson.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use futures::StreamExt;
use futures::stream::FuturesUnordered;

use crate::clock::Clock;
use crate::content::Library;
use crate::domain::outbox::OutboxKind;
use crate::domain::schedule::{local_day, next_lesson_at};
use crate::store::{Assignment, NewDelivery, PlannedLesson, Store, StoreError};

/// What one planning pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlanReport {
    /// Lessons queued for delivery.
    pub planned: u64,
    /// Lesson times skipped because they were older than the grace period.
    pub skipped: u64,
    /// Members who reached the end of their course.
    pub completed: u64,
}

pub struct Planner {
    store: Store,
    library: Arc<Library>,
    clock: Arc<dyn Clock>,
    /// A lesson time missed (service down) by more than this is skipped, not sent late.
    grace: Duration,
    batch: i64,
}

impl Planner {
    pub fn new(
        store: Store,
        library: Arc<Library>,
        clock: Arc<dyn Clock>,
        grace: Duration,
    ) -> Self {
        Self {
            store,
            library,
            clock,
            grace,
            batch: crate::store::BATCH_ROWS as i64,
        }
    }

    /// Plans everything due now, a page at a time. On PostgreSQL up to
    /// [`Store::plan_writes_at_once`] pages are written while the next is read; on SQLite
    /// each page is written before the next is read.
    pub async fn plan_due(&self) -> Result<PlanReport, StoreError> {
        let now = self.clock.now();
        let mut report = PlanReport::default();
        let mut cursor = None;
        let at_once = self.store.plan_writes_at_once();
        let write = |plans: Vec<PlannedLesson>| {
            let store = &self.store;
            async move { store.plan_lessons(&plans, now).await }
        };
        // Pages being written (each one transaction; they share no rows but the per-branch
        // counts, which they lock in the same order).
        let mut writing = FuturesUnordered::new();
        loop {
            let due = {
                let read = self.store.due_enrollments(now, cursor, self.batch);
                tokio::pin!(read);
                loop {
                    tokio::select! {
                        due = &mut read => break due?,
                        Some(written) = writing.next(), if !writing.is_empty() => {
                            report.planned += written?;
                        }
                    }
                }
            };
            if due.is_empty() {
                break;
            }
            let full = due.len() as i64 == self.batch;
            cursor = due.last().map(|d| (d.next_due_at, d.member_id));
            let mut plans = Vec::with_capacity(due.len());
            for d in due {
                let due_at = d.next_due_at;
                let Some(course) = self.library.course(&d.course) else {
                    tracing::warn!(course = %d.course, member = d.member_id, "enrolled in a course that is not loaded; not planning it");
                    self.store
                        .set_next_due(d.member_id, &d.course, None)
                        .await?;
                    continue;
                };
                let seq = u32::try_from(d.next_seq).unwrap_or(u32::MAX);
                let Some(lesson) = course.lesson(seq) else {
                    self.store
                        .complete_enrollment(d.member_id, &course.id, now)
                        .await?;
                    self.store
                        .enqueue(
                            &NewDelivery {
                                member_id: d.member_id,
                                kind: OutboxKind::CourseFinished,
                                reference: course.id.clone(),
                                dedup_key: format!("course-finished:{}:{}", d.member_id, course.id),
                                due_at: now,
                            },
                            now,
                        )
                        .await?;
                    report.completed += 1;
                    continue;
                };
                if now - due_at > self.grace {
                    let next =
                        // The lesson time after the missed one; if that is due as well, the
                        // next round of this loop plans it (or skips it too).
                        next_lesson_at(&course.schedule, d.lesson_time, d.timezone, due_at);
                    tracing::info!(member = d.member_id, course = %course.id, seq, due = %due_at, "lesson time missed by more than the grace period; skipped");
                    self.store
                        .set_next_due(d.member_id, &course.id, next)
                        .await?;
                    report.skipped += 1;
                    continue;
                }
                let next = next_lesson_at(&course.schedule, d.lesson_time, d.timezone, due_at);
                plans.push(PlannedLesson {
                    assignment: Assignment {
                        member_id: d.member_id,
                        course: course.id.clone(),
                        seq: i64::from(seq),
                        lesson_id: lesson.id.clone(),
                        day: local_day(due_at, d.timezone),
                        due_at,
                    },
                    delivery: NewDelivery {
                        member_id: d.member_id,
                        kind: OutboxKind::Lesson,
                        reference: format!("{}:{}", course.id, lesson.id),
                        dedup_key: format!("lesson:{}:{}:{}", d.member_id, course.id, seq),
                        due_at,
                    },
                    next_seq: i64::from(seq) + 1,
                    next_due_at: next,
                    branch_id: d.branch_id,
                });
            }
            if at_once == 0 {
                report.planned += self.store.plan_lessons(&plans, now).await?;
            } else {
                while writing.len() >= at_once {
                    if let Some(written) = writing.next().await {
                        report.planned += written?;
                    }
                }
                writing.push(write(plans));
            }
            if full {
                // More are due. On SQLite, members' writes waiting for the lock get it while
                // the next page is read (no write lock); no `store::BATCH_PAUSE` on top,
                // which cost planning a quarter of its speed (200,000 lessons: 15.9 s
                // instead of 12.7 s).
                tokio::task::yield_now().await;
            }
        }
        while let Some(written) = writing.next().await {
            report.planned += written?;
        }
        if report != PlanReport::default() {
            tracing::info!(?report, "planned");
        }
        Ok(report)
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}
