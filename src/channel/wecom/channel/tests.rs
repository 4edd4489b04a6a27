//! What the channel makes of stored callbacks: clicks, typed numbers, quiz answers,
//! locations, leaving; and what it keeps of a dead one.

use std::sync::Arc;

use super::*;
use crate::clock::ManualClock;

const CORP: &str = "wwtest0123456789";

fn settings() -> WecomSettings {
    WecomSettings {
        corp_id: CORP.into(),
        agent_id: 1000002,
        secret: "secret".into(),
        token: "tok123".into(),
        aes_key: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG".into(),
        api_url: Some("http://127.0.0.1:9/cgi-bin".into()),
    }
}

fn channel() -> WecomChannel {
    let clock = ManualClock::new(chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap());
    WecomChannel::new(&settings(), Arc::new(clock), WecomTexts::default()).unwrap()
}

fn text(user: &str, content: &str, msg_id: &str) -> String {
    callback::xml(&[
        ("ToUserName", CORP),
        ("FromUserName", user),
        ("CreateTime", "1790000000"),
        ("MsgType", "text"),
        ("Content", content),
        ("MsgId", msg_id),
        ("AgentID", "1000002"),
    ])
}

fn click(user: &str, key: &str, code: &str) -> String {
    callback::xml(&[
        ("ToUserName", CORP),
        ("FromUserName", user),
        ("CreateTime", "1790000001"),
        ("MsgType", "event"),
        ("Event", "template_card_event"),
        ("EventKey", key),
        ("TaskId", "wk1"),
        ("CardType", "button_interaction"),
        ("ResponseCode", code),
        ("AgentID", "1000002"),
    ])
}

fn event(user: &str, name: &str, extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("ToUserName", CORP),
        ("FromUserName", user),
        ("CreateTime", "1790000002"),
        ("MsgType", "event"),
        ("Event", name),
        ("AgentID", "1000002"),
    ];
    fields.extend_from_slice(extra);
    callback::xml(&fields)
}

#[test]
fn a_click_decodes_its_key_and_waits_to_finish_its_card() {
    let c = channel();
    let key = CardKey::Button {
        data: "lang:en".into(),
        label: "English".into(),
    };
    let inbound = c
        .parse_update(&click("zhangsan", &key.encode(), "RC1"))
        .unwrap()
        .unwrap();
    assert_eq!(inbound.chat_id, "zhangsan");
    assert_eq!(
        inbound.event,
        InboundEvent::Button {
            callback_id: "RC1".into(),
            data: "lang:en".into(),
            message_id: Some("click:RC1".into()),
        }
    );
    assert_eq!(
        c.state().pending.get("zhangsan"),
        Some(&Pending {
            response_code: "RC1".into(),
            label: "English".into()
        })
    );
    // A quiz option comes back as the answer.
    let option = CardKey::Answer {
        poll_id: "wkq".into(),
        option: 2,
        label: "丙".into(),
    };
    let inbound = c
        .parse_update(&click("lisi", &option.encode(), "RC2"))
        .unwrap()
        .unwrap();
    assert_eq!(
        inbound.event,
        InboundEvent::PollAnswer {
            poll_id: "wkq".into(),
            option: Some(2)
        }
    );
    // A key that is not ours is passed on as it is (answered "out of date").
    let inbound = c
        .parse_update(&click("lisi", "ck:old", "RC3"))
        .unwrap()
        .unwrap();
    assert!(matches!(inbound.event, InboundEvent::Button { ref data, .. } if data == "ck:old"));
}

#[test]
fn a_typed_number_picks_a_choice_of_the_latest_message_with_choices() {
    let c = channel();
    // Nothing shown yet: a number is text.
    let typed = c
        .parse_update(&text("zhangsan", "2", "1"))
        .unwrap()
        .unwrap();
    assert_eq!(typed.event, InboundEvent::Text("2".into()));
    c.state().choices.insert(
        "zhangsan".into(),
        vec![
            Choice::Button {
                data: "lang:zh-CN".into(),
            },
            Choice::Button {
                data: "lang:en".into(),
            },
        ],
    );
    let typed = c
        .parse_update(&text("zhangsan", " 2 ", "2"))
        .unwrap()
        .unwrap();
    assert!(
        matches!(typed.event, InboundEvent::Button { ref data, message_id: None, .. } if data == "lang:en"),
        "{typed:?}"
    );
    // Out of range, or another member: text.
    let typed = c
        .parse_update(&text("zhangsan", "3", "3"))
        .unwrap()
        .unwrap();
    assert_eq!(typed.event, InboundEvent::Text("3".into()));
    let typed = c.parse_update(&text("lisi", "1", "4")).unwrap().unwrap();
    assert_eq!(typed.event, InboundEvent::Text("1".into()));
}

#[test]
fn location_reports_are_live_locations_and_are_scrubbed_from_dead_updates() {
    let c = channel();
    let report = event(
        "zhangsan",
        "LOCATION",
        &[
            ("Latitude", "30.5928"),
            ("Longitude", "114.3055"),
            ("Precision", "15"),
        ],
    );
    let inbound = c.parse_update(&report).unwrap().unwrap();
    assert_eq!(
        inbound.event,
        InboundEvent::Location {
            lat: 30.5928,
            lon: 114.3055,
            live: true
        }
    );
    let kept = c.scrub_update(&report).expect("scrubbed");
    assert!(
        !kept.contains("30.59") && !kept.contains("114.30"),
        "{kept}"
    );
    assert_eq!(c.parse_update(&kept), Ok(None));
    assert_eq!(c.scrub_update(&text("zhangsan", "hi", "9")), None);
}

#[test]
fn leaving_is_an_event_and_other_events_are_ignored() {
    let c = channel();
    let left = c
        .parse_update(&event("zhangsan", "unsubscribe", &[]))
        .unwrap()
        .unwrap();
    assert_eq!(left.event, InboundEvent::Unsubscribed);
    assert_eq!(left.channel, CHANNEL_NAME);
    for name in ["subscribe", "enter_agent", "view"] {
        assert_eq!(
            c.parse_update(&event("zhangsan", name, &[])),
            Ok(None),
            "{name}"
        );
    }
    // Another app of the corp: not ours.
    let other = text("zhangsan", "hi", "5").replace("1000002", "1000003");
    assert_eq!(c.parse_update(&other), Ok(None));
    assert!(
        c.parse_update("<xml><MsgType>text</MsgType></xml>")
            .is_err()
    );
}

#[test]
fn the_route_verifies_the_url_and_reads_signed_callbacks_only() {
    let c = channel();
    let route = c.webhook_route().unwrap();
    let crypto = WecomCrypto::new("tok123", &settings().aes_key, CORP).unwrap();
    let headers = axum::http::HeaderMap::new();
    // GET: the plaintext of echostr, signed.
    let echo = crypto.encrypt("1616140317555161061", [3; 16]);
    let signature = crypto.signature("1790000000", "42", &echo);
    let query: String = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("msg_signature", &signature)
        .append_pair("timestamp", "1790000000")
        .append_pair("nonce", "42")
        .append_pair("echostr", &echo)
        .finish();
    let request = WebhookRequest {
        headers: &headers,
        query: Some(&query),
    };
    assert_eq!(
        route.answer_get(&request),
        GetAnswer::Text("1616140317555161061".into())
    );
    let forged = query.replace(&signature[..6], "000000");
    let request = WebhookRequest {
        headers: &headers,
        query: Some(&forged),
    };
    assert_eq!(route.answer_get(&request), GetAnswer::Refused);
    // POST: admitted by its parameters, read only with the right signature.
    let xml = text("zhangsan", "/start", "77");
    let encrypted = crypto.encrypt(&xml, [4; 16]);
    let body = callback::envelope(CORP, 1000002, &encrypted);
    let signature = crypto.signature("1790000000", "43", &encrypted);
    let query = format!("msg_signature={signature}&timestamp=1790000000&nonce=43");
    let request = WebhookRequest {
        headers: &headers,
        query: Some(&query),
    };
    assert!(route.admits(&request));
    let update = route.read(&request, &body).expect("read");
    assert_eq!(update.chat_key, "zhangsan");
    assert_eq!(update.payload, xml);
    // The same callback again has the same id (stored once).
    assert_eq!(
        route.read(&request, &body).unwrap().update_id,
        update.update_id
    );
    let bad = format!(
        "msg_signature={}&timestamp=1790000000&nonce=43",
        "0".repeat(40)
    );
    let request = WebhookRequest {
        headers: &headers,
        query: Some(&bad),
    };
    assert!(route.admits(&request));
    assert_eq!(route.read(&request, &body), None);
    let request = WebhookRequest {
        headers: &headers,
        query: Some("timestamp=1"),
    };
    assert!(!route.admits(&request));
}

#[test]
fn media_ids_are_kept_with_their_kind_and_life() {
    let at = chrono::DateTime::from_timestamp(1_790_000_000, 0).unwrap();
    let value = StoredMedia::value(MediaType::Voice, "MID", at);
    assert_eq!(
        StoredMedia::parse(&value, at + chrono::Duration::days(1)),
        Some((MediaType::Voice, "MID".into()))
    );
    assert_eq!(
        StoredMedia::parse(&value, at + chrono::Duration::days(3)),
        None
    );
    assert_eq!(StoredMedia::parse("MID 123", at), None);
}

#[test]
fn a_long_text_is_parts_of_at_most_2048_bytes_with_the_buttons_last() {
    let c = channel();
    let paragraph = format!("<b>{}</b> &lt;注意&gt;。", "安全第一".repeat(40));
    let html = vec![paragraph; 6].join("\n\n");
    let buttons = vec![vec![crate::channel::Button::new(
        "✅ 学完打卡",
        "ck:safety:road",
    )]];
    let parts = c.parts(&Outbound::with_buttons(html.clone(), buttons.clone()));
    assert!(parts.len() >= 2, "{parts:?}");
    let mut text = Vec::new();
    for (i, part) in parts.iter().enumerate() {
        let Outbound::Text { html, buttons: b } = part else {
            panic!("{part:?}");
        };
        let plain = plain_text(html);
        assert!(plain.len() <= MAX_TEXT_BYTES, "{}", plain.len());
        assert_eq!(b.is_empty(), i + 1 < parts.len());
        text.push(plain);
    }
    assert_eq!(
        text.join("\n\n"),
        plain_text(&html),
        "nothing lost, entities kept"
    );
    let short = Outbound::text("短");
    assert_eq!(c.parts(&short), vec![short]);
}
