//! Lesson Markdown to the HTML subset Telegram accepts (`parse_mode = HTML`), and
//! splitting such HTML into messages that fit a length limit without breaking tags.
//!
//! The subset: `<b> <i> <s> <u> <code> <pre> <a href> <blockquote>`. Headings become bold
//! lines, list items get a bullet or their number, raw HTML in the source is shown as
//! text (escaped), images become their alt text.

use pulldown_cmark::{CodeBlockKind, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

/// Input quoted back in a reply (a refused argument, an answer not understood): an excerpt
/// of at most 40 characters ([`crate::domain::text::excerpt`]), escaped for Telegram HTML.
pub fn escape_excerpt(text: &str) -> String {
    escape_html(&crate::domain::text::excerpt(text))
}

/// Escapes text for Telegram HTML.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders Markdown to Telegram's HTML subset.
pub fn markdown_to_telegram_html(markdown: &str) -> String {
    let parser = Parser::new_ext(markdown, Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    // One entry per open list: the next number for ordered lists, None for bullets.
    let mut lists: Vec<Option<u64>> = Vec::new();
    let mut in_image = false;
    for event in parser {
        match event {
            Event::Start(tag) => match tag {
                Tag::Paragraph => {}
                Tag::Heading { .. } => out.push_str("<b>"),
                Tag::BlockQuote(_) => out.push_str("<blockquote>"),
                Tag::CodeBlock(kind) => match kind {
                    CodeBlockKind::Fenced(lang) if !lang.is_empty() => {
                        out.push_str(&format!(
                            "<pre><code class=\"language-{}\">",
                            escape_html(lang.split_whitespace().next().unwrap_or_default())
                        ));
                    }
                    _ => out.push_str("<pre><code>"),
                },
                Tag::List(start) => {
                    if !lists.is_empty() && !out.ends_with('\n') {
                        out.push('\n');
                    }
                    lists.push(start);
                }
                Tag::Item => {
                    let depth = lists.len().saturating_sub(1);
                    out.push_str(&"    ".repeat(depth));
                    match lists.last_mut() {
                        Some(Some(n)) => {
                            out.push_str(&format!("{n}. "));
                            *n += 1;
                        }
                        _ => out.push_str("• "),
                    }
                }
                Tag::Emphasis => out.push_str("<i>"),
                Tag::Strong => out.push_str("<b>"),
                Tag::Strikethrough => out.push_str("<s>"),
                Tag::Link { dest_url, .. } => {
                    out.push_str(&format!("<a href=\"{}\">", escape_html(&dest_url)));
                }
                Tag::Image { .. } => in_image = true,
                _ => {}
            },
            Event::End(tag) => match tag {
                TagEnd::Paragraph => {
                    if lists.is_empty() {
                        out.push_str("\n\n");
                    } else {
                        out.push('\n');
                    }
                }
                TagEnd::Heading(level) => {
                    out.push_str("</b>");
                    out.push_str(if level == HeadingLevel::H1 {
                        "\n\n"
                    } else {
                        "\n"
                    });
                }
                TagEnd::BlockQuote(_) => {
                    trim_trailing_newlines(&mut out);
                    out.push_str("</blockquote>\n\n");
                }
                TagEnd::CodeBlock => {
                    trim_trailing_newlines(&mut out);
                    out.push_str("</code></pre>\n\n");
                }
                TagEnd::List(_) => {
                    lists.pop();
                    if lists.is_empty() {
                        trim_trailing_newlines(&mut out);
                        out.push_str("\n\n");
                    }
                }
                TagEnd::Item if !out.ends_with('\n') => {
                    out.push('\n');
                }
                TagEnd::Emphasis => out.push_str("</i>"),
                TagEnd::Strong => out.push_str("</b>"),
                TagEnd::Strikethrough => out.push_str("</s>"),
                TagEnd::Link => out.push_str("</a>"),
                TagEnd::Image => in_image = false,
                _ => {}
            },
            Event::Text(text) => out.push_str(&escape_html(&text)),
            Event::Code(code) => {
                out.push_str("<code>");
                out.push_str(&escape_html(&code));
                out.push_str("</code>");
            }
            Event::Html(html) | Event::InlineHtml(html) => out.push_str(&escape_html(&html)),
            Event::SoftBreak | Event::HardBreak => out.push('\n'),
            Event::Rule => out.push_str("——————\n\n"),
            Event::FootnoteReference(r) => out.push_str(&escape_html(&format!("[{r}]"))),
            Event::TaskListMarker(done) => out.push_str(if done { "☑ " } else { "☐ " }),
            _ => {}
        }
    }
    let _ = in_image;
    out.trim().to_string()
}

fn trim_trailing_newlines(out: &mut String) {
    while out.ends_with('\n') {
        out.pop();
    }
}

/// The text a reader sees: tags removed, entities decoded.
pub fn visible_text(html: &str) -> String {
    tokenize(html)
        .into_iter()
        .filter_map(|t| match t {
            Token::Text { shown, .. } => Some(shown),
            _ => None,
        })
        .collect()
}

/// Visible length as Telegram counts it (UTF-16 code units after entity parsing).
pub fn visible_len(html: &str) -> usize {
    visible_text(html).chars().map(char::len_utf16).sum()
}

#[derive(Debug, Clone)]
enum Token<'a> {
    Open { name: String, raw: &'a str },
    Close { raw: &'a str },
    Text { raw: &'a str, shown: char },
}

fn tokenize(html: &str) -> Vec<Token<'_>> {
    let mut tokens = Vec::new();
    let mut i = 0;
    let bytes = html.as_bytes();
    while i < html.len() {
        let rest = &html[i..];
        if bytes[i] == b'<'
            && let Some(end) = rest.find('>')
        {
            let raw = &rest[..=end];
            if let Some(inner) = raw.strip_prefix("</") {
                let _ = inner;
                tokens.push(Token::Close { raw });
            } else {
                let name = raw[1..raw.len() - 1]
                    .split_whitespace()
                    .next()
                    .unwrap_or_default()
                    .to_string();
                tokens.push(Token::Open { name, raw });
            }
            i += raw.len();
            continue;
        }
        if bytes[i] == b'&'
            && let Some(end) = rest.find(';').filter(|&e| e <= 10)
        {
            let raw = &rest[..=end];
            let shown = match raw {
                "&amp;" => Some('&'),
                "&lt;" => Some('<'),
                "&gt;" => Some('>'),
                "&quot;" => Some('"'),
                _ => raw
                    .strip_prefix("&#x")
                    .and_then(|h| u32::from_str_radix(&h[..h.len() - 1], 16).ok())
                    .or_else(|| {
                        raw.strip_prefix("&#")
                            .and_then(|d| d[..d.len() - 1].parse().ok())
                    })
                    .and_then(char::from_u32),
            };
            if let Some(shown) = shown {
                tokens.push(Token::Text { raw, shown });
                i += raw.len();
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or('\u{FFFD}');
        let len = c.len_utf8();
        tokens.push(Token::Text {
            raw: &rest[..len],
            shown: c,
        });
        i += len;
    }
    tokens
}

/// Splits Telegram HTML into pieces of at most `limit` visible UTF-16 units each,
/// preferring paragraph breaks, then line breaks, then sentence ends and spaces. Tags open
/// at a cut are closed at the end of one piece and reopened at the start of the next.
pub fn split_html(html: &str, limit: usize) -> Vec<String> {
    type Stack = Vec<(String, String)>; // (tag name, raw open tag)
    let limit = limit.max(1);
    let tokens = tokenize(html);
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut reopen: Stack = Vec::new();
    while start < tokens.len() {
        let mut stack = reopen.clone();
        let mut visible = 0usize;
        // The latest place to cut for each priority: (cut after token, visible so far, stack).
        let mut candidates: [Option<(usize, usize, Stack)>; 4] = Default::default();
        let mut overflow = false;
        for (i, token) in tokens.iter().enumerate().skip(start) {
            match token {
                Token::Open { name, raw } => stack.push((name.clone(), raw.to_string())),
                Token::Close { .. } => {
                    stack.pop();
                }
                Token::Text { shown, .. } => {
                    let len = shown.len_utf16();
                    if visible + len > limit && visible > 0 {
                        overflow = true;
                        break;
                    }
                    visible += len;
                    let after_newline =
                        i > 0 && matches!(tokens[i - 1], Token::Text { shown: '\n', .. });
                    let priority = match shown {
                        '\n' if after_newline => 3,
                        '\n' => 2,
                        '。' | '！' | '？' | '；' | '，' | '.' | '!' | '?' | ';' | ',' | ' ' => {
                            1
                        }
                        _ => 0,
                    };
                    candidates[priority] = Some((i, visible, stack.clone()));
                }
            }
        }
        let (cut_end, after_stack) = if !overflow {
            (tokens.len(), Vec::new())
        } else {
            // The strongest break in the second half of the piece, else the strongest at all.
            let pick = (0..4)
                .rev()
                .find(|&p| candidates[p].as_ref().is_some_and(|c| c.1 >= limit / 2))
                .or_else(|| (0..4).rev().find(|&p| candidates[p].is_some()));
            match pick.and_then(|p| candidates[p].take()) {
                Some((k, _, s)) => (k + 1, s),
                None => (tokens.len(), Vec::new()), // unreachable: the first char always fits
            }
        };
        let mut piece = String::new();
        for (_, raw) in &reopen {
            piece.push_str(raw);
        }
        for t in &tokens[start..cut_end] {
            piece.push_str(match t {
                Token::Open { raw, .. } | Token::Close { raw } | Token::Text { raw, .. } => raw,
            });
        }
        for (name, _) in after_stack.iter().rev() {
            piece.push_str(&format!("</{name}>"));
        }
        if !visible_text(&piece).trim().is_empty() {
            pieces.push(tidy_piece(piece));
        }
        reopen = after_stack;
        start = cut_end;
    }
    pieces
}

/// Removes line breaks at the very start and end of a piece (outside or just inside tags).
fn tidy_piece(piece: String) -> String {
    let trimmed = piece.trim_matches('\n');
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoted_input_is_a_short_escaped_excerpt() {
        assert_eq!(escape_excerpt("<b>x</b>"), "&lt;b&gt;x&lt;/b&gt;");
        assert_eq!(
            escape_excerpt(&"<".repeat(4000)),
            format!("{}…", "&lt;".repeat(40))
        );
    }

    #[test]
    fn inline_formatting() {
        assert_eq!(
            markdown_to_telegram_html("**戴好头盔**，*慢行*，`120`"),
            "<b>戴好头盔</b>，<i>慢行</i>，<code>120</code>"
        );
    }

    #[test]
    fn special_characters_and_raw_html_are_escaped() {
        assert_eq!(
            markdown_to_telegram_html("a < b & c > d <script>x</script>"),
            "a &lt; b &amp; c &gt; d &lt;script&gt;x&lt;/script&gt;"
        );
    }

    #[test]
    fn paragraphs_lists_quotes_and_headings() {
        let md = "# 标题\n\n第一段。\n\n- 一\n- 二\n\n1. 甲\n2. 乙\n\n> 记住：安全第一\n\n[链接](https://example.org/?a=1&b=2)";
        let html = markdown_to_telegram_html(md);
        assert_eq!(
            html,
            "<b>标题</b>\n\n第一段。\n\n• 一\n• 二\n\n1. 甲\n2. 乙\n\n<blockquote>记住：安全第一</blockquote>\n\n<a href=\"https://example.org/?a=1&amp;b=2\">链接</a>"
        );
    }

    #[test]
    fn visible_length_counts_utf16_after_entities() {
        assert_eq!(visible_len("<b>a&amp;b</b>"), 3);
        assert_eq!(visible_len("安全"), 2);
        assert_eq!(visible_len("😀"), 2);
    }

    #[test]
    fn short_text_is_one_piece() {
        assert_eq!(split_html("<b>hi</b> there", 4096), vec!["<b>hi</b> there"]);
    }

    #[test]
    fn splits_at_paragraphs_within_the_limit() {
        let para = "安全".repeat(900); // 1800 visible each
        let html = format!("{para}\n\n{para}\n\n{para}");
        let pieces = split_html(&html, 4096);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0], format!("{para}\n\n{para}"));
        assert_eq!(pieces[1], para);
        for p in &pieces {
            assert!(visible_len(p) <= 4096);
        }
    }

    #[test]
    fn splitting_closes_and_reopens_tags() {
        let html = format!("<b>{}</b>", "字".repeat(10));
        let pieces = split_html(&html, 4);
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0], "<b>字字字字</b>");
        assert_eq!(pieces[2], "<b>字字</b>");
        let html = "<a href=\"https://x.org\">one two three four</a>";
        let pieces = split_html(html, 9);
        assert_eq!(pieces[0], "<a href=\"https://x.org\">one two </a>");
        assert_eq!(pieces[1], "<a href=\"https://x.org\">three </a>");
    }

    #[test]
    fn never_cuts_inside_an_entity_or_exceeds_the_limit() {
        let html = "&amp;".repeat(50) + &"x&lt;".repeat(50);
        for limit in [1, 3, 7, 64] {
            let pieces = split_html(&html, limit);
            let joined: String = pieces.iter().map(|p| visible_text(p)).collect();
            assert_eq!(joined, visible_text(&html), "limit {limit}");
            for p in &pieces {
                assert!(visible_len(p) <= limit, "{p} over {limit}");
                assert!(!p.contains("&am") || p.contains("&amp;"));
            }
        }
    }

    #[test]
    fn long_lesson_keeps_all_text_in_order() {
        let md: String = (0..200)
            .map(|i| format!("第{i}段：过马路要看红绿灯，骑车要戴头盔。**重点{i}**。\n\n"))
            .collect();
        let html = markdown_to_telegram_html(&md);
        let pieces = split_html(&html, 1000);
        assert!(pieces.len() > 1);
        let rejoined: String = pieces
            .iter()
            .map(|p| visible_text(p))
            .collect::<Vec<_>>()
            .join("\n\n");
        assert_eq!(rejoined, visible_text(&html));
    }
}
