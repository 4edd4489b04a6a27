//! The console channel: the whole conversation in a terminal, with no token and no
//! network. Messages are printed as text; buttons are numbered and chosen by typing the
//! number. A location is shared by typing `:location LAT LON`.
//!
//! Typed lines reach the bot like any channel's updates: [`ConsoleChannel::accept`] turns a
//! line into a [`RawUpdate`] (the event it means at the moment it is typed, as JSON), the
//! session stores it, and the service handles it like every stored update
//! ([`UpdateSource::parse_update`]).

use std::io::Write;
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};

use super::{
    Button, Capabilities, Channel, ChannelError, Inbound, InboundEvent, Keyboard, LanguageMenu,
    Limits, Mode, Outbound, Profile, RawUpdate, SendError, Sent, UpdateSource,
};
use crate::content::markdown::visible_text;

pub const CHANNEL_NAME: &str = "console";

/// What the service knows of the console by name: its one member is the operator.
pub const PROFILE: Profile = Profile {
    name: CHANNEL_NAME,
    capabilities: Capabilities {
        quiz_polls: false,
        inline_buttons: false,
        voice_messages: false,
        location_requests: false,
        max_text_chars: usize::MAX,
        max_caption_chars: usize::MAX,
        button_toasts: false,
    },
    operator: true,
    is_chat_id,
};

fn is_chat_id(text: &str) -> bool {
    text == CHAT_ID
}

/// The one member of a console session.
pub const CHAT_ID: &str = "console";
/// Button data of a quiz option in the console: `poll:<poll id>:<option>`.
const POLL_DATA: &str = "\u{1}poll:";
/// The typed line that shares a location: `:location 30.59 114.30` (or `30.59,114.30`).
pub const LOCATION_COMMAND: &str = ":location";
/// How the console shows a location button: what to type instead of pressing it.
const LOCATION_HINT: &str = ":location LAT LON";

#[derive(Default)]
struct State {
    next_message_id: u64,
    /// The buttons of the latest message that had any, with that message's id.
    keyboard: Option<(String, Keyboard)>,
    next_callback: u64,
    /// The id of the next typed line's update.
    next_update_id: i64,
}

/// A typed line as it is stored: the event it meant when it was typed (None once a location
/// was scrubbed from it).
#[derive(Debug, Serialize, Deserialize)]
struct StoredLine {
    language: Option<String>,
    event: Option<InboundEvent>,
}

/// Prints to a writer (the terminal, or a buffer in tests).
#[derive(Clone)]
pub struct ConsoleChannel {
    out: Arc<Mutex<Box<dyn Write + Send>>>,
    state: Arc<Mutex<State>>,
    ansi: bool,
}

impl ConsoleChannel {
    pub fn new(out: Box<dyn Write + Send>, ansi: bool) -> Self {
        // Update ids grow across sessions on one database: a session starts at the time it
        // starts, in microseconds, and counts one up per line.
        let start = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| i64::try_from(d.as_micros()).unwrap_or(i64::MAX / 2))
            .unwrap_or(0);
        Self {
            out: Arc::new(Mutex::new(out)),
            state: Arc::new(Mutex::new(State {
                next_update_id: start,
                ..State::default()
            })),
            ansi,
        }
    }

    /// A typed line as an update to store: the event it means now ([`Self::inbound`]: the
    /// number of a button shown now, a location, a text).
    pub fn accept(&self, line: &str) -> Result<RawUpdate, ChannelError> {
        let inbound = self.inbound(line);
        let stored = StoredLine {
            language: inbound.language,
            event: Some(inbound.event),
        };
        let update_id = {
            let mut state = self.state();
            state.next_update_id += 1;
            state.next_update_id
        };
        Ok(RawUpdate {
            update_id,
            chat_key: CHAT_ID.to_string(),
            payload: serde_json::to_string(&stored)
                .map_err(|e| ChannelError::new(format!("cannot store a typed line: {e}")))?,
        })
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Prints a line of the console's own (e.g. the answer to `:clock`).
    pub fn print(&self, text: &str) {
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let _ = writeln!(out, "{text}");
        let _ = out.flush();
    }

    /// Whether a typed line is input for the bot that starts with ':' (`:location ...`),
    /// to be given to [`Self::inbound`] rather than taken as a console command.
    pub fn is_inbound_command(line: &str) -> bool {
        location_args(line.trim()).is_some()
    }

    /// Turns a typed line into an event: `:location LAT LON` shares a location; a bare
    /// number picks a button of the latest message with buttons; anything else is text.
    pub fn inbound(&self, line: &str) -> Inbound {
        let trimmed = line.trim();
        if let Some(args) = location_args(trimmed) {
            let (lat, lon) = parse_location(args);
            return self.inbound_event(InboundEvent::Location {
                lat,
                lon,
                live: false,
            });
        }
        let mut state = self.state();
        let pick = trimmed.parse::<usize>().ok().and_then(|n| {
            let (message_id, keyboard) = state.keyboard.as_ref()?;
            let button = keyboard.iter().flatten().nth(n.checked_sub(1)?)?;
            Some((message_id.clone(), button.data.clone()))
        });
        let poll_answer = pick.as_ref().and_then(|(_, data)| {
            let (poll_id, option) = data.strip_prefix(POLL_DATA)?.rsplit_once(':')?;
            Some(InboundEvent::PollAnswer {
                poll_id: poll_id.to_string(),
                option: option.parse().ok(),
            })
        });
        let event = match (poll_answer, pick) {
            (Some(answer), _) => answer,
            (None, Some((message_id, data))) => {
                state.next_callback += 1;
                InboundEvent::Button {
                    callback_id: format!("cb{}", state.next_callback),
                    data,
                    message_id: Some(message_id),
                }
            }
            (None, None) => InboundEvent::Text(trimmed.to_string()),
        };
        drop(state);
        self.inbound_event(event)
    }

    fn inbound_event(&self, event: InboundEvent) -> Inbound {
        Inbound {
            channel: CHANNEL_NAME.into(),
            chat_id: CHAT_ID.into(),
            language: std::env::var("LANG")
                .ok()
                .map(|l| l.split('.').next().unwrap_or_default().to_string()),
            event,
        }
    }

    fn render(&self, html: &str) -> String {
        if !self.ansi {
            return visible_text(html);
        }
        let styled = html
            .replace("<b>", "\x1b[1m")
            .replace("</b>", "\x1b[22m")
            .replace("<i>", "\x1b[3m")
            .replace("</i>", "\x1b[23m")
            .replace("<blockquote>", "\x1b[2m│ ")
            .replace("</blockquote>", "\x1b[22m");
        visible_text(&styled)
    }

    fn write_keyboard(&self, out: &mut dyn Write, buttons: &Keyboard) {
        for (i, b) in buttons.iter().flatten().enumerate() {
            let _ = writeln!(out, "   [{}] {}", i + 1, b.label);
        }
    }
}

/// The arguments of a `:location` line, or None if the line is something else.
fn location_args(line: &str) -> Option<&str> {
    let rest = line.strip_prefix(LOCATION_COMMAND)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then(|| rest.trim())
}

/// `LAT LON`, `LAT,LON` or `LAT, LON` in decimal degrees; a value that is missing or not a
/// number is NaN (the conversation answers that it is not a location).
fn parse_location(args: &str) -> (f64, f64) {
    let parts: Vec<&str> = match args.split_once(',') {
        Some((lat, lon)) => vec![lat.trim(), lon.trim()],
        None => args.split_whitespace().collect(),
    };
    let number = |i: usize| {
        parts
            .get(i)
            .filter(|_| parts.len() == 2)
            .and_then(|p| p.parse::<f64>().ok())
            .unwrap_or(f64::NAN)
    };
    (number(0), number(1))
}

#[async_trait::async_trait]
impl UpdateSource for ConsoleChannel {
    /// Nothing to set up: lines are typed, not fetched.
    async fn prepare(&self, _mode: Mode, _menu: &[LanguageMenu]) -> Result<(), ChannelError> {
        Ok(())
    }

    fn parse_update(&self, payload: &str) -> Result<Option<Inbound>, String> {
        let line: StoredLine = serde_json::from_str(payload).map_err(|e| e.to_string())?;
        Ok(line.event.map(|event| Inbound {
            channel: CHANNEL_NAME.into(),
            chat_id: CHAT_ID.into(),
            language: line.language,
            event,
        }))
    }

    fn scrub_update(&self, payload: &str) -> Option<String> {
        let mut line: StoredLine = serde_json::from_str(payload).ok()?;
        if !matches!(line.event, Some(InboundEvent::Location { .. })) {
            return None;
        }
        line.event = None;
        serde_json::to_string(&line).ok()
    }
}

#[async_trait::async_trait]
impl Channel for ConsoleChannel {
    fn profile(&self) -> &'static Profile {
        &PROFILE
    }

    /// A terminal takes whatever comes.
    fn limits(&self) -> Limits {
        Limits::unlimited()
    }

    async fn send(&self, _chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let mut state = self.state();
        let mut out = self.out.lock().unwrap_or_else(|p| p.into_inner());
        let new_message = |buttons: &Keyboard, state: &mut State| {
            state.next_message_id += 1;
            let id = state.next_message_id.to_string();
            if !buttons.is_empty() {
                state.keyboard = Some((id.clone(), buttons.clone()));
            }
            id
        };
        let sent = match message {
            Outbound::Text { html, buttons } => {
                let _ = writeln!(out, "\n{}", self.render(html));
                self.write_keyboard(&mut *out, buttons);
                Sent {
                    message_id: Some(new_message(buttons, &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                let _ = writeln!(
                    out,
                    "\n♪ {} ({})",
                    self.render(caption_html),
                    audio.path.display()
                );
                self.write_keyboard(&mut *out, buttons);
                Sent {
                    message_id: Some(new_message(buttons, &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::Quiz {
                ask_id,
                question,
                options,
                open_seconds,
                ..
            } => {
                let poll_id = format!("console-{ask_id}");
                match open_seconds {
                    Some(s) => {
                        let _ = writeln!(out, "\n? {question}  ({s} s)");
                    }
                    None => {
                        let _ = writeln!(out, "\n? {question}");
                    }
                }
                let buttons: Keyboard = options
                    .iter()
                    .enumerate()
                    .map(|(i, o)| vec![Button::new(o.clone(), format!("{POLL_DATA}{poll_id}:{i}"))])
                    .collect();
                self.write_keyboard(&mut *out, &buttons);
                Sent {
                    message_id: Some(new_message(&buttons, &mut state)),
                    poll_id: Some(poll_id),
                    ..Sent::default()
                }
            }
            Outbound::Photo {
                png: bytes,
                file_name,
                caption_html,
            }
            | Outbound::Document {
                bytes,
                file_name,
                caption_html,
            } => {
                // The terminal cannot show them: they are saved, and the path is printed.
                let icon = match message {
                    Outbound::Photo { .. } => "🖼",
                    _ => "📄",
                };
                let dir = std::env::temp_dir().join("weike-console");
                let path = dir.join(file_name);
                let saved = std::fs::create_dir_all(&dir)
                    .and_then(|()| std::fs::write(&path, bytes.as_slice()));
                let _ = writeln!(out, "\n{}", self.render(caption_html));
                match saved {
                    Ok(()) => {
                        let _ = writeln!(
                            out,
                            "   {icon} {} ({} KB)",
                            path.display(),
                            bytes.len().div_ceil(1024)
                        );
                    }
                    Err(e) => {
                        let _ = writeln!(
                            out,
                            "   {icon} {file_name}: cannot save to {}: {e}",
                            dir.display()
                        );
                    }
                }
                Sent {
                    message_id: Some(new_message(&Vec::new(), &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::Media {
                kind,
                file_id,
                caption_html,
            } => {
                let _ = writeln!(
                    out,
                    "\n[{}: {file_id}]\n{}",
                    kind.as_str(),
                    self.render(caption_html)
                );
                Sent {
                    message_id: Some(new_message(&Vec::new(), &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::EditText { html, buttons, .. } => {
                let _ = writeln!(out, "\n✎ {}", self.render(html));
                self.write_keyboard(&mut *out, buttons);
                Sent::default()
            }
            Outbound::EditButtons {
                message_id,
                buttons,
            } => {
                let _ = writeln!(out);
                self.write_keyboard(&mut *out, buttons);
                if state
                    .keyboard
                    .as_ref()
                    .is_some_and(|(id, _)| id == message_id)
                {
                    state.keyboard = Some((message_id.clone(), buttons.clone()));
                }
                Sent::default()
            }
            Outbound::Venue {
                lat,
                lon,
                title,
                address,
            } => {
                let _ = writeln!(out, "\n📍 {title} — {address} ({lat:.6}, {lon:.6})");
                Sent {
                    message_id: Some(new_message(&Vec::new(), &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::AskLocation { html, button_label } => {
                // Not a numbered button: what to type stands in the brackets instead.
                let _ = writeln!(out, "\n{}", self.render(html));
                let _ = writeln!(out, "   [{LOCATION_HINT}] {button_label}");
                Sent {
                    message_id: Some(new_message(&Vec::new(), &mut state)),
                    ..Sent::default()
                }
            }
            Outbound::AnswerButton { text, .. } => {
                if let Some(text) = text {
                    let _ = writeln!(out, "  » {text}");
                }
                Sent::default()
            }
        };
        let _ = out.flush();
        Ok(sent)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Default)]
    struct Buffer(Arc<Mutex<Vec<u8>>>);
    impl Write for Buffer {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn buttons_are_numbered_and_picked_by_number() {
        let buf = Buffer::default();
        let console = ConsoleChannel::new(Box::new(buf.clone()), false);
        let keyboard = vec![
            vec![Button::new("甲", "a:1"), Button::new("乙", "a:2")],
            vec![Button::new("丙", "a:3")],
        ];
        let sent = console
            .send(
                CHAT_ID,
                &Outbound::with_buttons("<b>选</b> &amp; 择", keyboard),
            )
            .await
            .unwrap();
        let printed = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(printed, "\n选 & 择\n   [1] 甲\n   [2] 乙\n   [3] 丙\n");
        match console.inbound("3").event {
            InboundEvent::Button {
                data, message_id, ..
            } => {
                assert_eq!(data, "a:3");
                assert_eq!(message_id, sent.message_id);
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(console.inbound("4").event, InboundEvent::Text("4".into()));
        assert_eq!(
            console.inbound(" hello ").event,
            InboundEvent::Text("hello".into())
        );
    }

    fn location(event: InboundEvent) -> (f64, f64) {
        match event {
            InboundEvent::Location {
                lat,
                lon,
                live: false,
            } => (lat, lon),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn location_lines_are_locations() {
        let console = ConsoleChannel::new(Box::new(Buffer::default()), false);
        for line in [
            ":location 30.5928 114.3055",
            " :location   30.5928   114.3055 ",
            ":location 30.5928,114.3055",
            ":location 30.5928, 114.3055",
            ":location 30.5928 ,114.3055",
        ] {
            assert_eq!(
                location(console.inbound(line).event),
                (30.5928, 114.3055),
                "{line}"
            );
            assert!(ConsoleChannel::is_inbound_command(line), "{line}");
        }
        assert_eq!(
            location(console.inbound(":location -33.9,-70.1").event),
            (-33.9, -70.1)
        );

        // What does not parse is NaN, for the conversation to answer.
        let (lat, lon) = location(console.inbound(":location north 114.3").event);
        assert!(lat.is_nan() && lon == 114.3);
        let (lat, lon) = location(console.inbound(":location 30.5,").event);
        assert!(lat == 30.5 && lon.is_nan());
        for line in [":location", ":location 30.5", ":location 1 2 3"] {
            let (lat, lon) = location(console.inbound(line).event);
            assert!(lat.is_nan() && lon.is_nan(), "{line}");
        }

        // Other lines are not locations.
        assert!(!ConsoleChannel::is_inbound_command(":locations 1 2"));
        assert!(!ConsoleChannel::is_inbound_command(":clock 07:30"));
        assert!(!ConsoleChannel::is_inbound_command("location 1 2"));
        assert_eq!(
            console.inbound("location 1 2").event,
            InboundEvent::Text("location 1 2".into())
        );
    }

    /// A typed line is stored as the event it meant when it was typed and read back as
    /// that event; ids grow; a location is scrubbed from a kept line.
    #[tokio::test]
    async fn typed_lines_are_updates() {
        let console = ConsoleChannel::new(Box::new(Buffer::default()), false);
        let keyboard = vec![vec![Button::new("甲", "a:1")]];
        console
            .send(CHAT_ID, &Outbound::with_buttons("选", keyboard))
            .await
            .unwrap();
        let pressed = console.accept("1").unwrap();
        let typed = console.accept("hello").unwrap();
        let located = console.accept(":location 30.5 114.3").unwrap();
        let unlocated = console.accept(":location north 114.3").unwrap();
        assert!(pressed.update_id < typed.update_id && typed.update_id < located.update_id);
        assert_eq!(pressed.chat_key, CHAT_ID);
        // The keyboard is gone by the time the update is read: the press was kept.
        console
            .send(
                CHAT_ID,
                &Outbound::with_buttons("别的", vec![vec![Button::new("乙", "b")]]),
            )
            .await
            .unwrap();
        let read = |update: &RawUpdate| {
            let inbound = console.parse_update(&update.payload).unwrap().unwrap();
            assert_eq!(
                (inbound.channel.as_str(), inbound.chat_id.as_str()),
                (CHANNEL_NAME, CHAT_ID)
            );
            inbound.event
        };
        assert!(matches!(read(&pressed), InboundEvent::Button { data, .. } if data == "a:1"));
        assert_eq!(read(&typed), InboundEvent::Text("hello".into()));
        assert_eq!(location(read(&located)), (30.5, 114.3));
        let (lat, lon) = location(read(&unlocated));
        assert!(lat.is_nan() && lon == 114.3);

        assert_eq!(console.scrub_update(&typed.payload), None);
        let kept = console.scrub_update(&located.payload).expect("scrubbed");
        assert!(!kept.contains("30.5"), "{kept}");
        assert_eq!(console.parse_update(&kept), Ok(None));
        assert!(console.parse_update("{").is_err());
    }

    #[tokio::test]
    async fn venues_and_location_requests_are_printed() {
        let buf = Buffer::default();
        let console = ConsoleChannel::new(Box::new(buf.clone()), false);
        let keyboard = vec![vec![Button::new("甲", "a:1")]];
        console
            .send(CHAT_ID, &Outbound::with_buttons("选", keyboard))
            .await
            .unwrap();
        let venue = console
            .send(
                CHAT_ID,
                &Outbound::Venue {
                    lat: 30.5928,
                    lon: 114.3055,
                    title: "青山党校".into(),
                    address: "和平大道 1 号".into(),
                },
            )
            .await
            .unwrap();
        let ask = console
            .send(
                CHAT_ID,
                &Outbound::AskLocation {
                    html: "<b>请</b>发送您的位置".into(),
                    button_label: "📍 发送位置".into(),
                },
            )
            .await
            .unwrap();
        assert_eq!(venue.message_id.as_deref(), Some("2"));
        assert_eq!(ask.message_id.as_deref(), Some("3"));
        let printed = String::from_utf8(buf.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            printed,
            "\n选\n   [1] 甲\n\
             \n📍 青山党校 — 和平大道 1 号 (30.592800, 114.305500)\n\
             \n请发送您的位置\n   [:location LAT LON] 📍 发送位置\n"
        );
        // The numbered buttons are still those of the last message that had any.
        assert!(matches!(
            console.inbound("1").event,
            InboundEvent::Button { data, .. } if data == "a:1"
        ));
    }
}
