//! The Telegram adapter of the scenario tests: the member is a user of the fake Bot API
//! server, the service polls it.

use serde_json::Value;
use weike::clock::ManualClock;
use weike::content::markdown::visible_text;
use weike::jobs::TickReport;
use weike::service::{App, Service};

use super::{Driver, Kind, Seen, SeenButton};
use crate::support::db::TestDb;
use crate::support::fake_telegram::Call;
use crate::support::harness::{Harness, step};

/// The member's user (and private chat) id.
pub const USER: i64 = 5001;

pub struct TelegramDriver {
    pub h: Harness,
    pub service: Service,
    /// Every call made to the member's chat so far, to find the buttons to press.
    history: Vec<Call>,
    /// The calls of the latest step (to the member's chat, and button answers), for the
    /// tests of what is Telegram's own.
    pub calls: Vec<Call>,
    /// The calls the service made as it started (the command menus, deleteWebhook).
    pub setup: Vec<Call>,
}

impl TelegramDriver {
    /// Handles the queued updates; what the member got.
    pub async fn step(&mut self) -> Vec<Seen> {
        let calls = step(&self.service, &self.h.fake).await;
        self.look(calls)
    }

    fn look(&mut self, calls: Vec<Call>) -> Vec<Seen> {
        let mine: Vec<Call> = calls
            .into_iter()
            .filter(|c| c.chat_id() == Some(USER) || c.method == "answerCallbackQuery")
            .collect();
        let seen = mine.iter().filter_map(seen_of).collect();
        self.history.extend(mine.iter().cloned());
        self.calls = mine;
        seen
    }
}

/// The buttons of a call's keyboard (inline buttons with their data, reply buttons without).
fn buttons_of(call: &Call) -> Vec<SeenButton> {
    let Some(markup) = call.reply_markup() else {
        return Vec::new();
    };
    ["inline_keyboard", "keyboard"]
        .iter()
        .filter_map(|k| markup[*k].as_array())
        .flatten()
        .filter_map(Value::as_array)
        .flatten()
        .map(|b| SeenButton {
            label: b["text"].as_str().unwrap_or_default().to_string(),
            data: b["callback_data"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
}

/// A Bot API call as what the member sees.
pub fn seen_of(call: &Call) -> Option<Seen> {
    let text = call.text().map(visible_text).unwrap_or_default();
    let kind = match call.method.as_str() {
        "sendMessage" => Kind::Text,
        "sendVoice" | "sendAudio" => Kind::Audio,
        "sendPoll" => {
            let question = call.param("question").and_then(Value::as_str);
            let options = call
                .param("options")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|o| SeenButton {
                    label: o.as_str().or(o["text"].as_str()).unwrap_or_default().into(),
                    data: String::new(),
                })
                .collect();
            return Some(Seen::new(Kind::Quiz, question.unwrap_or_default(), options));
        }
        "editMessageText" | "editMessageReplyMarkup" | "editMessageCaption" => Kind::Edit,
        "answerCallbackQuery" if text.is_empty() => return None,
        "answerCallbackQuery" => Kind::Notice,
        _ => Kind::Other,
    };
    Some(Seen::new(kind, text, buttons_of(call)))
}

impl TelegramDriver {
    /// The service as `weike run` starts it, the member an owner.
    async fn service(h: &Harness) -> Service {
        let owner = format!("telegram:{USER}");
        h.service_with(h.config_with(&[("WEIKE_OWNERS", owner.as_str())]))
            .await
    }

    /// Stops the service and starts it again on the same database and fake.
    pub async fn restart(self) -> Self {
        let TelegramDriver {
            h,
            service,
            history,
            setup,
            ..
        } = self;
        drop(service);
        let service = Self::service(&h).await;
        h.fake.take_calls();
        TelegramDriver {
            h,
            service,
            history,
            calls: Vec::new(),
            setup,
        }
    }
}

impl Driver for TelegramDriver {
    const CHANNEL: &'static str = "telegram";

    async fn start(db: TestDb) -> Self {
        let h = Harness::new(db).await;
        let service = Self::service(&h).await;
        let setup = h.fake.take_calls();
        TelegramDriver {
            setup,
            h,
            service,
            history: Vec::new(),
            calls: Vec::new(),
        }
    }

    fn app(&self) -> &App {
        &self.service.app
    }

    fn clock(&self) -> &ManualClock {
        &self.h.clock
    }

    fn chat_id(&self) -> String {
        USER.to_string()
    }

    async fn send_text(&mut self, text: &str) -> Vec<Seen> {
        self.h.fake.push_text(USER, text);
        self.step().await
    }

    async fn press(&mut self, data: &str) -> Vec<Seen> {
        let message = self
            .history
            .iter()
            .rev()
            .find(|c| c.callback_datas().iter().any(|d| d == data))
            .and_then(|c| c.result_message_id().or(c.message_id()))
            .unwrap_or_else(|| panic!("no button {data} was sent to {USER}"));
        self.h.fake.push_callback(USER, message, data);
        self.step().await
    }

    async fn answer(&mut self, option: usize) -> Vec<Seen> {
        let poll = self
            .history
            .iter()
            .rev()
            .find(|c| c.method == "sendPoll")
            .and_then(|c| {
                c.result.as_ref()?["poll"]["id"]
                    .as_str()
                    .map(str::to_string)
            })
            .expect("a quiz question was sent");
        let option = u32::try_from(option).expect("a small option");
        self.h.fake.push_poll_answer(USER, &poll, &[option]);
        self.step().await
    }

    async fn share_location(&mut self, lat: f64, lon: f64) -> Vec<Seen> {
        self.h.fake.push_location(USER, lat, lon);
        self.step().await
    }

    async fn tick(&mut self) -> (TickReport, Vec<Seen>) {
        let report = self.service.tick().await.into_result().expect("the tick");
        let calls = self.h.fake.take_calls();
        assert!(calls.iter().all(|c| c.ok), "{calls:#?}");
        (report, self.look(calls))
    }
}
