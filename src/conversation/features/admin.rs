//! Admin commands and who may use them. Owners are named in the configuration; they grant
//! and revoke `admin` (the whole organization) and `branch_admin` (one branch and every
//! branch under it). Every admin command checks role and scope; each use and each refusal
//! is written to the audit log.

use std::sync::Arc;

use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::command::{Command, help_text};
use crate::conversation::ctx::Ctx;
use crate::conversation::ctx::Found;
use crate::conversation::{Replies, Result};
use crate::domain::{Locale, Member};
use crate::store::{ROLE_ADMIN, ROLE_BRANCH_ADMIN, WHOLE_ORGANIZATION};

/// A role as admins type it: its stored name, or its name in any language.
fn role_of(word: &str) -> Option<&'static str> {
    match word.to_lowercase().as_str() {
        "admin" | "管理员" | "管理員" | "全体管理员" | "全體管理員" => {
            Some(ROLE_ADMIN)
        }
        "branch_admin" | "支部管理员" | "支部管理員" => Some(ROLE_BRANCH_ADMIN),
        _ => None,
    }
}

/// The message key of a role's name.
fn role_key(role: &str) -> &'static str {
    if role == ROLE_ADMIN {
        "role-admin"
    } else {
        "role-branch-admin"
    }
}
use crate::t;

/// What a member may do as an admin.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Authority {
    pub owner: bool,
    pub admin: bool,
    /// Branches of `branch_admin` roles.
    pub branches: Vec<String>,
}

impl Authority {
    /// Any admin role at all.
    pub fn is_admin(&self) -> bool {
        self.owner || self.admin || !self.branches.is_empty()
    }

    /// The whole organization is in scope.
    pub fn whole_organization(&self) -> bool {
        self.owner || self.admin
    }
}

/// An admin command to carry out: who typed it, with what authority, the command and the
/// rest of its line (what the audit log records of it).
#[derive(Debug, Clone, Copy)]
pub struct AdminRequest<'a> {
    pub member: &'a Member,
    pub authority: &'a Authority,
    pub command: Command,
    pub args: &'a str,
}

impl AdminRequest<'_> {
    /// The language of the admin who typed it.
    pub fn locale(&self) -> Locale {
        self.member.locale
    }
}

/// Roles, scopes and the audit log; `/admin`, `/admins`, `/grant`, `/revoke`.
pub struct Admin {
    ctx: Arc<Ctx>,
}

impl Admin {
    pub fn new(ctx: Arc<Ctx>) -> Self {
        Self { ctx }
    }

    /// What the member may do as an admin.
    pub async fn authority(&self, member: &Member) -> Result<Authority> {
        let owner = crate::channel::profile(&member.channel).is_some_and(|p| p.operator)
            || self
                .ctx
                .settings
                .owners
                .iter()
                .any(|o| o.channel == member.channel && o.chat_id == member.chat_id);
        let mut authority = Authority {
            owner,
            ..Authority::default()
        };
        for r in self.ctx.store.roles(Some(member.id)).await? {
            match (r.role.as_str(), r.branch_id) {
                (ROLE_ADMIN, _) => authority.admin = true,
                (ROLE_BRANCH_ADMIN, Some(b)) if self.ctx.tree().get(&b).is_some() => {
                    authority.branches.push(b)
                }
                _ => {}
            }
        }
        Ok(authority)
    }

    /// Whether `branch` is within the admin's scope.
    pub fn reaches(&self, authority: &Authority, branch: &str) -> bool {
        authority.whole_organization()
            || authority
                .branches
                .iter()
                .any(|b| self.ctx.tree().is_within(branch, b))
    }

    /// Records a refused admin command and says why (`why` is the message key).
    pub async fn refuse(
        &self,
        member: &Member,
        command: &str,
        args: &str,
        why: &str,
    ) -> Result<Replies> {
        self.ctx
            .store
            .audit(member.id, command, args, "refused", why, self.ctx.now())
            .await?;
        tracing::info!(member = member.id, command, why, "admin command refused");
        Ok(self.ctx.reply(member.locale, why))
    }

    /// Records a refused admin command and says why (`why` is the message key).
    pub async fn refuse_request(&self, request: &AdminRequest<'_>, why: &str) -> Result<Replies> {
        self.refuse(request.member, request.command.name(), request.args, why)
            .await
    }

    /// Refuses an admin command on what lies outside the admin's branches.
    pub async fn out_of_scope(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        self.refuse_request(request, "admin-out-of-scope").await
    }

    /// Records an admin command that was carried out, with `detail`.
    pub async fn request_done(&self, request: &AdminRequest<'_>, detail: &str) -> Result<()> {
        self.done(request.member, request.command.name(), request.args, detail)
            .await
    }

    /// Records an admin command that was carried out.
    pub async fn done(
        &self,
        member: &Member,
        command: &str,
        args: &str,
        detail: &str,
    ) -> Result<()> {
        self.ctx
            .store
            .audit(member.id, command, args, "ok", detail, self.ctx.now())
            .await?;
        Ok(())
    }

    /// The member an admin's command names, by the id /me shows (the chat id on the
    /// admin's channel) or by name; Err: the answer instead (none has that name or id, or
    /// several have it: a button for each runs `command` again with that one's id).
    pub async fn member_named(
        &self,
        member: &Member,
        command: Command,
        args: &str,
        target: &str,
    ) -> Result<std::result::Result<Member, Replies>> {
        let l = member.locale;
        match self.ctx.find_member(&member.channel, target).await? {
            Found::One(m) => Ok(Ok(m)),
            Found::Many(found) => {
                let tree = self.ctx.tree();
                let choices = found
                    .into_iter()
                    .map(|m| {
                        let place = m
                            .branch_id
                            .as_deref()
                            .map(|b| tree.path(b, l))
                            .unwrap_or_default();
                        let name = m.display_name.as_deref().unwrap_or("—");
                        (format!("{name} · {} · {place}", m.chat_id), m.chat_id)
                    })
                    .collect();
                Ok(Err(self.ctx.choose(member, command, args, target, choices)))
            }
            Found::None => Ok(Err(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "grant-no-member",
                id = escape_excerpt(target)
            ))])),
        }
    }

    /// `/admin`, `/admins`, `/grant` and `/revoke`, for a member who is an admin.
    pub async fn command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        match request.command {
            Command::Admin => Ok(vec![Outbound::text(help_text(
                &self.ctx.i18n,
                request.locale(),
                "admin-help-header",
                &Command::ADMIN[1..],
                Some("admin-help-footer"),
            ))]),
            Command::Admins => self.list_admins(request.member).await,
            Command::Grant | Command::Revoke if !request.authority.owner => {
                self.refuse_request(request, "admin-owner-only").await
            }
            Command::Grant | Command::Revoke => self.grant_or_revoke(request).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn list_admins(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let mut lines = vec![t!(self.ctx.i18n, l, "admins-header")];
        for owner in &self.ctx.settings.owners {
            let name = self
                .ctx
                .store
                .member_by_chat(&owner.channel, &owner.chat_id)
                .await?
                .and_then(|m| m.display_name)
                .unwrap_or_else(|| "—".into());
            lines.push(t!(
                self.ctx.i18n,
                l,
                "admins-owner",
                name = escape_html(&name),
                id = escape_html(&owner.to_string())
            ));
        }
        for r in self.ctx.store.roles(None).await? {
            let name = escape_html(r.display_name.as_deref().unwrap_or("—"));
            let line = match (r.role.as_str(), r.branch_id.as_deref()) {
                (ROLE_ADMIN, _) => t!(
                    self.ctx.i18n,
                    l,
                    "admins-admin",
                    name = name,
                    id = r.chat_id
                ),
                (ROLE_BRANCH_ADMIN, Some(b)) => t!(
                    self.ctx.i18n,
                    l,
                    "admins-branch-admin",
                    name = name,
                    id = r.chat_id,
                    branch = escape_html(&self.ctx.tree().path(b, l))
                ),
                _ => continue,
            };
            lines.push(line);
        }
        Ok(vec![Outbound::text(lines.join("\n"))])
    }

    /// `/grant admin ID`, `/grant branch_admin ID BRANCH`, and the same with `/revoke`.
    async fn grant_or_revoke(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (member, command, args) = (request.member, request.command, request.args);
        let l = member.locale;
        let usage = || self.ctx.reply(l, "grant-usage");
        let parts: Vec<&str> = args.split_whitespace().collect();
        let (role, target, branch) = match parts.as_slice() {
            [role, target] if role_of(role) == Some(ROLE_ADMIN) => {
                (ROLE_ADMIN, *target, WHOLE_ORGANIZATION.to_string())
            }
            [role, target, branch] if role_of(role) == Some(ROLE_BRANCH_ADMIN) => {
                // The branch by its id, or by its name ("桃花村").
                let branch = match self.ctx.find_branch(branch) {
                    Found::One(id) => id,
                    Found::Many(ids) => {
                        return Ok(self.ctx.choose_branch(member, command, args, branch, ids));
                    }
                    Found::None => {
                        return Ok(vec![Outbound::text(t!(
                            self.ctx.i18n,
                            l,
                            "branch-unknown-id",
                            branch = escape_excerpt(branch)
                        ))]);
                    }
                };
                (ROLE_BRANCH_ADMIN, *target, branch)
            }
            _ => return Ok(usage()),
        };
        let branch = branch.as_str();
        let target_member = match self.member_named(member, command, args, target).await? {
            Ok(found) => found,
            Err(answer) => return Ok(answer),
        };
        let changed = if command == Command::Grant {
            self.ctx
                .store
                .grant_role(target_member.id, role, branch)
                .await?
        } else {
            self.ctx
                .store
                .revoke_role(target_member.id, role, branch)
                .await?
        };
        self.request_done(request, if changed { "changed" } else { "unchanged" })
            .await?;
        let scope = if branch == WHOLE_ORGANIZATION {
            t!(self.ctx.i18n, l, "rank-organization")
        } else {
            self.ctx.tree().path(branch, l)
        };
        let key = match (command, changed) {
            (Command::Grant, true) => "grant-done",
            (Command::Grant, false) => "grant-already",
            (_, true) => "revoke-done",
            (_, false) => "revoke-not-held",
        };
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            name = escape_html(target_member.display_name.as_deref().unwrap_or(target)),
            role = t!(self.ctx.i18n, l, role_key(role)),
            scope = escape_html(&scope)
        ))])
    }
}
