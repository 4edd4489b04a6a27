//! The machine-readable Bot API description (`tests/data/telegram-bot-api/api.min.json`, MIT,
//! from PaulSonOfLars/telegram-bot-api-spec) that the
//! fake checks requests against: which methods exist, their fields, and the limits written in
//! the field descriptions ("1-4096 characters", "1-12 answer options", ...).

use std::{collections::HashMap, sync::OnceLock};

use serde::Deserialize;

/// Where the API description lives (in the repository, with its licence).
pub const SPEC_PATH: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/telegram-bot-api/api.min.json"
);

#[derive(Debug, Deserialize)]
pub struct Spec {
    pub version: String,
    pub methods: HashMap<String, MethodSpec>,
    pub types: HashMap<String, TypeSpec>,
    /// Lower-cased method name -> canonical name (the Bot API ignores case in method names).
    #[serde(skip)]
    by_lower: HashMap<String, String>,
}

#[derive(Debug, Deserialize)]
pub struct MethodSpec {
    pub name: String,
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
    #[serde(default)]
    pub returns: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct TypeSpec {
    pub name: String,
    /// Absent for union types such as `MaybeInaccessibleMessage`.
    #[serde(default)]
    pub fields: Vec<FieldSpec>,
}

#[derive(Debug, Deserialize)]
pub struct FieldSpec {
    pub name: String,
    pub types: Vec<String>,
    pub required: bool,
    pub description: String,
}

impl Spec {
    /// The parsed API description, loaded once per test binary.
    pub fn get() -> &'static Spec {
        static SPEC: OnceLock<Spec> = OnceLock::new();
        SPEC.get_or_init(|| {
            let text = std::fs::read_to_string(SPEC_PATH)
                .unwrap_or_else(|e| panic!("fake Telegram: cannot read {SPEC_PATH}: {e}"));
            let mut spec: Spec = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("fake Telegram: cannot parse {SPEC_PATH}: {e}"));
            spec.by_lower = spec
                .methods
                .keys()
                .map(|name| (name.to_ascii_lowercase(), name.clone()))
                .collect();
            spec
        })
    }

    /// Looks a method up the way Telegram does, ignoring case.
    pub fn method(&self, name: &str) -> Option<&MethodSpec> {
        let canonical = self.by_lower.get(&name.to_ascii_lowercase())?;
        self.methods.get(canonical)
    }

    /// A field of an object type, e.g. `InputPollOption.text`.
    pub fn type_field(&self, type_name: &str, field: &str) -> Option<&FieldSpec> {
        self.types
            .get(type_name)?
            .fields
            .iter()
            .find(|f| f.name == field)
    }
}

impl MethodSpec {
    pub fn field(&self, name: &str) -> Option<&FieldSpec> {
        self.fields.iter().find(|f| f.name == name)
    }

    /// The `A-B <unit>` range in the description of field `name`, if any.
    pub fn range(&self, name: &str, unit: &str) -> Option<(usize, usize)> {
        self.field(name)?.range(unit)
    }
}

impl FieldSpec {
    /// Finds the first `A-B <unit>...` in the description, e.g. `range("characters")` on
    /// "Text of the message to be sent, 1-4096 characters after entities parsing" gives
    /// `(1, 4096)`, and `range("answer")` on "A JSON-serialized list of 1-12 answer options"
    /// gives `(1, 12)`.
    pub fn range(&self, unit: &str) -> Option<(usize, usize)> {
        let words: Vec<&str> = self.description.split_whitespace().collect();
        words.windows(2).find_map(|pair| {
            if !pair[1].starts_with(unit) {
                return None;
            }
            let (low, high) = pair[0].split_once('-')?;
            Some((low.parse().ok()?, high.parse().ok()?))
        })
    }

    /// True when the field only takes strings (or uploads), so a multipart text part must stay
    /// a string even when it looks like JSON ("123", "true").
    pub fn is_string_only(&self) -> bool {
        self.types.iter().all(|t| t == "String" || t == "InputFile")
    }
}
