//! WeCom's callbacks (接收消息与事件) as pure functions: the GET that verifies the URL, and
//! the POST of a message or event, decrypted with [`WecomCrypto`] and parsed into a typed
//! [`Callback`] with quick-xml; then [`Callback::route`] makes it an [`Inbound`] or names it
//! as a [`MemberEvent`] for the service.
//!
//! From the official documentation (企业内部开发 › 服务端API › 消息接收与发送 › 接收消息与事件):
//!
//! - GET `?msg_signature&timestamp&nonce&echostr`: verify the signature, decrypt `echostr`
//!   and answer its plaintext within 1 s (回调配置).
//! - POST with the same query and `<xml><ToUserName/><AgentID/><Encrypt/></xml>`: the
//!   signature covers `Encrypt`; the plaintext's receiver id must be the corp id (checked by
//!   [`WecomCrypto::decrypt`]). Answer within 5 s (an empty 200 is enough), or WeCom
//!   retries, three times in all; hence [`Callback::dedup_key`]: the MsgId for messages and
//!   FromUserName + CreateTime for events, as WeChat's documentation recommends (WeCom's
//!   pages do not say; the event's name and key are added so that two events of one second
//!   stay apart).
//! - Messages (消息格式): `text` (Content), `image` (PicUrl, MediaId), `voice` (MediaId,
//!   Format; `Recognition` is the Official Accounts' speech recognition, parsed if present),
//!   `location` (Location_X, Location_Y, Scale, Label), each with MsgId and AgentID.
//! - Events (事件格式): `template_card_event` (EventKey, TaskId, CardType, ResponseCode),
//!   `LOCATION` (Latitude, Longitude, Precision: reported automatically each time the member
//!   enters the app, or every 5 s while in it, once they allowed it), `enter_agent`,
//!   `subscribe`, `unsubscribe`.
//!
//! quick-xml reads no DTD and expands no external entity, so a body cannot make the parser
//! fetch or include anything.

use serde::Deserialize;

use super::crypto::{CryptoError, WecomCrypto};
use crate::channel::{Inbound, InboundEvent, MediaKind};

/// The channel's name as stored with members.
pub const CHANNEL_NAME: &str = "wecom";
/// A callback body larger than this is refused unread (a text message of 2,048 bytes is
/// about 3 KB encrypted).
pub const MAX_BODY_BYTES: usize = 256 * 1024;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallbackError {
    #[error("the query has no {0}")]
    MissingParam(&'static str),
    #[error("the body has {0} bytes, more than {MAX_BODY_BYTES}")]
    TooLarge(usize),
    #[error(transparent)]
    Crypto(#[from] CryptoError),
    #[error("the XML cannot be read: {0}")]
    Xml(String),
    #[error("the message has no {0}")]
    MissingField(&'static str),
    #[error("the field {field} is not a number: {value:?}")]
    NotANumber { field: &'static str, value: String },
}

/// The query of a callback request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackQuery {
    pub msg_signature: String,
    pub timestamp: String,
    pub nonce: String,
    /// Only in the GET that verifies the URL.
    pub echostr: Option<String>,
}

impl CallbackQuery {
    /// Reads a raw query string (URL-decoded; a `+` left unencoded in `echostr`, which is
    /// base64, stays a `+`).
    pub fn parse(query: &str) -> Result<Self, CallbackError> {
        let mut signature = None;
        let mut timestamp = None;
        let mut nonce = None;
        let mut echostr = None;
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            match key.as_ref() {
                "msg_signature" => signature = Some(value.into_owned()),
                "timestamp" => timestamp = Some(value.into_owned()),
                "nonce" => nonce = Some(value.into_owned()),
                "echostr" => echostr = Some(value.replace(' ', "+")),
                _ => {}
            }
        }
        Ok(Self {
            msg_signature: signature.ok_or(CallbackError::MissingParam("msg_signature"))?,
            timestamp: timestamp.ok_or(CallbackError::MissingParam("timestamp"))?,
            nonce: nonce.ok_or(CallbackError::MissingParam("nonce"))?,
            echostr,
        })
    }
}

/// The GET that verifies the callback URL: the plaintext to answer with.
pub fn verify_url(crypto: &WecomCrypto, query: &CallbackQuery) -> Result<String, CallbackError> {
    let echostr = query
        .echostr
        .as_deref()
        .ok_or(CallbackError::MissingParam("echostr"))?;
    Ok(crypto.verify_url(
        &query.msg_signature,
        &query.timestamp,
        &query.nonce,
        echostr,
    )?)
}

/// A POSTed callback: the signature checked (in constant time), the body decrypted (the
/// receiver id must be the corp id) and parsed.
pub fn open_post(
    crypto: &WecomCrypto,
    query: &CallbackQuery,
    body: &str,
) -> Result<Callback, CallbackError> {
    open_post_xml(crypto, query, body).map(|(callback, _)| callback)
}

/// [`open_post`], with the decrypted XML (what the service stores).
pub fn open_post_xml(
    crypto: &WecomCrypto,
    query: &CallbackQuery,
    body: &str,
) -> Result<(Callback, String), CallbackError> {
    if body.len() > MAX_BODY_BYTES {
        return Err(CallbackError::TooLarge(body.len()));
    }
    let envelope: Envelope =
        quick_xml::de::from_str(body).map_err(|e| CallbackError::Xml(e.to_string()))?;
    let encrypted = envelope
        .encrypt
        .filter(|e| !e.trim().is_empty())
        .ok_or(CallbackError::MissingField("Encrypt"))?;
    crypto.verify(
        &query.msg_signature,
        &query.timestamp,
        &query.nonce,
        &encrypted,
    )?;
    let plain = crypto.decrypt(&encrypted)?;
    let callback = parse(&plain)?;
    Ok((callback, plain))
}

#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Encrypt")]
    encrypt: Option<String>,
}

/// Every field of the messages and events handled, as text.
#[derive(Debug, Default, Deserialize)]
struct Raw {
    #[serde(rename = "ToUserName")]
    to_user_name: Option<String>,
    #[serde(rename = "FromUserName")]
    from_user_name: Option<String>,
    #[serde(rename = "CreateTime")]
    create_time: Option<String>,
    #[serde(rename = "MsgType")]
    msg_type: Option<String>,
    #[serde(rename = "MsgId")]
    msg_id: Option<String>,
    #[serde(rename = "AgentID")]
    agent_id: Option<String>,
    #[serde(rename = "Content")]
    content: Option<String>,
    #[serde(rename = "MediaId")]
    media_id: Option<String>,
    #[serde(rename = "PicUrl")]
    pic_url: Option<String>,
    #[serde(rename = "Format")]
    format: Option<String>,
    #[serde(rename = "Recognition")]
    recognition: Option<String>,
    #[serde(rename = "Location_X")]
    location_x: Option<String>,
    #[serde(rename = "Location_Y")]
    location_y: Option<String>,
    #[serde(rename = "Scale")]
    scale: Option<String>,
    #[serde(rename = "Label")]
    label: Option<String>,
    #[serde(rename = "Event")]
    event: Option<String>,
    #[serde(rename = "EventKey")]
    event_key: Option<String>,
    #[serde(rename = "TaskId")]
    task_id: Option<String>,
    #[serde(rename = "CardType")]
    card_type: Option<String>,
    #[serde(rename = "ResponseCode")]
    response_code: Option<String>,
    #[serde(rename = "Latitude")]
    latitude: Option<String>,
    #[serde(rename = "Longitude")]
    longitude: Option<String>,
    #[serde(rename = "Precision")]
    precision: Option<String>,
}

/// One decrypted callback.
#[derive(Debug, Clone, PartialEq)]
pub struct Callback {
    /// The corp id (ToUserName).
    pub corp_id: String,
    /// The member's UserID (FromUserName).
    pub from_user: String,
    pub agent_id: Option<i64>,
    /// Seconds since the epoch.
    pub create_time: i64,
    /// Messages only.
    pub msg_id: Option<String>,
    pub event: CallbackEvent,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CallbackEvent {
    Text {
        content: String,
    },
    Image {
        media_id: String,
        pic_url: String,
    },
    Voice {
        media_id: String,
        format: String,
        /// Speech recognized, when WeCom sends it.
        recognition: Option<String>,
    },
    /// A location the member chose and sent (msgtype `location`).
    Location {
        lat: f64,
        lon: f64,
        scale: Option<f64>,
        label: String,
    },
    /// A button of a `button_interaction` card was pressed.
    CardClick {
        event_key: String,
        task_id: String,
        card_type: String,
        /// Usable once within 72 h to update the card (`update_template_card`).
        response_code: String,
    },
    /// The app's automatic location report (`LOCATION` event).
    LocationReport {
        lat: f64,
        lon: f64,
        precision: Option<f64>,
    },
    EnterAgent,
    Subscribe,
    Unsubscribe,
    /// Anything else, kept by name and ignored.
    Other {
        msg_type: String,
        event: Option<String>,
    },
}

/// Events that are not something a member said but that the service acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberEvent {
    /// The member opened the app's conversation (`enter_agent`).
    EnteredApp { userid: String },
    /// The member can now be reached (`subscribe`: the app joined their visible range).
    Subscribed { userid: String },
    /// The member cannot be reached any more (`unsubscribe`): mark them blocked.
    Unsubscribed { userid: String },
}

/// What the service does with a callback.
#[derive(Debug, Clone, PartialEq)]
pub enum Routed {
    Inbound(Inbound),
    Member(MemberEvent),
    /// Nothing to do; why, for the log.
    Ignored(String),
}

/// Parses a decrypted callback's XML.
pub fn parse(xml: &str) -> Result<Callback, CallbackError> {
    let raw: Raw = quick_xml::de::from_str(xml).map_err(|e| CallbackError::Xml(e.to_string()))?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).unwrap_or_default().to_string();
    let required = |v: &Option<String>, field: &'static str| {
        v.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .ok_or(CallbackError::MissingField(field))
    };
    let number = |v: &Option<String>, field: &'static str| -> Result<f64, CallbackError> {
        let s = required(v, field)?;
        s.parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or(CallbackError::NotANumber { field, value: s })
    };
    let optional_number =
        |v: &Option<String>, field: &'static str| match v.as_deref().map(str::trim) {
            None | Some("") => Ok(None),
            Some(_) => number(v, field).map(Some),
        };
    let msg_type = required(&raw.msg_type, "MsgType")?;
    let create_time = required(&raw.create_time, "CreateTime")?;
    let create_time = create_time
        .parse::<i64>()
        .map_err(|_| CallbackError::NotANumber {
            field: "CreateTime",
            value: create_time.clone(),
        })?;
    let agent_id = match raw.agent_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(a) => Some(a.parse::<i64>().map_err(|_| CallbackError::NotANumber {
            field: "AgentID",
            value: a.to_string(),
        })?),
    };
    let event = match msg_type.as_str() {
        "text" => CallbackEvent::Text {
            content: raw.content.clone().unwrap_or_default(),
        },
        "image" => CallbackEvent::Image {
            media_id: required(&raw.media_id, "MediaId")?,
            pic_url: text(&raw.pic_url),
        },
        "voice" => CallbackEvent::Voice {
            media_id: required(&raw.media_id, "MediaId")?,
            format: text(&raw.format),
            recognition: raw
                .recognition
                .as_deref()
                .map(str::trim)
                .filter(|r| !r.is_empty())
                .map(str::to_string),
        },
        "location" => CallbackEvent::Location {
            lat: number(&raw.location_x, "Location_X")?,
            lon: number(&raw.location_y, "Location_Y")?,
            scale: optional_number(&raw.scale, "Scale")?,
            label: text(&raw.label),
        },
        "event" => {
            let name = required(&raw.event, "Event")?;
            match name.as_str() {
                "template_card_event" => CallbackEvent::CardClick {
                    event_key: required(&raw.event_key, "EventKey")?,
                    task_id: required(&raw.task_id, "TaskId")?,
                    card_type: text(&raw.card_type),
                    response_code: text(&raw.response_code),
                },
                "LOCATION" => CallbackEvent::LocationReport {
                    lat: number(&raw.latitude, "Latitude")?,
                    lon: number(&raw.longitude, "Longitude")?,
                    precision: optional_number(&raw.precision, "Precision")?,
                },
                "enter_agent" => CallbackEvent::EnterAgent,
                "subscribe" => CallbackEvent::Subscribe,
                "unsubscribe" => CallbackEvent::Unsubscribe,
                _ => CallbackEvent::Other {
                    msg_type,
                    event: Some(name),
                },
            }
        }
        _ => CallbackEvent::Other {
            msg_type,
            event: None,
        },
    };
    Ok(Callback {
        corp_id: text(&raw.to_user_name),
        from_user: required(&raw.from_user_name, "FromUserName")?,
        agent_id,
        create_time,
        msg_id: raw
            .msg_id
            .as_deref()
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string),
        event,
    })
}

impl CallbackEvent {
    /// The event's name (`Event`), or the message type.
    pub fn name(&self) -> &str {
        match self {
            CallbackEvent::Text { .. } => "text",
            CallbackEvent::Image { .. } => "image",
            CallbackEvent::Voice { .. } => "voice",
            CallbackEvent::Location { .. } => "location",
            CallbackEvent::CardClick { .. } => "template_card_event",
            CallbackEvent::LocationReport { .. } => "LOCATION",
            CallbackEvent::EnterAgent => "enter_agent",
            CallbackEvent::Subscribe => "subscribe",
            CallbackEvent::Unsubscribe => "unsubscribe",
            CallbackEvent::Other { msg_type, event } => event.as_deref().unwrap_or(msg_type),
        }
    }
}

impl Callback {
    /// The same for every retry of one callback, different between callbacks: the MsgId of
    /// a message; FromUserName + CreateTime (+ the event's name and key) of an event.
    pub fn dedup_key(&self) -> String {
        let agent = self.agent_id.map(|a| a.to_string()).unwrap_or_default();
        match &self.msg_id {
            Some(id) => format!("wecom:{agent}:msg:{id}"),
            None => {
                let key = match &self.event {
                    CallbackEvent::CardClick { event_key, .. } => format!(":{event_key}"),
                    _ => String::new(),
                };
                format!(
                    "wecom:{agent}:event:{}:{}:{}{key}",
                    self.from_user,
                    self.create_time,
                    self.event.name()
                )
            }
        }
    }

    /// What the service does with it.
    ///
    /// - text → [`InboundEvent::Text`];
    /// - a card click → [`InboundEvent::Button`] with the EventKey as `data`, the
    ///   ResponseCode as `callback_id` (answering the press, `Outbound::AnswerButton`, is
    ///   updating the card with it) and the TaskId as `message_id` (the card pressed);
    /// - a location the member sent → [`InboundEvent::Location`], not live; the automatic
    ///   `LOCATION` report → a *live* location: it comes each time the member opens the app
    ///   (or every 5 s), so like Telegram's live updates it is answered only when it checks
    ///   the member in, never with "location saved" or a consent question on every visit;
    /// - voice → [`InboundEvent::Media`] (kind Voice, the recognized speech as its caption):
    ///   the voice itself is what an admin attaches to an announcement, and recognized
    ///   speech is not reliable enough to be taken as a typed command or answer;
    /// - image → [`InboundEvent::Media`] (kind Photo);
    /// - `enter_agent`, `subscribe`, `unsubscribe` → [`MemberEvent`];
    /// - anything else is ignored.
    pub fn route(&self) -> Routed {
        let inbound = |event| {
            Routed::Inbound(Inbound {
                channel: CHANNEL_NAME.to_string(),
                chat_id: self.from_user.clone(),
                language: None,
                event,
            })
        };
        let userid = self.from_user.clone();
        match &self.event {
            CallbackEvent::Text { content } => inbound(InboundEvent::Text(content.clone())),
            CallbackEvent::CardClick {
                event_key,
                task_id,
                response_code,
                ..
            } => inbound(InboundEvent::Button {
                callback_id: response_code.clone(),
                data: event_key.clone(),
                message_id: Some(task_id.clone()),
            }),
            CallbackEvent::Location { lat, lon, .. } => inbound(InboundEvent::Location {
                lat: *lat,
                lon: *lon,
                live: false,
            }),
            CallbackEvent::LocationReport { lat, lon, .. } => inbound(InboundEvent::Location {
                lat: *lat,
                lon: *lon,
                live: true,
            }),
            CallbackEvent::Voice {
                media_id,
                recognition,
                ..
            } => inbound(InboundEvent::Media {
                kind: MediaKind::Voice,
                file_id: media_id.clone(),
                caption: recognition.clone().unwrap_or_default(),
            }),
            CallbackEvent::Image { media_id, .. } => inbound(InboundEvent::Media {
                kind: MediaKind::Photo,
                file_id: media_id.clone(),
                caption: String::new(),
            }),
            CallbackEvent::EnterAgent => Routed::Member(MemberEvent::EnteredApp { userid }),
            CallbackEvent::Subscribe => Routed::Member(MemberEvent::Subscribed { userid }),
            CallbackEvent::Unsubscribe => Routed::Member(MemberEvent::Unsubscribed { userid }),
            CallbackEvent::Other { msg_type, event } => Routed::Ignored(format!(
                "{msg_type}{}",
                event
                    .as_deref()
                    .map(|e| format!("/{e}"))
                    .unwrap_or_default()
            )),
        }
    }
}

/// Builds a callback's XML (the tests' fake members use it): text fields in CDATA.
pub fn xml(fields: &[(&str, &str)]) -> String {
    let mut out = String::from("<xml>");
    for (name, value) in fields {
        if !value.is_empty()
            && value
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        {
            out.push_str(&format!("<{name}>{value}</{name}>"));
        } else {
            out.push_str(&format!(
                "<{name}><![CDATA[{}]]></{name}>",
                value.replace("]]>", "]]]]><![CDATA[>")
            ));
        }
    }
    out.push_str("</xml>");
    out
}

/// The POST body of an encrypted callback.
pub fn envelope(corp_id: &str, agent_id: i64, encrypted: &str) -> String {
    xml(&[
        ("ToUserName", corp_id),
        ("AgentID", &agent_id.to_string()),
        ("Encrypt", encrypted),
    ])
}

#[cfg(test)]
mod tests;
