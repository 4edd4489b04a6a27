//! Admins' statistics end to end through the fake Telegram, on SQLite and PostgreSQL:
//! `/stats` figures equal direct SQL counts, `/stats chart` is a PNG, `/export` a CSV
//! with a byte-order mark; refusals; the per-member message limit; nudges for members
//! who stopped studying; names a spreadsheet would run, refused in onboarding and
//! neutralized in the export.

mod support;

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::Value;
use support::db::TestDb;
use support::fake_telegram::Call;
use support::harness::{
    Harness, add_members, checkin_button, lesson_time, member_of, reply_to, say, step, text_to,
};
use weike::service::Service;

const OWNER: i64 = 8101; // 成员0, 柳村
const A: i64 = 8102; // 成员1, 柳村: checks in and answers
const B: i64 = 8103; // 成员2, 柳村: checks in, away from home
const C: i64 = 8104; // 成员3, 新园 (hexi): checks in
const D: i64 = 8105; // 成员4, 新园: never studies
const E: i64 = 8106; // 成员5, 柳村: paused (not an active member)
const LIUCUN: &str = "qingshan.donghu.liucun";
const XINYUAN: &str = "hexi.jiefang.xinyuan";

/// 07:30 in Shanghai on 2026-11-(24 + day).
/// Runs SQL returning one number (of its first row), on either database; every row is read,
/// so that an `UPDATE ... RETURNING` runs to its end.
async fn count(url: &str, sql: &str, binds: &[&str]) -> i64 {
    use sqlx::Connection;
    let rows = if url.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(url).await.unwrap();
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&mut c).await.unwrap()
    } else {
        let mut c = sqlx::PgConnection::connect(url).await.unwrap();
        let mut q = sqlx::query_scalar::<_, i64>(sql);
        for b in binds {
            q = q.bind(*b);
        }
        q.fetch_all(&mut c).await.unwrap()
    };
    *rows.first().unwrap_or_else(|| panic!("no row from {sql}"))
}

/// Members of a branch prefix who checked in during [from, to), counted from check-ins.
async fn participants_sql(url: &str, prefix: &str, from: DateTime<Utc>, to: DateTime<Utc>) -> i64 {
    let (from, to) = (db_time(url, from), db_time(url, to));
    let cast = if url.starts_with("sqlite:") {
        ""
    } else {
        "::timestamptz"
    };
    count(
        url,
        &format!(
            "SELECT COUNT(DISTINCT c.member_id) FROM checkins c JOIN members m ON m.id = c.member_id
             WHERE m.branch_id LIKE $1 AND c.at >= $2{cast} AND c.at < $3{cast}"
        ),
        &[&format!("{prefix}%"), &from, &to],
    )
    .await
}

async fn active_sql(url: &str, prefix: &str) -> i64 {
    count(
        url,
        "SELECT COUNT(*) FROM members WHERE branch_id LIKE $1 AND status = 'active' AND onboarded",
        &[&format!("{prefix}%")],
    )
    .await
}

/// A time as the store writes it (RFC 3339 text on SQLite, cast on PostgreSQL).
fn db_time(_url: &str, t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

/// The service with OWNER as its owner and `members` onboarded members from OWNER on (all
/// in 柳村).
async fn start(db: TestDb, members: usize) -> (Harness, Service) {
    let h = Harness::new(db).await;
    let service = h
        .service_with(h.config_with(&[("WEIKE_OWNERS", &OWNER.to_string())]))
        .await;
    h.fake.take_calls();
    let chats = add_members(&service.app, members, OWNER, h.clock_now()).await;
    h.fake.allow_chats(chats);
    (h, service)
}

/// OWNER's `/export`: the CSV text after its byte-order mark, and its rows with the header
/// first.
async fn export(h: &Harness, service: &Service) -> (String, Vec<csv::StringRecord>) {
    let calls = say(h, service, OWNER, "/export").await;
    let doc = calls
        .iter()
        .find(|c| c.method == "sendDocument")
        .expect("a CSV");
    assert!(
        doc.files[0].file_name.ends_with(".csv"),
        "{:?}",
        doc.files[0].file_name
    );
    let bytes = &doc.files[0].bytes;
    let text = std::str::from_utf8(bytes)
        .unwrap()
        .strip_prefix('\u{feff}')
        .expect("UTF-8 with a byte-order mark");
    let rows = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    (text.to_string(), rows)
}

/// The row of `chat`'s member in an export.
fn row_of(rows: &[csv::StringRecord], chat: i64) -> &csv::StringRecord {
    rows.iter()
        .find(|r| &r[0] == chat.to_string().as_str())
        .unwrap_or_else(|| panic!("no row for {chat} in {rows:?}"))
}

async fn scenario(db: TestDb) {
    let (h, service) = start(db, 6).await;
    let store = &service.app.store;
    let now = h.clock_now();
    for (chat, branch) in [(C, XINYUAN), (D, XINYUAN)] {
        let mut m = member_of(store, chat).await;
        m.branch_id = Some(branch.into());
        store.save_member(&m, now).await.unwrap();
    }
    let b = member_of(store, B).await;
    store.set_away(b.id, Some(now)).await.unwrap();
    say(&h, &service, E, "/pause").await;

    // ----- day 1: the lesson; A, B and C check in; A answers a question right ----------
    h.clock.set(lesson_time(1));
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    for chat in [A, B, C] {
        let (message, data) = checkin_button(&calls, chat);
        h.fake.push_callback(chat, message, &data);
    }
    let calls = step(&service, &h.fake).await;
    let poll = calls
        .iter()
        .find(|c| c.method == "sendPoll" && c.chat_id() == Some(A))
        .expect("A's first question");
    let poll_id = poll.result.as_ref().unwrap()["poll"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let right = poll
        .param("correct_option_id")
        .and_then(Value::as_u64)
        .unwrap() as u32;
    h.fake.push_poll_answer(A, &poll_id, &[right]);
    step(&service, &h.fake).await;

    // ----- /stats for the whole organization, this week ---------------------------------
    let said = reply_to(&h, &service, OWNER, "/stats").await;
    assert!(
        said.contains("学习统计</b> · 全体党员 · 本周（2026-11-23 起）"),
        "{said}"
    );
    let (from, to) = (
        Utc.with_ymd_and_hms(2026, 11, 22, 16, 0, 0).unwrap(),
        Utc.with_ymd_and_hms(2026, 11, 29, 16, 0, 0).unwrap(),
    );
    let url = &h.db.url;
    let qs = (
        participants_sql(url, "qingshan", from, to).await,
        active_sql(url, "qingshan").await,
    );
    let hx = (
        participants_sql(url, "hexi", from, to).await,
        active_sql(url, "hexi").await,
    );
    assert_eq!(qs, (2, 3), "A and B of OWNER, A, B (E is paused)");
    assert_eq!(hx, (1, 2));
    assert!(
        said.contains(&format!("2. 河西区 — 参训率 50%（{}/{}）", hx.0, hx.1)),
        "{said}"
    );
    assert!(
        said.contains(&format!("1. 青山市 — 参训率 67%（{}/{}）", qs.0, qs.1)),
        "{said}"
    );
    let all_participants = participants_sql(url, "", from, to).await;
    let all_active = active_sql(url, "").await;
    assert!(
        said.contains(&format!(
            "参训率 60%（{all_participants}/{all_active} 人）· 打卡 3 次 · 答题正确率 100% · 积分 4"
        )),
        "3 check-ins + 1 right answer: {said}"
    );
    assert!(said.contains("流动党员参训率 100%（1/1）"), "{said}");
    assert!(said.contains("第 1 课 "), "{said}");
    assert!(
        said.contains("— 60%（3/5）"),
        "lesson 1 was sent to the 5 active members: {said}"
    );

    // A branch, this season (points.toml: 2026-winter), with the organization's total.
    let said = reply_to(&h, &service, OWNER, &format!("/stats {LIUCUN} 赛季")).await;
    assert!(
        said.contains("2026 冬训（2026-11-01 至 2027-02-28）"),
        "{said}"
    );
    assert!(
        said.contains("<b>青山市 / 东湖镇 / 柳村党支部 合计</b>\n参训率 67%（2/3 人）"),
        "{said}"
    );
    assert!(
        said.contains("<b>全组织</b>\n参训率 60%（3/5 人）"),
        "{said}"
    );

    // ----- the chart and the export -----------------------------------------------------
    let calls = say(&h, &service, OWNER, "/stats chart").await;
    let photo = calls
        .iter()
        .find(|c| c.method == "sendPhoto")
        .expect("a chart");
    let png = &photo.files[0].bytes;
    assert_eq!(&png[1..4], b"PNG");
    assert!(photo.text().unwrap().contains("60%"));

    let (_, rows) = export(&h, &service).await;
    assert_eq!(
        rows[0].iter().collect::<Vec<_>>(),
        [
            "编号",
            "姓名",
            "支部",
            "状态",
            "流动党员",
            "已收到课程",
            "打卡次数",
            "最近打卡日期",
            "答题数",
            "答对数",
            "正确率(%)",
            "积分"
        ]
    );
    assert_eq!(
        rows.len() as i64 - 1,
        count(url, "SELECT COUNT(*) FROM members WHERE onboarded", &[]).await
    );
    let a = row_of(&rows, A);
    assert_eq!(&a[4], "否", "A is at home");
    assert_eq!(&a[5], "1", "lesson 1 this week");
    assert_eq!(&a[6], "1");
    assert_eq!(&a[7], "2026-11-25", "day 1, 07:30 in Shanghai");
    assert_eq!(&a[8], "1", "one answer");
    assert_eq!(&a[11], "2", "check-in + right answer");
    assert_eq!(&row_of(&rows, B)[4], "是", "away from home");
    let d = row_of(&rows, D);
    assert_eq!(
        (&d[5], &d[6], &d[7]),
        ("1", "0", ""),
        "given, never checked in"
    );
    assert_eq!(&row_of(&rows, E)[3], "暂停");
    assert_eq!(&row_of(&rows, E)[5], "0", "paused before day 1");

    // ----- refusals and bad input change nothing -----------------------------------------
    let said = reply_to(&h, &service, A, "/stats").await;
    assert!(said.contains("只有管理员可以使用"), "{said}");
    say(
        &h,
        &service,
        OWNER,
        &format!("/grant branch_admin {A} {LIUCUN}"),
    )
    .await;
    let said = reply_to(&h, &service, A, "/stats hexi").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(&h, &service, A, "/export hexi").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(&h, &service, A, "/stats").await;
    assert!(
        said.contains("学习统计</b> · 青山市 / 东湖镇 / 柳村党支部"),
        "their own branch: {said}"
    );
    let said = reply_to(&h, &service, OWNER, "/stats nowhere").await;
    assert!(said.contains("没有名称或编号为“nowhere”的支部"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/stats hexi yesterday").await;
    assert!(said.contains("不明白“yesterday”"), "{said}");
    let refusals = count(
        url,
        "SELECT COUNT(*) FROM audit_log WHERE outcome = 'refused' AND command IN ('stats', 'export')",
        &[],
    )
    .await;
    assert_eq!(refusals, 3);

    // ----- a flood of messages from one member -----------------------------------------
    // (The replies go out at Telegram's pace on the manual clock, so the exact seconds
    // are checked in `nothing_is_dropped_silently`, with the pace off.)
    for _ in 0..25 {
        h.fake.push_text(D, "/help");
    }
    let calls = step(&service, &h.fake).await;
    let to_d: Vec<_> = calls.iter().filter(|c| c.chat_id() == Some(D)).collect();
    assert_eq!(to_d.len(), 21, "20 answers and one notice");
    let notices: Vec<&str> = to_d
        .iter()
        .filter_map(|c| c.text())
        .filter(|t| t.contains("这条消息没有执行：一分钟内最多 20 条"))
        .collect();
    assert_eq!(notices.len(), 1, "{to_d:#?}");
    // A minute later D is answered again.
    h.clock.advance(Duration::seconds(61));
    let said = reply_to(&h, &service, D, "/help").await;
    assert!(!said.contains("没有执行"), "{said}");

    // ----- nudges: D has missed 3 lessons by day 4 ---------------------------------------
    for day in 2..=4 {
        h.clock.set(lesson_time(day));
        service.tick().await.into_result().unwrap();
        let calls = h.fake.take_calls();
        // A keeps studying.
        let (message, data) = checkin_button(&calls, A);
        h.fake.push_callback(A, message, &data);
        step(&service, &h.fake).await;
    }
    // Day 4, 19:00 in Shanghai: lessons 1-3 are more than a day old and were missed by
    // D, and by OWNER, B and C (who checked in on day 1 only: lessons 2-4 ... but lesson 4
    // is not a day old yet, so their run is lessons 2-3 only).
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 28, 11, 0, 0).unwrap());
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    let nudged = nudged_chats(&calls);
    assert_eq!(nudged, [OWNER, D], "{calls:#?}");
    // Once a day, and once a week per member.
    h.clock.advance(Duration::hours(1));
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty());
    h.clock.set(lesson_time(5) + Duration::hours(12));
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    let nudged = nudged_chats(&calls);
    assert_eq!(nudged, [B, C], "OWNER and D were nudged this week already");
}

/// The chats (in order) nudged back to their lessons in `calls`.
fn nudged_chats(calls: &[Call]) -> Vec<i64> {
    let mut nudged: Vec<i64> = calls
        .iter()
        .filter(|c| c.text().is_some_and(|t| t.contains("好几天没见您来学习了")))
        .filter_map(Call::chat_id)
        .collect();
    nudged.sort();
    nudged
}

/// A display name straight into the database, as an older version that did not check names
/// could have stored it.
async fn store_name(url: &str, chat: i64, name: &str) {
    let id = count(
        url,
        "UPDATE members SET display_name = $1 WHERE chat_id = $2 RETURNING id",
        &[name, &chat.to_string()],
    )
    .await;
    assert!(id > 0);
}

const NEWCOMER: i64 = 8199;
const HYPERLINK: &str = "=HYPERLINK(\"http://x\",\"点我\")";

/// Names a spreadsheet would run: refused in onboarding, and neutralized in `/export` when
/// an older version stored them.
async fn formula_names(db: TestDb) {
    let (h, service) = start(db, 3).await;
    let store = &service.app.store;
    let i18n = weike::i18n::I18n::new().unwrap();
    let refusal = i18n.text(weike::domain::Locale::ZhCn, "name-formula", &[]);

    // ----- onboarding: the name is refused with its reason, then a good one is taken -----
    say(&h, &service, NEWCOMER, "/start").await;
    let said = reply_to(&h, &service, NEWCOMER, "1").await;
    assert!(said.contains("怎么称呼您"), "{said}");
    for bad in [HYPERLINK, "  @SUM(A1)", "-2+3", "+86 王"] {
        let calls = say(&h, &service, NEWCOMER, bad).await;
        assert_eq!(text_to(&calls, NEWCOMER), refusal, "{bad:?}");
        let m = member_of(store, NEWCOMER).await;
        assert_eq!(m.display_name, None, "{bad:?} is not stored");
        assert_eq!(m.dialog, weike::domain::Dialog::Name { onboarding: true });
    }
    let calls = say(&h, &service, NEWCOMER, "新人").await;
    let branches = calls
        .iter()
        .rev()
        .find(|c| c.chat_id() == Some(NEWCOMER) && !c.callback_datas().is_empty())
        .expect("the branch question");
    assert_eq!(branches.callback_datas(), ["br:qingshan", "br:hexi"]);
    let m = member_of(store, NEWCOMER).await;
    assert_eq!(m.display_name.as_deref(), Some("新人"));

    // ----- names stored before the check: the export neutralizes them --------------------
    let url = &h.db.url;
    store_name(url, A, HYPERLINK).await;
    store_name(url, B, "-2+3+cmd|' /C calc'!A0").await;
    let (text, rows) = export(&h, &service).await;
    assert_eq!(&rows[0][1], "姓名");
    assert_eq!(&row_of(&rows, A)[1], format!("'{HYPERLINK}"), "{text}");
    assert_eq!(&row_of(&rows, B)[1], "'-2+3+cmd|' /C calc'!A0", "{text}");
    assert_eq!(
        &row_of(&rows, OWNER)[1],
        "成员0",
        "a plain name is left alone"
    );
    // The numbers stay numbers; the away column is 是/否, the date a date or empty.
    let a = row_of(&rows, A);
    for i in [5, 6, 8, 9, 10, 11] {
        assert!(
            a[i].is_empty() || a[i].parse::<f64>().is_ok(),
            "{:?} in {text}",
            &a[i]
        );
    }
    assert_eq!(&a[4], "否");
    assert!(
        a[7].is_empty() || chrono::NaiveDate::parse_from_str(&a[7], "%Y-%m-%d").is_ok(),
        "{text}"
    );
    assert!(
        !text
            .lines()
            .skip(1)
            .any(|l| l.starts_with(['=', '+', '-', '@'])),
        "{text}"
    );
}

sqlite_and_postgres!(formula_names_refused_and_neutralized => formula_names);

/// Without a PostgreSQL server a test skips locally but fails in CI (tests/support/db.rs).
#[test]
fn postgres_tests_skip_locally_and_fail_in_ci_without_a_server() {
    use support::db::{PostgresPlan, postgres_plan};
    let url = "postgres://postgres@127.0.0.1:55432/postgres";
    for ci in [None, Some("true"), Some("false")] {
        assert_eq!(postgres_plan(Some(url), ci), PostgresPlan::Run(url.into()));
    }
    for ci in [
        None,
        Some(""),
        Some("0"),
        Some("false"),
        Some("FALSE"),
        Some(" "),
    ] {
        assert_eq!(postgres_plan(None, ci), PostgresPlan::Skip, "CI={ci:?}");
        assert_eq!(postgres_plan(Some(""), ci), PostgresPlan::Skip, "CI={ci:?}");
    }
    for ci in ["true", "1", "yes", "TRUE"] {
        assert_eq!(
            postgres_plan(None, Some(ci)),
            PostgresPlan::Fail,
            "CI={ci:?}"
        );
        assert_eq!(
            postgres_plan(Some(" "), Some(ci)),
            PostgresPlan::Fail,
            "CI={ci:?}"
        );
    }
}

sqlite_and_postgres!(stats_export_flood_and_nudges => scenario);

/// The per-member message limit, with Telegram's pace off so that the clock stands still
/// while replies go out: what goes over it is never dropped silently, and admins' commands
/// have ten times the room.
async fn nothing_is_dropped_silently(db: TestDb) {
    let h = Harness::new(db).await;
    let mut config = h.config_with(&[
        ("WEIKE_OWNERS", &OWNER.to_string()),
        ("WEIKE_COMMANDS_PER_MINUTE", "3"),
    ]);
    config.courier.limits = weike::courier::rate_limit::LimitSettings::unlimited();
    let service = h.service_with(config).await;
    h.fake.take_calls();
    let chats = add_members(&service.app, 2, OWNER, h.clock_now()).await;
    h.fake.allow_chats(chats);
    let t0 = h.clock_now();

    // ----- a member: three a minute ------------------------------------------------------
    let calls = say(&h, &service, A, "/settings").await;
    let (menu, buttons) = support::harness::button_message(&calls, A, "");
    for _ in 0..4 {
        h.fake.push_text(A, "/help");
    }
    let said: Vec<String> = step(&service, &h.fake)
        .await
        .iter()
        .filter(|c| c.chat_id() == Some(A))
        .filter_map(|c| c.text().map(str::to_string))
        .collect();
    assert_eq!(said.len(), 3, "two answers and one notice: {said:#?}");
    assert!(said[0].contains("/today") && said[1].contains("/today"));
    assert_eq!(
        said[2],
        "⏳ 这条消息没有执行：一分钟内最多 3 条，您发得太快了。请 60 秒后再发一次。在此之前超出的消息也不会执行（此提醒每分钟最多一次）。"
    );
    // Within the minute of the notice: a message is not carried out and not told again
    // (the notice said so); a button press is told each time, since its answer is no
    // message.
    let dialog = || async { member_of(&service.app.store, A).await.dialog };
    let before = dialog().await;
    // What the bot sent (the fake also records the service's getUpdates).
    let sent = |calls: Vec<Call>| -> Vec<Call> {
        calls
            .into_iter()
            .filter(|c| c.method != "getUpdates")
            .collect()
    };
    h.clock.set(t0 + Duration::seconds(30));
    let calls = sent(say(&h, &service, A, "/help").await);
    assert!(calls.is_empty(), "{calls:#?}");
    h.fake.push_callback(A, menu, &buttons[0]);
    let calls = sent(step(&service, &h.fake).await);
    assert_eq!(calls.len(), 1, "{calls:#?}");
    assert_eq!(calls[0].method, "answerCallbackQuery");
    assert_eq!(
        calls[0].text(),
        Some("⏳ 没有执行：操作太快了，请 30 秒后再试。")
    );
    assert_eq!(dialog().await, before, "the press was not carried out");
    h.clock.set(t0 + Duration::seconds(59));
    assert!(sent(say(&h, &service, A, "/help").await).is_empty());
    // A minute on: room for three, and the next over the limit is told again.
    h.clock.set(t0 + Duration::seconds(60));
    for _ in 0..5 {
        h.fake.push_text(A, "/help");
    }
    let said = text_to(&step(&service, &h.fake).await, A);
    assert_eq!(said.matches("/today — ").count(), 3, "{said}");
    assert_eq!(said.matches("没有执行").count(), 1, "{said}");

    // ----- an owner: thirty a minute -----------------------------------------------------
    for _ in 0..33 {
        h.fake.push_text(OWNER, "/admins");
    }
    let said: Vec<String> = step(&service, &h.fake)
        .await
        .iter()
        .filter(|c| c.chat_id() == Some(OWNER))
        .filter_map(|c| c.text().map(str::to_string))
        .collect();
    assert_eq!(said.len(), 31, "30 answers and one notice");
    assert!(
        said[..30].iter().all(|t| t.contains("负责人和管理员")),
        "{said:#?}"
    );
    assert!(
        said[30].starts_with("⏳ 这条消息没有执行：一分钟内最多 30 条"),
        "{}",
        said[30]
    );
    // A branch admin has the admins' room too.
    h.clock.set(t0 + Duration::seconds(120));
    let said = reply_to(
        &h,
        &service,
        OWNER,
        &format!("/grant branch_admin {A} {LIUCUN}"),
    )
    .await;
    assert!(said.starts_with("✅"), "{said}");
    h.clock.set(t0 + Duration::seconds(180));
    for _ in 0..10 {
        h.fake.push_text(A, "/stats");
    }
    let said = text_to(&step(&service, &h.fake).await, A);
    assert_eq!(said.matches("学习统计").count(), 10, "{said}");
    assert!(!said.contains("没有执行"), "{said}");
}

sqlite_and_postgres!(nothing_is_dropped_silently);

/// A member who checks in at home, then goes away mid-week and checks in: /stats counts
/// them as taking part away from home in that week and season (before, the status of their
/// first check-in of the period counted), each check-in keeps where it was made, and
/// `/export` shows their status, the lessons they were given and their last check-in.
async fn away_mid_week(db: TestDb) {
    let (h, service) = start(db, 3).await; // OWNER, A, B in 柳村
    let url = h.db.url.clone();
    for day in 1..=2 {
        if day == 2 {
            // Wednesday evening: A leaves to work away from home.
            h.clock.set(lesson_time(1) + Duration::hours(12));
            let said = reply_to(&h, &service, A, "/away").await;
            assert!(said.contains("流动"), "{said}");
        }
        h.clock.set(lesson_time(day));
        service.tick().await.into_result().unwrap();
        let calls = h.fake.take_calls();
        for chat in [A, B] {
            let (message, data) = checkin_button(&calls, chat);
            h.fake.push_callback(chat, message, &data);
        }
        step(&service, &h.fake).await;
    }
    let away_checkins = |chat: i64| {
        let url = url.clone();
        async move {
            count(
                &url,
                "SELECT CAST(COALESCE(SUM(CASE WHEN c.away THEN 1 ELSE 0 END), 0) AS BIGINT)
                 FROM checkins c JOIN members m ON m.id = c.member_id WHERE m.chat_id = $1",
                &[&chat.to_string()],
            )
            .await
        }
    };
    assert_eq!(away_checkins(A).await, 1, "day 2 only");
    assert_eq!(away_checkins(B).await, 0);

    for args in ["", " 赛季"] {
        let said = reply_to(&h, &service, OWNER, &format!("/stats{args}")).await;
        assert!(
            said.contains("打卡 4 次") && said.contains("参训率 67%（2/3 人）"),
            "{said}"
        );
        assert!(
            said.contains("流动党员参训率 100%（1/1）"),
            "A took part away from home, though at home on Wednesday: {said}"
        );
    }

    let (_, rows) = export(&h, &service).await;
    let (a, b, owner) = (row_of(&rows, A), row_of(&rows, B), row_of(&rows, OWNER));
    assert_eq!(
        (&a[4], &a[5], &a[6], &a[7]),
        ("是", "2", "2", "2026-11-26"),
        "away, two lessons, two check-ins, the last on Thursday"
    );
    assert_eq!((&b[4], &b[5], &b[6]), ("否", "2", "2"));
    assert_eq!(
        (&owner[4], &owner[5], &owner[6], &owner[7]),
        ("否", "2", "0", "")
    );

    // In English: Yes and No.
    let mut english = member_of(&service.app.store, OWNER).await;
    english.locale = weike::domain::Locale::En;
    service
        .app
        .store
        .save_member(&english, h.clock_now())
        .await
        .unwrap();
    let (_, rows) = export(&h, &service).await;
    assert_eq!(&rows[0][4], "away from home");
    assert_eq!(&rows[0][5], "lessons received");
    assert_eq!(&rows[0][7], "last check-in");
    assert_eq!(&row_of(&rows, A)[4], "Yes");
    assert_eq!(&row_of(&rows, B)[4], "No");
}

sqlite_and_postgres!(away_mid_week_counts_as_away => away_mid_week);
