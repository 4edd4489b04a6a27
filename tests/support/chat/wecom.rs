//! The WeCom adapter of the scenario tests: members are users of the fake WeCom server,
//! which posts their encrypted callbacks to the service's HTTP server; the service sends
//! through the fake's API. `tests/wecom_e2e.rs` uses the same world for WeCom's own rules.

use std::collections::HashMap;
use std::sync::Arc;

use weike::channel::wecom::render::CardKey;
use weike::channel::wecom::{CALLBACK_PATH, CHANNEL_NAME};
use weike::channel::{Mode, UpdateSource};
use weike::clock::ManualClock;
use weike::jobs::TickReport;
use weike::service::{App, Service};

use super::{Driver, Kind, Seen, SeenButton};
use crate::support::db::TestDb;
use crate::support::fake_wecom::{
    self, AGENT_ID, CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID, Delivered, FakeWecom,
};
use crate::support::harness::start_time;

/// The member the [`Driver`] acts as (an owner).
pub const MEMBER: &str = "zhangsan";
/// Another owner.
pub const OWNER: &str = "lisi";

/// The service serving WeCom's callback on a local HTTP server, the fake WeCom, a manual
/// clock (the fake's too) and a database.
pub struct WecomDriver {
    pub fake: FakeWecom,
    pub clock: ManualClock,
    pub db: TestDb,
    pub service: Service,
    /// The callback URL.
    pub url: String,
    /// How many messages of each member the test has looked at.
    seen: HashMap<String, usize>,
    /// How many card updates the test has looked at.
    seen_updates: usize,
    /// Every message `MEMBER` got, to find the cards to press.
    history: Vec<Delivered>,
}

fn settings(
    db: &TestDb,
    fake: &FakeWecom,
    extra: &[(&'static str, String)],
) -> weike::config::Config {
    let mut vars: Vec<(&'static str, String)> = vec![
        ("WEIKE_WECOM_CORP_ID", CORP_ID.into()),
        ("WEIKE_WECOM_AGENT_ID", AGENT_ID.to_string()),
        ("WEIKE_WECOM_SECRET", fake_wecom::SECRET.into()),
        ("WEIKE_WECOM_TOKEN", CALLBACK_TOKEN.into()),
        ("WEIKE_WECOM_AES_KEY", CALLBACK_AES_KEY.into()),
        ("WEIKE_WECOM_API_URL", fake.api_base()),
        (
            "WEIKE_OWNERS",
            format!("{CHANNEL_NAME}:{MEMBER},{CHANNEL_NAME}:{OWNER}"),
        ),
        // Members act many times within a minute of the manual clock.
        ("WEIKE_COMMANDS_PER_MINUTE", "0".into()),
        // One delivery at a time, so that the manual clock reads each send's instant.
        ("WEIKE_SEND_CONCURRENCY", "1".into()),
    ];
    vars.extend(extra.iter().cloned());
    crate::support::harness::test_config(db, &vars)
}

impl WecomDriver {
    /// Handles what the callbacks stored; the messages `user` got since the last look.
    pub async fn step(&mut self, user: &str) -> Vec<Delivered> {
        self.service
            .process_stored_updates()
            .await
            .expect("handling");
        self.take(user)
    }

    /// The messages `user` got since the last look.
    pub fn take(&mut self, user: &str) -> Vec<Delivered> {
        let all = self.fake.received(user);
        let seen = self.seen.entry(user.to_string()).or_default();
        let new = all[(*seen).min(all.len())..].to_vec();
        *seen = all.len();
        if user == MEMBER {
            self.history.extend(new.iter().cloned());
        }
        new
    }

    /// `user` types `text`; the messages that followed.
    pub async fn say(&mut self, user: &str, text: &str) -> Vec<Delivered> {
        assert_eq!(self.fake.say(&self.url, user, text).await, 200, "{text}");
        self.step(user).await
    }

    /// Clicks the button that means `data` on the latest card in `got`; the messages that
    /// followed.
    pub async fn press_in(&mut self, user: &str, got: &[Delivered], data: &str) -> Vec<Delivered> {
        let (task_id, key) = button(got, data);
        let (status, _) = self.fake.click(&self.url, user, &task_id, &key).await;
        assert_eq!(status, 200);
        self.step(user).await
    }

    pub async fn member_of(&self, user: &str) -> weike::domain::Member {
        self.service
            .app
            .store
            .member_by_chat(CHANNEL_NAME, user)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{user} is a member"))
    }

    /// What `MEMBER` saw in `got`, and in the card updates since the last look.
    fn look(&mut self, got: &[Delivered]) -> Vec<Seen> {
        let mut seen: Vec<Seen> = Vec::new();
        for d in got {
            match d.msgtype.as_str() {
                "template_card" => {
                    let keys = card_keys(d);
                    let quiz = keys
                        .iter()
                        .any(|(k, _)| matches!(k, CardKey::Answer { .. }));
                    let buttons = keys
                        .iter()
                        .map(|(k, label)| SeenButton {
                            label: label.clone(),
                            data: match k {
                                CardKey::Button { data, .. } => data.clone(),
                                CardKey::Answer { .. } => String::new(),
                            },
                        })
                        .collect();
                    // The card goes with the text before it (which lists the choices).
                    match seen.last_mut() {
                        Some(text) if text.kind == Kind::Text && text.buttons.is_empty() => {
                            text.buttons = buttons;
                            if quiz {
                                text.kind = Kind::Quiz;
                            }
                        }
                        _ => seen.push(Seen::new(
                            if quiz { Kind::Quiz } else { Kind::Text },
                            d.payload["main_title"]["title"]
                                .as_str()
                                .unwrap_or_default(),
                            buttons,
                        )),
                    }
                }
                "text" | "markdown" => seen.push(Seen::new(
                    Kind::Text,
                    d.text().unwrap_or_default(),
                    Vec::new(),
                )),
                "file" | "voice" => seen.push(Seen::new(Kind::Audio, "", Vec::new())),
                _ => seen.push(Seen::new(Kind::Other, "", Vec::new())),
            }
        }
        let updates = self.fake.card_updates();
        for update in &updates[self.seen_updates.min(updates.len())..] {
            if update.userids.iter().any(|u| u == MEMBER) {
                let label = update.replace_name.clone().unwrap_or_default();
                seen.push(Seen::new(
                    Kind::Edit,
                    "",
                    vec![SeenButton {
                        label,
                        data: String::new(),
                    }],
                ));
            }
        }
        self.seen_updates = updates.len();
        seen
    }

    async fn click(&mut self, task_id: &str, key: &str) -> Vec<Seen> {
        let (status, _) = self.fake.click(&self.url, MEMBER, task_id, key).await;
        assert_eq!(status, 200);
        let got = self.step(MEMBER).await;
        self.look(&got)
    }
}

/// The buttons of a card: (decoded key, button text).
pub fn card_keys(card: &Delivered) -> Vec<(CardKey, String)> {
    card.payload["button_list"]
        .as_array()
        .expect("buttons")
        .iter()
        .map(|b| {
            let key = b["key"].as_str().expect("key");
            (
                CardKey::decode(key).unwrap_or_else(|| panic!("not our key: {key}")),
                b["text"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// What a card button means: its data, or `POLL#OPTION` for a quiz option.
pub fn meaning(key: &CardKey) -> String {
    match key {
        CardKey::Button { data, .. } => data.clone(),
        CardKey::Answer {
            poll_id, option, ..
        } => format!("{poll_id}#{option}"),
    }
}

/// The task id and raw key of the button meaning `data` on the latest card that has it.
pub fn button(got: &[Delivered], data: &str) -> (String, String) {
    find_key(got, |key| meaning(key) == data)
        .unwrap_or_else(|| panic!("no button {data} among {got:#?}"))
}

/// The task id and raw key of the latest card button whose key is `wanted`.
fn find_key(got: &[Delivered], wanted: impl Fn(&CardKey) -> bool) -> Option<(String, String)> {
    got.iter()
        .rev()
        .filter(|d| d.msgtype == "template_card")
        .find_map(|d| {
            let key = d.payload["button_list"]
                .as_array()?
                .iter()
                .filter_map(|b| b["key"].as_str())
                .find(|k| CardKey::decode(k).is_some_and(|c| wanted(&c)))?;
            Some((d.payload["task_id"].as_str()?.to_string(), key.to_string()))
        })
}

impl WecomDriver {
    /// A driver whose service has `extra` settings too (e.g. a daily budget).
    pub async fn start_with(db: TestDb, extra: &[(&'static str, String)]) -> Self {
        let clock = ManualClock::new(start_time());
        let fake = FakeWecom::start_with_clock(Arc::new(clock.clone())).await;
        let app = App::start(settings(&db, &fake, extra), Arc::new(clock.clone()))
            .await
            .expect("service starts");
        assert!(
            app.config.telegram_token.is_none(),
            "WeCom alone is configured"
        );
        let channel = weike::cli::open_wecom(&app)
            .expect("the channel opens")
            .expect("WeCom is configured");
        channel
            .prepare(Mode::Webhook, &app.command_menu())
            .await
            .expect("WeCom takes the credentials");
        let service = Service::new(app, channel);
        let limits = service.app.config.http_limits;
        let addr = crate::support::webhook::serve_http(&service, Mode::Webhook, limits).await;
        WecomDriver {
            fake,
            clock,
            db,
            service,
            url: format!("http://{addr}{CALLBACK_PATH}"),
            seen: HashMap::new(),
            seen_updates: 0,
            history: Vec::new(),
        }
    }
}

impl Driver for WecomDriver {
    const CHANNEL: &'static str = CHANNEL_NAME;

    async fn start(db: TestDb) -> Self {
        WecomDriver::start_with(db, &[]).await
    }

    fn app(&self) -> &App {
        &self.service.app
    }

    fn clock(&self) -> &ManualClock {
        &self.clock
    }

    fn chat_id(&self) -> String {
        MEMBER.to_string()
    }

    async fn send_text(&mut self, text: &str) -> Vec<Seen> {
        let got = self.say(MEMBER, text).await;
        self.look(&got)
    }

    async fn press(&mut self, data: &str) -> Vec<Seen> {
        let (task_id, key) = button(&self.history, data);
        self.click(&task_id, &key).await
    }

    async fn answer(&mut self, option: usize) -> Vec<Seen> {
        let (task_id, key) = find_key(
            &self.history,
            |key| matches!(key, CardKey::Answer { option: o, .. } if *o == option),
        )
        .unwrap_or_else(|| panic!("no quiz card with option {option}"));
        self.click(&task_id, &key).await
    }

    async fn share_location(&mut self, lat: f64, lon: f64) -> Vec<Seen> {
        assert_eq!(
            self.fake.report_location(&self.url, MEMBER, lat, lon).await,
            200
        );
        let got = self.step(MEMBER).await;
        self.look(&got)
    }

    async fn tick(&mut self) -> (TickReport, Vec<Seen>) {
        let report = self.service.tick().await.into_result().expect("the tick");
        let got = self.take(MEMBER);
        (report, self.look(&got))
    }
}
