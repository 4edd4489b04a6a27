//! Lessons and check-ins: a lesson as the messages a member receives, `/today`, `/me`,
//! `/pause`, `/resume`, the check-in button (with its points, the stage poster and the
//! lesson's questions), the next lesson's time, and the lesson, course-end and nudge
//! deliveries.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};

use super::posters::Posters;
use super::quizzes::Quizzes;
use super::ranks::Ranks;
use crate::channel::{AudioRef, Keyboard, Outbound};
use crate::content::markdown::escape_html;
use crate::content::{Course, Lesson, lesson_html};
use crate::conversation::ctx::Ctx;
use crate::conversation::{ConversationError, Replies, Result};
use crate::domain::points::PointsConfig;
use crate::domain::schedule::{local_day, next_lesson_at};
use crate::domain::streak::current_streak;
use crate::domain::{Locale, Member, MemberStatus};
use crate::i18n::I18n;
use crate::store::{Award, OutboxItem};
use crate::t;

/// Lessons and check-ins.
pub struct Lessons {
    ctx: Arc<Ctx>,
    points: Arc<PointsConfig>,
    /// A check-in asks the lesson's questions.
    quizzes: Arc<Quizzes>,
    /// A check-in that ends a stage makes a poster.
    posters: Arc<Posters>,
    /// `/me` shows points and titles.
    ranks: Arc<Ranks>,
}

impl Lessons {
    pub fn new(
        ctx: Arc<Ctx>,
        points: Arc<PointsConfig>,
        quizzes: Arc<Quizzes>,
        posters: Arc<Posters>,
        ranks: Arc<Ranks>,
    ) -> Self {
        Self {
            ctx,
            points,
            quizzes,
            posters,
            ranks,
        }
    }

    /// `/today`: the latest lesson again, or when the next one comes.
    pub async fn today(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let Some(a) = self.ctx.store.latest_assignment(member.id).await? else {
            let next = self.ctx.next_due(member).await?;
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "today-none",
                when = self.ctx.when_label(member, next)
            ))]);
        };
        let Some((course, lesson)) = self
            .ctx
            .library
            .course(&a.course)
            .and_then(|c| c.lesson_by_id(&a.lesson_id).map(|le| (c, le)))
        else {
            return Ok(self.ctx.reply(l, "lesson-gone"));
        };
        let checked = self
            .ctx
            .store
            .has_checkin(member.id, &a.course, &a.lesson_id)
            .await?;
        Ok(lesson_messages(&self.ctx.i18n, l, course, lesson, checked))
    }

    /// `/me`: the member's profile, progress, points and next lesson.
    pub async fn me(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        let days = self.ctx.store.lesson_days(member.id).await?;
        let streak = current_streak(&days, local_day(now, member.timezone));
        let mut lines = vec![t!(
            self.ctx.i18n,
            l,
            "me-header",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            branch = escape_html(&self.ctx.branch_label(member))
        )];
        for e in self.ctx.store.enrollments_of(member.id).await? {
            let Some(course) = self.ctx.library.course(&e.course) else {
                continue;
            };
            let progress = self.ctx.store.progress(member.id, &e.course).await?;
            lines.push(t!(
                self.ctx.i18n,
                l,
                "me-course",
                course = escape_html(course.title(l)),
                done = progress.checked_in,
                received = progress.assigned,
                total = course.lessons.len()
            ));
        }
        if let Some(since) = self.ctx.store.away_since(member.id).await? {
            lines.push(t!(
                self.ctx.i18n,
                l,
                "me-away",
                since = self.ctx.day_label(member, since)
            ));
        }
        lines.push(t!(
            self.ctx.i18n,
            l,
            "me-id",
            id = escape_html(&member.chat_id)
        ));
        lines.push(t!(self.ctx.i18n, l, "me-streak", streak = streak));
        lines.extend(self.ranks.points_lines(member).await?);
        lines.push(t!(
            self.ctx.i18n,
            l,
            "me-schedule",
            time = member.lesson_time.format("%H:%M").to_string(),
            tz = self.ctx.i18n.zone_name(l, member.timezone)
        ));
        if member.status == MemberStatus::Paused {
            lines.push(t!(self.ctx.i18n, l, "me-paused"));
        } else {
            let next = self.ctx.next_due(member).await?;
            lines.push(t!(
                self.ctx.i18n,
                l,
                "me-next",
                when = self.ctx.when_label(member, next)
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    /// Recomputes the next lesson time of the member's open enrollments after a change of
    /// time, zone or status. A member who already had today's lesson gets the next one on
    /// their next lesson day, not a second one today.
    pub async fn reschedule(&self, member: &Member) -> Result<Option<DateTime<Utc>>> {
        let now = self.ctx.now();
        let latest = self.ctx.store.latest_assignment(member.id).await?;
        let mut earliest = None;
        for e in self.ctx.store.enrollments_of(member.id).await? {
            if e.completed_at.is_some() {
                continue;
            }
            let Some(course) = self.ctx.library.course(&e.course) else {
                continue;
            };
            let mut after = now;
            if let Some(a) = latest.as_ref().filter(|a| a.course == e.course)
                && let Some(next_day) = a.day.succ_opt()
            {
                let start_of_next_day = crate::domain::schedule::local_to_utc(
                    member.timezone,
                    next_day.and_time(NaiveTime::MIN),
                );
                after = after.max(start_of_next_day - Duration::seconds(1));
            }
            let next = next_lesson_at(&course.schedule, member.lesson_time, member.timezone, after);
            self.ctx
                .store
                .set_next_due(member.id, &e.course, next)
                .await?;
            earliest = match (earliest, next) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
        }
        Ok(earliest)
    }

    /// The check-in button under a lesson.
    pub async fn checkin(
        &self,
        member: &Member,
        callback_id: &str,
        course_id: &str,
        lesson_id: &str,
        message_id: Option<&str>,
    ) -> Result<Replies> {
        let l = member.locale;
        let answer = |key: &str| Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text: Some(t!(self.ctx.i18n, l, key)),
        };
        let known = self
            .ctx
            .library
            .course(course_id)
            .and_then(|c| c.lesson_by_id(lesson_id))
            .is_some();
        if !known
            || !self
                .ctx
                .store
                .has_assignment(member.id, course_id, lesson_id)
                .await?
        {
            return Ok(vec![answer("button-expired")]);
        }
        let now = self.ctx.now();
        let new = self
            .ctx
            .store
            .record_checkin(member.id, course_id, lesson_id, now)
            .await?;
        if !new {
            return Ok(vec![answer("checkin-already")]);
        }
        let days = self.ctx.store.lesson_days(member.id).await?;
        let today = local_day(now, member.timezone);
        let streak = current_streak(&days, today);
        let rules = &self.points.rules;
        let mut awards = vec![Award {
            amount: rules.checkin,
            reason: "checkin",
            reference: format!("{course_id}:{lesson_id}"),
        }];
        let bonus = rules.streak_bonus_for(streak);
        if let Some(amount) = bonus {
            awards.push(Award {
                amount,
                reason: "streak",
                reference: format!("{streak}:{today}"),
            });
        }
        let earned = self.ctx.store.award(member.id, &awards, now).await?;
        // The confirmation is a message (it stays in the chat), so the button's answer is silent.
        let mut replies = vec![Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text: None,
        }];
        if let Some(message_id) = message_id {
            replies.push(Outbound::EditButtons {
                message_id: message_id.to_string(),
                buttons: checkin_keyboard(&self.ctx.i18n, l, course_id, lesson_id, true),
            });
        }
        let mut text = t!(
            self.ctx.i18n,
            l,
            "checkin-recorded",
            streak = streak,
            points = earned
        );
        if let Some(amount) = bonus {
            text.push('\n');
            text.push_str(&t!(
                self.ctx.i18n,
                l,
                "streak-bonus",
                streak = streak,
                points = amount
            ));
        }
        replies.push(Outbound::text(text));
        if let Some(course) = self.ctx.library.course(course_id) {
            replies.extend(self.posters.stage_check(member, course, lesson_id).await?);
            replies.extend(
                self.quizzes
                    .start_lesson_quiz(member, course, lesson_id)
                    .await?,
            );
        }
        Ok(replies)
    }

    /// A typed "学完了", "打卡" or "done": a check-in of the latest lesson given and not
    /// checked in yet, saying which one (nothing to check in: said so).
    pub async fn checkin_typed(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let Some((course_id, lesson_id)) = self.ctx.store.latest_unchecked(member.id).await? else {
            return Ok(self.ctx.reply(l, "typed-checkin-none"));
        };
        let title = self
            .ctx
            .library
            .course(&course_id)
            .and_then(|c| c.lesson_by_id(&lesson_id))
            .and_then(|lesson| lesson.versions.get(&l).or(lesson.versions.values().next()))
            .map(|v| v.title.clone())
            .unwrap_or_else(|| lesson_id.clone());
        let mut replies = vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "typed-checkin-which",
            lesson = escape_html(&title)
        ))];
        // No button was pressed: nothing to acknowledge.
        replies.extend(
            self.checkin(member, "", &course_id, &lesson_id, None)
                .await?
                .into_iter()
                .filter(|r| !matches!(r, Outbound::AnswerButton { .. })),
        );
        Ok(replies)
    }

    /// `/pause`: no lessons until `/resume`.
    pub async fn pause(&self, member: &mut Member) -> Result<Replies> {
        let l = member.locale;
        if member.status == MemberStatus::Paused {
            return Ok(self.ctx.reply(l, "pause-already"));
        }
        member.status = MemberStatus::Paused;
        self.ctx.save(member).await?;
        self.ctx
            .store
            .cancel_pending(member.id, "paused by the member")
            .await?;
        Ok(self.ctx.reply(l, "pause-done"))
    }

    /// `/resume`: lessons again, from the next lesson time on.
    pub async fn resume(&self, member: &mut Member) -> Result<Replies> {
        let l = member.locale;
        if member.status == MemberStatus::Active {
            return Ok(self.ctx.reply(l, "resume-already"));
        }
        member.status = MemberStatus::Active;
        self.ctx.save(member).await?;
        let next = self.reschedule(member).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "resume-done",
            when = self.ctx.when_label(member, next)
        ))])
    }

    /// Enrolls a member who finished onboarding in the course (an earlier enrollment keeps
    /// its place) and returns the time of their next lesson.
    pub async fn enroll(&self, member: &Member, course: &Course) -> Result<Option<DateTime<Utc>>> {
        let now = self.ctx.now();
        let next = next_lesson_at(&course.schedule, member.lesson_time, member.timezone, now);
        self.ctx
            .store
            .enroll(member.id, &course.id, next, now)
            .await?;
        // An earlier enrollment (onboarding again) keeps its place; make its time current.
        self.reschedule(member).await
    }

    /// The messages of a `lesson` delivery (reference `course:lesson`).
    pub async fn compose_lesson(&self, member: &Member, item: &OutboxItem) -> Result<Replies> {
        let bad = |problem: String| ConversationError::BadDelivery {
            id: item.id,
            problem,
        };
        let (course_id, lesson_id) = item.reference.split_once(':').ok_or_else(|| {
            bad(format!(
                "lesson reference {:?} is not course:lesson",
                item.reference
            ))
        })?;
        let course = self
            .ctx
            .library
            .course(course_id)
            .ok_or_else(|| bad(format!("course {course_id:?} is not loaded")))?;
        let lesson = course.lesson_by_id(lesson_id).ok_or_else(|| {
            bad(format!(
                "lesson {lesson_id:?} is not in course {course_id:?}"
            ))
        })?;
        Ok(lesson_messages(
            &self.ctx.i18n,
            member.locale,
            course,
            lesson,
            false,
        ))
    }

    /// The message of a `course-finished` delivery (reference: the course).
    pub fn compose_course_finished(&self, member: &Member, item: &OutboxItem) -> Result<Replies> {
        let course = self.ctx.library.course(&item.reference).ok_or_else(|| {
            ConversationError::BadDelivery {
                id: item.id,
                problem: format!("course {:?} is not loaded", item.reference),
            }
        })?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "course-finished",
            course = escape_html(course.title(member.locale))
        ))])
    }

    /// The message of a `nudge` delivery (after missed lessons).
    pub fn compose_nudge(&self, member: &Member) -> Replies {
        let text = match &self.ctx.settings.nudges.text {
            Some(text) => text.clone(),
            None => t!(
                self.ctx.i18n,
                member.locale,
                "nudge",
                name = escape_html(member.display_name.as_deref().unwrap_or_default())
            ),
        };
        vec![Outbound::text(text)]
    }
}

fn checkin_keyboard(
    i18n: &I18n,
    locale: Locale,
    course: &str,
    lesson: &str,
    done: bool,
) -> Keyboard {
    let label = if done {
        t!(i18n, locale, "checkin-done-button")
    } else {
        t!(i18n, locale, "checkin-button")
    };
    // At most 64 bytes: the id limits of `weike lessons check` guarantee it.
    let action = crate::conversation::action::Action::CheckIn {
        course: course.to_string(),
        lesson: lesson.to_string(),
    };
    vec![vec![action.button(label)]]
}

/// The messages of one lesson: the text (header, title, body) and the audio if the lesson
/// has one (without the channel's file id: sending adds the one the channel gave before).
/// The check-in button goes under the last message.
fn lesson_messages(
    i18n: &I18n,
    locale: Locale,
    course: &Course,
    lesson: &Lesson,
    checked_in: bool,
) -> Vec<Outbound> {
    let version = lesson.version(locale, course.default_locale);
    let header = t!(
        i18n,
        locale,
        "lesson-header",
        course = escape_html(course.title(locale)),
        seq = lesson.seq,
        total = course.lessons.len()
    );
    let html = lesson_html(&header, version);
    let keyboard = checkin_keyboard(i18n, locale, &course.id, &lesson.id, checked_in);
    match &version.audio {
        None => vec![Outbound::with_buttons(html, keyboard)],
        Some(audio) => vec![
            Outbound::text(html),
            Outbound::Audio {
                audio: AudioRef {
                    path: audio.path.clone(),
                    sha256: audio.sha256.clone(),
                    kind: audio.kind,
                    file_id: None,
                },
                caption_html: t!(
                    i18n,
                    locale,
                    "audio-caption",
                    title = escape_html(&version.title)
                ),
                buttons: keyboard,
            },
        ],
    }
}
