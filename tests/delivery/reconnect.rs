//! Promises 1 and 2: a cut connection resumes with exactly what it missed,
//! and a send whose ack was lost is retried without a duplicate.

use std::time::Duration;

use crate::scene::Scene;

const WAIT: Duration = Duration::from_secs(20);

#[tokio::test]
async fn a_cut_connection_resumes_with_exactly_the_missed_messages() {
    let scene = Scene::start(2, &[]).await;
    let (one, two) = (scene.rooms[0], scene.rooms[1]);
    let mut reader = scene.client("reader").await;
    let mut writer = scene.client("writer").await;
    assert!(reader.connect(&scene.api).await);
    assert!(writer.connect(&scene.api).await);

    for i in 0..10 {
        writer.send(one, &format!("before {i}")).await;
    }
    reader
        .pump_until(WAIT, |c| c.message_count(one) == 10)
        .await;

    reader.drop_connection();
    for i in 0..15 {
        writer.send(one, &format!("while cut {i}")).await;
        writer.send(two, &format!("elsewhere {i}")).await;
    }
    writer.pump_until(WAIT, |c| c.unacked.is_empty()).await;

    // Typed while cut off: queued, and sent in order once back.
    reader.send(one, "queued while offline 1").await;
    reader.send(one, "queued while offline 2").await;
    assert!(reader.connect(&scene.api).await);
    writer.send(one, "after the reconnect").await;

    scene.settle_and_check(&mut [reader, writer]).await;
    let history = scene.history().await;
    assert_eq!(history[&one].len(), 28);
    let bodies: Vec<&str> = history[&one]
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    // In the order typed (another user's message may land between them).
    let position = |body: &str| bodies.iter().position(|b| *b == body).unwrap();
    assert!(position("queued while offline 1") < position("queued while offline 2"));
}

#[tokio::test]
async fn a_send_whose_ack_was_lost_is_retried_and_stored_once() {
    let scene = Scene::start(1, &[]).await;
    let room = scene.rooms[0];
    let mut sender = scene.client("sender").await;
    let mut watcher = scene.client("watcher").await;
    assert!(sender.connect(&scene.api).await);
    assert!(watcher.connect(&scene.api).await);

    // Stored, but the connection dies before the ack is read.
    let stored = sender.send(room, "stored before the cut").await;
    watcher
        .pump_until(WAIT, |c| c.message_count(room) == 1)
        .await;
    sender.drop_connection();

    // Maybe stored, maybe not: the cut comes right after the write.
    let unknown = sender.send(room, "cut right after sending").await;
    sender.drop_connection();

    assert!(sender.connect(&scene.api).await);
    scene.settle_and_check(&mut [sender, watcher]).await;

    let history = scene.history().await;
    for client_id in [&stored, &unknown] {
        let copies = history[&room]
            .iter()
            .filter(|m| m["client_id"] == client_id.as_str())
            .count();
        assert_eq!(copies, 1, "{client_id}");
    }
}
