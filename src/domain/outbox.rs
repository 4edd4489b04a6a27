//! The kinds of outbox rows: what a queued delivery is, stored as text in `outbox.kind`.
//! [`OutboxKind::as_str`] makes that text and [`OutboxKind::parse`] reads it; no other code
//! names a kind as a string.

/// What a queued delivery is; the row's `ref` says which one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OutboxKind {
    /// A lesson (ref: `course:lesson`).
    Lesson,
    /// The end of a course (ref: the course).
    CourseFinished,
    /// A topic test (ref: the test round).
    QuizTest,
    /// The next question after one timed out (ref: `ask:ID` or `test:ID`).
    QuizNext,
    /// A season title earned (ref: `season|scope`).
    SeasonTitle,
    /// An announcement (ref: the broadcast id).
    Broadcast,
    /// The admin's progress message of an announcement (ref: the broadcast id).
    BroadcastProgress,
    /// A stage's learning poster (ref: `course|stage`).
    Poster,
    /// A reminder after missed lessons (ref: the week).
    Nudge,
    /// A new activity near a member away from home (ref: the activity).
    ActivityNew,
    /// A reminder of an activity the member is going to (ref: `id|day|start` or `id|hour|start`).
    ActivityReminder,
    /// An activity the member was going to was cancelled (ref: the activity).
    ActivityCancelled,
    /// An activity the member is going to moved (ref: `id|start`).
    ActivityChanged,
    /// The weekly digest of nearby activities (ref: its scheduled time).
    ActivityDigest,
}

impl OutboxKind {
    pub const ALL: [OutboxKind; 14] = [
        OutboxKind::Lesson,
        OutboxKind::CourseFinished,
        OutboxKind::QuizTest,
        OutboxKind::QuizNext,
        OutboxKind::SeasonTitle,
        OutboxKind::Broadcast,
        OutboxKind::BroadcastProgress,
        OutboxKind::Poster,
        OutboxKind::Nudge,
        OutboxKind::ActivityNew,
        OutboxKind::ActivityReminder,
        OutboxKind::ActivityCancelled,
        OutboxKind::ActivityChanged,
        OutboxKind::ActivityDigest,
    ];

    /// The stored text (never change one: rows in the database carry it).
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxKind::Lesson => "lesson",
            OutboxKind::CourseFinished => "course-finished",
            OutboxKind::QuizTest => "quiz-test",
            OutboxKind::QuizNext => "quiz-next",
            OutboxKind::SeasonTitle => "season-title",
            OutboxKind::Broadcast => "broadcast",
            OutboxKind::BroadcastProgress => "broadcast-progress",
            OutboxKind::Poster => "poster",
            OutboxKind::Nudge => "nudge",
            OutboxKind::ActivityNew => "activity-new",
            OutboxKind::ActivityReminder => "activity-reminder",
            OutboxKind::ActivityCancelled => "activity-cancelled",
            OutboxKind::ActivityChanged => "activity-changed",
            OutboxKind::ActivityDigest => "activity-digest",
        }
    }

    pub fn parse(text: &str) -> Option<OutboxKind> {
        OutboxKind::ALL.into_iter().find(|k| k.as_str() == text)
    }

    /// A dedup key of this kind: `<kind>:<rest>`, so that keys of two kinds never collide.
    pub fn dedup_key(self, rest: impl std::fmt::Display) -> String {
        format!("{}:{rest}", self.as_str())
    }
}

impl std::fmt::Display for OutboxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The SQL condition "this outbox row is not a lesson", as a literal for `concat!`: the
/// predicate of the outbox's unique index of dedup keys (migration 0022), which a statement
/// repeats word for word so that both databases use that index (`ON CONFLICT (dedup_key)
/// WHERE ...` takes it as the arbiter). `not_lesson!("o.")` prefixes the column. The one
/// place, with `OutboxKind::as_str`, where SQL names a kind (a test checks they agree).
#[doc(hidden)]
#[macro_export]
macro_rules! not_lesson {
    () => {
        $crate::not_lesson!("")
    };
    ($table:literal) => {
        concat!($table, "kind <> 'lesson'")
    };
}

/// The order in which the courier claims due rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ClaimOrder {
    /// Earliest due first (`next_attempt_at`): members who chose 06:30 are not held behind
    /// a backlog of 07:30 rows written before theirs, and a row given back after a 429 keeps
    /// its place. What the service does.
    #[default]
    EarliestDue,
    /// The order the rows were written in (their id), whatever their due time. Only the
    /// delivery benchmark uses it, to compare lateness with and without earliest due first.
    Written,
}

impl ClaimOrder {
    /// The SQL expression the claim orders by (on the outbox as `o`). `o.id + 0` keeps the
    /// primary key's index out of the plan: both databases then find the due rows by their
    /// status index and sort those, instead of walking every row by id.
    pub fn sql(self) -> &'static str {
        match self {
            ClaimOrder::EarliestDue => "o.next_attempt_at",
            ClaimOrder::Written => "o.id + 0",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_condition_names_the_lesson_kind_as_stored() {
        assert_eq!(
            crate::not_lesson!(),
            format!("kind <> '{}'", OutboxKind::Lesson.as_str())
        );
        assert_eq!(
            crate::not_lesson!("o."),
            format!("o.kind <> '{}'", OutboxKind::Lesson.as_str())
        );
    }

    #[test]
    fn every_kind_round_trips_and_has_its_own_text() {
        let mut seen = std::collections::BTreeSet::new();
        for kind in OutboxKind::ALL {
            assert_eq!(OutboxKind::parse(kind.as_str()), Some(kind));
            assert!(seen.insert(kind.as_str()), "{kind:?} shares its text");
        }
        assert_eq!(OutboxKind::parse("Lesson"), None);
        assert_eq!(OutboxKind::parse(""), None);
        assert_eq!(
            OutboxKind::Nudge.dedup_key("5:w:2026-11-30"),
            "nudge:5:w:2026-11-30"
        );
    }
}
