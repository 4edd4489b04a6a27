//! End to end through the WeCom adapter, against the fake WeCom server (which posts the
//! members' encrypted callbacks to the service's HTTP server and counts what its
//! per-member limits drop), on a manual clock, on SQLite and PostgreSQL:
//!
//! - the callback URL is verified (GET), forged callbacks are refused and store nothing,
//!   a replayed callback is handled once;
//! - a member onboards by text, card clicks and typed numbers (/start, language, name,
//!   branch, time, time zone), receives the 07:30 lesson (text, the audio as a file, the
//!   check-in card), checks in by the card, which is turned into "✅ 已打卡", and answers
//!   the quiz by its card;
//! - the app's LOCATION reports are handled under the consent rule: ignored and not kept
//!   before consent, kept and checking the member in at an activity after;
//! - a member who leaves the app's visible range (`unsubscribe`) is marked blocked;
//! - an owner's broadcast, and a burst of 40 deliveries to one member, reach everybody
//!   within WeCom's per-member limits: the fake drops nothing;
//! - the WeCom courier leaves the Telegram members' deliveries alone.

mod support;

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use support::db::TestDb;
use support::fake_wecom::{
    self, AGENT_ID, CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID, Delivered, FakeWecom,
};
use support::harness::{add_members, start_time};
use weike::channel::wecom::render::CardKey;
use weike::channel::wecom::{CALLBACK_PATH, CHANNEL_NAME};
use weike::channel::{Mode, UpdateSource};
use weike::clock::{Clock, ManualClock};
use weike::config::Config;
use weike::domain::{Dialog, Locale, MemberStatus};
use weike::service::{App, Service};
use weike::store::NewDelivery;

const MEMBER: &str = "zhangsan";
const OWNER: &str = "lisi";
const LEAVER: &str = "wangwu";

struct World {
    fake: FakeWecom,
    clock: ManualClock,
    db: TestDb,
    service: Service,
    url: String,
    /// How many messages of each member the test has looked at.
    seen: HashMap<String, usize>,
}

fn config(db: &TestDb, fake: &FakeWecom) -> Config {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars: Vec<(&str, String)> = vec![
        ("WEIKE_DATABASE_URL", db.url.clone()),
        (
            "WEIKE_LESSONS_DIR",
            root.join("lessons").display().to_string(),
        ),
        (
            "WEIKE_BRANCHES_FILE",
            root.join("branches.toml").display().to_string(),
        ),
        ("WEIKE_WECOM_CORP_ID", CORP_ID.into()),
        ("WEIKE_WECOM_AGENT_ID", AGENT_ID.to_string()),
        ("WEIKE_WECOM_SECRET", fake_wecom::SECRET.into()),
        ("WEIKE_WECOM_TOKEN", CALLBACK_TOKEN.into()),
        ("WEIKE_WECOM_AES_KEY", CALLBACK_AES_KEY.into()),
        ("WEIKE_WECOM_API_URL", fake.api_base()),
        ("WEIKE_OWNERS", format!("{CHANNEL_NAME}:{OWNER}")),
        // The owner and the member act many times within a minute of the manual clock.
        ("WEIKE_COMMANDS_PER_MINUTE", "0".into()),
        // One delivery at a time, so that the manual clock reads each send's instant.
        ("WEIKE_SEND_CONCURRENCY", "1".into()),
    ];
    Config::from_sources(None, move |k| {
        vars.iter().find(|(n, _)| *n == k).map(|(_, v)| v.clone())
    })
    .expect("test config")
}

impl World {
    async fn new(db: TestDb) -> World {
        let clock = ManualClock::new(start_time());
        let fake = FakeWecom::start_with_clock(Arc::new(clock.clone())).await;
        let app = App::start(config(&db, &fake), Arc::new(clock.clone()))
            .await
            .expect("service starts");
        assert!(
            app.config.telegram_token.is_none(),
            "WeCom alone is configured"
        );
        let channel = weike::cli::open_wecom(&app)
            .expect("the channel opens")
            .expect("WeCom is configured");
        channel
            .prepare(Mode::Webhook, &app.command_menu())
            .await
            .expect("WeCom takes the credentials");
        let service = Service::new(app, channel);
        let router = service
            .http_router(
                Mode::Webhook,
                Arc::new(tokio::sync::Notify::new()),
                weike::http::Endpoints::All,
            )
            .expect("the callback route");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (limits, metrics) = (service.app.config.http_limits, service.app.metrics.clone());
        tokio::spawn(weike::http::serve(
            listener,
            router,
            limits,
            metrics,
            std::future::pending(),
        ));
        World {
            fake,
            clock,
            db,
            service,
            url: format!("http://{addr}{CALLBACK_PATH}"),
            seen: HashMap::new(),
        }
    }

    /// Handles what the callbacks stored; the messages `user` got since the last look.
    async fn step(&mut self, user: &str) -> Vec<Delivered> {
        self.service
            .process_stored_updates()
            .await
            .expect("handling");
        self.take(user)
    }

    fn take(&mut self, user: &str) -> Vec<Delivered> {
        let all = self.fake.received(user);
        let seen = self.seen.entry(user.to_string()).or_default();
        let new = all[(*seen).min(all.len())..].to_vec();
        *seen = all.len();
        new
    }

    async fn say(&mut self, user: &str, text: &str) -> Vec<Delivered> {
        assert_eq!(self.fake.say(&self.url, user, text).await, 200, "{text}");
        self.step(user).await
    }

    /// Clicks the button that means `data` on the latest card in `got`; the messages that
    /// followed, and the click's ResponseCode.
    async fn press(&mut self, user: &str, got: &[Delivered], data: &str) -> Vec<Delivered> {
        let (task_id, key) = button(got, data);
        let (status, _) = self.fake.click(&self.url, user, &task_id, &key).await;
        assert_eq!(status, 200);
        self.step(user).await
    }

    async fn member(&self, user: &str) -> weike::domain::Member {
        self.service
            .app
            .store
            .member_by_chat(CHANNEL_NAME, user)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{user} is a member"))
    }
}

/// The texts among messages.
fn texts(got: &[Delivered]) -> String {
    got.iter()
        .filter_map(Delivered::text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cards among messages: (task id, [(decoded key, button text)]).
fn cards(got: &[Delivered]) -> Vec<(String, Vec<(CardKey, String)>)> {
    got.iter()
        .filter(|d| d.msgtype == "template_card")
        .map(|d| {
            let buttons = d.payload["button_list"]
                .as_array()
                .expect("buttons")
                .iter()
                .map(|b| {
                    let key = b["key"].as_str().expect("key");
                    (
                        CardKey::decode(key).unwrap_or_else(|| panic!("not our key: {key}")),
                        b["text"].as_str().unwrap_or_default().to_string(),
                    )
                })
                .collect();
            (
                d.payload["task_id"]
                    .as_str()
                    .unwrap_or_default()
                    .to_string(),
                buttons,
            )
        })
        .collect()
}

/// What the buttons of the latest card in `got` mean.
fn last_card(got: &[Delivered]) -> Vec<String> {
    let (_, buttons) = cards(got)
        .pop()
        .unwrap_or_else(|| panic!("no card among {got:#?}"));
    buttons.into_iter().map(|(k, _)| meaning(&k)).collect()
}

fn meaning(key: &CardKey) -> String {
    match key {
        CardKey::Button { data, .. } => data.clone(),
        CardKey::Answer {
            poll_id, option, ..
        } => format!("{poll_id}#{option}"),
    }
}

/// The task id and raw key of the button meaning `data` on the latest card that has it.
fn button(got: &[Delivered], data: &str) -> (String, String) {
    got.iter()
        .rev()
        .filter(|d| d.msgtype == "template_card")
        .find_map(|d| {
            let key = d.payload["button_list"]
                .as_array()?
                .iter()
                .filter_map(|b| b["key"].as_str())
                .find(|k| CardKey::decode(k).is_some_and(|c| meaning(&c) == data))?;
            Some((d.payload["task_id"].as_str()?.to_string(), key.to_string()))
        })
        .unwrap_or_else(|| panic!("no button {data} among {got:#?}"))
}

/// A WeCom member who finished onboarding, in 柳村, enrolled.
async fn add_wecom_member(app: &App, user: &str, now: chrono::DateTime<Utc>) -> i64 {
    let course = app.library.courses[0].clone();
    let mut m = app
        .store
        .create_member(
            CHANNEL_NAME,
            user,
            Locale::ZhCn,
            "Asia/Shanghai",
            app.config.default_lesson_time,
            "idle",
            now,
        )
        .await
        .unwrap();
    m.display_name = Some(format!("成员{user}"));
    m.branch_id = Some("qingshan.donghu.liucun".into());
    m.onboarded = true;
    m.dialog = Dialog::Idle;
    app.store.save_member(&m, now).await.unwrap();
    let next =
        weike::domain::schedule::next_lesson_at(&course.schedule, m.lesson_time, m.timezone, now);
    app.store.enroll(m.id, &course.id, next, now).await.unwrap();
    m.id
}

async fn scenario(db: TestDb) {
    let mut w = World::new(db).await;

    // --- the callback URL ----------------------------------------------------------------
    let (status, body) = w.fake.check_url(&w.url, "1616140317555161061").await;
    assert_eq!((status, body.as_str()), (200, "1616140317555161061"));
    let (status, _) = w
        .fake
        .get(
            &w.url,
            &[
                ("msg_signature", "0123"),
                ("timestamp", "1"),
                ("nonce", "2"),
                ("echostr", "AAAA"),
            ],
        )
        .await;
    assert_eq!(status, 401, "an unsigned URL check is refused");

    // A Telegram member shares the database; the WeCom courier must leave them alone.
    add_members(&w.service.app, 1, 5001, w.clock.now()).await;

    // --- onboarding --------------------------------------------------------------------
    let got = w.say(MEMBER, "/start").await;
    let said = texts(&got);
    assert!(said.contains("欢迎来到"), "{said}");
    assert!(
        said.contains("[1] ") && said.contains("[3] "),
        "choices as text: {said}"
    );
    assert_eq!(last_card(&got), ["lang:zh-CN", "lang:zh-TW", "lang:en"]);
    let said = texts(&w.say(MEMBER, "Klingon").await);
    assert!(said.contains("请用按钮选择语言"), "{said}");
    // A typed number chooses as the card's button would (personal WeChat shows no cards).
    let said = texts(&w.say(MEMBER, "1").await);
    assert!(said.contains("怎么称呼您"), "{said}");
    let got = w.say(MEMBER, "王小明").await;
    assert_eq!(last_card(&got), ["br:qingshan", "br:hexi"]);
    let got = w.press(MEMBER, &got, "br:qingshan").await;
    // The pressed card was turned into its done state with the pressed button's label.
    let update = w.fake.card_updates().pop().expect("the card updated");
    assert_eq!(update.userids, [MEMBER]);
    assert_eq!(update.replace_name.as_deref(), Some("青山市 ›"));
    assert_eq!(
        last_card(&got),
        [
            "br:qingshan.donghu",
            "br:qingshan.xishan",
            "br-this:qingshan",
            "br-up"
        ]
    );
    let got = w.press(MEMBER, &got, "br:qingshan.donghu").await;
    let got = w.press(MEMBER, &got, "br:qingshan.donghu.liucun").await;
    assert!(
        texts(&got).contains("青山市 / 东湖镇 / 柳村党支部"),
        "{got:#?}"
    );
    assert_eq!(last_card(&got), ["time:keep"]);
    let got = w.press(MEMBER, &got, "time:keep").await;
    assert!(
        last_card(&got)[0].starts_with("tz:Asia/Shanghai"),
        "{got:#?}"
    );
    let said = texts(&w.say(MEMBER, "1").await);
    assert!(said.contains("设置完成，王小明"), "{said}");
    assert!(said.contains("明天（周三）07:30"), "{said}");
    let m = w.member(MEMBER).await;
    assert!(m.onboarded);
    assert_eq!(m.branch_id.as_deref(), Some("qingshan.donghu.liucun"));

    // WeCom's per-member limits hold for replies too: 20 menus (a text and a card each)
    // asked for within one minute are spread, not dropped.
    let before = w.clock.now();
    let mut menus = 0;
    for _ in 0..20 {
        let got = w.say(MEMBER, "/settings").await;
        menus += cards(&got).len();
    }
    assert_eq!(menus, 20, "every menu arrived");
    assert_eq!(w.fake.total_dropped(), 0);
    assert!(
        w.clock.now() - before >= Duration::seconds(60),
        "held back past the minute: {}",
        w.clock.now() - before
    );

    // --- the lesson and the check-in card ------------------------------------------------
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap());
    let report = w.service.tick().await.into_result().unwrap();
    assert_eq!(
        report.planned.planned, 2,
        "the WeCom and the Telegram member"
    );
    assert_eq!(
        report.drained.sent, 1,
        "only the WeCom member's lesson is sent"
    );
    let got = w.take(MEMBER);
    let kinds: Vec<&str> = got.iter().map(|d| d.msgtype.as_str()).collect();
    assert_eq!(kinds, ["text", "file", "text", "template_card"], "{got:#?}");
    assert!(
        got[0]
            .text()
            .unwrap()
            .starts_with("📖 平安生活每日一课 · 第 1 课（共 15 课）"),
        "{got:#?}"
    );
    assert!(
        !got[0].text().unwrap().contains("<b>"),
        "no markup in WeCom"
    );
    assert!(
        w.fake
            .uploads()
            .iter()
            .any(|u| u.kind == "file" && u.file_name.ends_with(".ogg")),
        "the Opus audio goes as a file (no AMR beside it): {:?}",
        w.fake.uploads()
    );
    assert!(got[2].text().unwrap().contains("[1] "), "{got:#?}");
    assert_eq!(last_card(&got), ["ck:safety:road-safety"]);
    let (task, key) = button(&got, "ck:safety:road-safety");
    let (click, code) = w.fake.click_callback(MEMBER, &task, &key);
    assert_eq!(w.fake.deliver(&w.url, &click).await, 200);
    let got = w.step(MEMBER).await;
    let said = texts(&got);
    assert!(
        said.contains("打卡成功！积分 +1，已连续学习 1 天"),
        "{said}"
    );
    let update = w.fake.card_updates().pop().expect("the card updated");
    assert_eq!(update.response_code, code);
    assert_eq!(update.replace_name.as_deref(), Some("✅ 已打卡"));
    let updates = w.fake.card_updates().len();
    // The lesson's first quiz question, as a card with one button per option.
    let quiz = last_card(&got);
    assert!(quiz.len() >= 2 && quiz[0].ends_with("#0"), "{quiz:?}");

    // WeCom retries a callback it did not see answered: the same click again is stored
    // once and handled once.
    assert_eq!(w.fake.deliver(&w.url, &click).await, 200);
    assert!(
        w.step(MEMBER).await.is_empty(),
        "a replay is not handled again"
    );
    assert_eq!(w.fake.card_updates().len(), updates);
    // A forged callback is refused and stores nothing.
    let forged = w.fake.text_callback(MEMBER, "/me");
    assert_eq!(w.fake.deliver_forged(&w.url, &forged).await, 400);
    assert!(w.step(MEMBER).await.is_empty());

    // The quiz by its card: an answer, and the card shows the option chosen.
    let got = w.press(MEMBER, &got, &quiz[0]).await;
    assert!(!texts(&got).is_empty(), "the answer is answered");
    assert_eq!(w.fake.card_updates().len(), updates + 1);

    // --- locations under the consent rule ------------------------------------------------
    let (lat, lon) = (31.2304, 121.4737);
    assert_eq!(w.fake.report_location(&w.url, MEMBER, lat, lon).await, 200);
    assert!(
        w.step(MEMBER).await.is_empty(),
        "a report without consent is not answered"
    );
    let member_id = w.member(MEMBER).await.id;
    let store = w.service.app.store.clone();
    assert_eq!(
        store.last_location(member_id).await.unwrap(),
        None,
        "nor kept"
    );
    // The owner adds a venue and an activity going on now (07:3x in Shanghai).
    add_wecom_member(&w.service.app, OWNER, w.clock.now()).await;
    let said = texts(
        &w.say(
            OWNER,
            "/venue_add pd-01,浦东红色驿站,31.2304,121.4737,世纪大道100号,10,qingshan",
        )
        .await,
    );
    assert!(said.contains("已添加驿站"), "{said}");
    let said = texts(
        &w.say(
            OWNER,
            "/activity_add pd-1125,pd-01,学习交流会,2026-11-25 07:00,2026-11-25 12:00",
        )
        .await,
    );
    assert!(said.contains("已添加活动"), "{said}");
    let got = w.say(MEMBER, "/away").await;
    assert!(texts(&got).contains("为了向您推荐附近的活动"), "{got:#?}");
    let got = w.press(MEMBER, &got, "loc:yes").await;
    let said = texts(&got);
    assert!(
        said.contains("在企业微信里分享位置"),
        "WeCom cannot ask with a button: it says how: {said}"
    );
    // WeCom reports the position each time the member enters the app (a report is known by
    // its member and second).
    w.clock.advance(Duration::seconds(30));
    assert_eq!(w.fake.report_location(&w.url, MEMBER, lat, lon).await, 200);
    let said = texts(&w.step(MEMBER).await);
    assert!(
        said.contains("已在 学习交流会（浦东红色驿站）签到"),
        "{said}"
    );
    assert!(store.last_location(member_id).await.unwrap().is_some());

    // --- leaving the app ----------------------------------------------------------------
    w.fake.add_member(LEAVER);
    w.say(LEAVER, "/start").await;
    assert_eq!(w.member(LEAVER).await.status, MemberStatus::Active);
    assert_eq!(w.fake.leave(&w.url, LEAVER).await, 200);
    w.step(LEAVER).await;
    assert_eq!(w.member(LEAVER).await.status, MemberStatus::Blocked);

    // --- a broadcast and a burst, within WeCom's per-member limits -----------------------
    let others: Vec<String> = (1..=20).map(|i| format!("m{i:02}")).collect();
    for user in &others {
        w.fake.add_member(user);
        add_wecom_member(&w.service.app, user, w.clock.now()).await;
    }
    // 40 deliveries to one member at once: more than WeCom takes in a minute.
    let now = w.clock.now();
    for i in 0..40 {
        let kind = weike::domain::outbox::OutboxKind::Nudge;
        store
            .enqueue(
                &NewDelivery {
                    member_id,
                    kind,
                    reference: String::new(),
                    dedup_key: kind.dedup_key(format!("burst:{i}")),
                    due_at: now,
                },
                now,
            )
            .await
            .unwrap();
    }
    assert!(texts(&w.say(OWNER, "/broadcast").await).contains("请发送通知内容"));
    let got = w.say(OWNER, "明天上午九点在村委会开会，请准时参加。").await;
    let menu = last_card(&got);
    assert_eq!(menu.len(), 6, "at most 6 buttons on a card: {menu:?}");
    let id = menu[0].split(':').nth(1).unwrap().to_string();
    let got = w.press(OWNER, &got, &format!("bca:{id}:all")).await;
    let said = texts(&got);
    assert!(said.contains("发给全体成员：共 23 人"), "{said}");
    let said = texts(&w.press(OWNER, &got, &format!("bcs:{id}:now")).await);
    assert!(
        said.contains(&format!("第 {id} 号通知正在发送给 23 名成员")),
        "{said}"
    );
    // WeCom invalidates the access token early, mid-run: it is fetched again once, and
    // nothing is lost.
    let fetched = w.fake.gettoken_calls();
    w.fake.revoke_tokens();
    let started = w.clock.now();
    for _ in 0..5 {
        w.service.tick().await.into_result().unwrap();
    }
    assert_eq!(w.fake.total_dropped(), 0, "WeCom dropped nothing");
    assert_eq!(w.fake.gettoken_calls(), fetched + 1, "one refresh");
    assert!(w.fake.errcodes("message/send").contains(&40014));
    for user in others.iter().map(String::as_str).chain([MEMBER, OWNER]) {
        assert!(
            texts(&w.take(user)).contains("村委会开会"),
            "{user} got the announcement"
        );
    }
    let nudges = w
        .fake
        .received(MEMBER)
        .iter()
        .filter(|d| d.text().is_some_and(|t| t.contains("/today")))
        .count();
    assert!(nudges >= 40, "the burst was spread, not dropped: {nudges}");
    assert!(
        w.clock.now() - started >= Duration::seconds(120),
        "40 messages to one member take more than two minutes: {}",
        w.clock.now() - started
    );
    assert!(
        w.fake
            .received(LEAVER)
            .iter()
            .all(|d| !d.text().is_some_and(|t| t.contains("村委会开会")))
    );

    // The Telegram member's deliveries were never claimed by the WeCom courier.
    let statuses = support::sql::strings(
        &w.db.url,
        "SELECT o.status FROM outbox o JOIN members m ON m.id = o.member_id WHERE m.channel = 'telegram'",
    )
    .await;
    assert!(
        !statuses.is_empty() && statuses.iter().all(|s| s == "pending"),
        "{statuses:?}"
    );
    assert_eq!(w.fake.total_dropped(), 0);
}

#[tokio::test]
async fn wecom_end_to_end_on_sqlite() {
    scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn wecom_end_to_end_on_postgres() {
    if let Some(db) = TestDb::postgres("wecom_e2e").await {
        scenario(db).await;
    }
}

/// `weike run` (the real binary) with Telegram and WeCom configured serves both in one
/// process: Telegram by long polling, WeCom's callback on the HTTP server.
#[tokio::test]
async fn weike_run_serves_telegram_and_wecom_in_one_process() {
    let h = support::harness::Harness::new(TestDb::sqlite()).await;
    h.fake.accept_any_chat(true);
    let wecom = FakeWecom::start().await;
    let port = support::webhook::free_port();
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_weike"));
    cmd.arg("run")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WEIKE_DATABASE_URL", &h.db.url)
        .env("WEIKE_TELEGRAM_TOKEN", support::harness::TOKEN)
        .env("WEIKE_TELEGRAM_API_URL", h.fake.api_url())
        .env("WEIKE_POLL_TIMEOUT_SECONDS", "1")
        .env("WEIKE_WECOM_CORP_ID", CORP_ID)
        .env("WEIKE_WECOM_AGENT_ID", AGENT_ID.to_string())
        .env("WEIKE_WECOM_SECRET", fake_wecom::SECRET)
        .env("WEIKE_WECOM_TOKEN", CALLBACK_TOKEN)
        .env("WEIKE_WECOM_AES_KEY", CALLBACK_AES_KEY)
        .env("WEIKE_WECOM_API_URL", wecom.api_base())
        .env("WEIKE_HTTP_LISTEN", format!("127.0.0.1:{port}"))
        .env("WEIKE_LOG", "error")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true);
    let mut child = cmd.spawn().expect("weike run starts");
    let url = format!("http://127.0.0.1:{port}{CALLBACK_PATH}");
    // Telegram's command menu is registered once the process is ready.
    h.fake.wait_for_calls("setMyCommands", 3).await;
    let (status, body) = wecom.check_url(&url, "4242").await;
    assert_eq!((status, body.as_str()), (200, "4242"));

    assert_eq!(wecom.say(&url, MEMBER, "/start").await, 200);
    let got = wecom.wait_for_received(MEMBER, 2).await;
    assert!(texts(&got).contains("欢迎来到"), "{got:#?}");
    h.fake.push_text(5001, "/start");
    let calls = h.fake.wait_for_calls("sendMessage", 1).await;
    assert_eq!(calls[0].chat_id(), Some(5001));
    assert!(calls[0].text().unwrap_or_default().contains("欢迎来到"));
    // Each channel's member exists once, on their own channel.
    let channels = support::sql::strings(
        &h.db.url,
        "SELECT channel || ':' || chat_id FROM members ORDER BY channel",
    )
    .await;
    assert_eq!(channels, ["telegram:5001", "wecom:zhangsan"]);
    child.kill().await.expect("stopped");
}

/// Telegram's webhook and WeCom's callback cannot share a path: `weike run` says so and
/// exits instead of starting.
#[tokio::test]
async fn one_path_for_two_channels_is_refused() {
    let db = TestDb::sqlite();
    let output = tokio::process::Command::new(env!("CARGO_BIN_EXE_weike"))
        .args(["run", "--webhook"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("WEIKE_DATABASE_URL", &db.url)
        .env("WEIKE_TELEGRAM_TOKEN", support::harness::TOKEN)
        .env("WEIKE_TELEGRAM_API_URL", "http://127.0.0.1:9")
        .env(
            "WEIKE_WEBHOOK_URL",
            format!("https://bot.example.org{CALLBACK_PATH}"),
        )
        .env("WEIKE_WEBHOOK_SECRET", "s3cret")
        .env("WEIKE_WECOM_CORP_ID", CORP_ID)
        .env("WEIKE_WECOM_AGENT_ID", AGENT_ID.to_string())
        .env("WEIKE_WECOM_SECRET", fake_wecom::SECRET)
        .env("WEIKE_WECOM_TOKEN", CALLBACK_TOKEN)
        .env("WEIKE_WECOM_AES_KEY", CALLBACK_AES_KEY)
        .env("WEIKE_WECOM_API_URL", "http://127.0.0.1:9/cgi-bin")
        .env(
            "WEIKE_HTTP_LISTEN",
            format!("127.0.0.1:{}", support::webhook::free_port()),
        )
        .env("WEIKE_LOG", "error")
        .output()
        .await
        .expect("weike runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains(
            "the telegram and wecom channels would both receive updates at /wecom/callback"
        ),
        "{stderr}"
    );
    assert!(!stderr.contains(fake_wecom::SECRET), "{stderr}");
}
