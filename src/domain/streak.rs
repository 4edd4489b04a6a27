//! Streaks: consecutive lesson days with a check-in.
//!
//! A "lesson day" is a day on which the member was sent a lesson. Days without a lesson
//! (a weekday-only course's weekends, days while the member had paused) are simply not
//! lesson days, so they neither extend nor break a streak. Today's lesson, not yet checked
//! in, does not break the streak either: the day is not over.

use chrono::NaiveDate;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LessonDay {
    pub day: NaiveDate,
    pub checked_in: bool,
}

/// The current streak as of `today`.
pub fn current_streak(days: &[LessonDay], today: NaiveDate) -> u32 {
    let mut merged: Vec<LessonDay> = Vec::with_capacity(days.len());
    let mut sorted = days.to_vec();
    sorted.sort_by_key(|d| std::cmp::Reverse(d.day));
    for d in sorted {
        match merged.last_mut() {
            Some(last) if last.day == d.day => last.checked_in |= d.checked_in,
            _ => merged.push(d),
        }
    }
    let mut streak = 0;
    for d in &merged {
        if d.day > today {
            continue;
        }
        if d.checked_in {
            streak += 1;
        } else if d.day == today {
            // Today's lesson may still be checked in.
            continue;
        } else {
            break;
        }
    }
    streak
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(day: u32, checked_in: bool) -> LessonDay {
        LessonDay {
            day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
            checked_in,
        }
    }

    fn today(day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, day).unwrap()
    }

    #[test]
    fn empty_history_has_no_streak() {
        assert_eq!(current_streak(&[], today(10)), 0);
    }

    #[test]
    fn consecutive_checkins_count() {
        let days = [d(7, true), d(8, true), d(9, true)];
        assert_eq!(current_streak(&days, today(9)), 3);
    }

    #[test]
    fn todays_open_lesson_does_not_break_the_streak() {
        let days = [d(7, true), d(8, true), d(9, false)];
        assert_eq!(current_streak(&days, today(9)), 2);
    }

    #[test]
    fn a_missed_past_day_breaks_it() {
        let days = [d(6, true), d(7, false), d(8, true), d(9, true)];
        assert_eq!(current_streak(&days, today(9)), 2);
        // Yesterday missed: the streak is over even before today's check-in.
        let days = [d(7, true), d(8, false), d(9, false)];
        assert_eq!(current_streak(&days, today(9)), 0);
    }

    #[test]
    fn days_without_a_lesson_do_not_break_it() {
        // A weekday course: Fri 6th, then Mon 9th. Or a pause in between.
        let days = [d(5, true), d(6, true), d(9, true)];
        assert_eq!(current_streak(&days, today(9)), 3);
    }

    #[test]
    fn two_lessons_on_one_day_count_once() {
        let days = [d(8, true), d(8, false), d(9, true)];
        assert_eq!(current_streak(&days, today(9)), 2);
    }

    #[test]
    fn order_of_input_does_not_matter() {
        let days = [d(9, true), d(7, true), d(8, true)];
        assert_eq!(current_streak(&days, today(9)), 3);
    }
}
