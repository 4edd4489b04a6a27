//! Admin commands and who may use them. Owners are named in the configuration; they grant
//! and revoke `admin` (the whole organization) and `branch_admin` (one branch and every
//! branch under it). Every admin command checks role and scope; each use and each refusal
//! is written to the audit log.

use super::command::Command;
use super::{Conversation, Replies, Result};
use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::domain::Member;
use crate::domain::outbox::OutboxKind;
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

impl Conversation {
    pub(super) async fn authority(&self, member: &Member) -> Result<Authority> {
        let owner = crate::channel::profile(&member.channel).is_some_and(|p| p.operator)
            || self
                .settings
                .owners
                .iter()
                .any(|o| o.channel == member.channel && o.chat_id == member.chat_id);
        let mut authority = Authority {
            owner,
            ..Authority::default()
        };
        for r in self.store.roles(Some(member.id)).await? {
            match (r.role.as_str(), r.branch_id) {
                (ROLE_ADMIN, _) => authority.admin = true,
                (ROLE_BRANCH_ADMIN, Some(b)) if self.tree().get(&b).is_some() => {
                    authority.branches.push(b)
                }
                _ => {}
            }
        }
        Ok(authority)
    }

    /// Whether `branch` is within the admin's scope.
    pub(super) fn reaches(&self, authority: &Authority, branch: &str) -> bool {
        authority.whole_organization()
            || authority
                .branches
                .iter()
                .any(|b| self.tree().is_within(branch, b))
    }

    pub(super) async fn refuse(
        &self,
        member: &Member,
        command: &str,
        args: &str,
        why: &str,
    ) -> Result<Replies> {
        self.store
            .audit(member.id, command, args, "refused", why, self.now())
            .await?;
        tracing::info!(member = member.id, command, why, "admin command refused");
        Ok(vec![Outbound::text(t!(self.i18n, member.locale, why))])
    }

    pub(super) async fn done(
        &self,
        member: &Member,
        command: &str,
        args: &str,
        detail: &str,
    ) -> Result<()> {
        self.store
            .audit(member.id, command, args, "ok", detail, self.now())
            .await?;
        Ok(())
    }

    /// Runs an admin command; None if `command` is not one.
    pub(super) async fn admin_command(
        &self,
        member: &mut Member,
        command: Command,
        args: &str,
    ) -> Result<Option<Replies>> {
        if !command.is_admin() {
            return Ok(None);
        }
        let name = command.name();
        let authority = self.authority(member).await?;
        if !authority.is_admin() {
            return self
                .refuse(member, name, args, "admin-refused")
                .await
                .map(Some);
        }
        let l = member.locale;
        let replies = match command {
            Command::Admin => vec![Outbound::text(self.command_help(
                l,
                "admin-help-header",
                &Command::ADMIN[1..],
                Some("admin-help-footer"),
            ))],
            Command::Admins => self.list_admins(member).await?,
            Command::Grant | Command::Revoke => {
                if !authority.owner {
                    return self
                        .refuse(member, name, args, "admin-owner-only")
                        .await
                        .map(Some);
                }
                self.grant_or_revoke(member, command, args).await?
            }
            Command::QuizTest => self.send_topic_test(member, &authority, args).await?,
            Command::Broadcast => self.start_broadcast(member).await?,
            Command::Broadcasts => self.list_broadcasts(member).await?,
            Command::Tag => self.tag_command(member, &authority, true, args).await?,
            Command::Untag => self.tag_command(member, &authority, false, args).await?,
            Command::Stats => self.stats_command(member, &authority, args).await?,
            Command::Export => self.export_command(member, &authority, args).await?,
            Command::Branches => self.list_branches(member, &authority),
            Command::BranchAdd | Command::BranchRename | Command::BranchRemove => {
                self.edit_branches(member, &authority, command, args)
                    .await?
            }
            Command::Venues
            | Command::VenueAdd
            | Command::VenueEdit
            | Command::VenueRemove
            | Command::ActivityAdd
            | Command::ActivityEdit
            | Command::ActivityCancel
            | Command::VenueStats => {
                self.venue_command(member, &authority, command, args)
                    .await?
            }
            _ => Vec::new(),
        };
        Ok(Some(replies))
    }

    async fn list_admins(&self, member: &Member) -> Result<Replies> {
        let l = member.locale;
        let mut lines = vec![t!(self.i18n, l, "admins-header")];
        for owner in &self.settings.owners {
            let name = self
                .store
                .member_by_chat(&owner.channel, &owner.chat_id)
                .await?
                .and_then(|m| m.display_name)
                .unwrap_or_else(|| "—".into());
            lines.push(t!(
                self.i18n,
                l,
                "admins-owner",
                name = escape_html(&name),
                id = escape_html(&owner.to_string())
            ));
        }
        for r in self.store.roles(None).await? {
            let name = escape_html(r.display_name.as_deref().unwrap_or("—"));
            let line = match (r.role.as_str(), r.branch_id.as_deref()) {
                (ROLE_ADMIN, _) => t!(self.i18n, l, "admins-admin", name = name, id = r.chat_id),
                (ROLE_BRANCH_ADMIN, Some(b)) => t!(
                    self.i18n,
                    l,
                    "admins-branch-admin",
                    name = name,
                    id = r.chat_id,
                    branch = escape_html(&self.tree().path(b, l))
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
        let usage = || vec![Outbound::text(t!(self.i18n, l, "grant-usage"))];
        let parts: Vec<&str> = args.split_whitespace().collect();
        let (role, target, branch) = match parts.as_slice() {
            [role, target] if *role == ROLE_ADMIN => (ROLE_ADMIN, *target, WHOLE_ORGANIZATION),
            [role, target, branch] if *role == ROLE_BRANCH_ADMIN => {
                (ROLE_BRANCH_ADMIN, *target, *branch)
            }
            _ => return Ok(usage()),
        };
        if role == ROLE_BRANCH_ADMIN && self.tree().get(branch).is_none() {
            return Ok(vec![Outbound::text(t!(
                self.i18n,
                l,
                "branch-unknown-id",
                branch = escape_excerpt(branch)
            ))]);
        }
        let Some(target_member) = self.store.member_by_chat(&member.channel, target).await? else {
            return Ok(vec![Outbound::text(t!(
                self.i18n,
                l,
                "grant-no-member",
                id = escape_excerpt(target)
            ))]);
        };
        let changed = if command == Command::Grant {
            self.store
                .grant_role(target_member.id, role, branch)
                .await?
        } else {
            self.store
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
            t!(self.i18n, l, "rank-organization")
        } else {
            self.tree().path(branch, l)
        };
        let key = match (command, changed) {
            (Command::Grant, true) => "grant-done",
            (Command::Grant, false) => "grant-already",
            (_, true) => "revoke-done",
            (_, false) => "revoke-not-held",
        };
        Ok(vec![Outbound::text(t!(
            self.i18n,
            l,
            key,
            name = escape_html(target_member.display_name.as_deref().unwrap_or(target)),
            role = role,
            scope = escape_html(&scope)
        ))])
    }

    /// `/quiztest TOPIC [BRANCH]`: a topic test now, for the members of a branch subtree
    /// (a branch admin's own branch by default) or of the whole organization.
    async fn send_topic_test(
        &self,
        member: &Member,
        authority: &crate::conversation::admin::Authority,
        args: &str,
    ) -> Result<Replies> {
        let l = member.locale;
        let Some(course) = self.course() else {
            return Ok(vec![Outbound::text(t!(self.i18n, l, "lesson-gone"))]);
        };
        let parts: Vec<&str> = args.split_whitespace().collect();
        let topics = course
            .topics
            .iter()
            .map(|t| format!("{} ({})", t.id, t.title(l)))
            .collect::<Vec<_>>()
            .join(", ");
        let (topic, branch) = match parts.as_slice() {
            [topic] => (*topic, None),
            [topic, branch] => (*topic, Some(*branch)),
            _ => {
                return Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "quiztest-usage",
                    topics = escape_html(&topics)
                ))]);
            }
        };
        if course.test.is_none() || course.topic(topic).is_none() {
            return Ok(vec![Outbound::text(t!(
                self.i18n,
                l,
                "quiztest-unknown-topic",
                topic = escape_html(topic),
                topics = escape_html(&topics)
            ))]);
        }
        let branch = match branch {
            Some(b) if self.tree().get(b).is_none() => {
                return Ok(vec![Outbound::text(t!(
                    self.i18n,
                    l,
                    "branch-unknown-id",
                    branch = escape_excerpt(b)
                ))]);
            }
            Some(b) => Some(b.to_string()),
            None if authority.whole_organization() => None,
            None => authority.branches.first().cloned(),
        };
        if let Some(b) = &branch
            && !self.reaches(authority, b)
        {
            return self
                .refuse(member, "quiztest", args, "admin-out-of-scope")
                .await;
        }
        let now = self.now();
        let subtree = branch.as_deref().map(|b| self.tree().subtree(b));
        let reference = super::quiz::test_reference(&course.id, Some(topic), now);
        let queued = self
            .store
            .enqueue_for_course(
                &course.id,
                subtree.as_deref(),
                OutboxKind::QuizTest,
                &reference,
                &OutboxKind::QuizTest.dedup_key(format_args!("{reference}:")),
                now,
                now,
            )
            .await?;
        self.done(member, "quiztest", args, &format!("{queued} queued"))
            .await?;
        let scope = match &branch {
            Some(b) => self.tree().path(b, l),
            None => t!(self.i18n, l, "rank-organization"),
        };
        Ok(vec![Outbound::text(t!(
            self.i18n,
            l,
            "quiztest-queued",
            topic = escape_html(course.topic(topic).map(|t| t.title(l)).unwrap_or(topic)),
            scope = escape_html(&scope),
            count = queued
        ))])
    }
}
