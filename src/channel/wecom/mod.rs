//! WeCom (企业微信): a self-built app (自建应用) as a chat channel. Built from the official
//! server API documentation: `crypto.rs` (the callback's cryptography), `callback.rs`
//! (callbacks parsed and routed), `client.rs` (the access token, sending, uploads and card
//! updates, failures as `SendError`), `render.rs` (how messages look in WeCom, the ids of
//! stored callbacks, the per-member send windows), and `channel.rs` (`WecomChannel`: the
//! `Channel` and `UpdateSource` of the seam, its `PROFILE` and `LIMITS`, the callback
//! route).

pub mod callback;
pub mod channel;
pub mod client;
pub mod crypto;
pub mod render;

pub use channel::{
    CALLBACK_PATH, CHANNEL_NAME, LIMITS, LocationHowto, PROFILE, WecomChannel, WecomError,
    WecomRoute, WecomTexts,
};
