//! Pure types and rules: no I/O, nothing async.

pub mod branch;
pub mod locale;
pub mod member;
pub mod schedule;
pub mod streak;

pub use branch::{Branch, BranchTree};
pub use locale::Locale;
pub use member::{Dialog, Member, MemberStatus};
