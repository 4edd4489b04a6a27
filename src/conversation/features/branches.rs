//! The organization tree edited by admins' commands: `/branches`, `/branch_add`,
//! `/branch_rename`, `/branch_remove`. Edits are stored (and kept over `branches.toml` from
//! then on); every process picks them up at its next tick.

use std::sync::Arc;

use super::admin::{Admin, AdminRequest};
use crate::channel::Outbound;
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::command::Command;
use crate::conversation::ctx::{Ctx, Found};
use crate::conversation::{Replies, Result};
use crate::domain::Member;
use crate::domain::branch::EditProblem;
use crate::domain::text::ShownTextProblem;
use crate::t;

/// The stored tree's version (changed by every edit).
pub const VERSION_KEY: &str = "branches.version";

/// The organization tree edited by admins.
pub struct Branches {
    ctx: Arc<Ctx>,
    admin: Arc<Admin>,
}

impl Branches {
    pub fn new(ctx: Arc<Ctx>, admin: Arc<Admin>) -> Self {
        Self { ctx, admin }
    }

    /// `/branches` and the edits, for an admin.
    pub async fn command(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        match request.command {
            Command::Branches => Ok(self.list_branches(request)),
            Command::BranchAdd | Command::BranchRename | Command::BranchRemove => {
                self.edit_branches(request).await
            }
            _ => Ok(Vec::new()),
        }
    }

    /// `/branches`: the tree with ids, as far as the admin reaches.
    fn list_branches(&self, request: &AdminRequest<'_>) -> Replies {
        let (l, authority) = (request.locale(), request.authority);
        let tree = self.ctx.tree();
        let mut lines = vec![t!(self.ctx.i18n, l, "branches-header")];
        let mut stack: Vec<(String, usize)> = tree
            .roots()
            .iter()
            .rev()
            .map(|b| (b.id.clone(), 0))
            .collect();
        while let Some((id, depth)) = stack.pop() {
            if let Some(b) = tree.get(&id)
                && (self.admin.reaches(authority, &id)
                    || authority.branches.iter().any(|a| tree.is_within(a, &id)))
            {
                lines.push(format!(
                    "{}<code>{}</code> {}",
                    "　".repeat(depth),
                    escape_html(&b.id),
                    escape_html(b.name_in(l))
                ));
            }
            for child in tree.children_of(Some(&id)).iter().rev() {
                stack.push((child.id.clone(), depth + 1));
            }
        }
        lines.push(t!(self.ctx.i18n, l, "branches-footer"));
        // Long trees are split by the channel.
        vec![Outbound::text(lines.join("\n"))]
    }

    /// `/branch_add PARENT|- ID NAME`, `/branch_rename ID NAME`, `/branch_remove ID`.
    async fn edit_branches(&self, request: &AdminRequest<'_>) -> Result<Replies> {
        let (member, authority, args) = (request.member, request.authority, request.args);
        let command = request.command;
        let l = member.locale;
        let tree = self.ctx.tree();
        let mut words: Vec<&str> = args.split_whitespace().collect();
        // The branch edited (or the parent of the one added) by its name, as well as its id.
        let found;
        if let Some(first) = words.first().copied().filter(|w| *w != "-") {
            match self.ctx.find_branch(first) {
                // Removing by a name is confirmed with the branch's button first.
                Found::One(id) if command == Command::BranchRemove && id != first => {
                    return Ok(self
                        .ctx
                        .choose_branch(member, command, args, first, vec![id]));
                }
                Found::One(id) => {
                    found = id;
                    words[0] = found.as_str();
                }
                Found::Many(ids) => {
                    return Ok(self.ctx.choose_branch(member, command, args, first, ids));
                }
                Found::None => {}
            }
        }
        let usage = || self.ctx.reply(l, "branch-edit-usage");
        let outcome = match (command, words.as_slice()) {
            (Command::BranchAdd, [parent, id, name @ ..]) if !name.is_empty() => {
                let parent = (*parent != "-").then_some(*parent);
                let allowed = match parent {
                    Some(p) => tree.get(p).is_none() || self.admin.reaches(authority, p),
                    None => authority.whole_organization(),
                };
                if !allowed {
                    return self.admin.out_of_scope(request).await;
                }
                tree.check_add(id, &name.join(" "), parent)
                    .map(|b| (b, "branch-added"))
            }
            (Command::BranchRename, [id, name @ ..]) if !name.is_empty() => {
                if tree.get(id).is_some() && !self.admin.reaches(authority, id) {
                    return self.admin.out_of_scope(request).await;
                }
                tree.check_rename(id, &name.join(" "))
                    .map(|b| (b, "branch-renamed"))
            }
            (Command::BranchRemove, [id]) => {
                if tree.get(id).is_some() && !self.admin.reaches(authority, id) {
                    return self.admin.out_of_scope(request).await;
                }
                if let Err(problem) = tree.check_remove(id) {
                    return Ok(vec![self.edit_problem(member, problem)]);
                }
                let members = self.ctx.store.members_in_branch(id).await?;
                if members > 0 {
                    return Ok(vec![Outbound::text(t!(
                        self.ctx.i18n,
                        l,
                        "branch-has-members",
                        branch = escape_html(&tree.path(id, l)),
                        count = members
                    ))]);
                }
                let path = tree.path(id, l);
                self.ctx.store.remove_branch(id).await?;
                self.branches_changed().await?;
                self.admin.request_done(request, id).await?;
                return Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "branch-removed",
                    branch = escape_html(&path)
                ))]);
            }
            _ => return Ok(usage()),
        };
        let (branch, key) = match outcome {
            Ok(done) => done,
            Err(problem) => return Ok(vec![self.edit_problem(member, problem)]),
        };
        self.ctx.store.save_branch_edit(&branch).await?;
        self.branches_changed().await?;
        self.admin.request_done(request, &branch.id).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            key,
            branch = escape_html(&self.ctx.tree().path(&branch.id, l)),
            id = escape_html(&branch.id)
        ))])
    }

    /// A new version of the stored tree, loaded here at once.
    async fn branches_changed(&self) -> Result<()> {
        let version = format!(
            "{}-{:08x}",
            self.ctx.now().timestamp_micros(),
            rand::random::<u32>()
        );
        self.ctx.store.set_state(VERSION_KEY, &version).await?;
        self.ctx.reload_tree(Some(version)).await
    }

    fn edit_problem(&self, member: &Member, problem: EditProblem) -> Outbound {
        let l = member.locale;
        Outbound::text(match problem {
            EditProblem::BadId(id) => {
                t!(self.ctx.i18n, l, "branch-bad-id", id = escape_excerpt(&id))
            }
            EditProblem::BadName => t!(self.ctx.i18n, l, "branch-bad-name"),
            EditProblem::NameNotShown(ShownTextProblem::NothingVisible) => {
                t!(self.ctx.i18n, l, "branch-name-invisible")
            }
            EditProblem::NameNotShown(_) => t!(self.ctx.i18n, l, "branch-name-hidden-characters"),
            EditProblem::Exists(id) => {
                t!(self.ctx.i18n, l, "branch-exists", id = escape_excerpt(&id))
            }
            EditProblem::Unknown(id) => {
                t!(
                    self.ctx.i18n,
                    l,
                    "branch-unknown-id",
                    branch = escape_excerpt(&id)
                )
            }
            EditProblem::HasBranches(id) => t!(
                self.ctx.i18n,
                l,
                "branch-has-branches",
                branch = escape_html(&self.ctx.tree().path(&id, l))
            ),
        })
    }
}
