//! All user-facing text: Fluent bundles per locale, compiled into the binary from
//! `locales/<locale>/main.ftl`, with fallback to zh-CN for a missing message.

use std::collections::HashMap;

use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use unic_langid::LanguageIdentifier;

use crate::domain::Locale;

/// The Fluent sources, one per locale.
pub const SOURCES: [(Locale, &str); 3] = [
    (Locale::ZhCn, include_str!("../locales/zh-CN/main.ftl")),
    (Locale::ZhTw, include_str!("../locales/zh-TW/main.ftl")),
    (Locale::En, include_str!("../locales/en/main.ftl")),
];

/// The notice shown instead of a message that is missing in every locale.
pub const MISSING_TEXT: &str = "text-missing";

#[derive(Debug, thiserror::Error)]
pub enum I18nError {
    #[error("locales/{locale}/main.ftl: {problem}")]
    Invalid {
        locale: &'static str,
        problem: String,
    },
}

/// A value for a message placeholder.
#[derive(Debug, Clone)]
pub enum Arg {
    Text(String),
    Number(i64),
}

/// `From` for the types a placeholder takes: text as text, whole numbers as numbers (one
/// too large for an `i64` as its largest).
macro_rules! arg_from {
    (text: $($text:ty),*; number: $($number:ty),*) => {
        $(impl From<$text> for Arg {
            fn from(s: $text) -> Self {
                Arg::Text(s.into())
            }
        })*
        $(impl From<$number> for Arg {
            fn from(n: $number) -> Self {
                Arg::Number(i64::try_from(n).unwrap_or(i64::MAX))
            }
        })*
    };
}
arg_from!(text: &str, String, &String; number: i64, u32, u64, usize);

pub struct I18n {
    bundles: HashMap<Locale, FluentBundle<FluentResource>>,
}

impl std::fmt::Debug for I18n {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("I18n")
            .field("locales", &self.bundles.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl I18n {
    /// Builds the bundles from the compiled-in sources.
    pub fn new() -> Result<I18n, I18nError> {
        let mut bundles = HashMap::new();
        for (locale, source) in SOURCES {
            let invalid = |problem: String| I18nError::Invalid {
                locale: locale.code(),
                problem,
            };
            let resource = FluentResource::try_new(source.to_string())
                .map_err(|(_, errors)| invalid(format!("syntax errors: {errors:?}")))?;
            let langid: LanguageIdentifier = locale
                .code()
                .parse()
                .map_err(|e| invalid(format!("bad language id: {e}")))?;
            let mut bundle = FluentBundle::new_concurrent(vec![langid]);
            // Telegram would show the Unicode isolation marks around every placeholder.
            bundle.set_use_isolating(false);
            bundle
                .add_resource(resource)
                .map_err(|errors| invalid(format!("duplicate messages: {errors:?}")))?;
            bundles.insert(locale, bundle);
        }
        Ok(I18n { bundles })
    }

    /// The message `key` in `locale` with `args`, falling back to zh-CN. A key missing in
    /// every locale (the key tests make that a bug caught before release) gives the
    /// `text-missing` notice, never the key itself.
    pub fn text(&self, locale: Locale, key: &str, args: &[(&str, Arg)]) -> String {
        for l in [locale, Locale::DEFAULT] {
            if let Some(s) = self.format(l, key, args) {
                return s;
            }
        }
        tracing::error!(
            key,
            locale = locale.code(),
            "missing message: the member sees the text-missing notice"
        );
        for l in [locale, Locale::DEFAULT] {
            if let Some(s) = self.format(l, MISSING_TEXT, &[]) {
                return s;
            }
        }
        key.to_string()
    }

    /// Whether `locale` has the message `key` itself (without falling back).
    pub fn has(&self, locale: Locale, key: &str) -> bool {
        self.bundles
            .get(&locale)
            .is_some_and(|b| b.get_message(key).is_some_and(|m| m.value().is_some()))
    }

    /// [`I18n::text`] with text values only, as a problem of a venues or activities file
    /// ([`crate::domain::venue_csv::ProblemText`]) carries them. A value that is a whole
    /// number written plainly (`3`, not `03` or `3.0`) is given as a number, so that plural
    /// selectors choose by it ("1 field", "3 fields"); it reads the same.
    pub fn text_with_strings(&self, locale: Locale, key: &str, args: &[(&str, String)]) -> String {
        let args: Vec<(&str, Arg)> = args
            .iter()
            .map(|(name, value)| match value.parse::<i64>() {
                Ok(n) if n.to_string() == *value => (*name, Arg::Number(n)),
                _ => (*name, Arg::from(value)),
            })
            .collect();
        self.text(locale, key, &args)
    }

    /// Every language's phrase tables (`phrases-*`), for reading what members type.
    pub fn phrases(&self) -> crate::domain::intent::Phrases {
        let mut phrases = crate::domain::intent::Phrases::default();
        for locale in Locale::ALL {
            for (kind, key) in crate::domain::intent::Intent::TABLES {
                if self.has(locale, key) {
                    phrases.add(kind, &self.text(locale, key, &[]));
                }
            }
        }
        phrases
    }

    /// A zone as people name it (`北京时间`, "Beijing time"), or its IANA name when it has
    /// no name of its own.
    pub fn zone_name(&self, locale: Locale, tz: chrono_tz::Tz) -> String {
        match crate::domain::zone::zone_key(tz) {
            Some(key) => self.text(locale, &key, &[]),
            None => tz.name().to_string(),
        }
    }

    /// A time of day in the locale's clock (`07:30`; "7:30 am").
    pub fn clock(&self, locale: Locale, clock: crate::domain::when::Clock) -> String {
        self.text(locale, "clock", &clock_args(clock))
    }

    /// A moment as the member reads it (`今天 07:30`, `明天（周二）19:00`,
    /// `12月15日（周一）07:30`, "today at 7:30 am", "Tuesday at 7 pm"), with the zone's name
    /// when it is not the member's usual one.
    pub fn when(&self, locale: Locale, when: &crate::domain::when::When) -> String {
        let mut args = day_args(self, locale, when.day);
        args.push(("clock", Arg::Text(self.clock(locale, when.clock))));
        let text = self.text(locale, when.day.key(), &args);
        match when.zone {
            None => text,
            Some(tz) => self.text(
                locale,
                "when-in-zone",
                &[
                    ("when", Arg::Text(text)),
                    ("zone", Arg::Text(self.zone_name(locale, tz))),
                ],
            ),
        }
    }

    /// A day as the member reads it (`今天`, `明天（周二）`, `12月15日（周一）`).
    pub fn day(&self, locale: Locale, day: crate::domain::when::Day) -> String {
        let args = day_args(self, locale, day);
        self.text(locale, day.day_key(), &args)
    }

    fn format(&self, locale: Locale, key: &str, args: &[(&str, Arg)]) -> Option<String> {
        let bundle = self.bundles.get(&locale)?;
        let message = bundle.get_message(key)?;
        let pattern = message.value()?;
        let mut fargs = FluentArgs::new();
        for (name, value) in args {
            match value {
                Arg::Text(s) => fargs.set(*name, FluentValue::from(s.as_str())),
                Arg::Number(n) => fargs.set(*name, FluentValue::from(*n)),
            }
        }
        let mut errors = Vec::new();
        let text = bundle.format_pattern(pattern, Some(&fargs), &mut errors);
        if !errors.is_empty() {
            tracing::warn!(
                key,
                locale = locale.code(),
                ?errors,
                "message formatting problems"
            );
        }
        Some(text.into_owned())
    }
}

/// The placeholders of the `clock` message, of which each language uses what its clock
/// shows: `hh` and `mm` (two digits), `hour12` and `minute` (numbers), `pm` (1 after noon,
/// else 0).
pub const CLOCK_PLACEHOLDERS: [&str; 5] = ["hh", "mm", "hour12", "minute", "pm"];

fn clock_args(clock: crate::domain::when::Clock) -> Vec<(&'static str, Arg)> {
    vec![
        ("hh", Arg::Text(format!("{:02}", clock.hour))),
        ("hour12", Arg::from(clock.hour12)),
        ("minute", Arg::from(clock.minute)),
        ("mm", Arg::Text(clock.mm())),
        ("pm", Arg::from(u32::from(clock.pm))),
    ]
}

/// The placeholders of the `when-*` and `day-*` messages: `weekday` (its name), `year`,
/// `month` (a number), `monthname` (its name) and `day`, as the form has them.
fn day_args(
    i18n: &I18n,
    locale: Locale,
    day: crate::domain::when::Day,
) -> Vec<(&'static str, Arg)> {
    use crate::domain::when::{Day, weekday_key};
    let mut args = Vec::new();
    if let Some(w) = day.weekday() {
        args.push(("weekday", Arg::Text(i18n.text(locale, weekday_key(w), &[]))));
    }
    let (year, month, date) = match day {
        Day::Date { month, day, .. } => (None, Some(month), Some(day)),
        Day::FullDate {
            year, month, day, ..
        } => (Some(year), Some(month), Some(day)),
        _ => (None, None, None),
    };
    if let Some(year) = year {
        args.push(("year", Arg::Number(i64::from(year))));
    }
    if let Some(month) = month {
        args.push(("month", Arg::from(month)));
        args.push((
            "monthname",
            Arg::Text(i18n.text(locale, &format!("month-{month}"), &[])),
        ));
    }
    if let Some(date) = date {
        args.push(("day", Arg::from(date)));
    }
    args
}

/// `t!(i18n, locale, "key", name = value, ...)`
#[macro_export]
macro_rules! t {
    ($i18n:expr, $locale:expr, $key:expr $(, $name:ident = $value:expr)* $(,)?) => {
        $i18n.text($locale, $key, &[$((stringify!($name), $crate::i18n::Arg::from($value))),*])
    };
}

#[cfg(test)]
mod tests {
    use std::collections::{BTreeMap, BTreeSet};

    use fluent_syntax::ast;

    use super::*;

    /// message id -> placeholder names, for one locale's source.
    fn messages(source: &str) -> BTreeMap<String, BTreeSet<String>> {
        let resource = fluent_syntax::parser::parse(source).expect("parses");
        let mut out = BTreeMap::new();
        for entry in resource.body {
            if let ast::Entry::Message(m) = entry {
                let mut vars = BTreeSet::new();
                if let Some(p) = &m.value {
                    collect_vars(p, &mut vars);
                }
                for a in &m.attributes {
                    collect_vars(&a.value, &mut vars);
                }
                out.insert(m.id.name.to_string(), vars);
            }
        }
        out
    }

    fn collect_vars(p: &ast::Pattern<&str>, vars: &mut BTreeSet<String>) {
        for el in &p.elements {
            if let ast::PatternElement::Placeable { expression } = el {
                collect_expr(expression, vars);
            }
        }
    }

    fn collect_expr(e: &ast::Expression<&str>, vars: &mut BTreeSet<String>) {
        match e {
            ast::Expression::Inline(i) => collect_inline(i, vars),
            ast::Expression::Select { selector, variants } => {
                collect_inline(selector, vars);
                for v in variants {
                    collect_vars(&v.value, vars);
                }
            }
        }
    }

    fn collect_inline(i: &ast::InlineExpression<&str>, vars: &mut BTreeSet<String>) {
        match i {
            ast::InlineExpression::VariableReference { id } => {
                vars.insert(id.name.to_string());
            }
            ast::InlineExpression::Placeable { expression } => collect_expr(expression, vars),
            _ => {}
        }
    }

    #[test]
    fn every_locale_has_every_key_with_the_same_placeholders() {
        let reference = messages(SOURCES[0].1);
        assert!(reference.len() > 20);
        for (locale, source) in SOURCES {
            let these = messages(source);
            let missing: Vec<_> = reference
                .keys()
                .filter(|k| !these.contains_key(*k))
                .collect();
            let extra: Vec<_> = these
                .keys()
                .filter(|k| !reference.contains_key(*k))
                .collect();
            assert!(missing.is_empty(), "{locale} lacks {missing:?}");
            assert!(extra.is_empty(), "{locale} has keys zh-CN lacks: {extra:?}");
            for (key, vars) in &reference {
                if key == "clock" {
                    // Each language's clock uses the placeholders it needs.
                    assert!(
                        these[key]
                            .iter()
                            .all(|v| CLOCK_PLACEHOLDERS.contains(&v.as_str())),
                        "{locale}: clock uses {:?}",
                        these[key]
                    );
                    continue;
                }
                assert_eq!(
                    &these[key], vars,
                    "{locale}: placeholders of {key} differ from zh-CN"
                );
            }
        }
    }

    #[test]
    fn every_key_used_in_the_code_exists() {
        // Scan the sources for t!(.., .., "key" and Ctx::reply's .reply(.., "key" uses.
        let i18n = I18n::new().unwrap();
        let reference = messages(SOURCES[0].1);
        let mut used = BTreeSet::new();
        let calls = [("t!(", 2), (".reply(", 1)];
        for path in crate::architecture::source_files(&[""]) {
            let text = std::fs::read_to_string(&path).unwrap();
            for (call, commas) in calls {
                for (i, _) in text.match_indices(call) {
                    let before = text[..i].chars().last().unwrap_or(' ');
                    if call == "t!(" && (before.is_alphanumeric() || before == '_') {
                        continue; // assert!( and friends
                    }
                    let line_start = text[..i].rfind('\n').map_or(0, |n| n + 1);
                    if text[line_start..i].trim_start().starts_with("//") {
                        continue; // documentation
                    }
                    let rest = &text[i..];
                    if let Some(q) = rest.find('"') {
                        let after = &rest[q + 1..];
                        let Some(end) = after.find('"') else { continue };
                        let key = &after[..end];
                        let args_before_quote = rest[..q].matches(',').count();
                        if args_before_quote == commas
                            && key
                                .chars()
                                .all(|c| c.is_ascii_lowercase() || c == '-' || c.is_ascii_digit())
                        {
                            used.insert(key.to_string());
                        }
                    }
                }
            }
        }
        assert!(used.len() > 20, "found only {used:?}");
        // Ctx::reply's keys are among them.
        assert!(
            used.contains("welcome") && used.contains("not-understood"),
            "{used:?}"
        );
        for key in &used {
            assert!(
                reference.contains_key(key),
                "the code uses {key:?}, which locales/zh-CN lacks"
            );
        }
        assert_eq!(t!(i18n, Locale::En, "checkin-button"), "✅ Done — check in");
    }

    /// Keys chosen at run time (`let key = match ... { .. => "quiz-closed", .. }`, lists of
    /// column keys) are not `t!` literals: every string literal shaped like a key in the
    /// code that makes messages must be a key, or one of the names below that are not
    /// messages (button data prefixes, an audit name, the console's name, Telegram's secret
    /// header). A misspelt key fails here.
    #[test]
    fn every_key_shaped_literal_in_the_message_code_is_a_key() {
        const NOT_KEYS: [&str; 6] = [
            // sox's name of the AMR-NB format (channel/wecom/voice.rs).
            "amr-nb",
            "br-this",
            "br-up",
            "broadcast-cancel",
            "weike-console",
            "x-telegram-bot-api-secret-token",
        ];
        let reference = messages(SOURCES[0].1);
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![root.join("service.rs"), root.join("chat.rs")];
        files.extend(crate::architecture::source_files(&[
            "conversation",
            "channel",
            "jobs",
        ]));
        let mut seen = 0;
        let mut unknown = BTreeSet::new();
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            // Test modules may use made-up keys.
            let code = text.split("#[cfg(test)]").next().unwrap_or_default();
            for literal in code.split('"').skip(1).step_by(2) {
                let shaped = literal.contains('-')
                    && literal.starts_with(|c: char| c.is_ascii_lowercase())
                    && !literal.ends_with('-')
                    && literal.chars().all(|c| {
                        c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                    });
                if !shaped || crate::jobs::Job::parse(literal).is_some() {
                    continue;
                }
                seen += 1;
                if !reference.contains_key(literal) && !NOT_KEYS.contains(&literal) {
                    unknown.insert(format!("{}: {literal}", path.display()));
                }
            }
        }
        assert!(seen > 100, "found only {seen} key-shaped literals");
        assert!(
            unknown.is_empty(),
            "not message keys (misspelt? else add them to NOT_KEYS): {unknown:#?}"
        );
    }

    /// Keys built with `format!`: the command menu's descriptions, the lines of /help and
    /// /admin, and the CSV columns' names in words.
    #[test]
    fn every_key_built_at_run_time_exists_in_every_locale() {
        use crate::conversation::command::Command;
        let i18n = I18n::new().unwrap();
        for locale in Locale::ALL {
            let keys = Command::MEMBER
                .iter()
                .map(|c| c.menu_key())
                .chain(Command::MEMBER[1..].iter().map(|c| c.help_key()))
                .chain(Command::ADMIN[1..].iter().map(|c| c.help_key()));
            let fields =
                crate::domain::venue_csv::column_names().map(crate::domain::venue_csv::field_key);
            for key in keys.chain(fields) {
                assert!(i18n.has(locale, &key), "{locale:?} lacks {key}");
            }
        }
    }

    /// Keys of dates, clocks and zones (`weekday-*`, `month-*`, `when-*`, `day-*`,
    /// `zone-*`), built from values at run time: every one exists in every locale, and the
    /// forms read as people write them.
    #[test]
    fn every_date_and_zone_key_exists_and_reads_naturally() {
        use crate::domain::when::{Clock, Day, When, day_of, weekday_key};
        use chrono::{Datelike, NaiveDate, Weekday};
        let i18n = I18n::new().unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        let mut keys: Vec<String> = Vec::new();
        for offset in -400..400 {
            let day = day_of(today, today + chrono::Duration::days(offset));
            keys.push(day.key().into());
            keys.push(day.day_key().into());
            if let Some(w) = day.weekday() {
                keys.push(weekday_key(w).into());
            }
            let date = today + chrono::Duration::days(offset);
            keys.push(format!("month-{}", date.month()));
        }
        keys.extend(crate::domain::zone::named_zones().filter_map(crate::domain::zone::zone_key));
        keys.extend(["clock".into(), "when-in-zone".into()]);
        keys.sort();
        keys.dedup();
        assert!(keys.len() > 40, "{keys:?}");
        for locale in Locale::ALL {
            for key in &keys {
                assert!(i18n.has(locale, key), "{locale:?} lacks {key}");
            }
        }
        let at = |day, h, m, zone| When {
            day,
            clock: Clock::of(h, m),
            zone,
        };
        let cases = [
            (
                at(Day::Today, 7, 30, None),
                "今天 07:30",
                "今天 07:30",
                "today at 7:30 am",
            ),
            (
                at(Day::Tomorrow(Weekday::Tue), 19, 0, None),
                "明天（周二）19:00",
                "明天（週二）19:00",
                "tomorrow (Tuesday) at 7 pm",
            ),
            (
                at(Day::ThisWeek(Weekday::Thu), 12, 5, None),
                "周四 12:05",
                "週四 12:05",
                "Thursday at 12:05 pm",
            ),
            (
                at(
                    Day::Date {
                        month: 12,
                        day: 15,
                        weekday: Weekday::Tue,
                    },
                    0,
                    0,
                    None,
                ),
                "12月15日（周二）00:00",
                "12月15日（週二）00:00",
                "Tuesday 15 December at 12 am",
            ),
            (
                at(Day::Yesterday, 8, 0, Some(chrono_tz::Asia::Shanghai)),
                "昨天 08:00（北京时间）",
                "昨天 08:00（北京時間）",
                "yesterday at 8 am (Beijing time)",
            ),
        ];
        for (when, zh_cn, zh_tw, en) in cases {
            assert_eq!(i18n.when(Locale::ZhCn, &when), zh_cn);
            assert_eq!(i18n.when(Locale::ZhTw, &when), zh_tw);
            assert_eq!(i18n.when(Locale::En, &when), en);
        }
        let far = Day::FullDate {
            year: 2027,
            month: 1,
            day: 2,
            weekday: Weekday::Sat,
        };
        assert_eq!(i18n.day(Locale::ZhCn, far), "2027年1月2日（周六）");
        assert_eq!(i18n.day(Locale::En, far), "Saturday 2 January 2027");
        assert_eq!(
            i18n.zone_name(Locale::En, chrono_tz::Asia::Urumqi),
            "Urumqi time"
        );
        assert_eq!(
            i18n.zone_name(Locale::ZhCn, chrono_tz::Africa::Cairo),
            "Africa/Cairo"
        );
    }

    /// The phrase tables of every locale exist and read the examples of each language.
    #[test]
    fn every_locale_has_phrase_tables_that_read_its_examples() {
        use crate::domain::intent::Intent;
        let i18n = I18n::new().unwrap();
        for locale in Locale::ALL {
            for (_, key) in Intent::TABLES {
                assert!(i18n.has(locale, key), "{locale:?} lacks {key}");
            }
        }
        let p = i18n.phrases();
        for (text, intent) in [
            ("学完了", Intent::CheckIn),
            ("學完了！", Intent::CheckIn),
            ("Done.", Intent::CheckIn),
            ("打卡", Intent::CheckIn),
            ("好了", Intent::CheckIn),
            ("怎么听？", Intent::HowToListen),
            ("語音聽不到", Intent::HowToListen),
            ("I can't hear it", Intent::HowToListen),
            ("您好", Intent::Greeting),
            ("Hello!", Intent::Greeting),
            ("谢谢", Intent::Thanks),
            ("Thank you", Intent::Thanks),
            ("2", Intent::Number(2)),
        ] {
            assert_eq!(p.read(text), Some(intent), "{text:?}");
        }
        for text in ["我还没学完", "明天再说", "what is this"] {
            assert_eq!(p.read(text), None, "{text:?}");
        }
    }

    /// The problems of venue and activity rows are keys with arguments, not `t!` calls:
    /// every key they can have exists (in every locale, by the test above), and uses only
    /// placeholders the problems give.
    #[test]
    fn every_csv_problem_key_exists_with_placeholders_the_problems_give() {
        use crate::domain::venue_csv::PROBLEM_KEYS;
        let keys: BTreeSet<&str> = PROBLEM_KEYS.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys.len(), PROBLEM_KEYS.len(), "a key is listed twice");
        for (locale, source) in SOURCES {
            let these = messages(source);
            for (key, given) in PROBLEM_KEYS {
                let Some(used) = these.get(*key) else {
                    panic!("locales/{locale}/main.ftl lacks {key}");
                };
                let given: BTreeSet<String> = given.iter().map(|s| s.to_string()).collect();
                assert!(
                    used.is_subset(&given),
                    "{locale}: {key} uses {used:?}, but the problems give only {given:?}"
                );
            }
        }
    }

    #[test]
    fn csv_problems_render_in_each_locale() {
        use crate::domain::venue_csv::parse_venues;
        let i18n = I18n::new().unwrap();
        let e = parse_venues(
            "v.csv",
            "id,name,lat,lon
Bad Id,x,95,0
",
        )
        .unwrap_err();
        let render = |locale| -> Vec<String> {
            e.problems
                .iter()
                .map(|p| i18n.text_with_strings(locale, p.text.key, &p.text.args))
                .collect()
        };
        assert_eq!(
            render(Locale::En),
            [
                "id \"Bad Id\" is not a valid id: use 1 to 40 characters from a-z, 0-9, '-', \
                 '_' and '.'",
                "latitude 95 is out of range: use -90 to 90",
            ]
        );
        assert_eq!(
            render(Locale::ZhCn),
            [
                "id“Bad Id”不是有效的编号：请用 1 到 40 个字符，只能是 a-z、0-9、“-”、“_”和“.”",
                "纬度 95 超出范围：应在 -90 到 90 之间",
            ]
        );
        assert_eq!(
            render(Locale::ZhTw)[1],
            "緯度 95 超出範圍：應在 -90 到 90 之間"
        );
        assert_eq!(t!(i18n, Locale::En, "csv-problem-separator"), "; ");
    }

    #[test]
    fn no_isolation_marks_and_fallback_works() {
        let i18n = I18n::new().unwrap();
        let s = t!(i18n, Locale::En, "checkin-recorded", streak = 3i64);
        assert!(!s.contains('\u{2068}') && !s.contains('\u{2069}'), "{s:?}");
        assert!(s.contains('3'));
        // A key missing everywhere never reaches a member as the key itself.
        assert_eq!(
            i18n.text(Locale::En, "no-such-key", &[]),
            t!(i18n, Locale::En, "text-missing")
        );
        assert!(i18n.has(Locale::ZhTw, "text-missing"));
        assert!(!i18n.has(Locale::ZhTw, "no-such-key"));
    }

    /// zh-TW and en lack a message: the member reads it in zh-CN, not its key.
    #[test]
    fn a_key_missing_in_one_locale_falls_back_to_zh_cn() {
        let mut i18n = I18n::new().unwrap();
        let only_zh_cn = "only-here = 只有简体\n";
        let mut bundle =
            FluentBundle::new_concurrent(vec!["zh-CN".parse::<LanguageIdentifier>().unwrap()]);
        bundle.set_use_isolating(false);
        bundle
            .add_resource(FluentResource::try_new(SOURCES[0].1.to_string() + only_zh_cn).unwrap())
            .unwrap();
        i18n.bundles.insert(Locale::ZhCn, bundle);
        let key = "only-here";
        assert_eq!(t!(i18n, Locale::En, key), "只有简体");
        assert_eq!(t!(i18n, Locale::ZhTw, key), "只有简体");
    }

    /// The words right after the number `n` written on its own ("1 day", "(1/1 members)",
    /// "+1 point"), lowercased, without the punctuation around them.
    fn words_after(text: &str, n: char) -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        let mut out = Vec::new();
        for (i, c) in chars.iter().enumerate() {
            let before = i.checked_sub(1).map(|j| chars[j]);
            if *c != n
                || before.is_some_and(|b| b.is_ascii_digit() || b == '.' || b.is_alphabetic())
                || chars.get(i + 1) != Some(&' ')
            {
                continue;
            }
            let word: String = chars[i + 2..]
                .iter()
                .take_while(|c| c.is_alphanumeric() || **c == '-' || **c == '\'')
                .collect();
            if !word.is_empty() {
                out.push(word.to_lowercase());
            }
        }
        out
    }

    /// English counts agree with their nouns in every message: each message with a
    /// placeholder is rendered with every placeholder the number 1, then 2; after "1" no
    /// plural noun may follow, after "2" none of the singular nouns the `[one]` variants
    /// use. Plural selectors (`{ $n -> [one] day *[other] days }`) make that so.
    #[test]
    fn english_counts_agree_with_their_nouns() {
        let i18n = I18n::new().unwrap();
        let source = SOURCES
            .iter()
            .find(|(l, _)| *l == Locale::En)
            .map(|(_, s)| *s)
            .unwrap();
        // Words ending in "s" that are not plurals of a counted thing.
        const NOT_PLURALS: [&str; 7] = ["is", "was", "has", "s", "its", "contains", "does"];
        // Placeholders given as text with a decimal (always "29.5 messages"), rendered so.
        const DECIMALS: [(&str, &str); 2] =
            [("capacity-header", "rate"), ("capacity-header", "per")];
        // The singular nouns: the first word of every short `[one]` variant.
        let singulars: BTreeSet<String> = source
            .lines()
            .filter_map(|l| l.trim().strip_prefix("[one] "))
            .filter(|v| v.split_whitespace().count() <= 2)
            .filter_map(|v| v.split_whitespace().next())
            .map(str::to_lowercase)
            .collect();
        for noun in ["day", "point", "member", "check-in", "character", "minute"] {
            assert!(singulars.contains(noun), "{noun}: {singulars:?}");
        }
        let mut mistakes = Vec::new();
        let mut counted = 0;
        for (key, vars) in messages(source) {
            if vars.is_empty() {
                continue;
            }
            counted += 1;
            for n in [1i64, 2] {
                let args: Vec<(&str, Arg)> = vars
                    .iter()
                    .map(|v| match DECIMALS.contains(&(key.as_str(), v.as_str())) {
                        true => (v.as_str(), Arg::from(format!("{n}.5"))),
                        false => (v.as_str(), Arg::Number(n)),
                    })
                    .collect();
                let text = i18n.text(Locale::En, &key, &args);
                let digit = if n == 1 { '1' } else { '2' };
                for word in words_after(&text, digit) {
                    let wrong = if n == 1 {
                        word.ends_with('s') && !NOT_PLURALS.contains(&word.as_str())
                    } else {
                        singulars.contains(&word)
                    };
                    if wrong {
                        mistakes.push(format!("{key} with {n}: “{n} {word}” in {text:?}"));
                    }
                }
            }
        }
        assert!(counted > 150, "only {counted} messages with placeholders");
        assert!(mistakes.is_empty(), "{}", mistakes.join("\n"));

        // What some of them read with 1 (and 2), in full: `key name=n ... | text` (the
        // placeholders not named are 1).
        let cases = "\
            checkin-recorded points=1 streak=1 | ✅ Checked in! +1 point. Streak: 1 day.
            checkin-recorded points=2 streak=2 | ✅ Checked in! +2 points. Streak: 2 days.
            streak-bonus streak=1 points=1 | 🔥 1 day in a row! Bonus: +1 point
            rank-mine rank=1 points=1 | Your place: 1 (1 point)
            export-caption count=1 | 📎 1 · 1 · progress of 1 member
            broadcast-inactive-label days=1 | no check-in for 1 day
            stats-more-rows count=1 | …and 1 more branch; /export has them all
            capacity-more count=2 | …and 2 more slots
            branch-matches count=1 | 1 branch matches “1”; please choose:
            csv-field-count fields=1 header=7 | the row has 1 field but the header has 7";
        let all = messages(source);
        for case in cases.lines() {
            let (call, expected) = case.split_once(" | ").expect("key args | text");
            let mut words = call.split_whitespace();
            let key = words.next().expect("a key");
            let mut args: Vec<(&str, Arg)> = words
                .map(|w| {
                    let (name, n) = w.split_once('=').expect("name=n");
                    (name, Arg::Number(n.parse().expect("a number")))
                })
                .collect();
            for v in &all[key] {
                if !args.iter().any(|(k, _)| k == v) {
                    args.push((v.as_str(), Arg::Number(1)));
                }
            }
            assert_eq!(i18n.text(Locale::En, key, &args), expected, "{key}");
        }
        let figures = i18n.text(
            Locale::En,
            "stats-figures",
            &[
                ("rate", Arg::from("100%")),
                ("participants", Arg::Number(1)),
                ("active", Arg::Number(1)),
                ("checkins", Arg::Number(1)),
                ("accuracy", Arg::from("–")),
                ("points", Arg::Number(1)),
                ("migrant_rate", Arg::from("–")),
                ("migrant_participants", Arg::Number(0)),
                ("migrant_active", Arg::Number(0)),
            ],
        );
        assert_eq!(
            figures,
            "participation 100% (1/1 member) · 1 check-in · quiz accuracy – · 1 point · members away – (0/0)"
        );
        // A CSV problem's numbers arrive as text and still choose their noun.
        assert_eq!(
            i18n.text_with_strings(
                Locale::En,
                "csv-too-long",
                &[
                    ("column", "name".into()),
                    ("length", "1".into()),
                    ("max", "0".into())
                ]
            ),
            "name is 1 character long: use at most 0"
        );
    }
}
