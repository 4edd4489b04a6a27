pub mod fake_bot_api;
