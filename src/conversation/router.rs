//! Which feature answers what: an inbound event goes through the message limit and the
//! member lookup, then a [`Command`] to its feature (admin commands after the check of
//! the member's authority), a button's [`Action`] to its feature, typed text to the
//! feature of the member's dialog step; a queued delivery's [`OutboxKind`] to the
//! feature that composes it. The router decides nothing a feature decides.

use std::sync::{Arc, Mutex};

use super::action::{Action, RankPeriod};
use super::command::{Command, Invocation, help_text, suggest};
use super::ctx::Ctx;
use super::features::Features;
use super::features::admin::{AdminRequest, Authority};
use super::features::ranks::Period;
use super::{ConversationError, Replies, Result};
use crate::channel::{Inbound, InboundEvent, Outbound};
use crate::content::markdown::escape_excerpt;
use crate::domain::flood::{FloodGuard, Sender, Verdict};
use crate::domain::intent::{Intent, Phrases};
use crate::domain::outbox::OutboxKind;
use crate::domain::{Dialog, Locale, Member, MemberStatus};
use crate::store::OutboxItem;
use crate::t;

pub struct Router {
    ctx: Arc<Ctx>,
    features: Features,
    /// What members type when no question is open (every locale's `phrases-*` tables).
    phrases: Phrases,
    /// Messages per member and minute (see `commands_per_minute`).
    flood: Mutex<FloodGuard>,
}

impl Router {
    pub fn new(ctx: Arc<Ctx>, features: Features, flood: FloodGuard) -> Self {
        Self {
            phrases: ctx.i18n.phrases(),
            ctx,
            features,
            flood: Mutex::new(flood),
        }
    }

    /// Handles one event from a member and returns the replies.
    pub async fn handle(&self, inbound: &Inbound) -> Result<Replies> {
        let ctx = &self.ctx;
        let f = &self.features;
        let now = ctx.now();
        // Poll answers and live-location updates are not typed messages: they do not count.
        if !matches!(
            inbound.event,
            InboundEvent::PollAnswer { .. } | InboundEvent::Location { live: true, .. }
        ) {
            let key = format!("{}:{}", inbound.channel, inbound.chat_id);
            // Admins have a higher limit; who is one is looked up only past the members'.
            let over = self.with_flood(|g| g.over_member_limit(&key, now));
            let sender = if over && self.sent_by_admin(inbound).await? {
                Sender::Admin
            } else {
                Sender::Member
            };
            match self.with_flood(|g| g.check(&key, now, sender)) {
                Verdict::Allow => {}
                verdict => return self.flood_reply(inbound, sender, verdict).await,
            }
        }
        let existing = ctx
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
                ctx.store
                    .create_member(
                        &inbound.channel,
                        &inbound.chat_id,
                        locale,
                        ctx.settings.default_timezone.name(),
                        ctx.settings.default_lesson_time,
                        &Dialog::Idle.encode(),
                        now,
                    )
                    .await?
            }
        };
        if member.status == MemberStatus::Blocked {
            // They write to us again: they can receive again.
            member.status = MemberStatus::Active;
            ctx.store.save_member(&member, now).await?;
            f.lessons.reschedule(&member).await?;
        }
        match &inbound.event {
            InboundEvent::Text(text) => {
                let text = text.trim();
                match Command::parse(text) {
                    Some(Ok(invocation)) => self.command(&mut member, invocation).await,
                    Some(Err(unknown)) => Ok(vec![Outbound::text(t!(
                        ctx.i18n,
                        member.locale,
                        "unknown-command",
                        command = escape_excerpt(&format!("/{}", unknown.0))
                    ))]),
                    None => self.text(&mut member, text).await,
                }
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
                f.quizzes.poll_answer(&member, poll_id, *option).await
            }
            InboundEvent::Location { lat, lon, live } => {
                if !member.onboarded {
                    if *live {
                        return Ok(Vec::new());
                    }
                    return Ok(self.finish_onboarding_first(&member));
                }
                f.migrants.location(&member, *lat, *lon, *live).await
            }
            InboundEvent::Media {
                kind,
                file_id,
                caption,
            } => match member.dialog {
                Dialog::Broadcast { draft: None } => {
                    f.broadcasts
                        .broadcast_content(&mut member, caption, Some((*kind, file_id)))
                        .await
                }
                // A photo, a voice message or a sticker: a kind answer, not "not understood".
                _ => Ok(ctx.reply(member.locale, "typed-media")),
            },
            // The service marks the member blocked (`App::answer`); nothing to say.
            InboundEvent::Unsubscribed => Ok(Vec::new()),
        }
    }

    /// Runs `f` on the message limit.
    fn with_flood<T>(&self, f: impl FnOnce(&mut FloodGuard) -> T) -> T {
        match self.flood.lock() {
            Ok(mut guard) => f(&mut guard),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Whether the sender of `inbound` has an admin role.
    async fn sent_by_admin(&self, inbound: &Inbound) -> Result<bool> {
        let member = self
            .ctx
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await?;
        Ok(match member {
            Some(m) => self.features.admin.authority(&m).await?.is_admin(),
            None => false,
        })
    }

    /// A message over the limit was not carried out: a button press is told so each time
    /// where its answer is a toast, not a message (the channel's `button_toasts`); anything
    /// else when it is the first of the minute ([`Verdict::Refuse`]), so that the notices
    /// themselves never flood the member.
    async fn flood_reply(
        &self,
        inbound: &Inbound,
        sender: Sender,
        verdict: Verdict,
    ) -> Result<Replies> {
        let (wait, notice) = match verdict {
            Verdict::Allow => return Ok(Vec::new()),
            Verdict::Refuse { wait } => (wait, true),
            Verdict::Drop { wait } => (wait, false),
        };
        let toast = matches!(inbound.event, InboundEvent::Button { .. })
            && crate::channel::profile(&inbound.channel)
                .is_some_and(|p| p.capabilities.button_toasts);
        if !notice && !toast {
            // Told within the last minute; a press is still taken, without a word.
            return Ok(match &inbound.event {
                InboundEvent::Button { callback_id, .. } => vec![Outbound::AnswerButton {
                    callback_id: callback_id.clone(),
                    text: None,
                }],
                _ => Vec::new(),
            });
        }
        let locale = self
            .ctx
            .store
            .member_by_chat(&inbound.channel, &inbound.chat_id)
            .await?
            .map(|m| m.locale)
            .or_else(|| inbound.language.as_deref().and_then(Locale::negotiate))
            .unwrap_or(Locale::DEFAULT);
        tracing::info!(chat = %inbound.chat_id, ?sender, "message limit reached: not carried out");
        // Whole seconds, rounded up: "in 0 seconds" would be too early.
        let seconds = (wait.num_milliseconds().max(0) + 999) / 1000;
        let limit = self.with_flood(|g| g.limit(sender));
        Ok(match &inbound.event {
            InboundEvent::Button { callback_id, .. } => vec![Outbound::AnswerButton {
                callback_id: callback_id.clone(),
                text: Some(t!(
                    self.ctx.i18n,
                    locale,
                    "rate-limited-button",
                    seconds = seconds
                )),
            }],
            _ => vec![Outbound::text(t!(
                self.ctx.i18n,
                locale,
                "rate-limited",
                limit = limit,
                seconds = seconds
            ))],
        })
    }

    fn not_understood(&self, member: &Member) -> Replies {
        self.ctx.reply(member.locale, "not-understood")
    }

    /// Typed text when no question is open, understood through the phrase tables: a
    /// check-in, a question about the voice message, a greeting, thanks; anything else is
    /// not understood, with the commands most likely meant.
    async fn idle_text(&self, member: &mut Member, text: &str) -> Result<Replies> {
        let l = member.locale;
        let i18n = &self.ctx.i18n;
        match self.phrases.read(text) {
            Some(Intent::CheckIn) if member.onboarded => {
                self.features.lessons.checkin_typed(member).await
            }
            Some(Intent::HowToListen) => Ok(vec![Outbound::text(t!(i18n, l, "typed-listen"))]),
            Some(Intent::Greeting) => Ok(vec![Outbound::text(t!(i18n, l, "typed-greeting"))]),
            Some(Intent::Thanks) => Ok(vec![Outbound::text(t!(i18n, l, "typed-thanks"))]),
            Some(Intent::Number(n)) if member.onboarded => {
                // The open quiz question's option; else "1", the number of the check-in
                // button under a lesson, checks in when a lesson waits for it.
                if let Some(replies) = self.features.quizzes.typed_answer(member, n).await? {
                    return Ok(replies);
                }
                if n == 1 && self.ctx.store.latest_unchecked(member.id).await?.is_some() {
                    return self.features.lessons.checkin_typed(member).await;
                }
                Ok(self.suggest(member, text))
            }
            _ if member.onboarded => Ok(self.suggest(member, text)),
            _ => Ok(self.not_understood(member)),
        }
    }

    /// "Not understood", with the two or three commands the member most likely meant as
    /// buttons (their descriptions share words with the text; else /today, /me, /help).
    fn suggest(&self, member: &Member, text: &str) -> Replies {
        let i18n = &self.ctx.i18n;
        let l = member.locale;
        let describe = |c: Command| {
            format!(
                "{} {}",
                t!(i18n, l, &c.menu_key()),
                t!(i18n, l, &c.help_key())
            )
        };
        let buttons = suggest(text, describe, 3)
            .into_iter()
            .map(|c| vec![Action::Run(c).button(t!(i18n, l, &c.menu_key()))])
            .collect();
        vec![Outbound::Text {
            html: t!(i18n, l, "not-understood-suggest"),
            buttons,
        }]
    }

    fn finish_onboarding_first(&self, member: &Member) -> Replies {
        let mut replies = self.ctx.reply(member.locale, "finish-onboarding-first");
        replies.extend(self.features.onboarding.ask(member));
        replies
    }

    // ----- commands ------------------------------------------------------------------

    async fn command(&self, member: &mut Member, invocation: Invocation<'_>) -> Result<Replies> {
        let Invocation { command, args } = invocation;
        let ctx = &self.ctx;
        let f = &self.features;
        let l = member.locale;
        if !matches!(command, Command::Start | Command::Help) && !member.onboarded {
            return Ok(self.finish_onboarding_first(member));
        }
        if matches!(member.dialog, Dialog::Broadcast { .. }) {
            // A command ends the announcement being written.
            member.dialog = Dialog::Idle;
            ctx.save(member).await?;
            if command == Command::Cancel {
                return Ok(ctx.reply(l, "broadcast-dropped"));
            }
        }
        // An admin command (`Command::is_admin`) is refused and audited unless the
        // member has an admin role, else run by its feature as an `AdminRequest` with the
        // member's authority; a member's command needs none.
        let authority = if command.is_admin() {
            let authority = f.admin.authority(member).await?;
            if !authority.is_admin() {
                return f
                    .admin
                    .refuse(member, command.name(), args, "admin-refused")
                    .await;
            }
            authority
        } else {
            Authority::default()
        };
        let request = AdminRequest {
            member: &*member,
            authority: &authority,
            command,
            args,
        };
        match command {
            Command::Start => f.onboarding.start(member).await,
            Command::Help => Ok(vec![Outbound::text(help_text(
                &ctx.i18n,
                l,
                "help-header",
                &Command::MEMBER[1..],
                None,
            ))]),
            Command::Today => f.lessons.today(member).await,
            Command::Me => f.lessons.me(member).await,
            Command::Rank => match Period::parse(args) {
                Some(period) => f.ranks.rank(member, period).await,
                None => Ok(vec![Outbound::text(t!(
                    ctx.i18n,
                    l,
                    "rank-usage",
                    input = escape_excerpt(args)
                ))]),
            },
            Command::Poster => f.posters.resend_poster(member).await,
            Command::Away => f.migrants.away(member).await,
            Command::Home => f.migrants.home(member).await,
            Command::Nearby => f.migrants.nearby(member, args).await,
            Command::ForgetLocation => f.migrants.forget_location(member).await,
            Command::Settings => f.onboarding.settings(member).await,
            Command::Pause => f.lessons.pause(member).await,
            Command::Resume => f.lessons.resume(member).await,
            // Outside an announcement being written there is nothing to cancel.
            Command::Cancel => Ok(self.not_understood(member)),
            Command::Admin | Command::Admins | Command::Grant | Command::Revoke => {
                f.admin.command(&request).await
            }
            Command::QuizTest => f.quizzes.send_topic_test(&request).await,
            Command::Broadcast | Command::Broadcasts | Command::Tag | Command::Untag => {
                f.broadcasts
                    .command(member, &authority, command, args)
                    .await
            }
            Command::Stats | Command::Export | Command::Capacity => f.stats.command(&request).await,
            Command::Branches
            | Command::BranchAdd
            | Command::BranchRename
            | Command::BranchRemove => f.branches.command(&request).await,
            Command::Venues
            | Command::VenueAdd
            | Command::VenueEdit
            | Command::VenueRemove
            | Command::ActivityAdd
            | Command::ActivityEdit
            | Command::ActivityCancel
            | Command::VenueStats => f.venues.command(&request).await,
        }
    }

    // ----- free text -------------------------------------------------------------------

    async fn text(&self, member: &mut Member, text: &str) -> Result<Replies> {
        let f = &self.features;
        match member.dialog.clone() {
            Dialog::Idle => self.idle_text(member, text).await,
            Dialog::Broadcast { draft: None } => {
                f.broadcasts.broadcast_content(member, text, None).await
            }
            Dialog::Broadcast { draft: Some(id) } => {
                f.broadcasts.broadcast_time(member, id, text).await
            }
            Dialog::Language { .. }
            | Dialog::Name { .. }
            | Dialog::Branch { .. }
            | Dialog::LessonTime { .. }
            | Dialog::TimeZone { .. } => match f.onboarding.text(member, text).await? {
                Some(replies) => Ok(replies),
                None => Ok(self.not_understood(member)),
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
        let f = &self.features;
        let l = member.locale;
        let ack = |text: Option<String>| Outbound::AnswerButton {
            callback_id: callback_id.to_string(),
            text,
        };
        let expired = || vec![ack(Some(t!(self.ctx.i18n, l, "button-expired")))];
        let action = match Action::decode(data) {
            Ok(action) => action,
            Err(e) => {
                tracing::info!(member = member.id, error = %e, "a button that is not ours or out of date");
                return Ok(expired());
            }
        };
        let replies = match action {
            Action::CheckIn { course, lesson } => {
                return f
                    .lessons
                    .checkin(member, callback_id, &course, &lesson, message_id)
                    .await;
            }
            action @ (Action::BroadcastMenu { .. }
            | Action::BroadcastAudience { .. }
            | Action::BroadcastSend { .. }
            | Action::BroadcastBranches { .. }
            | Action::BroadcastCancel(_))
                if member.onboarded =>
            {
                f.broadcasts
                    .broadcast_button(member, &action, message_id)
                    .await?
            }
            Action::LocationConsent(yes) if member.onboarded => {
                Some(f.migrants.consent_button(member, yes).await?)
            }
            action @ (Action::Rsvp(_) | Action::CancelRsvp(_) | Action::Map(_))
                if member.onboarded =>
            {
                f.migrants.activity_button(member, &action).await?
            }
            Action::Rank(period) if member.onboarded => {
                let period = match period {
                    RankPeriod::Week => Period::Week,
                    RankPeriod::Season => Period::Season,
                };
                Some(f.ranks.rank(member, period).await?)
            }
            Action::Run(command) if member.onboarded => Some(
                self.command(member, Invocation { command, args: "" })
                    .await?,
            ),
            Action::Rerun { command, args } if member.onboarded => Some(
                self.command(
                    member,
                    Invocation {
                        command,
                        args: &args,
                    },
                )
                .await?,
            ),
            Action::Setting(setting) if member.onboarded => {
                Some(f.onboarding.setting(member, setting).await?)
            }
            // The answers to the steps of onboarding and the settings.
            action => f.onboarding.button(member, action).await?,
        };
        let Some(mut replies) = replies else {
            return Ok(expired());
        };
        replies.insert(0, ack(None));
        Ok(replies)
    }

    // ----- what the courier sends ------------------------------------------------------

    /// The messages for a queued delivery, from the feature that owns its kind.
    pub async fn compose(&self, item: &OutboxItem) -> Result<Replies> {
        let f = &self.features;
        let bad = |problem: String| ConversationError::BadDelivery {
            id: item.id,
            problem,
        };
        let member = self
            .ctx
            .store
            .member(item.member_id)
            .await?
            .ok_or_else(|| bad(format!("member {} does not exist", item.member_id)))?;
        let kind = OutboxKind::parse(&item.kind)
            .ok_or_else(|| bad(format!("unknown kind {:?}", item.kind)))?;
        let reference = item.reference.as_str();
        match kind {
            OutboxKind::Lesson => f.lessons.compose_lesson(&member, item).await,
            OutboxKind::CourseFinished => f.lessons.compose_course_finished(&member, item),
            OutboxKind::Nudge => Ok(f.lessons.compose_nudge(&member)),
            OutboxKind::QuizTest => f.quizzes.compose_test(&member, reference).await,
            OutboxKind::QuizNext => f.quizzes.compose_next(&member, reference).await,
            OutboxKind::SeasonTitle => f.ranks.compose_title(&member, reference).await,
            OutboxKind::Broadcast => f.broadcasts.compose_broadcast(&member, reference).await,
            OutboxKind::BroadcastProgress => {
                f.broadcasts.compose_progress(&member, reference).await
            }
            OutboxKind::Poster => f.posters.compose_poster(&member, reference).await,
            OutboxKind::ActivityNew
            | OutboxKind::ActivityReminder
            | OutboxKind::ActivityCancelled
            | OutboxKind::ActivityChanged
            | OutboxKind::ActivityDigest => {
                f.migrants.compose_migrant(&member, kind, reference).await
            }
        }
    }
}
