//! A lean fake WeCom server API on 127.0.0.1 for `weike bench delivery --channel wecom`.
//!
//! It answers what the delivery engine calls (`gettoken`, `message/send`,
//! `message/update_template_card`) the way WeCom does (path/91039, path/90236, path/94888),
//! counts what arrived and, when asked ([`FakeWecomApi::set_limits`]), keeps WeCom's limits:
//! per member at most 30 messages a minute and 1,000 an hour, beyond which WeCom drops
//! messages silently (errcode 0: counted in [`WecomStats::dropped`]), and 10,000
//! `message/send` calls a minute for the app, beyond which it answers 45009. The tests' fake
//! (`tests/support/fake_wecom.rs`) checks every parameter; this one checks only the token and
//! the recipient, and does as little as it can per request.

use std::collections::{HashMap, VecDeque};
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tokio::sync::oneshot;

const TOKEN: &str = "bench-wecom-token";
const PER_MINUTE: usize = 30;
const PER_HOUR: usize = 1_000;
const CALLS_PER_MINUTE: usize = 10_000;
const MINUTE: Duration = Duration::from_secs(60);
const HOUR: Duration = Duration::from_secs(3600);

/// What the fake counted since the last [`FakeWecomApi::reset_stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WecomStats {
    /// Messages delivered (errcode 0 and not dropped).
    pub ok: u64,
    /// Messages answered errcode 0 but dropped: beyond a member's 30 a minute or 1,000 an
    /// hour.
    pub dropped: u64,
    /// Calls refused with 45009 (beyond 10,000 a minute).
    pub frequency_refused: u64,
    /// The most messages delivered within any one second (WeCom has no per-second limit).
    pub max_per_second: u64,
    /// The most `message/send` calls within any one minute (WeCom's limit: 10,000).
    pub max_per_minute: u64,
    /// The most messages delivered to one member within any one minute.
    pub max_member_minute: u64,
}

#[derive(Default)]
struct Inner {
    limits: bool,
    stats: WecomStats,
    /// Delivered messages' instants, per member (the last hour's).
    members: HashMap<String, VecDeque<Instant>>,
    /// Delivered messages' instants in the last second.
    second: VecDeque<Instant>,
    /// `message/send` calls in the last minute.
    calls: VecDeque<Instant>,
    next_id: u64,
}

type Shared = Arc<Mutex<Inner>>;

fn lock(state: &Shared) -> MutexGuard<'_, Inner> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The running fake; stops when dropped.
pub struct FakeWecomApi {
    addr: SocketAddr,
    state: Shared,
    _stop: oneshot::Sender<()>,
}

impl FakeWecomApi {
    pub async fn start(limits: bool) -> std::io::Result<Self> {
        let state: Shared = Arc::new(Mutex::new(Inner {
            limits,
            ..Inner::default()
        }));
        let app = Router::new()
            .route("/cgi-bin/gettoken", get(gettoken))
            .route("/cgi-bin/message/send", post(send))
            .route("/cgi-bin/message/update_template_card", post(update_card))
            .with_state(state.clone());
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let (stop, stopped) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await;
        });
        Ok(Self {
            addr,
            state,
            _stop: stop,
        })
    }

    /// The API root to give the client (`WEIKE_WECOM_API_URL`).
    pub fn api_base(&self) -> String {
        format!("http://{}/cgi-bin", self.addr)
    }

    pub fn set_limits(&self, on: bool) {
        lock(&self.state).limits = on;
    }

    pub fn stats(&self) -> WecomStats {
        lock(&self.state).stats
    }

    /// Counts from zero, and forgets what was sent: the windows of WeCom's limits start
    /// empty, as for an app that has been quiet for an hour (the benchmark's drain with
    /// limits off goes far beyond them).
    pub fn reset(&self) {
        let mut s = lock(&self.state);
        s.stats = WecomStats::default();
        s.members.clear();
        s.second.clear();
        s.calls.clear();
    }
}

async fn gettoken(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
    if q.get("corpid").is_none_or(String::is_empty)
        || q.get("corpsecret").is_none_or(String::is_empty)
    {
        return axum::Json(json!({ "errcode": 41002, "errmsg": "missing corpid or corpsecret" }));
    }
    axum::Json(json!({
        "errcode": 0, "errmsg": "ok", "access_token": TOKEN, "expires_in": 7200
    }))
}

fn token_ok(q: &HashMap<String, String>) -> Option<axum::Json<Value>> {
    match q.get("access_token").map(String::as_str) {
        Some(TOKEN) => None,
        Some(_) => Some(axum::Json(
            json!({ "errcode": 40014, "errmsg": "invalid access_token" }),
        )),
        None => Some(axum::Json(
            json!({ "errcode": 41001, "errmsg": "access_token missing" }),
        )),
    }
}

async fn send(
    State(state): State<Shared>,
    Query(q): Query<HashMap<String, String>>,
    body: Bytes,
) -> axum::Json<Value> {
    if let Some(refused) = token_ok(&q) {
        return refused;
    }
    let Ok(message) = serde_json::from_slice::<Value>(&body) else {
        return axum::Json(json!({ "errcode": 47001, "errmsg": "data format error" }));
    };
    let Some(touser) = message["touser"].as_str().filter(|t| !t.is_empty()) else {
        return axum::Json(json!({ "errcode": 40031, "errmsg": "invalid user list" }));
    };
    let card = message["msgtype"] == "template_card";
    let now = Instant::now();
    let mut guard = lock(&state);
    let s = &mut *guard;
    let limits = s.limits;
    while s.calls.front().is_some_and(|t| now - *t >= MINUTE) {
        s.calls.pop_front();
    }
    if limits && s.calls.len() >= CALLS_PER_MINUTE {
        s.stats.frequency_refused += 1;
        return axum::Json(json!({ "errcode": 45009, "errmsg": "api freq out of limit" }));
    }
    s.calls.push_back(now);
    s.stats.max_per_minute = s.stats.max_per_minute.max(s.calls.len() as u64);
    s.next_id += 1;
    let id = s.next_id;
    let sent = s.members.entry(touser.to_string()).or_default();
    while sent.front().is_some_and(|t| now - *t >= HOUR) {
        sent.pop_front();
    }
    let in_minute = sent.iter().rev().take_while(|t| now - **t < MINUTE).count();
    let dropped = limits && (in_minute >= PER_MINUTE || sent.len() >= PER_HOUR);
    if dropped {
        s.stats.dropped += 1;
    } else {
        sent.push_back(now);
        let member_minute = (in_minute + 1) as u64;
        s.stats.ok += 1;
        s.stats.max_member_minute = s.stats.max_member_minute.max(member_minute);
        while s
            .second
            .front()
            .is_some_and(|t| now - *t >= Duration::from_secs(1))
        {
            s.second.pop_front();
        }
        s.second.push_back(now);
        s.stats.max_per_second = s.stats.max_per_second.max(s.second.len() as u64);
    }
    let mut answer =
        json!({ "errcode": 0, "errmsg": "ok", "invaliduser": "", "msgid": format!("m{id}") });
    if card {
        answer["response_code"] = json!(format!("rc{id}"));
    }
    axum::Json(answer)
}

async fn update_card(Query(q): Query<HashMap<String, String>>) -> axum::Json<Value> {
    if let Some(refused) = token_ok(&q) {
        return refused;
    }
    axum::Json(json!({ "errcode": 0, "errmsg": "ok" }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::wecom::client::{Message, SendOptions, WecomClient, WecomConfig};
    use crate::clock::SystemClock;

    #[tokio::test]
    async fn drops_beyond_30_a_minute_to_one_member_when_limited() {
        let fake = FakeWecomApi::start(true).await.unwrap();
        let client = WecomClient::new(
            &WecomConfig {
                corp_id: "wwbench".into(),
                secret: "secret".into(),
                agent_id: 1,
                api_base: Some(fake.api_base()),
                timeout: Duration::from_secs(5),
            },
            Arc::new(SystemClock),
        )
        .unwrap();
        for _ in 0..32 {
            client
                .send("u1", &Message::Text("hi".into()), &SendOptions::default())
                .await
                .expect("answered errcode 0");
        }
        let stats = fake.stats();
        assert_eq!((stats.ok, stats.dropped), (30, 2), "{stats:?}");
        assert_eq!(stats.max_member_minute, 30);
        fake.set_limits(false);
        client
            .send("u1", &Message::Text("hi".into()), &SendOptions::default())
            .await
            .unwrap();
        assert_eq!(fake.stats().ok, 31);
    }
}
