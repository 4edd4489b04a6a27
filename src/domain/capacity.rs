//! Delivery capacity: when the lessons of each lesson-time slot finish going out at the
//! channel's rate, sending earliest due first. With 1,000,000 members at 07:30 and about
//! 30 messages a second, the last of them gets the lesson hours later; admins see it in
//! `/capacity`, and a member who picks an overloaded time is told and offered one that is on
//! time.

use chrono::{DateTime, Duration, Utc};

/// A wait longer than this makes a slot overloaded.
pub const ON_TIME: Duration = Duration::minutes(30);

/// The lessons of one slot: when they are due and how many members.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot {
    pub due: DateTime<Utc>,
    pub members: u64,
}

/// What the forecast says of one slot.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SlotForecast {
    pub due: DateTime<Utc>,
    pub members: u64,
    /// Messages to send for the slot.
    pub messages: u64,
    /// When its first message goes out (later than `due` when earlier slots are still
    /// sending).
    pub starts: DateTime<Utc>,
    /// When its last message goes out.
    pub finishes: DateTime<Utc>,
}

impl SlotForecast {
    /// How long the last member of the slot waits after the time they chose.
    pub fn longest_wait(&self) -> Duration {
        self.finishes - self.due
    }

    pub fn overloaded(&self) -> bool {
        self.longest_wait() > ON_TIME
    }
}

/// The slots' send times at `per_second` messages a second, `messages_per_member` each,
/// earliest due first (a slot waits for the slots due before it).
pub fn forecast(slots: &[Slot], messages_per_member: f64, per_second: f64) -> Vec<SlotForecast> {
    let mut slots: Vec<Slot> = slots.iter().copied().filter(|s| s.members > 0).collect();
    slots.sort_by_key(|s| s.due);
    let mut free_at: Option<DateTime<Utc>> = None;
    slots
        .into_iter()
        .map(|slot| {
            let messages = (slot.members as f64 * messages_per_member).ceil() as u64;
            let starts = free_at.map_or(slot.due, |f| f.max(slot.due));
            let seconds = if per_second.is_finite() && per_second > 0.0 {
                messages as f64 / per_second
            } else {
                0.0
            };
            let finishes = starts + Duration::milliseconds((seconds * 1000.0).round() as i64);
            free_at = Some(finishes);
            SlotForecast {
                due: slot.due,
                members: slot.members,
                messages,
                starts,
                finishes,
            }
        })
        .collect()
}

/// For a member who would join `chosen`: how long they would wait (the slot's wait with
/// them added), and if that is more than [`ON_TIME`], the candidate time nearest to
/// `chosen` at which they would wait no longer than that (candidates every 15 minutes
/// within 3 hours either side).
pub fn advise(
    slots: &[Slot],
    chosen: DateTime<Utc>,
    messages_per_member: f64,
    per_second: f64,
) -> (Duration, Option<DateTime<Utc>>) {
    let wait_at = |due: DateTime<Utc>| {
        let mut with_me: Vec<Slot> = slots.to_vec();
        match with_me.iter_mut().find(|s| s.due == due) {
            Some(s) => s.members += 1,
            None => with_me.push(Slot { due, members: 1 }),
        }
        forecast(&with_me, messages_per_member, per_second)
            .into_iter()
            .find(|f| f.due == due)
            .map_or(Duration::zero(), |f| f.longest_wait())
    };
    let wait = wait_at(chosen);
    if wait <= ON_TIME {
        return (wait, None);
    }
    let better = (1..=12)
        .flat_map(|step| {
            let d = Duration::minutes(15 * step);
            [chosen - d, chosen + d]
        })
        .find(|t| wait_at(*t) <= ON_TIME);
    (wait, better)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32, m: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 7, h, m, 0).unwrap()
    }

    #[test]
    fn a_slot_finishes_after_its_messages_at_the_rate() {
        // 1,000,000 members at 07:30, two messages each, 29.5 a second: 67,797 s later.
        let f = forecast(
            &[Slot {
                due: at(7, 30),
                members: 1_000_000,
            }],
            2.0,
            29.5,
        );
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].messages, 2_000_000);
        assert_eq!(f[0].starts, at(7, 30));
        let ms = f[0].longest_wait().num_milliseconds();
        assert_eq!(ms, (2_000_000.0f64 / 29.5 * 1000.0).round() as i64);
        assert!(f[0].overloaded());
        // Paid broadcasts: 1,000 a second, 33 minutes.
        let paid = forecast(
            &[Slot {
                due: at(7, 30),
                members: 1_000_000,
            }],
            2.0,
            1000.0,
        );
        assert_eq!(paid[0].longest_wait(), Duration::seconds(2000));
    }

    #[test]
    fn later_slots_wait_for_earlier_ones_and_empty_ones_are_left_out() {
        let slots = [
            Slot {
                due: at(8, 0),
                members: 18_000,
            },
            Slot {
                due: at(7, 30),
                members: 54_000,
            },
            Slot {
                due: at(6, 0),
                members: 0,
            },
            Slot {
                due: at(12, 0),
                members: 100,
            },
        ];
        // 30 a second, one message each: 07:30 takes 30 min, 08:00 starts when it ends.
        let f = forecast(&slots, 1.0, 30.0);
        assert_eq!(f.len(), 3);
        assert_eq!((f[0].due, f[0].finishes), (at(7, 30), at(8, 0)));
        assert!(!f[0].overloaded(), "exactly 30 minutes is on time");
        assert_eq!((f[1].starts, f[1].finishes), (at(8, 0), at(8, 10)));
        assert_eq!(f[2].starts, at(12, 0));
        assert_eq!(f[2].longest_wait(), Duration::milliseconds(3_333));
    }

    #[test]
    fn an_overloaded_time_gets_the_nearest_time_on_time() {
        let slots = [Slot {
            due: at(7, 30),
            members: 90_000,
        }];
        // At 30 a second, 07:30 waits 50 minutes; 07:15 is before the backlog and on time
        // (07:45 would wait behind it), so 07:15 is offered.
        let (wait, better) = advise(&slots, at(7, 30), 1.0, 30.0);
        assert!(wait > ON_TIME);
        assert_eq!(better, Some(at(7, 15)));
        // A quiet time is simply on time.
        let (wait, better) = advise(&slots, at(20, 0), 1.0, 30.0);
        assert!(wait < Duration::seconds(1));
        assert_eq!(better, None);
        // However long the backlog, a time before it is on time.
        let huge = [Slot {
            due: at(7, 30),
            members: 10_000_000,
        }];
        let (wait, better) = advise(&huge, at(7, 30), 1.0, 30.0);
        assert!(wait > Duration::hours(3));
        assert!(
            better.is_some_and(|t| t < at(7, 30)),
            "an earlier time is free: {better:?}"
        );
    }
}
