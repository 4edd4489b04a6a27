//! End to end through the Telegram adapter, on SQLite and PostgreSQL: what is Telegram's
//! own (the command menus, the lesson's HTML and its voice message uploaded once then sent
//! by its file id, the check-in button edited in place, a restart that sends nothing
//! again, downtime, a member who blocks the bot, long lessons, paid broadcasts). The
//! conversation itself (onboarding, lessons and check-ins, quizzes, an owner's commands)
//! is `tests/scenarios.rs`, over every channel.

mod support;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use support::chat::telegram::{TelegramDriver, USER};
use support::chat::{Driver, last_buttons, onboard, texts};
use support::db::TestDb;
use support::fake_telegram::{Call, FakeTelegram};
use support::harness::{Harness, lesson_time, poll_all};

/// The id of the message a successful send call created.
fn sent_id(call: &Call) -> i64 {
    call.result_message_id()
        .unwrap_or_else(|| panic!("{} created no message: {call:?}", call.method))
}

fn methods(calls: &[Call]) -> Vec<&str> {
    calls.iter().map(|c| c.method.as_str()).collect()
}

async fn scenario(db: TestDb) {
    let mut d = TelegramDriver::start(db).await;
    let menus: Vec<_> = d
        .setup
        .iter()
        .filter(|c| c.method == "setMyCommands")
        .collect();
    assert_eq!(
        menus.len(),
        3,
        "zh, en and the default menu: {:#?}",
        d.setup
    );
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
    d.send_text("/start").await;
    assert_eq!(d.calls.len(), 2, "the welcome and the language question");
    d.press("lang:zh-CN").await;
    assert_eq!(d.calls[0].method, "answerCallbackQuery");
    d.send_text("王小明").await;
    d.send_text("1").await;
    d.press("br:qingshan.donghu").await;
    d.press("br:qingshan.donghu.liucun").await;
    d.press("time:keep").await;
    d.press("tz:Asia/Shanghai").await;

    // 07:30 in Shanghai: lesson 1 in HTML, then its audio, uploaded, with the button.
    d.clock().set(lesson_time(1));
    d.tick().await;
    let calls = d.calls.clone();
    assert_eq!(methods(&calls), ["sendMessage", "sendVoice"]);
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

    // Check in: the button is edited in place; a second press is answered by a notice
    // only.
    d.press("ck:safety:road-safety").await;
    assert_eq!(
        methods(&d.calls),
        [
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "sendMessage",
            "sendPoll" // the lesson's first quiz question (tests/quizzes.rs follows it up)
        ]
    );
    let edited = d.h.fake.message(USER, lesson_message).unwrap();
    assert_eq!(
        edited["reply_markup"]["inline_keyboard"][0][0]["text"],
        "✅ 已打卡"
    );
    d.h.fake
        .push_callback(USER, lesson_message, "ck:safety:road-safety");
    d.step().await;
    assert_eq!(d.calls.len(), 1);
    assert_eq!(
        d.calls[0].param("text").and_then(Value::as_str),
        Some("这一课已经打过卡了。")
    );

    // /today re-sends the lesson, reusing the uploaded audio by its file id.
    d.send_text("/today").await;
    let voice = d
        .calls
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
    let mut d = d.restart().await;
    poll_all(&d.service, &d.h.fake).await;
    let (_, seen) = d.tick().await;
    assert!(seen.is_empty(), "a restart sent {:#?}", d.calls);
}

sqlite_and_postgres!(end_to_end => scenario);

/// The service was down over two lesson times: the one still within the grace period is
/// sent late, once; the older one is skipped, not sent.
async fn downtime_scenario(db: TestDb) {
    let mut d = TelegramDriver::start(db).await;
    onboard(&mut d, "李四").await;
    // Down from before the first lesson (25 Nov 07:30 Shanghai) until 26 Nov 09:00 Shanghai.
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 1, 0, 0).unwrap());
    let mut d = d.restart().await;
    let (report, seen) = d.tick().await;
    assert_eq!(
        (
            report.planned.planned,
            report.planned.skipped,
            report.drained.sent
        ),
        (1, 1, 1)
    );
    assert!(seen[0].text.contains("第 1 课"), "{seen:#?}");
    // Restart again right away: nothing repeats.
    let mut d = d.restart().await;
    d.h.clock.advance(Duration::minutes(1));
    let (_, seen) = d.tick().await;
    assert!(seen.is_empty(), "{seen:#?}");
}

sqlite_and_postgres!(downtime => downtime_scenario);

/// /settings (time and language), /pause and /resume, and a member who blocks the bot and
/// comes back.
async fn settings_scenario(db: TestDb) {
    let mut d = TelegramDriver::start(db).await;
    onboard(&mut d, "李四").await;

    let seen = d.send_text("/settings").await;
    assert_eq!(
        last_buttons(&seen),
        ["set:lang", "set:name", "set:branch", "set:time", "set:tz"]
    );
    d.press("set:time").await;
    let asked = d.calls.iter().find_map(Call::text).expect("the question");
    assert!(asked.contains("每天 <b>07:30</b> 推送课程"), "{asked}");
    let said = texts(&d.send_text("21:00").await);
    assert!(said.contains("已保存"), "{said}");
    let me = texts(&d.send_text("/me").await);
    assert!(me.contains("每天 21:00 推送（北京时间）"), "{me}");
    assert!(me.contains("下一课：今天 21:00"), "{me}");

    // Language: the answers switch to Traditional Chinese at once.
    d.send_text("/settings").await;
    d.press("set:lang").await;
    let said = texts(&d.press("lang:zh-TW").await);
    assert!(said.contains("已儲存"), "{said}");

    // Paused: the 21:00 lesson does not come; resumed: the next one does.
    let said = texts(&d.send_text("/pause").await);
    assert!(said.contains("已暫停每日課程"), "{said}");
    let said = texts(&d.send_text("/pause").await);
    assert!(said.contains("已經是暫停狀態"), "{said}");
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 13, 0, 0).unwrap());
    let (_, seen) = d.tick().await;
    assert!(seen.is_empty(), "{seen:#?}");
    let said = texts(&d.send_text("/resume").await);
    assert!(said.contains("下一課將於明天（週三）21:00"), "{said}");
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 13, 0, 0).unwrap());
    let (_, seen) = d.tick().await;
    assert!(
        seen[0].text.contains("平安生活每日一課 · 第 1 課"),
        "{seen:#?}"
    );

    // The member blocks the bot: the next lesson fails with 403, they are marked blocked
    // and nothing more is planned for them.
    d.h.fake.fail_next(
        "sendMessage",
        403,
        "Forbidden: bot was blocked by the user",
        None,
    );
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 26, 13, 0, 0).unwrap());
    let report = d.service.tick().await.into_result().unwrap();
    assert_eq!(report.drained.unreachable, 1);
    d.h.fake.take_calls();
    assert_eq!(
        d.member().await.status,
        weike::domain::MemberStatus::Blocked
    );
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 27, 13, 0, 0).unwrap());
    let (report, seen) = d.tick().await;
    assert_eq!(report.planned.planned, 0);
    assert!(seen.is_empty(), "{seen:#?}");
    // They write again: active again, and lessons resume at the next lesson time.
    let said = texts(&d.send_text("/me").await);
    assert!(said.contains("連續學習"), "{said}");
    assert_eq!(d.member().await.status, weike::domain::MemberStatus::Active);
    d.h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 28, 13, 0, 0).unwrap());
    let (report, seen) = d.tick().await;
    assert_eq!((report.planned.planned, report.drained.sent), (1, 1));
    assert!(seen[0].text.contains("第 3 課"), "{seen:#?}");
}

sqlite_and_postgres!(settings_pause_and_blocking => settings_scenario);

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
