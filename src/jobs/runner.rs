//! Runs each job on its own: one job's failure is logged with the job's name, counted in
//! `/metrics`, and backed off, while the others and the courier keep running. The runner
//! only decides whether a job that has been failing may try again yet; whether a job is
//! due is its [`super::Schedule`]'s business.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

use super::Job;
use crate::clock::Clock;
use crate::metrics::Metrics;

/// The first wait after a failure; it doubles with every further failure in a row.
pub const FIRST_BACKOFF: Duration = Duration::seconds(5);
/// The longest wait between two tries of a failing job.
pub const MAX_BACKOFF: Duration = Duration::minutes(5);

/// How long a job waits after `failures` failures in a row (at least one).
pub fn backoff(failures: u32) -> Duration {
    let doublings = failures.saturating_sub(1).min(16);
    let wait = FIRST_BACKOFF * 2_i32.pow(doublings);
    wait.min(MAX_BACKOFF)
}

/// A failed run of a job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobFailure {
    pub job: Job,
    pub error: String,
    /// Failures in a row, this one included.
    pub in_a_row: u32,
    /// When the job will be tried again.
    pub retry_at: DateTime<Utc>,
}

impl std::fmt::Display for JobFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "job {} failed ({} in a row; next try at {}): {}",
            self.job,
            self.in_a_row,
            self.retry_at.format("%Y-%m-%d %H:%M:%S UTC"),
            self.error
        )
    }
}

/// What became of a job's turn.
#[derive(Debug)]
pub enum Turn<T> {
    Ran(T),
    Failed(JobFailure),
    /// The job failed recently and waits for its next try.
    BackingOff(Job),
}

#[derive(Debug, Default, Clone)]
struct JobState {
    failures_in_a_row: u32,
    retry_at: Option<DateTime<Utc>>,
}

/// Runs jobs in isolation and remembers which ones are failing.
pub struct JobRunner {
    clock: Arc<dyn Clock>,
    metrics: Arc<Metrics>,
    state: Mutex<HashMap<Job, JobState>>,
}

impl JobRunner {
    pub fn new(clock: Arc<dyn Clock>, metrics: Arc<Metrics>) -> Self {
        for job in Job::ALL {
            metrics.register_job(job.name());
        }
        Self {
            clock,
            metrics,
            state: Mutex::new(HashMap::new()),
        }
    }

    fn with_state<R>(&self, f: impl FnOnce(&mut HashMap<Job, JobState>) -> R) -> R {
        match self.state.lock() {
            Ok(mut s) => f(&mut s),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Runs `job` unless it is backing off. A failure is logged with the job's name,
    /// counted, and makes the job wait ([`backoff`]) before its next try; a success
    /// records the time of the job's last success.
    pub async fn run<T, E, F>(&self, job: Job, work: impl FnOnce() -> F) -> Turn<T>
    where
        E: std::fmt::Display,
        F: Future<Output = Result<T, E>>,
    {
        let now = self.clock.now();
        let waiting = self.with_state(|s| {
            s.get(&job)
                .and_then(|st| st.retry_at)
                .is_some_and(|at| at > now)
        });
        if waiting {
            return Turn::BackingOff(job);
        }
        match work().await {
            Ok(value) => {
                let recovered = self.with_state(|s| {
                    let st = s.entry(job).or_default();
                    let was = st.failures_in_a_row;
                    *st = JobState::default();
                    was
                });
                if recovered > 0 {
                    tracing::info!(job = job.name(), after = recovered, "job recovered");
                }
                self.metrics.job_succeeded(job.name(), self.clock.now());
                Turn::Ran(value)
            }
            Err(e) => {
                let failure = self.with_state(|s| {
                    let st = s.entry(job).or_default();
                    st.failures_in_a_row = st.failures_in_a_row.saturating_add(1);
                    let retry_at = self.clock.now() + backoff(st.failures_in_a_row);
                    st.retry_at = Some(retry_at);
                    JobFailure {
                        job,
                        error: e.to_string(),
                        in_a_row: st.failures_in_a_row,
                        retry_at,
                    }
                });
                self.metrics.job_failed(job.name());
                tracing::error!(
                    job = job.name(),
                    error = %failure.error,
                    in_a_row = failure.in_a_row,
                    retry_at = %failure.retry_at,
                    "job failed; the other jobs go on"
                );
                Turn::Failed(failure)
            }
        }
    }

    /// Records a failure of `job` that happened outside [`JobRunner::run`] (e.g. the
    /// planner lock could not be asked for), with the same backoff.
    pub async fn fail(&self, job: Job, error: impl std::fmt::Display) -> Turn<()> {
        let message = error.to_string();
        self.run(job, || async move { Err::<(), _>(message) }).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;
    use chrono::TimeZone;

    fn runner() -> (JobRunner, ManualClock, Arc<Metrics>) {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap());
        let metrics = Arc::new(Metrics::default());
        (
            JobRunner::new(Arc::new(clock.clone()), metrics.clone()),
            clock,
            metrics,
        )
    }

    #[test]
    fn backoff_doubles_up_to_the_limit() {
        assert_eq!(backoff(1), Duration::seconds(5));
        assert_eq!(backoff(2), Duration::seconds(10));
        assert_eq!(backoff(4), Duration::seconds(40));
        assert_eq!(backoff(7), Duration::minutes(5));
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
    }

    #[tokio::test]
    async fn a_failing_job_backs_off_and_recovers_while_others_run() {
        let (runner, clock, metrics) = runner();
        let fail = || async { Err::<(), _>("corrupt row") };
        let ok = || async { Ok::<u32, String>(7) };

        let Turn::Failed(f) = runner.run(Job::Nudges, fail).await else {
            panic!("should fail")
        };
        assert_eq!((f.job, f.in_a_row), (Job::Nudges, 1));
        assert_eq!(f.retry_at, clock.now() + Duration::seconds(5));
        // The other jobs are not held back.
        assert!(matches!(
            runner.run(Job::PlanLessons, ok).await,
            Turn::Ran(7)
        ));
        // The failing job is not tried again before its time...
        clock.advance(Duration::seconds(4));
        let mut tried = false;
        let turn = runner
            .run(Job::Nudges, || {
                tried = true;
                async { Ok::<(), String>(()) }
            })
            .await;
        assert!(matches!(turn, Turn::BackingOff(Job::Nudges)));
        assert!(!tried);
        // ...then it is, and a second failure waits twice as long.
        clock.advance(Duration::seconds(1));
        let Turn::Failed(f) = runner.run(Job::Nudges, fail).await else {
            panic!("should fail again")
        };
        assert_eq!(f.in_a_row, 2);
        assert_eq!(f.retry_at, clock.now() + Duration::seconds(10));
        let text = metrics.render(&[]);
        assert!(
            text.contains("weike_job_failures_total{job=\"nudges\"} 2\n"),
            "{text}"
        );
        assert!(text.contains("weike_job_failures_total{job=\"plan-lessons\"} 0\n"));
        assert!(text.contains(&format!(
            "weike_job_last_success_timestamp_seconds{{job=\"plan-lessons\"}} {}\n",
            clock.now().timestamp() - 5
        )));
        // A job that never succeeded has no success time yet.
        assert!(!text.contains("weike_job_last_success_timestamp_seconds{job=\"nudges\"}"));

        // Repaired, it runs again and its record is clean.
        clock.advance(Duration::seconds(10));
        assert!(matches!(
            runner
                .run(Job::Nudges, || async { Ok::<(), String>(()) })
                .await,
            Turn::Ran(())
        ));
        let Turn::Failed(f) = runner.run(Job::Nudges, fail).await else {
            panic!("should fail")
        };
        assert_eq!(f.in_a_row, 1, "the count starts again after a success");
    }
}
