//! Benchmarks that run as `weike bench ...` and print their figures.

pub mod delivery;
pub mod fake_bot_api;
pub mod poster;
pub mod stats;
