//! The pure part of the WeCom channel: how channel-neutral messages look in WeCom (plain
//! text, numbered choices, card titles and button keys, map links), the ids of stored
//! callbacks, the form of a UserID, and the per-member send windows. No I/O.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::callback::Callback;
use crate::channel::{Button, Keyboard};
use crate::content::markdown::visible_text;

/// A card's main title: WeCom shows about 36 characters ("建议不超过36个字").
pub const CARD_TITLE_CHARS: usize = 36;
/// A `textcard`'s title and description (path/90236).
pub const TEXTCARD_TITLE_CHARS: usize = 128;
pub const TEXTCARD_DESCRIPTION_CHARS: usize = 512;

/// A text message as WeCom shows it: the visible text of the HTML subset, with each link's
/// address after its text (WeCom's text messages show no markup).
pub fn plain_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    // `<a href="URL">label</a>` becomes `label (URL)`; everything else is visible text.
    while let Some(start) = rest.find("<a href=\"") {
        let after = &rest[start + 9..];
        let Some(quote) = after.find('"') else { break };
        let Some(close) = after.find("</a>") else {
            break;
        };
        if close < quote {
            break;
        }
        let url = visible_text(&after[..quote]);
        let inner = after[quote..close]
            .split_once('>')
            .map(|(_, label)| label)
            .unwrap_or_default();
        out.push_str(&visible_text(&rest[..start]));
        let label = visible_text(inner);
        if label.trim() == url.trim() || url.trim().is_empty() {
            out.push_str(&label);
        } else {
            out.push_str(&format!("{label} ({url})"));
        }
        rest = &after[close + 4..];
    }
    out.push_str(&visible_text(rest));
    out.trim().to_string()
}

/// The choices of a message as text, one a line: `[1] label`. Members who read the app in
/// personal WeChat (微工作台) see no cards; typing the number chooses.
pub fn numbered(labels: &[&str]) -> String {
    labels
        .iter()
        .enumerate()
        .map(|(i, label)| format!("[{}] {}", i + 1, label.trim()))
        .collect::<Vec<_>>()
        .join("\n")
}

/// `text`, then a blank line and the numbered choices (if any).
pub fn with_choices(text: &str, labels: &[&str]) -> String {
    if labels.is_empty() {
        return text.to_string();
    }
    let list = numbered(labels);
    if text.trim().is_empty() {
        list
    } else {
        format!("{}\n\n{list}", text.trim_end())
    }
}

/// At most `max` characters, with `…` when cut.
pub fn truncate_chars(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

/// A card's title: the first line of its text (or `fallback` when the text is empty),
/// cut to [`CARD_TITLE_CHARS`].
pub fn card_title(text: &str, fallback: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or(fallback.trim());
    let line = if line.is_empty() { "…" } else { line };
    truncate_chars(line, CARD_TITLE_CHARS)
}

/// The `key` of a card's button (returned as the click's EventKey, at most 1,024 bytes):
/// what pressing it means, and the label shown, so that the pressed card can be turned
/// into its done state (the label, disabled) without remembering the card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "k")]
pub enum CardKey {
    /// A button: its data (an `Action`, encoded by the conversation).
    #[serde(rename = "b")]
    Button {
        #[serde(rename = "d")]
        data: String,
        #[serde(rename = "l")]
        label: String,
    },
    /// An option of a quiz (0-based).
    #[serde(rename = "q")]
    Answer {
        #[serde(rename = "p")]
        poll_id: String,
        #[serde(rename = "o")]
        option: usize,
        #[serde(rename = "l")]
        label: String,
    },
}

impl CardKey {
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// None for a key that is not one of ours.
    pub fn decode(key: &str) -> Option<CardKey> {
        serde_json::from_str(key).ok()
    }

    pub fn label(&self) -> &str {
        match self {
            CardKey::Button { label, .. } | CardKey::Answer { label, .. } => label,
        }
    }

    /// What choosing it means, for a typed number.
    pub fn choice(&self) -> Choice {
        match self {
            CardKey::Button { data, .. } => Choice::Button { data: data.clone() },
            CardKey::Answer {
                poll_id, option, ..
            } => Choice::Answer {
                poll_id: poll_id.clone(),
                option: *option,
            },
        }
    }
}

/// One numbered choice of the latest message with choices, which a typed number picks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Choice {
    Button { data: String },
    Answer { poll_id: String, option: usize },
}

/// The keys of a keyboard's buttons, in order.
pub fn button_keys(buttons: &Keyboard) -> Vec<CardKey> {
    buttons
        .iter()
        .flatten()
        .map(|Button { label, data }| CardKey::Button {
            data: data.clone(),
            label: label.clone(),
        })
        .collect()
}

/// The keys of a quiz's options.
pub fn answer_keys(poll_id: &str, options: &[String]) -> Vec<CardKey> {
    options
        .iter()
        .enumerate()
        .map(|(option, label)| CardKey::Answer {
            poll_id: poll_id.to_string(),
            option,
            label: label.clone(),
        })
        .collect()
}

/// The choice a typed line picks: a bare number from 1 to the number of choices.
pub fn typed_choice<'a>(text: &str, choices: &'a [Choice]) -> Option<&'a Choice> {
    let n: usize = text.trim().parse().ok()?;
    choices.get(n.checked_sub(1)?)
}

/// A venue on Amap's web map (高德 URI API; it opens in WeCom's and WeChat's browser), at
/// WGS-84 coordinates as the bot keeps them.
pub fn map_url(lat: f64, lon: f64, name: &str) -> String {
    let name: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    format!(
        "https://uri.amap.com/marker?position={lon:.6},{lat:.6}&name={name}&coordinate=wgs84&callnative=0"
    )
}

/// Whether `text` has the form of a WeCom UserID: 1 to 64 bytes of letters, digits and
/// `_-@.`, starting with a letter or a digit (the member API's rule, path/90195).
pub fn is_user_id(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 64
        && text
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@' | '.'))
}

/// 2020-01-01T00:00:00Z: callback times count from here in update ids.
const EPOCH: i64 = 1_577_836_800;
/// Bits of an update id taken by the time (seconds since [`EPOCH`]: until 2054).
const TIME_BITS: u32 = 30;
/// The rest: from the hash of the callback's dedup key.
const HASH_BITS: u32 = 63 - TIME_BITS;

/// The id under which a callback is stored (unique within the channel, the same for every
/// retry of one callback, and ordered by the callback's time): its CreateTime in seconds
/// since 2020, then 33 bits of the SHA-256 of its [`Callback::dedup_key`] (MsgId, or
/// member + time + event + key). Two different callbacks of one second share an id with
/// a probability of about 1 in 8.6 billion per pair; the second would be taken for a
/// repeat of the first.
pub fn update_id(callback: &Callback) -> i64 {
    let seconds = (callback.create_time - EPOCH).clamp(0, (1 << TIME_BITS) - 1);
    let digest = Sha256::digest(callback.dedup_key().as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    let hash = (u64::from_be_bytes(first) >> (64 - HASH_BITS)) as i64;
    (seconds << HASH_BITS) | hash
}

/// WeCom's per-member limits on app messages (path/90236, 90312): beyond them messages are
/// dropped without an error.
pub const PER_MINUTE: usize = 30;
pub const PER_HOUR: usize = 1000;
/// Room for the difference between our clock and WeCom's and for time on the wire: the
/// windows are counted a second longer than WeCom's.
pub const WINDOW_MARGIN: Duration = Duration::seconds(1);

/// The sends to each member in the last hour, so that no send breaks WeCom's per-member
/// limits, whatever sends it: the courier books a slot per part (a text, a card's text, an
/// upload's caption), and one part may be two of WeCom's messages (a text and its card).
#[derive(Debug, Default)]
pub struct MemberWindows {
    sends: HashMap<String, VecDeque<DateTime<Utc>>>,
}

impl MemberWindows {
    /// Books a send to `member` at the earliest instant from `now` at which the last minute
    /// holds fewer than [`PER_MINUTE`] and the last hour fewer than [`PER_HOUR`] sends
    /// (with [`WINDOW_MARGIN`]), and returns it.
    pub fn reserve(&mut self, member: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        let minute = Duration::minutes(1) + WINDOW_MARGIN;
        let hour = Duration::hours(1) + WINDOW_MARGIN;
        let sends = self.sends.entry(member.to_string()).or_default();
        while sends.front().is_some_and(|at| *at + hour <= now) {
            sends.pop_front();
        }
        let mut at = now;
        if let Some(last) = sends.back() {
            at = at.max(*last);
        }
        let n = sends.len();
        if n >= PER_MINUTE {
            at = at.max(sends[n - PER_MINUTE] + minute);
        }
        if n >= PER_HOUR {
            at = at.max(sends[n - PER_HOUR] + hour);
        }
        sends.push_back(at);
        if self.sends.len() > 10_000 {
            self.sends
                .retain(|_, s| s.back().is_some_and(|last| *last + hour > now));
        }
        at
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
    }

    #[test]
    fn html_becomes_plain_text_with_link_addresses() {
        assert_eq!(
            plain_text(
                "<b>第一课</b>\n看 <a href=\"https://x.cn/a?b=1&amp;c=2\">这里</a>。&lt;注意&gt;"
            ),
            "第一课\n看 这里 (https://x.cn/a?b=1&c=2)。<注意>"
        );
        assert_eq!(
            plain_text("<a href=\"https://x.cn\">https://x.cn</a>"),
            "https://x.cn"
        );
        // A broken tag is left to visible_text.
        assert_eq!(plain_text("a <a href=\"x\">b"), "a b");
    }

    #[test]
    fn choices_are_numbered_after_the_text() {
        assert_eq!(
            with_choices("选语言", &["中文", "English"]),
            "选语言\n\n[1] 中文\n[2] English"
        );
        assert_eq!(with_choices("x", &[]), "x");
        assert_eq!(with_choices("", &["a"]), "[1] a");
    }

    #[test]
    fn typed_numbers_pick_choices() {
        let choices = vec![
            Choice::Button { data: "a".into() },
            Choice::Answer {
                poll_id: "p".into(),
                option: 1,
            },
        ];
        assert_eq!(
            typed_choice(" 2 ", &choices),
            Some(&Choice::Answer {
                poll_id: "p".into(),
                option: 1
            })
        );
        for other in ["0", "3", "1.", "一", "", "-1", "99999999999999999999"] {
            assert_eq!(typed_choice(other, &choices), None, "{other}");
        }
    }

    #[test]
    fn card_keys_round_trip_and_stay_short() {
        let key = CardKey::Button {
            data: "ck:safety:road-safety-at-night-and-in-the-rain-0123456789abc".into(),
            label: "✅ 学完打卡".repeat(8),
        };
        let text = key.encode();
        assert!(text.len() <= 1024, "{}", text.len());
        assert_eq!(CardKey::decode(&text), Some(key));
        assert_eq!(CardKey::decode("ck:safety:road"), None);
        let answers = answer_keys("wk1", &["甲".into(), "乙".into()]);
        assert_eq!(answers[1].label(), "乙");
        assert_eq!(
            answers[1].choice(),
            Choice::Answer {
                poll_id: "wk1".into(),
                option: 1
            }
        );
    }

    #[test]
    fn titles_are_first_lines_cut_to_fit() {
        assert_eq!(card_title("\n  标题\n正文", "x"), "标题");
        assert_eq!(card_title("", "按钮"), "按钮");
        let long = "长".repeat(50);
        let title = card_title(&long, "x");
        assert_eq!(title.chars().count(), CARD_TITLE_CHARS);
        assert!(title.ends_with('…'));
    }

    #[test]
    fn user_ids() {
        for ok in ["zhangsan", "Li.Si", "10001", "a@b-c_d"] {
            assert!(is_user_id(ok), "{ok}");
        }
        for bad in ["", "_x", "张三", "a b", &"a".repeat(65), "a:b"] {
            assert!(!is_user_id(bad), "{bad}");
        }
    }

    #[test]
    fn map_links_name_the_place() {
        let url = map_url(31.2304, 121.4737, "驿站 & 站");
        assert!(
            url.starts_with("https://uri.amap.com/marker?position=121.473700,31.230400&name="),
            "{url}"
        );
        assert!(!url.contains(' ') && !url.contains("& "), "{url}");
    }

    fn callback(create_time: i64, msg_id: Option<&str>, user: &str) -> Callback {
        Callback {
            corp_id: "ww".into(),
            from_user: user.into(),
            agent_id: Some(1),
            create_time,
            msg_id: msg_id.map(str::to_string),
            event: super::super::callback::CallbackEvent::EnterAgent,
        }
    }

    #[test]
    fn update_ids_follow_time_and_tell_callbacks_apart() {
        let a = callback(1_790_000_000, Some("1"), "u");
        let b = callback(1_790_000_000, Some("2"), "u");
        let later = callback(1_790_000_001, Some("0"), "u");
        assert_eq!(update_id(&a), update_id(&a.clone()));
        assert_ne!(update_id(&a), update_id(&b));
        assert!(update_id(&later) > update_id(&a).max(update_id(&b)));
        assert!(update_id(&callback(0, None, "u")) >= 0);
        assert!(update_id(&callback(i64::MAX, None, "u")) > 0);
    }

    /// However fast sends come, no minute holds more than 30 and no hour more than 1,000.
    #[test]
    fn member_windows_keep_wecoms_limits() {
        let mut windows = MemberWindows::default();
        let mut times = Vec::new();
        let mut now = t0();
        for i in 0..1100 {
            let at = windows.reserve("zhangsan", now);
            assert!(at >= now);
            times.push(at);
            // Every tenth send comes a little later; the rest at once.
            if i % 10 == 0 {
                now = at + Duration::milliseconds(300);
            }
        }
        // Another member is not held back.
        assert_eq!(windows.reserve("lisi", now), now);
        for (i, start) in times.iter().enumerate() {
            let in_minute = times[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::minutes(1))
                .count();
            let in_hour = times[i..]
                .iter()
                .take_while(|t| **t < *start + Duration::hours(1))
                .count();
            assert!(
                in_minute <= PER_MINUTE,
                "{in_minute} in the minute from {start}"
            );
            assert!(in_hour <= PER_HOUR, "{in_hour} in the hour from {start}");
        }
        // The 31st send waits for the first one's minute to pass.
        let mut fresh = MemberWindows::default();
        let first = fresh.reserve("u", t0());
        for _ in 1..30 {
            assert_eq!(fresh.reserve("u", t0()), t0());
        }
        assert_eq!(
            fresh.reserve("u", t0()),
            first + Duration::minutes(1) + WINDOW_MARGIN
        );
    }
}
