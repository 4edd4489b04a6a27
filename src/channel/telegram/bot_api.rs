//! A small Bot API client for sending: JSON (or multipart for uploads) over reqwest, with
//! the HTTP status and `parameters.retry_after` kept, so that the courier can tell a 429
//! from a 403 from a 5xx. (teloxide's client folds these into one error type without the
//! status, and sleeps 10 s after every 5xx, which would stall the whole courier.)
//!
//! Every failure's text is stripped of the bot token ([`redact_token`]) before it leaves
//! the client, since it is logged and stored (`outbox.last_error`): a server may echo the
//! request's URL, which holds the token, in its `description`.

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
    /// The failure with the bot token removed from its text ([`redact_token`]).
    pub fn redacted(self, token: &str) -> ApiFailure {
        match self {
            ApiFailure::Status {
                code,
                description,
                retry_after,
            } => ApiFailure::Status {
                code,
                description: redact_token(&description, token),
                retry_after,
            },
            ApiFailure::Timeout => ApiFailure::Timeout,
            ApiFailure::Network(e) => ApiFailure::Network(redact_token(&e, token)),
            ApiFailure::BadResponse(e) => ApiFailure::BadResponse(redact_token(&e, token)),
        }
    }

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

/// What a bot token is replaced with in text that is logged or stored.
pub const REDACTED: &str = "<token>";

/// `text` without the bot token: `token` itself, and the secret of anything shaped like a
/// token in a Bot API URL (`bot<digits>:<secret>`, e.g. another bot's), become
/// [`REDACTED`].
pub fn redact_token(text: &str, token: &str) -> String {
    let text = if token.is_empty() {
        text.to_string()
    } else {
        text.replace(token, REDACTED)
    };
    let is_secret = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find("bot") {
        let (before, from) = rest.split_at(at + 3);
        out.push_str(before);
        let digits = from.len() - from.trim_start_matches(|c: char| c.is_ascii_digit()).len();
        let after = &from[digits..];
        let secret = after
            .strip_prefix(':')
            .map_or(0, |s| s.len() - s.trim_start_matches(is_secret).len());
        if digits > 0 && secret > 0 {
            out.push_str(&from[..digits + 1]);
            out.push_str(REDACTED);
            rest = &after[1 + secret..];
        } else {
            rest = from;
        }
    }
    out.push_str(rest);
    out
}

pub struct BotApi {
    client: reqwest::Client,
    /// `{api_url}/bot{token}/`: holds the token, so it is never logged.
    base: String,
    /// To take it out of every failure's text.
    token: String,
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
            token: token.to_string(),
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
                                .redacted(&self.token)
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

    /// Sends the request and reads its `result`; a failure comes without the token.
    async fn finish(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
        self.exchange(request)
            .await
            .map_err(|failure| failure.redacted(&self.token))
    }

    async fn exchange(&self, request: reqwest::RequestBuilder) -> Result<Value, ApiFailure> {
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

    const TOKEN: &str = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw";

    #[test]
    fn tokens_are_taken_out_of_text() {
        assert_eq!(
            redact_token(
                &format!("Not Found: https://api.telegram.org/bot{TOKEN}/sendMessage"),
                TOKEN
            ),
            "Not Found: https://api.telegram.org/bot<token>/sendMessage"
        );
        // The token alone, and another bot's token in a URL.
        assert_eq!(
            redact_token(&format!("token {TOKEN} refused"), TOKEN),
            "token <token> refused"
        );
        assert_eq!(
            redact_token("GET /bot42:secret-Part_2/getMe and /bot7:x", TOKEN),
            "GET /bot42:<token>/getMe and /bot7:<token>"
        );
        for text in [
            "Bad Request: chat not found",
            "the bot was blocked",
            "robot 12:30",
            "bot:abc bot12 bot12: ",
            "",
        ] {
            assert_eq!(redact_token(text, TOKEN), text);
        }
        assert_eq!(redact_token("bot1:a", ""), "bot1:<token>");
    }

    /// A server that answers every request with `status` and `body`.
    async fn answering(status: &str, body: String) -> String {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let status = status.to_string();
        tokio::spawn(async move {
            while let Ok((mut conn, _)) = listener.accept().await {
                let mut buf = vec![0; 65536];
                let _ = conn.read(&mut buf).await;
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = conn.write_all(answer.as_bytes()).await;
            }
        });
        url
    }

    #[tokio::test]
    async fn a_description_that_echoes_the_token_is_redacted() {
        let echo = format!(
            "Bad Request: wrong URL http://example.org/bot{TOKEN}/sendMessage (bot{TOKEN})"
        );
        let body = json!({"ok": false, "error_code": 400, "description": echo}).to_string();
        let url = answering("400 Bad Request", body).await;
        let api = BotApi::new(TOKEN, Some(&url), Duration::from_secs(5)).unwrap();
        let failure = api.call("sendMessage", &json!({})).await.unwrap_err();
        let ApiFailure::Status { description, .. } = &failure else {
            panic!("{failure:?}");
        };
        assert_eq!(
            description,
            "Bad Request: wrong URL http://example.org/bot<token>/sendMessage (bot<token>)"
        );
        // What the courier stores and logs.
        let stored = failure.classify().to_string();
        assert!(
            !stored.contains(TOKEN) && !stored.contains("AAHdq"),
            "{stored}"
        );

        // A body that is not JSON is quoted as it is: without the token too.
        let url = answering("502 Bad Gateway", format!("<html>/bot{TOKEN}/getMe</html>")).await;
        let api = BotApi::new(TOKEN, Some(&url), Duration::from_secs(5)).unwrap();
        let failure = api.call("getMe", &json!({})).await.unwrap_err();
        assert_eq!(
            failure,
            ApiFailure::Status {
                code: 502,
                description: "<html>/bot<token>/getMe</html>".into(),
                retry_after: None
            }
        );
        // An answer that cannot be read.
        let url = answering("200 OK", format!("{{\"ok\": bot{TOKEN}")).await;
        let api = BotApi::new(TOKEN, Some(&url), Duration::from_secs(5)).unwrap();
        let failure = api.call("getMe", &json!({})).await.unwrap_err();
        assert!(
            matches!(&failure, ApiFailure::BadResponse(e) if !e.contains(TOKEN)),
            "{failure:?}"
        );
    }

    #[test]
    fn every_kind_of_failure_is_redacted() {
        let with = |text: &str| format!("{text} /bot{TOKEN}/x");
        let failures = [
            ApiFailure::Status {
                code: 500,
                description: with("d"),
                retry_after: None,
            },
            ApiFailure::Network(with("n")),
            ApiFailure::BadResponse(with("b")),
            ApiFailure::Timeout,
        ];
        for failure in failures {
            let redacted = failure.redacted(TOKEN);
            assert!(!format!("{redacted:?}").contains("AAHdq"), "{redacted:?}");
        }
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
