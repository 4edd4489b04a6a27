//! Quizzes (云答题): a lesson's questions after its check-in, topic tests with a time
//! limit per question, spaced review of wrong answers, and the points they earn.

use chrono::{DateTime, Duration, Utc};
use rand::seq::SliceRandom;

use super::{Conversation, Replies, Result};
use crate::channel::Outbound;
use crate::content::markdown::escape_html;
use crate::content::{Course, question_key};
use crate::domain::Member;
use crate::domain::outbox::OutboxKind;
use crate::domain::review::{ReviewStep, after_answer, pick_test_questions};
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

impl Conversation {
    /// Queues a lesson's questions after its check-in and asks the first.
    pub(super) async fn start_lesson_quiz(
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
        self.store.queue_lesson_asks(member.id, &keys).await?;
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
        let now = self.now();
        loop {
            let Some(ask) = self
                .store
                .next_unasked(member.id, test.map(|t| t.id), prefix)
                .await?
            else {
                return Ok(None);
            };
            let Some(found) = self.library.question(&ask.question_key, member.locale) else {
                // The question was removed from the lessons: skip it.
                self.store.skip_ask(ask.id, now).await?;
                continue;
            };
            let closes_at = test.map(|t| now + Duration::seconds(t.seconds));
            self.store.mark_asked(ask.id, now, closes_at).await?;
            let q = found.question;
            let question = match test {
                Some(t) => t!(
                    self.i18n,
                    member.locale,
                    "quiz-test-question",
                    n = ask.position + 1,
                    total = t.asked,
                    question = q.question.clone()
                ),
                None if ask.review => t!(
                    self.i18n,
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
    pub(super) async fn poll_answer(
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
        let ask = self.store.ask_by_poll(poll_id).await?;
        let Some(ask) = ask.filter(|a| a.member_id == member.id) else {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "quiz-unknown"))]);
        };
        let Some(found) = self.library.question(&ask.question_key, l) else {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "quiz-unknown"))]);
        };
        let q = found.question;
        if option >= q.options.len() {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "quiz-unknown"))]);
        }
        let now = self.now();
        let correct = option == q.answer;
        if !self
            .store
            .record_answer(ask.id, option as i64, correct, now)
            .await?
        {
            let key = if ask.outcome == "answered" {
                "quiz-already-answered"
            } else {
                "quiz-closed"
            };
            return Ok(vec![Outbound::text(t!(self.i18n, l, key))]);
        }
        self.update_review(member, &ask, correct).await?;
        let mut earned = 0;
        if correct && ask.test_id.is_none() {
            earned = self
                .store
                .award(
                    member.id,
                    &[Award {
                        amount: self.points.rules.correct_answer,
                        reason: "answer",
                        reference: format!("ask:{}", ask.id),
                    }],
                    now,
                )
                .await?;
        }
        let verdict = if correct && ask.test_id.is_some() {
            // A test's points come with its result.
            t!(self.i18n, l, "quiz-right-in-test")
        } else if correct {
            t!(self.i18n, l, "quiz-right", points = earned)
        } else {
            t!(
                self.i18n,
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
                let Some(test) = self.store.test(test_id).await? else {
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
                // The rest of the same lesson's questions.
                let prefix = match ask.question_key.rsplit_once(':') {
                    Some((lesson, _)) => format!("{lesson}:"),
                    None => return Ok(Vec::new()),
                };
                Ok(self
                    .ask_next(member, None, &prefix)
                    .await?
                    .into_iter()
                    .collect())
            }
        }
    }

    async fn update_review(&self, member: &Member, ask: &Ask, correct: bool) -> Result<()> {
        let level = self
            .store
            .review_level(member.id, &ask.question_key)
            .await?
            .map(|l| u32::try_from(l).unwrap_or(0));
        match after_answer(level, correct, self.now()) {
            None => {}
            Some(ReviewStep::Done) => {
                self.store
                    .clear_review(member.id, &ask.question_key)
                    .await?
            }
            Some(ReviewStep::Again { level, due }) => {
                self.store
                    .set_review(member.id, &ask.question_key, i64::from(level), due)
                    .await?
            }
        }
        Ok(())
    }

    async fn finish_test(&self, member: &Member, test: &QuizTest) -> Result<Replies> {
        let l = member.locale;
        let now = self.now();
        let rules = self.points.rules.clone();
        let Some(done) = self
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
        let points = self
            .store
            .award(
                member.id,
                &[Award {
                    amount: done.points.unwrap_or(0),
                    reason: "test",
                    reference: format!("test:{}", done.id),
                }],
                now,
            )
            .await?;
        let (rank, of) = self
            .store
            .test_rank_in_branch(&done.round, member.branch_id.as_deref(), correct)
            .await?;
        let topic = self
            .library
            .course(&done.course)
            .and_then(|c| c.topic(&done.topic))
            .map(|t| t.title(l).to_string())
            .unwrap_or_else(|| done.topic.clone());
        Ok(vec![Outbound::text(t!(
            self.i18n,
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
    /// review questions of the course first. Nothing is sent if the member has no
    /// questions yet, or already has this round's test.
    pub(super) async fn start_test(
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
            None => match self.store.latest_assignment(member.id).await? {
                Some(a) if a.course == course.id => course.topic_of(&a.lesson_id),
                _ => None,
            },
        };
        let Some(topic) = topic else {
            return Ok(Vec::new());
        };
        let mut pool = Vec::new();
        for lesson_id in &topic.lessons {
            if !self
                .store
                .has_assignment(member.id, &course.id, lesson_id)
                .await?
            {
                continue;
            }
            if let Some(lesson) = course.lesson_by_id(lesson_id) {
                pool.extend(course.question_keys(lesson));
            }
        }
        pool.shuffle(&mut rand::rng());
        let now = self.now();
        let count = settings.questions as usize;
        let reviews = self
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
        let Some(test) = self.store.test(test_id).await? else {
            return Ok(Vec::new());
        };
        let mut replies = vec![Outbound::text(t!(
            self.i18n,
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
    pub(super) async fn compose_test(&self, member: &Member, reference: &str) -> Result<Replies> {
        let Some((course_id, topic, at)) = parse_test_reference(reference) else {
            return Err(super::ConversationError::BadDelivery {
                id: 0,
                problem: format!("test reference {reference:?} is not course|topic|time"),
            });
        };
        let Some(course) = self.library.course(course_id) else {
            return Ok(Vec::new());
        };
        self.start_test(member, course, topic, at).await
    }

    /// The messages of a `quiz-next` delivery: after a question's time ran out, the next
    /// question of the test, or its results.
    pub(super) async fn compose_next(&self, member: &Member, reference: &str) -> Result<Replies> {
        let Some(test) = (match reference.parse::<i64>() {
            Ok(id) => self.store.test(id).await?,
            Err(_) => None,
        }) else {
            return Ok(Vec::new());
        };
        if test.member_id != member.id || test.finished_at.is_some() {
            return Ok(Vec::new());
        }
        let mut replies = vec![Outbound::text(t!(self.i18n, member.locale, "quiz-timeout"))];
        match self.ask_next(member, Some(&test), "").await? {
            Some(next) => replies.push(next),
            None => replies.extend(self.finish_test(member, &test).await?),
        }
        Ok(replies)
    }

    /// Closes questions whose time ran out (counted wrong, and put under review) and queues
    /// what follows them. Returns how many were closed.
    pub async fn expire_questions(&self) -> Result<u64> {
        let now = self.now();
        let expired = self.store.expire_asks(now).await?;
        for ask in &expired {
            if let Some(member) = self.store.member(ask.member_id).await? {
                self.update_review(&member, ask, false).await?;
            }
            if let Some(test_id) = ask.test_id {
                self.store
                    .enqueue(
                        &crate::store::NewDelivery {
                            member_id: ask.member_id,
                            kind: OutboxKind::QuizNext,
                            reference: test_id.to_string(),
                            dedup_key: OutboxKind::QuizNext.dedup_key(ask.id),
                            due_at: now,
                        },
                        now,
                    )
                    .await?;
            }
        }
        Ok(expired.len() as u64)
    }

    /// Queues the scheduled topic tests whose time has come (once per course and time;
    /// a time missed by more than `grace` is skipped). Returns how many were queued.
    pub async fn schedule_tests(&self, grace: Duration) -> Result<u64> {
        let now = self.now();
        let mut queued = 0;
        for course in &self.library.courses {
            let Some(settings) = &course.test else {
                continue;
            };
            let key = format!("tests.{}.last", course.id);
            let last = self
                .store
                .state(&key)
                .await?
                .and_then(|v| DateTime::parse_from_rfc3339(&v).ok())
                .map(|t| t.with_timezone(&Utc));
            let since = last.unwrap_or(now - grace).max(now - grace);
            let Some(at) = settings.latest_at_or_before(now, since) else {
                continue;
            };
            if last.is_some_and(|l| at <= l) {
                continue;
            }
            let reference = test_reference(&course.id, None, at);
            queued += self
                .store
                .enqueue_for_course(
                    &course.id,
                    None,
                    OutboxKind::QuizTest,
                    &reference,
                    &OutboxKind::QuizTest.dedup_key(format_args!("{reference}:")),
                    at,
                    now,
                )
                .await?;
            self.store.set_state(&key, &at.to_rfc3339()).await?;
            tracing::info!(course = %course.id, at = %at, queued, "topic tests queued");
        }
        Ok(queued)
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
