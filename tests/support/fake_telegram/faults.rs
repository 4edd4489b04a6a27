//! Fault injection and Telegram-like rate limits for the fake server.

use std::{
    collections::{HashMap, HashSet, VecDeque},
    time::{Duration, Instant},
};

use super::SEND_METHODS;

/// The description Telegram answers a send to a user who blocked the bot with.
pub const BLOCKED: &str = "Forbidden: bot was blocked by the user";

/// How the fake misbehaves on one request.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer `ok: false` with this HTTP status and `error_code`, before any check; with
    /// `retry_after`, the answer has `parameters.retry_after`. Nothing is sent.
    Status {
        code: u16,
        description: String,
        retry_after: Option<u32>,
    },
    /// Handle the request as usual (the message is created and the call recorded when it
    /// arrives), but answer only after this delay, like a slow server. A client with a
    /// shorter timeout sees a timeout although the message was sent.
    Delay(Duration),
    /// Read the request, then close the TCP connection without any HTTP response (the
    /// client sees a connection error). Recorded with status 0; nothing is sent.
    Drop,
    /// Read the request and never answer it, nor act on it (a server that stalls before it
    /// processes the request: the client waits for its timeout, or dies waiting). Recorded
    /// with status 0; nothing is sent.
    Hang,
}

impl Fault {
    pub fn status(code: u16, description: impl Into<String>) -> Fault {
        Fault::Status {
            code,
            description: description.into(),
            retry_after: None,
        }
    }

    /// 500 "Internal Server Error".
    pub fn server_error() -> Fault {
        Fault::status(500, "Internal Server Error")
    }

    /// 400 "Bad Request: {detail}", e.g. `bad_request("message text is empty")`.
    pub fn bad_request(detail: &str) -> Fault {
        Fault::status(400, format!("Bad Request: {detail}"))
    }

    /// 403 "Forbidden: bot was blocked by the user".
    pub fn blocked() -> Fault {
        Fault::status(403, BLOCKED)
    }

    /// 429 "Too Many Requests: retry after N" with `parameters.retry_after` = N.
    pub fn too_many_requests(retry_after: u32) -> Fault {
        Fault::Status {
            code: 429,
            description: format!("Too Many Requests: retry after {retry_after}"),
            retry_after: Some(retry_after),
        }
    }
}

/// Faults to inject, and the rate limits to enforce.
pub(super) struct Plan {
    pub send_methods: HashSet<String>,
    /// One-shot faults by lower-cased method name, used in order.
    pub next: HashMap<String, VecDeque<Fault>>,
    pub random: Option<RandomFaults>,
    pub blocked: HashSet<i64>,
    /// Chats whose every call is answered only after this long (a stalled chat).
    pub slow_chats: HashMap<i64, std::time::Duration>,
    pub limits: Option<RateLimits>,
    /// 429 answers so far, injected or enforced.
    pub too_many_requests: usize,
}

impl Default for Plan {
    fn default() -> Plan {
        Plan {
            send_methods: SEND_METHODS.iter().map(|m| m.to_string()).collect(),
            next: HashMap::new(),
            random: None,
            blocked: HashSet::new(),
            slow_chats: HashMap::new(),
            limits: None,
            too_many_requests: 0,
        }
    }
}

impl Plan {
    pub fn is_send(&self, method: &str) -> bool {
        self.send_methods.contains(method)
    }

    /// The fault for a request to `method` (canonical name), if any: a queued one-shot fault
    /// for any method, else for send methods a random one.
    pub fn fault_for(&mut self, method: &str) -> Option<Fault> {
        let queued = self
            .next
            .get_mut(&method.to_ascii_lowercase())
            .and_then(VecDeque::pop_front);
        if queued.is_some() {
            return queued;
        }
        match (&mut self.random, self.send_methods.contains(method)) {
            (Some(random), true) => random.draw(),
            _ => None,
        }
    }
}

pub(super) struct RandomFaults {
    rng: SplitMix64,
    probability: f64,
    faults: Vec<Fault>,
}

impl RandomFaults {
    pub fn new(seed: u64, probability: f64, faults: Vec<Fault>) -> RandomFaults {
        RandomFaults {
            rng: SplitMix64(seed),
            probability,
            faults,
        }
    }

    /// Two draws per request whatever the outcome, so that the n-th request gets the same
    /// answer for a seed whatever came before it.
    fn draw(&mut self) -> Option<Fault> {
        let hit = self.rng.next_f64() < self.probability;
        let pick = self.rng.next_u64();
        if !hit || self.faults.is_empty() {
            return None;
        }
        let index = (pick % self.faults.len() as u64) as usize;
        Some(self.faults[index].clone())
    }
}

/// SplitMix64: tiny, seeded and the same on every platform and crate version.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn next_f64(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Telegram-like limits: at most `global` accepted sends in any 1 s window, and at most
/// `per_chat` per chat (0: no such limit).
pub(super) struct RateLimits {
    global: u32,
    per_chat: u32,
    sent: VecDeque<Instant>,
    sent_to: HashMap<i64, VecDeque<Instant>>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimits {
    pub fn new(global: u32, per_chat: u32) -> RateLimits {
        RateLimits {
            global,
            per_chat,
            sent: VecDeque::new(),
            sent_to: HashMap::new(),
        }
    }

    /// Whether a send to `chat` now is within the limits; if so it counts from now on.
    /// Refused sends do not count.
    pub fn admit(&mut self, chat: Option<i64>, now: Instant) -> bool {
        fn prune(times: &mut VecDeque<Instant>, now: Instant) {
            while times
                .front()
                .is_some_and(|&t| now.saturating_duration_since(t) >= WINDOW)
            {
                times.pop_front();
            }
        }
        fn full(times: &VecDeque<Instant>, limit: u32) -> bool {
            limit > 0 && times.len() >= limit as usize
        }
        prune(&mut self.sent, now);
        if full(&self.sent, self.global) {
            return false;
        }
        if let Some(chat) = chat {
            let times = self.sent_to.entry(chat).or_default();
            prune(times, now);
            if full(times, self.per_chat) {
                return false;
            }
            times.push_back(now);
        }
        self.sent.push_back(now);
        true
    }
}
