//! A channel's daily budget of messages (`channel_daily_sends`): what the couriers of every
//! process have reserved per channel and day, never beyond the budget.

use chrono::NaiveDate;

use super::{Result, Store};

impl Store {
    /// Reserves up to `want` messages of `channel`'s `day` without going beyond `limit`
    /// messages that day, in one statement (so that processes reserving at once never
    /// exceed it together); returns how many were granted (0 when the day's are spent).
    pub async fn reserve_daily_messages(
        &self,
        channel: &str,
        day: NaiveDate,
        want: u64,
        limit: u64,
    ) -> Result<u64> {
        let day = day.format("%Y-%m-%d").to_string();
        let want = i64::try_from(want).unwrap_or(i64::MAX);
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let granted: Option<i64> = in_tx!(self, tx => {
            sqlx::query(
                "INSERT INTO channel_daily_sends (channel, day, messages, last_grant)
                 VALUES ($1, $2, 0, 0) ON CONFLICT (channel, day) DO NOTHING",
            )
            .bind(channel)
            .bind(&day)
            .execute(&mut *tx)
            .await?;
            // Every SET reads the row as it was: last_grant is this reservation's grant.
            sqlx::query_scalar(
                "UPDATE channel_daily_sends
                 SET last_grant = CASE WHEN $3 < $4 - messages THEN $3 ELSE $4 - messages END,
                     messages = messages
                         + CASE WHEN $3 < $4 - messages THEN $3 ELSE $4 - messages END
                 WHERE channel = $1 AND day = $2 AND messages < $4
                 RETURNING last_grant",
            )
            .bind(channel)
            .bind(&day)
            .bind(want)
            .bind(limit)
            .fetch_optional(&mut *tx)
            .await?
        });
        Ok(granted.map_or(0, |g| u64::try_from(g).unwrap_or(0)))
    }

    /// The messages reserved for `channel` on `day`.
    pub async fn daily_messages(&self, channel: &str, day: NaiveDate) -> Result<u64> {
        let day = day.format("%Y-%m-%d").to_string();
        let n: Option<i64> = on_pool!(self, p => {
            sqlx::query_scalar(
                "SELECT messages FROM channel_daily_sends WHERE channel = $1 AND day = $2",
            )
            .bind(channel)
            .bind(&day)
            .fetch_optional(p)
            .await?
        });
        Ok(n.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }
}
