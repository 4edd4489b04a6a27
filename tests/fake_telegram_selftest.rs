//! Proves the fake Telegram server against the real teloxide 0.17 client: its answers
//! deserialize into teloxide's types, and its rejections carry Telegram's wording (so that
//! teloxide maps them to the same `ApiError` variants as in production).

mod support;

use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::fake_telegram::{
    BOT_ID, BOT_USERNAME, FakeTelegram, Fault, TEST_TOKEN, UploadedFile,
    html::{Formatted, parse_html},
};
use teloxide::{
    ApiError, RequestError,
    prelude::*,
    types::{
        BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, InputFile, InputPollOption,
        MessageEntityKind, MessageId, ParseMode, PollType, Seconds, UpdateKind,
    },
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const CHAT: ChatId = ChatId(42);

fn keyboard(datas: &[&str]) -> InlineKeyboardMarkup {
    InlineKeyboardMarkup::new([datas
        .iter()
        .map(|d| InlineKeyboardButton::callback(d.to_uppercase(), *d))
        .collect::<Vec<_>>()])
}

/// The description of an API error, whichever `ApiError` variant teloxide chose for it.
fn api_error(result: Result<impl std::fmt::Debug, RequestError>) -> ApiError {
    match result {
        Err(RequestError::Api(error)) => error,
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// A fake with user 42 having written "/start" (message 1 in chat 42).
async fn started() -> (FakeTelegram, Bot) {
    let tg = FakeTelegram::start().await;
    tg.push_text(CHAT.0, "/start");
    let bot = Bot::new(TEST_TOKEN).set_api_url(tg.api_url().parse().unwrap());
    (tg, bot)
}

#[tokio::test]
async fn get_me_and_get_updates_with_offsets() {
    let tg = FakeTelegram::start().await;
    let bot = tg.bot();

    let me = bot.get_me().await.unwrap();
    assert_eq!(me.id, UserId(BOT_ID as u64));
    assert_eq!(me.username(), BOT_USERNAME);
    assert!(me.is_bot && me.can_join_groups);

    assert_eq!(tg.push_text(42, "/start now"), 1);
    assert_eq!(tg.push_text(42, "你好"), 2);
    assert_eq!(tg.pending_updates(), 2);

    let updates = bot.get_updates().await.unwrap();
    assert_eq!(updates.len(), 2);
    assert_eq!(updates[0].id.0, 1);
    let UpdateKind::Message(first) = &updates[0].kind else {
        panic!("not a message: {:?}", updates[0].kind)
    };
    assert_eq!(first.id, MessageId(1));
    assert_eq!(first.chat.id, CHAT);
    assert_eq!(first.text(), Some("/start now"));
    let entities = first.entities().unwrap();
    assert_eq!(entities[0].kind, MessageEntityKind::BotCommand);
    assert_eq!((entities[0].offset, entities[0].length), (0, 6));
    let from = first.from.as_ref().unwrap();
    assert_eq!(from.id, UserId(42));
    assert_eq!(from.language_code.as_deref(), Some("zh-hans"));
    let UpdateKind::Message(second) = &updates[1].kind else {
        panic!("not a message")
    };
    assert_eq!((second.id, second.text()), (MessageId(2), Some("你好")));

    // Nothing is confirmed without an offset.
    assert_eq!(tg.pending_updates(), 2);
    let updates = bot.get_updates().offset(2).await.unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), [2]);
    assert_eq!(tg.pending_updates(), 1);
    // An empty queue answers at once, even with a long-poll timeout.
    let started = std::time::Instant::now();
    assert!(
        bot.get_updates()
            .offset(3)
            .timeout(30)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    assert_eq!(tg.pending_updates(), 0);

    for n in 0..3 {
        tg.push_text(7, &format!("m{n}"));
    }
    let updates = bot.get_updates().offset(3).limit(2).await.unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), [3, 4]);

    // getUpdates is not recorded, getMe is.
    let methods: Vec<String> = tg.calls().into_iter().map(|c| c.method).collect();
    assert_eq!(methods, ["getMe"]);
}

#[tokio::test]
async fn send_message_with_html_and_keyboard_then_edit_and_answer_callback() {
    let (tg, bot) = started().await;

    let sent = bot
        .send_message(
            CHAT,
            "<b>今日</b> &amp; <i>lesson</i>\n<a href=\"https://example.com/x\">link</a>",
        )
        .parse_mode(ParseMode::Html)
        .reply_markup(keyboard(&["yes", "no"]))
        .await
        .unwrap();
    // Message 1 in the chat is the user's /start.
    assert_eq!(sent.id, MessageId(2));
    assert_eq!(sent.chat.id, CHAT);
    assert_eq!(sent.from.as_ref().unwrap().id, UserId(BOT_ID as u64));
    assert_eq!(sent.text(), Some("今日 & lesson\nlink"));
    let entities: Vec<_> = sent
        .entities()
        .unwrap()
        .iter()
        .map(|e| (e.kind.clone(), e.offset, e.length))
        .collect();
    assert_eq!(
        entities,
        [
            (MessageEntityKind::Bold, 0, 2),
            (MessageEntityKind::Italic, 5, 6),
            (
                MessageEntityKind::TextLink {
                    url: "https://example.com/x".parse().unwrap()
                },
                12,
                4
            ),
        ]
    );
    assert_eq!(sent.reply_markup(), Some(&keyboard(&["yes", "no"])));

    let call = &tg.calls_to("sendMessage")[0];
    assert!(call.ok && call.error.is_none() && call.files.is_empty());
    assert_eq!(call.result_message_id(), Some(2));
    assert_eq!(call.result.as_ref().unwrap()["text"], "今日 & lesson\nlink");
    assert_eq!(call.chat_id(), Some(42));
    assert_eq!(call.params["parse_mode"], "HTML");
    assert!(call.text().unwrap().starts_with("<b>今日</b> &amp;"));
    assert_eq!(call.callback_datas(), ["yes", "no"]);

    // Replace the keyboard; the same keyboard again is "not modified".
    let edited = bot
        .edit_message_reply_markup(CHAT, sent.id)
        .reply_markup(keyboard(&["done"]))
        .await
        .unwrap();
    assert_eq!(edited.id, sent.id);
    assert_eq!(edited.reply_markup(), Some(&keyboard(&["done"])));
    assert!(edited.edit_date().is_some());
    let again = bot
        .edit_message_reply_markup(CHAT, sent.id)
        .reply_markup(keyboard(&["done"]))
        .await;
    assert_eq!(api_error(again), ApiError::MessageNotModified);
    assert_eq!(
        tg.message(42, 2).unwrap()["reply_markup"],
        json!({"inline_keyboard": [[{"text": "DONE", "callback_data": "done"}]]})
    );

    // The user presses the (new) button.
    assert_eq!(tg.push_callback(42, sent.id.0.into(), "done"), 2);
    let updates = bot.get_updates().offset(2).await.unwrap();
    let UpdateKind::CallbackQuery(query) = &updates[0].kind else {
        panic!("not a callback query: {:?}", updates[0].kind)
    };
    assert_eq!(query.data.as_deref(), Some("done"));
    assert_eq!(query.from.id, UserId(42));
    let message = query
        .regular_message()
        .expect("the message with the button");
    assert_eq!((message.id, message.chat.id), (sent.id, CHAT));
    assert_eq!(message.reply_markup(), Some(&keyboard(&["done"])));

    bot.answer_callback_query(query.id.clone())
        .text("好")
        .await
        .unwrap();
    assert_eq!(tg.calls_to("answerCallbackQuery")[0].params["text"], "好");
    // A query can be answered once. Telegram's wording ("query ID") does not match teloxide's
    // `ApiError::InvalidQueryId` ("query id"), so teloxide reports it as Unknown.
    let twice = api_error(bot.answer_callback_query(query.id.clone()).await);
    assert_eq!(
        twice,
        ApiError::Unknown(
            "Bad Request: query is too old and response timeout expired or query ID is invalid"
                .into()
        )
    );

    // editMessageText without reply_markup drops the keyboard, as Telegram does.
    let edited = bot
        .edit_message_text(CHAT, sent.id, "<b>done</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(edited.text(), Some("done"));
    assert_eq!(edited.reply_markup(), None);
    let same = bot
        .edit_message_text(CHAT, sent.id, "<b>done</b>")
        .parse_mode(ParseMode::Html)
        .await;
    assert_eq!(api_error(same), ApiError::MessageNotModified);
    // Plain "done" differs from bold "done".
    bot.edit_message_text(CHAT, sent.id, "done").await.unwrap();

    // The user's own message cannot be edited.
    let theirs = bot.edit_message_text(CHAT, MessageId(1), "x").await;
    assert_eq!(api_error(theirs), ApiError::MessageCantBeEdited);
}

#[tokio::test]
async fn voice_upload_then_resend_by_file_id() {
    let (tg, bot) = started().await;

    let sent = bot
        .send_voice(CHAT, InputFile::memory(vec![7u8; 1000]).file_name("a.ogg"))
        .caption("<i>听</i>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    assert_eq!(sent.id, MessageId(2));
    let voice = sent.voice().expect("a voice message");
    assert_eq!(voice.file.id.0, "FILE_1");
    assert_eq!(voice.file.size, 1000);
    assert_eq!(voice.mime_type.as_ref().unwrap().essence_str(), "audio/ogg");
    assert_eq!(sent.caption(), Some("听"));

    let call = &tg.calls_to("sendVoice")[0];
    assert_eq!(
        call.files,
        [UploadedFile {
            field: "voice".into(),
            file_name: "a.ogg".into(),
            size: 1000,
            bytes: vec![7u8; 1000],
        }]
    );
    assert_eq!(call.params["voice"], "<upload:a.ogg>");
    // Multipart text parts: chat_id parsed as a number, caption kept as a string.
    assert_eq!(call.params["chat_id"], 42);
    assert_eq!(call.text(), Some("<i>听</i>"));

    let again = bot
        .send_voice(CHAT, InputFile::file_id(voice.file.id.clone()))
        .await
        .unwrap();
    assert_eq!(again.id, MessageId(3));
    assert_eq!(again.voice().unwrap().file.id.0, "FILE_1");
    assert_eq!(again.caption(), None);
    let call = &tg.calls_to("sendVoice")[1];
    assert!(call.files.is_empty());
    assert_eq!(call.params["voice"], "FILE_1");

    let unknown = bot
        .send_voice(CHAT, InputFile::file_id("FILE_99".to_owned().into()))
        .await;
    assert_eq!(api_error(unknown), ApiError::WrongFileIdOrUrl);
    // A voice's file id is no audio.
    let wrong_kind = bot
        .send_audio(CHAT, InputFile::file_id(voice.file.id.clone()))
        .await;
    assert_eq!(
        api_error(wrong_kind),
        ApiError::Unknown("Bad Request: can't use file of type Voice as Audio".into())
    );
}

#[tokio::test]
async fn quiz_poll() {
    let (tg, bot) = started().await;
    let options = ["甲", "乙", "丙"].map(InputPollOption::new);

    let sent = bot
        .send_poll(CHAT, "哪个?", options.clone())
        .type_(PollType::Quiz)
        .correct_option_id(1)
        .is_anonymous(false)
        .explanation("因为")
        .await
        .unwrap();
    let poll = sent.poll().expect("a poll message");
    assert_eq!(poll.id.0, "POLL_1");
    assert_eq!(poll.question, "哪个?");
    let texts: Vec<&str> = poll.options.iter().map(|o| o.text.as_str()).collect();
    assert_eq!(texts, ["甲", "乙", "丙"]);
    assert_eq!(poll.poll_type, PollType::Quiz);
    assert_eq!(poll.correct_option_id, Some(1));
    assert_eq!(poll.explanation.as_deref(), Some("因为"));
    assert!(!poll.is_anonymous && !poll.is_closed && poll.total_voter_count == 0);
    assert_eq!(tg.calls_to("sendPoll")[0].params["correct_option_id"], 1);

    tg.push_poll_answer(42, "POLL_1", &[1]);
    let updates = bot.get_updates().offset(2).await.unwrap();
    let UpdateKind::PollAnswer(answer) = &updates[0].kind else {
        panic!("not a poll answer: {:?}", updates[0].kind)
    };
    assert_eq!(answer.option_ids, [1]);

    let out_of_range = bot
        .send_poll(CHAT, "哪个?", options.clone())
        .type_(PollType::Quiz)
        .correct_option_id(3)
        .await;
    assert_eq!(
        api_error(out_of_range),
        ApiError::Unknown("Bad Request: wrong correct option ID specified".into())
    );
    let long_question = bot
        .send_poll(CHAT, "问".repeat(301), options.clone())
        .type_(PollType::Quiz)
        .correct_option_id(0)
        .await;
    assert_eq!(
        api_error(long_question),
        ApiError::Unknown("Bad Request: poll question length must not exceed 300".into())
    );
    let long_explanation = bot
        .send_poll(CHAT, "哪个?", options)
        .type_(PollType::Quiz)
        .correct_option_id(0)
        .explanation("x".repeat(201))
        .await;
    assert_eq!(
        api_error(long_explanation),
        ApiError::Unknown("Bad Request: explanation length must not exceed 200".into())
    );
    let too_many = bot
        .send_poll(
            CHAT,
            "哪个?",
            (0..13).map(|n| InputPollOption::new(n.to_string())),
        )
        .await;
    assert_eq!(api_error(too_many), ApiError::PollCantHaveMoreOptions);
}

#[tokio::test]
async fn commands_and_chat_actions() {
    let (tg, bot) = started().await;

    bot.set_my_commands([
        BotCommand::new("start", "开始"),
        BotCommand::new("today", "今日课程"),
    ])
    .await
    .unwrap();
    let call = &tg.calls_to("setMyCommands")[0];
    assert_eq!(
        call.params["commands"],
        json!([
            {"command": "start", "description": "开始"},
            {"command": "today", "description": "今日课程"}
        ])
    );
    let listed = bot.get_my_commands().await.unwrap();
    assert_eq!(listed[1].command, "today");

    let bad_name = bot.set_my_commands([BotCommand::new("Today!", "x")]).await;
    assert_eq!(
        api_error(bad_name),
        ApiError::Unknown("Bad Request: BOT_COMMAND_INVALID".into())
    );
    let bad_language = bot
        .set_my_commands([BotCommand::new("start", "开始")])
        .language_code("zh-hans")
        .await;
    assert_eq!(
        api_error(bad_language),
        ApiError::Unknown("Bad Request: LANG_CODE_INVALID".into())
    );
    bot.delete_my_commands().await.unwrap();
    assert!(bot.get_my_commands().await.unwrap().is_empty());

    bot.send_chat_action(CHAT, teloxide::types::ChatAction::RecordVoice)
        .await
        .unwrap();
    bot.delete_webhook().await.unwrap();
}

#[tokio::test]
async fn rejections_carry_telegram_wording() {
    let (tg, bot) = started().await;

    let unclosed = bot
        .send_message(CHAT, "<b>x")
        .parse_mode(ParseMode::Html)
        .await;
    assert_eq!(
        api_error(unclosed),
        ApiError::CantParseEntities(
            "Bad Request: can't parse entities: Can't find end tag corresponding to start tag b"
                .into()
        )
    );
    let bare_lt = bot
        .send_message(CHAT, "a < b")
        .parse_mode(ParseMode::Html)
        .await;
    assert_eq!(
        api_error(bare_lt),
        ApiError::CantParseEntities(
            "Bad Request: can't parse entities: Unsupported start tag \"\" at byte offset 2".into()
        )
    );
    let bare_amp = bot
        .send_message(CHAT, "Q&A")
        .parse_mode(ParseMode::Html)
        .await;
    assert!(
        matches!(api_error(bare_amp), ApiError::CantParseEntities(e) if e.contains("byte offset 1"))
    );
    // Without parse_mode the same text is fine.
    bot.send_message(CHAT, "a < b & Q&A").await.unwrap();

    // 4096 characters pass, also when tags are around them; 4097 do not.
    bot.send_message(CHAT, "a".repeat(4096)).await.unwrap();
    bot.send_message(CHAT, format!("<b>{}</b>", "&lt;".repeat(4096)))
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    let long = bot.send_message(CHAT, "a".repeat(4097)).await;
    assert_eq!(api_error(long), ApiError::MessageIsTooLong);
    // Telegram counts UTF-16 code units: an emoji takes two.
    let emojis = bot.send_message(CHAT, "😀".repeat(2049)).await;
    assert_eq!(api_error(emojis), ApiError::MessageIsTooLong);
    let blank = bot.send_message(CHAT, " \n ").await;
    assert_eq!(api_error(blank), ApiError::MessageTextIsEmpty);

    bot.send_message(CHAT, "ok")
        .reply_markup(keyboard(&[&"d".repeat(64)]))
        .await
        .unwrap();
    let long_data = bot
        .send_message(CHAT, "x")
        .reply_markup(keyboard(&[&"d".repeat(65)]))
        .await;
    assert_eq!(api_error(long_data), ApiError::ButtonDataInvalid);

    let stranger = bot.send_message(ChatId(999), "hi").await;
    assert_eq!(api_error(stranger), ApiError::ChatNotFound);

    let missing = bot
        .edit_message_reply_markup(CHAT, MessageId(77))
        .reply_markup(keyboard(&["x"]))
        .await;
    assert_eq!(api_error(missing), ApiError::MessageToEditNotFound);

    // Injected failures come before any check and are used once.
    tg.fail_next(
        "sendMessage",
        429,
        "Too Many Requests: retry after 7",
        Some(7),
    );
    let limited = bot.send_message(CHAT, "hi").await;
    assert!(
        matches!(limited, Err(RequestError::RetryAfter(s)) if s == Seconds::from_seconds(7)),
        "{limited:?}"
    );
    bot.send_message(CHAT, "hi").await.unwrap();

    let rejected: Vec<String> = tg
        .rejected()
        .into_iter()
        .map(|c| format!("{}: {}", c.method, c.error.unwrap()))
        .collect();
    assert_eq!(rejected.len(), 10, "{rejected:#?}");
    assert_eq!(
        rejected[5],
        "sendMessage: Bad Request: message text is empty"
    );
    assert_eq!(
        rejected.last().unwrap(),
        "sendMessage: Too Many Requests: retry after 7"
    );
    assert!(tg.calls().iter().all(|c| c.ok == c.error.is_none()));
}

/// A teloxide Dispatcher polls the fake like Telegram (getMe, getWebhookInfo, long polling).
#[tokio::test]
async fn dispatcher_polls_and_replies() {
    let tg = FakeTelegram::start().await;
    tg.push_text(42, "hello");
    let handler = Update::filter_message().endpoint(|bot: Bot, message: Message| async move {
        let text = format!("echo: {}", message.text().unwrap_or_default());
        bot.send_message(message.chat.id, text).await?;
        Ok::<(), RequestError>(())
    });
    let mut dispatcher = Dispatcher::builder(tg.bot(), handler).build();
    let shutdown = dispatcher.shutdown_token();
    let running = tokio::spawn(async move { dispatcher.dispatch().await });

    let replies = tg.wait_for_calls("sendMessage", 1).await;
    assert_eq!(replies[0].chat_id(), Some(42));
    assert_eq!(replies[0].text(), Some("echo: hello"));
    // A second message while the dispatcher long-polls is picked up at once.
    tg.push_text(42, "again");
    let replies = tg.wait_for_calls("sendMessage", 2).await;
    assert_eq!(replies[1].text(), Some("echo: again"));

    shutdown.shutdown().expect("dispatcher is running").await;
    running.await.unwrap();
    assert_eq!(tg.pending_updates(), 0);
    assert!(tg.rejected().is_empty(), "{:?}", tg.rejected());
}

/// Requests teloxide would never send, made by hand.
#[tokio::test]
async fn raw_requests_unknown_method_fields_and_token() {
    let (tg, _bot) = started().await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let post = |path: &str, body: serde_json::Value| {
        let request = http.post(format!("{}{path}", tg.api_url())).json(&body);
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            (status, response.json::<serde_json::Value>().await.unwrap())
        }
    };

    let (status, body) = post("bot123456:TEST-token/sendMesage", json!({})).await;
    assert_eq!(status, 404);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 404, "description": "Not Found: method not found"})
    );

    let (status, body) = post(
        "bot123456:TEST-token/sendMessage",
        json!({"chat_id": 42, "text": "x", "parse_mod": "HTML"}),
    )
    .await;
    assert_eq!(status, 400);
    assert_eq!(
        body["description"],
        "Bad Request: unexpected parameter parse_mod"
    );

    let (_, body) = post("bot123456:TEST-token/sendVoice", json!({"chat_id": 42})).await;
    assert_eq!(body["description"], "Bad Request: voice is required");

    let (_, body) = post("bot123456:TEST-token/sendMessage", json!({"chat_id": 42})).await;
    assert_eq!(body["description"], "Bad Request: message text is empty");

    // Method names are case-insensitive; reply_markup may come as JSON text.
    let (status, body) = post(
        "bot123456:TEST-token/SENDMESSAGE",
        json!({"chat_id": "42", "text": "x",
               "reply_markup": "{\"inline_keyboard\":[[{\"text\":\"a\",\"callback_data\":\"a\"}]]}"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"],
        "a"
    );
    let call = tg.calls().pop().unwrap();
    assert_eq!(call.method, "sendMessage");
    assert_eq!(call.chat_id(), Some(42));
    assert_eq!(call.callback_datas(), ["a"]);

    let (_, body) = post(
        "bot123456:TEST-token/sendMessage",
        json!({"chat_id": 42, "text": "x",
               "reply_markup": {"inline_keyboard": [[{"text": "a"}]]}}),
    )
    .await;
    assert_eq!(
        body["description"],
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard"
    );

    let (status, body) = post("botnot-a-token/getMe", json!({})).await;
    assert_eq!(
        (status, body["description"].as_str()),
        (401, Some("Unauthorized"))
    );

    // Rejected requests are recorded too, with the method as requested if unknown.
    let methods: Vec<String> = tg.rejected().into_iter().map(|c| c.method).collect();
    assert_eq!(
        methods,
        [
            "sendMesage",
            "sendMessage",
            "sendVoice",
            "sendMessage",
            "sendMessage",
            "getMe"
        ]
    );
}

#[test]
fn html_parser_follows_telegram() {
    let kinds = |f: &Formatted| -> Vec<(String, u64, u64)> {
        f.entities
            .iter()
            .map(|e| {
                let kind = e["type"].as_str().unwrap().to_owned();
                (
                    kind,
                    e["offset"].as_u64().unwrap(),
                    e["length"].as_u64().unwrap(),
                )
            })
            .collect()
    };
    let f = parse_html("<b>bold <i>both</i></b> &lt;x&gt; &#x1F600;&#33;").unwrap();
    assert_eq!(f.text, "bold both <x> 😀!");
    assert_eq!(kinds(&f), [("bold".into(), 0, 9), ("italic".into(), 5, 4)]);

    let f = parse_html("<pre><code class=\"language-rust\">fn</code></pre>").unwrap();
    assert_eq!(
        f.entities,
        [json!({"type": "pre", "offset": 0, "length": 2, "language": "rust"})]
    );
    let f = parse_html("<tg-spoiler>a</tg-spoiler><span class=\"tg-spoiler\">b</span><blockquote expandable>c</blockquote>").unwrap();
    let expected = [
        ("spoiler".into(), 0, 1),
        ("spoiler".into(), 1, 1),
        ("expandable_blockquote".into(), 2, 1),
    ];
    assert_eq!(kinds(&f), expected);

    let error = |html: &str| parse_html(html).unwrap_err();
    assert_eq!(
        error("<b><i>x</b></i>"),
        "Unmatched end tag at byte offset 7, expected \"</i>\", found \"</b>\""
    );
    assert_eq!(error("x</b>"), "Unexpected end tag at byte offset 1");
    assert_eq!(
        error("<p>x</p>"),
        "Unsupported start tag \"p\" at byte offset 0"
    );
    assert_eq!(error("a <"), "Unclosed start tag at byte offset 2");
    assert_eq!(
        error("<span>x</span>"),
        "Tag \"span\" must have class \"tg-spoiler\" at byte offset 0"
    );
    assert!(error("&nbsp;").contains("byte offset 0"));

    let f = parse_html("  <b> hi</b>  ").unwrap().trimmed();
    assert_eq!(f.text, "hi");
    assert_eq!(kinds(&f), [("bold".into(), 0, 2)]);
}

// ---------------------------------------------------------------------------------------
// Faults, blocked users and rate limits, seen by a plain HTTP client like the bot's own.

/// A reqwest client like the bot's own (never through a proxy), with this timeout.
fn http_client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(timeout)
        .build()
        .unwrap()
}

/// POSTs a JSON body to `method`: the HTTP status and the JSON answer, or the client's error.
async fn post(
    http: &reqwest::Client,
    tg: &FakeTelegram,
    method: &str,
    body: Value,
) -> Result<(u16, Value), reqwest::Error> {
    let url = format!("{}bot{TEST_TOKEN}/{method}", tg.api_url());
    let response = http.post(url).json(&body).send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await?))
}

/// POSTs a sendMessage of `text` to `chat`: as [`post`].
async fn send_message(
    http: &reqwest::Client,
    tg: &FakeTelegram,
    chat: i64,
    text: &str,
) -> Result<(u16, Value), reqwest::Error> {
    post(
        http,
        tg,
        "sendMessage",
        json!({"chat_id": chat, "text": text}),
    )
    .await
}

/// A sendMessage: the status the client saw, 0 if the connection was closed without an
/// answer.
async fn send_text(http: &reqwest::Client, tg: &FakeTelegram, chat: i64, text: &str) -> u16 {
    match send_message(http, tg, chat, text).await {
        Ok((status, _)) => status,
        Err(error) => {
            assert_connection_closed(&error);
            0
        }
    }
}

/// The error of a request whose connection was closed without any HTTP answer.
fn assert_connection_closed(error: &reqwest::Error) {
    let mut chain = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        chain += &format!(": {cause}");
        source = cause.source();
    }
    assert!(
        error.is_request() && !error.is_timeout() && !error.is_connect(),
        "{chain}"
    );
    assert_eq!(error.status(), None, "{chain}");
    assert!(
        chain.contains("connection closed before message completed"),
        "{chain}"
    );
}

fn statuses(tg: &FakeTelegram) -> Vec<u16> {
    tg.calls().iter().map(|c| c.status).collect()
}

#[tokio::test]
async fn calls_record_arrival_time_and_status() {
    let (tg, bot) = started().await;
    let http = http_client(Duration::from_secs(10));
    let before = Instant::now();
    bot.send_message(CHAT, "one").await.unwrap();
    assert_eq!(send_text(&http, &tg, 999, "stranger").await, 400);
    let url = format!("{}nonsense", tg.api_url());
    assert_eq!(http.post(url).send().await.unwrap().status(), 404);
    bot.get_me().await.unwrap();
    let after = Instant::now();

    let calls = tg.calls();
    let methods: Vec<&str> = calls.iter().map(|c| c.method.as_str()).collect();
    assert_eq!(
        methods,
        ["sendMessage", "sendMessage", "/nonsense", "getMe"]
    );
    assert_eq!(statuses(&tg), [200, 400, 404, 200]);
    assert!(calls.iter().all(|c| c.ok == (c.status == 200)));
    assert!(calls.iter().all(|c| (before..=after).contains(&c.at)));
    assert!(calls.windows(2).all(|w| w[0].at < w[1].at), "{calls:#?}");
}

#[tokio::test]
async fn one_shot_faults_are_used_in_order() {
    let (tg, bot) = started().await;
    let http = http_client(Duration::from_secs(10));
    tg.fail_next_with("sendMessage", Fault::server_error());
    tg.fail_next_with("SENDMESSAGE", Fault::bad_request("message text is empty"));
    tg.fail_next_with("sendMessage", Fault::blocked());
    tg.fail_next_with("sendMessage", Fault::too_many_requests(2));
    tg.fail_next_with("getMe", Fault::status(502, "Bad Gateway"));

    let mut answers = Vec::new();
    for i in 0..5 {
        let body = json!({"chat_id": 42, "text": format!("m{i}")});
        answers.push(post(&http, &tg, "sendMessage", body).await.unwrap());
    }
    let expected = [
        (500, "Internal Server Error"),
        (400, "Bad Request: message text is empty"),
        (403, "Forbidden: bot was blocked by the user"),
        (429, "Too Many Requests: retry after 2"),
    ];
    for ((status, body), (code, description)) in answers.iter().zip(expected) {
        assert_eq!(*status, code);
        assert_eq!(body["ok"], false);
        assert_eq!(body["error_code"], code);
        assert_eq!(body["description"], description);
    }
    assert_eq!(answers[3].1["parameters"], json!({"retry_after": 2}));
    assert_eq!(answers[0].1.get("parameters"), None);
    assert_eq!(answers[4].0, 200);
    assert_eq!(answers[4].1["result"]["text"], "m4");
    // Any method can get a one-shot fault.
    assert_eq!(post(&http, &tg, "getMe", json!({})).await.unwrap().0, 502);
    assert_eq!(statuses(&tg), [500, 400, 403, 429, 200, 502]);
    assert_eq!(tg.too_many_requests(), 1);
    assert_eq!(tg.delivered(), [(42, "m4".to_owned())]);

    // Through teloxide: the same ApiError variants as with Telegram.
    tg.fail_next_with("sendMessage", Fault::too_many_requests(2));
    tg.fail_next_with("sendMessage", Fault::blocked());
    let limited = bot.send_message(CHAT, "x").await;
    assert!(
        matches!(limited, Err(RequestError::RetryAfter(s)) if s == Seconds::from_seconds(2)),
        "{limited:?}"
    );
    assert_eq!(
        api_error(bot.send_message(CHAT, "x").await),
        ApiError::BotBlocked
    );
    assert_eq!(tg.too_many_requests(), 2);

    // clear_faults forgets queued faults, also those of fail_next.
    tg.fail_next_with("sendMessage", Fault::Drop);
    tg.fail_next("sendMessage", 500, "Internal Server Error", None);
    tg.clear_faults();
    bot.send_message(CHAT, "after clear").await.unwrap();
    assert_eq!(tg.delivered().len(), 2);
}

#[tokio::test]
async fn dropped_request_gets_no_answer_at_all() {
    let (tg, bot) = started().await;
    let http = http_client(Duration::from_secs(10));
    // A pooled connection first, so the drop hits a reused one (as in a busy bot).
    assert_eq!(send_text(&http, &tg, 42, "before").await, 200);

    tg.fail_next_with("sendMessage", Fault::Drop);
    let started_at = Instant::now();
    let error = send_message(&http, &tg, 42, "lost").await.unwrap_err();
    assert_connection_closed(&error);
    assert!(started_at.elapsed() < Duration::from_secs(5));

    let call = tg.calls().pop().unwrap();
    assert_eq!(
        (call.method.as_str(), call.status, call.ok),
        ("sendMessage", 0, false)
    );
    assert_eq!(call.text(), Some("lost"));
    assert!(call.result.is_none());
    // Recorded once: the client did not retry it.
    assert_eq!(tg.calls_to("sendMessage").len(), 2);

    // No message was created: the next one gets the next id.
    let (status, body) = send_message(&http, &tg, 42, "after").await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["result"]["message_id"], 3);
    assert_eq!(
        tg.delivered(),
        [(42, "before".to_owned()), (42, "after".to_owned())]
    );

    // On the wire: the request is read, then the socket closes without a single byte back.
    tg.fail_next_with("sendMessage", Fault::Drop);
    let body = r#"{"chat_id":42,"text":"raw"}"#;
    let request = format!(
        "POST /bot{TEST_TOKEN}/sendMessage HTTP/1.1\r\nHost: x\r\nContent-Type: \
         application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let address = tg
        .api_url()
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    let mut socket = tokio::net::TcpStream::connect(address).await.unwrap();
    socket.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), socket.read_to_end(&mut answer))
        .await
        .expect("the fake closes the connection");
    match read {
        Ok(n) => assert_eq!(n, 0),
        Err(e) => assert_eq!(e.kind(), std::io::ErrorKind::ConnectionReset),
    }
    assert!(answer.is_empty(), "{}", String::from_utf8_lossy(&answer));
    assert_eq!(tg.calls().pop().unwrap().text(), Some("raw"));

    // teloxide sees a network error.
    tg.fail_next_with("sendMessage", Fault::Drop);
    let result = bot.send_message(CHAT, "x").await;
    assert!(
        matches!(result, Err(RequestError::Network(_))),
        "{result:?}"
    );
    assert_eq!(statuses(&tg), [200, 0, 200, 0, 0]);
    assert_eq!(tg.delivered().len(), 2);
}

#[tokio::test]
async fn delayed_answer_times_out_but_the_message_is_sent() {
    let (tg, _bot) = started().await;
    let impatient = http_client(Duration::from_millis(300));
    tg.fail_next_with("sendMessage", Fault::Delay(Duration::from_millis(900)));
    let started_at = Instant::now();
    let error = send_message(&impatient, &tg, 42, "slow").await.unwrap_err();
    assert!(error.is_timeout(), "{error:?}");
    assert!(started_at.elapsed() < Duration::from_millis(850));
    // Recorded at once, as answered later: 200 with the message, which exists.
    let call = tg.calls().pop().unwrap();
    assert_eq!((call.status, call.ok), (200, true));
    assert_eq!(call.result_message_id(), Some(2));
    assert!(tg.message(42, 2).is_some());
    assert_eq!(tg.delivered(), [(42, "slow".to_owned())]);

    // A patient client gets the answer after the delay; meanwhile others are served.
    let patient = http_client(Duration::from_secs(10));
    tg.fail_next_with("sendMessage", Fault::Delay(Duration::from_millis(1500)));
    let slow = {
        let patient = patient.clone();
        let url = format!("{}bot{TEST_TOKEN}/sendMessage", tg.api_url());
        tokio::spawn(async move {
            let started_at = Instant::now();
            let body = json!({"chat_id": 42, "text": "slow 2"});
            let response = patient.post(url).json(&body).send().await.unwrap();
            let status = response.status().as_u16();
            let body: Value = response.json().await.unwrap();
            (status, body, started_at.elapsed())
        })
    };
    tg.wait_for_calls("sendMessage", 2).await;
    let fast_started = Instant::now();
    assert_eq!(send_text(&patient, &tg, 42, "fast").await, 200);
    assert_eq!(
        post(&patient, &tg, "getMe", json!({})).await.unwrap().0,
        200
    );
    assert!(fast_started.elapsed() < Duration::from_millis(1000));
    assert!(!slow.is_finished());
    let (status, body, elapsed) = slow.await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(body["result"]["text"], "slow 2");
    assert_eq!(body["result"]["message_id"], 3);
    assert!(elapsed >= Duration::from_millis(1500), "{elapsed:?}");

    let texts: Vec<String> = tg.delivered().into_iter().map(|(_, text)| text).collect();
    assert_eq!(texts, ["slow", "slow 2", "fast"]);
    let calls = tg.calls_to("sendMessage");
    assert!(calls.windows(2).all(|w| w[0].at < w[1].at));
    assert!(calls.iter().all(|c| c.status == 200));
}

/// Sends 60 messages one after another with random faults from `seed`; the statuses the
/// client saw (0: connection closed), after checking them against the fake's records.
async fn with_random_faults(seed: u64, probability: f64) -> Vec<u16> {
    let (tg, _bot) = started().await;
    let http = http_client(Duration::from_secs(10));
    let faults = vec![
        Fault::server_error(),
        Fault::blocked(),
        Fault::too_many_requests(3),
        Fault::Drop,
    ];
    tg.set_random_faults(seed, probability, faults);
    let mut seen = Vec::new();
    for i in 0..60 {
        seen.push(send_text(&http, &tg, 42, &format!("m{i}")).await);
        // Other methods get no random faults and draw nothing.
        assert_eq!(post(&http, &tg, "getMe", json!({})).await.unwrap().0, 200);
    }
    assert_eq!(
        statuses(&tg).into_iter().step_by(2).collect::<Vec<_>>(),
        seen
    );
    let ok = seen.iter().filter(|&&s| s == 200).count();
    assert_eq!(tg.delivered().len(), ok);
    let limited = seen.iter().filter(|&&s| s == 429).count();
    assert_eq!(tg.too_many_requests(), limited);

    tg.clear_faults();
    assert_eq!(send_text(&http, &tg, 42, "calm").await, 200);
    seen
}

#[tokio::test]
async fn random_faults_are_reproducible_for_a_seed() {
    let first = with_random_faults(7, 0.5).await;
    assert_eq!(with_random_faults(7, 0.5).await, first);
    let count = |statuses: &[u16], status| statuses.iter().filter(|&&s| s == status).count();
    // Every kind of fault happens, at about the rate asked for.
    for status in [500, 403, 429, 0] {
        assert!(count(&first, status) > 0, "{status} missing in {first:?}");
    }
    let faulty = 60 - count(&first, 200);
    assert!((18..=42).contains(&faulty), "{faulty} faults in {first:?}");

    let other = with_random_faults(8, 0.5).await;
    assert_ne!(other, first);
    assert_eq!(with_random_faults(8, 0.0).await, [200; 60]);
    let always = with_random_faults(8, 1.0).await;
    assert!(always.iter().all(|&s| s != 200), "{always:?}");
}

#[tokio::test]
async fn enforced_rate_limits_answer_429_like_telegram() {
    let tg = FakeTelegram::start().await;
    tg.allow_chats(1..=40);
    tg.enforce_rate_limits(30, 1);
    let http = http_client(Duration::from_secs(10));

    // 30 sends to 30 chats at once pass; the 31st within the second does not.
    let mut sends = tokio::task::JoinSet::new();
    for chat in 1..=30 {
        let http = http.clone();
        let url = format!("{}bot{TEST_TOKEN}/sendMessage", tg.api_url());
        sends.spawn(async move {
            let body = json!({"chat_id": chat, "text": "burst"});
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    assert_eq!(sends.join_all().await, [200; 30]);
    let (status, body) = send_message(&http, &tg, 31, "31st").await.unwrap();
    let calls = tg.calls();
    let first = calls.iter().map(|c| c.at).min().unwrap();
    let last_accepted = calls[..30].iter().map(|c| c.at).max().unwrap();
    assert!(
        calls[30].at - first < Duration::from_secs(1),
        "the machine is too slow for this test"
    );
    assert_eq!(status, 429);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 429, "description": "Too Many Requests: retry after 1",
               "parameters": {"retry_after": 1}})
    );
    assert_eq!(tg.too_many_requests(), 1);
    assert_eq!(tg.delivered().len(), 30);

    // Once the window has passed, sends are accepted again, one per chat and second.
    tokio::time::sleep_until((last_accepted + Duration::from_millis(1200)).into()).await;
    assert_eq!(send_text(&http, &tg, 31, "later").await, 200);
    assert_eq!(send_text(&http, &tg, 31, "again").await, 429);
    assert_eq!(send_text(&http, &tg, 32, "other chat").await, 200);
    // teloxide sees RetryAfter(1 s), as from Telegram.
    let bot = tg.bot();
    let limited = bot.send_message(ChatId(31), "teloxide").await;
    assert!(
        matches!(limited, Err(RequestError::RetryAfter(s)) if s == Seconds::from_seconds(1)),
        "{limited:?}"
    );
    assert_eq!(tg.too_many_requests(), 3);
    // Other methods are not limited.
    bot.send_chat_action(ChatId(31), teloxide::types::ChatAction::Typing)
        .await
        .unwrap();

    tg.stop_enforcing_rate_limits();
    assert_eq!(send_text(&http, &tg, 31, "free").await, 200);
    assert_eq!(send_text(&http, &tg, 31, "free again").await, 200);
    assert_eq!(tg.delivered().len(), 34);
}

#[tokio::test]
async fn blocked_user_answers_403() {
    let (tg, bot) = started().await;
    let http = http_client(Duration::from_secs(10));
    bot.send_message(CHAT, "before").await.unwrap();
    tg.block_user(CHAT.0);
    tg.block_user(77); // never wrote to the bot

    assert_eq!(
        api_error(bot.send_message(CHAT, "x").await),
        ApiError::BotBlocked
    );
    let voice = bot
        .send_voice(CHAT, InputFile::memory(vec![1u8; 10]).file_name("a.ogg"))
        .await;
    assert_eq!(api_error(voice), ApiError::BotBlocked);
    let (status, body) = send_message(&http, &tg, 77, "x").await.unwrap();
    assert_eq!(status, 403);
    assert_eq!(
        body,
        json!({"ok": false, "error_code": 403, "description": "Forbidden: bot was blocked by the user"})
    );
    // Field checks come first, as with Telegram.
    let (status, _) = post(&http, &tg, "sendMessage", json!({"chat_id": 42}))
        .await
        .unwrap();
    assert_eq!(status, 400);
    // Chat actions to a user who blocked the bot fail too.
    let typing = bot
        .send_chat_action(CHAT, teloxide::types::ChatAction::Typing)
        .await;
    assert_eq!(api_error(typing), ApiError::BotBlocked);
    assert_eq!(statuses(&tg), [200, 403, 403, 403, 400, 403]);

    tg.unblock_user(CHAT.0);
    bot.send_message(CHAT, "after").await.unwrap();
    assert_eq!(
        tg.delivered(),
        [(42, "before".to_owned()), (42, "after".to_owned())]
    );
}

#[tokio::test]
async fn chats_that_never_wrote_can_be_allowed() {
    let tg = FakeTelegram::start().await;
    let http = http_client(Duration::from_secs(10));
    let description = |answer: (u16, Value)| answer.1["description"].as_str().map(str::to_owned);
    let send = |chat: i64| send_message(&http, &tg, chat, "hi");

    assert_eq!(
        description(send(7).await.unwrap()).as_deref(),
        Some("Bad Request: chat not found")
    );
    tg.allow_chats([7, 8]);
    let (status, body) = send(7).await.unwrap();
    assert_eq!(status, 200);
    assert_eq!(
        body["result"]["chat"],
        json!({"id": 7, "type": "private", "first_name": "U7"})
    );
    assert_eq!(body["result"]["message_id"], 1);
    assert_eq!(send(8).await.unwrap().0, 200);
    assert_eq!(send(9).await.unwrap().0, 400);

    tg.accept_any_chat(true);
    assert_eq!(send(9).await.unwrap().0, 200);
    assert_eq!(send(123_456_789).await.unwrap().0, 200);
    tg.accept_any_chat(false);
    assert_eq!(send(10).await.unwrap().0, 400);
    assert_eq!(send(7).await.unwrap().0, 200);
    let chats: Vec<i64> = tg.delivered().into_iter().map(|(chat, _)| chat).collect();
    assert_eq!(chats, [7, 8, 9, 123_456_789, 7]);
}

#[tokio::test]
async fn delivered_counts_only_messages_that_arrived() {
    let (tg, bot) = started().await;
    let http = http_client(Duration::from_millis(300));
    assert_eq!(send_text(&http, &tg, 42, "one").await, 200);
    tg.fail_next_with("sendMessage", Fault::server_error());
    assert_eq!(send_text(&http, &tg, 42, "failed").await, 500);
    tg.fail_next_with("sendMessage", Fault::Drop);
    assert_eq!(send_text(&http, &tg, 42, "dropped").await, 0);
    tg.fail_next_with("sendMessage", Fault::Delay(Duration::from_millis(600)));
    let timeout = send_message(&http, &tg, 42, "delayed").await.unwrap_err();
    assert!(timeout.is_timeout(), "{timeout:?}");
    assert_eq!(send_text(&http, &tg, 42, " ").await, 400);
    bot.send_photo(CHAT, InputFile::memory(vec![1u8; 100]).file_name("p.png"))
        .caption("<b>caption</b>")
        .parse_mode(ParseMode::Html)
        .await
        .unwrap();
    let options = ["a", "b"].map(InputPollOption::new);
    bot.send_poll(CHAT, "Q?", options).await.unwrap();
    // Not a send method: not listed.
    bot.send_chat_action(CHAT, teloxide::types::ChatAction::Typing)
        .await
        .unwrap();

    assert_eq!(statuses(&tg), [200, 500, 0, 200, 400, 200, 200, 200]);
    assert_eq!(
        tg.delivered(),
        [
            (42, "one".to_owned()),
            (42, "delayed".to_owned()),
            (42, "caption".to_owned()),
            (42, "Q?".to_owned()),
        ]
    );
}

#[tokio::test]
async fn venues_are_sent_and_checked_like_telegram() {
    let (tg, bot) = started().await;
    let sent = bot
        .send_venue(CHAT, 30.5928, 114.3055, "青山党校", "和平大道 1 号")
        .await
        .unwrap();
    let venue = sent.venue().expect("a venue message");
    assert_eq!(
        (venue.title.as_str(), venue.address.as_str()),
        ("青山党校", "和平大道 1 号")
    );
    assert_eq!(
        (venue.location.latitude, venue.location.longitude),
        (30.5928, 114.3055)
    );
    assert_eq!(tg.delivered(), [(CHAT.0, "青山党校".to_string())]);
    let calls = tg.take_calls();
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].method, "sendVenue");
    assert_eq!(calls[0].chat_id(), Some(CHAT.0));
    assert_eq!(calls[0].location(), Some((30.5928, 114.3055)));
    assert_eq!(calls[0].param("address"), Some(&json!("和平大道 1 号")));
    assert_eq!(calls[0].result_message_id(), Some(sent.id.0 as i64));

    // What teloxide cannot send, by hand: a venue needs a title and an address (missing and
    // empty read alike), and a location on Earth.
    let http = http_client(Duration::from_secs(10));
    let venue = json!({"chat_id": CHAT.0, "latitude": 30.5, "longitude": 114.3, "title": "T"});
    for (body, description) in [
        (venue.clone(), "Bad Request: address is required"),
        (
            json!({"chat_id": CHAT.0, "latitude": 30.5, "longitude": 114.3, "title": "T", "address": " "}),
            "Bad Request: address is required",
        ),
        (
            json!({"chat_id": CHAT.0, "latitude": 30.5, "longitude": 114.3, "address": "A"}),
            "Bad Request: title is required",
        ),
        (
            json!({"chat_id": CHAT.0, "longitude": 114.3, "title": "T", "address": "A"}),
            "Bad Request: latitude is empty",
        ),
        (
            json!({"chat_id": CHAT.0, "latitude": 91, "longitude": 114.3, "title": "T", "address": "A"}),
            "Bad Request: wrong venue location specified",
        ),
    ] {
        let (status, answer) = post(&http, &tg, "sendVenue", body.clone()).await.unwrap();
        assert_eq!(
            (status, answer["description"].as_str()),
            (400, Some(description)),
            "{body}"
        );
    }
    assert!(tg.take_calls().iter().all(|c| !c.ok));
    assert_eq!(tg.delivered().len(), 1);
}

#[tokio::test]
async fn reply_keyboard_that_requests_the_location() {
    use teloxide::types::{ButtonRequest, KeyboardButton, KeyboardMarkup};
    let (tg, bot) = started().await;
    let markup = KeyboardMarkup::new([[
        KeyboardButton::new("📍 发送位置").request(ButtonRequest::Location)
    ]])
    .one_time_keyboard()
    .resize_keyboard();
    let sent = bot
        .send_message(CHAT, "<b>请</b>发送位置")
        .parse_mode(ParseMode::Html)
        .reply_markup(markup)
        .await
        .unwrap();
    // A reply keyboard is not part of the message (only inline keyboards are).
    assert!(sent.reply_markup().is_none());
    let calls = tg.take_calls();
    let markup = calls[0].reply_markup().unwrap();
    assert_eq!(
        markup["keyboard"],
        json!([[{"text": "📍 发送位置", "request_location": true}]])
    );
    assert_eq!(
        (&markup["one_time_keyboard"], &markup["resize_keyboard"]),
        (&json!(true), &json!(true))
    );

    // The JSON the bot's own client sends, and buttons given as strings, pass.
    let http = http_client(Duration::from_secs(10));
    let send = |markup: Value| {
        let http = http.clone();
        let tg = &tg;
        async move {
            let body = json!({"chat_id": CHAT.0, "text": "x", "reply_markup": markup});
            post(&http, tg, "sendMessage", body).await.unwrap()
        }
    };
    let ours = json!({
        "keyboard": [[{"text": "📍", "request_location": true}]],
        "one_time_keyboard": true,
        "resize_keyboard": true,
    });
    assert_eq!(send(ours.clone()).await.0, 200);
    assert_eq!(
        send(json!({"keyboard": [["a", "b"], [{"text": "c"}]]}))
            .await
            .0,
        200
    );
    // As JSON text, the way multipart requests carry it.
    assert_eq!(send(json!(ours.to_string())).await.0, 200);

    for (markup, description) in [
        (
            json!({"keyboard": [[{"text": "📍", "request_location": "yes"}]]}),
            "Bad Request: can't parse keyboard button: Field \"request_location\" must be of type Boolean",
        ),
        (
            json!({"keyboard": [[{"text": "📍", "request_location": true, "request_contact": true}]]}),
            "Bad Request: can't parse keyboard button: at most one of the fields request_contact, \
             request_location can be used",
        ),
        (
            json!({"keyboard": [[{"text": "📍", "request_place": true}]]}),
            "Bad Request: can't parse keyboard button: unexpected field \"request_place\"",
        ),
        (
            json!({"keyboard": [[{"request_location": true}]]}),
            "Bad Request: can't parse keyboard button: Field \"text\" must be of type String",
        ),
        (
            json!({"keyboard": [[7]]}),
            "Bad Request: can't parse keyboard button: KeyboardButton must be a String or an Object",
        ),
        (
            json!({"keyboard": [{"text": "📍"}]}),
            "Bad Request: field \"keyboard\" of the ReplyKeyboardMarkup should be an Array of Arrays",
        ),
        (
            json!({"keyboard": [["a"]], "one_time_keyboard": "yes"}),
            "Bad Request: can't parse reply keyboard markup JSON object: Field \"one_time_keyboard\" \
             must be of type Boolean",
        ),
        (
            json!({"keyboard": [["a"]], "one_time": true}),
            "Bad Request: can't parse reply keyboard markup JSON object: unexpected field \
             \"one_time\"",
        ),
    ] {
        let (status, answer) = send(markup.clone()).await;
        assert_eq!(
            (status, answer["description"].as_str()),
            (400, Some(description)),
            "{markup}"
        );
    }
    // An edit takes inline keyboards only.
    let edit = bot
        .edit_message_text(CHAT, sent.id, "y")
        .reply_markup(keyboard(&["a"]))
        .await;
    assert!(edit.is_ok(), "{edit:?}");
    let (status, answer) = post(
        &http,
        &tg,
        "editMessageReplyMarkup",
        json!({"chat_id": CHAT.0, "message_id": sent.id.0, "reply_markup": ours}),
    )
    .await
    .unwrap();
    assert_eq!(
        (status, answer["description"].as_str()),
        (400, Some("Bad Request: inline keyboard expected"))
    );
}

#[tokio::test]
async fn shared_and_live_locations_arrive_as_telegram_sends_them() {
    use teloxide::types::AllowedUpdate;
    let tg = FakeTelegram::start().await;
    let bot = tg.bot();
    let first = tg.push_location(42, 30.5928, 114.3055);
    let (second, live_id) = tg.push_live_location(42, 30.5, 114.3, 900);
    let third = tg.push_live_location_update(42, live_id, 30.51, 114.31);
    assert_eq!((first, second, third), (1, 2, 3));
    assert_eq!(live_id, 2);

    let updates = bot
        .get_updates()
        .allowed_updates([AllowedUpdate::Message, AllowedUpdate::EditedMessage])
        .await
        .unwrap();
    assert_eq!(
        tg.allowed_updates(),
        Some(vec!["message".to_string(), "edited_message".to_string()])
    );
    assert_eq!(updates.len(), 3);
    let UpdateKind::Message(shared) = &updates[0].kind else {
        panic!("{:?}", updates[0].kind)
    };
    let location = shared.location().unwrap();
    assert_eq!((location.latitude, location.longitude), (30.5928, 114.3055));
    assert_eq!(location.live_period, None);
    assert_eq!(shared.from.as_ref().unwrap().id, UserId(42));
    let UpdateKind::Message(live) = &updates[1].kind else {
        panic!("{:?}", updates[1].kind)
    };
    assert_eq!(live.id, MessageId(2));
    assert!(live.location().unwrap().live_period.is_some());
    let UpdateKind::EditedMessage(moved) = &updates[2].kind else {
        panic!("{:?}", updates[2].kind)
    };
    assert_eq!(moved.id, MessageId(2));
    assert_eq!(moved.chat.id, CHAT);
    assert!(moved.edit_date().is_some());
    let location = moved.location().unwrap();
    assert_eq!((location.latitude, location.longitude), (30.51, 114.31));
    assert!(location.live_period.is_some());
    // The fake keeps the message as edited.
    assert_eq!(
        tg.message(42, 2).unwrap()["location"]["latitude"],
        json!(30.51)
    );

    // A bot that does not ask for edited messages does not get them (the setting stays
    // until changed), and other types still arrive.
    tg.push_live_location_update(42, live_id, 30.52, 114.32);
    tg.push_text(42, "hi");
    let updates = bot
        .get_updates()
        .offset(4)
        .allowed_updates([AllowedUpdate::Message])
        .await
        .unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), [5]);
    tg.push_live_location_update(42, live_id, 30.53, 114.33);
    assert!(bot.get_updates().offset(6).await.unwrap().is_empty());
    let discarded: Vec<i64> = tg
        .discarded_updates()
        .iter()
        .map(|u| u["update_id"].as_i64().unwrap())
        .collect();
    assert_eq!(discarded, [4, 6]);
    // An empty list is Telegram's default: everything but chat_member and reactions.
    tg.push_live_location_update(42, live_id, 30.54, 114.34);
    tg.push_update(json!({"message_reaction": {}}));
    let updates = bot
        .get_updates()
        .offset(7)
        .allowed_updates(Vec::<AllowedUpdate>::new())
        .await
        .unwrap();
    assert_eq!(updates.iter().map(|u| u.id.0).collect::<Vec<_>>(), [7]);
    assert_eq!(tg.discarded_updates().len(), 3);
}

/// The bot's Telegram channel against the fake: locations in, venues and location requests
/// out, and the update types it asks for.
#[tokio::test]
async fn telegram_channel_receives_locations_and_sends_venues() {
    use weike::channel::telegram::{ALLOWED_UPDATES, TelegramChannel};
    use weike::channel::{Channel, InboundEvent, Outbound, SendError};
    let tg = FakeTelegram::start().await;
    let channel = TelegramChannel::new(TEST_TOKEN, Some(&tg.api_url())).unwrap();
    tg.push_location(42, 30.5928, 114.3055);
    let (_, live_id) = tg.push_live_location(42, 30.5, 114.3, 3600);
    tg.push_live_location_update(42, live_id, 30.51, 114.31);
    let events: Vec<_> = channel
        .poll(0, Duration::ZERO)
        .await
        .unwrap()
        .into_iter()
        .map(|raw| {
            assert_eq!(raw.chat_key, "42");
            let inbound = weike::channel::telegram::parse_update(&raw.payload)
                .expect("readable")
                .expect("handled");
            assert_eq!(inbound.chat_id, "42");
            inbound.event
        })
        .collect();
    assert_eq!(
        events,
        [
            InboundEvent::Location {
                lat: 30.5928,
                lon: 114.3055,
                live: false
            },
            InboundEvent::Location {
                lat: 30.5,
                lon: 114.3,
                live: false
            },
            InboundEvent::Location {
                lat: 30.51,
                lon: 114.31,
                live: true
            },
        ]
    );
    let asked: Vec<String> = ALLOWED_UPDATES.iter().map(|s| s.to_string()).collect();
    assert_eq!(tg.allowed_updates(), Some(asked.clone()));
    assert!(tg.discarded_updates().is_empty());

    let venue = Outbound::Venue {
        lat: 30.5928,
        lon: 114.3055,
        title: "青山党校".into(),
        address: "和平大道 1 号".into(),
    };
    let sent = channel.send("42", &venue).await.unwrap();
    let ask = Outbound::AskLocation {
        html: "<b>请</b>发送您的位置".into(),
        button_label: "📍 发送位置".into(),
    };
    let asked_at = channel.send("42", &ask).await.unwrap();
    let calls = tg.take_calls();
    assert!(calls.iter().all(|c| c.ok), "{calls:?}");
    assert_eq!(calls[0].method, "sendVenue");
    assert_eq!(
        sent.message_id,
        calls[0].result_message_id().map(|id| id.to_string())
    );
    assert_eq!(calls[0].location(), Some((30.5928, 114.3055)));
    assert_eq!(calls[0].param("title"), Some(&json!("青山党校")));
    assert_eq!(calls[0].param("address"), Some(&json!("和平大道 1 号")));
    assert_eq!(calls[1].method, "sendMessage");
    assert_eq!(
        asked_at.message_id,
        calls[1].result_message_id().map(|id| id.to_string())
    );
    assert_eq!(calls[1].param("parse_mode"), Some(&json!("HTML")));
    assert_eq!(
        calls[1].reply_markup(),
        Some(json!({
            "keyboard": [[{"text": "📍 发送位置", "request_location": true}]],
            "one_time_keyboard": true,
            "resize_keyboard": true,
        }))
    );
    assert_eq!(
        tg.delivered(),
        [
            (42, "青山党校".to_string()),
            (42, "请发送您的位置".to_string())
        ]
    );

    // Refused by Telegram (no address), or not a location at all (not sent).
    let no_address = Outbound::Venue {
        lat: 30.5,
        lon: 114.3,
        title: "T".into(),
        address: String::new(),
    };
    assert!(matches!(
        channel.send("42", &no_address).await,
        Err(SendError::Rejected(e)) if e.contains("address is required")
    ));
    let nowhere = Outbound::Venue {
        lat: f64::NAN,
        lon: 114.3,
        title: "T".into(),
        address: "A".into(),
    };
    assert!(matches!(
        channel.send("42", &nowhere).await,
        Err(SendError::Rejected(_))
    ));
    assert_eq!(tg.take_calls().len(), 1);

    // A webhook asks for the same types.
    channel
        .set_webhook("https://bot.example.org/telegram/hook", "s3cret")
        .await
        .unwrap();
    let info = tg.bot().get_webhook_info().await.unwrap();
    assert_eq!(
        serde_json::to_value(info.allowed_updates).unwrap(),
        json!(ALLOWED_UPDATES)
    );
    assert_eq!(tg.allowed_updates(), Some(asked));
}
