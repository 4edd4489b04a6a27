//! Chat channels: the only code that knows a chat app. The rest of the service speaks in
//! [`Inbound`] events and [`Outbound`] messages, and works with a chat app through two
//! traits: [`Channel`] (sending, what the app can show, its rate limits, the key of its
//! file-id cache) and [`UpdateSource`] (how updates arrive: long polling or a
//! [`WebhookRoute`]; reading a stored update; scrubbing one that is kept). What the service
//! may know about a channel by its name alone (members store it) is its [`Profile`].
//!
//! Message text is the small HTML subset Telegram accepts (`<b> <i> <a> <code> <pre>
//! <blockquote> ...`); another channel converts it to its own markup.

pub mod console;
pub mod telegram;
pub mod wecom;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::content::AudioKind;
use crate::domain::Locale;

/// Bytes as base64 text in JSON.
mod base64_bytes {
    use std::sync::Arc;

    use base64::Engine;
    use base64::engine::general_purpose::STANDARD;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(bytes: &Arc<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&STANDARD.encode(bytes.as_slice()))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Arc<Vec<u8>>, D::Error> {
        let text = String::deserialize(d)?;
        STANDARD
            .decode(text)
            .map(Arc::new)
            .map_err(serde::de::Error::custom)
    }
}

/// A button under a message; pressing it comes back as [`InboundEvent::Button`] with `data`
/// (at most 64 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Button {
    pub label: String,
    pub data: String,
}

impl Button {
    pub fn new(label: impl Into<String>, data: impl Into<String>) -> Self {
        Self {
            label: label.into(),
            data: data.into(),
        }
    }
}

/// Rows of buttons.
pub type Keyboard = Vec<Vec<Button>>;

/// The command menu in one language: the locale, and each command's name with its short
/// description.
pub type LanguageMenu = (Locale, Vec<(String, String)>);

/// An audio file to send; `file_id` is the channel's id of an earlier upload of the same
/// bytes, when there was one.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AudioRef {
    pub path: PathBuf,
    pub sha256: String,
    pub kind: AudioKind,
    pub file_id: Option<String>,
}

/// What the bot sends. It can be kept as JSON (the replies to an update are written down
/// before they are sent, so that a restart sends what is left instead of handling the
/// update again); bytes made in memory are kept as base64.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Outbound {
    /// A text message (HTML subset), split by the channel if it is too long; the buttons go
    /// under the last part.
    Text { html: String, buttons: Keyboard },
    /// An audio or voice message with a caption.
    Audio {
        audio: AudioRef,
        caption_html: String,
        buttons: Keyboard,
    },
    /// A quiz question (a quiz poll in Telegram, numbered options in the console). The
    /// channel returns the poll's id in [`Sent::poll_id`]; answers come back as
    /// [`InboundEvent::PollAnswer`].
    Quiz {
        /// The store's id of this ask.
        ask_id: i64,
        question: String,
        options: Vec<String>,
        /// 0-based.
        correct: usize,
        explanation: String,
        /// The time to answer, if limited.
        open_seconds: Option<u32>,
    },
    /// A picture (PNG) with a caption.
    Photo {
        #[serde(with = "base64_bytes")]
        png: Arc<Vec<u8>>,
        file_name: String,
        caption_html: String,
    },
    /// A file made in memory (a CSV export), sent as a document.
    Document {
        #[serde(with = "base64_bytes")]
        bytes: Arc<Vec<u8>>,
        file_name: String,
        caption_html: String,
    },
    /// A photo, audio file or document the channel already has (by its file id), with a
    /// caption: what an admin attached to an announcement.
    Media {
        kind: MediaKind,
        file_id: String,
        caption_html: String,
    },
    /// Replaces the text (and buttons) of a message sent earlier.
    EditText {
        message_id: String,
        html: String,
        buttons: Keyboard,
    },
    /// Replaces the buttons of a message sent earlier.
    EditButtons {
        message_id: String,
        buttons: Keyboard,
    },
    /// Acknowledges a button press, with an optional short notice.
    AnswerButton {
        callback_id: String,
        text: Option<String>,
    },
    /// A place on a map (a venue pin: `sendVenue` in Telegram).
    Venue {
        lat: f64,
        lon: f64,
        title: String,
        /// Never empty (Telegram requires an address).
        address: String,
    },
    /// Asks the member to share their location: a text with a one-time button that sends
    /// the location (Telegram: a reply keyboard with `request_location`); the console
    /// tells the user to type `:location LAT LON`.
    AskLocation { html: String, button_label: String },
}

impl Outbound {
    /// Whether the chat app counts this as a message sent (its rate limits do): every
    /// outbound but the acknowledgement of a button press.
    pub fn counts_as_message(&self) -> bool {
        !matches!(self, Outbound::AnswerButton { .. })
    }

    pub fn text(html: impl Into<String>) -> Self {
        Outbound::Text {
            html: html.into(),
            buttons: Vec::new(),
        }
    }

    pub fn with_buttons(html: impl Into<String>, buttons: Keyboard) -> Self {
        Outbound::Text {
            html: html.into(),
            buttons,
        }
    }
}

/// Kinds of files a member can send and the bot can pass on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaKind {
    Photo,
    Audio,
    Voice,
    Document,
}

impl MediaKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaKind::Photo => "photo",
            MediaKind::Audio => "audio",
            MediaKind::Voice => "voice",
            MediaKind::Document => "document",
        }
    }

    pub fn parse(s: &str) -> Option<MediaKind> {
        Some(match s {
            "photo" => MediaKind::Photo,
            "audio" => MediaKind::Audio,
            "voice" => MediaKind::Voice,
            "document" => MediaKind::Document,
            _ => return None,
        })
    }
}

/// What a member sent.
#[derive(Debug, Clone, PartialEq)]
pub struct Inbound {
    pub channel: String,
    pub chat_id: String,
    /// The language the member's app reports (e.g. `zh-hans`), if any.
    pub language: Option<String>,
    pub event: InboundEvent,
}

/// Serializable so that a channel may store its events as they are (the console does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundEvent {
    Text(String),
    Button {
        callback_id: String,
        data: String,
        /// The message the button was under, if the channel still knows it.
        message_id: Option<String>,
    },
    /// A photo, audio, voice message or document, with its caption.
    Media {
        kind: MediaKind,
        file_id: String,
        caption: String,
    },
    /// An answer to a quiz sent earlier; `option` is 0-based, None if the answer was
    /// withdrawn.
    PollAnswer {
        poll_id: String,
        option: Option<usize>,
    },
    /// A location the member shared, in decimal degrees as the app reported them (not
    /// validated: the conversation checks the ranges). `live` is true for an update of a
    /// live location being shared (Telegram sends those as edits of the first message);
    /// the bot answers those only when something happens (an attendance check-in).
    Location {
        #[serde(with = "coordinate")]
        lat: f64,
        #[serde(with = "coordinate")]
        lon: f64,
        live: bool,
    },
    /// The member can no longer be reached on this channel (WeCom's `unsubscribe`: they
    /// left the corp or the app's visible range). The service marks them blocked, as the
    /// courier does when a send finds them unreachable; nothing is answered.
    Unsubscribed,
}

/// A coordinate in JSON, which has no NaN: a value that is not a finite number (what the
/// console makes of `:location north 114`) is null, and null reads back as NaN.
mod coordinate {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        if value.is_finite() {
            s.serialize_f64(*value)
        } else {
            s.serialize_none()
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

/// The result of a successful send.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Sent {
    /// The id of the (last) message created, if any.
    pub message_id: Option<String>,
    /// The channel's id for an uploaded file, to reuse next time.
    pub file_id: Option<String>,
    /// The channel's id of a quiz poll sent.
    pub poll_id: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// The channel asks us to wait before sending anything more.
    #[error("rate limited: retry after {0:?}")]
    RetryAfter(Duration),
    /// The member blocked the bot, was deactivated, or the chat does not exist.
    #[error("recipient unreachable: {0}")]
    Unreachable(String),
    /// The request was refused as invalid; sending it again would fail again.
    #[error("rejected: {0}")]
    Rejected(String),
    /// A network error, timeout or server error: worth retrying.
    #[error("temporary failure: {0}")]
    Transient(String),
}

/// How updates reach the bot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// The service asks the chat app for updates ([`UpdateSource::fetch_updates`]; one
    /// process).
    Polling,
    /// The chat app posts updates to the service's HTTP endpoint ([`WebhookRoute`]; any
    /// number of processes behind a load balancer).
    Webhook,
}

/// What a chat app shows natively. A channel renders every [`Outbound`] whatever its
/// capabilities (the console draws a quiz as numbered options and a location request as
/// what to type); these say how, for code that wants to adapt what it says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capabilities {
    /// Quizzes are the app's own quiz polls (else numbered options).
    pub quiz_polls: bool,
    /// Buttons sit under a message and are pressed there (else they are numbered).
    pub inline_buttons: bool,
    /// Voice messages (OGG/Opus) play in the chat (else the file is named).
    pub voice_messages: bool,
    /// The app can ask for the member's location with a button.
    pub location_requests: bool,
    /// The longest text message, in characters; longer ones are split by the channel.
    pub max_text_chars: usize,
    /// The longest caption of a file, in characters; longer ones are cut.
    pub max_caption_chars: usize,
    /// A button press is answered with a short notice that is not a message (Telegram's
    /// `answerCallbackQuery`); else its answer is a message like any other, and counts
    /// against the member's message limits.
    pub button_toasts: bool,
}

/// What the service may know about a channel by its name alone (members store the name):
/// the registry is [`profile`].
#[derive(Debug)]
pub struct Profile {
    /// The channel's name as stored with members and updates (`telegram`, `console`).
    pub name: &'static str,
    pub capabilities: Capabilities,
    /// Whoever writes on this channel is the operator of the machine the bot runs on (the
    /// console), and so an owner.
    pub operator: bool,
    /// Whether a text has the form of a chat id of this channel (configured owners are
    /// checked with it).
    pub is_chat_id: fn(&str) -> bool,
}

pub use crate::domain::address::{ChatAddress, DEFAULT_CHANNEL};

/// Every channel the service knows.
pub const PROFILES: [&Profile; 3] = [&telegram::PROFILE, &console::PROFILE, &wecom::PROFILE];

/// The profile of the channel named `name`, if there is one.
pub fn profile(name: &str) -> Option<&'static Profile> {
    PROFILES.into_iter().find(|p| p.name == name)
}

/// Whether `address` names a channel the service knows and has that channel's form of chat
/// id; the error says what is wrong.
pub fn check_address(address: &ChatAddress) -> Result<(), String> {
    let Some(profile) = profile(&address.channel) else {
        let known: Vec<&str> = PROFILES.iter().map(|p| p.name).collect();
        return Err(format!(
            "{:?} is not a channel (known: {})",
            address.channel,
            known.join(", ")
        ));
    };
    if !(profile.is_chat_id)(&address.chat_id) {
        return Err(format!(
            "{:?} is not a {} chat id",
            address.chat_id, address.channel
        ));
    }
    Ok(())
}

pub use crate::config::{DailyBudget, Limits};

/// An update as the chat app sent it, with what storing it needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawUpdate {
    /// The app's id of the update, unique within the channel; the order of a chat's
    /// updates.
    pub update_id: i64,
    /// The chat it belongs to, for per-chat ordering.
    pub chat_key: String,
    /// The update as received (stored, and read back by [`UpdateSource::parse_update`]).
    pub payload: String,
}

/// One long-polling answer.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Polled {
    pub updates: Vec<RawUpdate>,
    /// Where the next fetch starts, to be kept once `updates` are stored (None: keep the
    /// cursor as it was).
    pub cursor: Option<String>,
}

/// A channel's failure to set up or to fetch updates (its own error inside).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ChannelError(Box<dyn std::error::Error + Send + Sync>);

impl ChannelError {
    pub fn new(error: impl Into<Box<dyn std::error::Error + Send + Sync>>) -> Self {
        Self(error.into())
    }
}

/// What a webhook route sees of a request before it reads the body.
#[derive(Debug, Clone, Copy)]
pub struct WebhookRequest<'a> {
    pub headers: &'a axum::http::HeaderMap,
    /// The query string, if any.
    pub query: Option<&'a str>,
}

/// Where a chat app posts its updates and how its requests are recognized and read. The
/// HTTP server (`http.rs`) mounts it at [`Self::path`] for POST requests, asks
/// [`Self::admits`] before it reads any of the body (401 if not), reads the body within its
/// limits, and stores what [`Self::read`] returns before it answers 200 (400 for None, 500
/// if storing fails, so that the app sends the update again).
pub trait WebhookRoute: Send + Sync {
    /// The channel whose updates arrive here.
    fn channel(&self) -> &str;
    /// The URL path, e.g. `/telegram/hook`.
    fn path(&self) -> &str;
    /// Whether the request comes from the chat app (its secret, checked in constant time:
    /// [`constant_time_eq`]).
    fn admits(&self, request: &WebhookRequest<'_>) -> bool;
    /// The update in an admitted request's body; None if it is not one.
    fn read(&self, request: &WebhookRequest<'_>, body: &str) -> Option<RawUpdate>;
    /// A GET at the path: some chat apps check the URL before they post to it (WeCom
    /// sends an encrypted `echostr` and expects its plaintext back). By default GET is not
    /// served.
    fn answer_get(&self, _request: &WebhookRequest<'_>) -> GetAnswer {
        GetAnswer::NotServed
    }
}

/// What a [`WebhookRoute`] answers to a GET at its path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GetAnswer {
    /// The route takes POST only (405).
    NotServed,
    /// 200 with this text.
    Text(String),
    /// The request does not come from the chat app (401).
    Refused,
}

/// Compares in time that does not depend on where the strings differ.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// A chat app the bot sends through.
#[async_trait::async_trait]
pub trait Channel: Send + Sync {
    /// The channel's profile (its name, capabilities, owner rule).
    fn profile(&self) -> &'static Profile;
    /// The channel's name as stored with members (`telegram`, `console`).
    fn name(&self) -> &str {
        self.profile().name
    }
    /// The limits the courier keeps when it sends through this channel.
    fn limits(&self) -> Limits;
    /// Whether a chat is a group chat (with its own, lower rate limit).
    fn is_group_chat(&self, _chat_id: &str) -> bool {
        false
    }
    /// The key under which the channel's ids of uploaded files are kept (`file_ids`):
    /// [`Sent::file_id`] is stored under it, and an audio without a file id is sent with
    /// the one stored.
    fn file_cache_key(&self) -> &str {
        self.name()
    }
    /// The messages `message` is sent as, one call each: a text longer than the app allows
    /// is split (the buttons under the last part). The courier books a send slot for each
    /// part and resumes a delivery from the first part not sent. By default: itself.
    fn parts(&self, message: &Outbound) -> Vec<Outbound> {
        vec![message.clone()]
    }
    /// The channel's budget of messages a day, if the app has one (WeCom's per-app
    /// budget); the courier never sends beyond it. None by default.
    fn daily_budget(&self) -> Option<DailyBudget> {
        None
    }
    /// How many of the app's messages sending `part` (one of [`Self::parts`]) takes at
    /// most: what a [`DailyBudget`] counts. By default one, none for a button's
    /// acknowledgement.
    async fn message_cost(&self, part: &Outbound) -> u64 {
        u64::from(part.counts_as_message())
    }
    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError>;
}

/// A chat app the bot receives updates from. Every update is stored
/// (`inbound_updates`, with the channel's name) before it is handled; the service then
/// claims the stored updates of its channel and reads them with [`Self::parse_update`].
#[async_trait::async_trait]
pub trait UpdateSource: Channel {
    /// Gets the app ready to deliver updates in `mode`, with `menu` (the command menu per
    /// locale, for apps that show one).
    async fn prepare(&self, mode: Mode, menu: &[LanguageMenu]) -> Result<(), ChannelError>;

    /// Long polling: the updates after `cursor` (the one the last answer gave; None at
    /// first), waiting up to `timeout` for one to arrive.
    async fn fetch_updates(
        &self,
        _cursor: Option<&str>,
        _timeout: Duration,
    ) -> Result<Polled, ChannelError> {
        Err(ChannelError::new(format!(
            "the {} channel cannot poll for updates",
            self.name()
        )))
    }

    /// Webhook mode: the route the app posts to, or what its settings lack.
    fn webhook_route(&self) -> Result<Arc<dyn WebhookRoute>, ChannelError> {
        Err(ChannelError::new(format!(
            "the {} channel has no webhook",
            self.name()
        )))
    }

    /// A stored update as an inbound event (None: nothing to handle). An error says why
    /// the update cannot be read; it is kept as dead.
    fn parse_update(&self, payload: &str) -> Result<Option<Inbound>, String>;

    /// The update without personal data that must not be kept (locations), for keeping an
    /// update that failed; None when there is nothing to remove.
    fn scrub_update(&self, payload: &str) -> Option<String>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_comparison() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"", b"x"));
    }

    #[test]
    fn every_channel_is_found_by_its_name() {
        for p in PROFILES {
            assert_eq!(profile(p.name).map(|found| found.name), Some(p.name));
        }
        assert!(profile(DEFAULT_CHANNEL).is_some());
        assert!(profile("carrier-pigeon").is_none());
        // Only the console's user is the operator.
        let operators: Vec<&str> = PROFILES
            .iter()
            .filter(|p| p.operator)
            .map(|p| p.name)
            .collect();
        assert_eq!(operators, [console::CHANNEL_NAME]);
    }

    #[test]
    fn chat_addresses_name_their_channel_unless_it_is_the_default() {
        let plain = ChatAddress::parse(" 123456789 ").unwrap();
        assert_eq!(
            plain,
            ChatAddress {
                channel: DEFAULT_CHANNEL.into(),
                chat_id: "123456789".into()
            }
        );
        assert_eq!(plain.to_string(), "123456789");
        let named = ChatAddress::parse("telegram:-100").unwrap();
        assert_eq!(named.chat_id, "-100");
        assert_eq!(named.to_string(), "-100");
        let console = ChatAddress::parse("console:console").unwrap();
        assert_eq!(console.channel, "console");
        assert_eq!(console.to_string(), "console:console");
        assert_eq!(ChatAddress::parse(&console.to_string()), Ok(console));
        // The id must have the channel's form, on a channel the service knows.
        let check = |text: &str| check_address(&ChatAddress::parse(text).unwrap());
        assert_eq!(
            check("alice"),
            Err("\"alice\" is not a telegram chat id".into())
        );
        assert!(check("console:someone").is_err());
        assert!(
            check("pigeon:1")
                .unwrap_err()
                .starts_with("\"pigeon\" is not a channel")
        );
        assert_eq!(check("console:console"), Ok(()));
        assert_eq!(check("-100"), Ok(()));
        // The default channel of addresses is the one weike run serves first.
        assert_eq!(DEFAULT_CHANNEL, telegram::CHANNEL_NAME);
    }

    /// Events can be stored as JSON (the console stores them); a coordinate that is not a
    /// number comes back as one that is not a number.
    #[test]
    fn inbound_events_round_trip_through_json() {
        let events = [
            InboundEvent::Text("/start".into()),
            InboundEvent::Button {
                callback_id: "cb1".into(),
                data: "ck:safety:road".into(),
                message_id: Some("3".into()),
            },
            InboundEvent::Media {
                kind: MediaKind::Voice,
                file_id: "F1".into(),
                caption: "听".into(),
            },
            InboundEvent::PollAnswer {
                poll_id: "p".into(),
                option: Some(2),
            },
            InboundEvent::Location {
                lat: 30.5928,
                lon: -114.3055,
                live: true,
            },
        ];
        for event in events {
            let json = serde_json::to_string(&event).unwrap();
            assert_eq!(serde_json::from_str::<InboundEvent>(&json).unwrap(), event);
        }
        let nan = InboundEvent::Location {
            lat: f64::NAN,
            lon: 114.3,
            live: false,
        };
        let json = serde_json::to_string(&nan).unwrap();
        match serde_json::from_str(&json).unwrap() {
            InboundEvent::Location { lat, lon, .. } => assert!(lat.is_nan() && lon == 114.3),
            other => panic!("{other:?}"),
        }
    }

    /// Replies are written down as JSON before they are sent: every kind comes back equal.
    #[test]
    fn outbound_messages_round_trip_through_json() {
        let keyboard = vec![vec![Button::new("✅ 学完打卡", "ci:safety:road")]];
        let messages = vec![
            Outbound::with_buttons("<b>第一课</b>", keyboard.clone()),
            Outbound::Audio {
                audio: AudioRef {
                    path: PathBuf::from("lessons/safety/audio/01.ogg"),
                    sha256: "ab".repeat(32),
                    kind: AudioKind::Voice,
                    file_id: Some("F1".into()),
                },
                caption_html: "听".into(),
                buttons: keyboard,
            },
            Outbound::Quiz {
                ask_id: 7,
                question: "?".into(),
                options: vec!["a".into(), "b".into()],
                correct: 1,
                explanation: String::new(),
                open_seconds: Some(30),
            },
            Outbound::Photo {
                png: Arc::new(vec![0x89, b'P', b'N', b'G', 0, 255]),
                file_name: "p.png".into(),
                caption_html: String::new(),
            },
            Outbound::Document {
                bytes: Arc::new("\u{feff}id,name\n".as_bytes().to_vec()),
                file_name: "e.csv".into(),
                caption_html: "导出".into(),
            },
            Outbound::Media {
                kind: MediaKind::Voice,
                file_id: "F2".into(),
                caption_html: String::new(),
            },
            Outbound::EditText {
                message_id: "5".into(),
                html: "x".into(),
                buttons: vec![],
            },
            Outbound::EditButtons {
                message_id: "5".into(),
                buttons: vec![],
            },
            Outbound::AnswerButton {
                callback_id: "CB_1".into(),
                text: None,
            },
            Outbound::Venue {
                lat: 31.2304,
                lon: 121.4737,
                title: "驿站".into(),
                address: "世纪大道 100 号".into(),
            },
            Outbound::AskLocation {
                html: "位置".into(),
                button_label: "发送位置".into(),
            },
        ];
        let json = serde_json::to_string(&messages).unwrap();
        assert!(
            json.contains("\"png\":\"iVBORwD/\""),
            "bytes as base64: {json}"
        );
        let back: Vec<Outbound> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, messages);
    }
}
