//! The learning poster (学习海报): a 1080×1440 PNG made from a [`PosterText`].
//!
//! [`layout`] decides where every line goes (wrapping by measured width, since resvg does
//! not wrap), [`svg`](svg::svg) writes the SVG from that layout, and [`PosterRenderer`]
//! renders it with resvg using only the embedded Noto Sans CJK subsets (no system
//! fonts, so a poster looks the same on every machine).

pub mod chart;
mod fonts;
mod layout;
mod svg;
mod wrap;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

pub use layout::{Anchor, Layout, Rect, Star, TextItem, layout};
pub use svg::{escape_xml, svg};

/// Poster size in pixels.
pub const WIDTH: u32 = 1080;
pub const HEIGHT: u32 = 1440;

/// The writing a poster is set in: chooses the font (mainland or Taiwan glyph shapes)
/// and the quote marks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Simplified,
    Traditional,
    Latin,
}

/// What a poster says, already in the member's language.
#[derive(Debug, Clone)]
pub struct PosterText {
    pub script: Script,
    pub title: String,
    pub display_name: String,
    pub course_title: String,
    pub stage_title: String,
    /// (label, value), e.g. ("学习天数", "12"): one card each.
    pub figures: Vec<(String, String)>,
    /// A line from the course (a lesson title), shown in quote marks.
    pub quote: String,
    pub branch: String,
    pub date: String,
    pub footer: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PosterError {
    #[error("cannot load the poster font {name}: {problem}")]
    FontLoad { name: &'static str, problem: String },
    #[error("cannot read the poster SVG: {0}")]
    Svg(String),
    #[error("cannot render the poster: {0}")]
    Render(String),
    #[error("cannot encode the poster as PNG: {0}")]
    Encode(String),
}

/// Renders posters. Holds the parsed fonts; cheap to share (`Arc`) across threads.
pub struct PosterRenderer {
    fontdb: Arc<fontdb::Database>,
}

impl std::fmt::Debug for PosterRenderer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PosterRenderer")
            .field("faces", &self.fontdb.len())
            .finish()
    }
}

impl PosterRenderer {
    /// Loads the embedded fonts.
    pub fn new() -> Result<Self, PosterError> {
        if let Some(problem) = fonts::parse_error() {
            return Err(PosterError::FontLoad {
                name: "embedded fonts",
                problem: problem.to_string(),
            });
        }
        let mut db = fontdb::Database::new();
        for (name, data) in fonts::ALL {
            let ids = db.load_font_source(fontdb::Source::Binary(Arc::new(data)));
            if ids.is_empty() {
                return Err(PosterError::FontLoad {
                    name,
                    problem: "not a font fontdb can read".into(),
                });
            }
        }
        for script in [Script::Simplified, Script::Traditional] {
            let family = fonts::family(script);
            for weight in [fontdb::Weight::NORMAL, fontdb::Weight::BOLD] {
                let query = fontdb::Query {
                    families: &[fontdb::Family::Name(family)],
                    weight,
                    ..fontdb::Query::default()
                };
                match db.query(&query) {
                    Some(id) if db.face(id).is_some_and(|f| f.weight == weight) => {}
                    _ => {
                        return Err(PosterError::FontLoad {
                            name: family,
                            problem: format!("no face of weight {}", weight.0),
                        });
                    }
                }
            }
        }
        db.set_sans_serif_family(fonts::family(Script::Simplified));
        Ok(Self {
            fontdb: Arc::new(db),
        })
    }

    /// The poster as PNG bytes.
    pub fn render_png(&self, t: &PosterText) -> Result<Vec<u8>, PosterError> {
        encode_png(&self.render_pixmap(t)?)
    }

    /// The poster as pixels.
    pub fn render_pixmap(&self, t: &PosterText) -> Result<tiny_skia::Pixmap, PosterError> {
        rasterize(&self.tree(t)?)
    }

    /// The poster's SVG parsed, its text turned into outlines: the first half of
    /// rendering (the layout and SVG are made here too).
    pub fn tree(&self, t: &PosterText) -> Result<usvg::Tree, PosterError> {
        let layout = layout(t);
        let svg = svg(&layout);
        let options = usvg::Options {
            font_family: layout.font_family.to_string(),
            languages: vec![
                match t.script {
                    Script::Simplified => "zh-CN",
                    Script::Traditional => "zh-TW",
                    Script::Latin => "en",
                }
                .to_string(),
            ],
            fontdb: Arc::clone(&self.fontdb),
            ..usvg::Options::default()
        };
        usvg::Tree::from_str(&svg, &options).map_err(|e| PosterError::Svg(e.to_string()))
    }
}

/// Draws a parsed poster.
pub fn rasterize(tree: &usvg::Tree) -> Result<tiny_skia::Pixmap, PosterError> {
    let mut pixmap = tiny_skia::Pixmap::new(WIDTH, HEIGHT)
        .ok_or_else(|| PosterError::Render(format!("cannot make a {WIDTH}x{HEIGHT} pixmap")))?;
    resvg::render(tree, tiny_skia::Transform::default(), &mut pixmap.as_mut());
    Ok(pixmap)
}

/// Encodes a poster as an RGB PNG (the poster is opaque, so no alpha channel), with
/// the png crate's fast deflate: flat colours compress well with it, at a fraction of
/// the default level's time.
pub fn encode_png(pixmap: &tiny_skia::Pixmap) -> Result<Vec<u8>, PosterError> {
    let encode = |e: png::EncodingError| PosterError::Encode(e.to_string());
    let rgb: Vec<u8> = pixmap
        .data()
        .chunks_exact(4)
        .flat_map(|p| [p[0], p[1], p[2]])
        .collect();
    let mut out = Vec::with_capacity(256 * 1024);
    let mut encoder = png::Encoder::new(&mut out, pixmap.width(), pixmap.height());
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::Fast);
    let mut writer = encoder.write_header().map_err(encode)?;
    writer.write_image_data(&rgb).map_err(encode)?;
    writer.finish().map_err(encode)?;
    Ok(out)
}
