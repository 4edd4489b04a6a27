//! Who an announcement goes to.

/// An audience an admin can choose; an admin's scope (their branches) limits each further.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Audience {
    /// Everyone in the admin's scope.
    Everyone,
    /// A branch and every branch under it.
    Branch(String),
    /// Members working away from home (流动党员).
    Migrant,
    /// Members with a tag, e.g. `elderly`.
    Tag(String),
    /// Members without a check-in for this many days.
    Inactive(u32),
}

/// Longest tag accepted, in bytes (it travels in button data): 10 Chinese characters.
pub const MAX_TAG_LEN: usize = 30;

/// A tag is 1-30 bytes of letters in any script (Latin ones lower case), digits, `-` or
/// `_`: `elderly`, `new-economy`, `老年`, `新兴领域`.
pub fn valid_tag(tag: &str) -> bool {
    !tag.is_empty()
        && tag.len() <= MAX_TAG_LEN
        && tag
            .chars()
            .all(|c| (c.is_alphanumeric() && !c.is_uppercase()) || c == '-' || c == '_')
}

/// A tag as typed, in its stored form (Latin letters in lower case); None if it cannot be
/// one.
pub fn read_tag(typed: &str) -> Option<String> {
    let tag: String = typed.trim().chars().flat_map(char::to_lowercase).collect();
    valid_tag(&tag).then_some(tag)
}

impl Audience {
    /// Stored and button form: `all`, `branch:ID`, `migrant`, `tag:T`, `inactive:N`.
    pub fn encode(&self) -> String {
        match self {
            Audience::Everyone => "all".into(),
            Audience::Branch(b) => format!("branch:{b}"),
            Audience::Migrant => "migrant".into(),
            Audience::Tag(t) => format!("tag:{t}"),
            Audience::Inactive(days) => format!("inactive:{days}"),
        }
    }

    pub fn decode(s: &str) -> Option<Audience> {
        let (kind, value) = s.split_once(':').unwrap_or((s, ""));
        match kind {
            "all" if value.is_empty() => Some(Audience::Everyone),
            "migrant" if value.is_empty() => Some(Audience::Migrant),
            "branch" if !value.is_empty() => Some(Audience::Branch(value.to_string())),
            "tag" if valid_tag(value) => Some(Audience::Tag(value.to_string())),
            "inactive" => value
                .parse()
                .ok()
                .filter(|d| (1..=365).contains(d))
                .map(Audience::Inactive),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn audiences_round_trip_and_bad_codes_are_refused() {
        for a in [
            Audience::Everyone,
            Audience::Branch("qs.dh".into()),
            Audience::Migrant,
            Audience::Tag("elderly".into()),
            Audience::Inactive(7),
        ] {
            assert_eq!(Audience::decode(&a.encode()), Some(a));
        }
        for bad in [
            "",
            "all:x",
            "branch:",
            "tag:Bad Tag",
            "inactive:0",
            "inactive:999",
            "x",
        ] {
            assert_eq!(Audience::decode(bad), None, "{bad}");
        }
        assert!(valid_tag("new-economy"));
        assert!(valid_tag("老人"));
        assert!(valid_tag("新兴领域"));
        assert!(!valid_tag("Elderly"));
        assert!(!valid_tag("a:b"));
        assert!(!valid_tag("a b"));
        assert!(!valid_tag(&"老".repeat(11)), "31+ bytes");
        assert_eq!(read_tag(" Elderly "), Some("elderly".into()));
        assert_eq!(read_tag("老年"), Some("老年".into()));
        assert_eq!(read_tag("老年人!"), None);
        assert_eq!(
            Audience::decode("tag:老年"),
            Some(Audience::Tag("老年".into()))
        );
    }
}
