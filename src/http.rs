//! The service's HTTP endpoints: `/healthz`, `/metrics`, and the Telegram webhook, which
//! stores each update (duplicates ignored) before answering 200, so that an update is
//! never lost between Telegram and the database.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use tokio::sync::Notify;

use crate::channel::telegram::update_key;
use crate::clock::Clock;
use crate::metrics::Metrics;
use crate::store::Store;

pub const SECRET_HEADER: &str = "x-telegram-bot-api-secret-token";

pub struct Webhook {
    /// The path Telegram posts to, e.g. `/telegram`.
    pub path: String,
    pub secret: String,
}

pub struct HttpState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    pub webhook: Option<Webhook>,
    /// Woken when an update has been stored.
    pub stored: Arc<Notify>,
}

pub fn router(state: Arc<HttpState>) -> Router {
    let mut router = Router::new()
        .route("/healthz", get(health))
        .route("/metrics", get(metrics));
    if let Some(webhook) = &state.webhook {
        router = router.route(&webhook.path, post(receive_update));
    }
    router.with_state(state)
}

async fn health(State(state): State<Arc<HttpState>>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ok\n").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "health check: database unreachable");
            (StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n").into_response()
        }
    }
}

async fn metrics(State(state): State<Arc<HttpState>>) -> Response {
    let queue = state.store.outbox_counts().await.unwrap_or_default();
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(&queue),
    )
        .into_response()
}

/// Compares in time that does not depend on where the strings differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

async fn receive_update(
    State(state): State<Arc<HttpState>>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Some(webhook) = &state.webhook else {
        return StatusCode::NOT_FOUND;
    };
    let given = headers
        .get(SECRET_HEADER)
        .map(|v| v.as_bytes())
        .unwrap_or_default();
    if !constant_time_eq(given, webhook.secret.as_bytes()) {
        tracing::warn!("webhook request without the right secret token: refused");
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(text) = std::str::from_utf8(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some((update_id, chat_key)) = serde_json::from_str(text)
        .ok()
        .as_ref()
        .and_then(update_key)
    else {
        return StatusCode::BAD_REQUEST;
    };
    match state
        .store
        .save_update(update_id, &chat_key, text, state.clock.now())
        .await
    {
        Ok(new) => {
            if new {
                Metrics::inc(&state.metrics.updates_received);
                state.stored.notify_one();
            }
            StatusCode::OK
        }
        Err(e) => {
            // Not 200: Telegram keeps the update and tries again.
            tracing::error!(update_id, error = %e, "cannot store a webhook update");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
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
}
