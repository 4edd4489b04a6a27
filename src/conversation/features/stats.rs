//! Admins' statistics (参训率 and more): `/stats [branch] [week|season]`, `/stats chart`
//! and `/export [week|season]`; `weike report` prints and writes the same.

use std::sync::Arc;

use chrono::NaiveDate;

use super::admin::{Admin, AdminRequest, Authority};
use super::ranks::Period;
use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::command::Command;
use crate::conversation::ctx::{Ctx, Found};
use crate::conversation::{ConversationError, Replies, Result};
use crate::domain::Locale;
use crate::domain::csv_safe::text_cell;
use crate::domain::points::PointsConfig;
use crate::domain::stats::{
    Figures, LessonFigures, StatsTable, format_percent, roll_up, season_key, week_key,
};
use crate::i18n::I18n;
use crate::poster::PosterRenderer;
use crate::poster::chart::Bar;
use crate::store::MemberProgress;
use crate::t;

/// Rows shown in a chat message (the export has them all).
const MAX_ROWS: usize = 30;
/// Lessons shown in a chat message: the latest ones given.
const MAX_LESSONS: usize = 10;

/// What `/stats` and `/export` were asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsRequest {
    pub branch: Option<String>,
    pub period: Period,
    pub chart: bool,
}

/// Why a statistics request cannot be answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StatsRefusal {
    /// (message key, the offending word)
    Usage(String),
    UnknownBranch(String),
    OutOfScope,
    NoSeason,
}

/// A period resolved to its key and label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedPeriod {
    pub key: String,
    pub label: String,
    /// For file names: `week-2026-11-30` or `season-<id>`.
    pub slug: String,
}

/// Everything a statistics answer shows.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsReport {
    pub scope_label: String,
    pub scope: Option<String>,
    pub period: ResolvedPeriod,
    pub table: StatsTable,
    /// (course, lesson position, lesson title, figures) in course order.
    pub lessons: Vec<(String, u32, String, LessonFigures)>,
}

/// Reads `[branch] [week|season] [chart]` in any order.
pub fn parse_request(args: &str) -> std::result::Result<StatsRequest, String> {
    let mut request = StatsRequest {
        branch: None,
        period: Period::Week,
        chart: false,
    };
    for word in args.split_whitespace() {
        if word.eq_ignore_ascii_case("chart") || word == "图" || word == "圖" {
            request.chart = true;
        } else if let Some(period) = Period::parse(word) {
            request.period = period;
        } else if request.branch.is_none() {
            request.branch = Some(word.to_string());
        } else {
            return Err(word.to_string());
        }
    }
    Ok(request)
}

/// Admins' statistics.
pub struct Stats {
    ctx: Arc<Ctx>,
    points: Arc<PointsConfig>,
    renderer: Arc<PosterRenderer>,
    admin: Arc<Admin>,
}

impl Stats {
    pub fn new(
        ctx: Arc<Ctx>,
        points: Arc<PointsConfig>,
        renderer: Arc<PosterRenderer>,
        admin: Arc<Admin>,
    ) -> Self {
        Self {
            ctx,
            points,
            renderer,
            admin,
        }
    }

    /// `/stats` and `/export`, for an admin.
    pub async fn command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        match request.command {
            Command::Stats => self.stats_command(request).await,
            Command::Export => self.export_command(request).await,
            Command::Capacity => self.capacity(request.member).await,
            _ => Ok(Vec::new()),
        }
    }

    /// `/capacity`: for the next 24 hours, the members of each lesson-time slot, when the
    /// slot's lessons finish going out at the channel's rate (earliest due first, after the
    /// deliveries already waiting), and the slots where members wait more than 30 minutes.
    pub async fn capacity(&self, member: &crate::domain::Member) -> Result<Replies> {
        let lines = self.capacity_lines(member.locale, member.timezone).await?;
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    /// The lines of `/capacity` in `l`, times shown in `tz` (also `weike report`'s).
    pub async fn capacity_lines(&self, l: Locale, tz: chrono_tz::Tz) -> Result<Vec<String>> {
        use crate::domain::capacity::forecast;
        const SHOWN: usize = 30;
        let i18n = &self.ctx.i18n;
        let now = self.ctx.now();
        let settings = &self.ctx.settings;
        let slots = self.ctx.delivery_slots(now).await?;
        let forecasts = forecast(&slots, settings.messages_per_lesson, settings.delivery_rate);
        let mut lines = vec![t!(
            i18n,
            l,
            "capacity-header",
            rate = format!("{:.1}", settings.delivery_rate),
            per = format!("{:.1}", settings.messages_per_lesson)
        )];
        if forecasts.is_empty() {
            lines.push(t!(i18n, l, "capacity-none"));
        }
        let at = |t| crate::domain::when::when(now, t, tz, tz);
        for f in forecasts.iter().take(SHOWN) {
            let key = if f.overloaded() {
                "capacity-slot-late"
            } else {
                "capacity-slot"
            };
            lines.push(t!(
                i18n,
                l,
                key,
                when = i18n.when(l, &at(f.due)),
                members = f.members,
                finish = i18n.when(l, &at(f.finishes)),
                minutes = f.longest_wait().num_minutes()
            ));
        }
        if forecasts.len() > SHOWN {
            lines.push(t!(
                i18n,
                l,
                "capacity-more",
                count = forecasts.len() - SHOWN
            ));
        }
        let late = forecasts.iter().filter(|f| f.overloaded()).count();
        if !forecasts.is_empty() {
            lines.push(if late > 0 {
                t!(i18n, l, "capacity-overloaded", count = late)
            } else {
                t!(i18n, l, "capacity-on-time")
            });
        }
        Ok(lines)
    }

    /// The report for a request within an admin's authority.
    pub async fn report(
        &self,
        authority: &Authority,
        request: &StatsRequest,
        l: Locale,
    ) -> Result<std::result::Result<StatsReport, StatsRefusal>> {
        let scope = match &request.branch {
            Some(b) if self.ctx.tree().get(b).is_none() => {
                return Ok(Err(StatsRefusal::UnknownBranch(b.clone())));
            }
            Some(b) if !self.admin.reaches(authority, b) => {
                return Ok(Err(StatsRefusal::OutOfScope));
            }
            Some(b) => Some(b.clone()),
            None if authority.whole_organization() => None,
            None => match authority.branches.first() {
                Some(b) => Some(b.clone()),
                None => return Ok(Err(StatsRefusal::OutOfScope)),
            },
        };
        let Some(period) = self.resolve_period(request.period, l) else {
            return Ok(Err(StatsRefusal::NoSeason));
        };
        let per_branch = self.ctx.store.branch_figures(&period.key).await?;
        let table = roll_up(&self.ctx.tree(), &per_branch, scope.as_deref());
        let subtree = scope.as_deref().map(|s| self.ctx.tree().subtree(s));
        let lesson_figures = self.ctx.store.lesson_figures(subtree.as_deref()).await?;
        let mut lessons = Vec::new();
        for course in &self.ctx.library.courses {
            for lesson in &course.lessons {
                if let Some(f) = lesson_figures.get(&(course.id.clone(), lesson.id.clone()))
                    && f.assigned > 0
                {
                    let title = lesson.version(l, course.default_locale).title.clone();
                    lessons.push((course.id.clone(), lesson.seq, title, *f));
                }
            }
        }
        Ok(Ok(StatsReport {
            scope_label: self.ctx.scope_label(scope.as_deref().unwrap_or("all"), l),
            scope,
            period,
            table,
            lessons,
        }))
    }

    /// This week, or the running season (else the one that ended last).
    pub fn resolve_period(&self, period: Period, l: Locale) -> Option<ResolvedPeriod> {
        let now = self.ctx.now();
        match period {
            Period::Week => {
                let tz = self.ctx.settings.default_timezone;
                let key = week_key(now, tz);
                let monday = key.trim_start_matches("w:").to_string();
                Some(ResolvedPeriod {
                    label: t!(
                        self.ctx.i18n,
                        l,
                        "stats-period-week",
                        monday = monday.clone()
                    ),
                    slug: format!("week-{monday}"),
                    key,
                })
            }
            Period::Season => {
                let season = self.points.season_at(now).or_else(|| {
                    self.points
                        .seasons
                        .iter()
                        .filter(|s| s.ends_at() <= now)
                        .max_by_key(|s| s.ends_at())
                })?;
                Some(ResolvedPeriod {
                    key: season_key(&season.id),
                    label: t!(
                        self.ctx.i18n,
                        l,
                        "stats-period-season",
                        season = season.name(l).to_string(),
                        start = date(season.start),
                        end = date(season.end)
                    ),
                    slug: format!("season-{}", season.id),
                })
            }
        }
    }

    /// The report a `/stats` or `/export` asks for, with what it asked (`chart`: whether
    /// it may ask for a chart), or the answer instead: how to use it, the branches of the
    /// name typed to choose from, or why it is refused.
    async fn requested_report(
        &self,
        request: &AdminRequest<'_>,
        chart: bool,
    ) -> Result<std::result::Result<(StatsRequest, StatsReport), Replies>> {
        let l = request.locale();
        let asked = match parse_request(request.args) {
            Ok(r) if r.chart && !chart => return Ok(Err(vec![self.stats_usage(l, "chart")])),
            Ok(r) => r,
            Err(word) => return Ok(Err(vec![self.stats_usage(l, &word)])),
        };
        let asked = match self.named_branch(request, asked) {
            Ok(r) => r,
            Err(choose) => return Ok(Err(choose)),
        };
        Ok(match self.report(request.authority, &asked, l).await? {
            Ok(report) => Ok((asked, report)),
            Err(refusal) => Err(self.stats_refused(request, refusal).await?),
        })
    }

    /// `/stats`.
    async fn stats_command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let l = request.locale();
        let (asked, report) = match self.requested_report(request, true).await? {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        self.admin.request_done(request, &report.period.key).await?;
        if asked.chart {
            // Each branch's participation, written as the text writes it: "–" and no bar
            // for a branch without active members.
            let bar = |label: String, figures: &Figures| Bar {
                label,
                percent: figures.rate(),
                shown: format_percent(figures.rate()),
            };
            let mut bars: Vec<Bar> = report
                .table
                .rows
                .iter()
                .take(MAX_ROWS)
                .map(|r| bar(self.branch_name(&r.branch_id, l), &r.figures))
                .collect();
            if bars.is_empty() {
                bars.push(bar(report.scope_label.clone(), &report.table.total));
            }
            let title = t!(self.ctx.i18n, l, "stats-chart-title");
            let subtitle = format!("{} · {}", report.scope_label, report.period.label);
            let renderer = self.renderer.clone();
            let png = tokio::task::spawn_blocking(move || {
                renderer.render_bar_chart(&title, &subtitle, &bars)
            })
            .await
            .map_err(|e| ConversationError::Poster(format!("chart rendering stopped: {e}")))?
            .map_err(|e| ConversationError::Poster(e.to_string()))?;
            return Ok(vec![Outbound::Photo {
                png: std::sync::Arc::new(png),
                file_name: format!("weike-stats-{}.png", report.period.slug),
                caption_html: escape_html(&format!(
                    "{} · {} · {}",
                    report.scope_label,
                    report.period.label,
                    format_percent(report.table.total.rate())
                )),
            }]);
        }
        Ok(vec![Outbound::text(render_report(
            &self.ctx.i18n,
            l,
            &report,
            |id| self.branch_name(id, l),
        ))])
    }

    /// `/export`: members' progress as a CSV document.
    async fn export_command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let l = request.locale();
        let (_, report) = match self.requested_report(request, false).await? {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        let subtree = report.scope.as_deref().map(|s| self.ctx.tree().subtree(s));
        let rows = self
            .ctx
            .store
            .member_progress(&report.period.key, subtree.as_deref())
            .await?;
        let csv = self.progress_csv(&rows, l);
        self.admin
            .request_done(request, &format!("{} rows", rows.len()))
            .await?;
        Ok(vec![Outbound::Document {
            bytes: std::sync::Arc::new(csv),
            file_name: format!(
                "weike-{}-{}.csv",
                report.scope.as_deref().unwrap_or("all"),
                report.period.slug
            ),
            caption_html: t!(
                self.ctx.i18n,
                l,
                "export-caption",
                scope = escape_html(&report.scope_label),
                period = escape_html(&report.period.label),
                count = rows.len()
            ),
        }])
    }

    /// Members' progress as CSV: UTF-8 with a byte-order mark (so that Excel reads Chinese
    /// correctly), a header in the reader's language, one row per member: id, name,
    /// branch, status, away from home (是/否, Yes/No in the reader's language), lessons
    /// received in the period, check-ins, the date of the latest check-in (in the
    /// organization's time zone), answers, right answers, accuracy, points.
    ///
    /// Every text cell goes through [`text_cell`], so that a name such as `=HYPERLINK(..)`
    /// is not run by the admin's spreadsheet. The numbers (counts, accuracy, points) are
    /// written as numbers: the service formats them itself, and none can start like a
    /// formula: counts only ever grow by one, the accuracy is 0.0 to 100.0, and points are
    /// sums of awards that are never negative (`points.toml` rules are 0 to 1000, streak
    /// bonuses count only above 0). Even a negative number, digits after a `-`, would be
    /// read as a number, not run.
    pub fn progress_csv(&self, rows: &[MemberProgress], l: Locale) -> Vec<u8> {
        let mut out = "\u{feff}".as_bytes().to_vec();
        let header: Vec<String> = [
            "export-col-id",
            "export-col-name",
            "export-col-branch",
            "export-col-status",
            "export-col-away",
            "export-col-lessons",
            "export-col-checkins",
            "export-col-last-checkin",
            "export-col-answered",
            "export-col-correct",
            "export-col-accuracy",
            "export-col-points",
        ]
        .iter()
        .map(|k| text_cell(&t!(self.ctx.i18n, l, k)).into_owned())
        .collect();
        let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
        let mut write = |record: Vec<String>| {
            // Writing to memory cannot fail short of running out of memory.
            let _ = writer.write_record(&record);
        };
        write(header);
        let tree = self.ctx.tree();
        let yes = text_cell(&t!(self.ctx.i18n, l, "export-yes")).into_owned();
        let no = text_cell(&t!(self.ctx.i18n, l, "export-no")).into_owned();
        let tz = self.ctx.settings.default_timezone;
        for r in rows {
            let branch = r
                .branch_id
                .as_deref()
                .map(|b| tree.path(b, l))
                .unwrap_or_default();
            let status = t!(self.ctx.i18n, l, status_key(&r.status));
            let last_checkin = r
                .last_checkin
                .map(|at| at.with_timezone(&tz).format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            write(vec![
                text_cell(&r.chat_id).into_owned(),
                text_cell(r.display_name.as_deref().unwrap_or_default()).into_owned(),
                text_cell(&branch).into_owned(),
                text_cell(&status).into_owned(),
                if r.away { yes.clone() } else { no.clone() },
                r.lessons.to_string(),
                r.checkins.to_string(),
                text_cell(&last_checkin).into_owned(),
                r.answered.to_string(),
                r.correct.to_string(),
                crate::domain::stats::percent(r.correct, r.answered)
                    .map(|p| format!("{p:.1}"))
                    .unwrap_or_default(),
                r.points.to_string(),
            ]);
        }
        out.extend(writer.into_inner().unwrap_or_default());
        out
    }

    fn branch_name(&self, id: &str, l: Locale) -> String {
        match self.ctx.tree().get(id) {
            Some(b) => b.name_in(l).to_string(),
            None => t!(self.ctx.i18n, l, "stats-no-branch"),
        }
    }

    fn stats_usage(&self, l: Locale, word: &str) -> Outbound {
        Outbound::text(t!(
            self.ctx.i18n,
            l,
            "stats-usage",
            input = escape_excerpt(word)
        ))
    }

    /// The branch of a request typed by name ("柳村") as its id; several that fit are
    /// offered as buttons that run the command again (Err: those buttons).
    fn named_branch(
        &self,
        request: &AdminRequest<'_>,
        mut asked: StatsRequest,
    ) -> std::result::Result<StatsRequest, Replies> {
        let Some(query) = asked.branch.clone() else {
            return Ok(asked);
        };
        match self.ctx.find_branch(&query) {
            Found::One(id) => {
                asked.branch = Some(id);
                Ok(asked)
            }
            // Unknown: the report says so.
            Found::None => Ok(asked),
            Found::Many(ids) => Err(self.ctx.choose_branch(
                request.member,
                request.command,
                request.args,
                &query,
                ids,
            )),
        }
    }

    async fn stats_refused(
        &self,
        request: &AdminRequest<'_>,
        refusal: StatsRefusal,
    ) -> Result<Replies> {
        let l = request.locale();
        match refusal {
            StatsRefusal::OutOfScope => self.admin.out_of_scope(request).await,
            StatsRefusal::UnknownBranch(b) => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "branch-unknown-id",
                branch = escape_html(&b)
            ))]),
            StatsRefusal::NoSeason => Ok(self.ctx.reply(l, "stats-no-season")),
            StatsRefusal::Usage(word) => Ok(vec![self.stats_usage(l, &word)]),
        }
    }
}

/// The message key of a member's status in the export.
fn status_key(status: &str) -> &'static str {
    match status {
        "active" => "export-status-active",
        "paused" => "export-status-paused",
        "blocked" => "export-status-blocked",
        _ => "export-status-left",
    }
}

fn date(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// One line of figures: rate (participants/active), check-ins, accuracy, points, migrants.
fn figures_line(i18n: &I18n, l: Locale, f: &Figures) -> String {
    t!(
        i18n,
        l,
        "stats-figures",
        rate = format_percent(f.rate()),
        participants = f.participants,
        active = f.active,
        checkins = f.checkins,
        accuracy = format_percent(f.accuracy()),
        points = f.points,
        migrant_rate = format_percent(f.migrant_rate()),
        migrant_participants = f.migrant_participants,
        migrant_active = f.migrant_active
    )
}

/// The report as a chat message (Telegram's HTML subset).
pub fn render_report(
    i18n: &I18n,
    l: Locale,
    report: &StatsReport,
    branch_name: impl Fn(&str) -> String,
) -> String {
    let mut lines = vec![t!(
        i18n,
        l,
        "stats-header",
        scope = escape_html(&report.scope_label),
        period = escape_html(&report.period.label)
    )];
    let rows = &report.table.rows;
    for (i, row) in rows.iter().take(MAX_ROWS).enumerate() {
        lines.push(t!(
            i18n,
            l,
            "stats-row",
            n = i + 1,
            branch = escape_html(&branch_name(&row.branch_id)),
            rate = format_percent(row.figures.rate()),
            participants = row.figures.participants,
            active = row.figures.active
        ));
    }
    if rows.len() > MAX_ROWS {
        lines.push(t!(
            i18n,
            l,
            "stats-more-rows",
            count = rows.len() - MAX_ROWS
        ));
    }
    lines.push(String::new());
    lines.push(t!(
        i18n,
        l,
        "stats-total",
        scope = escape_html(&report.scope_label)
    ));
    lines.push(figures_line(i18n, l, &report.table.total));
    if report.scope.is_some() {
        lines.push(t!(i18n, l, "stats-organization"));
        lines.push(figures_line(i18n, l, &report.table.organization));
    }
    if !report.lessons.is_empty() {
        lines.push(String::new());
        lines.push(t!(i18n, l, "stats-lessons-header"));
        let skip = report.lessons.len().saturating_sub(MAX_LESSONS);
        for (_, seq, title, f) in report.lessons.iter().skip(skip) {
            lines.push(t!(
                i18n,
                l,
                "stats-lesson",
                seq = *seq,
                title = escape_html(title),
                rate = format_percent(f.rate()),
                checked_in = f.checked_in,
                assigned = f.assigned
            ));
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_are_read_in_any_order() {
        assert_eq!(
            parse_request("").unwrap(),
            StatsRequest {
                branch: None,
                period: Period::Week,
                chart: false
            }
        );
        assert_eq!(
            parse_request("chart qingshan season").unwrap(),
            StatsRequest {
                branch: Some("qingshan".into()),
                period: Period::Season,
                chart: true
            }
        );
        assert_eq!(parse_request("a b").unwrap_err(), "b");
    }
}
