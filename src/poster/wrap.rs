//! Line breaking by measured width (resvg does not wrap text): English breaks at spaces
//! (a word longer than a line breaks anywhere), CJK between any two characters, but a
//! closing punctuation mark never starts a line and an opening one never ends a line.
//! Text over the line limit ends with an ellipsis.

use super::fonts::{Metrics, is_wide};

/// Marks that must not start a line (they stay with the character before them).
const CLOSING: &str =
    "，。！？、；：”’）》」』】〕〉〗〙〛〞…‥・ー々〻％‰℃°．，：；！？）］｝｠｣,.!?;:)]}%";

/// Marks that must not end a line (they stay with the character after them).
const OPENING: &str = "“‘（《「『【〔〈〖〘〚〝（［｛｟｢([{";

/// Marks after which a line break reads well.
const PHRASE_END: &str = "，。！？、；：,.!?;:·」』）》”";

pub(crate) fn is_closing(c: char) -> bool {
    CLOSING.contains(c)
}

pub(crate) fn is_opening(c: char) -> bool {
    OPENING.contains(c)
}

/// Whether a line may break between `before` and `after`.
fn can_break_between(before: char, after: char) -> bool {
    if after == ' ' || is_closing(after) || is_opening(before) {
        return false;
    }
    if before == ' ' || is_wide(before) || is_wide(after) {
        return true;
    }
    // After a hyphen or slash inside a long English compound.
    matches!(before, '-' | '/' | '–' | '—') && after.is_alphanumeric()
}

/// Text set in one size, with the measurements of its lines.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Fitted {
    pub size: f32,
    pub lines: Vec<String>,
    /// Widths of `lines` in pixels.
    pub widths: Vec<f32>,
    pub truncated: bool,
}

/// How one text is set: its metrics, extra spacing between letters (in em) and the
/// widest a line may be (in pixels).
#[derive(Clone, Copy)]
pub(crate) struct Measure {
    pub metrics: Metrics,
    pub letter_spacing: f32,
    pub max_width: f32,
    /// Whether wrapped lines are made about as long as one another (for centred text,
    /// so the last line is no lone word), rather than each as full as it can be.
    pub balance: bool,
}

impl Measure {
    /// Width in pixels of `chars` at `size`, trailing spaces not counted.
    pub(crate) fn width(&self, chars: &[char], size: f32) -> f32 {
        let chars = trim_end(chars);
        let em: f32 = chars.iter().map(|&c| self.metrics.advance(c)).sum();
        let spacing = self.letter_spacing * chars.len().saturating_sub(1) as f32;
        (em + spacing) * size
    }

    /// Tries each (size, most lines) in turn and takes the first that holds the whole
    /// text; if none does, the last one, cut with an ellipsis (then `suffix`, e.g. a
    /// closing quote mark that was cut off).
    pub(crate) fn fit(&self, text: &str, candidates: &[(f32, usize)], suffix: &str) -> Fitted {
        let chars: Vec<char> = text.chars().collect();
        let mut last = None;
        for &(size, max_lines) in candidates {
            let lines = self.break_lines(&chars, size);
            if lines.len() <= max_lines.max(1) {
                let lines = if self.balance && lines.len() > 1 {
                    self.balanced(&chars, size, lines)
                } else {
                    lines
                };
                return self.finish(&chars, &lines, size, false, suffix);
            }
            last = Some((size, max_lines.max(1), lines));
        }
        match last {
            Some((size, max_lines, mut lines)) => {
                lines.truncate(max_lines);
                self.finish(&chars, &lines, size, true, suffix)
            }
            None => Fitted {
                size: 0.0,
                lines: Vec::new(),
                widths: Vec::new(),
                truncated: false,
            },
        }
    }

    /// The same number of lines as `greedy` (the fullest wrapping), chosen so the lines
    /// are about as long as one another and break, where they can, after punctuation
    /// (then at spaces, then between CJK characters): the least sum of squared slack
    /// plus a penalty per break, by dynamic programming over the break opportunities.
    /// Keeps `greedy` if it had to cut inside a word.
    fn balanced(
        &self,
        chars: &[char],
        size: f32,
        greedy: Vec<(usize, usize)>,
    ) -> Vec<(usize, usize)> {
        let len = chars.len();
        let lines = greedy.len();
        let mut stops = vec![0];
        stops.extend((1..len).filter(|&j| can_break_between(chars[j - 1], chars[j])));
        stops.push(len);
        if greedy
            .iter()
            .skip(1)
            .any(|&(start, _)| stops.binary_search(&start).is_err())
        {
            return greedy;
        }
        let mut prefix = Vec::with_capacity(len + 1);
        prefix.push(0.0f32);
        for &c in chars {
            let last = prefix.last().copied().unwrap_or(0.0);
            prefix.push(last + self.metrics.advance(c));
        }
        let width = |from: usize, to: usize| {
            let mut to = to;
            while to > from && chars[to - 1] == ' ' {
                to -= 1;
            }
            let spacing = self.letter_spacing * (to - from).saturating_sub(1) as f32;
            (prefix[to] - prefix[from] + spacing) * size
        };
        let max = self.max_width;
        let penalty = |at: usize| -> f32 {
            if at >= len {
                return 0.0;
            }
            let mut before = at;
            while before > 0 && chars[before - 1] == ' ' {
                before -= 1;
            }
            let last = if before > 0 { chars[before - 1] } else { ' ' };
            if PHRASE_END.contains(last) {
                0.0
            } else if before < at {
                (0.04 * max).powi(2)
            } else {
                (0.2 * max).powi(2)
            }
        };
        // best[k][b]: least cost of setting chars[..stops[b]] in k lines.
        let n = stops.len();
        let mut best = vec![vec![f32::INFINITY; n]; lines + 1];
        let mut from = vec![vec![0usize; n]; lines + 1];
        best[0][0] = 0.0;
        for k in 1..=lines {
            for b in 1..n {
                for a in 0..b {
                    let before = best[k - 1][a];
                    if !before.is_finite() {
                        continue;
                    }
                    let w = width(stops[a], stops[b]);
                    if w > max {
                        continue;
                    }
                    // A short last line costs a little less: on a tie, the top is wider.
                    let weight = if b == n - 1 { 0.9 } else { 1.0 };
                    let cost = before + weight * (max - w).powi(2) + penalty(stops[b]);
                    if cost < best[k][b] {
                        best[k][b] = cost;
                        from[k][b] = a;
                    }
                }
            }
        }
        if !best[lines][n - 1].is_finite() {
            return greedy;
        }
        let mut out = Vec::with_capacity(lines);
        let mut b = n - 1;
        for k in (1..=lines).rev() {
            let a = from[k][b];
            out.push((stops[a], stops[b]));
            b = a;
        }
        out.reverse();
        out
    }

    fn finish(
        &self,
        chars: &[char],
        ranges: &[(usize, usize)],
        size: f32,
        truncated: bool,
        suffix: &str,
    ) -> Fitted {
        let mut lines: Vec<Vec<char>> = ranges
            .iter()
            .map(|&(s, e)| trim_end(&chars[s..e]).to_vec())
            .collect();
        if truncated && let Some(last) = lines.last_mut() {
            let tail: Vec<char> = "…".chars().chain(suffix.chars()).collect();
            loop {
                let mut candidate = trim_end(last).to_vec();
                while candidate
                    .last()
                    .is_some_and(|&c| matches!(c, '，' | '、' | ',' | '；' | ';' | '：' | ':'))
                {
                    candidate.pop();
                }
                candidate.extend(&tail);
                if last.is_empty() || self.width(&candidate, size) <= self.max_width {
                    *last = candidate;
                    break;
                }
                last.pop();
            }
        }
        let widths = lines.iter().map(|l| self.width(l, size)).collect();
        Fitted {
            size,
            lines: lines.into_iter().map(|l| l.into_iter().collect()).collect(),
            widths,
            truncated,
        }
    }

    /// The lines of `chars` at `size`, as ranges (each starts on a non-space).
    pub(crate) fn break_lines(&self, chars: &[char], size: f32) -> Vec<(usize, usize)> {
        let mut lines = Vec::new();
        let n = chars.len();
        let mut start = 0;
        loop {
            while start < n && chars[start] == ' ' {
                start += 1;
            }
            if start >= n {
                break;
            }
            // Longest prefix that fits, and the last break opportunity inside it.
            let mut fits = start;
            let mut last_break = None;
            let mut em = 0.0;
            let mut count = 0usize;
            for i in start..n {
                let c = chars[i];
                if c != ' ' {
                    // Width up to and including chars[i] (trailing spaces not counted).
                    let spaces_em: f32 = chars[fits..i]
                        .iter()
                        .map(|&s| self.metrics.advance(s))
                        .sum();
                    let spaces = i - fits;
                    let next_em = em + spaces_em + self.metrics.advance(c);
                    let next_count = count + spaces + 1;
                    let width = (next_em
                        + self.letter_spacing * next_count.saturating_sub(1) as f32)
                        * size;
                    if width > self.max_width && i > start {
                        break;
                    }
                    em = next_em;
                    count = next_count;
                    fits = i + 1;
                }
                if i + 1 < n && can_break_between(c, chars[i + 1]) {
                    last_break = Some(i + 1);
                }
            }
            if fits >= n || chars[fits..].iter().all(|&c| c == ' ') {
                lines.push((start, n));
                break;
            }
            let cut = match last_break {
                // A break after the fitting part, past spaces only, is as good.
                Some(b) if b > start && chars[fits.min(b)..b].iter().all(|&c| c == ' ') => b,
                _ => forced_cut(chars, start, fits),
            };
            lines.push((start, cut));
            start = cut;
        }
        lines
    }
}

/// Where to cut a run with no break opportunity that fits (a long word, or CJK whose
/// every break opportunity is blocked by punctuation): as late as fits, but never before
/// a closing mark or after an opening one if that can be helped.
fn forced_cut(chars: &[char], start: usize, fits: usize) -> usize {
    let mut cut = fits.max(start + 1);
    while cut > start + 1 && (is_closing(chars[cut]) || is_opening(chars[cut - 1])) {
        cut -= 1;
    }
    if cut == start + 1 && is_closing(chars.get(cut).copied().unwrap_or(' ')) {
        // Everything is punctuation: cut where it fits after all.
        cut = fits.max(start + 1);
    }
    cut
}

fn trim_end(chars: &[char]) -> &[char] {
    let mut end = chars.len();
    while end > 0 && chars[end - 1] == ' ' {
        end -= 1;
    }
    &chars[..end]
}
