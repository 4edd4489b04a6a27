//! `/rank` (leaderboards of the branch and the whole organization, for the week and the
//! season) and the season titles given when a season ends.

use chrono::{DateTime, Utc};

use super::action::{Action, RankPeriod};
use super::{Conversation, Replies, Result};
use crate::channel::Outbound;
use crate::content::markdown::escape_html;
use crate::domain::Member;
use crate::domain::outbox::OutboxKind;
use crate::domain::points::{Season, rank, week_of};
use crate::store::NewDelivery;
use crate::t;

/// How many places a leaderboard shows (more when the last place is tied).
pub const TOP: u32 = 10;
/// Outbox kind of a season title's announcement.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Week,
    Season,
}

impl Period {
    pub fn parse(arg: &str) -> Option<Period> {
        match arg.trim().to_lowercase().as_str() {
            "" | "week" | "w" | "周" | "本周" | "週" | "本週" => Some(Period::Week),
            "season" | "s" | "赛季" | "本赛季" | "賽季" | "本賽季" => {
                Some(Period::Season)
            }
            _ => None,
        }
    }
}

impl Conversation {
    /// The [from, to) of a period as of now, and the season if one is running.
    fn period_bounds(
        &self,
        period: Period,
    ) -> (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<&Season>,
    ) {
        let now = self.now();
        match period {
            Period::Week => {
                let (from, to) = week_of(now, self.settings.default_timezone);
                (Some(from), Some(to), None)
            }
            Period::Season => match self.points.season_at(now) {
                Some(s) => (Some(s.starts_at()), Some(s.ends_at()), Some(s)),
                None => (None, None, None),
            },
        }
    }

    pub(super) async fn rank(&self, member: &Member, period: Period) -> Result<Replies> {
        let l = member.locale;
        let (from, to, season) = self.period_bounds(period);
        let heading = match (period, season) {
            (Period::Week, _) => t!(self.i18n, l, "rank-week"),
            (Period::Season, Some(s)) => {
                t!(
                    self.i18n,
                    l,
                    "rank-season",
                    season = escape_html(s.title(l))
                )
            }
            (Period::Season, None) => t!(self.i18n, l, "rank-all-time"),
        };
        let mine = self.store.points_of(member.id, from, to).await?;
        let mut lines = vec![heading];
        let mut scopes: Vec<(String, Option<&str>)> = Vec::new();
        if let Some(b) = member.branch_id.as_deref() {
            scopes.push((
                t!(
                    self.i18n,
                    l,
                    "rank-branch",
                    branch = escape_html(&self.tree().path(b, l))
                ),
                Some(b),
            ));
        }
        scopes.push((t!(self.i18n, l, "rank-organization"), None));
        for (title, branch) in scopes {
            lines.push(String::new());
            lines.push(format!("<b>{title}</b>"));
            // Fetch a little more than the top so that a tie at the last place shows whole.
            let rows = self
                .store
                .leaderboard(from, to, branch, i64::from(TOP) + 20)
                .await?;
            let ranked = rank(
                rows.into_iter()
                    .map(|r| {
                        let total = r.total;
                        (r, total)
                    })
                    .collect(),
            );
            let shown: Vec<_> = ranked.iter().filter(|r| r.rank <= TOP).collect();
            if shown.is_empty() {
                lines.push(t!(self.i18n, l, "rank-empty"));
            }
            for r in shown {
                let name = r.item.display_name.clone().unwrap_or_else(|| "—".into());
                let key = if r.item.member_id == member.id {
                    "rank-line-me"
                } else {
                    "rank-line"
                };
                lines.push(t!(
                    self.i18n,
                    l,
                    key,
                    rank = r.rank,
                    name = escape_html(&name),
                    points = r.score
                ));
            }
            let above = self.store.members_above(from, to, branch, mine).await?;
            lines.push(t!(
                self.i18n,
                l,
                "rank-mine",
                rank = above + 1,
                points = mine
            ));
        }
        let other = match period {
            Period::Week => {
                Action::Rank(RankPeriod::Season).button(t!(self.i18n, l, "rank-show-season"))
            }
            Period::Season => {
                Action::Rank(RankPeriod::Week).button(t!(self.i18n, l, "rank-show-week"))
            }
        };
        Ok(vec![Outbound::with_buttons(
            lines.join("\n"),
            vec![vec![other]],
        )])
    }

    /// Gives the titles of every season that has ended and was not closed yet: the top
    /// `season.top` of each branch and of the whole organization by season points (ties
    /// at the last place all get it). Each title is announced through the outbox.
    /// Returns how many titles were given.
    pub async fn close_seasons(&self) -> Result<u64> {
        let now = self.now();
        let mut given = 0;
        for season in &self.points.seasons {
            if season.ends_at() > now {
                continue;
            }
            let key = format!("season.{}.closed", season.id);
            if self.store.state(&key).await?.is_some() {
                continue;
            }
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
                let ranked = rank(
                    rows.into_iter()
                        .map(|r| {
                            let total = r.total;
                            (r, total)
                        })
                        .collect(),
                );
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
                        self.store
                            .enqueue(
                                &NewDelivery {
                                    member_id: r.item.member_id,
                                    kind: OutboxKind::SeasonTitle,
                                    reference: format!("{}|{scope_name}", season.id),
                                    dedup_key: OutboxKind::SeasonTitle.dedup_key(format_args!(
                                        "{}:{scope_name}:{}",
                                        season.id, r.item.member_id
                                    )),
                                    due_at: now,
                                },
                                now,
                            )
                            .await?;
                    }
                }
            }
            self.store.set_state(&key, &now.to_rfc3339()).await?;
            tracing::info!(season = %season.id, given, "season closed: titles given");
        }
        Ok(given)
    }

    /// The message announcing a title (`season|scope`).
    pub(super) async fn compose_title(&self, member: &Member, reference: &str) -> Result<Replies> {
        let l = member.locale;
        let Some((season_id, scope)) = reference.split_once('|') else {
            return Ok(Vec::new());
        };
        let Some(season) = self.points.season(season_id) else {
            return Ok(Vec::new());
        };
        let titles = self.store.titles_of(member.id).await?;
        let Some(title) = titles
            .iter()
            .find(|t| t.season_id == season_id && t.scope == scope)
        else {
            return Ok(Vec::new());
        };
        Ok(vec![Outbound::text(t!(
            self.i18n,
            l,
            "season-title-given",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            title = escape_html(season.title(l)),
            scope = escape_html(&self.scope_label(scope, l)),
            rank = title.rank,
            points = title.points
        ))])
    }

    pub(super) fn scope_label(&self, scope: &str, l: crate::domain::Locale) -> String {
        if scope == "all" {
            t!(self.i18n, l, "rank-organization")
        } else {
            self.tree().path(scope, l)
        }
    }

    /// `/me` lines about points, answers and titles.
    pub(super) async fn points_lines(&self, member: &Member) -> Result<Vec<String>> {
        let l = member.locale;
        let mut lines = Vec::new();
        let total = self.store.points_of(member.id, None, None).await?;
        match self.points.season_at(self.now()) {
            Some(s) => {
                let season = self
                    .store
                    .points_of(member.id, Some(s.starts_at()), Some(s.ends_at()))
                    .await?;
                lines.push(t!(
                    self.i18n,
                    l,
                    "me-points-season",
                    points = total,
                    season_points = season,
                    season = escape_html(s.title(l))
                ));
            }
            None => lines.push(t!(self.i18n, l, "me-points", points = total)),
        }
        let answers = self.store.answer_counts(member.id).await?;
        if answers.answered > 0 {
            lines.push(t!(
                self.i18n,
                l,
                "me-answers",
                correct = answers.correct,
                answered = answers.answered,
                percent = answers.correct * 100 / answers.answered
            ));
        }
        for title in self.store.titles_of(member.id).await? {
            let name = self
                .points
                .season(&title.season_id)
                .map(|s| s.title(l).to_string())
                .unwrap_or_else(|| title.season_id.clone());
            lines.push(t!(
                self.i18n,
                l,
                "me-title",
                title = escape_html(&name),
                scope = escape_html(&self.scope_label(&title.scope, l)),
                rank = title.rank
            ));
        }
        Ok(lines)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_read_in_every_language() {
        assert_eq!(Period::parse(""), Some(Period::Week));
        assert_eq!(Period::parse("本周"), Some(Period::Week));
        assert_eq!(Period::parse("Season"), Some(Period::Season));
        assert_eq!(Period::parse("賽季"), Some(Period::Season));
        assert_eq!(Period::parse("yesterday"), None);
    }
}
