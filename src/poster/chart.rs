//! A bar chart of percentages (participation per branch, `/stats chart`), drawn with the
//! poster's fonts and renderer so that Chinese branch names show correctly everywhere.

use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg;

use super::Script;
use super::{PosterError, PosterRenderer, escape_xml, fonts};

pub const CHART_WIDTH: u32 = 1200;
/// Bars are drawn at most this many (the caller keeps the first ones).
pub const MAX_BARS: usize = 30;

const LEFT: f32 = 330.0;
const RIGHT: f32 = 110.0;
const TOP: f32 = 170.0;
const BAR: f32 = 34.0;
const GAP: f32 = 16.0;
const BOTTOM: f32 = 90.0;
const LABEL_SIZE: f32 = 26.0;

/// Height of a chart with `bars` bars.
pub fn chart_height(bars: usize) -> u32 {
    let n = bars.clamp(1, MAX_BARS) as f32;
    (TOP + n * (BAR + GAP) + BOTTOM).ceil() as u32
}

/// Shortens a label to fit `width` pixels at `size`, with an ellipsis.
fn fit(label: &str, size: f32, width: f32) -> String {
    let metrics = fonts::Metrics::new(Script::Simplified, false);
    let mut out = String::new();
    let mut used = 0.0;
    let ellipsis = metrics.advance('…') * size;
    let total: f32 = label.chars().map(|c| metrics.advance(c) * size).sum();
    if total <= width {
        return label.to_string();
    }
    for c in label.chars() {
        let w = metrics.advance(c) * size;
        if used + w + ellipsis > width {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// One bar of a chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Bar {
    pub label: String,
    /// Its length in percent; None when there is nothing to divide (no bar is drawn).
    pub percent: Option<f64>,
    /// The figure written beside it, as the caller writes percentages ("67%", "–").
    pub shown: String,
}

/// The chart as SVG: a title, a subtitle, one horizontal bar per [`Bar`], with grid lines
/// at 0, 25, 50, 75 and 100 %.
pub fn chart_svg(title: &str, subtitle: &str, bars: &[Bar]) -> String {
    let bars = &bars[..bars.len().min(MAX_BARS)];
    let width = CHART_WIDTH as f32;
    let height = chart_height(bars.len()) as f32;
    let plot = width - LEFT - RIGHT;
    let mut s = format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}">
<rect width="{width}" height="{height}" fill="#FFF7E6"/>
<rect width="{width}" height="110" fill="#B71C1C"/>
<text x="40" y="72" font-size="44" font-weight="700" fill="#FFF3D6">{}</text>
<text x="40" y="145" font-size="24" fill="#8A6A5C">{}</text>
"##,
        escape_xml(&fit(title, 44.0, width - 80.0)),
        escape_xml(&fit(subtitle, 24.0, width - 80.0)),
    );
    let bottom = TOP + bars.len().max(1) as f32 * (BAR + GAP);
    for pct in [0, 25, 50, 75, 100] {
        let x = LEFT + plot * pct as f32 / 100.0;
        s.push_str(&format!(
            r##"<line x1="{x}" y1="{}" x2="{x}" y2="{bottom}" stroke="#E5D3B3" stroke-width="2"/>
<text x="{x}" y="{}" font-size="22" fill="#8A6A5C" text-anchor="middle">{pct}%</text>
"##,
            TOP - 10.0,
            bottom + 34.0
        ));
    }
    for (i, bar) in bars.iter().enumerate() {
        let y = TOP + i as f32 * (BAR + GAP);
        let text_y = y + BAR / 2.0 + LABEL_SIZE * 0.36;
        s.push_str(&format!(
            r##"<text x="{}" y="{text_y}" font-size="{LABEL_SIZE}" fill="#4A2C22" text-anchor="end">{}</text>
"##,
            LEFT - 16.0,
            escape_xml(&fit(&bar.label, LABEL_SIZE, LEFT - 40.0)),
        ));
        // No bar at all for a branch with nothing to divide: its figure is "–", not 0.
        let w = match bar.percent.filter(|p| p.is_finite()) {
            Some(pct) => {
                let w = (plot * pct.clamp(0.0, 100.0) as f32 / 100.0).max(2.0);
                s.push_str(&format!(
                    r##"<rect x="{LEFT}" y="{y}" width="{w}" height="{BAR}" rx="6" fill="#C62828"/>
"##
                ));
                w
            }
            None => 0.0,
        };
        s.push_str(&format!(
            r##"<text x="{}" y="{text_y}" font-size="{LABEL_SIZE}" font-weight="700" fill="#8E1010">{}</text>
"##,
            LEFT + w + 10.0,
            escape_xml(&bar.shown),
        ));
    }
    s.push_str("</svg>\n");
    s
}

impl PosterRenderer {
    /// A bar chart of percentages as PNG (width [`CHART_WIDTH`], height from the number of
    /// bars, at most [`MAX_BARS`]).
    pub fn render_bar_chart(
        &self,
        title: &str,
        subtitle: &str,
        bars: &[Bar],
    ) -> Result<Vec<u8>, PosterError> {
        let svg = chart_svg(title, subtitle, bars);
        let options = usvg::Options {
            font_family: fonts::family(Script::Simplified).to_string(),
            fontdb: Arc::clone(&self.fontdb),
            ..usvg::Options::default()
        };
        let tree =
            usvg::Tree::from_str(&svg, &options).map_err(|e| PosterError::Svg(e.to_string()))?;
        let size = tree.size().to_int_size();
        let mut pixmap = tiny_skia::Pixmap::new(size.width(), size.height()).ok_or_else(|| {
            PosterError::Render(format!(
                "cannot make a {}x{} pixmap",
                size.width(),
                size.height()
            ))
        })?;
        resvg::render(&tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
        pixmap
            .encode_png()
            .map_err(|e| PosterError::Encode(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, percent: Option<f64>, shown: &str) -> Bar {
        Bar {
            label: label.to_string(),
            percent,
            shown: shown.to_string(),
        }
    }

    fn bars() -> Vec<Bar> {
        vec![
            bar("柳村党支部", Some(87.5), "88%"),
            bar(
                "东湖镇机关党支部（一个很长很长很长的支部名称）",
                Some(50.0),
                "50%",
            ),
            bar("Hexi", Some(0.0), "0%"),
        ]
    }

    #[test]
    fn labels_that_do_not_fit_are_shortened() {
        let long = "东湖镇机关党支部（一个很长很长很长的支部名称）";
        let short = fit(long, LABEL_SIZE, LEFT - 40.0);
        assert!(short.ends_with('…'), "{short}");
        assert!(short.chars().count() < long.chars().count());
        assert_eq!(fit("柳村", LABEL_SIZE, LEFT - 40.0), "柳村");
    }

    #[test]
    fn the_chart_has_one_bar_per_branch_with_its_percentage() {
        let svg = chart_svg("各支部参训率", "青山市 · 本周", &bars());
        assert!(svg.contains(">88%<"), "{svg}");
        assert!(svg.contains(">50%<"));
        assert!(svg.contains(">0%<"));
        assert!(svg.contains(">柳村党支部<"));
        assert_eq!(svg.matches("fill=\"#C62828\"").count(), 3);
        // A bar of 87.5% is 87.5% of the plot width.
        let plot = CHART_WIDTH as f32 - LEFT - RIGHT;
        assert!(svg.contains(&format!("width=\"{}\"", plot * 0.875)));
    }

    #[test]
    fn the_png_decodes_at_its_size_and_the_bars_are_drawn() {
        let renderer = PosterRenderer::new().unwrap();
        let png = renderer
            .render_bar_chart("各支部参训率", "青山市 · 本周", &bars())
            .unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        assert_eq!(pixmap.width(), CHART_WIDTH);
        assert_eq!(pixmap.height(), chart_height(3));
        // The middle of the first bar (87.5%) is bar red; beyond the end of the third
        // (0%) the background shows.
        let plot = CHART_WIDTH as f32 - LEFT - RIGHT;
        let px = |x: f32, y: f32| {
            let p = pixmap.pixel(x as u32, y as u32).unwrap();
            (p.red(), p.green(), p.blue())
        };
        assert_eq!(px(LEFT + plot * 0.4, TOP + BAR / 2.0), (0xC6, 0x28, 0x28));
        let third = TOP + 2.0 * (BAR + GAP) + BAR / 2.0;
        assert_eq!(px(LEFT + plot * 0.6, third), (0xFF, 0xF7, 0xE6));
        // The title is written (ink on the red band).
        let band: usize = (40..600)
            .filter(|&x| px(x as f32, 60.0) != (0xB7, 0x1C, 0x1C))
            .count();
        assert!(band > 20, "title ink: {band}");
    }

    #[test]
    fn no_bars_still_makes_a_chart_and_bad_numbers_are_clamped() {
        let renderer = PosterRenderer::new().unwrap();
        assert!(renderer.render_bar_chart("t", "s", &[]).is_ok());
        let svg = chart_svg(
            "t",
            "s",
            &[bar("x", Some(f64::NAN), "?"), bar("y", Some(250.0), "250%")],
        );
        let plot = CHART_WIDTH as f32 - LEFT - RIGHT;
        assert!(svg.contains(&format!("width=\"{plot}\"")), "clamped: {svg}");
        assert_eq!(svg.matches("fill=\"#C62828\"").count(), 1, "{svg}");
    }

    #[test]
    fn a_branch_without_active_members_shows_a_dash_and_no_bar() {
        let svg = chart_svg(
            "t",
            "s",
            &[bar("柳村", Some(50.0), "50%"), bar("新园", None, "–")],
        );
        assert!(svg.contains(">新园<") && svg.contains(">–<"), "{svg}");
        assert!(!svg.contains("#8E1010\">0%<"), "{svg}");
        assert_eq!(svg.matches("fill=\"#C62828\"").count(), 1, "{svg}");
        let renderer = PosterRenderer::new().unwrap();
        let png = renderer
            .render_bar_chart("t", "s", &[bar("新园", None, "–")])
            .unwrap();
        let pixmap = tiny_skia::Pixmap::decode_png(&png).unwrap();
        let p = pixmap
            .pixel((LEFT + 200.0) as u32, (TOP + BAR / 2.0) as u32)
            .unwrap();
        assert_eq!((p.red(), p.green(), p.blue()), (0xFF, 0xF7, 0xE6), "no bar");
    }
}
