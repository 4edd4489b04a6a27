use super::*;

// ----- errors -----

/// An errcode, the kind of failure it is, and the exact failure when it is not that kind
/// with the errmsg.
type ErrcodeRow = (i64, fn(String) -> SendError, Option<SendError>);

#[test]
fn errcodes_are_sorted_as_the_documentation_describes_them() {
    use SendError::*;
    let retry = |d: u64| RetryAfter(Duration::from_secs(d));
    // (errcode, what the courier is told), one row per documented code we act on.
    let table: &[ErrcodeRow] = &[
        (45009, Transient, Some(retry(60))), // 接口调用超过限制
        (45033, Transient, Some(retry(1))),  // 接口并发调用超过限制
        (45047, Transient, Some(retry(60))), // (Official Accounts' limit, defensively)
        (81013, Unreachable, None),          // every recipient invalid or out of range
        (60111, Unreachable, None),          // UserID不存在
        (40003, Unreachable, None),          // 无效的UserID
        (46004, Unreachable, None),          // 指定的用户不存在
        (40031, Unreachable, None),          // 不合法的UserID列表
        (50002, Unreachable, None),          // 成员不在权限范围
        (60011, Unreachable, None),          // 无权限
        (82001, Unreachable, None),          // 全部无效
        (60020, Transient, Some(retry(60))), // 不安全的访问IP: a setting, not the message
        (-1, Transient, None),               // 系统繁忙
        (40014, Transient, None),            // token refused again after a refresh
        (42001, Transient, None),
        (40001, Transient, None),
        (40008, Rejected, None), // 不合法的msgtype参数
        (44004, Rejected, None), // 文本消息content参数为空
        (45002, Rejected, None), // 消息内容大小超过限制
        (40007, Rejected, None), // 不合法的media_id参数
        (40058, Rejected, None), // 不合法的参数
        (41033, Rejected, None), // 缺少 description 参数
        (40056, Rejected, None), // 不合法的agentid
    ];
    for (errcode, kind, exact) in table {
        let got = classify_errcode(*errcode, "msg");
        let expected = exact
            .clone()
            .unwrap_or_else(|| kind(format!("errcode {errcode}: msg")));
        assert_eq!(got, expected, "errcode {errcode}");
    }
}

#[test]
fn failures_without_an_errcode_are_sorted_too() {
    let table = [
        (
            ApiFailure::Credentials {
                errcode: 40013,
                errmsg: "invalid corpid".into(),
            },
            SendError::RetryAfter(CREDENTIALS_PAUSE),
        ),
        (
            ApiFailure::Status {
                code: 502,
                body: "bad gateway".into(),
            },
            SendError::Transient("HTTP 502 bad gateway".into()),
        ),
        (
            ApiFailure::Status {
                code: 429,
                body: String::new(),
            },
            SendError::RetryAfter(FREQUENCY_PAUSE),
        ),
        (
            ApiFailure::Status {
                code: 404,
                body: "no".into(),
            },
            SendError::Rejected("HTTP 404 no".into()),
        ),
        (ApiFailure::Timeout, SendError::Transient("timeout".into())),
        (
            ApiFailure::Network("reset".into()),
            SendError::Transient("reset".into()),
        ),
        (
            ApiFailure::BadResponse("eof".into()),
            SendError::Transient("unreadable answer: eof".into()),
        ),
        (
            ApiFailure::Invalid("too long".into()),
            SendError::Rejected("too long".into()),
        ),
    ];
    for (failure, expected) in table {
        assert_eq!(failure.clone().classify(), expected, "{failure:?}");
    }
    assert!(matches!(
        ApiFailure::InvalidUser("zhangsan".into()).classify(),
        SendError::Unreachable(t) if t.contains("zhangsan")
    ));
}

#[test]
fn secrets_and_tokens_are_taken_out_of_text() {
    let secrets = Secrets {
        secret: "S3cr3t-abc".into(),
        tokens: Arc::default(),
    };
    secrets.remember_token("TOKEN_xyz");
    let text = "GET /cgi-bin/gettoken?corpid=ww1&corpsecret=S3cr3t-abc failed; \
                POST /message/send?access_token=TOKEN_xyz&debug=1; access_token=other (old)";
    let clean = secrets.redact(text);
    assert!(!clean.contains("S3cr3t") && !clean.contains("TOKEN_xyz") && !clean.contains("other"));
    assert!(clean.contains("corpid=ww1"), "{clean}");
    assert!(clean.contains("&debug=1"), "{clean}");
    assert_eq!(secrets.redact("nothing secret here"), "nothing secret here");
    let failure = ApiFailure::Network(text.into()).redacted(&secrets);
    assert!(!format!("{failure:?}").contains("S3cr3t"));
}

#[test]
fn config_and_client_debug_show_no_secret() {
    let config = WecomConfig {
        corp_id: "ww1".into(),
        secret: "S3cr3t-abc".into(),
        agent_id: 1000002,
        api_base: None,
        timeout: Duration::from_secs(5),
    };
    assert!(!format!("{config:?}").contains("S3cr3t"));
    let clock: Arc<dyn Clock> = Arc::new(crate::clock::SystemClock);
    let client = WecomClient::new(&config, clock).expect("client");
    let shown = format!("{client:?}");
    assert!(
        !shown.contains("S3cr3t") && shown.contains("1000002"),
        "{shown}"
    );
}

// ----- messages -----

fn card(buttons: usize) -> ButtonCard {
    ButtonCard {
        title: "第一课：交通安全".into(),
        description: "学完请打卡".into(),
        task_id: "ci-safety-road_42@1".into(),
        buttons: (0..buttons)
            .map(|i| CardButton {
                key: format!("ci:safety:{i}"),
                text: format!("按钮{i}"),
            })
            .collect(),
    }
}

#[test]
fn bodies_carry_what_the_documentation_requires() {
    let options = SendOptions::default();
    let body = Message::Text("你好".into()).body("zhangsan", 1000002, &options);
    assert_eq!(
        body,
        json!({"touser": "zhangsan", "msgtype": "text", "agentid": 1000002, "text": {"content": "你好"}})
    );
    let body = Message::ButtonCard(card(2)).body("zhangsan", 7, &options);
    assert_eq!(body["template_card"]["card_type"], "button_interaction");
    assert_eq!(body["template_card"]["task_id"], "ci-safety-road_42@1");
    assert_eq!(
        body["template_card"]["main_title"]["title"],
        "第一课：交通安全"
    );
    assert_eq!(
        body["template_card"]["button_list"][1],
        json!({"text": "按钮1", "key": "ci:safety:1"})
    );
    let body = Message::TextCard {
        title: "t".into(),
        description: "d".into(),
        url: "https://example.org/".into(),
        btntxt: Some("更多".into()),
    }
    .body("u", 1, &options);
    assert_eq!(body["textcard"]["btntxt"], "更多");
    let body = Message::Voice {
        media_id: "M1".into(),
    }
    .body("u", 1, &options);
    assert_eq!(body["voice"], json!({"media_id": "M1"}));
    let dedup = SendOptions {
        duplicate_check: Some(Duration::from_secs(600)),
    };
    let body = Message::Markdown("**x**".into()).body("u", 1, &dedup);
    assert_eq!(body["enable_duplicate_check"], 1);
    assert_eq!(body["duplicate_check_interval"], 600);
    let long = SendOptions {
        duplicate_check: Some(Duration::from_secs(99_999)),
    };
    assert_eq!(
        Message::Text("x".into()).body("u", 1, &long)["duplicate_check_interval"],
        14_400
    );
}

#[test]
fn documented_limits_are_checked_before_sending() {
    assert!(Message::Text("汉".repeat(682)).validate().is_ok()); // 2046 bytes
    assert!(Message::Text("汉".repeat(683)).validate().is_err()); // 2049 bytes
    assert!(Message::Text("  ".into()).validate().is_err());
    assert!(Message::ButtonCard(card(6)).validate().is_ok());
    assert!(Message::ButtonCard(card(7)).validate().is_err());
    assert!(Message::ButtonCard(card(0)).validate().is_err());
    let mut twin = card(2);
    twin.buttons[1].key = twin.buttons[0].key.clone();
    assert!(Message::ButtonCard(twin).validate().is_err());
    let mut bad_task = card(1);
    bad_task.task_id = "有中文".into();
    assert!(Message::ButtonCard(bad_task).validate().is_err());
    assert!(check_task_id(&"a".repeat(128)).is_ok());
    assert!(check_task_id(&"a".repeat(129)).is_err());
    let textcard = |btntxt: &str| Message::TextCard {
        title: "t".into(),
        description: "d".into(),
        url: "https://example.org/".into(),
        btntxt: Some(btntxt.into()),
    };
    assert!(textcard("查看详情").validate().is_ok());
    assert!(textcard("查看更多详情").validate().is_err());
    let article = Article {
        title: "t".into(),
        description: String::new(),
        url: "https://example.org/".into(),
        picurl: None,
    };
    assert!(Message::News(vec![article.clone(); 8]).validate().is_ok());
    assert!(Message::News(vec![article; 9]).validate().is_err());
    assert!(Message::News(vec![]).validate().is_err());
}

#[test]
fn receipts_list_invalid_users_in_lowercase() {
    let r = receipt(&json!({
        "errcode": 0, "errmsg": "ok", "invaliduser": "ZhangSan|lisi", "msgid": "m1", "response_code": "rc"
    }));
    assert_eq!(r.invalid_users, vec!["zhangsan", "lisi"]);
    assert_eq!(r.msgid.as_deref(), Some("m1"));
    assert_eq!(r.response_code.as_deref(), Some("rc"));
    assert_eq!(
        receipt(&json!({"errcode": 0, "invaliduser": ""})).invalid_users,
        Vec::<String>::new()
    );
}

// ----- splitting -----

/// Every part fits, none is empty, and nothing but whitespace at the cuts is lost.
fn check_split(text: &str, max: usize) -> Vec<String> {
    let parts = split_text(text, max);
    for p in &parts {
        assert!(!p.is_empty() && p.len() <= max, "{} bytes: {p:?}", p.len());
    }
    let squash = |s: &str| s.chars().filter(|c| !c.is_whitespace()).collect::<String>();
    assert_eq!(squash(&parts.concat()), squash(text));
    parts
}

#[test]
fn short_text_is_one_part() {
    assert_eq!(
        check_split("今天学习交通安全。", 2048),
        vec!["今天学习交通安全。"]
    );
    assert_eq!(split_text("   ", 2048), Vec::<String>::new());
}

#[test]
fn paragraphs_are_kept_together() {
    let p1 = "第一段：".to_string() + &"过马路要走斑马线。".repeat(20);
    let p2 = "第二段：".to_string() + &"骑车要戴头盔。".repeat(20);
    let text = format!("{p1}\n\n{p2}");
    assert!(text.len() > 600);
    let parts = check_split(&text, 600);
    assert_eq!(parts, vec![p1, p2]);
}

#[test]
fn long_chinese_paragraphs_are_cut_after_a_sentence_on_a_character_boundary() {
    let text = "过马路要走斑马线，看清左右来车。".repeat(200); // 48 bytes a sentence
    let parts = check_split(&text, MAX_TEXT_BYTES);
    assert!(parts.len() >= 5, "{}", parts.len());
    for p in &parts {
        assert!(p.ends_with('。'), "{:?}", &p[p.len() - 9..]);
    }
}

#[test]
fn english_is_cut_after_a_sentence_not_inside_a_number() {
    let sentence = "Cross at the zebra crossing, version 3.5 of the rules applies. ";
    let text = sentence.repeat(60);
    let parts = check_split(&text, 1000);
    for p in &parts {
        assert!(
            p.ends_with("applies."),
            "{:?}",
            &p[p.len().saturating_sub(20)..]
        );
    }
}

#[test]
fn text_without_any_boundary_is_cut_at_characters() {
    let text = "安".repeat(1000); // 3000 bytes, no punctuation or space
    let parts = check_split(&text, MAX_TEXT_BYTES);
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].len(), 2046);
    let mixed = "a安😀".repeat(300);
    check_split(&mixed, 100);
    check_split(&mixed, 5);
}

#[test]
fn lines_are_preferred_to_sentences() {
    let line = "第一行没有句号但是很长".repeat(10);
    let text = format!("{line}\n{}", "第二行。".repeat(40));
    let parts = check_split(&text, 400);
    assert_eq!(parts[0], line);
}

// ----- media -----

/// An AMR-NB file of `frames` 12.2 kbit/s frames (20 ms each).
pub(crate) fn amr(frames: usize) -> Vec<u8> {
    let mut bytes = AMR_MAGIC.to_vec();
    for _ in 0..frames {
        bytes.push(7 << 3 | 0x04); // frame type 7, quality bit
        bytes.extend([0u8; 31]);
    }
    bytes
}

#[test]
fn amr_files_are_measured() {
    assert_eq!(amr_seconds(&amr(50)), Some(1.0));
    assert_eq!(amr_seconds(&amr(3000)), Some(60.0));
    assert_eq!(amr_seconds(b"#!AMR\n"), Some(0.0));
    assert_eq!(amr_seconds(b"RIFF....WAVEfmt "), None);
    let mut cut = amr(3);
    cut.pop();
    assert_eq!(amr_seconds(&cut), None, "a truncated frame");
    let mut reserved = amr(1);
    reserved.push(10 << 3);
    assert_eq!(amr_seconds(&reserved), None, "a reserved frame type");
}

#[test]
fn uploads_beyond_the_limits_are_refused_before_sending() {
    let png = [b"\x89PNG\r\n\x1a\n".as_slice(), &[0; 100]].concat();
    let jpg = [[0xFF, 0xD8, 0xFF, 0xE0].as_slice(), &[0; 100]].concat();
    assert_eq!(check_upload(MediaType::Image, &png), Ok(()));
    assert_eq!(check_upload(MediaType::Image, &jpg), Ok(()));
    assert!(matches!(
        check_upload(MediaType::Image, b"GIF89a-----"),
        Err(UploadRefused::WrongFormat { .. })
    ));
    let big_png = [png.as_slice(), &vec![0; 10 << 20]].concat();
    assert!(matches!(
        check_upload(MediaType::Image, &big_png),
        Err(UploadRefused::TooLarge { limit, .. }) if limit == 10 << 20
    ));
    assert_eq!(check_upload(MediaType::Voice, &amr(3000)), Ok(()));
    assert!(matches!(
        check_upload(MediaType::Voice, &amr(3001)),
        Err(UploadRefused::TooLong { .. })
    ));
    assert!(matches!(
        check_upload(MediaType::Voice, b"ID3\x03mp3 bytes"),
        Err(UploadRefused::WrongFormat { .. })
    ));
    // 2 MB of AMR lasts longer than 60 s, so a voice is refused for one or the other.
    assert!(check_upload(MediaType::Voice, &amr(70_000)).is_err());
    assert_eq!(check_upload(MediaType::File, &[1; 20 << 20]), Ok(()));
    assert!(matches!(
        check_upload(MediaType::File, &vec![1; (20 << 20) + 1]),
        Err(UploadRefused::TooLarge { .. })
    ));
    assert!(matches!(
        check_upload(MediaType::File, b"12345"),
        Err(UploadRefused::TooSmall { size: 5, .. })
    ));
    let message = SendError::from(UploadRefused::TooLong { seconds: 61.0 }).to_string();
    assert!(message.contains("60 s"), "{message}");
}

#[test]
fn media_ids_are_cached_for_their_three_days_less_a_margin() {
    let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
    let hours = |h: i64| t0 + chrono::Duration::hours(h);
    let mut cache = MediaCache::default();
    cache.put(MediaType::Image, "abc", "M1", t0);
    assert_eq!(
        cache.get(MediaType::Image, "abc", hours(70)),
        Some("M1".into())
    );
    assert_eq!(cache.get(MediaType::Image, "abc", hours(71)), None);
    assert_eq!(
        cache.get(MediaType::File, "abc", hours(1)),
        None,
        "types are apart"
    );
    cache.forget(MediaType::Image, "abc");
    assert_eq!(cache.get(MediaType::Image, "abc", hours(1)), None);

    let stored = MediaCache::stored_value("M2", t0);
    assert_eq!(
        MediaCache::parse_stored(&stored, hours(70)),
        Some("M2".into())
    );
    assert_eq!(MediaCache::parse_stored(&stored, hours(71)), None);
    assert_eq!(
        MediaCache::parse_stored("M3", hours(0)),
        None,
        "a Telegram-style id"
    );
    assert_eq!(MediaCache::stored_channel(MediaType::Voice), "wecom:voice");
    assert_eq!(sha256_hex(b"").len(), 64);
}
