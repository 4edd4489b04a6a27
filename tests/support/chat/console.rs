//! The console adapter of the scenario tests: lines go through the console channel as in
//! `weike chat` (`ConsoleChannel::accept`, a button is its number, a location is
//! `:location LAT LON`), stored and handled by the service; what the console is asked to
//! send is printed to a buffer and recorded, as the member's view.

use std::sync::{Arc, Mutex};

use weike::channel::console::ConsoleChannel;
use weike::channel::{
    Channel, ChannelError, Inbound, Limits, Mode, Outbound, Profile, SendError, Sent, UpdateSource,
};
use weike::clock::ManualClock;
use weike::content::markdown::visible_text;
use weike::domain::Locale;
use weike::jobs::TickReport;
use weike::service::{App, Service};

use super::{Driver, Kind, Seen, SeenButton};
use crate::support::db::TestDb;
use crate::support::harness::start_time;

/// What the console was asked to send, with what it answered.
type Record = Arc<Mutex<Vec<(Outbound, Sent)>>>;

/// The console channel, keeping a copy of every message it sends.
struct Recording {
    console: ConsoleChannel,
    sent: Record,
}

#[async_trait::async_trait]
impl Channel for Recording {
    fn profile(&self) -> &'static Profile {
        self.console.profile()
    }

    fn limits(&self) -> Limits {
        self.console.limits()
    }

    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let sent = self.console.send(chat_id, message).await?;
        let mut record = self.sent.lock().unwrap_or_else(|p| p.into_inner());
        record.push((message.clone(), sent.clone()));
        Ok(sent)
    }
}

#[async_trait::async_trait]
impl UpdateSource for Recording {
    async fn prepare(
        &self,
        mode: Mode,
        menu: &[(Locale, Vec<(String, String)>)],
    ) -> Result<(), ChannelError> {
        self.console.prepare(mode, menu).await
    }

    fn parse_update(&self, payload: &str) -> Result<Option<Inbound>, String> {
        self.console.parse_update(payload)
    }

    fn scrub_update(&self, payload: &str) -> Option<String> {
        self.console.scrub_update(payload)
    }
}

pub struct ConsoleDriver {
    pub service: Service,
    console: ConsoleChannel,
    sent: Record,
    /// How many recorded messages the test has looked at.
    taken: usize,
    /// The buttons the console numbers now (those of the latest message with buttons), and
    /// whether they are a quiz's options: (message id, buttons, quiz).
    numbered: Option<(Option<String>, Vec<SeenButton>, bool)>,
    clock: ManualClock,
    _db: TestDb,
}

impl ConsoleDriver {
    /// Types a line as `weike chat` takes it; what the member got.
    async fn line(&mut self, line: &str) -> Vec<Seen> {
        let mut update = self
            .console
            .accept(line)
            .expect("a typed line is an update");
        // The language the console reports is the machine's `LANG`; the scenarios must not
        // depend on it, so the line is stored as from an app that reports none.
        let mut stored: serde_json::Value =
            serde_json::from_str(&update.payload).expect("a stored line is JSON");
        stored["language"] = serde_json::Value::Null;
        update.payload = stored.to_string();
        self.service
            .store_update(&update)
            .await
            .expect("the line is stored");
        self.service
            .process_stored_updates()
            .await
            .expect("the line is handled");
        self.look()
    }

    fn look(&mut self) -> Vec<Seen> {
        let new: Vec<(Outbound, Sent)> = {
            let record = self.sent.lock().unwrap_or_else(|p| p.into_inner());
            record[self.taken..].to_vec()
        };
        self.taken += new.len();
        let mut seen = Vec::new();
        for (message, sent) in new {
            if let Some(s) = seen_of(&message) {
                let numbered_now = matches!(s.kind, Kind::Text | Kind::Audio | Kind::Quiz)
                    && !s.buttons.is_empty();
                if numbered_now {
                    let quiz = s.kind == Kind::Quiz;
                    self.numbered = Some((sent.message_id.clone(), s.buttons.clone(), quiz));
                }
                if let Outbound::EditButtons { message_id, .. } = &message
                    && let Some((id, buttons, _)) = &mut self.numbered
                    && id.as_ref() == Some(message_id)
                {
                    *buttons = s.buttons.clone();
                }
                seen.push(s);
            }
        }
        seen
    }

    /// The number the console shows for the button that sends `data`.
    fn number_of(&self, data: &str) -> usize {
        let (_, buttons, _) = self
            .numbered
            .as_ref()
            .expect("the console shows no buttons");
        buttons
            .iter()
            .position(|b| b.data == data)
            .unwrap_or_else(|| panic!("the console numbers {buttons:?}, not {data}"))
            + 1
    }
}

fn buttons(keyboard: &weike::channel::Keyboard) -> Vec<SeenButton> {
    keyboard
        .iter()
        .flatten()
        .map(|b| SeenButton {
            label: b.label.clone(),
            data: b.data.clone(),
        })
        .collect()
}

/// A message the console printed, as what the member sees.
fn seen_of(message: &Outbound) -> Option<Seen> {
    Some(match message {
        Outbound::Text { html, buttons: b } => {
            Seen::new(Kind::Text, visible_text(html), buttons(b))
        }
        Outbound::Audio {
            caption_html,
            buttons: b,
            ..
        } => Seen::new(Kind::Audio, visible_text(caption_html), buttons(b)),
        Outbound::Quiz {
            question, options, ..
        } => Seen::new(
            Kind::Quiz,
            question.clone(),
            options
                .iter()
                .map(|o| SeenButton {
                    label: o.clone(),
                    data: String::new(),
                })
                .collect(),
        ),
        Outbound::EditText {
            html, buttons: b, ..
        } => Seen::new(Kind::Edit, visible_text(html), buttons(b)),
        Outbound::EditButtons { buttons: b, .. } => Seen::new(Kind::Edit, "", buttons(b)),
        Outbound::AnswerButton { text, .. } => Seen::new(Kind::Notice, text.clone()?, Vec::new()),
        Outbound::AskLocation { html, button_label } => Seen::new(
            Kind::Text,
            visible_text(html),
            vec![SeenButton {
                label: button_label.clone(),
                data: String::new(),
            }],
        ),
        Outbound::Photo { caption_html, .. }
        | Outbound::Document { caption_html, .. }
        | Outbound::Media { caption_html, .. } => {
            Seen::new(Kind::Other, visible_text(caption_html), Vec::new())
        }
        Outbound::Venue { title, address, .. } => {
            Seen::new(Kind::Other, format!("{title} — {address}"), Vec::new())
        }
    })
}

impl Driver for ConsoleDriver {
    const CHANNEL: &'static str = weike::channel::console::CHANNEL_NAME;

    async fn start(db: TestDb) -> Self {
        let clock = ManualClock::new(start_time());
        let app = App::start(
            crate::support::harness::test_config(&db, &[]),
            Arc::new(clock.clone()),
        )
        .await
        .expect("service starts");
        let console = ConsoleChannel::new(Box::new(std::io::sink()), false);
        let sent = Record::default();
        let channel = Arc::new(Recording {
            console: console.clone(),
            sent: sent.clone(),
        });
        let service = Service::new(app, channel);
        ConsoleDriver {
            service,
            console,
            sent,
            taken: 0,
            numbered: None,
            clock,
            _db: db,
        }
    }

    fn app(&self) -> &App {
        &self.service.app
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    fn chat_id(&self) -> String {
        weike::channel::console::CHAT_ID.to_string()
    }

    async fn send_text(&mut self, text: &str) -> Vec<Seen> {
        self.line(text).await
    }

    async fn press(&mut self, data: &str) -> Vec<Seen> {
        let number = self.number_of(data);
        self.line(&number.to_string()).await
    }

    async fn answer(&mut self, option: usize) -> Vec<Seen> {
        let quiz = self.numbered.as_ref().is_some_and(|(_, _, quiz)| *quiz);
        assert!(quiz, "the console numbers no quiz's options now");
        self.line(&(option + 1).to_string()).await
    }

    async fn share_location(&mut self, lat: f64, lon: f64) -> Vec<Seen> {
        self.line(&format!(":location {lat} {lon}")).await
    }

    async fn tick(&mut self) -> (TickReport, Vec<Seen>) {
        let report = self.service.tick().await.into_result().expect("the tick");
        (report, self.look())
    }
}
