//! What every feature may use: the store, the lessons, the messages, the clock, the
//! settings and the organization tree (swapped when an admin edits it), with the few
//! helpers that only need those. A feature holds it as `Arc<Ctx>`; what only some
//! features need (the points rules, the poster renderer, another feature) they hold
//! themselves.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::Result;
use crate::channel::{Button, Keyboard};
use crate::clock::Clock;
use crate::content::{Course, Library};
use crate::domain::{BranchTree, Locale, Member};
use crate::i18n::I18n;
use crate::store::Store;
use crate::t;

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
    /// Messages a second the lessons go out at (the delivery forecast: `/capacity`, the
    /// hint for an overloaded lesson time).
    pub delivery_rate: f64,
    /// Messages a lesson takes on average (its text, and its audio when it has one).
    pub messages_per_lesson: f64,
}

/// The shared context of the features.
pub struct Ctx {
    pub store: Store,
    pub library: Arc<Library>,
    pub i18n: Arc<I18n>,
    pub clock: Arc<dyn Clock>,
    pub settings: ConversationSettings,
    /// The organization tree: the file's branches with admins' edits (see [`Ctx::tree`]).
    branches: RwLock<Arc<BranchTree>>,
    /// The stored tree's version this process has loaded.
    branches_version: Mutex<Option<String>>,
}

impl Ctx {
    pub fn new(
        store: Store,
        library: Arc<Library>,
        i18n: Arc<I18n>,
        clock: Arc<dyn Clock>,
        settings: ConversationSettings,
        tree: Arc<BranchTree>,
    ) -> Self {
        Self {
            store,
            library,
            i18n,
            clock,
            settings,
            branches: RwLock::new(tree),
            branches_version: Mutex::new(None),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The course new members are enrolled in.
    pub fn course(&self) -> Option<&Course> {
        self.library.course(&self.settings.course)
    }

    /// The organization tree as of now.
    pub fn tree(&self) -> Arc<BranchTree> {
        match self.branches.read() {
            Ok(tree) => tree.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The version of the stored tree this process has loaded (None: the one it started
    /// with).
    pub fn tree_version(&self) -> Option<String> {
        match self.branches_version.lock() {
            Ok(v) => v.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// Loads the stored tree, as of `version`, in place of the current one.
    pub async fn reload_tree(&self, version: Option<String>) -> Result<()> {
        let tree = Arc::new(BranchTree::new(self.store.branches().await?));
        match self.branches.write() {
            Ok(mut t) => *t = tree,
            Err(poisoned) => *poisoned.into_inner() = tree,
        }
        match self.branches_version.lock() {
            Ok(mut v) => *v = version,
            Err(poisoned) => *poisoned.into_inner() = version,
        }
        Ok(())
    }

    pub async fn save(&self, member: &Member) -> Result<()> {
        self.store.save_member(member, self.now()).await?;
        Ok(())
    }

    /// The member's branch as a path, `-` without one.
    pub fn branch_label(&self, member: &Member) -> String {
        member
            .branch_id
            .as_deref()
            .map(|b| self.tree().path(b, member.locale))
            .filter(|p| !p.is_empty())
            .unwrap_or_else(|| "-".into())
    }

    /// A branch's path, or the whole organization for `all`.
    pub fn scope_label(&self, scope: &str, l: Locale) -> String {
        if scope == "all" {
            t!(self.i18n, l, "rank-organization")
        } else {
            self.tree().path(scope, l)
        }
    }

    /// The time of a next lesson as the member reads it ("明天（周二）07:30", "today at
    /// 7:30 am"; the zone is their own, so not named), or "not scheduled".
    pub fn when_label(&self, member: &Member, at: Option<DateTime<Utc>>) -> String {
        match at {
            Some(at) => self.i18n.when(
                member.locale,
                &crate::domain::when::when(self.now(), at, member.timezone, member.timezone),
            ),
            None => t!(self.i18n, member.locale, "when-never"),
        }
    }

    /// The lessons due in the next 24 hours by due time, with the deliveries already
    /// waiting as a slot due now: what the delivery forecast works on.
    pub async fn delivery_slots(
        &self,
        now: DateTime<Utc>,
    ) -> Result<Vec<crate::domain::capacity::Slot>> {
        use crate::domain::capacity::Slot;
        let mut slots: Vec<Slot> = self
            .store
            .upcoming_lessons(now, now + chrono::Duration::hours(24))
            .await?
            .into_iter()
            .map(|(due, n)| Slot {
                due,
                members: u64::try_from(n).unwrap_or(0),
            })
            .collect();
        let backlog = self.store.due_backlog(now).await?;
        if backlog > 0 {
            slots.push(Slot {
                due: now,
                // Rows, not members: counted as lessons.
                members: u64::try_from(backlog).unwrap_or(0),
            });
        }
        Ok(slots)
    }
}

/// `2026-11-25 07:30` in the member's zone.
pub fn local_time_label(at: DateTime<Utc>, tz: Tz) -> String {
    at.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string()
}

/// Buttons one under the other.
pub fn keyboard_column(buttons: Vec<Button>) -> Keyboard {
    buttons.into_iter().map(|b| vec![b]).collect()
}
