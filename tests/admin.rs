//! Roles and scopes: owners from the configuration grant and revoke admin roles; admin
//! commands check role and scope, refusals are answered and audited and change nothing.
//! On SQLite and PostgreSQL, through the fake Telegram.

mod support;

use support::db::TestDb;
use support::harness::{Harness, add_members, poll_all, reply_to};

const OWNER: i64 = 8001;
const ALICE: i64 = 8002; // 成员1, branch 柳村 (qingshan.donghu.liucun)
const BOB: i64 = 8003; // 成员2, same branch

fn other_tree_has(service: &weike::service::Service, id: &str) -> bool {
    service.app.conversation.tree().get(id).is_some()
}

async fn audit(url: &str) -> Vec<(String, String, String)> {
    let store = weike::store::Store::connect(url).await.unwrap();
    let mut rows: Vec<_> = store
        .audit_log(100)
        .await
        .unwrap()
        .into_iter()
        .map(|r| (r.command, r.outcome, r.detail))
        .collect();
    rows.reverse();
    store.close().await;
    rows
}

async fn scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h
        .service_with(h.config_with(&[("WEIKE_OWNERS", &OWNER.to_string())]))
        .await;
    h.fake.take_calls();
    add_members(&service.app, 3, OWNER, h.clock_now()).await;
    h.fake.allow_chats([OWNER, ALICE, BOB]);
    // Lessons have been received, so a topic test has questions to ask.
    h.clock
        .set(chrono::TimeZone::with_ymd_and_hms(&chrono::Utc, 2026, 11, 24, 23, 30, 0).unwrap());
    service.tick().await.into_result().unwrap();
    h.fake.take_calls();

    // A member is refused politely; the refusal is audited; nothing is queued.
    let said = reply_to(&h, &service, ALICE, "/quiztest getting-around").await;
    assert!(said.contains("这个命令只有管理员可以使用"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/grant admin 8003").await;
    assert!(said.contains("这个命令只有管理员可以使用"), "{said}");
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty(), "nothing was sent");
    assert_eq!(
        audit(&h.db.url).await,
        [
            ("quiztest".into(), "refused".into(), "admin-refused".into()),
            ("grant".into(), "refused".into(), "admin-refused".into()),
        ]
    );

    // The owner grants Alice the branch admin role for 东湖镇 (and everything under it).
    let said = reply_to(&h, &service, OWNER, "/grant branch_admin 8002 nowhere").await;
    assert!(said.contains("没有名称或编号为“nowhere”的支部"), "{said}");
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/grant branch_admin 9999 qingshan.donghu",
    )
    .await;
    assert!(said.contains("没有姓名或编号为“9999”的成员"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/grant boss 8002").await;
    assert!(said.contains("用法：/grant 管理员 成员"), "{said}");
    // By name: the member's and the branch's, with the role in words.
    let said = reply_to(&h, &service, OWNER, "/grant 支部管理员 成员1 东湖镇").await;
    assert!(
        said.contains("成员1 已成为 支部管理员（青山市 / 东湖镇）"),
        "{said}"
    );
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/grant branch_admin 8002 qingshan.donghu",
    )
    .await;
    assert!(said.contains("已经是 支部管理员"), "{said}");
    assert!(!said.contains("branch_admin"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/admins").await;
    assert!(
        said.contains("成员0（<code>8001</code>）— 负责人"),
        "{said}"
    );
    assert!(
        said.contains("成员1（<code>8002</code>）— 青山市 / 东湖镇 管理员"),
        "{said}"
    );

    // A branch admin cannot grant roles, nor reach outside their subtree.
    let said = reply_to(&h, &service, ALICE, "/grant admin 8003").await;
    assert!(said.contains("只有机器人的负责人可以授予"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/quiztest fraud hexi").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/quiztest nonsense").await;
    assert!(said.contains("没有可测验的专题“nonsense”"), "{said}");
    service.tick().await.into_result().unwrap();
    assert!(h.fake.take_calls().is_empty(), "nothing was sent");

    // Within scope: the test goes to the three members of 柳村 (under 东湖镇).
    let said = reply_to(&h, &service, ALICE, "/quiztest getting-around").await;
    assert!(
        said.contains("专题测验“出行与户外”正在发送给 3 名成员（青山市 / 东湖镇）"),
        "{said}"
    );
    service.tick().await.into_result().unwrap();
    let calls = h.fake.take_calls();
    let polls: Vec<_> = calls.iter().filter(|c| c.method == "sendPoll").collect();
    assert_eq!(polls.len(), 3, "{calls:#?}");
    // Revoking takes the scope away again.
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/revoke branch_admin 8002 qingshan.donghu",
    )
    .await;
    assert!(said.contains("已撤销 成员1 的 支部管理员"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/quiztest getting-around").await;
    assert!(said.contains("这个命令只有管理员可以使用"), "{said}");

    let log = audit(&h.db.url).await;
    let outcomes: Vec<_> = log.iter().map(|(c, o, _)| format!("{c}:{o}")).collect();
    assert_eq!(
        outcomes,
        [
            "quiztest:refused",
            "grant:refused",
            "grant:ok",
            "grant:ok",
            "grant:refused",
            "quiztest:refused",
            "quiztest:ok",
            "revoke:ok",
            "quiztest:refused",
        ]
    );
    assert_eq!(log[6].2, "3 queued, 3 reached");

    // Names instead of ids: a topic by its title, a branch by part of its name; a name
    // that fits several branches is answered with a button for each.
    let said = reply_to(&h, &service, OWNER, "/quiztest 出行 柳村").await;
    assert!(
        said.contains("专题测验“出行与户外”正在发送给 3 名成员（青山市 / 东湖镇 / 柳村党支部）"),
        "{said}"
    );
    let said = reply_to(&h, &service, OWNER, "/stats 柳村").await;
    assert!(said.contains("柳村党支部"), "{said}");
    assert!(!said.contains("没有名称或编号"), "{said}");
    h.fake.push_text(OWNER, "/stats 村 season");
    poll_all(&service, &h.fake).await;
    let calls = h.fake.take_calls();
    let choice = calls
        .iter()
        .find(|c| c.chat_id() == Some(OWNER) && !c.callback_datas().is_empty())
        .unwrap_or_else(|| panic!("no choice of branches: {calls:#?}"));
    assert!(
        choice.text().is_some_and(|t| t.contains("“村”对应多个")),
        "{choice:?}"
    );
    let datas = choice.callback_datas();
    assert!(datas.len() > 1, "{datas:?}");
    assert!(
        datas.contains(&"re:stats:qingshan.donghu.liucun season".to_string()),
        "{datas:?}"
    );
    let message = choice.result.as_ref().unwrap()["message_id"]
        .as_i64()
        .unwrap();
    h.fake
        .push_callback(OWNER, message, "re:stats:qingshan.donghu.liucun season");
    poll_all(&service, &h.fake).await;
    let said = support::harness::text_to(&h.fake.take_calls(), OWNER);
    assert!(
        said.contains("柳村党支部") && said.contains("2026 冬训"),
        "{said}"
    );
}

sqlite_and_postgres!(roles_and_scopes => scenario);

/// The branch tree edited by commands: checked, audited, kept over `branches.toml` after a
/// restart, seen by another process at its next tick.
async fn branch_edits(db: TestDb) {
    let h = Harness::new(db).await;
    let config = h.config_with(&[("WEIKE_OWNERS", &OWNER.to_string())]);
    let service = h.service_with(config.clone()).await;
    h.fake.take_calls();
    add_members(&service.app, 3, OWNER, h.clock_now()).await;
    h.fake.allow_chats([OWNER, ALICE, BOB]);
    // Another process on the same database.
    let other = h.service_with(config.clone()).await;

    let said = reply_to(&h, &service, ALICE, "/branch_add qingshan.donghu x 新村").await;
    assert!(said.contains("只有管理员可以使用"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/branches").await;
    assert!(
        said.contains("<code>qingshan.donghu.liucun</code> 柳村党支部"),
        "{said}"
    );
    for (command, expected) in [
        ("/branch_add", "用法：/branch_add"),
        (
            "/branch_add nowhere x 新村",
            "没有名称或编号为“nowhere”的支部",
        ),
        ("/branch_add qingshan.donghu 新村 新村", "不能作为支部编号"),
        (
            "/branch_add qingshan.donghu .. 新村",
            "“..”不能作为支部编号",
        ),
        ("/branch_add - -x 新村", "“-x”不能作为支部编号"),
        (
            "/branch_add qingshan.donghu qingshan.donghu.fake \u{202E}村新",
            "支部名称里不能有看不见的字符",
        ),
        (
            "/branch_rename qingshan.donghu.liucun \u{200B}\u{200D}",
            "这个支部名称里没有能看到的字",
        ),
        (
            "/branch_rename qingshan.donghu.liucun \u{FEFF}柳村",
            "支部名称里不能有看不见的字符",
        ),
        (
            "/branch_add qingshan.donghu qingshan.donghu.liucun 柳村",
            "已有编号为“qingshan.donghu.liucun”",
        ),
        ("/branch_remove qingshan.donghu", "下面还有支部"),
        (
            "/branch_remove qingshan.donghu.liucun",
            "还有 3 名成员，不能删除",
        ),
    ] {
        let said = reply_to(&h, &service, OWNER, command).await;
        assert!(said.contains(expected), "{command}: {said}");
    }
    // A long argument is quoted as an excerpt.
    let long_id = format!("x{}", "<y".repeat(1000));
    let said = reply_to(
        &h,
        &service,
        OWNER,
        &format!("/branch_add qingshan.donghu {long_id} 新村"),
    )
    .await;
    assert!(
        said.contains(&format!("“x{}&lt;…”不能作为支部编号", "&lt;y".repeat(19))),
        "{said}"
    );
    assert!(said.chars().count() < 300, "{said}");
    let tree = service.app.conversation.tree();
    for refused in ["..", "-x", "qingshan.donghu.fake"] {
        assert!(tree.get(refused).is_none(), "{refused} was not added");
    }
    assert_eq!(
        tree.get("qingshan.donghu.liucun").unwrap().name,
        "柳村党支部",
        "not renamed"
    );
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/branch_add qingshan.donghu qingshan.donghu.xincun 新村 党支部",
    )
    .await;
    assert!(
        said.contains("已新增支部 青山市 / 东湖镇 / 新村 党支部"),
        "{said}"
    );
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/branch_rename qingshan.xishan.shiqiao 石桥村第一党支部",
    )
    .await;
    assert!(
        said.contains("现在叫 青山市 / 西山镇 / 石桥村第一党支部"),
        "{said}"
    );
    let said = reply_to(&h, &service, OWNER, "/branch_remove qingshan.xishan.mobile").await;
    assert!(said.contains("已删除支部"), "{said}");
    // The statistics know the new branch at once.
    let said = reply_to(&h, &service, OWNER, "/stats qingshan.donghu.xincun").await;
    assert!(
        said.contains("学习统计</b> · 青山市 / 东湖镇 / 新村 党支部"),
        "{said}"
    );

    // A branch admin edits within their subtree only.
    reply_to(
        &h,
        &service,
        OWNER,
        &format!("/grant branch_admin {ALICE} qingshan.donghu"),
    )
    .await;
    let said = reply_to(&h, &service, ALICE, "/branch_add hexi hexi.new 新区").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/branch_add - top 顶级").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(
        &h,
        &service,
        ALICE,
        "/branch_rename qingshan.donghu.xincun 新村",
    )
    .await;
    assert!(said.contains("现在叫 青山市 / 东湖镇 / 新村"), "{said}");
    // By name: renamed at once; removed only after the branch's button is pressed.
    let said = reply_to(&h, &service, ALICE, "/branch_rename 新村 新村党支部").await;
    assert!(
        said.contains("现在叫 青山市 / 东湖镇 / 新村党支部"),
        "{said}"
    );
    let said = reply_to(&h, &service, ALICE, "/branch_rename 新村党支部 新村").await;
    assert!(said.contains("现在叫 青山市 / 东湖镇 / 新村"), "{said}");
    let said = reply_to(&h, &service, ALICE, "/branch_remove 新").await;
    assert!(said.contains("“新”对应多个，请选择"), "{said}");
    assert!(
        other_tree_has(&service, "qingshan.donghu.xincun"),
        "not removed before the choice"
    );

    // The other process sees the edits at its next tick; a member there can choose the new
    // branch in /settings.
    other.tick().await.into_result().unwrap();
    h.fake.take_calls();
    let tree = other.app.conversation.tree();
    assert_eq!(tree.get("qingshan.donghu.xincun").unwrap().name, "新村");
    assert!(tree.get("qingshan.xishan.mobile").is_none());

    // A restart reads branches.toml again: the edits stay.
    drop(service);
    drop(other);
    let restarted = h.service_with(config).await;
    let tree = restarted.app.conversation.tree();
    assert_eq!(
        tree.get("qingshan.xishan.shiqiao").unwrap().name,
        "石桥村第一党支部"
    );
    assert!(
        tree.get("qingshan.xishan.mobile").is_none(),
        "removed stays removed"
    );
    assert!(tree.get("qingshan.donghu.xincun").is_some());
    assert_eq!(
        tree.get("qingshan.donghu.liucun").unwrap().name,
        "柳村党支部"
    );

    let edits: Vec<_> = audit(&h.db.url)
        .await
        .into_iter()
        .filter(|(c, _, _)| c.starts_with("branch_"))
        .map(|(c, o, _)| format!("{c}:{o}"))
        .collect();
    assert_eq!(
        edits,
        [
            "branch_add:refused",
            "branch_add:ok",
            "branch_rename:ok",
            "branch_remove:ok",
            "branch_add:refused",
            "branch_add:refused",
            "branch_rename:ok",
            "branch_rename:ok",
            "branch_rename:ok",
        ]
    );
}

sqlite_and_postgres!(branch_edits);
