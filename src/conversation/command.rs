//! The commands members and admins type, as one type: parsed in one place (with their
//! arguments and a chat app's `@botname` suffix), listed in one place, and the source of
//! the command menu and of `/help` and `/admin` in every language.

use crate::channel::LanguageMenu;
use crate::domain::Locale;
use crate::i18n::I18n;
use crate::t;

/// A command. Its [`Command::name`] is what is typed after `/`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Command {
    // Members.
    Start,
    Today,
    Me,
    Rank,
    Poster,
    Nearby,
    Away,
    Home,
    ForgetLocation,
    Settings,
    Pause,
    Resume,
    Help,
    /// Drops the announcement being written (not in the menu).
    Cancel,
    // Admins.
    Admin,
    Admins,
    Grant,
    Revoke,
    QuizTest,
    Broadcast,
    Broadcasts,
    Tag,
    Untag,
    Stats,
    Export,
    Branches,
    BranchAdd,
    BranchRename,
    BranchRemove,
    Venues,
    VenueAdd,
    VenueEdit,
    VenueRemove,
    ActivityAdd,
    ActivityEdit,
    ActivityCancel,
    VenueStats,
    /// The delivery forecast of the next 24 hours.
    Capacity,
}

/// A command as typed: the command and the rest of the line (trimmed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invocation<'a> {
    pub command: Command,
    pub args: &'a str,
}

/// What a line starting with `/` was, when it is not one of the commands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownCommand(pub String);

impl Command {
    /// The members' commands, in the order of the menu.
    pub const MEMBER: [Command; 13] = [
        Command::Start,
        Command::Today,
        Command::Me,
        Command::Rank,
        Command::Poster,
        Command::Nearby,
        Command::Away,
        Command::Home,
        Command::ForgetLocation,
        Command::Settings,
        Command::Pause,
        Command::Resume,
        Command::Help,
    ];

    /// The admins' commands, in the order of `/admin`.
    pub const ADMIN: [Command; 24] = [
        Command::Admin,
        Command::Admins,
        Command::Grant,
        Command::Revoke,
        Command::Broadcast,
        Command::Broadcasts,
        Command::Tag,
        Command::Untag,
        Command::QuizTest,
        Command::Stats,
        Command::Export,
        Command::Branches,
        Command::BranchAdd,
        Command::BranchRename,
        Command::BranchRemove,
        Command::Venues,
        Command::VenueAdd,
        Command::VenueEdit,
        Command::VenueRemove,
        Command::ActivityAdd,
        Command::ActivityEdit,
        Command::ActivityCancel,
        Command::VenueStats,
        Command::Capacity,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Command::Start => "start",
            Command::Today => "today",
            Command::Me => "me",
            Command::Rank => "rank",
            Command::Poster => "poster",
            Command::Nearby => "nearby",
            Command::Away => "away",
            Command::Home => "home",
            Command::ForgetLocation => "forget_location",
            Command::Settings => "settings",
            Command::Pause => "pause",
            Command::Resume => "resume",
            Command::Help => "help",
            Command::Cancel => "cancel",
            Command::Admin => "admin",
            Command::Admins => "admins",
            Command::Grant => "grant",
            Command::Revoke => "revoke",
            Command::QuizTest => "quiztest",
            Command::Broadcast => "broadcast",
            Command::Broadcasts => "broadcasts",
            Command::Tag => "tag",
            Command::Untag => "untag",
            Command::Stats => "stats",
            Command::Export => "export",
            Command::Branches => "branches",
            Command::BranchAdd => "branch_add",
            Command::BranchRename => "branch_rename",
            Command::BranchRemove => "branch_remove",
            Command::Venues => "venues",
            Command::VenueAdd => "venue_add",
            Command::VenueEdit => "venue_edit",
            Command::VenueRemove => "venue_remove",
            Command::ActivityAdd => "activity_add",
            Command::ActivityEdit => "activity_edit",
            Command::ActivityCancel => "activity_cancel",
            Command::VenueStats => "venue_stats",
            Command::Capacity => "capacity",
        }
    }

    /// Every command.
    pub fn all() -> impl Iterator<Item = Command> {
        Command::MEMBER
            .into_iter()
            .chain([Command::Cancel])
            .chain(Command::ADMIN)
    }

    pub fn from_name(name: &str) -> Option<Command> {
        Command::all().find(|c| c.name() == name)
    }

    /// Whether only admins may use it: the router refuses it (and audits the attempt) to a
    /// member without an admin role. Every command is an admin's but those named here, so
    /// that a new command is refused to members until it is said to be theirs (fail closed;
    /// a test checks that [`Command::MEMBER`] and [`Command::ADMIN`] agree).
    pub fn is_admin(self) -> bool {
        !matches!(
            self,
            Command::Start
                | Command::Today
                | Command::Me
                | Command::Rank
                | Command::Poster
                | Command::Nearby
                | Command::Away
                | Command::Home
                | Command::ForgetLocation
                | Command::Settings
                | Command::Pause
                | Command::Resume
                | Command::Help
                | Command::Cancel
        )
    }

    /// The message key of its short description in the command menu.
    pub fn menu_key(self) -> String {
        format!("command-{}", self.name())
    }

    /// The message key of its line in `/help` or `/admin`.
    pub fn help_key(self) -> String {
        format!("help-{}", self.name())
    }

    /// Reads `/name@bot args`; None if the text is not a command at all.
    pub fn parse(text: &str) -> Option<Result<Invocation<'_>, UnknownCommand>> {
        let rest = text.trim_start().strip_prefix('/')?;
        let (head, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
        let name = head.split('@').next().unwrap_or(head).to_lowercase();
        if name.is_empty() {
            return None;
        }
        Some(match Command::from_name(&name) {
            Some(command) => Ok(Invocation {
                command,
                args: args.trim(),
            }),
            None => Err(UnknownCommand(name)),
        })
    }
}

/// `/help` or `/admin`: a header and one line per command (its `help-<name>` message),
/// in `locale`.
pub fn help_text(
    i18n: &I18n,
    locale: Locale,
    header: &str,
    commands: &[Command],
    footer: Option<&str>,
) -> String {
    let mut lines = vec![t!(i18n, locale, header)];
    lines.extend(commands.iter().map(|c| t!(i18n, locale, &c.help_key())));
    lines.extend(footer.map(|f| t!(i18n, locale, f)));
    lines.join("\n")
}

/// The members' command menu in each language, for channels that show one.
pub fn menu(i18n: &I18n) -> Vec<LanguageMenu> {
    Locale::ALL
        .into_iter()
        .map(|l| {
            let list = Command::MEMBER
                .iter()
                .map(|c| (c.name().to_string(), t!(i18n, l, &c.menu_key())))
                .collect();
            (l, list)
        })
        .collect()
}

/// The commands a member who typed `text` most likely meant, best first, at most `n`:
/// those whose description (`describe`, in the member's language) shares the most words
/// or Chinese characters with the text, then `/today`, `/me` and `/help`.
pub fn suggest(text: &str, describe: impl Fn(Command) -> String, n: usize) -> Vec<Command> {
    // Characters that say nothing about what is wanted.
    const FILLER: &str = "的了吗呢吧啊呀我你您是在有和要想请问怎么什么一个这那个就也都还";
    let text = text.to_lowercase();
    let cjk: Vec<char> = text
        .chars()
        .filter(|c| !c.is_ascii() && c.is_alphanumeric() && !FILLER.contains(*c))
        .collect();
    let words: Vec<&str> = text
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| w.len() >= 3)
        .collect();
    let mut scored: Vec<(usize, usize, Command)> = Command::MEMBER
        .iter()
        .enumerate()
        .filter(|(_, c)| **c != Command::Start)
        .map(|(order, c)| {
            let described = format!("{} {}", c.name(), describe(*c)).to_lowercase();
            let score = cjk.iter().filter(|ch| described.contains(**ch)).count()
                + 2 * words
                    .iter()
                    .filter(|w| {
                        described
                            .split(|c: char| !c.is_ascii_alphanumeric())
                            .any(|d| d.len() >= 3 && (d.starts_with(**w) || w.starts_with(d)))
                    })
                    .count();
            (score, order, *c)
        })
        .filter(|(score, _, _)| *score > 0)
        .collect();
    scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut out: Vec<Command> = scored.into_iter().map(|(_, _, c)| c).collect();
    for fallback in [Command::Today, Command::Me, Command::Help] {
        if !out.contains(&fallback) {
            out.push(fallback);
        }
    }
    out.truncate(n);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_follow_the_words_typed() {
        let describe = |c: Command| match c {
            Command::Rank => "积分排行 ranking of points".to_string(),
            Command::Nearby => "附近的活动 activities near you".to_string(),
            Command::Pause => "暂停推送 pause the lessons".to_string(),
            Command::Poster => "我的学习海报 my learning poster".to_string(),
            Command::Today => "再看今天的课 today's lesson again".to_string(),
            _ => String::new(),
        };
        assert_eq!(suggest("我想看排行", describe, 3)[0], Command::Rank);
        assert_eq!(suggest("附近有什么活动", describe, 3)[0], Command::Nearby);
        assert_eq!(
            suggest("show me the ranking", describe, 3)[0],
            Command::Rank
        );
        assert_eq!(suggest("海报", describe, 3)[0], Command::Poster);
        assert_eq!(
            suggest("please pause the lessons", describe, 3)[0],
            Command::Pause
        );
        // Nothing in common: the usual three.
        assert_eq!(
            suggest("嗯嗯", describe, 3),
            vec![Command::Today, Command::Me, Command::Help]
        );
        assert_eq!(suggest("xyz", describe, 2).len(), 2);
        // A match ranks first and the rest are filled from the usual ones.
        assert_eq!(
            suggest("排行", describe, 3),
            vec![Command::Rank, Command::Today, Command::Me]
        );
    }

    #[test]
    fn names_are_unique_and_parse_back() {
        let mut seen = std::collections::HashSet::new();
        for c in Command::all() {
            assert!(seen.insert(c.name()), "{c:?}");
            assert_eq!(Command::from_name(c.name()), Some(c));
            // Telegram: 1-32 characters of a-z, 0-9 and _.
            assert!(
                (1..=32).contains(&c.name().len())
                    && c.name()
                        .chars()
                        .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_'),
                "{c:?}"
            );
        }
        assert_eq!(seen.len(), 38);
        assert!(Command::ADMIN.iter().all(|c| c.is_admin()));
        assert!(!Command::MEMBER.iter().any(|c| c.is_admin()));
    }

    #[test]
    fn commands_are_parsed_with_bot_names_and_args() {
        let parsed = |t| Command::parse(t).map(|r| r.map(|i| (i.command, i.args.to_string())));
        assert_eq!(parsed("/start"), Some(Ok((Command::Start, String::new()))));
        assert_eq!(
            parsed("/nearby@weike_bot  25 "),
            Some(Ok((Command::Nearby, "25".into())))
        );
        assert_eq!(
            parsed("/STATS qingshan season"),
            Some(Ok((Command::Stats, "qingshan season".into())))
        );
        assert_eq!(
            parsed("/frobnicate now"),
            Some(Err(UnknownCommand("frobnicate".into())))
        );
        assert_eq!(parsed("hello"), None);
        assert_eq!(parsed("/"), None);
        assert_eq!(parsed("/@bot"), None);
    }
}
