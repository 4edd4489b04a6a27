//! The `weike` command line.

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::channel::console::ConsoleChannel;
use crate::channel::telegram::{TelegramChannel, TelegramError};
use crate::channel::wecom::{LocationHowto, WecomChannel, WecomTexts};
use crate::channel::{ChannelError, UpdateSource};
use crate::chat::run_console;
use crate::clock::{ShiftedClock, SystemClock};
use crate::config::Config;
use crate::content::Library;
use crate::domain::Locale;
use crate::service::{App, Mode, Service, run_services};
use crate::store::Store;
use crate::t;

/// The Telegram channel from the settings (the bot's token, the Bot API server, paid
/// broadcasts, the webhook's URL and secret).
pub fn open_channel(config: &Config) -> Result<Arc<dyn UpdateSource>, ChannelError> {
    let token = config
        .telegram_token
        .as_deref()
        .ok_or(TelegramError::NoToken)?;
    let channel = TelegramChannel::new(token, config.telegram_api_url.as_deref())?
        .with_paid_broadcast(config.paid_broadcast)
        .with_webhook(config.webhook_url.clone(), config.webhook_secret.clone());
    Ok(Arc::new(channel))
}

/// The WeCom channel from the settings (`WEIKE_WECOM_*`, `[wecom]`), if configured, with
/// its texts in every language.
pub fn open_wecom(app: &App) -> Result<Option<Arc<WecomChannel>>, ChannelError> {
    let Some(settings) = &app.config.wecom else {
        return Ok(None);
    };
    let howto = |l: Locale| t!(app.i18n, l, "wecom-location-howto");
    let texts = WecomTexts {
        location: Locale::ALL
            .into_iter()
            .map(|l| LocationHowto {
                requests: vec![
                    t!(app.i18n, l, "location-share"),
                    t!(app.i18n, l, "location-consent-thanks"),
                ],
                button_label: t!(app.i18n, l, "location-button"),
                howto: howto(l),
            })
            .collect(),
        default_howto: Some(howto(Locale::DEFAULT)),
    };
    let mut channel = WecomChannel::new(settings, app.clock.clone(), texts, app.metrics.clone())?;
    // The operator's overall rate paces the channel's own calls too.
    if let Some(rate) = app.config.courier.limits.global_per_second {
        channel = channel.with_rate(rate);
    }
    Ok(Some(Arc::new(channel)))
}

/// A channel `weike run` serves, with how its updates arrive.
pub type OpenChannel = (Arc<dyn UpdateSource>, Mode);

/// Every channel `weike run` serves, from the settings, each with how its updates arrive:
/// Telegram (when its token is set) by long polling, or by its webhook with `--webhook`;
/// WeCom (when its app is set) by its callback, always. At least one must be configured.
pub fn open_channels(app: &App, telegram_webhook: bool) -> Result<Vec<OpenChannel>, ChannelError> {
    let mut channels: Vec<OpenChannel> = Vec::new();
    if app.config.telegram_token.is_some() {
        let mode = if telegram_webhook {
            Mode::Webhook
        } else {
            Mode::Polling
        };
        channels.push((open_channel(&app.config)?, mode));
    }
    if let Some(wecom) = open_wecom(app)? {
        channels.push((wecom, Mode::Webhook));
    }
    if channels.is_empty() {
        return Err(ChannelError::new(
            "no chat channel is configured: set WEIKE_TELEGRAM_TOKEN (Telegram) and/or WEIKE_WECOM_CORP_ID, WEIKE_WECOM_AGENT_ID, WEIKE_WECOM_SECRET, WEIKE_WECOM_TOKEN and WEIKE_WECOM_AES_KEY (WeCom); `weike chat` runs without any",
        ));
    }
    Ok(channels)
}

#[derive(Debug, Parser)]
#[command(
    name = "weike",
    version,
    about = "Daily micro-lessons and check-ins for an organization's members, through chat apps"
)]
pub struct Cli {
    /// Settings file (default: ./weike.toml if it exists). WEIKE_* variables override it.
    #[arg(long, global = true, env = "WEIKE_CONFIG")]
    pub config: Option<PathBuf>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the bot on every configured channel, in one process: Telegram
    /// (WEIKE_TELEGRAM_TOKEN) and/or WeCom (WEIKE_WECOM_*, its callback on WEIKE_HTTP_LISTEN).
    Run {
        /// Receive Telegram's updates through a webhook (WEIKE_WEBHOOK_URL,
        /// WEIKE_WEBHOOK_SECRET, WEIKE_HTTP_LISTEN) instead of long polling; any number of
        /// processes may share it.
        #[arg(long)]
        webhook: bool,
    },
    /// Try the whole bot in this terminal: no token, no network.
    Chat,
    /// Apply database migrations and exit.
    Migrate,
    /// The delivery queue: counts by status and kind, the oldest waiting row, recent dead rows.
    Outbox {
        #[command(subcommand)]
        command: Option<OutboxCommand>,
    },
    /// Stored updates (what members sent): counts by status, the oldest dead one, recent
    /// errors. An update is dead when it could not be read, or failed every attempt.
    Inbox {
        #[command(subcommand)]
        command: Option<InboxCommand>,
    },
    /// Benchmarks (they print a table of figures). Built only with `--features bench`.
    #[cfg(feature = "bench")]
    Bench {
        #[command(subcommand)]
        command: crate::bench::command::BenchCommand,
    },
    /// Participation statistics as an admin's /stats shows them (whole organization or a
    /// branch, this week or the season), then delivery capacity as /capacity shows it;
    /// --csv FILE also writes members' progress as /export.
    Report {
        /// A branch id (default: the whole organization).
        #[arg(long)]
        branch: Option<String>,
        /// week or season.
        #[arg(long, default_value = "week")]
        period: String,
        /// Write members' progress to this CSV file (UTF-8 with a byte-order mark).
        #[arg(long)]
        csv: Option<PathBuf>,
        /// zh-CN, zh-TW or en.
        #[arg(long, default_value = "zh-CN")]
        locale: String,
    },
    /// Import venues or their activities from a CSV file (validated row by row, all or
    /// nothing; existing ids are updated).
    Import {
        #[command(subcommand)]
        what: ImportCommand,
        /// The language of the problems found: zh-CN, zh-TW or en (default: zh-CN, the
        /// default locale).
        #[arg(long, global = true)]
        locale: Option<String>,
    },
    /// Lesson files.
    Lessons {
        #[command(subcommand)]
        command: LessonsCommand,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Make rows waiting for a retry due now; with --dead, also requeue dead rows of active members.
    Retry {
        #[arg(long)]
        dead: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum InboxCommand {
    /// Queue every dead update again (fresh attempts); the running service handles them
    /// per chat in the order they arrived.
    Retry,
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Venues: id,name,lat,lon[,address][,radius_km][,branch] (see the README).
    Venues { file: PathBuf },
    /// Activities: id,venue,title,start,end[,timezone][,capacity][,description].
    Activities {
        file: PathBuf,
        /// Also tell the migrant members near each venue about its new activities (as
        /// /activity_add does); without it they see them in /nearby and the weekly digest.
        #[arg(long)]
        notify: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum LessonsCommand {
    /// Validate lesson files; prints `file:line: problem` for each error (exits 1 on any) and
    /// `file:line: warning: ...` for each warning (a lesson longer than one message).
    Check {
        /// The lessons folder, or one course folder (default: the configured lessons_dir).
        dir: Option<PathBuf>,
    },
}

/// Runs a parsed command line. Returns the process exit code.
pub async fn run(cli: Cli) -> anyhow::Result<i32> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Lessons {
            command: LessonsCommand::Check { dir },
        } => {
            let dir = dir.unwrap_or_else(|| config.lessons_dir.clone());
            let (library, warnings) = Library::check(&dir);
            // Warnings are shown whether or not there are problems, and never fail the check.
            for w in &warnings {
                println!("{}:{}: warning: {}", w.file.display(), w.line, w.problem);
            }
            match library {
                Ok(lib) => {
                    let lessons: usize = lib.courses.iter().map(|c| c.lessons.len()).sum();
                    let versions: usize = lib
                        .courses
                        .iter()
                        .flat_map(|c| &c.lessons)
                        .map(|l| l.versions.len())
                        .sum();
                    println!(
                        "{}: {} course(s), {lessons} lessons, {versions} language versions: all valid",
                        dir.display(),
                        lib.courses.len()
                    );
                    if !warnings.is_empty() {
                        eprintln!("{} warning(s)", warnings.len());
                    }
                    Ok(0)
                }
                Err(errors) => {
                    for e in &errors.0 {
                        println!("{e}");
                    }
                    eprintln!(
                        "{} problem(s) found, {} warning(s)",
                        errors.0.len(),
                        warnings.len()
                    );
                    Ok(1)
                }
            }
        }
        #[cfg(feature = "bench")]
        Command::Bench { command } => crate::bench::command::run(command).await,
        Command::Outbox { command } => {
            let store = Store::connect(&config.database_url).await?;
            store.migrate().await?;
            match command {
                None => print!(
                    "{}",
                    outbox_report(&store.outbox_summary(10).await?, chrono::Utc::now())
                ),
                Some(OutboxCommand::Retry { dead }) => {
                    let n = store.requeue(dead, chrono::Utc::now()).await?;
                    println!("{n} row(s) requeued");
                }
            }
            store.close().await;
            Ok(0)
        }
        Command::Inbox { command } => {
            let store = Store::connect(&config.database_url).await?;
            store.migrate().await?;
            match command {
                None => print!(
                    "{}",
                    inbox_report(&store.inbox_summary(10).await?, chrono::Utc::now())
                ),
                Some(InboxCommand::Retry) => {
                    let n = store.requeue_dead_updates().await?;
                    println!(
                        "{n} dead update(s) queued again; a running `weike run` handles them per chat in order"
                    );
                }
            }
            store.close().await;
            Ok(0)
        }
        Command::Import { what, locale } => {
            let locale = match locale {
                None => crate::domain::Locale::DEFAULT,
                Some(code) => crate::domain::Locale::from_code(&code)
                    .ok_or_else(|| anyhow::anyhow!("--locale {code:?}: use zh-CN, zh-TW or en"))?,
            };
            let app = App::start(config, Arc::new(SystemClock)).await?;
            let (kind, file, notify) = match what {
                ImportCommand::Venues { file } => (crate::import::ImportKind::Venues, file, false),
                ImportCommand::Activities { file, notify } => {
                    (crate::import::ImportKind::Activities, file, notify)
                }
            };
            let result =
                crate::import::import(&app, kind, &file, notify, |step| eprintln!("{step}")).await;
            app.store.close().await;
            match result {
                Ok(report) => {
                    println!("{report}");
                    Ok(0)
                }
                Err(crate::import::ImportError::Invalid(problems)) => {
                    for p in problems {
                        let text = app.i18n.text_with_strings(locale, p.text.key, &p.text.args);
                        println!("{}:{}: {text}", p.file, p.line);
                    }
                    eprintln!("nothing was imported: fix the rows above and run the import again");
                    Ok(1)
                }
                Err(e) => Err(e.into()),
            }
        }
        Command::Report {
            branch,
            period,
            csv,
            locale,
        } => {
            use crate::conversation::features::admin::Authority;
            use crate::conversation::features::ranks::Period;
            use crate::conversation::features::stats::{StatsRefusal, StatsRequest, render_report};
            let locale = crate::domain::Locale::from_code(&locale)
                .ok_or_else(|| anyhow::anyhow!("--locale {locale:?}: use zh-CN, zh-TW or en"))?;
            let period = Period::parse(&period)
                .ok_or_else(|| anyhow::anyhow!("--period {period:?}: use week or season"))?;
            let app = App::start(config, Arc::new(SystemClock)).await?;
            let conversation = &app.conversation;
            let owner = Authority {
                owner: true,
                ..Authority::default()
            };
            let request = StatsRequest {
                branch,
                period,
                chart: false,
            };
            let report = match conversation.stats_report(&owner, &request, locale).await? {
                Ok(r) => r,
                Err(StatsRefusal::UnknownBranch(b)) => {
                    anyhow::bail!("--branch {b:?}: there is no such branch in the branches file")
                }
                Err(StatsRefusal::NoSeason) => {
                    anyhow::bail!(
                        "--period season: no season is configured ([[season]] in the points file)"
                    )
                }
                Err(other) => anyhow::bail!("cannot make the report: {other:?}"),
            };
            let tree = conversation.tree();
            let html = render_report(&app.i18n, locale, &report, |id| {
                tree.get(id)
                    .map(|b| b.name_in(locale).to_string())
                    .unwrap_or_else(|| "-".into())
            });
            println!("{}", crate::content::markdown::visible_text(&html));
            // Delivery capacity, as /capacity shows it, in the organization's time zone.
            let capacity = conversation
                .capacity_lines(locale, app.config.default_timezone)
                .await?;
            println!();
            for line in capacity {
                println!("{}", crate::content::markdown::visible_text(&line));
            }
            if let Some(path) = csv {
                let subtree = report.scope.as_deref().map(|s| tree.subtree(s));
                let rows = app
                    .store
                    .member_progress(&report.period.key, subtree.as_deref())
                    .await?;
                std::fs::write(&path, conversation.progress_csv(&rows, locale))
                    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
                eprintln!("{}: {} members", path.display(), rows.len());
            }
            app.store.close().await;
            Ok(0)
        }
        Command::Migrate => {
            let store = Store::connect(&config.database_url).await?;
            store.migrate().await?;
            store.close().await;
            println!(
                "{}: migrations applied",
                crate::config::redact_url(&config.database_url)
            );
            Ok(0)
        }
        Command::Run { webhook } => {
            let app = Arc::new(App::start(config, Arc::new(SystemClock)).await?);
            let (channels, modes): (Vec<_>, Vec<_>) =
                open_channels(&app, webhook)?.into_iter().unzip();
            let services = Service::for_channels(app, channels);
            run_services(services.into_iter().zip(modes).collect()).await?;
            Ok(0)
        }
        Command::Chat => {
            let clock = ShiftedClock::new();
            let app = App::start(config, Arc::new(clock.clone())).await?;
            let ansi = std::io::IsTerminal::is_terminal(&std::io::stdout());
            let console = ConsoleChannel::new(Box::new(std::io::stdout()), ansi);
            let input = tokio::io::BufReader::new(tokio::io::stdin());
            run_console(app, clock, console, input).await?;
            Ok(0)
        }
    }
}

/// The text of `weike inbox`.
pub fn inbox_report(
    summary: &crate::store::InboxSummary,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{:<10} {:>10}", "status", "updates");
    for (status, n) in &summary.counts {
        let _ = writeln!(out, "{status:<10} {n:>10}");
    }
    if summary.counts.is_empty() {
        let _ = writeln!(out, "(no updates stored)");
    }
    match summary.oldest_dead {
        Some(at) => {
            let _ = writeln!(
                out,
                "oldest dead update: received {} ({} h ago); `weike inbox retry` queues them again",
                at.format("%Y-%m-%d %H:%M:%S UTC"),
                (now - at).num_hours()
            );
        }
        None => {
            let _ = writeln!(out, "no dead updates");
        }
    }
    if !summary.recent_dead.is_empty() {
        let _ = writeln!(out, "recent dead updates:");
        for d in &summary.recent_dead {
            let _ = writeln!(
                out,
                "  {} #{} chat {}, {} attempt(s), failed {}: {}",
                d.channel,
                d.update_id,
                d.chat_key,
                d.attempts,
                d.failed_at
                    .map(|t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string())
                    .unwrap_or_else(|| "-".into()),
                d.last_error.as_deref().unwrap_or("-")
            );
        }
    }
    out
}

/// The text of `weike outbox`.
pub fn outbox_report(
    summary: &crate::store::OutboxSummary,
    now: chrono::DateTime<chrono::Utc>,
) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(out, "{:<10} {:<16} {:>10}", "status", "kind", "rows");
    for (status, kind, n) in &summary.counts {
        let _ = writeln!(out, "{status:<10} {kind:<16} {n:>10}");
    }
    if summary.counts.is_empty() {
        let _ = writeln!(out, "(the outbox is empty)");
    }
    match summary.oldest_pending_due {
        Some(due) => {
            let age = now - due;
            let _ = writeln!(
                out,
                "oldest waiting row: due {} ({})",
                due.format("%Y-%m-%d %H:%M:%S UTC"),
                if age > chrono::Duration::zero() {
                    format!("{}s overdue", age.num_seconds())
                } else {
                    format!("in {}s", -age.num_seconds())
                }
            );
        }
        None => {
            let _ = writeln!(out, "nothing is waiting");
        }
    }
    if !summary.recent_dead.is_empty() {
        let _ = writeln!(out, "recent dead rows:");
        for (id, kind, member, attempts, error) in &summary.recent_dead {
            let _ = writeln!(
                out,
                "  #{id} {kind} member {member}, {attempts} attempt(s): {}",
                error.as_deref().unwrap_or("-")
            );
        }
    }
    out
}
