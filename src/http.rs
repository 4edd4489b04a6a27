//! The service's HTTP endpoints: `/healthz`, `/metrics`, and the channels' webhooks (each a
//! [`WebhookRoute`]: its path, how its requests are recognized and read, and what it
//! answers to a GET that checks the URL), which store each update (duplicates ignored)
//! before answering 200, so that an update is never lost between the chat app and the
//! database. Which chat app posts is the route's business.
//!
//! The server is hardened against slow, idle and oversized clients ([`HttpLimits`]): at
//! most `max_connections` at once (more are closed at once); the request line and headers
//! must arrive within `header_timeout` (and fit in 16 KiB); a connection on which nothing
//! moves for `idle_timeout` is closed; the webhook checks the method, the path and the
//! route's secret (in the headers) before it reads any of the body, refuses a body longer than
//! `max_body_bytes` (by its `Content-Length` at once, or as it arrives), and gives the
//! body `body_timeout` to arrive. A client that breaks a limit costs a few kilobytes for a
//! few seconds.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{Notify, Semaphore};

use crate::channel::{GetAnswer, WebhookRequest, WebhookRoute};
use crate::clock::Clock;
use crate::config::HttpLimits;
use crate::metrics::Metrics;
use crate::store::Store;

/// The most a request's line and headers may take (hyper's read buffer; its minimum is
/// 8 KiB). A chat app's requests carry a few hundred bytes of headers (Telegram's do).
const MAX_HEADER_BYTES: usize = 16 * 1024;

pub struct HttpState {
    pub store: Store,
    pub metrics: Arc<Metrics>,
    pub clock: Arc<dyn Clock>,
    /// The webhooks of the channels that receive updates by webhook (none in polling
    /// mode), each at its own path, with what to wake when it has stored an update (its
    /// channel's handling loop).
    pub webhooks: Vec<(Arc<dyn WebhookRoute>, Arc<Notify>)>,
    pub limits: HttpLimits,
}

/// Which endpoints a listener serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoints {
    /// `/healthz`, the webhooks (if any) and `/metrics`.
    All,
    /// `/healthz` and the webhooks: `/metrics` has its own address.
    WithoutMetrics,
    /// `/healthz` and `/metrics` only (the `metrics_listen` address).
    MetricsOnly,
}

pub fn router(state: Arc<HttpState>, endpoints: Endpoints) -> Router {
    let mut router = Router::new().route("/healthz", get(health));
    if endpoints != Endpoints::WithoutMetrics {
        router = router.route("/metrics", get(metrics));
    }
    if endpoints != Endpoints::MetricsOnly {
        for (webhook, stored) in &state.webhooks {
            let (posted, checked, stored) = (webhook.clone(), webhook.clone(), stored.clone());
            router = router.route(
                webhook.path(),
                post(
                    move |State(state): State<Arc<HttpState>>,
                          uri: Uri,
                          headers: HeaderMap,
                          body: Body| async move {
                        receive_update(state, posted, stored, uri, headers, body).await
                    },
                )
                .get(move |State(state): State<Arc<HttpState>>, uri: Uri, headers: HeaderMap| async move {
                    answer_get(state, checked, uri, headers)
                }),
            );
        }
    }
    router.with_state(state)
}

/// A GET at a webhook's path: the route's answer (a chat app checking the URL), 405 for a
/// route that takes POST only.
fn answer_get(
    state: Arc<HttpState>,
    webhook: Arc<dyn WebhookRoute>,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let request = WebhookRequest {
        headers: &headers,
        query: uri.query(),
    };
    match webhook.answer_get(&request) {
        GetAnswer::Text(text) => (StatusCode::OK, text).into_response(),
        GetAnswer::NotServed => StatusCode::METHOD_NOT_ALLOWED.into_response(),
        GetAnswer::Refused => {
            Metrics::inc(&state.metrics.http_refused);
            tracing::warn!(
                channel = webhook.channel(),
                "webhook URL check without the right signature: refused"
            );
            StatusCode::UNAUTHORIZED.into_response()
        }
    }
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

/// A webhook. The route checks the request (its secret) before anything of the body is
/// read: a request without it costs its headers only.
async fn receive_update(
    state: Arc<HttpState>,
    webhook: Arc<dyn WebhookRoute>,
    stored: Arc<Notify>,
    uri: Uri,
    headers: HeaderMap,
    body: Body,
) -> StatusCode {
    let request = WebhookRequest {
        headers: &headers,
        query: uri.query(),
    };
    if !webhook.admits(&request) {
        Metrics::inc(&state.metrics.http_refused);
        tracing::warn!(
            channel = webhook.channel(),
            "webhook request without the right secret: refused"
        );
        return StatusCode::UNAUTHORIZED;
    }
    let limit = state.limits.max_body_bytes;
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        Metrics::inc(&state.metrics.http_refused);
        tracing::warn!(declared, limit, "webhook body too large: refused");
        return StatusCode::PAYLOAD_TOO_LARGE;
    }
    let bytes = match tokio::time::timeout(
        state.limits.body_timeout,
        axum::body::to_bytes(body, limit),
    )
    .await
    {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(e)) => {
            Metrics::inc(&state.metrics.http_refused);
            tracing::warn!(error = %e, limit, "webhook body unreadable or too large: refused");
            return StatusCode::PAYLOAD_TOO_LARGE;
        }
        Err(_) => {
            Metrics::inc(&state.metrics.http_refused);
            tracing::warn!(timeout = ?state.limits.body_timeout, "webhook body too slow: refused");
            return StatusCode::REQUEST_TIMEOUT;
        }
    };
    let Ok(text) = std::str::from_utf8(&bytes) else {
        return StatusCode::BAD_REQUEST;
    };
    let Some(update) = webhook.read(&request, text) else {
        return StatusCode::BAD_REQUEST;
    };
    let update_id = update.update_id;
    match state
        .store
        .save_update(
            webhook.channel(),
            update_id,
            &update.chat_key,
            &update.payload,
            state.clock.now(),
        )
        .await
    {
        Ok(new) => {
            if new {
                Metrics::inc(&state.metrics.updates_received);
                stored.notify_one();
            }
            StatusCode::OK
        }
        Err(e) => {
            // Not 200: the chat app keeps the update and tries again (Telegram does).
            tracing::error!(update_id, error = %e, "cannot store a webhook update");
            StatusCode::INTERNAL_SERVER_ERROR
        }
    }
}

/// Serves `router` on `listener` within `limits` until `shutdown` completes; then stops
/// accepting, lets the connections finish their requests (closing them when idle), and
/// returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: HttpLimits,
    metrics: Arc<Metrics>,
    shutdown: impl Future<Output = ()>,
) {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (closing_tx, closing) = tokio::sync::watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: wait a moment, keep serving.
                    tracing::warn!(error = %e, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            Metrics::inc(&metrics.http_refused);
            tracing::warn!(%peer, max = limits.max_connections, "too many connections: closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = hyper_util::service::TowerToHyperService::new(router.clone());
        let mut closing = closing.clone();
        tokio::spawn(async move {
            let io = TokioIo::new(IdleTimeout::new(stream, limits.idle_timeout));
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout)
                .max_buf_size(MAX_HEADER_BYTES)
                .serve_connection(io, service);
            tokio::pin!(connection);
            tokio::select! {
                result = connection.as_mut() => {
                    if let Err(e) = result {
                        tracing::debug!(%peer, error = %e, "connection closed");
                    }
                }
                _ = async move { let _ = closing.wait_for(|c| *c).await; } => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(slot);
        });
    }
    let _ = closing_tx.send(true);
    // Every connection gives its slot back when it is closed.
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    let _ = slots.acquire_many(all).await;
}

/// A connection's I/O that fails with `TimedOut` once a read or a write has waited for
/// `limit` without progress: an idle keep-alive connection, a client that stops sending in
/// the middle of a request or stops reading the answer.
struct IdleTimeout<T> {
    inner: T,
    limit: Duration,
    read_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
    write_deadline: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl<T> IdleTimeout<T> {
    fn new(inner: T, limit: Duration) -> Self {
        Self {
            inner,
            limit,
            read_deadline: None,
            write_deadline: None,
        }
    }
}

/// After a pending read or write: arms the deadline if it is not armed, and tells whether
/// it has passed.
fn expired(
    deadline: &mut Option<Pin<Box<tokio::time::Sleep>>>,
    limit: Duration,
    cx: &mut Context<'_>,
) -> bool {
    let sleep = deadline.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
    sleep.as_mut().poll(cx).is_ready()
}

fn timed_out() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::TimedOut, "connection idle too long")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleTimeout<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                this.read_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending if expired(&mut this.read_deadline, this.limit, cx) => {
                Poll::Ready(Err(timed_out()))
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        let this = &mut *self;
        match Pin::new(&mut this.inner).poll_write(cx, data) {
            Poll::Ready(r) => {
                this.write_deadline = None;
                Poll::Ready(r)
            }
            Poll::Pending if expired(&mut this.write_deadline, this.limit, cx) => {
                Poll::Ready(Err(timed_out()))
            }
            Poll::Pending => Poll::Pending,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A read that waits longer than the limit fails; one that makes progress in time does
    /// not, however long the whole exchange takes.
    #[tokio::test(start_paused = true)]
    async fn idle_reads_time_out() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let (client, server) = tokio::io::duplex(64);
        let mut server = IdleTimeout::new(server, Duration::from_secs(5));
        let mut client = client;
        let writer = tokio::spawn(async move {
            for _ in 0..3 {
                tokio::time::sleep(Duration::from_secs(4)).await;
                client.write_all(b"x").await.unwrap();
            }
            tokio::time::sleep(Duration::from_secs(60)).await;
            drop(client);
        });
        let mut buf = [0u8; 1];
        for _ in 0..3 {
            server.read_exact(&mut buf).await.unwrap();
        }
        let err = server.read_exact(&mut buf).await.unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::TimedOut);
        writer.abort();
    }
}
