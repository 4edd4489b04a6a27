//! Webhook mode with two service instances on one database, the HTTP endpoints, and a
//! graceful shutdown of the real binary on SIGTERM.

mod support;

use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use support::db::TestDb;
use support::harness::{Harness, TOKEN};
use support::webhook::{free_port, metric, metrics, polling_service};
use weike::service::{App, Mode, Service};

const SECRET: &str = "s3cret_Token-1";

fn text_update(update_id: i64, user: i64, text: &str) -> Value {
    let mut message = json!({
        "message_id": update_id,
        "from": {"id": user, "is_bot": false, "first_name": "U", "language_code": "zh-hans"},
        "chat": {"id": user, "type": "private", "first_name": "U"},
        "date": 1_790_000_000,
        "text": text,
    });
    if text.starts_with('/') {
        message["entities"] = json!([{"type": "bot_command", "offset": 0, "length": text.len()}]);
    }
    json!({"update_id": update_id, "message": message})
}

/// One instance: the service and the address of its HTTP endpoints.
async fn instance(h: &Harness) -> (Arc<Service>, String) {
    let config = h.config_with(&[
        ("WEIKE_WEBHOOK_URL", "https://bot.example.org/telegram/hook"),
        ("WEIKE_WEBHOOK_SECRET", SECRET),
    ]);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    let service = Arc::new(support::harness::service_on(app));
    let limits = service.app.config.http_limits;
    let addr = support::webhook::serve_http(&service, Mode::Webhook, limits).await;
    (service, format!("http://{addr}"))
}

async fn post(client: &reqwest::Client, base: &str, secret: Option<&str>, update: &Value) -> u16 {
    let mut req = client.post(format!("{base}/telegram/hook")).json(update);
    if let Some(s) = secret {
        req = req.header("X-Telegram-Bot-Api-Secret-Token", s);
    }
    req.send().await.unwrap().status().as_u16()
}

async fn webhook_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    h.fake.accept_any_chat(true);
    let (one, url_one) = instance(&h).await;
    let (two, url_two) = instance(&h).await;
    let client = reqwest::Client::new();

    // The secret is checked; a refused request stores nothing.
    assert_eq!(
        post(&client, &url_one, None, &text_update(1, 7001, "/start")).await,
        401
    );
    assert_eq!(
        post(
            &client,
            &url_one,
            Some("wrong"),
            &text_update(1, 7001, "/start")
        )
        .await,
        401
    );
    assert_eq!(
        post(&client, &url_one, Some(SECRET), &json!({"hello": 1})).await,
        400
    );
    assert!(one.app.store.update_counts().await.unwrap().is_empty());

    // 30 members each send /start then /help, spread over both instances; Telegram
    // re-sends some updates (duplicates).
    let mut id = 100;
    for user in 8000..8030i64 {
        for (i, text) in ["/start", "/help"].into_iter().enumerate() {
            id += 1;
            let base = if (user + i as i64) % 2 == 0 {
                &url_one
            } else {
                &url_two
            };
            assert_eq!(
                post(&client, base, Some(SECRET), &text_update(id, user, text)).await,
                200
            );
            if user % 5 == 0 {
                let other = if base == &url_one { &url_two } else { &url_one };
                assert_eq!(
                    post(&client, other, Some(SECRET), &text_update(id, user, text)).await,
                    200
                );
            }
        }
    }
    let counts = one.app.store.update_counts().await.unwrap();
    assert_eq!(counts, [("pending".to_string(), 60)]);

    // Both instances handle what is stored, at the same time.
    let (a, b) = tokio::join!(one.process_stored_updates(), two.process_stored_updates());
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a + b, 60, "each update handled once ({a} + {b})");
    assert_eq!(
        one.app.store.update_counts().await.unwrap(),
        [("done".to_string(), 60)]
    );
    let calls = h.fake.calls_to("sendMessage");
    assert!(calls.iter().all(|c| c.ok));
    for user in 8000..8030i64 {
        let texts: Vec<String> = calls
            .iter()
            .filter(|c| c.chat_id() == Some(user))
            .map(|c| c.text().unwrap().to_string())
            .collect();
        // /start: welcome + language question; /help: the list, in this order.
        assert_eq!(texts.len(), 3, "user {user}: {texts:?}");
        assert!(texts[0].contains("欢迎来到"), "{texts:?}");
        assert!(
            texts[2].contains("我能做什么"),
            "user {user} got /help out of order: {texts:?}"
        );
    }

    // Health and metrics.
    let health = client
        .get(format!("{url_two}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let metrics_one = metrics(&url_one).await;
    let received = metric(&metrics_one, "weike_updates_received_total").expect("received");
    let handled_one = metric(&metrics_one, "weike_updates_handled_total").expect("handled");
    assert!(
        received > 0 && received < 60,
        "instance one stored part of the updates: {received}"
    );
    assert_eq!(handled_one as usize, a);
}

sqlite_and_postgres!(webhook_with_two_instances => webhook_scenario);

/// `weike run` answers /healthz and /metrics, and on SIGTERM stops and exits 0.
#[tokio::test]
async fn sigterm_stops_the_service_cleanly() {
    let h = Harness::new(TestDb::sqlite()).await;
    let port = free_port();
    let child = polling_service(&h, port, "info")
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    h.fake.wait_for_calls("setMyCommands", 3).await;
    let client = reqwest::Client::new();
    let mut healthy = false;
    for _ in 0..50 {
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/healthz"))
            .send()
            .await
        {
            healthy = r.status().as_u16() == 200;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(healthy, "/healthz answers 200");
    let metrics = metrics(&format!("http://127.0.0.1:{port}")).await;
    assert!(
        metrics.contains("weike_deliveries_sent_total 0"),
        "{metrics}"
    );
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .expect("exits within 20 s")
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("shutting down"), "{stderr}");
    assert!(stderr.contains("stopped"), "{stderr}");
    assert!(
        !stderr.contains(TOKEN.split(':').nth(1).unwrap()),
        "the token must never be logged"
    );
}
