//! Promise 5: a subscriber that stops reading holds at most a bounded queue
//! on the server, is closed with 4008 once past it, does not slow anyone
//! else down, and recovers everything by resuming from its last seq.

use std::time::Duration;

use serde_json::json;

use crate::scene::{Scene, check};
use crate::support::socket::Next;

const MESSAGES: i64 = 700;

#[tokio::test]
async fn a_reader_that_stops_is_closed_with_4008_and_catches_up_after() {
    // A long write timeout keeps the close frame waiting for the reader,
    // so the test sees the close code rather than a dropped connection.
    let scene = Scene::start(1, &[("WS_WRITE_TIMEOUT_SECS", "300")]).await;
    let room = scene.rooms[0];
    let poster = scene.api.register("poster").await;
    scene.api.join(&poster, room).await;
    let mut fast = scene.client("fast").await;
    assert!(fast.connect(&scene.api).await);

    let stalled_user = scene.api.register("stalled").await;
    scene.api.join(&stalled_user, room).await;
    let mut stalled = scene.api.socket_with_small_buffer(&stalled_user).await;
    // The room's events so far are the three joins.
    let (_, base) = stalled.subscribe(room, Some(0)).await;
    assert_eq!(base, 3);

    // The stalled socket reads nothing while the room gets busy; the fast
    // one must still get everything.
    // 16 KB per message (4-byte characters, at the length limit), so the
    // kernel's socket buffers (a few MB on loopback) fill well before the end.
    let body = "🙂".repeat(4000);
    let post_all = async {
        for _ in 0..MESSAGES {
            scene.api.post_message(&poster, room, &body).await;
        }
    };
    let read_all = fast.pump_until(Duration::from_secs(300), |c| {
        c.message_count(room) == MESSAGES as usize
    });
    tokio::join!(post_all, read_all);

    // Now it reads: a gap-free prefix, then the close.
    let mut got = 0;
    let code = loop {
        let next = stalled.next_within(Duration::from_secs(10)).await;
        match next.unwrap_or_else(|| panic!("nothing more after {got} messages")) {
            Next::Frame(frame) => {
                assert_eq!(frame["type"], "message", "{frame}");
                got += 1;
                assert_eq!(
                    frame["message"]["seq"],
                    json!(base + got),
                    "gap in the stalled stream"
                );
            }
            Next::Closed(code) => break code,
        }
    };
    assert_eq!(code, Some(4008));
    assert!(got < MESSAGES, "the stalled reader was never cut off");

    // It resumes from the last seq it has and gets exactly the rest.
    let mut resumed = scene.api.socket(&stalled_user).await;
    let (backlog, last_seq) = resumed.subscribe(room, Some(base + got)).await;
    assert_eq!(last_seq, base + MESSAGES);
    let seqs: Vec<i64> = backlog.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(
        seqs,
        ((base + got + 1)..=base + MESSAGES).collect::<Vec<_>>()
    );

    check(&[fast], &scene.history().await);
}
