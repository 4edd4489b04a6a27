//! Proves the fake Telegram server against the real teloxide 0.17 client: its answers
//! deserialize into teloxide's types, and its rejections carry Telegram's wording (so that
//! teloxide maps them to the same `ApiError` variants as in production).

mod support;

use serde_json::json;
use support::fake_telegram::{
    BOT_ID, BOT_USERNAME, FakeTelegram, TEST_TOKEN, UploadedFile,
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
            size: 1000
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
