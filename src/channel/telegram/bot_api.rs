//! A small Bot API client for sending: JSON (or multipart for uploads) over reqwest, with
//! the HTTP status and `parameters.retry_after` kept, so that the courier can tell a 429
//! from a 403 from a 5xx. (teloxide's client folds these into one error type without the
//! status, and sleeps 10 s after every 5xx, which would stall the whole courier.)

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

use super::super::{Keyboard, SendError};

/// How a Bot API call failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiFailure {
    /// Telegram answered with an error status.
    Status {
        code: u16,
        description: String,
        retry_after: Option<u64>,
    },
    Timeout,
    /// No answer: the connection failed or was dropped.
    Network(String),
    /// An answer we cannot read.
    BadResponse(String),
}

impl ApiFailure {
    /// What the courier should do about it.
    pub fn classify(self) -> SendError {
        match self {
            ApiFailure::Status {
                code: 429,
                retry_after,
                ..
            } => SendError::RetryAfter(Duration::from_secs(retry_after.unwrap_or(1).max(1))),
            ApiFailure::Status {
                code: 403,
                description,
                ..
            } => SendError::Unreachable(description),
            ApiFailure::Status {
                code: 400,
                description,
                ..
            } if is_unreachable(&description) => SendError::Unreachable(description),
            ApiFailure::Status {
                code: 401 | 404,
                description,
                ..
            } => {
                // A revoked or wrong token: nothing can be sent, and nothing should be given
                // up on. Pause everything and say so loudly.
                tracing::error!(%description, "Telegram refuses the bot token; pausing all sending for 60 s");
                SendError::RetryAfter(Duration::from_secs(60))
            }
            ApiFailure::Status {
                code, description, ..
            } if code >= 500 => SendError::Transient(format!("{code} {description}")),
            ApiFailure::Status {
                code, description, ..
            } => SendError::Rejected(format!("{code} {description}")),
            ApiFailure::Timeout => SendError::Transient("timeout".into()),
            ApiFailure::Network(e) => SendError::Transient(e),
            ApiFailure::BadResponse(e) => SendError::Transient(format!("unreadable response: {e}")),
        }
    }
}

fn is_unreachable(description: &str) -> bool {
    let d = description.to_ascii_lowercase();
    [
        "chat not found",
        "user not found",
        "peer_id_invalid",
        "bot was blocked",
        "user is deactivated",
    ]
    .iter()
    .any(|p| d.contains(p))
}

pub struct BotApi {
    client: reqwest::Client,
    /// `{api_url}/bot{token}/`: holds the token, so it is never logged.
    base: String,
}

impl std::fmt::Debug for BotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotApi").finish_non_exhaustive()
    }
}

/// A file to send: an upload from disk, or the id of an earlier upload.
pub enum FileRef<'a> {
    Upload(&'a Path),
    Id(&'a str),
    /// Bytes made in memory (a poster), uploaded under `name`.
    Bytes {
        name: &'a str,
        bytes: &'a [u8],
    },
}

impl BotApi {
    pub fn new(
        token: &str,
        api_url: Option<&str>,
        timeout: Duration,
    ) -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(timeout)
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()?;
        let api = api_url
            .unwrap_or("https://api.telegram.org")
            .trim_end_matches('/');
        Ok(Self {
            client,
            base: format!("{api}/bot{token}/"),
        })
    }

    /// Calls `method` with a JSON body and returns its `result`.
    pub async fn call(&self, method: &str, body: &Value) -> Result<Value, ApiFailure> {
        let request = self
            .client
            .post(format!("{}{method}", self.base))
            .json(body);
        self.finish(request).await
    }

    /// [`BotApi::call`] with its own time limit (long polling waits on the server).
    pub async fn call_with_timeout(
        &self,
        method: &str,
        body: &Value,
        timeout: Duration,
    ) -> Result<Value, ApiFailure> {
        let request = self
            .client
            .post(format!("{}{method}", self.base))
            .timeout(timeout)
            .json(body);
        self.finish(request).await
    }

    /// Sends a file (voice, audio) with the other fields, uploading it if needed.
    pub async fn call_with_file(
        &self,
        method: &str,
        field: &str,
        file: FileRef<'_>,
        fields: &Value,
    ) -> Result<Value, ApiFailure> {
        match file {
            FileRef::Id(id) => {
                let mut body = fields.clone();
                body[field] = json!(id);
                self.call(method, &body).await
            }
            FileRef::Upload(_) | FileRef::Bytes { .. } => {
                let (bytes, name) = match file {
                    FileRef::Upload(path) => (
                        tokio::fs::read(path).await.map_err(|e| {
                            ApiFailure::BadResponse(format!("cannot read {}: {e}", path.display()))
                        })?,
                        path.file_name()
                            .and_then(|n| n.to_str())
                            .unwrap_or("file")
                            .to_string(),
                    ),
                    FileRef::Bytes { name, bytes } => (bytes.to_vec(), name.to_string()),
                    FileRef::Id(_) => unreachable!("handled above"),
                };
                let mut form = reqwest::multipart::Form::new().part(
                    field.to_string(),
                    reqwest::multipart::Part::bytes(bytes).file_name(name),
                );
                if let Value::Object(map) = fields {
                    for (k, v) in map {
                        let text = match v {
                            Value::String(s) => s.clone(),
                            other => other.to_string(),
                        };
                        form = form.text(k.clone(), text);
                    }
                }
                let request = self
                    .client
                    .post(format!("{}{method}", self.base))
                    .multipart(form);
                self.finish(request).await
            }
        }
    }

    async fn finish(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
        let response = request.send().await.map_err(network_failure)?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(network_failure)?;
        let parsed: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) if status >= 400 => {
                return Err(ApiFailure::Status {
                    code: status,
                    description: text.chars().take(200).collect(),
                    retry_after: None,
                });
            }
            Err(e) => return Err(ApiFailure::BadResponse(e.to_string())),
        };
        if parsed["ok"] == json!(true) {
            return Ok(parsed["result"].clone());
        }
        let code = parsed["error_code"]
            .as_u64()
            .and_then(|c| u16::try_from(c).ok())
            .unwrap_or(status);
        Err(ApiFailure::Status {
            code,
            description: parsed["description"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
            retry_after: parsed["parameters"]["retry_after"].as_u64(),
        })
    }
}

/// A reqwest error without its URL (the URL holds the bot token).
fn network_failure(e: reqwest::Error) -> ApiFailure {
    if e.is_timeout() {
        return ApiFailure::Timeout;
    }
    let kind = if e.is_connect() {
        "cannot connect"
    } else if e.is_body() || e.is_decode() {
        "broken response"
    } else {
        "connection lost"
    };
    match std::error::Error::source(&e) {
        Some(source) => ApiFailure::Network(format!("{kind}: {source}")),
        None => ApiFailure::Network(kind.to_string()),
    }
}

/// `reply_markup` for an inline keyboard.
pub fn inline_keyboard(buttons: &Keyboard) -> Value {
    json!({
        "inline_keyboard": buttons
            .iter()
            .map(|row| row.iter().map(|b| json!({"text": b.label, "callback_data": b.data})).collect::<Vec<_>>())
            .collect::<Vec<_>>()
    })
}

/// `reply_markup` for a one-time reply keyboard with one button that shares the member's
/// location (private chats only, which are the only chats the bot talks in).
pub fn location_request_keyboard(label: &str) -> Value {
    json!({
        "keyboard": [[{"text": label, "request_location": true}]],
        "one_time_keyboard": true,
        "resize_keyboard": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(code: u16, description: &str, retry_after: Option<u64>) -> SendError {
        ApiFailure::Status {
            code,
            description: description.into(),
            retry_after,
        }
        .classify()
    }

    #[test]
    fn location_keyboard_is_a_one_time_reply_keyboard() {
        assert_eq!(
            location_request_keyboard("📍 发送位置"),
            json!({
                "keyboard": [[{"text": "📍 发送位置", "request_location": true}]],
                "one_time_keyboard": true,
                "resize_keyboard": true,
            })
        );
    }

    #[test]
    fn answers_are_sorted_as_telegram_documents_them() {
        assert_eq!(
            status(429, "Too Many Requests: retry after 7", Some(7)),
            SendError::RetryAfter(Duration::from_secs(7))
        );
        assert!(matches!(
            status(403, "Forbidden: bot was blocked by the user", None),
            SendError::Unreachable(_)
        ));
        assert!(matches!(
            status(403, "Forbidden: user is deactivated", None),
            SendError::Unreachable(_)
        ));
        assert!(matches!(
            status(400, "Bad Request: chat not found", None),
            SendError::Unreachable(_)
        ));
        assert!(matches!(
            status(400, "Bad Request: message text is empty", None),
            SendError::Rejected(_)
        ));
        assert!(matches!(
            status(500, "Internal Server Error", None),
            SendError::Transient(_)
        ));
        assert!(matches!(
            status(502, "Bad Gateway", None),
            SendError::Transient(_)
        ));
        assert_eq!(
            status(401, "Unauthorized", None),
            SendError::RetryAfter(Duration::from_secs(60))
        );
        assert!(matches!(
            ApiFailure::Timeout.classify(),
            SendError::Transient(_)
        ));
        assert!(matches!(
            ApiFailure::Network("reset".into()).classify(),
            SendError::Transient(_)
        ));
    }
}
