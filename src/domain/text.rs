//! Text a person will see that someone else typed or wrote: the names of members, branches,
//! venues and activities ([`check_shown_text`]), and the input quoted back in a problem
//! ([`excerpt`]).

use std::borrow::Cow;

use unicode_properties::{GeneralCategoryGroup, UnicodeGeneralCategory};

/// Why a text cannot be shown as a name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShownTextProblem {
    /// Contains a bidirectional control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F,
    /// U+061C): it reorders what is shown around it, so that a name can pose as another or
    /// turn the text after it around (`\u{202E}gpj.exe` is shown as `exe.jpg`).
    DirectionControl,
    /// Contains a byte-order mark (U+FEFF): an invisible character, usually left from a file,
    /// that makes two names that look the same differ.
    ByteOrderMark,
    /// Has no visible character: only whitespace, zero-width and other format characters
    /// (U+200B-U+200D, U+2060, ...), combining marks with nothing to combine with, or blank
    /// fillers (U+3164 and the like).
    NothingVisible,
}

/// In English, for problems in files (`branches.toml`); people in chat get their own
/// language's message for each.
impl std::fmt::Display for ShownTextProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ShownTextProblem::DirectionControl => {
                "contains a direction control (U+202A-U+202E, U+2066-U+2069, U+200E, U+200F or U+061C), which turns the text shown around it"
            }
            ShownTextProblem::ByteOrderMark => "contains a byte-order mark (U+FEFF)",
            ShownTextProblem::NothingVisible => {
                "has no visible character (only spaces, zero-width or combining characters)"
            }
        })
    }
}

/// The bidirectional controls: embeddings and overrides, isolates, and the marks.
pub fn is_direction_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{200E}' | '\u{200F}' | '\u{061C}')
}

/// Whether `c` leaves a mark on the screen by itself: a letter, digit, punctuation or
/// symbol, except the letters and symbols that are drawn blank.
pub fn is_visible(c: char) -> bool {
    let blank = matches!(
        c,
        '\u{115F}' | '\u{1160}' | '\u{3164}' | '\u{FFA0}' | '\u{2800}' | '\u{17B4}' | '\u{17B5}'
    );
    !blank
        && matches!(
            c.general_category_group(),
            GeneralCategoryGroup::Letter
                | GeneralCategoryGroup::Number
                | GeneralCategoryGroup::Punctuation
                | GeneralCategoryGroup::Symbol
        )
}

/// Checks text a person will see as a name (of a member, a branch, a venue, an activity):
/// no bidirectional control, no byte-order mark, at least one visible character. Zero-width
/// joiners and combining marks are fine next to visible characters (emoji sequences and
/// many scripts need them).
pub fn check_shown_text(text: &str) -> Result<(), ShownTextProblem> {
    if text.chars().any(is_direction_control) {
        return Err(ShownTextProblem::DirectionControl);
    }
    if text.contains('\u{FEFF}') {
        return Err(ShownTextProblem::ByteOrderMark);
    }
    if !text.chars().any(is_visible) {
        return Err(ShownTextProblem::NothingVisible);
    }
    Ok(())
}

/// The most characters of input a problem quotes.
pub const EXCERPT_CHARS: usize = 40;

/// Input as a problem quotes it: whole if it has at most [`EXCERPT_CHARS`] characters,
/// else its first ones and `…` (cut between characters, never inside one).
pub fn excerpt(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(EXCERPT_CHARS) {
        None => Cow::Borrowed(text),
        Some((cut, _)) => Cow::Owned(format!("{}…", &text[..cut])),
    }
}

/// A message that quotes input between `"` and `"` or between backticks (as the TOML
/// reader's messages do: ``unknown field `…` ``, `invalid type: string "…"`), with every
/// quoted part cut to an [`excerpt`].
pub fn excerpt_quotes(message: &str) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(open) = rest.find(['"', '`']) {
        let quote = rest[open..].chars().next().unwrap_or('"');
        let inner_start = open + 1;
        // The closing quote (a `\"` inside a string is not one).
        let mut close = None;
        let mut escaped = false;
        for (i, c) in rest[inner_start..].char_indices() {
            match c {
                '\\' if quote == '"' && !escaped => escaped = true,
                c if c == quote && !escaped => {
                    close = Some(inner_start + i);
                    break;
                }
                _ => escaped = false,
            }
        }
        let Some(close) = close else {
            break;
        };
        out.push_str(&rest[..inner_start]);
        out.push_str(&excerpt(&rest[inner_start..close]));
        out.push(quote);
        rest = &rest[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_reorder_text_are_refused() {
        for name in [
            "\u{202E}gpj.exe",
            "王\u{202A}小明",
            "a\u{202B}b",
            "a\u{202C}",
            "\u{202D}x",
            "x\u{2066}y\u{2069}",
            "\u{2067}x",
            "\u{2068}x",
            "Ann\u{200E}",
            "\u{200F}Ann",
            "\u{061C}علي",
        ] {
            assert_eq!(
                check_shown_text(name),
                Err(ShownTextProblem::DirectionControl),
                "{name:?}"
            );
        }
    }

    #[test]
    fn a_byte_order_mark_anywhere_is_refused() {
        for name in ["\u{FEFF}王小明", "王\u{FEFF}小明", "\u{FEFF}"] {
            assert_eq!(
                check_shown_text(name),
                Err(ShownTextProblem::ByteOrderMark),
                "{name:?}"
            );
        }
    }

    #[test]
    fn names_without_a_visible_character_are_refused() {
        for name in [
            "",
            " ",
            "\u{3000}",
            "\u{200B}",
            "\u{200B}\u{200C}\u{200D}",
            "\u{2060}",
            "\u{00AD}",
            "\u{0301}\u{0308}",
            " \u{20DD} ",
            "\u{3164}\u{3164}",
            "\u{115F}\u{1160}",
            "\u{2800}",
            "\u{FE0F}",
            "\u{E000}",
        ] {
            assert_eq!(
                check_shown_text(name),
                Err(ShownTextProblem::NothingVisible),
                "{name:?}"
            );
        }
    }

    #[test]
    fn ordinary_names_pass() {
        for name in [
            "王小明",
            "Ann Lee",
            "José",
            "Jose\u{0301}",
            "👨\u{200D}👩\u{200D}👧",
            "علي",
            "青山市 / 东湖镇",
            "1号",
            "-",
            "·",
            "한국",
        ] {
            assert_eq!(check_shown_text(name), Ok(()), "{name:?}");
        }
    }

    #[test]
    fn excerpts_cut_long_input_between_characters() {
        assert_eq!(excerpt(""), "");
        assert_eq!(excerpt(&"a".repeat(40)), "a".repeat(40));
        assert!(matches!(excerpt(&"长".repeat(40)), Cow::Borrowed(_)));
        assert_eq!(excerpt(&"长".repeat(41)), format!("{}…", "长".repeat(40)));
        let huge = "😀".repeat(10_000_000 / 4);
        let cut = excerpt(&huge);
        assert_eq!(cut.chars().count(), EXCERPT_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert!(cut.starts_with("😀😀"));
    }

    #[test]
    fn quoted_parts_of_a_message_are_cut() {
        let long = "x".repeat(500);
        let cut = format!("{}…", "x".repeat(40));
        assert_eq!(
            excerpt_quotes(&format!("invalid type: string \"{long}\", expected i64")),
            format!("invalid type: string \"{cut}\", expected i64")
        );
        assert_eq!(
            excerpt_quotes(&format!(
                "unknown field `{long}`, expected one of `id`, `title`"
            )),
            format!("unknown field `{cut}`, expected one of `id`, `title`")
        );
        let escaped = format!("a \\\" {long}");
        assert_eq!(
            excerpt_quotes(&format!("string \"{escaped}\" here")),
            format!("string \"{}\" here", excerpt(&escaped))
        );
        for unchanged in [
            "no quotes",
            "an \"unclosed quote",
            "`short` and \"short\"",
            "",
        ] {
            assert_eq!(excerpt_quotes(unchanged), unchanged);
        }
    }
}
