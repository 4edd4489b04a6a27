//! Quizzes, points, streak bonus, leaderboards, a topic test with a timed-out question and
//! spaced review, the stage poster and the season titles, end to end through the fake
//! Telegram, on SQLite and PostgreSQL.

mod support;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use support::db::TestDb;
use support::fake_telegram::Call;
use support::harness::{
    Harness, add_members, checkin_button, lesson_time, member_of, reply_to, say, step, text_to,
    tick, to_chat,
};
use weike::service::Service;

const A: i64 = 7001; // 成员0: studies every day and answers
const B: i64 = 7002; // 成员1: checks in on day 1 only
const C: i64 = 7003; // 成员2: never checks in
const D: i64 = 7004; // 成员3: checks in on day 1 only

const POINTS: &str = r#"
[points]
checkin = 1
correct_answer = 1
test_correct_answer = 2
test_perfect_bonus = 3
streak_bonus = { 3 = 4 }

[[season]]
id = "test-season"
start = 2026-11-20
end = 2026-11-30
timezone = "Asia/Shanghai"
top = 1
name = { zh-CN = "2026 冬训", zh-TW = "2026 冬訓", en = "Winter 2026" }
title = { zh-CN = "冬训云学标兵", zh-TW = "冬訓雲學標兵", en = "Winter Study Star" }
"#;

/// 07:30 in Shanghai on 2026-11-(24 + day).
/// The quiz polls among the calls: (poll id, correct option, question, open period).
fn polls(calls: &[&Call]) -> Vec<(String, u32, String, Option<i64>)> {
    calls
        .iter()
        .filter(|c| c.method == "sendPoll")
        .map(|c| {
            assert_eq!(c.param("type").and_then(Value::as_str), Some("quiz"));
            assert_eq!(c.param("is_anonymous"), Some(&Value::Bool(false)));
            (
                c.result.as_ref().unwrap()["poll"]["id"]
                    .as_str()
                    .unwrap()
                    .to_string(),
                c.param("correct_option_id")
                    .and_then(Value::as_u64)
                    .unwrap() as u32,
                c.param("question")
                    .and_then(Value::as_str)
                    .unwrap()
                    .to_string(),
                c.param("open_period").and_then(Value::as_i64),
            )
        })
        .collect()
}

async fn ledger(url: &str) -> Vec<(String, i64)> {
    let store = weike::store::Store::connect(url).await.unwrap();
    let mut out = Vec::new();
    for chat in [A, B, C, D] {
        let m = member_of(&store, chat).await;
        out.push((
            m.display_name.unwrap(),
            store.points_of(m.id, None, None).await.unwrap(),
        ));
    }
    store.close().await;
    out
}

/// The ledger's sums straight from SQL, per chat id.
async fn ledger_sql(url: &str) -> Vec<i64> {
    let sql = "SELECT CAST(COALESCE(SUM(l.amount), 0) AS BIGINT) FROM members m \
               LEFT JOIN points_ledger l ON l.member_id = m.id WHERE m.chat_id = $1";
    let mut out = Vec::new();
    for chat in [A, B, C, D] {
        out.push(support::sql::integer(url, sql, &chat.to_string()).await);
    }
    out
}

async fn review_count(url: &str, chat: i64) -> i64 {
    let store = weike::store::Store::connect(url).await.unwrap();
    let m = member_of(&store, chat).await;
    let far = Utc.with_ymd_and_hms(2030, 1, 1, 0, 0, 0).unwrap();
    let n = store.due_reviews(m.id, "", far, 100).await.unwrap().len() as i64;
    store.close().await;
    n
}

/// A checks in to the lesson of the day and answers every question right.
async fn study_day(h: &Harness, service: &Service, day: i64) -> String {
    h.clock.set(lesson_time(day));
    let calls = tick(service, &h.fake).await;
    let (message, data) = checkin_button(&calls, A);
    h.fake.push_callback(A, message, &data);
    let mut calls = step(service, &h.fake).await;
    let mut said = text_to(&calls, A);
    loop {
        let asked = polls(&to_chat(&calls, A));
        let Some((poll, right, _, open)) = asked.first().cloned() else {
            break;
        };
        assert_eq!(open, None, "a lesson's questions have no time limit");
        h.fake.push_poll_answer(A, &poll, &[right]);
        calls = step(service, &h.fake).await;
        said.push('\n');
        said.push_str(&text_to(&calls, A));
    }
    said
}

async fn scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let points_dir = tempfile::tempdir().unwrap();
    let points_file = points_dir.path().join("points.toml");
    std::fs::write(&points_file, POINTS).unwrap();
    let service = h
        .service_with(h.config_with(&[("WEIKE_POINTS_FILE", points_file.to_str().unwrap())]))
        .await;
    h.fake.take_calls();
    add_members(&service.app, 4, A, h.clock_now()).await;
    h.fake.allow_chats([A, B, C, D]);

    // ----- day 1: lesson 1, with two questions -----------------------------------------
    h.clock.set(lesson_time(1));
    let calls = tick(&service, &h.fake).await;
    let buttons: Vec<_> = [A, B, C, D]
        .into_iter()
        .map(|chat| checkin_button(&calls, chat))
        .collect();
    assert!(
        polls(&calls.iter().collect::<Vec<_>>()).is_empty(),
        "no quiz before check-in"
    );

    h.fake.push_callback(A, buttons[0].0, &buttons[0].1);
    let calls = step(&service, &h.fake).await;
    let methods: Vec<_> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        [
            "answerCallbackQuery",
            "editMessageReplyMarkup",
            "sendMessage",
            "sendPoll"
        ]
    );
    assert!(
        calls[2]
            .text()
            .unwrap()
            .contains("打卡成功！积分 +1，已连续学习 1 天")
    );
    let q1 = polls(&to_chat(&calls, A));
    assert_eq!(
        q1[0].1, 1,
        "helmet: the second option (answer = 2 in the file)"
    );
    assert!(q1[0].2.contains("骑电动自行车时"), "{q1:?}");

    // The right answer: points, the explanation, then the next question.
    h.fake.push_poll_answer(A, &q1[0].0, &[1]);
    let calls = step(&service, &h.fake).await;
    let said = text_to(&calls, A);
    assert!(said.contains("✅ 答对了！积分 +1"), "{said}");
    assert!(said.contains("头盔能在摔倒时保护头部"), "{said}");
    let q2 = polls(&to_chat(&calls, A));
    assert_eq!(q2.len(), 1);
    assert!(q2[0].2.contains("天黑以后走路出门"), "{q2:?}");

    // A second answer to the same question is ignored.
    h.fake.push_poll_answer(A, &q1[0].0, &[0]);
    let said = text_to(&step(&service, &h.fake).await, A);
    assert!(said.contains("以第一次作答为准"), "{said}");

    // A wrong answer: the right one is shown, no points, and no more questions.
    h.fake.push_poll_answer(A, &q2[0].0, &[0]);
    let calls = step(&service, &h.fake).await;
    let said = text_to(&calls, A);
    assert!(
        said.contains("❌ 答错了。正确答案是：<b>穿浅色或带反光条的衣服</b>"),
        "{said}"
    );
    assert!(polls(&to_chat(&calls, A)).is_empty());

    // Bad input: an unknown poll, forged and oversized button data change nothing.
    h.fake.push_unknown_poll_answer(A, "POLL_999", &[0]);
    let said = text_to(&step(&service, &h.fake).await, A);
    assert!(said.contains("这道题不是发给您的"), "{said}");
    h.fake
        .push_forged_callback(A, buttons[0].0, "ck:safety:no-such-lesson");
    h.fake
        .push_forged_callback(A, buttons[0].0, &format!("ck:safety:{}", "x".repeat(80)));
    h.fake.push_forged_callback(A, buttons[0].0, "rank:forever");
    let calls = step(&service, &h.fake).await;
    let answers: Vec<_> = calls
        .iter()
        .map(|c| (c.method.as_str(), c.param("text").and_then(Value::as_str)))
        .collect();
    assert_eq!(
        answers,
        vec![("answerCallbackQuery", Some("这个按钮已失效。")); 3],
        "{calls:#?}"
    );

    // B and D check in; C does not.
    h.fake.push_callback(B, buttons[1].0, &buttons[1].1);
    h.fake.push_callback(D, buttons[3].0, &buttons[3].1);
    step(&service, &h.fake).await;
    let expected = vec![
        ("成员0".to_string(), 2),
        ("成员1".to_string(), 1),
        ("成员2".to_string(), 0),
        ("成员3".to_string(), 1),
    ];
    assert_eq!(ledger(&h.db.url).await, expected);
    assert_eq!(ledger_sql(&h.db.url).await, vec![2, 1, 0, 1]);
    assert_eq!(
        review_count(&h.db.url, A).await,
        1,
        "the wrong answer is under review"
    );

    // /rank: ties share a place; C sees their own place though they have no points.
    let said = reply_to(&h, &service, C, "/rank").await;
    assert!(said.contains("本周积分排行"), "{said}");
    assert!(
        said.contains("本支部：青山市 / 东湖镇 / 柳村党支部"),
        "{said}"
    );
    for line in ["1. 成员0 — 2 分", "2. 成员1 — 1 分", "2. 成员3 — 1 分"] {
        assert_eq!(
            said.matches(line).count(),
            2,
            "{line} in branch and overall: {said}"
        );
    }
    assert_eq!(
        said.matches("我的名次：第 4 名（0 分）").count(),
        2,
        "{said}"
    );
    let said = reply_to(&h, &service, A, "/rank 赛季").await;
    assert!(said.contains("赛季积分排行：2026 冬训"), "{said}");
    // The title is what the season's top members earn, not the season's name.
    assert!(
        said.contains("赛季结束时，各支部和全组织积分前 1 名获得“冬训云学标兵”称号"),
        "{said}"
    );
    assert!(said.contains("👉 1. <b>成员0</b> — 2 分"), "{said}");
    let said = reply_to(&h, &service, A, "/rank yesterday").await;
    assert!(said.contains("不认识“yesterday”这个时段"), "{said}");

    // A poster before any stage is done.
    let said = reply_to(&h, &service, A, "/poster").await;
    assert!(said.contains("您还没有学习海报"), "{said}");

    // ----- days 2-5: A studies; the streak bonus on day 3; stage 1 ends with lesson 5 --
    study_day(&h, &service, 2).await;
    let said = study_day(&h, &service, 3).await;
    assert!(said.contains("已连续学习 3 天！奖励积分 +4"), "{said}");
    study_day(&h, &service, 4).await;
    let said = study_day(&h, &service, 5).await;
    assert!(said.contains("您完成了<b>第 1 阶段</b>！"), "{said}");
    // The poster goes out through the outbox.
    let calls = tick(&service, &h.fake).await;
    let photos: Vec<_> = calls.iter().filter(|c| c.method == "sendPhoto").collect();
    assert_eq!(photos.len(), 1, "{calls:#?}");
    assert_eq!(photos[0].chat_id(), Some(A));
    assert!(photos[0].files[0].file_name.ends_with(".png"));
    assert!(photos[0].files[0].size > 10_000, "{:?}", photos[0].files);
    assert!(
        photos[0]
            .param("caption")
            .and_then(Value::as_str)
            .unwrap()
            .contains("分享到群里")
    );
    // Points so far: day 1: 2; days 2-5: check-ins 4, right answers 1 + 2 + 2 + 2, bonus 4.
    let a_points = ledger(&h.db.url).await[0].1;
    assert_eq!(a_points, 2 + 4 + 7 + 4);

    // ----- Sunday 20:00: the topic test --------------------------------------------------
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap());
    let calls = tick(&service, &h.fake).await;
    let mine = to_chat(&calls, A);
    let said = text_to(&calls, A);
    assert!(
        said.contains("专题测验：急救"),
        "the topic of lesson 5: {said}"
    );
    assert!(said.contains("共 5 题，每题 60 秒"), "{said}");
    let q = polls(&mine);
    assert_eq!(q.len(), 1, "one question at a time");
    assert_eq!(q[0].3, Some(60));
    assert!(
        q[0].2.starts_with("（1/5）🔁 复习：天黑以后走路出门"),
        "the review question first, from another topic (出行与户外), labelled: {q:?}"
    );
    // Every member who received a lesson of a topic gets a test.
    for chat in [B, C, D] {
        assert!(text_to(&calls, chat).contains("专题测验"), "{chat}");
    }

    h.fake.push_poll_answer(A, &q[0].0, &[q[0].1]);
    let calls = step(&service, &h.fake).await;
    assert!(text_to(&calls, A).contains("✅ 答对了！"));
    let q2 = polls(&to_chat(&calls, A));
    assert!(q2[0].2.starts_with("（2/5）"), "{q2:?}");
    assert!(!q2[0].2.contains("复习"), "a question of the topic: {q2:?}");
    // Question 2 times out: counted wrong, the next one follows.
    h.clock.advance(Duration::seconds(61));
    let calls = tick(&service, &h.fake).await;
    let said = text_to(&calls, A);
    assert!(said.contains("上一题的作答时间到了"), "{said}");
    let q3 = polls(&to_chat(&calls, A));
    assert!(q3[0].2.starts_with("（3/5）"), "{q3:?}");
    // A late answer to question 2 does not count.
    h.fake.push_poll_answer(A, &q2[0].0, &[q2[0].1]);
    let said = text_to(&step(&service, &h.fake).await, A);
    assert!(said.contains("作答时间已过"), "{said}");
    let mut next = q3;
    let mut result = String::new();
    for _ in 3..=5 {
        h.fake.push_poll_answer(A, &next[0].0, &[next[0].1]);
        let calls = step(&service, &h.fake).await;
        result = text_to(&calls, A);
        next = polls(&to_chat(&calls, A));
    }
    assert!(result.contains("测验结束：急救"), "{result}");
    assert!(result.contains("答对 4/5 题，积分 +8"), "{result}");
    assert!(
        result.contains("支部排名：第 1 名（目前已完成 1 人）"),
        "{result}"
    );
    assert_eq!(ledger(&h.db.url).await[0].1, a_points + 8);
    // The review question was answered right (off the list); the timed-out one is on it.
    assert_eq!(review_count(&h.db.url, A).await, 1);

    // ----- the season ends (2026-11-30, Shanghai) ---------------------------------------
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 30, 16, 0, 0).unwrap());
    let calls = tick(&service, &h.fake).await;
    let said = text_to(&calls, A);
    assert_eq!(
        said.matches("您获得了“<b>冬训云学标兵</b>”称号").count(),
        2,
        "overall and in the branch: {said}"
    );
    for chat in [B, C, D] {
        assert!(!text_to(&calls, chat).contains("称号"));
    }
    let again = tick(&service, &h.fake).await;
    assert!(
        !text_to(&again, A).contains("称号"),
        "titles are given once"
    );
    let said = reply_to(&h, &service, A, "/me").await;
    assert!(said.contains("🎖 冬训云学标兵 — 全体党员 第 1 名"), "{said}");
    assert!(
        said.contains("🎖 冬训云学标兵 — 青山市 / 东湖镇 / 柳村党支部 第 1 名"),
        "{said}"
    );
    assert!(said.contains("答对"), "{said}");

    // /poster sends the latest poster again.
    let calls = say(&h, &service, A, "/poster").await;
    assert_eq!(
        calls.iter().filter(|c| c.method == "sendPhoto").count(),
        1,
        "{calls:#?}"
    );
}

sqlite_and_postgres!(quizzes_points_posters_and_titles => scenario);

const OWNER: i64 = 7100;

/// `/quiztest` for a topic none of the members in scope has had a lesson of: the admin is
/// told so, and nothing is sent; a topic they had goes to those who had it.
async fn quiztest_that_reaches_nobody(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h
        .service_with(h.config_with(&[("WEIKE_OWNERS", &OWNER.to_string())]))
        .await;
    let chats = h.members_only(&service, 3, OWNER).await;
    // Lesson 1 (road safety, of 出行与户外) is given to everyone.
    h.clock.set(lesson_time(1));
    tick(&service, &h.fake).await;

    let said = |text: &'static str| reply_to(&h, &service, OWNER, text);
    assert_eq!(
        said("/quiztest fraud").await,
        "全体党员还没有成员收到过专题“防骗”的课程，测验没有发送。"
    );
    assert_eq!(
        said("/quiztest getting-around hexi").await,
        "河西区还没有成员收到过专题“出行与户外”的课程，测验没有发送。",
        "nobody in 河西区 at all"
    );
    let calls = tick(&service, &h.fake).await;
    assert!(calls.is_empty(), "nothing was sent: {calls:#?}");
    let queued = said("/quiztest getting-around").await;
    assert!(
        queued.contains("专题测验“出行与户外”正在发送给 3 名成员（全体党员）"),
        "{queued}"
    );
    let calls = tick(&service, &h.fake).await;
    for chat in chats {
        assert_eq!(polls(&to_chat(&calls, chat)).len(), 1, "{chat}: {calls:#?}");
    }
}

sqlite_and_postgres!(quiztest_that_reaches_nobody);
