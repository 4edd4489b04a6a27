//! A per-member limit on messages and button presses, so that one member (or a script)
//! cannot flood the bot: at most `per_minute` in any one-minute window, and
//! [`ADMIN_FACTOR`] times as many for admins, whose commands must not be dropped in a busy
//! moment. Nothing over the limit is dropped silently: the first message over it gets a
//! notice that it was not carried out (and that what goes over the limit in the next
//! minute is not either, and when there is room again); more notices follow at most once
//! a minute. Where the chat app answers a button press with a short toast that is not a
//! message (Telegram), a press over the limit is answered each time; elsewhere (WeCom) its
//! answer is a message and follows the same rule (the router decides, by the channel's
//! `button_toasts`).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

/// Admins may send this many times the members' limit.
pub const ADMIN_FACTOR: u32 = 10;

/// Who sent a message: admins have a higher limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sender {
    Member,
    Admin,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Over the limit and not carried out: tell the sender now (no notice within the last
    /// minute). `wait`: until there is room again.
    Refuse {
        wait: Duration,
    },
    /// Over the limit and not carried out; the notice of the last minute said so.
    Drop {
        wait: Duration,
    },
}

#[derive(Debug)]
struct Window {
    /// Start times of the events allowed in the last minute, oldest first.
    allowed: std::collections::VecDeque<DateTime<Utc>>,
    /// When the sender was last told that a message was not carried out.
    noticed_at: Option<DateTime<Utc>>,
}

/// The limiter's state (in memory: each process limits what it handles).
#[derive(Debug)]
pub struct FloodGuard {
    per_minute: u32,
    members: HashMap<String, Window>,
}

/// Above this many remembered members, idle ones are forgotten.
const PRUNE_ABOVE: usize = 10_000;

impl FloodGuard {
    /// `per_minute` = 0 means no limit.
    pub fn new(per_minute: u32) -> Self {
        FloodGuard {
            per_minute,
            members: HashMap::new(),
        }
    }

    /// The limit of a sender, per minute (0: none).
    pub fn limit(&self, sender: Sender) -> u32 {
        match sender {
            Sender::Member => self.per_minute,
            Sender::Admin => self.per_minute.saturating_mul(ADMIN_FACTOR),
        }
    }

    /// Whether one more event from `key` now would be over the members' limit, without
    /// counting it: the caller then finds out whether the sender is an admin (which costs
    /// a lookup) only for events over that limit.
    pub fn over_member_limit(&mut self, key: &str, now: DateTime<Utc>) -> bool {
        if self.per_minute == 0 {
            return false;
        }
        let window_start = now - Duration::minutes(1);
        match self.members.get_mut(key) {
            Some(w) => {
                forget_before(w, window_start);
                w.allowed.len() >= self.per_minute as usize
            }
            None => false,
        }
    }

    /// Counts an event from `key` now, within the limit of `sender`.
    pub fn check(&mut self, key: &str, now: DateTime<Utc>, sender: Sender) -> Verdict {
        let limit = self.limit(sender);
        if limit == 0 {
            return Verdict::Allow;
        }
        let window_start = now - Duration::minutes(1);
        if self.members.len() > PRUNE_ABOVE {
            self.members.retain(|_, w| {
                w.allowed.back().is_some_and(|t| *t > window_start)
                    || w.noticed_at.is_some_and(|t| t > window_start)
            });
        }
        let w = self.members.entry(key.to_string()).or_insert(Window {
            allowed: Default::default(),
            noticed_at: None,
        });
        forget_before(w, window_start);
        if w.allowed.len() < limit as usize {
            w.allowed.push_back(now);
            return Verdict::Allow;
        }
        // Room comes when the oldest of the events in the window is a minute old (the
        // window holds at least `limit` of them, so there is an oldest).
        let wait = w
            .allowed
            .front()
            .map(|t| *t + Duration::minutes(1) - now)
            .unwrap_or_else(Duration::zero);
        if w.noticed_at.is_some_and(|t| now - t < Duration::minutes(1)) {
            Verdict::Drop { wait }
        } else {
            w.noticed_at = Some(now);
            Verdict::Refuse { wait }
        }
    }
}

fn forget_before(w: &mut Window, window_start: DateTime<Utc>) {
    while w.allowed.front().is_some_and(|t| *t <= window_start) {
        w.allowed.pop_front();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    fn refuse(wait: i64) -> Verdict {
        Verdict::Refuse {
            wait: Duration::seconds(wait),
        }
    }

    fn dropped(wait: i64) -> Verdict {
        Verdict::Drop {
            wait: Duration::seconds(wait),
        }
    }

    #[test]
    fn the_limit_applies_to_any_minute_and_refusals_are_told_once_a_minute() {
        let mut g = FloodGuard::new(3);
        let m = Sender::Member;
        assert_eq!(g.check("a", t(0), m), Verdict::Allow);
        assert_eq!(g.check("a", t(10), m), Verdict::Allow);
        assert_eq!(g.check("a", t(20), m), Verdict::Allow);
        // Over the limit: told at once, with the wait until the first one is a minute old.
        assert_eq!(g.check("a", t(30), m), refuse(30));
        // Within the minute of that notice: not carried out, and not told again.
        assert_eq!(g.check("a", t(31), m), dropped(29));
        assert_eq!(g.check("a", t(59), m), dropped(1));
        // Another member is not affected.
        assert_eq!(g.check("b", t(31), m), Verdict::Allow);
        // A minute after the first one, there is room for one more ...
        assert_eq!(g.check("a", t(60), m), Verdict::Allow);
        // ... and the next one over the limit, 31 s after the notice, is covered by it.
        assert_eq!(g.check("a", t(61), m), dropped(9));
        assert_eq!(g.check("a", t(70), m), Verdict::Allow);
        assert_eq!(g.check("a", t(71), m), dropped(9));
        assert_eq!(g.check("a", t(80), m), Verdict::Allow);
        // A minute after the notice, a refusal is told again.
        assert_eq!(g.check("a", t(90), m), refuse(30));
        assert_eq!(g.check("a", t(119), m), dropped(1));
        assert_eq!(g.check("a", t(120), m), Verdict::Allow);
        // After a quiet minute, the full allowance is back.
        for s in [181, 182, 183] {
            assert_eq!(g.check("a", t(s), m), Verdict::Allow, "{s}");
        }
        assert_eq!(g.check("a", t(184), m), refuse(57));
    }

    #[test]
    fn admins_have_ten_times_the_limit() {
        let mut g = FloodGuard::new(2);
        assert_eq!(g.limit(Sender::Admin), 20);
        for i in 0..2 {
            assert!(!g.over_member_limit("admin", t(i)));
            assert_eq!(g.check("admin", t(i), Sender::Member), Verdict::Allow);
        }
        // Over the members' limit: the router asks whether they are an admin.
        assert!(g.over_member_limit("admin", t(2)));
        for i in 2..20 {
            assert_eq!(g.check("admin", t(i), Sender::Admin), Verdict::Allow, "{i}");
        }
        assert_eq!(g.check("admin", t(20), Sender::Admin), refuse(40));
        assert_eq!(g.check("admin", t(21), Sender::Admin), dropped(39));
        // Checking does not count: a member's window is unchanged by it.
        assert!(!g.over_member_limit("member", t(0)));
        assert_eq!(g.check("member", t(0), Sender::Member), Verdict::Allow);
        assert!(!g.over_member_limit("member", t(1)));
        assert!(!g.over_member_limit("member", t(1)));
        assert_eq!(g.check("member", t(1), Sender::Member), Verdict::Allow);
        assert!(g.over_member_limit("member", t(2)));
        assert!(!g.over_member_limit("member", t(61)));
    }

    #[test]
    fn zero_means_no_limit() {
        let mut g = FloodGuard::new(0);
        assert!((0..1000).all(|_| g.check("a", t(0), Sender::Member) == Verdict::Allow));
        assert!(!g.over_member_limit("a", t(0)));
        assert_eq!(g.limit(Sender::Admin), 0);
    }

    #[test]
    fn idle_members_are_forgotten() {
        let mut g = FloodGuard::new(1);
        for i in 0..=PRUNE_ABOVE {
            g.check(&i.to_string(), t(0), Sender::Member);
        }
        g.check("new", t(120), Sender::Member);
        assert_eq!(g.members.len(), 1);
    }
}
