//! WeCom's callback crypto against an independent implementation: `wechatpy` (PyPI; its
//! `wechatpy.enterprise.crypto`). weike encrypts and wechatpy decrypts, and the other way
//! round, for messages of many lengths and scripts. `.ci/run` installs wechatpy; without it
//! the test is skipped with a visible notice locally and fails in CI (as the PostgreSQL tests).

mod support;

use std::process::Command;

use weike::channel::wecom::crypto::WecomCrypto;

const TOKEN: &str = "weikeToken2026";
const AES_KEY: &str = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG";
const CORP_ID: &str = "ww1234567890abcdef";

/// The Python that has wechatpy: `WEIKE_TEST_PYTHON`, or `python3`.
fn python() -> Option<String> {
    let python = std::env::var("WEIKE_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let ok = Command::new(&python)
        .args(["-c", "import wechatpy.enterprise.crypto"])
        .output()
        .is_ok_and(|o| o.status.success());
    if ok {
        return Some(python);
    }
    support::db::skip_or_fail(
        "wecom_crypto",
        "WEIKE_TEST_PYTHON (a Python with `pip install wechatpy==1.8.18 cryptography`)",
    );
    None
}

fn run(python: &str, script: &str, args: &[&str]) -> String {
    let out = Command::new(python)
        .arg("-c")
        .arg(script)
        .args(args)
        .output()
        .expect("run python");
    assert!(
        out.status.success(),
        "python failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("UTF-8")
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).expect(start) + start.len();
    let to = text[from..].find(end).expect(end) + from;
    &text[from..to]
}

fn messages() -> Vec<String> {
    vec![
        String::new(),
        "1616140317555161061".into(),
        "<xml><ToUserName><![CDATA[ww1234567890abcdef]]></ToUserName><Content><![CDATA[学完了]]></Content></xml>".into(),
        "打卡 ".repeat(500),
        "x".repeat(31),
        "x".repeat(32),
        "繁體中文與 English mixed 😀".into(),
    ]
}

const DECRYPT: &str = r#"
import sys
from wechatpy.enterprise.crypto import WeChatCrypto
token, key, corp, encrypt, signature, timestamp, nonce = sys.argv[1:8]
c = WeChatCrypto(token, key, corp)
xml = "<xml><ToUserName><![CDATA[%s]]></ToUserName><Encrypt><![CDATA[%s]]></Encrypt></xml>" % (corp, encrypt)
sys.stdout.write(c.decrypt_message(xml, signature, timestamp, nonce))
"#;

const ENCRYPT: &str = r#"
import sys
from wechatpy.enterprise.crypto import WeChatCrypto
token, key, corp, message, timestamp, nonce = sys.argv[1:7]
sys.stdout.write(WeChatCrypto(token, key, corp).encrypt_message(message, nonce, timestamp))
"#;

#[test]
fn weike_and_wechatpy_read_each_others_messages() {
    let Some(python) = python() else { return };
    let crypto = WecomCrypto::new(TOKEN, AES_KEY, CORP_ID).unwrap();
    let (timestamp, nonce) = ("1765000000", "493822");
    for (i, message) in messages().into_iter().enumerate() {
        // weike -> wechatpy
        let encrypted = crypto.encrypt(&message, [i as u8; 16]);
        let signature = crypto.signature(timestamp, nonce, &encrypted);
        let decrypted = run(
            &python,
            DECRYPT,
            &[
                TOKEN, AES_KEY, CORP_ID, &encrypted, &signature, timestamp, nonce,
            ],
        );
        assert_eq!(decrypted, message, "wechatpy read weike's message {i}");
        // wechatpy -> weike
        let xml = run(
            &python,
            ENCRYPT,
            &[TOKEN, AES_KEY, CORP_ID, &message, timestamp, nonce],
        );
        let encrypted = between(&xml, "<Encrypt><![CDATA[", "]]></Encrypt>");
        let signature = between(&xml, "<MsgSignature><![CDATA[", "]]></MsgSignature>");
        crypto
            .verify(signature, timestamp, nonce, encrypted)
            .expect("wechatpy's signature");
        assert_eq!(
            crypto.decrypt(encrypted).as_deref(),
            Ok(message.as_str()),
            "weike read wechatpy's message {i}"
        );
    }
}
