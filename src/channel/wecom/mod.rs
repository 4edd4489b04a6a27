//! WeCom (企业微信): a self-built app (自建应用) as a chat channel. Built from the official
//! server API documentation: `crypto.rs` (the callback's cryptography), `callback.rs`
//! (callbacks parsed and routed to `Inbound` events), `client.rs` (the access token,
//! sending, uploads and card updates, failures as `SendError`).

pub mod callback;
pub mod client;
pub mod crypto;
