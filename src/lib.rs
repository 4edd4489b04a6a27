//! weike (微课): daily micro-lessons, check-ins and quizzes for an organization's members,
//! through the chat apps they already use. See `README.md` and `ARCHITECTURE.md`.

#[cfg(feature = "bench")]
pub mod bench;
pub mod channel;
pub mod chat;
pub mod cli;
pub mod clock;
pub mod config;
pub mod content;
pub mod conversation;
pub mod courier;
pub mod domain;
pub mod http;
pub mod i18n;
pub mod import;
pub mod jobs;
pub mod metrics;
pub mod planner;
pub mod poster;
pub mod service;
pub mod store;

#[cfg(test)]
mod architecture;
