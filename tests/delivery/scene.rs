//! A server process with its own database, rooms, and the checks every
//! scenario ends with: each client's view against what is stored.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde_json::Value;

use crate::client::ChatClient;
use crate::support::api::{Api, TestUser};
use crate::support::database::TestDatabase;
use crate::support::process::ServerProcess;

pub struct Scene {
    pub server: ServerProcess,
    pub api: Api,
    /// Reads history for the checks; a member of every room.
    pub owner: TestUser,
    pub rooms: Vec<i64>,
    _database: TestDatabase,
}

impl Scene {
    pub async fn start(room_count: usize, env: &[(&str, &str)]) -> Self {
        let database = TestDatabase::create().await;
        let server = ServerProcess::start(database.dir(), &database.url, env).await;
        let api = Api::new(server.addr);
        let owner = api.register("owner").await;
        let mut rooms = Vec::new();
        for i in 0..room_count {
            rooms.push(api.create_room(&owner, &format!("room {i}")).await);
        }
        Self {
            server,
            api,
            owner,
            rooms,
            _database: database,
        }
    }

    pub async fn client(&self, name: &str) -> ChatClient {
        ChatClient::new(&self.api, name, &self.rooms).await
    }

    pub async fn history(&self) -> BTreeMap<i64, Vec<Value>> {
        let mut all = BTreeMap::new();
        for &room in &self.rooms {
            all.insert(room, self.api.history(&self.owner, room).await);
        }
        all
    }

    /// `(author id, client_id)` of every message stored in the room.
    pub async fn stored_sends(&self, room: i64) -> HashSet<(i64, String)> {
        self.api
            .history(&self.owner, room)
            .await
            .iter()
            .filter_map(|m| {
                let author = m["author"]["id"].as_i64()?;
                Some((author, m["client_id"].as_str()?.to_owned()))
            })
            .collect()
    }

    /// Brings every client to the end state (each send answered, each room
    /// caught up) and checks that all of them saw exactly what is stored.
    pub async fn settle_and_check(&self, clients: &mut [ChatClient]) {
        let nothing = BTreeMap::new();
        for client in clients.iter_mut() {
            client.settle(&self.api, &nothing).await;
        }
        let history = self.history().await;
        let mut last_seqs = BTreeMap::new();
        for &room in &self.rooms {
            last_seqs.insert(room, self.api.last_seq(&self.owner, room).await);
        }
        for client in clients.iter_mut() {
            client.settle(&self.api, &last_seqs).await;
        }
        check(clients, &history);
    }
}

/// `(author id, client_id)` of every send the clients saw acknowledged.
pub fn acked_sends(clients: &[ChatClient]) -> HashSet<(i64, String)> {
    clients
        .iter()
        .flat_map(|c| c.acked.keys().map(|id| (c.user.id, id.clone())))
        .collect()
}

/// What every scenario must end with, whatever happened on the way.
pub fn check(clients: &[ChatClient], history: &BTreeMap<i64, Vec<Value>>) {
    for (room, messages) in history {
        let seqs: Vec<i64> = messages
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect();
        assert!(
            seqs.windows(2).all(|pair| pair[0] < pair[1]),
            "room {room}: stored seqs do not increase: {seqs:?}"
        );
        let mut client_ids = HashSet::new();
        for message in messages {
            if let Some(id) = message["client_id"].as_str() {
                let key = (message["author"]["id"].as_i64().unwrap(), id.to_owned());
                assert!(client_ids.insert(key), "room {room}: {id} stored twice");
            }
        }
    }
    // (author, client_id) → the stored message.
    let stored: HashMap<(i64, &str), &Value> = history
        .values()
        .flatten()
        .filter_map(|m| Some(((m["author"]["id"].as_i64()?, m["client_id"].as_str()?), m)))
        .collect();
    for client in clients {
        assert!(
            client.unacked.is_empty(),
            "{}: sends left unanswered",
            client.name
        );
        for room in client.rooms.keys() {
            assert_eq!(
                &client.messages(*room),
                &history[room],
                "{}: room {room} view differs from the stored history",
                client.name
            );
        }
        for (client_id, message) in &client.acked {
            let original = stored
                .get(&(client.user.id, client_id.as_str()))
                .unwrap_or_else(|| panic!("{}: acked {client_id} is not stored", client.name));
            assert_eq!(
                &message["id"], &original["id"],
                "{client_id}: ack names another message"
            );
        }
        for (client_id, code) in &client.failed {
            assert!(
                !stored.contains_key(&(client.user.id, client_id.as_str())),
                "{}: {client_id} was refused ({code}) yet stored",
                client.name
            );
        }
    }
}
