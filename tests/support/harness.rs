//! The real service wired to a fake Telegram, a manual clock and a test database.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use serde_json::Value;
use weike::clock::ManualClock;
use weike::config::Config;
use weike::service::{App, Service};

use super::db::TestDb;
use super::fake_telegram::{Call, FakeTelegram};

pub const TOKEN: &str = "123456:TEST-token_for-weike";

pub struct Harness {
    pub fake: FakeTelegram,
    pub clock: ManualClock,
    pub db: TestDb,
}

/// 2026-11-24 12:00 UTC = 20:00 in Shanghai.
pub fn start_time() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 12, 0, 0).unwrap()
}

/// The settings of a test service (`WEIKE_*` variables): the database, the repository's
/// lessons and branches, and `extra` (later variables win).
pub fn test_config(db: &TestDb, extra: &[(&str, String)]) -> Config {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let vars: Vec<(String, String)> = [
        ("WEIKE_DATABASE_URL", db.url.clone()),
        (
            "WEIKE_LESSONS_DIR",
            root.join("lessons").display().to_string(),
        ),
        (
            "WEIKE_BRANCHES_FILE",
            root.join("branches.toml").display().to_string(),
        ),
    ]
    .iter()
    .chain(extra)
    .map(|(k, v)| (k.to_string(), v.clone()))
    .collect();
    Config::from_sources(None, move |k| {
        vars.iter()
            .rev()
            .find(|(name, _)| name == k)
            .map(|(_, v)| v.clone())
    })
    .expect("test config")
}

/// The first lesson time, 2026-11-25 07:30 in Shanghai, on day 1; a day later each day.
pub fn lesson_time(day: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 24, 23, 30, 0).unwrap() + chrono::Duration::days(day - 1)
}

impl Harness {
    pub async fn new(db: TestDb) -> Harness {
        Harness {
            fake: FakeTelegram::start().await,
            clock: ManualClock::new(start_time()),
            db,
        }
    }

    pub fn clock_now(&self) -> DateTime<Utc> {
        weike::clock::Clock::now(&self.clock)
    }

    pub fn config(&self) -> Config {
        self.config_with(&[])
    }

    /// The settings the service gets (Telegram, pointed at the fake), with extra
    /// `WEIKE_*` variables.
    pub fn config_with(&self, extra: &[(&str, &str)]) -> Config {
        let vars: Vec<(&str, String)> = [
            ("WEIKE_TELEGRAM_TOKEN", TOKEN.to_string()),
            ("WEIKE_TELEGRAM_API_URL", self.fake.api_url()),
        ]
        .into_iter()
        .chain(extra.iter().map(|(k, v)| (*k, v.to_string())))
        .collect();
        test_config(&self.db, &vars)
    }

    /// The Telegram channel the service would use, pointed at the fake.
    /// `n` members who finished onboarding, chats `first..first + n` ([`add_members`]), the
    /// only chats the fake Telegram takes sends to; the calls so far are forgotten.
    pub async fn members_only(&self, service: &Service, n: usize, first: i64) -> Vec<i64> {
        self.fake.take_calls();
        let chats = add_members(&service.app, n, first, self.clock_now()).await;
        self.fake.allow_chats(chats.clone());
        chats
    }

    pub fn telegram_channel(&self) -> Arc<weike::channel::telegram::TelegramChannel> {
        Arc::new(
            weike::channel::telegram::TelegramChannel::new(TOKEN, Some(&self.fake.api_url()))
                .expect("channel"),
        )
    }

    /// Starts the service as `weike run` does (but without its endless loops).
    pub async fn service(&self) -> Service {
        self.service_with(self.config()).await
    }

    pub async fn service_with(&self, config: Config) -> Service {
        let app = App::start(config, Arc::new(self.clock.clone()))
            .await
            .expect("service starts");
        let service = service_on(app);
        service
            .prepare()
            .await
            .expect("setMyCommands and deleteWebhook");
        service
    }
}

/// The service on the channel `weike run` opens from the app's settings (Telegram, here
/// the fake).
pub fn service_on(app: App) -> Service {
    let channel = weike::cli::open_channel(&app.config).expect("telegram channel");
    Service::new(app, channel)
}

/// Handles every update the fake has queued.
pub async fn poll_all(service: &Service, fake: &FakeTelegram) {
    for _ in 0..100 {
        service.poll_once(Duration::ZERO).await.expect("poll");
        if fake.pending_updates() == 0 {
            return;
        }
    }
    panic!("updates still pending after 100 polls");
}

/// Handles every update the fake has queued and returns the Bot API calls the service made,
/// which must all have succeeded.
pub async fn step(service: &Service, fake: &FakeTelegram) -> Vec<Call> {
    poll_all(service, fake).await;
    let calls = fake.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
    calls
}

/// Runs the scheduled work once; the Bot API calls it made, which must all have succeeded.
pub async fn tick(service: &Service, fake: &FakeTelegram) -> Vec<Call> {
    service.tick().await.into_result().expect("the tick");
    let calls = fake.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
    calls
}

/// The calls to `chat`.
pub fn to_chat(calls: &[Call], chat: i64) -> Vec<&Call> {
    calls.iter().filter(|c| c.chat_id() == Some(chat)).collect()
}

/// The message to `chat` with a lesson's check-in button: its id and the button's data.
pub fn checkin_button(calls: &[Call], chat: i64) -> (i64, String) {
    let call = to_chat(calls, chat)
        .into_iter()
        .find(|c| c.callback_datas().iter().any(|d| d.starts_with("ck:")))
        .unwrap_or_else(|| panic!("no check-in button for {chat} among {calls:#?}"));
    (
        call.result_message_id().expect("a sent message"),
        call.callback_datas()[0].clone(),
    )
}

/// Everything said to `chat` (texts and captions), and button answers: those carry no
/// chat, so one member acts per step.
pub fn text_to(calls: &[Call], chat: i64) -> String {
    calls
        .iter()
        .filter(|c| c.chat_id() == Some(chat) || c.method == "answerCallbackQuery")
        .filter_map(|c| {
            c.param("text")
                .or_else(|| c.param("caption"))
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// Everything said to `chat` in `calls` ([`text_to`]), which must contain `needle`.
#[track_caller]
pub fn told(calls: &[Call], chat: i64, needle: &str) -> String {
    let said = text_to(calls, chat);
    assert!(said.contains(needle), "{needle:?} not in: {said}");
    said
}

/// Everything said to `chat` in `calls` ([`text_to`]), which must not contain `needle`.
#[track_caller]
pub fn not_told(calls: &[Call], chat: i64, needle: &str) -> String {
    let said = text_to(calls, chat);
    assert!(!said.contains(needle), "{needle:?} in: {said}");
    said
}

/// The member of the Telegram chat `chat` (it must be one).
pub async fn member_of(store: &weike::store::Store, chat: i64) -> weike::domain::Member {
    store
        .member_by_chat("telegram", &chat.to_string())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no member for chat {chat}"))
}

/// `chat` sends `text`; the calls the service made in answer.
pub async fn say(h: &Harness, service: &Service, chat: i64, text: &str) -> Vec<Call> {
    h.fake.push_text(chat, text);
    step(service, &h.fake).await
}

/// `chat` sends `text`; everything said to them in answer ([`text_to`]).
pub async fn reply_to(h: &Harness, service: &Service, chat: i64, text: &str) -> String {
    text_to(&say(h, service, chat, text).await, chat)
}

/// Presses the button with `data` under the latest message to `chat` in `calls` that has
/// it.
pub async fn press(
    h: &Harness,
    service: &Service,
    chat: i64,
    calls: &[Call],
    data: &str,
) -> Vec<Call> {
    let call = latest_with(calls, chat, |d| d == data)
        .unwrap_or_else(|| panic!("no button {data} for {chat} in {calls:#?}"));
    h.fake.push_callback(
        chat,
        call.result_message_id().expect("a sent message"),
        data,
    );
    step(service, &h.fake).await
}

/// The latest message to `chat` in `calls` with a button whose data `fits`.
fn latest_with(calls: &[Call], chat: i64, fits: impl Fn(&str) -> bool) -> Option<&Call> {
    calls
        .iter()
        .rev()
        .find(|c| c.chat_id() == Some(chat) && c.callback_datas().iter().any(|d| fits(d)))
}

/// The latest message to `chat` in `calls` with buttons.
pub fn with_buttons(calls: &[Call], chat: i64) -> &Call {
    latest_with(calls, chat, |_| true)
        .unwrap_or_else(|| panic!("no buttons for {chat} in {calls:#?}"))
}

/// The id and the button data of the latest message to `chat` in `calls` with a button
/// whose data starts with `prefix`.
pub fn button_message(calls: &[Call], chat: i64, prefix: &str) -> (i64, Vec<String>) {
    let call = latest_with(calls, chat, |d| d.starts_with(prefix))
        .unwrap_or_else(|| panic!("no buttons {prefix}* for {chat} in {calls:#?}"));
    (
        call.result_message_id().expect("a sent message"),
        call.callback_datas(),
    )
}

/// Like [`press`], but stricter, for menus whose buttons change as they are pressed: the
/// button must be under the latest message to `chat` with buttons of its kind (data with
/// the same first four characters, e.g. `bca:`), not only under an older one.
pub async fn press_latest(
    h: &Harness,
    service: &Service,
    chat: i64,
    calls: &[Call],
    data: &str,
) -> Vec<Call> {
    let (_, datas) = button_message(calls, chat, &data[..4]);
    assert!(
        datas.iter().any(|d| d == data),
        "{data} not among {datas:?}"
    );
    // The latest message with `data` is then that latest one of its kind.
    press(h, service, chat, calls, data).await
}

/// Members who finished onboarding (branch, name, default lesson time), enrolled in the
/// first course, with chat ids `first_chat..first_chat + n`.
pub async fn add_members(app: &App, n: usize, first_chat: i64, now: DateTime<Utc>) -> Vec<i64> {
    let mut chats = Vec::with_capacity(n);
    for i in 0..n {
        let chat = first_chat + i as i64;
        add_member(app, "telegram", &chat.to_string(), &format!("成员{i}"), now).await;
        chats.push(chat);
    }
    chats
}

/// A member of `channel` who finished onboarding as `name` in 柳村 (default lesson time,
/// Shanghai), enrolled in the first course; their id.
pub async fn add_member(
    app: &App,
    channel: &str,
    chat_id: &str,
    name: &str,
    now: DateTime<Utc>,
) -> i64 {
    use weike::domain::{Dialog, Locale};
    let course = app.library.courses[0].clone();
    let mut m = app
        .store
        .create_member(
            channel,
            chat_id,
            Locale::ZhCn,
            "Asia/Shanghai",
            app.config.default_lesson_time,
            "idle",
            now,
        )
        .await
        .unwrap();
    m.display_name = Some(name.to_string());
    m.branch_id = Some("qingshan.donghu.liucun".into());
    m.onboarded = true;
    m.dialog = Dialog::Idle;
    app.store.save_member(&m, now).await.unwrap();
    let next =
        weike::domain::schedule::next_lesson_at(&course.schedule, m.lesson_time, m.timezone, now);
    app.store.enroll(m.id, &course.id, next, now).await.unwrap();
    m.id
}

/// A course of two short text-only lessons (one message each), for load and fault tests.
pub fn text_only_lessons() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let course = dir.path().join("short");
    std::fs::create_dir_all(&course).unwrap();
    std::fs::write(
        course.join("course.toml"),
        "id = \"short\"\n[title]\nzh-CN = \"短课\"\n",
    )
    .unwrap();
    for (n, id) in [(1, "one"), (2, "two")] {
        std::fs::write(
            course.join(format!("0{n}-{id}.zh-CN.md")),
            format!("+++\nid = \"{id}\"\ntitle = \"第{n}课\"\n+++\n安全第一，第{n}课。\n"),
        )
        .unwrap();
    }
    dir
}

/// A `branches.toml` in `dir` for an organization of 1,220 branches: 1 city (`city`, 大市),
/// 20 towns (`city.t0`…`city.t19`, 第0镇…), 60 villages under each town but the last, which
/// has 59 (`city.t19.v58`, 第19镇第58村, is the last).
pub fn large_tree_file(dir: &Path) -> std::path::PathBuf {
    let mut toml = String::from("[[branch]]\nid = \"city\"\nname = \"大市\"\n");
    let mut count = 1;
    for t in 0..20 {
        toml.push_str(&format!(
            "  [[branch.branch]]\n  id = \"city.t{t}\"\n  name = \"第{t}镇\"\n"
        ));
        count += 1;
        let villages = if t == 19 { 59 } else { 60 };
        for v in 0..villages {
            toml.push_str(&format!(
                "    [[branch.branch.branch]]\n    id = \"city.t{t}.v{v}\"\n    name = \"第{t}镇第{v}村\"\n"
            ));
            count += 1;
        }
    }
    assert_eq!(count, 1_220);
    let file = dir.join("branches.toml");
    std::fs::write(&file, toml).unwrap();
    file
}
