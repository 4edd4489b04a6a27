//! Onboarding and settings: `/start`, `/settings`, and the steps both go through
//! (language, name, branch, lesson time, time zone), by button or typed.

use std::sync::Arc;

use chrono::{NaiveTime, Timelike};
use chrono_tz::Tz;

use super::lessons::Lessons;
use crate::channel::{Button, Keyboard, Outbound};
use crate::content::markdown::{escape_excerpt, escape_html};
use crate::conversation::action::{Action, Setting};
use crate::conversation::ctx::{Ctx, Page, keyboard_column};
use crate::conversation::{Replies, Result};
use crate::domain::capacity::{ON_TIME, advise};
use crate::domain::member::{MAX_NAME_CHARS, NameProblem, validate_display_name};
use crate::domain::schedule::{DaySchedule, next_lesson_at};
use crate::domain::text::ShownTextProblem;
use crate::domain::time_input::{TimeReading, read_time};
use crate::domain::when::Clock;
use crate::domain::zone::read_zone;
use crate::domain::{Dialog, Locale, Member};
use crate::i18n::I18n;
use crate::t;

/// Onboarding and settings dialogs.
pub struct Onboarding {
    ctx: Arc<Ctx>,
    /// Enrollment and the next lesson's time; `/start` again shows `/me`.
    lessons: Arc<Lessons>,
}

impl Onboarding {
    pub fn new(ctx: Arc<Ctx>, lessons: Arc<Lessons>) -> Self {
        Self { ctx, lessons }
    }

    /// `/start`: the first step of onboarding, or a greeting and `/me` once onboarded.
    pub async fn start(&self, member: &mut Member) -> Result<Replies> {
        let l = member.locale;
        if member.onboarded {
            let mut replies = vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "start-again",
                name = escape_html(member.display_name.as_deref().unwrap_or_default())
            ))];
            replies.extend(self.lessons.me(member).await?);
            return Ok(replies);
        }
        member.dialog = Dialog::Language { onboarding: true };
        self.ctx.save(member).await?;
        let mut replies = self.ctx.reply(l, "welcome");
        replies.extend(self.ask(member));
        Ok(replies)
    }

    /// `/settings`: the menu of settings.
    pub async fn settings(&self, member: &mut Member) -> Result<Replies> {
        member.dialog = Dialog::Idle;
        self.ctx.save(member).await?;
        Ok(vec![self.settings_menu(member)])
    }

    /// A button of the settings menu: the question of that setting.
    pub async fn setting(&self, member: &mut Member, setting: Setting) -> Result<Replies> {
        let onboarding = false;
        member.dialog = match setting {
            Setting::Language => Dialog::Language { onboarding },
            Setting::Name => Dialog::Name { onboarding },
            Setting::Branch => Dialog::Branch {
                onboarding,
                parent: None,
                page: 0,
            },
            Setting::LessonTime => Dialog::LessonTime { onboarding },
            Setting::TimeZone => Dialog::TimeZone { onboarding },
        };
        self.ctx.save(member).await?;
        Ok(self.ask(member))
    }

    /// A button answering the member's current step; None when it does not answer it (the
    /// button is out of date).
    pub async fn button(&self, member: &mut Member, action: Action) -> Result<Option<Replies>> {
        let replies = match (action, member.dialog.clone()) {
            (Action::Language(locale), Dialog::Language { onboarding }) => {
                self.set_language(member, locale, onboarding).await?
            }
            (
                action @ (Action::Branch(_)
                | Action::BranchHere(_)
                | Action::BranchUp
                | Action::BranchPage { .. }),
                Dialog::Branch { onboarding, .. },
            ) => self.branch_choice(member, onboarding, &action).await?,
            (Action::KeepLessonTime, Dialog::LessonTime { onboarding }) => {
                self.set_time(member, member.lesson_time, onboarding)
                    .await?
            }
            (Action::SetLessonTime(time), Dialog::LessonTime { onboarding }) => {
                self.set_time(member, time, onboarding).await?
            }
            // The on-time slot offered after a time was chosen (the dialog is over).
            (Action::SetLessonTime(time), Dialog::Idle) if member.onboarded => {
                self.set_time(member, time, false).await?
            }
            (Action::TimeZone(tz), Dialog::TimeZone { onboarding }) => {
                self.set_timezone(member, tz, onboarding).await?
            }
            _ => return Ok(None),
        };
        Ok(Some(replies))
    }

    /// Typed text in one of the onboarding or settings steps (None: the member is in none
    /// of them).
    pub async fn text(&self, member: &mut Member, text: &str) -> Result<Option<Replies>> {
        let l = member.locale;
        let replies = match member.dialog.clone() {
            Dialog::Idle | Dialog::Broadcast { .. } => return Ok(None),
            Dialog::Language { onboarding } => {
                let choice = pick_by_number_or_label(text, &language_buttons(&self.ctx.i18n))
                    .and_then(|action| match action {
                        Action::Language(locale) => Some(locale),
                        _ => None,
                    })
                    .or_else(|| Locale::read_name(text));
                match choice {
                    Some(locale) => self.set_language(member, locale, onboarding).await,
                    None => {
                        let mut r = self.ctx.reply(l, "language-invalid");
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
                            page: 0,
                        }
                    } else {
                        Dialog::Idle
                    };
                    self.ctx.save(member).await?;
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
                        self.ctx.i18n,
                        l,
                        key,
                        max = MAX_NAME_CHARS
                    ))])
                }
            },
            Dialog::Branch {
                onboarding,
                parent,
                page,
            } => {
                // A number counts the buttons as shown: those of the page, then the rest.
                let buttons: Vec<Button> = self
                    .branch_keyboard(l, parent.as_deref(), page)
                    .0
                    .into_iter()
                    .flatten()
                    .collect();
                let found: Vec<String> = self
                    .ctx
                    .tree()
                    .search(text)
                    .into_iter()
                    .map(|b| b.id.clone())
                    .collect();
                match pick_by_number_or_label(text, &buttons) {
                    Some(action) => self.branch_choice(member, onboarding, &action).await,
                    // Typed as part of a name, at any level: one is taken, several offered.
                    None if found.len() == 1 => {
                        let action = Action::Branch(found[0].clone());
                        self.branch_choice(member, onboarding, &action).await
                    }
                    None if found.len() > 1 => Ok(vec![self.branch_matches(l, text, &found)]),
                    None => {
                        let mut r = vec![Outbound::text(t!(
                            self.ctx.i18n,
                            l,
                            "branch-not-found",
                            input = escape_excerpt(text)
                        ))];
                        r.extend(self.ask(member));
                        Ok(r)
                    }
                }
            }
            Dialog::LessonTime { onboarding } => match read_time(text) {
                Some(TimeReading::Clear(time)) => self.set_time(member, time, onboarding).await,
                // Small hours, or a bare number that may have been meant as a button: asked.
                Some(TimeReading::Confirm(time)) => {
                    let shown = self
                        .ctx
                        .i18n
                        .clock(l, Clock::of(time.hour(), time.minute()));
                    Ok(vec![Outbound::with_buttons(
                        t!(self.ctx.i18n, l, "time-confirm", time = shown.clone()),
                        vec![vec![Action::SetLessonTime(time).button(t!(
                            self.ctx.i18n,
                            l,
                            "time-confirm-yes",
                            time = shown
                        ))]],
                    )])
                }
                None => Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "time-invalid",
                    input = escape_excerpt(text)
                ))]),
            },
            Dialog::TimeZone { onboarding } => match read_zone(text) {
                Some(tz) => self.set_timezone(member, tz, onboarding).await,
                None => Ok(vec![Outbound::text(t!(
                    self.ctx.i18n,
                    l,
                    "timezone-invalid",
                    input = escape_excerpt(text)
                ))]),
            },
        };
        replies.map(Some)
    }

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
        self.ctx.save(member).await?;
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
        self.ctx.save(member).await?;
        if !onboarding {
            self.lessons.reschedule(member).await?;
        }
        let mut replies = self.after_step(member, onboarding).await?;
        replies.extend(self.busy_slot_hint(member).await?);
        Ok(replies)
    }

    /// When the member's lesson time is in a slot that the channel cannot serve within
    /// half an hour (see `domain::capacity`), they are told the expected delay and offered
    /// the nearest time that is on time (one button; the time they chose stays).
    async fn busy_slot_hint(&self, member: &Member) -> Result<Replies> {
        let now = self.ctx.now();
        let Some(chosen) = next_lesson_at(
            &DaySchedule::every_day(),
            member.lesson_time,
            member.timezone,
            now,
        ) else {
            return Ok(Vec::new());
        };
        let slots = self.ctx.delivery_slots(now).await?;
        let settings = &self.ctx.settings;
        let (wait, better) = advise(
            &slots,
            chosen,
            settings.messages_per_lesson,
            settings.delivery_rate,
        );
        if wait <= ON_TIME {
            return Ok(Vec::new());
        }
        let l = member.locale;
        let time = member.lesson_time.format("%H:%M").to_string();
        let minutes = wait.num_minutes();
        Ok(vec![match better {
            Some(at) => {
                let local = at.with_timezone(&member.timezone).time();
                let better = local.format("%H:%M").to_string();
                Outbound::with_buttons(
                    t!(
                        self.ctx.i18n,
                        l,
                        "time-slot-busy",
                        time = time,
                        minutes = minutes,
                        better = better.clone()
                    ),
                    vec![vec![Action::SetLessonTime(local).button(t!(
                        self.ctx.i18n,
                        l,
                        "time-slot-take",
                        time = better
                    ))]],
                )
            }
            None => Outbound::text(t!(
                self.ctx.i18n,
                l,
                "time-slot-busy-no-other",
                time = time,
                minutes = minutes
            )),
        }])
    }

    async fn set_timezone(&self, member: &mut Member, tz: Tz, onboarding: bool) -> Result<Replies> {
        member.timezone = tz;
        member.dialog = Dialog::Idle;
        if onboarding {
            return self.finish_onboarding(member).await;
        }
        self.ctx.save(member).await?;
        self.lessons.reschedule(member).await?;
        self.after_step(member, onboarding).await
    }

    async fn branch_choice(
        &self,
        member: &mut Member,
        onboarding: bool,
        action: &Action,
    ) -> Result<Replies> {
        let tree = self.ctx.tree();
        let (parent, page, chosen) = match action {
            Action::BranchUp => {
                let shown = match &member.dialog {
                    Dialog::Branch { parent, .. } => parent.clone(),
                    _ => None,
                };
                let up = shown
                    .as_deref()
                    .and_then(|p| tree.get(p))
                    .and_then(|b| b.parent_id.clone());
                (up, 0, None)
            }
            Action::BranchPage { parent, page } => (parent.clone(), *page, None),
            // A branch with branches under it opens them.
            Action::Branch(id) if tree.get(id).is_some() && !tree.is_leaf(id) => {
                (Some(id.clone()), 0, None)
            }
            Action::Branch(id) | Action::BranchHere(id) => (None, 0, Some(id)),
            _ => return Ok(self.ask(member)),
        };
        let Some(id) = chosen else {
            member.dialog = Dialog::Branch {
                onboarding,
                parent: parent.filter(|p| tree.get(p).is_some()),
                page,
            };
            self.ctx.save(member).await?;
            return Ok(self.ask(member));
        };
        if tree.get(id).is_none() {
            return Ok(vec![Outbound::text(t!(
                self.ctx.i18n,
                member.locale,
                "branch-not-found",
                input = escape_excerpt(id)
            ))]);
        }
        member.branch_id = Some(id.to_string());
        member.dialog = if onboarding {
            Dialog::LessonTime { onboarding }
        } else {
            Dialog::Idle
        };
        self.ctx.save(member).await?;
        let mut r = vec![Outbound::text(t!(
            self.ctx.i18n,
            member.locale,
            "branch-chosen",
            branch = escape_html(&tree.path(id, member.locale))
        ))];
        r.extend(self.after_step(member, onboarding).await?);
        Ok(r)
    }

    /// After a step: the next question (onboarding) or a confirmation (settings).
    async fn after_step(&self, member: &Member, onboarding: bool) -> Result<Replies> {
        if onboarding {
            return Ok(self.ask(member));
        }
        Ok(vec![
            Outbound::text(t!(self.ctx.i18n, member.locale, "settings-saved")),
            self.settings_menu(member),
        ])
    }

    async fn finish_onboarding(&self, member: &mut Member) -> Result<Replies> {
        member.onboarded = true;
        member.dialog = Dialog::Idle;
        self.ctx.save(member).await?;
        let l = member.locale;
        let Some(course) = self.ctx.course() else {
            return Ok(self.ctx.reply(l, "lesson-gone"));
        };
        let next = self.lessons.enroll(member, course).await?;
        Ok(vec![Outbound::text(t!(
            self.ctx.i18n,
            l,
            "onboarding-done",
            name = escape_html(member.display_name.as_deref().unwrap_or_default()),
            branch = escape_html(&self.ctx.branch_label(member)),
            course = escape_html(course.title(l)),
            when = self.ctx.when_label(member, next)
        ))])
    }

    /// The question for the member's current dialog step.
    pub fn ask(&self, member: &Member) -> Replies {
        let l = member.locale;
        let text = |key: &str| t!(self.ctx.i18n, l, key);
        match &member.dialog {
            Dialog::Idle | Dialog::Broadcast { .. } => Vec::new(),
            Dialog::Language { .. } => vec![Outbound::with_buttons(
                text("ask-language"),
                vec![language_buttons(&self.ctx.i18n)],
            )],
            Dialog::Name { .. } => vec![Outbound::text(t!(
                self.ctx.i18n,
                l,
                "ask-name",
                max = MAX_NAME_CHARS
            ))],
            Dialog::Branch { parent, page, .. } => {
                let (rows, shown) = self.branch_keyboard(l, parent.as_deref(), *page);
                let tree = self.ctx.tree();
                let mut prompt = match parent.as_deref().and_then(|p| tree.get(p)) {
                    Some(p) => t!(
                        self.ctx.i18n,
                        l,
                        "ask-branch-in",
                        parent = escape_html(&self.ctx.tree().path(&p.id, l))
                    ),
                    None => text("ask-branch"),
                };
                if shown.pages > 1 {
                    prompt.push('\n');
                    prompt.push_str(&t!(
                        self.ctx.i18n,
                        l,
                        "page-of",
                        page = shown.page + 1,
                        pages = shown.pages
                    ));
                }
                vec![Outbound::with_buttons(prompt, rows)]
            }
            Dialog::LessonTime { .. } => {
                let time = member.lesson_time.format("%H:%M").to_string();
                vec![Outbound::with_buttons(
                    t!(self.ctx.i18n, l, "ask-time", time = time.clone()),
                    vec![vec![Action::KeepLessonTime.button(t!(
                        self.ctx.i18n,
                        l,
                        "keep-time",
                        time = time
                    ))]],
                )]
            }
            Dialog::TimeZone { .. } => {
                let mut zones = vec![member.timezone];
                for tz in &self.ctx.settings.timezone_choices {
                    if !zones.contains(tz) {
                        zones.push(*tz);
                    }
                }
                let buttons = zones
                    .iter()
                    .enumerate()
                    .map(|(i, tz)| {
                        let label = if i == 0 {
                            t!(
                                self.ctx.i18n,
                                l,
                                "keep-timezone",
                                tz = self.ctx.i18n.zone_name(l, *tz)
                            )
                        } else {
                            self.ctx.i18n.zone_name(l, *tz)
                        };
                        Action::TimeZone(*tz).button(label)
                    })
                    .collect();
                vec![Outbound::with_buttons(
                    t!(
                        self.ctx.i18n,
                        l,
                        "ask-timezone",
                        tz = self.ctx.i18n.zone_name(l, member.timezone)
                    ),
                    keyboard_column(buttons),
                )]
            }
        }
    }

    /// Several branches match what the member typed: each as a button with its path.
    fn branch_matches(&self, l: Locale, typed: &str, ids: &[String]) -> Outbound {
        const SHOWN: usize = 8;
        let tree = self.ctx.tree();
        let buttons = ids
            .iter()
            .take(SHOWN)
            .map(|id| Action::Branch(id.clone()).button(tree.path(id, l)))
            .collect();
        Outbound::with_buttons(
            t!(
                self.ctx.i18n,
                l,
                "branch-matches",
                input = escape_excerpt(typed),
                count = ids.len()
            ),
            keyboard_column(buttons),
        )
    }

    /// The branch picker's keyboard for page `page` of the branches under `parent` (the
    /// top level when None): a page of branches (a branch with branches under it opens
    /// them), "this one" to pick the parent itself, paging, and a way up. With the page it
    /// shows, and how many there are.
    fn branch_keyboard(&self, locale: Locale, parent: Option<&str>, page: u16) -> (Keyboard, Page) {
        let tree = self.ctx.tree();
        let choices: Vec<Button> = tree
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
        let mut shown = self
            .ctx
            .page_of(locale, choices, page, |page| Action::BranchPage {
                parent: parent.map(str::to_string),
                page,
            });
        let mut rows = std::mem::take(&mut shown.rows);
        if let Some(p) = parent.and_then(|p| tree.get(p)) {
            rows.push(vec![Action::BranchHere(p.id.clone()).button(t!(
                self.ctx.i18n,
                locale,
                "branch-this",
                branch = p.name_in(locale)
            ))]);
            rows.push(vec![Action::BranchUp.button(t!(
                self.ctx.i18n,
                locale,
                "branch-up"
            ))]);
        }
        (rows, shown)
    }

    fn settings_menu(&self, member: &Member) -> Outbound {
        let l = member.locale;
        let b = |key: &str, setting: Setting| {
            Action::Setting(setting).button(t!(self.ctx.i18n, l, key))
        };
        Outbound::with_buttons(
            t!(
                self.ctx.i18n,
                l,
                "settings-menu",
                name = escape_html(member.display_name.as_deref().unwrap_or_default()),
                branch = escape_html(&self.ctx.branch_label(member)),
                language = language_label(&self.ctx.i18n, l),
                time = member.lesson_time.format("%H:%M").to_string(),
                tz = self.ctx.i18n.zone_name(l, member.timezone)
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
