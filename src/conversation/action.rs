//! Button payloads as one type. Every button the bot makes carries an [`Action`]; its data
//! is made by [`Action::encode`] and read by [`Action::decode`], and nowhere else. The text
//! form is kept short and stable (buttons stay in members' chats for months): a payload
//! that does not decode (forged, from an older version, too long) is answered "this button
//! is out of date".

use chrono::NaiveTime;
use chrono_tz::Tz;

use super::command::Command;
use crate::domain::Locale;
use crate::domain::audience::Audience;
use crate::domain::schedule::parse_time_zone;

/// Telegram's limit for callback data (and ours for every channel).
pub const MAX_DATA_BYTES: usize = 64;

/// What pressing a button asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    /// Check in the lesson of a course.
    CheckIn { course: String, lesson: String },
    /// Open one of the settings from the /settings menu.
    Setting(Setting),
    /// The language chosen in the language question.
    Language(Locale),
    /// A branch in the branch question: opened if it has branches under it, else chosen.
    Branch(String),
    /// "This one": the branch whose children are shown is chosen itself.
    BranchHere(String),
    /// Back to the level above in the branch question.
    BranchUp,
    /// Keep the lesson time shown.
    KeepLessonTime,
    /// This lesson time (a confirmed reading of a typed time, or the on-time slot offered
    /// instead of an overloaded one).
    SetLessonTime(NaiveTime),
    /// The time zone chosen.
    TimeZone(Tz),
    /// The answer to "may we store your location?".
    LocationConsent(bool),
    /// Going to an activity.
    Rsvp(String),
    /// Not going after all.
    CancelRsvp(String),
    /// A venue's pin on the map.
    Map(String),
    /// The ranking of the week or the season.
    Rank(RankPeriod),
    /// An admin's broadcast draft: show the choices of one kind of audience.
    BroadcastMenu { draft: i64, menu: AudienceMenu },
    /// An admin's broadcast draft: its audience.
    BroadcastAudience { draft: i64, audience: Audience },
    /// An admin's broadcast draft: send it now, later, or drop it.
    BroadcastSend { draft: i64, step: SendStep },
    /// Cancel what has not been sent yet of a running broadcast.
    BroadcastCancel(i64),
    /// An admin's broadcast draft: one page of the branches under `parent` (None: the top
    /// of the admin's scope), walked level by level.
    BroadcastBranches {
        draft: i64,
        parent: Option<String>,
        page: u16,
    },
    /// Onboarding or settings: one page of the branches under `parent` (None: the top).
    BranchPage { parent: Option<String>, page: u16 },
    /// Run one of the members' commands (a suggestion under "not understood").
    Run(Command),
    /// Run a command again with these arguments: the admin's choice when a name they
    /// typed fits several branches, topics or members.
    Rerun { command: Command, args: String },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setting {
    Language,
    Name,
    Branch,
    LessonTime,
    TimeZone,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RankPeriod {
    Week,
    Season,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AudienceMenu {
    Branch,
    Tags,
    Inactive,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendStep {
    Now,
    Later,
    Drop,
}

/// Why button data was not understood (answered "this button is out of date").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ActionError {
    #[error("button data of {0} bytes is longer than {MAX_DATA_BYTES}")]
    TooLong(usize),
    #[error("button data {0:?} is not one of ours")]
    Unknown(String),
}

impl Setting {
    fn code(self) -> &'static str {
        match self {
            Setting::Language => "lang",
            Setting::Name => "name",
            Setting::Branch => "branch",
            Setting::LessonTime => "time",
            Setting::TimeZone => "tz",
        }
    }
}

impl AudienceMenu {
    fn code(self) -> &'static str {
        match self {
            AudienceMenu::Branch => "branch",
            AudienceMenu::Tags => "tags",
            AudienceMenu::Inactive => "inactive",
        }
    }
}

impl SendStep {
    fn code(self) -> &'static str {
        match self {
            SendStep::Now => "now",
            SendStep::Later => "later",
            SendStep::Drop => "drop",
        }
    }
}

/// Ids carried in button data: non-empty, without the separator.
fn id(value: &str) -> Option<String> {
    (!value.is_empty() && !value.contains(':')).then(|| value.to_string())
}

impl Action {
    /// The button data (at most [`MAX_DATA_BYTES`] for the ids the bot uses: see the tests).
    pub fn encode(&self) -> String {
        match self {
            Action::CheckIn { course, lesson } => format!("ck:{course}:{lesson}"),
            Action::Setting(s) => format!("set:{}", s.code()),
            Action::Language(l) => format!("lang:{}", l.code()),
            Action::Branch(b) => format!("br:{b}"),
            Action::BranchHere(b) => format!("br-this:{b}"),
            Action::BranchUp => "br-up".into(),
            Action::KeepLessonTime => "time:keep".into(),
            Action::SetLessonTime(t) => format!("time:{}", t.format("%H%M")),
            Action::TimeZone(tz) => format!("tz:{}", tz.name()),
            Action::LocationConsent(yes) => if *yes { "loc:yes" } else { "loc:no" }.into(),
            Action::Rsvp(a) => format!("rsvp:{a}"),
            Action::CancelRsvp(a) => format!("unrsvp:{a}"),
            Action::Map(v) => format!("map:{v}"),
            Action::Rank(RankPeriod::Week) => "rank:week".into(),
            Action::Rank(RankPeriod::Season) => "rank:season".into(),
            Action::BroadcastMenu { draft, menu } => format!("bcm:{draft}:{}", menu.code()),
            Action::BroadcastAudience { draft, audience } => {
                format!("bca:{draft}:{}", audience.encode())
            }
            Action::BroadcastSend { draft, step } => format!("bcs:{draft}:{}", step.code()),
            Action::BroadcastCancel(id) => format!("bcx:{id}"),
            Action::BroadcastBranches {
                draft,
                parent,
                page,
            } => format!(
                "bcb:{draft}:{page}:{}",
                parent.as_deref().unwrap_or_default()
            ),
            Action::BranchPage { parent, page } => {
                format!("brp:{page}:{}", parent.as_deref().unwrap_or_default())
            }
            Action::Run(command) => format!("run:{}", command.name()),
            Action::Rerun { command, args } => format!("re:{}:{args}", command.name()),
        }
    }

    /// Reads button data made by [`Action::encode`].
    pub fn decode(data: &str) -> Result<Action, ActionError> {
        if data.len() > MAX_DATA_BYTES {
            return Err(ActionError::TooLong(data.len()));
        }
        let unknown = || ActionError::Unknown(data.to_string());
        let (kind, value) = data.split_once(':').unwrap_or((data, ""));
        let draft_and = |value: &str| -> Option<(i64, String)> {
            let (draft, rest) = value.split_once(':').unwrap_or((value, ""));
            Some((draft.parse().ok().filter(|d| *d > 0)?, rest.to_string()))
        };
        let action = match kind {
            "ck" => {
                let (course, lesson) = value.split_once(':').ok_or_else(unknown)?;
                Action::CheckIn {
                    course: id(course).ok_or_else(unknown)?,
                    lesson: id(lesson).ok_or_else(unknown)?,
                }
            }
            "set" => Action::Setting(match value {
                "lang" => Setting::Language,
                "name" => Setting::Name,
                "branch" => Setting::Branch,
                "time" => Setting::LessonTime,
                "tz" => Setting::TimeZone,
                _ => return Err(unknown()),
            }),
            "lang" => Action::Language(Locale::from_code(value).ok_or_else(unknown)?),
            "br" => Action::Branch(id(value).ok_or_else(unknown)?),
            "br-this" => Action::BranchHere(id(value).ok_or_else(unknown)?),
            "br-up" if value.is_empty() && !data.contains(':') => Action::BranchUp,
            "time" if value == "keep" => Action::KeepLessonTime,
            "time" if value.len() == 4 && value.bytes().all(|b| b.is_ascii_digit()) => {
                Action::SetLessonTime(
                    NaiveTime::parse_from_str(value, "%H%M").map_err(|_| unknown())?,
                )
            }
            "tz" => Action::TimeZone(parse_time_zone(value).ok_or_else(unknown)?),
            "loc" => match value {
                "yes" => Action::LocationConsent(true),
                "no" => Action::LocationConsent(false),
                _ => return Err(unknown()),
            },
            "rsvp" => Action::Rsvp(id(value).ok_or_else(unknown)?),
            "unrsvp" => Action::CancelRsvp(id(value).ok_or_else(unknown)?),
            "map" => Action::Map(id(value).ok_or_else(unknown)?),
            "rank" => Action::Rank(match value {
                "week" => RankPeriod::Week,
                "season" => RankPeriod::Season,
                _ => return Err(unknown()),
            }),
            "bcm" => {
                let (draft, menu) = draft_and(value).ok_or_else(unknown)?;
                let menu = match menu.as_str() {
                    "branch" => AudienceMenu::Branch,
                    "tags" => AudienceMenu::Tags,
                    "inactive" => AudienceMenu::Inactive,
                    _ => return Err(unknown()),
                };
                Action::BroadcastMenu { draft, menu }
            }
            "bca" => {
                let (draft, audience) = draft_and(value).ok_or_else(unknown)?;
                let audience = Audience::decode(&audience).ok_or_else(unknown)?;
                Action::BroadcastAudience { draft, audience }
            }
            "bcs" => {
                let (draft, step) = draft_and(value).ok_or_else(unknown)?;
                let step = match step.as_str() {
                    "now" => SendStep::Now,
                    "later" => SendStep::Later,
                    "drop" => SendStep::Drop,
                    _ => return Err(unknown()),
                };
                Action::BroadcastSend { draft, step }
            }
            "bcx" => {
                let (draft, rest) = draft_and(value).ok_or_else(unknown)?;
                if !rest.is_empty() {
                    return Err(unknown());
                }
                Action::BroadcastCancel(draft)
            }
            "run" => Action::Run(
                Command::from_name(value)
                    .filter(|c| Command::MEMBER.contains(c))
                    .ok_or_else(unknown)?,
            ),
            "bcb" => {
                let (draft, rest) = draft_and(value).ok_or_else(unknown)?;
                let (page, parent) = rest.split_once(':').ok_or_else(unknown)?;
                Action::BroadcastBranches {
                    draft,
                    page: page.parse().map_err(|_| unknown())?,
                    parent: if parent.is_empty() {
                        None
                    } else {
                        Some(id(parent).ok_or_else(unknown)?)
                    },
                }
            }
            "brp" => {
                let (page, parent) = value.split_once(':').ok_or_else(unknown)?;
                Action::BranchPage {
                    page: page.parse().map_err(|_| unknown())?,
                    parent: if parent.is_empty() {
                        None
                    } else {
                        Some(id(parent).ok_or_else(unknown)?)
                    },
                }
            }
            "re" => {
                let (name, args) = value.split_once(':').ok_or_else(unknown)?;
                Action::Rerun {
                    command: Command::from_name(name).ok_or_else(unknown)?,
                    args: args.to_string(),
                }
            }
            _ => return Err(unknown()),
        };
        Ok(action)
    }

    /// The button with this action under `label`.
    pub fn button(&self, label: impl Into<String>) -> crate::channel::Button {
        crate::channel::Button::new(label, self.encode())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    /// Ids as long as the bot's own rules allow: 20-character course ids, 40-character
    /// lesson, venue and activity ids, the longest tag and branch ids in use.
    fn longest_examples() -> Vec<Action> {
        let c20 = "c".repeat(20);
        let i40 = "i".repeat(40);
        vec![
            Action::CheckIn {
                course: c20,
                lesson: i40.clone(),
            },
            Action::Setting(Setting::TimeZone),
            Action::Language(Locale::ZhTw),
            Action::Branch("qingshan.donghu.liucun".into()),
            Action::BranchHere("qingshan.donghu.liucun".into()),
            Action::BranchUp,
            Action::BranchPage {
                parent: Some("b".repeat(40)),
                page: u16::MAX,
            },
            Action::KeepLessonTime,
            Action::SetLessonTime(NaiveTime::from_hms_opt(23, 59, 0).unwrap()),
            Action::TimeZone(chrono_tz::America::Argentina::ComodRivadavia),
            Action::LocationConsent(false),
            Action::Rsvp(i40.clone()),
            Action::CancelRsvp(i40.clone()),
            Action::Map(i40),
            Action::Rank(RankPeriod::Season),
            Action::BroadcastMenu {
                draft: i64::MAX,
                menu: AudienceMenu::Inactive,
            },
            Action::BroadcastAudience {
                draft: i64::MAX,
                audience: Audience::Tag("t".repeat(32)),
            },
            Action::BroadcastAudience {
                draft: 9_999_999_999,
                audience: Audience::Branch("qingshan.donghu.liucun".into()),
            },
            Action::BroadcastSend {
                draft: i64::MAX,
                step: SendStep::Later,
            },
            Action::BroadcastCancel(i64::MAX),
            Action::BroadcastBranches {
                draft: 9_999_999_999,
                parent: Some("qingshan.donghu.liucun".into()),
                page: u16::MAX,
            },
            Action::Run(Command::ForgetLocation),
            Action::Rerun {
                command: Command::ActivityCancel,
                args: "qingshan.donghu.liucun".into(),
            },
        ]
    }

    #[test]
    fn every_action_fits_the_channels_limit() {
        for action in longest_examples() {
            let data = action.encode();
            assert!(
                data.len() <= MAX_DATA_BYTES,
                "{action:?} encodes to {} bytes: {data}",
                data.len()
            );
        }
    }

    /// Round trip over random values of every variant (a property test with a fixed seed).
    #[test]
    fn encode_then_decode_gives_the_same_action() {
        let mut rng = SmallRng::seed_from_u64(16);
        let alphabet: Vec<char> = "abcdefghijklmnopqrstuvwxyz0123456789-_.".chars().collect();
        let word = |rng: &mut SmallRng, max: usize| -> String {
            let n = rng.random_range(1..=max);
            (0..n)
                .map(|_| alphabet[rng.random_range(0..alphabet.len())])
                .collect()
        };
        let zones: Vec<Tz> = chrono_tz::TZ_VARIANTS.to_vec();
        for round in 0..5_000 {
            let action = match round % 18 {
                0 => Action::CheckIn {
                    course: word(&mut rng, 20),
                    lesson: word(&mut rng, 40),
                },
                1 => Action::Setting(
                    [
                        Setting::Language,
                        Setting::Name,
                        Setting::Branch,
                        Setting::LessonTime,
                        Setting::TimeZone,
                    ][rng.random_range(0..5)],
                ),
                2 => Action::Language(Locale::ALL[rng.random_range(0..Locale::ALL.len())]),
                3 => Action::Branch(word(&mut rng, 40)),
                4 => Action::BranchHere(word(&mut rng, 40)),
                5 => Action::BranchUp,
                6 => Action::KeepLessonTime,
                7 => Action::TimeZone(zones[rng.random_range(0..zones.len())]),
                8 => Action::LocationConsent(rng.random()),
                9 => Action::Rsvp(word(&mut rng, 40)),
                10 => Action::CancelRsvp(word(&mut rng, 40)),
                11 => Action::Map(word(&mut rng, 40)),
                12 => Action::Rank(if rng.random() {
                    RankPeriod::Week
                } else {
                    RankPeriod::Season
                }),
                13 => Action::BroadcastMenu {
                    draft: rng.random_range(1..i64::MAX),
                    menu: [
                        AudienceMenu::Branch,
                        AudienceMenu::Tags,
                        AudienceMenu::Inactive,
                    ][rng.random_range(0..3)],
                },
                14 => Action::BroadcastAudience {
                    draft: rng.random_range(1..i64::MAX),
                    audience: match rng.random_range(0..5) {
                        0 => Audience::Everyone,
                        1 => Audience::Migrant,
                        2 => Audience::Branch(word(&mut rng, 20)),
                        3 => Audience::Tag(
                            word(&mut rng, 20)
                                .replace(['_', '.'], "-")
                                .trim_matches('-')
                                .to_string()
                                + "t",
                        ),
                        _ => Audience::Inactive(rng.random_range(1..=365)),
                    },
                },
                15 => Action::BroadcastSend {
                    draft: rng.random_range(1..i64::MAX),
                    step: [SendStep::Now, SendStep::Later, SendStep::Drop][rng.random_range(0..3)],
                },
                16 => Action::BroadcastCancel(rng.random_range(1..i64::MAX)),
                _ if round % 36 == 35 => {
                    Action::Run(Command::MEMBER[rng.random_range(0..Command::MEMBER.len())])
                }
                _ if round % 144 == 17 => Action::BroadcastBranches {
                    draft: rng.random_range(1..i64::MAX),
                    parent: rng.random::<bool>().then(|| word(&mut rng, 30)),
                    page: rng.random(),
                },
                _ if round % 144 == 89 => Action::BranchPage {
                    parent: rng.random::<bool>().then(|| word(&mut rng, 40)),
                    page: rng.random(),
                },
                _ if round % 144 == 53 => Action::Rerun {
                    command: Command::all()
                        .nth(rng.random_range(0..Command::all().count()))
                        .unwrap(),
                    args: format!("{} {}", word(&mut rng, 20), word(&mut rng, 8)),
                },
                _ if round % 36 == 17 => Action::SetLessonTime(
                    NaiveTime::from_hms_opt(rng.random_range(0..24), rng.random_range(0..60), 0)
                        .unwrap(),
                ),
                _ => Action::Map(word(&mut rng, 10)),
            };
            let data = action.encode();
            if data.len() > MAX_DATA_BYTES {
                assert_eq!(Action::decode(&data), Err(ActionError::TooLong(data.len())));
                continue;
            }
            assert_eq!(Action::decode(&data), Ok(action.clone()), "{data}");
        }
    }

    #[test]
    fn forged_outdated_and_oversized_data_is_refused() {
        for data in [
            "",
            "ck",
            "ck:safety",
            "ck::road",
            "ck:safety:",
            "set:colour",
            "lang:fr",
            "br:",
            "br-up:x",
            "time:now",
            "tz:Mars/Base",
            "loc:maybe",
            "rank:year",
            "bcm:0:branch",
            "bcm:x:branch",
            "bcm:5:colour",
            "bca:5:tag:Not A Tag",
            "bca:5:inactive:9999",
            "bcs:5:tomorrow",
            "bcx:5:extra",
            "bcx:-1",
            "quiz:1:2",
            "run:",
            "run:grant",
            "run:cancel",
            "run:nope",
            "re:",
            "bcb:5",
            "bcb:5:x:",
            "bcb:5:1:a:b",
            "bcb:0:1:",
            "brp",
            "brp:x:",
            "brp:-1:",
            "brp:1:a:b",
            "brp:70000:",
            "re:stats",
            "re:nope:x",
            "ck:a:b:c",
        ] {
            assert!(Action::decode(data).is_err(), "{data:?} decoded");
        }
        let long = format!("rsvp:{}", "a".repeat(64));
        assert_eq!(Action::decode(&long), Err(ActionError::TooLong(long.len())));
    }
}
