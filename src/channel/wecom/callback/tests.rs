use super::*;

const TOKEN: &str = "QDG6eK";
const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
const CORP_ID: &str = "wx5823bf96d3bd56c7";

fn crypto() -> WecomCrypto {
    WecomCrypto::new(TOKEN, AES_KEY, CORP_ID).expect("the documentation's key")
}

/// A POST as WeCom sends it: the query and the envelope.
fn post(crypto: &WecomCrypto, plain: &str) -> (CallbackQuery, String) {
    let encrypted = crypto.encrypt(plain, [9; 16]);
    let query = CallbackQuery {
        msg_signature: crypto.signature("1409659813", "1372623149", &encrypted),
        timestamp: "1409659813".into(),
        nonce: "1372623149".into(),
        echostr: None,
    };
    (query, envelope(CORP_ID, 218, &encrypted))
}

#[test]
fn the_url_is_verified_with_the_documentations_example() {
    let query = CallbackQuery::parse(
        "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780\
         &echostr=P9nAzCzyDtyTWESHep1vC5X9xho%2FqYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp%2B4RPcs8TgAE7OaBO%2BFZXvnaqQ%3D%3D",
    )
    .expect("query");
    assert_eq!(
        verify_url(&crypto(), &query),
        Ok("1616140317555161061".into())
    );
    // A `+` sent unencoded arrives as a space and is put back.
    let raw = CallbackQuery::parse(
        "msg_signature=5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3&timestamp=1409659589&nonce=263014780\
         &echostr=P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
    )
    .expect("query");
    assert_eq!(raw.echostr, query.echostr);
    let mut forged = query.clone();
    forged.nonce = "263014781".into();
    assert_eq!(
        verify_url(&crypto(), &forged),
        Err(CallbackError::Crypto(CryptoError::Signature))
    );
    let mut no_echo = query;
    no_echo.echostr = None;
    assert_eq!(
        verify_url(&crypto(), &no_echo),
        Err(CallbackError::MissingParam("echostr"))
    );
    assert_eq!(
        CallbackQuery::parse("timestamp=1&nonce=2"),
        Err(CallbackError::MissingParam("msg_signature"))
    );
}

#[test]
fn a_text_message_becomes_inbound_text() {
    let plain = xml(&[
        ("ToUserName", CORP_ID),
        ("FromUserName", "ZhangSan"),
        ("CreateTime", "1348831860"),
        ("MsgType", "text"),
        ("Content", "学完了 <b>&amp;</b> ]]> 打卡"),
        ("MsgId", "1234567890123456"),
        ("AgentID", "218"),
    ]);
    let (query, body) = post(&crypto(), &plain);
    let callback = open_post(&crypto(), &query, &body).expect("opens");
    assert_eq!(callback.from_user, "ZhangSan");
    assert_eq!(callback.corp_id, CORP_ID);
    assert_eq!(callback.agent_id, Some(218));
    assert_eq!(callback.create_time, 1348831860);
    assert_eq!(callback.dedup_key(), "wecom:218:msg:1234567890123456");
    assert_eq!(
        callback.route(),
        Routed::Inbound(Inbound {
            channel: "wecom".into(),
            chat_id: "ZhangSan".into(),
            language: None,
            event: InboundEvent::Text("学完了 <b>&amp;</b> ]]> 打卡".into()),
        })
    );
}

#[test]
fn the_documentations_card_event_becomes_a_button_press() {
    // The example of 模板卡片事件推送, with a card of ours.
    let plain = "<xml>
        <ToUserName><![CDATA[toUser]]></ToUserName>
        <FromUserName><![CDATA[FromUser]]></FromUserName>
        <CreateTime>123456789</CreateTime>
        <MsgType><![CDATA[event]]></MsgType>
        <Event><![CDATA[template_card_event]]></Event>
        <EventKey><![CDATA[ci:safety:road]]></EventKey>
        <TaskId><![CDATA[taskid111]]></TaskId>
        <CardType><![CDATA[button_interaction]]></CardType>
        <ResponseCode><![CDATA[ResponseCode]]></ResponseCode>
        <AgentID>1</AgentID>
        <SelectedItems>
            <SelectedItem>
                <QuestionKey><![CDATA[QuestionKey1]]></QuestionKey>
                <OptionIds>
                    <OptionId><![CDATA[OptionId1]]></OptionId>
                    <OptionId><![CDATA[OptionId2]]></OptionId>
                </OptionIds>
            </SelectedItem>
        </SelectedItems>
    </xml>";
    let callback = parse(plain).expect("parses");
    assert_eq!(
        callback.event,
        CallbackEvent::CardClick {
            event_key: "ci:safety:road".into(),
            task_id: "taskid111".into(),
            card_type: "button_interaction".into(),
            response_code: "ResponseCode".into(),
        }
    );
    assert_eq!(
        callback.dedup_key(),
        "wecom:1:event:FromUser:123456789:template_card_event:ci:safety:road"
    );
    let Routed::Inbound(inbound) = callback.route() else {
        panic!("{:?}", callback.route());
    };
    assert_eq!(
        inbound.event,
        InboundEvent::Button {
            callback_id: "ResponseCode".into(),
            data: "ci:safety:road".into(),
            message_id: Some("taskid111".into()),
        }
    );
}

#[test]
fn locations_sent_are_not_live_and_automatic_reports_are() {
    let report = parse(&xml(&[
        ("ToUserName", CORP_ID),
        ("FromUserName", "lisi"),
        ("CreateTime", "123456789"),
        ("MsgType", "event"),
        ("Event", "LOCATION"),
        ("Latitude", "23.104105"),
        ("Longitude", "113.320107"),
        ("Precision", "65.000000"),
        ("AgentID", "1"),
        ("AppType", "wxwork"),
    ]))
    .expect("parses");
    assert_eq!(
        report.event,
        CallbackEvent::LocationReport {
            lat: 23.104105,
            lon: 113.320107,
            precision: Some(65.0)
        }
    );
    assert!(matches!(
        report.route(),
        Routed::Inbound(Inbound {
            event: InboundEvent::Location { live: true, .. },
            ..
        })
    ));
    assert_eq!(report.dedup_key(), "wecom:1:event:lisi:123456789:LOCATION");

    let sent = parse(&xml(&[
        ("ToUserName", CORP_ID),
        ("FromUserName", "lisi"),
        ("CreateTime", "1351776360"),
        ("MsgType", "location"),
        ("Location_X", "23.134521"),
        ("Location_Y", "113.358803"),
        ("Scale", "20"),
        ("Label", "位置信息"),
        ("MsgId", "1234567890123456"),
        ("AgentID", "1"),
    ]))
    .expect("parses");
    assert_eq!(
        sent.route(),
        Routed::Inbound(Inbound {
            channel: "wecom".into(),
            chat_id: "lisi".into(),
            language: None,
            event: InboundEvent::Location {
                lat: 23.134521,
                lon: 113.358803,
                live: false
            },
        })
    );
    let broken = xml(&[
        ("FromUserName", "lisi"),
        ("CreateTime", "1"),
        ("MsgType", "event"),
        ("Event", "LOCATION"),
        ("Latitude", "north"),
        ("Longitude", "1"),
    ]);
    assert!(matches!(
        parse(&broken),
        Err(CallbackError::NotANumber {
            field: "Latitude",
            ..
        })
    ));
}

#[test]
fn voice_becomes_media_with_the_recognized_speech_as_caption() {
    let fields = |recognition: &'static str| {
        xml(&[
            ("ToUserName", CORP_ID),
            ("FromUserName", "wangwu"),
            ("CreateTime", "1357290913"),
            ("MsgType", "voice"),
            ("MediaId", "M_voice_1"),
            ("Format", "amr"),
            ("Recognition", recognition),
            ("MsgId", "99"),
            ("AgentID", "1"),
        ])
    };
    let with = parse(&fields("我学完了")).expect("parses");
    let Routed::Inbound(inbound) = with.route() else {
        panic!("{:?}", with.route());
    };
    assert_eq!(
        inbound.event,
        InboundEvent::Media {
            kind: MediaKind::Voice,
            file_id: "M_voice_1".into(),
            caption: "我学完了".into(),
        }
    );
    let without = parse(&fields("")).expect("parses");
    assert!(matches!(
        without.event,
        CallbackEvent::Voice { recognition: None, ref format, .. } if format == "amr"
    ));
}

#[test]
fn app_events_are_named_for_the_service() {
    for (event, expected) in [
        (
            "enter_agent",
            MemberEvent::EnteredApp {
                userid: "u1".into(),
            },
        ),
        (
            "subscribe",
            MemberEvent::Subscribed {
                userid: "u1".into(),
            },
        ),
        (
            "unsubscribe",
            MemberEvent::Unsubscribed {
                userid: "u1".into(),
            },
        ),
    ] {
        let callback = parse(&xml(&[
            ("ToUserName", CORP_ID),
            ("FromUserName", "u1"),
            ("CreateTime", "1408091189"),
            ("MsgType", "event"),
            ("Event", event),
            ("EventKey", ""),
            ("AgentID", "1"),
        ]))
        .expect("parses");
        assert_eq!(callback.route(), Routed::Member(expected));
        assert_eq!(
            callback.dedup_key(),
            format!("wecom:1:event:u1:1408091189:{event}")
        );
    }
    let other = parse(&xml(&[
        ("FromUserName", "u1"),
        ("CreateTime", "1"),
        ("MsgType", "event"),
        ("Event", "click"),
    ]))
    .expect("parses");
    assert_eq!(other.route(), Routed::Ignored("event/click".into()));
    let video = parse(&xml(&[
        ("FromUserName", "u1"),
        ("CreateTime", "1"),
        ("MsgType", "video"),
    ]))
    .expect("parses");
    assert_eq!(video.route(), Routed::Ignored("video".into()));
}

#[test]
fn forged_foreign_or_broken_callbacks_are_refused() {
    let plain = xml(&[
        ("FromUserName", "u1"),
        ("CreateTime", "1"),
        ("MsgType", "text"),
        ("Content", "hi"),
        ("MsgId", "1"),
    ]);
    let c = crypto();
    let (query, body) = post(&c, &plain);
    let mut forged = query.clone();
    forged.msg_signature = forged.msg_signature.replace('a', "b").replace('1', "2");
    assert_eq!(
        open_post(&c, &forged, &body),
        Err(CallbackError::Crypto(CryptoError::Signature))
    );
    // Another corp's app with the same Token and key: the receiver id differs.
    let other = WecomCrypto::new(TOKEN, AES_KEY, "wwanothercorp").expect("key");
    let (query, body) = post(&other, &plain);
    assert_eq!(
        open_post(&c, &query, &body),
        Err(CallbackError::Crypto(CryptoError::Receiver))
    );
    assert!(matches!(
        open_post(&c, &query, "<xml><ToUserName>x</ToUserName></xml>"),
        Err(CallbackError::MissingField("Encrypt"))
    ));
    assert!(matches!(
        open_post(&c, &query, "not xml <<"),
        Err(CallbackError::Xml(_) | CallbackError::MissingField(_))
    ));
    assert!(matches!(
        open_post(&c, &query, &"x".repeat(MAX_BODY_BYTES + 1)),
        Err(CallbackError::TooLarge(_))
    ));
    assert!(matches!(
        parse("<xml><FromUserName>u</FromUserName><MsgType>text</MsgType></xml>"),
        Err(CallbackError::MissingField("CreateTime"))
    ));
    assert!(matches!(
        parse("<xml><CreateTime>1</CreateTime><MsgType>text</MsgType></xml>"),
        Err(CallbackError::MissingField("FromUserName"))
    ));
    // A DTD with an external entity is not expanded.
    let xxe = "<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY e SYSTEM \"file:///etc/passwd\">]>\
               <xml><FromUserName>u</FromUserName><CreateTime>1</CreateTime>\
               <MsgType>text</MsgType><Content>&e;</Content></xml>";
    if let Ok(callback) = parse(xxe) {
        assert!(!format!("{callback:?}").contains("root:"));
    }
}
