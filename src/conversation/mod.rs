//! What the bot answers and every message it composes. It reads and writes the store and
//! returns [`Outbound`] messages; it never talks to a chat app.
//!
//! [`Conversation`] is the facade the service uses. Behind it, the [`router`] maps each
//! inbound event ([`command::Command`], [`action::Action`], the member's dialog step) and
//! each queued delivery's kind to one of the [`features`], which share a [`ctx::Ctx`].

pub mod action;
pub mod command;
pub mod ctx;
pub mod features;
pub mod router;

use std::sync::Arc;

use crate::channel::{Inbound, LanguageMenu, Outbound};
use crate::domain::flood::FloodGuard;
use crate::domain::points::PointsConfig;
use crate::domain::{BranchTree, Locale};
use crate::poster::PosterRenderer;
use crate::store::{Activity, MemberProgress, OutboxItem, StoreError, Venue};
pub use ctx::ConversationSettings;
use ctx::Ctx;
use features::Features;
use features::admin::Authority;
use features::stats::{StatsRefusal, StatsReport, StatsRequest};
use router::Router;

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("outbox row {id}: {problem}")]
    BadDelivery { id: i64, problem: String },
    #[error("cannot make the poster: {0}")]
    Poster(String),
    #[error("nearby search: {0}")]
    Geo(#[from] crate::domain::geo::GeoError),
}

pub type Result<T> = std::result::Result<T, ConversationError>;

/// The replies to one inbound event.
pub type Replies = Vec<Outbound>;

/// The conversation as the service sees it.
pub struct Conversation {
    ctx: Arc<Ctx>,
    features: Features,
    router: Router,
    points: Arc<PointsConfig>,
}

impl Conversation {
    /// Wires the features around the shared context; `commands_per_minute` is the
    /// message limit per member.
    pub fn new(
        ctx: Ctx,
        points: Arc<PointsConfig>,
        renderer: Arc<PosterRenderer>,
        commands_per_minute: u32,
    ) -> Self {
        let ctx = Arc::new(ctx);
        let features = Features::new(ctx.clone(), points.clone(), renderer);
        let router = Router::new(
            ctx.clone(),
            features.clone(),
            FloodGuard::new(commands_per_minute),
        );
        Self {
            ctx,
            features,
            router,
            points,
        }
    }

    /// Handles one event from a member and returns the replies.
    pub async fn handle(&self, inbound: &Inbound) -> Result<Replies> {
        self.router.handle(inbound).await
    }

    /// The messages for a queued delivery.
    pub async fn compose(&self, item: &OutboxItem) -> Result<Replies> {
        self.router.compose(item).await
    }

    /// The members' command menu in each language, for channels that show one.
    pub fn command_menu(&self) -> Vec<LanguageMenu> {
        command::menu(&self.ctx.i18n)
    }

    /// The shared context (the scheduled jobs use it too).
    pub fn ctx(&self) -> &Arc<Ctx> {
        &self.ctx
    }

    /// The features (the scheduled jobs use some).
    pub fn features(&self) -> &Features {
        &self.features
    }

    /// The points rules and seasons.
    pub fn points(&self) -> &Arc<PointsConfig> {
        &self.points
    }

    /// The organization tree as of now.
    pub fn tree(&self) -> Arc<BranchTree> {
        self.ctx.tree()
    }

    /// Tells the migrant members near the venue about a new activity (imports).
    pub async fn announce_activity(&self, activity: &Activity, venue: &Venue) -> Result<u64> {
        self.features
            .migrants
            .announce_activity(activity, venue)
            .await
    }

    /// [`Self::announce_activity`] for many activities at once (`weike import activities
    /// --notify`).
    pub async fn announce_activities(&self, activities: &[(Activity, Venue)]) -> Result<u64> {
        self.features.migrants.announce_activities(activities).await
    }

    /// The statistics report for a request within an admin's authority (`weike report`).
    pub async fn stats_report(
        &self,
        authority: &Authority,
        request: &StatsRequest,
        l: Locale,
    ) -> Result<std::result::Result<StatsReport, StatsRefusal>> {
        self.features.stats.report(authority, request, l).await
    }

    /// The delivery forecast of `/capacity` (`weike report`), times in `tz`.
    pub async fn capacity_lines(&self, l: Locale, tz: chrono_tz::Tz) -> Result<Vec<String>> {
        self.features.stats.capacity_lines(l, tz).await
    }

    /// Members' progress as CSV (`weike report --csv`).
    pub fn progress_csv(&self, rows: &[MemberProgress], l: Locale) -> Vec<u8> {
        self.features.stats.progress_csv(rows, l)
    }
}
