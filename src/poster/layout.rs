//! Where everything on the poster goes: a pure function of the text, from which the SVG
//! is written. Every string is wrapped and sized here so that nothing leaves the canvas.

use serde::Serialize;

use super::fonts::{self, ASCENT, DESCENT, Metrics};
use super::wrap::{Fitted, Measure};
use super::{HEIGHT, PosterText, Script, WIDTH};

/// Colours of the poster.
pub mod colour {
    pub const CREAM: &str = "#FFF7E6";
    pub const RED: &str = "#B71C1C";
    pub const DEEP_RED: &str = "#8E1010";
    pub const GOLD: &str = "#D4A12A";
    pub const LIGHT_GOLD: &str = "#FFE08A";
    pub const PALE_GOLD: &str = "#FCEBC4";
    pub const CARD: &str = "#FFFDF8";
    pub const INK: &str = "#4A2C22";
    pub const MUTED: &str = "#8A6A5C";
    pub const ON_RED: &str = "#FFF3D6";
}

/// How a text item is aligned on its `x`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Anchor {
    Start,
    Middle,
    End,
}

/// One line of text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextItem {
    /// What the line is (`title`, `name`, `figure-value`, ...), for tests and debugging.
    pub role: &'static str,
    pub x: f32,
    /// The baseline.
    pub y: f32,
    pub size: f32,
    /// 400 or 700.
    pub weight: u16,
    pub colour: &'static str,
    pub anchor: Anchor,
    /// Extra space after each character, in pixels.
    pub letter_spacing: f32,
    /// Measured width in pixels.
    pub width: f32,
    pub text: String,
}

impl TextItem {
    /// The box the line's glyphs lie in (x, y, width, height), approximately.
    pub fn bounds(&self) -> (f32, f32, f32, f32) {
        let left = match self.anchor {
            Anchor::Start => self.x,
            Anchor::Middle => self.x - self.width / 2.0,
            Anchor::End => self.x - self.width,
        };
        let top = self.y - ASCENT * self.size;
        (left, top, self.width, (ASCENT + DESCENT) * self.size)
    }
}

/// A filled (and maybe outlined) rectangle. `fill` is a colour or `url(#id)` of a
/// gradient the SVG defines.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rect {
    pub role: &'static str,
    pub x: f32,
    pub y: f32,
    pub w: f32,
    pub h: f32,
    /// Corner radius.
    pub r: f32,
    pub fill: &'static str,
    pub stroke: Option<&'static str>,
    pub stroke_width: f32,
}

/// A five-pointed star ornament.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Star {
    pub cx: f32,
    pub cy: f32,
    /// Outer radius.
    pub r: f32,
    pub fill: &'static str,
}

/// The whole poster, in drawing order: rectangles, then stars, then text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Layout {
    pub width: u32,
    pub height: u32,
    pub font_family: &'static str,
    /// Height of the red header band (the sunburst is clipped to it).
    pub band_height: f32,
    pub rects: Vec<Rect>,
    pub stars: Vec<Star>,
    pub texts: Vec<TextItem>,
}

const W: f32 = WIDTH as f32;
const H: f32 = HEIGHT as f32;
/// Left and right margin of text.
const MARGIN: f32 = 80.0;
const CONTENT: f32 = W - 2.0 * MARGIN;
const CENTRE: f32 = W / 2.0;
/// Longest input string considered (longer ones are cut before wrapping).
const MAX_CHARS: usize = 240;
/// Most figure cards shown, and per row.
const MAX_FIGURES: usize = 8;
const PER_ROW: usize = 4;
/// Top of the red footer band.
const FOOTER_TOP: f32 = H - 96.0;

/// Lays out the poster for `t`.
pub fn layout(t: &PosterText) -> Layout {
    let mut b = Builder::new(t.script);
    b.background();
    let band = b.header(t);
    let bottom_top = b.bottom(t);
    b.middle(t, band + 30.0, bottom_top - 24.0);
    b.finish(band)
}

struct Builder {
    script: Script,
    regular: Metrics,
    bold: Metrics,
    rects: Vec<Rect>,
    stars: Vec<Star>,
    texts: Vec<TextItem>,
}

/// A block of the middle part, laid out at y = 0 and moved into place later.
struct Block {
    height: f32,
    rects: Vec<Rect>,
    texts: Vec<TextItem>,
}

impl Block {
    fn shift(mut self, dy: f32) -> Self {
        for r in &mut self.rects {
            r.y = round(r.y + dy);
        }
        for t in &mut self.texts {
            t.y = round(t.y + dy);
        }
        self
    }
}

/// Line height as a multiple of the font size.
const LEADING: f32 = 1.32;

impl Builder {
    fn new(script: Script) -> Self {
        Self {
            script,
            regular: Metrics::new(script, false),
            bold: Metrics::new(script, true),
            rects: Vec::new(),
            stars: Vec::new(),
            texts: Vec::new(),
        }
    }

    fn cjk(&self) -> bool {
        self.script != Script::Latin
    }

    fn metrics(&self, weight: u16) -> Metrics {
        if weight >= 600 {
            self.bold
        } else {
            self.regular
        }
    }

    /// The input string made safe to show: one line, no control characters, nothing the
    /// font lacks (emoji and rare characters are left out), at most `MAX_CHARS`.
    fn clean(&self, s: &str) -> String {
        let mut out = String::new();
        let mut count = 0;
        let mut space = false;
        for c in s.chars() {
            if c.is_whitespace() || c.is_control() {
                space = count > 0;
                continue;
            }
            if !self.regular.covers(c) || !self.bold.covers(c) {
                continue;
            }
            if space {
                out.push(' ');
                count += 1;
                space = false;
            }
            out.push(c);
            count += 1;
            if count >= MAX_CHARS {
                break;
            }
        }
        out
    }

    /// Fits `text` in `max_width` and returns its lines as text items centred on `x`,
    /// the first baseline at `top + ascent`.
    #[allow(clippy::too_many_arguments)]
    fn lines(
        &self,
        role: &'static str,
        text: &str,
        candidates: &[(f32, usize)],
        suffix: &str,
        weight: u16,
        colour: &'static str,
        letter_spacing_em: f32,
        x: f32,
        top: f32,
        max_width: f32,
    ) -> Vec<TextItem> {
        let measure = Measure {
            metrics: self.metrics(weight),
            letter_spacing: letter_spacing_em,
            max_width,
            balance: true,
        };
        let Fitted {
            size,
            lines,
            widths,
            ..
        } = measure.fit(text, candidates, suffix);
        let mut y = top + ASCENT * size;
        let mut items = Vec::new();
        for (line, width) in lines.into_iter().zip(widths) {
            items.push(TextItem {
                role,
                x: round(x),
                y: round(y),
                size,
                weight,
                colour,
                anchor: Anchor::Middle,
                letter_spacing: round(letter_spacing_em * size),
                width: round(width),
                text: line,
            });
            y += LEADING * size;
        }
        items
    }

    fn background(&mut self) {
        self.rects
            .push(rect("background", 0.0, 0.0, W, H, 0.0, colour::CREAM));
        // A double gold frame round the poster (the bands cover its ends).
        for (inset, width) in [(22.0, 3.0), (32.0, 1.5)] {
            self.rects.push(Rect {
                stroke: Some(colour::GOLD),
                stroke_width: width,
                ..rect(
                    "frame",
                    inset,
                    inset,
                    W - 2.0 * inset,
                    H - 2.0 * inset,
                    0.0,
                    "none",
                )
            });
        }
    }

    /// The red header band with the title and course title; returns its height.
    fn header(&mut self, t: &PosterText) -> f32 {
        let cjk = self.cjk();
        let title = self.clean(&t.title);
        let course = self.clean(&t.course_title);
        let spacing = if cjk { 0.12 } else { 0.02 };
        let title_lines = self.lines(
            "title",
            &title,
            &[(80.0, 1), (68.0, 1), (58.0, 1), (50.0, 2), (44.0, 2)],
            "",
            700,
            colour::LIGHT_GOLD,
            spacing,
            CENTRE,
            150.0,
            CONTENT,
        );
        let mut y = match title_lines.last() {
            Some(last) => last.y + DESCENT * last.size,
            None => 150.0,
        };
        self.texts.extend(title_lines);
        y += 34.0;
        let course_lines = self.lines(
            "course",
            &course,
            &[(42.0, 1), (38.0, 1), (36.0, 2), (32.0, 2)],
            "",
            400,
            colour::ON_RED,
            if cjk { 0.06 } else { 0.0 },
            CENTRE,
            y,
            CONTENT - 40.0,
        );
        if let Some(last) = course_lines.last() {
            y = last.y + DESCENT * last.size;
        }
        self.texts.extend(course_lines);
        let band = round(y + 56.0).max(330.0);
        // Band, gold stripes under it.
        self.rects
            .push(rect("band", 0.0, 0.0, W, band, 0.0, "url(#band)"));
        self.rects
            .push(rect("band-stripe", 0.0, band, W, 12.0, 0.0, "url(#gold)"));
        self.rects.push(rect(
            "band-line",
            0.0,
            band + 20.0,
            W,
            3.0,
            0.0,
            colour::GOLD,
        ));
        // Ornament over the title: a star between two gold rules.
        self.stars.push(Star {
            cx: CENTRE,
            cy: 78.0,
            r: 26.0,
            fill: colour::LIGHT_GOLD,
        });
        for (cx, r) in [(CENTRE - 70.0, 11.0), (CENTRE + 70.0, 11.0)] {
            self.stars.push(Star {
                cx,
                cy: 82.0,
                r,
                fill: colour::GOLD,
            });
        }
        self.rects.push(rect(
            "rule-left",
            CENTRE - 300.0,
            80.0,
            210.0,
            3.0,
            1.5,
            colour::GOLD,
        ));
        self.rects.push(rect(
            "rule-right",
            CENTRE + 90.0,
            80.0,
            210.0,
            3.0,
            1.5,
            colour::GOLD,
        ));
        band
    }

    /// Branch, date and the footer band; returns the top of what it placed.
    fn bottom(&mut self, t: &PosterText) -> f32 {
        let footer = self.clean(&t.footer);
        let branch = self.clean(&t.branch);
        let date = self.clean(&t.date);
        self.rects.push(rect(
            "footer-line",
            0.0,
            FOOTER_TOP - 20.0,
            W,
            3.0,
            0.0,
            colour::GOLD,
        ));
        self.rects.push(rect(
            "footer-stripe",
            0.0,
            FOOTER_TOP - 12.0,
            W,
            12.0,
            0.0,
            "url(#gold)",
        ));
        self.rects.push(rect(
            "footer",
            0.0,
            FOOTER_TOP,
            W,
            H - FOOTER_TOP,
            0.0,
            "url(#band)",
        ));
        let footer_size_candidates = [(34.0, 1), (30.0, 1), (26.0, 1), (22.0, 1)];
        let mut footer_lines = self.lines(
            "footer",
            &footer,
            &footer_size_candidates,
            "",
            400,
            colour::LIGHT_GOLD,
            if self.cjk() { 0.16 } else { 0.04 },
            CENTRE,
            0.0,
            CONTENT,
        );
        for item in &mut footer_lines {
            // Centred in the band.
            let mid = FOOTER_TOP + (H - FOOTER_TOP) / 2.0;
            item.y = round(mid + (ASCENT - DESCENT) * item.size / 2.0 - 2.0);
        }
        self.texts.extend(footer_lines);

        // Date just above the footer, branch above the date.
        let date_lines = self.lines(
            "date",
            &date,
            &[(32.0, 1), (28.0, 1), (24.0, 1)],
            "",
            400,
            colour::MUTED,
            0.04,
            CENTRE,
            FOOTER_TOP - 96.0,
            CONTENT,
        );
        let mut top = if date_lines.is_empty() {
            FOOTER_TOP - 40.0
        } else {
            FOOTER_TOP - 96.0
        };
        self.texts.extend(date_lines);
        let branch_lines = self.lines(
            "branch",
            &branch,
            &[(40.0, 1), (36.0, 1), (32.0, 2), (28.0, 2)],
            "",
            700,
            colour::DEEP_RED,
            if self.cjk() { 0.06 } else { 0.0 },
            CENTRE,
            0.0,
            CONTENT,
        );
        if let Some(last) = branch_lines.last() {
            let height = last.y + DESCENT * last.size;
            let branch_top = top - 14.0 - height;
            self.texts.extend(branch_lines.into_iter().map(|mut item| {
                item.y = round(item.y + branch_top);
                item
            }));
            top = branch_top;
        }
        top
    }

    /// The name, stage, figures and quote, spread evenly between `top` and `bottom`.
    fn middle(&mut self, t: &PosterText, top: f32, bottom: f32) {
        let avail = bottom - top;
        let mut blocks = Vec::new();
        if let Some(b) = self.name_block(t) {
            blocks.push(b);
        }
        if let Some(b) = self.stage_block(t) {
            blocks.push(b);
        }
        if let Some(b) = self.figures_block(t) {
            blocks.push(b);
        }
        let min_gap = 28.0;
        let used: f32 = blocks.iter().map(|b| b.height).sum();
        let gaps = (blocks.len() + 2) as f32;
        let room_for_quote = avail - used - gaps * min_gap;
        if let Some(b) = self.quote_block(t, room_for_quote) {
            // The quote goes last.
            blocks.push(b);
        }
        let used: f32 = blocks.iter().map(|b| b.height).sum();
        let count = blocks.len() as f32;
        let gap = ((avail - used) / (count + 1.0)).clamp(min_gap, 90.0);
        let total = used + gap * (count - 1.0).max(0.0);
        let mut y = top + ((avail - total) / 2.0).max(0.0);
        for block in blocks {
            let height = block.height;
            let block = block.shift(y);
            self.rects.extend(block.rects);
            self.texts.extend(block.texts);
            y += height + gap;
        }
    }

    fn name_block(&self, t: &PosterText) -> Option<Block> {
        let name = self.clean(&t.display_name);
        if name.is_empty() {
            return None;
        }
        let texts = self.lines(
            "name",
            &name,
            &[
                (104.0, 1),
                (92.0, 1),
                (80.0, 1),
                (68.0, 1),
                (60.0, 2),
                (52.0, 2),
                (46.0, 2),
            ],
            "",
            700,
            colour::DEEP_RED,
            if self.cjk() { 0.08 } else { 0.0 },
            CENTRE,
            0.0,
            CONTENT,
        );
        let last = texts.last()?;
        let text_bottom = last.y + DESCENT * last.size;
        // A short gold rule under the name.
        let rule_y = text_bottom + 26.0;
        let rects = vec![rect(
            "name-rule",
            CENTRE - 60.0,
            rule_y,
            120.0,
            6.0,
            3.0,
            colour::GOLD,
        )];
        Some(Block {
            height: rule_y + 6.0,
            rects,
            texts,
        })
    }

    fn stage_block(&self, t: &PosterText) -> Option<Block> {
        let stage = self.clean(&t.stage_title);
        if stage.is_empty() {
            return None;
        }
        let pad_x = 44.0;
        let pad_y = 22.0;
        let texts = self.lines(
            "stage",
            &stage,
            &[(42.0, 1), (38.0, 1), (34.0, 2), (30.0, 2)],
            "",
            700,
            colour::ON_RED,
            if self.cjk() { 0.08 } else { 0.01 },
            CENTRE,
            pad_y,
            CONTENT - 2.0 * pad_x,
        );
        let last = texts.last()?;
        let widest = texts.iter().map(|t| t.width).fold(0.0, f32::max);
        let height = last.y + DESCENT * last.size + pad_y;
        let w = (widest + 2.0 * pad_x).max(360.0);
        let rects = vec![
            rect(
                "stage-ribbon",
                round(CENTRE - w / 2.0),
                0.0,
                round(w),
                round(height),
                round(height.min(80.0) / 2.0),
                "url(#ribbon)",
            ),
            Rect {
                stroke: Some(colour::LIGHT_GOLD),
                stroke_width: 2.0,
                ..rect(
                    "stage-ribbon-edge",
                    round(CENTRE - w / 2.0 + 7.0),
                    7.0,
                    round(w - 14.0),
                    round(height - 14.0),
                    round((height.min(80.0) - 14.0) / 2.0),
                    "none",
                )
            },
        ];
        Some(Block {
            height: round(height),
            rects,
            texts,
        })
    }

    fn figures_block(&self, t: &PosterText) -> Option<Block> {
        let figures: Vec<(String, String)> = t
            .figures
            .iter()
            .map(|(label, value)| (self.clean(label), self.clean(value)))
            .filter(|(label, value)| !label.is_empty() || !value.is_empty())
            .take(MAX_FIGURES)
            .collect();
        if figures.is_empty() {
            return None;
        }
        let rows = figures.len().div_ceil(PER_ROW);
        let card_h = if rows > 1 { 196.0 } else { 220.0 };
        let row_gap = 24.0;
        let gap = 28.0;
        let mut rects = Vec::new();
        let mut texts = Vec::new();
        for (row, chunk) in figures.chunks(figures.len().div_ceil(rows)).enumerate() {
            let k = chunk.len() as f32;
            let card_w = ((CONTENT - gap * (k - 1.0)) / k).min(300.0);
            let row_w = card_w * k + gap * (k - 1.0);
            let y0 = row as f32 * (card_h + row_gap);
            for (i, (label, value)) in chunk.iter().enumerate() {
                let x0 = CENTRE - row_w / 2.0 + i as f32 * (card_w + gap);
                let cx = x0 + card_w / 2.0;
                rects.push(Rect {
                    stroke: Some(colour::GOLD),
                    stroke_width: 3.0,
                    ..rect(
                        "figure-card",
                        round(x0),
                        round(y0),
                        round(card_w),
                        card_h,
                        22.0,
                        colour::CARD,
                    )
                });
                rects.push(rect(
                    "figure-accent",
                    round(x0 + 22.0),
                    round(y0),
                    round(card_w - 44.0),
                    8.0,
                    0.0,
                    colour::RED,
                ));
                let inner = card_w - 32.0;
                let big = if rows > 1 { 80.0 } else { 96.0 };
                let value_top = y0 + if rows > 1 { 26.0 } else { 34.0 };
                let value_lines = self.lines(
                    "figure-value",
                    value,
                    &[
                        (big, 1),
                        (big * 0.8, 1),
                        (big * 0.64, 1),
                        (big * 0.5, 1),
                        (big * 0.4, 1),
                    ],
                    "",
                    700,
                    colour::RED,
                    0.0,
                    cx,
                    value_top,
                    inner,
                );
                // Baseline of the value fixed whatever its size, so the row lines up.
                let baseline = value_top + ASCENT * big;
                texts.extend(value_lines.into_iter().map(|mut v| {
                    v.y = round(baseline);
                    v
                }));
                rects.push(rect(
                    "figure-rule",
                    round(cx - 24.0),
                    round(baseline + 22.0),
                    48.0,
                    4.0,
                    2.0,
                    colour::GOLD,
                ));
                let label_top = baseline + 44.0;
                let label_room = y0 + card_h - 14.0 - label_top;
                let label_candidates: &[(f32, usize)] = if label_room > 70.0 {
                    &[(32.0, 1), (28.0, 1), (26.0, 2), (22.0, 2)]
                } else {
                    &[(30.0, 1), (26.0, 1), (22.0, 1), (20.0, 1)]
                };
                texts.extend(self.lines(
                    "figure-label",
                    label,
                    label_candidates,
                    "",
                    400,
                    colour::MUTED,
                    if self.cjk() { 0.08 } else { 0.0 },
                    cx,
                    label_top,
                    inner,
                ));
            }
        }
        let height = rows as f32 * card_h + (rows as f32 - 1.0) * row_gap;
        Some(Block {
            height,
            rects,
            texts,
        })
    }

    /// The quote (a lesson title) in quote marks, in at most as many lines as `room`
    /// allows (and at most three).
    fn quote_block(&self, t: &PosterText, room: f32) -> Option<Block> {
        let quote = self.clean(&t.quote);
        if quote.is_empty() {
            return None;
        }
        let (open, close) = match self.script {
            Script::Traditional => ("「", "」"),
            Script::Simplified | Script::Latin => ("“", "”"),
        };
        let quoted = format!("{open}{quote}{close}");
        let size = 44.0;
        let pad_y = 30.0;
        let line_h = LEADING * size;
        let fixed = 2.0 * pad_y + (ASCENT + DESCENT) * size;
        let extra_lines = ((room - fixed) / line_h).floor();
        if extra_lines < 0.0 {
            return None;
        }
        let max_lines = (1 + extra_lines as usize).min(3);
        let candidates: Vec<(f32, usize)> =
            [(44.0, max_lines), (40.0, max_lines), (36.0, max_lines)]
                .into_iter()
                .filter(|&(s, lines)| {
                    2.0 * pad_y + (lines as f32 - 1.0) * LEADING * s + (ASCENT + DESCENT) * s
                        <= room.max(fixed)
                })
                .collect();
        let texts = self.lines(
            "quote",
            &quoted,
            &candidates,
            close,
            400,
            colour::INK,
            if self.cjk() { 0.04 } else { 0.0 },
            CENTRE,
            pad_y,
            CONTENT - 80.0,
        );
        let last = texts.last()?;
        let height = round(last.y + DESCENT * last.size + pad_y);
        let rects = vec![Rect {
            stroke: Some(colour::GOLD),
            stroke_width: 2.0,
            ..rect(
                "quote-panel",
                MARGIN - 8.0,
                0.0,
                CONTENT + 16.0,
                height,
                18.0,
                colour::PALE_GOLD,
            )
        }];
        Some(Block {
            height,
            rects,
            texts,
        })
    }

    fn finish(self, band: f32) -> Layout {
        Layout {
            width: WIDTH,
            height: HEIGHT,
            font_family: fonts::family(self.script),
            band_height: band,
            rects: self.rects,
            stars: self.stars,
            texts: self.texts,
        }
    }
}

fn rect(role: &'static str, x: f32, y: f32, w: f32, h: f32, r: f32, fill: &'static str) -> Rect {
    Rect {
        role,
        x,
        y,
        w,
        h,
        r,
        fill,
        stroke: None,
        stroke_width: 0.0,
    }
}

/// Rounds to a tenth of a pixel, so the layout snapshot is stable and readable.
fn round(v: f32) -> f32 {
    (v * 10.0).round() / 10.0
}
