//! End to end through the WeCom adapter, against the fake WeCom server (which posts the
//! members' encrypted callbacks to the service's HTTP server and counts what its
//! per-member limits drop), on a manual clock, on SQLite and PostgreSQL. The conversation
//! itself (onboarding, the lesson, the check-in, the quiz, an owner's commands) is
//! `tests/scenarios.rs`, over every channel; here is what is WeCom's own:
//!
//! - the callback URL is verified (GET), forged callbacks are refused and store nothing,
//!   a replayed callback is handled once;
//! - choices are listed as numbered text beside the card, a typed number chooses, a pressed
//!   card is turned into its done state ("✅ 已打卡" for the check-in), the lesson's audio
//!   goes as two AMR voice messages of at most 60 s, texts carry no markup, and the quiz is answered by its card;
//! - the app's LOCATION reports are handled under the consent rule: ignored and not kept
//!   before consent, kept and checking the member in at an activity after;
//! - a member who leaves the app's visible range (`unsubscribe`) is marked blocked;
//! - an owner's broadcast, and a burst of 40 deliveries to one member, reach everybody
//!   within WeCom's per-member limits: the fake drops nothing;
//! - the WeCom courier leaves the Telegram members' deliveries alone;
//! - the app's daily budget: the courier sends no more in a (China) day, and what is beyond
//!   it waits, counted, for the next day;
//! - a member who presses buttons too fast is told once a minute, not at each press (a
//!   press's answer is a message on WeCom, not Telegram's toast).

mod support;

use chrono::{Duration, TimeZone, Utc};
use support::chat::Driver;
use support::chat::wecom::{MEMBER, OWNER, WecomDriver, button, card_keys, meaning};
use support::db::TestDb;
use support::fake_wecom::{
    self, AGENT_ID, CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID, Delivered, FakeWecom,
};
use support::harness::{add_member, add_members, lesson_time};
use weike::channel::wecom::{CALLBACK_PATH, CHANNEL_NAME};
use weike::clock::Clock;
use weike::domain::MemberStatus;
use weike::service::App;
use weike::store::NewDelivery;

const LEAVER: &str = "wangwu";

/// The texts among messages.
fn texts(got: &[Delivered]) -> String {
    got.iter()
        .filter_map(Delivered::text)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The cards among messages.
fn cards(got: &[Delivered]) -> Vec<&Delivered> {
    got.iter()
        .filter(|d| d.msgtype == "template_card")
        .collect()
}

/// What the buttons of the latest card in `got` mean.
fn last_card(got: &[Delivered]) -> Vec<String> {
    let card = cards(got)
        .pop()
        .unwrap_or_else(|| panic!("no card among {got:#?}"));
    card_keys(card).iter().map(|(k, _)| meaning(k)).collect()
}

/// A WeCom member who finished onboarding, in 柳村, enrolled.
async fn add_wecom_member(app: &App, user: &str, now: chrono::DateTime<Utc>) -> i64 {
    add_member(app, CHANNEL_NAME, user, &format!("成员{user}"), now).await
}

async fn scenario(db: TestDb) {
    let mut w = WecomDriver::start(db).await;

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

    // --- onboarding: choices as text and as a card ---------------------------------------
    let got = w.say(MEMBER, "/start").await;
    let said = texts(&got);
    assert!(
        said.contains("[1] ") && said.contains("[3] "),
        "choices as text: {said}"
    );
    assert_eq!(last_card(&got), ["lang:zh-CN", "lang:zh-TW", "lang:en"]);
    // A typed number chooses as the card's button would (personal WeChat shows no cards).
    let said = texts(&w.say(MEMBER, "1").await);
    assert!(said.contains("怎么称呼您"), "{said}");
    let got = w.say(MEMBER, "王小明").await;
    let got = w.press_in(MEMBER, &got, "br:qingshan").await;
    // The pressed card was turned into its done state with the pressed button's label.
    let update = w.fake.card_updates().pop().expect("the card updated");
    assert_eq!(update.userids, [MEMBER]);
    assert_eq!(update.replace_name.as_deref(), Some("青山市 ›"));
    let got = w.press_in(MEMBER, &got, "br:qingshan.donghu").await;
    let got = w.press_in(MEMBER, &got, "br:qingshan.donghu.liucun").await;
    let got = w.press_in(MEMBER, &got, "time:keep").await;
    assert!(
        last_card(&got)[0].starts_with("tz:Asia/Shanghai"),
        "{got:#?}"
    );
    let said = texts(&w.say(MEMBER, "1").await);
    assert!(said.contains("设置完成，王小明"), "{said}");

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
    w.clock.set(lesson_time(1));
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
    // The lesson's 64.5 s of Opus as two AMR voice messages (the tools that .ci/run
    // installs; without them, as a file).
    let voice = voice_tools("wecom_end_to_end").await;
    if voice {
        assert_eq!(
            kinds,
            ["text", "voice", "voice", "text", "template_card"],
            "{got:#?}"
        );
        let uploads = w.fake.uploads();
        let voices: Vec<_> = uploads.iter().filter(|u| u.kind == "voice").collect();
        assert_eq!(voices.len(), 2, "{uploads:?}");
        assert!(
            voices.iter().all(
                |u| u.head.starts_with(b"#!AMR\n") && u.voice_ms.is_some_and(|ms| ms <= 60_000)
            ),
            "{voices:?}"
        );
    } else {
        assert_eq!(kinds, ["text", "file", "text", "template_card"], "{got:#?}");
        assert!(
            w.fake
                .uploads()
                .iter()
                .any(|u| u.kind == "file" && u.file_name.ends_with(".ogg")),
            "the Opus audio goes as a file without the tools: {:?}",
            w.fake.uploads()
        );
    }
    let caption = &got[got.len() - 2];
    assert!(
        !got[0].text().unwrap().contains("<b>"),
        "no markup in WeCom"
    );
    assert!(caption.text().unwrap().contains("[1] "), "{got:#?}");
    assert_eq!(last_card(&got), ["ck:safety:road-safety"]);
    let (task, key) = button(&got, "ck:safety:road-safety");
    let (click, code) = w.fake.click_callback(MEMBER, &task, &key);
    assert_eq!(w.fake.deliver(&w.url, &click).await, 200);
    let got = w.step(MEMBER).await;
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
    let got = w.press_in(MEMBER, &got, &quiz[0]).await;
    assert!(!texts(&got).is_empty(), "the answer is answered");
    assert_eq!(w.fake.card_updates().len(), updates + 1);

    // --- locations under the consent rule ------------------------------------------------
    let (lat, lon) = (31.2304, 121.4737);
    assert_eq!(w.fake.report_location(&w.url, MEMBER, lat, lon).await, 200);
    assert!(
        w.step(MEMBER).await.is_empty(),
        "a report without consent is not answered"
    );
    let member_id = w.member_of(MEMBER).await.id;
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
    let got = w.press_in(MEMBER, &got, "loc:yes").await;
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
    assert_eq!(w.member_of(LEAVER).await.status, MemberStatus::Active);
    assert_eq!(w.fake.leave(&w.url, LEAVER).await, 200);
    w.step(LEAVER).await;
    assert_eq!(w.member_of(LEAVER).await.status, MemberStatus::Blocked);

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
    let got = w.press_in(OWNER, &got, &format!("bca:{id}:all")).await;
    let said = texts(&got);
    assert!(said.contains("发给全体成员：共 23 人"), "{said}");
    let said = texts(&w.press_in(OWNER, &got, &format!("bcs:{id}:now")).await);
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

sqlite_and_postgres!(wecom_end_to_end => scenario);

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

/// Whether opusdec and sox (with AMR-NB) are here; SKIPPED (a failure in CI) if not.
async fn voice_tools(test: &str) -> bool {
    let ready = weike::channel::wecom::voice::Transcoder::default()
        .check()
        .await
        .is_ok();
    if !ready {
        support::db::skip_or_fail(
            &format!("{test} (voice messages)"),
            "opusdec and sox with AMR-NB (apt-get install opus-tools sox libsox-fmt-base)",
        );
    }
    ready
}

/// The app's daily budget: 20 messages a day (1 of them kept for replies); 30 members due
/// a message each with the day almost over, then the next day.
async fn daily_budget(db: TestDb) {
    let mut w = WecomDriver::start_with(db, &[("WEIKE_WECOM_DAILY_BUDGET", "20".into())]).await;
    let app = w.service.app.clone();
    let store = app.store.clone();
    // 2026-11-24 12:00 UTC is 20:00 in China: the budget's day ends at 16:00 UTC.
    let users: Vec<String> = (1..=30).map(|i| format!("b{i:02}")).collect();
    let now = w.clock.now();
    for user in &users {
        w.fake.add_member(user);
        let id = add_wecom_member(&app, user, now).await;
        let kind = weike::domain::outbox::OutboxKind::Nudge;
        store
            .enqueue(
                &NewDelivery {
                    member_id: id,
                    kind,
                    reference: String::new(),
                    dedup_key: kind.dedup_key(format!("budget:{id}")),
                    due_at: now,
                },
                now,
            )
            .await
            .unwrap();
    }
    let received =
        |w: &WecomDriver| -> usize { users.iter().map(|u| w.fake.received(u).len()).sum() };
    let mut deferred_rows = 0;
    for _ in 0..5 {
        let report = w.service.tick().await.into_result().unwrap();
        deferred_rows += report.drained.released;
    }
    let first_day = received(&w);
    let day = chrono::NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let counted = store.daily_messages(CHANNEL_NAME, day).await.unwrap();
    assert!(
        first_day > 0 && first_day as u64 <= counted && counted <= 19,
        "scheduled deliveries stop 1 short of the 20: {first_day} received, {counted} counted"
    );
    assert!(w.clock.now() < Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap());
    let pending = support::sql::strings(
        &w.db.url,
        "SELECT status FROM outbox WHERE status <> 'sent'",
    )
    .await;
    assert!(
        !pending.is_empty() && pending.iter().all(|s| s == "pending"),
        "the rest waits, none dropped: {pending:?}"
    );
    let deferred = app
        .metrics
        .budget_deferred
        .load(std::sync::atomic::Ordering::Relaxed);
    assert!(
        deferred >= 1 && deferred == deferred_rows,
        "{deferred} {deferred_rows}"
    );
    assert!(app.metrics.render(&[]).contains(&format!(
        "weike_deliveries_deferred_budget_total {deferred}"
    )));
    // A member's reply may still use the one kept for replies.
    let said = texts(&w.say(&users[0], "/help").await);
    assert!(!said.is_empty(), "the reply went");

    // The next day in China (00:00 = 16:00 UTC): the rest goes.
    w.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap());
    for _ in 0..5 {
        w.service.tick().await.into_result().unwrap();
    }
    let rows = support::sql::strings(&w.db.url, "SELECT status FROM outbox").await;
    assert!(rows.iter().all(|s| s == "sent"), "{rows:?}");
    let next = chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
    assert!(store.daily_messages(CHANNEL_NAME, next).await.unwrap() >= 1);
    let nudged = users
        .iter()
        .filter(|u| {
            w.fake
                .received(u)
                .iter()
                .any(|d| d.text().is_some_and(|t| t.contains("/today")))
        })
        .count();
    assert_eq!(
        nudged,
        users.len(),
        "everybody got theirs, on one day or the next"
    );
    assert_eq!(w.fake.total_dropped(), 0);
}

sqlite_and_postgres!(the_daily_budget_holds_deliveries_to_the_next_day => daily_budget);

/// Three messages a minute: a member's /rank and two presses are carried out; the next
/// press gets one notice that it was not; the seven after it within the minute get none
/// (each notice would be a message, itself counted by WeCom's per-member limit); a minute
/// later presses are carried out again.
async fn presses_over_the_limit(db: TestDb) {
    const PRESSER: &str = "presser";
    let mut w = WecomDriver::start_with(db, &[("WEIKE_COMMANDS_PER_MINUTE", "3".into())]).await;
    w.fake.add_member(PRESSER);
    add_wecom_member(&w.service.app, PRESSER, w.clock.now()).await;
    let rank = w.say(PRESSER, "/rank").await;
    assert!(!cards(&rank).is_empty(), "{rank:#?}");
    let mut said = Vec::new();
    // A second apart (WeCom stamps events by the second: the same press in the same second
    // is the same callback).
    for _ in 0..10 {
        w.clock.advance(Duration::seconds(1));
        said.extend(w.press_in(PRESSER, &rank, "rank:season").await);
    }
    let notices = said
        .iter()
        .filter_map(Delivered::text)
        .filter(|t| t.contains("没有执行"))
        .count();
    assert_eq!(notices, 1, "{said:#?}");
    // The two presses within the limit were answered with the ranking.
    let rankings = said
        .iter()
        .filter(|d| !d.text().is_some_and(|t| t.contains("没有执行")))
        .count();
    assert!(rankings >= 2, "{said:#?}");
    w.clock.advance(Duration::seconds(60));
    let again = w.press_in(PRESSER, &rank, "rank:season").await;
    assert!(!again.is_empty(), "carried out again");
    assert!(!texts(&again).contains("没有执行"), "{}", texts(&again));
    assert_eq!(w.fake.total_dropped(), 0);
}

sqlite_and_postgres!(presses_over_the_limit_are_told_once_a_minute => presses_over_the_limit);
