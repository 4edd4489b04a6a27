//! Counters for operators, exposed in the Prometheus text format on `/metrics`.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Upper bounds (seconds) of the send latency histogram's buckets.
const LATENCY_BUCKETS: [f64; 9] = [0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

#[derive(Debug, Default)]
pub struct Metrics {
    pub sent: AtomicU64,
    pub retried: AtomicU64,
    pub dead: AtomicU64,
    pub unreachable: AtomicU64,
    pub rate_limited: AtomicU64,
    pub updates_received: AtomicU64,
    pub updates_handled: AtomicU64,
    /// Attempts to handle an update that failed (it is tried again, then kept as dead).
    pub updates_failed: AtomicU64,
    /// Updates given up on after their last attempt (kept as dead rows, the member told).
    pub updates_dead: AtomicU64,
    /// Updates that could not be read (kept as dead rows with the reason).
    pub updates_unparsable: AtomicU64,
    /// Replies the chat app refused for good (the member left, the message was invalid):
    /// logged and skipped.
    pub replies_dropped: AtomicU64,
    /// HTTP requests and connections refused: a wrong secret, a body too large or too slow,
    /// too many connections.
    pub http_refused: AtomicU64,
    /// Per scheduled job (by name): failures and the time of the last success.
    jobs: Mutex<BTreeMap<&'static str, JobFigures>>,
    latency_buckets: [AtomicU64; LATENCY_BUCKETS.len()],
    latency_count: AtomicU64,
    latency_sum_micros: AtomicU64,
}

#[derive(Debug, Default, Clone, Copy)]
struct JobFigures {
    failures: u64,
    last_success: Option<DateTime<Utc>>,
}

impl Metrics {
    pub fn inc(counter: &AtomicU64) {
        counter.fetch_add(1, Ordering::Relaxed);
    }

    fn with_jobs<R>(&self, f: impl FnOnce(&mut BTreeMap<&'static str, JobFigures>) -> R) -> R {
        match self.jobs.lock() {
            Ok(mut jobs) => f(&mut jobs),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Makes a job appear in the exposition (with no failures) before it first runs.
    pub fn register_job(&self, job: &'static str) {
        self.with_jobs(|jobs| {
            jobs.entry(job).or_default();
        });
    }

    pub fn job_succeeded(&self, job: &'static str, at: DateTime<Utc>) {
        self.with_jobs(|jobs| jobs.entry(job).or_default().last_success = Some(at));
    }

    pub fn job_failed(&self, job: &'static str) {
        self.with_jobs(|jobs| jobs.entry(job).or_default().failures += 1);
    }

    /// Records how long one delivery took to send (all its messages).
    pub fn observe_send(&self, took: Duration) {
        let secs = took.as_secs_f64();
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            if secs <= *bound {
                bucket.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.latency_count.fetch_add(1, Ordering::Relaxed);
        self.latency_sum_micros.fetch_add(
            u64::try_from(took.as_micros()).unwrap_or(u64::MAX),
            Ordering::Relaxed,
        );
    }

    /// The Prometheus exposition, with the outbox depth by status given by the caller.
    pub fn render(&self, queue: &[(String, i64)]) -> String {
        let mut out = String::new();
        let counter = |out: &mut String, name: &str, help: &str, v: &AtomicU64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        };
        counter(
            &mut out,
            "weike_deliveries_sent_total",
            "Deliveries sent.",
            &self.sent,
        );
        counter(
            &mut out,
            "weike_deliveries_retried_total",
            "Failed sends scheduled for another attempt.",
            &self.retried,
        );
        counter(
            &mut out,
            "weike_deliveries_dead_total",
            "Deliveries given up on.",
            &self.dead,
        );
        counter(
            &mut out,
            "weike_deliveries_unreachable_total",
            "Deliveries to members who blocked the bot or are gone.",
            &self.unreachable,
        );
        counter(
            &mut out,
            "weike_rate_limited_total",
            "429 answers (all sending paused for retry_after).",
            &self.rate_limited,
        );
        counter(
            &mut out,
            "weike_updates_received_total",
            "Updates received through the webhook.",
            &self.updates_received,
        );
        counter(
            &mut out,
            "weike_updates_handled_total",
            "Updates handled.",
            &self.updates_handled,
        );
        counter(
            &mut out,
            "weike_update_failures_total",
            "Failed attempts to handle an update (tried again, then kept as dead).",
            &self.updates_failed,
        );
        counter(
            &mut out,
            "weike_updates_dead_total",
            "Updates given up on after their last attempt (see `weike inbox`).",
            &self.updates_dead,
        );
        counter(
            &mut out,
            "weike_updates_unparsable_total",
            "Updates that could not be read (kept for `weike inbox`).",
            &self.updates_unparsable,
        );
        counter(
            &mut out,
            "weike_replies_dropped_total",
            "Replies the chat app refused for good (member unreachable, message rejected); each is logged.",
            &self.replies_dropped,
        );
        counter(
            &mut out,
            "weike_http_refused_total",
            "HTTP requests or connections refused (wrong secret, body too large or too slow, too many connections).",
            &self.http_refused,
        );
        let jobs = self.with_jobs(|jobs| jobs.clone());
        let name = "weike_job_failures_total";
        let _ = writeln!(
            out,
            "# HELP {name} Failed runs of each scheduled job.\n# TYPE {name} counter"
        );
        for (job, figures) in &jobs {
            let _ = writeln!(out, "{name}{{job=\"{job}\"}} {}", figures.failures);
        }
        let name = "weike_job_last_success_timestamp_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} When each scheduled job last ran without error (Unix time).\n# TYPE {name} gauge"
        );
        for (job, figures) in &jobs {
            if let Some(at) = figures.last_success {
                let _ = writeln!(out, "{name}{{job=\"{job}\"}} {}", at.timestamp());
            }
        }
        let _ = writeln!(
            out,
            "# HELP weike_outbox_rows Outbox rows by status.\n# TYPE weike_outbox_rows gauge"
        );
        for (status, n) in queue {
            let _ = writeln!(out, "weike_outbox_rows{{status=\"{status}\"}} {n}");
        }
        let name = "weike_send_seconds";
        let _ = writeln!(
            out,
            "# HELP {name} Time to send one delivery.\n# TYPE {name} histogram"
        );
        for (bound, bucket) in LATENCY_BUCKETS.iter().zip(&self.latency_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{bound}\"}} {}",
                bucket.load(Ordering::Relaxed)
            );
        }
        let count = self.latency_count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.latency_sum_micros.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_prometheus_text() {
        let m = Metrics::default();
        Metrics::inc(&m.sent);
        Metrics::inc(&m.sent);
        m.observe_send(Duration::from_millis(30));
        m.observe_send(Duration::from_secs(3));
        let text = m.render(&[("pending".into(), 5), ("sent".into(), 2)]);
        assert!(text.contains("weike_deliveries_sent_total 2\n"));
        assert!(text.contains("weike_outbox_rows{status=\"pending\"} 5\n"));
        assert!(text.contains("weike_send_seconds_bucket{le=\"0.01\"} 0\n"));
        assert!(text.contains("weike_send_seconds_bucket{le=\"0.05\"} 1\n"));
        assert!(text.contains("weike_send_seconds_bucket{le=\"5\"} 2\n"));
        assert!(text.contains("weike_send_seconds_bucket{le=\"+Inf\"} 2\n"));
        assert!(text.contains("weike_send_seconds_sum 3.03\n"));
        assert!(text.contains("weike_send_seconds_count 2\n"));
    }
}
