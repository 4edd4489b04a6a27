//! The HTTP edge against hostile and careless clients, with the real binary in webhook mode
//! on 127.0.0.1: hundreds of connections that declare a 2 MB body and trickle it without the
//! secret, that send their headers a byte at a time, that say nothing, or that send a body
//! too large with the secret. During the attack a member's update is accepted and answered
//! within a second; the process stays under 100 MB; every attacking connection is closed by
//! the server within its timeouts; afterwards memory is back near where it was.

mod support;

use std::time::{Duration, Instant};

use support::db::TestDb;
use support::harness::Harness;
use support::webhook::{command_update, free_port, metric, metrics, webhook_service};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const SECRET: &str = "edge-test-secret_0123456789";
const PATH: &str = "/telegram";
/// The bound the README states for the process under this attack.
const RSS_BOUND_KB: u64 = 100 * 1024;

fn rss_kb(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

/// Reads until the server closes the connection (EOF or reset) or `within` passes; returns
/// what was read and whether it was closed.
async fn until_closed(stream: &mut TcpStream, within: Duration) -> (String, bool) {
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&got).into(), true),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&got).into(), false),
        }
    }
}

/// Posts a valid update and returns the HTTP status and how long the answer took.
async fn post_update(port: u16, body: &str) -> (u16, Duration) {
    support::webhook::post_update(port, PATH, SECRET, body).await
}

#[tokio::test]
async fn slow_idle_and_oversized_clients_do_not_stall_or_bloat_the_service() {
    let h = Harness::new(TestDb::sqlite()).await;
    let port = free_port();
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("weike.toml");
    std::fs::write(
        &config,
        "http_header_timeout_seconds = 2\nhttp_body_timeout_seconds = 2\nhttp_idle_timeout_seconds = 3\n",
    )
    .unwrap();
    let mut child = webhook_service(&h, port, PATH, SECRET)
        .env("WEIKE_CONFIG", &config)
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    h.fake.wait_for_calls("setWebhook", 1).await;
    h.fake.wait_for_calls("setMyCommands", 3).await;
    h.fake.allow_chats([7001, 7002, 7003]);

    // Warm up: a member is answered.
    let (status, _) = post_update(port, &command_update(1, 7001, "/start")).await;
    assert_eq!(status, 200);
    h.fake.wait_for_calls("sendMessage", 2).await;
    let baseline = rss_kb(pid);

    // The attack.
    let mut attackers = Vec::new();
    // 200 clients without the secret that declare a 2 MB body and trickle it.
    for _ in 0..200 {
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let head = format!(
                "POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2000000\r\n\r\n"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let trickle = async {
                loop {
                    if s.write_all(&[b'x'; 512]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
            };
            let _ = tokio::time::timeout(Duration::from_millis(600), trickle).await;
            let (answer, closed) = until_closed(&mut s, Duration::from_secs(8)).await;
            ("no secret, 2 MB trickled", answer.starts_with("HTTP/1.1 401"), closed)
        }));
    }
    // 100 clients that send their headers a byte every half second.
    for _ in 0..100 {
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let head = b"POST /telegram HTTP/1.1\r\nHost: x\r\nX-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
            let mut closed_while_sending = false;
            for b in head {
                if s.write_all(&[*b]).await.is_err() {
                    closed_while_sending = true;
                    break;
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
                if closed_while_sending {
                    break;
                }
            }
            let (_, closed) = until_closed(&mut s, Duration::from_secs(8)).await;
            ("headers a byte at a time", true, closed_while_sending || closed)
        }));
    }
    // 100 clients that connect and say nothing.
    for _ in 0..100 {
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let (_, closed) = until_closed(&mut s, Duration::from_secs(8)).await;
            ("silent", true, closed)
        }));
    }
    // 20 careless clients with the secret and a body over the limit (refused by its length).
    for _ in 0..20 {
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let head = format!(
                "POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nContent-Length: 2000000\r\n\r\n"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let _ = s.write_all(&[b'{'; 4096]).await;
            let (answer, closed) = until_closed(&mut s, Duration::from_secs(8)).await;
            ("secret, body too large", answer.starts_with("HTTP/1.1 413"), closed)
        }));
    }
    // 20 with the secret whose chunked body never ends (refused after the body timeout).
    for _ in 0..20 {
        attackers.push(tokio::spawn(async move {
            let mut s = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
            let head = format!(
                "POST {PATH} HTTP/1.1\r\nHost: x\r\nX-Telegram-Bot-Api-Secret-Token: {SECRET}\r\nTransfer-Encoding: chunked\r\n\r\n1\r\n{{\r\n"
            );
            s.write_all(head.as_bytes()).await.unwrap();
            let (answer, closed) = until_closed(&mut s, Duration::from_secs(8)).await;
            ("secret, body never ends", answer.starts_with("HTTP/1.1 408"), closed)
        }));
    }

    // During the attack, members are accepted and answered within a second.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let mut peak = rss_kb(pid);
    for (n, chat) in [(2, 7002), (3, 7003)] {
        let before = h.fake.calls_to("sendMessage").len();
        let started = Instant::now();
        let (status, took) = post_update(port, &command_update(n, chat, "/start")).await;
        assert_eq!(status, 200);
        assert!(
            took < Duration::from_secs(1),
            "the webhook answered in {took:?}"
        );
        tokio::time::timeout(
            Duration::from_secs(1),
            h.fake.wait_for_calls("sendMessage", before + 1),
        )
        .await
        .unwrap_or_else(|_| panic!("member {chat} not answered within 1 s during the attack"));
        eprintln!(
            "during the attack: webhook answered in {} ms, the member's reply sent after {} ms",
            took.as_millis(),
            started.elapsed().as_millis()
        );
        peak = peak.max(rss_kb(pid));
    }

    let mut refused_as_expected = 0;
    for a in attackers {
        let (what, answered_right, closed) = a.await.unwrap();
        assert!(
            answered_right,
            "{what}: not refused with the expected status"
        );
        assert!(closed, "{what}: the server did not close the connection");
        refused_as_expected += 1;
        peak = peak.max(rss_kb(pid));
    }
    assert_eq!(refused_as_expected, 440);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kb(pid);
    eprintln!(
        "RSS: {} MB before, {} MB at the peak of the attack, {} MB after (bound {} MB)",
        baseline / 1024,
        peak / 1024,
        after / 1024,
        RSS_BOUND_KB / 1024
    );
    assert!(peak < RSS_BOUND_KB, "peak RSS {peak} kB");
    assert!(
        after < baseline + 20 * 1024,
        "memory after the attack: {after} kB (before: {baseline} kB)"
    );
    let metrics = metrics(&format!("http://127.0.0.1:{port}")).await;
    let refused = metric(&metrics, "weike_http_refused_total").unwrap_or(0);
    assert!(refused >= 240, "{metrics}");
    child.kill().await.unwrap();
}

/// `metrics_listen`: /metrics on its own address, not beside the webhook.
#[tokio::test]
async fn metrics_can_have_their_own_address() {
    let h = Harness::new(TestDb::sqlite()).await;
    let (port, metrics_port) = (free_port(), free_port());
    let mut child = webhook_service(&h, port, PATH, SECRET)
        .env("WEIKE_METRICS_LISTEN", format!("127.0.0.1:{metrics_port}"))
        .spawn()
        .unwrap();
    h.fake.wait_for_calls("setMyCommands", 3).await;
    let status = |url: String| async move {
        reqwest::get(url)
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(
        status(format!("http://127.0.0.1:{metrics_port}/metrics")).await,
        200
    );
    assert_eq!(
        status(format!("http://127.0.0.1:{metrics_port}/healthz")).await,
        200
    );
    assert_eq!(
        status(format!("http://127.0.0.1:{port}/metrics")).await,
        404
    );
    assert_eq!(
        status(format!("http://127.0.0.1:{port}/healthz")).await,
        200
    );
    // The webhook is not on the metrics address.
    let on_metrics = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{metrics_port}{PATH}"))
        .header("X-Telegram-Bot-Api-Secret-Token", SECRET)
        .body(command_update(1, 7001, "/start"))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert_eq!(on_metrics, 404);
    child.kill().await.unwrap();
}

/// More connections than allowed: the extra ones are closed at once; a slot freed is used
/// again.
#[tokio::test]
async fn connections_beyond_the_limit_are_closed() {
    let h = Harness::new(TestDb::sqlite()).await;
    let service = h.service().await;
    let limits = weike::config::HttpLimits {
        max_connections: 3,
        ..weike::config::HttpLimits::default()
    };
    let port = support::webhook::serve_http(&service, weike::service::Mode::Polling, limits)
        .await
        .port();
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(TcpStream::connect(("127.0.0.1", port)).await.unwrap());
    }
    // Give the server time to accept the three.
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut extra = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let (_, closed) = until_closed(&mut extra, Duration::from_secs(2)).await;
    assert!(closed, "the fourth connection is closed at once");
    drop(held.pop());
    tokio::time::sleep(Duration::from_millis(100)).await;
    let status = reqwest::get(format!("http://127.0.0.1:{port}/healthz"))
        .await
        .unwrap()
        .status();
    assert_eq!(status.as_u16(), 200);
}
