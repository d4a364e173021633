//! All promises at once: seeded random interleavings of sends (some refused),
//! edits, deletions and reactions (some refused: not the author, a deleted
//! message), cut connections, reconnects, `kill -9` and SIGTERM restarts,
//! then every client's view is checked against the database. A failure
//! names its seed; `CHAT_FAULT_SEED=<n>` replays just that one.

use std::time::Duration;

use serde_json::json;

use crate::client::ChatClient;
use crate::scene::Scene;

const SEEDS: [u64; 3] = [7, 1_234, 98_765];
const STEPS: usize = 150;
const CLIENTS: usize = 3;

#[tokio::test]
async fn random_faults_never_lose_double_or_reorder_a_message() {
    let seeds = match std::env::var("CHAT_FAULT_SEED") {
        Ok(seed) => vec![seed.parse().expect("CHAT_FAULT_SEED is a number")],
        Err(_) => SEEDS.to_vec(),
    };
    for seed in seeds {
        eprintln!("fault seed {seed}");
        run(seed).await;
    }
}

async fn run(seed: u64) {
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut scene = Scene::start(2, &[]).await;
    let mut clients: Vec<ChatClient> = Vec::new();
    for i in 0..CLIENTS {
        clients.push(scene.client(&format!("s{seed}c{i}")).await);
    }
    for step in 0..STEPS {
        let client = &mut clients[rng.usize(..CLIENTS)];
        let room = scene.rooms[rng.usize(..scene.rooms.len())];
        // A message this client has seen in the room, to change.
        let seen = client.messages(room);
        let target = (!seen.is_empty()).then(|| seen[rng.usize(..seen.len())]["id"].clone());
        match rng.u32(..100) {
            0..35 => {
                client.send(room, &format!("seed {seed} step {step}")).await;
            }
            35..50 => {
                let Some(message_id) = target else { continue };
                let emoji = ["👍", "🎉"][rng.usize(..2)];
                let change = match rng.u32(..4) {
                    // Refused unless the client wrote it and it is not deleted.
                    0 => json!({"type": "edit", "body": format!("edited at step {step}")}),
                    // Refused unless the client wrote it (no client owns the rooms).
                    1 => json!({"type": "delete"}),
                    2 => json!({"type": "react", "emoji": emoji}),
                    _ => json!({"type": "unreact", "emoji": emoji}),
                };
                let mut frame = change;
                frame["room_id"] = json!(room);
                frame["message_id"] = message_id;
                client.request(frame).await;
            }
            50..55 => {
                // Refused by the server: must never be stored.
                client.send(room, " ").await;
            }
            55..75 => client.pump(Duration::from_millis(20)).await,
            75..83 => client.drop_connection(),
            83..94 => {
                if !client.is_connected() {
                    client.connect(&scene.api).await;
                }
            }
            94..97 => {
                scene.server.kill_9().await;
                scene.server.restart().await;
            }
            _ => {
                scene.server.terminate();
                let status = scene.server.exit_within(Duration::from_secs(30)).await;
                assert!(
                    status.is_some_and(|s| s.success()),
                    "seed {seed}: no clean exit after SIGTERM ({status:?})"
                );
                scene.server.restart().await;
            }
        }
    }
    scene.settle_and_check(&mut clients).await;
}
