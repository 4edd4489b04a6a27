//! The Telegram adapter: Outbound messages to Bot API calls (through teloxide), Bot API
//! updates to Inbound events. No other module sees a Telegram type.

use std::sync::Arc;
use std::time::Duration;

pub mod bot_api;

use serde_json::{Value, json};
use teloxide::payloads::SetMyCommandsSetters;
use teloxide::prelude::Requester;
use teloxide::types::{BotCommand, MaybeAnonymousUser, Message, Update, UpdateKind};
use teloxide::{Bot, RequestError};

use bot_api::{
    ApiFailure, BotApi, FileRef, inline_keyboard, location_request_keyboard, redact_token,
};

use super::{
    Capabilities, Channel, ChannelError, Inbound, InboundEvent, LanguageMenu, Limits, MediaKind,
    Mode, Outbound, Polled, Profile, RawUpdate, SendError, Sent, UpdateSource, WebhookRequest,
    WebhookRoute, constant_time_eq,
};
use crate::content::AudioKind;
use crate::content::markdown::split_html;
use crate::domain::Locale;

/// Telegram's limits on one message.
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
pub const MAX_POLL_QUESTION: usize = 300;
pub const MAX_POLL_OPTION: usize = 100;
pub const MAX_POLL_EXPLANATION: usize = 200;

/// At most `max` characters (Telegram counts UTF-16 units; lesson checks keep content well
/// inside, this only guards generated prefixes).
fn truncate_chars(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut units = 0;
    for c in text.chars() {
        units += c.len_utf16();
        if units > max {
            break;
        }
        out.push(c);
    }
    out
}
pub const CHANNEL_NAME: &str = "telegram";

/// What the service knows of Telegram by name.
pub const PROFILE: Profile = Profile {
    name: CHANNEL_NAME,
    capabilities: Capabilities {
        quiz_polls: true,
        inline_buttons: true,
        voice_messages: true,
        location_requests: true,
        max_text_chars: MAX_TEXT,
        max_caption_chars: MAX_CAPTION,
        button_toasts: true,
    },
    operator: false,
    is_chat_id,
};

/// Chat ids are numbers (users' private chats are their user ids).
fn is_chat_id(text: &str) -> bool {
    text.parse::<i64>().is_ok()
}

/// Limits as Telegram documents them: about 30 messages per second for a bot, about one
/// per second in a private chat (where a short burst, a lesson's text and audio, is
/// tolerated), about 20 a minute in a group chat.
pub const LIMITS: Limits = Limits {
    // Telegram allows about 30; half a message a second less leaves ~17 ms of room in every
    // second for network jitter, so that no 429 comes back.
    global_per_second: 29.5,
    global_burst: 1.0,
    per_chat_per_second: 1.0,
    per_chat_burst: 3.0,
    per_group_per_minute: 20.0,
};

/// The overall limit with paid broadcasts (charged in Stars beyond the free 30/s).
pub const PAID_BROADCAST_PER_SECOND: f64 = 1000.0;

/// The header in which Telegram sends the webhook's secret token.
pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";
/// The update types the bot asks for, in getUpdates and setWebhook (`edited_message`: the
/// new positions of a live location).
pub const ALLOWED_UPDATES: &[&str] =
    &["message", "edited_message", "callback_query", "poll_answer"];
/// How long one send may take before it counts as failed (and is retried).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

pub struct TelegramChannel {
    /// teloxide, for updates and the command menu.
    bot: Bot,
    /// Our own client, for everything the courier and the replies send.
    api: BotApi,
    /// Send with `allow_paid_broadcast` (Telegram's paid broadcasts, up to 1000/s).
    paid_broadcast: bool,
    /// The public URL Telegram posts updates to (webhook mode).
    webhook_url: Option<String>,
    /// The secret Telegram sends with every webhook request.
    webhook_secret: Option<String>,
}

impl std::fmt::Debug for TelegramChannel {
    // `Bot`'s own Debug prints the token.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TelegramChannel").finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TelegramError {
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
    #[error("WEIKE_TELEGRAM_API_URL {0:?} is not a valid URL: {1}")]
    ApiUrl(String, String),
    /// `error` is without the bot token ([`TelegramChannel::failed`]).
    #[error("Telegram request {method} failed: {error}")]
    Request { method: &'static str, error: String },
    #[error(
        "no Telegram token: set WEIKE_TELEGRAM_TOKEN (or telegram_token in weike.toml); `weike chat` runs without one"
    )]
    NoToken,
    #[error("webhook mode needs {0}")]
    WebhookSetting(&'static str),
}

impl From<TelegramError> for ChannelError {
    fn from(e: TelegramError) -> Self {
        ChannelError::new(e)
    }
}

impl TelegramChannel {
    /// A failed request, its text without the bot token (teloxide's and reqwest's errors
    /// may show the URL, which holds it).
    fn failed(&self, method: &'static str, error: impl std::fmt::Display) -> TelegramError {
        TelegramError::Request {
            method,
            error: redact_token(&error.to_string(), self.bot.token()),
        }
    }

    /// `api_url` points at another Bot API server (self-hosted, or a test fake).
    pub fn new(token: &str, api_url: Option<&str>) -> Result<Self, TelegramError> {
        // teloxide's client registers the command menu and leaves webhook mode.
        let client = teloxide::net::default_reqwest_settings()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| TelegramError::Client(redact_token(&e.to_string(), token)))?;
        let mut bot = Bot::with_client(token, client);
        if let Some(url) = api_url {
            let parsed = url.parse::<reqwest::Url>().map_err(|e| {
                TelegramError::ApiUrl(
                    redact_token(url, token),
                    redact_token(&e.to_string(), token),
                )
            })?;
            bot = bot.set_api_url(parsed);
        }
        let api = BotApi::new(token, api_url, SEND_TIMEOUT)
            .map_err(|e| TelegramError::Client(redact_token(&e.to_string(), token)))?;
        Ok(Self {
            bot,
            api,
            paid_broadcast: false,
            webhook_url: None,
            webhook_secret: None,
        })
    }

    /// Sends every message as a paid broadcast (`allow_paid_broadcast`).
    pub fn with_paid_broadcast(mut self, paid: bool) -> Self {
        self.paid_broadcast = paid;
        self
    }

    /// Webhook mode's settings: the public URL Telegram posts to (its path is the route's)
    /// and the secret it sends with each request. Missing ones are refused by
    /// [`UpdateSource::webhook_route`] and [`UpdateSource::prepare`].
    pub fn with_webhook(mut self, url: Option<String>, secret: Option<String>) -> Self {
        self.webhook_url = url;
        self.webhook_secret = secret;
        self
    }

    fn webhook_settings(&self) -> Result<(&str, &str), TelegramError> {
        let url = self
            .webhook_url
            .as_deref()
            .ok_or(TelegramError::WebhookSetting(
                "WEIKE_WEBHOOK_URL (the public https:// URL Telegram posts to)",
            ))?;
        let secret = self
            .webhook_secret
            .as_deref()
            .ok_or(TelegramError::WebhookSetting(
                "WEIKE_WEBHOOK_SECRET (1-256 characters A-Z, a-z, 0-9, _ and -)",
            ))?;
        Ok((url, secret))
    }

    /// Registers the command menu per language (Telegram takes two-letter codes only, so
    /// zh-CN and zh-TW share the `zh` menu; the default menu is zh-CN).
    pub async fn set_commands(&self, commands: &[LanguageMenu]) -> Result<(), TelegramError> {
        let to_bot = |list: &Vec<(String, String)>| {
            list.iter()
                .map(|(c, d)| BotCommand::new(c.clone(), d.clone()))
                .collect::<Vec<_>>()
        };
        let failed = |e: RequestError| self.failed("setMyCommands", e);
        for (locale, list) in commands {
            if *locale == Locale::ZhTw {
                continue; // shares "zh" with zh-CN
            }
            self.bot
                .set_my_commands(to_bot(list))
                .language_code(locale.language_code())
                .await
                .map_err(failed)?;
            if *locale == Locale::DEFAULT {
                self.bot
                    .set_my_commands(to_bot(list))
                    .await
                    .map_err(failed)?;
            }
        }
        Ok(())
    }

    /// Fetches updates from `offset` on (waiting up to `timeout` for one to arrive), as
    /// Telegram sent them: the service stores each one before it handles it, so that an
    /// update that cannot be read or handled is kept, not lost.
    pub async fn poll(
        &self,
        offset: i64,
        timeout: Duration,
    ) -> Result<Vec<RawUpdate>, TelegramError> {
        let body = json!({
            "offset": offset,
            "timeout": timeout.as_secs(),
            "allowed_updates": ALLOWED_UPDATES,
        });
        let failed = |error: String| self.failed("getUpdates", error);
        // The server holds the request for up to `timeout`; the client waits a little longer.
        let result = self
            .api
            .call_with_timeout("getUpdates", &body, timeout + POLL_SLACK)
            .await
            .map_err(|e| failed(format!("{e:?}")))?;
        let Value::Array(updates) = result else {
            return Err(failed(format!("the result is not a list: {result}")));
        };
        let mut raw = Vec::with_capacity(updates.len());
        for update in updates {
            match update_key(&update) {
                Some((update_id, chat_key)) => raw.push(RawUpdate {
                    update_id,
                    chat_key,
                    payload: update.to_string(),
                }),
                // Without an id it can be neither stored nor confirmed; Telegram always
                // sends one.
                None => {
                    // Its kind only: the content is what a member wrote.
                    let keys: Vec<&String> = update
                        .as_object()
                        .map(|o| o.keys().collect())
                        .unwrap_or_default();
                    tracing::warn!(
                        ?keys,
                        "getUpdates returned an update without update_id: skipped"
                    );
                }
            }
        }
        Ok(raw)
    }

    /// Asks Telegram to deliver updates to `url`, with `secret` in every request's
    /// `X-Telegram-Bot-Api-Secret-Token` header.
    pub async fn set_webhook(&self, url: &str, secret: &str) -> Result<(), TelegramError> {
        let body = json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ALLOWED_UPDATES,
            "max_connections": 40,
        });
        self.api
            .call("setWebhook", &body)
            .await
            .map_err(|e| self.failed("setWebhook", format!("{e:?}")))?;
        Ok(())
    }

    /// Stops webhook delivery so that getUpdates works.
    pub async fn delete_webhook(&self) -> Result<(), TelegramError> {
        self.bot
            .delete_webhook()
            .await
            .map_err(|e| self.failed("deleteWebhook", e))?;
        Ok(())
    }
}

/// How much longer than the long-polling wait the client waits for getUpdates' answer.
const POLL_SLACK: Duration = Duration::from_secs(30);

/// The update id and the chat an update belongs to (for per-chat ordering), from a
/// webhook request's JSON. None if it is not an update.
pub fn update_key(update: &Value) -> Option<(i64, String)> {
    let id = update["update_id"].as_i64()?;
    let chat = update["message"]["chat"]["id"]
        .as_i64()
        .or_else(|| update["callback_query"]["message"]["chat"]["id"].as_i64())
        .or_else(|| update["callback_query"]["from"]["id"].as_i64())
        .or_else(|| update["edited_message"]["chat"]["id"].as_i64())
        .or_else(|| update["poll_answer"]["user"]["id"].as_i64());
    Some((
        id,
        chat.map_or_else(|| format!("update:{id}"), |c| c.to_string()),
    ))
}

/// A stored update as an inbound event (None: nothing to handle, such as a message in a
/// group). An error says why the update cannot be read.
pub fn parse_update(payload: &str) -> Result<Option<Inbound>, String> {
    // From the text, not from a `Value`: teloxide reads the update's kind with borrowed
    // keys, which a `Value` cannot lend.
    let update: Update = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    if let UpdateKind::Error(_) = &update.kind {
        // teloxide keeps an update it cannot read as an empty `Error`, without the reason.
        let value: Value = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        return Err(unreadable_reason(&value));
    }
    Ok(to_inbound(update))
}

/// The update without the places in it (`location` and `venue` objects anywhere: a shared
/// location, a live location's update, a venue, a quoted message's location), for keeping
/// an update that failed: a member's position is kept only under the location rules, in
/// the store's location tables. None when there is nothing to remove (or it is not JSON).
pub fn scrub_locations(payload: &str) -> Option<String> {
    fn scrub(value: &mut Value) -> bool {
        match value {
            Value::Object(map) => {
                let before = map.len();
                map.retain(|key, v| {
                    let place = matches!(key.as_str(), "location" | "venue")
                        || (v.get("latitude").is_some() && v.get("longitude").is_some());
                    !place
                });
                let mut removed = map.len() != before;
                for v in map.values_mut() {
                    removed |= scrub(v);
                }
                removed
            }
            Value::Array(items) => items.iter_mut().fold(false, |acc, v| scrub(v) | acc),
            _ => false,
        }
    }
    let mut value: Value = serde_json::from_str(payload).ok()?;
    scrub(&mut value).then(|| value.to_string())
}

/// Why teloxide could not read an update: the error of reading its part as the type the
/// Bot API documents for it.
fn unreadable_reason(update: &Value) -> String {
    fn reason<T: serde::de::DeserializeOwned>(kind: &str, part: &Value) -> String {
        match serde_json::from_value::<T>(part.clone()) {
            Err(e) => format!("{kind}: {e}"),
            Ok(_) => format!("{kind}: not understood"),
        }
    }
    let Some((kind, part)) = update
        .as_object()
        .and_then(|o| o.iter().find(|(k, _)| k.as_str() != "update_id"))
    else {
        return "the update has no content".into();
    };
    match kind.as_str() {
        "message" | "edited_message" => reason::<Message>(kind, part),
        "callback_query" => reason::<teloxide::types::CallbackQuery>(kind, part),
        "poll_answer" => reason::<teloxide::types::PollAnswer>(kind, part),
        other => format!("an update of kind {other:?} that the bot does not know"),
    }
}

fn to_inbound(update: Update) -> Option<Inbound> {
    match update.kind {
        UpdateKind::Message(msg) => message_inbound(&msg, false),
        UpdateKind::EditedMessage(msg) => message_inbound(&msg, true),
        UpdateKind::CallbackQuery(q) => {
            let chat_id = q
                .message
                .as_ref()
                .map(|m| m.chat().id.0)
                .unwrap_or(q.from.id.0 as i64);
            Some(Inbound {
                channel: CHANNEL_NAME.into(),
                chat_id: chat_id.to_string(),
                language: q.from.language_code.clone(),
                event: InboundEvent::Button {
                    callback_id: q.id.0.clone(),
                    data: q.data.clone().unwrap_or_default(),
                    message_id: q.message.as_ref().map(|m| m.id().0.to_string()),
                },
            })
        }
        UpdateKind::PollAnswer(answer) => {
            // Only members' own answers: an anonymous (chat) vote cannot be ours.
            let MaybeAnonymousUser::User(user) = answer.voter else {
                return None;
            };
            Some(Inbound {
                channel: CHANNEL_NAME.into(),
                // A private chat's id is the user's id.
                chat_id: user.id.0.to_string(),
                language: user.language_code.clone(),
                event: InboundEvent::PollAnswer {
                    poll_id: answer.poll_id.0.clone(),
                    option: answer.option_ids.first().map(|o| usize::from(*o)),
                },
            })
        }
        _ => None,
    }
}

/// A message in a private chat (or, with `edited`, an edit of one) as an inbound event.
fn message_inbound(msg: &Message, edited: bool) -> Option<Inbound> {
    if !msg.chat.is_private() {
        return None;
    }
    let event = if edited {
        // Of a sent message only a live location keeps changing: an edit that carries a
        // location is a new position of a live share. Edited texts and captions are ignored.
        let (lat, lon) = location_of(msg)?;
        InboundEvent::Location {
            lat,
            lon,
            live: true,
        }
    } else if let Some(text) = msg.text() {
        InboundEvent::Text(text.to_string())
    } else if let Some((lat, lon)) = location_of(msg) {
        // Also the first message of a live share (its location has `live_period`).
        InboundEvent::Location {
            lat,
            lon,
            live: false,
        }
    } else {
        let (kind, file_id) = media_of(msg)?;
        InboundEvent::Media {
            kind,
            file_id,
            caption: msg.caption().unwrap_or_default().to_string(),
        }
    };
    Some(Inbound {
        channel: CHANNEL_NAME.into(),
        chat_id: msg.chat.id.0.to_string(),
        language: msg.from.as_ref().and_then(|u| u.language_code.clone()),
        event,
    })
}

/// The (latitude, longitude) of a shared location or venue.
fn location_of(msg: &Message) -> Option<(f64, f64)> {
    msg.location()
        .or_else(|| msg.venue().map(|v| &v.location))
        .map(|l| (l.latitude, l.longitude))
}

/// The first part of a caption that may be too long.
fn first_caption(html: &str) -> String {
    split_html(html, MAX_CAPTION)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A photo, audio, voice or document in a message: (kind, file id).
fn media_of(msg: &Message) -> Option<(MediaKind, String)> {
    if let Some(sizes) = msg.photo() {
        // The largest size comes last.
        return sizes
            .last()
            .map(|p| (MediaKind::Photo, p.file.id.0.clone()));
    }
    if let Some(a) = msg.audio() {
        return Some((MediaKind::Audio, a.file.id.0.clone()));
    }
    if let Some(v) = msg.voice() {
        return Some((MediaKind::Voice, v.file.id.0.clone()));
    }
    msg.document()
        .map(|d| (MediaKind::Document, d.file.id.0.clone()))
}

fn parse_chat(chat_id: &str) -> Result<i64, SendError> {
    chat_id
        .parse::<i64>()
        .map_err(|_| SendError::Rejected(format!("{chat_id:?} is not a Telegram chat id")))
}

/// The message id in a send's result.
fn message_id(result: &Value) -> Option<String> {
    result["message_id"].as_i64().map(|id| id.to_string())
}

/// The `sendVenue` body; refuses coordinates that are not numbers (JSON has no NaN).
fn venue_body(
    chat: i64,
    lat: f64,
    lon: f64,
    title: &str,
    address: &str,
) -> Result<Value, SendError> {
    if !lat.is_finite() || !lon.is_finite() {
        return Err(SendError::Rejected(format!(
            "({lat}, {lon}) is not a location"
        )));
    }
    Ok(json!({
        "chat_id": chat,
        "latitude": lat,
        "longitude": lon,
        "title": title,
        "address": address,
    }))
}

/// What a send produced: the id of its message.
fn sent(result: &Value) -> Sent {
    Sent {
        message_id: message_id(result),
        ..Sent::default()
    }
}

/// A message id of ours as Telegram has it (a number).
fn telegram_message_id(message_id: &str) -> Result<i64, SendError> {
    message_id
        .parse::<i64>()
        .map_err(|_| SendError::Rejected(format!("{message_id:?} is not a Telegram message id")))
}

impl TelegramChannel {
    /// Calls a send method with `body` (a paid broadcast if so configured); its result.
    async fn call_send(&self, method: &str, mut body: Value) -> Result<Value, SendError> {
        if self.paid_broadcast {
            body["allow_paid_broadcast"] = json!(true);
        }
        self.api
            .call(method, &body)
            .await
            .map_err(ApiFailure::classify)
    }

    /// Sends `file` with `method` as the form field `field`, with the text `fields` (a paid
    /// broadcast if so configured); the result.
    async fn upload(
        &self,
        method: &str,
        field: &str,
        file: FileRef<'_>,
        mut fields: Value,
    ) -> Result<Value, SendError> {
        if self.paid_broadcast {
            fields["allow_paid_broadcast"] = json!(true);
        }
        self.api
            .call_with_file(method, field, file, &fields)
            .await
            .map_err(ApiFailure::classify)
    }

    /// Edits a message with `method`; an edit that changes nothing is no failure.
    async fn edit(&self, method: &str, body: &Value) -> Result<Sent, SendError> {
        match self.api.call(method, body).await {
            Ok(_) => Ok(Sent::default()),
            Err(ApiFailure::Status { description, .. })
                if description.contains("message is not modified") =>
            {
                Ok(Sent::default())
            }
            Err(e) => Err(e.classify()),
        }
    }

    /// Sends `html` as text messages (split if too long, HTML parse mode) with `markup`
    /// under the last one.
    async fn send_text(
        &self,
        chat: i64,
        html: &str,
        markup: Option<Value>,
    ) -> Result<Sent, SendError> {
        let parts = split_html(html, MAX_TEXT);
        let count = parts.len();
        let mut last = None;
        for (i, part) in parts.into_iter().enumerate() {
            let mut body = json!({"chat_id": chat, "text": part, "parse_mode": "HTML"});
            if i + 1 == count
                && let Some(markup) = &markup
            {
                body["reply_markup"] = markup.clone();
            }
            last = message_id(&self.call_send("sendMessage", body).await?);
        }
        Ok(Sent {
            message_id: last,
            ..Sent::default()
        })
    }
}

/// The webhook: Telegram posts each update as JSON to the path of the webhook URL, with the
/// secret in [`SECRET_HEADER`].
struct TelegramWebhook {
    path: String,
    secret: String,
}

impl WebhookRoute for TelegramWebhook {
    fn channel(&self) -> &str {
        CHANNEL_NAME
    }

    fn path(&self) -> &str {
        &self.path
    }

    fn admits(&self, request: &WebhookRequest<'_>) -> bool {
        let given = request
            .headers
            .get(SECRET_HEADER)
            .map(|v| v.as_bytes())
            .unwrap_or_default();
        constant_time_eq(given, self.secret.as_bytes())
    }

    fn read(&self, _request: &WebhookRequest<'_>, body: &str) -> Option<RawUpdate> {
        let (update_id, chat_key) = update_key(&serde_json::from_str(body).ok()?)?;
        Some(RawUpdate {
            update_id,
            chat_key,
            payload: body.to_string(),
        })
    }
}

#[async_trait::async_trait]
impl UpdateSource for TelegramChannel {
    /// Polling: leaves webhook mode (getUpdates fails while a webhook is set). Webhook:
    /// points Telegram at the webhook URL with the secret. Either way registers the command
    /// menu.
    async fn prepare(&self, mode: Mode, menu: &[LanguageMenu]) -> Result<(), ChannelError> {
        match mode {
            Mode::Polling => self.delete_webhook().await?,
            Mode::Webhook => {
                let (url, secret) = self.webhook_settings()?;
                self.set_webhook(url, secret).await?;
            }
        }
        self.set_commands(menu).await?;
        Ok(())
    }

    /// getUpdates from the offset in `cursor`; the next cursor is past the last update.
    async fn fetch_updates(
        &self,
        cursor: Option<&str>,
        timeout: Duration,
    ) -> Result<Polled, ChannelError> {
        let offset = cursor.and_then(|c| c.parse::<i64>().ok()).unwrap_or(0);
        let updates = self.poll(offset, timeout).await?;
        let cursor = updates
            .iter()
            .map(|u| u.update_id)
            .max()
            .map(|last| (last + 1).to_string());
        Ok(Polled { updates, cursor })
    }

    fn webhook_route(&self) -> Result<Arc<dyn WebhookRoute>, ChannelError> {
        let (url, secret) = self.webhook_settings()?;
        let path = url::Url::parse(url)
            .map(|u| u.path().to_string())
            .unwrap_or_else(|_| "/".into());
        Ok(Arc::new(TelegramWebhook {
            path,
            secret: secret.to_string(),
        }))
    }

    fn parse_update(&self, payload: &str) -> Result<Option<Inbound>, String> {
        parse_update(payload)
    }

    fn scrub_update(&self, payload: &str) -> Option<String> {
        scrub_locations(payload)
    }
}

#[async_trait::async_trait]
impl Channel for TelegramChannel {
    fn profile(&self) -> &'static Profile {
        &PROFILE
    }

    fn limits(&self) -> Limits {
        if self.paid_broadcast {
            Limits {
                global_per_second: PAID_BROADCAST_PER_SECOND,
                ..LIMITS
            }
        } else {
            LIMITS
        }
    }

    /// Group and channel chats have ids below zero.
    fn is_group_chat(&self, chat_id: &str) -> bool {
        chat_id.starts_with('-')
    }

    /// A text longer than Telegram's 4,096 characters is split at paragraph, line or
    /// sentence boundaries (HTML tags closed and reopened), the buttons under the last part.
    fn parts(&self, message: &Outbound) -> Vec<Outbound> {
        match message {
            Outbound::Text { html, buttons } => {
                let parts = split_html(html, MAX_TEXT);
                let count = parts.len();
                parts
                    .into_iter()
                    .enumerate()
                    .map(|(i, part)| Outbound::Text {
                        html: part,
                        buttons: if i + 1 == count {
                            buttons.clone()
                        } else {
                            Vec::new()
                        },
                    })
                    .collect()
            }
            other => vec![other.clone()],
        }
    }

    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let chat = parse_chat(chat_id)?;
        match message {
            Outbound::Text { html, buttons } => {
                let markup = (!buttons.is_empty()).then(|| inline_keyboard(buttons));
                self.send_text(chat, html, markup).await
            }
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                let mut fields = json!({"chat_id": chat, "caption": first_caption(caption_html), "parse_mode": "HTML"});
                if !buttons.is_empty() {
                    fields["reply_markup"] = inline_keyboard(buttons);
                }
                let (method, field) = match audio.kind {
                    AudioKind::Voice => ("sendVoice", "voice"),
                    AudioKind::Audio => ("sendAudio", "audio"),
                };
                let file = match &audio.file_id {
                    Some(id) => FileRef::Id(id),
                    None => FileRef::Upload(&audio.path),
                };
                let result = self.upload(method, field, file, fields).await?;
                Ok(Sent {
                    message_id: message_id(&result),
                    file_id: result[field]["file_id"].as_str().map(str::to_string),
                    poll_id: None,
                })
            }
            Outbound::Quiz {
                question,
                options,
                correct,
                explanation,
                open_seconds,
                ..
            } => {
                let mut body = json!({
                    "chat_id": chat,
                    "question": truncate_chars(question, MAX_POLL_QUESTION),
                    "options": options
                        .iter()
                        .map(|o| json!({"text": truncate_chars(o, MAX_POLL_OPTION)}))
                        .collect::<Vec<_>>(),
                    "type": "quiz",
                    "is_anonymous": false,
                    "correct_option_id": correct,
                });
                if !explanation.is_empty() {
                    body["explanation"] = json!(truncate_chars(explanation, MAX_POLL_EXPLANATION));
                }
                if let Some(seconds) = open_seconds {
                    body["open_period"] = json!(seconds);
                }
                let result = self.call_send("sendPoll", body).await?;
                Ok(Sent {
                    message_id: message_id(&result),
                    file_id: None,
                    poll_id: result["poll"]["id"].as_str().map(str::to_string),
                })
            }
            Outbound::Photo {
                png: bytes,
                file_name,
                caption_html,
            }
            | Outbound::Document {
                bytes,
                file_name,
                caption_html,
            } => {
                let (method, field) = match message {
                    Outbound::Photo { .. } => ("sendPhoto", "photo"),
                    _ => ("sendDocument", "document"),
                };
                let fields = json!({"chat_id": chat, "caption": first_caption(caption_html), "parse_mode": "HTML"});
                let file = FileRef::Bytes {
                    name: file_name,
                    bytes: bytes.as_slice(),
                };
                Ok(sent(&self.upload(method, field, file, fields).await?))
            }
            Outbound::Media {
                kind,
                file_id,
                caption_html,
            } => {
                let (method, field) = match kind {
                    MediaKind::Photo => ("sendPhoto", "photo"),
                    MediaKind::Audio => ("sendAudio", "audio"),
                    MediaKind::Voice => ("sendVoice", "voice"),
                    MediaKind::Document => ("sendDocument", "document"),
                };
                let mut body = json!({"chat_id": chat, "caption": first_caption(caption_html), "parse_mode": "HTML"});
                body[field] = json!(file_id);
                Ok(sent(&self.call_send(method, body).await?))
            }
            Outbound::EditText {
                message_id,
                html,
                buttons,
            } => {
                let id = telegram_message_id(message_id)?;
                let text = split_html(html, MAX_TEXT)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let mut body =
                    json!({"chat_id": chat, "message_id": id, "text": text, "parse_mode": "HTML"});
                if !buttons.is_empty() {
                    body["reply_markup"] = inline_keyboard(buttons);
                }
                self.edit("editMessageText", &body).await
            }
            Outbound::EditButtons {
                message_id,
                buttons,
            } => {
                let id = telegram_message_id(message_id)?;
                let body = json!({"chat_id": chat, "message_id": id, "reply_markup": inline_keyboard(buttons)});
                self.edit("editMessageReplyMarkup", &body).await
            }
            Outbound::Venue {
                lat,
                lon,
                title,
                address,
            } => {
                let body = venue_body(chat, *lat, *lon, title, address)?;
                Ok(sent(&self.call_send("sendVenue", body).await?))
            }
            Outbound::AskLocation { html, button_label } => {
                self.send_text(chat, html, Some(location_request_keyboard(button_label)))
                    .await
            }
            Outbound::AnswerButton { callback_id, text } => {
                let mut body = json!({"callback_query_id": callback_id});
                if let Some(text) = text {
                    body["text"] = json!(text.chars().take(200).collect::<String>());
                }
                self.api
                    .call("answerCallbackQuery", &body)
                    .await
                    .map_err(ApiFailure::classify)?;
                Ok(Sent::default())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn telegram_errors_come_without_the_token() {
        let token = "4242:SECRET-part_of-the-token";
        let error = TelegramChannel::new(token, Some(&format!("not a url/bot{token}")))
            .unwrap_err()
            .to_string();
        assert!(!error.contains("SECRET"), "{error}");
        assert!(error.contains("\"not a url/bot<token>\""), "{error}");
        let channel = TelegramChannel::new(token, Some("http://127.0.0.1:9")).unwrap();
        let error = channel
            .failed(
                "deleteWebhook",
                format!(
                    "error sending request for url (http://127.0.0.1:9/bot{token}/DeleteWebhook)"
                ),
            )
            .to_string();
        assert_eq!(
            error,
            "Telegram request deleteWebhook failed: error sending request for url (http://127.0.0.1:9/bot<token>/DeleteWebhook)"
        );
    }

    fn update(kind: &str, message: Value) -> String {
        json!({"update_id": 7, kind: message}).to_string()
    }

    fn message(extra: Value) -> Value {
        let mut message = json!({
            "message_id": 3,
            "from": {"id": 42, "is_bot": false, "first_name": "U", "language_code": "zh-hant"},
            "chat": {"id": 42, "type": "private", "first_name": "U"},
            "date": 1_790_000_000,
        });
        message
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        message
    }

    fn event(payload: &str) -> Option<InboundEvent> {
        parse_update(payload).unwrap().map(|inbound| {
            assert_eq!(inbound.channel, CHANNEL_NAME);
            assert_eq!(inbound.chat_id, "42");
            assert_eq!(inbound.language.as_deref(), Some("zh-hant"));
            inbound.event
        })
    }

    #[test]
    fn shared_locations_and_venues_are_locations() {
        let location = json!({"location": {"latitude": 30.5928, "longitude": 114.3055}});
        assert_eq!(
            event(&update("message", message(location))),
            Some(InboundEvent::Location {
                lat: 30.5928,
                lon: 114.3055,
                live: false
            })
        );
        // The first message of a live share.
        let live = json!({"location": {"latitude": 30.5, "longitude": 114.3, "live_period": 900}});
        assert_eq!(
            event(&update("message", message(live))),
            Some(InboundEvent::Location {
                lat: 30.5,
                lon: 114.3,
                live: false
            })
        );
        let venue = json!({
            "venue": {
                "location": {"latitude": 22.3, "longitude": 114.17},
                "title": "会议室",
                "address": "东湖路 1 号",
            },
            "location": {"latitude": 22.3, "longitude": 114.17},
        });
        assert_eq!(
            event(&update("message", message(venue))),
            Some(InboundEvent::Location {
                lat: 22.3,
                lon: 114.17,
                live: false
            })
        );
    }

    #[test]
    fn edited_locations_are_live_updates_and_other_edits_are_ignored() {
        let moved = json!({
            "edit_date": 1_790_000_060,
            "location": {"latitude": 30.6, "longitude": 114.4, "live_period": 900, "heading": 90},
        });
        assert_eq!(
            event(&update("edited_message", message(moved))),
            Some(InboundEvent::Location {
                lat: 30.6,
                lon: 114.4,
                live: true
            })
        );
        let edited_text = json!({"edit_date": 1_790_000_060, "text": "改过的"});
        assert_eq!(event(&update("edited_message", message(edited_text))), None);

        // Not in a private chat: ignored, edited or not.
        let mut group = message(json!({
            "edit_date": 1_790_000_060,
            "location": {"latitude": 30.6, "longitude": 114.4, "live_period": 900},
        }));
        group["chat"] = json!({"id": -100, "type": "group", "title": "G"});
        assert_eq!(
            parse_update(&update("edited_message", group.clone())).unwrap(),
            None
        );
        assert_eq!(parse_update(&update("message", group)).unwrap(), None);

        // Per-chat ordering of stored webhook updates knows the edit's chat.
        let payload: Value = serde_json::from_str(&update(
            "edited_message",
            message(json!({"edit_date": 1, "text": "x"})),
        ))
        .unwrap();
        assert_eq!(update_key(&payload), Some((7, "42".to_string())));
    }

    #[test]
    fn texts_and_media_parse_as_before() {
        assert_eq!(
            event(&update("message", message(json!({"text": "/start"})))),
            Some(InboundEvent::Text("/start".into()))
        );
        let voice = json!({
            // As Telegram sends it (teloxide needs `mime_type` to see a voice message).
            "voice": {"file_id": "F1", "file_unique_id": "U1", "duration": 3,
                      "mime_type": "audio/ogg", "file_size": 4000},
            "caption": "听",
        });
        assert_eq!(
            event(&update("message", message(voice))),
            Some(InboundEvent::Media {
                kind: MediaKind::Voice,
                file_id: "F1".into(),
                caption: "听".into()
            })
        );
    }

    #[test]
    fn places_are_scrubbed_from_a_kept_update() {
        let payload = json!({
            "update_id": 9,
            "edited_message": {
                "message_id": 3,
                "chat": {"id": 42, "type": "private"},
                "location": {"latitude": 31.23, "longitude": 121.47, "live_period": 900},
                "reply_to_message": {"venue": {"location": {"latitude": 1.0, "longitude": 2.0},
                                               "title": "x", "address": "y"}},
            }
        })
        .to_string();
        let scrubbed = scrub_locations(&payload).expect("something removed");
        assert!(
            !scrubbed.contains("latitude") && !scrubbed.contains("31.23"),
            "{scrubbed}"
        );
        let kept: Value = serde_json::from_str(&scrubbed).unwrap();
        assert_eq!(kept["edited_message"]["chat"]["id"], 42);
        assert_eq!(kept["update_id"], 9);
        assert_eq!(
            scrub_locations(r#"{"update_id": 1, "message": {"text": "hi"}}"#),
            None
        );
        assert_eq!(scrub_locations("not json"), None);
    }

    #[test]
    fn an_unreadable_update_is_an_error_with_its_reason() {
        // A message whose chat is not an object: teloxide keeps it as `UpdateKind::Error`.
        let payload = r#"{"update_id": 7, "message": {"message_id": 1, "date": 0, "chat": "x"}}"#;
        let reason = parse_update(payload).unwrap_err();
        assert!(reason.starts_with("message: "), "{reason}");
        let payload = r#"{"update_id": 8, "chat_boost": {"x": 1}}"#;
        let reason = parse_update(payload).unwrap_err();
        assert!(reason.contains("\"chat_boost\""), "{reason}");
        assert!(parse_update("{").is_err());
    }

    #[test]
    fn the_webhook_route_checks_the_secret_and_reads_updates() {
        let channel = TelegramChannel::new("1:x", Some("http://127.0.0.1:9")).unwrap();
        let missing = channel.webhook_route().err().unwrap().to_string();
        assert_eq!(
            missing,
            "webhook mode needs WEIKE_WEBHOOK_URL (the public https:// URL Telegram posts to)"
        );
        let channel = channel.with_webhook(
            Some("https://bot.example.org/telegram/hook".into()),
            Some("s3cret".into()),
        );
        let route = channel.webhook_route().unwrap();
        assert_eq!(
            (route.channel(), route.path()),
            (CHANNEL_NAME, "/telegram/hook")
        );
        let mut headers = axum::http::HeaderMap::new();
        let request = |headers: &axum::http::HeaderMap| {
            let request = WebhookRequest {
                headers,
                query: None,
            };
            route.admits(&request)
        };
        assert!(!request(&headers));
        headers.insert(SECRET_HEADER, "wrong".parse().unwrap());
        assert!(!request(&headers));
        headers.insert("X-Telegram-Bot-Api-Secret-Token", "s3cret".parse().unwrap());
        assert!(request(&headers));
        let request = WebhookRequest {
            headers: &headers,
            query: None,
        };
        let body = update("message", message(json!({"text": "hi"})));
        assert_eq!(
            route.read(&request, &body),
            Some(RawUpdate {
                update_id: 7,
                chat_key: "42".into(),
                payload: body.clone()
            })
        );
        assert_eq!(route.read(&request, r#"{"hello": 1}"#), None);
        assert_eq!(route.read(&request, "not json"), None);
    }

    #[test]
    fn limits_and_group_chats() {
        let channel = TelegramChannel::new("1:x", None).unwrap();
        assert_eq!(channel.limits(), LIMITS);
        assert_eq!(
            channel.with_paid_broadcast(true).limits().global_per_second,
            PAID_BROADCAST_PER_SECOND
        );
        let channel = TelegramChannel::new("1:x", None).unwrap();
        assert!(channel.is_group_chat("-100123"));
        assert!(!channel.is_group_chat("42"));
        assert_eq!(channel.file_cache_key(), CHANNEL_NAME);
        assert!((PROFILE.is_chat_id)("-100123") && !(PROFILE.is_chat_id)("alice"));
    }

    #[test]
    fn venue_body_has_the_fields_telegram_requires() {
        assert_eq!(
            venue_body(42, 30.5, 114.25, "青山党校", "和平大道 1 号").unwrap(),
            json!({
                "chat_id": 42,
                "latitude": 30.5,
                "longitude": 114.25,
                "title": "青山党校",
                "address": "和平大道 1 号",
            })
        );
        assert!(matches!(
            venue_body(42, f64::NAN, 114.25, "t", "a"),
            Err(SendError::Rejected(_))
        ));
        assert!(matches!(
            venue_body(42, 30.5, f64::INFINITY, "t", "a"),
            Err(SendError::Rejected(_))
        ));
    }
}
