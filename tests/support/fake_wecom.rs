//! A fake WeCom server API for one self-built app, on 127.0.0.1, for integration tests; and
//! fake members who send the app's callback URL encrypted messages, card clicks and
//! location reports.
//!
//! ```ignore
//! let wecom = FakeWecom::start().await;
//! let client = WecomClient::new(&wecom.config(), Arc::new(SystemClock))?;
//! client.send("zhangsan", &Message::Text("你好".into()), &SendOptions::default()).await?;
//! assert_eq!(wecom.received("zhangsan")[0].text(), Some("你好"));
//! wecom.revoke_tokens(); // the next call is answered 40014
//! ```
//!
//! The rules it enforces, each from WeCom's official server API documentation
//! (developer.work.weixin.qq.com/document/path/…), written from the documentation rather
//! than from the client, on purpose:
//!
//! | rule | answer | page |
//! |---|---|---|
//! | `gettoken` needs the corp id and the app's secret | 41002 / 41004 missing, 40013 wrong corp id, 40001 wrong secret | 91039 获取access_token |
//! | a token lives `expires_in` (7200 s unless [`FakeWecom::set_expires_in`]); [`FakeWecom::expire_tokens`] ends them | 42001 access_token已过期 | 91039, 90313 全局错误码 |
//! | a token can be invalidated early ([`FakeWecom::revoke_tokens`]) | 40014 不合法的access_token | 91039 ("企业微信可能会出于运营需要，提前使access_token失效"), 90313 |
//! | every call but gettoken carries `access_token` | 41001 缺少access_token参数 | 90313 |
//! | `message/send`: `agentid` is ours | 41011 missing, 40056 不合法的agentid | 90236 发送应用消息 |
//! | `touser`: at most 1,000 UserIDs joined by `\|`; unknown ones are listed in `invaliduser` (lowercase), all unknown fails | 81013 | 90236 |
//! | `msgtype` is one of text, markdown, textcard, news, template_card, image, voice, file (the ones weike sends) | 40008 不合法的msgtype参数 | 90236 |
//! | text / markdown `content`: a non-empty string of at most 2,048 bytes | 44004 empty; 45002 消息内容大小超过限制 (WeCom truncates instead: the fake refuses, so that a client bug shows) | 90236 |
//! | textcard: `title` ≤ 128 characters, `description` required ≤ 512 characters, `url` required ≤ 2,048 bytes, `btntxt` ≤ 4 characters | 41016 / 41033 / 41010 missing, 45002 too long | 90236 |
//! | news: 1 to 8 `articles`, each with `title` (≤ 128 bytes) and `url` (≤ 2,048 bytes), `description` ≤ 512 bytes | 45008 图文消息的文章数量不符合系统限制, 41016 / 41010 missing, 45002 too long | 90236 |
//! | image / voice / file: `media_id` of an upload of that type, younger than 3 days | 41006 missing, 40007 不合法的media_id参数 | 90236, 90253 上传临时素材 |
//! | template_card `button_interaction`: `main_title.title`, `task_id` (digits, letters, `_-@`, ≤ 128 bytes, never reused in the app), 1 to 6 buttons each with `text` and a `key` ≤ 1,024 bytes, keys distinct; answers a `response_code` | 40058 不合法的参数 | 90236 |
//! | `enable_duplicate_check`: 0 or 1; the same body again within `duplicate_check_interval` (default 1,800 s, at most 4 h) is not delivered | counted by [`FakeWecom::duplicates_suppressed`] | 90236 |
//! | fields of the wrong JSON type | 40058 | 90313 |
//! | per member: 30 messages a minute and 1,000 an hour; beyond, dropped silently (errcode 0) | counted by [`FakeWecom::dropped`] | 90236 ("超过部分会被丢弃不下发"), 90312 频率限制 |
//! | `media/upload?type=`: image, voice, video or file, a multipart part named `media` with a file name | 40005 不合法的type参数, 41006 / 44001 no file | 90253 |
//! | every file larger than 5 bytes; image ≤ 10 MB JPG/PNG, voice ≤ 2 MB AMR ≤ 60 s, video ≤ 10 MB, file ≤ 20 MB | 40006 不合法的文件大小, 40009 image size, 45001 too large, 40004 不合法的媒体文件类型, 45007 语音播放时间超过限制 | 90253 上传的媒体文件限制 |
//! | `update_template_card`: `agentid`, `userids`, a `response_code` from a send or a click, usable once, within 72 h; `button.replace_name` or a `template_card` | 40058 (the documentation names no code for a used one) | 94888 更新模版卡片消息 |
//! | callbacks: `msg_signature` over [Token, timestamp, nonce, Encrypt], AES with the EncodingAESKey, receiver id = corp id | (the fake signs and encrypts what it sends) | 90968 加解密方案说明, 90238 接收消息与事件 |
//!
//! Time: the rate windows, `response_code` lifetimes and media lifetimes run on the fake's
//! own clock: the real one (or the test's, [`FakeWecom::start_with_clock`]) plus
//! [`FakeWecom::advance`].

use std::collections::{BTreeSet, HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use weike::clock::Clock;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Query, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;

use weike::channel::wecom::callback;
use weike::channel::wecom::client::WecomConfig;
use weike::channel::wecom::crypto::WecomCrypto;

pub const CORP_ID: &str = "wwfake0123456789ab";
pub const SECRET: &str = "fake-App-Secret_0123456789abcdefghijklmnop";
pub const AGENT_ID: i64 = 1000002;
/// The callback's Token and EncodingAESKey.
pub const CALLBACK_TOKEN: &str = "fakeCallbackToken";
pub const CALLBACK_AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
/// Members in the app's visible range at the start.
pub const MEMBERS: &[&str] = &["zhangsan", "lisi", "wangwu"];

const PER_MINUTE: usize = 30;
const PER_HOUR: usize = 1000;
const MEDIA_LIFETIME: Duration = Duration::from_secs(3 * 24 * 3600);
const RESPONSE_CODE_LIFETIME: Duration = Duration::from_secs(72 * 3600);

/// A message a member received.
#[derive(Debug, Clone)]
pub struct Delivered {
    pub msgtype: String,
    /// The body's field named after the msgtype (`{"content": ...}` for text).
    pub payload: Value,
    pub msgid: String,
}

impl Delivered {
    /// The content of a text or markdown message.
    pub fn text(&self) -> Option<&str> {
        self.payload["content"].as_str()
    }
}

/// One request the fake answered.
#[derive(Debug, Clone)]
pub struct Call {
    pub path: String,
    pub errcode: i64,
}

/// An accepted upload.
#[derive(Debug, Clone)]
pub struct Upload {
    pub media_id: String,
    pub kind: String,
    pub file_name: String,
    pub size: usize,
    /// The file's first bytes (a voice's AMR magic number).
    pub head: Vec<u8>,
    /// A voice's length in milliseconds, as the fake measured it from its frames.
    pub voice_ms: Option<u64>,
}

/// An accepted card update.
#[derive(Debug, Clone)]
pub struct CardUpdate {
    pub userids: Vec<String>,
    pub response_code: String,
    /// `button.replace_name`, or None when the whole card was replaced.
    pub replace_name: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum TokenState {
    Valid,
    Expired,
    Revoked,
}

#[derive(Debug)]
struct Token {
    state: TokenState,
    expires: DateTime<Utc>,
}

#[derive(Debug)]
struct Code {
    users: Vec<String>,
    issued: DateTime<Utc>,
    used: bool,
}

#[derive(Default)]
struct FakeState {
    members: BTreeSet<String>,
    expires_in: Option<u64>,
    tokens: HashMap<String, Token>,
    issued_tokens: u64,
    gettoken_calls: usize,
    calls: Vec<Call>,
    received: HashMap<String, Vec<Delivered>>,
    recent: HashMap<String, VecDeque<DateTime<Utc>>>,
    dropped: HashMap<String, usize>,
    bodies: HashMap<String, DateTime<Utc>>,
    duplicates_suppressed: usize,
    media: HashMap<String, (Upload, DateTime<Utc>)>,
    task_ids: HashSet<String>,
    codes: HashMap<String, Code>,
    card_updates: Vec<CardUpdate>,
    offset: Duration,
    /// The clock the fake's time runs on (the test's manual clock), else the real one.
    clock: Option<Arc<dyn Clock>>,
    /// Woken when a message has been delivered.
    delivered: Arc<tokio::sync::Notify>,
    counter: u64,
}

impl FakeState {
    fn now(&self) -> DateTime<Utc> {
        let base = self.clock.as_ref().map_or_else(Utc::now, |c| c.now());
        after(base, self.offset)
    }

    fn next(&mut self) -> u64 {
        self.counter += 1;
        self.counter
    }
}

type Shared = Arc<Mutex<FakeState>>;

pub struct FakeWecom {
    addr: SocketAddr,
    state: Shared,
    http: reqwest::Client,
    shutdown: Option<oneshot::Sender<()>>,
}

impl Drop for FakeWecom {
    fn drop(&mut self) {
        if let Some(s) = self.shutdown.take() {
            let _ = s.send(());
        }
    }
}

/// An errcode and its errmsg.
type Refusal = (i64, String);

fn refuse<T>(errcode: i64, errmsg: impl Into<String>) -> Result<T, Refusal> {
    Err((errcode, errmsg.into()))
}

impl FakeWecom {
    pub async fn start() -> FakeWecom {
        Self::start_on(None).await
    }

    /// A fake whose time is `clock`'s (the service's manual clock), so that its rate
    /// windows see the service's sends as the service spaced them.
    pub async fn start_with_clock(clock: Arc<dyn Clock>) -> FakeWecom {
        Self::start_on(Some(clock)).await
    }

    async fn start_on(clock: Option<Arc<dyn Clock>>) -> FakeWecom {
        let state: Shared = Arc::new(Mutex::new(FakeState {
            members: MEMBERS.iter().map(|m| m.to_string()).collect(),
            clock,
            ..FakeState::default()
        }));
        let app = Router::new()
            .route("/cgi-bin/gettoken", get(gettoken))
            .route("/cgi-bin/message/send", post(send))
            .route("/cgi-bin/media/upload", post(upload))
            .route("/cgi-bin/message/update_template_card", post(update_card))
            .layer(DefaultBodyLimit::max(32 << 20))
            .with_state(Arc::clone(&state));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake WeCom: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake WeCom: local address");
        let (shutdown, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("fake WeCom: server failed");
        });
        FakeWecom {
            addr,
            state,
            http: reqwest::Client::new(),
            shutdown: Some(shutdown),
        }
    }

    fn lock(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The API root to give the client (`http://127.0.0.1:PORT/cgi-bin`).
    pub fn api_base(&self) -> String {
        format!("http://{}/cgi-bin", self.addr)
    }

    /// The app's configuration pointed at the fake.
    pub fn config(&self) -> WecomConfig {
        WecomConfig {
            corp_id: CORP_ID.into(),
            secret: SECRET.into(),
            agent_id: AGENT_ID,
            api_base: Some(self.api_base()),
            timeout: Duration::from_secs(10),
        }
    }

    /// The callback's crypto (the app's Token, EncodingAESKey and the corp id).
    pub fn crypto() -> WecomCrypto {
        WecomCrypto::new(CALLBACK_TOKEN, CALLBACK_AES_KEY, CORP_ID).expect("fake WeCom: key")
    }

    // ----- the world -----

    pub fn add_member(&self, userid: &str) {
        self.lock().members.insert(userid.to_lowercase());
    }

    /// The member leaves the corp (or the app's visible range).
    pub fn remove_member(&self, userid: &str) {
        self.lock().members.remove(&userid.to_lowercase());
    }

    /// Tokens issued from now on live `seconds`.
    pub fn set_expires_in(&self, seconds: u64) {
        self.lock().expires_in = Some(seconds);
    }

    /// Every token issued so far has expired (42001).
    pub fn expire_tokens(&self) {
        for t in self.lock().tokens.values_mut() {
            t.state = TokenState::Expired;
        }
    }

    /// Every token issued so far is invalidated early (40014).
    pub fn revoke_tokens(&self) {
        for t in self.lock().tokens.values_mut() {
            t.state = TokenState::Revoked;
        }
    }

    /// Moves the fake's clock forward.
    pub fn advance(&self, by: Duration) {
        self.lock().offset += by;
    }

    // ----- what happened -----

    pub fn gettoken_calls(&self) -> usize {
        self.lock().gettoken_calls
    }

    pub fn calls(&self) -> Vec<Call> {
        self.lock().calls.clone()
    }

    /// The calls to `path` (e.g. `message/send`) and their errcodes.
    pub fn errcodes(&self, path: &str) -> Vec<i64> {
        self.lock()
            .calls
            .iter()
            .filter(|c| c.path == path)
            .map(|c| c.errcode)
            .collect()
    }

    /// What `userid` received, in order.
    pub fn received(&self, userid: &str) -> Vec<Delivered> {
        self.lock()
            .received
            .get(&userid.to_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    /// Waits (up to 60 s of real time) until `userid` has received `count` messages; what
    /// they received. For tests of the real binary, which runs on the real clock.
    pub async fn wait_for_received(&self, userid: &str, count: usize) -> Vec<Delivered> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let delivered = self.lock().delivered.clone();
            // Register before looking, so that a delivery in between wakes us.
            let woken = delivered.notified();
            tokio::pin!(woken);
            woken.as_mut().enable();
            let got = self.received(userid);
            if got.len() >= count {
                return got;
            }
            if tokio::time::timeout_at(deadline, woken).await.is_err() {
                panic!("fake WeCom: waited 60 s for {count} message(s) to {userid}; got {got:#?}");
            }
        }
    }

    /// Messages to `userid` answered ok but dropped by the per-member limits.
    pub fn dropped(&self, userid: &str) -> usize {
        self.lock()
            .dropped
            .get(&userid.to_lowercase())
            .copied()
            .unwrap_or(0)
    }

    /// All messages dropped by the per-member limits: a test asserts there were none.
    pub fn total_dropped(&self) -> usize {
        self.lock().dropped.values().sum()
    }

    pub fn duplicates_suppressed(&self) -> usize {
        self.lock().duplicates_suppressed
    }

    pub fn uploads(&self) -> Vec<Upload> {
        self.lock().media.values().map(|(u, _)| u.clone()).collect()
    }

    pub fn card_updates(&self) -> Vec<CardUpdate> {
        self.lock().card_updates.clone()
    }

    /// A fresh `response_code` for a card `userid` pressed, as a click's callback carries.
    pub fn issue_response_code(&self, userid: &str) -> String {
        let mut state = self.lock();
        issue_code(&mut state, vec![userid.to_lowercase()])
    }

    // ----- members acting -----

    /// `userid` sends a text to the app: the encrypted callback is POSTed to `url`. The HTTP
    /// status of the answer.
    pub async fn say(&self, url: &str, userid: &str, text: &str) -> u16 {
        let xml = self.text_callback(userid, text);
        self.deliver(url, &xml).await
    }

    /// The decrypted XML of `userid`'s text message (a fresh MsgId), to deliver with
    /// [`Self::deliver`], e.g. twice as WeCom retries.
    pub fn text_callback(&self, userid: &str, text: &str) -> String {
        let (time, msgid) = self.stamp();
        callback_xml(
            userid,
            &time,
            "text",
            &[("Content", text), ("MsgId", &msgid)],
        )
    }

    /// The decrypted XML of `userid`'s click on the button `key` of the card `task_id`
    /// (with a fresh ResponseCode), and the code.
    pub fn click_callback(&self, userid: &str, task_id: &str, key: &str) -> (String, String) {
        let (time, _) = self.stamp();
        let code = self.issue_response_code(userid);
        let xml = callback_xml(
            userid,
            &time,
            "event",
            &[
                ("Event", "template_card_event"),
                ("EventKey", key),
                ("TaskId", task_id),
                ("CardType", "button_interaction"),
                ("ResponseCode", &code),
            ],
        );
        (xml, code)
    }

    /// `userid` leaves the app's visible range: WeCom no longer delivers to them and posts
    /// the `unsubscribe` event.
    pub async fn leave(&self, url: &str, userid: &str) -> u16 {
        self.remove_member(userid);
        let (time, _) = self.stamp();
        let xml = callback_xml(userid, &time, "event", &[("Event", "unsubscribe")]);
        self.deliver(url, &xml).await
    }

    /// The URL check WeCom makes when the callback is configured (a GET with an encrypted,
    /// signed `echostr`): the status and the body of the answer, which must be `echo`.
    pub async fn check_url(&self, url: &str, echo: &str) -> (u16, String) {
        let crypto = Self::crypto();
        let timestamp = self.lock().now().timestamp().to_string();
        let nonce = "1372623149";
        let echostr = crypto.encrypt(echo, [9; 16]);
        let signature = crypto.signature(&timestamp, nonce, &echostr);
        self.get(
            url,
            &[
                ("msg_signature", signature.as_str()),
                ("timestamp", timestamp.as_str()),
                ("nonce", nonce),
                ("echostr", echostr.as_str()),
            ],
        )
        .await
    }

    /// A GET with a query; the status (0: no answer) and the body.
    pub async fn get(&self, url: &str, query: &[(&str, &str)]) -> (u16, String) {
        match self.http.get(url).query(query).send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                (status, r.text().await.unwrap_or_default())
            }
            Err(_) => (0, String::new()),
        }
    }

    /// POSTs `xml` encrypted for the app but signed with another Token (a forgery).
    pub async fn deliver_forged(&self, url: &str, xml: &str) -> u16 {
        let crypto = Self::crypto();
        let forger =
            WecomCrypto::new("notTheToken", CALLBACK_AES_KEY, CORP_ID).expect("fake WeCom: key");
        let timestamp = self.lock().now().timestamp().to_string();
        let encrypted = crypto.encrypt(xml, [7; 16]);
        let signature = forger.signature(&timestamp, "1", &encrypted);
        self.post_callback(url, &signature, &timestamp, "1", &encrypted)
            .await
    }

    /// `userid` presses the button `key` of the card `task_id`; the click carries a fresh
    /// ResponseCode (usable once). The status and the ResponseCode.
    pub async fn click(&self, url: &str, userid: &str, task_id: &str, key: &str) -> (u16, String) {
        let (xml, code) = self.click_callback(userid, task_id, key);
        (self.deliver(url, &xml).await, code)
    }

    /// The app's automatic location report for `userid` (the `LOCATION` event).
    pub async fn report_location(&self, url: &str, userid: &str, lat: f64, lon: f64) -> u16 {
        let (time, _) = self.stamp();
        let xml = callback_xml(
            userid,
            &time,
            "event",
            &[
                ("Event", "LOCATION"),
                ("Latitude", &format!("{lat:.6}")),
                ("Longitude", &format!("{lon:.6}")),
                ("Precision", "30.000000"),
                ("AppType", "wxwork"),
            ],
        );
        self.deliver(url, &xml).await
    }

    /// The fake's current Unix time and a fresh MsgId.
    fn stamp(&self) -> (String, String) {
        let mut state = self.lock();
        let n = state.next();
        let unix = state.now().timestamp();
        (
            unix.to_string(),
            format!("{}", 7_000_000_000_000_000_000u64 + n),
        )
    }

    /// Encrypts, signs and POSTs a callback as WeCom does (each time with a fresh nonce and
    /// random bytes, as WeCom's retries come).
    pub async fn deliver(&self, url: &str, xml: &str) -> u16 {
        let crypto = Self::crypto();
        let (timestamp, n) = {
            let mut state = self.lock();
            let n = state.next();
            (state.now().timestamp().to_string(), n)
        };
        let nonce = format!("{}", 100_000 + n);
        let mut random = [0x5a_u8; 16];
        random[..8].copy_from_slice(&n.to_be_bytes());
        let encrypted = crypto.encrypt(xml, random);
        let signature = crypto.signature(&timestamp, &nonce, &encrypted);
        self.post_callback(url, &signature, &timestamp, &nonce, &encrypted)
            .await
    }

    /// POSTs the `encrypted` callback in its envelope with the signature's query, as WeCom
    /// does; the HTTP status (0: no answer).
    async fn post_callback(
        &self,
        url: &str,
        signature: &str,
        timestamp: &str,
        nonce: &str,
        encrypted: &str,
    ) -> u16 {
        self.http
            .post(url)
            .query(&[
                ("msg_signature", signature),
                ("timestamp", timestamp),
                ("nonce", nonce),
            ])
            .body(callback::envelope(CORP_ID, AGENT_ID, encrypted))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    }
}

/// `at` plus `by`.
fn after(at: DateTime<Utc>, by: Duration) -> DateTime<Utc> {
    at + chrono::Duration::from_std(by).unwrap_or_default()
}

/// How long after `at` it is at `now` (zero if `at` is later).
fn age(now: DateTime<Utc>, at: DateTime<Utc>) -> Duration {
    (now - at).to_std().unwrap_or(Duration::ZERO)
}

fn issue_code(state: &mut FakeState, users: Vec<String>) -> String {
    let n = state.next();
    let code = format!("RC_{n:08}_fake");
    let issued = state.now();
    state.codes.insert(
        code.clone(),
        Code {
            users,
            issued,
            used: false,
        },
    );
    code
}

fn answer(state: &Shared, path: &str, result: Result<Value, Refusal>) -> Response {
    let (errcode, body) = match result {
        Ok(mut body) => {
            body["errcode"] = json!(0);
            body["errmsg"] = json!("ok");
            (0, body)
        }
        Err((errcode, errmsg)) => (errcode, json!({ "errcode": errcode, "errmsg": errmsg })),
    };
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .calls
        .push(Call {
            path: path.to_string(),
            errcode,
        });
    axum::Json(body).into_response()
}

// ----- gettoken -----

async fn gettoken(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let result = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        s.gettoken_calls += 1;
        issue_token(&mut s, &q)
    };
    answer(&state, "gettoken", result)
}

fn issue_token(s: &mut FakeState, q: &HashMap<String, String>) -> Result<Value, Refusal> {
    let corpid = q.get("corpid").filter(|c| !c.is_empty());
    let secret = q.get("corpsecret").filter(|c| !c.is_empty());
    let Some(corpid) = corpid else {
        return refuse(41002, "corpid missing");
    };
    let Some(secret) = secret else {
        return refuse(41004, "corpsecret missing");
    };
    if corpid != CORP_ID {
        return refuse(40013, "invalid corpid");
    }
    if secret != SECRET {
        return refuse(40001, "invalid credential");
    }
    // Within its life the same token is answered again (91039: "有效期内重复获取返回相同结果").
    let now = s.now();
    if let Some((token, t)) = s
        .tokens
        .iter()
        .find(|(_, t)| t.state == TokenState::Valid && t.expires > now)
    {
        let left = age(t.expires, now).as_secs();
        return Ok(json!({ "access_token": token, "expires_in": left }));
    }
    s.issued_tokens += 1;
    let n = s.next();
    let token = format!("fake-token-{}-{n:06}", s.issued_tokens);
    let expires_in = s.expires_in.unwrap_or(7200);
    s.tokens.insert(
        token.clone(),
        Token {
            state: TokenState::Valid,
            expires: after(now, Duration::from_secs(expires_in)),
        },
    );
    Ok(json!({ "access_token": token, "expires_in": expires_in }))
}

fn check_token(s: &FakeState, q: &HashMap<String, String>) -> Result<(), Refusal> {
    let Some(token) = q.get("access_token").filter(|t| !t.is_empty()) else {
        return refuse(41001, "access_token missing");
    };
    match s.tokens.get(token) {
        None => refuse(40014, "invalid access_token"),
        Some(t) if t.state == TokenState::Revoked => refuse(40014, "invalid access_token"),
        Some(t) if t.state == TokenState::Expired || t.expires <= s.now() => {
            refuse(42001, "access_token expired")
        }
        Some(_) => Ok(()),
    }
}

// ----- message/send -----

async fn send(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let (result, delivered) = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        let result = check_token(&s, &q).and_then(|()| send_message(&mut s, &body));
        (result, s.delivered.clone())
    };
    let response = answer(&state, "message/send", result);
    delivered.notify_waiters();
    response
}

fn string<'a>(v: &'a Value, field: &str) -> Result<Option<&'a str>, Refusal> {
    match &v[field] {
        Value::Null => Ok(None),
        Value::String(s) => Ok(Some(s.as_str())),
        other => refuse(40058, format!("{field} must be a string, not {other}")),
    }
}

fn required<'a>(v: &'a Value, field: &str, missing: i64) -> Result<&'a str, Refusal> {
    match string(v, field)? {
        Some(s) if !s.is_empty() => Ok(s),
        _ => refuse(missing, format!("{field} missing")),
    }
}

fn at_most(what: &str, len: usize, max: usize, unit: &str) -> Result<(), Refusal> {
    if len > max {
        return refuse(45002, format!("{what} is {len} {unit}, more than {max}"));
    }
    Ok(())
}

fn send_message(s: &mut FakeState, raw: &str) -> Result<Value, Refusal> {
    let body: Value = match serde_json::from_str(raw) {
        Ok(v @ Value::Object(_)) => v,
        _ => return refuse(40058, "Warning: wrong json format"),
    };
    match &body["agentid"] {
        Value::Null => return refuse(41011, "agentid missing"),
        Value::Number(n) if n.as_i64() == Some(AGENT_ID) => {}
        _ => return refuse(40056, "invalid agentid"),
    }
    let touser = required(&body, "touser", 40031)?;
    let users: Vec<String> = touser.split('|').map(|u| u.trim().to_lowercase()).collect();
    if users.len() > 1000 || users.iter().any(String::is_empty) {
        return refuse(40031, "invalid touser list");
    }
    let msgtype = required(&body, "msgtype", 40008)?.to_string();
    let payload = body[msgtype.as_str()].clone();
    if !payload.is_object() {
        return refuse(40058, format!("{msgtype} missing or not an object"));
    }
    check_payload(s, &msgtype, &payload)?;
    let duplicate_check = match &body["enable_duplicate_check"] {
        Value::Null => false,
        Value::Number(n) if n.as_i64() == Some(0) => false,
        Value::Number(n) if n.as_i64() == Some(1) => true,
        _ => return refuse(40058, "enable_duplicate_check must be 0 or 1"),
    };
    let interval = match &body["duplicate_check_interval"] {
        Value::Null => 1800,
        Value::Number(n) => match n.as_u64() {
            Some(i) if (1..=4 * 3600).contains(&i) => i,
            _ => return refuse(40058, "duplicate_check_interval out of range"),
        },
        _ => return refuse(40058, "duplicate_check_interval must be a number"),
    };

    let (valid, invalid): (Vec<String>, Vec<String>) =
        users.into_iter().partition(|u| s.members.contains(u));
    if valid.is_empty() {
        return refuse(81013, "user & party & tag all invalid");
    }
    if let Some(task_id) = payload["task_id"].as_str() {
        s.task_ids.insert(task_id.to_string());
    }
    let n = s.next();
    let msgid = format!("fake-msg-{n:08}");
    let now = s.now();
    let suppressed = duplicate_check && {
        let key = body.to_string();
        let seen = s
            .bodies
            .get(&key)
            .is_some_and(|at| age(now, *at) < Duration::from_secs(interval));
        if !seen {
            s.bodies.insert(key, now);
        }
        seen
    };
    if suppressed {
        s.duplicates_suppressed += 1;
    } else {
        for user in &valid {
            let recent = s.recent.entry(user.clone()).or_default();
            while recent
                .front()
                .is_some_and(|at| age(now, *at) >= Duration::from_secs(3600))
            {
                recent.pop_front();
            }
            let last_minute = recent
                .iter()
                .filter(|at| age(now, **at) < Duration::from_secs(60))
                .count();
            if last_minute >= PER_MINUTE || recent.len() >= PER_HOUR {
                *s.dropped.entry(user.clone()).or_default() += 1;
                continue;
            }
            recent.push_back(now);
            s.received.entry(user.clone()).or_default().push(Delivered {
                msgtype: msgtype.clone(),
                payload: payload.clone(),
                msgid: msgid.clone(),
            });
        }
    }
    let mut result = json!({ "invaliduser": invalid.join("|"), "msgid": msgid });
    if msgtype == "template_card" {
        result["response_code"] = json!(issue_code(s, valid));
    }
    Ok(result)
}

fn check_payload(s: &FakeState, msgtype: &str, p: &Value) -> Result<(), Refusal> {
    match msgtype {
        "text" | "markdown" => {
            let content = required(p, "content", 44004)?;
            at_most("content", content.len(), 2048, "bytes")
        }
        "textcard" => {
            let title = required(p, "title", 41016)?;
            let description = required(p, "description", 41033)?;
            let url = required(p, "url", 41010)?;
            at_most("title", title.chars().count(), 128, "characters")?;
            at_most(
                "description",
                description.chars().count(),
                512,
                "characters",
            )?;
            at_most("url", url.len(), 2048, "bytes")?;
            if let Some(b) = string(p, "btntxt")? {
                at_most("btntxt", b.chars().count(), 4, "characters")?;
            }
            Ok(())
        }
        "news" => {
            let Some(articles) = p["articles"].as_array() else {
                return refuse(40058, "articles must be a list");
            };
            if articles.is_empty() || articles.len() > 8 {
                return refuse(45008, format!("{} articles", articles.len()));
            }
            for a in articles {
                let title = required(a, "title", 41016)?;
                let url = required(a, "url", 41010)?;
                at_most("title", title.len(), 128, "bytes")?;
                at_most("url", url.len(), 2048, "bytes")?;
                let description = string(a, "description")?.unwrap_or_default();
                at_most("description", description.len(), 512, "bytes")?;
                string(a, "picurl")?;
            }
            Ok(())
        }
        "image" | "voice" | "file" => {
            let media_id = required(p, "media_id", 41006)?;
            match s.media.get(media_id) {
                Some((u, at)) if u.kind == msgtype && age(s.now(), *at) < MEDIA_LIFETIME => Ok(()),
                _ => refuse(40007, "invalid media_id"),
            }
        }
        "template_card" => check_button_card(s, p),
        _ => refuse(40008, format!("invalid message type {msgtype}")),
    }
}

fn check_button_card(s: &FakeState, p: &Value) -> Result<(), Refusal> {
    if string(p, "card_type")? != Some("button_interaction") {
        return refuse(40058, "the fake takes button_interaction cards only");
    }
    required(&p["main_title"], "title", 40058)?;
    let task_id = required(p, "task_id", 40058)?;
    let task_ok = task_id.len() <= 128
        && task_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-@".contains(&b));
    if !task_ok {
        return refuse(40058, "invalid task_id");
    }
    if s.task_ids.contains(task_id) {
        return refuse(40058, "task_id already used in this app");
    }
    let Some(buttons) = p["button_list"].as_array() else {
        return refuse(40058, "button_list must be a list");
    };
    if buttons.is_empty() || buttons.len() > 6 {
        return refuse(40058, format!("{} buttons", buttons.len()));
    }
    let mut keys = HashSet::new();
    for b in buttons {
        required(b, "text", 40058)?;
        let key = required(b, "key", 40058)?;
        if key.len() > 1024 || !keys.insert(key) {
            return refuse(40058, "invalid or repeated button key");
        }
    }
    Ok(())
}

// ----- media/upload -----

async fn upload(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    multipart: Multipart,
) -> Response {
    let token = check_token(&state.lock().unwrap_or_else(|p| p.into_inner()), &q);
    let result = match token {
        Ok(()) => read_upload(q.get("type").cloned().unwrap_or_default(), multipart).await,
        Err(e) => Err(e),
    };
    let result = result.map(|(kind, file_name, bytes)| {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        let n = s.next();
        let media_id = format!("fake-media-{kind}-{n:06}");
        let now = s.now();
        s.media.insert(
            media_id.clone(),
            (
                Upload {
                    media_id: media_id.clone(),
                    kind: kind.clone(),
                    file_name,
                    size: bytes.len(),
                    head: bytes[..bytes.len().min(16)].to_vec(),
                    voice_ms: (kind == "voice")
                        .then(|| amr_milliseconds(&bytes))
                        .flatten(),
                },
                now,
            ),
        );
        let created_at = now.timestamp().to_string();
        json!({ "type": kind, "media_id": media_id, "created_at": created_at })
    });
    answer(&state, "media/upload", result)
}

async fn read_upload(
    kind: String,
    mut multipart: Multipart,
) -> Result<(String, String, Vec<u8>), Refusal> {
    let limit = match kind.as_str() {
        "image" | "video" => 10 << 20,
        "voice" => 2 << 20,
        "file" => 20 << 20,
        _ => return refuse(40005, "invalid media type"),
    };
    let mut file = None;
    while let Ok(Some(field)) = multipart.next_field().await {
        if field.name() != Some("media") {
            continue;
        }
        let Some(name) = field.file_name().map(str::to_string) else {
            return refuse(41006, "the media part has no filename");
        };
        let bytes = field
            .bytes()
            .await
            .map_err(|e| (40058, format!("unreadable upload: {e}")))?;
        file = Some((name, bytes.to_vec()));
    }
    let Some((name, bytes)) = file else {
        return refuse(44001, "empty media data");
    };
    if bytes.len() <= 5 {
        return refuse(40006, "invalid file size");
    }
    if bytes.len() > limit {
        let code = if kind == "image" { 40009 } else { 45001 };
        return refuse(code, format!("{} bytes, more than {limit}", bytes.len()));
    }
    match kind.as_str() {
        "image" if !(bytes.starts_with(b"\xFF\xD8\xFF") || bytes.starts_with(b"\x89PNG")) => {
            return refuse(40004, "invalid media type: JPG or PNG only");
        }
        "voice" => match amr_milliseconds(&bytes) {
            None => return refuse(40004, "invalid media type: AMR only"),
            Some(ms) if ms > 60_000 => return refuse(45007, "voice longer than 60 s"),
            Some(_) => {}
        },
        "video" if bytes.get(4..8) != Some(b"ftyp".as_slice()) => {
            return refuse(40004, "invalid media type: MP4 only");
        }
        _ => {}
    }
    Ok((kind, name, bytes))
}

/// The length of an AMR-NB file (3GPP TS 26.101 frame sizes, header byte included).
fn amr_milliseconds(bytes: &[u8]) -> Option<u64> {
    const FRAME: [usize; 16] = [13, 14, 16, 18, 20, 21, 27, 32, 6, 0, 0, 0, 0, 0, 0, 1];
    let mut at = 6;
    if bytes.get(..at) != Some(b"#!AMR\n".as_slice()) {
        return None;
    }
    let mut ms = 0;
    while at < bytes.len() {
        let size = FRAME[usize::from(bytes[at] >> 3 & 0x0F)];
        if size == 0 || at + size > bytes.len() {
            return None;
        }
        at += size;
        ms += 20;
    }
    Some(ms)
}

// ----- message/update_template_card -----

async fn update_card(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    body: String,
) -> Response {
    let result = {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        check_token(&s, &q).and_then(|()| apply_update(&mut s, &body))
    };
    answer(&state, "message/update_template_card", result)
}

fn apply_update(s: &mut FakeState, raw: &str) -> Result<Value, Refusal> {
    let Ok(body) = serde_json::from_str::<Value>(raw) else {
        return refuse(40058, "Warning: wrong json format");
    };
    if body["agentid"].as_i64() != Some(AGENT_ID) {
        return refuse(40056, "invalid agentid");
    }
    let userids: Vec<String> = match body["userids"].as_array() {
        Some(list) if !list.is_empty() && list.len() <= 1000 => list
            .iter()
            .map(|u| u.as_str().map(str::to_lowercase))
            .collect::<Option<_>>()
            .ok_or((40058, "userids must be strings".to_string()))?,
        _ => return refuse(40058, "userids missing"),
    };
    let code_text = required(&body, "response_code", 40058)?.to_string();
    let replace_name = string(&body["button"], "replace_name")?.map(str::to_string);
    if replace_name.is_none() && !body["template_card"].is_object() {
        return refuse(40058, "button.replace_name or template_card needed");
    }
    let now = s.now();
    let Some(code) = s.codes.get_mut(&code_text) else {
        return refuse(40058, "invalid response_code");
    };
    if code.used || age(now, code.issued) >= RESPONSE_CODE_LIFETIME {
        return refuse(40058, "response_code used or expired");
    }
    if !userids.iter().all(|u| code.users.contains(u)) {
        return refuse(40058, "userids not among the card's recipients");
    }
    code.used = true;
    s.card_updates.push(CardUpdate {
        userids,
        response_code: code_text,
        replace_name,
    });
    Ok(json!({ "invaliduser": [] }))
}

/// The decrypted XML of a callback from `userid` to the app, made at `time` (Unix seconds):
/// its `MsgType` (`text`, `event`, ...), the `fields` of its kind, and the AgentID (the
/// order of the fields does not matter to a reader of the XML).
fn callback_xml(userid: &str, time: &str, msg_type: &str, fields: &[(&str, &str)]) -> String {
    let agent = AGENT_ID.to_string();
    let mut all = vec![
        ("ToUserName", CORP_ID),
        ("FromUserName", userid),
        ("CreateTime", time),
        ("MsgType", msg_type),
    ];
    all.extend_from_slice(fields);
    all.push(("AgentID", &agent));
    callback::xml(&all)
}
