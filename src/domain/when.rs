//! Dates and times as people read them: "今天 07:30", "明天（周二）19:00",
//! "12月15日（周一）", "today at 7:30 am", "Tuesday 7 pm". This module decides which form a
//! moment takes, relative to the member's own today, and in which zone; the words come from
//! Fluent (`when-*`, `weekday-*`, `clock-*`, `zone-*`), rendered by `i18n::I18n::when`.
//! Machine dates (`2026-12-07 07:30`) stay in CSV and CLI output.

use chrono::{DateTime, Datelike, NaiveDate, Offset, TimeZone, Timelike, Utc, Weekday};
use chrono_tz::Tz;

/// Which day a moment falls on, seen from the member's today.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Day {
    Yesterday,
    Today,
    /// Tomorrow, with its weekday ("明天（周二）").
    Tomorrow(Weekday),
    /// Within the next six days (after tomorrow): the weekday says it.
    ThisWeek(Weekday),
    /// Further away, or in the past before yesterday, within the same year.
    Date {
        month: u32,
        day: u32,
        weekday: Weekday,
    },
    /// Another year.
    FullDate {
        year: i32,
        month: u32,
        day: u32,
        weekday: Weekday,
    },
}

impl Day {
    /// The key of the message that renders this form (`when-today`, ...), with a time.
    pub fn key(self) -> &'static str {
        match self {
            Day::Yesterday => "when-yesterday",
            Day::Today => "when-today",
            Day::Tomorrow(_) => "when-tomorrow",
            Day::ThisWeek(_) => "when-this-week",
            Day::Date { .. } => "when-date",
            Day::FullDate { .. } => "when-full-date",
        }
    }

    /// The key of the message that renders this day without a time (`day-today`, ...).
    pub fn day_key(self) -> &'static str {
        match self {
            Day::Yesterday => "day-yesterday",
            Day::Today => "day-today",
            Day::Tomorrow(_) => "day-tomorrow",
            Day::ThisWeek(_) => "day-this-week",
            Day::Date { .. } => "day-date",
            Day::FullDate { .. } => "day-full-date",
        }
    }

    /// The weekday the form shows, if it shows one.
    pub fn weekday(self) -> Option<Weekday> {
        match self {
            Day::Yesterday | Day::Today => None,
            Day::Tomorrow(w) | Day::ThisWeek(w) => Some(w),
            Day::Date { weekday, .. } | Day::FullDate { weekday, .. } => Some(weekday),
        }
    }
}

/// The day of `date` seen from `today`.
pub fn day_of(today: NaiveDate, date: NaiveDate) -> Day {
    let days = (date - today).num_days();
    match days {
        -1 => Day::Yesterday,
        0 => Day::Today,
        1 => Day::Tomorrow(date.weekday()),
        2..=6 => Day::ThisWeek(date.weekday()),
        _ if date.year() == today.year() => Day::Date {
            month: date.month(),
            day: date.day(),
            weekday: date.weekday(),
        },
        _ => Day::FullDate {
            year: date.year(),
            month: date.month(),
            day: date.day(),
            weekday: date.weekday(),
        },
    }
}

/// The key of a weekday's name (`weekday-mon` ... `weekday-sun`).
pub fn weekday_key(weekday: Weekday) -> &'static str {
    match weekday {
        Weekday::Mon => "weekday-mon",
        Weekday::Tue => "weekday-tue",
        Weekday::Wed => "weekday-wed",
        Weekday::Thu => "weekday-thu",
        Weekday::Fri => "weekday-fri",
        Weekday::Sat => "weekday-sat",
        Weekday::Sun => "weekday-sun",
    }
}

/// A time of day in the parts the clock messages need: `hour` (0-23), `hour12` (1-12),
/// `minute`, and whether it is after noon.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    pub hour: u32,
    pub hour12: u32,
    pub minute: u32,
    pub pm: bool,
}

impl Clock {
    pub fn of(hour: u32, minute: u32) -> Clock {
        let hour12 = match hour % 12 {
            0 => 12,
            h => h,
        };
        Clock {
            hour,
            hour12,
            minute,
            pm: hour >= 12,
        }
    }

    /// `07:30`, as in every locale's 24-hour clock.
    pub fn hh_mm(self) -> String {
        format!("{:02}:{:02}", self.hour, self.minute)
    }

    /// `30`, the minute with two digits.
    pub fn mm(self) -> String {
        format!("{:02}", self.minute)
    }
}

/// A moment to show a member: its day seen from their today, its time, and the zone when it
/// is not their usual one (shown then, e.g. "北京时间").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct When {
    pub day: Day,
    pub clock: Clock,
    /// The zone to name, when it differs from the member's usual zone.
    pub zone: Option<Tz>,
}

/// `at` as `member_zone`'s reader sees it at `now`, in `shown_zone` (usually the member's
/// own; an activity's local time in its venue's zone, for instance).
pub fn when(now: DateTime<Utc>, at: DateTime<Utc>, shown_zone: Tz, member_zone: Tz) -> When {
    let local = at.with_timezone(&shown_zone);
    let today = now.with_timezone(&shown_zone).date_naive();
    When {
        day: day_of(today, local.date_naive()),
        clock: Clock::of(local.hour(), local.minute()),
        zone: (shown_zone != member_zone && !same_offset(now, shown_zone, member_zone))
            .then_some(shown_zone),
    }
}

/// Whether two zones show the same clock at `now` (Asia/Shanghai and Asia/Hong_Kong do): then
/// naming the zone says nothing.
fn same_offset(now: DateTime<Utc>, a: Tz, b: Tz) -> bool {
    let naive = now.naive_utc();
    a.offset_from_utc_datetime(&naive).fix() == b.offset_from_utc_datetime(&naive).fix()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn days_near_today_are_named_and_further_ones_dated() {
        // 2026-12-07 is a Monday.
        let today = d(2026, 12, 7);
        assert_eq!(day_of(today, d(2026, 12, 6)), Day::Yesterday);
        assert_eq!(day_of(today, today), Day::Today);
        assert_eq!(day_of(today, d(2026, 12, 8)), Day::Tomorrow(Weekday::Tue));
        assert_eq!(day_of(today, d(2026, 12, 9)), Day::ThisWeek(Weekday::Wed));
        assert_eq!(day_of(today, d(2026, 12, 13)), Day::ThisWeek(Weekday::Sun));
        // A week away: the same weekday again, so the date says it.
        assert_eq!(
            day_of(today, d(2026, 12, 14)),
            Day::Date {
                month: 12,
                day: 14,
                weekday: Weekday::Mon
            }
        );
        assert_eq!(
            day_of(today, d(2026, 12, 1)),
            Day::Date {
                month: 12,
                day: 1,
                weekday: Weekday::Tue
            }
        );
        assert_eq!(
            day_of(today, d(2027, 1, 2)),
            Day::FullDate {
                year: 2027,
                month: 1,
                day: 2,
                weekday: Weekday::Sat
            }
        );
    }

    #[test]
    fn every_form_has_its_keys() {
        let today = d(2026, 12, 7);
        let mut keys = Vec::new();
        for offset in [-30, -1, 0, 1, 3, 10, 40] {
            let day = day_of(today, today + chrono::Duration::days(offset));
            keys.push(day.key());
            keys.push(day.day_key());
        }
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), 12, "{keys:?}");
    }

    #[test]
    fn clocks_have_both_forms() {
        assert_eq!(
            Clock::of(0, 5),
            Clock {
                hour: 0,
                hour12: 12,
                minute: 5,
                pm: false
            }
        );
        assert_eq!(Clock::of(12, 0).hour12, 12);
        assert!(Clock::of(12, 0).pm);
        assert_eq!(Clock::of(19, 30).hour12, 7);
        assert_eq!(Clock::of(7, 5).hh_mm(), "07:05");
        assert_eq!(Clock::of(7, 5).mm(), "05");
    }

    #[test]
    fn the_day_is_the_readers_and_the_zone_named_only_when_it_differs() {
        let shanghai: Tz = "Asia/Shanghai".parse().unwrap();
        let urumqi: Tz = "Asia/Urumqi".parse().unwrap();
        let hong_kong: Tz = "Asia/Hong_Kong".parse().unwrap();
        // 23:30 UTC on the 6th is 07:30 on the 7th in Shanghai.
        let now = Utc.with_ymd_and_hms(2026, 12, 6, 20, 0, 0).unwrap();
        let at = Utc.with_ymd_and_hms(2026, 12, 6, 23, 30, 0).unwrap();
        let w = when(now, at, shanghai, shanghai);
        assert_eq!(w.day, Day::Today);
        assert_eq!(w.clock.hh_mm(), "07:30");
        assert_eq!(w.zone, None);
        // The same moment for a member in Urumqi, shown in Beijing time: named.
        let w = when(now, at, shanghai, urumqi);
        assert_eq!(w.zone, Some(shanghai));
        // Hong Kong shows Shanghai's clock: nothing to name.
        assert_eq!(when(now, at, shanghai, hong_kong).zone, None);
        // The next evening is tomorrow.
        let at = Utc.with_ymd_and_hms(2026, 12, 8, 11, 0, 0).unwrap();
        let w = when(now, at, shanghai, shanghai);
        assert_eq!((w.day, w.clock.hour), (Day::Tomorrow(Weekday::Tue), 19));
    }
}
