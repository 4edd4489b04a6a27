//! The WeCom client (`channel::wecom::client`) against the fake WeCom server
//! (`tests/support/fake_wecom.rs`), and the fake's own rules: tokens cached, refreshed once
//! when revoked or expired (single flight), every message type, documented limits refused,
//! the silent drop beyond 30 messages a minute and 1,000 an hour, upload limits, a card
//! updated once with a click's ResponseCode, callbacks from fake members parsed by
//! `channel::wecom::callback`, and no secret in any failure.

mod support;

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{RawQuery, State};
use axum::routing::get;
use chrono::{TimeZone, Utc};
use serde_json::{Value, json};

use support::fake_wecom::{self, FakeWecom};
use weike::channel::wecom::callback::{self, Callback, CallbackQuery, Routed};
use weike::channel::wecom::client::{
    ApiFailure, Article, ButtonCard, CardButton, MediaType, Message, SendOptions, WecomClient,
    WecomConfig,
};
use weike::channel::{InboundEvent, SendError};
use weike::clock::{Clock, ManualClock, SystemClock};

fn client(wecom: &FakeWecom) -> WecomClient {
    WecomClient::new(&wecom.config(), Arc::new(SystemClock)).expect("client")
}

fn text(s: &str) -> Message {
    Message::Text(s.into())
}

const PLAIN: SendOptions = SendOptions {
    duplicate_check: None,
};

fn card(task_id: &str) -> ButtonCard {
    ButtonCard {
        title: "第一课：交通安全".into(),
        description: "学完请打卡".into(),
        task_id: task_id.into(),
        buttons: vec![
            CardButton {
                key: "ci:safety:road".into(),
                text: "✅ 学完打卡".into(),
            },
            CardButton {
                key: "later:safety:road".into(),
                text: "稍后".into(),
            },
        ],
    }
}

fn png() -> Vec<u8> {
    [b"\x89PNG\r\n\x1a\n".as_slice(), &[7; 200]].concat()
}

/// An AMR-NB file of `seconds` (50 frames of 12.2 kbit/s a second).
fn amr(seconds: usize) -> Vec<u8> {
    let mut bytes = b"#!AMR\n".to_vec();
    for _ in 0..seconds * 50 {
        bytes.push(0x3C);
        bytes.extend([0u8; 31]);
    }
    bytes
}

// ----- tokens -----

#[tokio::test]
async fn the_token_is_cached_and_refreshed_once_when_revoked() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    client
        .send("zhangsan", &text("一"), &PLAIN)
        .await
        .expect("sent");
    client
        .send("zhangsan", &text("二"), &PLAIN)
        .await
        .expect("sent");
    assert_eq!(wecom.gettoken_calls(), 1, "cached");

    wecom.revoke_tokens();
    client
        .send("zhangsan", &text("三"), &PLAIN)
        .await
        .expect("retried and sent");
    assert_eq!(wecom.gettoken_calls(), 2, "refreshed once");
    assert_eq!(wecom.errcodes("message/send"), vec![0, 0, 40014, 0]);

    wecom.expire_tokens();
    client
        .send("zhangsan", &text("四"), &PLAIN)
        .await
        .expect("retried and sent");
    assert_eq!(wecom.gettoken_calls(), 3);
    assert_eq!(
        wecom.errcodes("message/send"),
        vec![0, 0, 40014, 0, 42001, 0]
    );
    let got: Vec<String> = wecom
        .received("zhangsan")
        .iter()
        .filter_map(|d| d.text().map(str::to_string))
        .collect();
    assert_eq!(got, ["一", "二", "三", "四"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_senders_wait_for_one_refresh() {
    let wecom = FakeWecom::start().await;
    for i in 0..20 {
        wecom.add_member(&format!("m{i}"));
    }
    let client = Arc::new(client(&wecom));
    client
        .send("zhangsan", &text("warm"), &PLAIN)
        .await
        .expect("sent");
    wecom.revoke_tokens();
    let sends: Vec<_> = (0..20)
        .map(|i| {
            let client = Arc::clone(&client);
            tokio::spawn(async move { client.send(&format!("m{i}"), &text("并发"), &PLAIN).await })
        })
        .collect();
    for s in sends {
        s.await.expect("task").expect("sent");
    }
    assert_eq!(wecom.gettoken_calls(), 2, "one refresh for twenty senders");
    for i in 0..20 {
        assert_eq!(wecom.received(&format!("m{i}")).len(), 1);
    }
}

#[tokio::test]
async fn the_token_is_fetched_again_shortly_before_it_expires_and_at_its_end() {
    let wecom = FakeWecom::start().await;
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap());
    let shared: Arc<dyn Clock> = Arc::new(clock.clone());
    let client = WecomClient::new(&wecom.config(), shared).expect("client");
    let advance = |secs: u64| {
        clock.advance(chrono::Duration::seconds(secs as i64));
        wecom.advance(Duration::from_secs(secs));
    };
    client.send("lisi", &text("1"), &PLAIN).await.expect("sent");
    advance(7200 - 300 - 10);
    client.send("lisi", &text("2"), &PLAIN).await.expect("sent");
    assert_eq!(wecom.gettoken_calls(), 1, "not yet");
    advance(20);
    client.send("lisi", &text("3"), &PLAIN).await.expect("sent");
    // WeCom answers the same token while it lives (91039); the client keeps it to its end.
    assert_eq!(wecom.gettoken_calls(), 2, "tried once before the end");
    client.send("lisi", &text("4"), &PLAIN).await.expect("sent");
    assert_eq!(wecom.gettoken_calls(), 2);
    advance(290);
    client.send("lisi", &text("5"), &PLAIN).await.expect("sent");
    assert_eq!(wecom.gettoken_calls(), 3, "a new token at the end");
    assert!(
        wecom.errcodes("message/send").iter().all(|&e| e == 0),
        "never sent with an expired token: {:?}",
        wecom.errcodes("message/send")
    );
}

#[tokio::test]
async fn a_wrong_secret_pauses_sending_and_is_never_shown() {
    let wecom = FakeWecom::start().await;
    let config = WecomConfig {
        secret: "a-wrong-Secret-0000".into(),
        ..wecom.config()
    };
    let client = WecomClient::new(&config, Arc::new(SystemClock)).expect("client");
    let failure = client
        .send("zhangsan", &text("x"), &PLAIN)
        .await
        .unwrap_err();
    assert!(
        matches!(failure, ApiFailure::Credentials { errcode: 40001, .. }),
        "{failure:?}"
    );
    let shown = format!("{failure:?}");
    assert!(!shown.contains("a-wrong-Secret"), "{shown}");
    assert_eq!(
        failure.classify(),
        SendError::RetryAfter(Duration::from_secs(60))
    );
}

// ----- messages -----

#[tokio::test]
async fn every_message_type_is_accepted_and_recorded() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let image = client
        .media_id(MediaType::Image, "poster.png", &png())
        .await
        .expect("image");
    let voice = client
        .media_id(MediaType::Voice, "lesson.amr", &amr(3))
        .await
        .expect("voice");
    let file = client
        .media_id(
            MediaType::File,
            "export.csv",
            "\u{feff}id,name\n1,张三\n".as_bytes(),
        )
        .await
        .expect("file");
    let messages = vec![
        text("今天的课"),
        Message::Markdown("**第一课** 交通安全".into()),
        Message::TextCard {
            title: "第一课".into(),
            description: "交通安全".into(),
            url: "https://example.org/lesson/1".into(),
            btntxt: Some("详情".into()),
        },
        Message::News(vec![Article {
            title: "第一课".into(),
            description: "交通安全".into(),
            url: "https://example.org/lesson/1".into(),
            picurl: None,
        }]),
        Message::ButtonCard(card("ci-1")),
        Message::Image {
            media_id: image.media_id,
        },
        Message::Voice {
            media_id: voice.media_id,
        },
        Message::File {
            media_id: file.media_id,
        },
    ];
    let mut receipts = Vec::new();
    for m in &messages {
        receipts.push(client.send("wangwu", m, &PLAIN).await.expect("accepted"));
    }
    let got: Vec<String> = wecom
        .received("wangwu")
        .iter()
        .map(|d| d.msgtype.clone())
        .collect();
    let expected: Vec<&str> = messages.iter().map(Message::msgtype).collect();
    assert_eq!(got, expected);
    assert!(receipts.iter().all(|r| r.msgid.is_some()));
    assert!(
        receipts[4].response_code.is_some(),
        "a card answers a response_code"
    );
    assert!(receipts[0].response_code.is_none());
    assert_eq!(
        wecom.received("wangwu")[4].payload["button_list"][0]["key"],
        "ci:safety:road"
    );
}

#[tokio::test]
async fn long_texts_are_split_and_too_long_ones_never_sent() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let long = "过马路要走斑马线，看清左右来车。".repeat(120); // 5,760 bytes
    let receipts = client.send_text("lisi", &long, &PLAIN).await.expect("sent");
    assert_eq!(receipts.len(), 3);
    let parts: Vec<String> = wecom
        .received("lisi")
        .iter()
        .map(|d| d.text().unwrap_or_default().to_string())
        .collect();
    assert_eq!(parts.concat(), long);
    assert!(parts.iter().all(|p| p.len() <= 2048 && p.ends_with('。')));

    let refused = client
        .send("lisi", &text(&"字".repeat(700)), &PLAIN)
        .await
        .unwrap_err();
    assert!(matches!(refused, ApiFailure::Invalid(_)), "{refused:?}");
    assert!(matches!(refused.classify(), SendError::Rejected(_)));
    let seven = ButtonCard {
        buttons: (0..7)
            .map(|i| CardButton {
                key: format!("k{i}"),
                text: format!("{i}"),
            })
            .collect(),
        ..card("seven")
    };
    assert!(matches!(
        client
            .send("lisi", &Message::ButtonCard(seven), &PLAIN)
            .await,
        Err(ApiFailure::Invalid(_))
    ));
    assert_eq!(
        wecom.errcodes("message/send").len(),
        3,
        "nothing refused was sent"
    );
}

/// A token from the fake, for raw requests.
async fn raw_token(wecom: &FakeWecom) -> String {
    let answer: Value = reqwest::get(format!(
        "{}/gettoken?corpid={}&corpsecret={}",
        wecom.api_base(),
        fake_wecom::CORP_ID,
        fake_wecom::SECRET
    ))
    .await
    .expect("gettoken")
    .json()
    .await
    .expect("json");
    answer["access_token"].as_str().expect("token").to_string()
}

async fn raw_send(wecom: &FakeWecom, token: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(format!(
            "{}/message/send?access_token={token}",
            wecom.api_base()
        ))
        .json(&body)
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json")
}

#[tokio::test]
async fn the_fake_refuses_what_the_documentation_refuses() {
    let wecom = FakeWecom::start().await;
    let token = raw_token(&wecom).await;
    let base = |msgtype: &str, payload: Value| {
        let mut body =
            json!({"touser": "zhangsan", "msgtype": msgtype, "agentid": fake_wecom::AGENT_ID});
        body[msgtype] = payload;
        body
    };
    let buttons = |n: usize| {
        (0..n)
            .map(|i| json!({"text": format!("b{i}"), "key": format!("k{i}")}))
            .collect::<Vec<_>>()
    };
    let card = |task: &str, n: usize| {
        base(
            "template_card",
            json!({"card_type": "button_interaction", "main_title": {"title": "t"}, "task_id": task, "button_list": buttons(n)}),
        )
    };
    let cases: Vec<(Value, i64)> = vec![
        (base("text", json!({"content": "x".repeat(2048)})), 0),
        (base("text", json!({"content": "x".repeat(2049)})), 45002),
        (base("text", json!({"content": ""})), 44004),
        (base("text", json!({"content": 5})), 40058),
        (
            base("markdown", json!({"content": "汉".repeat(683)})),
            45002,
        ),
        (
            base("textcard", json!({"title": "t", "url": "https://e.org"})),
            41033,
        ),
        (
            base(
                "textcard",
                json!({"title": "t", "description": "d", "url": "https://e.org", "btntxt": "五个字按钮"}),
            ),
            45002,
        ),
        (
            base(
                "news",
                json!({"articles": vec![json!({"title": "t", "url": "https://e.org"}); 9]}),
            ),
            45008,
        ),
        (
            base("news", json!({"articles": [{"url": "https://e.org"}]})),
            41016,
        ),
        (base("image", json!({"media_id": "nope"})), 40007),
        (base("video", json!({"media_id": "nope"})), 40008),
        (card("task-6", 6), 0),
        (card("task-7", 7), 40058),
        (card("task-6", 2), 40058), // a task_id is never reused
        (card("任务", 2), 40058),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "agentid": 1, "text": {"content": "x"}}),
            40056,
        ),
        (
            json!({"touser": "zhangsan", "msgtype": "text", "text": {"content": "x"}}),
            41011,
        ),
        (
            json!({"touser": "nobody", "msgtype": "text", "agentid": fake_wecom::AGENT_ID, "text": {"content": "x"}}),
            81013,
        ),
    ];
    for (body, errcode) in cases {
        let answer = raw_send(&wecom, &token, body.clone()).await;
        assert_eq!(answer["errcode"], errcode, "{body}: {answer}");
    }
    // Some unknown recipients: the others receive it; the unknown are listed in lowercase.
    let answer = raw_send(
        &wecom,
        &token,
        json!({"touser": "lisi|NoBody", "msgtype": "text", "agentid": fake_wecom::AGENT_ID, "text": {"content": "x"}}),
    )
    .await;
    assert_eq!(answer["errcode"], 0);
    assert_eq!(answer["invaliduser"], "nobody");
    assert_eq!(wecom.received("lisi").len(), 1);
    let no_token: Value = reqwest::Client::new()
        .post(format!("{}/message/send", wecom.api_base()))
        .json(&json!({}))
        .send()
        .await
        .expect("send")
        .json()
        .await
        .expect("json");
    assert_eq!(no_token["errcode"], 41001);
}

#[tokio::test]
async fn members_outside_the_app_are_unreachable() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let failure = client.send("nobody", &text("x"), &PLAIN).await.unwrap_err();
    assert!(
        matches!(failure, ApiFailure::Api { errcode: 81013, .. }),
        "{failure:?}"
    );
    assert!(matches!(failure.classify(), SendError::Unreachable(_)));
    client
        .send("lisi", &text("before"), &PLAIN)
        .await
        .expect("sent");
    wecom.remove_member("lisi");
    let failure = client
        .send("lisi", &text("after"), &PLAIN)
        .await
        .unwrap_err();
    assert!(matches!(failure.classify(), SendError::Unreachable(_)));
}

#[tokio::test]
async fn duplicate_checked_sends_are_shown_once() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let dedup = SendOptions {
        duplicate_check: Some(Duration::from_secs(1800)),
    };
    client
        .send("lisi", &text("第一课"), &dedup)
        .await
        .expect("sent");
    client
        .send("lisi", &text("第一课"), &dedup)
        .await
        .expect("answered ok");
    assert_eq!(wecom.received("lisi").len(), 1);
    assert_eq!(wecom.duplicates_suppressed(), 1);
    client
        .send("lisi", &text("第一课"), &PLAIN)
        .await
        .expect("sent");
    assert_eq!(
        wecom.received("lisi").len(),
        2,
        "without the check it is shown again"
    );
}

// ----- limits -----

#[tokio::test]
async fn beyond_30_a_minute_and_1000_an_hour_messages_are_dropped_silently() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    for i in 0..31 {
        client
            .send("lisi", &text(&format!("{i}")), &PLAIN)
            .await
            .expect("answered ok");
    }
    assert_eq!(wecom.received("lisi").len(), 30);
    assert_eq!(wecom.dropped("lisi"), 1);
    assert_eq!(wecom.dropped("zhangsan"), 0);
    wecom.advance(Duration::from_secs(60));
    client
        .send("lisi", &text("next minute"), &PLAIN)
        .await
        .expect("sent");
    assert_eq!(wecom.received("lisi").len(), 31);

    // 1,000 an hour: 30 a minute for 33 more minutes reaches it.
    for _ in 0..33 {
        wecom.advance(Duration::from_secs(60));
        for _ in 0..30 {
            client
                .send("lisi", &text("x"), &PLAIN)
                .await
                .expect("answered ok");
        }
    }
    assert_eq!(wecom.received("lisi").len(), 1000);
    assert_eq!(wecom.dropped("lisi"), 1 + 21);
    assert_eq!(wecom.total_dropped(), 22);
    assert!(
        wecom.errcodes("message/send").iter().all(|&e| e == 0),
        "dropped silently"
    );
}

// ----- media -----

#[tokio::test]
async fn uploads_are_checked_before_sending_and_cached() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let first = client
        .media_id(MediaType::Image, "p.png", &png())
        .await
        .expect("uploaded");
    let again = client
        .media_id(MediaType::Image, "p.png", &png())
        .await
        .expect("cached");
    assert!(first.uploaded && !again.uploaded);
    assert_eq!(first.media_id, again.media_id);
    assert_eq!(wecom.uploads().len(), 1);

    let big = [png().as_slice(), &vec![0; 10 << 20]].concat();
    for (kind, bytes) in [
        (MediaType::Image, big),
        (MediaType::Image, b"GIF89a.......".to_vec()),
        (MediaType::Voice, amr(61)),
        (MediaType::Voice, b"ID3 not amr".to_vec()),
        (MediaType::File, vec![1; (20 << 20) + 1]),
        (MediaType::File, b"tiny".to_vec()),
    ] {
        let refused = client.media_id(kind, "f", &bytes).await.unwrap_err();
        assert!(
            matches!(refused, ApiFailure::Invalid(_)),
            "{kind}: {refused:?}"
        );
    }
    assert_eq!(wecom.uploads().len(), 1, "nothing refused was uploaded");
    assert_eq!(wecom.errcodes("media/upload"), vec![0]);

    // The voice of a lesson is sent by content: uploaded once, then reused.
    client
        .send_media("zhangsan", MediaType::Voice, "l.amr", &amr(30), &PLAIN)
        .await
        .expect("sent");
    client
        .send_media("lisi", MediaType::Voice, "l.amr", &amr(30), &PLAIN)
        .await
        .expect("sent");
    assert_eq!(wecom.uploads().len(), 2);
    assert_eq!(
        wecom.received("zhangsan")[0].payload["media_id"],
        wecom.received("lisi")[0].payload["media_id"]
    );
}

async fn raw_upload(wecom: &FakeWecom, token: &str, kind: &str, bytes: Vec<u8>) -> i64 {
    let form = reqwest::multipart::Form::new().part(
        "media",
        reqwest::multipart::Part::bytes(bytes).file_name("f.bin"),
    );
    let answer: Value = reqwest::Client::new()
        .post(format!(
            "{}/media/upload?access_token={token}&type={kind}",
            wecom.api_base()
        ))
        .multipart(form)
        .send()
        .await
        .expect("upload")
        .json()
        .await
        .expect("json");
    answer["errcode"].as_i64().expect("errcode")
}

#[tokio::test]
async fn the_fake_refuses_uploads_beyond_the_documented_limits() {
    let wecom = FakeWecom::start().await;
    let token = raw_token(&wecom).await;
    assert_eq!(raw_upload(&wecom, &token, "image", png()).await, 0);
    assert_eq!(
        raw_upload(&wecom, &token, "image", b"GIF89a......".to_vec()).await,
        40004
    );
    assert_eq!(
        raw_upload(&wecom, &token, "image", b"\x89PNG".to_vec()).await,
        40006
    );
    let big_png = [png().as_slice(), &vec![0; 10 << 20]].concat();
    assert_eq!(raw_upload(&wecom, &token, "image", big_png).await, 40009);
    assert_eq!(raw_upload(&wecom, &token, "voice", amr(60)).await, 0);
    assert_eq!(raw_upload(&wecom, &token, "voice", amr(61)).await, 45007);
    assert_eq!(
        raw_upload(&wecom, &token, "voice", b"RIFF wav data".to_vec()).await,
        40004
    );
    assert_eq!(
        raw_upload(&wecom, &token, "file", vec![1; 20 << 20]).await,
        0
    );
    assert_eq!(
        raw_upload(&wecom, &token, "file", vec![1; (20 << 20) + 1]).await,
        45001
    );
    assert_eq!(raw_upload(&wecom, &token, "sticker", png()).await, 40005);
}

// ----- callbacks and cards -----

/// A callback endpoint: verifies and parses what the fake members POST.
async fn callback_receiver() -> (String, Arc<Mutex<Vec<Callback>>>) {
    type Got = Arc<Mutex<Vec<Callback>>>;
    async fn receive(
        State(got): State<Got>,
        RawQuery(query): RawQuery,
        body: String,
    ) -> (axum::http::StatusCode, String) {
        let crypto = FakeWecom::crypto();
        let parsed = CallbackQuery::parse(&query.unwrap_or_default())
            .and_then(|q| callback::open_post(&crypto, &q, &body));
        match parsed {
            Ok(c) => {
                got.lock().expect("lock").push(c);
                (axum::http::StatusCode::OK, String::new())
            }
            Err(e) => (axum::http::StatusCode::FORBIDDEN, e.to_string()),
        }
    }
    async fn verify(RawQuery(query): RawQuery) -> String {
        CallbackQuery::parse(&query.unwrap_or_default())
            .and_then(|q| callback::verify_url(&FakeWecom::crypto(), &q))
            .unwrap_or_default()
    }
    let got: Got = Arc::default();
    let app = axum::Router::new()
        .route("/wecom", get(verify).post(receive))
        .with_state(Arc::clone(&got));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let url = format!("http://{}/wecom", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, got)
}

#[tokio::test]
async fn a_pressed_card_is_turned_into_done_once() {
    let wecom = FakeWecom::start().await;
    let client = client(&wecom);
    let (url, got) = callback_receiver().await;
    let receipt = client
        .send(
            "zhangsan",
            &Message::ButtonCard(card("ci-zhangsan-1")),
            &PLAIN,
        )
        .await
        .expect("sent");

    let (status, code) = wecom
        .click(&url, "zhangsan", "ci-zhangsan-1", "ci:safety:road")
        .await;
    assert_eq!(status, 200);
    let clicks = got.lock().expect("lock").clone();
    let Routed::Inbound(inbound) = clicks[0].route() else {
        panic!("{:?}", clicks[0]);
    };
    assert_eq!(inbound.chat_id, "zhangsan");
    let InboundEvent::Button {
        callback_id,
        data,
        message_id,
    } = inbound.event
    else {
        panic!("{:?}", inbound.event);
    };
    assert_eq!(
        (callback_id.as_str(), data.as_str()),
        (code.as_str(), "ci:safety:road")
    );
    assert_eq!(message_id.as_deref(), Some("ci-zhangsan-1"));

    client
        .finish_card("zhangsan", &callback_id, "✅ 已打卡")
        .await
        .expect("updated");
    let updates = wecom.card_updates();
    assert_eq!(updates.len(), 1);
    assert_eq!(updates[0].replace_name.as_deref(), Some("✅ 已打卡"));
    assert_eq!(updates[0].userids, ["zhangsan"]);

    let again = client
        .finish_card("zhangsan", &callback_id, "✅ 已打卡")
        .await
        .unwrap_err();
    assert!(matches!(again.classify(), SendError::Rejected(_)));
    // The send's own response_code is usable once too; not by another member.
    let send_code = receipt.response_code.expect("response_code");
    assert!(client.finish_card("lisi", &send_code, "x").await.is_err());
    client
        .finish_card("zhangsan", &send_code, "✅ 已打卡")
        .await
        .expect("updated");
    // After 72 hours a code is no longer usable.
    let late = wecom.issue_response_code("zhangsan");
    wecom.advance(Duration::from_secs(72 * 3600));
    assert!(client.finish_card("zhangsan", &late, "x").await.is_err());
    assert_eq!(wecom.card_updates().len(), 2);
}

#[tokio::test]
async fn fake_members_send_texts_and_location_reports_that_parse() {
    let wecom = FakeWecom::start().await;
    let (url, got) = callback_receiver().await;
    assert_eq!(wecom.say(&url, "lisi", "/start ]]> <x>").await, 200);
    assert_eq!(
        wecom.report_location(&url, "lisi", 31.2304, 121.4737).await,
        200
    );
    let callbacks = got.lock().expect("lock").clone();
    let events: Vec<InboundEvent> = callbacks
        .iter()
        .map(|c| match c.route() {
            Routed::Inbound(i) => i.event,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        events,
        [
            InboundEvent::Text("/start ]]> <x>".into()),
            InboundEvent::Location {
                lat: 31.2304,
                lon: 121.4737,
                live: true
            }
        ]
    );
    assert_ne!(callbacks[0].dedup_key(), callbacks[1].dedup_key());
    assert_eq!(callbacks[0].agent_id, Some(fake_wecom::AGENT_ID));
    // The receiver refuses a callback signed with another Token.
    let status = reqwest::Client::new()
        .post(format!("{url}?msg_signature=00&timestamp=1&nonce=2"))
        .body(callback::envelope(fake_wecom::CORP_ID, 1, "AAAA"))
        .send()
        .await
        .expect("post")
        .status();
    assert_eq!(status, 403);
}

// ----- secrets -----

#[tokio::test]
async fn a_server_echoing_the_url_does_not_leak_the_token_or_the_secret() {
    // Answers a token, then every call with its own URL as the errmsg.
    let app = axum::Router::new()
        .route(
            "/cgi-bin/gettoken",
            get(|| async { axum::Json(json!({"errcode": 0, "access_token": "TOKEN-very-Secret-42", "expires_in": 7200})) }),
        )
        .fallback(|uri: axum::http::Uri| async move {
            axum::Json(json!({"errcode": 40058, "errmsg": format!("bad request {uri}")}))
        });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}/cgi-bin", listener.local_addr().expect("addr"));
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    let config = WecomConfig {
        corp_id: "ww1".into(),
        secret: "SECRET-do-not-show".into(),
        agent_id: 1,
        api_base: Some(base),
        timeout: Duration::from_secs(5),
    };
    let client = WecomClient::new(&config, Arc::new(SystemClock)).expect("client");
    let failure = client.send("u", &text("x"), &PLAIN).await.unwrap_err();
    let kept = format!("{failure:?} {}", failure.clone().classify());
    assert!(kept.contains("bad request"), "{kept}");
    assert!(!kept.contains("TOKEN-very-Secret"), "{kept}");

    // Nothing listening: the network error names no URL.
    let closed = WecomConfig {
        api_base: Some("http://127.0.0.1:9/cgi-bin".into()),
        ..config
    };
    let client = WecomClient::new(&closed, Arc::new(SystemClock)).expect("client");
    let failure = client.send("u", &text("x"), &PLAIN).await.unwrap_err();
    let kept = format!("{failure:?} {}", failure.clone().classify());
    assert!(matches!(failure, ApiFailure::Network(_)), "{kept}");
    assert!(
        !kept.contains("SECRET-do-not-show") && !kept.contains("corpsecret"),
        "{kept}"
    );
}
