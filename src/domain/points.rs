//! Points (积分制): the rules that turn learning into points, seasons, and rankings with
//! ties. Pure code: the store keeps the append-only ledger, this module decides amounts.
//!
//! `points.toml`:
//! ```toml
//! [points]
//! checkin = 1                # a lesson checked in
//! correct_answer = 1         # a right answer to a lesson's quiz question
//! test_correct_answer = 2    # a right answer in a topic test
//! test_perfect_bonus = 3     # all answers of a topic test right
//! attendance = 5            # an activity at a venue attended in person
//! streak_bonus = { 7 = 5, 30 = 20 }   # streak length reached -> bonus
//!
//! [[season]]
//! id = "2026-winter"
//! start = 2026-11-01          # first day, in `timezone`
//! end = 2027-02-28            # last day, inclusive
//! timezone = "Asia/Shanghai"
//! top = 3                     # titles per branch and overall
//! name = { zh-CN = "2026 冬训", zh-TW = "2026 冬訓", en = "Winter 2026" }   # the season
//! title = { zh-CN = "冬训云学标兵", zh-TW = "冬訓雲學標兵", en = "Winter Study Star" }  # earned
//! ```
//! Amounts are written into the ledger when awarded, so changing a rule changes future
//! awards only.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::domain::Locale;
use crate::domain::schedule::{local_to_utc, parse_time_zone};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PointsError {
    #[error("{file}: {problem}")]
    Invalid { file: String, problem: String },
}

/// How many points each achievement is worth.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PointRules {
    pub checkin: i64,
    pub correct_answer: i64,
    pub test_correct_answer: i64,
    pub test_perfect_bonus: i64,
    /// An activity at a venue attended in person (location-verified).
    pub attendance: i64,
    /// Streak length -> bonus, awarded on the day the streak reaches that length.
    pub streak_bonus: BTreeMap<u32, i64>,
}

impl Default for PointRules {
    fn default() -> Self {
        Self {
            checkin: 1,
            correct_answer: 1,
            test_correct_answer: 2,
            test_perfect_bonus: 3,
            attendance: 5,
            streak_bonus: BTreeMap::from([(7, 5), (30, 20)]),
        }
    }
}

impl PointRules {
    /// The bonus for reaching a streak of exactly `streak` days, if any.
    pub fn streak_bonus_for(&self, streak: u32) -> Option<i64> {
        self.streak_bonus.get(&streak).copied().filter(|p| *p > 0)
    }

    /// Points for a finished topic test.
    pub fn test_points(&self, correct: u32, asked: u32) -> i64 {
        let mut points = self.test_correct_answer * i64::from(correct);
        if asked > 0 && correct == asked {
            points += self.test_perfect_bonus;
        }
        points
    }
}

/// A season of the competition: from the start of `start` to the end of `end` (inclusive)
/// in `timezone`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Season {
    pub id: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub timezone: Tz,
    /// Titles go to the top `top` of each branch and of the whole organization.
    pub top: u32,
    /// The season's own name ("2026 冬训"); without one, its id.
    pub names: BTreeMap<Locale, String>,
    /// The title its top members earn ("冬训云学标兵").
    pub titles: BTreeMap<Locale, String>,
}

impl Season {
    pub fn starts_at(&self) -> DateTime<Utc> {
        local_to_utc(self.timezone, self.start.and_time(NaiveTime::MIN))
    }

    /// The first instant after the season.
    pub fn ends_at(&self) -> DateTime<Utc> {
        let next = self.end.succ_opt().unwrap_or(self.end);
        local_to_utc(self.timezone, next.and_time(NaiveTime::MIN))
    }

    pub fn contains(&self, at: DateTime<Utc>) -> bool {
        self.starts_at() <= at && at < self.ends_at()
    }

    /// The title its top members earn, in `locale`.
    pub fn title(&self, locale: Locale) -> &str {
        in_locale(&self.titles, locale).unwrap_or(&self.id)
    }

    /// The season's name, in `locale` (its id when points.toml gives none).
    pub fn name(&self, locale: Locale) -> &str {
        in_locale(&self.names, locale).unwrap_or(&self.id)
    }
}

/// A text in `locale`, else in the default locale, else in any.
fn in_locale(texts: &BTreeMap<Locale, String>, locale: Locale) -> Option<&str> {
    texts
        .get(&locale)
        .or_else(|| texts.get(&Locale::DEFAULT))
        .or_else(|| texts.values().next())
        .map(String::as_str)
}

/// The rules and seasons of `points.toml`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PointsConfig {
    pub rules: PointRules,
    pub seasons: Vec<Season>,
}

impl PointsConfig {
    /// The season `at` falls in, if any.
    pub fn season_at(&self, at: DateTime<Utc>) -> Option<&Season> {
        self.seasons.iter().find(|s| s.contains(at))
    }

    pub fn season(&self, id: &str) -> Option<&Season> {
        self.seasons.iter().find(|s| s.id == id)
    }

    /// Parses `points.toml`; `file` names it in errors.
    pub fn from_toml(file: &str, text: &str) -> Result<Self, PointsError> {
        let invalid = |problem: String| PointsError::Invalid {
            file: file.to_string(),
            problem,
        };
        let parsed: PointsFile = toml::from_str(text).map_err(|e| {
            let line = e
                .span()
                .map(|s| crate::domain::branch::line_of(text, s.start))
                .unwrap_or(1);
            invalid(format!("line {line}: {}", e.message().trim()))
        })?;
        let defaults = PointRules::default();
        let p = parsed.points.unwrap_or_default();
        let mut rules = PointRules {
            checkin: p.checkin.unwrap_or(defaults.checkin),
            correct_answer: p.correct_answer.unwrap_or(defaults.correct_answer),
            test_correct_answer: p
                .test_correct_answer
                .unwrap_or(defaults.test_correct_answer),
            test_perfect_bonus: p.test_perfect_bonus.unwrap_or(defaults.test_perfect_bonus),
            attendance: p.attendance.unwrap_or(defaults.attendance),
            streak_bonus: defaults.streak_bonus,
        };
        if let Some(bonus) = p.streak_bonus {
            rules.streak_bonus = BTreeMap::new();
            for (days, points) in bonus {
                let days: u32 = days.parse().ok().filter(|d| *d >= 2).ok_or_else(|| {
                    invalid(format!(
                        "streak_bonus key {days:?} must be a number of days ≥ 2"
                    ))
                })?;
                rules.streak_bonus.insert(days, points);
            }
        }
        for (name, value) in [
            ("checkin", rules.checkin),
            ("correct_answer", rules.correct_answer),
            ("test_correct_answer", rules.test_correct_answer),
            ("test_perfect_bonus", rules.test_perfect_bonus),
            ("attendance", rules.attendance),
        ] {
            if !(0..=1000).contains(&value) {
                return Err(invalid(format!("{name} = {value}: use 0 to 1000 points")));
            }
        }
        let mut seasons: Vec<Season> = Vec::new();
        for s in parsed.season {
            let timezone = match &s.timezone {
                Some(name) => parse_time_zone(name).ok_or_else(|| {
                    invalid(format!("season {:?}: unknown time zone {name:?}", s.id))
                })?,
                None => chrono_tz::Asia::Shanghai,
            };
            let date = |d: &toml::value::Datetime, what: &str| match (d.date, d.time) {
                (Some(date), None) => NaiveDate::from_ymd_opt(
                    i32::from(date.year),
                    u32::from(date.month),
                    u32::from(date.day),
                )
                .ok_or_else(|| invalid(format!("season {:?}: {what} {d} is not a date", s.id))),
                _ => Err(invalid(format!(
                    "season {:?}: {what} must be a date like 2026-11-01, not {d}",
                    s.id
                ))),
            };
            let (start, end) = (date(&s.start, "start")?, date(&s.end, "end")?);
            if end < start {
                return Err(invalid(format!(
                    "season {:?} ends ({end}) before it starts ({start})",
                    s.id
                )));
            }
            if s.id.trim().is_empty() || s.id.len() > 40 {
                return Err(invalid("a season id must be 1-40 characters".into()));
            }
            let by_locale = |texts: BTreeMap<String, String>, what: &str| {
                let mut out = BTreeMap::new();
                for (code, text) in texts {
                    let locale = Locale::from_code(&code).ok_or_else(|| {
                        invalid(format!(
                            "season {:?}: unknown locale {code:?} in {what}: use zh-CN, zh-TW or en",
                            s.id
                        ))
                    })?;
                    out.insert(locale, text);
                }
                Ok::<_, PointsError>(out)
            };
            let titles = by_locale(s.title, "title")?;
            let names = by_locale(s.name, "name")?;
            if titles.is_empty() {
                return Err(invalid(format!("season {:?} needs a title", s.id)));
            }
            let season = Season {
                id: s.id,
                start,
                end,
                timezone,
                top: s.top.unwrap_or(3),
                names,
                titles,
            };
            if let Some(other) = seasons.iter().find(|o| {
                o.id == season.id
                    || (o.starts_at() < season.ends_at() && season.starts_at() < o.ends_at())
            }) {
                return Err(invalid(format!(
                    "seasons {:?} and {:?} overlap or share an id",
                    other.id, season.id
                )));
            }
            seasons.push(season);
        }
        Ok(PointsConfig { rules, seasons })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PointsFile {
    points: Option<RulesFile>,
    #[serde(default)]
    season: Vec<SeasonFile>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RulesFile {
    checkin: Option<i64>,
    correct_answer: Option<i64>,
    test_correct_answer: Option<i64>,
    test_perfect_bonus: Option<i64>,
    attendance: Option<i64>,
    streak_bonus: Option<BTreeMap<String, i64>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SeasonFile {
    id: String,
    start: toml::value::Datetime,
    end: toml::value::Datetime,
    timezone: Option<String>,
    top: Option<u32>,
    #[serde(default)]
    name: BTreeMap<String, String>,
    #[serde(default)]
    title: BTreeMap<String, String>,
}

/// The week (Monday to Sunday, in `tz`) that `at` falls in, as UTC instants [from, to).
pub fn week_of(at: DateTime<Utc>, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    use chrono::Datelike;
    let day = at.with_timezone(&tz).date_naive();
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    let next_monday = monday + Duration::days(7);
    (
        local_to_utc(tz, monday.and_time(NaiveTime::MIN)),
        local_to_utc(tz, next_monday.and_time(NaiveTime::MIN)),
    )
}

/// One entry of a ranking.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ranked<T> {
    /// 1-based; equal scores share a rank and the next rank skips ("1, 2, 2, 4").
    pub rank: u32,
    pub score: i64,
    pub item: T,
}

/// Ranks `(item, score)` pairs by score, highest first, with standard competition ranking
/// for ties. Items with equal scores keep their input order.
pub fn rank<T>(mut scores: Vec<(T, i64)>) -> Vec<Ranked<T>> {
    scores.sort_by_key(|(_, s)| std::cmp::Reverse(*s));
    let mut out: Vec<Ranked<T>> = Vec::with_capacity(scores.len());
    for (i, (item, score)) in scores.into_iter().enumerate() {
        let rank = match out.last() {
            Some(prev) if prev.score == score => prev.rank,
            _ => u32::try_from(i + 1).unwrap_or(u32::MAX),
        };
        out.push(Ranked { rank, score, item });
    }
    out
}

/// Ranks `items` by `score` as [`rank`] does.
pub fn rank_by<T>(items: Vec<T>, score: impl Fn(&T) -> i64) -> Vec<Ranked<T>> {
    rank(
        items
            .into_iter()
            .map(|item| {
                let s = score(&item);
                (item, s)
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn ties_share_a_rank_and_the_next_rank_skips() {
        let ranked = rank(vec![("a", 5), ("b", 9), ("c", 5), ("d", 1), ("e", 9)]);
        let view: Vec<_> = ranked.iter().map(|r| (r.item, r.rank, r.score)).collect();
        assert_eq!(
            view,
            vec![
                ("b", 1, 9),
                ("e", 1, 9),
                ("a", 3, 5),
                ("c", 3, 5),
                ("d", 5, 1)
            ]
        );
        assert!(rank::<&str>(vec![]).is_empty());
    }

    #[test]
    fn defaults_and_overrides() {
        let c = PointsConfig::from_toml("points.toml", "").unwrap();
        assert_eq!(c.rules, PointRules::default());
        assert_eq!(c.rules.streak_bonus_for(7), Some(5));
        assert_eq!(c.rules.streak_bonus_for(8), None);
        assert_eq!(c.rules.test_points(5, 5), 13);
        assert_eq!(c.rules.test_points(3, 5), 6);
        assert_eq!(c.rules.test_points(0, 0), 0);
        let c = PointsConfig::from_toml(
            "p.toml",
            "[points]\ncheckin = 2\nstreak_bonus = { 3 = 1, 10 = 4 }\n",
        )
        .unwrap();
        assert_eq!(c.rules.checkin, 2);
        assert_eq!(c.rules.correct_answer, 1);
        assert_eq!(c.rules.streak_bonus_for(3), Some(1));
        assert_eq!(c.rules.streak_bonus_for(7), None);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let err = |t: &str| {
            PointsConfig::from_toml("p.toml", t)
                .unwrap_err()
                .to_string()
        };
        assert!(err("[points]\ncheckin = -5\n").contains("checkin = -5"));
        assert!(err("[points]\nchekin = 1\n").contains("line 2"));
        assert!(err("[points]\nstreak_bonus = { x = 1 }\n").contains("\"x\""));
        let season = |start: &str, end: &str| {
            format!(
                "[[season]]\nid = \"s\"\nstart = {start}\nend = {end}\ntitle = {{ en = \"Star\" }}\n"
            )
        };
        assert!(err(&season("2026-12-01", "2026-11-01")).contains("before it starts"));
        let two = format!(
            "{}{}",
            season("2026-11-01", "2026-12-31"),
            season("2026-12-01", "2027-01-31").replace("\"s\"", "\"t\"")
        );
        assert!(err(&two).contains("overlap"));
        assert!(
            err("[[season]]\nid = \"s\"\nstart = 2026-11-01\nend = 2026-12-01\n")
                .contains("needs a title")
        );
    }

    #[test]
    fn a_season_covers_its_last_day_in_its_time_zone() {
        let c = PointsConfig::from_toml(
            "p.toml",
            "[[season]]\nid = \"w\"\nstart = 2026-11-01\nend = 2027-02-28\ntop = 5\ntitle = { zh-CN = \"冬训云学标兵\", en = \"Winter Study Star\" }\n",
        )
        .unwrap();
        let s = &c.seasons[0];
        assert_eq!(s.top, 5);
        assert_eq!(s.timezone, chrono_tz::Asia::Shanghai);
        // 2027-02-28 23:59 in Shanghai is 15:59 UTC: still in; 16:00 UTC is March 1st there.
        assert!(s.contains(Utc.with_ymd_and_hms(2027, 2, 28, 15, 59, 0).unwrap()));
        assert!(!s.contains(Utc.with_ymd_and_hms(2027, 2, 28, 16, 0, 0).unwrap()));
        assert!(!s.contains(Utc.with_ymd_and_hms(2026, 10, 31, 15, 59, 0).unwrap()));
        assert!(s.contains(Utc.with_ymd_and_hms(2026, 10, 31, 16, 0, 0).unwrap()));
        assert_eq!(s.title(Locale::ZhTw), "冬训云学标兵");
        assert_eq!(s.title(Locale::En), "Winter Study Star");
        // No name given: the id stands for it.
        assert_eq!(s.name(Locale::En), "w");
        let named = PointsConfig::from_toml(
            "p.toml",
            "[[season]]\nid = \"w\"\nstart = 2026-11-01\nend = 2027-02-28\nname = { zh-CN = \"2026 冬训\", en = \"Winter 2026\" }\ntitle = { zh-CN = \"冬训云学标兵\" }\n",
        )
        .unwrap();
        let s = &named.seasons[0];
        assert_eq!(s.name(Locale::ZhCn), "2026 冬训");
        assert_eq!(s.name(Locale::ZhTw), "2026 冬训");
        assert_eq!(s.name(Locale::En), "Winter 2026");
        assert_eq!(s.title(Locale::En), "冬训云学标兵");
        assert!(
            PointsConfig::from_toml(
                "p.toml",
                "[[season]]\nid = \"w\"\nstart = 2026-11-01\nend = 2027-02-28\nname = { fr = \"Hiver\" }\ntitle = { en = \"Star\" }\n",
            )
            .unwrap_err()
            .to_string()
            .contains("unknown locale \"fr\" in name")
        );
        assert!(
            c.season_at(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap())
                .is_some()
        );
    }

    #[test]
    fn weeks_run_monday_to_sunday_in_the_zone() {
        // Sunday 2026-11-29 23:30 in Shanghai (15:30 UTC) belongs to the week of Monday 23rd.
        let (from, to) = week_of(
            Utc.with_ymd_and_hms(2026, 11, 29, 15, 30, 0).unwrap(),
            chrono_tz::Asia::Shanghai,
        );
        assert_eq!(from, Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap());
        assert_eq!(to, Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap());
    }
}
