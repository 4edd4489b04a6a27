//! Broadcasts end to end through the fake Telegram, on SQLite and PostgreSQL: compose,
//! audiences within the admin's scope with exact counts, send with live progress (a member
//! who blocked the bot counted as such), scheduled sends, cancelling, the list, and the
//! bad inputs (non-admin, empty, too long, zero recipients, outside the scope, cancelling a
//! finished one, a time in the past).

mod support;

use chrono::{TimeZone, Utc};
use support::db::TestDb;
use support::fake_telegram::Call;
use support::harness::{
    Harness, add_members, button_message, large_tree_file, member_of, press_latest, reply_to, say,
    step, text_to,
};

const OWNER: i64 = 9001;
const FIRST: i64 = 9001; // 9001..=9010, all in 柳村 except 9010 (moved to 新苑社区)
const BLOCKER: i64 = 9005;
const BRANCH_ADMIN: i64 = 9002;

async fn scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h
        // The owner presses many buttons within one minute of the manual clock.
        .service_with(h.config_with(&[
            ("WEIKE_OWNERS", &OWNER.to_string()),
            ("WEIKE_COMMANDS_PER_MINUTE", "0"),
        ]))
        .await;
    h.members_only(&service, 10, FIRST).await;
    let store = &service.app.store;
    let now = h.clock_now();
    let mut moved = member_of(store, 9010).await;
    moved.branch_id = Some("hexi.jiefang.xinyuan".into());
    store.save_member(&moved, now).await.unwrap();
    let away = member_of(store, 9008).await;
    store.set_away(away.id, Some(now)).await.unwrap();
    let active = member_of(store, 9004).await;
    store
        .record_checkin(active.id, "safety", "road-safety", now)
        .await
        .unwrap();

    // A member may not broadcast.
    let said = reply_to(&h, &service, 9003, "/broadcast").await;
    assert!(said.contains("只有管理员可以使用"), "{said}");

    // Empty and too long announcements are refused; the dialog stays open.
    let said = reply_to(&h, &service, OWNER, "/broadcast").await;
    assert!(said.contains("请发送通知内容"), "{said}");
    let said = reply_to(&h, &service, OWNER, "   ").await;
    assert!(said.contains("通知内容是空的"), "{said}");
    let said = reply_to(&h, &service, OWNER, "长".repeat(5000).as_str()).await;
    assert!(said.contains("通知有 5000 个字符，最多 4096 个"), "{said}");

    // A text, then the audience.
    let calls = say(
        &h,
        &service,
        OWNER,
        "明天上午九点在村委会开会，请准时参加。",
    )
    .await;
    let (_, menu) = button_message(&calls, OWNER, "bca:");
    let id = menu[0].split(':').nth(1).unwrap().to_string();
    assert_eq!(
        menu,
        [
            format!("bca:{id}:all"),
            format!("bcm:{id}:branch"),
            format!("bca:{id}:migrant"),
            format!("bcm:{id}:tags"),
            format!("bcm:{id}:inactive"),
            format!("bcs:{id}:drop"),
        ]
    );
    // Exact counts per audience (the preview), straight from the members.
    let preview = |calls: &[Call]| text_to(calls, OWNER);
    let said =
        preview(&press_latest(&h, &service, OWNER, &calls, &format!("bca:{id}:migrant")).await);
    assert!(said.contains("发给流动党员：共 <b>1</b> 人"), "{said}");
    let tags = press_latest(&h, &service, OWNER, &calls, &format!("bcm:{id}:tags")).await;
    assert!(preview(&tags).contains("还没有成员有标签"));
    let inactive = press_latest(&h, &service, OWNER, &calls, &format!("bcm:{id}:inactive")).await;
    let said = preview(
        &press_latest(
            &h,
            &service,
            OWNER,
            &inactive,
            &format!("bca:{id}:inactive:3"),
        )
        .await,
    );
    assert!(said.contains("发给3 天未打卡：共 <b>9</b> 人"), "{said}");
    // The branch picker walks the tree level by level: the top, then 青山市, then 西山镇.
    let top = press_latest(&h, &service, OWNER, &calls, &format!("bcm:{id}:branch")).await;
    let (_, datas) = button_message(&top, OWNER, "bcb:");
    assert!(datas.contains(&format!("bcb:{id}:0:qingshan")), "{datas:?}");
    let city = press_latest(&h, &service, OWNER, &top, &format!("bcb:{id}:0:qingshan")).await;
    let (_, datas) = button_message(&city, OWNER, "bca:");
    assert_eq!(
        datas,
        [
            format!("bca:{id}:branch:qingshan"),
            format!("bcb:{id}:0:qingshan.donghu"),
            format!("bcb:{id}:0:qingshan.xishan"),
            format!("bcb:{id}:0:"),
        ],
        "all of 青山市, its towns, and up"
    );
    let town = press_latest(
        &h,
        &service,
        OWNER,
        &city,
        &format!("bcb:{id}:0:qingshan.xishan"),
    )
    .await;
    // A branch without members: nothing to send, the audience is asked for again.
    let said = preview(
        &press_latest(
            &h,
            &service,
            OWNER,
            &town,
            &format!("bca:{id}:branch:qingshan.xishan.shiqiao"),
        )
        .await,
    );
    assert!(said.contains("目前没有成员，不会发送"), "{said}");
    let donghu = press_latest(
        &h,
        &service,
        OWNER,
        &city,
        &format!("bcb:{id}:0:qingshan.donghu"),
    )
    .await;
    let confirm = press_latest(
        &h,
        &service,
        OWNER,
        &donghu,
        &format!("bca:{id}:branch:qingshan.donghu.liucun"),
    )
    .await;
    let said = preview(&confirm);
    assert!(
        said.contains("发给青山市 / 东湖镇 / 柳村党支部：共 <b>9</b> 人"),
        "{said}"
    );
    assert!(
        said.contains("明天上午九点在村委会开会"),
        "the message itself is previewed: {said}"
    );

    // Send now: the progress message first, then the deliveries; one member blocked the bot.
    h.fake.block_user(BLOCKER);
    let said =
        preview(&press_latest(&h, &service, OWNER, &confirm, &format!("bcs:{id}:now")).await);
    assert!(
        said.contains(&format!("第 {id} 号通知正在发送给 9 名成员")),
        "{said}"
    );
    // Confirming twice sends nothing more.
    let said =
        preview(&press_latest(&h, &service, OWNER, &confirm, &format!("bcs:{id}:now")).await);
    assert!(said.contains("按钮已失效"), "{said}");
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    let got: Vec<i64> = calls
        .iter()
        .filter(|c| c.ok && c.text().is_some_and(|t| t.contains("村委会开会")))
        .filter_map(Call::chat_id)
        .collect();
    assert_eq!(got.len(), 8, "9 recipients, one blocked: {got:?}");
    // It names the branch it comes from (the owner's own).
    let received = calls
        .iter()
        .find(|c| c.ok && c.chat_id() == Some(9003))
        .and_then(Call::text)
        .unwrap_or_default();
    assert!(
        received.starts_with("📣 <b>柳村党支部</b>：") && received.contains("村委会开会"),
        "{received}"
    );
    assert!(!got.contains(&9010), "outside the chosen branch");
    assert!(
        got.contains(&9008),
        "a migrant member gets the home branch's news wherever they are"
    );
    let (progress_id, _) = button_message(&calls, OWNER, "bcx:");
    // The next tick shows the final counts in the same message and drops the cancel button.
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    let edit = calls
        .iter()
        .find(|c| c.method == "editMessageText")
        .unwrap_or_else(|| panic!("no progress edit: {calls:#?}"));
    assert_eq!(edit.message_id(), Some(progress_id));
    let text = edit.text().unwrap();
    assert!(text.contains("已完成"), "{text}");
    assert!(
        text.contains("已发送 8 · 失败 0 · 已屏蔽机器人 1 · 待发送 0 · 已取消 0（共 9）"),
        "{text}"
    );
    // Cancelling a finished broadcast changes nothing.
    h.fake
        .push_forged_callback(OWNER, progress_id, &format!("bcx:{id}"));
    let said = text_to(&step(&service, &h.fake).await, OWNER);
    assert!(said.contains("不在发送中"), "{said}");

    // A photo, scheduled for tomorrow 09:00, then cancelled before it goes out.
    say(&h, &service, OWNER, "/broadcast").await;
    h.fake.push_photo(OWNER, "学习园地新照片");
    let calls = step(&service, &h.fake).await;
    let (_, menu) = button_message(&calls, OWNER, "bca:");
    let id2 = menu[0].split(':').nth(1).unwrap().to_string();
    let confirm = press_latest(&h, &service, OWNER, &calls, &format!("bca:{id2}:all")).await;
    assert!(
        confirm.iter().any(|c| c.method == "sendPhoto"),
        "the photo is previewed"
    );
    assert!(
        preview(&confirm).contains("发给全体成员：共 <b>9</b> 人"),
        "the blocked member is not counted"
    );
    let said =
        preview(&press_latest(&h, &service, OWNER, &confirm, &format!("bcs:{id2}:later")).await);
    // The example is a week ahead, in the admin's words and zone.
    assert!(
        said.contains("例如“明天 8点”“周五 19:00”或“12月1日（周二）08:00”（北京时间）"),
        "{said}"
    );
    let said = reply_to(&h, &service, OWNER, "2026-11-20 08:00").await;
    assert!(said.contains("这个时间已经过去了"), "{said}");
    let said = reply_to(&h, &service, OWNER, "明天").await;
    assert!(said.contains("“明天”的几点发送？请加上时间"), "{said}");
    let said = reply_to(&h, &service, OWNER, "过几天吧").await;
    assert!(said.contains("没看懂“过几天吧”这个时间"), "{said}");
    // As people write it: tomorrow morning at nine.
    let calls = say(&h, &service, OWNER, "明天上午9点").await;
    let said = text_to(&calls, OWNER);
    assert!(
        said.contains(&format!(
            "第 {id2} 号通知将于明天（周三）09:00 发送给 9 名成员"
        )),
        "{said}"
    );
    // It can be cancelled from the reply, and /broadcasts shows it as scheduled.
    let (_, cancel) = button_message(&calls, OWNER, "bcx:");
    assert_eq!(cancel, [format!("bcx:{id2}")]);
    let said = reply_to(&h, &service, OWNER, "/broadcasts").await;
    assert!(
        said.contains(&format!("#{id2} 明天（周三）09:00 · 全体成员 · 定时待发")),
        "{said}"
    );
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty(), "nothing before the time");
    let any_message = calls
        .iter()
        .rev()
        .find(|c| c.chat_id() == Some(OWNER) && c.result.is_some())
        .unwrap();
    h.fake.push_forged_callback(
        OWNER,
        any_message.result.as_ref().unwrap()["message_id"]
            .as_i64()
            .unwrap(),
        &format!("bcx:{id2}"),
    );
    let said = text_to(&step(&service, &h.fake).await, OWNER);
    assert!(
        said.contains(&format!("第 {id2} 号通知：已取消 9 条未发出的消息")),
        "{said}"
    );
    h.clock
        .set(Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap());
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    assert!(
        !calls.iter().any(|c| c.method == "sendPhoto"),
        "cancelled: {calls:#?}"
    );

    // The list of broadcasts with final counts.
    let said = reply_to(&h, &service, OWNER, "/broadcasts").await;
    assert!(said.contains(&format!("#{id} ")), "{said}");
    assert!(
        said.contains("已完成 · 已发送 8/9，失败 0，屏蔽 1，取消 0"),
        "{said}"
    );
    assert!(
        said.contains("已取消 · 已发送 0/9，失败 0，屏蔽 0，取消 9"),
        "{said}"
    );

    // A branch admin reaches their subtree only.
    say(
        &h,
        &service,
        OWNER,
        "/grant branch_admin 9002 qingshan.donghu.liucun",
    )
    .await;
    say(&h, &service, OWNER, "/tag 9003 elderly").await;
    // A member by name, a tag in Chinese.
    let said = reply_to(&h, &service, OWNER, "/tag 成员2 老人").await;
    assert!(said.contains("已给 成员2 加上标签“老人”"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/tag 9003 老人!").await;
    assert!(said.contains("用法：/tag 成员 标签"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/tag 成员 老人").await;
    assert!(said.contains("“成员”对应多个，请选择"), "{said}");
    say(&h, &service, BRANCH_ADMIN, "/broadcast").await;
    let calls = say(&h, &service, BRANCH_ADMIN, "支部学习通知").await;
    let (menu_message, menu) = button_message(&calls, BRANCH_ADMIN, "bca:");
    let id3 = menu[0].split(':').nth(1).unwrap().to_string();
    let said = text_to(
        &press_latest(
            &h,
            &service,
            BRANCH_ADMIN,
            &calls,
            &format!("bca:{id3}:all"),
        )
        .await,
        BRANCH_ADMIN,
    );
    assert!(
        said.contains("发给我管理的支部的全体成员：共 <b>8</b> 人"),
        "{said}"
    );
    let tags = press_latest(
        &h,
        &service,
        BRANCH_ADMIN,
        &calls,
        &format!("bcm:{id3}:tags"),
    )
    .await;
    let said = text_to(
        &press_latest(
            &h,
            &service,
            BRANCH_ADMIN,
            &tags,
            &format!("bca:{id3}:tag:elderly"),
        )
        .await,
        BRANCH_ADMIN,
    );
    assert!(said.contains("发给标签“elderly”：共 <b>1</b> 人"), "{said}");
    let (_, tag_buttons) = button_message(&tags, BRANCH_ADMIN, &format!("bca:{id3}:tag:"));
    assert!(
        tag_buttons.contains(&format!("bca:{id3}:tag:老人")),
        "{tag_buttons:?}"
    );
    h.fake.push_forged_callback(
        BRANCH_ADMIN,
        menu_message,
        &format!("bca:{id3}:branch:hexi"),
    );
    let said = text_to(&step(&service, &h.fake).await, BRANCH_ADMIN);
    assert!(said.contains("不在您管理的范围内"), "{said}");
    // Someone else's draft cannot be sent.
    h.fake.push_forged_callback(
        OWNER,
        any_message.result.as_ref().unwrap()["message_id"]
            .as_i64()
            .unwrap(),
        &format!("bcs:{id3}:now"),
    );
    let said = text_to(&step(&service, &h.fake).await, OWNER);
    assert!(said.contains("按钮已失效"), "{said}");
}

sqlite_and_postgres!(broadcasts => scenario);

/// An organization of 1,220 branches (1 city, 20 towns, 1,199 villages): the branch picker
/// never shows more than 11 rows of buttons, pages through a town's 60 villages, and
/// reaches the last village of the last town.
async fn large_tree(db: TestDb) {
    let dir = tempfile::tempdir().unwrap();
    let file = large_tree_file(dir.path());
    let h = Harness::new(db).await;
    let service = h
        .service_with(h.config_with(&[
            ("WEIKE_OWNERS", &OWNER.to_string()),
            ("WEIKE_COMMANDS_PER_MINUTE", "0"),
            ("WEIKE_BRANCHES_FILE", &file.display().to_string()),
        ]))
        .await;
    h.fake.take_calls();
    add_members(&service.app, 1, OWNER, h.clock_now()).await;
    say(&h, &service, OWNER, "/broadcast").await;
    let calls = say(&h, &service, OWNER, "大会通知").await;
    let (_, menu) = button_message(&calls, OWNER, "bca:");
    let id = menu[0].split(':').nth(1).unwrap().to_string();
    let rows = |calls: &[Call]| -> usize {
        let call = calls
            .iter()
            .rev()
            .find(|c| c.chat_id() == Some(OWNER) && !c.callback_datas().is_empty())
            .unwrap();
        call.param("reply_markup").unwrap()["inline_keyboard"]
            .as_array()
            .unwrap()
            .len()
    };
    let mut page = press_latest(&h, &service, OWNER, &calls, &format!("bcm:{id}:branch")).await;
    page = press_latest(&h, &service, OWNER, &page, &format!("bcb:{id}:0:city")).await;
    assert!(rows(&page) <= 11, "{}", rows(&page));
    // 20 towns: three pages; the last town is on the third.
    page = press_latest(&h, &service, OWNER, &page, &format!("bcb:{id}:1:city")).await;
    page = press_latest(&h, &service, OWNER, &page, &format!("bcb:{id}:2:city")).await;
    assert!(rows(&page) <= 11);
    page = press_latest(&h, &service, OWNER, &page, &format!("bcb:{id}:0:city.t19")).await;
    // 59 villages: eight pages of at most 8; the last one holds village 58.
    for p in 1..8 {
        page = press_latest(
            &h,
            &service,
            OWNER,
            &page,
            &format!("bcb:{id}:{p}:city.t19"),
        )
        .await;
        assert!(rows(&page) <= 11, "page {p}: {}", rows(&page));
        let all: usize = page
            .iter()
            .flat_map(Call::callback_datas)
            .filter(|d| d.starts_with(&format!("bca:{id}:branch:city.t19.v")))
            .count();
        assert!(all <= 8, "page {p}");
    }
    let said = text_to(
        &press_latest(
            &h,
            &service,
            OWNER,
            &page,
            &format!("bca:{id}:branch:city.t19.v58"),
        )
        .await,
        OWNER,
    );
    assert!(said.contains("第19镇第58村"), "{said}");
}

sqlite_and_postgres!(a_large_tree_is_walked => large_tree);
