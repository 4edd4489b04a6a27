//! End to end through the Telegram adapter: a member onboards, receives the 07:30 lesson,
//! checks in and reads /me; a restart sends nothing again. Runs on SQLite and PostgreSQL.

mod support;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use support::db::TestDb;
use support::fake_telegram::{Call, FakeTelegram};
use support::harness::{Harness, poll_all};
use weike::domain::Locale;
use weike::service::Service;

const USER: i64 = 5001;

/// The id of the message a successful send call created.
fn sent_id(call: &Call) -> i64 {
    call.result
        .as_ref()
        .and_then(|r| r.get("message_id"))
        .and_then(Value::as_i64)
        .unwrap_or_else(|| panic!("{} created no message: {call:?}", call.method))
}

/// The calls of one step, after handling the updates it queued.
async fn step(service: &Service, fake: &FakeTelegram) -> Vec<Call> {
    poll_all(service, fake).await;
    let calls = fake.take_calls();
    let rejected: Vec<_> = calls.iter().filter(|c| !c.ok).collect();
    assert!(
        rejected.is_empty(),
        "the fake Bot API rejected: {rejected:#?}"
    );
    calls
}

fn texts(calls: &[Call]) -> Vec<String> {
    calls
        .iter()
        .filter_map(|c| c.text().map(str::to_string))
        .collect()
}

fn last_with_buttons(calls: &[Call]) -> &Call {
    calls
        .iter()
        .rev()
        .find(|c| !c.callback_datas().is_empty())
        .unwrap_or_else(|| panic!("no message with buttons among {calls:#?}"))
}

async fn member_row(h: &Harness) -> weike::domain::Member {
    let store = weike::store::Store::connect(&h.db.url).await.unwrap();
    let m = store
        .member_by_chat("telegram", &USER.to_string())
        .await
        .unwrap()
        .expect("member exists");
    store.close().await;
    m
}

async fn scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    let setup = h.fake.take_calls();
    let menus: Vec<_> = setup
        .iter()
        .filter(|c| c.method == "setMyCommands")
        .collect();
    assert_eq!(menus.len(), 3, "zh, en and the default menu: {setup:#?}");
    let langs: Vec<_> = menus
        .iter()
        .map(|c| c.param("language_code").and_then(Value::as_str))
        .collect();
    assert_eq!(langs, [Some("zh"), None, Some("en")]);
    assert!(
        menus[0]
            .param("commands")
            .unwrap()
            .to_string()
            .contains("today")
    );

    // /start: welcome, then the language question.
    h.fake.push_text(USER, "/start");
    let calls = step(&service, &h.fake).await;
    let question = last_with_buttons(&calls);
    assert!(texts(&calls)[0].contains("欢迎来到"), "{calls:#?}");
    assert_eq!(
        question.callback_datas(),
        ["lang:zh-CN", "lang:zh-TW", "lang:en"]
    );

    // Text where a button is expected.
    h.fake.push_text(USER, "Klingon");
    let calls = step(&service, &h.fake).await;
    assert!(texts(&calls)[0].contains("请用按钮选择语言"), "{calls:#?}");
    let question = last_with_buttons(&calls);
    h.fake.push_callback(USER, sent_id(question), "lang:zh-CN");
    let calls = step(&service, &h.fake).await;
    assert_eq!(calls[0].method, "answerCallbackQuery");
    assert!(texts(&calls)[0].contains("怎么称呼您"), "{calls:#?}");

    // Names that turn the text around or show nothing are refused with their reason and
    // not stored; the question stays.
    for (bad, reason) in [
        ("\u{202E}gpj.exe", "名字里不能有看不见的字符"),
        ("\u{FEFF}王小明", "名字里不能有看不见的字符"),
        ("\u{200B}\u{200D} \u{0301}", "这个名字里没有别人能看到的字"),
    ] {
        h.fake.push_text(USER, bad);
        let calls = step(&service, &h.fake).await;
        assert_eq!(texts(&calls).len(), 1, "{bad:?}: {calls:#?}");
        assert!(texts(&calls)[0].contains(reason), "{bad:?}: {calls:#?}");
        let m = member_row(&h).await;
        assert_eq!(m.display_name, None, "{bad:?}");
        assert_eq!(
            m.dialog,
            weike::domain::Dialog::Name { onboarding: true },
            "{bad:?}"
        );
    }

    // Name, then the branch tree with a bad answer first.
    h.fake.push_text(USER, "  王  小明 ");
    let calls = step(&service, &h.fake).await;
    assert_eq!(
        last_with_buttons(&calls).callback_datas(),
        ["br:qingshan", "br:hexi"]
    );
    h.fake.push_text(USER, "不存在的村");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("这里没有“不存在的村”这个支部"),
        "{calls:#?}"
    );
    assert_eq!(member_row(&h).await.branch_id, None);
    h.fake.push_text(USER, "7");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("这里没有“7”这个支部"),
        "{calls:#?}"
    );
    h.fake.push_text(USER, "1"); // typed number: 青山市
    let calls = step(&service, &h.fake).await;
    let q = last_with_buttons(&calls);
    assert_eq!(
        q.callback_datas(),
        [
            "br:qingshan.donghu",
            "br:qingshan.xishan",
            "br-this:qingshan",
            "br-up"
        ]
    );
    h.fake.push_callback(USER, sent_id(q), "br:qingshan.donghu");
    let calls = step(&service, &h.fake).await;
    let q = last_with_buttons(&calls);
    h.fake
        .push_callback(USER, sent_id(q), "br:qingshan.donghu.liucun");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)
            .iter()
            .any(|t| t.contains("青山市 / 东湖镇 / 柳村党支部")),
        "{calls:#?}"
    );
    let time_q = last_with_buttons(&calls);
    assert_eq!(time_q.callback_datas(), ["time:keep"]);

    // An impossible time changes nothing.
    h.fake.push_text(USER, "25:99");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("“25:99”不是有效的时间"),
        "{calls:#?}"
    );
    assert_eq!(member_row(&h).await.lesson_time.to_string(), "07:30:00");
    h.fake.push_callback(USER, sent_id(time_q), "time:keep");
    let calls = step(&service, &h.fake).await;
    let tz_q = last_with_buttons(&calls);
    assert_eq!(tz_q.callback_datas()[0], "tz:Asia/Shanghai");
    h.fake.push_text(USER, "Mars/Olympus");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("“Mars/Olympus”不是已知的时区"),
        "{calls:#?}"
    );
    h.fake
        .push_callback(USER, sent_id(tz_q), "tz:Asia/Shanghai");
    let calls = step(&service, &h.fake).await;
    let done = texts(&calls).join("\n");
    assert!(done.contains("设置完成，王 小明"), "{done}");
    assert!(done.contains("明天（周三）07:30"), "{done}");
    let m = member_row(&h).await;
    assert!(m.onboarded);
    assert_eq!(m.locale, Locale::ZhCn);
    assert_eq!(m.branch_id.as_deref(), Some("qingshan.donghu.liucun"));

    // Unknown command and free text.
    h.fake.push_text(USER, "/fly");
    h.fake.push_text(USER, "天气不错");
    let calls = step(&service, &h.fake).await;
    assert!(texts(&calls)[0].contains("我不认识命令 /fly"), "{calls:#?}");
    assert!(texts(&calls)[1].contains("没看懂"), "{calls:#?}");

    // Nothing is due yet at 20:00 Shanghai time.
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty());

    // 07:30 in Shanghai: lesson 1 arrives, with its audio (uploaded) and the check-in button.
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap());
    let weike::service::TickReport {
        planned, drained, ..
    } = service.tick().await.into_result().unwrap();
    assert_eq!((planned.planned, drained.sent), (1, 1));
    let calls = h.fake.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
    let methods: Vec<_> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(methods, ["sendMessage", "sendVoice"]);
    let body = calls[0].text().unwrap();
    assert!(
        body.starts_with("📖 平安生活每日一课 · 第 1 课（共 15 课）"),
        "{body}"
    );
    assert_eq!(
        calls[0].param("parse_mode").and_then(Value::as_str),
        Some("HTML")
    );
    assert_eq!(
        calls[1].files.len(),
        1,
        "the audio is uploaded the first time"
    );
    assert_eq!(calls[1].callback_datas(), ["ck:safety:road-safety"]);
    let lesson_message = sent_id(&calls[1]);
    let file_id = calls[1].result.as_ref().unwrap()["voice"]["file_id"]
        .as_str()
        .unwrap()
        .to_string();

    // Check in: recorded once, the button shows it, a second press says so.
    h.fake
        .push_callback(USER, lesson_message, "ck:safety:road-safety");
    let calls = step(&service, &h.fake).await;
    let methods: Vec<_> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "sendMessage",
            "sendPoll" // the lesson's first quiz question (tests/quizzes.rs follows it up)
        ]
    );
    assert!(
        calls[2]
            .text()
            .unwrap()
            .contains("打卡成功！积分 +1，已连续学习 1 天")
    );
    let edited = h.fake.message(USER, lesson_message).unwrap();
    assert_eq!(
        edited["reply_markup"]["inline_keyboard"][0][0]["text"],
        "✅ 已打卡"
    );
    h.fake
        .push_callback(USER, lesson_message, "ck:safety:road-safety");
    let calls = step(&service, &h.fake).await;
    assert_eq!(calls.len(), 1);
    assert_eq!(
        calls[0].param("text").and_then(Value::as_str),
        Some("这一课已经打过卡了。")
    );

    // /me reports it.
    h.fake.push_text(USER, "/me");
    let me = texts(&step(&service, &h.fake).await).join("\n");
    assert!(me.contains("已打卡 1 课，已收到 1 课，共 15 课"), "{me}");
    assert!(me.contains("连续学习：1 天"), "{me}");
    assert!(me.contains("下一课：明天（周四）07:30"), "{me}");

    // /today re-sends the lesson, reusing the uploaded audio by its file id.
    h.fake.push_text(USER, "/today");
    let calls = step(&service, &h.fake).await;
    let voice = calls
        .iter()
        .find(|c| c.method == "sendVoice")
        .expect("voice again");
    assert!(voice.files.is_empty(), "no second upload");
    assert_eq!(
        voice.param("voice").and_then(Value::as_str),
        Some(file_id.as_str())
    );
    assert_eq!(
        voice.reply_markup().unwrap()["inline_keyboard"][0][0]["text"],
        "✅ 已打卡"
    );

    // Restart: nothing is sent again, no update is handled twice.
    drop(service);
    let service = h.service().await;
    h.fake.take_calls();
    poll_all(&service, &h.fake).await;
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    assert!(calls.is_empty(), "a restart sent {calls:#?}");

    // The next morning brings lesson 2 (text, then its audio with the button).
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 23, 30, 0).unwrap());
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert!(calls[0].text().unwrap().contains("第 2 课"));
    assert!(calls[0].callback_datas().is_empty());
    assert_eq!(calls[1].callback_datas(), ["ck:safety:telecom-fraud"]);
    // The same minute again: nothing more.
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 23, 31, 0).unwrap());
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty());
    // Yesterday's streak continues once today's lesson is checked in.
    h.fake
        .push_callback(USER, sent_id(&calls[1]), "ck:safety:telecom-fraud");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls).iter().any(|t| t.contains("已连续学习 2 天")),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn end_to_end_on_sqlite() {
    scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn end_to_end_on_postgres() {
    if let Some(db) = TestDb::postgres("e2e").await {
        scenario(db).await;
    }
}

/// The service was down over two lesson times: the one still within the grace period is
/// sent late, once; the older one is skipped, not sent.
async fn downtime_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    onboard(&h, &service).await;
    drop(service);
    // Down from before the first lesson (25 Nov 07:30 Shanghai) until 26 Nov 09:00 Shanghai.
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 1, 0, 0).unwrap());
    let service = h.service().await;
    h.fake.take_calls();
    let weike::service::TickReport {
        planned, drained, ..
    } = service.tick().await.into_result().unwrap();
    assert_eq!((planned.planned, planned.skipped, drained.sent), (1, 1, 1));
    let calls = h.fake.take_calls();
    assert!(calls[0].text().unwrap().contains("第 1 课"), "{calls:#?}");
    // Restart again right away: nothing repeats.
    drop(service);
    let service = h.service().await;
    h.fake.take_calls();
    h.clock.advance(Duration::minutes(1));
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty());
}

async fn onboard(h: &Harness, service: &Service) {
    h.fake.push_text(USER, "/start");
    let calls = step(service, &h.fake).await;
    h.fake
        .push_callback(USER, sent_id(last_with_buttons(&calls)), "lang:zh-CN");
    h.fake.push_text(USER, "李四");
    h.fake.push_text(USER, "2"); // 河西区
    h.fake.push_text(USER, "1"); // 解放街道
    h.fake.push_text(USER, "1"); // 新苑社区党支部
    let calls = step(service, &h.fake).await;
    h.fake
        .push_callback(USER, sent_id(last_with_buttons(&calls)), "time:keep");
    let calls = step(service, &h.fake).await;
    h.fake
        .push_callback(USER, sent_id(last_with_buttons(&calls)), "tz:Asia/Shanghai");
    let calls = step(service, &h.fake).await;
    assert!(
        texts(&calls).join("\n").contains("设置完成，李四"),
        "{calls:#?}"
    );
}

#[tokio::test]
async fn downtime_on_sqlite() {
    downtime_scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn downtime_on_postgres() {
    if let Some(db) = TestDb::postgres("downtime").await {
        downtime_scenario(db).await;
    }
}

/// /settings (time and language), /pause and /resume, and a member who blocks the bot and
/// comes back.
async fn settings_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    onboard(&h, &service).await;

    h.fake.push_text(USER, "/settings");
    let calls = step(&service, &h.fake).await;
    let menu = last_with_buttons(&calls);
    assert_eq!(
        menu.callback_datas(),
        ["set:lang", "set:name", "set:branch", "set:time", "set:tz"]
    );
    h.fake.push_callback(USER, sent_id(menu), "set:time");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("每天 <b>07:30</b> 推送课程"),
        "{calls:#?}"
    );
    h.fake.push_text(USER, "21:00");
    let calls = step(&service, &h.fake).await;
    assert!(texts(&calls)[0].contains("已保存"), "{calls:#?}");
    h.fake.push_text(USER, "/me");
    let me = texts(&step(&service, &h.fake).await).join("\n");
    assert!(me.contains("每天 21:00 推送（北京时间）"), "{me}");
    assert!(me.contains("下一课：今天 21:00"), "{me}");

    // Language: the answers switch to Traditional Chinese at once.
    h.fake.push_text(USER, "/settings");
    let calls = step(&service, &h.fake).await;
    h.fake
        .push_callback(USER, sent_id(last_with_buttons(&calls)), "set:lang");
    let calls = step(&service, &h.fake).await;
    h.fake
        .push_callback(USER, sent_id(last_with_buttons(&calls)), "lang:zh-TW");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls).iter().any(|t| t.contains("已儲存")),
        "{calls:#?}"
    );

    // Paused: the 21:00 lesson does not come; resumed: the next one does.
    h.fake.push_text(USER, "/pause");
    let calls = step(&service, &h.fake).await;
    assert!(texts(&calls)[0].contains("已暫停每日課程"), "{calls:#?}");
    h.fake.push_text(USER, "/pause");
    assert!(texts(&step(&service, &h.fake).await)[0].contains("已經是暫停狀態"));
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap());
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty());
    h.fake.push_text(USER, "/resume");
    let calls = step(&service, &h.fake).await;
    assert!(
        texts(&calls)[0].contains("下一課將於明天（週三）21:00"),
        "{calls:#?}"
    );
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 13, 0, 0).unwrap());
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    assert!(
        calls[0]
            .text()
            .unwrap()
            .contains("平安生活每日一課 · 第 1 課"),
        "{calls:#?}"
    );

    // The member blocks the bot: the next lesson fails with 403, they are marked blocked
    // and nothing more is planned for them.
    h.fake.fail_next(
        "sendMessage",
        403,
        "Forbidden: bot was blocked by the user",
        None,
    );
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap());
    let weike::service::TickReport { drained, .. } = service.tick().await.into_result().unwrap();
    assert_eq!(drained.unreachable, 1);
    h.fake.take_calls();
    assert_eq!(
        member_row(&h).await.status,
        weike::domain::MemberStatus::Blocked
    );
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 27, 13, 0, 0).unwrap());
    let weike::service::TickReport { planned, .. } = service.tick().await.into_result().unwrap();
    assert_eq!(planned.planned, 0);
    assert!(h.fake.take_calls().is_empty());
    // They write again: active again, and lessons resume at the next lesson time.
    h.fake.push_text(USER, "/me");
    let calls = step(&service, &h.fake).await;
    assert!(texts(&calls)[0].contains("連續學習"), "{calls:#?}");
    assert_eq!(
        member_row(&h).await.status,
        weike::domain::MemberStatus::Active
    );
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 28, 13, 0, 0).unwrap());
    let weike::service::TickReport {
        planned, drained, ..
    } = service.tick().await.into_result().unwrap();
    assert_eq!((planned.planned, drained.sent), (1, 1));
    assert!(h.fake.take_calls()[0].text().unwrap().contains("第 3 課"));
}

#[tokio::test]
async fn settings_pause_and_blocking_on_sqlite() {
    settings_scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn settings_pause_and_blocking_on_postgres() {
    if let Some(db) = TestDb::postgres("settings").await {
        settings_scenario(db).await;
    }
}

/// A lesson longer than one Telegram message arrives in several valid HTML messages, the
/// button under the last one.
#[tokio::test]
async fn long_lessons_are_split_into_valid_messages() {
    use weike::channel::telegram::TelegramChannel;
    use weike::channel::{Button, Channel, Outbound};
    let fake = FakeTelegram::start().await;
    fake.push_text(USER, "/start"); // the chat must exist
    let channel = TelegramChannel::new(support::harness::TOKEN, Some(&fake.api_url())).unwrap();
    let paragraph = "<b>注意</b>：过马路要看红绿灯 &amp; 走人行横道，骑车一定要戴头盔。".repeat(25);
    let html = vec![paragraph; 12].join("\n\n");
    assert!(weike::content::markdown::visible_len(&html) > 4096 * 2);
    let sent = channel
        .send(
            &USER.to_string(),
            &Outbound::with_buttons(
                html.clone(),
                vec![vec![Button::new("✅", "ck:safety:road-safety")]],
            ),
        )
        .await
        .unwrap();
    let calls = fake.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{:#?}", fake.rejected());
    assert_eq!(calls.len(), 3);
    for c in &calls {
        assert!(weike::content::markdown::visible_len(c.text().unwrap()) <= 4096);
    }
    assert!(calls[..2].iter().all(|c| c.callback_datas().is_empty()));
    assert_eq!(calls[2].callback_datas(), ["ck:safety:road-safety"]);
    assert_eq!(sent.message_id, Some(sent_id(&calls[2]).to_string()));
    let joined: String = calls
        .iter()
        .map(|c| c.text().unwrap())
        .collect::<Vec<_>>()
        .join("\n\n");
    assert_eq!(joined, html);
}

/// With Telegram's paid broadcasts on, every send carries `allow_paid_broadcast` and the
/// overall limit is 1000 messages per second.
#[tokio::test]
async fn paid_broadcasts_are_marked_and_faster() {
    let h = Harness::new(TestDb::sqlite()).await;
    let service = h
        .service_with(h.config_with(&[("WEIKE_PAID_BROADCAST", "1")]))
        .await;
    assert_eq!(service.courier.limits().global_per_second, 1000.0);
    h.fake.accept_any_chat(true);
    support::harness::add_members(&service.app, 3, 9100, h.clock_now()).await;
    h.fake.take_calls();
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap());
    let weike::service::TickReport { drained, .. } = service.tick().await.into_result().unwrap();
    assert_eq!(drained.sent, 3);
    let calls = h.fake.take_calls();
    assert_eq!(calls.len(), 6, "text and voice for each: {calls:#?}");
    for c in &calls {
        assert!(c.ok, "{c:?}");
        assert_eq!(
            c.param("allow_paid_broadcast"),
            Some(&Value::Bool(true)),
            "{c:?}"
        );
    }
}
