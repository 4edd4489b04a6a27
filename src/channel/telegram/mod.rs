//! The Telegram adapter: Outbound messages to Bot API calls (through teloxide), Bot API
//! updates to Inbound events. No other module sees a Telegram type.

use std::time::Duration;

pub mod bot_api;

use serde_json::{Value, json};
use teloxide::payloads::{GetUpdatesSetters, SetMyCommandsSetters};
use teloxide::prelude::Requester;
use teloxide::types::{AllowedUpdate, BotCommand, MaybeAnonymousUser, Update, UpdateKind};
use teloxide::{Bot, RequestError};

use bot_api::{ApiFailure, BotApi, FileRef, inline_keyboard};

use super::{Channel, Inbound, InboundEvent, MediaKind, Outbound, SendError, Sent};
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
/// How long one send may take before it counts as failed (and is retried).
pub const SEND_TIMEOUT: Duration = Duration::from_secs(20);

pub struct TelegramChannel {
    /// teloxide, for updates and the command menu.
    bot: Bot,
    /// Our own client, for everything the courier and the replies send.
    api: BotApi,
    /// Send with `allow_paid_broadcast` (Telegram's paid broadcasts, up to 1000/s).
    paid_broadcast: bool,
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
    #[error("Telegram request {method} failed: {error}")]
    Request { method: &'static str, error: String },
}

impl TelegramChannel {
    /// `api_url` points at another Bot API server (self-hosted, or a test fake).
    pub fn new(token: &str, api_url: Option<&str>) -> Result<Self, TelegramError> {
        // Long polling waits up to `POLL_TIMEOUT` on the server, so the client waits longer.
        let client = teloxide::net::default_reqwest_settings()
            .timeout(Duration::from_secs(60))
            .build()
            .map_err(|e| TelegramError::Client(e.to_string()))?;
        let mut bot = Bot::with_client(token, client);
        if let Some(url) = api_url {
            let parsed = url
                .parse::<reqwest::Url>()
                .map_err(|e| TelegramError::ApiUrl(url.to_string(), e.to_string()))?;
            bot = bot.set_api_url(parsed);
        }
        let api = BotApi::new(token, api_url, SEND_TIMEOUT)
            .map_err(|e| TelegramError::Client(e.to_string()))?;
        Ok(Self {
            bot,
            api,
            paid_broadcast: false,
        })
    }

    /// Sends every message as a paid broadcast (`allow_paid_broadcast`).
    pub fn with_paid_broadcast(mut self, paid: bool) -> Self {
        self.paid_broadcast = paid;
        self
    }

    /// Registers the command menu per language (Telegram takes two-letter codes only, so
    /// zh-CN and zh-TW share the `zh` menu; the default menu is zh-CN).
    pub async fn set_commands(
        &self,
        commands: &[(Locale, Vec<(String, String)>)],
    ) -> Result<(), TelegramError> {
        let to_bot = |list: &Vec<(String, String)>| {
            list.iter()
                .map(|(c, d)| BotCommand::new(c.clone(), d.clone()))
                .collect::<Vec<_>>()
        };
        let failed = |e: RequestError| TelegramError::Request {
            method: "setMyCommands",
            error: e.to_string(),
        };
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

    /// Fetches updates from `offset` on (waiting up to `timeout` for one to arrive) and
    /// returns them as (update id, inbound event); updates we do not handle come back as
    /// `None` so that the caller still moves past them.
    pub async fn poll(
        &self,
        offset: i64,
        timeout: Duration,
    ) -> Result<Vec<(i64, Option<Inbound>)>, TelegramError> {
        let updates = self
            .bot
            .get_updates()
            .offset(i32::try_from(offset).unwrap_or(i32::MAX))
            .timeout(u32::try_from(timeout.as_secs()).unwrap_or(30))
            .allowed_updates(vec![
                AllowedUpdate::Message,
                AllowedUpdate::CallbackQuery,
                AllowedUpdate::PollAnswer,
            ])
            .await
            .map_err(|e| TelegramError::Request {
                method: "getUpdates",
                error: e.to_string(),
            })?;
        Ok(updates
            .into_iter()
            .map(|u| (i64::from(u.id.0), to_inbound(u)))
            .collect())
    }

    /// Asks Telegram to deliver updates to `url`, with `secret` in every request's
    /// `X-Telegram-Bot-Api-Secret-Token` header.
    pub async fn set_webhook(&self, url: &str, secret: &str) -> Result<(), TelegramError> {
        let body = json!({
            "url": url,
            "secret_token": secret,
            "allowed_updates": ["message", "callback_query", "poll_answer"],
            "max_connections": 40,
        });
        self.api
            .call("setWebhook", &body)
            .await
            .map_err(|e| TelegramError::Request {
                method: "setWebhook",
                error: format!("{e:?}"),
            })?;
        Ok(())
    }

    /// Stops webhook delivery so that getUpdates works.
    pub async fn delete_webhook(&self) -> Result<(), TelegramError> {
        self.bot
            .delete_webhook()
            .await
            .map_err(|e| TelegramError::Request {
                method: "deleteWebhook",
                error: e.to_string(),
            })?;
        Ok(())
    }
}

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

/// An update as stored from the webhook, as an inbound event (None: nothing to handle).
pub fn parse_update(payload: &str) -> Result<Option<Inbound>, String> {
    let update: Update = serde_json::from_str(payload).map_err(|e| e.to_string())?;
    Ok(to_inbound(update))
}

fn to_inbound(update: Update) -> Option<Inbound> {
    match update.kind {
        UpdateKind::Message(msg) => {
            if !msg.chat.is_private() {
                return None;
            }
            let event = match (msg.text(), media_of(&msg)) {
                (Some(text), _) => InboundEvent::Text(text.to_string()),
                (None, Some((kind, file_id))) => InboundEvent::Media {
                    kind,
                    file_id,
                    caption: msg.caption().unwrap_or_default().to_string(),
                },
                (None, None) => return None,
            };
            Some(Inbound {
                channel: CHANNEL_NAME.into(),
                chat_id: msg.chat.id.0.to_string(),
                language: msg.from.as_ref().and_then(|u| u.language_code.clone()),
                event,
            })
        }
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

/// The first part of a caption that may be too long.
fn first_caption(html: &str) -> String {
    split_html(html, MAX_CAPTION)
        .into_iter()
        .next()
        .unwrap_or_default()
}

/// A photo, audio, voice or document in a message: (kind, file id).
fn media_of(msg: &teloxide::types::Message) -> Option<(MediaKind, String)> {
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

#[async_trait::async_trait]
impl Channel for TelegramChannel {
    fn name(&self) -> &str {
        CHANNEL_NAME
    }

    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let chat = parse_chat(chat_id)?;
        match message {
            Outbound::Text { html, buttons } => {
                let parts = split_html(html, MAX_TEXT);
                let count = parts.len();
                let mut last = None;
                for (i, part) in parts.into_iter().enumerate() {
                    let mut body = json!({"chat_id": chat, "text": part, "parse_mode": "HTML"});
                    if self.paid_broadcast {
                        body["allow_paid_broadcast"] = json!(true);
                    }
                    if i + 1 == count && !buttons.is_empty() {
                        body["reply_markup"] = inline_keyboard(buttons);
                    }
                    let result = self
                        .api
                        .call("sendMessage", &body)
                        .await
                        .map_err(ApiFailure::classify)?;
                    last = message_id(&result);
                }
                Ok(Sent {
                    message_id: last,
                    ..Sent::default()
                })
            }
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                let caption = split_html(caption_html, MAX_CAPTION)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let mut fields = json!({"chat_id": chat, "caption": caption, "parse_mode": "HTML"});
                if self.paid_broadcast {
                    fields["allow_paid_broadcast"] = json!(true);
                }
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
                let result = self
                    .api
                    .call_with_file(method, field, file, &fields)
                    .await
                    .map_err(ApiFailure::classify)?;
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
                if self.paid_broadcast {
                    body["allow_paid_broadcast"] = json!(true);
                }
                let result = self
                    .api
                    .call("sendPoll", &body)
                    .await
                    .map_err(ApiFailure::classify)?;
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
                let mut fields = json!({"chat_id": chat, "caption": first_caption(caption_html), "parse_mode": "HTML"});
                if self.paid_broadcast {
                    fields["allow_paid_broadcast"] = json!(true);
                }
                let result = self
                    .api
                    .call_with_file(
                        method,
                        field,
                        FileRef::Bytes {
                            name: file_name,
                            bytes: bytes.as_slice(),
                        },
                        &fields,
                    )
                    .await
                    .map_err(ApiFailure::classify)?;
                Ok(Sent {
                    message_id: message_id(&result),
                    ..Sent::default()
                })
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
                if self.paid_broadcast {
                    body["allow_paid_broadcast"] = json!(true);
                }
                let result = self
                    .api
                    .call(method, &body)
                    .await
                    .map_err(ApiFailure::classify)?;
                Ok(Sent {
                    message_id: message_id(&result),
                    ..Sent::default()
                })
            }
            Outbound::EditText {
                message_id,
                html,
                buttons,
            } => {
                let id = message_id.parse::<i64>().map_err(|_| {
                    SendError::Rejected(format!("{message_id:?} is not a Telegram message id"))
                })?;
                let text = split_html(html, MAX_TEXT)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let mut body =
                    json!({"chat_id": chat, "message_id": id, "text": text, "parse_mode": "HTML"});
                if !buttons.is_empty() {
                    body["reply_markup"] = inline_keyboard(buttons);
                }
                match self.api.call("editMessageText", &body).await {
                    Ok(_) => Ok(Sent::default()),
                    Err(ApiFailure::Status { description, .. })
                        if description.contains("message is not modified") =>
                    {
                        Ok(Sent::default())
                    }
                    Err(e) => Err(e.classify()),
                }
            }
            Outbound::EditButtons {
                message_id,
                buttons,
            } => {
                let id = message_id.parse::<i64>().map_err(|_| {
                    SendError::Rejected(format!("{message_id:?} is not a Telegram message id"))
                })?;
                let body = json!({"chat_id": chat, "message_id": id, "reply_markup": inline_keyboard(buttons)});
                match self.api.call("editMessageReplyMarkup", &body).await {
                    Ok(_) => Ok(Sent::default()),
                    Err(ApiFailure::Status { description, .. })
                        if description.contains("message is not modified") =>
                    {
                        Ok(Sent::default())
                    }
                    Err(e) => Err(e.classify()),
                }
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
