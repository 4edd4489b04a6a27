//! The Telegram adapter: Outbound messages to Bot API calls (through teloxide), Bot API
//! updates to Inbound events. No other module sees a Telegram type.

use std::time::Duration;

use teloxide::payloads::{
    AnswerCallbackQuerySetters, EditMessageReplyMarkupSetters, GetUpdatesSetters, SendAudioSetters,
    SendMessageSetters, SendVoiceSetters, SetMyCommandsSetters,
};
use teloxide::prelude::Requester;
use teloxide::types::{
    AllowedUpdate, BotCommand, CallbackQueryId, ChatId, FileId, InlineKeyboardButton,
    InlineKeyboardMarkup, InputFile, MessageId, ParseMode, Update, UpdateKind,
};
use teloxide::{ApiError, Bot, RequestError};

use super::{Channel, Inbound, InboundEvent, Keyboard, Outbound, SendError, Sent};
use crate::content::AudioKind;
use crate::content::markdown::split_html;
use crate::domain::Locale;

/// Telegram's limits on one message.
pub const MAX_TEXT: usize = 4096;
pub const MAX_CAPTION: usize = 1024;
pub const CHANNEL_NAME: &str = "telegram";

pub struct TelegramChannel {
    bot: Bot,
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
        Ok(Self { bot })
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
            .allowed_updates(vec![AllowedUpdate::Message, AllowedUpdate::CallbackQuery])
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

fn to_inbound(update: Update) -> Option<Inbound> {
    match update.kind {
        UpdateKind::Message(msg) => {
            if !msg.chat.is_private() {
                return None;
            }
            let text = msg.text()?.to_string();
            Some(Inbound {
                channel: CHANNEL_NAME.into(),
                chat_id: msg.chat.id.0.to_string(),
                language: msg.from.as_ref().and_then(|u| u.language_code.clone()),
                event: InboundEvent::Text(text),
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
        _ => None,
    }
}

fn markup(buttons: &Keyboard) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new(buttons.iter().map(|row| {
        row.iter()
            .map(|b| InlineKeyboardButton::callback(b.label.clone(), b.data.clone()))
            .collect::<Vec<_>>()
    }))
}

/// Sorts Telegram's answers into what the courier must do.
fn classify(error: RequestError) -> SendError {
    match error {
        RequestError::RetryAfter(s) => SendError::RetryAfter(s.duration()),
        RequestError::Api(api) => match api {
            ApiError::BotBlocked
            | ApiError::UserDeactivated
            | ApiError::ChatNotFound
            | ApiError::BotKicked
            | ApiError::BotKickedFromSupergroup
            | ApiError::BotKickedFromChannel
            | ApiError::CantInitiateConversation => SendError::Unreachable(api.to_string()),
            // teloxide does not keep the HTTP status: server errors arrive as Unknown with
            // Telegram's description, client errors start with "Bad Request"/"Forbidden".
            ApiError::Unknown(text)
                if !(text.starts_with("Bad Request") || text.starts_with("Forbidden")) =>
            {
                SendError::Transient(text)
            }
            other => SendError::Rejected(other.to_string()),
        },
        RequestError::MigrateToChatId(id) => SendError::Rejected(format!("chat migrated to {id}")),
        RequestError::Network(e) => SendError::Transient(describe_network_error(&e)),
        RequestError::Io(e) => SendError::Transient(format!("io: {e}")),
        RequestError::InvalidJson { source, .. } => {
            SendError::Transient(format!("unreadable response: {source}"))
        }
    }
}

/// A network error without its URL: the URL holds the bot token.
fn describe_network_error(e: &reqwest::Error) -> String {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response"
    } else {
        "network error"
    };
    match std::error::Error::source(e) {
        Some(source) => format!("{kind}: {source}"),
        None => kind.to_string(),
    }
}

fn parse_chat(chat_id: &str) -> Result<ChatId, SendError> {
    chat_id
        .parse::<i64>()
        .map(ChatId)
        .map_err(|_| SendError::Rejected(format!("{chat_id:?} is not a Telegram chat id")))
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
                    let mut req = self
                        .bot
                        .send_message(chat, part)
                        .parse_mode(ParseMode::Html);
                    if i + 1 == count && !buttons.is_empty() {
                        req = req.reply_markup(markup(buttons));
                    }
                    let msg = req.await.map_err(classify)?;
                    last = Some(msg.id.0.to_string());
                }
                Ok(Sent {
                    message_id: last,
                    file_id: None,
                })
            }
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                let file = match &audio.file_id {
                    Some(id) => InputFile::file_id(FileId(id.clone())),
                    None => InputFile::file(audio.path.clone()),
                };
                let caption = split_html(caption_html, MAX_CAPTION)
                    .into_iter()
                    .next()
                    .unwrap_or_default();
                let msg = match audio.kind {
                    AudioKind::Voice => {
                        let mut req = self
                            .bot
                            .send_voice(chat, file)
                            .caption(caption)
                            .parse_mode(ParseMode::Html);
                        if !buttons.is_empty() {
                            req = req.reply_markup(markup(buttons));
                        }
                        req.await.map_err(classify)?
                    }
                    AudioKind::Audio => {
                        let mut req = self
                            .bot
                            .send_audio(chat, file)
                            .caption(caption)
                            .parse_mode(ParseMode::Html);
                        if !buttons.is_empty() {
                            req = req.reply_markup(markup(buttons));
                        }
                        req.await.map_err(classify)?
                    }
                };
                let file_id = msg
                    .voice()
                    .map(|v| v.file.id.0.clone())
                    .or_else(|| msg.audio().map(|a| a.file.id.0.clone()));
                Ok(Sent {
                    message_id: Some(msg.id.0.to_string()),
                    file_id,
                })
            }
            Outbound::EditButtons {
                message_id,
                buttons,
            } => {
                let id = message_id.parse::<i32>().map_err(|_| {
                    SendError::Rejected(format!("{message_id:?} is not a Telegram message id"))
                })?;
                match self
                    .bot
                    .edit_message_reply_markup(chat, MessageId(id))
                    .reply_markup(markup(buttons))
                    .await
                {
                    Ok(_) | Err(RequestError::Api(ApiError::MessageNotModified)) => {
                        Ok(Sent::default())
                    }
                    Err(e) => Err(classify(e)),
                }
            }
            Outbound::AnswerButton { callback_id, text } => {
                let mut req = self
                    .bot
                    .answer_callback_query(CallbackQueryId(callback_id.clone()));
                if let Some(text) = text {
                    let text: String = text.chars().take(200).collect();
                    req = req.text(text);
                }
                req.await.map_err(classify)?;
                Ok(Sent::default())
            }
        }
    }
}
