//! Row shapes as the databases return them, and their conversion to domain types.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};

use super::{Assignment, DueEnrollment, StoreError};
use crate::domain::schedule::parse_time_zone;
use crate::domain::{Dialog, Locale, Member, MemberStatus};

#[derive(sqlx::FromRow)]
pub(super) struct MemberRow {
    id: i64,
    channel: String,
    chat_id: String,
    display_name: Option<String>,
    branch_id: Option<String>,
    locale: String,
    timezone: String,
    lesson_time: String,
    status: String,
    onboarded: bool,
    dialog: String,
}

impl MemberRow {
    pub const COLUMNS: &'static str = "id, channel, chat_id, display_name, branch_id, locale, timezone, lesson_time, status, onboarded, dialog";

    pub fn into_member(self) -> Result<Member, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            table: "members",
            problem: format!("member {}: {problem}", self.id),
        };
        Ok(Member {
            id: self.id,
            locale: Locale::from_code(&self.locale)
                .ok_or_else(|| corrupt(format!("locale {:?}", self.locale)))?,
            timezone: parse_time_zone(&self.timezone)
                .ok_or_else(|| corrupt(format!("timezone {:?}", self.timezone)))?,
            lesson_time: NaiveTime::parse_from_str(&self.lesson_time, "%H:%M")
                .map_err(|e| corrupt(format!("lesson_time {:?}: {e}", self.lesson_time)))?,
            status: MemberStatus::parse(&self.status)
                .ok_or_else(|| corrupt(format!("status {:?}", self.status)))?,
            dialog: Dialog::decode(&self.dialog),
            channel: self.channel,
            chat_id: self.chat_id,
            display_name: self.display_name,
            branch_id: self.branch_id,
            onboarded: self.onboarded,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct EnrollmentRow {
    member_id: i64,
    course: String,
    next_seq: i64,
    next_due_at: Option<DateTime<Utc>>,
    started_at: DateTime<Utc>,
    completed_at: Option<DateTime<Utc>>,
}

impl EnrollmentRow {
    pub const COLUMNS: &'static str =
        "member_id, course, next_seq, next_due_at, started_at, completed_at";
}

/// A member's place in a course.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Enrollment {
    pub member_id: i64,
    pub course: String,
    /// 1-based position of the next lesson to send.
    pub next_seq: i64,
    pub next_due_at: Option<DateTime<Utc>>,
    pub started_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

impl From<EnrollmentRow> for Enrollment {
    fn from(r: EnrollmentRow) -> Self {
        Self {
            member_id: r.member_id,
            course: r.course,
            next_seq: r.next_seq,
            next_due_at: r.next_due_at,
            started_at: r.started_at,
            completed_at: r.completed_at,
        }
    }
}

/// An enrollment due for its next lesson with what planning needs of its member.
#[derive(sqlx::FromRow)]
pub(super) struct DueRow {
    member_id: i64,
    course: String,
    next_seq: i64,
    next_due_at: DateTime<Utc>,
    branch_id: Option<String>,
    timezone: String,
    lesson_time: String,
}

/// A [`DueRow`] as a JSON array, in the order of [`DueRow::JSON_COLUMNS`] (SQLite's page of
/// due enrollments as one JSON row).
pub(super) type DueJson = (i64, String, i64, String, Option<String>, String, String);

impl DueRow {
    pub const COLUMNS: &'static str =
        "e.member_id, e.course, e.next_seq, e.next_due_at, m.branch_id, m.timezone, m.lesson_time";
    /// The columns of [`DueRow::COLUMNS`] as named by a query that selects them.
    pub const JSON_COLUMNS: &'static str =
        "member_id, course, next_seq, next_due_at, branch_id, timezone, lesson_time";

    pub fn from_json(
        (member_id, course, next_seq, due, branch_id, timezone, lesson_time): DueJson,
    ) -> Result<DueRow, StoreError> {
        let next_due_at = sqlite_time(&due).ok_or_else(|| StoreError::Corrupt {
            table: "enrollments",
            problem: format!("member {member_id}: next_due_at {due:?}"),
        })?;
        Ok(DueRow {
            member_id,
            course,
            next_seq,
            next_due_at,
            branch_id,
            timezone,
            lesson_time,
        })
    }

    pub fn into_due(self) -> Result<DueEnrollment, StoreError> {
        let corrupt = |problem: String| StoreError::Corrupt {
            table: "members",
            problem: format!("member {}: {problem}", self.member_id),
        };
        Ok(DueEnrollment {
            timezone: parse_time_zone(&self.timezone)
                .ok_or_else(|| corrupt(format!("timezone {:?}", self.timezone)))?,
            lesson_time: NaiveTime::parse_from_str(&self.lesson_time, "%H:%M")
                .map_err(|e| corrupt(format!("lesson_time {:?}: {e}", self.lesson_time)))?,
            member_id: self.member_id,
            course: self.course,
            next_seq: self.next_seq,
            next_due_at: self.next_due_at,
            branch_id: self.branch_id,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct AssignmentRow {
    member_id: i64,
    course: String,
    seq: i64,
    lesson_id: String,
    day: String,
    due_at: DateTime<Utc>,
}

impl TryFrom<AssignmentRow> for Assignment {
    type Error = StoreError;
    fn try_from(r: AssignmentRow) -> Result<Self, StoreError> {
        Ok(Assignment {
            day: NaiveDate::parse_from_str(&r.day, "%Y-%m-%d").map_err(|e| {
                StoreError::Corrupt {
                    table: "assignments",
                    problem: format!("day {:?}: {e}", r.day),
                }
            })?,
            member_id: r.member_id,
            course: r.course,
            seq: r.seq,
            lesson_id: r.lesson_id,
            due_at: r.due_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct OutboxRow {
    id: i64,
    member_id: i64,
    kind: String,
    #[sqlx(rename = "ref")]
    reference: String,
    dedup_key: String,
    due_at: DateTime<Utc>,
    attempts: i64,
    channel: String,
    chat_id: String,
    member_status: String,
    parts_sent: i64,
}

/// A claimed delivery, with where it goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxItem {
    pub id: i64,
    pub member_id: i64,
    pub kind: String,
    pub reference: String,
    pub dedup_key: String,
    pub due_at: DateTime<Utc>,
    pub attempts: i64,
    pub channel: String,
    pub chat_id: String,
    pub member_status: String,
    /// Parts sent by an earlier attempt that stopped half-way: the next one resumes after
    /// them.
    pub parts_sent: i64,
}

impl From<OutboxRow> for OutboxItem {
    fn from(r: OutboxRow) -> Self {
        Self {
            id: r.id,
            member_id: r.member_id,
            kind: r.kind,
            reference: r.reference,
            dedup_key: r.dedup_key,
            due_at: r.due_at,
            attempts: r.attempts,
            channel: r.channel,
            chat_id: r.chat_id,
            member_status: r.member_status,
            parts_sent: r.parts_sent,
        }
    }
}

/// A time as SQLite holds it in text (RFC 3339, as the store writes times, or one of the
/// forms sqlx also reads: `2026-12-07 07:30:00`, with an optional fraction and offset).
pub(super) fn sqlite_time(text: &str) -> Option<DateTime<Utc>> {
    if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        return Some(t.to_utc());
    }
    for format in ["%F %T%.f%:z", "%FT%T%.f%:z"] {
        if let Ok(t) = DateTime::parse_from_str(text, format) {
            return Some(t.to_utc());
        }
    }
    for format in ["%F %T%.f", "%FT%T%.f"] {
        if let Ok(t) = chrono::NaiveDateTime::parse_from_str(text, format) {
            return Some(t.and_utc());
        }
    }
    None
}
