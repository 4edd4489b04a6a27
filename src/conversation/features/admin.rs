//! Admin commands and who may use them. Owners are named in the configuration; they grant
//! and revoke `admin` (the whole organization) and `branch_admin` (one branch and every
//! branch under it). Every admin command checks role and scope; each use and each refusal
//! is written to the audit log.

use std::sync::Arc;

use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::command::{Command, help_text};
use crate::conversation::ctx::Ctx;
use crate::conversation::{Replies, Result};
use crate::domain::Member;
use crate::store::{ROLE_ADMIN, ROLE_BRANCH_ADMIN, WHOLE_ORGANIZATION};
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
        Ok(vec![Outbound::text(t!(self.ctx.i18n, member.locale, why))])
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

    /// `/admin`, `/admins`, `/grant` and `/revoke`, for a member who is an admin.
    pub async fn command(
        &self,
        member: &Member,
        authority: &Authority,
        command: Command,
        args: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        match command {
            Command::Admin => Ok(vec![Outbound::text(help_text(
                &self.ctx.i18n,
                l,
                "admin-help-header",
                &Command::ADMIN[1..],
                Some("admin-help-footer"),
            ))]),
            Command::Admins => self.list_admins(member).await,
            Command::Grant | Command::Revoke if !authority.owner => {
                self.refuse(member, command.name(), args, "admin-owner-only")
                    .await
            }
            Command::Grant | Command::Revoke => self.grant_or_revoke(member, command, args).await,
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
    async fn grant_or_revoke(
        &self,
        member: &Member,
        command: Command,
        args: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        let usage = || vec![Outbound::text(t!(self.ctx.i18n, l, "grant-usage"))];
        let parts: Vec<&str> = args.split_whitespace().collect();
        let (role, target, branch) = match parts.as_slice() {
            [role, target] if *role == ROLE_ADMIN => (ROLE_ADMIN, *target, WHOLE_ORGANIZATION),
            [role, target, branch] if *role == ROLE_BRANCH_ADMIN => {
                (ROLE_BRANCH_ADMIN, *target, *branch)
            }
            _ => return Ok(usage()),
        };
        if role == ROLE_BRANCH_ADMIN && self.ctx.tree().get(branch).is_none() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "branch-unknown-id",
                branch = escape_excerpt(branch)
            ))]);
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
        self.done(
            member,
            command.name(),
            args,
            if changed { "changed" } else { "unchanged" },
        )
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
            role = role,
            scope = escape_html(&scope)
        ))])
    }
}
