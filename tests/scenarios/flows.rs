//! The scenarios: each takes a [`Driver`], one member on one channel, and asserts what
//! the member sees whatever the channel (texts without markup, buttons by their data).

use chrono::{Duration, TimeZone, Utc};
use weike::domain::{Dialog, Locale};

use crate::support::chat::{Driver, Kind, Seen, last_buttons, onboard, quiz as quiz_in, texts};
use crate::support::harness::lesson_time;

/// Whether a message shows a button labelled `label`.
fn shows(seen: &[Seen], kind: Kind, label: &str) -> bool {
    seen.iter()
        .any(|s| s.kind == kind && s.buttons.iter().any(|b| b.label == label))
}

/// From /start to the end of onboarding, with every kind of wrong answer on the way.
pub async fn onboarding(mut d: impl Driver) {
    // /start: welcome, then the language question.
    let seen = d.send_text("/start").await;
    assert!(texts(&seen).contains("欢迎来到"), "{seen:#?}");
    assert_eq!(last_buttons(&seen), ["lang:zh-CN", "lang:zh-TW", "lang:en"]);

    // Text where a button is expected.
    let said = texts(&d.send_text("Klingon").await);
    assert!(said.contains("请用按钮选择语言"), "{said}");
    let said = texts(&d.press("lang:zh-CN").await);
    assert!(said.contains("怎么称呼您"), "{said}");

    // Names that turn the text around or show nothing are refused with their reason and
    // not stored; the question stays.
    for (bad, reason) in [
        ("\u{202E}gpj.exe", "名字里不能有看不见的字符"),
        ("\u{FEFF}王小明", "名字里不能有看不见的字符"),
        ("\u{200B}\u{200D} \u{0301}", "这个名字里没有别人能看到的字"),
    ] {
        let seen = d.send_text(bad).await;
        assert_eq!(seen.len(), 1, "{bad:?}: {seen:#?}");
        assert!(seen[0].text.contains(reason), "{bad:?}: {seen:#?}");
        let m = d.member().await;
        assert_eq!(m.display_name, None, "{bad:?}");
        assert_eq!(m.dialog, Dialog::Name { onboarding: true }, "{bad:?}");
    }

    // Name, then the branch tree with a bad answer first.
    let seen = d.send_text("  王  小明 ").await;
    assert_eq!(last_buttons(&seen), ["br:qingshan", "br:hexi"]);
    let said = texts(&d.send_text("不存在的村").await);
    assert!(said.contains("这里没有“不存在的村”这个支部"), "{said}");
    assert_eq!(d.member().await.branch_id, None);
    let said = texts(&d.send_text("7").await);
    assert!(said.contains("这里没有“7”这个支部"), "{said}");
    let seen = d.send_text("1").await; // typed number: 青山市
    assert_eq!(
        last_buttons(&seen),
        [
            "br:qingshan.donghu",
            "br:qingshan.xishan",
            "br-this:qingshan",
            "br-up"
        ]
    );
    d.press("br:qingshan.donghu").await;
    let seen = d.press("br:qingshan.donghu.liucun").await;
    assert!(
        texts(&seen).contains("青山市 / 东湖镇 / 柳村党支部"),
        "{seen:#?}"
    );
    assert_eq!(last_buttons(&seen), ["time:keep"]);

    // An impossible time changes nothing.
    let said = texts(&d.send_text("25:99").await);
    assert!(said.contains("“25:99”不是有效的时间"), "{said}");
    assert_eq!(d.member().await.lesson_time.to_string(), "07:30:00");
    let seen = d.press("time:keep").await;
    assert_eq!(last_buttons(&seen)[0], "tz:Asia/Shanghai");
    let said = texts(&d.send_text("Mars/Olympus").await);
    assert!(said.contains("“Mars/Olympus”不是已知的时区"), "{said}");
    let done = texts(&d.press("tz:Asia/Shanghai").await);
    assert!(done.contains("设置完成，王 小明"), "{done}");
    assert!(done.contains("明天（周三）07:30"), "{done}");
    let m = d.member().await;
    assert!(m.onboarded);
    assert_eq!(m.locale, Locale::ZhCn);
    assert_eq!(m.branch_id.as_deref(), Some("qingshan.donghu.liucun"));

    // Unknown command and free text.
    let said = texts(&d.send_text("/fly").await);
    assert!(said.contains("我不认识命令 /fly"), "{said}");
    let said = texts(&d.send_text("天气不错").await);
    assert!(said.contains("没看懂"), "{said}");
}

/// The 07:30 lesson, its check-in, /me and /today, and the next day's lesson.
pub async fn lesson_and_checkin(mut d: impl Driver) {
    onboard(&mut d, "李四").await;

    // Nothing is due yet at 20:00 Shanghai time.
    let (_, seen) = d.tick().await;
    assert!(seen.is_empty(), "{seen:#?}");

    // 07:30 in Shanghai: lesson 1 arrives, with its audio and the check-in button.
    d.clock().set(lesson_time(1));
    let (report, seen) = d.tick().await;
    assert_eq!((report.planned.planned, report.drained.sent), (1, 1));
    assert!(
        seen[0]
            .text
            .starts_with("📖 平安生活每日一课 · 第 1 课（共 15 课）"),
        "{seen:#?}"
    );
    assert!(seen.iter().any(|s| s.kind == Kind::Audio), "{seen:#?}");
    assert_eq!(last_buttons(&seen), ["ck:safety:road-safety"]);

    // Check in: recorded, the button shows it, the lesson's first quiz question follows
    // (the quiz scenario follows it up).
    let seen = d.press("ck:safety:road-safety").await;
    let said = texts(&seen);
    assert!(
        said.contains("打卡成功！积分 +1，已连续学习 1 天"),
        "{said}"
    );
    assert!(shows(&seen, Kind::Edit, "✅ 已打卡"), "{seen:#?}");
    assert!(quiz_in(&seen).is_some(), "{seen:#?}");

    // /me reports it.
    let me = texts(&d.send_text("/me").await);
    assert!(me.contains("已打卡 1 课，已收到 1 课，共 15 课"), "{me}");
    assert!(me.contains("连续学习：1 天"), "{me}");
    assert!(me.contains("下一课：明天（周四）07:30"), "{me}");

    // /today sends the lesson again, its button showing the check-in; a second check-in
    // says so.
    let seen = d.send_text("/today").await;
    assert!(seen.iter().any(|s| s.kind == Kind::Audio), "{seen:#?}");
    assert!(shows(&seen, Kind::Audio, "✅ 已打卡") || shows(&seen, Kind::Text, "✅ 已打卡"));
    let said = texts(&d.press("ck:safety:road-safety").await);
    assert!(said.contains("这一课已经打过卡了。"), "{said}");

    // The next morning brings lesson 2 (text, then its audio with the button).
    d.clock().set(lesson_time(2));
    let (_, seen) = d.tick().await;
    assert!(seen[0].text.contains("第 2 课"), "{seen:#?}");
    assert!(seen[0].buttons.is_empty(), "{seen:#?}");
    assert_eq!(last_buttons(&seen), ["ck:safety:telecom-fraud"]);
    // The same minute again: nothing more.
    d.clock().set(lesson_time(2) + Duration::minutes(1));
    let (_, seen) = d.tick().await;
    assert!(seen.is_empty(), "{seen:#?}");
    // Yesterday's streak continues once today's lesson is checked in.
    let said = texts(&d.press("ck:safety:telecom-fraud").await);
    assert!(said.contains("已连续学习 2 天"), "{said}");
}

/// The lesson's questions after the check-in: a right answer with its explanation and the
/// next question, a wrong answer with the right one.
pub async fn quiz(mut d: impl Driver) {
    onboard(&mut d, "李四").await;
    d.clock().set(lesson_time(1));
    let (_, seen) = d.tick().await;
    assert!(
        quiz_in(&seen).is_none(),
        "no quiz before check-in: {seen:#?}"
    );

    let seen = d.press("ck:safety:road-safety").await;
    let (question, options) = quiz_in(&seen).expect("the first question");
    assert!(question.contains("骑电动自行车时"), "{question}");
    assert!(options.len() >= 2, "{options:?}");

    // The right answer (helmet: the second option): points, the explanation, then the next
    // question.
    let seen = d.answer(1).await;
    let said = texts(&seen);
    assert!(said.contains("✅ 答对了！积分 +1"), "{said}");
    assert!(said.contains("头盔能在摔倒时保护头部"), "{said}");
    let (question, _) = quiz_in(&seen).expect("the second question");
    assert!(question.contains("天黑以后走路出门"), "{question}");

    // A wrong answer: the right one is shown, and no more questions.
    let seen = d.answer(0).await;
    let said = texts(&seen);
    assert!(
        said.contains("❌ 答错了。正确答案是：穿浅色或带反光条的衣服"),
        "{said}"
    );
    assert!(quiz_in(&seen).is_none(), "{seen:#?}");
}

/// An owner's commands: wrong and right uses of /grant, a venue and an activity added, and
/// the owner, away from home, checked in at the activity by sharing a location.
pub async fn admin(mut d: impl Driver) {
    onboard(&mut d, "李四").await;
    let said = texts(&d.send_text("/grant boss 1").await);
    assert!(said.contains("用法：/grant 管理员 成员"), "{said}");
    let said = texts(
        &d.send_text("/grant branch_admin 9999 qingshan.donghu")
            .await,
    );
    assert!(said.contains("没有姓名或编号为“9999”的成员"), "{said}");
    // A member and a branch by name, the role in words, on every channel.
    let said = texts(&d.send_text("/grant 支部管理员 李四 东湖镇").await);
    assert!(
        said.contains("李四 已成为 支部管理员（青山市 / 东湖镇）"),
        "{said}"
    );

    // A venue and an activity going on now (07:3x in Shanghai).
    d.clock()
        .set(Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap());
    let said = texts(
        &d.send_text("/venue_add pd-01,浦东红色驿站,31.2304,121.4737,世纪大道100号,10,qingshan")
            .await,
    );
    assert!(said.contains("已添加驿站"), "{said}");
    let said = texts(
        &d.send_text("/activity_add pd-1125,pd-01,学习交流会,2026-11-25 07:00,2026-11-25 12:00")
            .await,
    );
    assert!(said.contains("已添加活动"), "{said}");

    // Away from home, with consent to use the location: at the venue, checked in.
    let said = texts(&d.send_text("/away").await);
    assert!(said.contains("为了向您推荐附近的活动"), "{said}");
    d.press("loc:yes").await;
    d.clock().advance(Duration::seconds(30));
    let said = texts(&d.share_location(31.2304, 121.4737).await);
    assert!(
        said.contains("已在 学习交流会（浦东红色驿站）签到"),
        "{said}"
    );
    let member = d.member().await;
    let kept = d.app().store.last_location(member.id).await.unwrap();
    assert!(kept.is_some(), "the location is kept");
}
