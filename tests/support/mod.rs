//! Shared helpers for the integration tests (`mod support;` in a test file).
#![allow(dead_code)]

pub mod db;
pub mod fake_telegram;
pub mod fake_wecom;
pub mod harness;
pub mod sql;
pub mod webhook;
