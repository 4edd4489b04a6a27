//! What decides that a job is due. Every schedule but [`Schedule::EveryTick`] remembers
//! its last run under a `channel_state` key (its marker), so that a run is done once per
//! period whatever the number of processes and restarts; the marker is written only after
//! the run succeeded, so a failed run is tried again.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::store::{Store, StoreError};

/// When a job runs.
#[derive(Debug, Clone)]
pub enum Schedule {
    /// At every tick: the job finds what is due itself (lessons by their enrollment's
    /// next time, questions by their closing time, broadcasts by their progress time).
    EveryTick,
    /// Once per hour (UTC), at the first tick of the hour.
    Hourly { marker: String },
    /// Once a day, at the first tick from `time` on in `tz`.
    DailyAt {
        time: NaiveTime,
        tz: Tz,
        marker: String,
    },
    /// At each time of a cron expression (with seconds) in `tz`; a time missed by more
    /// than `grace` (the service was down) is skipped.
    Cron {
        cron: Box<cron::Schedule>,
        tz: Tz,
        grace: Duration,
        marker: String,
    },
    /// Once, at `at` or at the first tick after it.
    Once { at: DateTime<Utc>, marker: String },
}

/// A due run of a schedule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Due {
    /// Now, as the schedule saw it.
    pub now: DateTime<Utc>,
    /// The time the run is for: the cron time or the `Once` time; else now.
    pub at: DateTime<Utc>,
    /// What the marker is set to once the run succeeded (None: no marker).
    mark: Option<String>,
}

impl Schedule {
    fn marker(&self) -> Option<&str> {
        match self {
            Schedule::EveryTick => None,
            Schedule::Hourly { marker }
            | Schedule::DailyAt { marker, .. }
            | Schedule::Cron { marker, .. }
            | Schedule::Once { marker, .. } => Some(marker),
        }
    }

    /// The run due at `now`, if there is one.
    pub async fn due(&self, store: &Store, now: DateTime<Utc>) -> Result<Option<Due>, StoreError> {
        let due = |at: DateTime<Utc>, mark: String| Due {
            now,
            at,
            mark: Some(mark),
        };
        let last = || async {
            match self.marker() {
                Some(key) => store.state(key).await,
                None => Ok(None),
            }
        };
        Ok(match self {
            Schedule::EveryTick => Some(Due {
                now,
                at: now,
                mark: None,
            }),
            Schedule::Hourly { .. } => {
                let hour = now.format("%Y-%m-%dT%H").to_string();
                (last().await?.as_deref() != Some(hour.as_str())).then(|| due(now, hour))
            }
            Schedule::DailyAt { time, tz, .. } => {
                let local = now.with_timezone(tz);
                if local.time() < *time {
                    return Ok(None);
                }
                let today = local.date_naive().format("%Y-%m-%d").to_string();
                (last().await?.as_deref() != Some(today.as_str())).then(|| due(now, today))
            }
            Schedule::Cron {
                cron, tz, grace, ..
            } => {
                let Some(at) = latest_cron_time(cron, *tz, now - *grace, now) else {
                    return Ok(None);
                };
                let done = last()
                    .await?
                    .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
                    .map(|t| t.with_timezone(&Utc));
                done.is_none_or(|d| d < at)
                    .then(|| due(at, at.to_rfc3339()))
            }
            Schedule::Once { at, .. } => {
                if *at > now || last().await?.is_some() {
                    return Ok(None);
                }
                Some(due(*at, now.to_rfc3339()))
            }
        })
    }

    /// Remembers that the run `due` succeeded.
    pub async fn done(&self, store: &Store, due: &Due) -> Result<(), StoreError> {
        if let (Some(key), Some(mark)) = (self.marker(), &due.mark) {
            store.set_state(key, mark).await?;
        }
        Ok(())
    }
}

/// The latest time of `cron` in `tz` after `since` and at or before `now`.
fn latest_cron_time(
    cron: &cron::Schedule,
    tz: Tz,
    since: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    let mut latest = None;
    for t in cron.after(&since.with_timezone(&tz)) {
        let t = t.with_timezone(&Utc);
        if t > now {
            break;
        }
        latest = Some(t);
    }
    latest
}

impl std::fmt::Display for Schedule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Schedule::EveryTick => f.write_str("every tick"),
            Schedule::Hourly { .. } => f.write_str("hourly"),
            Schedule::DailyAt { time, tz, .. } => {
                write!(f, "daily from {} ({tz})", time.format("%H:%M"))
            }
            Schedule::Cron { cron, tz, .. } => write!(f, "cron {cron} ({tz})"),
            Schedule::Once { at, .. } => write!(f, "once at {}", at.to_rfc3339()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::str::FromStr;

    #[test]
    fn the_latest_cron_time_is_within_the_window() {
        let cron = cron::Schedule::from_str("0 0 9 * * Mon").unwrap();
        let tz = chrono_tz::Asia::Shanghai;
        // Monday 2026-11-30 09:00 in Shanghai is 01:00 UTC.
        let nine = Utc.with_ymd_and_hms(2026, 11, 30, 1, 0, 0).unwrap();
        let day = Duration::hours(24);
        assert_eq!(latest_cron_time(&cron, tz, nine - day, nine), Some(nine));
        assert_eq!(
            latest_cron_time(&cron, tz, nine - day, nine - Duration::seconds(1)),
            None
        );
        let later = nine + Duration::hours(3);
        assert_eq!(latest_cron_time(&cron, tz, later - day, later), Some(nine));
        // After the window (the service was down too long): skipped.
        let much_later = nine + Duration::hours(25);
        assert_eq!(
            latest_cron_time(&cron, tz, much_later - day, much_later),
            None
        );
    }
}
