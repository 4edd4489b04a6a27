//! The planner and courier with many members on a manual clock: Telegram's rate limits are
//! kept, and reached; buttons with forged data change nothing.

mod support;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, TimeZone, Utc};
use support::db::TestDb;
use support::harness::{Harness, add_members, member_of};
use weike::channel::{Channel, Inbound, InboundEvent, Limits, Outbound, Profile, SendError, Sent};
use weike::clock::{Clock, ManualClock};
use weike::domain::outbox::ClaimOrder;
use weike::domain::{Dialog, Locale};
use weike::service::App;

/// A channel with Telegram's limits that records when (on its clock) each message went to
/// which chat, and every attempt. It may split texts into parts of `split_chars`
/// characters (the buttons under the last part) and answer every `fail_every`-th send with
/// a 429 (retry after 2 s).
struct Recorder {
    clock: Arc<dyn Clock>,
    split_chars: Option<usize>,
    fail_every: usize,
    attempts: Mutex<Vec<DateTime<Utc>>>,
    sends: Mutex<Vec<(DateTime<Utc>, String, Outbound)>>,
    /// Chats whose next send meets a 429 (once each).
    fail_chat_once: Mutex<Vec<String>>,
}

impl Recorder {
    /// Sends every message whole, on the manual clock, and every one goes through.
    fn new(clock: &ManualClock) -> Arc<Self> {
        Self::on(Arc::new(clock.clone()), None, 0)
    }

    /// Splits texts into parts of `split_chars` characters and fails every
    /// `fail_every`-th send (none: 0), on the manual clock.
    fn splitting(clock: &ManualClock, split_chars: usize, fail_every: usize) -> Arc<Self> {
        Self::on(Arc::new(clock.clone()), Some(split_chars), fail_every)
    }

    /// Sends every message whole and records the real instants.
    fn on_the_wall() -> Arc<Self> {
        Self::on(Arc::new(weike::clock::SystemClock), None, 0)
    }

    /// A recorder on `clock`.
    fn on(clock: Arc<dyn Clock>, split_chars: Option<usize>, fail_every: usize) -> Arc<Self> {
        Arc::new(Self {
            clock,
            split_chars,
            fail_every,
            attempts: Mutex::new(Vec::new()),
            sends: Mutex::new(Vec::new()),
            fail_chat_once: Mutex::new(Vec::new()),
        })
    }

    /// What went through so far: (when, chat, message).
    fn sends(&self) -> Vec<(DateTime<Utc>, String, Outbound)> {
        self.sends.lock().unwrap().clone()
    }
}

/// When the first lesson of the members `add_members` writes is due: their lesson time,
/// 07:30 in Shanghai, on 25 November (the harness's clock starts on the 24th at 20:00 there).
fn first_lesson_due() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap()
}

#[async_trait::async_trait]
impl Channel for Recorder {
    fn profile(&self) -> &'static Profile {
        &weike::channel::telegram::PROFILE
    }
    fn limits(&self) -> Limits {
        weike::channel::telegram::LIMITS
    }
    fn parts(&self, message: &Outbound) -> Vec<Outbound> {
        match (message, self.split_chars) {
            (Outbound::Text { html, buttons }, Some(size)) if html.chars().count() > size => {
                let chars: Vec<char> = html.chars().collect();
                let mut parts: Vec<Outbound> = chars
                    .chunks(size)
                    .map(|c| Outbound::text(c.iter().collect::<String>()))
                    .collect();
                if let Some(Outbound::Text { buttons: last, .. }) = parts.last_mut() {
                    *last = buttons.clone();
                }
                parts
            }
            _ => vec![message.clone()],
        }
    }
    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let attempt = {
            let mut attempts = self.attempts.lock().unwrap();
            attempts.push(self.clock.now());
            attempts.len()
        };
        let fail_once = {
            let mut chats = self.fail_chat_once.lock().unwrap();
            let hit = chats.iter().position(|c| c == chat_id);
            hit.map(|i| chats.remove(i)).is_some()
        };
        if fail_once || (self.fail_every > 0 && attempt % self.fail_every == 0) {
            return Err(SendError::RetryAfter(std::time::Duration::from_secs(2)));
        }
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
    let recorder = Recorder::new(&h.clock);
    let courier = app.courier(recorder.clone(), "test");
    let lesson_time = first_lesson_due();
    h.clock.set(lesson_time);
    let weike::service::TickReport {
        planned, drained, ..
    } = app.tick(&courier).await.into_result().unwrap();
    assert_eq!((planned.planned, drained.sent), (100, 100));
    let sends = recorder.sends();
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

sqlite_and_postgres!(rate_limits => rate_limit_scenario);

/// Button data a client could forge: unknown lessons, lessons never sent to this member,
/// malformed or overlong data. Each is answered "out of date" and records nothing.
async fn forged_buttons_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let app = App::start(h.config(), Arc::new(h.clock.clone()))
        .await
        .unwrap();
    add_members(&app, 1, 10_000, h.clock.now()).await;
    let recorder = Recorder::new(&h.clock);
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
        app.handle(&*recorder, &inbound).await.unwrap();
    }
    let sends = recorder.sends();
    assert_eq!(sends.len(), forged.len());
    for (_, _, message) in sends.iter() {
        match message {
            Outbound::AnswerButton { text, .. } => {
                assert_eq!(text.as_deref(), Some("这个按钮已失效。"))
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    let m = member_of(&app.store, 10000).await;
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

sqlite_and_postgres!(forged_buttons => forged_buttons_scenario);

/// A lesson's text split into parts books a slot per part (never more than 30 sends in any
/// second, attempts included), and a 429 on a later part resumes the delivery from that
/// part: no part reaches a member twice, none is lost.
async fn split_parts_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let config = h.config_with(&[("WEIKE_SEND_CONCURRENCY", "1")]);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    add_members(&app, 30, 20_000, h.clock.now()).await;
    // Parts of 20 characters: lesson 1's text becomes several parts.
    let recorder = Recorder::splitting(&h.clock, 20, 5);
    let courier = app.courier(recorder.clone(), "test");
    h.clock.set(first_lesson_due());
    let mut sent = 0;
    for _ in 0..200 {
        let report = app.tick(&courier).await.into_result().unwrap();
        sent += report.drained.sent;
        if sent == 30 {
            break;
        }
        h.clock.advance(Duration::seconds(1));
    }
    assert_eq!(sent, 30, "every lesson delivered in the end");
    let sends = recorder.sends();
    // Every (chat, part) exactly once.
    let mut per_part: std::collections::BTreeMap<(String, String), usize> = Default::default();
    for (_, chat, message) in &sends {
        let key = match message {
            Outbound::Text { html, .. } => html.clone(),
            Outbound::Audio { .. } => "audio".to_string(),
            other => format!("{other:?}"),
        };
        *per_part.entry((chat.clone(), key)).or_default() += 1;
    }
    let twice: Vec<_> = per_part.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "parts sent twice: {twice:?}");
    let parts_per_member = per_part.len() / 30;
    assert!(
        parts_per_member >= 4,
        "the text was split: {parts_per_member} parts"
    );
    assert_eq!(sends.len(), 30 * parts_per_member);
    // Each member got the same parts in the same order.
    let first: Vec<_> = sends
        .iter()
        .filter(|(_, c, _)| c == "20000")
        .map(|s| &s.2)
        .collect();
    let last: Vec<_> = sends
        .iter()
        .filter(|(_, c, _)| c == "20029")
        .map(|s| &s.2)
        .collect();
    assert_eq!(first.len(), last.len());
    // 429s happened (every fifth attempt), and every attempt kept the limits.
    let attempts = recorder.attempts.lock().unwrap().clone();
    assert!(
        attempts.len() >= sends.len() + sends.len() / 5,
        "{}",
        attempts.len()
    );
    assert!(
        max_in_any_second(&attempts) <= 30,
        "{}",
        max_in_any_second(&attempts)
    );
}

sqlite_and_postgres!(split_parts => split_parts_scenario);

/// A reply asked for while a backlog of lessons drains is sent before the lessons still
/// waiting: only the sends already in flight go before it. A reply that meets a 429 waits
/// `retry_after`, pauses everything, and is delivered.
async fn replies_first_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let config = h.config_with(&[("WEIKE_SEND_CONCURRENCY", "4")]);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    add_members(&app, 120, 30_000, h.clock.now()).await;
    let recorder = Recorder::new(&h.clock);
    let courier = Arc::new(app.courier(recorder.clone(), "test"));
    h.clock.set(first_lesson_due());
    let replies = async {
        // Wait until 40 lesson messages have gone out.
        while recorder.sends.lock().unwrap().len() < 40 {
            tokio::task::yield_now().await;
        }
        let before = recorder.sends.lock().unwrap().len();
        courier
            .send_reply("999", &Outbound::text("reply one"))
            .await
            .unwrap();
        let at = recorder
            .sends
            .lock()
            .unwrap()
            .iter()
            .position(|(_, chat, _)| chat == "999")
            .expect("the reply was sent");
        // A 429 on the next reply: it waits and is delivered; bulk sends wait too.
        recorder.fail_chat_once.lock().unwrap().push("999".into());
        let asked = h.clock.now();
        courier
            .send_reply("999", &Outbound::text("reply two"))
            .await
            .unwrap();
        (before, at, asked)
    };
    let (report, (before, at, asked)) = tokio::join!(app.tick(&courier), replies);
    // Only sends in flight (the courier's concurrency, each a text and an audio) may go
    // before it.
    assert!(
        at <= before + 8,
        "reply sent as message {at}, {before} before it was asked"
    );
    let report = report.into_result().unwrap();
    assert_eq!(report.drained.sent, 120);
    let sends = recorder.sends();
    let (when, _, _) = sends
        .iter()
        .find(|(_, _, m)| matches!(m, Outbound::Text { html, .. } if html == "reply two"))
        .expect("the second reply was delivered");
    assert!(
        *when >= asked + Duration::seconds(2),
        "after retry_after: {when} {asked}"
    );
    // (The limits and pauses under concurrent senders are checked with real time against
    // the fake Bot API in tests/delivery_faults.rs and in the limiter's unit tests: on the
    // manual clock, concurrent sleepers move the clock for each other, so the recorded
    // instants are not the sends' own.)
}

sqlite_and_postgres!(replies_first => replies_first_scenario);

/// Two couriers (as two processes would) drain one database through one channel: each
/// notes itself alive and keeps half of the channel's overall limit, so that together they
/// never send more than 30 messages in any second (real time: the limit is a wall-clock
/// one). Both take part, and every lesson goes out once.
async fn shared_budget_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let lessons = support::harness::text_only_lessons();
    let dir = lessons.path().display().to_string();
    let config = h.config_with(&[
        ("WEIKE_LESSONS_DIR", dir.as_str()),
        ("WEIKE_SEND_CONCURRENCY", "8"),
    ]);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    add_members(&app, 120, 40_000, h.clock.now()).await;
    h.clock.set(first_lesson_due());
    let planned = app.planner.plan_due().await.unwrap();
    assert_eq!(planned.planned, 120);
    let channel = Recorder::on_the_wall();
    let courier = |worker: &str| {
        weike::courier::Courier::new(
            app.store.clone(),
            channel.clone(),
            app.conversation.clone(),
            Arc::new(weike::clock::SystemClock),
            app.config.courier.clone(),
            worker.to_string(),
            7,
            app.metrics.clone(),
        )
    };
    let (a, b) = (courier("process-a"), courier("process-b"));
    // A alone may send; B joins, and waits until A has counted it.
    assert!(a.keep_presence().await.unwrap());
    assert!(
        !b.keep_presence().await.unwrap(),
        "B waits for A to count it"
    );
    assert!(a.refresh_presence().await.unwrap());
    assert!(b.keep_presence().await.unwrap(), "A has counted B");
    let (ra, rb) = tokio::join!(a.drain(), b.drain());
    let (ra, rb) = (ra.unwrap(), rb.unwrap());
    assert_eq!(ra.sent + rb.sent, 120);
    assert!(
        ra.sent > 20 && rb.sent > 20,
        "both sent: {} and {}",
        ra.sent,
        rb.sent
    );
    let sends = channel.sends();
    let mut chats: Vec<&String> = sends.iter().map(|(_, c, _)| c).collect();
    chats.sort();
    chats.dedup();
    assert_eq!(chats.len(), 120, "each member once");
    let times: Vec<DateTime<Utc>> = sends.iter().map(|(t, ..)| *t).collect();
    let most = max_in_any_second(&times);
    assert!(most <= 30, "{most} sends in one second");
    // A courier that stops leaves the others its share.
    a.release_all().await.unwrap();
    let now = Utc::now();
    let (live, _) = app
        .store
        .courier_presence(
            "telegram",
            "process-b",
            now,
            now - Duration::seconds(15),
            now,
        )
        .await
        .unwrap();
    assert_eq!(live, 1);
}

sqlite_and_postgres!(shared_budget => shared_budget_scenario);

/// Earliest due first: a backlog of rows due at 07:30 (written first) does not hold back
/// rows due at 06:30 written after them, nor a retry wait an earlier row's turn.
async fn earliest_due_first_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let app = App::start(h.config(), Arc::new(h.clock.clone()))
        .await
        .unwrap();
    let mut members = Vec::new();
    for chat in add_members(&app, 6, 50_000, h.clock.now()).await {
        members.push(member_of(&app.store, chat).await.id);
    }
    let day = |h, m| Utc.with_ymd_and_hms(2026, 11, 25, h, m, 0).unwrap();
    let now = day(9, 0);
    let delivery = |member: i64, due: DateTime<Utc>| weike::store::NewDelivery {
        member_id: member,
        kind: weike::domain::outbox::OutboxKind::Nudge,
        reference: format!("edf-{member}"),
        dedup_key: format!("edf-{member}"),
        due_at: due,
    };
    // The 07:30 backlog first, then the 06:30 rows, then one due at 07:00.
    for (i, member) in members.iter().enumerate() {
        let due = match i {
            0..=2 => day(7, 30),
            3 | 4 => day(6, 30),
            _ => day(7, 0),
        };
        assert!(
            app.store
                .enqueue(&delivery(*member, due), now)
                .await
                .unwrap()
        );
    }
    let lease = now + Duration::minutes(5);
    let claimed = app
        .store
        .claim_due("telegram", "edf", now, lease, 6)
        .await
        .unwrap();
    let order: Vec<DateTime<Utc>> = claimed.iter().map(|c| c.due_at).collect();
    assert_eq!(
        order,
        [
            day(6, 30),
            day(6, 30),
            day(7, 0),
            day(7, 30),
            day(7, 30),
            day(7, 30)
        ]
    );
    // Given back after a 429 or at shutdown, as the courier does (at their due time),
    // they keep their places: claimed in pages, the earliest come first again.
    for c in &claimed {
        app.store.release(c.id, "edf", c.due_at).await.unwrap();
    }
    let first = app
        .store
        .claim_due("telegram", "edf", now, lease, 2)
        .await
        .unwrap();
    assert!(first.iter().all(|c| c.due_at == day(6, 30)));
    for c in &first {
        app.store.release(c.id, "edf", c.due_at).await.unwrap();
    }
    // The benchmark's other order: as written, the 07:30 backlog first.
    let written = app
        .store
        .claim_due_in(ClaimOrder::Written, "telegram", "edf", now, lease, 6)
        .await
        .unwrap();
    let order: Vec<DateTime<Utc>> = written.iter().map(|c| c.due_at).collect();
    assert_eq!(
        order,
        [
            day(7, 30),
            day(7, 30),
            day(7, 30),
            day(6, 30),
            day(6, 30),
            day(7, 0)
        ]
    );
}

sqlite_and_postgres!(earliest_due_first => earliest_due_first_scenario);

/// A backlog longer than a drain's turn: the tick returns at the end of its turn with rows
/// still due (so that the tick's other jobs are not held back for the hours a large day's
/// lessons take at Telegram's limits), and the following ticks send the rest, each lesson
/// once.
async fn drain_turn_scenario(db: TestDb) {
    let h = Harness::new(db).await;
    let mut config = h.config_with(&[("WEIKE_SEND_CONCURRENCY", "1")]);
    config.courier.drain_turn = std::time::Duration::from_secs(3);
    let app = App::start(config, Arc::new(h.clock.clone())).await.unwrap();
    let chats = add_members(&app, 150, 70_000, h.clock.now()).await;
    let recorder = Recorder::new(&h.clock);
    let courier = app.courier(recorder.clone(), "test");
    let lesson_time = first_lesson_due();
    h.clock.set(lesson_time);
    // 150 lessons of two messages: 300 sends at 29.5 a second, about 10 s of sending.
    let mut turns = Vec::new();
    let mut planned = 0;
    loop {
        let started = h.clock.now();
        let report = app.tick(&courier).await.into_result().unwrap();
        planned += report.planned.planned;
        turns.push((report.drained.sent, h.clock.now() - started));
        if !report.drained.more {
            break;
        }
        assert!(turns.len() < 20, "the backlog never ends: {turns:?}");
    }
    assert_eq!(planned, 150);
    assert_eq!(turns.iter().map(|(sent, _)| sent).sum::<u64>(), 150);
    // Every turn but the last ended after its 3 s (and the batch in flight then, four
    // lessons at most), with lessons sent in it.
    assert!(turns.len() >= 3, "{turns:?}");
    for (sent, took) in &turns[..turns.len() - 1] {
        assert!(*sent > 0, "{turns:?}");
        assert!(
            *took >= Duration::seconds(3) && *took < Duration::seconds(4),
            "{turns:?}"
        );
    }
    // Each member got the lesson once: its text and its audio.
    let sends = recorder.sends();
    for chat in &chats {
        let mine = sends
            .iter()
            .filter(|(_, c, _)| *c == chat.to_string())
            .count();
        assert_eq!(mine, 2, "chat {chat}");
    }
}

sqlite_and_postgres!(drain_turn => drain_turn_scenario);
