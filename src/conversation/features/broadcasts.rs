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
use crate::conversation::ctx::{Ctx, keyboard_column};
use crate::conversation::{Replies, Result};
use crate::domain::audience::{Audience, read_tag};
use crate::domain::date_input::{DateProblem, read_date_time};
use crate::domain::{Dialog, Member};
use crate::store::{AudienceFilter, BroadcastCounts, BroadcastRow};
use crate::t;

/// Telegram's limits for a message and a caption.
const MAX_TEXT: usize = 4096;
const MAX_CAPTION: usize = 1024;
/// How often a progress message is edited at most.
const PROGRESS_EVERY: Duration = Duration::seconds(3);
/// Branches per page of the branch picker (with "all of it", paging and "up": at most 11
/// rows).
/// Inactivity choices offered, in days.
const INACTIVE_DAYS: [u32; 4] = [3, 7, 14, 30];

/// Announcements: the `/broadcast` dialog, `/broadcasts`, tags, the deliveries and the
/// progress message.
pub struct Broadcasts {
    ctx: Arc<Ctx>,
    admin: Arc<Admin>,
    /// The branch each broadcast is sent in the name of (see [`Broadcasts::sender_branch`]),
    /// looked up once per broadcast rather than once per recipient.
    senders: std::sync::Mutex<std::collections::HashMap<i64, Option<String>>>,
}

/// Broadcasts whose sender is remembered at most (the oldest are forgotten beyond).
const SENDERS_KEPT: usize = 256;

impl Broadcasts {
    pub fn new(ctx: Arc<Ctx>, admin: Arc<Admin>) -> Self {
        Self {
            ctx,
            admin,
            senders: Default::default(),
        }
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
        Ok(self.ctx.reply(member.locale, "broadcast-ask-content"))
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
            return Ok(self.ctx.reply(l, "admin-refused"));
        }
        let text = text.trim();
        if text.is_empty() && media.is_none() {
            return Ok(self.ctx.reply(l, "broadcast-empty"));
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

    /// One page of the branch picker: under `parent` (None: the top of the admin's scope),
    /// "all of it" first, then the branches of that level (those with branches under them
    /// open the next level), a page at a time ([`Ctx::page_of`]), and a way up. It stays
    /// within every channel's keyboard whatever the size of the organization.
    fn branch_page(
        &self,
        member: &Member,
        authority: &Authority,
        draft: i64,
        parent: Option<&str>,
        page: u16,
    ) -> Vec<Outbound> {
        let l = member.locale;
        let tree = self.ctx.tree();
        let level: Vec<&crate::domain::Branch> = match parent {
            Some(p) => tree.children_of(Some(p)),
            None if authority.whole_organization() => tree.children_of(None),
            None => authority
                .branches
                .iter()
                .filter_map(|b| tree.get(b))
                .collect(),
        };
        let to = |parent: Option<&str>, page: u16| Action::BroadcastBranches {
            draft,
            parent: parent.map(str::to_string),
            page,
        };
        let choices = level
            .iter()
            .map(|b| {
                if tree.children_of(Some(&b.id)).is_empty() {
                    Action::BroadcastAudience {
                        draft,
                        audience: Audience::Branch(b.id.clone()),
                    }
                    .button(b.name_in(l).to_string())
                } else {
                    to(Some(&b.id), 0).button(t!(
                        self.ctx.i18n,
                        l,
                        "broadcast-branch-open",
                        branch = b.name_in(l).to_string()
                    ))
                }
            })
            .collect();
        let shown = self.ctx.page_of(l, choices, page, |p| to(parent, p));
        let mut rows: Keyboard = Vec::new();
        if let Some(p) = parent {
            rows.push(vec![
                Action::BroadcastAudience {
                    draft,
                    audience: Audience::Branch(p.to_string()),
                }
                .button(t!(
                    self.ctx.i18n,
                    l,
                    "broadcast-branch-all",
                    branch = tree
                        .get(p)
                        .map(|b| b.name_in(l).to_string())
                        .unwrap_or_default()
                )),
            ]);
        }
        rows.extend(shown.rows);
        if let Some(p) = parent {
            // Up one level, not above the admin's scope.
            let up = tree
                .get(p)
                .and_then(|b| b.parent_id.clone())
                .filter(|up| self.admin.reaches(authority, up));
            rows.push(vec![to(up.as_deref(), 0).button(t!(
                self.ctx.i18n,
                l,
                "branch-up"
            ))]);
        }
        let heading = match parent {
            Some(p) => t!(
                self.ctx.i18n,
                l,
                "broadcast-ask-branch-in",
                branch = escape_html(&tree.path(p, l)),
                page = shown.page + 1,
                pages = shown.pages
            ),
            None => t!(self.ctx.i18n, l, "broadcast-ask-branch"),
        };
        vec![Outbound::with_buttons(heading, rows)]
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
            return self
                .admin
                .refuse(member, "broadcast", &action.encode(), "admin-refused")
                .await
                .map(Some);
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
            | Action::BroadcastSend { draft, .. }
            | Action::BroadcastBranches { draft, .. } => *draft,
            _ => return Ok(None),
        };
        let Some(draft) = self.own_draft(member, id).await? else {
            return Ok(None);
        };
        match action {
            Action::BroadcastMenu {
                menu: AudienceMenu::Branch,
                ..
            } => Ok(Some(
                self.branch_page(member, &authority, draft.id, None, 0),
            )),
            Action::BroadcastBranches { parent, page, .. } => {
                let in_scope = parent
                    .as_deref()
                    .is_none_or(|p| self.admin.reaches(&authority, p));
                if !in_scope {
                    return Ok(None);
                }
                Ok(Some(self.branch_page(
                    member,
                    &authority,
                    draft.id,
                    parent.as_deref(),
                    *page,
                )))
            }
            Action::BroadcastMenu {
                menu: AudienceMenu::Tags,
                ..
            } => {
                let tags = self.ctx.store.tags_in_use().await?;
                if tags.is_empty() {
                    return Ok(Some(self.ctx.reply(l, "broadcast-no-tags")));
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
                    return self
                        .admin
                        .refuse(member, "broadcast", code, "admin-out-of-scope")
                        .await
                        .map(Some);
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
                // As the members will see it.
                let sender = self.sender_branch(&draft).await?;
                replies.extend(self.broadcast_messages(member, &draft, sender.as_deref()));
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
                    example = self.example_time(member),
                    zone = self.ctx.i18n.zone_name(l, member.timezone)
                ))]))
            }
            Action::BroadcastSend {
                step: SendStep::Drop,
                ..
            } => Ok(Some(self.ctx.reply(l, "broadcast-dropped"))),
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
            return Ok(self.ctx.reply(l, "button-expired"));
        };
        let now = self.ctx.now();
        let today = now.with_timezone(&member.timezone).date_naive();
        let parsed = read_date_time(text, today)
            .map(|local| crate::domain::schedule::local_to_utc(member.timezone, local));
        let example = self.example_time(member);
        match parsed {
            Ok(at) if at > now => {
                member.dialog = Dialog::Idle;
                self.ctx.save(member).await?;
                self.queue_draft(member, &authority, &row, at).await
            }
            Ok(_) => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-time-past",
                example = example
            ))]),
            Err(DateProblem::NoTime) => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-time-no-time",
                input = escape_excerpt(text.trim()),
                example = example
            ))]),
            Err(DateProblem::Unreadable) => Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "broadcast-time-invalid",
                input = escape_excerpt(text.trim()),
                example = example
            ))]),
        }
    }

    /// An example send time, always ahead: a week from today at 08:00 in the admin's
    /// zone, in the admin's words ("12月14日（周一）08:00").
    fn example_time(&self, member: &Member) -> String {
        let tz = member.timezone;
        let day = self.ctx.now().with_timezone(&tz).date_naive() + chrono::Days::new(7);
        let at = crate::domain::schedule::local_to_utc(
            tz,
            day.and_time(chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap_or_default()),
        );
        self.ctx.when_label(member, Some(at))
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
            return Ok(self.ctx.reply(l, "button-expired"));
        };
        let now = self.ctx.now();
        let Some(count) = self
            .ctx
            .store
            .queue_broadcast(draft.id, &filter, at, now)
            .await?
        else {
            return Ok(self.ctx.reply(l, "broadcast-not-running"));
        };
        self.admin
            .done(
                member,
                "broadcast",
                &draft.audience,
                &format!("#{} to {count}", draft.id),
            )
            .await?;
        let scheduled = at > now;
        let text = t!(
            self.ctx.i18n,
            l,
            if scheduled {
                "broadcast-scheduled"
            } else {
                "broadcast-queued"
            },
            id = draft.id,
            count = count,
            when = self.ctx.when_label(member, Some(at))
        );
        if !scheduled {
            // The progress message that follows carries the cancel button.
            return Ok(vec![Outbound::text(text)]);
        }
        Ok(vec![Outbound::with_buttons(
            text,
            vec![vec![Action::BroadcastCancel(draft.id).button(t!(
                self.ctx.i18n,
                l,
                "broadcast-cancel-scheduled"
            ))]],
        )])
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
            return Ok(self.ctx.reply(l, "button-expired"));
        };
        if row.author_id != member.id && !authority.whole_organization() {
            return self
                .admin
                .refuse(
                    member,
                    "broadcast-cancel",
                    &id.to_string(),
                    "admin-out-of-scope",
                )
                .await;
        }
        let now = self.ctx.now();
        let Some(cancelled) = self.ctx.store.cancel_broadcast(row.id, now).await? else {
            return Ok(self.ctx.reply(l, "broadcast-not-running"));
        };
        self.admin
            .done(
                member,
                "broadcast-cancel",
                &id.to_string(),
                &format!("{cancelled} not sent"),
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
            return Ok(self.ctx.reply(l, "broadcasts-none"));
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
                when = self
                    .ctx
                    .when_label(member, Some(row.send_at.unwrap_or(row.created_at))),
                audience = escape_html(&label),
                status = self.status_label(l, &row),
                sent = counts.sent,
                total = counts.total(),
                failed = counts.failed,
                blocked = counts.blocked,
                cancelled = counts.cancelled
            ));
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    fn status_label(&self, l: crate::domain::Locale, row: &BroadcastRow) -> String {
        let key = match row.status.as_str() {
            "queued" if row.send_at.is_some_and(|at| at > self.ctx.now()) => {
                "broadcast-status-scheduled"
            }
            "queued" => "broadcast-status-sending",
            "done" => "broadcast-status-done",
            "cancelled" => "broadcast-status-cancelled",
            _ => "broadcast-status-draft",
        };
        t!(self.ctx.i18n, l, key)
    }

    /// The messages a recipient gets: the announcement under its sender's branch
    /// ("📣 东湖镇：…").
    fn broadcast_messages(
        &self,
        member: &Member,
        row: &BroadcastRow,
        sender: Option<&str>,
    ) -> Replies {
        let l = member.locale;
        let body =
            match sender.and_then(|b| self.ctx.tree().get(b).map(|b| b.name_in(l).to_string())) {
                Some(name) => format!(
                    "{}{}",
                    t!(
                        self.ctx.i18n,
                        l,
                        "broadcast-from",
                        sender = escape_html(&name)
                    ),
                    row.body_html
                ),
                None => row.body_html.clone(),
            };
        match (
            row.media_kind.as_deref().and_then(MediaKind::parse),
            &row.media_file_id,
        ) {
            (Some(kind), Some(file_id)) => vec![Outbound::Media {
                kind,
                file_id: file_id.clone(),
                caption_html: body,
            }],
            _ => vec![Outbound::text(body)],
        }
    }

    /// The branch a broadcast speaks for: the one branch of an admin of one branch, else
    /// the author's own branch (an admin of the whole organization, or of several).
    async fn sender_branch(&self, row: &BroadcastRow) -> Result<Option<String>> {
        let cached = match self.senders.lock() {
            Ok(map) => map.get(&row.id).cloned(),
            Err(poisoned) => poisoned.into_inner().get(&row.id).cloned(),
        };
        if let Some(known) = cached {
            return Ok(known);
        }
        let sender = match self.ctx.store.member(row.author_id).await? {
            Some(author) => {
                let authority = self.admin.authority(&author).await?;
                match authority.branches.as_slice() {
                    [one] if !authority.whole_organization() => Some(one.clone()),
                    _ => author.branch_id.clone(),
                }
            }
            None => None,
        };
        let mut map = match self.senders.lock() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        if map.len() >= SENDERS_KEPT {
            map.clear();
        }
        map.insert(row.id, sender.clone());
        Ok(sender)
    }

    /// A delivery of kind `broadcast`.
    pub async fn compose_broadcast(&self, member: &Member, reference: &str) -> Result<Replies> {
        let row = match reference.parse::<i64>() {
            Ok(id) => self.ctx.store.broadcast(id).await?,
            Err(_) => None,
        };
        // A cancelled broadcast's deliveries are cancelled in batches after it: one claimed
        // in between is not sent.
        let Some(row) = row.filter(|r| r.status != "cancelled") else {
            return Ok(Vec::new());
        };
        let sender = self.sender_branch(&row).await?;
        Ok(self.broadcast_messages(member, &row, sender.as_deref()))
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
            status = self.status_label(l, row),
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
            return Ok(self.ctx.reply(l, "tag-usage"));
        };
        let Some(tag) = read_tag(tag) else {
            return Ok(self.ctx.reply(l, "tag-usage"));
        };
        let tag = tag.as_str();
        let command = if on { Command::Tag } else { Command::Untag };
        let target_member = match self
            .admin
            .member_named(member, command, args, target)
            .await?
        {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        let in_scope = authority.whole_organization()
            || target_member
                .branch_id
                .as_deref()
                .is_some_and(|b| self.admin.reaches(authority, b));
        if !in_scope {
            return self
                .admin
                .refuse(
                    member,
                    if on { "tag" } else { "untag" },
                    args,
                    "admin-out-of-scope",
                )
                .await;
        }
        let changed = self.ctx.store.set_tag(target_member.id, tag, on).await?;
        self.admin
            .done(
                member,
                if on { "tag" } else { "untag" },
                args,
                if changed { "changed" } else { "unchanged" },
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
