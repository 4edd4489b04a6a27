//! No update is lost and no member is left in silence: an update whose handling keeps
//! failing is retried with a wait (holding back only its own chat), then kept as dead with
//! its error while the member gets an apology in their language; `weike inbox` lists it and
//! `weike inbox retry` has it handled again. An update that cannot be read is kept as dead
//! with the reason. On SQLite and PostgreSQL.

mod support;

use serde_json::json;
use support::db::TestDb;
use support::fake_telegram::Call;
use support::harness::{Harness, add_members, text_to};
use weike::domain::Locale;
use weike::i18n::I18n;
use weike::service::{MAX_UPDATE_TRIES, Service, update_retry_wait};
use weike::t;

const BROKEN: i64 = 8001;
const OTHER: i64 = 8002;

async fn counts(service: &Service) -> Vec<(String, i64)> {
    service.app.store.update_counts().await.unwrap()
}

fn count(counts: &[(String, i64)], status: &str) -> i64 {
    counts
        .iter()
        .find(|(s, _)| s == status)
        .map_or(0, |(_, n)| *n)
}

/// Fetches and handles what is due; the calls made, all accepted by the fake.
async fn poll(h: &Harness, service: &Service) -> Vec<Call> {
    service
        .poll_once(std::time::Duration::ZERO)
        .await
        .expect("poll");
    let calls = h.fake.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
    calls
}

async fn failing_updates_are_kept_and_answered(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    let i18n = I18n::new().unwrap();
    add_members(&service.app, 2, BROKEN, h.clock_now()).await;
    // A member row the service cannot read (a locale no version knows): every update of
    // this chat fails. The app says the member reads English.
    support::sql::execute(
        &h.db.url,
        &format!("UPDATE members SET locale = 'xx' WHERE chat_id = '{BROKEN}'"),
    )
    .await;
    h.fake.set_language(BROKEN, Some("en"));

    let first = h.fake.push_text(BROKEN, "/me");
    let calls = poll(&h, &service).await;
    assert_eq!(
        text_to(&calls, BROKEN),
        "",
        "nothing yet: it is tried again"
    );
    let c = counts(&service).await;
    let s = service.app.store.inbox_summary(10).await.unwrap();
    assert_eq!(count(&c, "handling"), 1, "{c:?} {s:?}");

    // The same member writes again: it waits behind the first. Another member is answered
    // at once.
    let second = h.fake.push_text(BROKEN, "/today");
    h.fake.push_text(OTHER, "/me");
    let calls = poll(&h, &service).await;
    assert!(!text_to(&calls, OTHER).is_empty(), "{calls:#?}");
    assert_eq!(text_to(&calls, BROKEN), "");
    let c = counts(&service).await;
    assert_eq!(
        (
            count(&c, "handling"),
            count(&c, "pending"),
            count(&c, "done")
        ),
        (1, 1, 1),
        "{c:?}"
    );

    // Not before its wait...
    h.clock
        .advance(update_retry_wait(1) - chrono::Duration::milliseconds(1));
    poll(&h, &service).await;
    assert_eq!(
        service
            .app
            .metrics
            .updates_failed
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
    // ...then again after each wait, until the last attempt.
    h.clock.advance(chrono::Duration::milliseconds(1));
    for attempt in 2..MAX_UPDATE_TRIES {
        let calls = poll(&h, &service).await;
        assert_eq!(text_to(&calls, BROKEN), "", "attempt {attempt}");
        h.clock.advance(update_retry_wait(attempt));
    }
    // The row stays broken, so the first update is given up on and the member hears so, in
    // English (the language the app reports: their own row cannot be read).
    let calls = poll(&h, &service).await;
    let apology = t!(i18n, Locale::En, "update-failed-apology");
    assert_eq!(text_to(&calls, BROKEN), apology);
    let summary = service.app.store.inbox_summary(10).await.unwrap();
    assert_eq!(count(&summary.counts, "dead"), 1);
    let dead = &summary.recent_dead[0];
    assert_eq!((dead.update_id, dead.chat_key.as_str()), (first, "8001"));
    assert_eq!(dead.attempts, i64::from(MAX_UPDATE_TRIES));
    assert_eq!(dead.failed_at, Some(h.clock_now()));
    let error = dead.last_error.as_deref().unwrap_or_default();
    assert!(error.contains("locale") && error.contains("xx"), "{error}");
    let report = weike::cli::inbox_report(&summary, h.clock_now());
    assert!(
        report.contains(&format!("#{first} chat 8001, 5 attempt(s)")),
        "{report}"
    );
    assert!(report.contains("weike inbox retry"), "{report}");
    let metrics = service.app.metrics.render(&[]);
    assert!(
        metrics.contains("weike_updates_dead_total 1\n"),
        "{metrics}"
    );
    // Five attempts at the first, then the first at the second (next in line).
    assert!(
        metrics.contains("weike_update_failures_total 6\n"),
        "{metrics}"
    );

    // The member's second message is next in line (it fails once on the broken row)...
    let c = counts(&service).await;
    assert_eq!(count(&c, "handling"), 1, "{c:?}");
    // ...the row is repaired, and it is answered at its next try.
    support::sql::execute(
        &h.db.url,
        &format!("UPDATE members SET locale = 'en' WHERE chat_id = '{BROKEN}'"),
    )
    .await;
    h.clock.advance(update_retry_wait(1));
    let calls = poll(&h, &service).await;
    assert!(!text_to(&calls, BROKEN).is_empty(), "{calls:#?}");
    assert_ne!(text_to(&calls, BROKEN), apology);

    // `weike inbox retry`: the dead update is handled again, now successfully.
    assert_eq!(service.app.store.requeue_dead_updates().await.unwrap(), 1);
    let calls = poll(&h, &service).await;
    let answer = text_to(&calls, BROKEN);
    assert!(!answer.is_empty() && answer != apology, "{answer}");
    let c = counts(&service).await;
    assert_eq!((count(&c, "done"), count(&c, "dead")), (3, 0), "{c:?}");
    assert!(second > first);
}

sqlite_and_postgres!(failing_updates_are_kept_and_answered);

/// An update teloxide cannot read (a message whose id is not a number) is kept, raw, as
/// dead with the reason, counted, and does not hold back the chat's next message.
async fn unreadable_updates_are_kept(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    let chat = 8101;
    let update = json!({
        "message": {
            "message_id": "not a number",
            "date": 0,
            "chat": {"id": chat, "type": "private", "first_name": "A"},
            "text": "/start",
        }
    });
    let id = h.fake.push_update(update);
    h.fake.push_text(chat, "/start");
    let calls = poll(&h, &service).await;
    assert!(
        !text_to(&calls, chat).is_empty(),
        "the next message is answered"
    );
    let summary = service.app.store.inbox_summary(10).await.unwrap();
    assert_eq!(count(&summary.counts, "dead"), 1, "{summary:?}");
    let dead = &summary.recent_dead[0];
    assert_eq!((dead.update_id, dead.attempts), (id, 1));
    let error = dead.last_error.as_deref().unwrap_or_default();
    assert!(
        error.starts_with("cannot read the update: message: "),
        "{error}"
    );
    let stored: serde_json::Value = serde_json::from_str(
        &service
            .app
            .store
            .update_payload("telegram", id)
            .await
            .unwrap()
            .expect("kept"),
    )
    .unwrap();
    assert_eq!(stored["message"]["message_id"], "not a number");
    let metrics = service.app.metrics.render(&[]);
    assert!(
        metrics.contains("weike_updates_unparsable_total 1\n"),
        "{metrics}"
    );
}

sqlite_and_postgres!(unreadable_updates_are_kept);

/// Stored updates live only as long as they are needed: a handled update's content is
/// emptied at once (a location shared without consent is not kept anywhere), a dead one is
/// kept without the location it carried, `/forget_location` leaves no location in stored
/// updates, and the rows themselves are deleted after their retention.
async fn stored_updates_are_kept_only_as_long_as_needed(db: TestDb) {
    let h = Harness::new(db).await;
    let service = h.service().await;
    let chat = 8201;
    add_members(&service.app, 1, chat, h.clock_now()).await;
    let no_location = |payloads: &[(i64, String)]| {
        payloads
            .iter()
            .all(|(_, p)| !p.contains("latitude") && !p.contains("121.47"))
    };
    let payloads = || async {
        service
            .app
            .store
            .update_payloads_of_chat("telegram", &chat.to_string())
            .await
            .unwrap()
    };

    // A location shared by a member who never agreed to have it stored: answered, not kept.
    h.fake.push_location(chat, 31.23, 121.47);
    let calls = poll(&h, &service).await;
    assert!(!text_to(&calls, chat).is_empty());
    let stored = payloads().await;
    assert_eq!(stored.len(), 1);
    assert!(no_location(&stored), "{stored:?}");
    assert_eq!(stored[0].1, "", "a handled update's content is emptied");

    // A location update that fails every attempt is kept as dead, without the location.
    support::sql::execute(
        &h.db.url,
        &format!("UPDATE members SET locale = 'xx' WHERE chat_id = '{chat}'"),
    )
    .await;
    let dead = h.fake.push_location(chat, 31.23, 121.47);
    poll(&h, &service).await;
    for attempt in 1..MAX_UPDATE_TRIES {
        h.clock.advance(update_retry_wait(attempt));
        poll(&h, &service).await;
    }
    let summary = service.app.store.inbox_summary(10).await.unwrap();
    assert_eq!(summary.recent_dead[0].update_id, dead);
    let kept = service
        .app
        .store
        .update_payload("telegram", dead)
        .await
        .unwrap()
        .unwrap();
    let kept: serde_json::Value = serde_json::from_str(&kept).unwrap();
    assert_eq!(
        kept["message"]["chat"]["id"], chat,
        "the rest is kept: {kept}"
    );
    assert!(no_location(&payloads().await));

    // /forget_location: no location of the member is left in stored updates either.
    support::sql::execute(
        &h.db.url,
        &format!("UPDATE members SET locale = 'zh-CN' WHERE chat_id = '{chat}'"),
    )
    .await;
    h.fake.push_text(chat, "/forget_location");
    let calls = poll(&h, &service).await;
    assert!(!text_to(&calls, chat).is_empty());
    assert!(no_location(&payloads().await));

    // Handled rows go after a day (kept that long only to recognize duplicates), dead ones
    // after 30 days.
    h.clock.advance(chrono::Duration::hours(25));
    service.tick().await.into_result().unwrap();
    let c = counts(&service).await;
    assert_eq!((count(&c, "done"), count(&c, "dead")), (0, 1), "{c:?}");
    h.clock.advance(chrono::Duration::days(30));
    service.tick().await.into_result().unwrap();
    assert!(counts(&service).await.is_empty());
}

sqlite_and_postgres!(stored_updates_are_kept_only_as_long_as_needed);

/// One member whose sends stall (the chat app answers after 4 s) delays only themselves:
/// the members who wrote after them are answered while the stalled send is still in flight,
/// each chat's updates still in order.
async fn a_stalled_chat_delays_only_itself(db: TestDb) {
    const STALLED: i64 = 8100;
    let h = Harness::new(db).await;
    let service = h.service().await;
    add_members(&service.app, 11, STALLED, h.clock_now()).await;
    h.fake.slow_chat(STALLED, std::time::Duration::from_secs(4));
    h.fake.push_text(STALLED, "/me");
    for other in 1..=10 {
        h.fake.push_text(STALLED + other, "/me");
        h.fake.push_text(STALLED + other, "/help");
    }
    service
        .poll_once(std::time::Duration::ZERO)
        .await
        .expect("poll");
    let calls = h.fake.take_calls();
    let sends: Vec<&Call> = calls.iter().filter(|c| c.method == "sendMessage").collect();
    let stalled = sends
        .iter()
        .find(|c| c.chat_id() == Some(STALLED))
        .expect("the stalled member's reply was sent");
    for other in 1..=10 {
        let mine: Vec<&&Call> = sends
            .iter()
            .filter(|c| c.chat_id() == Some(STALLED + other))
            .collect();
        assert!(mine.len() >= 2, "member {other}: {} replies", mine.len());
        // In order: the answer to /me before the list of /help.
        assert!(mine[0].at <= mine[mine.len() - 1].at);
        let last = mine[mine.len() - 1].at;
        // Sent while the stalled send was still waiting for its answer.
        assert!(
            last < stalled.at + std::time::Duration::from_secs(3),
            "member {other} waited for the stalled chat: {:?} after it",
            last - stalled.at
        );
    }
}

sqlite_and_postgres!(a_stalled_chat_delays_only_itself);
