//! Cells of the CSV files the service writes (`/export`, `weike report --csv`) that are
//! safe to open in a spreadsheet ("CSV injection", OWASP): a cell that begins with `=`,
//! `+`, `-`, `@`, a tab or a carriage return may be run as a formula, e.g. a member named
//! `=HYPERLINK("http://x","点我")`. Quoting does not help (a spreadsheet unquotes first);
//! a leading `'` does: the cell is then read as text.

use std::borrow::Cow;

/// The first characters that make a spreadsheet read a cell as a formula.
pub const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// Whether a spreadsheet could read `text` as a formula.
pub fn starts_like_formula(text: &str) -> bool {
    text.starts_with(FORMULA_STARTS)
}

/// A text cell as it is written: with a `'` in front when it starts like a formula,
/// unchanged otherwise.
pub fn text_cell(text: &str) -> Cow<'_, str> {
    if starts_like_formula(text) {
        Cow::Owned(format!("'{text}"))
    } else {
        Cow::Borrowed(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_start_like_a_formula_get_a_quote() {
        for cell in [
            "=HYPERLINK(\"http://x\",\"点我\")",
            "+1+cmd|' /C calc'!A0",
            "-2+3",
            "@SUM(A1:A2)",
            "\t=1+1",
            "\r=1+1",
            "=",
        ] {
            assert!(starts_like_formula(cell), "{cell:?}");
            assert_eq!(text_cell(cell), format!("'{cell}"), "{cell:?}");
        }
    }

    #[test]
    fn other_cells_are_left_alone() {
        for cell in [
            "",
            "王小明",
            "Ann",
            "a=b",
            "青山市 / 东湖镇 / 柳村党支部",
            " =1",
            "'=already quoted",
            "＝全角",
            "8101",
        ] {
            assert!(!starts_like_formula(cell), "{cell:?}");
            assert!(
                matches!(text_cell(cell), Cow::Borrowed(c) if c == cell),
                "{cell:?}"
            );
        }
    }
}
