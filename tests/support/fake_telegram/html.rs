//! Telegram's HTML parse mode, modelled on tdlib's `parse_html` (which the Bot API server
//! uses), including its error wording ("Unsupported start tag \"x\" at byte offset N", ...).
//!
//! One deliberate difference: tdlib keeps a bare `&` (or an unknown entity like `&nbsp;`)
//! as literal text, while this parser rejects it, so that tests catch user content that was
//! not escaped before being put into HTML.

use serde_json::{Map, Value, json};

/// Text after entity parsing, with its entities (offsets and lengths in UTF-16 code units,
/// as Telegram counts them).
#[derive(Clone, Debug, PartialEq)]
pub struct Formatted {
    pub text: String,
    /// `MessageEntity` JSON objects, sorted by offset (longer first at equal offsets).
    pub entities: Vec<Value>,
}

impl Formatted {
    pub fn plain(text: &str) -> Formatted {
        Formatted {
            text: text.to_owned(),
            entities: Vec::new(),
        }
    }

    /// Length as Telegram counts it for its "1-4096 characters" limits.
    pub fn utf16_len(&self) -> usize {
        utf16_len(&self.text)
    }

    /// Telegram strips leading and trailing white space from message texts and captions;
    /// entities are clipped to what remains.
    pub fn trimmed(self) -> Formatted {
        let lead = self.text.len() - self.text.trim_start().len();
        let lead16 = utf16_len(&self.text[..lead]);
        let body = self.text.trim();
        let end16 = lead16 + utf16_len(body);
        let entities = self
            .entities
            .into_iter()
            .filter_map(|mut entity| {
                let offset = entity["offset"].as_u64()? as usize;
                let length = entity["length"].as_u64()? as usize;
                let start = offset.max(lead16);
                let end = (offset + length).min(end16);
                if end <= start {
                    return None;
                }
                entity["offset"] = json!(start - lead16);
                entity["length"] = json!(end - start);
                Some(entity)
            })
            .collect();
        Formatted {
            text: body.to_owned(),
            entities,
        }
    }
}

pub fn utf16_len(s: &str) -> usize {
    s.encode_utf16().count()
}

/// The tags Telegram supports (https://core.telegram.org/bots/api#html-style).
const TAGS: &[&str] = &[
    "a",
    "b",
    "strong",
    "i",
    "em",
    "u",
    "ins",
    "s",
    "strike",
    "del",
    "span",
    "tg-spoiler",
    "code",
    "pre",
    "blockquote",
    "tg-emoji",
];

/// A start tag waiting for its end tag.
struct Open {
    tag: String,
    /// href, code language, span class without "tg-", emoji id, or "expandable".
    arg: String,
    /// Where the entity starts in the output, in UTF-16 units and in bytes.
    offset16: usize,
    offset_bytes: usize,
}

struct Entity {
    kind: &'static str,
    offset: usize,
    length: usize,
    /// Extra field of the entity (url, language, custom_emoji_id).
    extra: Option<(&'static str, String)>,
    /// For `code`: the language from `class="language-..."`, used by an enclosing `pre`.
    code_language: Option<String>,
}

impl Entity {
    fn into_json(self) -> Value {
        let mut object = Map::new();
        object.insert("type".into(), json!(self.kind));
        object.insert("offset".into(), json!(self.offset));
        object.insert("length".into(), json!(self.length));
        if let Some((key, value)) = self.extra {
            object.insert(key.into(), json!(value));
        }
        Value::Object(object)
    }
}

fn is_space(byte: u8) -> bool {
    matches!(byte, b' ' | b'\t' | b'\r' | b'\n' | b'\x0b' | b'\x0c')
}

/// Parses `src` in parse_mode HTML. The error is the detail that follows
/// "Bad Request: can't parse entities: ".
pub fn parse_html(src: &str) -> Result<Formatted, String> {
    let b = src.as_bytes();
    let mut text = String::with_capacity(src.len());
    let mut len16 = 0;
    let mut open: Vec<Open> = Vec::new();
    let mut entities: Vec<Entity> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'&' => {
                let (ch, used) = decode_entity(&src[i..]).ok_or_else(|| {
                    format!(
                        "Unsupported HTML entity or unescaped \"&\" at byte offset {i} (the fake \
                         is stricter than Telegram here: escape a literal \"&\" as \"&amp;\")"
                    )
                })?;
                text.push(ch);
                len16 += ch.len_utf16();
                i += used;
            }
            b'<' if b.get(i + 1) == Some(&b'/') => {
                let begin = i;
                let Some(top) = open.pop() else {
                    return Err(format!("Unexpected end tag at byte offset {begin}"));
                };
                i += 2;
                let name_start = i;
                while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                    i += 1;
                }
                let name = src[name_start..i].to_ascii_lowercase();
                while i < b.len() && is_space(b[i]) {
                    i += 1;
                }
                if i >= b.len() || b[i] != b'>' {
                    return Err(format!("Unclosed end tag at byte offset {begin}"));
                }
                i += 1;
                // `</>` closes whatever is open, as in tdlib.
                if !name.is_empty() && name != top.tag {
                    return Err(format!(
                        "Unmatched end tag at byte offset {begin}, expected \"</{}>\", found \
                         \"</{name}>\"",
                        top.tag
                    ));
                }
                close(top, &text, len16, &mut entities)?;
            }
            b'<' => {
                let (tag, next) = parse_start_tag(src, i)?;
                open.push(Open {
                    offset16: len16,
                    offset_bytes: text.len(),
                    ..tag
                });
                i = next;
            }
            _ => {
                let start = i;
                while i < b.len() && b[i] != b'<' && b[i] != b'&' {
                    i += 1;
                }
                text.push_str(&src[start..i]);
                len16 += utf16_len(&src[start..i]);
            }
        }
    }
    if let Some(top) = open.last() {
        return Err(format!(
            "Can't find end tag corresponding to start tag {}",
            top.tag
        ));
    }
    entities.sort_by(|x, y| x.offset.cmp(&y.offset).then(y.length.cmp(&x.length)));
    Ok(Formatted {
        text,
        entities: entities.into_iter().map(Entity::into_json).collect(),
    })
}

/// Parses the start tag beginning with the `<` at `begin`; returns it (offsets not yet set)
/// and the index just after its `>`.
fn parse_start_tag(src: &str, begin: usize) -> Result<(Open, usize), String> {
    let b = src.as_bytes();
    let unclosed = || format!("Unclosed start tag at byte offset {begin}");
    let mut i = begin + 1;
    let name_start = i;
    while i < b.len() && !is_space(b[i]) && b[i] != b'>' {
        i += 1;
    }
    if i >= b.len() {
        return Err(unclosed());
    }
    let tag = src[name_start..i].to_ascii_lowercase();
    if !TAGS.contains(&tag.as_str()) {
        return Err(format!(
            "Unsupported start tag \"{tag}\" at byte offset {begin}"
        ));
    }
    let mut arg = String::new();
    loop {
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(unclosed());
        }
        if b[i] == b'>' {
            i += 1;
            break;
        }
        let attr_start = i;
        while i < b.len() && !is_space(b[i]) && b[i] != b'=' && b[i] != b'>' {
            i += 1;
        }
        let attr = src[attr_start..i].to_ascii_lowercase();
        if attr.is_empty() {
            return Err(format!(
                "Empty attribute name in the tag \"{tag}\" at byte offset {begin}"
            ));
        }
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            if tag == "blockquote" && attr == "expandable" {
                arg = attr;
                continue;
            }
            return Err(format!(
                "Expected equal sign in declaration of an attribute of the tag \"{tag}\" at \
                 byte offset {begin}"
            ));
        }
        i += 1;
        while i < b.len() && is_space(b[i]) {
            i += 1;
        }
        if i >= b.len() {
            return Err(unclosed());
        }
        let value = if b[i] == b'"' || b[i] == b'\'' {
            // A quoted string; entities are decoded inside it.
            let quote = b[i];
            i += 1;
            let mut value = String::new();
            while i < b.len() && b[i] != quote {
                if b[i] == b'&'
                    && let Some((ch, used)) = decode_entity(&src[i..])
                {
                    value.push(ch);
                    i += used;
                    continue;
                }
                let ch = src[i..].chars().next().expect("in bounds");
                value.push(ch);
                i += ch.len_utf8();
            }
            if i < b.len() {
                i += 1;
            }
            value
        } else {
            // A name token: letters, digits, periods and hyphens; not case sensitive.
            let token_start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'.' || b[i] == b'-') {
                i += 1;
            }
            if i < b.len() && !is_space(b[i]) && b[i] != b'>' {
                return Err(format!(
                    "Unexpected end of name token at byte offset {token_start}"
                ));
            }
            src[token_start..i].to_ascii_lowercase()
        };
        if i >= b.len() {
            return Err(unclosed());
        }
        // Other attributes are ignored, as by Telegram.
        match (tag.as_str(), attr.as_str()) {
            ("a", "href") | ("tg-emoji", "emoji-id") => arg = value,
            ("code", "class") => {
                if let Some(language) = value.strip_prefix("language-") {
                    arg = language.to_owned();
                }
            }
            ("span", "class") => {
                if let Some(class) = value.strip_prefix("tg-") {
                    arg = class.to_owned();
                }
            }
            _ => {}
        }
    }
    if tag == "span" && arg != "spoiler" {
        return Err(format!(
            "Tag \"span\" must have class \"tg-spoiler\" at byte offset {begin}"
        ));
    }
    let open = Open {
        tag,
        arg,
        offset16: 0,
        offset_bytes: 0,
    };
    Ok((open, i))
}

/// Turns a closed tag into an entity (none for an empty range, as in tdlib).
fn close(top: Open, text: &str, len16: usize, entities: &mut Vec<Entity>) -> Result<(), String> {
    let offset = top.offset16;
    let length = len16 - offset;
    if length == 0 {
        return Ok(());
    }
    let simple = |kind| Entity {
        kind,
        offset,
        length,
        extra: None,
        code_language: None,
    };
    let entity = match top.tag.as_str() {
        "b" | "strong" => simple("bold"),
        "i" | "em" => simple("italic"),
        "u" | "ins" => simple("underline"),
        "s" | "strike" | "del" => simple("strikethrough"),
        "span" | "tg-spoiler" => simple("spoiler"),
        "blockquote" if top.arg == "expandable" => simple("expandable_blockquote"),
        "blockquote" => simple("blockquote"),
        "code" => Entity {
            code_language: Some(top.arg).filter(|language| !language.is_empty()),
            ..simple("code")
        },
        "pre" => {
            // `<pre><code class="language-x">...</code></pre>` is one `pre` entity with a language.
            if let Some(last) = entities.last_mut()
                && last.kind == "code"
                && last.offset == offset
                && last.length == length
                && let Some(language) = last.code_language.take()
            {
                last.kind = "pre";
                last.extra = Some(("language", language));
                return Ok(());
            }
            simple("pre")
        }
        "tg-emoji" => {
            if !top.arg.parse::<i64>().is_ok_and(|id| id > 0) {
                return Err("Invalid custom emoji identifier specified".to_owned());
            }
            Entity {
                extra: Some(("custom_emoji_id", top.arg)),
                ..simple("custom_emoji")
            }
        }
        "a" => {
            let href = if top.arg.is_empty() {
                &text[top.offset_bytes..]
            } else {
                top.arg.as_str()
            };
            // Telegram silently drops links it cannot use, keeping the text.
            let Some(url) = normalize_url(href) else {
                return Ok(());
            };
            Entity {
                extra: Some(("url", url)),
                ..simple("text_link")
            }
        }
        other => unreachable!("unsupported tag {other} got through"),
    };
    entities.push(entity);
    Ok(())
}

/// Checks a link target the way Telegram does, roughly: a scheme-less link gets "http://".
fn normalize_url(href: &str) -> Option<String> {
    let href = href.trim();
    let candidate = if href.contains("://") || href.starts_with("tg:") {
        href.to_owned()
    } else {
        format!("http://{href}")
    };
    let parsed = url::Url::parse(&candidate).ok()?;
    match parsed.scheme() {
        "http" | "https" | "ton" | "tonsite" => parsed.host_str().is_some().then_some(candidate),
        "tg" => Some(candidate),
        _ => None,
    }
}

/// Decodes the entity at the start of `s` (which begins with '&'): one of the four named
/// entities Telegram supports or a numeric one. Returns the character and the bytes used.
fn decode_entity(s: &str) -> Option<(char, usize)> {
    let end = s.find(';')?;
    let body = &s[1..end];
    let ch = match body {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "quot" => '"',
        _ => {
            let digits = body.strip_prefix('#')?;
            let code = match digits.strip_prefix(['x', 'X']) {
                Some(hex) if !hex.is_empty() && hex.len() <= 8 => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                None if !digits.is_empty() && digits.len() <= 10 => digits.parse().ok()?,
                _ => return None,
            };
            char::from_u32(code).filter(|&c| c != '\0')?
        }
    };
    Some((ch, end + 1))
}
