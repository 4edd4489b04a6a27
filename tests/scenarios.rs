//! The conversation's scenarios, written once (`scenarios/flows.rs`) and run over every
//! chat channel on both databases: each scenario × channel × database is a test of its
//! own, named `<scenario>::<channel>::<database>` (e.g. `onboarding::wecom::postgres`).
//!
//! A new channel adds its adapter (a `support::chat::Driver`) and one line to the list in
//! `every_channel!`. What is particular to a channel (its protocol, webhooks, crypto, limits)
//! stays in its own file (`telegram_e2e.rs`, `wecom_e2e.rs`, `cli.rs` for `weike chat`).

#[path = "scenarios/flows.rs"]
mod flows;
mod support;

/// The tests of one scenario on one channel: on SQLite and on PostgreSQL.
macro_rules! on_both_databases {
    ($scenario:ident, $channel:ident, $driver:ty) => {
        mod $channel {
            use crate::support::chat::Driver;
            use crate::support::db::TestDb;

            #[tokio::test]
            async fn sqlite() {
                crate::flows::$scenario(<$driver>::start(TestDb::sqlite()).await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let name = concat!(stringify!($scenario), "_", stringify!($channel));
                if let Some(db) = TestDb::postgres(name).await {
                    crate::flows::$scenario(<$driver>::start(db).await).await;
                }
            }
        }
    };
}

/// Every scenario over every channel.
macro_rules! every_channel {
    ($($scenario:ident),* $(,)?) => {
        $(
            mod $scenario {
                on_both_databases!($scenario, console, crate::support::chat::console::ConsoleDriver);
                on_both_databases!($scenario, telegram, crate::support::chat::telegram::TelegramDriver);
                on_both_databases!($scenario, wecom, crate::support::chat::wecom::WecomDriver);
            }
        )*
    };
}

every_channel!(onboarding, lesson_and_checkin, quiz, admin);
