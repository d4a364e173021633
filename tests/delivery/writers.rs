//! Promise 4: many writers in one room at once get seq 1..N exactly once
//! each, and every subscriber sees the same order.

use std::time::Duration;

use futures::future::join_all;

use crate::scene::Scene;

const WRITERS: usize = 50;
const EACH: usize = 200;
const WATCHERS: usize = 3;

#[tokio::test]
async fn fifty_writers_get_every_seq_once_and_every_subscriber_the_same_order() {
    let scene = Scene::start(1, &[]).await;
    let room = scene.rooms[0];
    let mut clients = Vec::new();
    for i in 0..WRITERS {
        clients.push(scene.client(&format!("writer{i}")).await);
    }
    for i in 0..WATCHERS {
        clients.push(scene.client(&format!("watcher{i}")).await);
    }
    for client in &mut clients {
        assert!(client.connect(&scene.api).await);
    }

    // Every writer pipelines all its sends; all are read concurrently.
    for writer in &mut clients[..WRITERS] {
        for i in 0..EACH {
            writer
                .send(room, &format!("{} says {i}", writer.name))
                .await;
        }
    }
    let total = WRITERS * EACH;
    // A reader that falls behind this flood is cut off (4008) and resumes.
    join_all(clients.iter_mut().map(|client| {
        client.run_until(&scene.api, Duration::from_secs(600), move |c| {
            c.unacked.is_empty() && c.message_count(room) == total
        })
    }))
    .await;
    for client in &clients {
        for code in &client.closes {
            assert_eq!(
                *code,
                Some(4008),
                "{} was closed for another reason: {:?}",
                client.name,
                client.closes
            );
        }
    }

    // Each writer's own messages are stored in the order it sent them.
    let history = scene.history().await;
    for writer in &clients[..WRITERS] {
        let own: Vec<&str> = history[&room]
            .iter()
            .filter(|m| m["author"]["id"] == writer.user.id)
            .map(|m| m["body"].as_str().unwrap())
            .collect();
        let sent: Vec<String> = (0..EACH)
            .map(|i| format!("{} says {i}", writer.name))
            .collect();
        assert_eq!(own, sent, "{}'s messages out of order", writer.name);
    }
    scene.settle_and_check(&mut clients).await;
}
