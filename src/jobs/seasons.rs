//! `seasons`: when a season ends, the top `season.top` of each branch and of the whole
//! organization by season points (ties at the last place all get it) get its title, each
//! announced through the outbox. Once per season.

use std::sync::Arc;

use async_trait::async_trait;

use super::{Due, Job, JobError, Outcome, Schedule, ScheduledJob, Subject, Tick};
use crate::domain::outbox::OutboxKind;
use crate::domain::points::{PointsConfig, rank_by};
use crate::store::{NewDelivery, Store};

pub struct Seasons {
    store: Store,
    points: Arc<PointsConfig>,
}

impl Seasons {
    pub fn new(store: Store, points: Arc<PointsConfig>) -> Self {
        Self { store, points }
    }
}

#[async_trait]
impl ScheduledJob for Seasons {
    fn job(&self) -> Job {
        Job::Seasons
    }

    /// The end of each season, remembered under `season.<id>.closed`.
    fn schedules(&self) -> Vec<(Schedule, Subject)> {
        self.points
            .seasons
            .iter()
            .map(|season| {
                let schedule = Schedule::Once {
                    at: season.ends_at(),
                    marker: format!("season.{}.closed", season.id),
                };
                (schedule, Subject::Season(season.id.clone()))
            })
            .collect()
    }

    /// Gives the titles of the season; returns how many were given.
    async fn run(&self, subject: &Subject, due: &Due, _: &Tick<'_>) -> Result<Outcome, JobError> {
        let Subject::Season(id) = subject else {
            return Ok(Outcome::Count(0));
        };
        let Some(season) = self.points.season(id) else {
            return Ok(Outcome::Count(0));
        };
        let now = due.now;
        let mut given = 0;
        let (from, to) = (season.starts_at(), season.ends_at());
        let mut scopes: Vec<Option<String>> = vec![None];
        scopes.extend(
            self.store
                .branches_with_points(from, to)
                .await?
                .into_iter()
                .map(Some),
        );
        for scope in scopes {
            let rows = self
                .store
                .leaderboard(
                    Some(from),
                    Some(to),
                    scope.as_deref(),
                    i64::from(season.top) + 50,
                )
                .await?;
            let ranked = rank_by(rows, |r| r.total);
            let scope_name = scope.clone().unwrap_or_else(|| "all".into());
            for r in ranked
                .iter()
                .filter(|r| r.rank <= season.top && r.score > 0)
            {
                if self
                    .store
                    .give_title(
                        &season.id,
                        r.item.member_id,
                        &scope_name,
                        i64::from(r.rank),
                        r.score,
                        now,
                    )
                    .await?
                {
                    given += 1;
                    let delivery = NewDelivery {
                        member_id: r.item.member_id,
                        kind: OutboxKind::SeasonTitle,
                        reference: format!("{}|{scope_name}", season.id),
                        dedup_key: OutboxKind::SeasonTitle.dedup_key(format_args!(
                            "{}:{scope_name}:{}",
                            season.id, r.item.member_id
                        )),
                        due_at: now,
                    };
                    self.store.enqueue(&delivery, now).await?;
                }
            }
        }
        tracing::info!(season = %season.id, given, "season closed: titles given");
        Ok(Outcome::Count(given))
    }
}
