//! Members and where they are in their conversation with the bot.

use chrono::NaiveTime;

use super::locale::Locale;
use super::text::{ShownTextProblem, check_shown_text};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberStatus {
    /// Receives lessons.
    Active,
    /// Asked to stop lessons for now (`/pause`).
    Paused,
    /// Blocked the bot; nothing is sent until they write again.
    Blocked,
    Left,
}

impl MemberStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MemberStatus::Active => "active",
            MemberStatus::Paused => "paused",
            MemberStatus::Blocked => "blocked",
            MemberStatus::Left => "left",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Active, Self::Paused, Self::Blocked, Self::Left]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

/// Which question the bot is waiting for an answer to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dialog {
    /// Nothing asked: commands and buttons only.
    Idle,
    /// Onboarding or settings: pick a language.
    Language { onboarding: bool },
    /// Type a display name.
    Name { onboarding: bool },
    /// Pick a branch; `parent` is the level being shown (None: the top), `page` its page.
    Branch {
        onboarding: bool,
        parent: Option<String>,
        page: u16,
    },
    /// Keep or type a lesson time.
    LessonTime { onboarding: bool },
    /// Keep, pick or type a time zone.
    TimeZone { onboarding: bool },
    /// An admin writes an announcement (`draft` None), or the send time of draft `draft`.
    Broadcast { draft: Option<i64> },
}

impl Dialog {
    /// Stored form, e.g. `branch:1:qs.dh` (`branch:1:qs.dh:2` on its third page).
    pub fn encode(&self) -> String {
        let flag = |b: bool| if b { "1" } else { "0" };
        match self {
            Dialog::Idle => "idle".into(),
            Dialog::Language { onboarding } => format!("language:{}", flag(*onboarding)),
            Dialog::Name { onboarding } => format!("name:{}", flag(*onboarding)),
            Dialog::Branch {
                onboarding,
                parent,
                page,
            } => {
                let parent = parent.as_deref().unwrap_or("");
                match page {
                    0 => format!("branch:{}:{parent}", flag(*onboarding)),
                    _ => format!("branch:{}:{parent}:{page}", flag(*onboarding)),
                }
            }
            Dialog::LessonTime { onboarding } => format!("time:{}", flag(*onboarding)),
            Dialog::TimeZone { onboarding } => format!("tz:{}", flag(*onboarding)),
            Dialog::Broadcast { draft: None } => "broadcast:0".into(),
            Dialog::Broadcast { draft: Some(id) } => format!("broadcast:1:{id}"),
        }
    }

    /// Reads the stored form; anything unreadable becomes `Idle`.
    pub fn decode(s: &str) -> Dialog {
        let mut parts = s.splitn(3, ':');
        let kind = parts.next().unwrap_or_default();
        let onboarding = parts.next() == Some("1");
        match kind {
            "language" => Dialog::Language { onboarding },
            "name" => Dialog::Name { onboarding },
            "branch" => {
                // Branch ids hold no ':'; the page follows the parent from page 2 on.
                let rest = parts.next().unwrap_or_default();
                let (parent, page) = match rest.split_once(':') {
                    Some((parent, page)) => (parent, page.parse().unwrap_or(0)),
                    None => (rest, 0),
                };
                Dialog::Branch {
                    onboarding,
                    parent: (!parent.is_empty()).then(|| parent.to_string()),
                    page,
                }
            }
            "time" => Dialog::LessonTime { onboarding },
            "tz" => Dialog::TimeZone { onboarding },
            "broadcast" => Dialog::Broadcast {
                draft: parts.next().and_then(|id| id.parse().ok()),
            },
            _ => Dialog::Idle,
        }
    }
}

/// A member as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub id: i64,
    pub channel: String,
    pub chat_id: String,
    pub display_name: Option<String>,
    pub branch_id: Option<String>,
    pub locale: Locale,
    pub timezone: chrono_tz::Tz,
    pub lesson_time: NaiveTime,
    pub status: MemberStatus,
    pub onboarded: bool,
    pub dialog: Dialog,
}

pub const MAX_NAME_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameProblem {
    Empty,
    TooLong,
    ControlCharacters,
    LooksLikeCommand,
    /// Starts with `=`, `+`, `-` or `@`, which a spreadsheet opening an export would read
    /// as a formula.
    LooksLikeFormula,
    /// Not a name others can read as it is: a bidirectional control or a byte-order mark
    /// in it, or nothing visible ([`super::text::check_shown_text`]).
    NotShown(ShownTextProblem),
}

/// Validates a display name: trimmed, 1-32 characters, no control characters, not a
/// command, not something a spreadsheet would run ([`super::csv_safe`]; exports neutralize
/// such cells anyway, for names stored before this check), shown as it is written
/// ([`super::text::check_shown_text`]).
pub fn validate_display_name(input: &str) -> Result<String, NameProblem> {
    let name = input.split_whitespace().collect::<Vec<_>>().join(" ");
    if name.is_empty() {
        return Err(NameProblem::Empty);
    }
    if name.starts_with('/') {
        return Err(NameProblem::LooksLikeCommand);
    }
    if super::csv_safe::starts_like_formula(&name) {
        return Err(NameProblem::LooksLikeFormula);
    }
    if name.chars().any(|c| c.is_control()) {
        return Err(NameProblem::ControlCharacters);
    }
    check_shown_text(&name).map_err(NameProblem::NotShown)?;
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(NameProblem::TooLong);
    }
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dialog_round_trips() {
        let all = [
            Dialog::Idle,
            Dialog::Language { onboarding: true },
            Dialog::Name { onboarding: false },
            Dialog::Branch {
                onboarding: true,
                parent: None,
                page: 0,
            },
            Dialog::Branch {
                onboarding: true,
                parent: None,
                page: 3,
            },
            Dialog::Broadcast { draft: None },
            Dialog::Broadcast { draft: Some(42) },
            Dialog::Branch {
                onboarding: false,
                parent: Some("qs.dh".into()),
                page: 0,
            },
            Dialog::Branch {
                onboarding: false,
                parent: Some("qs.dh".into()),
                page: 12,
            },
            Dialog::LessonTime { onboarding: true },
            Dialog::TimeZone { onboarding: false },
        ];
        for d in all {
            assert_eq!(Dialog::decode(&d.encode()), d);
        }
        assert_eq!(Dialog::decode("garbage"), Dialog::Idle);
        // Stored before pages: the first page.
        assert_eq!(
            Dialog::decode("branch:1:qs.dh"),
            Dialog::Branch {
                onboarding: true,
                parent: Some("qs.dh".into()),
                page: 0
            }
        );
    }

    #[test]
    fn names_are_cleaned_and_checked() {
        assert_eq!(validate_display_name("  王  小明 "), Ok("王 小明".into()));
        assert_eq!(validate_display_name("   "), Err(NameProblem::Empty));
        assert_eq!(
            validate_display_name("/start"),
            Err(NameProblem::LooksLikeCommand)
        );
        assert_eq!(
            validate_display_name(&"长".repeat(33)),
            Err(NameProblem::TooLong)
        );
        assert_eq!(validate_display_name(&"长".repeat(32)), Ok("长".repeat(32)));
        assert_eq!(
            validate_display_name("a\u{7}b"),
            Err(NameProblem::ControlCharacters)
        );
    }

    #[test]
    fn names_a_spreadsheet_would_run_are_refused() {
        for name in [
            "=HYPERLINK(\"http://x\",\"点我\")",
            "  =1+1",
            "+86 王",
            "-2+3",
            "@SUM(A1)",
            "\t=1+1",
        ] {
            assert_eq!(
                validate_display_name(name),
                Err(NameProblem::LooksLikeFormula),
                "{name:?}"
            );
        }
        // Inside a name these characters are harmless.
        assert_eq!(validate_display_name("王-小明"), Ok("王-小明".into()));
        assert_eq!(validate_display_name("Ann@HQ"), Ok("Ann@HQ".into()));
        assert_eq!(validate_display_name("1+1=2"), Ok("1+1=2".into()));
    }

    #[test]
    fn names_that_hide_or_turn_text_are_refused() {
        let not_shown = |p| Err(NameProblem::NotShown(p));
        assert_eq!(
            validate_display_name("\u{202E}gpj.exe"),
            not_shown(ShownTextProblem::DirectionControl)
        );
        assert_eq!(
            validate_display_name("王\u{2067}小明"),
            not_shown(ShownTextProblem::DirectionControl)
        );
        assert_eq!(
            validate_display_name("\u{FEFF}王小明"),
            not_shown(ShownTextProblem::ByteOrderMark)
        );
        for name in [
            "\u{200B}",
            "\u{200B} \u{200D}",
            "\u{2060}",
            "\u{0301}",
            "\u{3164}",
        ] {
            assert_eq!(
                validate_display_name(name),
                not_shown(ShownTextProblem::NothingVisible),
                "{name:?}"
            );
        }
        // Whitespace only is empty, as before.
        assert_eq!(validate_display_name(" \u{3000} "), Err(NameProblem::Empty));
    }
}
