//! Participation statistics (参训率 and more): the periods figures are kept for, and how
//! per-branch figures add up over the organization tree.
//!
//! Figures are kept per member and *period*: a week (Monday to Sunday in the
//! organization's time zone, key `w:YYYY-MM-DD` with the Monday's date) and each season
//! that is running (key `s:<season id>`). The store adds to them as members check in,
//! answer and earn points, so a statistic reads one row per member and period.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, Utc};
use chrono_tz::Tz;

use super::BranchTree;
use super::points::Season;

/// Which periods an event at `at` counts for, and the time zone weeks are cut in.
#[derive(Debug, Clone)]
pub struct StatsCalendar {
    pub timezone: Tz,
    pub seasons: Vec<Season>,
}

impl Default for StatsCalendar {
    fn default() -> Self {
        StatsCalendar {
            timezone: chrono_tz::Asia::Shanghai,
            seasons: Vec::new(),
        }
    }
}

impl StatsCalendar {
    /// The period keys an event at `at` counts for: its week, and every season running then.
    pub fn periods_at(&self, at: DateTime<Utc>) -> Vec<String> {
        let mut keys = vec![week_key(at, self.timezone)];
        keys.extend(
            self.seasons
                .iter()
                .filter(|s| s.contains(at))
                .map(|s| season_key(&s.id)),
        );
        keys
    }
}

impl StatsCalendar {
    /// The instants a period key covers, [from, to): a week from its Monday 00:00 to the
    /// next Monday's in the calendar's zone, a season from its first day to the day after
    /// its last in its own. None for a key of no known period.
    pub fn range_of(&self, key: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        if let Some(monday) = key.strip_prefix("w:") {
            let monday = chrono::NaiveDate::parse_from_str(monday, "%Y-%m-%d").ok()?;
            let midnight = |d: chrono::NaiveDate| {
                super::schedule::local_to_utc(self.timezone, d.and_time(chrono::NaiveTime::MIN))
            };
            return Some((midnight(monday), midnight(monday + Duration::days(7))));
        }
        let id = key.strip_prefix("s:")?;
        let season = self.seasons.iter().find(|s| s.id == id)?;
        Some((season.starts_at(), season.ends_at()))
    }
}

/// The key of the week `at` falls in: `w:` and the date of its Monday in `tz`.
pub fn week_key(at: DateTime<Utc>, tz: Tz) -> String {
    let day = at.with_timezone(&tz).date_naive();
    let monday = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
    format!("w:{}", monday.format("%Y-%m-%d"))
}

pub fn season_key(id: &str) -> String {
    format!("s:{id}")
}

/// The figures of one branch (its own members only) or of a sum of branches.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Figures {
    /// Members who are active (onboarded, not paused, not blocked) now.
    pub active: i64,
    /// Of those, members working away from home.
    pub migrant_active: i64,
    /// Members with at least one check-in in the period.
    pub participants: i64,
    /// Of those, members with at least one check-in of the period made while they were
    /// away from home (whatever their status at their other check-ins).
    pub migrant_participants: i64,
    pub checkins: i64,
    /// Quiz answers given in the period, and how many were right.
    pub answered: i64,
    pub correct: i64,
    pub points: i64,
}

impl Figures {
    pub fn add(&mut self, o: &Figures) {
        self.active += o.active;
        self.migrant_active += o.migrant_active;
        self.participants += o.participants;
        self.migrant_participants += o.migrant_participants;
        self.checkins += o.checkins;
        self.answered += o.answered;
        self.correct += o.correct;
        self.points += o.points;
    }

    /// 参训率: participants / active members, in percent; None without active members.
    pub fn rate(&self) -> Option<f64> {
        percent(self.participants, self.active)
    }

    pub fn migrant_rate(&self) -> Option<f64> {
        percent(self.migrant_participants, self.migrant_active)
    }

    /// Right answers / answers, in percent; None without answers.
    pub fn accuracy(&self) -> Option<f64> {
        percent(self.correct, self.answered)
    }
}

pub fn percent(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| part as f64 * 100.0 / whole as f64)
}

/// One row of a statistics table: a branch and everything under it.
#[derive(Debug, Clone, PartialEq)]
pub struct BranchRow {
    pub branch_id: String,
    pub figures: Figures,
}

/// Statistics of a scope (a branch subtree, or the whole organization when `scope` is
/// None): a row per branch directly under it (each summing its own subtree), sorted by
/// participation rate (highest first, then by id); the scope's total; and the
/// organization's total.
#[derive(Debug, Clone, PartialEq)]
pub struct StatsTable {
    pub scope: Option<String>,
    pub rows: Vec<BranchRow>,
    pub total: Figures,
    pub organization: Figures,
}

/// Adds up per-branch figures (keyed by branch id; `""` for members without a branch)
/// over the tree for `scope`.
pub fn roll_up(
    tree: &BranchTree,
    per_branch: &BTreeMap<String, Figures>,
    scope: Option<&str>,
) -> StatsTable {
    let mut organization = Figures::default();
    for f in per_branch.values() {
        organization.add(f);
    }
    let sum_of = |root: &str| {
        let mut sum = Figures::default();
        for id in tree.subtree(root) {
            if let Some(f) = per_branch.get(&id) {
                sum.add(f);
            }
        }
        sum
    };
    let (children, total) = match scope {
        None => (tree.roots(), organization),
        Some(id) => (tree.children_of(Some(id)), sum_of(id)),
    };
    let mut rows: Vec<BranchRow> = children
        .into_iter()
        .map(|b| BranchRow {
            branch_id: b.id.clone(),
            figures: sum_of(&b.id),
        })
        .collect();
    // A branch's own members (not in any branch under it) get a row of their own.
    if let Some(id) = scope
        && let Some(own) = per_branch.get(id)
        && !rows.is_empty()
        && (own.active > 0 || own.participants > 0)
    {
        rows.push(BranchRow {
            branch_id: id.to_string(),
            figures: *own,
        });
    }
    rows.sort_by(|a, b| {
        let ra = a.figures.rate().unwrap_or(-1.0);
        let rb = b.figures.rate().unwrap_or(-1.0);
        rb.total_cmp(&ra)
            .then_with(|| a.branch_id.cmp(&b.branch_id))
    });
    StatsTable {
        scope: scope.map(str::to_string),
        rows,
        total,
        organization,
    }
}

/// Completion of one lesson within a scope.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LessonFigures {
    /// Members the lesson was sent to.
    pub assigned: i64,
    pub checked_in: i64,
}

impl LessonFigures {
    pub fn rate(&self) -> Option<f64> {
        percent(self.checked_in, self.assigned)
    }
}

/// A percentage as people read it: a whole number, rounded (2 of 3 is "67%", not "66%"),
/// "–" when there is nothing to divide. Rounding never claims more than the figures say:
/// a share above 0 shows at least "1%" and a share below 100 at most "99%", so that "0%"
/// means nobody and "100%" everybody.
pub fn format_percent(p: Option<f64>) -> String {
    match p.and_then(whole_percent) {
        Some(p) => format!("{p}%"),
        None => "–".to_string(),
    }
}

/// A percentage rounded to a whole number as [`format_percent`] shows it; None for a
/// number that is not one.
pub fn whole_percent(p: f64) -> Option<i64> {
    if !p.is_finite() {
        return None;
    }
    let rounded = p.round();
    Some(if rounded >= 100.0 && p < 100.0 {
        99
    } else if rounded <= 0.0 && p > 0.0 {
        1
    } else {
        rounded as i64
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, TimeZone};

    fn tree() -> BranchTree {
        BranchTree::from_toml(
            "branches.toml",
            r#"
[[branch]]
id = "city"
name = "市"
  [[branch.branch]]
  id = "city.a"
  name = "甲镇"
    [[branch.branch.branch]]
    id = "city.a.v1"
    name = "一村"
    [[branch.branch.branch]]
    id = "city.a.v2"
    name = "二村"
  [[branch.branch]]
  id = "city.b"
  name = "乙镇"
[[branch]]
id = "other"
name = "外市"
"#,
        )
        .unwrap()
    }

    fn f(active: i64, participants: i64) -> Figures {
        Figures {
            active,
            participants,
            checkins: participants * 2,
            ..Figures::default()
        }
    }

    #[test]
    fn weeks_start_on_monday_in_the_organizations_zone() {
        let tz = chrono_tz::Asia::Shanghai;
        // Sunday 2026-11-29 23:30 in Shanghai is still the week of Monday 11-23 ...
        let sunday_late = Utc.with_ymd_and_hms(2026, 11, 29, 15, 30, 0).unwrap();
        assert_eq!(week_key(sunday_late, tz), "w:2026-11-23");
        // ... and 16:00 UTC is Monday 00:00 in Shanghai: the next week.
        let monday = Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap();
        assert_eq!(week_key(monday, tz), "w:2026-11-30");
        // The same instant in Honolulu is Sunday morning.
        assert_eq!(
            week_key(monday, chrono_tz::Pacific::Honolulu),
            "w:2026-11-23"
        );
    }

    /// Weeks in Shanghai and the season "winter" (2026-11-01 to 2027-02-28).
    fn winter_calendar() -> StatsCalendar {
        let season = Season {
            id: "winter".into(),
            start: NaiveDate::from_ymd_opt(2026, 11, 1).unwrap(),
            end: NaiveDate::from_ymd_opt(2027, 2, 28).unwrap(),
            timezone: chrono_tz::Asia::Shanghai,
            top: 3,
            names: Default::default(),
            titles: Default::default(),
        };
        StatsCalendar {
            timezone: chrono_tz::Asia::Shanghai,
            seasons: vec![season],
        }
    }

    #[test]
    fn events_count_for_their_week_and_running_seasons() {
        let cal = winter_calendar();
        let inside = Utc.with_ymd_and_hms(2026, 12, 2, 1, 0, 0).unwrap();
        assert_eq!(cal.periods_at(inside), ["w:2026-11-30", "s:winter"]);
        let before = Utc.with_ymd_and_hms(2026, 10, 20, 1, 0, 0).unwrap();
        assert_eq!(cal.periods_at(before), ["w:2026-10-19"]);
    }

    #[test]
    fn a_period_key_gives_the_instants_it_covers() {
        let cal = winter_calendar();
        let utc = |y, m, d, h| Utc.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap();
        assert_eq!(
            cal.range_of("w:2026-11-30"),
            Some((utc(2026, 11, 29, 16), utc(2026, 12, 6, 16)))
        );
        // Every instant of the range is in the week of the key, and only those.
        let (from, to) = cal.range_of("w:2026-11-30").unwrap();
        assert_eq!(week_key(from, cal.timezone), "w:2026-11-30");
        assert_eq!(
            week_key(to - Duration::seconds(1), cal.timezone),
            "w:2026-11-30"
        );
        assert_eq!(week_key(to, cal.timezone), "w:2026-12-07");
        assert_eq!(
            cal.range_of("s:winter"),
            Some((utc(2026, 10, 31, 16), utc(2027, 2, 28, 16)))
        );
        assert_eq!(cal.range_of("s:summer"), None);
        assert_eq!(cal.range_of("w:soon"), None);
        assert_eq!(cal.range_of("x"), None);
    }

    #[test]
    fn figures_add_up_over_the_tree_and_sort_by_rate() {
        let tree = tree();
        let per_branch: BTreeMap<String, Figures> = [
            ("city.a.v1", f(10, 5)),
            ("city.a.v2", f(4, 4)),
            ("city.a", f(2, 0)),
            ("city.b", f(5, 1)),
            ("other", f(3, 3)),
            ("", f(1, 1)),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect();

        let org = roll_up(&tree, &per_branch, None);
        assert_eq!(org.total.active, 25);
        assert_eq!(org.total.participants, 14);
        assert_eq!(org.organization, org.total);
        let ids: Vec<_> = org.rows.iter().map(|r| r.branch_id.as_str()).collect();
        assert_eq!(ids, ["other", "city"], "100% before 10/21");
        assert_eq!(org.rows[1].figures.active, 21);
        assert_eq!(org.rows[1].figures.participants, 10);

        let town = roll_up(&tree, &per_branch, Some("city.a"));
        assert_eq!(town.total.active, 16);
        assert_eq!(town.total.participants, 9);
        assert_eq!(town.organization.active, 25);
        let rows: Vec<_> = town
            .rows
            .iter()
            .map(|r| (r.branch_id.as_str(), r.figures.rate()))
            .collect();
        assert_eq!(
            rows,
            [
                ("city.a.v2", Some(100.0)),
                ("city.a.v1", Some(50.0)),
                ("city.a", Some(0.0)),
            ],
            "the town's own members are a row of their own"
        );

        let leaf = roll_up(&tree, &per_branch, Some("city.a.v1"));
        assert!(leaf.rows.is_empty());
        assert_eq!(leaf.total, f(10, 5));
    }

    #[test]
    fn rates_without_a_denominator_are_unknown_not_zero() {
        let none = Figures::default();
        assert_eq!(none.rate(), None);
        assert_eq!(format_percent(none.rate()), "–");
        let some = Figures {
            answered: 3,
            correct: 2,
            ..Figures::default()
        };
        assert_eq!(format_percent(some.accuracy()), "67%");
        let lesson = LessonFigures {
            assigned: 8,
            checked_in: 6,
        };
        assert_eq!(lesson.rate(), Some(75.0));
    }

    #[test]
    fn percentages_are_rounded_and_keep_none_and_all_apart() {
        let shown = |part, whole| format_percent(percent(part, whole));
        for (part, whole, expected) in [
            (2, 3, "67%"),
            (1, 3, "33%"),
            (1, 2, "50%"),
            (1, 8, "13%"), // 12.5 rounds up
            (5, 8, "63%"), // 62.5 rounds up
            (3, 5, "60%"),
            (0, 7, "0%"),
            (7, 7, "100%"),
            (199, 200, "99%"), // 99.5 is not everybody
            (1, 201, "1%"),    // under 0.5 is somebody, not nobody
            (1, 1000, "1%"),
            (999, 1000, "99%"),
            (0, 0, "–"),
        ] {
            assert_eq!(shown(part, whole), expected, "{part} of {whole}");
        }
        assert_eq!(format_percent(Some(f64::NAN)), "–");
        assert_eq!(whole_percent(66.5), Some(67));
    }
}
