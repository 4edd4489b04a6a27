//! A lean fake Telegram Bot API server on 127.0.0.1 for `weike bench delivery`.
//!
//! It answers the calls the delivery engine makes (`sendMessage`, `sendVenue`, `sendVoice`,
//! `sendAudio`, `editMessageReplyMarkup`, `answerCallbackQuery`, `setMyCommands`,
//! `deleteWebhook`, `getMe`, `getUpdates`) the way Telegram does, counts what arrived, and,
//! when asked, enforces Telegram's send limits with Telegram's 429 answer. It shares the
//! machine with the code being measured, so it does as little as it can per request: one
//! handler without a router, the body read as bytes, only `chat_id` (and `text`) parsed, one
//! short lock, no logging.
//!
//! ```ignore
//! let api = FakeBotApi::start(Some(FakeLimits::telegram())).await?;
//! // point the client at api.api_url(): it POSTs to {api_url}/bot{TOKEN}/{method}
//! let stats = api.stats();
//! ```
//!
//! "Sends" are the `send*` methods. Only they are limited, and only successful ones count
//! towards [`FakeStats::max_per_second`] and [`FakeStats::distinct_chats`].
//!
//! For the benchmarks of replies (`bench/replies.rs`) it also plays the members: updates
//! queued with [`FakeBotApi::push_update`] are served by `getUpdates` (long polling, with
//! Telegram's `offset` confirmation), and the time from an update to the next message sent
//! in its chat is recorded ([`FakeBotApi::take_replies`]). [`FakeBotApi::set_delay`] makes
//! every call take a round trip's time.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::handler::Handler as _;
use axum::http::{HeaderValue, StatusCode, header::CONTENT_TYPE};
use axum::response::Response;
use axum::serve::ListenerExt as _;
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::{Notify, oneshot};

/// Request bodies up to this size are read (Telegram accepts 50 MB uploads).
const BODY_LIMIT: usize = 64 << 20;
/// Listen backlog: the delivery engine may open many connections at once.
const BACKLOG: u32 = 4096;
const SECOND_NS: u64 = 1_000_000_000;
/// The per-chat limiter prunes idle chats once it holds this many (or twice as many as
/// after the last pruning).
const MIN_PRUNE_AT: usize = 4096;

const TOO_MANY_REQUESTS: &str = r#"{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 1","parameters":{"retry_after":1}}"#;
const NOT_FOUND: &str = r#"{"ok":false,"error_code":404,"description":"Not Found"}"#;
const CHAT_ID_EMPTY: &str =
    r#"{"ok":false,"error_code":400,"description":"Bad Request: chat_id is empty"}"#;
const CHAT_NOT_FOUND: &str =
    r#"{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}"#;
const CANT_PARSE_JSON: &str =
    r#"{"ok":false,"error_code":400,"description":"Bad Request: can't parse JSON"}"#;
const BODY_UNREADABLE: &str =
    r#"{"ok":false,"error_code":400,"description":"Bad Request: request body unreadable"}"#;
const OK_TRUE: &str = r#"{"ok":true,"result":true}"#;
/// The next update id, over every fake of the process: a service that polled an earlier fake
/// keeps its cursor in the database, and must not take a later fake's first updates for
/// confirmed ones.
static NEXT_UPDATE_ID: std::sync::atomic::AtomicI64 = std::sync::atomic::AtomicI64::new(1);
/// Updates served by one `getUpdates` at most (Telegram's default `limit`).
const UPDATES_PER_CALL: usize = 100;
/// The longest `getUpdates` wait honoured (Telegram's limit is 50 s).
const MAX_POLL_SECONDS: u64 = 50;

/// Telegram's send limits, as enforced by [`FakeBotApi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeLimits {
    /// Successful sends allowed in any 1 s sliding window, over all chats (0: no limit).
    pub global_per_second: u32,
    /// Refill rate of each chat's token bucket (0: no per-chat limit).
    pub per_chat_per_second: u32,
    /// Capacity of each chat's token bucket (at least 1 is used).
    pub per_chat_burst: u32,
}

impl FakeLimits {
    /// The limits Telegram documents for bots: 30 messages per second overall, about one per
    /// second per chat (with a short burst tolerated).
    pub const fn telegram() -> Self {
        Self {
            global_per_second: 30,
            per_chat_per_second: 1,
            per_chat_burst: 3,
        }
    }
}

/// What the server has seen since it started or since [`FakeBotApi::reset_stats`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FakeStats {
    /// All requests, whatever the answer.
    pub requests: u64,
    /// Requests answered `"ok":true`.
    pub ok: u64,
    /// Sends answered 429.
    pub too_many_requests: u64,
    /// Successful sends.
    pub sent: u64,
    /// Requests per method name (every request whose path is `/bot{token}/{method}`).
    pub by_method: BTreeMap<String, u64>,
    /// Distinct chat ids among successful sends.
    pub distinct_chats: u64,
    /// The most successful sends in any 1 s sliding window.
    pub max_per_second: u64,
}

/// The fake server. Dropping it stops the server (it stops accepting at once and closes
/// idle connections).
pub struct FakeBotApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl std::fmt::Debug for FakeBotApi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FakeBotApi")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl FakeBotApi {
    /// Binds 127.0.0.1 on a free port and serves on a tokio task.
    pub async fn start(limits: Option<FakeLimits>) -> std::io::Result<FakeBotApi> {
        let socket = tokio::net::TcpSocket::new_v4()?;
        socket.bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
        let listener = socket.listen(BACKLOG)?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            base: Instant::now(),
            state: Mutex::new(Counters::new(limits)),
            updates_ready: Notify::new(),
        });
        let (shutdown, stop) = oneshot::channel::<()>();
        let listener = listener.tap_io(|tcp| {
            // Small answers: do not let Nagle hold them back.
            let _ = tcp.set_nodelay(true);
        });
        let service = handle.with_state(Arc::clone(&shared));
        tokio::spawn(async move {
            let _ = axum::serve(listener, service)
                .with_graceful_shutdown(async move {
                    let _ = stop.await;
                })
                .await;
        });
        Ok(FakeBotApi {
            addr,
            shared,
            shutdown: Some(shutdown),
        })
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn api_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn stats(&self) -> FakeStats {
        self.shared.lock().stats()
    }

    /// Zeroes the statistics. The limiters keep their state: sends made just before still
    /// count towards the limits, as they would at Telegram.
    pub fn reset_stats(&self) {
        self.shared.lock().reset_stats();
    }

    /// Changes (or, with `None`, lifts) the limits; per-chat allowances start afresh.
    pub fn set_limits(&self, limits: Option<FakeLimits>) {
        self.shared.lock().limiter = limits.map(Limiter::new);
    }

    /// Every call is answered after `delay` (a round trip to Telegram). A send is counted
    /// (and limited) as it arrives, as Telegram counts it, and its reply to a member is
    /// timed when its answer leaves, the whole round trip later (conservatively: the member
    /// sees it about half a round trip earlier). Counting after a timer would add this
    /// machine's timer lateness (tens of ms on a busy machine) to some arrivals and not to
    /// others, and bunch sends that left evenly spaced; a constant travel time shifts every
    /// arrival alike and changes no window. A long poll pays the delay once it has its
    /// updates, so an update queued while the poll waits reaches the bot `delay` later.
    pub fn set_delay(&self, delay: std::time::Duration) {
        self.shared.lock().delay = delay;
    }

    /// Queues `update` (without its `update_id`, which is given here and returned) from a
    /// member in chat `chat`, for `getUpdates`; the time until the next message sent to
    /// `chat` is recorded as a reply ([`Self::take_replies`]).
    pub fn push_update(&self, chat: i64, mut update: Value) -> i64 {
        let id = {
            let mut state = self.shared.lock();
            let now = self.shared.now_ns();
            let id = NEXT_UPDATE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            update["update_id"] = Value::from(id);
            state.updates.push_back((id, update.to_string()));
            let sent = state.sent_ever;
            state
                .waiting
                .entry(chat)
                .or_default()
                .push_back((now, sent));
            id
        };
        self.shared.updates_ready.notify_waiters();
        id
    }

    /// The replies recorded since the last call (in the order they were sent), and how many
    /// updates still wait for one.
    pub fn take_replies(&self) -> (Vec<Reply>, usize) {
        let mut state = self.shared.lock();
        let waiting = state.waiting.values().map(VecDeque::len).sum();
        (std::mem::take(&mut state.replies), waiting)
    }
}

/// The first message sent in a chat after an update from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reply {
    pub chat: i64,
    /// From the update being queued to the message being accepted.
    pub after: std::time::Duration,
    /// Successful sends (to any chat) accepted between the update being queued and this
    /// one: what a limit of N a second made it wait for at least.
    pub sends_before: u64,
}

impl Drop for FakeBotApi {
    fn drop(&mut self) {
        if let Some(shutdown) = self.shutdown.take() {
            let _ = shutdown.send(());
        }
    }
}

struct Shared {
    /// Time zero for the nanosecond timestamps below.
    base: Instant,
    state: Mutex<Counters>,
    /// Woken when an update is queued (long polls waiting for one).
    updates_ready: Notify,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Counters> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn now_ns(&self) -> u64 {
        u64::try_from(self.base.elapsed().as_nanos()).unwrap_or(u64::MAX)
    }
}

/// Statistics and limiter state, behind one mutex (each request holds it briefly, once).
struct Counters {
    requests: u64,
    ok: u64,
    too_many_requests: u64,
    by_method: BTreeMap<String, u64>,
    chats: HashSet<i64>,
    max_per_second: u64,
    /// Times (ns since `Shared::base`) of the successful sends in the last second, oldest
    /// first: the global limit's sliding window and the source of `max_per_second`.
    window: VecDeque<u64>,
    /// How many of the oldest `window` entries predate the last `reset_stats` (they count
    /// for the limit but not for `max_per_second`).
    before_reset: usize,
    next_message_id: i64,
    limiter: Option<Limiter>,
    /// Successful sends since the last reset.
    sent: u64,
    /// Successful sends since the start (never reset: [`Reply::sends_before`]).
    sent_ever: u64,
    /// How long each call takes.
    delay: std::time::Duration,
    /// Queued updates not yet confirmed by a `getUpdates` offset: id and JSON.
    updates: VecDeque<(i64, String)>,
    /// Per chat, when its updates that have no reply yet were queued (ns), with
    /// `sent_ever` at that time.
    waiting: HashMap<i64, VecDeque<(u64, u64)>>,
    replies: Vec<Reply>,
}

impl Counters {
    fn new(limits: Option<FakeLimits>) -> Self {
        Self {
            requests: 0,
            ok: 0,
            too_many_requests: 0,
            by_method: BTreeMap::new(),
            chats: HashSet::new(),
            max_per_second: 0,
            window: VecDeque::new(),
            before_reset: 0,
            next_message_id: 1,
            limiter: limits.map(Limiter::new),
            sent: 0,
            sent_ever: 0,
            delay: std::time::Duration::ZERO,
            updates: VecDeque::new(),
            waiting: HashMap::new(),
            replies: Vec::new(),
        }
    }

    fn count_request(&mut self, method: Option<&str>) {
        self.requests += 1;
        if let Some(method) = method {
            match self.by_method.get_mut(method) {
                Some(n) => *n += 1,
                None => {
                    self.by_method.insert(method.to_string(), 1);
                }
            }
        }
    }

    /// Admits a send to `chat` arriving at `now` and counts it: the new message's id, or
    /// `None` when a limit refuses it. A reply it is to a member is timed at its answer,
    /// `delay` after its arrival.
    fn send(&mut self, now: u64, chat: i64) -> Option<i64> {
        while let Some(&oldest) = self.window.front() {
            if oldest.saturating_add(SECOND_NS) > now {
                break;
            }
            self.window.pop_front();
            self.before_reset = self.before_reset.saturating_sub(1);
        }
        if let Some(limiter) = &mut self.limiter
            && !limiter.admit(now, chat, self.window.len())
        {
            self.too_many_requests += 1;
            return None;
        }
        self.window.push_back(now);
        let in_window = (self.window.len() - self.before_reset) as u64;
        self.max_per_second = self.max_per_second.max(in_window);
        self.chats.insert(chat);
        self.ok += 1;
        if let Some(waiting) = self.waiting.get_mut(&chat) {
            if let Some((since, sent_then)) = waiting.pop_front() {
                self.replies.push(Reply {
                    chat,
                    after: std::time::Duration::from_nanos(now.saturating_sub(since)) + self.delay,
                    sends_before: self.sent_ever - sent_then,
                });
            }
            if waiting.is_empty() {
                self.waiting.remove(&chat);
            }
        }
        self.sent += 1;
        self.sent_ever += 1;
        let id = self.next_message_id;
        self.next_message_id += 1;
        Some(id)
    }

    fn stats(&self) -> FakeStats {
        FakeStats {
            requests: self.requests,
            ok: self.ok,
            too_many_requests: self.too_many_requests,
            sent: self.sent,
            by_method: self.by_method.clone(),
            distinct_chats: self.chats.len() as u64,
            max_per_second: self.max_per_second,
        }
    }

    fn reset_stats(&mut self) {
        self.requests = 0;
        self.ok = 0;
        self.too_many_requests = 0;
        self.sent = 0;
        self.by_method.clear();
        self.chats = HashSet::new();
        self.max_per_second = 0;
        self.before_reset = self.window.len();
    }
}

/// Telegram's limits: a sliding 1 s window over all successful sends (kept by `Counters`),
/// and a token bucket per chat, kept as GCRA: each chat's "theoretical arrival time" (the
/// time its bucket is full again), so one `u64` per chat.
struct Limiter {
    global_per_second: usize,
    /// Time for one token to come back (0: no per-chat limit).
    interval_ns: u64,
    /// How far ahead of now a chat's theoretical arrival time may be: (burst - 1) tokens.
    tolerance_ns: u64,
    /// Chats whose bucket is not full. A chat whose time has passed is the same as an
    /// absent one, so pruning them loses nothing.
    chats: HashMap<i64, u64>,
    prune_at: usize,
}

impl Limiter {
    fn new(limits: FakeLimits) -> Self {
        let interval_ns = match limits.per_chat_per_second {
            0 => 0,
            rate => SECOND_NS / u64::from(rate),
        };
        Self {
            global_per_second: limits.global_per_second as usize,
            interval_ns,
            tolerance_ns: interval_ns * u64::from(limits.per_chat_burst.max(1) - 1),
            chats: HashMap::new(),
            prune_at: MIN_PRUNE_AT,
        }
    }

    /// Whether a send to `chat` at `now` is allowed, given `recent` successful sends in the
    /// last second; if so, takes the chat's token.
    fn admit(&mut self, now: u64, chat: i64, recent: usize) -> bool {
        if self.global_per_second > 0 && recent >= self.global_per_second {
            return false;
        }
        if self.interval_ns == 0 {
            return true;
        }
        let full_at = self.chats.get(&chat).map_or(now, |&t| t.max(now));
        if full_at - now > self.tolerance_ns {
            return false;
        }
        self.chats.insert(chat, full_at + self.interval_ns);
        if self.chats.len() >= self.prune_at {
            self.chats.retain(|_, full_at| *full_at > now);
            self.prune_at = (self.chats.len() * 2).max(MIN_PRUNE_AT);
        }
        true
    }
}

/// The methods the server knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    SendMessage,
    SendVoice,
    SendAudio,
    /// Answered `true`.
    True,
    GetMe,
    GetUpdates,
}

impl Method {
    /// Method names are case-insensitive, as at Telegram (teloxide sends `DeleteWebhook`).
    fn parse(name: &str) -> Option<Method> {
        const METHODS: [(&str, Method); 10] = [
            ("sendMessage", Method::SendMessage),
            // A venue is answered like a text: the engine reads only the message id.
            ("sendVenue", Method::SendMessage),
            ("sendVoice", Method::SendVoice),
            ("sendAudio", Method::SendAudio),
            ("editMessageReplyMarkup", Method::True),
            ("answerCallbackQuery", Method::True),
            ("setMyCommands", Method::True),
            ("deleteWebhook", Method::True),
            ("getMe", Method::GetMe),
            ("getUpdates", Method::GetUpdates),
        ];
        METHODS
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|&(_, method)| method)
    }
}

/// The only fields read from a JSON body.
#[derive(Deserialize)]
struct Params {
    #[serde(default)]
    chat_id: Option<Value>,
    #[serde(default)]
    text: Option<String>,
}

async fn handle(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    // "/bot{token}/{method}"
    let route = parts
        .uri
        .path()
        .strip_prefix("/bot")
        .and_then(|rest| rest.split_once('/'))
        .filter(|(_, method)| !method.is_empty() && !method.contains('/'));
    let Some((token, method_name)) = route else {
        shared.lock().count_request(None);
        return answer(
            StatusCode::NOT_FOUND,
            Bytes::from_static(NOT_FOUND.as_bytes()),
        );
    };
    let Some(method) = Method::parse(method_name) else {
        shared.lock().count_request(Some(method_name));
        return answer(
            StatusCode::NOT_FOUND,
            Bytes::from_static(NOT_FOUND.as_bytes()),
        );
    };
    let bytes = axum::body::to_bytes(body, BODY_LIMIT).await;
    let delay = shared.lock().delay;
    // A call takes effect (a send is counted) as it arrives, and its answer leaves a round
    // trip later (see `FakeBotApi::set_delay`); a long poll's round trip is paid when its
    // answer leaves, so that an update that arrives while the poll waits reaches the bot
    // `delay` later.
    let (status, reply) = match method {
        Method::True => ok(&shared, method_name, Bytes::from_static(OK_TRUE.as_bytes())),
        Method::GetUpdates => {
            let poll = bytes
                .as_ref()
                .ok()
                .filter(|b| !b.is_empty())
                .and_then(|b| serde_json::from_slice::<Poll>(b).ok())
                .unwrap_or_default();
            // Counted as it arrives: a long poll is known to be waiting.
            shared.lock().count_request(Some(method_name));
            let updates = get_updates(&shared, poll).await;
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            shared.lock().ok += 1;
            (StatusCode::OK, updates)
        }
        Method::GetMe => ok(&shared, method_name, get_me(token)),
        Method::SendMessage | Method::SendVoice | Method::SendAudio => {
            let multipart = parts
                .headers
                .get(CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .filter(|ct| ct.starts_with("multipart/form-data"));
            let params = match (&bytes, multipart) {
                (Err(_), _) => Err(BODY_UNREADABLE),
                (Ok(b), Some(content_type)) => Ok(multipart_params(content_type, b)),
                (Ok(b), None) if b.is_empty() => Ok((None, None)),
                (Ok(b), None) => serde_json::from_slice::<Params>(b)
                    .map(|p| (p.chat_id.map(ChatParam::Json), p.text))
                    .map_err(|_| CANT_PARSE_JSON),
            };
            send(&shared, method, method_name, params)
        }
    };
    if !delay.is_zero() && method != Method::GetUpdates {
        tokio::time::sleep(delay).await;
    }
    answer(status, reply)
}

/// What `getUpdates` reads.
#[derive(Deserialize, Default)]
struct Poll {
    #[serde(default)]
    offset: i64,
    #[serde(default)]
    timeout: u64,
}

/// The queued updates from `offset` on (those before it are confirmed and dropped), at most
/// [`UPDATES_PER_CALL`], waiting up to `timeout` seconds for one: a JSON answer's `result`.
async fn get_updates(shared: &Shared, poll: Poll) -> Bytes {
    let deadline = tokio::time::Instant::now()
        + std::time::Duration::from_secs(poll.timeout.min(MAX_POLL_SECONDS));
    loop {
        // Registered before looking, so that an update queued in between wakes it.
        let ready = shared.updates_ready.notified();
        tokio::pin!(ready);
        ready.as_mut().enable();
        {
            let mut state = shared.lock();
            while state
                .updates
                .front()
                .is_some_and(|(id, _)| *id < poll.offset)
            {
                state.updates.pop_front();
            }
            if !state.updates.is_empty() {
                let mut out = Vec::with_capacity(256);
                out.extend_from_slice(br#"{"ok":true,"result":["#);
                for (i, (_, update)) in state.updates.iter().take(UPDATES_PER_CALL).enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(update.as_bytes());
                }
                out.extend_from_slice(b"]}");
                return out.into();
            }
        }
        if tokio::time::timeout_at(deadline, ready).await.is_err() {
            return Bytes::from_static(br#"{"ok":true,"result":[]}"#);
        }
    }
}

fn ok(shared: &Shared, method_name: &str, reply: Bytes) -> (StatusCode, Bytes) {
    let mut state = shared.lock();
    state.count_request(Some(method_name));
    state.ok += 1;
    (StatusCode::OK, reply)
}

enum ChatParam<'a> {
    Json(Value),
    Text(&'a [u8]),
}

impl ChatParam<'_> {
    /// The numeric chat id, or `None` for a chat Telegram would not find here (`@username`).
    fn id(&self) -> Option<i64> {
        match self {
            ChatParam::Json(Value::Number(n)) => n.as_i64(),
            ChatParam::Json(Value::String(s)) => s.trim().parse().ok(),
            ChatParam::Json(_) => None,
            ChatParam::Text(t) => std::str::from_utf8(t).ok()?.trim().parse().ok(),
        }
    }
}

type SendParams<'a> = (Option<ChatParam<'a>>, Option<String>);

fn send(
    shared: &Shared,
    method: Method,
    method_name: &str,
    params: Result<SendParams<'_>, &'static str>,
) -> (StatusCode, Bytes) {
    let chat = match &params {
        Err(e) => Err(*e),
        Ok((None, _)) => Err(CHAT_ID_EMPTY),
        Ok((Some(chat), _)) => chat.id().ok_or(CHAT_NOT_FOUND),
    };
    let admission = {
        let mut state = shared.lock();
        state.count_request(Some(method_name));
        match chat {
            Err(reply) => {
                return (
                    StatusCode::BAD_REQUEST,
                    Bytes::from_static(reply.as_bytes()),
                );
            }
            // Read the clock under the lock, so that the window stays in order.
            Ok(chat) => state.send(shared.now_ns(), chat).map(|id| (id, chat)),
        }
    };
    let Some((message_id, chat)) = admission else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            Bytes::from_static(TOO_MANY_REQUESTS.as_bytes()),
        );
    };
    let date = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut out = Vec::with_capacity(192);
    let _ = write!(
        out,
        r#"{{"ok":true,"result":{{"message_id":{message_id},"date":{date},"chat":{{"id":{chat},"type":"private"}}"#
    );
    match method {
        Method::SendVoice => out.extend_from_slice(
            br#","voice":{"file_id":"V1","file_unique_id":"U1","duration":1,"mime_type":"audio/ogg","file_size":1}"#,
        ),
        Method::SendAudio => out.extend_from_slice(
            br#","audio":{"file_id":"A1","file_unique_id":"UA1","duration":1,"mime_type":"audio/mpeg","file_size":1}"#,
        ),
        _ => {
            if let Ok((_, Some(text))) = &params {
                out.extend_from_slice(br#","text":"#);
                let _ = serde_json::to_writer(&mut out, text);
            }
        }
    }
    out.extend_from_slice(b"}}");
    (StatusCode::OK, out.into())
}

fn get_me(token: &str) -> Bytes {
    let id: i64 = token
        .split_once(':')
        .and_then(|(id, _)| id.parse().ok())
        .unwrap_or(1);
    format!(
        r#"{{"ok":true,"result":{{"id":{id},"is_bot":true,"first_name":"weike","username":"weike_bench_bot","can_join_groups":true,"can_read_all_group_messages":false,"supports_inline_queries":false,"can_connect_to_business":false,"has_main_web_app":false}}}}"#
    )
    .into()
}

fn answer(status: StatusCode, body: Bytes) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    response
}

/// `chat_id` (and `text`, which uploads do not carry) from a multipart/form-data body.
fn multipart_params<'a>(content_type: &str, body: &'a [u8]) -> SendParams<'a> {
    (
        multipart_field(content_type, body, b"chat_id").map(ChatParam::Text),
        None,
    )
}

/// The value of the text field `name` in a multipart/form-data body.
fn multipart_field<'a>(content_type: &str, body: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let boundary = content_type
        .split(';')
        .find_map(|p| p.trim().strip_prefix("boundary="))?
        .trim_matches('"');
    // Each part ends before CRLF "--boundary"; the first delimiter has no CRLF before it.
    let delimiter = format!("\r\n--{boundary}");
    let delimiter = delimiter.as_bytes();
    let first = find(body, &delimiter[2..])?;
    let mut rest = &body[first + delimiter.len() - 2..];
    loop {
        if rest.starts_with(b"--") {
            return None;
        }
        let head_end = find(rest, b"\r\n\r\n")?;
        let content = &rest[head_end + 4..];
        let content_end = find(content, delimiter)?;
        if part_name(&rest[..head_end]) == Some(name) {
            return Some(&content[..content_end]);
        }
        rest = &content[content_end + delimiter.len()..];
    }
}

/// The `name` of a part, from its `Content-Disposition: form-data; name="..."` header (not
/// confused with `filename="..."`).
fn part_name(headers: &[u8]) -> Option<&[u8]> {
    let mut from = 0;
    while let Some(at) = find(&headers[from..], b"name=\"") {
        let at = from + at;
        let start = at + 6;
        if at == 0 || matches!(headers[at - 1], b' ' | b';' | b'\t') {
            let len = headers[start..].iter().position(|&b| b == b'"')?;
            return Some(&headers[start..start + len]);
        }
        from = start;
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    let (&first, tail) = needle.split_first()?;
    let last_start = haystack.len().checked_sub(needle.len())?;
    let mut from = 0;
    while from <= last_start {
        let at = from
            + haystack[from..=last_start]
                .iter()
                .position(|&b| b == first)?;
        if &haystack[at + 1..at + needle.len()] == tail {
            return Some(at);
        }
        from = at + 1;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::time::Duration;

    const TOKEN: &str = "123456:BENCH-token";

    fn url(api: &FakeBotApi, method: &str) -> String {
        format!("{}/bot{TOKEN}/{method}", api.api_url())
    }

    async fn post(
        client: &reqwest::Client,
        api: &FakeBotApi,
        method: &str,
        body: Value,
    ) -> (u16, Value) {
        let response = client
            .post(url(api, method))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap())
    }

    /// The status of `post`.
    async fn status(client: &reqwest::Client, api: &FakeBotApi, method: &str, body: Value) -> u16 {
        post(client, api, method, body).await.0
    }

    /// A multipart form posted to `method`.
    async fn post_form(
        client: &reqwest::Client,
        api: &FakeBotApi,
        method: &str,
        form: reqwest::multipart::Form,
    ) -> reqwest::Response {
        client
            .post(url(api, method))
            .multipart(form)
            .send()
            .await
            .unwrap()
    }

    /// A fake with `limits` (None: none) and a client for it.
    async fn serve(limits: Option<FakeLimits>) -> (FakeBotApi, reqwest::Client) {
        (
            FakeBotApi::start(limits).await.unwrap(),
            reqwest::Client::new(),
        )
    }

    fn limits(global: u32, rate: u32, burst: u32) -> Option<FakeLimits> {
        Some(FakeLimits {
            global_per_second: global,
            per_chat_per_second: rate,
            per_chat_burst: burst,
        })
    }

    /// One text to each of the chats `chats`, all at once.
    async fn send_to_all(
        client: &reqwest::Client,
        api: &FakeBotApi,
        chats: impl Iterator<Item = i64>,
        text: &str,
    ) -> Vec<(u16, Value)> {
        futures::future::join_all(chats.map(|chat| {
            post(
                client,
                api,
                "sendMessage",
                json!({"chat_id": chat, "text": text}),
            )
        }))
        .await
    }

    #[tokio::test]
    async fn send_message_answers_like_telegram() {
        let (api, client) = serve(None).await;
        let (status, body) = post(
            &client,
            &api,
            "sendMessage",
            json!({"chat_id": 42, "text": "你好 \"quoted\"", "parse_mode": "HTML"}),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["ok"], json!(true));
        assert_eq!(body["result"]["message_id"], json!(1));
        assert_eq!(body["result"]["chat"], json!({"id": 42, "type": "private"}));
        assert_eq!(body["result"]["text"], json!("你好 \"quoted\""));
        assert!(body["result"]["date"].as_u64().unwrap() > 1_700_000_000);

        // A chat id as a string, as some clients send it; message ids count up.
        let (_, body) = post(
            &client,
            &api,
            "sendMessage",
            json!({"chat_id": "43", "text": "x"}),
        )
        .await;
        assert_eq!(body["result"]["message_id"], json!(2));
        assert_eq!(body["result"]["chat"]["id"], json!(43));

        let stats = api.stats();
        assert_eq!(stats.requests, 2);
        assert_eq!(stats.ok, 2);
        assert_eq!(stats.too_many_requests, 0);
        assert_eq!(
            stats.by_method,
            BTreeMap::from([("sendMessage".to_string(), 2)])
        );
        assert_eq!(stats.distinct_chats, 2);
        assert_eq!(stats.max_per_second, 2);
    }

    #[tokio::test]
    async fn send_venue_answers_like_a_send() {
        let (api, client) = serve(None).await;
        let venue = json!({
            "chat_id": 42, "latitude": 30.59, "longitude": 114.3,
            "title": "党校", "address": "和平大道 1 号",
        });
        let (status, body) = post(&client, &api, "sendVenue", venue).await;
        assert_eq!(status, 200);
        assert_eq!(body["ok"], json!(true));
        assert_eq!(body["result"]["message_id"], json!(1));
        assert_eq!(body["result"]["chat"], json!({"id": 42, "type": "private"}));
        let (status, body) = post(&client, &api, "sendVenue", json!({"latitude": 1})).await;
        assert_eq!(status, 400);
        assert_eq!(body["description"], json!("Bad Request: chat_id is empty"));
        let stats = api.stats();
        assert_eq!(stats.by_method["sendVenue"], 2);
        assert_eq!(stats.ok, 1);
        assert_eq!(stats.distinct_chats, 1);
    }

    #[tokio::test]
    async fn other_methods_answer_like_telegram() {
        let (api, client) = serve(None).await;
        for method in [
            "answerCallbackQuery",
            "setMyCommands",
            "deleteWebhook",
            "editMessageReplyMarkup",
        ] {
            let (status, body) = post(&client, &api, method, json!({"chat_id": 1})).await;
            assert_eq!(
                (status, body),
                (200, json!({"ok": true, "result": true})),
                "{method}"
            );
        }
        let (status, body) = post(&client, &api, "getUpdates", json!({"timeout": 30})).await;
        assert_eq!((status, body), (200, json!({"ok": true, "result": []})));
        let (_, body) = post(&client, &api, "getMe", json!({})).await;
        assert_eq!(body["result"]["id"], json!(123456));
        assert_eq!(body["result"]["is_bot"], json!(true));
        assert_eq!(body["result"]["username"], json!("weike_bench_bot"));
        // teloxide's `Me` parses it.
        let me: teloxide::types::Me = serde_json::from_value(body["result"].clone()).unwrap();
        assert_eq!(me.username(), "weike_bench_bot");

        let (status, body) = post(&client, &api, "sendMessage", json!({"text": "no chat"})).await;
        assert_eq!(status, 400);
        assert_eq!(body["description"], json!("Bad Request: chat_id is empty"));
        let (status, _) = post(&client, &api, "sendPigeon", json!({"chat_id": 1})).await;
        assert_eq!(status, 404);

        let stats = api.stats();
        assert_eq!(stats.requests, 8);
        assert_eq!(stats.ok, 6);
        assert_eq!(stats.by_method["sendPigeon"], 1);
        assert_eq!(stats.distinct_chats, 0);
        assert_eq!(stats.max_per_second, 0);
    }

    #[tokio::test]
    async fn multipart_uploads_answer_with_a_file_id() {
        let (api, client) = serve(None).await;
        // As BotApi::call_with_file builds it: the file first, then the text fields.
        let mut audio = vec![0u8; 64 * 1024];
        // Content that looks like a field must not be taken for one.
        let fake = b"\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n1\r\n";
        audio[100..100 + fake.len()].copy_from_slice(fake);
        let form = reqwest::multipart::Form::new()
            .part(
                "voice",
                reqwest::multipart::Part::bytes(audio.clone()).file_name("chat_id.ogg"),
            )
            .text("caption", "listen")
            .text("chat_id", "7001")
            .text("reply_markup", r#"{"inline_keyboard":[]}"#);
        let response = post_form(&client, &api, "sendVoice", form).await;
        assert_eq!(response.status().as_u16(), 200);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"]["voice"]["file_id"], json!("V1"));
        assert_eq!(body["result"]["voice"]["file_unique_id"], json!("U1"));
        assert_eq!(body["result"]["chat"]["id"], json!(7001));

        let form = reqwest::multipart::Form::new()
            .text("chat_id", "-1007002")
            .part(
                "audio",
                reqwest::multipart::Part::bytes(audio).file_name("a.mp3"),
            );
        let response = post_form(&client, &api, "sendAudio", form).await;
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["result"]["audio"]["file_id"], json!("A1"));
        assert_eq!(body["result"]["chat"]["id"], json!(-1007002));

        // A second send of the same file by id is JSON.
        let (_, body) = post(
            &client,
            &api,
            "sendVoice",
            json!({"chat_id": 7003, "voice": "V1"}),
        )
        .await;
        assert_eq!(body["result"]["voice"]["file_id"], json!("V1"));

        let form = reqwest::multipart::Form::new().part(
            "voice",
            reqwest::multipart::Part::bytes(vec![1, 2, 3]).file_name("v.ogg"),
        );
        let response = post_form(&client, &api, "sendVoice", form).await;
        assert_eq!(response.status().as_u16(), 400);

        let stats = api.stats();
        assert_eq!(stats.requests, 4);
        assert_eq!(stats.ok, 3);
        assert_eq!(
            stats.by_method,
            BTreeMap::from([("sendAudio".to_string(), 1), ("sendVoice".to_string(), 3)])
        );
        assert_eq!(stats.distinct_chats, 3);
    }

    #[tokio::test]
    async fn global_limit_answers_429_beyond_30_a_second() {
        let (api, client) = serve(limits(30, 1, 3)).await;
        let started = Instant::now();
        let answers = send_to_all(&client, &api, 1000..1031, "hi").await;
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "too slow for this test"
        );
        let refused: Vec<_> = answers
            .iter()
            .filter(|(status, _)| *status == 429)
            .collect();
        assert_eq!(
            answers.iter().filter(|(status, _)| *status == 200).count(),
            30
        );
        assert_eq!(refused.len(), 1);
        assert_eq!(
            refused[0].1,
            json!({
                "ok": false,
                "error_code": 429,
                "description": "Too Many Requests: retry after 1",
                "parameters": {"retry_after": 1}
            })
        );
        let stats = api.stats();
        assert_eq!(stats.requests, 31);
        assert_eq!(stats.ok, 30);
        assert_eq!(stats.too_many_requests, 1);
        assert_eq!(stats.by_method["sendMessage"], 31);
        assert_eq!(stats.distinct_chats, 30);
        assert_eq!(stats.max_per_second, 30);
    }

    #[tokio::test]
    async fn per_chat_limit_allows_a_burst_of_3() {
        let (api, client) = serve(limits(30, 1, 3)).await;
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(
                status(
                    &client,
                    &api,
                    "sendMessage",
                    json!({"chat_id": 5, "text": "x"}),
                )
                .await,
            );
        }
        assert_eq!(statuses, [200, 200, 200, 429]);
        // Another chat is not affected; non-send methods are never limited.
        assert_eq!(
            status(&client, &api, "sendMessage", json!({"chat_id": 6})).await,
            200
        );
        assert_eq!(
            status(&client, &api, "answerCallbackQuery", json!({})).await,
            200
        );
        let stats = api.stats();
        assert_eq!(stats.requests, 6);
        assert_eq!(stats.ok, 5);
        assert_eq!(stats.too_many_requests, 1);
        assert_eq!(stats.distinct_chats, 2);
        assert_eq!(stats.max_per_second, 4);

        // Lifting the limits lets the chat through at once.
        api.set_limits(None);
        assert_eq!(
            status(&client, &api, "sendMessage", json!({"chat_id": 5})).await,
            200
        );
        api.reset_stats();
        assert_eq!(api.stats(), FakeStats::default());
    }

    #[tokio::test]
    async fn per_chat_allowance_refills() {
        // One token, back after 50 ms.
        let (api, client) = serve(limits(0, 20, 1)).await;
        assert_eq!(
            status(&client, &api, "sendMessage", json!({"chat_id": 9})).await,
            200
        );
        assert_eq!(
            status(&client, &api, "sendMessage", json!({"chat_id": 9})).await,
            429
        );
        tokio::time::sleep(Duration::from_millis(60)).await;
        assert_eq!(
            status(&client, &api, "sendMessage", json!({"chat_id": 9})).await,
            200
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn two_thousand_concurrent_sends_without_limits() {
        let (api, client) = serve(None).await;
        let started = Instant::now();
        let answers = send_to_all(&client, &api, 0..2000, "早上好").await;
        let cold = started.elapsed();
        assert!(
            answers
                .iter()
                .all(|(status, body)| *status == 200 && body["ok"] == json!(true))
        );
        let mut ids: Vec<_> = answers
            .iter()
            .map(|(_, b)| b["result"]["message_id"].as_i64().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 2000);
        let stats = api.stats();
        assert_eq!(stats.requests, 2000);
        assert_eq!(stats.ok, 2000);
        assert_eq!(stats.too_many_requests, 0);
        assert_eq!(stats.by_method["sendMessage"], 2000);
        assert_eq!(stats.distinct_chats, 2000);
        assert!(stats.max_per_second > 0 && stats.max_per_second <= 2000);

        // Again over the now open connections.
        api.reset_stats();
        let started = Instant::now();
        let answers = send_to_all(&client, &api, 0..2000, "早上好").await;
        let warm = started.elapsed();
        assert!(answers.iter().all(|(status, _)| *status == 200));
        assert_eq!(api.stats().ok, 2000);
        println!(
            "2000 concurrent sends: {:.0} req/s with new connections, {:.0} req/s reusing them",
            2000.0 / cold.as_secs_f64(),
            2000.0 / warm.as_secs_f64()
        );
    }

    /// Throughput with a client that costs next to nothing: raw HTTP/1.1 over 32 keep-alive
    /// connections. `cargo test --lib bench -- --ignored --nocapture`
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "informative throughput figure"]
    async fn throughput_with_a_raw_client() {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        const CONNECTIONS: u64 = 32;
        const PER_CONNECTION: u64 = 1000;
        let api = FakeBotApi::start(None).await.unwrap();
        let addr = api.addr;
        let started = Instant::now();
        let tasks: Vec<_> = (0..CONNECTIONS)
            .map(|c| {
                tokio::spawn(async move {
                    let mut tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
                    tcp.set_nodelay(true).unwrap();
                    let mut buf = Vec::with_capacity(1024);
                    for i in 0..PER_CONNECTION {
                        let body = format!(r#"{{"chat_id":{},"text":"早上好"}}"#, c * PER_CONNECTION + i);
                        let request = format!(
                            "POST /bot{TOKEN}/sendMessage HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{body}",
                            body.len()
                        );
                        tcp.write_all(request.as_bytes()).await.unwrap();
                        buf.clear();
                        loop {
                            let mut chunk = [0u8; 1024];
                            let n = tcp.read(&mut chunk).await.unwrap();
                            assert!(n > 0);
                            buf.extend_from_slice(&chunk[..n]);
                            if let Some(head) = find(&buf, b"\r\n\r\n") {
                                let text = std::str::from_utf8(&buf[..head]).unwrap();
                                assert!(text.starts_with("HTTP/1.1 200"), "{text}");
                                let length: usize = text
                                    .lines()
                                    .find_map(|l| l.strip_prefix("content-length: "))
                                    .unwrap()
                                    .parse()
                                    .unwrap();
                                if buf.len() >= head + 4 + length {
                                    break;
                                }
                            }
                        }
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
        let elapsed = started.elapsed();
        let stats = api.stats();
        assert_eq!(stats.ok, CONNECTIONS * PER_CONNECTION);
        println!(
            "raw client: {:.0} req/s ({} requests in {elapsed:?}), max_per_second {}",
            stats.ok as f64 / elapsed.as_secs_f64(),
            stats.ok,
            stats.max_per_second
        );
    }

    #[tokio::test]
    async fn dropping_stops_the_server() {
        let (api, client) = serve(None).await;
        let target = url(&api, "getMe");
        assert!(
            client
                .post(&target)
                .send()
                .await
                .unwrap()
                .status()
                .is_success()
        );
        drop(api);
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(reqwest::Client::new().post(&target).send().await.is_err());
    }

    fn limited(global: u32, rate: u32, burst: u32) -> Counters {
        Counters::new(limits(global, rate, burst))
    }

    const MS: u64 = 1_000_000;

    #[test]
    fn global_window_slides() {
        let mut c = limited(3, 0, 1);
        assert_eq!(c.send(0, 1), Some(1));
        assert_eq!(c.send(400 * MS, 2), Some(2));
        assert_eq!(c.send(800 * MS, 3), Some(3));
        assert_eq!(c.send(999 * MS, 4), None);
        // The send at 0 leaves the window at 1 s.
        assert_eq!(c.send(SECOND_NS, 4), Some(4));
        assert_eq!(c.send(SECOND_NS + 1, 5), None);
        assert_eq!(c.send(1400 * MS, 5), Some(5));
        assert_eq!((c.ok, c.too_many_requests, c.max_per_second), (5, 2, 3));

        // After a reset the limit still remembers recent sends, the statistics do not.
        c.reset_stats();
        assert_eq!(c.send(1500 * MS, 6), None);
        assert_eq!(c.send(1800 * MS, 6), Some(6));
        assert_eq!((c.ok, c.too_many_requests, c.max_per_second), (1, 1, 1));
        assert_eq!(c.send(2500 * MS, 7), Some(7));
        assert_eq!(c.max_per_second, 2);
    }

    #[test]
    fn max_per_second_without_limits() {
        let mut c = Counters::new(None);
        // 10 sends 100 ms apart, then 50 within 50 ms.
        for i in 0..10 {
            c.send(i * 100 * MS, 1);
        }
        assert_eq!(c.max_per_second, 10);
        for i in 0..50 {
            c.send(5 * SECOND_NS + i * MS, i as i64);
        }
        assert_eq!(c.max_per_second, 50);
        assert_eq!(c.chats.len(), 50);
    }

    #[test]
    fn per_chat_state_stays_small_with_a_million_chats() {
        // 1,000 sends a second to 1,000,000 distinct chats: a chat's bucket is full again
        // 1 s after its send, so about 1,000 chats are live at any time.
        let mut c = limited(1000, 1, 3);
        let mut biggest = 0;
        for chat in 0..1_000_000i64 {
            let now = chat as u64 * MS + 1;
            assert!(c.send(now, chat).is_some());
            biggest = biggest.max(c.limiter.as_ref().unwrap().chats.len());
        }
        assert!(biggest <= 2 * MIN_PRUNE_AT, "{biggest}");
        assert_eq!(c.chats.len(), 1_000_000);
        assert_eq!(c.max_per_second, 1000);
    }

    #[test]
    fn multipart_fields_are_found() {
        let body = b"--XYZ\r\nContent-Disposition: form-data; name=\"voice\"; filename=\"chat_id\"\r\n\r\n\x00\r\n--X\r\n--XYZ\r\nContent-Disposition: form-data; name=\"chat_id\"\r\n\r\n 12 \r\n--XYZ--\r\n";
        let ct = "multipart/form-data; boundary=XYZ";
        assert_eq!(multipart_field(ct, body, b"chat_id"), Some(&b" 12 "[..]));
        assert_eq!(
            multipart_field(ct, body, b"voice"),
            Some(&b"\x00\r\n--X"[..])
        );
        assert_eq!(multipart_field(ct, body, b"caption"), None);
        assert_eq!(
            multipart_field("multipart/form-data", body, b"chat_id"),
            None
        );
        assert_eq!(find(b"abcabd", b"abd"), Some(3));
        assert_eq!(find(b"ab", b"abc"), None);
    }
}
