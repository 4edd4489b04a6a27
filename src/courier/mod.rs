//! Drains the outbox through a channel at the channel's rate limits, retrying what failed
//! and never losing a delivery: a row is claimed with a lease, sent, and marked sent with
//! its message id; a crash between the send and the mark repeats at most the rows in
//! flight, and another courier takes over rows whose lease ran out.

pub mod budget;
pub mod rate_limit;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use rand::{Rng, SeedableRng};

use crate::channel::{AudioRef, Channel, Outbound, SendError, Sent};
use crate::clock::Clock;
pub use crate::config::CourierSettings;
use crate::domain::MemberStatus;
use crate::metrics::Metrics;
use crate::store::{OutboxItem, Store, StoreError};
use budget::{Budget, Grant};
pub use rate_limit::Class;
use rate_limit::{Limits, RateLimiter};

/// Why a delivery could not be composed.
#[derive(Debug, thiserror::Error)]
pub enum ComposeError {
    /// The database failed: the row is given back and tried again.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The row cannot be made into messages (a reference to something that does not exist,
    /// an unknown kind): it is dead with this reason.
    #[error("{0}")]
    Bad(String),
}

/// What turns a queued delivery into messages (the conversation, in the service): the
/// courier only sends.
#[async_trait::async_trait]
pub trait Composer: Send + Sync {
    /// The messages of `item`; empty when the delivery no longer applies (marked sent,
    /// nothing sent).
    async fn compose(&self, item: &OutboxItem) -> Result<Vec<Outbound>, ComposeError>;
}

/// What one drain pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DrainReport {
    pub sent: u64,
    pub retried: u64,
    pub dead: u64,
    pub unreachable: u64,
    /// Rows given back unsent (a 429 pause, shutdown, or the channel's daily budget spent).
    pub released: u64,
    /// The drain stopped at the end of its turn ([`Courier::drain_turn`]) with rows still
    /// due: the caller lets its other work run and drains again at once.
    pub more: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Sent,
    Retried,
    Dead,
    Unreachable,
    /// Given back because of a 429.
    Paused,
    /// Given back at shutdown.
    Released,
    /// Given back until the next day: the channel's daily budget is spent.
    Deferred,
}

impl DrainReport {
    fn add(&mut self, outcome: Outcome) {
        match outcome {
            Outcome::Sent => self.sent += 1,
            Outcome::Retried => self.retried += 1,
            Outcome::Dead => self.dead += 1,
            Outcome::Unreachable => self.unreachable += 1,
            Outcome::Paused | Outcome::Released | Outcome::Deferred => self.released += 1,
        }
    }
}

pub struct Courier {
    store: Store,
    channel: Arc<dyn Channel>,
    composer: Arc<dyn Composer>,
    clock: Arc<dyn Clock>,
    settings: CourierSettings,
    worker: String,
    /// The limits kept: the channel's with the settings' changes.
    limits: Limits,
    /// Held only for a booking, never across an await.
    limiter: std::sync::Mutex<RateLimiter>,
    rng: std::sync::Mutex<rand::rngs::SmallRng>,
    stopping: AtomicBool,
    /// This courier among the couriers of its channel.
    presence: std::sync::Mutex<Presence>,
    metrics: Arc<Metrics>,
    /// The channel's daily budget of messages, if it has one.
    budget: Option<Budget>,
}

impl Courier {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        store: Store,
        channel: Arc<dyn Channel>,
        composer: Arc<dyn Composer>,
        clock: Arc<dyn Clock>,
        settings: CourierSettings,
        worker: String,
        seed: u64,
        metrics: Arc<Metrics>,
    ) -> Self {
        let limits = settings.limits.apply(channel.limits());
        let budget = channel.daily_budget().map(Budget::new);
        Self {
            budget,
            metrics,
            limits,
            limiter: std::sync::Mutex::new(RateLimiter::new(limits)),
            store,
            channel,
            composer,
            clock,
            settings,
            worker,
            rng: std::sync::Mutex::new(rand::rngs::SmallRng::seed_from_u64(seed)),
            stopping: AtomicBool::new(false),
            presence: std::sync::Mutex::new(Presence::default()),
        }
    }

    /// The channel this courier sends through.
    pub fn channel(&self) -> &Arc<dyn Channel> {
        &self.channel
    }

    /// The rate limits this courier keeps.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    pub fn worker(&self) -> &str {
        &self.worker
    }

    /// Stops claiming; deliveries that have not started are given back.
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }

    /// Notes this courier alive and shares the channel's overall limit with the couriers of
    /// the same channel that are alive (other processes on the same database), at most
    /// every [`PRESENCE_EVERY`] once it sends. Returns whether it may send: a courier that
    /// joins others waits until each of them has noted itself since (and so keeps its
    /// smaller share) before it sends, so that together they never exceed the limit. A
    /// courier that stops noting itself is counted out after [`PRESENCE_LIVE`].
    pub async fn keep_presence(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        {
            let presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            if presence.ready && presence.at.is_some_and(|at| now - at < PRESENCE_EVERY) {
                return Ok(true);
            }
        }
        self.refresh_presence().await
    }

    /// [`Self::keep_presence`] now, however recent the last note.
    pub async fn refresh_presence(&self) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let joined = {
            let presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            presence.joined.unwrap_or(now)
        };
        let (couriers, counted) = self
            .store
            .courier_presence(
                self.channel.name(),
                &self.worker,
                now,
                now - PRESENCE_LIVE,
                joined,
            )
            .await?;
        let ready = {
            let mut presence = self.presence.lock().unwrap_or_else(|e| e.into_inner());
            presence.joined.get_or_insert(now);
            presence.at = Some(now);
            presence.ready = presence.ready || counted >= couriers;
            presence.ready
        };
        let before = self.limiter().share();
        if before != couriers {
            tracing::info!(
                channel = self.channel.name(),
                couriers,
                ready,
                "couriers sharing the channel's limit changed"
            );
        }
        self.limiter().share_with(couriers);
        Ok(ready)
    }

    /// Gives back every row this courier still holds (at shutdown, after deliveries in
    /// flight had their time) and leaves the couriers sharing the limit.
    pub async fn release_all(&self) -> Result<u64, StoreError> {
        self.store.courier_gone(&self.worker).await?;
        self.store
            .release_worker(&self.worker, self.clock.now())
            .await
    }

    /// Sends everything that is due now, up to `concurrency` deliveries at a time, and
    /// returns what happened. Returns early while a 429 pause is on, or when stopping.
    pub async fn drain(&self) -> Result<DrainReport, StoreError> {
        self.drain_within(None).await
    }

    /// [`Self::drain`] for one turn of the service's tick: it claims no new batch once
    /// `CourierSettings::drain_turn` has passed (on the clock) and then returns with
    /// [`DrainReport::more`], so that a backlog of hours (a day's lessons for a million
    /// members at 30 a second) does not hold back the tick's other jobs (planning the next
    /// lesson time, a scheduled broadcast, the location purge) for longer than a turn.
    pub async fn drain_turn(&self) -> Result<DrainReport, StoreError> {
        self.drain_within(Some(self.settings.drain_turn)).await
    }

    async fn drain_within(
        &self,
        turn: Option<std::time::Duration>,
    ) -> Result<DrainReport, StoreError> {
        let mut report = DrainReport::default();
        let ends = turn.map(|t| {
            self.clock.now() + chrono::Duration::from_std(t).unwrap_or(chrono::Duration::MAX)
        });
        loop {
            if !self.keep_presence().await? {
                return Ok(report);
            }
            let now = self.clock.now();
            if self.is_stopping() || self.limiter().paused_until(now).is_some() {
                return Ok(report);
            }
            if ends.is_some_and(|ends| now >= ends) {
                // Whether anything is still due is the next turn's first claim.
                report.more = true;
                return Ok(report);
            }
            // The day's budget is spent: what is due waits, unclaimed, for the next day.
            if let Some(budget) = &self.budget
                && budget.bulk_spent(now).await.is_some()
            {
                return Ok(report);
            }
            let lease_until = now
                + chrono::Duration::from_std(self.settings.lease)
                    .unwrap_or(chrono::Duration::minutes(5));
            let batch = i64::try_from(self.settings.concurrency.max(1) * 4).unwrap_or(64);
            let items = self
                .store
                .claim_due_in(
                    self.settings.claim_order,
                    self.channel.name(),
                    &self.worker,
                    now,
                    lease_until,
                    batch,
                )
                .await?;
            if items.is_empty() {
                return Ok(report);
            }
            let outcomes: Vec<Result<Outcome, StoreError>> = stream::iter(items)
                .map(|item| async move { self.deliver(&item).await })
                .buffer_unordered(self.settings.concurrency.max(1))
                .collect()
                .await;
            for outcome in outcomes {
                let outcome = outcome?;
                let m = &self.metrics;
                let counter = match outcome {
                    Outcome::Sent => Some(&m.sent),
                    Outcome::Retried => Some(&m.retried),
                    Outcome::Dead => Some(&m.dead),
                    Outcome::Unreachable => Some(&m.unreachable),
                    Outcome::Paused => Some(&m.rate_limited),
                    Outcome::Deferred => Some(&m.budget_deferred),
                    Outcome::Released => None,
                };
                if let Some(counter) = counter {
                    Metrics::inc(counter);
                }
                report.add(outcome);
            }
        }
    }

    async fn deliver(&self, item: &OutboxItem) -> Result<Outcome, StoreError> {
        if item.member_status != MemberStatus::Active.as_str() {
            self.store
                .mark_failed(
                    item.id,
                    &self.worker,
                    &format!("member is {}", item.member_status),
                    None,
                )
                .await?;
            tracing::info!(outbox = item.id, status = "dead", member_status = %item.member_status, "not sent: member not active");
            return Ok(Outcome::Dead);
        }
        let messages = match self.composer.compose(item).await {
            Ok(m) => m,
            Err(ComposeError::Store(e)) => return Err(e),
            Err(e) => {
                tracing::error!(outbox = item.id, status = "dead", error = %e, "cannot compose a delivery");
                self.store
                    .mark_failed(item.id, &self.worker, &e.to_string(), None)
                    .await?;
                return Ok(Outcome::Dead);
            }
        };
        let started = std::time::Instant::now();
        let skip = usize::try_from(item.parts_sent).unwrap_or(0);
        let sent = send_parts(
            &self.store,
            self.channel.as_ref(),
            &item.chat_id,
            &messages,
            skip,
            Some((self, Class::Bulk)),
        )
        .await;
        // A delivery that stopped half-way resumes after the parts already sent.
        let sent = match sent {
            Err(PartialSend {
                outcome,
                parts_sent,
            }) => {
                if parts_sent > skip && !matches!(outcome, SendOutcome::Store(_)) {
                    self.store
                        .save_parts_sent(item.id, &self.worker, parts_sent as i64)
                        .await?;
                }
                Err(outcome)
            }
            Ok(id) => Ok(id),
        };
        match sent {
            Ok(message_id) => {
                self.store
                    .mark_sent(
                        item.id,
                        &self.worker,
                        message_id.as_deref(),
                        self.clock.now(),
                    )
                    .await?;
                tracing::info!(outbox = item.id, status = "sent", kind = %item.kind, member = item.member_id, ms = started.elapsed().as_millis() as u64, "sent");
                Ok(Outcome::Sent)
            }
            Err(SendOutcome::Store(e)) => Err(e),
            Err(SendOutcome::OverBudget { until }) => {
                // Given back in its place: the courier claims nothing more until `until`.
                self.store
                    .release(item.id, &self.worker, item.due_at)
                    .await?;
                tracing::info!(outbox = item.id, status = "pending", %until, "the channel's daily budget is spent: waits for the next day");
                Ok(Outcome::Deferred)
            }
            Err(SendOutcome::Stopped) => {
                // Given back in its place: earliest due first.
                self.store
                    .release(item.id, &self.worker, item.due_at)
                    .await?;
                tracing::info!(outbox = item.id, status = "pending", "released at shutdown");
                Ok(Outcome::Released)
            }
            Err(SendOutcome::Send(SendError::RetryAfter(wait))) => {
                let retry_at =
                    self.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                self.limiter().pause_until(retry_at);
                // Given back in its place (earliest due first): this courier's pause holds
                // it back, as every other send, until `retry_after`.
                self.store
                    .release(item.id, &self.worker, item.due_at)
                    .await?;
                tracing::warn!(
                    outbox = item.id,
                    status = "pending",
                    ?wait,
                    "429 from the channel: all sending paused"
                );
                Ok(Outcome::Paused)
            }
            Err(SendOutcome::Send(SendError::Unreachable(why))) => {
                self.store
                    .mark_failed(item.id, &self.worker, &why, None)
                    .await?;
                self.store
                    .set_member_status(item.member_id, MemberStatus::Blocked, self.clock.now())
                    .await?;
                let cancelled = self
                    .store
                    .cancel_pending(item.member_id, &format!("member unreachable: {why}"))
                    .await?;
                tracing::info!(outbox = item.id, status = "dead", member = item.member_id, cancelled, %why, "member unreachable: marked blocked");
                Ok(Outcome::Unreachable)
            }
            Err(SendOutcome::Send(SendError::Rejected(why))) => {
                tracing::error!(outbox = item.id, status = "dead", %why, "rejected by the channel");
                self.store
                    .mark_failed(item.id, &self.worker, &why, None)
                    .await?;
                Ok(Outcome::Dead)
            }
            Err(SendOutcome::Send(SendError::Transient(why))) => {
                let attempts = item.attempts + 1;
                if attempts >= self.settings.max_attempts {
                    tracing::error!(outbox = item.id, status = "dead", attempts, %why, "giving up");
                    self.store
                        .mark_failed(item.id, &self.worker, &why, None)
                        .await?;
                    Ok(Outcome::Dead)
                } else {
                    let delay = self.backoff(attempts);
                    let retry_at =
                        self.clock.now() + chrono::Duration::from_std(delay).unwrap_or_default();
                    tracing::warn!(outbox = item.id, status = "pending", attempts, ?delay, %why, "send failed; will retry");
                    self.store
                        .mark_failed(item.id, &self.worker, &why, Some(retry_at))
                        .await?;
                    Ok(Outcome::Retried)
                }
            }
        }
    }

    /// Exponential backoff with jitter in [delay/2, delay].
    fn backoff(&self, attempts: i64) -> Duration {
        let exponent = i32::try_from(attempts - 1).unwrap_or(30).clamp(0, 30);
        let base = self.settings.backoff.as_secs_f64() * 2f64.powi(exponent);
        let capped = base.min(self.settings.max_backoff.as_secs_f64());
        let jitter: f64 = self
            .rng
            .lock()
            .map(|mut r| r.random_range(0.5..=1.0))
            .unwrap_or(1.0);
        Duration::from_secs_f64(capped * jitter)
    }

    fn limiter(&self) -> std::sync::MutexGuard<'_, RateLimiter> {
        // The limiter holds no invariant a panic elsewhere could break half-way.
        self.limiter.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Waits for this message's send slot. Returns false if the courier is stopping (bulk
    /// sends only: a member waiting for an answer gets it).
    async fn wait_turn(&self, chat: &str, class: Class) -> bool {
        let mut ready = ReadyFlag {
            courier: self,
            waiting: false,
        };
        loop {
            if class == Class::Bulk && self.is_stopping() {
                return false;
            }
            let group = self.channel.is_group_chat(chat);
            let slot = self.limiter().reserve(chat, group, class, self.clock.now());
            self.clock.sleep_until(slot).await;
            loop {
                let now = self.clock.now();
                let next = {
                    let mut limiter = self.limiter();
                    if let Some(until) = limiter.paused_until(now) {
                        // A 429 paused everything while we waited: book again after it.
                        limiter.give_up(&mut ready.waiting);
                        Turn::Rebook(until)
                    } else {
                        // The slot has come; the send starts unless the last second is full
                        // (or, for a bulk send, a reply waits for room).
                        match limiter.start(now, class, &mut ready.waiting) {
                            Ok(()) => Turn::Go,
                            Err(at) => Turn::Wait(at),
                        }
                    }
                };
                match next {
                    Turn::Go => return true,
                    Turn::Wait(at) => self.clock.sleep_until(at).await,
                    Turn::Rebook(until) => {
                        self.clock.sleep_until(until).await;
                        break;
                    }
                }
            }
        }
    }

    /// Sends one part of the messages that answer a member (replies, quiz follow-ups; see
    /// [`Self::parts`]) through the limiter ahead of bulk deliveries. A 429 pauses all
    /// sending, and the part is sent again after `retry_after`: a reply is never dropped for
    /// it. Other failures are returned.
    pub async fn send_reply(
        &self,
        chat_id: &str,
        part: &Outbound,
    ) -> Result<Option<String>, SendOutcome> {
        send_parts(
            &self.store,
            self.channel.as_ref(),
            chat_id,
            std::slice::from_ref(part),
            0,
            Some((self, Class::Interactive)),
        )
        .await
        .map_err(|p| p.outcome)
    }

    /// The parts `messages` are sent as (see [`Channel::parts`]).
    pub fn parts(&self, messages: &[Outbound]) -> Vec<Outbound> {
        messages
            .iter()
            .flat_map(|m| self.channel.parts(m))
            .collect()
    }
}

/// When a courier first and last noted itself alive, and whether every other courier of
/// its channel has counted it since (then it sends).
#[derive(Debug, Default)]
struct Presence {
    joined: Option<chrono::DateTime<chrono::Utc>>,
    at: Option<chrono::DateTime<chrono::Utc>>,
    ready: bool,
}

/// How often a courier notes itself alive and counts the couriers it shares the limit with.
pub const PRESENCE_EVERY: chrono::Duration = chrono::Duration::seconds(5);
/// A courier not seen for this long is no longer counted.
pub const PRESENCE_LIVE: chrono::Duration = chrono::Duration::seconds(15);

/// How many 429s in a row a reply waits out before it is given up as failed (and its
/// update tried again later).
const MAX_REPLY_WAITS: u32 = 8;

/// What a sender whose slot has come does next.
enum Turn {
    Go,
    /// Wait for room in the last second.
    Wait(chrono::DateTime<chrono::Utc>),
    /// Wait for the end of a pause and book again.
    Rebook(chrono::DateTime<chrono::Utc>),
}

/// An interactive sender's place among those ready to start; given up if its task ends
/// before it starts, so that bulk sends do not keep giving way to nobody.
struct ReadyFlag<'a> {
    courier: &'a Courier,
    waiting: bool,
}

impl Drop for ReadyFlag<'_> {
    fn drop(&mut self) {
        if self.waiting {
            self.courier.limiter().give_up(&mut self.waiting);
        }
    }
}

/// How far a send got before it failed.
#[derive(Debug)]
pub struct PartialSend {
    pub outcome: SendOutcome,
    /// Parts sent, counting the skipped ones: a retry resumes from here.
    pub parts_sent: usize,
}

/// Why [`send_all`] stopped.
#[derive(Debug, thiserror::Error)]
pub enum SendOutcome {
    #[error("the chat app refused: {0}")]
    Send(SendError),
    #[error("the database failed: {0}")]
    Store(StoreError),
    /// The courier is shutting down and nothing of this delivery was sent yet.
    #[error("stopped at shutdown before anything was sent")]
    Stopped,
    /// The channel's daily budget of messages is spent until `until` (scheduled
    /// deliveries; a reply beyond the whole budget is refused as [`SendError::Rejected`]).
    #[error("the channel's daily message budget is spent until {until}")]
    OverBudget {
        until: chrono::DateTime<chrono::Utc>,
    },
}

/// Sends messages in order, remembering the file ids of uploads (under the channel's
/// [`Channel::file_cache_key`]) and sending an audio the channel has had before by its file
/// id, and returns the id of the last message created. Without a courier, no limiter is
/// kept (the console, tests).
pub async fn send_all(
    store: &Store,
    channel: &dyn Channel,
    chat_id: &str,
    messages: &[Outbound],
    courier: Option<&Courier>,
) -> Result<Option<String>, SendOutcome> {
    send_parts(
        store,
        channel,
        chat_id,
        messages,
        0,
        courier.map(|c| (c, Class::Bulk)),
    )
    .await
    .map_err(|p| p.outcome)
}

/// [`send_all`] by parts ([`Channel::parts`]): each part waits for its own slot of the
/// courier's limiter in `class`, and the first `skip` parts are not sent again.
/// Interactive sends wait out a 429 and send the part again.
async fn send_parts(
    store: &Store,
    channel: &dyn Channel,
    chat_id: &str,
    messages: &[Outbound],
    skip: usize,
    courier: Option<(&Courier, Class)>,
) -> Result<Option<String>, PartialSend> {
    let parts: Vec<Outbound> = messages.iter().flat_map(|m| channel.parts(m)).collect();
    let mut last = None;
    let mut i = skip;
    let mut waits = 0;
    // The part whose messages were taken from the daily budget (not again after a 429).
    let mut charged = None;
    let fail = |outcome, parts_sent| PartialSend {
        outcome,
        parts_sent,
    };
    while let Some(message) = parts.get(i) {
        let cached = with_cached_file_id(store, channel, message)
            .await
            .map_err(|e| fail(SendOutcome::Store(e), i))?;
        let message = cached.as_ref().unwrap_or(message);
        // The channel's daily budget, before a slot is booked (not again after a 429 wait).
        if let Some((c, class)) = courier
            && charged != Some(i)
            && let Some(budget) = &c.budget
        {
            charged = Some(i);
            let cost = channel.message_cost(message).await;
            let grant = budget
                .take(store, channel.name(), cost, class, c.clock.now())
                .await
                .map_err(|e| fail(SendOutcome::Store(e), i))?;
            if let Grant::Spent { until } = grant {
                let outcome = match class {
                    Class::Bulk => SendOutcome::OverBudget { until },
                    Class::Interactive => SendOutcome::Send(SendError::Rejected(format!(
                        "the channel's daily message budget is spent until {until}"
                    ))),
                };
                return Err(fail(outcome, i));
            }
        }
        // Once a delivery has started, it is finished even when stopping.
        if let Some((c, class)) = courier
            && message.counts_as_message()
            && !c.wait_turn(chat_id, class).await
            && i == skip
        {
            return Err(fail(SendOutcome::Stopped, i));
        }
        let Sent {
            message_id,
            file_id,
            poll_id,
        } = match channel.send(chat_id, message).await {
            Ok(sent) => sent,
            Err(SendError::RetryAfter(wait))
                if matches!(courier, Some((_, Class::Interactive))) && waits < MAX_REPLY_WAITS =>
            {
                waits += 1;
                if let Some((c, _)) = courier {
                    let until =
                        c.clock.now() + chrono::Duration::from_std(wait).unwrap_or_default();
                    c.limiter().pause_until(until);
                    Metrics::inc(&c.metrics.rate_limited);
                    tracing::warn!(chat = %chat_id, ?wait, "429 on a reply: all sending paused; the reply is sent after it");
                }
                continue;
            }
            Err(e) => return Err(fail(SendOutcome::Send(e), i)),
        };
        if let (Outbound::Audio { audio, .. }, Some(file_id)) = (message, file_id)
            && audio.file_id.as_deref() != Some(file_id.as_str())
        {
            store
                .save_file_id(&audio.sha256, channel.file_cache_key(), &file_id)
                .await
                .map_err(|e| fail(SendOutcome::Store(e), i + 1))?;
        }
        if let (Outbound::Quiz { ask_id, .. }, Some(poll_id)) = (message, poll_id) {
            store
                .bind_poll(*ask_id, &poll_id)
                .await
                .map_err(|e| fail(SendOutcome::Store(e), i + 1))?;
        }
        if message_id.is_some() {
            last = message_id;
        }
        i += 1;
    }
    Ok(last)
}

/// An audio without a file id, with the one the channel gave for the same bytes before
/// (None: send `message` as it is).
async fn with_cached_file_id(
    store: &Store,
    channel: &dyn Channel,
    message: &Outbound,
) -> Result<Option<Outbound>, StoreError> {
    let Outbound::Audio {
        audio,
        caption_html,
        buttons,
    } = message
    else {
        return Ok(None);
    };
    if audio.file_id.is_some() {
        return Ok(None);
    }
    let Some(file_id) = store
        .file_id(&audio.sha256, channel.file_cache_key())
        .await?
    else {
        return Ok(None);
    };
    Ok(Some(Outbound::Audio {
        audio: AudioRef {
            file_id: Some(file_id),
            ..audio.clone()
        },
        caption_html: caption_html.clone(),
        buttons: buttons.clone(),
    }))
}
