//! Quizzes (云答题): a lesson's questions after its check-in, topic tests with a time
//! limit per question, spaced review of wrong answers, and the points they earn.

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use rand::seq::SliceRandom;

use super::admin::{Admin, AdminRequest};
use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::content::{Course, question_key};
use crate::conversation::command::Command;
use crate::conversation::ctx::{Ctx, Found};
use crate::conversation::{ConversationError, Replies, Result};
use crate::domain::Member;
use crate::domain::outbox::OutboxKind;
use crate::domain::points::PointsConfig;
use crate::domain::review::{ReviewStep, after_answer, pick_test_questions};
use crate::domain::schedule::{local_day, local_to_utc};
use crate::domain::streak::current_streak;
use crate::store::{Ask, Award, NewAsk, QuizTest};
use crate::t;

/// A test round's reference in the outbox: `course|topic|unix seconds` (topic empty: the
/// topic of the member's latest lesson).
pub fn test_reference(course: &str, topic: Option<&str>, at: DateTime<Utc>) -> String {
    format!("{course}|{}|{}", topic.unwrap_or_default(), at.timestamp())
}

fn parse_test_reference(reference: &str) -> Option<(&str, Option<&str>, i64)> {
    let mut parts = reference.splitn(3, '|');
    let course = parts.next()?;
    let topic = parts.next()?;
    let at = parts.next()?.parse().ok()?;
    Some((course, (!topic.is_empty()).then_some(topic), at))
}

/// Quizzes: a lesson's questions, topic tests (scheduled or by `/quiztest`), review, and
/// the answers' points.
pub struct Quizzes {
    ctx: Arc<Ctx>,
    points: Arc<PointsConfig>,
    admin: Arc<Admin>,
}

impl Quizzes {
    pub fn new(ctx: Arc<Ctx>, points: Arc<PointsConfig>, admin: Arc<Admin>) -> Self {
        Self { ctx, points, admin }
    }

    /// Queues a lesson's questions after its check-in and asks the first.
    pub async fn start_lesson_quiz(
        &self,
        member: &Member,
        course: &Course,
        lesson_id: &str,
    ) -> Result<Replies> {
        let Some(lesson) = course.lesson_by_id(lesson_id) else {
            return Ok(Vec::new());
        };
        let keys = course.question_keys(lesson);
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        self.ctx.store.queue_lesson_asks(member.id, &keys).await?;
        let prefix = question_key(&course.id, lesson_id, "");
        Ok(self
            .ask_next(member, None, &prefix)
            .await?
            .into_iter()
            .collect())
    }

    /// Puts the next question of a test (or of a lesson: keys starting with `prefix`) to
    /// the member. None when there is none left.
    async fn ask_next(
        &self,
        member: &Member,
        test: Option<&QuizTest>,
        prefix: &str,
    ) -> Result<Option<Outbound>> {
        let now = self.ctx.now();
        loop {
            let Some(ask) = self
                .ctx
                .store
                .next_unasked(member.id, test.map(|t| t.id), prefix)
                .await?
            else {
                return Ok(None);
            };
            let Some(found) = self.ctx.library.question(&ask.question_key, member.locale) else {
                // The question was removed from the lessons: skip it.
                self.ctx.store.skip_ask(ask.id, now).await?;
                continue;
            };
            let closes_at = test.map(|t| now + Duration::seconds(t.seconds));
            self.ctx.store.mark_asked(ask.id, now, closes_at).await?;
            let q = found.question;
            let question = match test {
                Some(t) => {
                    // A review question from another topic is labelled as review, as in a
                    // lesson's quiz.
                    let other_topic =
                        found.course.topic_of(&found.lesson.id).map(|x| &x.id) != Some(&t.topic);
                    let key = if ask.review && other_topic {
                        "quiz-test-review-question"
                    } else {
                        "quiz-test-question"
                    };
                    t!(
                        self.ctx.i18n,
                        member.locale,
                        key,
                        n = ask.position + 1,
                        total = t.asked,
                        question = q.question.clone()
                    )
                }
                None if ask.review => t!(
                    self.ctx.i18n,
                    member.locale,
                    "quiz-review-question",
                    question = q.question.clone()
                ),
                None => q.question.clone(),
            };
            return Ok(Some(Outbound::Quiz {
                ask_id: ask.id,
                question,
                options: q.options.clone(),
                correct: q.answer,
                explanation: q.explanation.clone(),
                open_seconds: test.map(|t| t.seconds as u32),
            }));
        }
    }

    /// A member's answer to a quiz.
    pub async fn poll_answer(
        &self,
        member: &Member,
        poll_id: &str,
        option: Option<usize>,
    ) -> Result<Replies> {
        let l = member.locale;
        let Some(option) = option else {
            // A withdrawn vote (regular polls only): nothing to do.
            return Ok(Vec::new());
        };
        let ask = self.ctx.store.ask_by_poll(poll_id).await?;
        let Some(ask) = ask.filter(|a| a.member_id == member.id) else {
            return Ok(self.ctx.reply(l, "quiz-unknown"));
        };
        self.answer(member, ask, option).await
    }

    /// A typed number (1-based) when no step of a dialog is open: the answer to the
    /// question put to the member last, if one is still open (None: no question is).
    pub async fn typed_answer(&self, member: &Member, number: u32) -> Result<Option<Replies>> {
        let Some(ask) = self.ctx.store.open_ask(member.id, self.ctx.now()).await? else {
            return Ok(None);
        };
        let l = member.locale;
        let options = self
            .ctx
            .library
            .question(&ask.question_key, l)
            .map_or(0, |found| found.question.options.len());
        let option = number as usize - 1;
        if option >= options {
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "quiz-pick-number",
                count = options
            ))]));
        }
        Ok(Some(self.answer(member, ask, option).await?))
    }

    /// Records `option` (0-based) as the answer to `ask`, with the verdict, the points and
    /// what follows (the next question, a test's result, or the day's close).
    async fn answer(&self, member: &Member, ask: Ask, option: usize) -> Result<Replies> {
        let l = member.locale;
        let Some(found) = self.ctx.library.question(&ask.question_key, l) else {
            return Ok(self.ctx.reply(l, "quiz-unknown"));
        };
        let q = found.question;
        if option >= q.options.len() {
            return Ok(self.ctx.reply(l, "quiz-unknown"));
        }
        let now = self.ctx.now();
        let correct = option == q.answer;
        if !self
            .ctx
            .store
            .record_answer(ask.id, option as i64, correct, now)
            .await?
        {
            let key = if ask.outcome == "answered" {
                "quiz-already-answered"
            } else {
                "quiz-closed"
            };
            return Ok(self.ctx.reply(l, key));
        }
        self.update_review(member, &ask, correct).await?;
        let mut earned = 0;
        if correct && ask.test_id.is_none() {
            let award = Award {
                amount: self.points.rules.correct_answer,
                reason: "answer",
                reference: format!("ask:{}", ask.id),
            };
            earned = self.ctx.store.award(member.id, &[award], now).await?;
        }
        let verdict = if correct && ask.test_id.is_some() {
            // A test's points come with its result.
            t!(self.ctx.i18n, l, "quiz-right-in-test")
        } else if correct {
            t!(self.ctx.i18n, l, "quiz-right", points = earned)
        } else {
            t!(
                self.ctx.i18n,
                l,
                "quiz-wrong",
                answer = escape_html(&q.options[q.answer])
            )
        };
        let mut text = verdict;
        if !q.explanation.is_empty() {
            text.push_str("\n\n");
            text.push_str(&escape_html(&q.explanation));
        }
        let mut replies = vec![Outbound::text(text)];
        replies.extend(self.continue_after(member, &ask).await?);
        Ok(replies)
    }

    /// What follows an answered or expired question: the next one, or a test's results.
    async fn continue_after(&self, member: &Member, ask: &Ask) -> Result<Replies> {
        match ask.test_id {
            Some(test_id) => {
                let Some(test) = self.ctx.store.test(test_id).await? else {
                    return Ok(Vec::new());
                };
                if test.finished_at.is_some() {
                    return Ok(Vec::new());
                }
                match self.ask_next(member, Some(&test), "").await? {
                    Some(next) => Ok(vec![next]),
                    None => self.finish_test(member, &test).await,
                }
            }
            None => {
                // The rest of the same lesson's questions, else the day's close.
                let prefix = match ask.question_key.rsplit_once(':') {
                    Some((lesson, _)) => format!("{lesson}:"),
                    None => return Ok(Vec::new()),
                };
                match self.ask_next(member, None, &prefix).await? {
                    Some(next) => Ok(vec![next]),
                    None => Ok(vec![self.close_of_day(member).await?]),
                }
            }
        }
    }

    /// The message after the last question of a lesson: the day is done, with the points
    /// earned today, the streak, and when the next lesson comes.
    async fn close_of_day(&self, member: &Member) -> Result<Outbound> {
        let now = self.ctx.now();
        let today = local_day(now, member.timezone);
        let midnight = local_to_utc(member.timezone, today.and_time(NaiveTime::MIN));
        let points = self
            .ctx
            .store
            .points_of(member.id, Some(midnight), None)
            .await?;
        let days = self.ctx.store.lesson_days(member.id).await?;
        let streak = current_streak(&days, today);
        let next = self.ctx.next_due(member).await?;
        Ok(Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "day-closed",
            points = points,
            streak = streak,
            when = self.ctx.when_label(member, next)
        )))
    }

    /// Puts a question under review after a wrong answer (or one whose time ran out), or
    /// moves it along or off the review after a right one.
    pub async fn update_review(&self, member: &Member, ask: &Ask, correct: bool) -> Result<()> {
        let level = self
            .ctx
            .store
            .review_level(member.id, &ask.question_key)
            .await?
            .map(|l| u32::try_from(l).unwrap_or(0));
        match after_answer(level, correct, self.ctx.now()) {
            None => {}
            Some(ReviewStep::Done) => {
                self.ctx
                    .store
                    .clear_review(member.id, &ask.question_key)
                    .await?
            }
            Some(ReviewStep::Again { level, due }) => {
                self.ctx
                    .store
                    .set_review(member.id, &ask.question_key, i64::from(level), due)
                    .await?
            }
        }
        Ok(())
    }

    async fn finish_test(&self, member: &Member, test: &QuizTest) -> Result<Replies> {
        let l = member.locale;
        let now = self.ctx.now();
        let rules = self.points.rules.clone();
        let Some(done) = self
            .ctx
            .store
            .finish_test(
                test.id,
                |correct, asked| {
                    rules.test_points(
                        u32::try_from(correct).unwrap_or(0),
                        u32::try_from(asked).unwrap_or(0),
                    )
                },
                now,
            )
            .await?
        else {
            return Ok(Vec::new());
        };
        let correct = done.correct.unwrap_or(0);
        let award = Award {
            amount: done.points.unwrap_or(0),
            reason: "test",
            reference: format!("test:{}", done.id),
        };
        let points = self.ctx.store.award(member.id, &[award], now).await?;
        let (rank, of) = self
            .ctx
            .store
            .test_rank_in_branch(&done.round, member.branch_id.as_deref(), correct)
            .await?;
        let topic = self
            .ctx
            .library
            .course(&done.course)
            .and_then(|c| c.topic(&done.topic))
            .map(|t| t.title(l).to_string())
            .unwrap_or_else(|| done.topic.clone());
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "quiz-test-result",
            topic = escape_html(&topic),
            correct = correct,
            total = done.asked,
            points = points,
            rank = rank,
            of = of
        ))])
    }

    /// Starts a topic test for a member: `topic`, or the topic of their latest lesson.
    /// Questions come from the lessons of the topic the member has received, with due
    /// review questions of the course first. Nothing is sent if the member has received no
    /// lesson of the topic, has no questions yet, or already has this round's test.
    async fn start_test(
        &self,
        member: &Member,
        course: &Course,
        topic: Option<&str>,
        at: i64,
    ) -> Result<Replies> {
        let Some(settings) = &course.test else {
            return Ok(Vec::new());
        };
        let topic = match topic {
            Some(t) => course.topic(t),
            None => match self.ctx.store.latest_assignment(member.id).await? {
                Some(a) if a.course == course.id => course.topic_of(&a.lesson_id),
                _ => None,
            },
        };
        let Some(topic) = topic else {
            return Ok(Vec::new());
        };
        let mut pool = Vec::new();
        let mut received_any = false;
        for lesson_id in &topic.lessons {
            if !self
                .ctx
                .store
                .has_assignment(member.id, &course.id, lesson_id)
                .await?
            {
                continue;
            }
            received_any = true;
            if let Some(lesson) = course.lesson_by_id(lesson_id) {
                pool.extend(course.question_keys(lesson));
            }
        }
        // Not a test of the topic for someone who has not learned any of it (`/quiztest`
        // counts the members it reaches the same way: `Store::members_given_any`).
        if !received_any {
            return Ok(Vec::new());
        }
        pool.shuffle(&mut rand::rng());
        let now = self.ctx.now();
        let count = settings.questions as usize;
        let reviews = self
            .ctx
            .store
            .due_reviews(member.id, &format!("{}:", course.id), now, count as i64)
            .await?;
        let picked = pick_test_questions(&reviews, &pool, count);
        if picked.is_empty() {
            return Ok(Vec::new());
        }
        let asks: Vec<NewAsk> = picked
            .iter()
            .map(|k| NewAsk {
                question_key: k.clone(),
                review: reviews.contains(k),
            })
            .collect();
        let round = format!("{}|{}|{at}", course.id, topic.id);
        let Some(test_id) = self
            .ctx
            .store
            .create_test(
                member.id,
                &course.id,
                &topic.id,
                &round,
                i64::from(settings.seconds_per_question),
                &asks,
                now,
            )
            .await?
        else {
            return Ok(Vec::new());
        };
        let Some(test) = self.ctx.store.test(test_id).await? else {
            return Ok(Vec::new());
        };
        let mut replies = vec![Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "quiz-test-intro",
            topic = escape_html(topic.title(member.locale)),
            count = asks.len(),
            seconds = settings.seconds_per_question
        ))];
        replies.extend(self.ask_next(member, Some(&test), "").await?);
        Ok(replies)
    }

    /// The messages of a `quiz-test` delivery.
    pub async fn compose_test(&self, member: &Member, reference: &str) -> Result<Replies> {
        let Some((course_id, topic, at)) = parse_test_reference(reference) else {
            return Err(ConversationError::BadDelivery {
                id: 0,
                problem: format!("test reference {reference:?} is not course|topic|time"),
            });
        };
        let Some(course) = self.ctx.library.course(course_id) else {
            return Ok(Vec::new());
        };
        self.start_test(member, course, topic, at).await
    }

    /// The messages of a `quiz-next` delivery: after a question's time ran out, the next
    /// question of the test, or its results.
    pub async fn compose_next(&self, member: &Member, reference: &str) -> Result<Replies> {
        let Some(test) = (match reference.parse::<i64>() {
            Ok(id) => self.ctx.store.test(id).await?,
            Err(_) => None,
        }) else {
            return Ok(Vec::new());
        };
        if test.member_id != member.id || test.finished_at.is_some() {
            return Ok(Vec::new());
        }
        let mut replies = self.ctx.reply(member.locale, "quiz-timeout");
        match self.ask_next(member, Some(&test), "").await? {
            Some(next) => replies.push(next),
            None => replies.extend(self.finish_test(member, &test).await?),
        }
        Ok(replies)
    }

    /// `/quiztest TOPIC [BRANCH]`: a topic test now, for the members of a branch subtree
    /// (a branch admin's own branch by default) or of the whole organization.
    pub async fn send_topic_test(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (member, authority, args) = (request.member, request.authority, request.args);
        let l = member.locale;
        let Some(course) = self.ctx.course() else {
            return Ok(self.ctx.reply(l, "lesson-gone"));
        };
        let parts: Vec<&str> = args.split_whitespace().collect();
        let topics = course
            .topics
            .iter()
            .map(|t| format!("{} ({})", t.id, t.title(l)))
            .collect::<Vec<_>>()
            .join(", ");
        let (topic, branch) = match parts.as_slice() {
            [topic] => (*topic, None),
            [topic, branch] => (*topic, Some(*branch)),
            _ => {
                return Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "quiztest-usage",
                    topics = escape_html(&topics)
                ))]);
            }
        };
        // Names for ids: "防骗" for the topic, "柳村" for the branch.
        let topic = match self.ctx.find_topic(topic) {
            Found::One(id) => id,
            Found::Many(ids) => {
                let choices = ids
                    .into_iter()
                    .filter_map(|id| course.topic(&id).map(|t| (t.title(l).to_string(), id)))
                    .collect();
                return Ok(self
                    .ctx
                    .choose(member, Command::QuizTest, args, topic, choices));
            }
            Found::None => topic.to_string(),
        };
        let topic = topic.as_str();
        let branch = match branch.map(|b| (b, self.ctx.find_branch(b))) {
            Some((_, Found::One(id))) => Some(id),
            Some((b, Found::Many(ids))) => {
                return Ok(self
                    .ctx
                    .choose_branch(member, Command::QuizTest, args, b, ids));
            }
            Some((b, Found::None)) => Some(b.to_string()),
            None => None,
        };
        let branch = branch.as_deref();
        if course.test.is_none() || course.topic(topic).is_none() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "quiztest-unknown-topic",
                topic = escape_html(topic),
                topics = escape_html(&topics)
            ))]);
        }
        let branch = match branch {
            Some(b) if self.ctx.tree().get(b).is_none() => {
                return Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "branch-unknown-id",
                    branch = escape_excerpt(b)
                ))]);
            }
            Some(b) => Some(b.to_string()),
            None if authority.whole_organization() => None,
            None => authority.branches.first().cloned(),
        };
        if let Some(b) = &branch
            && !self.admin.reaches(authority, b)
        {
            return self.admin.out_of_scope(request).await;
        }
        let now = self.ctx.now();
        let subtree = branch.as_deref().map(|b| self.ctx.tree().subtree(b));
        let scope = match &branch {
            Some(b) => self.ctx.tree().path(b, l),
            None => t!(self.ctx.i18n, l, "rank-organization"),
        };
        let title = course.topic(topic).map(|t| t.title(l)).unwrap_or(topic);
        // Only members who were given a lesson of the topic get its test: say so when
        // nobody in scope was, instead of sending it to nobody.
        let lessons = course
            .topic(topic)
            .map(|t| t.lessons.clone())
            .unwrap_or_default();
        let reached = self
            .ctx
            .store
            .members_given_any(&course.id, subtree.as_deref(), &lessons)
            .await?;
        if reached == 0 {
            self.admin
                .request_done(request, "nobody reached, not sent")
                .await?;
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "quiztest-nobody",
                topic = escape_html(title),
                scope = escape_html(&scope)
            ))]);
        }
        let reference = test_reference(&course.id, Some(topic), now);
        let queued = self
            .ctx
            .store
            .enqueue_for_course(
                &course.id,
                subtree.as_deref(),
                OutboxKind::QuizTest,
                &reference,
                &OutboxKind::QuizTest.dedup_key(format_args!("{reference}:")),
                now,
                now,
            )
            .await?;
        self.admin
            .request_done(request, &format!("{queued} queued, {reached} reached"))
            .await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "quiztest-queued",
            topic = escape_html(title),
            scope = escape_html(&scope),
            // Those who get questions (the others' deliveries compose nothing).
            count = reached.min(i64::try_from(queued).unwrap_or(i64::MAX))
        ))])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn test_references_round_trip() {
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        let r = test_reference("safety", Some("fraud"), at);
        assert_eq!(
            parse_test_reference(&r),
            Some(("safety", Some("fraud"), at.timestamp()))
        );
        let r = test_reference("safety", None, at);
        assert_eq!(
            parse_test_reference(&r),
            Some(("safety", None, at.timestamp()))
        );
        assert_eq!(parse_test_reference("safety|x"), None);
        assert_eq!(parse_test_reference("safety|x|soon"), None);
    }
}
