//! A per-member limit on messages and button presses, so that one member (or a script)
//! cannot flood the bot: at most `per_minute` in any one-minute window; the first one over
//! gets a polite "please wait", the rest of that window are dropped quietly.

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Allow,
    /// Over the limit: tell the member once.
    Warn,
    /// Over the limit and told already: ignore.
    Drop,
}

#[derive(Debug)]
struct Window {
    /// Start times of the events allowed in the last minute, oldest first.
    allowed: std::collections::VecDeque<DateTime<Utc>>,
    warned: bool,
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

    pub fn check(&mut self, key: &str, now: DateTime<Utc>) -> Verdict {
        if self.per_minute == 0 {
            return Verdict::Allow;
        }
        let window_start = now - Duration::minutes(1);
        if self.members.len() > PRUNE_ABOVE {
            self.members
                .retain(|_, w| w.allowed.back().is_some_and(|t| *t > window_start));
        }
        let w = self.members.entry(key.to_string()).or_insert(Window {
            allowed: Default::default(),
            warned: false,
        });
        while w.allowed.front().is_some_and(|t| *t <= window_start) {
            w.allowed.pop_front();
        }
        if w.allowed.len() < self.per_minute as usize {
            w.allowed.push_back(now);
            w.warned = false;
            Verdict::Allow
        } else if !w.warned {
            w.warned = true;
            Verdict::Warn
        } else {
            Verdict::Drop
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn t(seconds: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 1, 8, 0, 0).unwrap() + Duration::seconds(seconds)
    }

    #[test]
    fn the_limit_applies_to_any_minute_and_warns_once() {
        let mut g = FloodGuard::new(3);
        assert_eq!(g.check("a", t(0)), Verdict::Allow);
        assert_eq!(g.check("a", t(10)), Verdict::Allow);
        assert_eq!(g.check("a", t(20)), Verdict::Allow);
        assert_eq!(g.check("a", t(30)), Verdict::Warn);
        assert_eq!(g.check("a", t(31)), Verdict::Drop);
        // Another member is not affected.
        assert_eq!(g.check("b", t(31)), Verdict::Allow);
        // A minute after the first one, there is room for one more.
        assert_eq!(g.check("a", t(60)), Verdict::Allow);
        assert_eq!(g.check("a", t(61)), Verdict::Warn);
        // After a quiet minute, the full allowance is back.
        for s in [130, 131, 132] {
            assert_eq!(g.check("a", t(s)), Verdict::Allow, "{s}");
        }
    }

    #[test]
    fn zero_means_no_limit() {
        let mut g = FloodGuard::new(0);
        assert!((0..1000).all(|_| g.check("a", t(0)) == Verdict::Allow));
    }

    #[test]
    fn idle_members_are_forgotten() {
        let mut g = FloodGuard::new(1);
        for i in 0..=PRUNE_ABOVE {
            g.check(&i.to_string(), t(0));
        }
        g.check("new", t(120));
        assert_eq!(g.members.len(), 1);
    }
}
