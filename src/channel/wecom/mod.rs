//! WeCom (企业微信): a self-built app (自建应用) as a chat channel. Built from the official
//! server API documentation; see `crypto.rs` for the callback's cryptography.

pub mod crypto;
