//! Stopping the server (what SIGTERM does) in the middle of a burst: every
//! acknowledged send is stored, nothing unacknowledged is, and once the
//! server returns none of its background tasks (the writer, the publisher,
//! the PostgreSQL listener) is still running. `tests/delivery/shutdown.rs`
//! checks the same from outside, on the real binary.

use std::collections::BTreeSet;

use app::server::services::messages;
use futures::StreamExt;
use serde_json::{Value, json};
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::helpers::spawn_app;

const SENDERS: usize = 4;
const SENDS_EACH: usize = 300;

#[tokio::test]
async fn stopping_during_a_burst_stores_exactly_the_acked_sends_and_leaves_no_task() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let room = app.create_room(&owner, "stopping").await;
    let (acks_tx, acks) = watch::channel(0usize);
    let mut readers = Vec::new();
    for i in 0..SENDERS {
        let user = app.register(&format!("sender{i}")).await;
        app.join(&user, room).await;
        let mut socket = app.socket(&user).await;
        // Every send written at once; the server reads them as it goes.
        for n in 0..SENDS_EACH {
            let frame = json!({"type": "send", "room_id": room, "body": format!("{i}/{n}"),
                               "client_id": format!("{i}-{n}")});
            socket.send(frame).await;
        }
        let acks_tx = acks_tx.clone();
        readers.push(tokio::spawn(async move {
            let mut acked = BTreeSet::new();
            let close = loop {
                match socket.stream.next().await {
                    Some(Ok(WsMessage::Text(text))) => {
                        let frame: Value = serde_json::from_str(&text).unwrap();
                        if frame["type"] == "ack" {
                            acked.insert(frame["client_id"].as_str().unwrap().to_owned());
                            acks_tx.send_modify(|n| *n += 1);
                        }
                    }
                    Some(Ok(WsMessage::Close(frame))) => break frame.map(|f| u16::from(f.code)),
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => break None,
                }
            };
            (acked, close)
        }));
    }
    // Stop once the burst is under way, not before and not after.
    let mut seen = acks.clone();
    seen.wait_for(|&n| n >= 50).await.unwrap();
    let (state, _database) = app.stop().await;

    let mut acked = BTreeSet::new();
    for reader in readers {
        let (theirs, close) = reader.await.unwrap();
        assert_eq!(
            close,
            Some(1001),
            "every socket is told the server is going"
        );
        acked.extend(theirs);
    }
    assert!(
        acked.len() < SENDERS * SENDS_EACH,
        "the stop came during the burst ({} acked)",
        acked.len()
    );
    // Read in pages, as a catching-up client does.
    let mut stored = BTreeSet::new();
    let mut cursor = 0;
    loop {
        let query = app::model::PageQuery {
            after_seq: Some(cursor),
            limit: Some(200),
            ..Default::default()
        };
        let page = messages::read_page(&state, room, query).await.unwrap();
        let Some(last) = page.messages.last() else {
            break;
        };
        cursor = last.seq;
        stored.extend(page.messages.into_iter().filter_map(|m| m.client_id));
    }
    assert_eq!(stored, acked, "stored and acknowledged differ");
    assert_eq!(
        state.background.running(),
        0,
        "a background task outlived the server"
    );
}
