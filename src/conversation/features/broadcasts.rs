//! Announcements (`/broadcast`): an admin writes the message (text, or a photo, audio or
//! document with a caption), chooses the audience within their scope, sees the exact
//! number of recipients, and sends now or at a set time. Deliveries go through the outbox;
//! the admin's progress message is edited as it goes and can cancel what is not sent.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};

use super::admin::{Admin, Authority};
use crate::channel::{Keyboard, MediaKind, Outbound};
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::action::{Action, AudienceMenu, SendStep};
use crate::conversation::command::Command;
use crate::conversation::ctx::{Ctx, keyboard_column, local_time_label};
use crate::conversation::{Replies, Result};
use crate::domain::audience::{Audience, valid_tag};
use crate::domain::{Dialog, Member};
use crate::store::{AudienceFilter, BroadcastCounts, BroadcastRow};
use crate::t;

/// Telegram's limits for a message and a caption.
const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
/// How often a progress message is edited at most.
const PROGRESS_EVERY: Duration = Duration::seconds(3);
/// Inactivity choices offered, in days.
const INACTIVE_DAYS: [u32; 4] = [3, 7, 14, 30];

/// Announcements: the `/broadcast` dialog, `/broadcasts`, tags, the deliveries and the
/// progress message.
pub struct Broadcasts {
    ctx: Arc<Ctx>,
    admin: Arc<Admin>,
}

impl Broadcasts {
    pub fn new(ctx: Arc<Ctx>, admin: Arc<Admin>) -> Self {
        Self { ctx, admin }
    }

    /// `/broadcast`, `/broadcasts`, `/tag` and `/untag`, for an admin.
    pub async fn command(
        &self,
        member: &mut Member,
        authority: &Authority,
        command: Command,
        args: &str,
    ) -> Result<Replies> {
        match command {
            Command::Broadcast => self.start_broadcast(member).await,
            Command::Broadcasts => self.list_broadcasts(member).await,
            Command::Tag => self.tag_command(member, authority, true, args).await,
            Command::Untag => self.tag_command(member, authority, false, args).await,
            _ => Ok(Vec::new()),
        }
    }

    /// `/broadcast`: asks for the announcement.
    async fn start_broadcast(&self, member: &mut Member) -> Result<Replies> {
        member.dialog = Dialog::Broadcast { draft: None };
        self.ctx.save(member).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "broadcast-ask-content"
        ))])
    }

    /// The announcement's text or media arrived while composing.
    pub async fn broadcast_content(
        &self,
        member: &mut Member,
        text: &str,
        media: Option<(MediaKind, &str)>,
    ) -> Result<Replies> {
        let l = member.locale;
        let authority = self.admin.authority(member).await?;
        if !authority.is_admin() {
            member.dialog = Dialog::Idle;
            self.ctx.save(member).await?;
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "admin-refused"))]);
        }
        let text = text.trim();
        if text.is_empty() && media.is_none() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-empty"
            ))]);
        }
        let max = if media.is_some() {
            MAX_CAPTION
        } else {
            MAX_TEXT
        };
        let length = text.encode_utf16().count();
        if length > max {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-too-long",
                length = length,
                max = max
            ))]);
        }
        let body = escape_html(text);
        let id = self
            .ctx
            .store
            .create_broadcast(
                member.id,
                &body,
                media.map(|(k, f)| (k.as_str(), f)),
                self.ctx.now(),
            )
            .await?;
        member.dialog = Dialog::Idle;
        self.ctx.save(member).await?;
        Ok(vec![self.audience_menu(member, &authority, id)])
    }

    fn audience_menu(&self, member: &Member, authority: &Authority, id: i64) -> Outbound {
        let l = member.locale;
        let b = |key: &str, action: Action| action.button(t!(self.ctx.i18n, l, key));
        let audience = |audience| Action::BroadcastAudience {
            draft: id,
            audience,
        };
        let menu = |menu| Action::BroadcastMenu { draft: id, menu };
        let everyone = if authority.whole_organization() {
            "broadcast-to-everyone"
        } else {
            "broadcast-to-my-branches"
        };
        Outbound::with_buttons(
            t!(self.ctx.i18n, l, "broadcast-ask-audience"),
            keyboard_column(vec![
                b(everyone, audience(Audience::Everyone)),
                b("broadcast-to-branch", menu(AudienceMenu::Branch)),
                b("broadcast-to-migrant", audience(Audience::Migrant)),
                b("broadcast-to-tag", menu(AudienceMenu::Tags)),
                b("broadcast-to-inactive", menu(AudienceMenu::Inactive)),
                b(
                    "broadcast-drop",
                    Action::BroadcastSend {
                        draft: id,
                        step: SendStep::Drop,
                    },
                ),
            ]),
        )
    }

    /// The draft of `id` if `member` wrote it and it is still a draft.
    async fn own_draft(&self, member: &Member, id: i64) -> Result<Option<BroadcastRow>> {
        Ok(self
            .ctx
            .store
            .broadcast(id)
            .await?
            .filter(|b| b.author_id == member.id && b.status == "draft"))
    }

    /// The filter an audience means within the admin's scope; None if the audience is
    /// outside it.
    fn audience_filter(
        &self,
        authority: &Authority,
        audience: &Audience,
    ) -> Option<AudienceFilter> {
        let scope: Option<Vec<String>> = if authority.whole_organization() {
            None
        } else {
            let mut all: Vec<String> = authority
                .branches
                .iter()
                .flat_map(|b| self.ctx.tree().subtree(b))
                .collect();
            all.sort();
            all.dedup();
            Some(all)
        };
        let mut filter = AudienceFilter {
            branches: scope,
            ..AudienceFilter::default()
        };
        match audience {
            Audience::Everyone => {}
            Audience::Branch(b) => {
                if self.ctx.tree().get(b).is_none() || !self.admin.reaches(authority, b) {
                    return None;
                }
                filter.branches = Some(self.ctx.tree().subtree(b));
            }
            Audience::Migrant => filter.migrant = true,
            Audience::Tag(t) => filter.tag = Some(t.clone()),
            Audience::Inactive(days) => {
                filter.inactive_since = Some(self.ctx.now() - Duration::days(i64::from(*days)))
            }
        }
        Some(filter)
    }

    fn audience_label(
        &self,
        member: &Member,
        authority: &Authority,
        audience: &Audience,
    ) -> String {
        let l = member.locale;
        match audience {
            Audience::Everyone if authority.whole_organization() => {
                t!(self.ctx.i18n, l, "broadcast-to-everyone")
            }
            Audience::Everyone => t!(self.ctx.i18n, l, "broadcast-to-my-branches"),
            Audience::Branch(b) => self.ctx.tree().path(b, l),
            Audience::Migrant => t!(self.ctx.i18n, l, "broadcast-to-migrant"),
            Audience::Tag(tag) => t!(self.ctx.i18n, l, "broadcast-tag-label", tag = tag.clone()),
            Audience::Inactive(days) => {
                t!(self.ctx.i18n, l, "broadcast-inactive-label", days = *days)
            }
        }
    }

    /// Buttons of the broadcast dialog: `bcm:` (a sub-menu), `bca:` (an audience),
    /// `bcs:` (send now / later / drop), `bcx:` (cancel a running one).
    pub async fn broadcast_button(
        &self,
        member: &mut Member,
        action: &Action,
        message_id: Option<&str>,
    ) -> Result<Option<Replies>> {
        let l = member.locale;
        let authority = self.admin.authority(member).await?;
        if !authority.is_admin() {
            self.ctx
                .store
                .audit(
                    member.id,
                    "broadcast",
                    &action.encode(),
                    "refused",
                    "admin-refused",
                    self.ctx.now(),
                )
                .await?;
            return Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "admin-refused"
            ))]));
        }
        let id = match action {
            Action::BroadcastCancel(id) => {
                return self
                    .cancel_broadcast(member, &authority, *id, message_id)
                    .await
                    .map(Some);
            }
            Action::BroadcastMenu { draft, .. }
            | Action::BroadcastAudience { draft, .. }
            | Action::BroadcastSend { draft, .. } => *draft,
            _ => return Ok(None),
        };
        let Some(draft) = self.own_draft(member, id).await? else {
            return Ok(None);
        };
        match action {
            Action::BroadcastMenu {
                menu: AudienceMenu::Branch,
                ..
            } => {
                let roots: Vec<String> = if authority.whole_organization() {
                    self.ctx
                        .tree()
                        .children_of(None)
                        .iter()
                        .map(|b| b.id.clone())
                        .collect()
                } else {
                    authority.branches.clone()
                };
                let mut buttons = Vec::new();
                for root in roots {
                    for b in self.ctx.tree().subtree(&root) {
                        buttons.push(
                            Action::BroadcastAudience {
                                draft: draft.id,
                                audience: Audience::Branch(b.clone()),
                            }
                            .button(self.ctx.tree().path(&b, l)),
                        );
                    }
                }
                buttons.sort_by(|a, b| a.label.cmp(&b.label));
                Ok(Some(vec![Outbound::with_buttons(
                    t!(self.ctx.i18n, l, "broadcast-ask-branch"),
                    keyboard_column(buttons),
                )]))
            }
            Action::BroadcastMenu {
                menu: AudienceMenu::Tags,
                ..
            } => {
                let tags = self.ctx.store.tags_in_use().await?;
                if tags.is_empty() {
                    return Ok(Some(vec![Outbound::text(t!(
                        self.ctx.i18n,
                        l,
                        "broadcast-no-tags"
                    ))]));
                }
                let buttons = tags
                    .into_iter()
                    .map(|(tag, n)| {
                        let label = format!("{tag} ({n})");
                        Action::BroadcastAudience {
                            draft: draft.id,
                            audience: Audience::Tag(tag),
                        }
                        .button(label)
                    })
                    .collect();
                Ok(Some(vec![Outbound::with_buttons(
                    t!(self.ctx.i18n, l, "broadcast-ask-tag"),
                    keyboard_column(buttons),
                )]))
            }
            Action::BroadcastMenu {
                menu: AudienceMenu::Inactive,
                ..
            } => {
                let buttons = INACTIVE_DAYS
                    .iter()
                    .map(|d| {
                        Action::BroadcastAudience {
                            draft: draft.id,
                            audience: Audience::Inactive(*d),
                        }
                        .button(t!(
                            self.ctx.i18n,
                            l,
                            "broadcast-inactive-label",
                            days = *d
                        ))
                    })
                    .collect();
                Ok(Some(vec![Outbound::with_buttons(
                    t!(self.ctx.i18n, l, "broadcast-ask-inactive"),
                    keyboard_column(buttons),
                )]))
            }
            Action::BroadcastAudience { audience, .. } => {
                let code = audience.encode();
                let code = code.as_str();
                let Some(filter) = self.audience_filter(&authority, audience) else {
                    self.ctx
                        .store
                        .audit(
                            member.id,
                            "broadcast",
                            code,
                            "refused",
                            "admin-out-of-scope",
                            self.ctx.now(),
                        )
                        .await?;
                    return Ok(Some(vec![Outbound::text(t!(
                        self.ctx.i18n,
                        l,
                        "admin-out-of-scope"
                    ))]));
                };
                self.ctx
                    .store
                    .set_broadcast_audience(draft.id, code)
                    .await?;
                let count = self.ctx.store.count_audience(&filter).await?;
                let label = self.audience_label(member, &authority, audience);
                if count == 0 {
                    let mut r = vec![Outbound::text(t!(
                        self.ctx.i18n,
                        l,
                        "broadcast-no-recipients",
                        audience = escape_html(&label)
                    ))];
                    r.push(self.audience_menu(member, &authority, draft.id));
                    return Ok(Some(r));
                }
                let b = |key: &str, step: SendStep| {
                    Action::BroadcastSend {
                        draft: draft.id,
                        step,
                    }
                    .button(t!(self.ctx.i18n, l, key))
                };
                let mut replies = vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "broadcast-preview-header",
                    audience = escape_html(&label),
                    count = count
                ))];
                replies.extend(self.broadcast_messages(&draft));
                replies.push(Outbound::with_buttons(
                    t!(self.ctx.i18n, l, "broadcast-confirm", count = count),
                    vec![
                        vec![b("broadcast-send-now", SendStep::Now)],
                        vec![b("broadcast-send-later", SendStep::Later)],
                        vec![b("broadcast-drop", SendStep::Drop)],
                    ],
                ));
                Ok(Some(replies))
            }
            Action::BroadcastSend {
                step: SendStep::Now,
                ..
            } => self
                .queue_draft(member, &authority, &draft, self.ctx.now())
                .await
                .map(Some),
            Action::BroadcastSend {
                step: SendStep::Later,
                ..
            } => {
                member.dialog = Dialog::Broadcast {
                    draft: Some(draft.id),
                };
                self.ctx.save(member).await?;
                Ok(Some(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "broadcast-ask-time",
                    tz = member.timezone.name()
                ))]))
            }
            Action::BroadcastSend {
                step: SendStep::Drop,
                ..
            } => Ok(Some(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-dropped"
            ))])),
            _ => Ok(None),
        }
    }

    /// The send time typed for a draft.
    pub async fn broadcast_time(
        &self,
        member: &mut Member,
        draft: i64,
        text: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        let authority = self.admin.authority(member).await?;
        let Some(row) = self.own_draft(member, draft).await? else {
            member.dialog = Dialog::Idle;
            self.ctx.save(member).await?;
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "button-expired"))]);
        };
        let parsed = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M")
            .ok()
            .map(|local| crate::domain::schedule::local_to_utc(member.timezone, local));
        let now = self.ctx.now();
        match parsed {
            Some(at) if at > now => {
                member.dialog = Dialog::Idle;
                self.ctx.save(member).await?;
                self.queue_draft(member, &authority, &row, at).await
            }
            Some(_) => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-time-past"
            ))]),
            None => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-time-invalid",
                input = escape_excerpt(text.trim())
            ))]),
        }
    }

    async fn queue_draft(
        &self,
        member: &Member,
        authority: &Authority,
        draft: &BroadcastRow,
        at: DateTime<Utc>,
    ) -> Result<Replies> {
        let l = member.locale;
        let audience = Audience::decode(&draft.audience);
        let Some(filter) = audience
            .as_ref()
            .and_then(|a| self.audience_filter(authority, a))
        else {
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "button-expired"))]);
        };
        let now = self.ctx.now();
        let Some(count) = self
            .ctx
            .store
            .queue_broadcast(draft.id, &filter, at, now)
            .await?
        else {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-not-running"
            ))]);
        };
        self.ctx
            .store
            .audit(
                member.id,
                "broadcast",
                &draft.audience,
                "ok",
                &format!("#{} to {count}", draft.id),
                now,
            )
            .await?;
        let key = if at > now {
            "broadcast-scheduled"
        } else {
            "broadcast-queued"
        };
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            id = draft.id,
            count = count,
            when = local_time_label(at, member.timezone)
        ))])
    }

    async fn cancel_broadcast(
        &self,
        member: &Member,
        authority: &Authority,
        id: i64,
        message_id: Option<&str>,
    ) -> Result<Replies> {
        let l = member.locale;
        let Some(row) = self.ctx.store.broadcast(id).await? else {
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "button-expired"))]);
        };
        if row.author_id != member.id && !authority.whole_organization() {
            self.ctx
                .store
                .audit(
                    member.id,
                    "broadcast-cancel",
                    &id.to_string(),
                    "refused",
                    "admin-out-of-scope",
                    self.ctx.now(),
                )
                .await?;
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "admin-out-of-scope"
            ))]);
        }
        let now = self.ctx.now();
        let Some(cancelled) = self.ctx.store.cancel_broadcast(row.id, now).await? else {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-not-running"
            ))]);
        };
        self.ctx
            .store
            .audit(
                member.id,
                "broadcast-cancel",
                &id.to_string(),
                "ok",
                &format!("{cancelled} not sent"),
                now,
            )
            .await?;
        let mut replies = Vec::new();
        if let (Some(message_id), Some(row)) = (message_id, self.ctx.store.broadcast(row.id).await?)
        {
            let counts = self.ctx.store.broadcast_counts(row.id).await?;
            replies.push(Outbound::EditText {
                message_id: message_id.to_string(),
                html: self.progress_text(member, &row, &counts, now),
                buttons: Vec::new(),
            });
        }
        replies.push(Outbound::text(t!(
            self.ctx.i18n,
            l,
            "broadcast-cancelled",
            id = row.id,
            count = cancelled
        )));
        Ok(replies)
    }

    /// `/broadcasts`: the latest ones with their counts.
    async fn list_broadcasts(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let authority = self.admin.authority(member).await?;
        let author = (!authority.whole_organization()).then_some(member.id);
        let rows = self.ctx.store.recent_broadcasts(author, 10).await?;
        if rows.is_empty() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcasts-none"
            ))]);
        }
        let mut lines = vec![t!(self.ctx.i18n, l, "broadcasts-header")];
        for row in rows {
            let counts = self.ctx.store.broadcast_counts(row.id).await?;
            let label = Audience::decode(&row.audience)
                .map(|a| self.audience_label(member, &authority, &a))
                .unwrap_or_default();
            lines.push(t!(
                self.ctx.i18n,
                l,
                "broadcasts-line",
                id = row.id,
                when = local_time_label(row.send_at.unwrap_or(row.created_at), member.timezone),
                audience = escape_html(&label),
                status = self.status_label(l, &row.status),
                sent = counts.sent,
                total = counts.total(),
                failed = counts.failed,
                blocked = counts.blocked,
                cancelled = counts.cancelled
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    fn status_label(&self, l: crate::domain::Locale, status: &str) -> String {
        let key = match status {
            "queued" => "broadcast-status-sending",
            "done" => "broadcast-status-done",
            "cancelled" => "broadcast-status-cancelled",
            _ => "broadcast-status-draft",
        };
        t!(self.ctx.i18n, l, key)
    }

    /// The messages a recipient gets.
    fn broadcast_messages(&self, row: &BroadcastRow) -> Replies {
        match (
            row.media_kind.as_deref().and_then(MediaKind::parse),
            &row.media_file_id,
        ) {
            (Some(kind), Some(file_id)) => vec![Outbound::Media {
                kind,
                file_id: file_id.clone(),
                caption_html: row.body_html.clone(),
            }],
            _ => vec![Outbound::text(row.body_html.clone())],
        }
    }

    /// A delivery of kind `broadcast`.
    pub async fn compose_broadcast(&self, reference: &str) -> Result<Replies> {
        let row = match reference.parse::<i64>() {
            Ok(id) => self.ctx.store.broadcast(id).await?,
            Err(_) => None,
        };
        // A cancelled broadcast's deliveries are cancelled in batches after it: one claimed
        // in between is not sent.
        Ok(row
            .filter(|r| r.status != "cancelled")
            .map(|r| self.broadcast_messages(&r))
            .unwrap_or_default())
    }

    /// A delivery of kind `broadcast-progress`: the author's progress message.
    pub async fn compose_progress(&self, member: &Member, reference: &str) -> Result<Replies> {
        let Some(row) = (match reference.parse::<i64>() {
            Ok(id) => self.ctx.store.broadcast(id).await?,
            Err(_) => None,
        }) else {
            return Ok(Vec::new());
        };
        let counts = self.ctx.store.broadcast_counts(row.id).await?;
        Ok(vec![Outbound::with_buttons(
            self.progress_text(member, &row, &counts, self.ctx.now()),
            self.cancel_keyboard(member, &row),
        )])
    }

    fn cancel_keyboard(&self, member: &Member, row: &BroadcastRow) -> Keyboard {
        if row.status != "queued" {
            return Vec::new();
        }
        vec![vec![Action::BroadcastCancel(row.id).button(t!(
            self.ctx.i18n,
            member.locale,
            "broadcast-cancel-button"
        ))]]
    }

    fn progress_text(
        &self,
        member: &Member,
        row: &BroadcastRow,
        c: &BroadcastCounts,
        now: DateTime<Utc>,
    ) -> String {
        let l = member.locale;
        let done = c.sent + c.failed + c.blocked;
        let mut text = t!(
            self.ctx.i18n,
            l,
            "broadcast-progress",
            id = row.id,
            status = self.status_label(l, &row.status),
            sent = c.sent,
            failed = c.failed,
            blocked = c.blocked,
            remaining = c.pending,
            cancelled = c.cancelled,
            total = c.total()
        );
        if row.status == "queued" && c.pending > 0 {
            let started = row.send_at.unwrap_or(row.created_at);
            let elapsed = (now - started).num_milliseconds().max(0) as f64 / 1000.0;
            // The measured pace once there is one, else Telegram's ~30 messages a second.
            let rate = if done > 0 && elapsed >= 1.0 {
                done as f64 / elapsed
            } else {
                29.5
            };
            let eta = (c.pending as f64 / rate).ceil() as i64;
            text.push('\n');
            text.push_str(&t!(
                self.ctx.i18n,
                l,
                "broadcast-eta",
                minutes = eta / 60,
                seconds = eta % 60
            ));
        }
        text
    }

    /// Progress edits due now: (chat, edit) for each running broadcast whose progress
    /// message is out; a broadcast with nothing pending is marked done with a last edit.
    pub async fn broadcast_progress(&self) -> Result<Vec<(String, Outbound)>> {
        let now = self.ctx.now();
        let mut edits = Vec::new();
        for row in self.ctx.store.running_broadcasts().await? {
            if row.send_at.is_some_and(|at| at > now) {
                continue;
            }
            let Some((chat, message_id)) =
                self.ctx.store.broadcast_progress_message(row.id).await?
            else {
                continue;
            };
            let counts = self.ctx.store.broadcast_counts(row.id).await?;
            let finished = counts.pending == 0;
            if !finished && row.progress_at.is_some_and(|at| now - at < PROGRESS_EVERY) {
                continue;
            }
            let Some(author) = self.ctx.store.member(row.author_id).await? else {
                continue;
            };
            let row = if finished {
                self.ctx.store.finish_broadcast(row.id, now).await?;
                match self.ctx.store.broadcast(row.id).await? {
                    Some(r) => r,
                    None => continue,
                }
            } else {
                row
            };
            self.ctx
                .store
                .set_broadcast_progress_at(row.id, now)
                .await?;
            edits.push((
                chat,
                Outbound::EditText {
                    message_id,
                    html: self.progress_text(&author, &row, &counts, now),
                    buttons: self.cancel_keyboard(&author, &row),
                },
            ));
        }
        Ok(edits)
    }

    /// `/tag ID TAG` and `/untag ID TAG`: segments for broadcasts.
    async fn tag_command(
        &self,
        member: &Member,
        authority: &Authority,
        on: bool,
        args: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        let parts: Vec<&str> = args.split_whitespace().collect();
        let [target, tag] = parts.as_slice() else {
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "tag-usage"))]);
        };
        if !valid_tag(tag) {
            return Ok(vec![Outbound::text(t!(self.ctx.i18n, l, "tag-usage"))]);
        }
        let Some(target_member) = self
            .ctx
            .store
            .member_by_chat(&member.channel, target)
            .await?
        else {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "grant-no-member",
                id = escape_excerpt(target)
            ))]);
        };
        let in_scope = authority.whole_organization()
            || target_member
                .branch_id
                .as_deref()
                .is_some_and(|b| self.admin.reaches(authority, b));
        if !in_scope {
            self.ctx
                .store
                .audit(
                    member.id,
                    if on { "tag" } else { "untag" },
                    args,
                    "refused",
                    "admin-out-of-scope",
                    self.ctx.now(),
                )
                .await?;
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "admin-out-of-scope"
            ))]);
        }
        let changed = self.ctx.store.set_tag(target_member.id, tag, on).await?;
        self.ctx
            .store
            .audit(
                member.id,
                if on { "tag" } else { "untag" },
                args,
                "ok",
                if changed { "changed" } else { "unchanged" },
                self.ctx.now(),
            )
            .await?;
        let key = if on { "tag-done" } else { "untag-done" };
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            name = escape_html(target_member.display_name.as_deref().unwrap_or(target)),
            tag = tag.to_string()
        ))])
    }
}
