//! Members speak as people do (issue 18): a language named in words, a branch typed by part
//! of its name, a lesson time written as `晚上8点`, a zone written as `北京时间`, small hours
//! confirmed before they are saved, and the next lesson told as "明天（周三）20:00"; a member
//! who picks an overloaded lesson time is told the delay and offered one on time. On SQLite
//! and PostgreSQL, through the Telegram fake.

mod support;

use support::db::TestDb;
use support::harness::{
    Harness, add_members, button_message, member_of, not_told, press, reply_to, say, text_to, told,
    with_buttons,
};
use weike::service::Service;

const USER: i64 = 7100;

/// USER's lesson time as saved.
async fn lesson_time(service: &Service) -> String {
    member_of(&service.app.store, USER)
        .await
        .lesson_time
        .to_string()
}

/// USER's branch as saved.
async fn branch(service: &Service) -> Option<String> {
    member_of(&service.app.store, USER).await.branch_id
}

async fn onboarding_in_words(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    say(&h, &service, USER, "/start").await;
    // The language by its name.
    let calls = say(&h, &service, USER, "繁體中文").await;
    assert!(!text_to(&calls, USER).is_empty());
    assert_eq!(
        member_of(&service.app.store, USER).await.locale.code(),
        "zh-TW"
    );
    say(&h, &service, USER, "王小明").await;
    // Several branches contain 村: offered as buttons with their paths.
    let calls = say(&h, &service, USER, "村").await;
    // The matches as buttons.
    let offered = with_buttons(&calls, USER);
    assert!(
        offered.callback_datas().len() > 1,
        "{:?}",
        offered.callback_datas()
    );
    assert!(
        offered.text().unwrap().contains("「村」"),
        "{:?}",
        offered.text()
    );
    // One branch by part of its name, at the deepest level.
    let calls = say(&h, &service, USER, "柳村").await;
    told(&calls, USER, "青山市 / 東湖鎮 / 柳村黨支部");
    assert_eq!(
        branch(&service).await.as_deref(),
        Some("qingshan.donghu.liucun")
    );
    // A small hour is confirmed first; then a time in words.
    let calls = say(&h, &service, USER, "2点").await;
    told(&calls, USER, "02:00");
    assert_eq!(lesson_time(&service).await, "07:30:00");
    let calls = say(&h, &service, USER, "晚上8点").await;
    assert_eq!(lesson_time(&service).await, "20:00:00");
    // The zone question names zones as people do.
    told(&calls, USER, "北京時間");
    let calls = say(&h, &service, USER, "北京时间").await;
    let done = text_to(&calls, USER);
    let m = member_of(&service.app.store, USER).await;
    assert!(m.onboarded);
    assert_eq!(m.timezone.name(), "Asia/Shanghai");
    // The harness starts on Tuesday 2026-11-24 at 20:00 in Beijing: the first lesson at
    // 20:00 is tomorrow, a Wednesday.
    assert!(done.contains("明天（週三）20:00"), "{done}");
    assert!(!done.contains("Asia/Shanghai"), "{done}");
}

sqlite_and_postgres!(onboarding_in_words);

/// A member of an organization of 1,220 branches picks their village: the picker walks the
/// tree level by level, a page at a time, never more than 12 rows of buttons; the page is
/// said in the question; a typed number counts the buttons as shown (the page's branches,
/// then "next"); "up" goes back to the level above.
async fn a_large_tree_walked_by_a_member(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = support::harness::large_tree_file(dir.path());
    let h = Harness::new(db).await;
    let service = h
        .service_with(h.config_with(&[("WEIKE_BRANCHES_FILE", &file.display().to_string())]))
        .await;
    let keyboard = |calls: &[support::fake_telegram::Call]| -> Vec<String> {
        // A question with buttons.
        let call = with_buttons(calls, USER);
        let rows = call.param("reply_markup").unwrap()["inline_keyboard"]
            .as_array()
            .unwrap()
            .len();
        assert!(rows <= 12, "{rows} rows: {:?}", call.callback_datas());
        call.callback_datas()
    };
    say(&h, &service, USER, "/start").await;
    say(&h, &service, USER, "简体中文").await;
    let calls = say(&h, &service, USER, "王小明").await;
    assert_eq!(keyboard(&calls), ["br:city"]);
    let calls = press(&h, &service, USER, &calls, "br:city").await;
    // 20 towns: the first page holds 8 and "next".
    let shown = keyboard(&calls);
    assert_eq!(
        shown.iter().filter(|d| d.starts_with("br:city.t")).count(),
        8,
        "{shown:?}"
    );
    assert!(shown.contains(&"brp:1:city".to_string()), "{shown:?}");
    told(&calls, USER, "（第 1/3 页）");
    // "9" is the button after the page's 8 towns: the next page.
    let calls = say(&h, &service, USER, "9").await;
    told(&calls, USER, "（第 2/3 页）");
    let calls = press(&h, &service, USER, &calls, "brp:2:city").await;
    let shown = keyboard(&calls);
    assert!(shown.contains(&"br:city.t19".to_string()), "{shown:?}");
    assert!(!shown.iter().any(|d| d.starts_with("brp:3")), "{shown:?}");
    let calls = press(&h, &service, USER, &calls, "br:city.t19").await;
    told(&calls, USER, "（第 1/8 页）");
    // Up to the towns (their first page), and down again.
    let calls = press(&h, &service, USER, &calls, "br-up").await;
    assert!(keyboard(&calls).contains(&"br:city.t0".to_string()));
    let calls = press(&h, &service, USER, &calls, "brp:1:city").await;
    let calls = press(&h, &service, USER, &calls, "brp:2:city").await;
    let mut calls = press(&h, &service, USER, &calls, "br:city.t19").await;
    // 59 villages: 8 pages; the last holds villages 56 to 58.
    for page in 1..8 {
        calls = press(&h, &service, USER, &calls, &format!("brp:{page}:city.t19")).await;
        let shown = keyboard(&calls);
        let villages = shown
            .iter()
            .filter(|d| d.starts_with("br:city.t19.v"))
            .count();
        assert_eq!(
            villages,
            if page == 7 { 3 } else { 8 },
            "page {page}: {shown:?}"
        );
    }
    told(&calls, USER, "（第 8/8 页）");
    // "3" is the page's third village: 第19镇第58村.
    let calls = say(&h, &service, USER, "3").await;
    told(&calls, USER, "大市 / 第19镇 / 第19镇第58村");
    assert_eq!(branch(&service).await.as_deref(), Some("city.t19.v58"));
}

sqlite_and_postgres!(a_large_tree_walked_by_a_member);

/// A small hour confirmed with its button is saved; a member who then picks an overloaded
/// time (2,000 members at 07:30 with one message a second) hears the expected delay and
/// takes the time offered, which is on time; a quiet time gets no hint.
async fn times_confirmed_and_busy_slots(db: TestDb) {
    let h = Harness::new(db).await;
    // One message a second (the courier waits on the manual clock, so it costs no time).
    let mut config = h.config();
    config.courier.limits.global_per_second = Some(1.0);
    let service = h.service_with(config).await;
    add_members(&service.app, 2_000, 100_000, h.clock_now()).await;
    say(&h, &service, USER, "/start").await;
    say(&h, &service, USER, "中文").await;
    say(&h, &service, USER, "小明").await;
    say(&h, &service, USER, "柳村").await;
    let calls = say(&h, &service, USER, "3").await;
    told(&calls, USER, "03:00");
    let calls = press(&h, &service, USER, &calls, "time:0300").await;
    assert_eq!(lesson_time(&service).await, "03:00:00");
    say(&h, &service, USER, "Asia/Shanghai").await;
    assert!(member_of(&service.app.store, USER).await.onboarded);
    drop(calls);
    // /settings: 07:30 is where the 2,000 others are.
    let calls = say(&h, &service, USER, "/settings").await;
    press(&h, &service, USER, &calls, "set:time").await;
    let calls = say(&h, &service, USER, "7:30").await;
    told(&calls, USER, "⏳");
    // The on-time slot as a button.
    let offer = with_buttons(&calls, USER).callback_datas();
    let data = offer
        .iter()
        .find(|d| d.starts_with("time:"))
        .expect("a time button")
        .clone();
    assert_eq!(lesson_time(&service).await, "07:30:00");
    let calls = press(&h, &service, USER, &calls, &data).await;
    let offered_time = member_of(&service.app.store, USER).await.lesson_time;
    assert_ne!(offered_time.to_string(), "07:30:00");
    // The offered time is on time.
    not_told(&calls, USER, "⏳");
    // A quiet time: no hint.
    let calls = say(&h, &service, USER, "/settings").await;
    press(&h, &service, USER, &calls, "set:time").await;
    let calls = say(&h, &service, USER, "21:00").await;
    not_told(&calls, USER, "⏳");
}

sqlite_and_postgres!(times_confirmed_and_busy_slots);

/// `/capacity` shows each slot's members and when it finishes going out, as a direct
/// computation from the lessons due in the next 24 hours gives them, and flags the slots
/// that run late.
async fn capacity_report(db: TestDb) {
    const OWNER: i64 = 7200;
    let h = Harness::new(db).await;
    let mut config = h.config_with(&[("WEIKE_OWNERS", &OWNER.to_string())]);
    config.courier.limits.global_per_second = Some(1.0);
    let service = h.service_with(config).await;
    // 2,000 members at the default 07:30, and the owner.
    add_members(&service.app, 2_000, 100_000, h.clock_now()).await;
    add_members(&service.app, 1, OWNER, h.clock_now()).await;
    let calls = say(&h, &service, OWNER, "/capacity").await;
    let report = text_to(&calls, OWNER);
    // A direct computation from the store.
    let now = weike::clock::Clock::now(&h.clock);
    let due = service
        .app
        .store
        .upcoming_lessons(now, now + chrono::Duration::hours(24))
        .await
        .unwrap();
    assert_eq!(due.len(), 1, "{due:?}");
    let slots: Vec<weike::domain::capacity::Slot> = due
        .iter()
        .map(|(due, n)| weike::domain::capacity::Slot {
            due: *due,
            members: *n as u64,
        })
        .collect();
    let per = weike::content::messages_per_lesson(&service.app.library);
    let f = weike::domain::capacity::forecast(&slots, per, 1.0);
    assert_eq!(f[0].members, 2_001);
    let i18n = weike::i18n::I18n::new().unwrap();
    let tz = chrono_tz::Asia::Shanghai;
    let finish = i18n.when(
        weike::domain::Locale::ZhCn,
        &weike::domain::when::when(now, f[0].finishes, tz, tz),
    );
    assert!(report.contains("2001 人"), "{report}");
    assert!(
        report.contains(&format!("预计 {finish} 发完")),
        "{finish} in {report}"
    );
    assert!(
        report.contains(&format!("约 {} 分钟", f[0].longest_wait().num_minutes())),
        "{report}"
    );
    assert!(report.contains("⚠️ 1 个时段"), "{report}");
    // A member is refused.
    say(&h, &service, USER, "/start").await;
    let calls = say(&h, &service, USER, "/capacity").await;
    not_told(&calls, USER, "📦");
}

sqlite_and_postgres!(capacity_report);

/// With no question open, a member who types instead of pressing is understood: "学完了"
/// checks in the latest lesson and says which, a second time there is nothing left; "怎么听"
/// gets a hint about the voice message; a photo gets a kind answer; other text is still
/// "not understood", with the commands most likely meant as buttons (one pressed runs it);
/// a typed number answers the open quiz question, and the last answer closes the day.
async fn typed_answers(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    add_members(&service.app, 1, USER, h.clock_now()).await;
    h.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 24, 23, 30, 0).unwrap());
    service.tick().await.into_result().unwrap();
    h.fake.take_calls();
    let calls = say(&h, &service, USER, "学完了！").await;
    let said = text_to(&calls, USER);
    assert!(said.contains("为《"), "{said}");
    assert!(said.contains("打卡成功"), "{said}");
    // The check-in asks the lesson's questions; a typed number answers the open one, and
    // after the last one a message closes the day.
    let mut polls = calls.iter().filter(|c| c.method == "sendPoll").count();
    assert_eq!(polls, 1, "the first question: {calls:#?}");
    let mut closed = String::new();
    for _ in 0..10 {
        let calls = say(&h, &service, USER, "1").await;
        let said = text_to(&calls, USER);
        assert!(
            said.contains("答对了") || said.contains("答错了"),
            "a verdict: {said}"
        );
        polls += calls.iter().filter(|c| c.method == "sendPoll").count();
        if said.contains("今天的学习完成了") {
            closed = said;
            break;
        }
    }
    assert!(polls >= 1, "questions asked");
    assert!(closed.contains("今日积分 +"), "{closed}");
    assert!(closed.contains("已连续学习 1 天"), "{closed}");
    assert!(closed.contains("下一课："), "{closed}");
    let m = member_of(&service.app.store, USER).await;
    let open = service
        .app
        .store
        .open_ask(m.id, h.clock_now())
        .await
        .unwrap();
    assert!(
        open.is_none(),
        "every question answered by number: {open:?}"
    );
    // /me names the season and says what its title is.
    let said = reply_to(&h, &service, USER, "/me").await;
    assert!(said.contains("（2026 冬训："), "{said}");
    assert!(said.contains("获得“冬训云学标兵”称号"), "{said}");
    // No question open, nothing to check in: a number is not understood, with suggestions.
    let calls = say(&h, &service, USER, "2").await;
    told(&calls, USER, "您是不是想");
    let m = member_of(&service.app.store, USER).await;
    assert!(
        service
            .app
            .store
            .latest_unchecked(m.id)
            .await
            .unwrap()
            .is_none(),
        "checked in"
    );
    let calls = say(&h, &service, USER, "打卡").await;
    told(&calls, USER, "都已经打过卡了");
    let calls = say(&h, &service, USER, "请问怎么听？").await;
    told(&calls, USER, "🔊");
    h.fake.push_photo(USER, "");
    let calls = support::harness::step(&service, &h.fake).await;
    told(&calls, USER, "看不懂图片");
    // Other text: not understood, with the commands most likely meant as buttons.
    let calls = say(&h, &service, USER, "明天再说吧").await;
    let i18n = weike::i18n::I18n::new().unwrap();
    let not_understood = weike::t!(i18n, weike::domain::Locale::ZhCn, "not-understood-suggest");
    assert_eq!(text_to(&calls, USER), not_understood);
    let (_, datas) = button_message(&calls, USER, "run:");
    assert_eq!(datas, ["run:today", "run:me", "run:help"]);
    let calls = say(&h, &service, USER, "我想看看积分排行").await;
    let (_, datas) = button_message(&calls, USER, "run:");
    assert_eq!(datas[0], "run:rank", "{datas:?}");
    let calls = press(&h, &service, USER, &calls, "run:rank").await;
    told(&calls, USER, "积分排行");
}

sqlite_and_postgres!(typed_answers);

/// Before the language is chosen, the welcome is in the language the chat app reports
/// (Telegram's `language_code`): `zh-hant` reads Traditional Chinese, `en` English, and a
/// language weike does not have, Simplified Chinese.
async fn welcome_in_the_apps_language(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    for (chat, code, expected) in [
        (7201, Some("zh-hant"), "歡迎來到"),
        (7202, Some("zh-HK"), "歡迎來到"),
        (7203, Some("en"), "Welcome to"),
        (7204, Some("fr"), "欢迎来到"),
        (7205, None, "欢迎来到"),
    ] {
        h.fake.set_language(chat, code);
        let said = reply_to(&h, &service, chat, "/start").await;
        assert!(said.contains(expected), "{code:?}: {said}");
    }
}

sqlite_and_postgres!(welcome_in_the_apps_language);
