//! Settings: an optional TOML file (`weike.toml`, or `--config FILE`) and `WEIKE_*`
//! environment variables, which win over the file. Validated once at start.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde::Deserialize;

pub use crate::domain::address::ChatAddress;
use crate::domain::outbox::ClaimOrder;
use crate::domain::schedule::{parse_lesson_time, parse_time_zone};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {error}")]
    Read { path: PathBuf, error: String },
    #[error("{path}: {error}")]
    Parse { path: PathBuf, error: String },
    #[error("invalid setting {key}: {problem}")]
    Invalid { key: &'static str, problem: String },
}

/// The file's shape; every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    database_url: Option<String>,
    telegram_token: Option<String>,
    telegram_api_url: Option<String>,
    lessons_dir: Option<PathBuf>,
    branches_file: Option<PathBuf>,
    points_file: Option<PathBuf>,
    owners: Option<Vec<OwnerEntry>>,
    course: Option<String>,
    default_lesson_time: Option<String>,
    default_timezone: Option<String>,
    timezone_choices: Option<Vec<String>>,
    grace_minutes: Option<i64>,
    poll_timeout_seconds: Option<u64>,
    max_attempts: Option<i64>,
    send_concurrency: Option<usize>,
    http_listen: Option<String>,
    paid_broadcast: Option<bool>,
    webhook_url: Option<String>,
    webhook_secret: Option<String>,
    messages_per_second: Option<f64>,
    per_chat_per_second: Option<f64>,
    per_chat_burst: Option<f64>,
    nudge_after_missed: Option<u32>,
    nudge_time: Option<String>,
    nudge_text: Option<String>,
    commands_per_minute: Option<u32>,
    location_retention_days: Option<u32>,
    nearby_radius_km: Option<f64>,
    nearby_days: Option<u32>,
    attendance_radius_m: Option<f64>,
    attendance_early_minutes: Option<u32>,
    migrant_digest: Option<String>,
    handled_update_retention_hours: Option<u32>,
    dead_update_retention_days: Option<u32>,
    metrics_listen: Option<String>,
    http_max_connections: Option<usize>,
    http_header_timeout_seconds: Option<u64>,
    http_body_timeout_seconds: Option<u64>,
    http_idle_timeout_seconds: Option<u64>,
    wecom: Option<WecomFile>,
}

/// The `[wecom]` table: a WeCom self-built app (企业微信自建应用).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct WecomFile {
    corp_id: Option<String>,
    agent_id: Option<i64>,
    secret: Option<String>,
    token: Option<String>,
    aes_key: Option<String>,
    api_url: Option<String>,
    daily_budget: Option<u64>,
    opusdec: Option<PathBuf>,
    sox: Option<PathBuf>,
}

/// A WeCom self-built app (企业微信自建应用) that `weike run` serves besides (or instead
/// of) Telegram: its corp, its AgentId and Secret (sending), and the Token and
/// EncodingAESKey of its callback (receiving). `Debug` shows none of the secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct WecomSettings {
    /// The corp's id (企业ID, `ww...`).
    pub corp_id: String,
    /// The app's AgentId.
    pub agent_id: i64,
    /// The app's Secret.
    pub secret: String,
    /// The callback's Token (3 to 32 letters and digits).
    pub token: String,
    /// The callback's EncodingAESKey (43 letters and digits).
    pub aes_key: String,
    /// Another API root (a test fake); WeCom's own when None.
    pub api_url: Option<String>,
    /// The messages the app may send a day ([`DEFAULT_WECOM_DAILY_BUDGET`] unless set):
    /// WeCom allows an app's corp the number of its accounts (帐号上限数) × 200 a day,
    /// counted per member reached, the day in China's time.
    pub daily_budget: u64,
    /// The tools that make a lesson's Opus audio into voice messages (AMR-NB): `opusdec`
    /// (opus-tools) and `sox` (with libsox-fmt-base), by path or by name on `PATH`.
    pub opusdec: PathBuf,
    pub sox: PathBuf,
}

/// The per-app daily budget weike keeps when none is set: 200 accounts (the smallest
/// account limit of a corp) × 200 messages.
pub const DEFAULT_WECOM_DAILY_BUDGET: u64 = 200 * 200;

/// A channel's budget of messages a day, across all of weike's processes: the courier
/// sends no more, and deliveries beyond it wait for the next day. The day begins at
/// midnight at `utc_offset_seconds` (WeCom: China's time, UTC+8). Scheduled deliveries
/// stop `reply_reserve` messages short of the budget, so that members' replies still go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyBudget {
    pub messages: u64,
    pub utc_offset_seconds: i32,
    pub reply_reserve: u64,
}

impl std::fmt::Debug for WecomSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomSettings")
            .field("corp_id", &self.corp_id)
            .field("agent_id", &self.agent_id)
            .field("secret", &"***")
            .field("token", &"***")
            .field("aes_key", &"***")
            .field("api_url", &self.api_url)
            .field("daily_budget", &self.daily_budget)
            .field("opusdec", &self.opusdec)
            .field("sox", &self.sox)
            .finish()
    }
}

/// An owner in the file: a number (a chat id of the default channel) or a text
/// (`CHAT_ID` or `CHANNEL:CHAT_ID`).
#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OwnerEntry {
    Number(i64),
    Text(String),
}

#[derive(Clone)]
pub struct Config {
    pub database_url: String,
    pub telegram_token: Option<String>,
    pub telegram_api_url: Option<String>,
    pub lessons_dir: PathBuf,
    pub branches_file: PathBuf,
    /// Points rules and seasons; a missing file at the default path means the defaults.
    pub points_file: PathBuf,
    /// The owners, who grant and revoke admin roles: chats of the default channel (their
    /// ids as they are: Telegram user ids), or of another channel (`CHANNEL:CHAT_ID`).
    pub owners: Vec<ChatAddress>,
    /// The course new members join; None: the first course found.
    pub course: Option<String>,
    pub default_lesson_time: NaiveTime,
    pub default_timezone: Tz,
    pub timezone_choices: Vec<Tz>,
    /// Lessons missed by more than this while the service was down are skipped.
    pub grace: chrono::Duration,
    pub poll_timeout: Duration,
    pub courier: CourierSettings,
    /// Where the HTTP endpoints (/healthz, /metrics, the webhook) listen, e.g. 0.0.0.0:8443.
    pub http_listen: Option<std::net::SocketAddr>,
    /// A separate address for /metrics and /healthz (then /metrics is not served on
    /// `http_listen`), e.g. 127.0.0.1:9100.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// What the HTTP server accepts from clients.
    pub http_limits: HttpLimits,
    /// The public HTTPS URL Telegram posts updates to (webhook mode).
    pub webhook_url: Option<String>,
    /// The secret Telegram sends with every webhook request.
    pub webhook_secret: Option<String>,
    /// Telegram's paid broadcasts: `allow_paid_broadcast` on every send, up to 1000/s.
    pub paid_broadcast: bool,
    pub nudges: NudgeSettings,
    /// Messages and button presses one member may send per minute; more get a polite
    /// "please wait" (0: no limit).
    pub commands_per_minute: u32,
    pub migrants: MigrantSettings,
    pub inbox: InboxSettings,
    /// The WeCom app, when configured (all of `WEIKE_WECOM_CORP_ID`, `_AGENT_ID`,
    /// `_SECRET`, `_TOKEN` and `_AES_KEY`, or the `[wecom]` table).
    pub wecom: Option<WecomSettings>,
}

/// A channel's rate limits, which the courier keeps (each channel states its own, see
/// `Channel::limits`; the operator may change them, see [`LimitSettings`]): messages per
/// second overall (evenly spaced, so that no second holds more), per private chat with a
/// short burst (a lesson's text and audio), and per group chat.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub global_per_second: f64,
    pub global_burst: f64,
    pub per_chat_per_second: f64,
    pub per_chat_burst: f64,
    pub per_group_per_minute: f64,
}

impl Limits {
    /// No limits at all (a terminal; benchmarks of the pipeline itself).
    pub fn unlimited() -> Self {
        Self {
            global_per_second: f64::INFINITY,
            global_burst: 1.0,
            per_chat_per_second: f64::INFINITY,
            per_chat_burst: 1.0,
            per_group_per_minute: f64::INFINITY,
        }
    }
}

/// The operator's changes to a channel's [`Limits`] (`messages_per_second`,
/// `per_chat_per_second`, `per_chat_burst` in the configuration); what is not set stays as
/// the channel says.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LimitSettings {
    pub global_per_second: Option<f64>,
    pub per_chat_per_second: Option<f64>,
    pub per_chat_burst: Option<f64>,
    pub per_group_per_minute: Option<f64>,
}

impl LimitSettings {
    /// No limits, whatever the channel's (benchmarks and tests of the pipeline itself).
    pub fn unlimited() -> Self {
        let none = Limits::unlimited();
        Self {
            global_per_second: Some(none.global_per_second),
            per_chat_per_second: Some(none.per_chat_per_second),
            per_chat_burst: Some(none.per_chat_burst),
            per_group_per_minute: Some(none.per_group_per_minute),
        }
    }

    /// The channel's limits with these changes.
    pub fn apply(&self, channel: Limits) -> Limits {
        Limits {
            global_per_second: self.global_per_second.unwrap_or(channel.global_per_second),
            global_burst: channel.global_burst,
            per_chat_per_second: self
                .per_chat_per_second
                .unwrap_or(channel.per_chat_per_second),
            per_chat_burst: self.per_chat_burst.unwrap_or(channel.per_chat_burst),
            per_group_per_minute: self
                .per_group_per_minute
                .unwrap_or(channel.per_group_per_minute),
        }
    }
}

/// How the courier sends (see `courier/`).
#[derive(Debug, Clone)]
pub struct CourierSettings {
    /// Changes to the channel's own rate limits (`Channel::limits`).
    pub limits: LimitSettings,
    /// How long a claimed row stays ours before another courier may take it.
    pub lease: Duration,
    /// Deliveries in flight at once; also the bound on repeats after a crash.
    pub concurrency: usize,
    /// Attempts before a row is dead.
    pub max_attempts: i64,
    /// First retry delay; doubles each attempt, with jitter.
    pub backoff: Duration,
    pub max_backoff: Duration,
    /// How long one drain of the service's tick may go on claiming before the tick's
    /// other jobs get their turn (`Courier::drain_turn`).
    pub drain_turn: Duration,
    /// The order due rows are claimed in: earliest due first; the other order exists for
    /// the delivery benchmark's comparison and is not read from the configuration.
    pub claim_order: ClaimOrder,
}

impl Default for CourierSettings {
    fn default() -> Self {
        Self {
            limits: LimitSettings::default(),
            lease: Duration::from_secs(300),
            concurrency: 16,
            max_attempts: 5,
            backoff: Duration::from_secs(10),
            max_backoff: Duration::from_secs(3600),
            drain_turn: Duration::from_secs(30),
            claim_order: ClaimOrder::EarliestDue,
        }
    }
}

/// What the HTTP server accepts: a client that is slow, idle or too big is cut off, so
/// that it cannot hold memory or connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HttpLimits {
    /// Connections open at once; more are closed at once.
    pub max_connections: usize,
    /// A request's line and headers must arrive within this time.
    pub header_timeout: Duration,
    /// An accepted webhook request's body must arrive within this time.
    pub body_timeout: Duration,
    /// A connection on which nothing moves for this long is closed.
    pub idle_timeout: Duration,
    /// The largest webhook body read (Telegram's updates are a few kilobytes; a message
    /// with a 4,096-character text, its entities and a quoted message stays far below).
    pub max_body_bytes: usize,
}

impl Default for HttpLimits {
    fn default() -> Self {
        HttpLimits {
            max_connections: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            max_body_bytes: 256 * 1024,
        }
    }
}

/// How long stored updates (what members sent) are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InboxSettings {
    /// A handled update's content is emptied at once; its id is kept this long, so that a
    /// duplicate delivery of it is recognized, then the row is deleted.
    pub handled_retention: chrono::Duration,
    /// A dead update (kept for `weike inbox retry`) is deleted after this long.
    pub dead_retention: chrono::Duration,
}

impl Default for InboxSettings {
    fn default() -> Self {
        InboxSettings {
            handled_retention: chrono::Duration::hours(24),
            dead_retention: chrono::Duration::days(30),
        }
    }
}

/// Members working away from home: shared locations, nearby activities, attendance.
#[derive(Debug, Clone)]
pub struct MigrantSettings {
    /// Shared locations older than this are deleted.
    pub retention_days: u32,
    /// `/nearby` without a number searches this far.
    pub nearby_radius_km: f64,
    /// `/nearby` and the digest look this many days ahead.
    pub nearby_days: u32,
    /// A member within this many metres of the venue during an activity is checked in.
    pub attendance_radius_m: f64,
    /// Check-in opens this many minutes before an activity starts.
    pub attendance_early_minutes: u32,
    /// When the weekly digest of nearby activities goes out (a cron expression with
    /// seconds, in the organization's time zone); None: no digest.
    pub digest: Option<cron::Schedule>,
}

/// The weekly digest's default: Mondays at 09:00.
pub const DEFAULT_MIGRANT_DIGEST: &str = "0 0 9 * * Mon";

impl Default for MigrantSettings {
    fn default() -> Self {
        MigrantSettings {
            retention_days: 30,
            nearby_radius_km: 10.0,
            nearby_days: 7,
            attendance_radius_m: 300.0,
            attendance_early_minutes: 30,
            digest: cron::Schedule::from_str(DEFAULT_MIGRANT_DIGEST).ok(),
        }
    }
}

impl MigrantSettings {
    /// Largest radius `/nearby` accepts, in km.
    pub const MAX_NEARBY_KM: f64 = 100.0;
}

/// Friendly reminders for members who stopped studying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NudgeSettings {
    /// A member who missed this many scheduled lessons in a row is reminded (0: never).
    pub after_missed: u32,
    /// When, in the organization's time zone (`default_timezone`), the day's nudges go out.
    pub time: NaiveTime,
    /// The reminder's text (Telegram HTML); None: the `nudge` message of the member's language.
    pub text: Option<String>,
}

impl Default for NudgeSettings {
    fn default() -> Self {
        NudgeSettings {
            after_missed: 3,
            time: NaiveTime::from_hms_opt(19, 0, 0).unwrap_or(NaiveTime::MIN),
            text: None,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("database_url", &redact_url(&self.database_url))
            .field(
                "telegram_token",
                &self.telegram_token.as_ref().map(|_| "***"),
            )
            .field("telegram_api_url", &self.telegram_api_url)
            .field("lessons_dir", &self.lessons_dir)
            .field("branches_file", &self.branches_file)
            .field("points_file", &self.points_file)
            .field("owners", &self.owners)
            .field("course", &self.course)
            .field("default_lesson_time", &self.default_lesson_time)
            .field("default_timezone", &self.default_timezone)
            .field("grace", &self.grace)
            .field("http_listen", &self.http_listen)
            .field("metrics_listen", &self.metrics_listen)
            .field("webhook_url", &self.webhook_url)
            .field(
                "webhook_secret",
                &self.webhook_secret.as_ref().map(|_| "***"),
            )
            .field("wecom", &self.wecom)
            .finish_non_exhaustive()
    }
}

/// Hides the password in a database URL for messages and logs.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_string(),
    }
}

pub const DEFAULT_POINTS_FILE: &str = "points.toml";

/// The environment variables read, with the setting each overrides.
pub const ENV_VARS: [&str; 25] = [
    "WEIKE_DATABASE_URL",
    "WEIKE_TELEGRAM_TOKEN",
    "WEIKE_TELEGRAM_API_URL",
    "WEIKE_LESSONS_DIR",
    "WEIKE_BRANCHES_FILE",
    "WEIKE_POINTS_FILE",
    "WEIKE_OWNERS",
    "WEIKE_COURSE",
    "WEIKE_DEFAULT_LESSON_TIME",
    "WEIKE_DEFAULT_TIMEZONE",
    "WEIKE_GRACE_MINUTES",
    "WEIKE_POLL_TIMEOUT_SECONDS",
    "WEIKE_SEND_CONCURRENCY",
    "WEIKE_HTTP_LISTEN",
    "WEIKE_METRICS_LISTEN",
    "WEIKE_WEBHOOK_URL",
    "WEIKE_WEBHOOK_SECRET",
    "WEIKE_PAID_BROADCAST",
    "WEIKE_COMMANDS_PER_MINUTE",
    "WEIKE_WECOM_CORP_ID",
    "WEIKE_WECOM_AGENT_ID",
    "WEIKE_WECOM_SECRET",
    "WEIKE_WECOM_TOKEN",
    "WEIKE_WECOM_AES_KEY",
    "WEIKE_WECOM_API_URL",
];

impl Config {
    /// Reads `path` (or `weike.toml` if it exists) and the process environment.
    /// Messages a second the default channel's lessons go out at, for the delivery
    /// forecast: `messages_per_second` if set, else Telegram's 29.5 (1,000 with
    /// `paid_broadcast`).
    pub fn delivery_rate(&self) -> f64 {
        self.courier
            .limits
            .global_per_second
            .unwrap_or(if self.paid_broadcast { 1000.0 } else { 29.5 })
    }

    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let default = Path::new("weike.toml");
        let file = match path {
            Some(p) => Some(p),
            None if default.is_file() => Some(default),
            None => None,
        };
        let text = match file {
            Some(p) => Some((
                p.to_path_buf(),
                std::fs::read_to_string(p).map_err(|e| ConfigError::Read {
                    path: p.to_path_buf(),
                    error: e.to_string(),
                })?,
            )),
            None => None,
        };
        Self::from_sources(text.as_ref().map(|(p, t)| (p.as_path(), t.as_str())), |k| {
            std::env::var(k).ok()
        })
    }

    /// Builds the settings from a file's text and an environment lookup.
    pub fn from_sources(
        file: Option<(&Path, &str)>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let mut fc: FileConfig = match file {
            Some((path, text)) => toml::from_str(text).map_err(|e| ConfigError::Parse {
                path: path.to_path_buf(),
                error: e.to_string(),
            })?,
            None => FileConfig::default(),
        };
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
        let migrants = migrant_settings(&fc)?;
        let wecom = wecom_settings(fc.wecom.take().unwrap_or_default(), &env)?;
        let inbox = inbox_settings(&fc)?;
        let http_limits = http_limits(&fc)?;

        let database_url = env("WEIKE_DATABASE_URL")
            .or(fc.database_url)
            .unwrap_or_else(|| "sqlite://weike.db".into());
        let lesson_time_text = env("WEIKE_DEFAULT_LESSON_TIME")
            .or(fc.default_lesson_time)
            .unwrap_or_else(|| "07:30".into());
        let default_lesson_time = parse_lesson_time(&lesson_time_text).ok_or_else(|| {
            invalid(
                "default_lesson_time",
                format!("{lesson_time_text:?} is not a time like 07:30"),
            )
        })?;
        let owner = |text: &str| {
            ChatAddress::parse(text).map_err(|problem| {
                invalid(
                    "owners",
                    format!(
                        "{problem}: an owner is CHAT_ID (of the {} channel) or CHANNEL:CHAT_ID; WEIKE_OWNERS is a comma-separated list",
                        crate::domain::address::DEFAULT_CHANNEL
                    ),
                )
            })
        };
        let owners: Vec<ChatAddress> = match env("WEIKE_OWNERS") {
            Some(list) => list
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(owner)
                .collect::<Result<_, _>>()?,
            None => fc
                .owners
                .unwrap_or_default()
                .iter()
                .map(|entry| match entry {
                    OwnerEntry::Number(id) => owner(&id.to_string()),
                    OwnerEntry::Text(text) => owner(text),
                })
                .collect::<Result<_, _>>()?,
        };
        let tz_text = env("WEIKE_DEFAULT_TIMEZONE")
            .or(fc.default_timezone)
            .unwrap_or_else(|| "Asia/Shanghai".into());
        let default_timezone = parse_time_zone(&tz_text).ok_or_else(|| {
            invalid(
                "default_timezone",
                format!("{tz_text:?} is not an IANA time zone name"),
            )
        })?;
        let timezone_choices = fc
            .timezone_choices
            .unwrap_or_else(|| {
                [
                    "Asia/Shanghai",
                    "Asia/Urumqi",
                    "Asia/Hong_Kong",
                    "Asia/Taipei",
                ]
                .map(String::from)
                .to_vec()
            })
            .iter()
            .map(|name| {
                parse_time_zone(name).ok_or_else(|| {
                    invalid(
                        "timezone_choices",
                        format!("{name:?} is not an IANA time zone name"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let grace_minutes = match env("WEIKE_GRACE_MINUTES") {
            Some(v) => v.trim().parse::<i64>().map_err(|_| {
                invalid(
                    "WEIKE_GRACE_MINUTES",
                    format!("{v:?} is not a whole number of minutes"),
                )
            })?,
            None => fc.grace_minutes.unwrap_or(12 * 60),
        };
        if grace_minutes < 0 {
            return Err(invalid("grace_minutes", "must not be negative".into()));
        }
        let commands_per_minute = match env("WEIKE_COMMANDS_PER_MINUTE") {
            Some(v) => v.trim().parse::<u32>().map_err(|_| {
                invalid(
                    "WEIKE_COMMANDS_PER_MINUTE",
                    format!("{v:?} is not a whole number (0: no limit)"),
                )
            })?,
            None => fc.commands_per_minute.unwrap_or(20),
        };
        let poll_timeout_seconds = match env("WEIKE_POLL_TIMEOUT_SECONDS") {
            Some(v) => v.trim().parse::<u64>().map_err(|_| {
                invalid(
                    "WEIKE_POLL_TIMEOUT_SECONDS",
                    format!("{v:?} is not a whole number of seconds"),
                )
            })?,
            None => fc.poll_timeout_seconds.unwrap_or(25),
        };
        if poll_timeout_seconds > 50 {
            return Err(invalid("poll_timeout_seconds", "must be at most 50".into()));
        }
        let telegram_api_url = env("WEIKE_TELEGRAM_API_URL").or(fc.telegram_api_url);
        if let Some(u) = &telegram_api_url {
            url::Url::parse(u).map_err(|e| invalid("telegram_api_url", format!("{u:?}: {e}")))?;
        }
        let paid_broadcast = match env("WEIKE_PAID_BROADCAST") {
            Some(v) => matches!(v.trim(), "1" | "true" | "yes"),
            None => fc.paid_broadcast.unwrap_or(false),
        };
        // The channel has its own limits (with paid broadcasts, Telegram's are higher);
        // these settings change them.
        let limits = LimitSettings {
            global_per_second: fc.messages_per_second,
            per_chat_per_second: fc.per_chat_per_second,
            per_chat_burst: fc.per_chat_burst,
            per_group_per_minute: None,
        };
        for (key, v) in [
            ("messages_per_second", limits.global_per_second),
            ("per_chat_per_second", limits.per_chat_per_second),
        ] {
            if let Some(v) = v
                && !(v > 0.0 && v.is_finite())
            {
                return Err(invalid(key, format!("{v} must be a positive number")));
            }
        }
        if let Some(burst) = limits.per_chat_burst
            && !(burst >= 1.0 && burst.is_finite())
        {
            return Err(invalid("per_chat_burst", "must be at least 1".into()));
        }
        let concurrency = match env("WEIKE_SEND_CONCURRENCY") {
            Some(v) => v.trim().parse::<usize>().map_err(|_| {
                invalid(
                    "WEIKE_SEND_CONCURRENCY",
                    format!("{v:?} is not a whole number"),
                )
            })?,
            None => fc.send_concurrency.unwrap_or(16),
        };
        if !(1..=1000).contains(&concurrency) {
            return Err(invalid(
                "send_concurrency",
                format!("{concurrency} must be 1 to 1000"),
            ));
        }
        let http_listen = match env("WEIKE_HTTP_LISTEN").or(fc.http_listen) {
            Some(v) => Some(v.trim().parse::<std::net::SocketAddr>().map_err(|_| {
                invalid(
                    "http_listen",
                    format!("{v:?} is not an address:port such as 0.0.0.0:8443"),
                )
            })?),
            None => None,
        };
        let metrics_listen = match env("WEIKE_METRICS_LISTEN").or(fc.metrics_listen.clone()) {
            Some(v) => Some(v.trim().parse::<std::net::SocketAddr>().map_err(|_| {
                invalid(
                    "metrics_listen",
                    format!("{v:?} is not an address:port such as 127.0.0.1:9100"),
                )
            })?),
            None => None,
        };
        if metrics_listen.is_some() && metrics_listen == http_listen {
            return Err(invalid(
                "metrics_listen",
                "must differ from http_listen (leave it out to serve /metrics there)".into(),
            ));
        }
        let webhook_url = env("WEIKE_WEBHOOK_URL").or(fc.webhook_url);
        if let Some(u) = &webhook_url {
            let parsed =
                url::Url::parse(u).map_err(|e| invalid("webhook_url", format!("{u:?}: {e}")))?;
            if parsed.scheme() != "https" && parsed.host_str() != Some("127.0.0.1") {
                return Err(invalid(
                    "webhook_url",
                    format!("{u:?}: Telegram only posts to https:// URLs"),
                ));
            }
        }
        let webhook_secret = env("WEIKE_WEBHOOK_SECRET").or(fc.webhook_secret);
        if let Some(secret) = &webhook_secret {
            let ok_chars = secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if secret.is_empty() || secret.len() > 256 || !ok_chars {
                return Err(invalid(
                    "webhook_secret",
                    "must be 1-256 characters A-Z, a-z, 0-9, _ and -".into(),
                ));
            }
        }
        let defaults = NudgeSettings::default();
        let nudge_time = match &fc.nudge_time {
            Some(text) => parse_lesson_time(text).ok_or_else(|| {
                invalid("nudge_time", format!("{text:?} is not a time like 19:00"))
            })?,
            None => defaults.time,
        };
        let nudge_text = fc.nudge_text.filter(|t| !t.trim().is_empty());
        if let Some(text) = &nudge_text
            && text.chars().count() > 4096
        {
            return Err(invalid(
                "nudge_text",
                format!("has {} characters, at most 4096", text.chars().count()),
            ));
        }
        let nudges = NudgeSettings {
            after_missed: fc.nudge_after_missed.unwrap_or(defaults.after_missed),
            time: nudge_time,
            text: nudge_text,
        };
        let max_attempts = fc.max_attempts.unwrap_or(5);
        if max_attempts < 1 {
            return Err(invalid("max_attempts", "must be at least 1".into()));
        }
        Ok(Config {
            database_url,
            telegram_token: env("WEIKE_TELEGRAM_TOKEN").or(fc.telegram_token),
            telegram_api_url,
            lessons_dir: env("WEIKE_LESSONS_DIR")
                .map(PathBuf::from)
                .or(fc.lessons_dir)
                .unwrap_or_else(|| "lessons".into()),
            branches_file: env("WEIKE_BRANCHES_FILE")
                .map(PathBuf::from)
                .or(fc.branches_file)
                .unwrap_or_else(|| "branches.toml".into()),
            points_file: env("WEIKE_POINTS_FILE")
                .map(PathBuf::from)
                .or(fc.points_file)
                .unwrap_or_else(|| DEFAULT_POINTS_FILE.into()),
            owners,
            course: env("WEIKE_COURSE").or(fc.course),
            default_lesson_time,
            default_timezone,
            timezone_choices,
            grace: chrono::Duration::minutes(grace_minutes),
            poll_timeout: Duration::from_secs(poll_timeout_seconds),
            http_listen,
            metrics_listen,
            http_limits,
            webhook_url,
            webhook_secret,
            paid_broadcast,
            nudges,
            commands_per_minute,
            migrants,
            inbox,
            wecom,
            courier: CourierSettings {
                limits,
                max_attempts,
                concurrency,
                ..CourierSettings::default()
            },
        })
    }
}

/// The WeCom app from `WEIKE_WECOM_*` over the `[wecom]` table: None when nothing of it is
/// set; an error naming what is missing when only some is, or what is malformed.
fn wecom_settings(
    file: WecomFile,
    env: &impl Fn(&str) -> Option<String>,
) -> Result<Option<WecomSettings>, ConfigError> {
    let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
    let text = |var: &str, file: Option<String>| {
        env(var)
            .or(file)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let corp_id = text("WEIKE_WECOM_CORP_ID", file.corp_id);
    let agent_id = match env("WEIKE_WECOM_AGENT_ID") {
        Some(v) => Some(v.trim().parse::<i64>().map_err(|_| {
            invalid(
                "WEIKE_WECOM_AGENT_ID",
                format!("{v:?} is not a number (the app's AgentId)"),
            )
        })?),
        None => file.agent_id,
    };
    let secret = text("WEIKE_WECOM_SECRET", file.secret);
    let token = text("WEIKE_WECOM_TOKEN", file.token);
    let aes_key = text("WEIKE_WECOM_AES_KEY", file.aes_key);
    let api_url = text("WEIKE_WECOM_API_URL", file.api_url);
    let daily_budget = match env("WEIKE_WECOM_DAILY_BUDGET") {
        Some(v) => Some(v.trim().parse::<u64>().map_err(|_| {
            invalid(
                "WEIKE_WECOM_DAILY_BUDGET",
                format!("{v:?} is not a number (messages a day)"),
            )
        })?),
        None => file.daily_budget,
    };
    let tool = |var: &str, file: Option<PathBuf>, default: &str| {
        env(var)
            .map(|v| PathBuf::from(v.trim()))
            .or(file)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(default))
    };
    let opusdec = tool("WEIKE_WECOM_OPUSDEC", file.opusdec, "opusdec");
    let sox = tool("WEIKE_WECOM_SOX", file.sox, "sox");
    let (Some(corp_id), Some(agent_id), Some(secret), Some(token), Some(aes_key)) =
        (&corp_id, agent_id, &secret, &token, &aes_key)
    else {
        let missing: Vec<&str> = [
            ("WEIKE_WECOM_CORP_ID", corp_id.is_none()),
            ("WEIKE_WECOM_AGENT_ID", agent_id.is_none()),
            ("WEIKE_WECOM_SECRET", secret.is_none()),
            ("WEIKE_WECOM_TOKEN", token.is_none()),
            ("WEIKE_WECOM_AES_KEY", aes_key.is_none()),
        ]
        .into_iter()
        .filter(|(_, m)| *m)
        .map(|(name, _)| name)
        .collect();
        if missing.len() == 5 && api_url.is_none() {
            return Ok(None);
        }
        return Err(invalid(
            "wecom",
            format!(
                "the WeCom app needs {} too (or the same keys in the [wecom] table)",
                missing.join(", ")
            ),
        ));
    };
    if agent_id <= 0 {
        return Err(invalid(
            "wecom.agent_id",
            format!("{agent_id} is not an AgentId (a positive number)"),
        ));
    }
    let alnum = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric());
    if !(3..=32).contains(&token.len()) || !alnum(token) {
        return Err(invalid(
            "wecom.token",
            "the callback's Token is 3 to 32 letters and digits".into(),
        ));
    }
    if aes_key.len() != 43 || !alnum(aes_key) {
        return Err(invalid(
            "wecom.aes_key",
            "the callback's EncodingAESKey is 43 letters and digits".into(),
        ));
    }
    if let Some(u) = &api_url {
        url::Url::parse(u).map_err(|e| invalid("wecom.api_url", format!("{u:?}: {e}")))?;
    }
    let daily_budget = daily_budget.unwrap_or(DEFAULT_WECOM_DAILY_BUDGET);
    if daily_budget == 0 {
        return Err(invalid(
            "wecom.daily_budget",
            "0 would send nothing: the corp's accounts × 200 messages a day".into(),
        ));
    }
    Ok(Some(WecomSettings {
        corp_id: corp_id.clone(),
        agent_id,
        secret: secret.clone(),
        token: token.clone(),
        aes_key: aes_key.clone(),
        api_url,
        daily_budget,
        opusdec,
        sox,
    }))
}

fn http_limits(fc: &FileConfig) -> Result<HttpLimits, ConfigError> {
    let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
    let d = HttpLimits::default();
    let max_connections = fc.http_max_connections.unwrap_or(d.max_connections);
    if !(1..=100_000).contains(&max_connections) {
        return Err(invalid(
            "http_max_connections",
            format!("{max_connections} must be 1 to 100000"),
        ));
    }
    let seconds = |key: &'static str, v: Option<u64>, default: Duration| match v {
        None => Ok(default),
        Some(n) if (1..=3600).contains(&n) => Ok(Duration::from_secs(n)),
        Some(n) => Err(invalid(key, format!("{n} must be 1 to 3600 seconds"))),
    };
    Ok(HttpLimits {
        max_connections,
        header_timeout: seconds(
            "http_header_timeout_seconds",
            fc.http_header_timeout_seconds,
            d.header_timeout,
        )?,
        body_timeout: seconds(
            "http_body_timeout_seconds",
            fc.http_body_timeout_seconds,
            d.body_timeout,
        )?,
        idle_timeout: seconds(
            "http_idle_timeout_seconds",
            fc.http_idle_timeout_seconds,
            d.idle_timeout,
        )?,
        max_body_bytes: d.max_body_bytes,
    })
}

fn inbox_settings(fc: &FileConfig) -> Result<InboxSettings, ConfigError> {
    let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
    let d = InboxSettings::default();
    let hours = fc
        .handled_update_retention_hours
        .map_or(d.handled_retention.num_hours(), i64::from);
    if !(1..=24 * 30).contains(&hours) {
        return Err(invalid(
            "handled_update_retention_hours",
            format!("{hours} must be 1 to 720 hours"),
        ));
    }
    let days = fc
        .dead_update_retention_days
        .map_or(d.dead_retention.num_days(), i64::from);
    if !(1..=365).contains(&days) {
        return Err(invalid(
            "dead_update_retention_days",
            format!("{days} must be 1 to 365 days"),
        ));
    }
    Ok(InboxSettings {
        handled_retention: chrono::Duration::hours(hours),
        dead_retention: chrono::Duration::days(days),
    })
}

fn migrant_settings(fc: &FileConfig) -> Result<MigrantSettings, ConfigError> {
    let invalid = |key: &'static str, problem: String| ConfigError::Invalid { key, problem };
    let d = MigrantSettings::default();
    let retention_days = fc.location_retention_days.unwrap_or(d.retention_days);
    if !(1..=3650).contains(&retention_days) {
        return Err(invalid(
            "location_retention_days",
            format!("{retention_days} must be 1 to 3650 days"),
        ));
    }
    let nearby_radius_km = fc.nearby_radius_km.unwrap_or(d.nearby_radius_km);
    if !(nearby_radius_km > 0.0 && nearby_radius_km <= MigrantSettings::MAX_NEARBY_KM) {
        return Err(invalid(
            "nearby_radius_km",
            format!(
                "{nearby_radius_km} must be more than 0 and at most {} km",
                MigrantSettings::MAX_NEARBY_KM
            ),
        ));
    }
    let nearby_days = fc.nearby_days.unwrap_or(d.nearby_days);
    if !(1..=60).contains(&nearby_days) {
        return Err(invalid(
            "nearby_days",
            format!("{nearby_days} must be 1 to 60 days"),
        ));
    }
    let attendance_radius_m = fc.attendance_radius_m.unwrap_or(d.attendance_radius_m);
    if !(10.0..=10_000.0).contains(&attendance_radius_m) {
        return Err(invalid(
            "attendance_radius_m",
            format!("{attendance_radius_m} must be 10 to 10000 metres"),
        ));
    }
    let attendance_early_minutes = fc
        .attendance_early_minutes
        .unwrap_or(d.attendance_early_minutes);
    if attendance_early_minutes > 24 * 60 {
        return Err(invalid(
            "attendance_early_minutes",
            format!("{attendance_early_minutes} must be at most 1440 minutes"),
        ));
    }
    let digest = match fc.migrant_digest.as_deref().map(str::trim) {
        None => d.digest,
        Some("" | "off") => None,
        Some(expr) => Some(cron::Schedule::from_str(expr).map_err(|e| {
            invalid(
                "migrant_digest",
                format!("{expr:?} is not a cron expression with seconds such as {DEFAULT_MIGRANT_DIGEST:?} (or \"off\"): {e}"),
            )
        })?),
    };
    Ok(MigrantSettings {
        retention_days,
        nearby_radius_km,
        nearby_days,
        attendance_radius_m,
        attendance_early_minutes,
        digest,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env_of(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |k| {
            pairs
                .iter()
                .find(|(n, _)| *n == k)
                .map(|(_, v)| v.to_string())
        }
    }

    #[test]
    fn defaults_need_nothing() {
        let c = Config::from_sources(None, |_| None).unwrap();
        assert_eq!(c.database_url, "sqlite://weike.db");
        assert_eq!(
            c.default_lesson_time,
            NaiveTime::from_hms_opt(7, 30, 0).unwrap()
        );
        assert_eq!(c.default_timezone, chrono_tz::Asia::Shanghai);
        assert_eq!(c.grace, chrono::Duration::hours(12));
        // The channel's own rate limits, unchanged.
        assert_eq!(c.courier.limits, LimitSettings::default());
        assert!(c.owners.is_empty());
    }

    #[test]
    fn environment_wins_over_the_file() {
        let file = "database_url = \"sqlite://file.db\"\ndefault_lesson_time = \"06:00\"\n";
        let c = Config::from_sources(
            Some((Path::new("w.toml"), file)),
            env_of(&[("WEIKE_DATABASE_URL", "postgres://u:pw@h/db")]),
        )
        .unwrap();
        assert_eq!(c.database_url, "postgres://u:pw@h/db");
        assert_eq!(
            c.default_lesson_time,
            NaiveTime::from_hms_opt(6, 0, 0).unwrap()
        );
    }

    #[test]
    fn debug_hides_secrets() {
        let c = Config::from_sources(
            None,
            env_of(&[
                ("WEIKE_DATABASE_URL", "postgres://u:hunter2@h/db"),
                ("WEIKE_TELEGRAM_TOKEN", "123:SECRET"),
            ]),
        )
        .unwrap();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("SECRET"),
            "{shown}"
        );
    }

    #[test]
    fn bad_values_are_explained() {
        let err = Config::from_sources(None, env_of(&[("WEIKE_DEFAULT_LESSON_TIME", "25:99")]))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting default_lesson_time: \"25:99\" is not a time like 07:30"
        );
        let err = Config::from_sources(None, env_of(&[("WEIKE_DEFAULT_TIMEZONE", "Mars/Base")]))
            .unwrap_err();
        assert!(err.to_string().contains("Mars/Base"));
        let err = Config::from_sources(Some((Path::new("w.toml"), "colour = 1\n")), |_| None)
            .unwrap_err();
        assert!(err.to_string().starts_with("w.toml: "), "{err}");
    }

    #[test]
    fn redacts_passwords() {
        assert_eq!(
            redact_url("postgres://weike:secret@127.0.0.1/weike"),
            "postgres://weike:***@127.0.0.1/weike"
        );
        assert_eq!(redact_url("sqlite://weike.db"), "sqlite://weike.db");
    }

    #[test]
    fn owners_are_chats_of_the_default_channel_or_of_a_named_one() {
        let c = Config::from_sources(None, env_of(&[("WEIKE_OWNERS", "123, console:console")]))
            .unwrap();
        let shown: Vec<String> = c.owners.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["123", "console:console"]);
        assert_eq!(c.owners[0].channel, crate::domain::address::DEFAULT_CHANNEL);
        assert_eq!(c.owners[1].channel, "console");
        let file = "owners = [42, \"telegram:43\"]\n";
        let c = Config::from_sources(Some((Path::new("w.toml"), file)), |_| None).unwrap();
        let ids: Vec<&str> = c.owners.iter().map(|o| o.chat_id.as_str()).collect();
        assert_eq!(ids, ["42", "43"]);
        let err = Config::from_sources(None, env_of(&[("WEIKE_OWNERS", "12,wecom:")])).unwrap_err();
        assert!(
            err.to_string()
                .starts_with("invalid setting owners: \"wecom:\" has no chat id"),
            "{err}"
        );
    }

    #[test]
    fn rate_limit_settings_change_the_channel_limits() {
        let file = "messages_per_second = 10\nper_chat_burst = 2\n";
        let c = Config::from_sources(Some((Path::new("w.toml"), file)), |_| None).unwrap();
        assert_eq!(c.courier.limits.global_per_second, Some(10.0));
        assert_eq!(c.courier.limits.per_chat_burst, Some(2.0));
        assert_eq!(c.courier.limits.per_chat_per_second, None);
        for bad in ["messages_per_second = 0\n", "per_chat_burst = 0.5\n"] {
            assert!(Config::from_sources(Some((Path::new("w.toml"), bad)), |_| None).is_err());
        }
    }

    const WECOM_ENV: &[(&str, &str)] = &[
        ("WEIKE_WECOM_CORP_ID", "ww0123456789abcdef"),
        ("WEIKE_WECOM_AGENT_ID", "1000002"),
        ("WEIKE_WECOM_SECRET", "app-Secret-do-not-log"),
        ("WEIKE_WECOM_TOKEN", "cbToken42"),
        (
            "WEIKE_WECOM_AES_KEY",
            "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
        ),
    ];

    #[test]
    fn wecom_from_the_environment_or_the_file_and_never_shown() {
        assert_eq!(Config::from_sources(None, |_| None).unwrap().wecom, None);
        let c = Config::from_sources(None, env_of(WECOM_ENV)).unwrap();
        let w = c.wecom.clone().expect("configured");
        assert_eq!(
            (w.corp_id.as_str(), w.agent_id),
            ("ww0123456789abcdef", 1000002)
        );
        assert_eq!(w.api_url, None);
        let shown = format!("{c:?}");
        assert!(shown.contains("ww0123456789abcdef"), "{shown}");
        for secret in ["app-Secret-do-not-log", "cbToken42", "abcdefghijklmnop"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        let file = "[wecom]\ncorp_id = \"wwfile\"\nagent_id = 7\nsecret = \"s\"\ntoken = \"tok\"\naes_key = \"abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG\"\napi_url = \"http://127.0.0.1:9/cgi-bin\"\n";
        let c = Config::from_sources(
            Some((Path::new("w.toml"), file)),
            env_of(&[("WEIKE_WECOM_AGENT_ID", "8")]),
        )
        .unwrap();
        let w = c.wecom.expect("from the file");
        assert_eq!((w.corp_id.as_str(), w.agent_id), ("wwfile", 8));
        assert_eq!(w.api_url.as_deref(), Some("http://127.0.0.1:9/cgi-bin"));
    }

    #[test]
    fn an_incomplete_or_malformed_wecom_app_is_explained() {
        let err = Config::from_sources(None, env_of(&[("WEIKE_WECOM_CORP_ID", "ww1")]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains(
                "WEIKE_WECOM_AGENT_ID, WEIKE_WECOM_SECRET, WEIKE_WECOM_TOKEN, WEIKE_WECOM_AES_KEY"
            ),
            "{err}"
        );
        let with = |key: &'static str, value: &'static str| {
            move |k: &str| {
                if k == key {
                    return Some(value.to_string());
                }
                env_of(WECOM_ENV)(k)
            }
        };
        for (key, value, problem) in [
            ("WEIKE_WECOM_AES_KEY", "short", "EncodingAESKey"),
            ("WEIKE_WECOM_TOKEN", "a b", "Token"),
            ("WEIKE_WECOM_AGENT_ID", "agent", "not a number"),
            ("WEIKE_WECOM_AGENT_ID", "-3", "positive"),
            ("WEIKE_WECOM_API_URL", "not a url", "api_url"),
        ] {
            let err = Config::from_sources(None, with(key, value))
                .unwrap_err()
                .to_string();
            assert!(err.contains(problem), "{key}={value}: {err}");
            assert!(!err.contains("app-Secret"), "{err}");
        }
    }

    #[test]
    fn stored_updates_retention() {
        let c = Config::from_sources(None, |_| None).unwrap();
        assert_eq!(c.inbox, InboxSettings::default());
        assert_eq!(c.inbox.handled_retention, chrono::Duration::hours(24));
        let file = "handled_update_retention_hours = 2\ndead_update_retention_days = 7\n";
        let c = Config::from_sources(Some((Path::new("w.toml"), file)), |_| None).unwrap();
        assert_eq!(c.inbox.handled_retention, chrono::Duration::hours(2));
        assert_eq!(c.inbox.dead_retention, chrono::Duration::days(7));
        let err = Config::from_sources(
            Some((Path::new("w.toml"), "handled_update_retention_hours = 0\n")),
            |_| None,
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting handled_update_retention_hours: 0 must be 1 to 720 hours"
        );
        let err = Config::from_sources(
            Some((Path::new("w.toml"), "dead_update_retention_days = 400\n")),
            |_| None,
        )
        .unwrap_err();
        assert!(err.to_string().contains("1 to 365 days"), "{err}");
    }
}
