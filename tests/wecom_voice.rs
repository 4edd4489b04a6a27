//! A lesson's Opus audio as WeCom voice messages, with the real tools (opusdec and sox, which
//! `.ci/run` installs; without them the tests say SKIPPED locally and fail in CI): the
//! transcoding into AMR-NB pieces of at most 60 s, cut at a pause; the pieces uploaded to the
//! fake WeCom as `voice` (which checks the AMR magic number and the length) and sent as voice
//! messages with the caption after them, then by their media ids; and, with the tools
//! missing, the audio sent as a file, with the caption, logged and counted, never a failure.

mod support;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use support::fake_wecom::{self, AGENT_ID, CALLBACK_AES_KEY, CALLBACK_TOKEN, CORP_ID, FakeWecom};
use weike::channel::wecom::client::{amr_seconds, sha256_hex};
use weike::channel::wecom::voice::{AMR_MAGIC, Transcoder};
use weike::channel::wecom::{WecomChannel, WecomTexts};
use weike::channel::{AudioRef, Channel, Outbound};
use weike::clock::SystemClock;
use weike::config::WecomSettings;
use weike::content::AudioKind;
use weike::metrics::Metrics;

/// 64.5 s of Mandarin: two pieces.
const LONG: &str = "lessons/safety/audio/01-road-safety.zh-CN.ogg";
/// 55.1 s of English: one piece.
const SHORT: &str = "lessons/safety/audio/01-road-safety.en.ogg";

fn path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)
}

/// Whether opusdec and sox (with AMR-NB) are here; SKIPPED (or, in CI, a failure) if not.
async fn tools(test: &str) -> bool {
    match Transcoder::default().check().await {
        Ok(()) => true,
        Err(e) => {
            eprintln!("{e}");
            support::db::skip_or_fail(
                test,
                "opusdec and sox with AMR-NB (apt-get install opus-tools sox libsox-fmt-base)",
            );
            false
        }
    }
}

fn settings(fake: &FakeWecom, opusdec: &str) -> WecomSettings {
    WecomSettings {
        corp_id: CORP_ID.into(),
        agent_id: AGENT_ID,
        secret: fake_wecom::SECRET.into(),
        token: CALLBACK_TOKEN.into(),
        aes_key: CALLBACK_AES_KEY.into(),
        api_url: Some(fake.api_base()),
        daily_budget: weike::config::DEFAULT_WECOM_DAILY_BUDGET,
        opusdec: opusdec.into(),
        sox: "sox".into(),
    }
}

fn lesson_audio(rel: &str, file_id: Option<String>) -> Outbound {
    let bytes = std::fs::read(path(rel)).expect("the lesson's audio");
    Outbound::Audio {
        audio: AudioRef {
            path: path(rel),
            sha256: sha256_hex(&bytes),
            kind: AudioKind::Voice,
            file_id,
        },
        caption_html: "<b>第 1 课</b> 请收听".into(),
        buttons: vec![],
    }
}

/// The length of an Ogg Opus file: its last granule position at 48 kHz, less the pre-skip.
fn opus_seconds(bytes: &[u8]) -> f64 {
    let last = bytes
        .windows(4)
        .rposition(|w| w == b"OggS")
        .expect("an Ogg page");
    let granule = u64::from_le_bytes(bytes[last + 6..last + 14].try_into().unwrap());
    let head = bytes
        .windows(8)
        .position(|w| w == b"OpusHead")
        .expect("an Opus header");
    let pre_skip = u16::from_le_bytes([bytes[head + 10], bytes[head + 11]]);
    (granule - u64::from(pre_skip)) as f64 / 48_000.0
}

#[tokio::test]
async fn a_lesson_is_transcoded_into_amr_pieces_of_at_most_60_seconds() {
    if !tools("a_lesson_is_transcoded_into_amr_pieces_of_at_most_60_seconds").await {
        return;
    }
    let t = Transcoder::default();
    for (rel, expected) in [(LONG, 2), (SHORT, 1)] {
        let pieces = t.voice_pieces(&path(rel)).await.expect("transcoded");
        assert_eq!(pieces.len(), expected, "{rel}");
        let seconds: Vec<f64> = pieces
            .iter()
            .map(|p| {
                assert!(p.starts_with(AMR_MAGIC), "{rel}: AMR-NB");
                assert!(p.len() <= 2 << 20, "{rel}: at most 2 MB");
                amr_seconds(p).expect("whole frames")
            })
            .collect();
        assert!(seconds.iter().all(|&s| s <= 60.0), "{rel}: {seconds:?}");
        // Nothing lost: the pieces last as long as the lesson (to a frame or two).
        let total: f64 = seconds.iter().sum();
        let opus = opus_seconds(&std::fs::read(path(rel)).unwrap());
        assert!((total - opus).abs() < 0.1, "{rel}: {total} s of {opus} s");
        if expected == 2 {
            // Cut near the middle (at a pause within 8 s of it), not at 59.5 s.
            assert!((seconds[0] - opus / 2.0).abs() <= 8.1, "{seconds:?}");
        }
    }
}

#[tokio::test]
async fn the_audio_goes_as_voice_messages_then_by_their_media_ids() {
    if !tools("the_audio_goes_as_voice_messages_then_by_their_media_ids").await {
        return;
    }
    let fake = FakeWecom::start().await;
    let metrics = Arc::new(Metrics::default());
    let channel = WecomChannel::new(
        &settings(&fake, "opusdec"),
        Arc::new(SystemClock),
        WecomTexts::default(),
        metrics.clone(),
    )
    .unwrap();
    let user = fake_wecom::MEMBERS[0];
    let audio = lesson_audio(LONG, None);
    assert_eq!(
        channel.message_cost(&audio).await,
        3,
        "two pieces and the caption"
    );
    let sent = channel.send(user, &audio).await.expect("sent");
    let got = fake.received(user);
    let kinds: Vec<&str> = got.iter().map(|d| d.msgtype.as_str()).collect();
    assert_eq!(kinds, ["voice", "voice", "text"], "{got:#?}");
    assert_eq!(got[2].text(), Some("第 1 课 请收听"), "the text too");
    let mut uploads = fake.uploads();
    // In upload order (the fake numbers its media ids).
    uploads.sort_by(|a, b| a.media_id.cmp(&b.media_id));
    assert_eq!(uploads.len(), 2, "{uploads:?}");
    for up in &uploads {
        assert_eq!(up.kind, "voice");
        assert!(up.head.starts_with(b"#!AMR\n"), "{up:?}");
        assert!(up.voice_ms.is_some_and(|ms| ms <= 60_000), "{up:?}");
        assert!(up.file_name.ends_with(".amr"), "{up:?}");
    }
    let total: u64 = uploads.iter().filter_map(|u| u.voice_ms).sum();
    assert!((64_000..=65_000).contains(&total), "{total} ms");
    assert_eq!(
        got[0].payload["media_id"].as_str(),
        Some(uploads[0].media_id.as_str()),
        "the pieces in order"
    );
    // What the store keeps: both ids, in order, and until when they live.
    let file_id = sent.file_id.expect("the media ids to keep");
    let ids = format!("voice:{},{} ", uploads[0].media_id, uploads[1].media_id);
    assert!(file_id.starts_with(&ids), "{file_id}");
    // Sent again by the kept ids: nothing uploaded.
    let again = lesson_audio(LONG, Some(file_id));
    assert_eq!(channel.message_cost(&again).await, 3);
    channel.send(user, &again).await.expect("sent");
    assert_eq!(fake.uploads().len(), 2);
    let kinds: Vec<String> = fake.received(user)[3..]
        .iter()
        .map(|d| d.msgtype.clone())
        .collect();
    assert_eq!(kinds, ["voice", "voice", "text"]);
    assert_eq!(metrics.wecom_voice_fallbacks.load(Ordering::Relaxed), 0);
}

#[tokio::test]
async fn without_the_tools_the_audio_goes_as_a_file_counted() {
    let fake = FakeWecom::start().await;
    let metrics = Arc::new(Metrics::default());
    let channel = WecomChannel::new(
        &settings(&fake, "/nonexistent/opusdec"),
        Arc::new(SystemClock),
        WecomTexts::default(),
        metrics.clone(),
    )
    .unwrap();
    let user = fake_wecom::MEMBERS[1];
    let sent = channel
        .send(user, &lesson_audio(LONG, None))
        .await
        .expect("the lesson is not failed for it");
    let kinds: Vec<String> = fake
        .received(user)
        .iter()
        .map(|d| d.msgtype.clone())
        .collect();
    assert_eq!(kinds, ["file", "text"]);
    let uploads = fake.uploads();
    assert_eq!(uploads.len(), 1);
    assert_eq!(uploads[0].kind, "file");
    assert!(uploads[0].file_name.ends_with(".ogg"));
    assert!(sent.file_id.is_some_and(|f| f.starts_with("file:")));
    assert_eq!(metrics.wecom_voice_fallbacks.load(Ordering::Relaxed), 1);
    // The next send does not run the missing tool again; it is counted again.
    channel
        .send(user, &lesson_audio(LONG, None))
        .await
        .expect("sent");
    assert_eq!(metrics.wecom_voice_fallbacks.load(Ordering::Relaxed), 2);
    assert!(
        metrics
            .render(&[])
            .contains("weike_wecom_voice_fallbacks_total 2")
    );
}
