//! Migrant members (流动党员) end to end through the fake Telegram, on SQLite and
//! PostgreSQL: /away with consent, shared locations (one-off and live), venues and
//! activities managed by an admin, the push of a new activity to the migrants within the
//! venue's radius (once), /nearby with its buttons (RSVP, sendVenue), reminders the day
//! before and an hour before, location-verified attendance with points, cancelling (those
//! who RSVPed are told, their reminders dropped), the weekly digest, /venue_stats, /home,
//! /forget_location and the retention purge; and the bad inputs (coordinates out of range,
//! a malformed row, an activity ending before it starts, an RSVP to a cancelled activity, a
//! bad radius, a non-admin).

mod support;

use chrono::{Duration, TimeZone, Utc};
use serde_json::Value;
use support::db::TestDb;
use support::harness::{Harness, member_of, press, reply_to, say, step, text_to, tick, to_chat};
use weike::service::Service;

const OWNER: i64 = 9001;
/// Away from home, staying 1.5 km from the venue.
const MIGRANT: i64 = 9002;
/// Away from home, 50 km from the venue.
const FAR: i64 = 9003;
/// At home, but shares a location near the venue.
const LOCAL: i64 = 9004;
/// Shares a live location at the venue without having RSVPed.
const LIVE: i64 = 9005;
/// Away from home, near the venue; RSVPs to the activity that gets cancelled.
const SECOND: i64 = 9006;

/// 浦东红色驿站.
const VENUE: (f64, f64) = (31.2304, 121.4737);

async fn locate(h: &Harness, service: &Service, chat: i64, lat: f64, lon: f64) -> String {
    h.fake.push_location(chat, lat, lon);
    text_to(&step(service, &h.fake).await, chat)
}

/// Shanghai local time on a day of 2026.
fn shanghai(month: u32, day: u32, hour: u32, minute: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, month, day, hour, minute, 0)
        .unwrap()
        - Duration::hours(8)
}

/// /away, consent, and a first location.
async fn go_away(h: &Harness, service: &Service, chat: i64, lat: f64, lon: f64) {
    let calls = say(h, service, chat, "/away").await;
    let said = text_to(&calls, chat);
    assert!(said.contains("已登记为外出"), "{said}");
    assert!(said.contains("30 天后自动删除"), "{said}");
    let calls = press(h, service, chat, &calls, "loc:yes").await;
    let ask = to_chat(&calls, chat)
        .into_iter()
        .find(|c| c.method == "sendMessage")
        .expect("the location request");
    let markup = ask.reply_markup().expect("a reply keyboard");
    assert_eq!(
        markup["keyboard"][0][0]["request_location"],
        Value::Bool(true),
        "{markup}"
    );
    let said = locate(h, service, chat, lat, lon).await;
    assert!(said.contains("位置已保存"), "{said}");
}

async fn scenario(db: TestDb) {
    let h = Harness::new(db).await;
    h.clock.set(shanghai(11, 24, 20, 0));
    let service = h
        .service_with(h.config_with(&[
            ("WEIKE_OWNERS", &OWNER.to_string()),
            ("WEIKE_COMMANDS_PER_MINUTE", "0"),
        ]))
        .await;
    let chats = h.members_only(&service, 6, OWNER).await;
    let store = &service.app.store;
    // No daily lessons in this story: only what migrant members get.
    let course = service.app.library.courses[0].id.clone();
    for chat in &chats {
        let id = member_of(store, *chat).await.id;
        store.set_next_due(id, &course, None).await.unwrap();
    }

    // --- venues and activities by command, with bad rows ---------------------------------
    let said = reply_to(&h, &service, FAR, "/venue_add x,y,31,121").await;
    assert!(said.contains("只有管理员可以使用"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/venue_add pd-01").await;
    assert!(said.contains("用法：/venue_add"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/venue_add bad,坏驿站,95,121").await;
    assert!(
        said.contains("这一行有误：纬度 95 超出范围：应在 -90 到 90 之间"),
        "{said}"
    );
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/venue_add pd-01,浦东红色驿站,31.2304,121.4737,世纪大道100号,10,qingshan",
    )
    .await;
    assert!(said.contains("已添加驿站 <code>pd-01</code>"), "{said}");
    assert!(store.venue("bad").await.unwrap().is_none());
    // A branch admin manages the venues of their branches only.
    say(&h, &service, OWNER, "/grant branch_admin 9003 hexi").await;
    let said = reply_to(
        &h,
        &service,
        FAR,
        "/venue_edit pd-01,浦东红色驿站,31.2304,121.4737,,10,qingshan",
    )
    .await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(
        &h,
        &service,
        FAR,
        "/venue_add hx-01,河西驿站,30.5928,114.3055,,10,hexi",
    )
    .await;
    assert!(said.contains("已添加驿站 <code>hx-01</code>"), "{said}");
    let said = reply_to(&h, &service, FAR, "/venues").await;
    assert!(said.contains("hx-01") && !said.contains("pd-01"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/venues").await;
    assert!(
        said.contains("<b>驿站（2）</b>") && said.contains("pd-01"),
        "{said}"
    );

    // --- members away from home, consent, locations ---------------------------------------
    // A location before any consent is not stored: consent is asked for.
    let said = locate(&h, &service, MIGRANT, 31.24, 121.48).await;
    assert!(said.contains("您同意吗"), "{said}");
    let migrant = member_of(&service.app.store, MIGRANT).await.id;
    assert_eq!(store.location_count(migrant).await.unwrap(), 0);
    go_away(&h, &service, MIGRANT, 31.2404, 121.4837).await;
    assert_eq!(store.location_count(migrant).await.unwrap(), 1);
    let said = reply_to(&h, &service, MIGRANT, "/me").await;
    assert!(said.contains("外出务工中（今天起）"), "{said}");
    // Coordinates out of range are refused and not stored.
    let said = locate(&h, &service, MIGRANT, 95.0, 121.0).await;
    assert!(said.contains("位置无效"), "{said}");
    let said = locate(&h, &service, MIGRANT, 31.0, 200.0).await;
    assert!(said.contains("位置无效"), "{said}");
    assert_eq!(store.location_count(migrant).await.unwrap(), 1);
    go_away(&h, &service, FAR, 31.6, 121.0).await;
    go_away(&h, &service, SECOND, 31.2354, 121.4737).await;
    // A member at home who shares a location is not a migrant: no pushes.
    let calls = say(&h, &service, LOCAL, "/nearby").await;
    assert!(text_to(&calls, LOCAL).contains("您同意吗"));
    let calls = press(&h, &service, LOCAL, &calls, "loc:yes").await;
    assert!(!calls.is_empty());
    locate(&h, &service, LOCAL, 31.2310, 121.4740).await;

    // --- a new activity: bad rows, then the push to migrants within 10 km, once ---------
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/activity_add pd-1126,pd-01,学习交流会,2026-11-26 19:00,2026-11-26 18:00",
    )
    .await;
    assert!(
        said.contains("结束时间 2026-11-26 18:00 早于开始时间 2026-11-26 19:00"),
        "{said}"
    );
    // Columns are named in words in a chat (the row has no header): no `start` in Chinese.
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/activity_add pd-1126,pd-01,学习交流会,过几天,2026-11-26 21:00",
    )
    .await;
    assert!(said.contains("开始时间“过几天”不是日期时间"), "{said}");
    assert!(!said.contains("start"), "{said}");
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/activity_add pd-1126,nowhere,学习交流会,2026-11-26 19:00,2026-11-26 21:00",
    )
    .await;
    assert!(
        said.contains("没有编号为 <code>nowhere</code> 的驿站"),
        "{said}"
    );
    let said = reply_to(&h, &service, OWNER, "/activity_add pd-1126,pd-01,学习交流会,后天晚上7点,21:00,Asia/Shanghai,30,学习二十届四中全会精神").await;
    assert!(said.contains("正在通知附近的 2 名流动党员"), "{said}");
    let calls = tick(&service, &h.fake).await;
    for chat in [MIGRANT, SECOND] {
        let said = text_to(&calls, chat);
        assert!(
            said.contains("您附近有新活动") && said.contains("学习交流会"),
            "{said}"
        );
    }
    assert!(!text_to(&calls, FAR).contains("新活动"), "{calls:#?}");
    assert!(!text_to(&calls, LOCAL).contains("新活动"), "{calls:#?}");
    let pushed = calls.clone();
    // Announcing the same activity again tells nobody twice.
    let (activity, venue) = store.activity_with_venue("pd-1126").await.unwrap().unwrap();
    assert_eq!(
        service
            .app
            .conversation
            .announce_activity(&activity, &venue)
            .await
            .unwrap(),
        0
    );
    assert!(!text_to(&tick(&service, &h.fake).await, MIGRANT).contains("新活动"));

    // --- /nearby, its buttons -------------------------------------------------------------
    let said = reply_to(&h, &service, MIGRANT, "/nearby abc").await;
    assert!(said.contains("“abc”不是距离"), "{said}");
    let said = reply_to(&h, &service, MIGRANT, "/nearby 0.5").await;
    assert!(said.contains("0.5 公里内没有活动"), "{said}");
    let calls = say(&h, &service, MIGRANT, "/nearby").await;
    let said = text_to(&calls, MIGRANT);
    assert!(said.contains("10 公里内、未来 7 天的活动"), "{said}");
    assert!(
        said.contains("学习交流会") && said.contains("1.5 公里"),
        "{said}"
    );
    assert!(said.contains("🕒 周四 19:00–21:00"), "{said}");
    let map = press(&h, &service, MIGRANT, &calls, "map:pd-01").await;
    let pin = map
        .iter()
        .find(|c| c.method == "sendVenue")
        .expect("sendVenue");
    assert_eq!(pin.param("latitude").and_then(Value::as_f64), Some(VENUE.0));
    assert_eq!(
        pin.param("longitude").and_then(Value::as_f64),
        Some(VENUE.1)
    );
    assert_eq!(
        pin.param("address").and_then(Value::as_str),
        Some("世纪大道100号")
    );
    let said = text_to(
        &press(&h, &service, MIGRANT, &calls, "rsvp:pd-1126").await,
        MIGRANT,
    );
    assert!(said.contains("已报名 <b>学习交流会</b>"), "{said}");
    // From the pushed message too: already on the list.
    let said = text_to(
        &press(&h, &service, MIGRANT, &pushed, "rsvp:pd-1126").await,
        MIGRANT,
    );
    assert!(said.contains("您已报名"), "{said}");

    // --- reminders: the day before, an hour before ----------------------------------------
    h.clock.set(shanghai(11, 25, 18, 0));
    assert!(!text_to(&tick(&service, &h.fake).await, MIGRANT).contains("明天"));
    h.clock.set(shanghai(11, 25, 19, 0));
    let said = text_to(&tick(&service, &h.fake).await, MIGRANT);
    assert!(said.contains("明天：<b>学习交流会</b>"), "{said}");
    h.clock.set(shanghai(11, 26, 18, 0));
    let said = text_to(&tick(&service, &h.fake).await, MIGRANT);
    assert!(said.contains("一小时后：<b>学习交流会</b>"), "{said}");

    // --- attendance: too early, too far, checked in (once), live location, ended ---------
    h.clock.set(shanghai(11, 26, 18, 20));
    let said = locate(&h, &service, MIGRANT, 31.2305, 121.4738).await;
    assert!(said.contains("签到将于今天 18:30开始"), "{said}");
    h.clock.set(shanghai(11, 26, 19, 10));
    let said = locate(&h, &service, MIGRANT, 31.2404, 121.4837).await;
    assert!(
        said.contains("1.5 公里") && said.contains("300 米以内"),
        "{said}"
    );
    let said = locate(&h, &service, MIGRANT, 31.2310, 121.4740).await;
    assert!(
        said.contains("已在 <b>学习交流会</b>（浦东红色驿站）签到：+5 分"),
        "{said}"
    );
    let said = locate(&h, &service, MIGRANT, 31.2306, 121.4739).await;
    assert!(said.contains("签到过了"), "{said}");
    let live = member_of(&service.app.store, LIVE).await.id;
    store
        .set_location_consent(live, Some(h.clock_now()))
        .await
        .unwrap();
    let (_, message) = h.fake.push_live_location(LIVE, 31.2303, 121.4736, 3600);
    let said = text_to(&step(&service, &h.fake).await, LIVE);
    assert!(said.contains("签到：+5 分"), "{said}");
    h.clock.set(shanghai(11, 26, 19, 20));
    h.fake
        .push_live_location_update(LIVE, message, 31.2304, 121.4737);
    assert!(to_chat(&step(&service, &h.fake).await, LIVE).is_empty());
    h.clock.set(shanghai(11, 26, 21, 30));
    let said = locate(&h, &service, SECOND, 31.2304, 121.4737).await;
    assert!(said.contains("已结束，签到已关闭"), "{said}");
    // The only points of the migrant: the attendance (no lesson was checked in).
    assert_eq!(store.points_of(migrant, None, None).await.unwrap(), 5);

    // --- cancelling: RSVPs told, reminders dropped, no RSVP to a cancelled activity ------
    let said = reply_to(
        &h,
        &service,
        OWNER,
        "/activity_add pd-1128,pd-01,红色故事会,2026-11-28 19:00,2026-11-28 21:00",
    )
    .await;
    assert!(said.contains("正在通知附近的 2 名流动党员"), "{said}");
    let pushed = tick(&service, &h.fake).await;
    for chat in [MIGRANT, SECOND] {
        press(&h, &service, chat, &pushed, "rsvp:pd-1128").await;
    }
    let said = reply_to(&h, &service, FAR, "/activity_cancel pd-1128").await;
    assert!(said.contains("不在您管理的范围内"), "{said}");
    let said = reply_to(&h, &service, OWNER, "/activity_cancel pd-1128 场地维修").await;
    assert!(said.contains("正在通知已报名的 2 人"), "{said}");
    let calls = tick(&service, &h.fake).await;
    for chat in [MIGRANT, SECOND] {
        let said = text_to(&calls, chat);
        assert!(
            said.contains("<b>红色故事会</b>") && said.contains("已取消。场地维修"),
            "{said}"
        );
    }
    let said = text_to(
        &press(&h, &service, MIGRANT, &pushed, "rsvp:pd-1128").await,
        MIGRANT,
    );
    assert!(
        said.contains("抱歉，<b>红色故事会</b> 已取消。场地维修"),
        "{said}"
    );
    h.clock.set(shanghai(11, 27, 19, 30));
    let calls = tick(&service, &h.fake).await;
    for chat in [MIGRANT, SECOND] {
        let said = text_to(&calls, chat);
        assert!(
            !said.contains("红色故事会"),
            "no reminder of a cancelled activity: {said}"
        );
    }

    // --- the weekly digest (Mondays 09:00 in Shanghai) ------------------------------------
    say(
        &h,
        &service,
        OWNER,
        "/activity_add pd-1202,pd-01,读书会,2026-12-02 19:00,2026-12-02 20:30",
    )
    .await;
    tick(&service, &h.fake).await;
    // Locations are kept 30 days: share a fresh one.
    locate(&h, &service, MIGRANT, 31.2404, 121.4837).await;
    h.clock.set(shanghai(11, 30, 9, 5));
    let calls = tick(&service, &h.fake).await;
    let said = text_to(&calls, MIGRANT);
    assert!(
        said.contains("本周您附近的活动") && said.contains("读书会"),
        "{said}"
    );
    assert!(
        !text_to(&calls, LOCAL).contains("本周"),
        "not away: no digest"
    );
    assert!(
        !text_to(&calls, FAR).contains("本周"),
        "nothing near: no digest"
    );
    let again = text_to(&tick(&service, &h.fake).await, MIGRANT);
    assert!(!again.contains("本周"), "once: {again}");

    // --- /venue_stats ---------------------------------------------------------------------
    let said = reply_to(&h, &service, OWNER, "/venue_stats").await;
    assert!(
        said.contains("<b>浦东红色驿站</b>（<code>pd-01</code>）：3 场活动，报名 3，签到 2"),
        "{said}"
    );
    assert!(
        said.contains("学习交流会（<code>pd-1126</code>）：1 / 2"),
        "{said}"
    );
    assert!(said.contains("<s>红色故事会</s>"), "{said}");

    // --- /home, /forget_location, retention -----------------------------------------------
    let said = reply_to(&h, &service, MIGRANT, "/home").await;
    assert!(said.contains("欢迎回家"), "{said}");
    let said = reply_to(&h, &service, MIGRANT, "/me").await;
    assert!(!said.contains("外出务工中"), "{said}");
    let said = reply_to(&h, &service, MIGRANT, "/forget_location").await;
    assert!(said.contains("已删除您保存的"), "{said}");
    assert_eq!(store.location_count(migrant).await.unwrap(), 0);
    assert!(store.last_location(migrant).await.unwrap().is_none());
    assert!(store.location_consent(migrant).await.unwrap().is_none());
    let second = member_of(&service.app.store, SECOND).await.id;
    assert!(store.location_count(second).await.unwrap() > 0);
    h.clock.set(shanghai(12, 28, 12, 0));
    tick(&service, &h.fake).await;
    assert_eq!(
        store.location_count(second).await.unwrap(),
        0,
        "older than 30 days"
    );
    assert!(store.last_location(second).await.unwrap().is_none());
}

sqlite_and_postgres!(migrant_members => scenario);
