//! The WeCom channel: a self-built app's members as chats ([`WecomChannel`], chat ids are
//! UserIDs), behind the same seam as Telegram.
//!
//! Sending maps each channel-neutral message onto WeCom's message types ([`Channel::send`]):
//!
//! | `Outbound` | WeCom |
//! |---|---|
//! | text | `text` (the visible text; links as `label (URL)`), split at 2,048 bytes on paragraph or sentence boundaries |
//! | text with buttons | the text with its choices numbered (`[1] …`), then a `template_card` (`button_interaction`) with the buttons when there are at most 6; a typed number chooses either way |
//! | quiz | the question with its options numbered, then a card with one button per option (WeCom has no quiz poll); a click or a typed number comes back as the answer |
//! | audio | `voice` when an AMR file lies beside the lesson's audio (`NN.amr` next to `NN.ogg`, at most 60 s and 2 MB), else the audio as a `file`; then the caption as text (with its buttons as above) |
//! | photo, poster | `image`, then the caption |
//! | document (CSV) | `file`, then the caption |
//! | media (an admin's attachment) | `image`, `voice` or `file` by the media id the member's message carried (usable for 3 days) |
//! | venue | `textcard`: the name, the address, a link to the place on Amap |
//! | location request | the text and how to share a position in WeCom (WeCom cannot ask for it with a button) |
//! | edit of a pressed card | the card turned into its done state with the click's ResponseCode (`update_template_card`: the label, disabled); an edit of its text is sent as a new message |
//! | any other edit | not shown: WeCom cannot change a message once sent |
//! | button answer | its notice as text; a silent one sends nothing |
//!
//! A card pressed is turned into its done state after the click is handled: by the
//! conversation's edit of its buttons (check-in: "✅ 已打卡"), else before the next
//! message to the member, with the pressed button's label.
//!
//! Receiving is WeCom's callback ([`WecomRoute`], on the service's HTTP server): the GET
//! that verifies the URL is answered with the decrypted `echostr`; a POST is checked
//! (signature, decryption, corp id) and stored as its decrypted XML under an id made from
//! its time and dedup key, so that WeCom's retries are stored once. Stored callbacks become
//! [`Inbound`] events ([`UpdateSource::parse_update`]): texts (a bare number picks a
//! choice of the latest message with choices), card clicks (the button's key decoded),
//! locations (the app's `LOCATION` reports as live locations), voice and images as media,
//! `unsubscribe` as [`InboundEvent::Unsubscribed`].
//!
//! What is kept in memory, per process: each member's sends in the last hour (so that no
//! send breaks WeCom's 30 a minute and 1,000 an hour, [`MemberWindows`]), the choices of
//! the latest message with choices per member (for typed numbers), and the click waiting to
//! be turned into its done state. With several processes behind one callback URL, a typed
//! number reaches a process that may not have sent the choices (then it is read as text),
//! and the per-member windows are per process, like the courier's limits.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::callback::{self, CallbackEvent, CallbackQuery, MemberEvent, Routed};
use super::client::{
    ApiFailure, ButtonCard, CardButton, MAX_CARD_BUTTONS, MAX_TEXT_BYTES, MediaCache, MediaType,
    Message, SendOptions, SendReceipt, Uploaded, WecomClient, WecomConfig, check_upload,
    split_text,
};
use super::crypto::WecomCrypto;
use super::render::{
    CardKey, Choice, MemberWindows, TEXTCARD_DESCRIPTION_CHARS, TEXTCARD_TITLE_CHARS, answer_keys,
    button_keys, card_title, map_url, plain_text, truncate_chars, typed_choice, update_id,
    with_choices,
};
use super::voice::Transcoder;
use crate::channel::{
    AudioRef, Capabilities, Channel, ChannelError, DailyBudget, GetAnswer, Inbound, InboundEvent,
    Keyboard, LanguageMenu, Limits, MediaKind, Mode, Outbound, Profile, RawUpdate, SendError, Sent,
    UpdateSource, WebhookRequest, WebhookRoute,
};
use crate::clock::Clock;
use crate::config::WecomSettings;
use crate::content::AudioKind;
use crate::content::markdown::escape_html;
use crate::metrics::Metrics;

pub use super::callback::CHANNEL_NAME;

/// Where WeCom posts the callbacks (the app's 接收消息 URL is `https://HOST` + this).
pub const CALLBACK_PATH: &str = "/wecom/callback";
/// The `message_id` of a card a member pressed (in the click's event): this prefix and the
/// click's ResponseCode, with which the card can be updated once.
pub const CLICK_PREFIX: &str = "click:";
/// How long one WeCom call may take.
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);

/// What the service knows of WeCom by name.
pub const PROFILE: Profile = Profile {
    name: CHANNEL_NAME,
    capabilities: Capabilities {
        // A quiz is a card with a button per option.
        quiz_polls: false,
        // Buttons are a template_card's (at most 6; more are numbered text).
        inline_buttons: true,
        // Voice messages are AMR; lessons' Opus audio goes as a file unless an AMR copy
        // lies beside it.
        voice_messages: false,
        location_requests: false,
        // 2,048 bytes: 682 characters of Chinese (the channel splits longer texts).
        max_text_chars: MAX_TEXT_BYTES / 3,
        // A file's caption is a text message of its own.
        max_caption_chars: MAX_TEXT_BYTES / 3,
        button_toasts: false,
    },
    operator: false,
    is_chat_id: super::render::is_user_id,
};

/// WeCom's limits as the courier keeps them (path/90312 频率限制, path/90236):
///
/// - per member at most 30 messages a minute and 1,000 an hour, else WeCom drops them
///   silently. The courier's per-chat cell (rate r, burst b) lets at most b + r·T messages
///   through in any T seconds, so it keeps b + 60·r ≤ 30 and b + 3600·r ≤ 1,000: b = 4,
///   r = 0.27/s gives 20.2 a minute and 976 an hour (a lesson's text and audio go at once;
///   a busy member's deliveries are spread). The courier counts the service's messages;
///   one of them may be several of WeCom's (a text and its card; a long text in parts), so
///   the channel also counts every message it sends to each member ([`MemberWindows`]) and
///   holds back one that would break either limit: that is what guarantees the limit,
///   for deliveries and replies alike.
/// - per API at most 10,000 calls a minute and 150,000 an hour for the corp: 40 messages a
///   second (2,400 a minute, 144,000 an hour) overall; and since one of the courier's
///   messages may be several of WeCom's, the channel spaces its own `message/send` calls
///   [`SEND_SPACING`] apart too.
pub const LIMITS: Limits = Limits {
    global_per_second: 40.0,
    global_burst: 1.0,
    per_chat_per_second: 0.27,
    per_chat_burst: 4.0,
    // No group chats: an app writes to members.
    per_group_per_minute: 20.0,
};

/// Texts the channel adds in the member's language, made from the message files by whoever
/// opens the channel (the channel knows no messages of its own).
#[derive(Debug, Clone, Default)]
pub struct WecomTexts {
    /// How to share a position in WeCom, per language, with what tells a location
    /// request's language.
    pub location: Vec<LocationHowto>,
    /// For a request whose language is not recognized.
    pub default_howto: Option<String>,
}

/// How to share a position in WeCom (`wecom-location-howto`) in one language.
#[derive(Debug, Clone, Default)]
pub struct LocationHowto {
    /// The texts of the language's location requests (`location-share`,
    /// `location-consent-thanks`).
    pub requests: Vec<String>,
    /// The label of its location button (`location-button`).
    pub button_label: String,
    pub howto: String,
}

impl WecomTexts {
    /// The text for a location request: of the language whose request it is, else of the
    /// one whose button label it has, else the default.
    fn howto(&self, html: &str, button_label: &str) -> Option<&str> {
        self.location
            .iter()
            .find(|l| l.requests.iter().any(|r| r == html))
            .or_else(|| {
                self.location
                    .iter()
                    .find(|l| l.button_label == button_label)
            })
            .map(|l| l.howto.as_str())
            .or(self.default_howto.as_deref())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum WecomError {
    #[error("the WeCom callback settings are invalid: {0}")]
    Crypto(#[from] super::crypto::CryptoError),
    #[error(transparent)]
    Client(#[from] super::client::ClientError),
    #[error(
        "WeCom delivers updates by callback only: it needs WEIKE_HTTP_LISTEN and the app's callback URL"
    )]
    NoPolling,
    #[error("WeCom refused the app's credentials: {0}")]
    Credentials(String),
}

impl From<WecomError> for ChannelError {
    fn from(e: WecomError) -> Self {
        ChannelError::new(e)
    }
}

/// A pressed card waiting to be turned into its done state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pending {
    response_code: String,
    label: String,
}

#[derive(Debug, Default)]
struct State {
    windows: MemberWindows,
    /// The choices of the latest message with choices, per member.
    choices: HashMap<String, Vec<Choice>>,
    /// The latest click per member, until its card is updated.
    pending: HashMap<String, Pending>,
    /// The earliest instant of the next `message/send` ([`SEND_SPACING`]).
    next_send: Option<chrono::DateTime<chrono::Utc>>,
}

/// The least time between two `message/send` calls of a process: 40 a second, so that the
/// app keeps WeCom's 10,000 calls a minute and 150,000 an hour per API (144,000) however
/// many of WeCom's messages one of the courier's parts is (a text and its card, voice pieces).
pub const SEND_SPACING: chrono::TimeDelta = chrono::TimeDelta::milliseconds(25);

/// One self-built app of one corp.
pub struct WecomChannel {
    client: WecomClient,
    crypto: WecomCrypto,
    agent_id: i64,
    /// `wecom:<corp id>`: media ids are the app's.
    cache_key: String,
    clock: Arc<dyn Clock>,
    texts: WecomTexts,
    state: Mutex<State>,
    cards: AtomicU64,
    /// The tools that make Opus audio into voice messages.
    transcoder: Transcoder,
    /// Each Opus audio's voice pieces (by the audio's sha256), or when to try again.
    voices: tokio::sync::Mutex<HashMap<String, Voice>>,
    budget: DailyBudget,
    metrics: Arc<Metrics>,
    /// The least time between two `message/send` calls ([`SEND_SPACING`] unless changed).
    spacing: Option<chrono::TimeDelta>,
}

/// An Opus audio as voice messages.
#[derive(Debug)]
enum Voice {
    Ready(Arc<Vec<Vec<u8>>>),
    /// The tools were missing or failed: the audio goes as a file until then.
    Failed {
        retry_at: chrono::DateTime<chrono::Utc>,
    },
}

/// How long an audio that could not be transcoded goes as a file before the tools are
/// tried again.
pub const TRANSCODE_RETRY: Duration = Duration::from_secs(600);
/// WeCom's day (for the app's daily budget) is China's: UTC+8.
pub const BUDGET_UTC_OFFSET_SECONDS: i32 = 8 * 3600;

impl std::fmt::Debug for WecomChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WecomChannel")
            .field("client", &self.client)
            .field("crypto", &self.crypto)
            .finish_non_exhaustive()
    }
}

/// What one send produced.
#[derive(Debug, Default)]
struct Out {
    message_id: Option<String>,
}

impl Out {
    fn note(&mut self, receipt: &SendReceipt) {
        if receipt.msgid.is_some() {
            self.message_id = receipt.msgid.clone();
        }
    }
}

impl WecomChannel {
    pub fn new(
        settings: &WecomSettings,
        clock: Arc<dyn Clock>,
        texts: WecomTexts,
        metrics: Arc<Metrics>,
    ) -> Result<Self, WecomError> {
        let crypto = WecomCrypto::new(&settings.token, &settings.aes_key, &settings.corp_id)?;
        let client = WecomClient::new(
            &WecomConfig {
                corp_id: settings.corp_id.clone(),
                secret: settings.secret.clone(),
                agent_id: settings.agent_id,
                api_base: settings.api_url.clone(),
                timeout: CALL_TIMEOUT,
            },
            clock.clone(),
        )?;
        Ok(Self {
            client,
            crypto,
            agent_id: settings.agent_id,
            cache_key: format!("{CHANNEL_NAME}:{}", settings.corp_id),
            clock,
            texts,
            state: Mutex::new(State::default()),
            cards: AtomicU64::new(0),
            transcoder: Transcoder {
                opusdec: settings.opusdec.clone(),
                sox: settings.sox.clone(),
            },
            voices: tokio::sync::Mutex::new(HashMap::new()),
            budget: DailyBudget {
                messages: settings.daily_budget,
                utc_offset_seconds: BUDGET_UTC_OFFSET_SECONDS,
                reply_reserve: settings.daily_budget / 20,
            },
            metrics,
            spacing: Some(SEND_SPACING),
        })
    }

    /// Spaces `message/send` calls for `per_second` instead of WeCom's 40 a second (the
    /// operator's `messages_per_second`); none for an infinite rate (a benchmark of the
    /// pipeline itself).
    pub fn with_rate(mut self, per_second: f64) -> Self {
        self.spacing = (per_second.is_finite() && per_second > 0.0)
            .then(|| chrono::TimeDelta::microseconds((1_000_000.0 / per_second).ceil() as i64));
        self
    }

    /// The app's client (tests, and the service's own calls).
    pub fn client(&self) -> &WecomClient {
        &self.client
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A task id never used before in the app: digits and letters.
    fn task_id(&self) -> String {
        let n = self.cards.fetch_add(1, Ordering::Relaxed);
        format!(
            "wk{}{:08x}{n:x}",
            self.clock.now().timestamp_millis(),
            rand::random::<u32>()
        )
    }

    /// Sends one message, at the earliest instant that keeps the member's windows and the
    /// app's pace ([`SEND_SPACING`]).
    async fn post(&self, chat: &str, message: &Message) -> Result<SendReceipt, SendError> {
        let at = {
            let mut state = self.state();
            let now = self.clock.now();
            let slot = state.next_send.map_or(now, |next| next.max(now));
            state.next_send = self.spacing.map(|spacing| slot + spacing);
            state.windows.reserve(chat, slot)
        };
        self.clock.sleep_until(at).await;
        self.client
            .send(chat, message, &SendOptions::default())
            .await
            .map_err(ApiFailure::classify)
    }

    /// A text, split into messages of at most 2,048 bytes (nothing for an empty text).
    async fn text(&self, chat: &str, text: &str, out: &mut Out) -> Result<(), SendError> {
        for part in split_text(text, MAX_TEXT_BYTES) {
            out.note(&self.post(chat, &Message::Text(part)).await?);
        }
        Ok(())
    }

    /// A text with choices: the text with the choices numbered, then a card with a button
    /// per choice when there are at most 6. The choices are kept for typed numbers.
    async fn with_card(
        &self,
        chat: &str,
        text: &str,
        keys: Vec<CardKey>,
        task_id: Option<String>,
        out: &mut Out,
    ) -> Result<(), SendError> {
        let labels: Vec<&str> = keys.iter().map(CardKey::label).collect();
        self.text(chat, &with_choices(text, &labels), out).await?;
        if keys.is_empty() {
            return Ok(());
        }
        if keys.len() <= MAX_CARD_BUTTONS {
            let card = ButtonCard {
                title: card_title(text, labels[0]),
                description: String::new(),
                task_id: task_id.unwrap_or_else(|| self.task_id()),
                buttons: keys
                    .iter()
                    .map(|k| CardButton {
                        key: k.encode(),
                        text: k.label().to_string(),
                    })
                    .collect(),
            };
            out.note(&self.post(chat, &Message::ButtonCard(card)).await?);
        }
        let choices = keys.iter().map(CardKey::choice).collect();
        self.state().choices.insert(chat.to_string(), choices);
        Ok(())
    }

    async fn text_with_buttons(
        &self,
        chat: &str,
        html: &str,
        buttons: &Keyboard,
        out: &mut Out,
    ) -> Result<(), SendError> {
        self.with_card(chat, &plain_text(html), button_keys(buttons), None, out)
            .await
    }

    /// Uploads a file (or reuses the app's upload of the same bytes) and sends it; a cached
    /// id WeCom no longer knows (40007) is uploaded again once.
    async fn upload_and_send(
        &self,
        chat: &str,
        kind: MediaType,
        file_name: &str,
        bytes: &[u8],
        out: &mut Out,
    ) -> Result<Uploaded, SendError> {
        let up = self
            .client
            .media_id(kind, file_name, bytes)
            .await
            .map_err(ApiFailure::classify)?;
        match self
            .post(chat, &media_message(kind, up.media_id.clone()))
            .await
        {
            Err(SendError::Rejected(why)) if !up.uploaded && why.contains("40007") => {
                self.client.forget_media(kind, bytes);
                let up = self
                    .client
                    .media_id(kind, file_name, bytes)
                    .await
                    .map_err(ApiFailure::classify)?;
                out.note(
                    &self
                        .post(chat, &media_message(kind, up.media_id.clone()))
                        .await?,
                );
                Ok(up)
            }
            Err(e) => Err(e),
            Ok(receipt) => {
                out.note(&receipt);
                Ok(up)
            }
        }
    }

    /// A lesson's audio: `voice` messages (the AMR file beside it, else the Opus audio
    /// transcoded and cut into pieces of at most 60 s), else the file itself; by the ids of
    /// an earlier upload while they live. Returns what to keep as the file id.
    async fn audio(
        &self,
        chat: &str,
        audio: &AudioRef,
        out: &mut Out,
    ) -> Result<Option<String>, SendError> {
        // Pieces already sent by their stored ids (a 40007 part-way: the rest is uploaded
        // again).
        let mut done = 0;
        let mut stored_kind = None;
        if let Some((kind, ids)) = audio
            .file_id
            .as_deref()
            .and_then(|v| StoredMedia::parse(v, self.clock.now()))
        {
            stored_kind = Some(kind);
            for media_id in &ids {
                match self
                    .post(chat, &media_message(kind, media_id.clone()))
                    .await
                {
                    Ok(receipt) => {
                        out.note(&receipt);
                        done += 1;
                    }
                    // Expired early or unknown: upload again below.
                    Err(SendError::Rejected(why)) if why.contains("40007") => break,
                    Err(e) => return Err(e),
                }
            }
            if done == ids.len() {
                return Ok(None);
            }
        }
        let (kind, files) = self.audio_files(audio, true).await?;
        if stored_kind.is_some_and(|k| k != kind) {
            // The stored ids were of another form (a file before the tools were there):
            // what was sent of it stands, this form is sent whole.
            done = 0;
        }
        let mut ids = Vec::with_capacity(files.len());
        let mut first_upload = None;
        let mut all_new = done == 0;
        for (i, (name, bytes)) in files.iter().enumerate() {
            if i < done {
                continue;
            }
            let up = self.upload_and_send(chat, kind, name, bytes, out).await?;
            all_new &= up.uploaded;
            first_upload = first_upload.or(Some(up.created_at));
            ids.push(up.media_id);
        }
        Ok(match first_upload {
            Some(at) if all_new => Some(StoredMedia::value(kind, &ids, at)),
            _ => None,
        })
    }

    /// What a lesson's audio is sent as, each with its file name: the AMR file beside it
    /// (`NN.amr` next to `NN.ogg`) when WeCom takes it as a voice message; else, for an Opus
    /// audio, its transcoding into voice pieces; else (an MP3 or M4A, or the tools missing
    /// or failing: logged and counted) the audio as one file.
    async fn audio_files(
        &self,
        audio: &AudioRef,
        sending: bool,
    ) -> Result<(MediaType, Vec<(String, Vec<u8>)>), SendError> {
        let stem = audio
            .path
            .file_stem()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "audio".into());
        let beside = audio.path.with_extension("amr");
        if let Ok(bytes) = tokio::fs::read(&beside).await
            && check_upload(MediaType::Voice, &bytes).is_ok()
        {
            return Ok((MediaType::Voice, vec![(format!("{stem}.amr"), bytes)]));
        }
        if audio.kind == AudioKind::Voice
            && let Some(pieces) = self.voice_pieces(audio, sending).await
        {
            let count = pieces.len();
            let files = pieces
                .iter()
                .enumerate()
                .map(|(i, piece)| {
                    let name = if count == 1 {
                        format!("{stem}.amr")
                    } else {
                        format!("{stem}.{}-{count}.amr", i + 1)
                    };
                    (name, piece.clone())
                })
                .collect();
            return Ok((MediaType::Voice, files));
        }
        let bytes = tokio::fs::read(&audio.path).await.map_err(|e| {
            SendError::Rejected(format!(
                "cannot read the audio {}: {e}",
                audio.path.display()
            ))
        })?;
        let name = audio
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "audio".into());
        Ok((MediaType::File, vec![(name, bytes)]))
    }

    /// The voice pieces of an Opus audio, transcoded at its first send and kept; None when
    /// the tools are missing or fail (logged when that is found, at most every
    /// [`TRANSCODE_RETRY`] per audio, and counted at every send that falls back to a file:
    /// `sending`, not when the courier only counts the messages).
    async fn voice_pieces(&self, audio: &AudioRef, sending: bool) -> Option<Arc<Vec<Vec<u8>>>> {
        let fallback = || {
            if sending {
                Metrics::inc(&self.metrics.wecom_voice_fallbacks);
            }
        };
        let now = self.clock.now();
        let mut voices = self.voices.lock().await;
        match voices.get(&audio.sha256) {
            Some(Voice::Ready(pieces)) => return Some(pieces.clone()),
            Some(Voice::Failed { retry_at }) if now < *retry_at => {
                fallback();
                return None;
            }
            _ => {}
        }
        match self.transcoder.voice_pieces(&audio.path).await {
            Ok(pieces)
                if pieces
                    .iter()
                    .all(|p| check_upload(MediaType::Voice, p).is_ok()) =>
            {
                tracing::info!(
                    audio = %audio.path.display(),
                    pieces = pieces.len(),
                    "lesson audio transcoded to AMR-NB for WeCom voice messages"
                );
                let pieces = Arc::new(pieces);
                voices.insert(audio.sha256.clone(), Voice::Ready(pieces.clone()));
                Some(pieces)
            }
            outcome => {
                let why = match outcome {
                    Err(e) => e.to_string(),
                    Ok(_) => "a piece is not a voice message WeCom takes".into(),
                };
                tracing::warn!(
                    audio = %audio.path.display(),
                    error = %why,
                    "cannot make the lesson audio into WeCom voice messages: it goes as a file"
                );
                fallback();
                let retry_at = now
                    + chrono::Duration::from_std(TRANSCODE_RETRY)
                        .unwrap_or_else(|_| chrono::Duration::minutes(10));
                voices.insert(audio.sha256.clone(), Voice::Failed { retry_at });
                None
            }
        }
    }

    /// How many of WeCom's messages a text (with its choices and card) takes.
    fn text_cost(text: &str, labels: &[&str]) -> u64 {
        let texts = split_text(&with_choices(text, labels), MAX_TEXT_BYTES).len();
        let card = usize::from(!labels.is_empty() && labels.len() <= MAX_CARD_BUTTONS);
        (texts + card) as u64
    }

    fn buttons_cost(html: &str, buttons: &Keyboard) -> u64 {
        let keys = button_keys(buttons);
        let labels: Vec<&str> = keys.iter().map(CardKey::label).collect();
        Self::text_cost(&plain_text(html), &labels)
    }

    /// Turns the member's pressed card into its done state (the label, disabled), if one
    /// waits; with `label` instead of the pressed button's when given. A failure is logged:
    /// the card stays pressable, and what was sent stands.
    async fn finish_pending(&self, chat: &str, only_code: Option<&str>, label: Option<&str>) {
        let pending = {
            let mut state = self.state();
            match (state.pending.get(chat), only_code) {
                (Some(p), Some(code)) if p.response_code != code => None,
                (Some(_), _) => state.pending.remove(chat),
                (None, _) => None,
            }
        };
        let Some(pending) = pending else { return };
        let name = label.unwrap_or(&pending.label);
        if let Err(e) = self
            .client
            .finish_card(chat, &pending.response_code, name)
            .await
        {
            tracing::warn!(%chat, failure = ?e, "a pressed WeCom card could not be updated");
        }
    }

    /// Sends one message that is neither an edit nor a button answer.
    async fn render(
        &self,
        chat: &str,
        message: &Outbound,
        sent: &mut Sent,
        out: &mut Out,
    ) -> Result<(), SendError> {
        match message {
            Outbound::Text { html, buttons } => {
                self.text_with_buttons(chat, html, buttons, out).await?;
            }
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                sent.file_id = self.audio(chat, audio, out).await?;
                self.text_with_buttons(chat, caption_html, buttons, out)
                    .await?;
            }
            Outbound::Quiz {
                question, options, ..
            } => {
                let poll_id = self.task_id();
                let keys = answer_keys(&poll_id, options);
                self.with_card(chat, question, keys, Some(poll_id.clone()), out)
                    .await?;
                sent.poll_id = Some(poll_id);
            }
            Outbound::Photo {
                png,
                file_name,
                caption_html,
            } => {
                self.upload_and_send(chat, MediaType::Image, file_name, png, out)
                    .await?;
                self.text(chat, &plain_text(caption_html), out).await?;
            }
            Outbound::Document {
                bytes,
                file_name,
                caption_html,
            } => {
                self.upload_and_send(chat, MediaType::File, file_name, bytes, out)
                    .await?;
                self.text(chat, &plain_text(caption_html), out).await?;
            }
            Outbound::Media {
                kind,
                file_id,
                caption_html,
            } => {
                let kind = match kind {
                    MediaKind::Photo => MediaType::Image,
                    MediaKind::Voice => MediaType::Voice,
                    MediaKind::Audio | MediaKind::Document => MediaType::File,
                };
                out.note(
                    &self
                        .post(chat, &media_message(kind, file_id.clone()))
                        .await?,
                );
                self.text(chat, &plain_text(caption_html), out).await?;
            }
            Outbound::Venue {
                lat,
                lon,
                title,
                address,
            } => {
                let card = Message::TextCard {
                    title: truncate_chars(title, TEXTCARD_TITLE_CHARS),
                    description: truncate_chars(address, TEXTCARD_DESCRIPTION_CHARS),
                    url: map_url(*lat, *lon, title),
                    btntxt: None,
                };
                out.note(&self.post(chat, &card).await?);
            }
            Outbound::AskLocation { html, button_label } => {
                let mut text = plain_text(html);
                if let Some(howto) = self.texts.howto(html, button_label) {
                    text = format!("{text}\n\n{}", plain_text(howto));
                }
                self.text(chat, &text, out).await?;
            }
            Outbound::EditText { html, buttons, .. } => {
                self.text_with_buttons(chat, html, buttons, out).await?;
            }
            Outbound::EditButtons { .. } | Outbound::AnswerButton { .. } => {}
        }
        Ok(())
    }
}

fn media_message(kind: MediaType, media_id: String) -> Message {
    match kind {
        MediaType::Image => Message::Image { media_id },
        MediaType::Voice => Message::Voice { media_id },
        MediaType::File => Message::File { media_id },
    }
}

/// Media ids as the store keeps them under the channel's file cache key (`file_ids`):
/// `voice:ID UNTIL` or `file:ID UNTIL` ([`MediaCache::stored_value`]), since the same
/// audio goes as voice messages or as a file and an id lives 3 days; an audio cut into
/// several voice pieces keeps their ids in order, joined by commas (`voice:ID1,ID2 UNTIL`,
/// until the first upload's end).
struct StoredMedia;

impl StoredMedia {
    fn value(
        kind: MediaType,
        media_ids: &[String],
        created_at: chrono::DateTime<chrono::Utc>,
    ) -> String {
        format!(
            "{}:{}",
            kind.as_str(),
            MediaCache::stored_value(&media_ids.join(","), created_at)
        )
    }

    fn parse(value: &str, now: chrono::DateTime<chrono::Utc>) -> Option<(MediaType, Vec<String>)> {
        let (kind, rest) = value.split_once(':')?;
        let kind = [MediaType::Voice, MediaType::File, MediaType::Image]
            .into_iter()
            .find(|k| k.as_str() == kind)?;
        let ids = MediaCache::parse_stored(rest, now)?;
        let ids: Vec<String> = ids.split(',').map(str::to_string).collect();
        ids.iter().all(|id| !id.is_empty()).then_some((kind, ids))
    }
}

#[async_trait::async_trait]
impl Channel for WecomChannel {
    fn profile(&self) -> &'static Profile {
        &PROFILE
    }

    fn limits(&self) -> Limits {
        LIMITS
    }

    fn file_cache_key(&self) -> &str {
        &self.cache_key
    }

    fn daily_budget(&self) -> Option<DailyBudget> {
        Some(self.budget)
    }

    /// Counts what [`Channel::send`] posts with `message/send` (card updates are not
    /// messages): the texts as split, a card for 1 to 6 choices, a file or image, each
    /// voice piece of an audio (transcoding it, if it was not yet).
    async fn message_cost(&self, part: &Outbound) -> u64 {
        match part {
            Outbound::Text { html, buttons } => Self::buttons_cost(html, buttons),
            Outbound::Audio {
                audio,
                caption_html,
                buttons,
            } => {
                let stored = audio
                    .file_id
                    .as_deref()
                    .and_then(|v| StoredMedia::parse(v, self.clock.now()))
                    .map(|(_, ids)| ids.len());
                let pieces = match stored {
                    Some(n) => n,
                    None => self
                        .audio_files(audio, false)
                        .await
                        .map_or(1, |(_, f)| f.len()),
                };
                pieces as u64 + Self::buttons_cost(caption_html, buttons)
            }
            Outbound::Quiz {
                question, options, ..
            } => {
                let labels: Vec<&str> = options.iter().map(String::as_str).collect();
                Self::text_cost(question, &labels)
            }
            Outbound::Photo { caption_html, .. }
            | Outbound::Document { caption_html, .. }
            | Outbound::Media { caption_html, .. } => {
                1 + Self::text_cost(&plain_text(caption_html), &[])
            }
            Outbound::Venue { .. } => 1,
            Outbound::AskLocation { html, button_label } => {
                let mut text = plain_text(html);
                if let Some(howto) = self.texts.howto(html, button_label) {
                    text = format!("{text}\n\n{}", plain_text(howto));
                }
                Self::text_cost(&text, &[])
            }
            Outbound::EditText {
                message_id,
                html,
                buttons,
            } if message_id.starts_with(CLICK_PREFIX) => Self::buttons_cost(html, buttons),
            Outbound::EditText { .. } | Outbound::EditButtons { .. } => 0,
            Outbound::AnswerButton { text, .. } => {
                text.as_deref().map_or(0, |t| Self::text_cost(t, &[]))
            }
        }
    }

    /// A text longer than WeCom's 2,048 bytes is several parts (cut at paragraph or
    /// sentence boundaries, as plain text), the buttons with the last.
    fn parts(&self, message: &Outbound) -> Vec<Outbound> {
        let Outbound::Text { html, buttons } = message else {
            return vec![message.clone()];
        };
        let plain = plain_text(html);
        if plain.len() <= MAX_TEXT_BYTES {
            return vec![message.clone()];
        }
        let parts = split_text(&plain, MAX_TEXT_BYTES);
        let count = parts.len();
        parts
            .into_iter()
            .enumerate()
            .map(|(i, part)| Outbound::Text {
                html: escape_html(&part),
                buttons: if i + 1 == count {
                    buttons.clone()
                } else {
                    Vec::new()
                },
            })
            .collect()
    }

    async fn send(&self, chat_id: &str, message: &Outbound) -> Result<Sent, SendError> {
        let mut sent = Sent::default();
        let mut out = Out::default();
        match message {
            // A silent answer: the click was taken; its card is finished by what follows.
            Outbound::AnswerButton { text: None, .. } => return Ok(sent),
            // A notice: the press did nothing (out of date, already done, too many): the
            // card stays as it was.
            Outbound::AnswerButton {
                callback_id,
                text: Some(text),
            } => {
                {
                    let mut state = self.state();
                    if state
                        .pending
                        .get(chat_id)
                        .is_some_and(|p| &p.response_code == callback_id)
                    {
                        state.pending.remove(chat_id);
                    }
                }
                self.text(chat_id, text, &mut out).await?;
            }
            Outbound::EditButtons {
                message_id,
                buttons,
            } => {
                if let Some(code) = message_id.strip_prefix(CLICK_PREFIX) {
                    let label = buttons.iter().flatten().next().map(|b| b.label.as_str());
                    self.finish_pending(chat_id, Some(code), label).await;
                } else {
                    tracing::debug!(%chat_id, "WeCom cannot change a sent message: an edit of its buttons is not shown");
                }
                return Ok(sent);
            }
            Outbound::EditText { message_id, .. } if !message_id.starts_with(CLICK_PREFIX) => {
                tracing::debug!(%chat_id, "WeCom cannot change a sent message: an edit of its text is not shown");
                return Ok(sent);
            }
            other => {
                self.finish_pending(chat_id, None, None).await;
                self.render(chat_id, other, &mut sent, &mut out).await?;
            }
        }
        sent.message_id = out.message_id;
        Ok(sent)
    }
}

#[async_trait::async_trait]
impl UpdateSource for WecomChannel {
    /// WeCom posts callbacks; there is nothing to poll and no command menu to register.
    /// Checks that WeCom takes the app's corp id and secret.
    async fn prepare(&self, mode: Mode, _menu: &[LanguageMenu]) -> Result<(), ChannelError> {
        if mode == Mode::Polling {
            return Err(WecomError::NoPolling.into());
        }
        self.client
            .check_credentials()
            .await
            .map_err(|f| WecomError::Credentials(f.classify().to_string()))?;
        if let Err(e) = self.transcoder.check().await {
            tracing::warn!(error = %e, "lesson audio will go to WeCom members as files, not voice messages");
        }
        Ok(())
    }

    fn webhook_route(&self) -> Result<Arc<dyn WebhookRoute>, ChannelError> {
        Ok(Arc::new(WecomRoute {
            crypto: self.crypto.clone(),
        }))
    }

    fn parse_update(&self, payload: &str) -> Result<Option<Inbound>, String> {
        let callback = callback::parse(payload).map_err(|e| e.to_string())?;
        if callback.agent_id.is_some_and(|a| a != self.agent_id) {
            return Ok(None);
        }
        let user = callback.from_user.clone();
        let mut inbound = match callback.route() {
            Routed::Inbound(inbound) => inbound,
            Routed::Member(MemberEvent::Unsubscribed { userid }) => Inbound {
                channel: CHANNEL_NAME.into(),
                chat_id: userid,
                language: None,
                event: InboundEvent::Unsubscribed,
            },
            Routed::Member(_) | Routed::Ignored(_) => return Ok(None),
        };
        let mut state = self.state();
        inbound.event = match inbound.event {
            InboundEvent::Button {
                callback_id, data, ..
            } => {
                let message_id = Some(format!("{CLICK_PREFIX}{callback_id}"));
                match CardKey::decode(&data) {
                    Some(key) => {
                        state.pending.insert(
                            user,
                            Pending {
                                response_code: callback_id.clone(),
                                label: key.label().to_string(),
                            },
                        );
                        match key {
                            CardKey::Button { data, .. } => InboundEvent::Button {
                                callback_id,
                                data,
                                message_id,
                            },
                            CardKey::Answer {
                                poll_id, option, ..
                            } => InboundEvent::PollAnswer {
                                poll_id,
                                option: Some(option),
                            },
                        }
                    }
                    // A key of a card that is not ours: answered as out of date.
                    None => InboundEvent::Button {
                        callback_id,
                        data,
                        message_id,
                    },
                }
            }
            InboundEvent::Text(text) => {
                match state
                    .choices
                    .get(&user)
                    .and_then(|c| typed_choice(&text, c))
                {
                    Some(Choice::Button { data }) => InboundEvent::Button {
                        callback_id: format!("typed:{}", callback.create_time),
                        data: data.clone(),
                        message_id: None,
                    },
                    Some(Choice::Answer { poll_id, option }) => InboundEvent::PollAnswer {
                        poll_id: poll_id.clone(),
                        option: Some(*option),
                    },
                    None => InboundEvent::Text(text),
                }
            }
            other => other,
        };
        Ok(Some(inbound))
    }

    /// A location kept in a dead update is removed: what is left reads as an event the bot
    /// ignores.
    fn scrub_update(&self, payload: &str) -> Option<String> {
        let callback = callback::parse(payload).ok()?;
        if !matches!(
            callback.event,
            CallbackEvent::Location { .. } | CallbackEvent::LocationReport { .. }
        ) {
            return None;
        }
        let time = callback.create_time.to_string();
        let agent = callback.agent_id.map(|a| a.to_string()).unwrap_or_default();
        Some(callback::xml(&[
            ("ToUserName", callback.corp_id.as_str()),
            ("FromUserName", callback.from_user.as_str()),
            ("CreateTime", time.as_str()),
            ("MsgType", "event"),
            ("Event", "location_removed"),
            ("AgentID", agent.as_str()),
        ]))
    }
}

/// The callback URL on the service's HTTP server.
pub struct WecomRoute {
    crypto: WecomCrypto,
}

impl WebhookRoute for WecomRoute {
    fn channel(&self) -> &str {
        CHANNEL_NAME
    }

    fn path(&self) -> &str {
        CALLBACK_PATH
    }

    /// The signature covers the encrypted body, so before the body only its parameters
    /// can be checked: `msg_signature`, `timestamp` and `nonce`.
    fn admits(&self, request: &WebhookRequest<'_>) -> bool {
        request
            .query
            .is_some_and(|q| CallbackQuery::parse(q).is_ok())
    }

    /// The signature checked (in constant time), the body decrypted (for our corp), parsed,
    /// and kept as its XML; None (400, nothing stored) for anything else.
    fn read(&self, request: &WebhookRequest<'_>, body: &str) -> Option<RawUpdate> {
        let query = CallbackQuery::parse(request.query?).ok()?;
        match callback::open_post_xml(&self.crypto, &query, body) {
            Ok((callback, xml)) => Some(RawUpdate {
                update_id: update_id(&callback),
                chat_key: callback.from_user.clone(),
                payload: xml,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "a WeCom callback was refused");
                None
            }
        }
    }

    /// The URL check when the callback is configured: the decrypted `echostr`.
    fn answer_get(&self, request: &WebhookRequest<'_>) -> GetAnswer {
        match request
            .query
            .ok_or(callback::CallbackError::MissingParam("msg_signature"))
            .and_then(CallbackQuery::parse)
            .and_then(|q| callback::verify_url(&self.crypto, &q))
        {
            Ok(echo) => GetAnswer::Text(echo),
            Err(e) => {
                tracing::warn!(error = %e, "a WeCom URL check was refused");
                GetAnswer::Refused
            }
        }
    }
}

#[cfg(test)]
mod tests;
