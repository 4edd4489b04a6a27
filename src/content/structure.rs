//! A course's structure beyond its lessons, from `course.toml`: stages (a learning poster
//! after each), topics (专题, the question pools of topic tests) and the test schedule.
//!
//! ```toml
//! stage_size = 5                 # a stage every 5 lessons, or list them:
//! [[stage]]
//! last = "choking"               # the stage's last lesson
//! title = { zh-CN = "第一阶段：出行与防骗", en = "Stage 1: Getting around" }
//!
//! [[topic]]
//! id = "fraud"
//! lessons = ["telecom-fraud", "elderly-fraud", "personal-info"]
//! title = { zh-CN = "防骗", zh-TW = "防騙", en = "Fraud" }
//!
//! [test]                         # topic tests
//! schedule = "0 0 20 * * Sun"    # cron: sec min hour day-of-month month day-of-week
//! timezone = "Asia/Shanghai"
//! questions = 5                  # per test
//! seconds_per_question = 60      # 10 to 600 (Telegram's open_period)
//! ```

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use toml::Spanned;

use super::{FileErrors, Lesson, quote};
use crate::domain::Locale;
use crate::domain::schedule::parse_time_zone;

/// A run of lessons that ends with a poster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stage {
    /// 1-based.
    pub number: u32,
    pub first_seq: u32,
    pub last_seq: u32,
    /// Empty: the stage is called by its number.
    pub titles: BTreeMap<Locale, String>,
}

impl Stage {
    pub fn title(&self, locale: Locale) -> Option<&str> {
        self.titles
            .get(&locale)
            .or_else(|| self.titles.values().next())
            .map(String::as_str)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: String,
    pub titles: BTreeMap<Locale, String>,
    /// Lesson ids, in course order.
    pub lessons: Vec<String>,
}

impl Topic {
    pub fn title(&self, locale: Locale) -> &str {
        self.titles
            .get(&locale)
            .or_else(|| self.titles.values().next())
            .map(String::as_str)
            .unwrap_or(&self.id)
    }
}

#[derive(Debug, Clone)]
pub struct TestSettings {
    pub schedule: cron::Schedule,
    pub timezone: Tz,
    pub questions: u32,
    pub seconds_per_question: u32,
}

impl TestSettings {
    pub const MIN_SECONDS: u32 = 10;
    pub const MAX_SECONDS: u32 = 600;
    pub const MAX_QUESTIONS: u32 = 20;

    /// The latest scheduled test time at or before `now`, not earlier than `since`.
    pub fn latest_at_or_before(
        &self,
        now: DateTime<Utc>,
        since: DateTime<Utc>,
    ) -> Option<DateTime<Utc>> {
        let mut latest = None;
        for t in self.schedule.after(&since.with_timezone(&self.timezone)) {
            let t = t.with_timezone(&Utc);
            if t > now {
                break;
            }
            latest = Some(t);
        }
        latest
    }

    /// The next scheduled test time after `now`.
    pub fn next_after(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.schedule
            .after(&now.with_timezone(&self.timezone))
            .next()
            .map(|t| t.with_timezone(&Utc))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct StageFile {
    last: Spanned<String>,
    #[serde(default)]
    title: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TopicFile {
    id: Spanned<String>,
    lessons: Spanned<Vec<String>>,
    #[serde(default)]
    title: BTreeMap<String, Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TestFile {
    schedule: Spanned<String>,
    #[serde(default)]
    timezone: Option<Spanned<String>>,
    #[serde(default)]
    questions: Option<Spanned<i64>>,
    #[serde(default)]
    seconds_per_question: Option<Spanned<i64>>,
}

fn localized(
    fe: &mut FileErrors<'_>,
    what: &str,
    map: &BTreeMap<String, Spanned<String>>,
) -> BTreeMap<Locale, String> {
    let mut out = BTreeMap::new();
    for (code, text) in map {
        match Locale::from_code(code) {
            Some(_) if text.get_ref().trim().is_empty() => fe.at(
                text.span().start,
                format!("{what}: the {code} title is empty"),
            ),
            Some(_) if text.get_ref().chars().count() > 60 => fe.at(
                text.span().start,
                format!("{what}: the {code} title is longer than 60 characters"),
            ),
            Some(l) => {
                out.insert(l, text.get_ref().trim().to_string());
            }
            None => fe.at(
                text.span().start,
                format!(
                    "{what}: unknown locale {} in title: use zh-CN, zh-TW or en",
                    quote(code)
                ),
            ),
        }
    }
    out
}

pub(super) fn stages(
    fe: &mut FileErrors<'_>,
    stage_size: Option<&Spanned<i64>>,
    listed: &[Spanned<StageFile>],
    lessons: &[Lesson],
) -> Vec<Stage> {
    let count = lessons.len() as u32;
    if let Some(size) = stage_size {
        if !listed.is_empty() {
            fe.at(
                size.span().start,
                "use either stage_size or [[stage]] entries, not both",
            );
            return Vec::new();
        }
        let n = *size.get_ref();
        if n < 1 || n > i64::from(count.max(1)) {
            fe.at(
                size.span().start,
                format!("stage_size = {n}: use 1 to the number of lessons ({count})"),
            );
            return Vec::new();
        }
        let n = n as u32;
        return (0..count.div_ceil(n))
            .map(|i| Stage {
                number: i + 1,
                first_seq: i * n + 1,
                last_seq: ((i + 1) * n).min(count),
                titles: BTreeMap::new(),
            })
            .collect();
    }
    let mut out: Vec<Stage> = Vec::new();
    for (i, s) in listed.iter().enumerate() {
        let s_ref = s.get_ref();
        let what = format!("stage {}", i + 1);
        let titles = localized(fe, &what, &s_ref.title);
        let Some(lesson) = lessons.iter().find(|l| l.id == *s_ref.last.get_ref()) else {
            fe.at(
                s_ref.last.span().start,
                format!("{what}: no lesson with id {}", quote(s_ref.last.get_ref())),
            );
            continue;
        };
        let first_seq = out.last().map_or(1, |p| p.last_seq + 1);
        if lesson.seq < first_seq {
            fe.at(
                s_ref.last.span().start,
                format!(
                    "{what}: lesson {:?} is not after the previous stage's last lesson; list stages in course order",
                    lesson.id
                ),
            );
            continue;
        }
        out.push(Stage {
            number: i as u32 + 1,
            first_seq,
            last_seq: lesson.seq,
            titles,
        });
    }
    out
}

pub(super) fn topics(
    fe: &mut FileErrors<'_>,
    listed: &[Spanned<TopicFile>],
    lessons: &[Lesson],
) -> Vec<Topic> {
    let mut out: Vec<Topic> = Vec::new();
    for t in listed {
        let t = t.get_ref();
        let id = t.id.get_ref().clone();
        if !super::is_slug(&id, super::limits::QUIZ_ID) {
            fe.at(
                t.id.span().start,
                format!(
                    "topic id {} must be 1-{} lowercase ASCII letters, digits and '-'",
                    quote(&id),
                    super::limits::QUIZ_ID
                ),
            );
        }
        if out.iter().any(|o| o.id == id) {
            fe.at(
                t.id.span().start,
                format!("topic id {} is used twice", quote(&id)),
            );
        }
        let what = format!("topic {}", quote(&id));
        let titles = localized(fe, &what, &t.title);
        let mut ids = Vec::new();
        let mut questions = 0;
        for lesson_id in t.lessons.get_ref() {
            match lessons.iter().find(|l| l.id == *lesson_id) {
                Some(l) => {
                    questions += l.versions.values().next().map_or(0, |v| v.quiz.len());
                    ids.push(l);
                }
                None => fe.at(
                    t.lessons.span().start,
                    format!("{what}: no lesson with id {}", quote(lesson_id)),
                ),
            }
        }
        if ids.is_empty() {
            fe.at(t.lessons.span().start, format!("{what} lists no lessons"));
        } else if questions == 0 {
            fe.at(
                t.lessons.span().start,
                format!("{what}: its lessons have no quiz questions, so it cannot be tested"),
            );
        }
        ids.sort_by_key(|l| l.seq);
        ids.dedup_by_key(|l| l.seq);
        out.push(Topic {
            id,
            titles,
            lessons: ids.into_iter().map(|l| l.id.clone()).collect(),
        });
    }
    out
}

pub(super) fn test_settings(
    fe: &mut FileErrors<'_>,
    t: &Spanned<TestFile>,
    topics: &[Topic],
) -> Option<TestSettings> {
    let start = t.span().start;
    let t = t.get_ref();
    if topics.is_empty() {
        fe.at(
            start,
            "[test] needs at least one [[topic]] to draw questions from",
        );
    }
    let schedule = match cron::Schedule::from_str(t.schedule.get_ref()) {
        Ok(s) => Some(s),
        Err(e) => {
            fe.at(
                t.schedule.span().start,
                format!(
                    "[test] schedule {} is not a cron expression (sec min hour day-of-month month day-of-week, e.g. \"0 0 20 * * Sun\"): {e}",
                    quote(t.schedule.get_ref())
                ),
            );
            None
        }
    };
    let timezone = match &t.timezone {
        None => Some(chrono_tz::Asia::Shanghai),
        Some(z) => {
            let tz = parse_time_zone(z.get_ref());
            if tz.is_none() {
                fe.at(
                    z.span().start,
                    format!("[test] unknown time zone {}", quote(z.get_ref())),
                );
            }
            tz
        }
    };
    let questions = match &t.questions {
        None => Some(5),
        Some(q) if (1..=i64::from(TestSettings::MAX_QUESTIONS)).contains(q.get_ref()) => {
            Some(*q.get_ref() as u32)
        }
        Some(q) => {
            fe.at(
                q.span().start,
                format!(
                    "[test] questions = {}: use 1 to {}",
                    q.get_ref(),
                    TestSettings::MAX_QUESTIONS
                ),
            );
            None
        }
    };
    let seconds = match &t.seconds_per_question {
        None => Some(60),
        Some(s)
            if (i64::from(TestSettings::MIN_SECONDS)..=i64::from(TestSettings::MAX_SECONDS))
                .contains(s.get_ref()) =>
        {
            Some(*s.get_ref() as u32)
        }
        Some(s) => {
            fe.at(
                s.span().start,
                format!(
                    "[test] seconds_per_question = {}: use {} to {} (Telegram's limit for a quiz's open period)",
                    s.get_ref(),
                    TestSettings::MIN_SECONDS,
                    TestSettings::MAX_SECONDS
                ),
            );
            None
        }
    };
    Some(TestSettings {
        schedule: schedule?,
        timezone: timezone?,
        questions: questions?,
        seconds_per_question: seconds?,
    })
}
