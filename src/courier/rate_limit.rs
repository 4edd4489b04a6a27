//! Token buckets for sending: one for the whole bot and one per chat. Pure: the caller
//! passes the current time, so tests use exact instants and nothing waits.

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};

/// Limits as Telegram documents them: about 30 messages per second for a bot, about one
/// per second in a private chat (short bursts are tolerated).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub global_per_second: f64,
    pub global_burst: f64,
    pub per_chat_per_second: f64,
    pub per_chat_burst: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            global_per_second: 30.0,
            global_burst: 1.0,
            per_chat_per_second: 1.0,
            per_chat_burst: 3.0,
        }
    }
}

/// Float slack when comparing token counts.
const EPSILON: f64 = 1e-9;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: DateTime<Utc>,
}

impl Bucket {
    fn refill(&mut self, now: DateTime<Utc>, rate: f64, burst: f64) {
        let elapsed = (now - self.at).num_microseconds().unwrap_or(i64::MAX) as f64 / 1e6;
        if elapsed > 0.0 {
            self.tokens = (self.tokens + elapsed * rate).min(burst);
            self.at = now;
        }
    }

    fn wait_for_one(&self, rate: f64) -> Duration {
        if self.tokens >= 1.0 - EPSILON {
            Duration::ZERO
        } else {
            // Rounded up to the microsecond, so that waiting this long is always enough.
            Duration::from_micros(((1.0 - self.tokens) / rate * 1e6).ceil() as u64)
        }
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    global: Bucket,
    chats: HashMap<String, Bucket>,
    /// Nothing may be sent before this instant (a 429's retry_after).
    paused_until: Option<DateTime<Utc>>,
}

impl RateLimiter {
    pub fn new(limits: Limits, now: DateTime<Utc>) -> Self {
        Self {
            limits,
            global: Bucket {
                tokens: limits.global_burst,
                at: now,
            },
            chats: HashMap::new(),
            paused_until: None,
        }
    }

    /// Takes a send for `chat` if allowed now; otherwise says how long to wait first.
    pub fn try_acquire(&mut self, chat: &str, now: DateTime<Utc>) -> Result<(), Duration> {
        if let Some(until) = self.paused_until {
            if now < until {
                return Err((until - now).to_std().unwrap_or(Duration::ZERO));
            }
            self.paused_until = None;
        }
        let l = self.limits;
        self.global.refill(now, l.global_per_second, l.global_burst);
        let chat_bucket = self.chats.entry(chat.to_string()).or_insert(Bucket {
            tokens: l.per_chat_burst,
            at: now,
        });
        chat_bucket.refill(now, l.per_chat_per_second, l.per_chat_burst);
        let wait = self
            .global
            .wait_for_one(l.global_per_second)
            .max(chat_bucket.wait_for_one(l.per_chat_per_second));
        if wait > Duration::ZERO {
            return Err(wait);
        }
        self.global.tokens = (self.global.tokens - 1.0).max(0.0);
        chat_bucket.tokens = (chat_bucket.tokens - 1.0).max(0.0);
        if self.chats.len() > 100_000 {
            self.forget_idle(now);
        }
        Ok(())
    }

    /// Stops all sending until `until`.
    pub fn pause_until(&mut self, until: DateTime<Utc>) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
    }

    /// Drops buckets of chats that are full again (they behave as new ones).
    fn forget_idle(&mut self, now: DateTime<Utc>) {
        let l = self.limits;
        self.chats.retain(|_, b| {
            b.refill(now, l.per_chat_per_second, l.per_chat_burst);
            b.tokens < l.per_chat_burst
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    fn ms(n: i64) -> chrono::Duration {
        chrono::Duration::milliseconds(n)
    }

    /// Sends as fast as allowed for `seconds` of simulated time, jumping the clock by the
    /// waits the limiter asks for, and returns the instants of the sends.
    fn simulate(
        limiter: &mut RateLimiter,
        chats: &[&str],
        seconds: i64,
    ) -> Vec<(DateTime<Utc>, String)> {
        let mut now = t0();
        let end = t0() + chrono::Duration::seconds(seconds);
        let mut sent = Vec::new();
        let mut i = 0;
        while now < end {
            let chat = chats[i % chats.len()];
            match limiter.try_acquire(chat, now) {
                Ok(()) => {
                    sent.push((now, chat.to_string()));
                    i += 1;
                }
                Err(wait) => now += chrono::Duration::from_std(wait).unwrap().max(ms(1)),
            }
        }
        sent
    }

    fn max_in_window(
        sent: &[(DateTime<Utc>, String)],
        window: chrono::Duration,
        chat: Option<&str>,
    ) -> usize {
        let times: Vec<_> = sent
            .iter()
            .filter(|(_, c)| chat.is_none_or(|x| x == c))
            .map(|(t, _)| *t)
            .collect();
        times
            .iter()
            .map(|start| {
                times
                    .iter()
                    .filter(|t| **t >= *start && **t < *start + window)
                    .count()
            })
            .max()
            .unwrap_or(0)
    }

    #[test]
    fn never_more_than_the_global_limit_in_any_second_and_reaches_it() {
        let mut limiter = RateLimiter::new(Limits::default(), t0());
        let chats: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
        let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
        let sent = simulate(&mut limiter, &chats, 10);
        assert!(max_in_window(&sent, chrono::Duration::seconds(1), None) <= 30);
        assert!(sent.len() >= 299, "{}", sent.len());
    }

    #[test]
    fn a_larger_global_limit_is_kept_too() {
        let limits = Limits {
            global_per_second: 1000.0,
            ..Limits::default()
        };
        let mut limiter = RateLimiter::new(limits, t0());
        let chats: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
        let sent = simulate(&mut limiter, &chats, 3);
        assert!(max_in_window(&sent, chrono::Duration::seconds(1), None) <= 1000);
        assert!(sent.len() >= 2990, "{}", sent.len());
    }

    #[test]
    fn one_chat_gets_its_burst_then_one_per_second() {
        let mut limiter = RateLimiter::new(Limits::default(), t0());
        let sent = simulate(&mut limiter, &["alice"], 10);
        // 3 at once, then one per second: 3 + 9 (at 1s..9s; the 10th second is excluded).
        assert_eq!(sent.len(), 12);
        assert!(max_in_window(&sent[3..], chrono::Duration::seconds(1), Some("alice")) <= 1);
    }

    #[test]
    fn a_pause_blocks_everything_until_it_ends() {
        let mut limiter = RateLimiter::new(Limits::default(), t0());
        limiter.pause_until(t0() + chrono::Duration::seconds(5));
        assert_eq!(
            limiter.try_acquire("a", t0() + ms(4999)),
            Err(Duration::from_millis(1))
        );
        assert_eq!(limiter.try_acquire("b", t0() + ms(5000)), Ok(()));
    }
}
