//! Pure types and rules: no I/O, nothing async.

pub mod address;
pub mod audience;
pub mod branch;
pub mod capacity;
pub mod csv_safe;
pub mod flood;
pub mod geo;
pub mod intent;
pub mod locale;
pub mod member;
pub mod outbox;
pub mod points;
pub mod review;
pub mod schedule;
pub mod stats;
pub mod streak;
pub mod text;
pub mod time_input;
pub mod venue_csv;
pub mod when;
pub mod zone;

pub use branch::{Branch, BranchTree};
pub use locale::Locale;
pub use member::{Dialog, Member, MemberStatus};
