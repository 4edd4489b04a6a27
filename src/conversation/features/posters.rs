//! The learning poster (学习海报): when a member completes a stage of a course, the figures
//! of that moment are stored and a personal PNG poster is sent for sharing; `/poster`
//! renders the latest one again.

use std::sync::Arc;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::channel::Outbound;
use crate::content::Course;
use crate::content::markdown::escape_html;
use crate::conversation::ctx::Ctx;
use crate::conversation::{ConversationError, Replies, Result};
use crate::domain::outbox::OutboxKind;
use crate::domain::schedule::local_day;
use crate::domain::streak::current_streak;
use crate::domain::{Locale, Member};
use crate::poster::{PosterRenderer, PosterText, Script};
use crate::store::{NewDelivery, PosterRow};
use crate::t;

/// What a poster shows, as of the moment the stage was completed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PosterFigures {
    /// Lessons checked in.
    pub days: i64,
    pub streak: u32,
    pub points: i64,
    /// The member's local day of completion.
    pub date: NaiveDate,
}

/// Stage posters: stored when a stage is completed, rendered and sent, and `/poster`.
pub struct Posters {
    ctx: Arc<Ctx>,
    renderer: Arc<PosterRenderer>,
}

impl Posters {
    pub fn new(ctx: Arc<Ctx>, renderer: Arc<PosterRenderer>) -> Self {
        Self { ctx, renderer }
    }

    /// After a check-in: if the lesson ends a stage, stores the poster's figures, queues
    /// the poster and says so.
    pub async fn stage_check(
        &self,
        member: &Member,
        course: &Course,
        lesson_id: &str,
    ) -> Result<Replies> {
        let Some(stage) = course
            .lesson_by_id(lesson_id)
            .and_then(|l| course.stage_ending_at(l.seq))
        else {
            return Ok(Vec::new());
        };
        let now = self.ctx.now();
        let today = local_day(now, member.timezone);
        let days = self.ctx.store.lesson_days(member.id).await?;
        let figures = PosterFigures {
            days: self.ctx.store.checkin_count(member.id).await?,
            streak: current_streak(&days, today),
            points: self.ctx.store.points_of(member.id, None, None).await?,
            date: today,
        };
        let json = serde_json::to_string(&figures)
            .map_err(|e| ConversationError::Poster(e.to_string()))?;
        let stage_no = i64::from(stage.number);
        if !self
            .ctx
            .store
            .save_poster(member.id, &course.id, stage_no, &json, now)
            .await?
        {
            return Ok(Vec::new());
        }
        self.ctx
            .store
            .enqueue(
                &NewDelivery {
                    member_id: member.id,
                    kind: OutboxKind::Poster,
                    reference: format!("{}|{stage_no}", course.id),
                    dedup_key: OutboxKind::Poster
                        .dedup_key(format_args!("{}:{}:{stage_no}", member.id, course.id)),
                    due_at: now,
                },
                now,
            )
            .await?;
        let l = member.locale;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "stage-complete",
            stage = escape_html(&self.stage_title(course, stage.number, l))
        ))])
    }

    fn stage_title(&self, course: &Course, number: u32, l: Locale) -> String {
        course
            .stage(number)
            .and_then(|s| s.title(l).map(str::to_string))
            .unwrap_or_else(|| t!(self.ctx.i18n, l, "stage-number", number = number))
    }

    /// The messages of a `poster` delivery.
    pub async fn compose_poster(&self, member: &Member, reference: &str) -> Result<Replies> {
        let bad = |problem: String| ConversationError::Poster(problem);
        let (course, stage) = reference
            .split_once('|')
            .and_then(|(c, s)| Some((c, s.parse::<i64>().ok()?)))
            .ok_or_else(|| {
                bad(format!(
                    "poster reference {reference:?} is not course|stage"
                ))
            })?;
        match self.ctx.store.poster(member.id, course, stage).await? {
            Some(row) => Ok(vec![self.poster_message(member, &row).await?]),
            None => Ok(Vec::new()),
        }
    }

    /// `/poster`: the latest poster again.
    pub async fn resend_poster(&self, member: &Member) -> Result<Replies> {
        match self.ctx.store.latest_poster(member.id).await? {
            Some(row) => Ok(vec![self.poster_message(member, &row).await?]),
            None => Ok(self.ctx.reply(member.locale, "poster-none")),
        }
    }

    /// The poster's text in the member's language, from the stored figures.
    pub fn poster_text(&self, member: &Member, row: &PosterRow) -> Result<PosterText> {
        let l = member.locale;
        let figures: PosterFigures = serde_json::from_str(&row.figures_json)
            .map_err(|e| ConversationError::Poster(format!("stored poster figures: {e}")))?;
        let course = self.ctx.library.course(&row.course);
        let number = u32::try_from(row.stage).unwrap_or(0);
        let (course_title, stage_title, quote) = match course {
            Some(c) => {
                let quote = c
                    .stage(number)
                    .and_then(|s| c.lesson(s.last_seq))
                    .map(|lesson| lesson.version(l, c.default_locale).title.clone())
                    .unwrap_or_default();
                (
                    c.title(l).to_string(),
                    self.stage_title(c, number, l),
                    quote,
                )
            }
            None => (
                row.course.clone(),
                t!(self.ctx.i18n, l, "stage-number", number = number),
                String::new(),
            ),
        };
        Ok(PosterText {
            script: match l {
                Locale::ZhCn => Script::Simplified,
                Locale::ZhTw => Script::Traditional,
                Locale::En => Script::Latin,
            },
            title: t!(self.ctx.i18n, l, "poster-title"),
            display_name: member.display_name.clone().unwrap_or_default(),
            course_title,
            stage_title,
            figures: vec![
                (
                    t!(self.ctx.i18n, l, "poster-days"),
                    figures.days.to_string(),
                ),
                (
                    t!(self.ctx.i18n, l, "poster-streak"),
                    figures.streak.to_string(),
                ),
                (
                    t!(self.ctx.i18n, l, "poster-points"),
                    figures.points.to_string(),
                ),
            ],
            quote,
            branch: self.ctx.branch_label(member),
            date: t!(
                self.ctx.i18n,
                l,
                "poster-date",
                date = figures.date.format("%Y-%m-%d").to_string()
            ),
            footer: t!(self.ctx.i18n, l, "poster-footer"),
        })
    }

    async fn poster_message(&self, member: &Member, row: &PosterRow) -> Result<Outbound> {
        let text = self.poster_text(member, row)?;
        let renderer = self.renderer.clone();
        let png = tokio::task::spawn_blocking(move || renderer.render_png(&text))
            .await
            .map_err(|e| ConversationError::Poster(format!("poster rendering stopped: {e}")))?
            .map_err(|e| ConversationError::Poster(e.to_string()))?;
        Ok(Outbound::Photo {
            png: std::sync::Arc::new(png),
            file_name: format!("weike-{}-{}.png", row.course, row.stage),
            caption_html: t!(self.ctx.i18n, member.locale, "poster-caption"),
        })
    }
}
