//! `weike chat`: the console demo session. Typed lines go to the bot like any channel's
//! updates: the console channel turns a line into an update (`ConsoleChannel::accept`),
//! which is stored and handled by the same code as Telegram's
//! ([`Service::process_stored_updates`]: retries, dead updates, the apology). Lines
//! starting with `:` other than `:location` are the session's own commands (`:clock`,
//! `:help`, `:quit`), answered here: they move the session's clock, which the channel
//! cannot reach.

use std::sync::Arc;
use std::time::Duration;

use crate::channel::console::{self, ConsoleChannel};
use crate::clock::{Clock, ShiftedClock};
use crate::domain::Locale;
use crate::domain::schedule::{next_lesson_at, parse_lesson_time};
use crate::service::{App, Service, ServiceError};
use crate::t;

/// The console demo: reads lines from `input`, answers through `console`, and runs the
/// scheduled work (planner, courier, ...) after every line and once a second.
pub async fn run_console<R>(
    app: App,
    clock: ShiftedClock,
    console: ConsoleChannel,
    input: R,
) -> Result<(), ServiceError>
where
    R: tokio::io::AsyncBufRead + Unpin,
{
    use tokio::io::AsyncBufReadExt;
    let service = Service::new(app, Arc::new(console.clone()));
    let app = &service.app;
    let banner_locale = Locale::DEFAULT;
    console.print(&t!(app.i18n, banner_locale, "console-banner"));
    let mut lines = input.lines();
    let mut ticker = tokio::time::interval(Duration::from_secs(1));
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let Ok(Some(line)) = line else { break };
                let line = line.trim();
                if line.is_empty() {
                    continue;
                }
                let locale = app
                    .store
                    .member_by_chat(console::CHANNEL_NAME, console::CHAT_ID)
                    .await?
                    .map(|m| m.locale)
                    .unwrap_or(banner_locale);
                if let Some(command) = line
                    .strip_prefix(':')
                    .filter(|_| !ConsoleChannel::is_inbound_command(line))
                {
                    if console_command(app, &clock, &console, locale, command).await? == ConsoleFlow::Quit {
                        break;
                    }
                } else {
                    service.store_update(&console.accept(line)?).await?;
                    handle_stored(&service).await;
                }
                service.tick().await;
            }
            _ = ticker.tick() => {
                // Lines waiting for another attempt.
                handle_stored(&service).await;
                service.tick().await;
            }
        }
    }
    app.store.close().await;
    Ok(())
}

/// Handles the stored lines; a failure (of the store) is logged, and the line is handled
/// on the next try.
async fn handle_stored(service: &Service) {
    if let Err(e) = service.process_stored_updates().await {
        tracing::error!(error = %e, "handling the typed lines failed");
    }
}

#[derive(PartialEq, Eq)]
enum ConsoleFlow {
    Continue,
    Quit,
}

/// `:help`, `:clock`, `:clock +1d`, `:clock 07:30`, `:quit`.
async fn console_command(
    app: &App,
    clock: &ShiftedClock,
    console: &ConsoleChannel,
    locale: Locale,
    command: &str,
) -> Result<ConsoleFlow, ServiceError> {
    let mut words = command.split_whitespace();
    let member = app
        .store
        .member_by_chat(console::CHANNEL_NAME, console::CHAT_ID)
        .await?;
    let tz = member
        .as_ref()
        .map(|m| m.timezone)
        .unwrap_or(app.config.default_timezone);
    let show_clock = |console: &ConsoleChannel| {
        let now = clock
            .now()
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M")
            .to_string();
        console.print(&t!(
            app.i18n,
            locale,
            "console-clock",
            time = now,
            tz = tz.name()
        ));
    };
    match (words.next(), words.next()) {
        (Some("help"), _) => console.print(&t!(app.i18n, locale, "console-help")),
        (Some("quit" | "q" | "exit"), _) => return Ok(ConsoleFlow::Quit),
        (Some("clock"), None) => show_clock(console),
        (Some("clock"), Some(arg)) => match parse_clock_arg(arg) {
            Some(ClockMove::By(d)) => {
                clock.advance(d);
                show_clock(console);
            }
            Some(ClockMove::To(time)) => {
                let every_day = crate::domain::schedule::DaySchedule::every_day();
                if let Some(at) = next_lesson_at(&every_day, time, tz, clock.now()) {
                    clock.set(at);
                }
                show_clock(console);
            }
            None => console.print(&t!(app.i18n, locale, "console-clock-invalid", input = arg)),
        },
        _ => console.print(&t!(app.i18n, locale, "console-unknown", input = command)),
    }
    Ok(ConsoleFlow::Continue)
}

enum ClockMove {
    By(chrono::Duration),
    To(chrono::NaiveTime),
}

/// `+1d`, `+3h`, `+30m`, `-1d`, or a time of day `07:30`.
fn parse_clock_arg(arg: &str) -> Option<ClockMove> {
    if let Some(rest) = arg
        .strip_prefix('+')
        .map(|r| (1, r))
        .or_else(|| arg.strip_prefix('-').map(|r| (-1, r)))
    {
        let (sign, body) = rest;
        let unit = body.chars().last()?;
        let n: i64 = body[..body.len() - unit.len_utf8()].parse().ok()?;
        let d = match unit {
            'd' => chrono::Duration::days(n),
            'h' => chrono::Duration::hours(n),
            'm' => chrono::Duration::minutes(n),
            _ => return None,
        };
        return Some(ClockMove::By(d * sign));
    }
    parse_lesson_time(arg)
        .filter(|_| arg.contains(':'))
        .map(ClockMove::To)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clock_arguments() {
        assert!(
            matches!(parse_clock_arg("+1d"), Some(ClockMove::By(d)) if d == chrono::Duration::days(1))
        );
        assert!(
            matches!(parse_clock_arg("-30m"), Some(ClockMove::By(d)) if d == chrono::Duration::minutes(-30))
        );
        assert!(matches!(parse_clock_arg("07:30"), Some(ClockMove::To(_))));
        assert!(parse_clock_arg("+1w").is_none());
        assert!(parse_clock_arg("25:99").is_none());
        assert!(parse_clock_arg("tomorrow").is_none());
    }
}
