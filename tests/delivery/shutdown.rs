//! Promise 6: SIGTERM stops the server gracefully. Sends it has read are
//! stored and acknowledged, every socket is closed with 1001 (go elsewhere),
//! and clients resume on the next server with nothing lost or doubled.

use std::time::Duration;

use crate::crash::{burst, pump_until_answered};
use crate::scene::{Scene, acked_sends};

const SENDERS: usize = 4;

#[tokio::test]
async fn sigterm_acks_in_flight_sends_and_closes_every_socket_with_1001() {
    // Readers here are slow on purpose (one test task reads them all in
    // turn); a roomy queue keeps them from being cut off as too slow, which
    // is another test's subject.
    let mut scene = Scene::start(1, &[("WS_QUEUE_LIMIT", "100000")]).await;
    let room = scene.rooms[0];
    let mut clients = Vec::new();
    for i in 0..SENDERS {
        clients.push(scene.client(&format!("sender{i}")).await);
    }
    clients.push(scene.client("watcher").await);
    for client in &mut clients {
        assert!(client.connect(&scene.api).await);
    }

    burst(&mut clients[..SENDERS], room).await;
    pump_until_answered(&mut clients, 100).await;
    scene.server.terminate();

    for client in &mut clients {
        let code = client.pump_until_closed(Duration::from_secs(30)).await;
        assert_eq!(code, Some(1001), "{} was not closed with 1001", client.name);
    }
    let status = scene
        .server
        .exit_within(Duration::from_secs(30))
        .await
        .expect("the server exits after SIGTERM");
    assert!(status.success(), "exit status {status}");

    // Everything stored was acknowledged before its socket closed.
    let acked = acked_sends(&clients);
    scene.server.restart().await;
    let stored = scene.stored_sends(room).await;
    assert_eq!(
        stored, acked,
        "stored and acknowledged differ after a graceful stop"
    );

    scene.settle_and_check(&mut clients).await;
}
