//! The languages members read.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Locale {
    /// Simplified Chinese, the default.
    ZhCn,
    /// Traditional Chinese.
    ZhTw,
    En,
}

impl Locale {
    pub const ALL: [Locale; 3] = [Locale::ZhCn, Locale::ZhTw, Locale::En];
    pub const DEFAULT: Locale = Locale::ZhCn;

    /// The code used in file names, the database and Fluent: `zh-CN`, `zh-TW`, `en`.
    pub fn code(self) -> &'static str {
        match self {
            Locale::ZhCn => "zh-CN",
            Locale::ZhTw => "zh-TW",
            Locale::En => "en",
        }
    }

    /// The exact code as stored (`zh-CN`, `zh-TW`, `en`).
    pub fn from_code(code: &str) -> Option<Locale> {
        Locale::ALL.into_iter().find(|l| l.code() == code)
    }

    /// Maps a language tag a client reports (`zh-hans`, `zh-HK`, `en-US`, ...) to the
    /// locale we have. Traditional scripts and regions go to zh-TW, other Chinese to zh-CN.
    pub fn negotiate(tag: &str) -> Option<Locale> {
        let lower = tag.trim().replace('_', "-").to_ascii_lowercase();
        let mut parts = lower.split('-');
        let language = parts.next().unwrap_or_default();
        let rest: Vec<&str> = parts.collect();
        match language {
            "zh" => {
                let traditional = rest
                    .iter()
                    .any(|p| matches!(*p, "hant" | "tw" | "hk" | "mo"))
                    && !rest.contains(&"hans");
                Some(if traditional {
                    Locale::ZhTw
                } else {
                    Locale::ZhCn
                })
            }
            "en" => Some(Locale::En),
            _ => None,
        }
    }

    /// The two-letter language code Telegram's `setMyCommands` accepts.
    pub fn language_code(self) -> &'static str {
        match self {
            Locale::ZhCn | Locale::ZhTw => "zh",
            Locale::En => "en",
        }
    }

    /// The language a member names as people do: "中文", "简体", "繁體", "english", "英文",
    /// "English please", a code (`zh-TW`, `en`) or a tag a client reports. `None` when the
    /// text names none of ours.
    pub fn read_name(text: &str) -> Option<Locale> {
        let t: String = text
            .trim()
            .chars()
            .filter(|c| !c.is_whitespace())
            .flat_map(char::to_lowercase)
            .collect();
        if t.is_empty() {
            return None;
        }
        if let Some(l) = Locale::from_code(text.trim()).or_else(|| Locale::negotiate(&t)) {
            return Some(l);
        }
        const TRADITIONAL: [&str; 6] = ["繁", "正體", "正体", "台灣", "台湾", "香港"];
        const SIMPLIFIED: [&str; 6] = ["简", "簡", "中文", "汉语", "漢語", "普通话"];
        const ENGLISH: [&str; 4] = ["english", "英文", "英语", "英語"];
        if TRADITIONAL.iter().any(|w| t.contains(w)) {
            Some(Locale::ZhTw)
        } else if ENGLISH.iter().any(|w| t.contains(w)) {
            Some(Locale::En)
        } else if SIMPLIFIED.iter().any(|w| t.contains(w)) || t == "chinese" {
            Some(Locale::ZhCn)
        } else {
            None
        }
    }
}

impl fmt::Display for Locale {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiates_chinese_scripts_and_regions() {
        for tag in ["zh", "zh-CN", "zh-hans", "zh-Hans-CN", "zh-SG", "zh_CN"] {
            assert_eq!(Locale::negotiate(tag), Some(Locale::ZhCn), "{tag}");
        }
        for tag in ["zh-TW", "zh-Hant", "zh-HK", "zh-MO", "zh-hant-tw"] {
            assert_eq!(Locale::negotiate(tag), Some(Locale::ZhTw), "{tag}");
        }
        assert_eq!(Locale::negotiate("en-US"), Some(Locale::En));
        assert_eq!(Locale::negotiate("fr"), None);
    }

    #[test]
    fn codes_round_trip() {
        for l in Locale::ALL {
            assert_eq!(Locale::from_code(l.code()), Some(l));
        }
        assert_eq!(Locale::from_code("zh"), None);
    }

    #[test]
    fn languages_are_read_by_their_names() {
        for (text, locale) in [
            ("中文", Locale::ZhCn),
            ("简体", Locale::ZhCn),
            ("简体中文", Locale::ZhCn),
            ("簡體", Locale::ZhCn),
            ("普通话", Locale::ZhCn),
            ("Chinese", Locale::ZhCn),
            ("zh-CN", Locale::ZhCn),
            ("繁体", Locale::ZhTw),
            ("繁體中文", Locale::ZhTw),
            ("正體", Locale::ZhTw),
            ("zh-TW", Locale::ZhTw),
            ("zh-hk", Locale::ZhTw),
            ("English", Locale::En),
            (" english please ", Locale::En),
            ("英文", Locale::En),
            ("英語", Locale::En),
            ("en", Locale::En),
        ] {
            assert_eq!(Locale::read_name(text), Some(locale), "{text}");
        }
        for text in ["", "法语", "french", "7点", "ok"] {
            assert_eq!(Locale::read_name(text), None, "{text}");
        }
    }
}
