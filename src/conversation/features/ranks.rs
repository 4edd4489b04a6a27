//! `/rank` (leaderboards of the branch and the whole organization, for the week and the
//! season) and the season titles given when a season ends.

use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::channel::Outbound;
use crate::content::markdown::escape_html;
use crate::conversation::action::{Action, RankPeriod};
use crate::conversation::ctx::Ctx;
use crate::conversation::{Replies, Result};
use crate::domain::Member;
use crate::domain::points::{PointsConfig, Season, rank_by, week_of};
use crate::t;

/// How many places a leaderboard shows (more when the last place is tied).
pub const TOP: u32 = 10;

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

/// Points as members see them: leaderboards, the `/me` lines, season titles.
pub struct Ranks {
    ctx: Arc<Ctx>,
    points: Arc<PointsConfig>,
}

impl Ranks {
    pub fn new(ctx: Arc<Ctx>, points: Arc<PointsConfig>) -> Self {
        Self { ctx, points }
    }

    /// The [from, to) of a period as of now, and the season if one is running.
    fn period_bounds(
        &self,
        period: Period,
    ) -> (
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<&Season>,
    ) {
        let now = self.ctx.now();
        match period {
            Period::Week => {
                let (from, to) = week_of(now, self.ctx.settings.default_timezone);
                (Some(from), Some(to), None)
            }
            Period::Season => match self.points.season_at(now) {
                Some(s) => (Some(s.starts_at()), Some(s.ends_at()), Some(s)),
                None => (None, None, None),
            },
        }
    }

    pub async fn rank(&self, member: &Member, period: Period) -> Result<Replies> {
        let l = member.locale;
        let (from, to, season) = self.period_bounds(period);
        let heading = match (period, season) {
            (Period::Week, _) => t!(self.ctx.i18n, l, "rank-week"),
            (Period::Season, Some(s)) => format!(
                "{}\n{}",
                t!(
                    self.ctx.i18n,
                    l,
                    "rank-season",
                    season = escape_html(s.name(l))
                ),
                self.title_note(l, s)
            ),
            (Period::Season, None) => t!(self.ctx.i18n, l, "rank-all-time"),
        };
        let mine = self.ctx.store.points_of(member.id, from, to).await?;
        let mut lines = vec![heading];
        let mut scopes: Vec<(String, Option<&str>)> = Vec::new();
        if let Some(b) = member.branch_id.as_deref() {
            scopes.push((
                t!(
                    self.ctx.i18n,
                    l,
                    "rank-branch",
                    branch = escape_html(&self.ctx.tree().path(b, l))
                ),
                Some(b),
            ));
        }
        scopes.push((t!(self.ctx.i18n, l, "rank-organization"), None));
        for (title, branch) in scopes {
            lines.push(String::new());
            lines.push(format!("<b>{title}</b>"));
            // Fetch a little more than the top so that a tie at the last place shows whole.
            let rows = self
                .ctx
                .store
                .leaderboard(from, to, branch, i64::from(TOP) + 20)
                .await?;
            let ranked = rank_by(rows, |r| r.total);
            let shown: Vec<_> = ranked.iter().filter(|r| r.rank <= TOP).collect();
            if shown.is_empty() {
                lines.push(t!(self.ctx.i18n, l, "rank-empty"));
            }
            for r in shown {
                let name = r.item.display_name.clone().unwrap_or_else(|| "—".into());
                let key = if r.item.member_id == member.id {
                    "rank-line-me"
                } else {
                    "rank-line"
                };
                lines.push(t!(
                    self.ctx.i18n,
                    l,
                    key,
                    rank = r.rank,
                    name = escape_html(&name),
                    points = r.score
                ));
            }
            let above = self.ctx.store.members_above(from, to, branch, mine).await?;
            lines.push(t!(
                self.ctx.i18n,
                l,
                "rank-mine",
                rank = above + 1,
                points = mine
            ));
        }
        let other = match period {
            Period::Week => {
                Action::Rank(RankPeriod::Season).button(t!(self.ctx.i18n, l, "rank-show-season"))
            }
            Period::Season => {
                Action::Rank(RankPeriod::Week).button(t!(self.ctx.i18n, l, "rank-show-week"))
            }
        };
        Ok(vec![Outbound::with_buttons(
            lines.join("\n"),
            vec![vec![other]],
        )])
    }

    /// The message announcing a title (`season|scope`).
    pub async fn compose_title(&self, member: &Member, reference: &str) -> Result<Replies> {
        let l = member.locale;
        let Some((season_id, scope)) = reference.split_once('|') else {
            return Ok(Vec::new());
        };
        let Some(season) = self.points.season(season_id) else {
            return Ok(Vec::new());
        };
        let titles = self.ctx.store.titles_of(member.id).await?;
        let Some(title) = titles
            .iter()
            .find(|t| t.season_id == season_id && t.scope == scope)
        else {
            return Ok(Vec::new());
        };
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "season-title-given",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            title = escape_html(season.title(l)),
            scope = escape_html(&self.ctx.scope_label(scope, l)),
            rank = title.rank,
            points = title.points
        ))])
    }

    /// What the season's title is: earned by its top members ("赛季结束时，各支部和全组织积分
    /// 前 3 名获得“冬训云学标兵”称号").
    fn title_note(
        &self,
        l: crate::domain::Locale,
        season: &crate::domain::points::Season,
    ) -> String {
        t!(
            self.ctx.i18n,
            l,
            "season-title-note",
            top = season.top,
            title = escape_html(season.title(l))
        )
    }

    /// `/me` lines about points, answers and titles.
    pub async fn points_lines(&self, member: &Member) -> Result<Vec<String>> {
        let l = member.locale;
        let mut lines = Vec::new();
        let total = self.ctx.store.points_of(member.id, None, None).await?;
        match self.points.season_at(self.ctx.now()) {
            Some(s) => {
                let season = self
                    .ctx
                    .store
                    .points_of(member.id, Some(s.starts_at()), Some(s.ends_at()))
                    .await?;
                lines.push(t!(
                    self.ctx.i18n,
                    l,
                    "me-points-season",
                    points = total,
                    season_points = season,
                    season = escape_html(s.name(l))
                ));
                lines.push(self.title_note(l, s));
            }
            None => lines.push(t!(self.ctx.i18n, l, "me-points", points = total)),
        }
        let answers = self.ctx.store.answer_counts(member.id).await?;
        if answers.answered > 0 {
            lines.push(t!(
                self.ctx.i18n,
                l,
                "me-answers",
                correct = answers.correct,
                answered = answers.answered,
                // Rounded as /stats rounds (2 of 3 is 67%).
                percent = crate::domain::stats::percent(answers.correct, answers.answered)
                    .and_then(crate::domain::stats::whole_percent)
                    .unwrap_or(0)
            ));
        }
        for title in self.ctx.store.titles_of(member.id).await? {
            let name = self
                .points
                .season(&title.season_id)
                .map(|s| s.title(l).to_string())
                .unwrap_or_else(|| title.season_id.clone());
            lines.push(t!(
                self.ctx.i18n,
                l,
                "me-title",
                title = escape_html(&name),
                scope = escape_html(&self.ctx.scope_label(&title.scope, l)),
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
