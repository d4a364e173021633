//! Promise 3: `kill -9` in the middle of a burst of sends loses no
//! acknowledged message and stores none that was refused.

use std::time::Duration;

use crate::client::ChatClient;
use crate::scene::{Scene, acked_sends};

const SENDERS: usize = 5;
const EACH: usize = 200;
/// Sends per sender written between reads, while the crash test waits for
/// the kill.
const ROUND: usize = 10;
/// Every this many sends, one the server must refuse.
const INVALID_EVERY: usize = 20;

/// Pipelines `EACH` sends from every sender, refused ones mixed in.
pub async fn burst(senders: &mut [ChatClient], room: i64) {
    send_each(senders, room, 0..EACH).await;
}

/// Pipelines sends `numbers` from every sender; every
/// [`INVALID_EVERY`]th is one the server must refuse.
async fn send_each(senders: &mut [ChatClient], room: i64, numbers: std::ops::Range<usize>) {
    for sender in senders.iter_mut() {
        for i in numbers.clone() {
            let body = if i % INVALID_EVERY == INVALID_EVERY - 1 {
                " \n ".to_owned()
            } else {
                format!("{} #{i}", sender.name)
            };
            sender.send(room, &body).await;
        }
    }
}

fn answered(clients: &[ChatClient]) -> usize {
    clients.iter().map(|c| c.acked.len() + c.failed.len()).sum()
}

/// Reads from every client in turn until `enough` answers have come back.
pub async fn pump_until_answered(clients: &mut [ChatClient], enough: usize) {
    for _ in 0..10_000 {
        if answered(clients) >= enough {
            return;
        }
        for client in clients.iter_mut() {
            client.pump(Duration::from_millis(5)).await;
        }
    }
    panic!("only {} of {enough} sends answered", answered(clients));
}

#[tokio::test]
async fn kill_9_mid_burst_keeps_every_acknowledged_message() {
    let mut scene = Scene::start(1, &[]).await;
    let room = scene.rooms[0];
    let mut clients = Vec::new();
    for i in 0..SENDERS {
        clients.push(scene.client(&format!("sender{i}")).await);
    }
    clients.push(scene.client("watcher").await);
    for client in &mut clients {
        assert!(client.connect(&scene.api).await);
    }

    // Sends go out in rounds, answers read between them, until a quarter
    // is answered; the kill comes right after the next round is written,
    // so it finds sends in flight (a socket reads on while its sends
    // commit, so a burst written whole is soon answered whole).
    let mut sent = 0;
    while sent < EACH && answered(&clients) < SENDERS * EACH / 4 {
        send_each(&mut clients[..SENDERS], room, sent..sent + ROUND).await;
        sent += ROUND;
        for client in &mut clients {
            client.pump(Duration::from_millis(1)).await;
        }
    }
    send_each(&mut clients[..SENDERS], room, sent..EACH).await;
    scene.server.kill_9().await;

    let acked = acked_sends(&clients);
    let unanswered: usize = clients.iter().map(|c| c.unacked.len()).sum();
    assert!(
        unanswered > 0,
        "the kill must land mid-burst for this test to mean anything"
    );

    scene.server.restart().await;
    let stored = scene.stored_sends(room).await;
    let lost: Vec<_> = acked.difference(&stored).collect();
    assert!(
        lost.is_empty(),
        "acknowledged but lost in the crash: {lost:?}"
    );

    // Clients resend what was never answered; each valid send ends up stored once.
    scene.settle_and_check(&mut clients).await;
    let valid_each = EACH - EACH / INVALID_EVERY;
    assert_eq!(scene.history().await[&room].len(), SENDERS * valid_each);
}
