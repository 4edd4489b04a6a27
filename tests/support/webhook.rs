//! The real binary in webhook mode (`weike run --webhook`) on 127.0.0.1, and members'
//! updates posted to it.

use std::time::{Duration, Instant};

use super::harness::{Harness, TOKEN};

/// A port free at the moment.
pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// `weike run` on the harness's database and fake Telegram, with its HTTP server on `port`,
/// logging at `log`, output discarded; the caller adds what else it needs and spawns it (it
/// is killed when dropped).
fn weike_run(h: &Harness, port: u16, log: &str) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_weike"));
    cmd.arg("run")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WEIKE_DATABASE_URL", &h.db.url)
        .env("WEIKE_TELEGRAM_TOKEN", TOKEN)
        .env("WEIKE_TELEGRAM_API_URL", h.fake.api_url())
        .env("WEIKE_HTTP_LISTEN", format!("127.0.0.1:{port}"))
        .env("WEIKE_LOG", log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    cmd
}

/// `weike run` polling the fake Telegram (long polls of 1 s), as [`weike_run`].
pub fn polling_service(h: &Harness, port: u16, log: &str) -> tokio::process::Command {
    let mut cmd = weike_run(h, port, log);
    cmd.env("WEIKE_POLL_TIMEOUT_SECONDS", "1");
    cmd
}

/// `weike run --webhook` listening on `port` for updates posted to `path` with `secret`,
/// logging errors only, as [`weike_run`].
pub fn webhook_service(
    h: &Harness,
    port: u16,
    path: &str,
    secret: &str,
) -> tokio::process::Command {
    let mut cmd = weike_run(h, port, "error");
    cmd.arg("--webhook")
        .env(
            "WEIKE_WEBHOOK_URL",
            format!("https://bot.example.org{path}"),
        )
        .env("WEIKE_WEBHOOK_SECRET", secret);
    cmd
}

/// The text of `/metrics` at `base` (`http://HOST:PORT`).
pub async fn metrics(base: &str) -> String {
    reqwest::get(format!("{base}/metrics"))
        .await
        .expect("GET /metrics")
        .text()
        .await
        .expect("the metrics")
}

/// The value of the metric `name` (without labels) in the text of `/metrics`, if it is
/// there.
pub fn metric(metrics: &str, name: &str) -> Option<u64> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(' ')?.parse().ok())
}

/// A private chat's message with a command (e.g. `/start`), as Telegram posts it.
pub fn command_update(update_id: i64, chat: i64, text: &str) -> String {
    serde_json::json!({
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 1_700_000_000,
            "from": {"id": chat, "is_bot": false, "first_name": "M"},
            "chat": {"id": chat, "type": "private", "first_name": "M"},
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": text.len()}],
        }
    })
    .to_string()
}

/// Posts an update with the secret and returns the HTTP status (0: no answer) and how long
/// the answer took.
pub async fn post_update(port: u16, path: &str, secret: &str, body: &str) -> (u16, Duration) {
    let started = Instant::now();
    let status = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}{path}"))
        .header("X-Telegram-Bot-Api-Secret-Token", secret)
        .header("Content-Type", "application/json")
        .body(body.to_string())
        .send()
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0);
    (status, started.elapsed())
}

/// Serves `service`'s HTTP endpoints (as `mode` mounts them) on a free port of 127.0.0.1
/// within `limits`, until the test ends; the address.
pub async fn serve_http(
    service: &weike::service::Service,
    mode: weike::service::Mode,
    limits: weike::config::HttpLimits,
) -> std::net::SocketAddr {
    let router = service
        .http_router(
            mode,
            std::sync::Arc::new(tokio::sync::Notify::new()),
            weike::http::Endpoints::All,
        )
        .expect("the HTTP routes");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(weike::http::serve(
        listener,
        router,
        limits,
        service.app.metrics.clone(),
        std::future::pending(),
    ));
    addr
}
