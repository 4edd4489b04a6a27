//! Dates with a time as admins type them, in Chinese and English: `明天 8点`,
//! `后天下午3点`, `周五 19:00`, `下周一 上午9点`, `12月15日 晚上8点`, `12/15 7:30 pm`,
//! `2026-12-15 08:00`, `tomorrow 9 am`, `friday 7pm`, `dec 15 8:00`. The date part is read
//! here relative to the admin's today; the time part by [`super::time_input::read_time`].
//! A date without a year is the next one from today (December's admin typing `1月5日`
//! means next January).

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, Weekday};

use super::time_input::read_time;

/// Why a typed date and time was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DateProblem {
    /// Not a date and time at all.
    Unreadable,
    /// A date without a time ("明天"): the time is missing.
    NoTime,
}

const WEEKDAYS_ZH: [(char, Weekday); 8] = [
    ('一', Weekday::Mon),
    ('二', Weekday::Tue),
    ('三', Weekday::Wed),
    ('四', Weekday::Thu),
    ('五', Weekday::Fri),
    ('六', Weekday::Sat),
    ('日', Weekday::Sun),
    ('天', Weekday::Sun),
];

const WEEKDAYS_EN: [(&str, Weekday); 7] = [
    ("mon", Weekday::Mon),
    ("tue", Weekday::Tue),
    ("wed", Weekday::Wed),
    ("thu", Weekday::Thu),
    ("fri", Weekday::Fri),
    ("sat", Weekday::Sat),
    ("sun", Weekday::Sun),
];

const MONTHS_EN: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// Full-width digits and punctuation to ASCII, lower case; spaces kept (they separate an
/// English month from its day).
fn normalize(input: &str) -> String {
    input
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '：' => ':',
            '／' => '/',
            '－' => '-',
            '．' => '.',
            '　' => ' ',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

/// Reads a date and a time typed on `today` (the admin's local day).
pub fn read_date_time(input: &str, today: NaiveDate) -> Result<NaiveDateTime, DateProblem> {
    let text = normalize(input);
    let (date, rest) = read_date(&text, today).ok_or(DateProblem::Unreadable)?;
    // The weekday in brackets that the bot's own dates carry: "12月14日（周一）08:00".
    let rest = rest.trim_start();
    let rest = match rest.strip_prefix(['(', '（']) {
        Some(inner) => match inner.find([')', '）']) {
            Some(end) => &inner[end + inner[end..].chars().next().map_or(1, char::len_utf8)..],
            None => return Err(DateProblem::Unreadable),
        },
        None => rest,
    };
    let rest = rest.trim_start_matches([' ', ',', '，', 'T', 't']).trim();
    let rest = rest.strip_prefix("at ").unwrap_or(rest);
    if rest.is_empty() {
        return Err(DateProblem::NoTime);
    }
    let time = read_time(rest).ok_or(DateProblem::Unreadable)?.time();
    Ok(date.and_time(time))
}

/// The date at the start of `text`, and what follows it.
fn read_date(text: &str, today: NaiveDate) -> Option<(NaiveDate, &str)> {
    let days = |n: u64| today.checked_add_days(Days::new(n));
    for (words, n) in [
        (&["今天", "今日", "today"][..], 0),
        (&["明天", "明日", "tomorrow"][..], 1),
        (
            &["后天", "後天", "dayaftertomorrow", "day after tomorrow"][..],
            2,
        ),
    ] {
        for w in words {
            if let Some(rest) = text.strip_prefix(w) {
                return Some((days(n)?, rest));
            }
        }
    }
    if let Some(found) = weekday_zh(text, today) {
        return Some(found);
    }
    if let Some((date, rest)) = weekday_en(text, today) {
        // "Monday 14 December": the date after the weekday says which Monday.
        let after = rest.trim_start_matches([' ', ',']);
        return Some(month_en(after, today).unwrap_or((date, rest)));
    }
    if let Some(found) = month_en(text, today) {
        return Some(found);
    }
    numeric(text, today)
}

/// `周五`, `星期五`, `礼拜五`, `下周五`: the next such day from today (today included);
/// with 下 the one of next week.
fn weekday_zh(text: &str, today: NaiveDate) -> Option<(NaiveDate, &str)> {
    let (next_week, rest) = match text.strip_prefix('下') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let rest = ["星期", "禮拜", "礼拜", "周", "週"]
        .iter()
        .find_map(|p| rest.strip_prefix(p))?;
    let c = rest.chars().next()?;
    let (_, weekday) = WEEKDAYS_ZH.iter().find(|(d, _)| *d == c)?;
    Some((
        on_weekday(today, *weekday, next_week)?,
        &rest[c.len_utf8()..],
    ))
}

/// `friday`, `fri`, `next friday`.
fn weekday_en(text: &str, today: NaiveDate) -> Option<(NaiveDate, &str)> {
    let (next_week, rest) = match text.strip_prefix("next ") {
        Some(rest) => (true, rest.trim_start()),
        None => (false, text),
    };
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    if word.len() < 3 {
        return None;
    }
    let (_, weekday) = WEEKDAYS_EN
        .iter()
        .find(|(abbr, wd)| word.starts_with(abbr) && full_weekday(*wd).starts_with(word))?;
    Some((on_weekday(today, *weekday, next_week)?, &rest[word_end..]))
}

fn full_weekday(w: Weekday) -> &'static str {
    match w {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// The next `weekday` from `today` (today included); with `next_week`, that day of the
/// week after this one (weeks start on Monday).
fn on_weekday(today: NaiveDate, weekday: Weekday, next_week: bool) -> Option<NaiveDate> {
    let from = today.weekday().num_days_from_monday();
    let to = weekday.num_days_from_monday();
    let ahead = if next_week {
        7 - from + to
    } else {
        (to + 7 - from) % 7
    };
    today.checked_add_days(Days::new(u64::from(ahead)))
}

/// `dec 15`, `december 15`, `15 dec`.
fn month_en(text: &str, today: NaiveDate) -> Option<(NaiveDate, &str)> {
    let month_of = |word: &str| -> Option<u32> {
        (word.len() >= 3)
            .then(|| MONTHS_EN.iter().position(|m| word.starts_with(m)))
            .flatten()
            .map(|i| i as u32 + 1)
    };
    let mut parts = text.splitn(3, ' ');
    let first = parts.next()?;
    let second = parts.next()?.trim_end_matches(',');
    let rest_start = first.len() + 1 + second.len();
    let rest = text.get(rest_start..).unwrap_or("");
    let rest = rest.strip_prefix(',').unwrap_or(rest);
    let (month, day) = match (month_of(first), month_of(second)) {
        (Some(m), None) => (m, day_number(second)?),
        (None, Some(m)) => (m, day_number(first)?),
        _ => return None,
    };
    Some((without_year(today, month, day)?, rest))
}

/// `15`, `15th`, `1st`.
fn day_number(word: &str) -> Option<u32> {
    let digits = word.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    (!digits.is_empty() && digits.len() <= 2 && digits.len() + 2 >= word.len())
        .then(|| digits.parse().ok())
        .flatten()
}

/// `2026-12-15`, `2026/12/15`, `2026.12.15`, `2026年12月15日`, `12-15`, `12/15`,
/// `12月15日`, `12月15号`.
fn numeric(text: &str, today: NaiveDate) -> Option<(NaiveDate, &str)> {
    let mut numbers = Vec::new();
    let mut rest = text;
    loop {
        let len = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if len == 0 || len > 4 {
            return None;
        }
        numbers.push(rest[..len].parse::<u32>().ok()?);
        rest = &rest[len..];
        let sep = rest.chars().next();
        let last = match (numbers.len(), sep) {
            // The unit after a number in Chinese ends the date at 日 or 号.
            (_, Some('日' | '号' | '號')) => {
                rest = &rest[sep.map_or(0, char::len_utf8)..];
                true
            }
            (n, Some(c @ ('-' | '/' | '.' | '年' | '月'))) if n < 3 => {
                let sep_len = c.len_utf8();
                let next = rest[sep_len..].chars().next();
                if next.is_some_and(|c| c.is_ascii_digit()) {
                    rest = &rest[sep_len..];
                    false
                } else {
                    return None;
                }
            }
            _ => true,
        };
        if last || numbers.len() == 3 {
            break;
        }
    }
    let date = match numbers[..] {
        [year, month, day] if year >= 2000 => NaiveDate::from_ymd_opt(year as i32, month, day)?,
        [month, day] => without_year(today, month, day)?,
        _ => return None,
    };
    Some((date, rest))
}

/// Month and day in the year that makes it today or later.
fn without_year(today: NaiveDate, month: u32, day: u32) -> Option<NaiveDate> {
    let this_year = NaiveDate::from_ymd_opt(today.year(), month, day);
    match this_year {
        Some(d) if d >= today => Some(d),
        _ => NaiveDate::from_ymd_opt(today.year() + 1, month, day),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Monday 7 December 2026.
    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 7).unwrap()
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> Result<NaiveDateTime, DateProblem> {
        Ok(NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap())
    }

    #[test]
    fn dates_and_times_as_admins_type_them() {
        let cases = [
            ("2026-12-15 08:00", at(2026, 12, 15, 8, 0)),
            ("2026/12/15 8:00", at(2026, 12, 15, 8, 0)),
            ("2026.12.15 20:30", at(2026, 12, 15, 20, 30)),
            ("2026年12月15日 下午3点", at(2026, 12, 15, 15, 0)),
            ("２０２６－１２－１５ ０８：００", at(2026, 12, 15, 8, 0)),
            ("12-15 08:00", at(2026, 12, 15, 8, 0)),
            ("12/15 7:30 pm", at(2026, 12, 15, 19, 30)),
            ("12月15日 晚上8点", at(2026, 12, 15, 20, 0)),
            ("12月15号8点", at(2026, 12, 15, 8, 0)),
            ("1月5日 9点", at(2027, 1, 5, 9, 0)),
            ("明天 8点", at(2026, 12, 8, 8, 0)),
            ("明天上午9点半", at(2026, 12, 8, 9, 30)),
            ("后天下午3点", at(2026, 12, 9, 15, 0)),
            ("今天 晚上8点", at(2026, 12, 7, 20, 0)),
            ("周五 19:00", at(2026, 12, 11, 19, 0)),
            ("星期三 七点半", at(2026, 12, 9, 7, 30)),
            ("周一 10:00", at(2026, 12, 7, 10, 0)),
            ("下周一 上午9点", at(2026, 12, 14, 9, 0)),
            ("下周五 20:00", at(2026, 12, 18, 20, 0)),
            ("礼拜天 10点", at(2026, 12, 13, 10, 0)),
            ("週六 10點", at(2026, 12, 12, 10, 0)),
            ("tomorrow 9 am", at(2026, 12, 8, 9, 0)),
            ("Tomorrow at 7:30 pm", at(2026, 12, 8, 19, 30)),
            ("friday 7pm", at(2026, 12, 11, 19, 0)),
            ("Fri 19:00", at(2026, 12, 11, 19, 0)),
            ("next monday 9am", at(2026, 12, 14, 9, 0)),
            ("Dec 15 8:00", at(2026, 12, 15, 8, 0)),
            ("December 15, 8 pm", at(2026, 12, 15, 20, 0)),
            ("15 dec 08:00", at(2026, 12, 15, 8, 0)),
            ("jan 5th 10:00", at(2027, 1, 5, 10, 0)),
            // The bot's own forms, copied back.
            ("12月14日（周一）08:00", at(2026, 12, 14, 8, 0)),
            ("明天（周二）08:00", at(2026, 12, 8, 8, 0)),
            ("Monday 14 December at 8 am", at(2026, 12, 14, 8, 0)),
            ("tomorrow (Tuesday) at 8 am", at(2026, 12, 8, 8, 0)),
            ("12月14日（周一 08:00", Err(DateProblem::Unreadable)),
            // A date without a time, and what is not a date at all.
            ("明天", Err(DateProblem::NoTime)),
            ("tomorrow", Err(DateProblem::NoTime)),
            ("2026-12-15", Err(DateProblem::NoTime)),
            ("下午3点", Err(DateProblem::Unreadable)),
            ("soon", Err(DateProblem::Unreadable)),
            ("2026-13-01 08:00", Err(DateProblem::Unreadable)),
            ("2026-02-30 08:00", Err(DateProblem::Unreadable)),
            ("12月15日 25点", Err(DateProblem::Unreadable)),
            ("明天 吃饭", Err(DateProblem::Unreadable)),
            ("周八 8点", Err(DateProblem::Unreadable)),
            ("", Err(DateProblem::Unreadable)),
        ];
        for (input, expected) in cases {
            assert_eq!(read_date_time(input, today()), expected, "{input:?}");
        }
    }
}
