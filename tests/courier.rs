//! The planner and courier with many members on a manual clock: Telegram's rate limits are
//! kept, and reached; buttons with forged data change nothing.

mod support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use support::db::TestDb;
use support::harness::{Harness, add_members};
use weike::channel::{Channel, Inbound, InboundEvent, Limits, Outbound, Profile, SendError, Sent};
use weike::clock::{Clock, ManualClock};
use weike::domain::{Dialog, Locale};
use weike::service::App;

/// A channel that records when (on the manual clock) each message went to which chat.
struct Recorder {
    clock: ManualClock,
    sends: Mutex<Vec<(DateTime<Utc>, String, Outbound)>>,
}

#[async_trait::async_trait]
impl Channel for Recorder {
    /// It stands in for Telegram, with Telegram's limits.
    fn profile(&self) -> &'static Profile {
        &weike::channel::telegram::PROFILE
    }
    fn limits(&self) -> Limits {
        weike::channel::telegram::LIMITS
    }
    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let mut sends = self.sends.lock().unwrap();
        sends.push((self.clock.now(), chat_id.to_string(), message.clone()));
        Ok(Sent {
            message_id: Some(sends.len().to_string()),
            file_id: Some("FILE".into()),
            poll_id: None,
        })
    }
}

fn max_in_any_second(times: &[DateTime<Utc>]) -> usize {
    times
        .iter()
        .map(|start| {
            times
                .iter()
                .filter(|t| **t >= *start && **t < *start + Duration::seconds(1))
                .count()
        })
        .max()
        .unwrap_or(0)
}

async fn rate_limit_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    // One sender, so that the manual clock reads exactly each send's slot.
    let config = h.config_with(&[("WEIKE_SEND_CONCURRENCY", "1")]);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    add_members(&app, 100, 10_000, h.clock.now()).await;
    let recorder = Arc::new(Recorder {
        clock: h.clock.clone(),
        sends: Mutex::new(Vec::new()),
    });
    let courier = app.courier(recorder.clone(), "test");
    let lesson_time = Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap();
    h.clock.set(lesson_time);
    let weike::service::TickReport {
        planned, drained, ..
    } = app.tick(&courier).await.into_result().unwrap();
    assert_eq!((planned.planned, drained.sent), (100, 100));
    let sends = recorder.sends.lock().unwrap().clone();
    // Lesson 1 has text and a voice message: 200 messages.
    assert_eq!(sends.len(), 200);
    let times: Vec<_> = sends.iter().map(|(t, _, _)| *t).collect();
    assert!(
        max_in_any_second(&times) <= 30,
        "{} in one second: {:?}",
        max_in_any_second(&times),
        times
            .iter()
            .map(|t| (*t - lesson_time).num_milliseconds())
            .collect::<Vec<_>>()
    );
    // It runs at the limit, not below it: 200 messages at 30/s take about 6.6 s.
    let took = *times.last().unwrap() - lesson_time;
    assert!(
        took >= Duration::milliseconds(6_600) && took <= Duration::milliseconds(7_000),
        "{took}"
    );
    // Per chat: the text and the audio, close together (within the burst of 3).
    for chat in ["10000", "10099"] {
        let mine: Vec<_> = sends.iter().filter(|(_, c, _)| c == chat).collect();
        assert_eq!(mine.len(), 2);
        assert!(
            matches!(mine[0].2, Outbound::Text { .. })
                && matches!(mine[1].2, Outbound::Audio { .. })
        );
    }
    // The uploaded file id is stored and used from then on.
    let audio = &app.library.courses[0].lessons[0].versions[&Locale::ZhCn]
        .audio
        .clone()
        .unwrap();
    assert_eq!(
        app.store
            .file_id(&audio.sha256, "telegram")
            .await
            .unwrap()
            .as_deref(),
        Some("FILE")
    );
}

#[tokio::test]
async fn rate_limits_on_sqlite() {
    rate_limit_scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn rate_limits_on_postgres() {
    if let Some(db) = TestDb::postgres("ratelimit").await {
        rate_limit_scenario(db).await;
    }
}

/// Button data a client could forge: unknown lessons, lessons never sent to this member,
/// malformed or overlong data. Each is answered "out of date" and records nothing.
async fn forged_buttons_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let app = App::start(h.config(), Arc::new(h.clock.clone()))
        .await
        .unwrap();
    add_members(&app, 1, 10_000, h.clock.now()).await;
    let recorder = Recorder {
        clock: h.clock.clone(),
        sends: Mutex::new(Vec::new()),
    };
    let forged = [
        "ck:safety:road-safety".to_string(), // a real lesson, but not sent to this member yet
        "ck:safety:no-such-lesson".into(),
        "ck:other:road-safety".into(),
        "ck:".into(),
        "ck".into(),
        "lang:xx".into(),
        "set:everything".into(),
        "br:qingshan".into(), // not in the branch dialog
        format!("ck:safety:{}", "x".repeat(500)),
        "".into(),
    ];
    for (i, data) in forged.iter().enumerate() {
        let inbound = Inbound {
            channel: "telegram".into(),
            chat_id: "10000".into(),
            language: None,
            event: InboundEvent::Button {
                callback_id: format!("cb{i}"),
                data: data.clone(),
                message_id: Some("1".into()),
            },
        };
        app.handle(&recorder, &inbound).await.unwrap();
    }
    let sends = recorder.sends.lock().unwrap().clone();
    assert_eq!(sends.len(), forged.len());
    for (_, _, message) in sends.iter() {
        match message {
            Outbound::AnswerButton { text, .. } => {
                assert_eq!(text.as_deref(), Some("这个按钮已失效。"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let m = app
        .store
        .member_by_chat("telegram", "10000")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(m.locale, Locale::ZhCn);
    assert_eq!(m.dialog, Dialog::Idle);
    assert!(
        !app.store
            .has_checkin(m.id, "safety", "road-safety")
            .await
            .unwrap()
    );
    assert_eq!(
        app.store.progress(m.id, "safety").await.unwrap().checked_in,
        0
    );
}

#[tokio::test]
async fn forged_buttons_on_sqlite() {
    forged_buttons_scenario(TestDb::sqlite()).await;
}

#[tokio::test]
async fn forged_buttons_on_postgres() {
    if let Some(db) = TestDb::postgres("forged").await {
        forged_buttons_scenario(db).await;
    }
}
