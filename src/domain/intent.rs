//! What a member means by a short typed text when no question is open: "学完了", "打卡",
//! "done" check in; "怎么听", "听不到" ask about the voice message; a number picks a
//! numbered choice. The phrases come from each locale's `phrases-*` messages (one table per
//! language in `locales/`, one phrase per line); this module only matches them.

/// What a typed text asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Check in to the latest lesson not checked in yet.
    CheckIn,
    /// How to listen to the lesson's voice message.
    HowToListen,
    /// A greeting: answered with what the bot can do.
    Greeting,
    /// Thanks: answered kindly.
    Thanks,
    /// A number (a numbered choice, a quiz option): 1-based.
    Number(u32),
}

impl Intent {
    /// The kinds of phrase tables, with the Fluent key of each language's table.
    pub const TABLES: [(PhraseKind, &'static str); 4] = [
        (PhraseKind::CheckIn, "phrases-checkin"),
        (PhraseKind::HowToListen, "phrases-listen"),
        (PhraseKind::Greeting, "phrases-greeting"),
        (PhraseKind::Thanks, "phrases-thanks"),
    ];
}

/// A table of phrases that means one intent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PhraseKind {
    CheckIn,
    HowToListen,
    Greeting,
    Thanks,
}

impl PhraseKind {
    fn intent(self) -> Intent {
        match self {
            PhraseKind::CheckIn => Intent::CheckIn,
            PhraseKind::HowToListen => Intent::HowToListen,
            PhraseKind::Greeting => Intent::Greeting,
            PhraseKind::Thanks => Intent::Thanks,
        }
    }

    /// Whether a phrase of this kind must be the whole text (a check-in must not fire on
    /// "我还没学完"), or may be found inside it ("请问怎么听？").
    fn whole(self) -> bool {
        matches!(
            self,
            PhraseKind::CheckIn | PhraseKind::Greeting | PhraseKind::Thanks
        )
    }
}

/// Every language's phrase tables, read once.
#[derive(Debug, Clone, Default)]
pub struct Phrases {
    tables: Vec<(PhraseKind, Vec<String>)>,
}

impl Phrases {
    /// Adds a table: one phrase per line (as a Fluent message's lines), blank lines ignored.
    pub fn add(&mut self, kind: PhraseKind, table: &str) {
        let phrases = table
            .lines()
            .map(normalize)
            .filter(|p| !p.is_empty())
            .collect();
        self.tables.push((kind, phrases));
    }

    /// What `text` means, if it is one of the phrases (or a number); `None` otherwise.
    pub fn read(&self, text: &str) -> Option<Intent> {
        let t = normalize(text);
        if t.is_empty() {
            return None;
        }
        if let Some(n) = number(&t) {
            return Some(Intent::Number(n));
        }
        // Whole-text phrases first: "好的谢谢" is thanks, not a check-in by "好".
        for whole_pass in [true, false] {
            for (kind, phrases) in &self.tables {
                if kind.whole() != whole_pass {
                    continue;
                }
                let hit = phrases.iter().any(|p| {
                    if whole_pass {
                        t == *p
                    } else {
                        t.contains(p.as_str())
                    }
                });
                if hit {
                    return Some(kind.intent());
                }
            }
        }
        None
    }
}

/// Lower case, without spaces and the punctuation people end a short message with.
fn normalize(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(
                    c,
                    '!' | '！' | '.' | '。' | '~' | '～' | ',' | '，' | '?' | '？' | '、' | '…'
                )
        })
        .flat_map(char::to_lowercase)
        .collect()
}

/// `3`, `３`, `三`, `第3个`, `选3`, `#3`: a choice from 1 to 20.
fn number(t: &str) -> Option<u32> {
    let core = t
        .trim_start_matches(['第', '选', '#'])
        .trim_end_matches(['个', '項', '项', '号', '號']);
    let n = if core
        .chars()
        .all(|c| c.is_ascii_digit() || ('０'..='９').contains(&c))
    {
        let digits: String = core
            .chars()
            .map(|c| match c {
                '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
                c => c,
            })
            .collect();
        digits.parse().ok()?
    } else {
        let mut chars = core.chars();
        let c = chars.next()?;
        if chars.next().is_some() {
            return None;
        }
        "一二三四五六七八九十".chars().position(|d| d == c)? as u32 + 1
    };
    (1..=20).contains(&n).then_some(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases() -> Phrases {
        let mut p = Phrases::default();
        p.add(
            PhraseKind::CheckIn,
            "学完了\n好了\n打卡\n完成\n\ndone\nok\n已学习",
        );
        p.add(
            PhraseKind::HowToListen,
            "怎么听\n语音\n听不到\nhow to listen\naudio",
        );
        p.add(PhraseKind::Greeting, "你好\nhello\nhi");
        p.add(PhraseKind::Thanks, "谢谢\n好的谢谢\nthanks\nthank you");
        p
    }

    #[test]
    fn short_texts_are_read_as_people_mean_them() {
        let p = phrases();
        for (text, intent) in [
            ("学完了", Intent::CheckIn),
            (" 学完了！", Intent::CheckIn),
            ("好了。", Intent::CheckIn),
            ("打卡", Intent::CheckIn),
            ("Done", Intent::CheckIn),
            ("OK!", Intent::CheckIn),
            ("怎么听", Intent::HowToListen),
            ("请问怎么听？", Intent::HowToListen),
            ("我听不到声音", Intent::HowToListen),
            ("How to listen?", Intent::HowToListen),
            ("你好", Intent::Greeting),
            ("Hi", Intent::Greeting),
            ("好的谢谢", Intent::Thanks),
            ("thank you", Intent::Thanks),
            ("3", Intent::Number(3)),
            ("３", Intent::Number(3)),
            ("三", Intent::Number(3)),
            ("第2个", Intent::Number(2)),
            ("选1", Intent::Number(1)),
            ("#4", Intent::Number(4)),
        ] {
            assert_eq!(p.read(text), Some(intent), "{text:?}");
        }
        // Whole phrases only for check-ins: not on a sentence that contains one.
        for text in [
            "我还没学完了吗",
            "ok google",
            "0",
            "21",
            "三十",
            "",
            "  ",
            "明天再说",
        ] {
            assert_eq!(p.read(text), None, "{text:?}");
        }
    }
}
