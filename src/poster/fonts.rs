//! The embedded poster fonts (subsets of Noto Sans CJK SC and TC, see
//! `assets/fonts/README.md`) and their metrics, used to measure text for wrapping and to
//! leave out characters the fonts do not have (so a poster never shows tofu).

use std::sync::LazyLock;

use skrifa::charmap::Charmap;
use skrifa::instance::{LocationRef, Size};
use skrifa::metrics::GlyphMetrics;
use skrifa::raw::TableProvider;
use skrifa::{FontRef, GlyphId, MetadataProvider};

use super::Script;

pub(crate) const SC_REGULAR: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKSC-Regular-subset.otf");
pub(crate) const SC_BOLD: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKSC-Bold-subset.otf");
pub(crate) const TC_REGULAR: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKTC-Regular-subset.otf");
pub(crate) const TC_BOLD: &[u8] =
    include_bytes!("../../assets/fonts/NotoSansCJKTC-Bold-subset.otf");

/// Every embedded font file, with a name for error messages.
pub(crate) const ALL: [(&str, &[u8]); 4] = [
    ("NotoSansCJKSC-Regular-subset.otf", SC_REGULAR),
    ("NotoSansCJKSC-Bold-subset.otf", SC_BOLD),
    ("NotoSansCJKTC-Regular-subset.otf", TC_REGULAR),
    ("NotoSansCJKTC-Bold-subset.otf", TC_BOLD),
];

/// The font family a script is set in (the names inside the font files).
pub fn family(script: Script) -> &'static str {
    match script {
        Script::Traditional => "Noto Sans CJK TC",
        Script::Simplified | Script::Latin => "Noto Sans CJK SC",
    }
}

/// Ascent and descent of Noto Sans CJK (OS/2 typo metrics), in em: what a line of text
/// occupies above and below its baseline.
pub const ASCENT: f32 = 0.88;
pub const DESCENT: f32 = 0.12;

/// One parsed face: its character map and advances.
pub(crate) struct Face {
    charmap: Charmap<'static>,
    advances: GlyphMetrics<'static>,
    units_per_em: f32,
}

impl Face {
    fn parse(data: &'static [u8]) -> Result<Self, String> {
        let font = FontRef::new(data).map_err(|e| e.to_string())?;
        let units_per_em = font
            .head()
            .map(|h| f32::from(h.units_per_em()))
            .map_err(|e| e.to_string())?;
        if units_per_em <= 0.0 {
            return Err("units per em is zero".into());
        }
        Ok(Self {
            charmap: font.charmap(),
            advances: font.glyph_metrics(Size::unscaled(), LocationRef::default()),
            units_per_em,
        })
    }

    fn glyph(&self, c: char) -> Option<GlyphId> {
        self.charmap.map(c).filter(|g| g.to_u32() != 0)
    }
}

/// The faces of one script: regular and bold.
pub(crate) struct Faces {
    sc: [Face; 2],
    tc: [Face; 2],
}

static FACES: LazyLock<Result<Faces, String>> = LazyLock::new(|| {
    Ok(Faces {
        sc: [Face::parse(SC_REGULAR)?, Face::parse(SC_BOLD)?],
        tc: [Face::parse(TC_REGULAR)?, Face::parse(TC_BOLD)?],
    })
});

/// Why the embedded fonts cannot be read, if they cannot (a broken build).
pub(crate) fn parse_error() -> Option<&'static str> {
    FACES.as_ref().err().map(String::as_str)
}

/// Measures text in one script and weight.
#[derive(Clone, Copy)]
pub(crate) struct Metrics {
    face: Option<&'static Face>,
}

impl Metrics {
    pub(crate) fn new(script: Script, bold: bool) -> Self {
        let face = FACES.as_ref().ok().map(|f| {
            let pair = match script {
                Script::Traditional => &f.tc,
                Script::Simplified | Script::Latin => &f.sc,
            };
            &pair[usize::from(bold)]
        });
        Self { face }
    }

    /// Whether the font has a glyph for `c` (true for every character when the fonts
    /// could not be read, since nothing is rendered then anyway).
    pub(crate) fn covers(&self, c: char) -> bool {
        match self.face {
            Some(face) => face.glyph(c).is_some(),
            None => true,
        }
    }

    /// The advance of `c` in em.
    pub(crate) fn advance(&self, c: char) -> f32 {
        let measured = self.face.and_then(|face| {
            let glyph = face.glyph(c)?;
            let advance = face.advances.advance_width(glyph)?;
            Some(advance / face.units_per_em)
        });
        measured.unwrap_or_else(|| approximate_advance(c))
    }
}

/// The advance of a character when no font metrics are at hand: full width for CJK,
/// about half for the rest.
fn approximate_advance(c: char) -> f32 {
    if is_wide(c) { 1.0 } else { 0.55 }
}

/// CJK ideographs, kana, hangul, CJK punctuation and fullwidth forms: characters a line
/// may break before or after.
pub(crate) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F
        | 0x2E80..=0x303E
        | 0x3041..=0x33FF
        | 0x3400..=0x4DBF
        | 0x4E00..=0x9FFF
        | 0xA960..=0xA97F
        | 0xAC00..=0xD7A3
        | 0xF900..=0xFAFF
        | 0xFE10..=0xFE19
        | 0xFE30..=0xFE6F
        | 0xFF00..=0xFF60
        | 0xFFE0..=0xFFE6
        | 0x20000..=0x3FFFD)
}
