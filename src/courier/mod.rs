//! Drains the outbox through a channel at the channel's rate limits, retrying what failed
//! and never losing a delivery: a row is claimed with a lease, sent, and marked sent with
//! its message id; a crash between the send and the mark repeats at most the rows in
//! flight, and another courier takes over rows whose lease ran out.

pub mod rate_limit;

use std::sync::Arc;
use std::time::Duration;

use rand::{Rng, SeedableRng};
use tokio::sync::Mutex;

use crate::channel::{Channel, Outbound, SendError, Sent};
use crate::clock::Clock;
use crate::conversation::{Conversation, ConversationError};
use crate::domain::MemberStatus;
use crate::store::{OutboxItem, Store, StoreError};
use rate_limit::{Limits, RateLimiter};

#[derive(Debug, Clone)]
pub struct CourierSettings {
    pub limits: Limits,
    /// How long a claimed row stays ours before another courier may take it.
    pub lease: Duration,
    /// Rows claimed at a time.
    pub batch: i64,
    /// Attempts before a row is dead.
    pub max_attempts: i64,
    /// First retry delay; doubles each attempt, with jitter.
    pub backoff: Duration,
    pub max_backoff: Duration,
}

impl Default for CourierSettings {
    fn default() -> Self {
        Self {
            limits: Limits::default(),
            lease: Duration::from_secs(300),
            batch: 100,
            max_attempts: 5,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
        }
    }
}

/// What one drain pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: u64,
    pub retried: u64,
    pub dead: u64,
    pub unreachable: u64,
}

pub struct Courier {
    store: Store,
    channel: Arc<dyn Channel>,
    conversation: Arc<Conversation>,
    clock: Arc<dyn Clock>,
    settings: CourierSettings,
    worker: String,
    limiter: Mutex<RateLimiter>,
    rng: std::sync::Mutex<rand::rngs::SmallRng>,
}

impl Courier {
    pub fn new(
        store: Store,
        channel: Arc<dyn Channel>,
        conversation: Arc<Conversation>,
        clock: Arc<dyn Clock>,
        settings: CourierSettings,
        worker: String,
        seed: u64,
    ) -> Self {
        let limiter = Mutex::new(RateLimiter::new(settings.limits, clock.now()));
        Self {
            store,
            channel,
            conversation,
            clock,
            settings,
            worker,
            limiter,
            rng: std::sync::Mutex::new(rand::rngs::SmallRng::seed_from_u64(seed)),
        }
    }

    /// Sends everything that is due now, batch by batch, and returns what happened.
    pub async fn drain(&self) -> Result<DrainReport, StoreError> {
        let mut report = DrainReport::default();
        loop {
            let now = self.clock.now();
            let lease_until = now
                + chrono::Duration::from_std(self.settings.lease)
                    .unwrap_or(chrono::Duration::minutes(5));
            let items = self
                .store
                .claim_due(&self.worker, now, lease_until, self.settings.batch)
                .await?;
            if items.is_empty() {
                return Ok(report);
            }
            let mut iter = items.into_iter();
            while let Some(item) = iter.next() {
                match self.deliver(&item, &mut report).await? {
                    Flow::Continue => {}
                    Flow::PauseAll(wait) => {
                        // Give back this row and the rest of the batch; try again after the pause.
                        let retry_at =
                            self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                        self.store.release(item.id, &self.worker, retry_at).await?;
                        for rest in iter.by_ref() {
                            self.store.release(rest.id, &self.worker, retry_at).await?;
                        }
                        self.limiter.lock().await.pause_until(retry_at);
                        report.retried += 1;
                        return Ok(report);
                    }
                }
            }
        }
    }

    async fn deliver(
        &self,
        item: &OutboxItem,
        report: &mut DrainReport,
    ) -> Result<Flow, StoreError> {
        if item.member_status != MemberStatus::Active.as_str() {
            self.store
                .mark_failed(
                    item.id,
                    &self.worker,
                    &format!("member is {}", item.member_status),
                    None,
                )
                .await?;
            report.dead += 1;
            return Ok(Flow::Continue);
        }
        let messages = match self.conversation.compose(item).await {
            Ok(m) => m,
            Err(ConversationError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::error!(outbox = item.id, error = %e, "cannot compose a delivery; marking it dead");
                self.store
                    .mark_failed(item.id, &self.worker, &e.to_string(), None)
                    .await?;
                report.dead += 1;
                return Ok(Flow::Continue);
            }
        };
        match send_all(
            &self.store,
            self.channel.as_ref(),
            &item.chat_id,
            &messages,
            Some(self),
        )
        .await
        {
            Ok(message_id) => {
                self.store
                    .mark_sent(
                        item.id,
                        &self.worker,
                        message_id.as_deref(),
                        self.clock.now(),
                    )
                    .await?;
                tracing::info!(outbox = item.id, kind = %item.kind, member = item.member_id, "sent");
                report.sent += 1;
                Ok(Flow::Continue)
            }
            Err(SendOutcome::Store(e)) => Err(e),
            Err(SendOutcome::Send(SendError::RetryAfter(wait))) => {
                tracing::warn!(
                    outbox = item.id,
                    ?wait,
                    "rate limited by the channel; pausing all sending"
                );
                Ok(Flow::PauseAll(wait))
            }
            Err(SendOutcome::Send(SendError::Unreachable(why))) => {
                tracing::info!(outbox = item.id, member = item.member_id, %why, "member unreachable; marking blocked");
                self.store
                    .mark_failed(item.id, &self.worker, &why, None)
                    .await?;
                self.store
                    .set_member_status(item.member_id, MemberStatus::Blocked, self.clock.now())
                    .await?;
                self.store
                    .cancel_pending(item.member_id, &format!("member unreachable: {why}"))
                    .await?;
                report.unreachable += 1;
                Ok(Flow::Continue)
            }
            Err(SendOutcome::Send(SendError::Rejected(why))) => {
                tracing::error!(outbox = item.id, %why, "rejected by the channel; marking dead");
                self.store
                    .mark_failed(item.id, &self.worker, &why, None)
                    .await?;
                report.dead += 1;
                Ok(Flow::Continue)
            }
            Err(SendOutcome::Send(SendError::Transient(why))) => {
                let attempts = item.attempts + 1;
                if attempts >= self.settings.max_attempts {
                    tracing::error!(outbox = item.id, attempts, %why, "giving up; marking dead");
                    self.store
                        .mark_failed(item.id, &self.worker, &why, None)
                        .await?;
                    report.dead += 1;
                } else {
                    let delay = self.backoff(attempts);
                    let retry_at =
                        self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                    tracing::warn!(outbox = item.id, attempts, ?delay, %why, "send failed; will retry");
                    self.store
                        .mark_failed(item.id, &self.worker, &why, Some(retry_at))
                        .await?;
                    report.retried += 1;
                }
                Ok(Flow::Continue)
            }
        }
    }

    /// Exponential backoff with full jitter in [delay/2, delay].
    fn backoff(&self, attempts: i64) -> Duration {
        let base = self.settings.backoff.as_secs_f64()
            * 2f64.powi(i32::try_from(attempts - 1).unwrap_or(30).min(30));
        let capped = base.min(self.settings.max_backoff.as_secs_f64());
        let jitter: f64 = self
            .rng
            .lock()
            .map(|mut r| r.random_range(0.5..=1.0))
            .unwrap_or(1.0);
        Duration::from_secs_f64(capped * jitter)
    }

    /// Waits until the rate limiter allows one more message to `chat`.
    async fn wait_turn(&self, chat: &str) {
        loop {
            let wait = {
                let mut limiter = self.limiter.lock().await;
                match limiter.try_acquire(chat, self.clock.now()) {
                    Ok(()) => return,
                    Err(wait) => wait,
                }
            };
            self.clock.sleep(wait.max(Duration::from_millis(1))).await;
        }
    }
}

enum Flow {
    Continue,
    PauseAll(Duration),
}

/// Why [`send_all`] stopped.
#[derive(Debug)]
pub enum SendOutcome {
    Send(SendError),
    Store(StoreError),
}

/// Sends messages in order, remembering the file ids of uploads, and returns the id of the
/// last message created. With a courier, each message waits for its rate-limit turn.
pub async fn send_all(
    store: &Store,
    channel: &dyn Channel,
    chat_id: &str,
    messages: &[Outbound],
    courier: Option<&Courier>,
) -> Result<Option<String>, SendOutcome> {
    let mut last = None;
    for message in messages {
        if let Some(c) = courier {
            c.wait_turn(chat_id).await;
        }
        let Sent {
            message_id,
            file_id,
        } = channel
            .send(chat_id, message)
            .await
            .map_err(SendOutcome::Send)?;
        if let (Outbound::Audio { audio, .. }, Some(file_id)) = (message, file_id)
            && audio.file_id.as_deref() != Some(file_id.as_str())
        {
            store
                .save_file_id(&audio.sha256, channel.name(), &file_id)
                .await
                .map_err(SendOutcome::Store)?;
        }
        if message_id.is_some() {
            last = message_id;
        }
    }
    Ok(last)
}
