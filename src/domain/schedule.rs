//! When a member's lessons are due.
//!
//! A course's schedule names the *days* (the day fields of a cron expression: day of
//! month, month, day of week); each member names the *time of day* and the time zone.
//! Occurrences are computed in wall-clock time and mapped to instants here, so daylight
//! saving transitions behave predictably: a lesson time that falls in a spring-forward gap
//! moves to the first valid minute after it, and one that falls in a fall-back overlap is
//! sent once, at the earlier of the two instants.

use std::str::FromStr;

use chrono::{DateTime, Duration, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

/// How far ahead to look for the next scheduled day before giving up (a schedule such as
/// "30 2 *" has a day only in some months; "31 2 *" has none at all).
const SEARCH_DAYS: i64 = 5 * 366;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ScheduleError {
    #[error(
        "invalid schedule {0:?}: expected the three day fields of a cron expression \
         (day-of-month month day-of-week), e.g. \"* * *\" for every day or \"* * MON-FRI\" ({1})"
    )]
    Invalid(String, String),
    #[error("schedule {0:?} never matches any day")]
    Never(String),
}

/// The days of a course on which a lesson is due.
#[derive(Debug, Clone)]
pub struct DaySchedule {
    source: String,
    cron: cron::Schedule,
}

impl PartialEq for DaySchedule {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl DaySchedule {
    pub fn every_day() -> Self {
        Self::parse("* * *").expect("the every-day schedule is valid")
    }

    /// Parses the day fields, e.g. `"* * *"`, `"* * MON-FRI"`, `"1,15 * *"`.
    pub fn parse(days: &str) -> Result<Self, ScheduleError> {
        let fields: Vec<&str> = days.split_whitespace().collect();
        if fields.len() != 3 {
            return Err(ScheduleError::Invalid(
                days.to_string(),
                format!("found {} fields", fields.len()),
            ));
        }
        let expr = format!("0 0 0 {} {} {}", fields[0], fields[1], fields[2]);
        let cron = cron::Schedule::from_str(&expr)
            .map_err(|e| ScheduleError::Invalid(days.to_string(), e.to_string()))?;
        let schedule = Self {
            source: fields.join(" "),
            cron,
        };
        let probe = NaiveDate::from_ymd_opt(2024, 1, 1).expect("valid date");
        if schedule.next_day_on_or_after(probe).is_none() {
            return Err(ScheduleError::Never(days.to_string()));
        }
        Ok(schedule)
    }

    pub fn source(&self) -> &str {
        &self.source
    }

    /// Whether `day` is a lesson day.
    pub fn includes(&self, day: NaiveDate) -> bool {
        let midnight = Utc.from_utc_datetime(&day.and_time(NaiveTime::MIN));
        self.cron.includes(midnight)
    }

    /// The first lesson day on or after `day`.
    pub fn next_day_on_or_after(&self, day: NaiveDate) -> Option<NaiveDate> {
        (0..SEARCH_DAYS)
            .filter_map(|i| day.checked_add_signed(Duration::days(i)))
            .find(|d| self.includes(*d))
    }
}

/// Maps a wall-clock time in `tz` to an instant: in a gap, the first valid minute after
/// it; in an overlap, the earlier instant.
pub fn local_to_utc(tz: Tz, local: NaiveDateTime) -> DateTime<Utc> {
    let mut probe = local;
    // Gaps are at most a few hours; step minute by minute until the wall time exists.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&probe) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(earliest, _) => return earliest.with_timezone(&Utc),
            LocalResult::None => probe += Duration::minutes(1),
        }
    }
    // Unreachable for real zones; fall back to reading the wall time as UTC.
    Utc.from_utc_datetime(&local)
}

/// The first lesson instant strictly after `after` for a member with this lesson time and
/// zone, or `None` if the schedule has no day within the search horizon.
pub fn next_lesson_at(
    days: &DaySchedule,
    lesson_time: NaiveTime,
    tz: Tz,
    after: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut day = after.with_timezone(&tz).date_naive();
    for _ in 0..3 {
        let next_day = days.next_day_on_or_after(day)?;
        let at = local_to_utc(tz, next_day.and_time(lesson_time));
        if at > after {
            return Some(at);
        }
        day = next_day.succ_opt()?;
    }
    None
}

/// The member's local calendar day of an instant.
pub fn local_day(at: DateTime<Utc>, tz: Tz) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// Parses a lesson time typed by a person: `7:30`, `07:30`, `0730`, `7.30`, `7：30`.
pub fn parse_lesson_time(input: &str) -> Option<NaiveTime> {
    let cleaned: String = input
        .trim()
        .chars()
        .map(|c| match c {
            '：' | '.' | '点' | '點' => ':',
            c => c,
        })
        .collect();
    let (h, m) = match cleaned.split_once(':') {
        Some((h, m)) => (h.trim(), m.trim().trim_end_matches('分')),
        None if cleaned.len() == 4 && cleaned.chars().all(|c| c.is_ascii_digit()) => {
            cleaned.split_at(2)
        }
        None if !cleaned.is_empty() && cleaned.len() <= 2 => (cleaned.as_str(), "0"),
        None => return None,
    };
    let m = if m.is_empty() { "0" } else { m };
    if h.is_empty()
        || !h.chars().all(|c| c.is_ascii_digit())
        || !m.chars().all(|c| c.is_ascii_digit())
    {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    NaiveTime::from_hms_opt(h, m, 0)
}

/// Parses an IANA time zone name, accepting any letter case (`asia/shanghai`).
pub fn parse_time_zone(input: &str) -> Option<Tz> {
    let trimmed = input.trim();
    Tz::from_str(trimmed).ok().or_else(|| {
        chrono_tz::TZ_VARIANTS
            .iter()
            .copied()
            .find(|tz| tz.name().eq_ignore_ascii_case(trimmed))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
    }

    #[test]
    fn shanghai_lesson_at_0730_is_2330_utc_the_day_before() {
        let every = DaySchedule::every_day();
        let after = utc(2026, 11, 24, 0, 0); // 08:00 in Shanghai: today's 07:30 has passed
        let next = next_lesson_at(&every, t(7, 30), chrono_tz::Asia::Shanghai, after).unwrap();
        assert_eq!(next, utc(2026, 11, 24, 23, 30));
        let just_before = utc(2026, 11, 23, 23, 29);
        let next =
            next_lesson_at(&every, t(7, 30), chrono_tz::Asia::Shanghai, just_before).unwrap();
        assert_eq!(next, utc(2026, 11, 23, 23, 30));
    }

    #[test]
    fn next_is_strictly_after() {
        let every = DaySchedule::every_day();
        let at = utc(2026, 11, 23, 23, 30);
        let next = next_lesson_at(&every, t(7, 30), chrono_tz::Asia::Shanghai, at).unwrap();
        assert_eq!(next, utc(2026, 11, 24, 23, 30));
    }

    #[test]
    fn zones_east_and_west_of_utc() {
        let every = DaySchedule::every_day();
        let after = utc(2026, 6, 1, 12, 0);
        // Urumqi is UTC+6 all year.
        let next = next_lesson_at(&every, t(7, 30), chrono_tz::Asia::Urumqi, after).unwrap();
        assert_eq!(next, utc(2026, 6, 2, 1, 30));
        // Honolulu is UTC-10, no DST: 07:30 local on 1 June is 17:30 UTC, after noon UTC.
        let next = next_lesson_at(&every, t(7, 30), chrono_tz::Pacific::Honolulu, after).unwrap();
        assert_eq!(next, utc(2026, 6, 1, 17, 30));
    }

    #[test]
    fn weekdays_only_skips_the_weekend() {
        let weekdays = DaySchedule::parse("* * MON-FRI").unwrap();
        // Friday 2026-11-27 08:00 Shanghai: the next is Monday 30 Nov 07:30 Shanghai.
        let after = utc(2026, 11, 27, 0, 0);
        let next = next_lesson_at(&weekdays, t(7, 30), chrono_tz::Asia::Shanghai, after).unwrap();
        assert_eq!(next, utc(2026, 11, 29, 23, 30));
        assert!(!weekdays.includes(NaiveDate::from_ymd_opt(2026, 11, 28).unwrap()));
        assert!(weekdays.includes(NaiveDate::from_ymd_opt(2026, 11, 30).unwrap()));
    }

    #[test]
    fn spring_forward_gap_moves_to_first_valid_minute() {
        // Europe/Berlin jumps from 02:00 to 03:00 on 2026-03-29.
        let every = DaySchedule::every_day();
        let after = utc(2026, 3, 28, 12, 0);
        let next = next_lesson_at(&every, t(2, 30), chrono_tz::Europe::Berlin, after).unwrap();
        // 03:00 CEST = 01:00 UTC.
        assert_eq!(next, utc(2026, 3, 29, 1, 0));
        // And the day after is normal again: 02:30 CEST = 00:30 UTC.
        let again = next_lesson_at(&every, t(2, 30), chrono_tz::Europe::Berlin, next).unwrap();
        assert_eq!(again, utc(2026, 3, 30, 0, 30));
    }

    #[test]
    fn fall_back_overlap_fires_once_at_the_earlier_instant() {
        // Europe/Berlin goes from 03:00 CEST back to 02:00 CET on 2026-10-25.
        let every = DaySchedule::every_day();
        let after = utc(2026, 10, 24, 12, 0);
        let first = next_lesson_at(&every, t(2, 30), chrono_tz::Europe::Berlin, after).unwrap();
        assert_eq!(first, utc(2026, 10, 25, 0, 30)); // 02:30 CEST
        let second = next_lesson_at(&every, t(2, 30), chrono_tz::Europe::Berlin, first).unwrap();
        assert_eq!(second, utc(2026, 10, 26, 1, 30)); // next day 02:30 CET, not 01:30 UTC the same day
    }

    #[test]
    fn invalid_schedules_are_explained() {
        assert!(matches!(
            DaySchedule::parse("* *"),
            Err(ScheduleError::Invalid(..))
        ));
        assert!(matches!(
            DaySchedule::parse("0 30 7 * * *"),
            Err(ScheduleError::Invalid(..))
        ));
        assert!(matches!(
            DaySchedule::parse("* * FUNDAY"),
            Err(ScheduleError::Invalid(..))
        ));
        assert!(matches!(
            DaySchedule::parse("31 2 *"),
            Err(ScheduleError::Never(..))
        ));
    }

    #[test]
    fn lesson_times_people_type() {
        assert_eq!(parse_lesson_time("07:30"), Some(t(7, 30)));
        assert_eq!(parse_lesson_time("7:30"), Some(t(7, 30)));
        assert_eq!(parse_lesson_time(" 7：05 "), Some(t(7, 5)));
        assert_eq!(parse_lesson_time("0730"), Some(t(7, 30)));
        assert_eq!(parse_lesson_time("20"), Some(t(20, 0)));
        assert_eq!(parse_lesson_time("8点30"), Some(t(8, 30)));
        assert_eq!(parse_lesson_time("25:99"), None);
        assert_eq!(parse_lesson_time("24:00"), None);
        assert_eq!(parse_lesson_time("7:60"), None);
        assert_eq!(parse_lesson_time("abc"), None);
        assert_eq!(parse_lesson_time(""), None);
        assert_eq!(parse_lesson_time("-1:30"), None);
    }

    #[test]
    fn time_zones_by_name() {
        assert_eq!(
            parse_time_zone("Asia/Shanghai"),
            Some(chrono_tz::Asia::Shanghai)
        );
        assert_eq!(
            parse_time_zone("asia/urumqi"),
            Some(chrono_tz::Asia::Urumqi)
        );
        assert_eq!(parse_time_zone("Mars/Olympus"), None);
    }
}
