//! Our own client of WeCom's server API for a self-built app (自建应用), on reqwest: the
//! access token, `message/send`, `media/upload` and `message/update_template_card`, with
//! failures sorted into the channel-neutral [`SendError`]. From the official server API
//! documentation (developer.work.weixin.qq.com, "企业内部开发 › 服务端API"):
//!
//! - `gettoken?corpid&corpsecret` (path/91039): `access_token` with `expires_in` (normally
//!   7200 s); it must be cached (gettoken itself is rate limited) and fetched again when it
//!   expires or is invalidated early. Here one task refreshes it [`TOKEN_MARGIN`] before it
//!   expires while concurrent senders wait on the same lock (single flight), and a call
//!   answered 40014/42001/40001 invalidates it, refreshes it and is retried once. WeCom
//!   answers the same token again while it lives ("有效期内重复获取返回相同结果"), so a token
//!   that comes back unchanged from the early refresh is kept to its very end, then fetched
//!   anew (a call that meets its end anyway gets 42001 and the retry).
//! - `message/send` (path/90236): `touser`, `agentid`, `msgtype` and one body per type; the
//!   answer's `invaliduser` lists recipients outside the app's visible range (all invalid:
//!   errcode 81013); a `button_interaction` card answers a `response_code`.
//! - `media/upload?type=` (path/90253, "上传的媒体文件限制"): every file larger than 5 bytes;
//!   image ≤ 10 MB JPG/PNG, voice ≤ 2 MB AMR ≤ 60 s, file ≤ 20 MB; a `media_id` lives 3 days.
//!   [`check_upload`] refuses beyond these before anything is sent.
//! - `message/update_template_card` (path/94888): a `response_code` (from the send or from a
//!   click's callback) is usable once, within 72 hours.
//! - Per member: 30 messages a minute and 1,000 an hour; beyond that WeCom drops messages
//!   without an error (path/90312, "发送应用消息频率"). The courier has to stay within it.
//!
//! The secret and the token never leave this module in text: the token is a query
//! parameter, so failures are described without the URL ([`network_failure`]) and every
//! text that is kept is stripped of both ([`Secrets::redact`]); `Debug` shows neither.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::channel::SendError;
use crate::clock::Clock;

/// WeCom's API root; tests point the client at a fake with [`WecomConfig::api_base`].
pub const API_BASE: &str = "https://qyapi.weixin.qq.com/cgi-bin";
/// A text or markdown message's content, in bytes of UTF-8 (path/90236).
pub const MAX_TEXT_BYTES: usize = 2048;
/// Buttons on a `button_interaction` card (path/90236, `button_list`: "列表长度不超过6").
pub const MAX_CARD_BUTTONS: usize = 6;
/// A card's `task_id`: digits, letters and `_-@`, at most 128 bytes.
pub const MAX_TASK_ID_BYTES: usize = 128;
/// A button's `key` (returned as the click's EventKey), at most 1024 bytes.
pub const MAX_BUTTON_KEY_BYTES: usize = 1024;
/// Articles in one `news` message.
pub const MAX_NEWS_ARTICLES: usize = 8;
/// The token is fetched again this long before WeCom says it expires.
pub const TOKEN_MARGIN: Duration = Duration::from_secs(300);
/// How long a `media_id` lives (path/90253: "仅三天内有效").
pub const MEDIA_LIFETIME: Duration = Duration::from_secs(3 * 24 * 3600);
/// A cached `media_id` is not used in its last hour, so that it cannot expire in flight.
pub const MEDIA_MARGIN: Duration = Duration::from_secs(3600);
/// How long to pause everything when WeCom refuses the corp id or the secret.
pub const CREDENTIALS_PAUSE: Duration = Duration::from_secs(60);
/// How long to wait after a frequency limit ("按分钟拦截则被屏蔽60秒", path/90312).
pub const FREQUENCY_PAUSE: Duration = Duration::from_secs(60);
/// How long to wait after a concurrency limit (45033).
pub const CONCURRENCY_PAUSE: Duration = Duration::from_secs(1);

// ----- errors ---------------------------------------------------------------------------

/// How a WeCom call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// WeCom answered a non-zero `errcode` (its `errmsg` without secrets).
    Api {
        errcode: i64,
        errmsg: String,
    },
    /// `gettoken` refused the corp id or the secret: nothing can be sent until the
    /// configuration is fixed.
    Credentials {
        errcode: i64,
        errmsg: String,
    },
    /// An HTTP error status without a readable answer.
    Status {
        code: u16,
        body: String,
    },
    Timeout,
    /// No answer: the connection failed or was dropped.
    Network(String),
    /// An answer we cannot read.
    BadResponse(String),
    /// Refused here, before sending: the request breaks a documented limit.
    Invalid(String),
    /// A recipient is not a member the app may reach (`invaliduser`).
    InvalidUser(String),
}

/// 40014 不合法的access_token, 42001 access_token已过期, 40001 不合法的secret参数 (the
/// token did not come from this secret): fetch a new token and try once more.
pub const TOKEN_ERRORS: &[i64] = &[40014, 42001, 40001];
/// Frequency and concurrency limits (global error codes, path/90313): 45009 接口调用超过限制,
/// 45033 接口并发调用超过限制. 45047 is not in WeCom's list (it is the Official Accounts'
/// customer-service limit) but is treated as a limit should it ever come.
pub const LIMIT_ERRORS: &[i64] = &[45009, 45033, 45047];
/// The recipient cannot be reached: 81013 (UserID、部门ID、标签ID全部非法或无权限: every
/// recipient invalid or outside the app's visible range), 60111 (UserID不存在), 40003
/// (无效的UserID), 46004 (指定的用户不存在), 40031 (不合法的UserID列表), 50002 (成员不在权限范围),
/// 60011 (指定的成员/部门/标签参数无权限), 82001 (指定的成员/部门/标签全部无效).
pub const UNREACHABLE_ERRORS: &[i64] = &[81013, 60111, 40003, 46004, 40031, 50002, 60011, 82001];
/// `gettoken` refusing the configuration: 40013 不合法的CorpID, 40001 不合法的secret参数,
/// 40091 secret不合法, 41002 缺少corpid参数, 41004 缺少secret参数.
pub const CREDENTIAL_ERRORS: &[i64] = &[40013, 40001, 40091, 41002, 41004];
/// -1 系统繁忙: "建议稍候重试".
pub const BUSY: i64 = -1;
/// 60020 不安全的访问IP: the server's address is not among the app's trusted IPs (企业可信IP,
/// required of self-built apps): nothing can be sent until the admin console lists it.
pub const UNTRUSTED_IP: i64 = 60020;

impl ApiFailure {
    /// What the courier should do about it.
    pub fn classify(self) -> SendError {
        match self {
            ApiFailure::Api { errcode, errmsg } => classify_errcode(errcode, &errmsg),
            ApiFailure::Credentials { errcode, errmsg } => {
                tracing::error!(
                    errcode,
                    %errmsg,
                    "WeCom refuses the corp id or the app secret; pausing all sending"
                );
                SendError::RetryAfter(CREDENTIALS_PAUSE)
            }
            ApiFailure::Status { code: 429, .. } => SendError::RetryAfter(FREQUENCY_PAUSE),
            ApiFailure::Status { code, body } if code >= 500 => {
                SendError::Transient(format!("HTTP {code} {body}"))
            }
            ApiFailure::Status { code, body } => SendError::Rejected(format!("HTTP {code} {body}")),
            ApiFailure::Timeout => SendError::Transient("timeout".into()),
            ApiFailure::Network(e) => SendError::Transient(e),
            ApiFailure::BadResponse(e) => SendError::Transient(format!("unreadable answer: {e}")),
            ApiFailure::Invalid(e) => SendError::Rejected(e),
            ApiFailure::InvalidUser(user) => SendError::Unreachable(format!(
                "{user} is not a member the app can reach (invaliduser)"
            )),
        }
    }
}

/// The [`SendError`] for a non-zero `errcode` of a call made with a valid token.
pub fn classify_errcode(errcode: i64, errmsg: &str) -> SendError {
    let text = format!("errcode {errcode}: {errmsg}");
    if errcode == UNTRUSTED_IP {
        tracing::error!(
            errcode,
            errmsg,
            "WeCom refuses calls from this server's IP: add it to the app's trusted IPs (企业可信IP); pausing all sending"
        );
        return SendError::RetryAfter(CREDENTIALS_PAUSE);
    }
    if LIMIT_ERRORS.contains(&errcode) {
        let pause = if errcode == 45033 {
            CONCURRENCY_PAUSE
        } else {
            FREQUENCY_PAUSE
        };
        SendError::RetryAfter(pause)
    } else if UNREACHABLE_ERRORS.contains(&errcode) {
        SendError::Unreachable(text)
    } else if errcode == BUSY || TOKEN_ERRORS.contains(&errcode) {
        // A token refused again right after a refresh is WeCom's trouble, not the message's.
        SendError::Transient(text)
    } else {
        SendError::Rejected(text)
    }
}

/// Why a file is not uploaded.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum UploadRefused {
    #[error("{kind} files must be larger than 5 bytes (this one has {size})")]
    TooSmall { kind: MediaType, size: usize },
    #[error("{kind} files may have at most {limit} bytes (this one has {size})")]
    TooLarge {
        kind: MediaType,
        size: usize,
        limit: usize,
    },
    #[error("{kind} files must be {expected}")]
    WrongFormat {
        kind: MediaType,
        expected: &'static str,
    },
    #[error("voice messages may last at most 60 s (this one lasts {seconds:.1} s)")]
    TooLong { seconds: f64 },
}

impl From<UploadRefused> for SendError {
    fn from(refused: UploadRefused) -> Self {
        SendError::Rejected(refused.to_string())
    }
}

// ----- secrets --------------------------------------------------------------------------

/// What must never appear in logs, stored errors or `Debug`.
#[derive(Clone, Default)]
struct Secrets {
    secret: String,
    tokens: Arc<Mutex<Vec<String>>>,
}

/// What a secret or token is replaced with in kept text.
pub const REDACTED: &str = "<redacted>";

impl Secrets {
    fn remember_token(&self, token: &str) {
        let mut tokens = self.tokens.lock().unwrap_or_else(|p| p.into_inner());
        if !tokens.iter().any(|t| t == token) {
            tokens.push(token.to_string());
            // Old tokens are as secret as new ones, but a few are enough to keep.
            if tokens.len() > 8 {
                tokens.remove(0);
            }
        }
    }

    /// `text` without the secret, any token this client was given, and anything that
    /// follows `access_token=` or `corpsecret=`.
    fn redact(&self, text: &str) -> String {
        let mut out = text.to_string();
        let tokens = self
            .tokens
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        for s in std::iter::once(&self.secret).chain(tokens.iter()) {
            if !s.is_empty() {
                out = out.replace(s.as_str(), REDACTED);
            }
        }
        for key in ["access_token=", "corpsecret="] {
            let mut rest = out.as_str();
            let mut cleaned = String::with_capacity(out.len());
            while let Some(at) = rest.find(key) {
                let (before, after) = rest.split_at(at + key.len());
                cleaned.push_str(before);
                let end = after
                    .find(['&', ' ', '"', '\'', ')'])
                    .unwrap_or(after.len());
                if end > 0 && !after.starts_with(REDACTED) {
                    cleaned.push_str(REDACTED);
                }
                rest = &after[end..];
            }
            cleaned.push_str(rest);
            out = cleaned;
        }
        out
    }
}

impl ApiFailure {
    fn redacted(self, secrets: &Secrets) -> ApiFailure {
        let r = |s: String| secrets.redact(&s);
        match self {
            ApiFailure::Api { errcode, errmsg } => ApiFailure::Api {
                errcode,
                errmsg: r(errmsg),
            },
            ApiFailure::Credentials { errcode, errmsg } => ApiFailure::Credentials {
                errcode,
                errmsg: r(errmsg),
            },
            ApiFailure::Status { code, body } => ApiFailure::Status {
                code,
                body: r(body),
            },
            ApiFailure::Timeout => ApiFailure::Timeout,
            ApiFailure::Network(e) => ApiFailure::Network(r(e)),
            ApiFailure::BadResponse(e) => ApiFailure::BadResponse(r(e)),
            ApiFailure::Invalid(e) => ApiFailure::Invalid(e),
            ApiFailure::InvalidUser(u) => ApiFailure::InvalidUser(u),
        }
    }
}

/// A reqwest error without its URL (the URL holds the token or the secret).
fn network_failure(e: reqwest::Error) -> ApiFailure {
    if e.is_timeout() {
        return ApiFailure::Timeout;
    }
    let e = e.without_url();
    let mut text = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    ApiFailure::Network(text)
}

// ----- configuration --------------------------------------------------------------------

/// One self-built app of one corp.
#[derive(Clone)]
pub struct WecomConfig {
    pub corp_id: String,
    /// The app's Secret (its `corpsecret`).
    pub secret: String,
    pub agent_id: i64,
    /// Another API root (a test fake); WeCom's own when None.
    pub api_base: Option<String>,
    /// How long one call may take.
    pub timeout: Duration,
}

impl std::fmt::Debug for WecomConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomConfig")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("api_base", &self.api_base)
            .finish_non_exhaustive()
    }
}

// ----- messages -------------------------------------------------------------------------

/// One article of a `news` message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Article {
    pub title: String,
    pub description: String,
    pub url: String,
    pub picurl: Option<String>,
}

/// A button of a `button_interaction` card; pressing it comes back as a
/// `template_card_event` whose EventKey is `key`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardButton {
    pub key: String,
    pub text: String,
}

/// A `template_card` of type `button_interaction`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ButtonCard {
    pub title: String,
    pub description: String,
    /// Unique per app; digits, letters and `_-@`, at most 128 bytes.
    pub task_id: String,
    pub buttons: Vec<CardButton>,
}

/// What `message/send` can carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(String),
    Markdown(String),
    TextCard {
        title: String,
        description: String,
        url: String,
        /// At most 4 characters; WeCom shows "详情" without it.
        btntxt: Option<String>,
    },
    News(Vec<Article>),
    ButtonCard(ButtonCard),
    Image {
        media_id: String,
    },
    Voice {
        media_id: String,
    },
    File {
        media_id: String,
    },
}

impl Message {
    pub fn msgtype(&self) -> &'static str {
        match self {
            Message::Text(_) => "text",
            Message::Markdown(_) => "markdown",
            Message::TextCard { .. } => "textcard",
            Message::News(_) => "news",
            Message::ButtonCard(_) => "template_card",
            Message::Image { .. } => "image",
            Message::Voice { .. } => "voice",
            Message::File { .. } => "file",
        }
    }

    /// Checks the documented limits that WeCom would otherwise truncate or refuse.
    pub fn validate(&self) -> Result<(), String> {
        let bytes = |what: &str, s: &str, max: usize| {
            if s.len() > max {
                Err(format!("{what} has {} bytes, more than {max}", s.len()))
            } else {
                Ok(())
            }
        };
        let chars = |what: &str, s: &str, max: usize| {
            let n = s.chars().count();
            if n > max {
                Err(format!("{what} has {n} characters, more than {max}"))
            } else {
                Ok(())
            }
        };
        let filled = |what: &str, s: &str| {
            if s.trim().is_empty() {
                Err(format!("{what} is empty"))
            } else {
                Ok(())
            }
        };
        match self {
            Message::Text(content) | Message::Markdown(content) => {
                filled("the content", content)?;
                bytes("the content", content, MAX_TEXT_BYTES)
            }
            Message::TextCard {
                title,
                description,
                url,
                btntxt,
            } => {
                filled("the title", title)?;
                filled("the description", description)?;
                filled("the url", url)?;
                chars("the title", title, 128)?;
                chars("the description", description, 512)?;
                bytes("the url", url, 2048)?;
                btntxt
                    .as_deref()
                    .map_or(Ok(()), |b| chars("the button text", b, 4))
            }
            Message::News(articles) => {
                if articles.is_empty() || articles.len() > MAX_NEWS_ARTICLES {
                    return Err(format!(
                        "news takes 1 to {MAX_NEWS_ARTICLES} articles, not {}",
                        articles.len()
                    ));
                }
                for a in articles {
                    filled("an article's title", &a.title)?;
                    filled("an article's url", &a.url)?;
                    bytes("an article's title", &a.title, 128)?;
                    bytes("an article's description", &a.description, 512)?;
                    bytes("an article's url", &a.url, 2048)?;
                }
                Ok(())
            }
            Message::ButtonCard(card) => {
                filled("the card's title", &card.title)?;
                check_task_id(&card.task_id)?;
                if card.buttons.is_empty() || card.buttons.len() > MAX_CARD_BUTTONS {
                    return Err(format!(
                        "a card takes 1 to {MAX_CARD_BUTTONS} buttons, not {}",
                        card.buttons.len()
                    ));
                }
                for (i, b) in card.buttons.iter().enumerate() {
                    filled("a button's text", &b.text)?;
                    filled("a button's key", &b.key)?;
                    bytes("a button's key", &b.key, MAX_BUTTON_KEY_BYTES)?;
                    if card.buttons[..i].iter().any(|o| o.key == b.key) {
                        return Err(format!("two buttons have the key {:?}", b.key));
                    }
                }
                Ok(())
            }
            Message::Image { media_id }
            | Message::Voice { media_id }
            | Message::File { media_id } => filled("the media_id", media_id),
        }
    }

    /// The `message/send` body for one member.
    pub fn body(&self, touser: &str, agent_id: i64, options: &SendOptions) -> Value {
        let payload = match self {
            Message::Text(content) | Message::Markdown(content) => json!({ "content": content }),
            Message::TextCard {
                title,
                description,
                url,
                btntxt,
            } => {
                let mut card = json!({ "title": title, "description": description, "url": url });
                if let Some(b) = btntxt {
                    card["btntxt"] = json!(b);
                }
                card
            }
            Message::News(articles) => json!({
                "articles": articles.iter().map(|a| {
                    let mut article = json!({ "title": a.title, "description": a.description, "url": a.url });
                    if let Some(p) = &a.picurl {
                        article["picurl"] = json!(p);
                    }
                    article
                }).collect::<Vec<_>>()
            }),
            Message::ButtonCard(card) => {
                let mut main_title = json!({ "title": card.title });
                if !card.description.is_empty() {
                    main_title["desc"] = json!(card.description);
                }
                json!({
                    "card_type": "button_interaction",
                    "main_title": main_title,
                    "task_id": card.task_id,
                    "button_list": card.buttons.iter().map(|b| json!({ "text": b.text, "key": b.key })).collect::<Vec<_>>(),
                })
            }
            Message::Image { media_id }
            | Message::Voice { media_id }
            | Message::File { media_id } => {
                json!({ "media_id": media_id })
            }
        };
        let mut body = json!({
            "touser": touser,
            "msgtype": self.msgtype(),
            "agentid": agent_id,
        });
        body[self.msgtype()] = payload;
        if let Some(interval) = options.duplicate_check {
            body["enable_duplicate_check"] = json!(1);
            body["duplicate_check_interval"] = json!(interval.as_secs().clamp(1, 4 * 3600));
        }
        body
    }
}

/// A `task_id` WeCom accepts: digits, letters and `_-@`, 1 to 128 bytes.
pub fn check_task_id(task_id: &str) -> Result<(), String> {
    if task_id.is_empty() || task_id.len() > MAX_TASK_ID_BYTES {
        return Err(format!(
            "a task_id has 1 to {MAX_TASK_ID_BYTES} bytes, not {}",
            task_id.len()
        ));
    }
    if let Some(c) = task_id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '@')))
    {
        return Err(format!("a task_id may not contain {c:?}"));
    }
    Ok(())
}

/// Options of one send.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SendOptions {
    /// `enable_duplicate_check` with this interval (at most 4 h): the same request body
    /// within it is not shown twice. Worth it for retried deliveries; wrong for replies that
    /// may repeat on purpose ("ok" twice in a row).
    pub duplicate_check: Option<Duration>,
}

/// What `message/send` answered.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SendReceipt {
    pub msgid: Option<String>,
    /// For interactive cards: usable once within 72 h to update the card.
    pub response_code: Option<String>,
    /// `invaliduser`, lowercased by WeCom.
    pub invalid_users: Vec<String>,
}

// ----- text splitting -------------------------------------------------------------------

/// Splits `text` into parts of at most `max_bytes` bytes of UTF-8, cutting after a
/// paragraph (blank line) if one is in the second half of a part, else after a line, else
/// after a sentence (`。！？；.!?;` and the closing quotes or brackets after it), else after
/// a space or comma, else at a character boundary. The whitespace at a cut is dropped;
/// nothing else is (parts joined back with the dropped whitespace give `text`).
pub fn split_text(text: &str, max_bytes: usize) -> Vec<String> {
    let max_bytes = max_bytes.max(4); // room for any one character
    let mut parts = Vec::new();
    let mut rest = text.trim();
    while rest.len() > max_bytes {
        let mut end = max_bytes;
        while !rest.is_char_boundary(end) {
            end -= 1;
        }
        let window = &rest[..end];
        let cut = best_cut(window).unwrap_or(end);
        let part = rest[..cut].trim_end();
        if !part.is_empty() {
            parts.push(part.to_string());
        }
        rest = rest[cut..].trim_start();
    }
    if !rest.is_empty() {
        parts.push(rest.to_string());
    }
    parts
}

/// Where to cut `window` (a byte offset after the cut's delimiter), or None for anywhere.
fn best_cut(window: &str) -> Option<usize> {
    let half = window.len() / 2;
    let after = |pos: Option<usize>, len: usize| pos.map(|p| p + len).filter(|&p| p > 0);
    // A paragraph in the second half; else a line; else a sentence; else a word.
    if let Some(p) = after(window.rfind("\n\n"), 2).filter(|&p| p >= half) {
        return Some(p);
    }
    if let Some(p) = after(window.rfind('\n'), 1).filter(|&p| p >= half) {
        return Some(p);
    }
    if let Some(p) = sentence_end(window).filter(|&p| p >= half / 2) {
        return Some(p);
    }
    window
        .char_indices()
        .rev()
        .find(|(_, c)| c.is_whitespace() || matches!(c, '，' | ',' | '、'))
        .map(|(i, c)| i + c.len_utf8())
        .filter(|&p| p >= half / 2)
}

/// The byte offset after the last sentence end in `window` (with closing quotes).
fn sentence_end(window: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = window.char_indices().collect();
    for k in (0..chars.len()).rev() {
        let c = chars[k].1;
        let ascii_end = matches!(c, '.' | '!' | '?' | ';');
        let full_end = matches!(c, '。' | '！' | '？' | '；' | '…');
        if !(ascii_end || full_end) {
            continue;
        }
        let mut j = k + 1;
        while j < chars.len()
            && matches!(
                chars[j].1,
                '”' | '’' | '"' | '\'' | '）' | ')' | '」' | '』'
            )
        {
            j += 1;
        }
        // "3.5" or "e.g." inside a sentence is not an end: an ASCII end needs a space after
        // it (and at the window's edge what follows is unknown).
        let next = chars.get(j).map(|&(_, c)| c);
        if ascii_end && !next.is_some_and(char::is_whitespace) {
            continue;
        }
        return Some(chars.get(j).map_or(window.len(), |&(p, _)| p));
    }
    None
}

// ----- media ----------------------------------------------------------------------------

/// The kinds of temporary media the bot uploads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaType {
    Image,
    Voice,
    File,
}

impl MediaType {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::Voice => "voice",
            MediaType::File => "file",
        }
    }

    /// The largest file WeCom takes.
    pub fn max_bytes(self) -> usize {
        match self {
            MediaType::Image => 10 << 20,
            MediaType::Voice => 2 << 20,
            MediaType::File => 20 << 20,
        }
    }
}

impl std::fmt::Display for MediaType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The AMR-NB magic number (RFC 4867, section 5: the storage format).
const AMR_MAGIC: &[u8] = b"#!AMR\n";

/// Checks a file against WeCom's upload limits: larger than 5 bytes; image ≤ 10 MB, JPG or
/// PNG; voice ≤ 2 MB, AMR, ≤ 60 s; file ≤ 20 MB.
pub fn check_upload(kind: MediaType, bytes: &[u8]) -> Result<(), UploadRefused> {
    let size = bytes.len();
    if size <= 5 {
        return Err(UploadRefused::TooSmall { kind, size });
    }
    if size > kind.max_bytes() {
        return Err(UploadRefused::TooLarge {
            kind,
            size,
            limit: kind.max_bytes(),
        });
    }
    match kind {
        MediaType::Image => {
            let jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
            let png = bytes.starts_with(b"\x89PNG\r\n\x1a\n");
            if !(jpeg || png) {
                return Err(UploadRefused::WrongFormat {
                    kind,
                    expected: "JPG or PNG",
                });
            }
        }
        MediaType::Voice => {
            let seconds = amr_seconds(bytes).ok_or(UploadRefused::WrongFormat {
                kind,
                expected: "AMR (AMR-NB, \"#!AMR\\n\")",
            })?;
            if seconds > 60.0 {
                return Err(UploadRefused::TooLong { seconds });
            }
        }
        MediaType::File => {}
    }
    Ok(())
}

/// The length of an AMR-NB file in seconds (20 ms a frame), or None if it is not one:
/// the magic number, then frames whose header's frame type gives their size.
pub fn amr_seconds(bytes: &[u8]) -> Option<f64> {
    // Speech bytes per frame type 0-7 (4.75 to 12.2 kbit/s), 8 = comfort noise, 15 = no data.
    const SPEECH: [usize; 16] = [12, 13, 15, 17, 19, 20, 26, 31, 5, 0, 0, 0, 0, 0, 0, 0];
    let mut rest = bytes.strip_prefix(AMR_MAGIC)?;
    let mut frames = 0u64;
    while let Some((&header, after)) = rest.split_first() {
        let frame_type = usize::from((header >> 3) & 0x0F);
        if (9..15).contains(&frame_type) || header & 0x83 != 0 {
            return None; // reserved type, or padding bits set: not AMR
        }
        let size = SPEECH[frame_type];
        if after.len() < size {
            return None;
        }
        rest = &after[size..];
        frames += 1;
    }
    Some(frames as f64 * 0.020)
}

/// The hex SHA-256 of some bytes: the key of the media cache (and of the store's
/// `file_ids` table).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Media ids by (type, content sha256), each with when it stops being usable (its upload
/// time + 3 days − [`MEDIA_MARGIN`]).
///
/// A persistent cache can use the store's `file_ids` table (key `(sha256, channel)`, one
/// `file_id` text) without a migration: channel `wecom:<type>` (the same bytes as an image
/// and as a file are two uploads), and the value [`MediaCache::stored_value`] (the id and
/// its expiry), read back with [`MediaCache::parse_stored`], which refuses an expired one.
#[derive(Debug, Default)]
pub struct MediaCache {
    entries: HashMap<(MediaType, String), (String, DateTime<Utc>)>,
}

impl MediaCache {
    pub fn get(&self, kind: MediaType, sha256: &str, now: DateTime<Utc>) -> Option<String> {
        self.entries
            .get(&(kind, sha256.to_string()))
            .filter(|(_, usable_until)| now < *usable_until)
            .map(|(id, _)| id.clone())
    }

    /// Remembers an upload made at `created_at`.
    pub fn put(
        &mut self,
        kind: MediaType,
        sha256: &str,
        media_id: &str,
        created_at: DateTime<Utc>,
    ) {
        let until = usable_until(created_at);
        self.entries.retain(|_, (_, u)| *u > created_at);
        self.entries
            .insert((kind, sha256.to_string()), (media_id.to_string(), until));
    }

    pub fn forget(&mut self, kind: MediaType, sha256: &str) {
        self.entries.remove(&(kind, sha256.to_string()));
    }

    /// The `file_ids.channel` for a media type.
    pub fn stored_channel(kind: MediaType) -> String {
        format!("wecom:{kind}")
    }

    /// The `file_ids.file_id` text for an upload made at `created_at`.
    pub fn stored_value(media_id: &str, created_at: DateTime<Utc>) -> String {
        format!("{media_id} {}", usable_until(created_at).timestamp())
    }

    /// The media id in a stored value, if it is still usable at `now`.
    pub fn parse_stored(value: &str, now: DateTime<Utc>) -> Option<String> {
        let (id, until) = value.rsplit_once(' ')?;
        let until = DateTime::<Utc>::from_timestamp(until.parse().ok()?, 0)?;
        (now < until && !id.is_empty()).then(|| id.to_string())
    }
}

fn usable_until(created_at: DateTime<Utc>) -> DateTime<Utc> {
    let life = chrono::Duration::from_std(MEDIA_LIFETIME - MEDIA_MARGIN)
        .unwrap_or_else(|_| chrono::Duration::days(3));
    created_at + life
}

/// An uploaded file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Uploaded {
    pub media_id: String,
    pub created_at: DateTime<Utc>,
    /// False when the id came from the cache.
    pub uploaded: bool,
}

// ----- the client -----------------------------------------------------------------------

#[derive(Clone)]
struct Token {
    value: String,
    /// When to fetch a new one (WeCom's expiry − the margin).
    refresh_at: DateTime<Utc>,
    /// When WeCom said it expires.
    expires_at: DateTime<Utc>,
}

enum Payload<'a> {
    Json(&'a Value),
    Upload {
        kind: MediaType,
        file_name: &'a str,
        bytes: &'a [u8],
    },
}

/// A client of one self-built app.
pub struct WecomClient {
    http: reqwest::Client,
    base: String,
    corp_id: String,
    agent_id: i64,
    secrets: Secrets,
    clock: Arc<dyn Clock>,
    /// The cached token; held across a refresh, so that one task fetches while the others
    /// wait for its result.
    token: tokio::sync::Mutex<Option<Token>>,
    media: Mutex<MediaCache>,
}

impl std::fmt::Debug for WecomClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomClient")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .finish_non_exhaustive()
    }
}

/// The client could not be built.
#[derive(Debug, thiserror::Error)]
#[error("cannot build the WeCom HTTP client: {0}")]
pub struct ClientError(String);

impl WecomClient {
    pub fn new(config: &WecomConfig, clock: Arc<dyn Clock>) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(config.timeout)
            .pool_max_idle_per_host(32)
            .build()
            .map_err(|e| ClientError(e.without_url().to_string()))?;
        Ok(Self {
            http,
            base: config
                .api_base
                .as_deref()
                .unwrap_or(API_BASE)
                .trim_end_matches('/')
                .to_string(),
            corp_id: config.corp_id.clone(),
            agent_id: config.agent_id,
            secrets: Secrets {
                secret: config.secret.clone(),
                tokens: Arc::default(),
            },
            clock,
            token: tokio::sync::Mutex::new(None),
            media: Mutex::new(MediaCache::default()),
        })
    }

    pub fn agent_id(&self) -> i64 {
        self.agent_id
    }

    /// Fetches an access token (or finds the cached one): whether WeCom takes the corp id
    /// and the secret.
    pub async fn check_credentials(&self) -> Result<(), ApiFailure> {
        self.token().await.map(|_| ())
    }

    /// The cached token, fetched first if there is none or it is about to expire.
    async fn token(&self) -> Result<String, ApiFailure> {
        let mut cached = self.token.lock().await;
        let now = self.clock.now();
        if let Some(t) = cached.as_ref().filter(|t| now < t.refresh_at) {
            return Ok(t.value.clone());
        }
        let previous = cached.take();
        match self
            .fetch_token(previous.as_ref().map(|t| t.value.as_str()))
            .await
        {
            Ok(fresh) => {
                let value = fresh.value.clone();
                *cached = Some(fresh);
                Ok(value)
            }
            // The early refresh failed: the old token still works until its end.
            Err(failure) => match previous.filter(|t| now < t.expires_at) {
                Some(old) => {
                    tracing::warn!(?failure, "cannot refresh the WeCom access token yet");
                    let value = old.value.clone();
                    *cached = Some(old);
                    Ok(value)
                }
                None => Err(failure),
            },
        }
    }

    /// Drops `stale` if it is still the cached token (so that many calls failing with the
    /// same token cause one refresh).
    async fn invalidate(&self, stale: &str) {
        let mut cached = self.token.lock().await;
        if cached.as_ref().is_some_and(|t| t.value == stale) {
            *cached = None;
        }
    }

    /// Fetches a token. WeCom answers the same token while it lives (path/91039), so one
    /// fetched again before its end (`previous`) is kept until the end itself.
    async fn fetch_token(&self, previous: Option<&str>) -> Result<Token, ApiFailure> {
        let request = self.http.get(format!("{}/gettoken", self.base)).query(&[
            ("corpid", self.corp_id.as_str()),
            ("corpsecret", self.secrets.secret.as_str()),
        ]);
        let answer = match self.exchange(request).await {
            Ok(answer) => answer,
            Err(ApiFailure::Api { errcode, errmsg }) if CREDENTIAL_ERRORS.contains(&errcode) => {
                return Err(ApiFailure::Credentials { errcode, errmsg });
            }
            Err(other) => return Err(other),
        };
        let value = answer["access_token"]
            .as_str()
            .filter(|t| !t.is_empty())
            .ok_or_else(|| ApiFailure::BadResponse("gettoken answered no access_token".into()))?
            .to_string();
        self.secrets.remember_token(&value);
        let expires_in = answer["expires_in"].as_u64().unwrap_or(7200);
        let lifetime = Duration::from_secs(expires_in);
        let margin = if previous == Some(value.as_str()) {
            Duration::ZERO
        } else {
            TOKEN_MARGIN.min(lifetime / 2)
        };
        let now = self.clock.now();
        let after =
            |d: Duration| now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero());
        tracing::debug!(expires_in, "fetched a WeCom access token");
        Ok(Token {
            value,
            refresh_at: after(lifetime - margin),
            expires_at: after(lifetime),
        })
    }

    /// Calls `path` with the token; on a token error, refreshes it and tries once more.
    async fn call(&self, path: &str, payload: Payload<'_>) -> Result<Value, ApiFailure> {
        let token = self.token().await?;
        match self.call_with(&token, path, &payload).await {
            Err(ApiFailure::Api { errcode, .. }) if TOKEN_ERRORS.contains(&errcode) => {
                tracing::info!(
                    errcode,
                    path,
                    "WeCom refused the access token; refreshing it"
                );
                self.invalidate(&token).await;
                let token = self.token().await?;
                self.call_with(&token, path, &payload).await
            }
            other => other,
        }
    }

    async fn call_with(
        &self,
        token: &str,
        path: &str,
        payload: &Payload<'_>,
    ) -> Result<Value, ApiFailure> {
        let url = format!("{}/{path}", self.base);
        let request = match payload {
            Payload::Json(body) => self
                .http
                .post(url)
                .query(&[("access_token", token)])
                .json(body),
            Payload::Upload {
                kind,
                file_name,
                bytes,
            } => {
                let part = reqwest::multipart::Part::bytes(bytes.to_vec())
                    .file_name(file_name.to_string())
                    .mime_str(content_type(*kind, file_name))
                    .map_err(|e| ApiFailure::Invalid(e.without_url().to_string()))?;
                self.http
                    .post(url)
                    .query(&[("access_token", token), ("type", kind.as_str())])
                    .multipart(reqwest::multipart::Form::new().part("media", part))
            }
        };
        self.exchange(request).await
    }

    /// Sends a request and reads its answer; a failure comes without secrets.
    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
        self.exchange_raw(request)
            .await
            .map_err(|f| f.redacted(&self.secrets))
    }

    async fn exchange_raw(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
        let response = request.send().await.map_err(network_failure)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(network_failure)?;
        let answer: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) if status >= 400 => {
                return Err(ApiFailure::Status {
                    code: status,
                    body: text.chars().take(200).collect(),
                });
            }
            Err(e) => return Err(ApiFailure::BadResponse(e.to_string())),
        };
        match answer["errcode"].as_i64() {
            Some(errcode) if errcode != 0 => Err(ApiFailure::Api {
                errcode,
                errmsg: answer["errmsg"].as_str().unwrap_or_default().to_string(),
            }),
            _ if status >= 400 => Err(ApiFailure::Status {
                code: status,
                body: text.chars().take(200).collect(),
            }),
            _ => Ok(answer),
        }
    }

    /// Sends one message to one member. `Err(InvalidUser)` when WeCom lists the member in
    /// `invaliduser` (outside the app's visible range or not in the corp).
    pub async fn send(
        &self,
        touser: &str,
        message: &Message,
        options: &SendOptions,
    ) -> Result<SendReceipt, ApiFailure> {
        message.validate().map_err(ApiFailure::Invalid)?;
        let body = message.body(touser, self.agent_id, options);
        let answer = self.call("message/send", Payload::Json(&body)).await?;
        let receipt = receipt(&answer);
        if receipt
            .invalid_users
            .iter()
            .any(|u| u.eq_ignore_ascii_case(touser))
        {
            return Err(ApiFailure::InvalidUser(touser.to_string()));
        }
        Ok(receipt)
    }

    /// Sends a text, split into parts of at most [`MAX_TEXT_BYTES`]; the receipts in order.
    pub async fn send_text(
        &self,
        touser: &str,
        text: &str,
        options: &SendOptions,
    ) -> Result<Vec<SendReceipt>, ApiFailure> {
        let mut receipts = Vec::new();
        for part in split_text(text, MAX_TEXT_BYTES) {
            receipts.push(self.send(touser, &Message::Text(part), options).await?);
        }
        Ok(receipts)
    }

    /// Uploads a file as temporary media, or reuses the id of an earlier upload of the same
    /// bytes that is still usable. Refuses what breaks WeCom's limits before sending it.
    pub async fn media_id(
        &self,
        kind: MediaType,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<Uploaded, ApiFailure> {
        check_upload(kind, bytes).map_err(|e| ApiFailure::Invalid(e.to_string()))?;
        let sha = sha256_hex(bytes);
        let cached = self.media_cache().get(kind, &sha, self.clock.now());
        if let Some(media_id) = cached {
            return Ok(Uploaded {
                media_id,
                created_at: self.clock.now(),
                uploaded: false,
            });
        }
        let answer = self
            .call(
                "media/upload",
                Payload::Upload {
                    kind,
                    file_name,
                    bytes,
                },
            )
            .await?;
        let media_id = answer["media_id"]
            .as_str()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ApiFailure::BadResponse("media/upload answered no media_id".into()))?
            .to_string();
        // `created_at` is a string of seconds in the documentation's example.
        let created_at = match &answer["created_at"] {
            Value::String(s) => s.parse::<i64>().ok(),
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
        .and_then(|s| DateTime::<Utc>::from_timestamp(s, 0))
        .unwrap_or_else(|| self.clock.now());
        self.media_cache().put(kind, &sha, &media_id, created_at);
        Ok(Uploaded {
            media_id,
            created_at,
            uploaded: true,
        })
    }

    /// Forgets a cached media id (WeCom refused it: 40007).
    pub fn forget_media(&self, kind: MediaType, bytes: &[u8]) {
        self.media_cache().forget(kind, &sha256_hex(bytes));
    }

    fn media_cache(&self) -> std::sync::MutexGuard<'_, MediaCache> {
        self.media.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Sends a file (image, voice or file message), uploading it unless an earlier upload
    /// of the same bytes is still usable; if WeCom no longer knows a cached id (40007), it
    /// is uploaded again once.
    pub async fn send_media(
        &self,
        touser: &str,
        kind: MediaType,
        file_name: &str,
        bytes: &[u8],
        options: &SendOptions,
    ) -> Result<SendReceipt, ApiFailure> {
        let message = |media_id: String| match kind {
            MediaType::Image => Message::Image { media_id },
            MediaType::Voice => Message::Voice { media_id },
            MediaType::File => Message::File { media_id },
        };
        let up = self.media_id(kind, file_name, bytes).await?;
        match self.send(touser, &message(up.media_id), options).await {
            Err(ApiFailure::Api { errcode: 40007, .. }) if !up.uploaded => {
                self.forget_media(kind, bytes);
                let up = self.media_id(kind, file_name, bytes).await?;
                self.send(touser, &message(up.media_id), options).await
            }
            other => other,
        }
    }

    /// Turns the buttons of a card a member pressed into one disabled button reading
    /// `replace_name` (e.g. "✅ 已打卡"), with the click's `response_code` (usable once,
    /// within 72 h).
    pub async fn finish_card(
        &self,
        userid: &str,
        response_code: &str,
        replace_name: &str,
    ) -> Result<(), ApiFailure> {
        if response_code.is_empty() {
            return Err(ApiFailure::Invalid(
                "no response_code to update the card with".into(),
            ));
        }
        let body = json!({
            "userids": [userid],
            "agentid": self.agent_id,
            "response_code": response_code,
            "button": { "replace_name": replace_name },
        });
        self.call("message/update_template_card", Payload::Json(&body))
            .await
            .map(|_| ())
    }
}

/// The receipt in a `message/send` answer.
fn receipt(answer: &Value) -> SendReceipt {
    let text = |key: &str| {
        answer[key]
            .as_str()
            .filter(|s| !s.is_empty())
            .map(str::to_string)
    };
    SendReceipt {
        msgid: text("msgid"),
        response_code: text("response_code"),
        invalid_users: answer["invaliduser"]
            .as_str()
            .unwrap_or_default()
            .split('|')
            .map(|u| u.trim().to_lowercase())
            .filter(|u| !u.is_empty())
            .collect(),
    }
}

/// The Content-Type of an upload (path/90253's table: amr is `voice/amr`).
fn content_type(kind: MediaType, file_name: &str) -> &'static str {
    let lower = file_name.to_ascii_lowercase();
    match kind {
        MediaType::Voice => "voice/amr",
        MediaType::Image if lower.ends_with(".png") => "image/png",
        MediaType::Image => "image/jpg",
        MediaType::File => "application/octet-stream",
    }
}

#[cfg(test)]
mod tests;
