//! Crash recovery with the real binary: `kill -9` while the service works through a burst of
//! updates, then a restart on the same database. The restarted service answers every update
//! within 15 s (the dead process's short lease runs out), and nobody gets a reply twice:
//! the update in flight had its replies written down, so they are sent, not made again.

mod support;

use std::time::{Duration, Instant};

use support::db::TestDb;
use support::fake_telegram::Fault;
use support::harness::Harness;
use support::webhook::{free_port, polling_service};

const FIRST: i64 = 9100;
const MEMBERS: i64 = 30;
/// /start from a new member: the welcome and the language question.
const REPLIES_EACH: usize = 2;

fn start(h: &Harness, port: u16) -> tokio::process::Child {
    polling_service(h, port, "warn")
        .spawn()
        .expect("start weike run")
}

#[tokio::test]
async fn killed_during_a_burst_every_update_is_answered_once() {
    let h = Harness::new(TestDb::sqlite()).await;
    let port = free_port();
    // From the 22nd message on, the bot's sends reach a server that stalls before acting on
    // them: the process is killed while they wait (chats are handled side by side, so
    // several are in flight). Handling their /start again would welcome those members a
    // second time.
    let before_kill = 10 * REPLIES_EACH + 1;
    for _ in 0..before_kill {
        h.fake
            .fail_next_with("sendMessage", Fault::Delay(Duration::ZERO));
    }
    for _ in 0..MEMBERS as usize * REPLIES_EACH {
        h.fake.fail_next_with("sendMessage", Fault::Hang);
    }
    for chat in FIRST..FIRST + MEMBERS {
        h.fake.push_text(chat, "/start");
    }
    let mut first = start(&h, port);
    h.fake.wait_for_calls("sendMessage", before_kill + 1).await;
    // Every reply the server accepted is counted in the database before the kill (a reply
    // accepted and not yet counted when a process dies is the one case sent twice: the
    // chat app has no idempotency key).
    let counted = || async {
        support::sql::strings(
            &h.db.url,
            "SELECT CAST(COALESCE(SUM(replies_sent), 0) AS TEXT) FROM inbound_updates",
        )
        .await
        .first()
        .and_then(|n| n.parse::<usize>().ok())
        .unwrap_or(0)
    };
    tokio::time::timeout(Duration::from_secs(30), async {
        while counted().await < before_kill {
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the accepted replies are counted");
    first.start_kill().expect("kill -9");
    first.wait().await.unwrap();
    let handled_before: usize = h.fake.delivered().len();
    assert_eq!(
        handled_before, before_kill,
        "the replies accepted before the kill"
    );
    h.fake.clear_faults();

    let restarted = Instant::now();
    let _second = start(&h, port);
    // Every reply once.
    let total = MEMBERS as usize * REPLIES_EACH;
    tokio::time::timeout(Duration::from_secs(15), async {
        while h.fake.delivered().len() < total {
            h.fake
                .wait_for_calls("sendMessage", h.fake.calls_to("sendMessage").len() + 1)
                .await;
        }
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "not every update was answered within 15 s of the restart: {} messages delivered",
            h.fake.delivered().len()
        )
    });
    let took = restarted.elapsed();
    let delivered = h.fake.delivered();
    for chat in FIRST..FIRST + MEMBERS {
        let texts: Vec<&str> = delivered
            .iter()
            .filter(|(c, _)| *c == chat)
            .map(|(_, t)| t.as_str())
            .collect();
        assert_eq!(texts.len(), REPLIES_EACH, "member {chat}: {texts:?}");
        assert!(texts[0].contains("欢迎"), "member {chat}: {texts:?}");
    }
    eprintln!(
        "killed after {handled_before} replies, one in flight; after the restart all {MEMBERS} members were answered once, in {:.1} s",
        took.as_secs_f64()
    );
}
