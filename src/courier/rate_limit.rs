//! Send slots for the whole bot and per chat (the generic cell rate algorithm: each send
//! books the earliest instant at which it keeps both limits). Pure: the caller passes the
//! current time and then waits until the booked instant, so concurrent senders line up
//! without polling, and tests use exact instants.

use std::collections::{HashMap, VecDeque};

use chrono::{DateTime, Duration, Utc};

pub use crate::config::{LimitSettings, Limits};

/// Who waits for a send. Interactive sends (a member is waiting: replies, quiz
/// follow-ups) go before bulk ones (lessons, broadcasts, digests, nudges): they do not queue
/// behind the bulk slots booked ahead of them, and while one waits for room in the last
/// second, no bulk send starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Class {
    Interactive,
    Bulk,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Interactive => "interactive",
            Class::Bulk => "bulk",
        }
    }
}

/// One limit: its emission interval and how far ahead of schedule a burst may run.
#[derive(Debug, Clone, Copy)]
struct Cell {
    interval: Duration,
    tolerance: Duration,
}

impl Cell {
    fn new(per_second: f64, burst: f64) -> Self {
        if !per_second.is_finite() || per_second <= 0.0 {
            return Self {
                interval: Duration::zero(),
                tolerance: Duration::zero(),
            };
        }
        let micros = (1e6 / per_second).ceil() as i64;
        let interval = Duration::microseconds(micros.max(1));
        Self {
            interval,
            tolerance: interval * ((burst.max(1.0) - 1.0).floor() as i32),
        }
    }

    /// The earliest instant allowed given the theoretical arrival time `tat`.
    fn allowed(&self, tat: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
        tat.map(|t| t - self.tolerance)
    }

    fn next_tat(&self, tat: Option<DateTime<Utc>>, slot: DateTime<Utc>) -> DateTime<Utc> {
        tat.map_or(slot, |t| t.max(slot)) + self.interval
    }
}

#[derive(Debug)]
pub struct RateLimiter {
    limits: Limits,
    /// Couriers sharing the channel's overall limit (this one included).
    share: u32,
    global: Cell,
    per_chat: Cell,
    per_group: Cell,
    global_tat: Option<DateTime<Utc>>,
    chat_tat: HashMap<String, DateTime<Utc>>,
    /// Nothing may be sent before this instant (a 429's retry_after).
    paused_until: Option<DateTime<Utc>>,
    /// The instants at which the latest sends actually started, at most `window_count`.
    started: VecDeque<DateTime<Utc>>,
    /// Sends allowed in one [`WINDOW`] (0: no window).
    window_count: usize,
    /// Interactive sends whose slot has come and that wait for room in the window: while
    /// there are any, bulk sends do not start.
    interactive_ready: usize,
}

/// Telegram counts the messages of each second. Booked slots are evenly spaced, but a send
/// starts a little after its slot (the task is scheduled late, other sends are in flight),
/// so that on a busy machine 31 sends could start within one second. So a send also waits
/// until the send `window_count` places before it started at least this long ago.
pub const WINDOW: Duration = Duration::milliseconds(1_025);

impl RateLimiter {
    pub fn new(limits: Limits) -> Self {
        Self {
            limits,
            share: 1,
            global: Cell::new(limits.global_per_second, limits.global_burst),
            per_chat: Cell::new(limits.per_chat_per_second, limits.per_chat_burst),
            per_group: Cell::new(limits.per_group_per_minute / 60.0, 1.0),
            global_tat: None,
            chat_tat: HashMap::new(),
            paused_until: None,
            started: VecDeque::new(),
            window_count: if limits.global_per_second.is_finite() {
                limits.global_per_second.ceil().max(1.0) as usize
            } else {
                0
            },
            interactive_ready: 0,
        }
    }

    /// Keeps 1/`couriers` of the overall limit (and of the window), for `couriers` couriers
    /// that send through the same channel: together they stay under the channel's limit.
    /// Per-chat limits are unchanged (a chat's deliveries are claimed by one courier at a
    /// time).
    pub fn share_with(&mut self, couriers: u32) {
        let couriers = couriers.max(1);
        if couriers == self.share {
            return;
        }
        self.share = couriers;
        let per_second = self.limits.global_per_second / f64::from(couriers);
        self.global = Cell::new(per_second, self.limits.global_burst);
        self.window_count = if !per_second.is_finite() {
            0
        } else if couriers == 1 {
            per_second.ceil().max(1.0) as usize
        } else {
            // Rounded down, so that the shares' windows add up to the limit at most.
            per_second.floor().max(1.0) as usize
        };
        while self.started.len() > self.window_count {
            self.started.pop_front();
        }
    }

    /// How many couriers this one shares the overall limit with (itself included).
    pub fn share(&self) -> u32 {
        self.share
    }

    /// A send whose slot has come starts now if the last [`WINDOW`] holds fewer than the
    /// allowed sends, and is recorded; otherwise the instant to try again is returned.
    /// `waiting` is the sender's own flag, false at first: an interactive send that has to
    /// wait is counted as ready (bulk sends give way to it) until it starts.
    pub fn start(
        &mut self,
        now: DateTime<Utc>,
        class: Class,
        waiting: &mut bool,
    ) -> Result<(), DateTime<Utc>> {
        if class == Class::Bulk && self.interactive_ready > 0 {
            // An interactive send takes the next room; try again just after.
            return Err(self.window_free_at(now).max(now) + Duration::milliseconds(1));
        }
        if self.window_count == 0 {
            self.started_now(class, waiting);
            return Ok(());
        }
        let free = self.window_free_at(now);
        if free > now {
            if class == Class::Interactive && !*waiting {
                *waiting = true;
                self.interactive_ready += 1;
            }
            return Err(free);
        }
        self.started_now(class, waiting);
        while self.started.len() >= self.window_count {
            self.started.pop_front();
        }
        self.started.push_back(now);
        Ok(())
    }

    fn started_now(&mut self, class: Class, waiting: &mut bool) {
        if class == Class::Interactive && *waiting {
            *waiting = false;
            self.interactive_ready = self.interactive_ready.saturating_sub(1);
        }
    }

    /// An interactive sender that was waiting gives up (its task ends): bulk sends need not
    /// give way to it any more.
    pub fn give_up(&mut self, waiting: &mut bool) {
        if *waiting {
            *waiting = false;
            self.interactive_ready = self.interactive_ready.saturating_sub(1);
        }
    }

    /// When the window has room again and the last send is far enough behind (now if so).
    /// Half an interval at least between two starts: sends started together (a reply
    /// between two lessons, sends whose tasks were scheduled late) reach the server with
    /// uneven delays, and 31 could arrive in one of its seconds.
    fn window_free_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let window = match self.started.front() {
            Some(oldest) if self.window_count > 0 && self.started.len() >= self.window_count => {
                (*oldest + WINDOW).max(now)
            }
            _ => now,
        };
        let gap = self
            .started
            .back()
            .map_or(now, |last| *last + self.global.interval / 2);
        window.max(gap)
    }

    /// Books a send to `chat` (a group chat if `group`, as the channel tells) and returns
    /// when it may happen (`now` or later). An interactive send keeps the chat's limit and
    /// any pause but not the queue of bulk slots booked ahead of it: the global limit is
    /// kept for it by the window ([`Self::start`]), and later bulk slots move back by one.
    pub fn reserve(
        &mut self,
        chat: &str,
        group: bool,
        class: Class,
        now: DateTime<Utc>,
    ) -> DateTime<Utc> {
        let chat_tat = self.chat_tat.get(chat).copied();
        let chat_cell = if group { self.per_group } else { self.per_chat };
        let global = match class {
            Class::Bulk => self.global.allowed(self.global_tat),
            Class::Interactive => None,
        };
        let mut slot = now;
        for candidate in [global, chat_cell.allowed(chat_tat), self.paused_until]
            .into_iter()
            .flatten()
        {
            slot = slot.max(candidate);
        }
        self.global_tat = Some(self.global.next_tat(self.global_tat, slot));
        self.chat_tat
            .insert(chat.to_string(), chat_cell.next_tat(chat_tat, slot));
        if self.chat_tat.len() > 100_000 {
            self.chat_tat.retain(|_, tat| *tat > now);
        }
        slot
    }

    /// Stops all sending until `until`; bookings made earlier must check [`Self::paused_until`]
    /// when their time comes and book again.
    pub fn pause_until(&mut self, until: DateTime<Utc>) {
        let until = self.paused_until.map_or(until, |p| p.max(until));
        self.paused_until = Some(until);
        // Sends after the pause start evenly spaced from its end.
        self.global_tat = Some(self.global_tat.map_or(until, |t| t.max(until)));
    }

    pub fn paused_until(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.paused_until.filter(|until| *until > now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    /// Sends that start late after their slots (by up to 80 ms, as on a loaded machine)
    /// still never start more than 30 in any second: the window holds them back.
    #[test]
    fn late_starts_never_crowd_one_second() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(15);
        let mut limiter = RateLimiter::new(limits());
        let mut starts: Vec<DateTime<Utc>> = Vec::new();
        let mut now = t0();
        for i in 0..600 {
            let slot = limiter.reserve(&format!("c{i}"), false, Class::Bulk, now);
            // Every other send is scheduled late; the next one on time.
            let late = if i % 2 == 0 {
                Duration::milliseconds(rng.random_range(0..80))
            } else {
                Duration::zero()
            };
            starts.push(start_when_allowed(
                &mut limiter,
                slot.max(now) + late,
                Class::Bulk,
            ));
            now = slot;
        }
        starts.sort();
        for (i, s) in starts.iter().enumerate() {
            let within = starts[i..]
                .iter()
                .take_while(|t| **t < *s + Duration::seconds(1))
                .count();
            assert!(within <= 30, "{within} sends start within a second of {s}");
        }
        let span = (*starts.last().unwrap() - starts[0]).num_milliseconds() as f64 / 1000.0;
        let rate = (starts.len() - 1) as f64 / span;
        assert!(rate > 28.5, "the window costs little: {rate:.2}/s");
    }

    /// Replies (which take no bulk slot) and bulk sends whose tasks woke late never start
    /// within half an interval (17 ms at 29.5/s) of each other: none arrive together.
    #[test]
    fn sends_never_start_on_each_others_heels() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::SmallRng::seed_from_u64(7);
        let mut limiter = RateLimiter::new(limits());
        let mut starts: Vec<DateTime<Utc>> = Vec::new();
        let mut now = t0();
        for i in 0..300 {
            let class = if i % 5 == 0 {
                Class::Interactive
            } else {
                Class::Bulk
            };
            let slot = limiter.reserve(&format!("c{i}"), false, class, now);
            let late = Duration::milliseconds(rng.random_range(0..60));
            starts.push(start_when_allowed(
                &mut limiter,
                slot.max(now) + late,
                class,
            ));
            now = slot;
        }
        starts.sort();
        let gap = Duration::microseconds((1e6_f64 / 29.5).ceil() as i64) / 2;
        for pair in starts.windows(2) {
            assert!(pair[1] - pair[0] >= gap, "{} then {}", pair[0], pair[1]);
        }
    }

    /// Tries to start a send of `class` at `at`, and again at each instant it is told, until
    /// it starts; that instant.
    fn start_when_allowed(
        limiter: &mut RateLimiter,
        mut at: DateTime<Utc>,
        class: Class,
    ) -> DateTime<Utc> {
        let mut waiting = false;
        loop {
            match limiter.start(at, class, &mut waiting) {
                Ok(()) => return at,
                Err(retry) => {
                    assert!(retry > at, "a retry is later");
                    at = retry;
                }
            }
        }
    }

    fn t0() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
    }

    /// A channel's limits: Telegram's numbers, for example.
    fn limits() -> Limits {
        Limits {
            global_per_second: 29.5,
            global_burst: 1.0,
            per_chat_per_second: 1.0,
            per_chat_burst: 3.0,
            per_group_per_minute: 20.0,
        }
    }

    /// In these tests a chat whose name starts with `-` is a group chat.
    fn reserve(limiter: &mut RateLimiter, chat: &str, now: DateTime<Utc>) -> DateTime<Utc> {
        limiter.reserve(chat, chat.starts_with('-'), Class::Bulk, now)
    }

    /// Bulk sends booked ahead do not delay a reply: its slot is now (its chat's limit
    /// allowing), and when the last second is full, the reply starts before any bulk send
    /// whose slot has come.
    #[test]
    fn interactive_sends_go_before_bulk_ones() {
        let mut limiter = RateLimiter::new(limits());
        // 60 bulk sends booked at once: two seconds of slots ahead.
        let bulk: Vec<DateTime<Utc>> = (0..60)
            .map(|i| limiter.reserve(&format!("b{i}"), false, Class::Bulk, t0()))
            .collect();
        assert!(bulk[59] > t0() + Duration::milliseconds(1_900));
        let reply_at = t0() + Duration::milliseconds(100);
        assert_eq!(
            limiter.reserve("member", false, Class::Interactive, reply_at),
            reply_at
        );
        // The next bulk booking comes after every earlier one and one more interval.
        let next = limiter.reserve("b60", false, Class::Bulk, t0());
        assert!(next > bulk[59] + Duration::milliseconds(60), "{next}");
        // Fill the window with 30 starts in the first second.
        let mut flags = [false; 31];
        for (i, slot) in bulk.iter().take(30).enumerate() {
            assert_eq!(limiter.start(*slot, Class::Bulk, &mut flags[i]), Ok(()));
        }
        let full = bulk[29];
        // A reply now has to wait for room, and is counted as ready.
        let mut reply_waiting = false;
        let room = limiter
            .start(full, Class::Interactive, &mut reply_waiting)
            .unwrap_err();
        assert!(reply_waiting);
        assert_eq!(room, bulk[0] + WINDOW);
        // When the room comes, the bulk send whose slot has come gives way.
        let mut bulk_waiting = false;
        assert!(limiter.start(room, Class::Bulk, &mut bulk_waiting).is_err());
        assert_eq!(
            limiter.start(room, Class::Interactive, &mut reply_waiting),
            Ok(())
        );
        assert!(!reply_waiting);
        // Then bulk sends go on as the window allows.
        let later = bulk[1] + WINDOW;
        assert_eq!(limiter.start(later, Class::Bulk, &mut bulk_waiting), Ok(()));
    }

    /// Two couriers that each keep half of the limit together never send more than the
    /// limit in any second.
    #[test]
    fn shares_add_up_to_the_limit() {
        let mut a = RateLimiter::new(limits());
        let mut b = RateLimiter::new(limits());
        a.share_with(2);
        b.share_with(2);
        assert_eq!((a.share(), b.share()), (2, 2));
        let mut sent = Vec::new();
        for limiter in [&mut a, &mut b] {
            let mut now = t0();
            for i in 0..300 {
                let slot = limiter.reserve(&format!("c{i}"), false, Class::Bulk, now);
                let at = start_when_allowed(limiter, slot, Class::Bulk);
                sent.push((at, format!("c{i}")));
                now = at;
            }
        }
        sent.sort();
        assert!(max_in_window(&sent, Duration::seconds(1), None) <= 30);
        // Each keeps about 14 a second: 300 sends take about 20 s.
        let last = sent.last().unwrap().0;
        assert!(last > t0() + Duration::seconds(19), "{last}");
        assert!(last < t0() + Duration::seconds(23), "{last}");
        // Back to one: the whole limit again.
        a.share_with(1);
        assert_eq!(a.window_count, 30);
    }

    /// A reply keeps its chat's limit: a member who presses many buttons gets the burst,
    /// then one a second.
    #[test]
    fn interactive_sends_keep_the_chats_limit_and_pauses() {
        let mut limiter = RateLimiter::new(limits());
        let slots: Vec<DateTime<Utc>> = (0..5)
            .map(|_| limiter.reserve("member", false, Class::Interactive, t0()))
            .collect();
        assert_eq!(&slots[..3], &[t0(), t0(), t0()]);
        assert_eq!(slots[3], t0() + Duration::seconds(1));
        assert_eq!(slots[4], t0() + Duration::seconds(2));
        let until = t0() + Duration::seconds(30);
        limiter.pause_until(until);
        assert_eq!(
            limiter.reserve("other", false, Class::Interactive, t0()),
            until
        );
    }

    /// One sender sending as fast as allowed for `seconds`: the instants of the sends.
    fn simulate(
        limiter: &mut RateLimiter,
        chats: &[&str],
        seconds: i64,
    ) -> Vec<(DateTime<Utc>, String)> {
        let end = t0() + Duration::seconds(seconds);
        let mut now = t0();
        let mut sent = Vec::new();
        for i in 0.. {
            let chat = chats[i % chats.len()];
            now = reserve(limiter, chat, now);
            if now >= end {
                break;
            }
            sent.push((now, chat.to_string()));
        }
        sent
    }

    fn max_in_window(
        sent: &[(DateTime<Utc>, String)],
        window: Duration,
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
        let mut limiter = RateLimiter::new(limits());
        let chats: Vec<String> = (0..1000).map(|i| format!("c{i}")).collect();
        let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
        let sent = simulate(&mut limiter, &chats, 10);
        assert!(max_in_window(&sent, Duration::seconds(1), None) <= 30);
        assert!(sent.len() >= 294, "{}", sent.len());
    }

    #[test]
    fn a_larger_global_limit_is_kept_too() {
        let limits = Limits {
            global_per_second: 1000.0,
            ..limits()
        };
        let mut limiter = RateLimiter::new(limits);
        let chats: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        let chats: Vec<&str> = chats.iter().map(String::as_str).collect();
        let sent = simulate(&mut limiter, &chats, 3);
        assert!(max_in_window(&sent, Duration::seconds(1), None) <= 1000);
        assert!(sent.len() >= 2990, "{}", sent.len());
    }

    #[test]
    fn one_chat_gets_its_burst_then_one_per_second() {
        let mut limiter = RateLimiter::new(limits());
        let sent = simulate(&mut limiter, &["alice"], 10);
        // 3 at once (well, 1/30 s apart: the global spacing), then one per second.
        assert_eq!(sent.len(), 12, "{sent:?}");
        assert!(max_in_window(&sent[3..], Duration::seconds(1), Some("alice")) <= 1);
        assert!(max_in_window(&sent, Duration::seconds(1), Some("alice")) <= 3);
    }

    #[test]
    fn concurrent_bookings_line_up_without_exceeding_the_limits() {
        // Many senders book at the same instant: the slots are spaced, never bunched.
        let mut limiter = RateLimiter::new(limits());
        let mut sent: Vec<(DateTime<Utc>, String)> = (0..300)
            .map(|i| {
                let chat = format!("c{}", i % 50);
                (reserve(&mut limiter, &chat, t0()), chat)
            })
            .collect();
        sent.sort();
        assert!(max_in_window(&sent, Duration::seconds(1), None) <= 30);
        for i in 0..50 {
            assert!(max_in_window(&sent, Duration::seconds(1), Some(&format!("c{i}"))) <= 3);
        }
        // 300 slots at 29.5 per second: the last one 299 / 29.5 = 10.14 s after the first.
        assert!(sent.last().unwrap().0 < t0() + Duration::milliseconds(10_200));
    }

    #[test]
    fn a_pause_moves_every_later_booking_past_it() {
        let mut limiter = RateLimiter::new(limits());
        let until = t0() + Duration::seconds(5);
        limiter.pause_until(until);
        assert_eq!(limiter.paused_until(t0()), Some(until));
        assert_eq!(reserve(&mut limiter, "a", t0()), until);
        assert!(reserve(&mut limiter, "b", t0() + Duration::milliseconds(4999)) > until);
        assert_eq!(limiter.paused_until(until), None);
    }

    #[test]
    fn group_chats_get_twenty_a_minute() {
        let mut limiter = RateLimiter::new(limits());
        let sent = simulate(&mut limiter, &["-100123"], 120);
        assert_eq!(sent.len(), 40, "{sent:?}");
        assert!(max_in_window(&sent, Duration::seconds(60), Some("-100123")) <= 20);
    }

    #[test]
    fn settings_change_only_what_they_set() {
        assert_eq!(LimitSettings::default().apply(limits()), limits());
        let faster = LimitSettings {
            global_per_second: Some(100.0),
            per_chat_burst: Some(5.0),
            ..LimitSettings::default()
        };
        assert_eq!(
            faster.apply(limits()),
            Limits {
                global_per_second: 100.0,
                per_chat_burst: 5.0,
                ..limits()
            }
        );
        assert_eq!(
            LimitSettings::unlimited().apply(limits()),
            Limits::unlimited()
        );
    }

    /// WeCom drops what goes beyond 30 messages a minute or 1,000 an hour to one member: the
    /// courier's per-chat cell for WeCom lets at most burst + rate·T through in T seconds,
    /// which stays within both, and a member sent to as fast as allowed for two hours gets
    /// no more than that in any minute or hour.
    #[test]
    fn wecoms_per_member_limits_are_never_exceeded() {
        use crate::channel::wecom::LIMITS;
        let (rate, burst) = (LIMITS.per_chat_per_second, LIMITS.per_chat_burst);
        assert!(burst + rate * 60.0 <= 30.0, "{burst} + {rate}·60 s");
        assert!(burst + rate * 3600.0 <= 1000.0, "{burst} + {rate}·3600 s");
        let mut limiter = RateLimiter::new(LIMITS);
        let sent = simulate(&mut limiter, &["zhangsan", "lisi"], 2 * 3600);
        for member in ["zhangsan", "lisi"] {
            let minute = max_in_window(&sent, Duration::seconds(60), Some(member));
            let hour = max_in_window(&sent, Duration::seconds(3600), Some(member));
            assert!(minute <= 30, "{member}: {minute} in a minute");
            assert!(hour <= 1000, "{member}: {hour} in an hour");
            // And the limit is used, not wasted: the rate's worth every hour.
            assert!(hour >= 970, "{member}: only {hour} in an hour");
        }
        // WeCom's overall frequency limit: at most 10,000 calls a minute and 150,000 an
        // hour to one API for the corp.
        const { assert!(LIMITS.global_per_second * 60.0 <= 10_000.0) };
        const { assert!(LIMITS.global_per_second * 3600.0 <= 150_000.0) };
    }

    #[test]
    fn unlimited_means_now() {
        let mut limiter = RateLimiter::new(Limits::unlimited());
        for _ in 0..1000 {
            assert_eq!(reserve(&mut limiter, "a", t0()), t0());
        }
    }
}
