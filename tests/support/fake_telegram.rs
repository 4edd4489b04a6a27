//! A fake Telegram Bot API server on 127.0.0.1 for integration tests.
//!
//! It checks requests the way Telegram would, against the machine-readable Bot API in
//! `tests/data/telegram-bot-api/api.min.json` (method names, unexpected and missing fields, limits
//! from the field descriptions) plus the checks Telegram is known to make (HTML parse mode,
//! inline keyboards, chats, messages to edit, file ids, callback query ids), and answers with
//! Telegram's wording so that teloxide maps errors to the same `ApiError` variants as in
//! production.
//!
//! ```ignore
//! let tg = FakeTelegram::start().await;
//! let bot = tg.bot(); // or Bot::new(TEST_TOKEN).set_api_url(tg.api_url().parse()?)
//! tg.push_text(42, "/start");
//! // ... run the bot's handlers ...
//! assert_eq!(tg.calls_to("sendMessage")[0].text(), Some("..."));
//! ```
//!
//! Delivery tests can make it misbehave: [`FakeTelegram::fail_next_with`] and
//! [`FakeTelegram::set_random_faults`] inject a [`Fault`] (an error status, a slow answer, or
//! a connection closed without an answer), [`FakeTelegram::block_user`] and
//! [`FakeTelegram::enforce_rate_limits`] answer 403 and 429 like Telegram, and
//! [`FakeTelegram::delivered`] lists what really arrived.
//!
//! Its rate limits (a sliding one-second window overall and per chat) are written from
//! Telegram's documentation independently of the courier's limiter on purpose (and of the
//! benchmark's fake): `tests/courier.rs` and `tests/delivery_faults.rs` check that the
//! courier stays within them, `src/bench/delivery.rs` that it stays within the
//! benchmark's.
//!
//! Model of the world: one bot ([`BOT_ID`], username [`BOT_USERNAME`]) and private chats
//! whose id equals the user id. A chat exists once an update from it has been pushed.
//! Message ids count up per chat from 1 and are shared by the user's and the bot's
//! messages, as in real private chats. Files get ids `FILE_1`, `FILE_2`, ...; polls
//! `POLL_1`, ...; callback queries `CB_1`, ...
//!
//! `getUpdates` delivers only the update types the bot asked for (`allowed_updates` of
//! getUpdates or setWebhook, kept until changed; Telegram's default until then): the others
//! are dropped and listed by [`FakeTelegram::discarded_updates`]. Users share locations with
//! [`FakeTelegram::push_location`], and live locations with
//! [`FakeTelegram::push_live_location`] and [`FakeTelegram::push_live_location_update`]
//! (an `edited_message`, which a bot receives only if it asked for that type).

mod conn;
mod faults;
pub mod html;
pub mod spec;

use std::{
    collections::{HashMap, VecDeque},
    fmt::Display,
    net::SocketAddr,
    sync::{Arc, Mutex, MutexGuard},
    time::{Duration, Instant},
};

use axum::{
    Json, Router,
    extract::{ConnectInfo, DefaultBodyLimit, FromRequest, Multipart, Request, State},
    http::{StatusCode, header::CONTENT_TYPE},
    response::{IntoResponse, Response},
};
use serde_json::{Map, Value, json};
use tokio::sync::{Notify, oneshot};

use conn::{Connection, CuttableListener};
pub use faults::{BLOCKED, Fault};
use faults::{Plan, RandomFaults, RateLimits};
use html::{Formatted, parse_html, utf16_len};
use spec::Spec;

/// The bot's user id; also the numeric part of [`TEST_TOKEN`].
pub const BOT_ID: i64 = 123456;
pub const BOT_FIRST_NAME: &str = "weike";
pub const BOT_USERNAME: &str = "weike_test_bot";
/// A token of the right shape (any `\d+:[A-Za-z0-9_-]+` is accepted).
pub const TEST_TOKEN: &str = "123456:TEST-token";
/// `language_code` of users in pushed updates unless changed with
/// [`FakeTelegram::set_language`].
pub const DEFAULT_LANGUAGE: &str = "zh-hans";

/// Request bodies up to this size are accepted (Telegram allows 50 MB uploads).
const BODY_LIMIT: usize = 64 << 20;

/// An empty `getUpdates` with `timeout > 0` waits at most this long for [`FakeTelegram::
/// push_update`] (which wakes it at once) instead of the requested timeout, so that a
/// polling loop does not spin while tests never wait on it.
const LONG_POLL_CAP: Duration = Duration::from_millis(20);

/// Fields that api.min.json no longer lists but that teloxide 0.17 sends and Telegram still
/// accepts (Bot API 10.1 replaced `correct_option_id` with `correct_option_ids`).
const LEGACY_FIELDS: &[(&str, &str)] = &[
    ("sendPoll", "correct_option_id"),
    ("editMessageText", "disable_web_page_preview"),
];

/// Methods that random faults and rate limits apply to, and whose successes
/// [`FakeTelegram::delivered`] lists, unless changed with [`FakeTelegram::set_send_methods`].
pub const SEND_METHODS: &[&str] = &[
    "sendMessage",
    "sendVoice",
    "sendAudio",
    "sendPhoto",
    "sendDocument",
    "sendPoll",
    "sendVenue",
];

const CHAT_ACTIONS: &[&str] = &[
    "typing",
    "upload_photo",
    "record_video",
    "upload_video",
    "record_voice",
    "upload_voice",
    "upload_document",
    "choose_sticker",
    "find_location",
    "record_video_note",
    "upload_video_note",
];

const NOT_MODIFIED: &str = "message is not modified: specified new message content and reply \
                            markup are exactly the same as a current content and reply markup of \
                            the message";
const QUERY_ID_INVALID: &str =
    "query is too old and response timeout expired or query ID is invalid";
const WRONG_FILE: &str = "wrong file identifier/HTTP URL specified";

/// One request the fake received.
#[derive(Clone, Debug)]
pub struct Call {
    /// Canonical method name (`sendMessage` even if requested as `sendmessage`).
    pub method: String,
    /// The fields as sent: the JSON body, or for multipart the text parts (parsed as JSON
    /// unless the field only takes strings) with uploads shown as `"<upload:FILENAME>"`.
    pub params: Map<String, Value>,
    /// Files uploaded with the request.
    pub files: Vec<UploadedFile>,
    /// Whether the fake answered `ok: true`.
    pub ok: bool,
    /// The error description when `ok` is false, e.g. "Bad Request: chat not found".
    pub error: Option<String>,
    /// The `result` of the answer when `ok` is true, e.g. the sent Message.
    pub result: Option<Value>,
    /// When the request arrived (before its body was read).
    pub at: Instant,
    /// The HTTP status answered (200 when `ok`); 0 if the connection was dropped without an
    /// answer ([`Fault::Drop`]). With [`Fault::Delay`] the call is recorded at once, with the
    /// status it will be answered with.
    pub status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UploadedFile {
    /// The field the file was given for, e.g. `voice` (teloxide sends `voice=attach://<id>`
    /// plus a part named `<id>`; this is `voice`).
    pub field: String,
    pub file_name: String,
    pub size: usize,
    /// The file's contents.
    pub bytes: Vec<u8>,
}

impl Call {
    pub fn param(&self, name: &str) -> Option<&Value> {
        param(&self.params, name)
    }

    pub fn chat_id(&self) -> Option<i64> {
        self.param("chat_id").and_then(as_i64)
    }

    pub fn message_id(&self) -> Option<i64> {
        self.param("message_id").and_then(as_i64)
    }

    /// The `message_id` of the message this call sent or edited, if it succeeded.
    pub fn result_message_id(&self) -> Option<i64> {
        self.result.as_ref()?.get("message_id")?.as_i64()
    }

    /// `text`, or else `caption`, as sent (before entity parsing).
    pub fn text(&self) -> Option<&str> {
        self.param("text")
            .or_else(|| self.param("caption"))
            .and_then(Value::as_str)
    }

    /// `reply_markup` as a JSON object, whether it came as an object or as JSON text.
    pub fn reply_markup(&self) -> Option<Value> {
        json_param(&self.params, "reply_markup").ok().flatten()
    }

    /// Every `callback_data` of the inline keyboard, row by row.
    pub fn callback_datas(&self) -> Vec<String> {
        self.reply_markup()
            .map(|markup| callback_datas_of(&markup))
            .unwrap_or_default()
    }

    /// (`latitude`, `longitude`) of a sendLocation or sendVenue, as numbers.
    pub fn location(&self) -> Option<(f64, f64)> {
        let number = |name: &str| match self.param(name)? {
            Value::String(s) => s.parse::<f64>().ok(),
            other => other.as_f64(),
        };
        Some((number("latitude")?, number("longitude")?))
    }
}

/// The fake server. It runs on a tokio task of the current runtime and stops when this is
/// dropped.
pub struct FakeTelegram {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for FakeTelegram {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

impl FakeTelegram {
    /// Starts the server on 127.0.0.1 with a free port.
    pub async fn start() -> FakeTelegram {
        let shared = Arc::new(Shared {
            spec: Spec::get(),
            state: Mutex::default(),
            pushed: Notify::new(),
            called: Notify::new(),
        });
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake Telegram: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake Telegram: local address");
        let app = Router::new()
            .fallback(handle)
            .layer(DefaultBodyLimit::max(BODY_LIMIT))
            .with_state(Arc::clone(&shared))
            .into_make_service_with_connect_info::<Connection>();
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(CuttableListener(listener), app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("fake Telegram: server failed");
        });
        FakeTelegram {
            addr,
            shared,
            shutdown: Some(shutdown),
        }
    }

    /// Base URL for `Bot::set_api_url`, e.g. `http://127.0.0.1:PORT/`.
    pub fn api_url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A teloxide bot with [`TEST_TOKEN`] talking to this server (and never through a proxy).
    pub fn bot(&self) -> teloxide::Bot {
        let client = teloxide::net::default_reqwest_settings()
            .no_proxy()
            .build()
            .expect("fake Telegram: build HTTP client");
        teloxide::Bot::with_client(TEST_TOKEN, client)
            .set_api_url(self.api_url().parse().expect("valid URL"))
    }

    /// Queues an update for `getUpdates`. Sets `update_id` (counting up from 1) if absent and
    /// returns it. Chats in the update become known; messages in it become known messages.
    pub fn push_update(&self, mut update: Value) -> i64 {
        let object = update
            .as_object_mut()
            .expect("fake Telegram: an update must be a JSON object");
        let mut state = self.shared.state();
        let id = match object.get("update_id").and_then(Value::as_i64) {
            Some(id) => {
                state.last_update_id = state.last_update_id.max(id);
                id
            }
            None => {
                state.last_update_id += 1;
                object.insert("update_id".into(), json!(state.last_update_id));
                state.last_update_id
            }
        };
        state.learn_from_update(object);
        state.updates.push_back(update);
        drop(state);
        self.shared.pushed.notify_waiters();
        id
    }

    /// Queues a private text message from `user_id` (chat id == user id); a text starting with
    /// '/' gets a `bot_command` entity. Returns the update id.
    pub fn push_text(&self, user_id: i64, text: &str) -> i64 {
        let mut state = self.shared.state();
        let user = state.user(user_id);
        let chat = state.private_chat_of(user_id);
        let mut message = json!({
            "message_id": state.next_message_id(user_id),
            "from": user,
            "chat": chat,
            "date": now(),
            "text": text,
        });
        if text.starts_with('/') {
            let command = text.split_whitespace().next().unwrap_or(text);
            message["entities"] =
                json!([{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]);
        }
        drop(state);
        self.push_update(json!({ "message": message }))
    }

    /// Queues a press on the inline button with `data` under message `message_id`, which the
    /// bot sent earlier to `user_id`. Panics if there is no such message or button, since a
    /// real user could not press it. Returns the update id; the query id is `CB_<n>`.
    pub fn push_callback(&self, user_id: i64, message_id: i64, data: &str) -> i64 {
        let mut state = self.shared.state();
        let message = match state.messages.get(&(user_id, message_id)) {
            Some(stored) if stored.from_bot => stored.message.clone(),
            Some(_) => panic!(
                "fake Telegram: message {message_id} in chat {user_id} was sent by the user, \
                 not the bot"
            ),
            None => panic!("fake Telegram: the bot has no message {message_id} in chat {user_id}"),
        };
        let datas = callback_datas_of(&message["reply_markup"]);
        assert!(
            datas.iter().any(|d| d == data),
            "fake Telegram: message {message_id} in chat {user_id} has no button with \
             callback_data {data:?}; its buttons have {datas:?}"
        );
        let update = state.callback_query(user_id, message, data);
        drop(state);
        self.push_update(update)
    }

    /// Queues a photo sent by `user_id` with a caption; the photo's sizes get file ids the
    /// bot can send on (as with a real upload). Returns the largest size's file id.
    pub fn push_photo(&self, user_id: i64, caption: &str) -> String {
        let mut state = self.shared.state();
        let mut sizes = Vec::new();
        for (w, h) in [(90, 90), (1280, 960)] {
            state.last_file += 1;
            let n = state.last_file;
            sizes.push(
                json!({"file_id": format!("FILE_{n}"), "file_unique_id": format!("UNIQUE_{n}"),
                "file_size": 50_000, "width": w, "height": h}),
            );
        }
        let sizes = Value::Array(sizes);
        let mut largest = String::new();
        for size in sizes.as_array().into_iter().flatten() {
            let id = size["file_id"].as_str().unwrap_or_default().to_string();
            state.files.insert(
                id.clone(),
                StoredFile {
                    kind: "photo",
                    object: sizes.clone(),
                },
            );
            largest = id;
        }
        let user = state.user(user_id);
        let chat = state.private_chat_of(user_id);
        let message = json!({
            "message_id": state.next_message_id(user_id),
            "from": user,
            "chat": chat,
            "date": now(),
            "photo": sizes,
            "caption": caption,
        });
        drop(state);
        self.push_update(json!({ "message": message }));
        largest
    }

    /// Queues a location shared by `user_id` (a private message with `location`). Returns
    /// the update id.
    pub fn push_location(&self, user_id: i64, lat: f64, lon: f64) -> i64 {
        let message = self.user_message(user_id, "location", location(lat, lon));
        self.push_update(json!({ "message": message }))
    }

    /// Queues the first message of a live location that `user_id` shares for `live_period`
    /// seconds (60-86400, or 0x7FFFFFFF for "until stopped", as Telegram's apps offer).
    /// Returns (update id, message id); later positions come with
    /// [`Self::push_live_location_update`].
    pub fn push_live_location(
        &self,
        user_id: i64,
        lat: f64,
        lon: f64,
        live_period: i64,
    ) -> (i64, i64) {
        assert!(
            (60..=86_400).contains(&live_period) || live_period == 0x7FFF_FFFF,
            "fake Telegram: live_period {live_period} is not 60-86400 or 0x7FFFFFFF"
        );
        let mut shared = location(lat, lon);
        shared["live_period"] = json!(live_period);
        let message = self.user_message(user_id, "location", shared);
        let message_id = message["message_id"].as_i64().expect("id");
        (self.push_update(json!({ "message": message })), message_id)
    }

    /// Queues a new position of the live location `message_id` of `user_id`: an
    /// `edited_message` with the new location and `edit_date`, as Telegram sends them. Panics
    /// if that message is not a live location of that user. Returns the update id.
    pub fn push_live_location_update(
        &self,
        user_id: i64,
        message_id: i64,
        lat: f64,
        lon: f64,
    ) -> i64 {
        let state = self.shared.state();
        let mut message = match state.messages.get(&(user_id, message_id)) {
            Some(stored) if !stored.from_bot => stored.message.clone(),
            Some(_) => panic!(
                "fake Telegram: message {message_id} in chat {user_id} was sent by the bot, \
                 not the user"
            ),
            None => panic!("fake Telegram: the user has no message {message_id} in chat {user_id}"),
        };
        assert!(
            message["location"]["live_period"].is_i64(),
            "fake Telegram: message {message_id} in chat {user_id} is not a live location"
        );
        drop(state);
        message["location"]["latitude"] = json!(lat);
        message["location"]["longitude"] = json!(lon);
        message["edit_date"] = json!(now());
        self.push_update(json!({ "edited_message": message }))
    }

    /// A new message from `user_id` in its private chat with one content field.
    fn user_message(&self, user_id: i64, field: &str, content: Value) -> Value {
        let mut state = self.shared.state();
        let chat = state.private_chat_of(user_id);
        json!({
            "message_id": state.next_message_id(user_id),
            "from": state.user(user_id),
            "chat": chat,
            "date": now(),
            field: content,
        })
    }

    /// Queues a callback query with `data` under message `message_id` whether or not the
    /// message has such a button: what a modified client could send.
    pub fn push_forged_callback(&self, user_id: i64, message_id: i64, data: &str) -> i64 {
        let mut state = self.shared.state();
        let message = state
            .messages
            .get(&(user_id, message_id))
            .map(|m| m.message.clone())
            .unwrap_or_else(|| panic!("fake Telegram: no message {message_id} in chat {user_id}"));
        let update = state.callback_query(user_id, message, data);
        drop(state);
        self.push_update(update)
    }

    /// Queues an answer of `user_id` to a poll the bot never sent (or another bot's).
    pub fn push_unknown_poll_answer(&self, user_id: i64, poll_id: &str, option_ids: &[u32]) -> i64 {
        let state = self.shared.state();
        assert!(
            !state.polls.contains_key(poll_id),
            "fake Telegram: poll {poll_id} exists"
        );
        let update = json!({
            "poll_answer": {"poll_id": poll_id, "user": state.user(user_id), "option_ids": option_ids}
        });
        drop(state);
        self.push_update(update)
    }

    /// Queues the answer of `user_id` to poll `poll_id` (e.g. "POLL_1") that the bot sent.
    /// Panics if the poll is unknown or anonymous (Telegram sends no answers for those).
    pub fn push_poll_answer(&self, user_id: i64, poll_id: &str, option_ids: &[u32]) -> i64 {
        let state = self.shared.state();
        let poll = state
            .polls
            .get(poll_id)
            .unwrap_or_else(|| panic!("fake Telegram: no poll {poll_id}"));
        assert_eq!(
            poll["is_anonymous"],
            json!(false),
            "fake Telegram: poll {poll_id} is anonymous, Telegram sends no poll_answer for it"
        );
        let update = json!({
            "poll_answer": {"poll_id": poll_id, "user": state.user(user_id), "option_ids": option_ids}
        });
        drop(state);
        self.push_update(update)
    }

    /// Sets the `language_code` of `user_id` in later pushed updates (`None`: omit it).
    pub fn set_language(&self, user_id: i64, language_code: Option<&str>) {
        self.shared
            .state()
            .languages
            .insert(user_id, language_code.map(str::to_owned));
    }

    /// Updates not yet confirmed by a `getUpdates` offset.
    pub fn pending_updates(&self) -> usize {
        self.shared.state().updates.len()
    }

    /// The update types the bot last asked for (`allowed_updates` of getUpdates or
    /// setWebhook), None while it never did (Telegram's default then applies: all types but
    /// `chat_member`, `message_reaction` and `message_reaction_count`).
    pub fn allowed_updates(&self) -> Option<Vec<String>> {
        self.shared.state().allowed_updates.clone()
    }

    /// Pushed updates that getUpdates dropped because the bot does not receive their type.
    pub fn discarded_updates(&self) -> Vec<Value> {
        self.shared.state().discarded_updates.clone()
    }

    /// Every request received, in order, except successful `getUpdates`.
    pub fn calls(&self) -> Vec<Call> {
        self.shared.state().calls.clone()
    }

    pub fn calls_to(&self, method: &str) -> Vec<Call> {
        let calls = &self.shared.state().calls;
        calls
            .iter()
            .filter(|c| c.method == method)
            .cloned()
            .collect()
    }

    /// Returns the calls so far and forgets them.
    pub fn take_calls(&self) -> Vec<Call> {
        std::mem::take(&mut self.shared.state().calls)
    }

    /// Waits until `count` calls to `method` were recorded (a bot running on another task,
    /// e.g. a teloxide `Dispatcher`, answers asynchronously) and returns them. Panics after
    /// 60 seconds (a generous bound: a loaded 2-core machine is slow), listing the calls seen.
    pub async fn wait_for_calls(&self, method: &str, count: usize) -> Vec<Call> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            // Register before looking, so that a call recorded in between wakes us.
            let called = self.shared.called.notified();
            tokio::pin!(called);
            called.as_mut().enable();
            let calls = self.calls_to(method);
            if calls.len() >= count {
                return calls;
            }
            if tokio::time::timeout_at(deadline, called).await.is_err() {
                let seen: Vec<String> = self.calls().into_iter().map(|c| c.method).collect();
                panic!("fake Telegram: waited 60 s for {count} {method} call(s); calls: {seen:?}");
            }
        }
    }

    /// Requests answered with `ok: false`.
    pub fn rejected(&self) -> Vec<Call> {
        let calls = &self.shared.state().calls;
        calls.iter().filter(|c| !c.ok).cloned().collect()
    }

    /// Makes the next call to `method` fail with this status and description, before any
    /// check (several queued failures are used in order). With `retry_after`, the answer has
    /// `parameters.retry_after`, which teloxide turns into `RequestError::RetryAfter`.
    /// Note teloxide sleeps 10 s after any 5xx status.
    pub fn fail_next(
        &self,
        method: &str,
        status: u16,
        description: &str,
        retry_after: Option<u32>,
    ) {
        let fault = Fault::Status {
            code: status,
            description: description.to_owned(),
            retry_after,
        };
        self.fail_next_with(method, fault);
    }

    /// Queues a one-shot fault for the next call to `method` (any method, not only sends;
    /// the name is case-insensitive). Queued faults are used in order, one per call, before
    /// the random faults and before any check.
    pub fn fail_next_with(&self, method: &str, fault: Fault) {
        self.shared
            .state()
            .plan
            .next
            .entry(method.to_ascii_lowercase())
            .or_default()
            .push_back(fault);
    }

    /// From now on each request to a send method ([`SEND_METHODS`]) gets, with this
    /// probability, one of `faults` picked at random (uniformly). The choices follow from
    /// `seed` and the order in which requests arrive, so the same sequence of requests gets
    /// the same faults. Replaces earlier random faults.
    pub fn set_random_faults(&self, seed: u64, probability: f64, faults: Vec<Fault>) {
        assert!(
            (0.0..=1.0).contains(&probability),
            "fake Telegram: probability {probability} is not in [0, 1]"
        );
        self.shared.state().plan.random = Some(RandomFaults::new(seed, probability, faults));
    }

    /// Forgets the queued one-shot faults (also those of [`Self::fail_next`]) and the random
    /// faults. Blocked users and rate limits stay.
    pub fn clear_faults(&self) {
        let plan = &mut self.shared.state().plan;
        plan.next.clear();
        plan.random = None;
    }

    /// Replaces the methods that random faults and rate limits apply to and that
    /// [`Self::delivered`] lists (default [`SEND_METHODS`]).
    pub fn set_send_methods(&self, methods: &[&str]) {
        self.shared.state().plan.send_methods = methods.iter().map(|m| m.to_string()).collect();
    }

    /// From now on every request for `chat_id` (sends, but also chat actions and edits, as
    /// with Telegram) is answered 403 "Forbidden: bot was blocked by the user", after the
    /// field checks and whether the chat is known or not.
    pub fn block_user(&self, chat_id: i64) {
        self.shared.state().plan.blocked.insert(chat_id);
    }

    /// From now on every call to `chat_id` is answered after `delay` (recorded at once): a
    /// chat whose sends stall.
    pub fn slow_chat(&self, chat_id: i64, delay: Duration) {
        self.shared.state().plan.slow_chats.insert(chat_id, delay);
    }

    pub fn unblock_user(&self, chat_id: i64) {
        self.shared.state().plan.blocked.remove(&chat_id);
    }

    /// From now on a send beyond `global_per_second` accepted sends in the last second (a
    /// sliding window), or beyond `per_chat_per_second` to the same chat, is answered 429
    /// "Too Many Requests: retry after 1" with `parameters.retry_after` = 1. Refused sends
    /// do not count against the window. 0 means no limit of that kind. Replaces earlier
    /// limits and forgets the sends counted so far.
    pub fn enforce_rate_limits(&self, global_per_second: u32, per_chat_per_second: u32) {
        self.shared.state().plan.limits =
            Some(RateLimits::new(global_per_second, per_chat_per_second));
    }

    pub fn stop_enforcing_rate_limits(&self) {
        self.shared.state().plan.limits = None;
    }

    /// How many 429 answers were given in total, injected or enforced.
    pub fn too_many_requests(&self) -> usize {
        self.shared.state().plan.too_many_requests
    }

    /// The messages created by successful sends, in order: (chat id, text) where the text is
    /// the message's text or caption as the user sees it (after parse_mode), a poll's
    /// question, a venue's title, or "" for media without a caption. Includes delayed sends
    /// (the message exists although the client may have timed out); excludes dropped and
    /// failed ones.
    pub fn delivered(&self) -> Vec<(i64, String)> {
        self.shared.state().delivered.clone()
    }

    /// Makes these chats known, as if the users had written to the bot, so that sends to
    /// them are accepted instead of "Bad Request: chat not found".
    pub fn allow_chats(&self, ids: impl IntoIterator<Item = i64>) {
        let mut state = self.shared.state();
        for id in ids {
            state.chats.entry(id).or_insert_with(|| private_chat(id));
        }
    }

    /// With `true`, requests to any chat id are accepted as to a private chat with that user
    /// (for load tests); with `false` (the default) unknown chats are "chat not found".
    pub fn accept_any_chat(&self, accept: bool) {
        self.shared.state().accept_any_chat = accept;
    }

    /// The current state of a message in a chat (after edits), as Telegram would send it.
    pub fn message(&self, chat_id: i64, message_id: i64) -> Option<Value> {
        let state = self.shared.state();
        let stored = state.messages.get(&(chat_id, message_id))?;
        Some(stored.message.clone())
    }
}

// ---------------------------------------------------------------------------------------
// Server state

struct Shared {
    spec: &'static Spec,
    state: Mutex<World>,
    /// Wakes a waiting `getUpdates` when an update is pushed.
    pushed: Notify,
    /// Wakes [`FakeTelegram::wait_for_calls`] when a call is recorded.
    called: Notify,
}

impl Shared {
    fn record(&self, call: Call) {
        let mut state = self.state();
        if call.status == 429 {
            state.plan.too_many_requests += 1;
        }
        state.calls.push(call);
        drop(state);
        self.called.notify_waiters();
    }

    fn state(&self) -> MutexGuard<'_, World> {
        // A test that panicked while holding the lock should not hide its own message behind
        // poison errors.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[derive(Default)]
struct World {
    last_update_id: i64,
    /// Updates not yet confirmed by an offset.
    updates: VecDeque<Value>,
    /// Chat objects of the chats that wrote to the bot.
    chats: HashMap<i64, Value>,
    languages: HashMap<i64, Option<String>>,
    last_message_id: HashMap<i64, i64>,
    messages: HashMap<(i64, i64), StoredMessage>,
    files: HashMap<String, StoredFile>,
    last_file: u64,
    /// Callback query id -> answered already.
    callback_queries: HashMap<String, bool>,
    last_callback: u64,
    polls: HashMap<String, Value>,
    last_poll: u64,
    /// Commands by "<scope JSON>|<language code>".
    commands: HashMap<String, Value>,
    webhook: Option<String>,
    /// `allowed_updates` as last set by getUpdates or setWebhook (None: never set).
    allowed_updates: Option<Vec<String>>,
    /// Updates dropped for their type.
    discarded_updates: Vec<Value>,
    calls: Vec<Call>,
    /// Injected faults, blocked users and rate limits.
    plan: Plan,
    /// (chat id, text) of the messages created by successful sends.
    delivered: Vec<(i64, String)>,
    /// Accept chat ids that never wrote to the bot.
    accept_any_chat: bool,
}

struct StoredMessage {
    message: Value,
    from_bot: bool,
}

struct StoredFile {
    /// "voice", "audio", "photo" or "document".
    kind: &'static str,
    /// What a message shows for it (for photos the array of sizes).
    object: Value,
}

impl World {
    fn user(&self, user_id: i64) -> Value {
        let language = match self.languages.get(&user_id) {
            Some(language) => language.clone(),
            None => Some(DEFAULT_LANGUAGE.to_owned()),
        };
        let mut user = json!({"id": user_id, "is_bot": false, "first_name": format!("U{user_id}")});
        if let Some(language) = language {
            user["language_code"] = json!(language);
        }
        user
    }

    /// The private chat with `user_id` as the fake knows it.
    fn private_chat_of(&self, user_id: i64) -> Value {
        self.chats
            .get(&user_id)
            .cloned()
            .unwrap_or_else(|| private_chat(user_id))
    }

    /// The update of a press of the button with `data` under `message` by `user_id`, its
    /// query recorded as not answered yet.
    fn callback_query(&mut self, user_id: i64, message: Value, data: &str) -> Value {
        self.last_callback += 1;
        let id = format!("CB_{}", self.last_callback);
        self.callback_queries.insert(id.clone(), false);
        json!({
            "callback_query": {
                "id": id,
                "from": self.user(user_id),
                "message": message,
                "chat_instance": format!("CI_{user_id}"),
                "data": data,
            }
        })
    }

    fn next_message_id(&mut self, chat_id: i64) -> i64 {
        let last = self.last_message_id.entry(chat_id).or_insert(0);
        *last += 1;
        *last
    }

    /// Records the chats and messages that a pushed update shows.
    fn learn_from_update(&mut self, update: &Map<String, Value>) {
        for (kind, value) in update {
            if let Some(chat) = value.get("chat") {
                self.learn_chat(chat);
            }
            if let Some(message) = value.get("message") {
                self.learn_chat(&message["chat"]);
            }
            if kind == "poll_answer"
                && let Some(user_id) = value["user"]["id"].as_i64()
            {
                self.chats
                    .entry(user_id)
                    .or_insert_with(|| private_chat(user_id));
            }
            let is_message = matches!(
                kind.as_str(),
                "message" | "edited_message" | "channel_post" | "business_message"
            );
            if let (true, Some(chat_id), Some(message_id)) = (
                is_message,
                value["chat"]["id"].as_i64(),
                value["message_id"].as_i64(),
            ) {
                let last = self.last_message_id.entry(chat_id).or_insert(0);
                *last = (*last).max(message_id);
                let from_bot = value["from"]["id"].as_i64() == Some(BOT_ID);
                self.messages.insert(
                    (chat_id, message_id),
                    StoredMessage {
                        message: value.clone(),
                        from_bot,
                    },
                );
            }
        }
    }

    fn learn_chat(&mut self, chat: &Value) {
        if let Some(id) = chat["id"].as_i64() {
            self.chats.entry(id).or_insert_with(|| chat.clone());
        }
    }

    /// Stores and returns a new message from the bot in `chat_id` with `content` (text,
    /// voice, poll, reply_markup, ...).
    fn new_bot_message(&mut self, chat_id: i64, content: Map<String, Value>) -> Value {
        let mut message = json!({
            "message_id": self.next_message_id(chat_id),
            "from": bot_user(),
            "chat": self.chats.get(&chat_id).cloned().unwrap_or_else(|| private_chat(chat_id)),
            "date": now(),
        });
        let object = message.as_object_mut().expect("object");
        object.extend(content);
        let key = (chat_id, object["message_id"].as_i64().expect("id"));
        self.messages.insert(
            key,
            StoredMessage {
                message: message.clone(),
                from_bot: true,
            },
        );
        message
    }
}

/// An `ok: false` answer.
#[derive(Clone, Debug)]
struct Failure {
    code: u16,
    description: String,
    retry_after: Option<u32>,
}

impl Failure {
    fn new(code: u16, description: impl Into<String>) -> Failure {
        Failure {
            code,
            description: description.into(),
            retry_after: None,
        }
    }
}

/// A 400 "Bad Request: {detail}".
fn bad(detail: impl Display) -> Failure {
    Failure::new(400, format!("Bad Request: {detail}"))
}

type Outcome = Result<Value, Failure>;
type Params = Map<String, Value>;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

fn bot_user() -> Value {
    json!({"id": BOT_ID, "is_bot": true, "first_name": BOT_FIRST_NAME, "username": BOT_USERNAME})
}

fn private_chat(user_id: i64) -> Value {
    json!({"id": user_id, "type": "private", "first_name": format!("U{user_id}")})
}

// ---------------------------------------------------------------------------------------
// HTTP

async fn handle(
    State(shared): State<Arc<Shared>>,
    ConnectInfo(connection): ConnectInfo<Connection>,
    request: Request,
) -> Response {
    let at = Instant::now();
    let path = request.uri().path().to_owned();
    // POST {base}/bot{TOKEN}/{method}
    let Some((token, requested)) = path
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, method)| !method.is_empty() && !method.contains('/'))
    else {
        let outcome = Err(Failure::new(404, "Not Found"));
        shared.record(call(&path, Params::new(), Vec::new(), &outcome, at));
        return respond(&outcome);
    };
    let method = shared.spec.method(requested);
    let parsed = read_params(method, request).await;
    let name = method.map_or(requested, |m| m.name.as_str());

    // Faults apply to requests with a valid token to a known method (as `fail_next` always
    // did), once the whole request has been read.
    let fault = match method {
        Some(method) if valid_token(token) => shared.state().plan.fault_for(&method.name),
        _ => None,
    };
    let mut delay = None;
    match fault {
        Some(Fault::Status {
            code,
            description,
            retry_after,
        }) => {
            let outcome = Err(Failure {
                code,
                description,
                retry_after,
            });
            let (params, files) = parsed.unwrap_or_default();
            shared.record(call(name, params, files, &outcome, at));
            return respond(&outcome);
        }
        Some(Fault::Drop) => {
            let dropped = Failure::new(0, "connection dropped without an answer (Fault::Drop)");
            let (params, files) = parsed.unwrap_or_default();
            shared.record(call(name, params, files, &Err(dropped), at));
            connection.drop_without_response();
            // Never written: the connection fails the write and hyper closes it.
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
        Some(Fault::Hang) => {
            let hung = Failure::new(0, "never answered nor acted on (Fault::Hang)");
            let (params, files) = parsed.unwrap_or_default();
            shared.record(call(name, params, files, &Err(hung), at));
            return std::future::pending().await;
        }
        Some(Fault::Delay(duration)) => delay = Some(duration),
        None => {}
    }
    if delay.is_none()
        && let Ok((params, _)) = &parsed
        && let Some(chat) = params.get("chat_id").and_then(Value::as_i64)
    {
        delay = shared.state().plan.slow_chats.get(&chat).copied();
    }

    // Register for a wake-up before looking at the queue, so a push in between is not missed.
    let pushed = shared.pushed.notified();
    tokio::pin!(pushed);
    pushed.as_mut().enable();
    let mut outcome = dispatch(&shared, token, requested, &parsed);
    let is_get_updates = method.is_some_and(|m| m.name == "getUpdates");
    if is_get_updates
        && matches!(&outcome, Ok(Value::Array(updates)) if updates.is_empty())
        && parsed
            .as_ref()
            .is_ok_and(|(params, _)| param(params, "timeout").and_then(as_i64) > Some(0))
    {
        let _ = tokio::time::timeout(LONG_POLL_CAP, pushed).await;
        outcome = dispatch(&shared, token, requested, &parsed);
    }

    if !(is_get_updates && outcome.is_ok()) {
        let (params, files) = parsed.unwrap_or_default();
        shared.record(call(name, params, files, &outcome, at));
    }
    // Only the answer waits: the request took effect and was recorded already, and other
    // connections are served meanwhile.
    if let Some(delay) = delay {
        tokio::time::sleep(delay).await;
    }
    respond(&outcome)
}

fn call(
    method: &str,
    params: Params,
    files: Vec<UploadedFile>,
    outcome: &Outcome,
    at: Instant,
) -> Call {
    Call {
        method: method.to_owned(),
        params,
        files,
        ok: outcome.is_ok(),
        error: outcome.as_ref().err().map(|f| f.description.clone()),
        result: outcome.as_ref().ok().cloned(),
        at,
        status: outcome.as_ref().map_or_else(|f| f.code, |_| 200),
    }
}

fn respond(outcome: &Outcome) -> Response {
    match outcome {
        Ok(result) => Json(json!({"ok": true, "result": result})).into_response(),
        Err(failure) => {
            let mut body = json!({
                "ok": false,
                "error_code": failure.code,
                "description": failure.description,
            });
            if let Some(seconds) = failure.retry_after {
                body["parameters"] = json!({ "retry_after": seconds });
            }
            let status = StatusCode::from_u16(failure.code).unwrap_or(StatusCode::BAD_REQUEST);
            (status, Json(body)).into_response()
        }
    }
}

/// Reads the parameters from the query string and the body (JSON, multipart/form-data or
/// x-www-form-urlencoded, as the Bot API accepts).
async fn read_params(
    method: Option<&spec::MethodSpec>,
    request: Request,
) -> Result<(Params, Vec<UploadedFile>), Failure> {
    let mut params = Params::new();
    if let Some(query) = request.uri().query() {
        for (key, value) in url::form_urlencoded::parse(query.as_bytes()) {
            params.insert(
                key.to_string(),
                text_value(method, &key, value.into_owned()),
            );
        }
    }
    let content_type = request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    if content_type.starts_with("multipart/form-data") {
        let files = read_multipart(method, request, &mut params).await?;
        return Ok((params, files));
    }
    let body = axum::body::to_bytes(request.into_body(), BODY_LIMIT)
        .await
        .map_err(|e| bad(format!("can't read the request body: {e}")))?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        for (key, value) in url::form_urlencoded::parse(&body) {
            params.insert(
                key.to_string(),
                text_value(method, &key, value.into_owned()),
            );
        }
    } else if !body.iter().all(u8::is_ascii_whitespace) {
        match serde_json::from_slice::<Value>(&body) {
            Ok(Value::Object(fields)) => params.extend(fields),
            Ok(Value::Null) => {}
            Ok(_) => return Err(bad("the JSON body must be an object")),
            Err(e) => return Err(bad(format!("can't parse JSON body: {e}"))),
        }
    }
    Ok((params, Vec::new()))
}

async fn read_multipart(
    method: Option<&spec::MethodSpec>,
    request: Request,
    params: &mut Params,
) -> Result<Vec<UploadedFile>, Failure> {
    let broken = |e: &dyn Display| bad(format!("can't parse multipart/form-data: {e}"));
    let mut multipart = Multipart::from_request(request, &())
        .await
        .map_err(|e| broken(&e.body_text()))?;
    // File parts, with `field` = the part's name for now.
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.map_err(|e| broken(&e))? {
        let name = field.name().unwrap_or_default().to_owned();
        match field.file_name().map(str::to_owned) {
            Some(file_name) => {
                let bytes = field.bytes().await.map_err(|e| broken(&e))?.to_vec();
                parts.push(Some(UploadedFile {
                    field: name,
                    file_name,
                    size: bytes.len(),
                    bytes,
                }));
            }
            None => {
                let text = field.text().await.map_err(|e| broken(&e))?;
                let value = text_value(method, &name, text);
                params.insert(name, value);
            }
        }
    }
    // teloxide uploads as `voice=attach://<random id>` plus a file part named `<random id>`.
    let mut files = Vec::new();
    for (key, value) in params.iter_mut() {
        let Some(part_name) = value.as_str().and_then(|v| v.strip_prefix("attach://")) else {
            continue;
        };
        let part = parts
            .iter_mut()
            .find(|p| p.as_ref().is_some_and(|p| p.field == part_name))
            .and_then(Option::take)
            .ok_or_else(|| bad(WRONG_FILE))?;
        *value = json!(format!("<upload:{}>", part.file_name));
        files.push(UploadedFile {
            field: key.clone(),
            ..part
        });
    }
    // A file part named after the field itself (`voice=@file`) is a direct upload; any other
    // stray part will show up as an unexpected parameter.
    for part in parts.into_iter().flatten() {
        params.insert(
            part.field.clone(),
            json!(format!("<upload:{}>", part.file_name)),
        );
        files.push(part);
    }
    Ok(files)
}

/// A text value from multipart or a query string: kept as a string for string-only fields,
/// else parsed as JSON when it parses (`chat_id=42`, `reply_markup={...}`).
fn text_value(method: Option<&spec::MethodSpec>, name: &str, raw: String) -> Value {
    let string_only = method
        .and_then(|m| m.field(name))
        .is_some_and(spec::FieldSpec::is_string_only);
    if string_only {
        return Value::String(raw);
    }
    serde_json::from_str(&raw).unwrap_or(Value::String(raw))
}

fn valid_token(token: &str) -> bool {
    let Some((id, secret)) = token.split_once(':') else {
        return false;
    };
    !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && !secret.is_empty()
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

// ---------------------------------------------------------------------------------------
// Checks and methods

fn dispatch(
    shared: &Shared,
    token: &str,
    requested: &str,
    parsed: &Result<(Params, Vec<UploadedFile>), Failure>,
) -> Outcome {
    if !valid_token(token) {
        return Err(Failure::new(401, "Unauthorized"));
    }
    let Some(method) = shared.spec.method(requested) else {
        return Err(Failure::new(404, "Not Found: method not found"));
    };
    let mut state = shared.state();
    let (params, files) = parsed.as_ref().map_err(Failure::clone)?;
    let is_send = state.plan.is_send(&method.name);
    let chat = param(params, "chat_id").and_then(as_i64);
    if is_send
        && let Some(limits) = &mut state.plan.limits
        && !limits.admit(chat, Instant::now())
    {
        return Err(Failure {
            code: 429,
            description: "Too Many Requests: retry after 1".into(),
            retry_after: Some(1),
        });
    }
    check_fields(method, params)?;
    if chat.is_some_and(|id| state.plan.blocked.contains(&id)) {
        return Err(Failure::new(403, BLOCKED));
    }
    if param(params, "chat_id").is_some() {
        let known = chat.is_some_and(|id| state.accept_any_chat || state.chats.contains_key(&id));
        if !known {
            return Err(bad("chat not found"));
        }
    }
    let call = Job {
        spec: shared.spec,
        method,
        params,
        files,
    };
    let result = call.execute(&mut state)?;
    if is_send && let Some(chat) = result["chat"]["id"].as_i64() {
        state.delivered.push((chat, delivered_text(&result)));
    }
    Ok(result)
}

/// What [`FakeTelegram::delivered`] shows of a sent message.
fn delivered_text(message: &Value) -> String {
    [
        &message["text"],
        &message["caption"],
        &message["poll"]["question"],
        &message["venue"]["title"],
    ]
    .into_iter()
    .find_map(Value::as_str)
    .unwrap_or_default()
    .to_owned()
}

/// Unexpected and missing fields, by the API description.
fn check_fields(method: &spec::MethodSpec, params: &Params) -> Result<(), Failure> {
    for name in params.keys() {
        let legacy = LEGACY_FIELDS.contains(&(method.name.as_str(), name.as_str()));
        if method.field(name).is_none() && !legacy {
            return Err(bad(format!("unexpected parameter {name}")));
        }
    }
    for field in method.fields.iter().filter(|f| f.required) {
        if param(params, &field.name).is_none() {
            return Err(match (method.name.as_str(), field.name.as_str()) {
                (_, "chat_id") => bad("chat_id is empty"),
                // Telegram reads both with the same helper before anything else.
                (_, "latitude") => bad("latitude is empty"),
                (_, "longitude") => bad("longitude is empty"),
                ("sendMessage", "text") => bad("message text is empty"),
                (_, name) => bad(format!("{name} is required")),
            });
        }
    }
    Ok(())
}

/// One checked request being executed.
struct Job<'a> {
    spec: &'static Spec,
    method: &'a spec::MethodSpec,
    params: &'a Params,
    files: &'a [UploadedFile],
}

impl Job<'_> {
    fn execute(&self, state: &mut World) -> Outcome {
        match self.method.name.as_str() {
            "getMe" => {
                let mut me = bot_user();
                let extra = json!({
                    "can_join_groups": true,
                    "can_read_all_group_messages": false,
                    "supports_inline_queries": false,
                    "can_connect_to_business": false,
                    "has_main_web_app": false,
                });
                me.as_object_mut()
                    .expect("object")
                    .extend(extra.as_object().expect("object").clone());
                Ok(me)
            }
            "getUpdates" => self.get_updates(state),
            "getWebhookInfo" => {
                let mut info = json!({
                    "url": state.webhook.clone().unwrap_or_default(),
                    "has_custom_certificate": false,
                    "pending_update_count": state.updates.len(),
                });
                if let Some(allowed) = &state.allowed_updates {
                    info["allowed_updates"] = json!(allowed);
                }
                Ok(info)
            }
            "setWebhook" => {
                self.set_allowed_updates(state)?;
                state.webhook = self.str("url").map(str::to_owned);
                Ok(json!(true))
            }
            "deleteWebhook" => {
                state.webhook = None;
                if self.bool("drop_pending_updates") == Some(true) {
                    state.updates.clear();
                }
                Ok(json!(true))
            }
            "sendMessage" => self.send_message(state),
            "sendVoice" => self.send_media(state, "voice"),
            "sendAudio" => self.send_media(state, "audio"),
            "sendPhoto" => self.send_media(state, "photo"),
            "sendDocument" => self.send_media(state, "document"),
            "sendPoll" => self.send_poll(state),
            "sendLocation" | "sendVenue" => self.send_place(state),
            "editMessageText" => self.edit_message_text(state),
            "editMessageReplyMarkup" => self.edit_message_reply_markup(state),
            "deleteMessage" => {
                let key = (self.chat_id(), self.int("message_id").unwrap_or_default());
                match state.messages.remove(&key) {
                    Some(_) => Ok(json!(true)),
                    None => Err(bad("message to delete not found")),
                }
            }
            "answerCallbackQuery" => self.answer_callback_query(state),
            "setMyCommands" => self.set_my_commands(state),
            "deleteMyCommands" => {
                state.commands.remove(&self.commands_key());
                Ok(json!(true))
            }
            "getMyCommands" => Ok(state
                .commands
                .get(&self.commands_key())
                .cloned()
                .unwrap_or_else(|| json!([]))),
            "sendChatAction" => match self.str("action") {
                Some(action) if CHAT_ACTIONS.contains(&action) => Ok(json!(true)),
                _ => Err(bad("wrong parameter action in request")),
            },
            // Anything else that merely returns True passes once its fields are right.
            _ if self.method.returns == ["Boolean"] => Ok(json!(true)),
            name => Err(bad(format!(
                "the fake Telegram server does not implement {name}"
            ))),
        }
    }

    fn param(&self, name: &str) -> Option<&Value> {
        param(self.params, name)
    }

    fn str(&self, name: &str) -> Option<&str> {
        self.param(name).and_then(Value::as_str)
    }

    fn int(&self, name: &str) -> Option<i64> {
        self.param(name).and_then(as_i64)
    }

    fn bool(&self, name: &str) -> Option<bool> {
        match self.param(name)? {
            Value::Bool(b) => Some(*b),
            Value::String(s) => s.parse().ok(),
            _ => None,
        }
    }

    /// The chat of a request whose chat_id was checked already.
    fn chat_id(&self) -> i64 {
        self.int("chat_id").unwrap_or_default()
    }

    /// The `A-B <unit>` limits in the description of one of this method's fields.
    fn limits(&self, field: &str, unit: &str, fallback: (usize, usize)) -> (usize, usize) {
        self.method.range(field, unit).unwrap_or(fallback)
    }

    fn get_updates(&self, state: &mut World) -> Outcome {
        if state.webhook.is_some() {
            return Err(Failure::new(
                409,
                "Conflict: can't use getUpdates method while webhook is active; use \
                 deleteWebhook to delete the webhook first",
            ));
        }
        match self.int("offset") {
            // -N: keep only the last N updates.
            Some(offset) if offset < 0 => {
                let keep = offset.unsigned_abs() as usize;
                while state.updates.len() > keep {
                    state.updates.pop_front();
                }
            }
            // An offset confirms every update before it.
            Some(offset) => state
                .updates
                .retain(|u| u["update_id"].as_i64().unwrap_or(i64::MAX) >= offset),
            None => {}
        }
        // Telegram drops an update of a type the bot does not receive when it is created
        // (and may still deliver those created before `allowed_updates` changed); the fake
        // drops them here, so that a type missing from `allowed_updates` shows in tests
        // whenever the update was pushed.
        self.set_allowed_updates(state)?;
        let allowed = state.allowed_updates.clone().unwrap_or_default();
        let (kept, dropped): (VecDeque<Value>, VecDeque<Value>) =
            std::mem::take(&mut state.updates)
                .into_iter()
                .partition(|u| receives(&allowed, u));
        state.updates = kept;
        state.discarded_updates.extend(dropped);
        let limit = self.int("limit").unwrap_or(100).clamp(1, 100) as usize;
        Ok(state.updates.iter().take(limit).cloned().collect())
    }

    /// Remembers `allowed_updates` if the request has it (else the previous setting stays,
    /// as with Telegram).
    fn set_allowed_updates(&self, state: &mut World) -> Result<(), Failure> {
        let invalid = || bad("can't parse allowed_updates JSON array");
        let Some(list) = json_param(self.params, "allowed_updates").map_err(|_| invalid())? else {
            return Ok(());
        };
        let names = list
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
            })
            .ok_or_else(invalid)?;
        state.allowed_updates = Some(names);
        Ok(())
    }

    /// Text (or caption) after parse_mode, trimmed like Telegram does; None if absent.
    fn formatted(
        &self,
        field: &str,
        mode_field: &str,
        entities_field: &str,
    ) -> Result<Option<Formatted>, Failure> {
        let raw = match self.param(field) {
            None => return Ok(None),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        let formatted = match self.str(mode_field) {
            Some(mode) if mode.eq_ignore_ascii_case("HTML") => {
                parse_html(&raw).map_err(|e| bad(format!("can't parse entities: {e}")))?
            }
            // Not checked by the fake; the text is shown as sent.
            Some(mode)
                if mode.eq_ignore_ascii_case("MarkdownV2")
                    || mode.eq_ignore_ascii_case("Markdown") =>
            {
                Formatted::plain(&raw)
            }
            None | Some("") => {
                let entities = json_param(self.params, entities_field)
                    .map_err(|_| bad(format!("can't parse {entities_field} JSON object")))?;
                Formatted {
                    text: raw,
                    entities: entities
                        .and_then(|e| e.as_array().cloned())
                        .unwrap_or_default(),
                }
            }
            Some(_) => return Err(bad("unsupported parse_mode")),
        };
        Ok(Some(formatted.trimmed()))
    }

    fn message_text(&self, too_long: &str) -> Result<Formatted, Failure> {
        let text = self
            .formatted("text", "parse_mode", "entities")?
            .filter(|t| !t.text.is_empty())
            .ok_or_else(|| bad("message text is empty"))?;
        if text.utf16_len() > self.limits("text", "characters", (1, 4096)).1 {
            return Err(bad(too_long));
        }
        Ok(text)
    }

    fn send_message(&self, state: &mut World) -> Outcome {
        let text = self.message_text("message is too long")?;
        let mut content = Map::new();
        put_text(&mut content, "text", "entities", text);
        self.put_reply_markup(&mut content, false)?;
        Ok(state.new_bot_message(self.chat_id(), content))
    }

    fn send_media(&self, state: &mut World, kind: &'static str) -> Outcome {
        let media = self.media(state, kind)?;
        let mut content = Map::new();
        content.insert(kind.into(), media);
        let caption = self
            .formatted("caption", "parse_mode", "caption_entities")?
            .filter(|c| !c.text.is_empty());
        if let Some(caption) = caption {
            if caption.utf16_len() > self.limits("caption", "characters", (0, 1024)).1 {
                return Err(bad("message caption is too long"));
            }
            put_text(&mut content, "caption", "caption_entities", caption);
        }
        self.put_reply_markup(&mut content, false)?;
        Ok(state.new_bot_message(self.chat_id(), content))
    }

    /// The file of a send method: a new upload, or a file_id the fake issued earlier.
    fn media(&self, state: &mut World, kind: &'static str) -> Outcome {
        if let Some(upload) = self.files.iter().find(|f| f.field == kind) {
            return Ok(self.new_file(state, kind, upload));
        }
        let file_id = self.str(kind).ok_or_else(|| bad(WRONG_FILE))?;
        match state.files.get(file_id) {
            Some(file) if file.kind == kind => Ok(file.object.clone()),
            Some(file) => Err(bad(format!(
                "can't use file of type {} as {}",
                capitalized(file.kind),
                capitalized(kind)
            ))),
            None => Err(bad(WRONG_FILE)),
        }
    }

    fn new_file(&self, state: &mut World, kind: &'static str, upload: &UploadedFile) -> Value {
        let mut next_meta = |size: usize| {
            state.last_file += 1;
            let n = state.last_file;
            json!({"file_id": format!("FILE_{n}"), "file_unique_id": format!("UNIQUE_{n}"), "file_size": size})
        };
        let mut object = next_meta(upload.size);
        let mime_type = mime_type(&upload.file_name, kind);
        let duration = self.int("duration").unwrap_or(0);
        let mut ids = vec![object["file_id"].clone()];
        match kind {
            "voice" => {
                object["duration"] = json!(duration);
                object["mime_type"] = json!(mime_type);
            }
            "audio" => {
                object["duration"] = json!(duration);
                object["file_name"] = json!(upload.file_name);
                object["mime_type"] = json!(mime_type);
                for field in ["title", "performer"] {
                    if let Some(value) = self.str(field) {
                        object[field] = json!(value);
                    }
                }
            }
            "document" => {
                object["file_name"] = json!(upload.file_name);
                object["mime_type"] = json!(mime_type);
            }
            "photo" => {
                // Telegram answers with several sizes; a thumbnail and the full picture here.
                let mut thumbnail = object;
                thumbnail["file_size"] = json!(upload.size.min(1000));
                thumbnail["width"] = json!(90);
                thumbnail["height"] = json!(90);
                let mut full = next_meta(upload.size);
                full["width"] = json!(1280);
                full["height"] = json!(960);
                ids.push(full["file_id"].clone());
                object = json!([thumbnail, full]);
            }
            other => unreachable!("no uploads for {other}"),
        }
        for id in ids {
            let id = id.as_str().expect("string").to_owned();
            state.files.insert(
                id,
                StoredFile {
                    kind,
                    object: object.clone(),
                },
            );
        }
        object
    }

    fn send_poll(&self, state: &mut World) -> Outcome {
        let question = match self.param("question") {
            Some(Value::String(q)) => q.trim().to_owned(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        let (_, max_question) = self.limits("question", "characters", (1, 300));
        if question.is_empty() {
            return Err(bad("poll question must be non-empty"));
        }
        if utf16_len(&question) > max_question {
            return Err(bad(format!(
                "poll question length must not exceed {max_question}"
            )));
        }

        let options = json_param(self.params, "options")
            .ok()
            .flatten()
            .and_then(|o| o.as_array().cloned())
            .ok_or_else(|| bad("can't parse options JSON array"))?;
        let mut texts = Vec::new();
        for option in &options {
            let text = match option {
                Value::String(text) => text,
                Value::Object(object) => object
                    .get("text")
                    .and_then(Value::as_str)
                    .ok_or_else(|| bad("can't parse InputPollOption: field \"text\" is missing"))?,
                _ => return Err(bad("can't parse InputPollOption")),
            };
            texts.push(text.trim().to_owned());
        }
        let (min_options, max_options) = self.limits("options", "answer", (2, 10));
        if texts.len() < min_options {
            // Sic: Telegram says "at least 2 option".
            return Err(bad(format!("poll must have at least {min_options} option")));
        }
        if texts.len() > max_options {
            return Err(bad(format!(
                "poll can't have more than {max_options} options"
            )));
        }
        let (_, max_option) = self
            .spec
            .type_field("InputPollOption", "text")
            .and_then(|f| f.range("characters"))
            .unwrap_or((1, 100));
        for (i, text) in texts.iter().enumerate() {
            if text.is_empty() {
                return Err(bad("poll options must be non-empty"));
            }
            if utf16_len(text) > max_option {
                return Err(bad(format!(
                    "poll options length must not exceed {max_option}"
                )));
            }
            if texts[..i].contains(text) {
                return Err(bad("POLL_OPTION_DUPLICATE"));
            }
        }

        let poll_type = self.str("type").unwrap_or("regular");
        if poll_type != "regular" && poll_type != "quiz" {
            return Err(bad("poll type is invalid"));
        }
        let quiz = poll_type == "quiz";
        // Bot API 10.1 takes `correct_option_ids`; teloxide 0.17 sends `correct_option_id`.
        let correct: Vec<i64> = if self.param("correct_option_ids").is_some() {
            json_param(self.params, "correct_option_ids")
                .ok()
                .flatten()
                .and_then(|ids| Some(ids.as_array()?.iter().filter_map(as_i64).collect()))
                .ok_or_else(|| bad("can't parse correct_option_ids JSON array"))?
        } else {
            self.int("correct_option_id").into_iter().collect()
        };
        if quiz {
            let in_range = correct
                .iter()
                .all(|&id| id >= 0 && (id as usize) < texts.len());
            let increasing = correct.windows(2).all(|w| w[0] < w[1]);
            if correct.is_empty() {
                return Err(bad(
                    "quiz poll must have a correct option: correct_option_id is empty",
                ));
            }
            if !in_range || !increasing {
                return Err(bad("wrong correct option ID specified"));
            }
        } else if !correct.is_empty() {
            return Err(bad(
                "correct option IDs can be specified only for quiz polls",
            ));
        }
        let explanation = self
            .formatted(
                "explanation",
                "explanation_parse_mode",
                "explanation_entities",
            )?
            .filter(|e| quiz && !e.text.is_empty());
        if let Some(explanation) = &explanation {
            let (_, max) = self.limits("explanation", "characters", (0, 200));
            if explanation.utf16_len() > max {
                return Err(bad(format!("explanation length must not exceed {max}")));
            }
            if explanation.text.matches('\n').count() > 2 {
                return Err(bad("explanation can't contain more than 2 line feeds"));
            }
        }

        state.last_poll += 1;
        let mut poll = json!({
            "id": format!("POLL_{}", state.last_poll),
            "question": question,
            "options": texts.iter().map(|t| json!({"text": t, "voter_count": 0})).collect::<Vec<_>>(),
            "total_voter_count": 0,
            "is_closed": self.bool("is_closed").unwrap_or(false),
            // Telegram's default is an anonymous poll (which sends no poll_answer updates).
            "is_anonymous": self.bool("is_anonymous").unwrap_or(true),
            "type": poll_type,
            "allows_multiple_answers": self.bool("allows_multiple_answers").unwrap_or(false),
            "allows_revoting": self.bool("allows_revoting").unwrap_or(!quiz),
            "members_only": false,
        });
        if quiz {
            // Both the 10.1 field and the older one that teloxide 0.17 reads.
            poll["correct_option_ids"] = json!(correct);
            poll["correct_option_id"] = json!(correct[0]);
        }
        if let Some(explanation) = explanation {
            let object = poll.as_object_mut().expect("object");
            put_text(object, "explanation", "explanation_entities", explanation);
        }
        for field in ["open_period", "close_date"] {
            if let Some(value) = self.int(field) {
                poll[field] = json!(value);
            }
        }
        state
            .polls
            .insert(poll["id"].as_str().expect("id").to_owned(), poll.clone());
        let mut content = Map::new();
        content.insert("poll".into(), poll);
        self.put_reply_markup(&mut content, false)?;
        Ok(state.new_bot_message(self.chat_id(), content))
    }

    /// sendLocation and sendVenue.
    fn send_place(&self, state: &mut World) -> Outcome {
        let venue = self.method.name == "sendVenue";
        let coordinate = |name: &str, limit: f64| {
            let value = self.param(name).and_then(|v| match v {
                Value::String(s) => s.parse::<f64>().ok(),
                other => other.as_f64(),
            });
            value
                .filter(|v| v.abs() <= limit)
                .ok_or_else(|| match venue {
                    // TDLib's wording for a venue's location out of range.
                    true => bad("wrong venue location specified"),
                    false => bad(format!("wrong {name} specified")),
                })
        };
        let location = json!({
            "latitude": coordinate("latitude", 90.0)?,
            "longitude": coordinate("longitude", 180.0)?,
        });
        let mut content = Map::new();
        if venue {
            // The Bot API server reads a missing and an empty field alike; the fake refuses
            // both, as api.min.json requires the fields.
            let text = |name: &str| match self.str(name) {
                Some(text) if !text.trim().is_empty() => Ok(text),
                _ => Err(bad(format!("{name} is required"))),
            };
            let venue = json!({
                "location": location,
                "title": text("title")?,
                "address": text("address")?,
            });
            content.insert("venue".into(), venue);
        }
        content.insert("location".into(), location);
        self.put_reply_markup(&mut content, false)?;
        Ok(state.new_bot_message(self.chat_id(), content))
    }

    /// The (chat_id, message_id) an edit method targets; it must be the bot's message.
    fn edit_target(&self, state: &World) -> Result<(i64, i64), Failure> {
        if self.param("inline_message_id").is_some() {
            return Err(bad(
                "the fake Telegram server does not support inline messages",
            ));
        }
        if self.param("chat_id").is_none() {
            return Err(bad("chat_id is empty"));
        }
        let message_id = self
            .int("message_id")
            .ok_or_else(|| bad("message identifier is not specified"))?;
        let key = (self.chat_id(), message_id);
        match state.messages.get(&key) {
            None => Err(bad("message to edit not found")),
            Some(stored) if !stored.from_bot => Err(bad("message can't be edited")),
            Some(_) => Ok(key),
        }
    }

    fn edit_message_text(&self, state: &mut World) -> Outcome {
        let key = self.edit_target(state)?;
        // Telegram answers MESSAGE_TOO_LONG here, unlike sendMessage.
        let text = self.message_text("MESSAGE_TOO_LONG")?;
        // Without reply_markup, an edit removes the inline keyboard.
        let mut content = Map::new();
        put_text(&mut content, "text", "entities", text);
        self.put_reply_markup(&mut content, true)?;
        let message = &mut state.messages.get_mut(&key).expect("checked").message;
        if message.get("text").is_none() {
            return Err(bad("there is no text in the message to edit"));
        }
        let unchanged = ["text", "entities", "reply_markup"]
            .iter()
            .all(|field| message.get(*field) == content.get(*field));
        if unchanged {
            return Err(bad(NOT_MODIFIED));
        }
        let object = message.as_object_mut().expect("object");
        for field in ["text", "entities", "reply_markup"] {
            match content.remove(field) {
                Some(value) => object.insert(field.into(), value),
                None => object.remove(field),
            };
        }
        object.insert("edit_date".into(), json!(now()));
        Ok(message.clone())
    }

    fn edit_message_reply_markup(&self, state: &mut World) -> Outcome {
        let key = self.edit_target(state)?;
        let markup = self.reply_markup(true)?;
        let message = &mut state.messages.get_mut(&key).expect("checked").message;
        if message.get("reply_markup") == markup.as_ref() {
            return Err(bad(NOT_MODIFIED));
        }
        let object = message.as_object_mut().expect("object");
        match markup {
            Some(markup) => object.insert("reply_markup".into(), markup),
            None => object.remove("reply_markup"),
        };
        object.insert("edit_date".into(), json!(now()));
        Ok(message.clone())
    }

    fn answer_callback_query(&self, state: &mut World) -> Outcome {
        let id = match self.param("callback_query_id") {
            Some(Value::String(id)) => id.clone(),
            Some(other) => other.to_string(),
            None => String::new(),
        };
        if let Some(text) = self.str("text")
            && utf16_len(text) > self.limits("text", "characters", (0, 200)).1
        {
            return Err(bad("MESSAGE_TOO_LONG"));
        }
        match state.callback_queries.get_mut(&id) {
            Some(answered) if !*answered => {
                *answered = true;
                Ok(json!(true))
            }
            _ => Err(bad(QUERY_ID_INVALID)),
        }
    }

    fn set_my_commands(&self, state: &mut World) -> Outcome {
        let commands = json_param(self.params, "commands")
            .ok()
            .flatten()
            .and_then(|c| c.as_array().cloned())
            .ok_or_else(|| bad("can't parse commands JSON array"))?;
        if commands.len() > 100 {
            return Err(bad("BOT_COMMANDS_TOO_MUCH"));
        }
        let limit = |field: &str, fallback| {
            self.spec
                .type_field("BotCommand", field)
                .and_then(|f| f.range("characters"))
                .unwrap_or(fallback)
        };
        let (_, max_command) = limit("command", (1, 32));
        let (_, max_description) = limit("description", (1, 256));
        for command in &commands {
            let name = command["command"].as_str().unwrap_or_default();
            let name_ok = !name.is_empty()
                && name.len() <= max_command
                && name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !name_ok {
                return Err(bad("BOT_COMMAND_INVALID"));
            }
            let description = command["description"].as_str().unwrap_or_default();
            let description = description.trim();
            if description.is_empty() || utf16_len(description) > max_description {
                return Err(bad("BOT_COMMAND_DESCRIPTION_INVALID"));
            }
        }
        // "A two-letter ISO 639-1 language code" (so not "zh-hans").
        if let Some(code) = self.str("language_code")
            && !code.is_empty()
            && !(code.len() == 2 && code.bytes().all(|b| b.is_ascii_lowercase()))
        {
            return Err(bad("LANG_CODE_INVALID"));
        }
        state
            .commands
            .insert(self.commands_key(), Value::Array(commands));
        Ok(json!(true))
    }

    fn commands_key(&self) -> String {
        let scope = json_param(self.params, "scope")
            .ok()
            .flatten()
            .unwrap_or_else(|| json!({"type": "default"}));
        format!("{scope}|{}", self.str("language_code").unwrap_or_default())
    }

    /// Adds the checked inline keyboard to a message (other keyboards are not part of it).
    fn put_reply_markup(
        &self,
        content: &mut Map<String, Value>,
        inline_only: bool,
    ) -> Result<(), Failure> {
        if let Some(markup) = self.reply_markup(inline_only)? {
            content.insert("reply_markup".into(), markup);
        }
        Ok(())
    }

    /// Checks `reply_markup`; returns the inline keyboard as a message shows it, if any.
    fn reply_markup(&self, inline_only: bool) -> Result<Option<Value>, Failure> {
        let unparsable = || bad("can't parse reply keyboard markup JSON object");
        let Some(markup) = json_param(self.params, "reply_markup").map_err(|_| unparsable())?
        else {
            return Ok(None);
        };
        let markup = markup.as_object().ok_or_else(unparsable)?;
        let Some(rows) = markup.get("inline_keyboard") else {
            if inline_only {
                return Err(bad("inline keyboard expected"));
            }
            if let Some(rows) = markup.get("keyboard") {
                // A reply keyboard is not part of the message.
                self.check_reply_keyboard(markup, rows)?;
                return Ok(None);
            }
            let other = ["remove_keyboard", "force_reply"];
            return match other.iter().any(|k| markup.contains_key(*k)) {
                true => Ok(None),
                false => Err(unparsable()),
            };
        };
        let rows = rows
            .as_array()
            .filter(|rows| rows.iter().all(Value::is_array))
            .ok_or_else(|| {
                bad("field \"inline_keyboard\" of the InlineKeyboardMarkup should be an Array of Arrays")
            })?;
        let mut shown = Vec::new();
        for row in rows {
            let row = row.as_array().expect("checked");
            let buttons: Vec<Value> = row
                .iter()
                .map(|b| self.check_button(b))
                .collect::<Result<_, _>>()?;
            if !buttons.is_empty() {
                shown.push(Value::Array(buttons));
            }
        }
        Ok((!shown.is_empty()).then(|| json!({ "inline_keyboard": shown })))
    }

    /// Checks a ReplyKeyboardMarkup against the API description: its fields, rows of
    /// KeyboardButtons (or strings), and at most one request_* / web_app field per button.
    fn check_reply_keyboard(
        &self,
        markup: &Map<String, Value>,
        rows: &Value,
    ) -> Result<(), Failure> {
        for (key, value) in markup.iter().filter(|(_, v)| !v.is_null()) {
            let field = self
                .spec
                .type_field("ReplyKeyboardMarkup", key)
                .ok_or_else(|| {
                    bad(format!(
                        "can't parse reply keyboard markup JSON object: unexpected field \"{key}\""
                    ))
                })?;
            if field.types == ["Boolean"] && !value.is_boolean() {
                return Err(bad(format!(
                    "can't parse reply keyboard markup JSON object: Field \"{key}\" must be of \
                     type Boolean"
                )));
            }
        }
        let rows = rows
            .as_array()
            .filter(|rows| rows.iter().all(Value::is_array))
            .ok_or_else(|| {
                bad("field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays")
            })?;
        let invalid = |detail: &str| bad(format!("can't parse keyboard button: {detail}"));
        for button in rows.iter().flat_map(|row| row.as_array().expect("checked")) {
            let button = match button {
                Value::String(_) => continue,
                Value::Object(button) => button,
                _ => return Err(invalid("KeyboardButton must be a String or an Object")),
            };
            if !button.get("text").is_some_and(Value::is_string) {
                return Err(invalid("Field \"text\" must be of type String"));
            }
            let mut actions = Vec::new();
            for (key, value) in button.iter().filter(|(_, v)| !v.is_null()) {
                let field = self
                    .spec
                    .type_field("KeyboardButton", key)
                    .ok_or_else(|| invalid(&format!("unexpected field \"{key}\"")))?;
                let (wanted, type_ok) = match field.types.first().map(String::as_str) {
                    Some("Boolean") => ("Boolean", value.is_boolean()),
                    Some("String") => ("String", value.is_string()),
                    _ => ("Object", value.is_object()),
                };
                if !type_ok {
                    return Err(invalid(&format!(
                        "Field \"{key}\" must be of type {wanted}"
                    )));
                }
                let is_action = key.starts_with("request_") || key == "web_app";
                if is_action && value != &json!(false) {
                    actions.push(key.as_str());
                }
            }
            if actions.len() > 1 {
                return Err(invalid(&format!(
                    "at most one of the fields {} can be used",
                    actions.join(", ")
                )));
            }
        }
        Ok(())
    }

    fn check_button(&self, button: &Value) -> Outcome {
        let invalid = |detail: &str| bad(format!("can't parse inline keyboard button: {detail}"));
        let button = button
            .as_object()
            .ok_or_else(|| invalid("InlineKeyboardButton must be an Object"))?;
        if !button.get("text").is_some_and(Value::is_string) {
            return Err(invalid("Field \"text\" must be of type String"));
        }
        let button: Map<String, Value> = button
            .iter()
            .filter(|(_, v)| !v.is_null())
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        let mut actions = Vec::new();
        for key in button.keys() {
            if self.spec.type_field("InlineKeyboardButton", key).is_none() {
                return Err(invalid(&format!("unexpected field \"{key}\"")));
            }
            if !matches!(key.as_str(), "text" | "icon_custom_emoji_id" | "style") {
                actions.push(key.as_str());
            }
        }
        match actions.len() {
            0 => return Err(invalid("Text buttons are unallowed in the inline keyboard")),
            1 => {}
            _ => {
                return Err(invalid(&format!(
                    "exactly one of the fields {} must be used",
                    actions.join(", ")
                )));
            }
        }
        if let Some(data) = button.get("callback_data") {
            let (min, max) = self
                .spec
                .type_field("InlineKeyboardButton", "callback_data")
                .and_then(|f| f.range("bytes"))
                .unwrap_or((1, 64));
            if !data
                .as_str()
                .is_some_and(|d| (min..=max).contains(&d.len()))
            {
                return Err(bad("BUTTON_DATA_INVALID"));
            }
        }
        if let Some(target) = button.get("url") {
            let parsed = target.as_str().and_then(|u| url::Url::parse(u).ok());
            let valid = parsed.is_some_and(|u| match u.scheme() {
                "http" | "https" => u.host_str().is_some(),
                "tg" => true,
                _ => false,
            });
            if !valid {
                return Err(bad("BUTTON_URL_INVALID"));
            }
        }
        Ok(Value::Object(button))
    }
}

/// Puts text and its entities (if any) into a message or poll.
fn put_text(object: &mut Map<String, Value>, field: &str, entities_field: &str, text: Formatted) {
    object.insert(field.into(), json!(text.text));
    if !text.entities.is_empty() {
        object.insert(entities_field.into(), Value::Array(text.entities));
    }
}

// ---------------------------------------------------------------------------------------
// Small helpers

/// Update types that an empty (or never set) `allowed_updates` leaves out.
const NOT_RECEIVED_BY_DEFAULT: &[&str] =
    &["chat_member", "message_reaction", "message_reaction_count"];

/// Whether a bot with this `allowed_updates` (empty: Telegram's default) receives `update`.
fn receives(allowed: &[String], update: &Value) -> bool {
    let Some(kind) = update
        .as_object()
        .and_then(|u| u.keys().find(|k| k.as_str() != "update_id"))
    else {
        return true;
    };
    match allowed.is_empty() {
        true => !NOT_RECEIVED_BY_DEFAULT.contains(&kind.as_str()),
        false => allowed.iter().any(|a| a == kind),
    }
}

/// A Location object.
fn location(lat: f64, lon: f64) -> Value {
    json!({"latitude": lat, "longitude": lon})
}

/// A parameter, treating JSON null as absent.
fn param<'a>(params: &'a Params, name: &str) -> Option<&'a Value> {
    params.get(name).filter(|v| !v.is_null())
}

/// A parameter that holds JSON, as an object/array or as JSON text (both are accepted).
fn json_param(params: &Params, name: &str) -> Result<Option<Value>, serde_json::Error> {
    match param(params, name) {
        None => Ok(None),
        Some(Value::String(text)) => serde_json::from_str(text).map(Some),
        Some(other) => Ok(Some(other.clone())),
    }
}

/// An integer given as a JSON number or as a string of digits.
fn as_i64(value: &Value) -> Option<i64> {
    match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn callback_datas_of(markup: &Value) -> Vec<String> {
    let Some(rows) = markup["inline_keyboard"].as_array() else {
        return Vec::new();
    };
    rows.iter()
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|button| button["callback_data"].as_str().map(str::to_owned))
        .collect()
}

fn capitalized(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

fn mime_type(file_name: &str, kind: &str) -> &'static str {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "ogg" | "oga" | "opus" => "audio/ogg",
        "mp3" => "audio/mpeg",
        "m4a" => "audio/mp4",
        "wav" => "audio/wav",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "pdf" => "application/pdf",
        "txt" => "text/plain",
        _ if kind == "voice" => "audio/ogg",
        _ if kind == "audio" => "audio/mpeg",
        _ => "application/octet-stream",
    }
}
