//! The features, each a type holding only what it uses: the shared [`Ctx`], what only it
//! needs (the points rules, the poster renderer), and the other features it calls, as
//! fields. A feature uses another only through its `pub` methods, and the features form
//! no cycle (`src/architecture.rs` checks both). [`Features::new`] is the one place that
//! wires them:
//!
//! ```text
//! onboarding ─ lessons ─┬─ quizzes ─ admin        venues ─┬─ migrants
//!                       ├─ posters                        └─ admin
//!                       └─ ranks                  broadcasts, stats, branches ─ admin
//! ```

pub mod admin;
pub mod branches;
pub mod broadcasts;
pub mod lessons;
pub mod migrants;
pub mod onboarding;
pub mod posters;
pub mod quizzes;
pub mod ranks;
pub mod stats;
pub mod venues;

use std::sync::Arc;

use super::ctx::Ctx;
use crate::domain::points::PointsConfig;
use crate::poster::PosterRenderer;

/// Every feature, wired.
#[derive(Clone)]
pub struct Features {
    pub onboarding: Arc<onboarding::Onboarding>,
    pub lessons: Arc<lessons::Lessons>,
    pub quizzes: Arc<quizzes::Quizzes>,
    pub ranks: Arc<ranks::Ranks>,
    pub posters: Arc<posters::Posters>,
    pub migrants: Arc<migrants::Migrants>,
    pub venues: Arc<venues::Venues>,
    pub admin: Arc<admin::Admin>,
    pub broadcasts: Arc<broadcasts::Broadcasts>,
    pub stats: Arc<stats::Stats>,
    pub branches: Arc<branches::Branches>,
}

impl Features {
    pub fn new(ctx: Arc<Ctx>, points: Arc<PointsConfig>, renderer: Arc<PosterRenderer>) -> Self {
        let admin = Arc::new(admin::Admin::new(ctx.clone()));
        let ranks = Arc::new(ranks::Ranks::new(ctx.clone(), points.clone()));
        let posters = Arc::new(posters::Posters::new(ctx.clone(), renderer.clone()));
        let quizzes = Arc::new(quizzes::Quizzes::new(
            ctx.clone(),
            points.clone(),
            admin.clone(),
        ));
        let lessons = Arc::new(lessons::Lessons::new(
            ctx.clone(),
            points.clone(),
            quizzes.clone(),
            posters.clone(),
            ranks.clone(),
        ));
        let onboarding = Arc::new(onboarding::Onboarding::new(ctx.clone(), lessons.clone()));
        let migrants = Arc::new(migrants::Migrants::new(ctx.clone(), points.clone()));
        let venues = Arc::new(venues::Venues::new(
            ctx.clone(),
            admin.clone(),
            migrants.clone(),
        ));
        let broadcasts = Arc::new(broadcasts::Broadcasts::new(ctx.clone(), admin.clone()));
        let stats = Arc::new(stats::Stats::new(
            ctx.clone(),
            points,
            renderer,
            admin.clone(),
        ));
        let branches = Arc::new(branches::Branches::new(ctx, admin.clone()));
        Self {
            onboarding,
            lessons,
            quizzes,
            ranks,
            posters,
            migrants,
            venues,
            admin,
            broadcasts,
            stats,
            branches,
        }
    }
}
