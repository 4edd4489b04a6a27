//! Chat tests that read as scenarios: a [`Driver`] is one member talking to the real
//! service through one channel (the console, the fake Telegram, the fake WeCom), and what
//! the member sees comes back as channel-neutral [`Seen`] messages. A scenario written
//! once against `impl Driver` runs over every channel (`tests/scenarios.rs`); the next
//! channel adds one adapter here and one line to that file's list.

#![allow(async_fn_in_trait)]

pub mod console;
pub mod telegram;
pub mod wecom;

use weike::clock::ManualClock;
use weike::domain::Member;
use weike::jobs::TickReport;
use weike::service::App;

use super::db::TestDb;

/// What a message is, whatever the app shows it as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A text (with or without buttons).
    Text,
    /// A lesson's audio (Telegram's voice message, WeCom's file, the console's ♪ line).
    Audio,
    /// A quiz question; its options are the buttons (labels, no data).
    Quiz,
    /// A change of a message sent before (its text or its buttons), or of a pressed card.
    Edit,
    /// The answer to a button press that is not a message (Telegram's toast).
    Notice,
    /// Anything else: photos, documents, venues.
    Other,
}

/// A button as the member sees it: its label and what pressing it sends (the `Action`
/// data; empty for quiz options and buttons that send no data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeenButton {
    pub label: String,
    pub data: String,
}

/// One message the member got, channel-neutral: its visible text (no markup) and buttons.
#[derive(Debug, Clone)]
pub struct Seen {
    pub kind: Kind,
    pub text: String,
    pub buttons: Vec<SeenButton>,
}

impl Seen {
    pub fn new(kind: Kind, text: impl Into<String>, buttons: Vec<SeenButton>) -> Seen {
        Seen {
            kind,
            text: text.into(),
            buttons,
        }
    }

    /// The data of its buttons.
    pub fn datas(&self) -> Vec<&str> {
        self.buttons.iter().map(|b| b.data.as_str()).collect()
    }
}

/// Every text the member got, one per line.
pub fn texts(seen: &[Seen]) -> String {
    seen.iter()
        .map(|s| s.text.as_str())
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The data of the buttons of the latest message with buttons that carry data (not a quiz,
/// not an edit).
pub fn last_buttons(seen: &[Seen]) -> Vec<String> {
    seen.iter()
        .rev()
        .filter(|s| matches!(s.kind, Kind::Text | Kind::Audio))
        .find(|s| s.buttons.iter().any(|b| !b.data.is_empty()))
        .unwrap_or_else(|| panic!("no message with buttons among {seen:#?}"))
        .datas()
        .into_iter()
        .map(str::to_string)
        .collect()
}

/// The latest quiz question among the messages: (question, option labels).
pub fn quiz(seen: &[Seen]) -> Option<(String, Vec<String>)> {
    seen.iter().rev().find(|s| s.kind == Kind::Quiz).map(|s| {
        (
            s.text.clone(),
            s.buttons.iter().map(|b| b.label.clone()).collect(),
        )
    })
}

/// One member talking to the real service over one channel, on a manual clock that starts
/// at [`super::harness::start_time`]. The member is an owner (on the console, whoever
/// types is).
pub trait Driver: Sized {
    /// The channel's name, as stored in `members.channel`.
    const CHANNEL: &'static str;
    /// The service on a fresh database, ready for the member's first message.
    async fn start(db: TestDb) -> Self;
    fn app(&self) -> &App;
    fn clock(&self) -> &ManualClock;
    /// The member's chat id on the channel.
    fn chat_id(&self) -> String;
    /// The member types `text`; what they got in answer.
    async fn send_text(&mut self, text: &str) -> Vec<Seen>;
    /// The member presses the button that sends `data`, under the latest message that has
    /// it (on the console: the latest message with buttons, the only ones it numbers).
    async fn press(&mut self, data: &str) -> Vec<Seen>;
    /// The member picks option `option` (0-based) of the latest quiz question.
    async fn answer(&mut self, option: usize) -> Vec<Seen>;
    /// The member shares a location.
    async fn share_location(&mut self, lat: f64, lon: f64) -> Vec<Seen>;
    /// The scheduled work runs once (planner, jobs, courier); what the member got.
    async fn tick(&mut self) -> (TickReport, Vec<Seen>);

    /// The member's row.
    async fn member(&self) -> Member {
        self.app()
            .store
            .member_by_chat(Self::CHANNEL, &self.chat_id())
            .await
            .expect("the store answers")
            .unwrap_or_else(|| panic!("{}:{} is a member", Self::CHANNEL, self.chat_id()))
    }
}

/// Onboards the member: Chinese (simplified), `name`, 柳村党支部 (青山市 by its typed
/// number, the rest by buttons), the default lesson time, Shanghai time.
pub async fn onboard(d: &mut impl Driver, name: &str) {
    d.send_text("/start").await;
    d.press("lang:zh-CN").await;
    d.send_text(name).await;
    d.send_text("1").await;
    d.press("br:qingshan.donghu").await;
    d.press("br:qingshan.donghu.liucun").await;
    d.press("time:keep").await;
    let said = texts(&d.press("tz:Asia/Shanghai").await);
    assert!(said.contains(&format!("设置完成，{name}")), "{said}");
}
