//! A channel's daily budget of messages ([`DailyBudget`], WeCom's per-app budget), kept by
//! each courier with reservations in the store, so that the couriers of all processes
//! together never send more in a day.
//!
//! A courier reserves messages a few at a time ([`CHUNK`]) and spends them locally; a
//! reservation never takes the day beyond the budget (scheduled deliveries stop
//! `reply_reserve` short of it, so that replies to members still go). What a courier
//! reserved and did not spend by the end of the day is lost (at most [`CHUNK`] − 1 a
//! process a day), and a message whose send failed counts: the count errs on the side of
//! sending less. The day begins at midnight at the budget's UTC offset.

use chrono::{DateTime, NaiveDate, Utc};

use super::Class;
use crate::config::DailyBudget;
use crate::store::{Store, StoreError};

/// Messages reserved from the store at once (more when one part needs more).
pub const CHUNK: u64 = 16;

/// Whether a part may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grant {
    Granted,
    /// The day's budget (for this class) is spent: nothing more until `until`.
    Spent {
        until: DateTime<Utc>,
    },
}

/// One courier's share of the reservations of its channel's budget.
#[derive(Debug)]
pub struct Budget {
    budget: DailyBudget,
    state: tokio::sync::Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    day: Option<NaiveDate>,
    /// Reserved and not spent yet.
    allowance: u64,
    /// Scheduled deliveries found the day's budget spent.
    bulk_spent: bool,
}

impl Budget {
    pub fn new(budget: DailyBudget) -> Self {
        Self {
            budget,
            state: tokio::sync::Mutex::new(State::default()),
        }
    }

    pub fn settings(&self) -> DailyBudget {
        self.budget
    }

    /// The channel's day at `now`.
    pub fn day(&self, now: DateTime<Utc>) -> NaiveDate {
        (now + chrono::Duration::seconds(i64::from(self.budget.utc_offset_seconds))).date_naive()
    }

    /// When the day after `now`'s begins.
    pub fn next_day(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let offset = chrono::Duration::seconds(i64::from(self.budget.utc_offset_seconds));
        let next = self.day(now).succ_opt().unwrap_or(NaiveDate::MAX);
        next.and_time(chrono::NaiveTime::MIN).and_utc() - offset
    }

    /// The most messages `class` may take the day to.
    fn limit(&self, class: Class) -> u64 {
        match class {
            Class::Interactive => self.budget.messages,
            Class::Bulk => self
                .budget
                .messages
                .saturating_sub(self.budget.reply_reserve)
                .max(1),
        }
    }

    /// Whether scheduled deliveries already found today's budget spent (then the courier
    /// claims nothing until the next day).
    pub async fn bulk_spent(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut state = self.state.lock().await;
        self.roll(&mut state, now);
        state.bulk_spent.then(|| self.next_day(now))
    }

    fn roll(&self, state: &mut State, now: DateTime<Utc>) {
        let day = self.day(now);
        if state.day != Some(day) {
            *state = State {
                day: Some(day),
                ..State::default()
            };
        }
    }

    /// Takes `cost` messages of today's budget for a send of `class`, reserving more from
    /// the store when this courier's allowance is short.
    pub async fn take(
        &self,
        store: &Store,
        channel: &str,
        cost: u64,
        class: Class,
        now: DateTime<Utc>,
    ) -> Result<Grant, StoreError> {
        if cost == 0 {
            return Ok(Grant::Granted);
        }
        let mut state = self.state.lock().await;
        self.roll(&mut state, now);
        let spent = Grant::Spent {
            until: self.next_day(now),
        };
        if class == Class::Bulk && state.bulk_spent {
            return Ok(spent);
        }
        if state.allowance < cost {
            let want = (cost - state.allowance).max(CHUNK);
            let day = self.day(now);
            let granted = store
                .reserve_daily_messages(channel, day, want, self.limit(class))
                .await?;
            state.allowance += granted;
        }
        if state.allowance < cost {
            if class == Class::Bulk && !state.bulk_spent {
                state.bulk_spent = true;
                tracing::warn!(
                    channel,
                    budget = self.budget.messages,
                    reply_reserve = self.budget.reply_reserve,
                    until = %self.next_day(now),
                    "the channel's daily message budget is spent: deliveries wait for the next day"
                );
            }
            return Ok(spent);
        }
        state.allowance -= cost;
        Ok(Grant::Granted)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn budget() -> Budget {
        Budget::new(DailyBudget {
            messages: 100,
            utc_offset_seconds: 8 * 3600,
            reply_reserve: 5,
        })
    }

    #[test]
    fn the_day_is_the_channels() {
        let b = budget();
        // 15:59 UTC is 23:59 in China; 16:00 UTC the next day.
        let late = Utc.with_ymd_and_hms(2026, 11, 24, 15, 59, 0).unwrap();
        assert_eq!(b.day(late), NaiveDate::from_ymd_opt(2026, 11, 24).unwrap());
        let next = b.next_day(late);
        assert_eq!(next, Utc.with_ymd_and_hms(2026, 11, 24, 16, 0, 0).unwrap());
        assert_eq!(b.day(next), NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(
            b.next_day(next),
            Utc.with_ymd_and_hms(2026, 11, 25, 16, 0, 0).unwrap()
        );
    }

    #[test]
    fn scheduled_deliveries_leave_the_reserve_to_replies() {
        let b = budget();
        assert_eq!(b.limit(Class::Bulk), 95);
        assert_eq!(b.limit(Class::Interactive), 100);
    }
}
