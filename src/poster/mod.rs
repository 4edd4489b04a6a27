// TEMPORARY local shim until the poster branch is merged (not to be committed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Script {
    Simplified,
    Traditional,
    Latin,
}
#[derive(Debug, Clone)]
pub struct PosterText {
    pub script: Script,
    pub title: String,
    pub display_name: String,
    pub course_title: String,
    pub stage_title: String,
    pub figures: Vec<(String, String)>,
    pub quote: String,
    pub branch: String,
    pub date: String,
    pub footer: String,
}
#[derive(Debug, thiserror::Error)]
#[error("poster")]
pub struct PosterError;
pub struct PosterRenderer;
impl PosterRenderer {
    pub fn new() -> Result<Self, PosterError> {
        Ok(Self)
    }
    pub fn render_png(&self, _t: &PosterText) -> Result<Vec<u8>, PosterError> {
        Err(PosterError)
    }
}
