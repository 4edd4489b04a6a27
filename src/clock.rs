//! Where time comes from. Production uses [`SystemClock`]; tests and benchmarks use
//! [`ManualClock`], which only moves when told to (and whose `sleep` advances it instead of
//! waiting), so nothing in the test suite waits for wall time; the console demo uses
//! [`ShiftedClock`], real time moved by `:clock`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A source of the current instant and a way to wait.
#[async_trait::async_trait]
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> DateTime<Utc>;
    /// Waits `duration` of this clock's time.
    async fn sleep(&self, duration: Duration);
    /// Waits until this clock reads `at` (returns at once if it already does).
    async fn sleep_until(&self, at: DateTime<Utc>) {
        let wait = (at - self.now()).to_std().unwrap_or(Duration::ZERO);
        if !wait.is_zero() {
            self.sleep(wait).await;
        }
    }
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

#[async_trait::async_trait]
impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// A clock that stands still until it is set or advanced. `sleep` advances it by the
/// requested duration and returns at once (virtual time).
#[derive(Debug, Clone)]
pub struct ManualClock {
    now: Arc<Mutex<DateTime<Utc>>>,
}

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        Self {
            now: Arc::new(Mutex::new(start)),
        }
    }

    pub fn set(&self, to: DateTime<Utc>) {
        *self.lock() = to;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.lock();
        *now += by;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, DateTime<Utc>> {
        // A poisoned lock only means another thread panicked while holding a plain value.
        self.now
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

#[async_trait::async_trait]
impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.lock()
    }
    async fn sleep(&self, duration: Duration) {
        let by = chrono::Duration::from_std(duration).unwrap_or(chrono::Duration::zero());
        self.advance(by);
        tokio::task::yield_now().await;
    }

    /// Moves the clock to `at` unless it reads later already (concurrent sleepers do not
    /// add up), and returns at once.
    async fn sleep_until(&self, at: DateTime<Utc>) {
        {
            let mut now = self.lock();
            if at > *now {
                *now = at;
            }
        }
        tokio::task::yield_now().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[tokio::test]
    async fn manual_clock_moves_only_when_told() {
        let start = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
        let clock = ManualClock::new(start);
        assert_eq!(clock.now(), start);
        clock.sleep(Duration::from_secs(90)).await;
        assert_eq!(clock.now(), start + chrono::Duration::seconds(90));
        clock.set(start);
        assert_eq!(clock.now(), start);
    }
}

/// The real clock shifted by an adjustable offset: the console demo's `:clock +1d` moves
/// it forward so that tomorrow's lesson arrives now, while time keeps running.
#[derive(Debug, Clone, Default)]
pub struct ShiftedClock {
    offset: Arc<Mutex<chrono::Duration>>,
}

impl ShiftedClock {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset += by;
    }

    /// Moves the clock so that it reads `to` now.
    pub fn set(&self, to: DateTime<Utc>) {
        let mut offset = self.offset.lock().unwrap_or_else(|p| p.into_inner());
        *offset = to - Utc::now();
    }
}

#[async_trait::async_trait]
impl Clock for ShiftedClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now() + *self.offset.lock().unwrap_or_else(|p| p.into_inner())
    }
    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}
