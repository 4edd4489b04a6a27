//! Times of day as people type them, in Chinese and English: `7点`, `七点半`, `7点15`,
//! `下午3点`, `晚上8点`, `中午12点`, `凌晨2点`, `7:30 pm`, `07.30`, `0730`, `19:00`, `noon`.
//! One reader for lesson times and the time part of admins' dates.
//!
//! A reading that could easily be a mistake is returned as [`TimeReading::Confirm`], for the
//! bot to ask before saving: an hour from 0 to 5 without 凌晨 or "am" (a lesson at 2 at
//! night is rarely meant), and a bare number from 1 to 9 (it looks like a button's
//! number).

use chrono::NaiveTime;

/// What was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeReading {
    /// Meant as read.
    Clear(NaiveTime),
    /// Probably meant, but ask first.
    Confirm(NaiveTime),
}

impl TimeReading {
    pub fn time(self) -> NaiveTime {
        match self {
            TimeReading::Clear(t) | TimeReading::Confirm(t) => t,
        }
    }
}

/// The part of the day a time was said with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Period {
    /// 凌晨, small hours.
    Night,
    /// 早上, 上午, am.
    Morning,
    /// 中午, noon.
    Noon,
    /// 下午, 傍晚, 晚上, pm.
    Afternoon,
}

/// Full-width digits and punctuation to ASCII, lower case, spaces removed.
fn normalize(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            '：' => Some(':'),
            '．' | '。' => Some('.'),
            c if c.is_whitespace() => None,
            c => Some(c.to_ascii_lowercase()),
        })
        .collect()
}

/// A Chinese numeral from 0 to 59 (`零` `一` ... `十` `十五` `二十` `四十五` `两`), or digits.
fn number(text: &str) -> Option<u32> {
    if !text.is_empty() && text.chars().all(|c| c.is_ascii_digit()) {
        return text.parse().ok().filter(|n| *n < 100);
    }
    let digit = |c: char| -> Option<u32> {
        Some(match c {
            '零' | '〇' => 0,
            '一' => 1,
            '二' | '两' | '兩' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            _ => return None,
        })
    };
    // 零5, 〇5: a zero written in words before digits.
    if let Some(rest) = text.strip_prefix(['零', '〇'])
        && !rest.is_empty()
        && rest.chars().all(|c| c.is_ascii_digit())
    {
        return rest.parse().ok().filter(|n| *n < 10);
    }
    let chars: Vec<char> = text.chars().collect();
    match chars.as_slice() {
        ['十'] => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        ['零' | '〇', u] => digit(*u),
        _ => None,
    }
}

/// Splits a leading period word off.
fn period_of(text: &str) -> (Option<Period>, &str) {
    const WORDS: [(&str, Period); 14] = [
        ("凌晨", Period::Night),
        ("半夜", Period::Night),
        ("早上", Period::Morning),
        ("早晨", Period::Morning),
        ("清晨", Period::Morning),
        ("上午", Period::Morning),
        ("早", Period::Morning),
        ("中午", Period::Noon),
        ("下午", Period::Afternoon),
        ("傍晚", Period::Afternoon),
        ("晚上", Period::Afternoon),
        ("晚间", Period::Afternoon),
        ("晚間", Period::Afternoon),
        ("晚", Period::Afternoon),
    ];
    for (word, period) in WORDS {
        if let Some(rest) = text.strip_prefix(word) {
            return (Some(period), rest);
        }
    }
    (None, text)
}

/// Splits a trailing am/pm off.
fn meridiem_of(text: &str) -> (Option<Period>, &str) {
    for (suffix, period) in [
        ("a.m.", Period::Morning),
        ("p.m.", Period::Afternoon),
        ("am", Period::Morning),
        ("pm", Period::Afternoon),
    ] {
        if let Some(rest) = text.strip_suffix(suffix) {
            return (Some(period), rest);
        }
    }
    (None, text)
}

/// Hour and minute from the rest of the text (no period words left).
fn clock(text: &str) -> Option<(u32, u32, bool)> {
    // English and machine forms: 7, 7:30, 07.30, 0730, 730.
    if let Some((h, m)) = text.split_once([':', '.']) {
        if m.len() != 2 || !m.chars().all(|c| c.is_ascii_digit()) {
            return None;
        }
        return Some((number(h)?, m.parse().ok()?, true));
    }
    if text.chars().all(|c| c.is_ascii_digit()) && !text.is_empty() {
        return match text.len() {
            1 | 2 => Some((text.parse().ok()?, 0, false)),
            3 | 4 => {
                let (h, m) = text.split_at(text.len() - 2);
                Some((h.parse().ok()?, m.parse().ok()?, true))
            }
            _ => None,
        };
    }
    // Chinese: 七点, 7点半, 7点15(分), 七点一刻, 7时30分, 7点零5.
    let (hour, rest) = text.split_once(['点', '點', '时', '時'])?;
    let hour = number(hour)?;
    let rest = rest
        .strip_suffix('分')
        .or_else(|| rest.strip_suffix("钟"))
        .or_else(|| rest.strip_suffix("鐘"))
        .unwrap_or(rest);
    let minute = match rest {
        "" | "整" => 0,
        "半" => 30,
        "一刻" => 15,
        "三刻" => 45,
        m => number(m)?,
    };
    Some((hour, minute, true))
}

/// Reads a time of day; None if it is not one.
pub fn read_time(input: &str) -> Option<TimeReading> {
    let text = normalize(input);
    match text.as_str() {
        "noon" | "中午" | "正午" => {
            return NaiveTime::from_hms_opt(12, 0, 0).map(TimeReading::Clear);
        }
        "midnight" | "午夜" => return NaiveTime::from_hms_opt(0, 0, 0).map(TimeReading::Clear),
        _ => {}
    }
    let (before, rest) = period_of(&text);
    let (after, rest) = meridiem_of(rest);
    let rest = rest.strip_suffix("o'clock").unwrap_or(rest);
    let period = match (before, after) {
        (Some(a), Some(b)) if a != b => return None,
        (a, b) => a.or(b),
    };
    let (hour, minute, explicit) = clock(rest)?;
    if minute > 59 {
        return None;
    }
    let hour = match period {
        None => {
            if hour > 23 {
                return None;
            }
            hour
        }
        Some(_) if hour > 12 => return None,
        Some(Period::Night) => {
            if hour > 6 && hour != 12 {
                return None;
            }
            hour % 12
        }
        Some(Period::Morning) => hour % 12,
        Some(Period::Noon) => match hour {
            11 => 11,
            12 => 12,
            1..=2 => hour + 12,
            _ => return None,
        },
        Some(Period::Afternoon) => {
            if hour == 12 {
                // 晚上12点 is midnight; 12 pm is noon.
                if before == Some(Period::Afternoon) {
                    0
                } else {
                    12
                }
            } else {
                hour + 12
            }
        }
    };
    let time = NaiveTime::from_hms_opt(hour, minute, 0)?;
    let looks_like_a_number = !explicit && period.is_none() && (1..=9).contains(&hour);
    let small_hours = period.is_none() && hour <= 5;
    Some(if looks_like_a_number || small_hours {
        TimeReading::Confirm(time)
    } else {
        TimeReading::Clear(time)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    /// (input, expected): `Clear`, `Confirm`, or None for a refusal.
    fn check(cases: &[(&str, Option<TimeReading>)]) {
        for (input, expected) in cases {
            assert_eq!(read_time(input), *expected, "{input:?}");
        }
    }

    use TimeReading::{Clear, Confirm};

    #[test]
    fn simplified_chinese() {
        let cases = [
            ("7点", Some(Clear(t(7, 0)))),
            ("七点", Some(Clear(t(7, 0)))),
            ("七点半", Some(Clear(t(7, 30)))),
            ("7点半", Some(Clear(t(7, 30)))),
            ("7点15", Some(Clear(t(7, 15)))),
            ("7点15分", Some(Clear(t(7, 15)))),
            ("7点零5", Some(Clear(t(7, 5)))),
            ("七点一刻", Some(Clear(t(7, 15)))),
            ("七点三刻", Some(Clear(t(7, 45)))),
            ("七点四十五", Some(Clear(t(7, 45)))),
            ("十点", Some(Clear(t(10, 0)))),
            ("十一点", Some(Clear(t(11, 0)))),
            ("二十点", Some(Clear(t(20, 0)))),
            ("二十三点五十九", Some(Clear(t(23, 59)))),
            ("两点", Some(Confirm(t(2, 0)))),
            ("下午3点", Some(Clear(t(15, 0)))),
            ("下午三点半", Some(Clear(t(15, 30)))),
            ("晚上8点", Some(Clear(t(20, 0)))),
            ("晚上八点半", Some(Clear(t(20, 30)))),
            ("晚上12点", Some(Clear(t(0, 0)))),
            ("傍晚6点", Some(Clear(t(18, 0)))),
            ("中午12点", Some(Clear(t(12, 0)))),
            ("中午1点", Some(Clear(t(13, 0)))),
            ("中午", Some(Clear(t(12, 0)))),
            ("早上7点", Some(Clear(t(7, 0)))),
            ("早上六点半", Some(Clear(t(6, 30)))),
            ("上午10点", Some(Clear(t(10, 0)))),
            ("上午12点", Some(Clear(t(0, 0)))),
            ("凌晨2点", Some(Clear(t(2, 0)))),
            ("凌晨5点半", Some(Clear(t(5, 30)))),
            ("2点", Some(Confirm(t(2, 0)))),
            ("0点", Some(Confirm(t(0, 0)))),
            ("6点", Some(Clear(t(6, 0)))),
            ("７：３０", Some(Clear(t(7, 30)))),
            ("19点", Some(Clear(t(19, 0)))),
            ("7时30分", Some(Clear(t(7, 30)))),
            ("7点整", Some(Clear(t(7, 0)))),
            // Refusals.
            ("25点", None),
            ("7点61", None),
            ("下午13点", None),
            ("凌晨8点", None),
            ("中午5点", None),
            ("七点半半", None),
            ("明天", None),
            ("", None),
        ];
        assert!(cases.len() >= 40);
        check(&cases);
    }

    #[test]
    fn traditional_chinese() {
        let cases = [
            ("7點", Some(Clear(t(7, 0)))),
            ("七點", Some(Clear(t(7, 0)))),
            ("七點半", Some(Clear(t(7, 30)))),
            ("7點15", Some(Clear(t(7, 15)))),
            ("7點15分", Some(Clear(t(7, 15)))),
            ("七點一刻", Some(Clear(t(7, 15)))),
            ("七點三刻", Some(Clear(t(7, 45)))),
            ("十點", Some(Clear(t(10, 0)))),
            ("十二點", Some(Clear(t(12, 0)))),
            ("兩點", Some(Confirm(t(2, 0)))),
            ("下午3點", Some(Clear(t(15, 0)))),
            ("下午三點半", Some(Clear(t(15, 30)))),
            ("晚上8點", Some(Clear(t(20, 0)))),
            ("晚上八點十分", Some(Clear(t(20, 10)))),
            ("晚間9點", Some(Clear(t(21, 0)))),
            ("傍晚六點", Some(Clear(t(18, 0)))),
            ("中午12點", Some(Clear(t(12, 0)))),
            ("中午一點", Some(Clear(t(13, 0)))),
            ("早上7點", Some(Clear(t(7, 0)))),
            ("早晨六點半", Some(Clear(t(6, 30)))),
            ("清晨5點", Some(Clear(t(5, 0)))),
            ("上午10點", Some(Clear(t(10, 0)))),
            ("凌晨2點", Some(Clear(t(2, 0)))),
            ("凌晨4點半", Some(Clear(t(4, 30)))),
            ("3點", Some(Confirm(t(3, 0)))),
            ("5點半", Some(Confirm(t(5, 30)))),
            ("6點", Some(Clear(t(6, 0)))),
            ("7時30分", Some(Clear(t(7, 30)))),
            ("19點", Some(Clear(t(19, 0)))),
            ("二十點半", Some(Clear(t(20, 30)))),
            ("7點零5", Some(Clear(t(7, 5)))),
            ("07:30", Some(Clear(t(7, 30)))),
            ("7:30", Some(Clear(t(7, 30)))),
            ("0730", Some(Clear(t(7, 30)))),
            ("07.30", Some(Clear(t(7, 30)))),
            ("20:00", Some(Clear(t(20, 0)))),
            // Refusals.
            ("24點", None),
            ("7點60", None),
            ("下午15點", None),
            ("凌晨9點", None),
            ("中午4點", None),
            ("後天", None),
            ("七點半鐘頭", None),
            ("   ", None),
        ];
        assert!(cases.len() >= 40);
        check(&cases);
    }

    #[test]
    fn english() {
        let cases = [
            ("7:30", Some(Clear(t(7, 30)))),
            ("07:30", Some(Clear(t(7, 30)))),
            ("7.30", Some(Clear(t(7, 30)))),
            ("07.30", Some(Clear(t(7, 30)))),
            ("0730", Some(Clear(t(7, 30)))),
            ("730", Some(Clear(t(7, 30)))),
            ("1930", Some(Clear(t(19, 30)))),
            ("19:30", Some(Clear(t(19, 30)))),
            ("7:30 pm", Some(Clear(t(19, 30)))),
            ("7:30pm", Some(Clear(t(19, 30)))),
            ("7:30 PM", Some(Clear(t(19, 30)))),
            ("7:30 p.m.", Some(Clear(t(19, 30)))),
            ("7 pm", Some(Clear(t(19, 0)))),
            ("7pm", Some(Clear(t(19, 0)))),
            ("7 am", Some(Clear(t(7, 0)))),
            ("7am", Some(Clear(t(7, 0)))),
            ("6:45 am", Some(Clear(t(6, 45)))),
            ("12 pm", Some(Clear(t(12, 0)))),
            ("12:15 pm", Some(Clear(t(12, 15)))),
            ("12 am", Some(Clear(t(0, 0)))),
            ("12:30 a.m.", Some(Clear(t(0, 30)))),
            ("2 am", Some(Clear(t(2, 0)))),
            ("noon", Some(Clear(t(12, 0)))),
            ("Noon", Some(Clear(t(12, 0)))),
            ("midnight", Some(Clear(t(0, 0)))),
            ("7 o'clock", Some(Confirm(t(7, 0)))),
            ("7", Some(Confirm(t(7, 0)))),
            ("9", Some(Confirm(t(9, 0)))),
            ("10", Some(Clear(t(10, 0)))),
            ("18", Some(Clear(t(18, 0)))),
            ("0", Some(Confirm(t(0, 0)))),
            ("2:00", Some(Confirm(t(2, 0)))),
            ("5:59", Some(Confirm(t(5, 59)))),
            ("6:00", Some(Clear(t(6, 0)))),
            ("23:59", Some(Clear(t(23, 59)))),
            ("00:00", Some(Confirm(t(0, 0)))),
            // Refusals.
            ("25:99", None),
            ("24:00", None),
            ("7:5", None),
            ("7:300", None),
            ("13 pm", None),
            ("7:30 xm", None),
            ("tomorrow", None),
            ("half past seven", None),
            ("12345", None),
            ("am", None),
        ];
        assert!(cases.len() >= 40);
        check(&cases);
    }
}
