//! The SVG document written from a [`Layout`].

use std::f32::consts::PI;
use std::fmt::Write;

use super::layout::{Anchor, Layout, Rect, Star, TextItem};

/// Escapes text for SVG character data and attribute values.
pub fn escape_xml(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // Characters XML 1.0 does not allow at all.
            c if (c as u32) < 0x20 && !matches!(c, '\t' | '\n' | '\r') => {}
            '\u{FFFE}' | '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// The SVG of the poster.
pub fn svg(layout: &Layout) -> String {
    let mut s = String::with_capacity(16 * 1024);
    let (w, h) = (layout.width, layout.height);
    // Writing to a String cannot fail.
    let _ = write!(
        s,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}">
<defs>
<linearGradient id="band" x1="0" y1="0" x2="0" y2="1">
<stop offset="0" stop-color="#C62828"/><stop offset="1" stop-color="#8E1010"/>
</linearGradient>
<linearGradient id="gold" x1="0" y1="0" x2="1" y2="0">
<stop offset="0" stop-color="#B8862B"/><stop offset="0.5" stop-color="#F6D77E"/><stop offset="1" stop-color="#B8862B"/>
</linearGradient>
<linearGradient id="ribbon" x1="0" y1="0" x2="1" y2="0">
<stop offset="0" stop-color="#9C1414"/><stop offset="0.5" stop-color="#C62828"/><stop offset="1" stop-color="#9C1414"/>
</linearGradient>
</defs>
"##,
    );
    let mut rays_done = false;
    for r in &layout.rects {
        write_rect(&mut s, r);
        if r.role == "band" && !rays_done {
            write_rays(
                &mut s,
                layout.width as f32 / 2.0,
                96.0,
                layout.width as f32,
                layout.band_height,
            );
            rays_done = true;
        }
    }
    for star in &layout.stars {
        write_star(&mut s, star);
    }
    let family = escape_xml(layout.font_family);
    for t in &layout.texts {
        write_text(&mut s, t, &family);
    }
    s.push_str("</svg>\n");
    s
}

fn write_rect(s: &mut String, r: &Rect) {
    let _ = write!(
        s,
        r#"<rect x="{}" y="{}" width="{}" height="{}" rx="{}" fill="{}""#,
        r.x,
        r.y,
        r.w.max(0.0),
        r.h.max(0.0),
        r.r,
        escape_xml(r.fill)
    );
    if let Some(stroke) = r.stroke {
        let _ = write!(
            s,
            r#" stroke="{}" stroke-width="{}""#,
            escape_xml(stroke),
            r.stroke_width
        );
    }
    s.push_str("/>\n");
}

/// Faint sunburst rays over the header band, from (cx, cy): one path of triangles cut
/// to the band (cheaper to draw than a clip path).
fn write_rays(s: &mut String, cx: f32, cy: f32, width: f32, band: f32) {
    let n = 36;
    let reach = 1600.0;
    s.push_str(r##"<path fill="#FFFFFF" fill-opacity="0.06" d=""##);
    for i in 0..n {
        let a0 = (i as f32) * 2.0 * PI / n as f32;
        let a1 = a0 + PI / n as f32;
        let triangle = [
            (cx, cy),
            (cx + reach * a0.cos(), cy + reach * a0.sin()),
            (cx + reach * a1.cos(), cy + reach * a1.sin()),
        ];
        let cut = clip_to_rect(&triangle, width, band);
        for (k, (x, y)) in cut.iter().enumerate() {
            let _ = write!(s, "{}{x:.1} {y:.1}", if k == 0 { "M" } else { "L" });
        }
        if !cut.is_empty() {
            s.push('Z');
        }
    }
    s.push_str("\"/>\n");
}

/// The part of a convex polygon inside [0, w] × [0, h] (Sutherland–Hodgman).
pub(crate) fn clip_to_rect(polygon: &[(f32, f32)], w: f32, h: f32) -> Vec<(f32, f32)> {
    type Inside = fn(f32, f32, f32, f32) -> bool;
    let edges: [(Inside, usize, f32); 4] = [
        (|x, _, _, _| x >= 0.0, 0, 0.0),
        (|x, _, w, _| x <= w, 0, w),
        (|_, y, _, _| y >= 0.0, 1, 0.0),
        (|_, y, _, h| y <= h, 1, h),
    ];
    let mut points = polygon.to_vec();
    for (inside, axis, at) in edges {
        let input = std::mem::take(&mut points);
        let Some(&last) = input.last() else {
            break;
        };
        let mut prev = last;
        for &p in &input {
            let p_in = inside(p.0, p.1, w, h);
            let prev_in = inside(prev.0, prev.1, w, h);
            if p_in != prev_in {
                // Where the segment prev → p crosses the edge.
                let (a, b) = if axis == 0 {
                    (prev.0, p.0)
                } else {
                    (prev.1, p.1)
                };
                let t = if b == a { 0.0 } else { (at - a) / (b - a) };
                points.push((prev.0 + t * (p.0 - prev.0), prev.1 + t * (p.1 - prev.1)));
            }
            if p_in {
                points.push(p);
            }
            prev = p;
        }
    }
    points
}

fn write_star(s: &mut String, star: &Star) {
    let inner = star.r * 0.382;
    let mut d = String::new();
    for i in 0..10 {
        let radius = if i % 2 == 0 { star.r } else { inner };
        let angle = -PI / 2.0 + i as f32 * PI / 5.0;
        let _ = write!(
            d,
            "{}{:.1} {:.1}",
            if i == 0 { "M" } else { "L" },
            star.cx + radius * angle.cos(),
            star.cy + radius * angle.sin()
        );
    }
    let _ = writeln!(s, r#"<path d="{d}Z" fill="{}"/>"#, escape_xml(star.fill));
}

fn write_text(s: &mut String, t: &TextItem, family: &str) {
    let anchor = match t.anchor {
        Anchor::Start => "start",
        Anchor::Middle => "middle",
        Anchor::End => "end",
    };
    let _ = write!(
        s,
        r#"<text x="{}" y="{}" font-family="{family}" font-size="{}" font-weight="{}" fill="{}" text-anchor="{anchor}""#,
        t.x,
        t.y,
        t.size,
        t.weight,
        escape_xml(t.colour),
    );
    if t.letter_spacing != 0.0 {
        let _ = write!(s, r#" letter-spacing="{}""#, t.letter_spacing);
    }
    let _ = writeln!(s, ">{}</text>", escape_xml(&t.text));
}
