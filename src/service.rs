//! Wiring: loads content and settings, opens the store, and runs the bot on a channel
//! through the channel seam ([`crate::channel::UpdateSource`]): updates by long polling or
//! the webhook, stored, then handled by the stored-update loop, whichever the channel.

use std::sync::Arc;
use std::time::Duration;

use crate::channel::{
    Channel, ChannelError, Inbound, InboundEvent, LanguageMenu, Outbound, RawUpdate, SendError,
    UpdateSource, WebhookRoute,
};
use crate::clock::Clock;
use crate::config::Config;
use crate::content::{ContentErrors, Library};
use crate::conversation::{Conversation, ConversationError, ConversationSettings};
use crate::courier::{Courier, SendOutcome, send_all};
use crate::domain::points::PointsConfig;
use crate::domain::stats::StatsCalendar;
use crate::domain::{BranchTree, Locale};
use crate::i18n::{I18n, I18nError};
use crate::jobs::{Job, JobRunner, Jobs};
use crate::metrics::Metrics;
use crate::planner::Planner;
use crate::store::{Store, StoreError, StoredUpdate};
use crate::t;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("the lessons in {dir} are invalid:\n{errors}")]
    Lessons { dir: String, errors: ContentErrors },
    #[error("course {0:?} (setting `course`) is not among the loaded courses: {1}")]
    UnknownCourse(String, String),
    #[error(
        "cannot read the branch file {path}: {error} (copy branches.toml from the weike repository and edit it)"
    )]
    BranchFile { path: String, error: String },
    #[error(transparent)]
    Branches(#[from] crate::domain::branch::BranchError),
    #[error("cannot read the points file {path}: {error}")]
    PointsFile { path: String, error: String },
    #[error(transparent)]
    Points(#[from] crate::domain::points::PointsError),
    #[error("cannot load the poster fonts: {0}")]
    Poster(String),
    #[error(transparent)]
    I18n(#[from] I18nError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Conversation(#[from] ConversationError),
    #[error(transparent)]
    Channel(#[from] ChannelError),
    #[error("{0}")]
    Replies(String),
    #[error(
        "invalid setting owners: {0}: an owner is CHAT_ID (of the default channel) or CHANNEL:CHAT_ID"
    )]
    Owner(String),
    #[error("webhook mode needs {0}")]
    WebhookSetting(&'static str),
    #[error(
        "the {first} and {second} channels would both receive updates at {path}: give one of their webhook URLs another path"
    )]
    RoutePath {
        path: String,
        first: String,
        second: String,
    },
    #[error("cannot listen on {addr}: {error}")]
    Listen { addr: String, error: String },
}

/// The courier composes deliveries through the conversation.
#[async_trait::async_trait]
impl crate::courier::Composer for Conversation {
    async fn compose(
        &self,
        item: &crate::store::OutboxItem,
    ) -> std::result::Result<Vec<Outbound>, crate::courier::ComposeError> {
        Conversation::compose(self, item)
            .await
            .map_err(|e| match e {
                ConversationError::Store(e) => crate::courier::ComposeError::Store(e),
                other => crate::courier::ComposeError::Bad(other.to_string()),
            })
    }
}

pub use crate::channel::Mode;

/// Everything the bot needs, independent of the channel.
pub struct App {
    pub config: Config,
    pub store: Store,
    pub library: Arc<Library>,
    /// The tree at start (the conversation's [`Conversation::tree`] has later edits).
    pub branches: Arc<BranchTree>,
    pub i18n: Arc<I18n>,
    pub clock: Arc<dyn Clock>,
    pub conversation: Arc<Conversation>,
    pub planner: Arc<Planner>,
    pub metrics: Arc<Metrics>,
    /// The scheduled jobs, each run in isolation.
    pub jobs: Jobs,
}

pub use crate::jobs::{TickFailed, TickReport};

/// Loads and validates the lessons the way `weike lessons check` does.
pub fn load_lessons(config: &Config) -> Result<Library, ServiceError> {
    Library::load(&config.lessons_dir).map_err(|errors| ServiceError::Lessons {
        dir: config.lessons_dir.display().to_string(),
        errors,
    })
}

/// Loads `points.toml`; a missing file at the default path means the default rules and
/// no seasons.
pub fn load_points(config: &Config) -> Result<PointsConfig, ServiceError> {
    let path = config.points_file.display().to_string();
    match std::fs::read_to_string(&config.points_file) {
        Ok(text) => Ok(PointsConfig::from_toml(&path, &text)?),
        Err(e)
            if e.kind() == std::io::ErrorKind::NotFound
                && config.points_file
                    == std::path::Path::new(crate::config::DEFAULT_POINTS_FILE) =>
        {
            tracing::info!("no {path}: default points rules, no seasons");
            Ok(PointsConfig::default())
        }
        Err(e) => Err(ServiceError::PointsFile {
            path,
            error: e.to_string(),
        }),
    }
}

impl App {
    /// Loads lessons, branches and messages (refusing to start on invalid content), opens
    /// and migrates the database, and records the content in it.
    pub async fn start(config: Config, clock: Arc<dyn Clock>) -> Result<App, ServiceError> {
        let library = load_lessons(&config)?;
        let course = match &config.course {
            Some(c) => c.clone(),
            None => library
                .courses
                .first()
                .map(|c| c.id.clone())
                .unwrap_or_default(),
        };
        if library.course(&course).is_none() {
            let known: Vec<_> = library.courses.iter().map(|c| c.id.as_str()).collect();
            return Err(ServiceError::UnknownCourse(course, known.join(", ")));
        }
        let path = config.branches_file.display().to_string();
        let text = std::fs::read_to_string(&config.branches_file).map_err(|e| {
            ServiceError::BranchFile {
                path: path.clone(),
                error: e.to_string(),
            }
        })?;
        let branches = BranchTree::from_toml(&path, &text)?;
        let points = Arc::new(load_points(&config)?);
        let posters = Arc::new(
            crate::poster::PosterRenderer::new()
                .map_err(|e| ServiceError::Poster(e.to_string()))?,
        );
        let i18n = Arc::new(I18n::new()?);
        let store = Store::connect(&config.database_url)
            .await?
            .with_calendar(StatsCalendar {
                timezone: config.default_timezone,
                seasons: points.seasons.clone(),
            });
        store.migrate().await?;
        store.sync_branches(&branches).await?;
        // The stored tree: the file's branches with what admins changed by command.
        let branches = BranchTree::new(store.branches().await?);
        store.sync_lessons(&library, clock.now()).await?;
        let library = Arc::new(library);
        let branches = Arc::new(branches);
        for owner in &config.owners {
            crate::channel::check_address(owner).map_err(ServiceError::Owner)?;
        }
        let conversation = Arc::new(Conversation::new(
            crate::conversation::ctx::Ctx::new(
                store.clone(),
                library.clone(),
                i18n.clone(),
                clock.clone(),
                ConversationSettings {
                    course,
                    default_lesson_time: config.default_lesson_time,
                    default_timezone: config.default_timezone,
                    timezone_choices: config.timezone_choices.clone(),
                    owners: config.owners.clone(),
                    nudges: config.nudges.clone(),
                    migrants: config.migrants.clone(),
                    delivery_rate: config.delivery_rate(),
                    messages_per_lesson: crate::content::messages_per_lesson(&library),
                },
                branches.clone(),
            ),
            points,
            posters,
            config.commands_per_minute,
        ));
        let planner = Arc::new(Planner::new(
            store.clone(),
            library.clone(),
            clock.clone(),
            config.grace,
        ));
        let metrics = Arc::new(Metrics::default());
        let jobs = Jobs::new(
            &config,
            store.clone(),
            clock.clone(),
            &conversation,
            planner.clone(),
            JobRunner::new(clock.clone(), metrics.clone()),
        );
        tracing::info!(
            courses = library.courses.len(),
            lessons = library.lesson_count(),
            branches = branches.all().len(),
            backend = ?store.backend(),
            "started"
        );
        Ok(App {
            config,
            store,
            library,
            branches,
            i18n,
            clock,
            conversation,
            planner,
            metrics,
            jobs,
        })
    }

    pub fn courier(&self, channel: Arc<dyn Channel>, worker: &str) -> Courier {
        Courier::new(
            self.store.clone(),
            channel,
            self.conversation.clone(),
            self.clock.clone(),
            self.config.courier.clone(),
            worker.to_string(),
            rand::random(),
            self.metrics.clone(),
        )
    }

    /// What the bot answers to one inbound event (its effects are stored; nothing is sent).
    pub async fn answer(&self, inbound: &Inbound) -> Result<Vec<Outbound>, ServiceError> {
        if inbound.event == InboundEvent::Unsubscribed {
            self.unsubscribed(inbound).await?;
            return Ok(Vec::new());
        }
        Ok(self.conversation.handle(inbound).await?)
    }

    /// The member can no longer be reached on the channel (WeCom's `unsubscribe`): marked
    /// blocked, their pending deliveries dead, as when a send finds them unreachable. A
    /// member who writes again is active again (`Conversation::handle`).
    async fn unsubscribed(&self, inbound: &Inbound) -> Result<(), ServiceError> {
        let Some(member) = self
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await?
        else {
            return Ok(());
        };
        if member.status == crate::domain::MemberStatus::Blocked {
            return Ok(());
        }
        self.store
            .set_member_status(
                member.id,
                crate::domain::MemberStatus::Blocked,
                self.clock.now(),
            )
            .await?;
        let cancelled = self
            .store
            .cancel_pending(member.id, "member unsubscribed")
            .await?;
        tracing::info!(member = member.id, channel = %inbound.channel, cancelled, "member unsubscribed: marked blocked");
        Ok(())
    }

    /// Sends replies to `chat` directly (they answer a member). A reply that cannot be sent
    /// is logged and skipped; only a store error is returned.
    pub async fn send_replies(
        &self,
        channel: &dyn Channel,
        chat: &str,
        replies: &[Outbound],
    ) -> Result<(), ServiceError> {
        match send_all(&self.store, channel, chat, replies, None).await {
            Ok(_) | Err(SendOutcome::Stopped) => Ok(()),
            Err(SendOutcome::Store(e)) => Err(e.into()),
            Err(e @ (SendOutcome::Send(_) | SendOutcome::OverBudget { .. })) => {
                tracing::warn!(%chat, error = %e, "a reply could not be sent");
                Ok(())
            }
        }
    }

    /// Answers one inbound event and sends the replies at once, without storing it (tests;
    /// a channel's updates go through [`Service::process_stored_updates`]).
    pub async fn handle(
        &self,
        channel: &dyn Channel,
        inbound: &Inbound,
    ) -> Result<(), ServiceError> {
        let replies = self.answer(inbound).await?;
        self.send_replies(channel, &inbound.chat_id, &replies).await
    }

    /// Tells the member that what they sent could not be handled (after the last attempt),
    /// in their language, so that nobody is left waiting in silence. A button press is
    /// answered too, so that the app stops showing it as pending.
    pub async fn apology(&self, inbound: &Inbound) -> Vec<Outbound> {
        let locale = match self
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await
        {
            Ok(Some(member)) => member.locale,
            _ => inbound
                .language
                .as_deref()
                .and_then(Locale::negotiate)
                .unwrap_or(Locale::DEFAULT),
        };
        let mut messages = Vec::new();
        if let crate::channel::InboundEvent::Button { callback_id, .. } = &inbound.event {
            messages.push(Outbound::AnswerButton {
                callback_id: callback_id.clone(),
                text: None,
            });
        }
        messages.push(Outbound::text(t!(
            self.i18n,
            locale,
            "update-failed-apology"
        )));
        messages
    }

    /// Gives every scheduled job its turn ([`Jobs::tick`]): reloads an edited branch tree,
    /// plans what is due and runs the other scheduled work (on the one planning process),
    /// then sends what is queued. A failing job is logged, counted and backed off, and the
    /// others still run.
    pub async fn tick(&self, courier: &Courier) -> TickReport {
        self.jobs.tick(courier).await
    }

    /// [`Self::tick`] in a process that serves several channels: `peers` are the couriers
    /// of the other channels, through which the progress of a broadcast whose author is on
    /// them is shown.
    pub async fn tick_with(&self, courier: &Courier, peers: &[Arc<Courier>]) -> TickReport {
        self.jobs.tick_with(courier, peers).await
    }

    /// Only the deliveries of `courier` (a process's other channels: the scheduled work runs
    /// once, with the first channel's tick), run by `runner`.
    pub async fn deliver(&self, courier: &Courier, runner: &JobRunner) -> TickReport {
        let mut report = TickReport::default();
        if let Some(drained) =
            report.note(runner.run(Job::Deliveries, || courier.drain_turn()).await)
        {
            report.drained = drained;
        }
        report
    }

    /// The command menu per locale, for channels that show one.
    pub fn command_menu(&self) -> Vec<LanguageMenu> {
        self.conversation.command_menu()
    }
}

/// An update whose handling keeps failing is given up on after this many attempts.
pub const MAX_UPDATE_TRIES: u32 = 5;
/// How long a process holds the updates it works on without renewing its lease: after a
/// crash, another process (or the restarted one) takes them over this long after the last
/// renewal.
pub const UPDATE_LEASE: chrono::Duration = chrono::Duration::seconds(10);
/// How often a working process renews its leases.
pub const UPDATE_HEARTBEAT: Duration = Duration::from_secs(3);

/// How long an update waits after its `attempts`-th failed attempt: 1, 2, 4, 8 s, so that
/// the member hears back (the reply, or an apology) within about a quarter of a minute.
pub fn update_retry_wait(attempts: u32) -> chrono::Duration {
    chrono::Duration::seconds(1_i64 << attempts.saturating_sub(1).min(10))
}

/// The `channel_state` key of a channel's long-polling cursor (`telegram.update_offset`).
pub fn cursor_key(channel: &str) -> String {
    format!("{channel}.update_offset")
}

/// The bot on one channel: takes the channel's updates (long polling or the webhook),
/// stores them, handles the stored ones, and sends the channel's deliveries with its own
/// courier (the channel's rate limits). One process may run several, one per channel, on
/// one shared [`App`] ([`run_services`]): the first runs the scheduled work, the others
/// only their deliveries.
pub struct Service {
    pub app: Arc<App>,
    pub channel: Arc<dyn UpdateSource>,
    pub courier: Arc<Courier>,
    /// The couriers of the process's other channels (a broadcast's progress goes through
    /// its author's).
    peers: Vec<Arc<Courier>>,
    /// Whether this service's tick runs the scheduled work (else only its deliveries).
    runs_jobs: bool,
    /// Runs the deliveries of a service that does not run the scheduled work.
    deliveries: JobRunner,
}

impl Service {
    pub fn new(app: impl Into<Arc<App>>, channel: Arc<dyn UpdateSource>) -> Self {
        let app: Arc<App> = app.into();
        let courier = Arc::new(app.courier(channel.clone(), &worker_id()));
        let deliveries = JobRunner::new(app.clock.clone(), app.metrics.clone());
        Self {
            app,
            channel,
            courier,
            peers: Vec::new(),
            runs_jobs: true,
            deliveries,
        }
    }

    /// The services of one process, one per channel, on one app: the first runs the
    /// scheduled work; each knows the others' couriers.
    pub fn for_channels(app: Arc<App>, channels: Vec<Arc<dyn UpdateSource>>) -> Vec<Service> {
        let mut services: Vec<Service> = channels
            .into_iter()
            .enumerate()
            .map(|(i, channel)| {
                let mut service = Service::new(app.clone(), channel);
                service.runs_jobs = i == 0;
                service
            })
            .collect();
        let couriers: Vec<Arc<Courier>> = services.iter().map(|s| s.courier.clone()).collect();
        for (i, service) in services.iter_mut().enumerate() {
            service.peers = couriers
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, c)| c.clone())
                .collect();
        }
        services
    }

    /// Gets the channel ready for long polling (and registers the command menu).
    pub async fn prepare(&self) -> Result<(), ServiceError> {
        self.channel
            .prepare(Mode::Polling, &self.app.command_menu())
            .await?;
        Ok(())
    }

    /// Fetches one batch of updates, stores them, and handles what is stored. The cursor
    /// moves past an update only once it is stored, so a crash never loses one.
    pub async fn poll_once(&self, timeout: Duration) -> Result<usize, ServiceError> {
        self.fetch_and_store(timeout).await?;
        self.process_stored_updates().await
    }

    /// Stores an update of the channel (false: a duplicate, ignored).
    pub async fn store_update(&self, update: &RawUpdate) -> Result<bool, ServiceError> {
        Ok(self
            .app
            .store
            .save_update(
                self.channel.name(),
                update.update_id,
                &update.chat_key,
                &update.payload,
                self.app.clock.now(),
            )
            .await?)
    }

    /// Long polling from the stored cursor; each update is stored (duplicates ignored)
    /// before the cursor moves past it. Returns how many were fetched.
    async fn fetch_and_store(&self, timeout: Duration) -> Result<usize, ServiceError> {
        let store = &self.app.store;
        let key = cursor_key(self.channel.name());
        let cursor = store.state(&key).await?;
        let polled = self
            .channel
            .fetch_updates(cursor.as_deref(), timeout)
            .await?;
        for update in &polled.updates {
            self.store_update(update).await?;
        }
        if let Some(next) = &polled.cursor {
            store.set_state(&key, next).await?;
        }
        Ok(polled.updates.len())
    }

    /// Plans and sends what is due (see [`App::tick`]).
    pub async fn tick(&self) -> TickReport {
        if self.runs_jobs {
            self.app.tick_with(&self.courier, &self.peers).await
        } else {
            self.app.deliver(&self.courier, &self.deliveries).await
        }
    }

    /// Handles the stored updates (from long polling or the webhook): per chat one at a
    /// time and in order, by whichever process claims them. While it works, the process
    /// renews its short lease on the updates it holds ([`UPDATE_LEASE`], every
    /// [`UPDATE_HEARTBEAT`]), so that after a crash another process takes over within
    /// seconds. Returns how many updates were finished (handled or given up on).
    pub async fn process_stored_updates(&self) -> Result<usize, ServiceError> {
        let worker = self.courier.worker().to_string();
        let heartbeat = async {
            let mut every = tokio::time::interval(UPDATE_HEARTBEAT);
            loop {
                every.tick().await;
                let until = self.app.clock.now() + UPDATE_LEASE;
                if let Err(e) = self.app.store.renew_update_leases(&worker, until).await {
                    tracing::warn!(error = %e, "cannot renew the leases of the updates being handled");
                }
            }
        };
        tokio::select! {
            finished = self.handle_claimed_updates(&worker) => finished,
            never = heartbeat => never,
        }
    }

    /// Handles claimed updates of up to [`CONCURRENT_CHATS`] chats at a time: a chat's
    /// updates one after the other and in order (a claim takes only the oldest unfinished
    /// update of each chat), different chats side by side, so that a member whose answer is
    /// slow (a stalled send, a long export) delays only themselves. A free place is filled
    /// at once from the stored updates.
    async fn handle_claimed_updates(&self, worker: &str) -> Result<usize, ServiceError> {
        use futures::stream::{FuturesUnordered, StreamExt};
        let mut finished = 0;
        let mut in_flight = FuturesUnordered::new();
        loop {
            // Claimed again each time a chat's update is finished (it may let the chat's next
            // update go).
            if in_flight.len() < CONCURRENT_CHATS {
                let now = self.app.clock.now();
                let room = (CONCURRENT_CHATS - in_flight.len()) as i64;
                let claim = self.app.store.claim_updates(
                    self.channel.name(),
                    worker,
                    now,
                    now + UPDATE_LEASE,
                    room,
                );
                tokio::pin!(claim);
                // The handlers in flight keep going while the claim waits (one of them may
                // hold the connection or the lock the claim waits for).
                let batch = loop {
                    tokio::select! {
                        batch = &mut claim => break batch?,
                        Some(done) = in_flight.next(), if !in_flight.is_empty() => {
                            if done? {
                                finished += 1;
                            }
                        }
                    }
                };
                for update in batch {
                    in_flight.push(self.handle_stored_update(worker, update));
                }
            }
            match in_flight.next().await {
                None => return Ok(finished),
                Some(done) => {
                    if done? {
                        finished += 1;
                    }
                }
            }
        }
    }

    /// One claimed update. An update that cannot be read is kept as dead at once. Its
    /// replies are written down before they are sent and counted as they go, so that a
    /// restart sends what is left instead of handling it again. A failed attempt makes it
    /// wait [`update_retry_wait`], holding back its chat's later updates; after
    /// [`MAX_UPDATE_TRIES`] attempts it is kept as dead with its error and the member gets
    /// an apology. Returns whether the update is finished.
    async fn handle_stored_update(
        &self,
        worker: &str,
        update: StoredUpdate,
    ) -> Result<bool, ServiceError> {
        let store = &self.app.store;
        let metrics = &self.app.metrics;
        let (channel, id) = (update.channel.as_str(), update.update_id);
        let inbound = match self.channel.parse_update(&update.payload) {
            Ok(Some(inbound)) => inbound,
            Ok(None) => {
                store.finish_update(channel, id, worker).await?;
                return Ok(true);
            }
            Err(reason) => {
                tracing::warn!(update_id = id, %reason, "an update could not be read: kept as dead (see `weike inbox`)");
                Metrics::inc(&metrics.updates_unparsable);
                let error = format!("cannot read the update: {reason}");
                let kept = self.channel.scrub_update(&update.payload);
                let now = self.app.clock.now();
                store
                    .kill_update(channel, id, worker, &error, kept.as_deref(), now)
                    .await?;
                return Ok(true);
            }
        };
        // The replies are written down as the parts they are sent as (a long text split by
        // the channel), and counted part by part.
        let written = update
            .replies
            .as_deref()
            .map(serde_json::from_str::<Vec<Outbound>>);
        let (parts, from) = match written {
            Some(Ok(parts)) => {
                tracing::info!(
                    update_id = id,
                    sent = update.replies_sent,
                    "sending the rest of an update's replies after a restart"
                );
                (parts, usize::try_from(update.replies_sent).unwrap_or(0))
            }
            answer => {
                if let Some(Err(e)) = answer {
                    tracing::warn!(update_id = id, error = %e, "the written replies cannot be read; handling the update again");
                }
                match self.app.answer(&inbound).await {
                    Ok(replies) => {
                        let parts = self.courier.parts(&replies);
                        let json = serde_json::to_string(&parts).map_err(|e| {
                            ServiceError::Replies(format!("cannot write down the replies: {e}"))
                        })?;
                        store.write_replies(channel, id, worker, &json).await?;
                        (parts, 0)
                    }
                    Err(e) => return self.attempt_failed(worker, &update, &inbound, e).await,
                }
            }
        };
        let chat = inbound.chat_id.as_str();
        for (i, part) in parts.iter().enumerate().skip(from) {
            // Replies take their slots from the courier's limiter, before bulk deliveries.
            match self.courier.send_reply(chat, part).await {
                Ok(_) => {}
                Err(SendOutcome::Store(e)) => return Err(e.into()),
                Err(SendOutcome::Send(
                    e @ (SendError::Transient(_) | SendError::RetryAfter(_)),
                )) => {
                    // Tried again later from this part (the parts before it are counted).
                    let e = ServiceError::Replies(format!("a reply could not be sent: {e}"));
                    return self.attempt_failed(worker, &update, &inbound, e).await;
                }
                Err(e) => {
                    tracing::warn!(update_id = id, %chat, error = %e, "a reply could not be sent: skipped");
                    Metrics::inc(&metrics.replies_dropped);
                }
            }
            store
                .replies_sent(channel, id, worker, i as i64 + 1)
                .await?;
        }
        store.finish_update(channel, id, worker).await?;
        Metrics::inc(&metrics.updates_handled);
        Ok(true)
    }

    /// A failed attempt at `update`: tried again later, or given up on after the last one.
    async fn attempt_failed(
        &self,
        worker: &str,
        update: &StoredUpdate,
        inbound: &Inbound,
        e: ServiceError,
    ) -> Result<bool, ServiceError> {
        let store = &self.app.store;
        let metrics = &self.app.metrics;
        let (channel, id) = (update.channel.as_str(), update.update_id);
        Metrics::inc(&metrics.updates_failed);
        let attempts = u32::try_from(update.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        let error = e.to_string();
        let now = self.app.clock.now();
        if attempts < MAX_UPDATE_TRIES {
            let retry_at = now + update_retry_wait(attempts);
            tracing::warn!(update_id = id, attempts, %retry_at, %error, "handling an update failed; it is tried again");
            store
                .retry_update(channel, id, worker, &error, retry_at)
                .await?;
            return Ok(false);
        }
        tracing::error!(update_id = id, attempts, %error, "giving up on an update: kept as dead (see `weike inbox`), the member is told");
        let kept = self.channel.scrub_update(&update.payload);
        store
            .kill_update(channel, id, worker, &error, kept.as_deref(), now)
            .await?;
        Metrics::inc(&metrics.updates_dead);
        for message in self.app.apology(inbound).await {
            if let Err(e) = self.courier.send_reply(&inbound.chat_id, &message).await {
                tracing::warn!(chat = %inbound.chat_id, error = %e, "the apology for a failed update could not be sent");
            }
        }
        Ok(true)
    }

    /// The HTTP endpoints: health and metrics, and in webhook mode the channel's webhook
    /// route.
    pub fn http_router(
        &self,
        mode: Mode,
        stored: Arc<tokio::sync::Notify>,
        endpoints: crate::http::Endpoints,
    ) -> Result<axum::Router, ServiceError> {
        let webhooks = match mode {
            Mode::Polling => Vec::new(),
            Mode::Webhook => vec![(self.channel.webhook_route()?, stored)],
        };
        Ok(router_of(&self.app, webhooks, endpoints))
    }

    /// Runs until SIGINT/SIGTERM, then shuts down gracefully: stops taking updates and
    /// claiming deliveries, lets deliveries in flight finish for up to `SHUTDOWN_GRACE`,
    /// gives back whatever is still claimed, and returns.
    pub async fn run(self, mode: Mode) -> Result<(), ServiceError> {
        run_services(vec![(self, mode)]).await
    }

    /// Long polling until `stop`: fetch and store; the handling loop takes it from there.
    async fn fetch_until(
        &self,
        stored: &tokio::sync::Notify,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        let poll_timeout = self.app.config.poll_timeout;
        loop {
            let fetched = tokio::select! {
                f = self.fetch_and_store(poll_timeout) => f,
                _ = stop.wait_for(|s| *s) => return,
            };
            match fetched {
                Ok(0) => {}
                Ok(_) => stored.notify_one(),
                Err(e) => {
                    tracing::warn!(channel = self.channel.name(), error = %e, "fetching updates failed; retrying in 5 s");
                    tokio::select! {
                        _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                        _ = stop.wait_for(|s| *s) => return,
                    }
                }
            }
        }
    }

    /// Handles stored updates until `stop`: at once when new ones arrive and every second
    /// for those waiting for another attempt. Handling is never interrupted by a stop.
    async fn handle_until(
        &self,
        stored: &tokio::sync::Notify,
        mut stop: tokio::sync::watch::Receiver<bool>,
    ) {
        loop {
            if let Err(e) = self.process_stored_updates().await {
                tracing::warn!(channel = self.channel.name(), error = %e, "handling updates failed; retrying in 5 s");
                tokio::select! {
                    _ = tokio::time::sleep(Duration::from_secs(5)) => {}
                    _ = stop.wait_for(|s| *s) => return,
                }
            }
            tokio::select! {
                _ = stored.notified() => {}
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }

    /// Ticks every second until `stop`.
    async fn tick_until(&self, mut stop: tokio::sync::watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                return;
            }
            // Each job logs its own failure; the tick goes on with the others.
            let report = self.tick().await;
            if report.drained.more {
                // The drain ended its turn with rows still due: tick again at once.
                tokio::task::yield_now().await;
                continue;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = stop.wait_for(|s| *s) => return,
            }
        }
    }
}

/// The HTTP endpoints of an app with these webhooks (each with what to wake when it stored
/// an update).
fn router_of(
    app: &App,
    webhooks: Vec<(Arc<dyn WebhookRoute>, Arc<tokio::sync::Notify>)>,
    endpoints: crate::http::Endpoints,
) -> axum::Router {
    crate::http::router(
        Arc::new(crate::http::HttpState {
            store: app.store.clone(),
            metrics: app.metrics.clone(),
            clock: app.clock.clone(),
            webhooks,
            limits: app.config.http_limits,
        }),
        endpoints,
    )
}

/// Runs the services of one process (one per channel, on one app, from
/// [`Service::for_channels`]; each in its mode) until SIGINT/SIGTERM: one HTTP server with
/// every webhook route, and per channel its long polling (in polling mode), its handling
/// loop and its ticks. Then shuts down gracefully: stops taking updates and claiming
/// deliveries, lets deliveries in flight finish for up to `SHUTDOWN_GRACE`, gives back
/// whatever is still claimed, and returns.
pub async fn run_services(services: Vec<(Service, Mode)>) -> Result<(), ServiceError> {
    run_services_until(services, shutdown_signal()).await
}

/// [`run_services`] until `shutdown` completes instead of a signal (the benchmarks run the
/// service this way), with the same graceful shutdown.
pub async fn run_services_until(
    services: Vec<(Service, Mode)>,
    shutdown: impl std::future::Future<Output = ()>,
) -> Result<(), ServiceError> {
    use crate::http::Endpoints;
    let Some((first, _)) = services.first() else {
        return Ok(());
    };
    let app = first.app.clone();
    let config = &app.config;
    let notifies: Vec<Arc<tokio::sync::Notify>> = services
        .iter()
        .map(|_| Arc::new(tokio::sync::Notify::new()))
        .collect();
    let mut webhooks: Vec<(Arc<dyn WebhookRoute>, Arc<tokio::sync::Notify>)> = Vec::new();
    for ((service, mode), stored) in services.iter().zip(&notifies) {
        if *mode == Mode::Webhook {
            let route = service.channel.webhook_route()?;
            if let Some((other, _)) = webhooks.iter().find(|(w, _)| w.path() == route.path()) {
                return Err(ServiceError::RoutePath {
                    path: route.path().to_string(),
                    first: other.channel().to_string(),
                    second: route.channel().to_string(),
                });
            }
            webhooks.push((route, stored.clone()));
        }
    }
    let endpoints = match config.metrics_listen {
        Some(_) => Endpoints::WithoutMetrics,
        None => Endpoints::All,
    };
    let router = router_of(&app, webhooks.clone(), endpoints);
    let bind = |addr: std::net::SocketAddr| async move {
        tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| ServiceError::Listen {
                addr: addr.to_string(),
                error: e.to_string(),
            })
    };
    let metrics_listener = match config.metrics_listen {
        Some(addr) => Some((
            bind(addr).await?,
            router_of(&app, Vec::new(), Endpoints::MetricsOnly),
        )),
        None => None,
    };
    let listener = match (webhooks.is_empty(), config.http_listen) {
        (_, Some(addr)) => Some(bind(addr).await?),
        (false, None) => {
            return Err(ServiceError::WebhookSetting(
                "WEIKE_HTTP_LISTEN (e.g. 0.0.0.0:8443)",
            ));
        }
        (true, None) => None,
    };
    let menu = app.command_menu();
    for (service, mode) in &services {
        service.channel.prepare(*mode, &menu).await?;
    }
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let serve =
        |listener: Option<tokio::net::TcpListener>, router: axum::Router, what: &'static str| {
            let mut stop = stop_rx.clone();
            let limits = app.config.http_limits;
            let metrics = app.metrics.clone();
            async move {
                let Some(listener) = listener else { return };
                if let Ok(addr) = listener.local_addr() {
                    tracing::info!(%addr, "{what} listening");
                }
                let shutdown = async move {
                    let _ = stop.wait_for(|s| *s).await;
                };
                crate::http::serve(listener, router, limits, metrics, shutdown).await;
            }
        };
    let (metrics_listener, metrics_router) = match metrics_listener {
        Some((l, r)) => (Some(l), r),
        None => (None, axum::Router::new()),
    };
    let http = async {
        tokio::join!(
            serve(listener, router, "HTTP endpoints"),
            serve(metrics_listener, metrics_router, "metrics endpoint"),
        );
    };
    let loops = futures::future::join_all(services.iter().zip(&notifies).map(
        |((service, mode), stored)| {
            let stop = stop_rx.clone();
            async move {
                tracing::info!(channel = service.channel.name(), ?mode, "serving");
                let fetching = async {
                    if *mode == Mode::Polling {
                        service.fetch_until(stored, stop.clone()).await;
                    }
                };
                tokio::join!(
                    fetching,
                    service.handle_until(stored, stop.clone()),
                    service.tick_until(stop.clone()),
                );
            }
        },
    ));
    let signal = async {
        shutdown.await;
        tracing::info!("shutting down: no new deliveries; finishing those in flight");
        for (service, _) in &services {
            service.courier.stop();
        }
        let _ = stop_tx.send(true);
    };
    let work = async { tokio::join!(http, loops) };
    tokio::pin!(work);
    tokio::select! {
        _ = &mut work => {}
        _ = signal => {
            if tokio::time::timeout(SHUTDOWN_GRACE, &mut work).await.is_err() {
                tracing::warn!("deliveries still in flight after {SHUTDOWN_GRACE:?}; giving them back");
            }
        }
    }
    let mut released = 0;
    for (service, _) in &services {
        released += service.courier.release_all().await?;
    }
    tracing::info!(released, "stopped");
    app.store.close().await;
    Ok(())
}

/// Chats whose updates are handled at the same time by one process.
pub const CONCURRENT_CHATS: usize = 32;

/// How long deliveries in flight may take to finish at shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn worker_id() -> String {
    format!("{}-{}", std::process::id(), rand::random::<u32>())
}
