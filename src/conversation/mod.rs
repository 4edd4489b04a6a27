//! What the bot answers: onboarding, settings, commands and check-ins. It reads and
//! writes the store and returns [`Outbound`] messages; it never talks to a chat app.

pub mod action;
pub mod admin;
pub mod branches;
pub mod broadcast;
pub mod command;
pub mod lesson;
pub mod migrant;
pub mod nudge;
pub mod poster;
pub mod quiz;
pub mod rank;
pub mod stats;
pub mod venues;

use std::sync::Arc;

use chrono::{DateTime, Duration, NaiveTime, Utc};
use chrono_tz::Tz;

use crate::channel::{Button, Inbound, InboundEvent, Keyboard, Outbound};
use crate::clock::Clock;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::content::{Course, Library};
use crate::domain::flood::Verdict;
use crate::domain::member::{MAX_NAME_CHARS, NameProblem, validate_display_name};
use crate::domain::outbox::OutboxKind;
use crate::domain::points::PointsConfig;
use crate::domain::schedule::{local_day, next_lesson_at, parse_lesson_time, parse_time_zone};
use crate::domain::streak::current_streak;
use crate::domain::text::ShownTextProblem;
use crate::domain::{BranchTree, Dialog, Locale, Member, MemberStatus};
use crate::i18n::I18n;
use crate::store::{Award, OutboxItem, Store, StoreError};
use crate::t;
use action::{Action, RankPeriod, Setting};
use command::{Command, Invocation};

#[derive(Debug, thiserror::Error)]
pub enum ConversationError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("outbox row {id}: {problem}")]
    BadDelivery { id: i64, problem: String },
    #[error("cannot make the poster: {0}")]
    Poster(String),
    #[error("nearby search: {0}")]
    Geo(#[from] crate::domain::geo::GeoError),
}

type Result<T> = std::result::Result<T, ConversationError>;

/// Settings the conversation needs.
#[derive(Debug, Clone)]
pub struct ConversationSettings {
    /// The course new members are enrolled in.
    pub course: String,
    pub default_lesson_time: NaiveTime,
    pub default_timezone: Tz,
    /// Zones offered as buttons (members may also type any IANA name).
    pub timezone_choices: Vec<Tz>,
    /// The owners' chats (on any channel); whoever writes on an operator's channel (the
    /// console, see [`crate::channel::Profile::operator`]) is an owner too.
    pub owners: Vec<crate::channel::ChatAddress>,
    pub nudges: crate::config::NudgeSettings,
    pub migrants: crate::config::MigrantSettings,
}

pub struct Conversation {
    pub store: Store,
    pub library: Arc<Library>,
    /// The organization tree: the file's branches with admins' edits (see [`Self::tree`]).
    pub branches: std::sync::RwLock<Arc<BranchTree>>,
    /// The stored tree's version this process has loaded.
    pub branches_version: std::sync::Mutex<Option<String>>,
    pub i18n: Arc<I18n>,
    pub clock: Arc<dyn Clock>,
    pub settings: ConversationSettings,
    pub points: Arc<PointsConfig>,
    pub posters: Arc<crate::poster::PosterRenderer>,
    /// Messages per member and minute (see `commands_per_minute`).
    pub flood: std::sync::Mutex<crate::domain::flood::FloodGuard>,
}

/// The replies to one inbound event.
type Replies = Vec<Outbound>;

fn keyboard_column(buttons: Vec<Button>) -> Keyboard {
    buttons.into_iter().map(|b| vec![b]).collect()
}

impl Conversation {
    fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    fn course(&self) -> Option<&Course> {
        self.library.course(&self.settings.course)
    }

    /// Handles one event from a member and returns the replies.
    pub async fn handle(&self, inbound: &Inbound) -> Result<Replies> {
        let now = self.now();
        // Poll answers and live-location updates are not typed messages: they do not count.
        if !matches!(
            inbound.event,
            InboundEvent::PollAnswer { .. } | InboundEvent::Location { live: true, .. }
        ) {
            let key = format!("{}:{}", inbound.channel, inbound.chat_id);
            let verdict = match self.flood.lock() {
                Ok(mut guard) => guard.check(&key, now),
                Err(poisoned) => poisoned.into_inner().check(&key, now),
            };
            match verdict {
                Verdict::Allow => {}
                Verdict::Drop => return Ok(Vec::new()),
                Verdict::Warn => return self.flood_reply(inbound).await,
            }
        }
        let existing = self
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await?;
        let mut member = match existing {
            Some(m) => m,
            None => {
                let locale = inbound
                    .language
                    .as_deref()
                    .and_then(Locale::negotiate)
                    .unwrap_or(Locale::DEFAULT);
                self.store
                    .create_member(
                        &inbound.channel,
                        &inbound.chat_id,
                        locale,
                        self.settings.default_timezone.name(),
                        self.settings.default_lesson_time,
                        &Dialog::Idle.encode(),
                        now,
                    )
                    .await?
            }
        };
        if member.status == MemberStatus::Blocked {
            // They write to us again: they can receive again.
            member.status = MemberStatus::Active;
            self.store.save_member(&member, now).await?;
            self.reschedule(&member).await?;
        }
        match &inbound.event {
            InboundEvent::Text(text) => {
                let text = text.trim();
                match Command::parse(text) {
                    Some(Ok(invocation)) => return self.command(&mut member, invocation).await,
                    Some(Err(unknown)) => {
                        return Ok(vec![Outbound::text(t!(
                            self.i18n,
                            member.locale,
                            "unknown-command",
                            command = escape_excerpt(&format!("/{}", unknown.0))
                        ))]);
                    }
                    None => {}
                }
                self.text(&mut member, text).await
            }
            InboundEvent::Button {
                callback_id,
                data,
                message_id,
            } => {
                self.button(&mut member, callback_id, data, message_id.as_deref())
                    .await
            }
            InboundEvent::PollAnswer { poll_id, option } => {
                self.poll_answer(&member, poll_id, *option).await
            }
            InboundEvent::Location { lat, lon, live } => {
                self.location(&mut member, *lat, *lon, *live).await
            }
            InboundEvent::Media {
                kind,
                file_id,
                caption,
            } => match member.dialog {
                Dialog::Broadcast { draft: None } => {
                    self.broadcast_content(&mut member, caption, Some((*kind, file_id)))
                        .await
                }
                _ => Ok(vec![Outbound::text(t!(
                    self.i18n,
                    member.locale,
                    "not-understood"
                ))]),
            },
            // The service marks the member blocked (`App::answer`); nothing to say.
            InboundEvent::Unsubscribed => Ok(Vec::new()),
        }
    }

    async fn save(&self, member: &Member) -> Result<()> {
        self.store.save_member(member, self.now()).await?;
        Ok(())
    }

    /// The one "please wait" answer to a member over the message limit.
    async fn flood_reply(&self, inbound: &Inbound) -> Result<Replies> {
        let locale = self
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await?
            .map(|m| m.locale)
            .or_else(|| inbound.language.as_deref().and_then(Locale::negotiate))
            .unwrap_or(Locale::DEFAULT);
        tracing::info!(chat = %inbound.chat_id, "message limit reached");
        let text = t!(self.i18n, locale, "rate-limited");
        Ok(match &inbound.event {
            InboundEvent::Button { callback_id, .. } => vec![Outbound::AnswerButton {
                callback_id: callback_id.clone(),
                text: Some(text),
            }],
            _ => vec![Outbound::text(text)],
        })
    }

    /// The organization tree as of now.
    pub fn tree(&self) -> Arc<BranchTree> {
        match self.branches.read() {
            Ok(tree) => tree.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    // ----- commands ------------------------------------------------------------------

    async fn command(&self, member: &mut Member, invocation: Invocation<'_>) -> Result<Replies> {
        let Invocation { command, args } = invocation;
        let l = member.locale;
        if !matches!(command, Command::Start | Command::Help) && !member.onboarded {
            let mut replies = vec![Outbound::text(t!(self.i18n, l, "finish-onboarding-first"))];
            replies.extend(self.ask(member));
            return Ok(replies);
        }
        if matches!(member.dialog, Dialog::Broadcast { .. }) {
            // A command ends the announcement being written.
            member.dialog = Dialog::Idle;
            self.save(member).await?;
            if command == Command::Cancel {
                return Ok(vec![Outbound::text(t!(self.i18n, l, "broadcast-dropped"))]);
            }
        }
        if let Some(replies) = self.admin_command(member, command, args).await? {
            return Ok(replies);
        }
        match command {
            Command::Start => {
                if member.onboarded {
                    let mut replies = vec![Outbound::text(t!(
                        self.i18n,
                        l,
                        "start-again",
                        name = escape_html(member.display_name.as_deref().unwrap_or_default())
                    ))];
                    replies.extend(self.me(member).await?);
                    return Ok(replies);
                }
                member.dialog = Dialog::Language { onboarding: true };
                self.save(member).await?;
                let mut replies = vec![Outbound::text(t!(self.i18n, l, "welcome"))];
                replies.extend(self.ask(member));
                Ok(replies)
            }
            Command::Help => Ok(vec![Outbound::text(self.command_help(
                l,
                "help-header",
                &Command::MEMBER[1..],
                None,
            ))]),
            Command::Today => self.today(member).await,
            Command::Me => self.me(member).await,
            Command::Rank => match rank::Period::parse(args) {
                Some(period) => self.rank(member, period).await,
                None => Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "rank-usage",
                    input = escape_excerpt(args)
                ))]),
            },
            Command::Poster => self.resend_poster(member).await,
            Command::Away => self.away(member).await,
            Command::Home => self.home(member).await,
            Command::Nearby => self.nearby(member, args).await,
            Command::ForgetLocation => self.forget_location(member).await,
            Command::Settings => {
                member.dialog = Dialog::Idle;
                self.save(member).await?;
                Ok(vec![self.settings_menu(member)])
            }
            Command::Pause => {
                if member.status == MemberStatus::Paused {
                    return Ok(vec![Outbound::text(t!(self.i18n, l, "pause-already"))]);
                }
                member.status = MemberStatus::Paused;
                self.save(member).await?;
                self.store
                    .cancel_pending(member.id, "paused by the member")
                    .await?;
                Ok(vec![Outbound::text(t!(self.i18n, l, "pause-done"))])
            }
            Command::Resume => {
                if member.status == MemberStatus::Active {
                    return Ok(vec![Outbound::text(t!(self.i18n, l, "resume-already"))]);
                }
                member.status = MemberStatus::Active;
                self.save(member).await?;
                let next = self.reschedule(member).await?;
                Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "resume-done",
                    when = self.when_label(member, next)
                ))])
            }
            // Outside an announcement being written there is nothing to cancel; admin
            // commands were answered above.
            Command::Cancel => Ok(vec![Outbound::text(t!(self.i18n, l, "not-understood"))]),
            _ => Ok(vec![Outbound::text(t!(
                self.i18n,
                l,
                "unknown-command",
                command = escape_excerpt(&format!("/{}", command.name()))
            ))]),
        }
    }

    /// `/help` or `/admin`: a header and one line per command, in `locale`.
    fn command_help(
        &self,
        locale: Locale,
        header: &str,
        commands: &[Command],
        footer: Option<&str>,
    ) -> String {
        let mut lines = vec![t!(self.i18n, locale, header)];
        lines.extend(
            commands
                .iter()
                .map(|c| t!(self.i18n, locale, &c.help_key())),
        );
        lines.extend(footer.map(|f| t!(self.i18n, locale, f)));
        lines.join("\n")
    }

    /// The members' command menu in each language, for channels that show one.
    pub fn command_menu(&self) -> Vec<(Locale, Vec<(String, String)>)> {
        Locale::ALL
            .into_iter()
            .map(|l| {
                let list = Command::MEMBER
                    .iter()
                    .map(|c| (c.name().to_string(), t!(self.i18n, l, &c.menu_key())))
                    .collect();
                (l, list)
            })
            .collect()
    }

    async fn today(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let Some(a) = self.store.latest_assignment(member.id).await? else {
            let next = self.next_due(member).await?;
            return Ok(vec![Outbound::text(t!(
                self.i18n,
                l,
                "today-none",
                when = self.when_label(member, next)
            ))]);
        };
        let Some((course, lesson)) = self
            .library
            .course(&a.course)
            .and_then(|c| c.lesson_by_id(&a.lesson_id).map(|le| (c, le)))
        else {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "lesson-gone"))]);
        };
        let checked = self
            .store
            .has_checkin(member.id, &a.course, &a.lesson_id)
            .await?;
        Ok(lesson::lesson_messages(
            &self.i18n, l, course, lesson, checked,
        ))
    }

    async fn me(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let now = self.now();
        let days = self.store.lesson_days(member.id).await?;
        let streak = current_streak(&days, local_day(now, member.timezone));
        let mut lines = vec![t!(
            self.i18n,
            l,
            "me-header",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            branch = escape_html(&self.branch_label(member))
        )];
        for e in self.store.enrollments_of(member.id).await? {
            let Some(course) = self.library.course(&e.course) else {
                continue;
            };
            let progress = self.store.progress(member.id, &e.course).await?;
            lines.push(t!(
                self.i18n,
                l,
                "me-course",
                course = escape_html(course.title(l)),
                done = progress.checked_in,
                received = progress.assigned,
                total = course.lessons.len()
            ));
        }
        if let Some(since) = self.store.away_since(member.id).await? {
            lines.push(t!(
                self.i18n,
                l,
                "me-away",
                since = since
                    .with_timezone(&member.timezone)
                    .format("%Y-%m-%d")
                    .to_string()
            ));
        }
        lines.push(t!(self.i18n, l, "me-id", id = escape_html(&member.chat_id)));
        lines.push(t!(self.i18n, l, "me-streak", streak = streak));
        lines.extend(self.points_lines(member).await?);
        lines.push(t!(
            self.i18n,
            l,
            "me-schedule",
            time = member.lesson_time.format("%H:%M").to_string(),
            tz = member.timezone.name()
        ));
        if member.status == MemberStatus::Paused {
            lines.push(t!(self.i18n, l, "me-paused"));
        } else {
            let next = self.next_due(member).await?;
            lines.push(t!(
                self.i18n,
                l,
                "me-next",
                when = self.when_label(member, next)
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    fn branch_label(&self, member: &Member) -> String {
        member
            .branch_id
            .as_deref()
            .map(|b| self.tree().path(b, member.locale))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "-".into())
    }

    fn when_label(&self, member: &Member, at: Option<DateTime<Utc>>) -> String {
        match at {
            Some(at) => t!(
                self.i18n,
                member.locale,
                "when",
                time = lesson::local_time_label(at, member.timezone),
                tz = member.timezone.name()
            ),
            None => t!(self.i18n, member.locale, "when-never"),
        }
    }

    async fn next_due(&self, member: &Member) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .store
            .enrollments_of(member.id)
            .await?
            .into_iter()
            .filter(|e| e.completed_at.is_none())
            .filter_map(|e| e.next_due_at)
            .min())
    }

    /// Recomputes the next lesson time of the member's open enrollments after a change of
    /// time, zone or status. A member who already had today's lesson gets the next one on
    /// their next lesson day, not a second one today.
    async fn reschedule(&self, member: &Member) -> Result<Option<DateTime<Utc>>> {
        let now = self.now();
        let latest = self.store.latest_assignment(member.id).await?;
        let mut earliest = None;
        for e in self.store.enrollments_of(member.id).await? {
            if e.completed_at.is_some() {
                continue;
            }
            let Some(course) = self.library.course(&e.course) else {
                continue;
            };
            let mut after = now;
            if let Some(a) = latest.as_ref().filter(|a| a.course == e.course)
                && let Some(next_day) = a.day.succ_opt()
            {
                let start_of_next_day = crate::domain::schedule::local_to_utc(
                    member.timezone,
                    next_day.and_time(NaiveTime::MIN),
                );
                after = after.max(start_of_next_day - Duration::seconds(1));
            }
            let next = next_lesson_at(&course.schedule, member.lesson_time, member.timezone, after);
            self.store.set_next_due(member.id, &e.course, next).await?;
            earliest = match (earliest, next) {
                (Some(a), Some(b)) => Some(std::cmp::min(a, b)),
                (a, b) => a.or(b),
            };
        }
        Ok(earliest)
    }

    // ----- free text -------------------------------------------------------------------

    async fn text(&self, member: &mut Member, text: &str) -> Result<Replies> {
        let l = member.locale;
        match member.dialog.clone() {
            Dialog::Idle => Ok(vec![Outbound::text(t!(self.i18n, l, "not-understood"))]),
            Dialog::Broadcast { draft: None } => self.broadcast_content(member, text, None).await,
            Dialog::Broadcast { draft: Some(id) } => self.broadcast_time(member, id, text).await,
            Dialog::Language { onboarding } => {
                let choice = pick_by_number_or_label(text, &language_buttons(&self.i18n))
                    .and_then(|action| match action {
                        Action::Language(locale) => Some(locale),
                        _ => None,
                    })
                    .or_else(|| Locale::negotiate(text));
                match choice {
                    Some(locale) => self.set_language(member, locale, onboarding).await,
                    None => {
                        let mut r = vec![Outbound::text(t!(self.i18n, l, "language-invalid"))];
                        r.extend(self.ask(member));
                        Ok(r)
                    }
                }
            }
            Dialog::Name { onboarding } => match validate_display_name(text) {
                Ok(name) => {
                    member.display_name = Some(name);
                    member.dialog = if onboarding {
                        Dialog::Branch {
                            onboarding,
                            parent: None,
                        }
                    } else {
                        Dialog::Idle
                    };
                    self.save(member).await?;
                    self.after_step(member, onboarding).await
                }
                Err(problem) => {
                    let key = match problem {
                        NameProblem::Empty => "name-empty",
                        NameProblem::TooLong => "name-too-long",
                        NameProblem::ControlCharacters => "name-invalid",
                        NameProblem::LooksLikeCommand => "name-invalid",
                        NameProblem::LooksLikeFormula => "name-formula",
                        NameProblem::NotShown(ShownTextProblem::NothingVisible) => "name-invisible",
                        NameProblem::NotShown(_) => "name-hidden-characters",
                    };
                    Ok(vec![Outbound::text(t!(
                        self.i18n,
                        l,
                        key,
                        max = MAX_NAME_CHARS
                    ))])
                }
            },
            Dialog::Branch { onboarding, parent } => {
                let buttons = self.branch_buttons(member.locale, parent.as_deref());
                match pick_by_number_or_label(text, &buttons) {
                    Some(action) => self.branch_choice(member, onboarding, &action).await,
                    None => {
                        let mut r = vec![Outbound::text(t!(
                            self.i18n,
                            l,
                            "branch-not-found",
                            input = escape_excerpt(text)
                        ))];
                        r.extend(self.ask(member));
                        Ok(r)
                    }
                }
            }
            Dialog::LessonTime { onboarding } => match parse_lesson_time(text) {
                Some(time) => self.set_time(member, time, onboarding).await,
                None => Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "time-invalid",
                    input = escape_excerpt(text)
                ))]),
            },
            Dialog::TimeZone { onboarding } => match parse_time_zone(text) {
                Some(tz) => self.set_timezone(member, tz, onboarding).await,
                None => Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "timezone-invalid",
                    input = escape_excerpt(text)
                ))]),
            },
        }
    }

    // ----- buttons ------------------------------------------------------------------------

    async fn button(
        &self,
        member: &mut Member,
        callback_id: &str,
        data: &str,
        message_id: Option<&str>,
    ) -> Result<Replies> {
        let l = member.locale;
        let ack = |text: Option<String>| Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text,
        };
        let expired = || vec![ack(Some(t!(self.i18n, l, "button-expired")))];
        let action = match Action::decode(data) {
            Ok(action) => action,
            Err(e) => {
                tracing::info!(member = member.id, error = %e, "a button that is not ours or out of date");
                return Ok(expired());
            }
        };
        let mut replies = match (action, member.dialog.clone()) {
            (Action::CheckIn { course, lesson }, _) => {
                return self
                    .checkin(member, callback_id, &course, &lesson, message_id)
                    .await;
            }
            (
                action @ (Action::BroadcastMenu { .. }
                | Action::BroadcastAudience { .. }
                | Action::BroadcastSend { .. }
                | Action::BroadcastCancel(_)),
                _,
            ) if member.onboarded => {
                match self.broadcast_button(member, &action, message_id).await? {
                    Some(r) => r,
                    None => return Ok(expired()),
                }
            }
            (Action::LocationConsent(yes), _) if member.onboarded => {
                self.consent_button(member, yes).await?
            }
            (action @ (Action::Rsvp(_) | Action::CancelRsvp(_) | Action::Map(_)), _)
                if member.onboarded =>
            {
                match self.activity_button(member, &action).await? {
                    Some(r) => r,
                    None => return Ok(expired()),
                }
            }
            (Action::Rank(period), _) if member.onboarded => {
                let period = match period {
                    RankPeriod::Week => rank::Period::Week,
                    RankPeriod::Season => rank::Period::Season,
                };
                self.rank(member, period).await?
            }
            (Action::Setting(setting), _) if member.onboarded => {
                let onboarding = false;
                member.dialog = match setting {
                    Setting::Language => Dialog::Language { onboarding },
                    Setting::Name => Dialog::Name { onboarding },
                    Setting::Branch => Dialog::Branch {
                        onboarding,
                        parent: None,
                    },
                    Setting::LessonTime => Dialog::LessonTime { onboarding },
                    Setting::TimeZone => Dialog::TimeZone { onboarding },
                };
                self.save(member).await?;
                let mut r = vec![ack(None)];
                r.extend(self.ask(member));
                return Ok(r);
            }
            (Action::Language(locale), Dialog::Language { onboarding }) => {
                self.set_language(member, locale, onboarding).await?
            }
            (
                action @ (Action::Branch(_) | Action::BranchHere(_) | Action::BranchUp),
                Dialog::Branch { onboarding, .. },
            ) => self.branch_choice(member, onboarding, &action).await?,
            (Action::KeepLessonTime, Dialog::LessonTime { onboarding }) => {
                self.set_time(member, member.lesson_time, onboarding)
                    .await?
            }
            (Action::TimeZone(tz), Dialog::TimeZone { onboarding }) => {
                self.set_timezone(member, tz, onboarding).await?
            }
            _ => return Ok(expired()),
        };
        replies.insert(0, ack(None));
        Ok(replies)
    }

    async fn checkin(
        &self,
        member: &Member,
        callback_id: &str,
        course_id: &str,
        lesson_id: &str,
        message_id: Option<&str>,
    ) -> Result<Replies> {
        let l = member.locale;
        let answer = |key: &str| Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text: Some(t!(self.i18n, l, key)),
        };
        let known = self
            .library
            .course(course_id)
            .and_then(|c| c.lesson_by_id(lesson_id))
            .is_some();
        if !known
            || !self
                .store
                .has_assignment(member.id, course_id, lesson_id)
                .await?
        {
            return Ok(vec![answer("button-expired")]);
        }
        let now = self.now();
        let new = self
            .store
            .record_checkin(member.id, course_id, lesson_id, now)
            .await?;
        if !new {
            return Ok(vec![answer("checkin-already")]);
        }
        let days = self.store.lesson_days(member.id).await?;
        let today = local_day(now, member.timezone);
        let streak = current_streak(&days, today);
        let rules = &self.points.rules;
        let mut awards = vec![Award {
            amount: rules.checkin,
            reason: "checkin",
            reference: format!("{course_id}:{lesson_id}"),
        }];
        let bonus = rules.streak_bonus_for(streak);
        if let Some(amount) = bonus {
            awards.push(Award {
                amount,
                reason: "streak",
                reference: format!("{streak}:{today}"),
            });
        }
        let earned = self.store.award(member.id, &awards, now).await?;
        // The confirmation is a message (it stays in the chat), so the button's answer is silent.
        let mut replies = vec![Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text: None,
        }];
        if let Some(message_id) = message_id {
            replies.push(Outbound::EditButtons {
                message_id: message_id.to_string(),
                buttons: lesson::checkin_keyboard(&self.i18n, l, course_id, lesson_id, true),
            });
        }
        let mut text = t!(
            self.i18n,
            l,
            "checkin-recorded",
            streak = streak,
            points = earned
        );
        if let Some(amount) = bonus {
            text.push('\n');
            text.push_str(&t!(
                self.i18n,
                l,
                "streak-bonus",
                streak = streak,
                points = amount
            ));
        }
        replies.push(Outbound::text(text));
        if let Some(course) = self.library.course(course_id) {
            replies.extend(self.stage_check(member, course, lesson_id).await?);
            replies.extend(self.start_lesson_quiz(member, course, lesson_id).await?);
        }
        Ok(replies)
    }

    // ----- onboarding and settings steps -------------------------------------------------

    async fn set_language(
        &self,
        member: &mut Member,
        locale: Locale,
        onboarding: bool,
    ) -> Result<Replies> {
        member.locale = locale;
        member.dialog = if onboarding {
            Dialog::Name { onboarding }
        } else {
            Dialog::Idle
        };
        self.save(member).await?;
        self.after_step(member, onboarding).await
    }

    async fn set_time(
        &self,
        member: &mut Member,
        time: NaiveTime,
        onboarding: bool,
    ) -> Result<Replies> {
        member.lesson_time = time;
        member.dialog = if onboarding {
            Dialog::TimeZone { onboarding }
        } else {
            Dialog::Idle
        };
        self.save(member).await?;
        if !onboarding {
            self.reschedule(member).await?;
        }
        self.after_step(member, onboarding).await
    }

    async fn set_timezone(&self, member: &mut Member, tz: Tz, onboarding: bool) -> Result<Replies> {
        member.timezone = tz;
        member.dialog = Dialog::Idle;
        if onboarding {
            return self.finish_onboarding(member).await;
        }
        self.save(member).await?;
        self.reschedule(member).await?;
        self.after_step(member, onboarding).await
    }

    async fn branch_choice(
        &self,
        member: &mut Member,
        onboarding: bool,
        action: &Action,
    ) -> Result<Replies> {
        let (kind, id) = match action {
            Action::BranchUp => ("br-up", ""),
            Action::Branch(id) => ("br", id.as_str()),
            Action::BranchHere(id) => ("br-this", id.as_str()),
            _ => return Ok(self.ask(member)),
        };
        let parent = match &member.dialog {
            Dialog::Branch { parent, .. } => parent.clone(),
            _ => None,
        };
        match kind {
            "br-up" => {
                let tree = self.tree();
                let up = parent
                    .as_deref()
                    .and_then(|p| tree.get(p))
                    .and_then(|b| b.parent_id.clone());
                member.dialog = Dialog::Branch {
                    onboarding,
                    parent: up,
                };
                self.save(member).await?;
                Ok(self.ask(member))
            }
            "br" if self.tree().get(id).is_some() && !self.tree().is_leaf(id) => {
                member.dialog = Dialog::Branch {
                    onboarding,
                    parent: Some(id.to_string()),
                };
                self.save(member).await?;
                Ok(self.ask(member))
            }
            "br" | "br-this" if self.tree().get(id).is_some() => {
                member.branch_id = Some(id.to_string());
                member.dialog = if onboarding {
                    Dialog::LessonTime { onboarding }
                } else {
                    Dialog::Idle
                };
                self.save(member).await?;
                let mut r = vec![Outbound::text(t!(
                    self.i18n,
                    member.locale,
                    "branch-chosen",
                    branch = escape_html(&self.tree().path(id, member.locale))
                ))];
                r.extend(self.after_step(member, onboarding).await?);
                Ok(r)
            }
            _ => Ok(vec![Outbound::text(t!(
                self.i18n,
                member.locale,
                "branch-not-found",
                input = escape_excerpt(id)
            ))]),
        }
    }

    /// After a step: the next question (onboarding) or a confirmation (settings).
    async fn after_step(&self, member: &Member, onboarding: bool) -> Result<Replies> {
        if onboarding {
            return Ok(self.ask(member));
        }
        Ok(vec![
            Outbound::text(t!(self.i18n, member.locale, "settings-saved")),
            self.settings_menu(member),
        ])
    }

    async fn finish_onboarding(&self, member: &mut Member) -> Result<Replies> {
        let now = self.now();
        member.onboarded = true;
        member.dialog = Dialog::Idle;
        self.save(member).await?;
        let l = member.locale;
        let Some(course) = self.course() else {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "lesson-gone"))]);
        };
        let next = next_lesson_at(&course.schedule, member.lesson_time, member.timezone, now);
        self.store.enroll(member.id, &course.id, next, now).await?;
        // An earlier enrollment (onboarding again) keeps its place; make its time current.
        let next = self.reschedule(member).await?;
        Ok(vec![Outbound::text(t!(
            self.i18n,
            l,
            "onboarding-done",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            branch = escape_html(&self.branch_label(member)),
            course = escape_html(course.title(l)),
            when = self.when_label(member, next)
        ))])
    }

    /// The question for the member's current dialog step.
    fn ask(&self, member: &Member) -> Replies {
        let l = member.locale;
        let text = |key: &str| t!(self.i18n, l, key);
        match &member.dialog {
            Dialog::Idle | Dialog::Broadcast { .. } => Vec::new(),
            Dialog::Language { .. } => vec![Outbound::with_buttons(
                text("ask-language"),
                vec![language_buttons(&self.i18n)],
            )],
            Dialog::Name { .. } => vec![Outbound::text(t!(
                self.i18n,
                l,
                "ask-name",
                max = MAX_NAME_CHARS
            ))],
            Dialog::Branch { parent, .. } => {
                let mut rows = keyboard_column(self.branch_buttons(l, parent.as_deref()));
                let tree = self.tree();
                let prompt = match parent.as_deref().and_then(|p| tree.get(p)) {
                    Some(p) => t!(
                        self.i18n,
                        l,
                        "ask-branch-in",
                        parent = escape_html(&self.tree().path(&p.id, l))
                    ),
                    None => text("ask-branch"),
                };
                if parent.is_some() {
                    rows.push(vec![Action::BranchUp.button(text("branch-up"))]);
                }
                vec![Outbound::with_buttons(prompt, rows)]
            }
            Dialog::LessonTime { .. } => {
                let time = member.lesson_time.format("%H:%M").to_string();
                vec![Outbound::with_buttons(
                    t!(self.i18n, l, "ask-time", time = time.clone()),
                    vec![vec![Action::KeepLessonTime.button(t!(
                        self.i18n,
                        l,
                        "keep-time",
                        time = time
                    ))]],
                )]
            }
            Dialog::TimeZone { .. } => {
                let mut zones = vec![member.timezone];
                for tz in &self.settings.timezone_choices {
                    if !zones.contains(tz) {
                        zones.push(*tz);
                    }
                }
                let buttons = zones
                    .iter()
                    .enumerate()
                    .map(|(i, tz)| {
                        let label = if i == 0 {
                            t!(self.i18n, l, "keep-timezone", tz = tz.name())
                        } else {
                            tz.name().to_string()
                        };
                        Action::TimeZone(*tz).button(label)
                    })
                    .collect();
                vec![Outbound::with_buttons(
                    t!(self.i18n, l, "ask-timezone", tz = member.timezone.name()),
                    keyboard_column(buttons),
                )]
            }
        }
    }

    /// Buttons for the branches under `parent` (the top level when None); a branch with
    /// branches under it opens them, and "this one" picks the parent itself.
    fn branch_buttons(&self, locale: Locale, parent: Option<&str>) -> Vec<Button> {
        let tree = self.tree();
        let mut buttons: Vec<Button> = tree
            .children_of(parent)
            .into_iter()
            .map(|b| {
                let label = if tree.is_leaf(&b.id) {
                    b.name_in(locale).to_string()
                } else {
                    format!("{} ›", b.name_in(locale))
                };
                Action::Branch(b.id.clone()).button(label)
            })
            .collect();
        if let Some(p) = parent.and_then(|p| tree.get(p)) {
            buttons.push(Action::BranchHere(p.id.clone()).button(t!(
                self.i18n,
                locale,
                "branch-this",
                branch = p.name_in(locale)
            )));
        }
        buttons
    }

    fn settings_menu(&self, member: &Member) -> Outbound {
        let l = member.locale;
        let b =
            |key: &str, setting: Setting| Action::Setting(setting).button(t!(self.i18n, l, key));
        Outbound::with_buttons(
            t!(
                self.i18n,
                l,
                "settings-menu",
                name = escape_html(member.display_name.as_deref().unwrap_or_default()),
                branch = escape_html(&self.branch_label(member)),
                language = language_label(&self.i18n, l),
                time = member.lesson_time.format("%H:%M").to_string(),
                tz = member.timezone.name()
            ),
            vec![
                vec![
                    b("settings-language", Setting::Language),
                    b("settings-name", Setting::Name),
                ],
                vec![b("settings-branch", Setting::Branch)],
                vec![
                    b("settings-time", Setting::LessonTime),
                    b("settings-timezone", Setting::TimeZone),
                ],
            ],
        )
    }

    // ----- what the courier sends ------------------------------------------------------

    /// The messages for a queued delivery.
    pub async fn compose(&self, item: &OutboxItem) -> Result<Replies> {
        let bad = |problem: String| ConversationError::BadDelivery {
            id: item.id,
            problem,
        };
        let member = self
            .store
            .member(item.member_id)
            .await?
            .ok_or_else(|| bad(format!("member {} does not exist", item.member_id)))?;
        let kind = OutboxKind::parse(&item.kind)
            .ok_or_else(|| bad(format!("unknown kind {:?}", item.kind)))?;
        match kind {
            OutboxKind::Lesson => {
                let (course_id, lesson_id) = item.reference.split_once(':').ok_or_else(|| {
                    bad(format!(
                        "lesson reference {:?} is not course:lesson",
                        item.reference
                    ))
                })?;
                let course = self
                    .library
                    .course(course_id)
                    .ok_or_else(|| bad(format!("course {course_id:?} is not loaded")))?;
                let lesson = course.lesson_by_id(lesson_id).ok_or_else(|| {
                    bad(format!(
                        "lesson {lesson_id:?} is not in course {course_id:?}"
                    ))
                })?;
                Ok(lesson::lesson_messages(
                    &self.i18n,
                    member.locale,
                    course,
                    lesson,
                    false,
                ))
            }
            OutboxKind::CourseFinished => {
                let course = self
                    .library
                    .course(&item.reference)
                    .ok_or_else(|| bad(format!("course {:?} is not loaded", item.reference)))?;
                Ok(vec![Outbound::text(t!(
                    self.i18n,
                    member.locale,
                    "course-finished",
                    course = escape_html(course.title(member.locale))
                ))])
            }
            OutboxKind::QuizTest => self.compose_test(&member, &item.reference).await,
            OutboxKind::QuizNext => self.compose_next(&member, &item.reference).await,
            OutboxKind::SeasonTitle => self.compose_title(&member, &item.reference).await,
            OutboxKind::Broadcast => self.compose_broadcast(&item.reference).await,
            OutboxKind::BroadcastProgress => self.compose_progress(&member, &item.reference).await,
            OutboxKind::Poster => self.compose_poster(&member, &item.reference).await,
            OutboxKind::Nudge => Ok(self.compose_nudge(&member)),
            OutboxKind::ActivityNew
            | OutboxKind::ActivityReminder
            | OutboxKind::ActivityCancelled
            | OutboxKind::ActivityChanged
            | OutboxKind::ActivityDigest => {
                self.compose_migrant(&member, kind, &item.reference).await
            }
        }
    }
}

/// Each language's name, written in that language.
fn language_label(i18n: &I18n, locale: Locale) -> String {
    t!(i18n, locale, "language-name")
}

fn language_buttons(i18n: &I18n) -> Vec<Button> {
    Locale::ALL
        .into_iter()
        .map(|l| Action::Language(l).button(language_label(i18n, l)))
        .collect()
}

/// A typed answer to a list of buttons: its number (1-based) or its label.
fn pick_by_number_or_label(text: &str, buttons: &[Button]) -> Option<Action> {
    let text = text.trim();
    let button = if let Ok(n) = text.parse::<usize>() {
        n.checked_sub(1).and_then(|i| buttons.get(i))
    } else {
        let wanted = text.trim_end_matches('›').trim().to_lowercase();
        buttons
            .iter()
            .find(|b| b.label.trim_end_matches('›').trim().to_lowercase() == wanted)
    };
    button.and_then(|b| Action::decode(&b.data).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_choices_match_numbers_and_labels() {
        let i18n = I18n::new().unwrap();
        let buttons = language_buttons(&i18n);
        assert_eq!(
            pick_by_number_or_label("2", &buttons),
            Some(Action::Language(Locale::ZhTw))
        );
        assert_eq!(
            pick_by_number_or_label("english", &buttons),
            Some(Action::Language(Locale::En))
        );
        assert_eq!(pick_by_number_or_label("4", &buttons), None);
        assert_eq!(pick_by_number_or_label("0", &buttons), None);
        assert_eq!(pick_by_number_or_label("Klingon", &buttons), None);
    }
}
