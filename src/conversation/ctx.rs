//! What every feature may use: the store, the lessons, the messages, the clock, the
//! settings and the organization tree (swapped when an admin edits it), with the few
//! helpers that only need those. A feature holds it as `Arc<Ctx>`; what only some
//! features need (the points rules, the poster renderer, another feature) they hold
//! themselves.

use std::sync::{Arc, Mutex, RwLock};

use chrono::{DateTime, NaiveTime, Utc};
use chrono_tz::Tz;

use super::{Replies, Result};
use crate::channel::{Button, Keyboard, Outbound};
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

    /// The answer that is one text: the message `key` in `l`, without arguments.
    pub fn reply(&self, l: Locale, key: &str) -> Replies {
        vec![Outbound::text(t!(self.i18n, l, key))]
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

    /// The day of `at` as the member reads it (`今天`, `昨天`, `周四`, `11月24日（周二）`).
    pub fn day_label(&self, member: &Member, at: DateTime<Utc>) -> String {
        let tz = member.timezone;
        let today = self.now().with_timezone(&tz).date_naive();
        let day = crate::domain::when::day_of(today, at.with_timezone(&tz).date_naive());
        self.i18n.day(member.locale, day)
    }

    /// The branch an admin means: its id, else its name or part of it at any level, in
    /// any language ("柳村", "桃花村").
    pub fn find_branch(&self, query: &str) -> Found<String> {
        let tree = self.tree();
        if tree.get(query).is_some() {
            return Found::One(query.to_string());
        }
        Found::of(
            tree.search(query)
                .into_iter()
                .map(|b| b.id.clone())
                .collect(),
        )
    }

    /// The topic of the current course an admin means: its id, else its title or part of
    /// it in any language ("防骗").
    pub fn find_topic(&self, query: &str) -> Found<String> {
        let Some(course) = self.course() else {
            return Found::None;
        };
        if course.topic(query).is_some() {
            return Found::One(query.to_string());
        }
        let q: String = query
            .chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect();
        if q.is_empty() {
            return Found::None;
        }
        let form = |t: &str| -> String {
            t.chars()
                .filter(|c| c.is_alphanumeric())
                .flat_map(char::to_lowercase)
                .collect()
        };
        let exact: Vec<String> = course
            .topics
            .iter()
            .filter(|t| t.titles.values().any(|title| form(title) == q))
            .map(|t| t.id.clone())
            .collect();
        if !exact.is_empty() {
            return Found::of(exact);
        }
        Found::of(
            course
                .topics
                .iter()
                .filter(|t| t.titles.values().any(|title| form(title).contains(&q)))
                .map(|t| t.id.clone())
                .collect(),
        )
    }

    /// The member an admin means on the admin's channel: the id shown by /me (the chat
    /// id), else their name or part of it.
    pub async fn find_member(&self, channel: &str, query: &str) -> Result<Found<Member>> {
        if let Some(m) = self.store.member_by_chat(channel, query).await? {
            return Ok(Found::One(m));
        }
        Ok(Found::of(
            self.store
                .members_named(channel, query, MAX_CHOICES as i64 + 1)
                .await?,
        ))
    }

    /// Buttons that run `command` again with each of `choices` as its arguments (labels
    /// first), leaving out any whose data would not fit a button.
    pub fn rerun_buttons(
        &self,
        command: crate::conversation::command::Command,
        choices: Vec<(String, String)>,
    ) -> Keyboard {
        choices
            .into_iter()
            .filter_map(|(label, args)| {
                let action = crate::conversation::action::Action::Rerun { command, args };
                (action.encode().len() <= crate::conversation::action::MAX_DATA_BYTES)
                    .then(|| vec![action.button(label)])
            })
            .collect()
    }

    /// "“柳村” fits several: which one?" with a button per choice (`label`, `value`) that
    /// runs `command` again with `query`'s word in `args` replaced by the value.
    pub fn choose(
        &self,
        member: &Member,
        command: crate::conversation::command::Command,
        args: &str,
        query: &str,
        choices: Vec<(String, String)>,
    ) -> Vec<crate::channel::Outbound> {
        let with = |value: &str| -> String {
            args.split_whitespace()
                .map(|w| if w == query { value } else { w })
                .collect::<Vec<_>>()
                .join(" ")
        };
        let choices = choices
            .into_iter()
            .map(|(label, value)| (label, with(&value)))
            .collect();
        vec![crate::channel::Outbound::with_buttons(
            t!(
                self.i18n,
                member.locale,
                "admin-which",
                query = crate::content::markdown::escape_excerpt(query)
            ),
            self.rerun_buttons(command, choices),
        )]
    }

    /// Branches to choose from, by their paths.
    pub fn choose_branch(
        &self,
        member: &Member,
        command: crate::conversation::command::Command,
        args: &str,
        query: &str,
        ids: Vec<String>,
    ) -> Vec<crate::channel::Outbound> {
        let tree = self.tree();
        let choices = ids
            .into_iter()
            .map(|id| (tree.path(&id, member.locale), id))
            .collect();
        self.choose(member, command, args, query, choices)
    }

    /// When the member's next lesson comes: the earliest next lesson time of their open
    /// enrollments (None: no lesson is planned).
    pub async fn next_due(&self, member: &Member) -> Result<Option<DateTime<Utc>>> {
        Ok(self
            .store
            .enrollments_of(member.id)
            .await?
            .into_iter()
            .filter(|e| e.completed_at.is_none())
            .filter_map(|e| e.next_due_at)
            .min())
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

/// What an admin's name for a branch, a topic or a member stands for.
#[derive(Debug, Clone, PartialEq)]
pub enum Found<T> {
    One(T),
    /// Several match: the admin chooses (at most [`MAX_CHOICES`]).
    Many(Vec<T>),
    None,
}

/// Choices offered when a name fits several.
pub const MAX_CHOICES: usize = 8;

impl<T> Found<T> {
    fn of(mut all: Vec<T>) -> Found<T> {
        match all.len() {
            0 => Found::None,
            1 => Found::One(all.remove(0)),
            _ => {
                all.truncate(MAX_CHOICES);
                Found::Many(all)
            }
        }
    }
}

/// Buttons one under the other.
pub fn keyboard_column(buttons: Vec<Button>) -> Keyboard {
    buttons.into_iter().map(|b| vec![b]).collect()
}

/// How many choices one page of a long list shows: within every channel's keyboard, with
/// room for the rows around them.
pub const PAGE_SIZE: usize = 8;

/// One page of a long list of choices.
#[derive(Debug)]
pub struct Page {
    /// The page's choices one under the other, then "previous" and "next" where there are
    /// more.
    pub rows: Keyboard,
    /// Which page this is (0-based, within the list).
    pub page: usize,
    /// How many pages the list has (at least 1).
    pub pages: usize,
}

impl Ctx {
    /// Page `page` of `choices` (the last one when the list has become shorter),
    /// [`PAGE_SIZE`] at a time; `to` makes the button data that shows another page.
    pub fn page_of(
        &self,
        locale: crate::domain::Locale,
        choices: Vec<Button>,
        page: u16,
        to: impl Fn(u16) -> super::action::Action,
    ) -> Page {
        let pages = choices.len().div_ceil(PAGE_SIZE).max(1);
        let page = usize::from(page).min(pages - 1);
        let mut rows = keyboard_column(
            choices
                .into_iter()
                .skip(page * PAGE_SIZE)
                .take(PAGE_SIZE)
                .collect(),
        );
        let number = |p: usize| u16::try_from(p).unwrap_or(u16::MAX);
        let mut paging = Vec::new();
        if page > 0 {
            paging.push(to(number(page - 1)).button(t!(self.i18n, locale, "page-previous")));
        }
        if page + 1 < pages {
            paging.push(to(number(page + 1)).button(t!(self.i18n, locale, "page-next")));
        }
        if !paging.is_empty() {
            rows.push(paging);
        }
        Page { rows, page, pages }
    }
}
