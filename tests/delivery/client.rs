//! A client that keeps the promises the browser client keeps, so the tests
//! can check them against the server under faults: it remembers the last seq
//! per room and resumes from it, keeps every request (a post, an edit, a
//! deletion, a reaction) until its answer and resends it with the same
//! client_id after a reconnect, applies every event to its view of each
//! room, and checks every frame it receives for gaps, repeats and order as
//! it goes.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use serde_json::{Value, json};

use crate::support::api::{Api, TestUser};
use crate::support::socket::{Next, TestSocket};
use crate::support::view::RoomView;

pub struct ChatClient {
    pub name: String,
    pub user: TestUser,
    socket: Option<TestSocket>,
    /// Per room: the room as the events received made it.
    pub rooms: BTreeMap<i64, RoomView>,
    /// Requests without an answer yet, in the order they were made.
    pub unacked: Vec<Pending>,
    /// client_id of a post → the stored message its ack carried.
    pub acked: HashMap<String, Value>,
    /// client_ids of the other requests that were acknowledged.
    pub changed: Vec<String>,
    /// client_id → the error code the server refused it with.
    pub failed: HashMap<String, String>,
    /// Close codes seen, in order (`None`: the connection just ended).
    pub closes: Vec<Option<u16>>,
    sent: u64,
}

#[derive(Clone, Debug)]
pub struct Pending {
    pub client_id: String,
    /// The frame as sent, and resent.
    pub frame: Value,
}

impl ChatClient {
    pub async fn new(api: &Api, name: &str, rooms: &[i64]) -> Self {
        let user = api.register(name).await;
        for &room in rooms {
            api.join(&user, room).await;
        }
        Self {
            name: name.to_owned(),
            user,
            socket: None,
            rooms: rooms.iter().map(|&r| (r, RoomView::default())).collect(),
            unacked: Vec::new(),
            acked: HashMap::new(),
            changed: Vec::new(),
            failed: HashMap::new(),
            closes: Vec::new(),
            sent: 0,
        }
    }

    pub fn is_connected(&self) -> bool {
        self.socket.is_some()
    }

    pub fn last_seq(&self, room_id: i64) -> i64 {
        self.rooms[&room_id].last_seq
    }

    /// How many messages this client holds of the room.
    pub fn message_count(&self, room_id: i64) -> usize {
        self.rooms[&room_id].messages.len()
    }

    /// The messages this client has seen in the room, oldest first.
    pub fn messages(&self, room_id: i64) -> Vec<Value> {
        self.rooms[&room_id].history()
    }

    /// Connects, resumes every room after its last seq and resends every
    /// unacknowledged message in order. False if the server is not there.
    pub async fn connect(&mut self, api: &Api) -> bool {
        let Ok(socket) = api.try_socket(&self.user).await else {
            return false;
        };
        self.socket = Some(socket);
        let rooms: Vec<i64> = self.rooms.keys().copied().collect();
        for room_id in rooms {
            let frame = json!({"type": "subscribe", "room_id": room_id, "after_seq": self.last_seq(room_id)});
            if !self.write(&frame).await {
                return false;
            }
        }
        for pending in self.unacked.clone() {
            if !self.write(&pending.frame).await {
                return false;
            }
        }
        true
    }

    /// Ends the connection without a close frame, as a network cut does.
    pub fn drop_connection(&mut self) {
        self.socket = None;
    }

    /// Queues a message and, if connected, sends it now.
    pub async fn send(&mut self, room_id: i64, body: &str) -> String {
        self.request(json!({"type": "send", "room_id": room_id, "body": body}))
            .await
    }

    /// Queues any request that changes a room (`send`, `edit`, `delete`,
    /// `react`, `unreact`; the frame without its client_id) and, if
    /// connected, sends it now.
    pub async fn request(&mut self, mut frame: Value) -> String {
        self.sent += 1;
        let client_id = format!("{}-{}", self.name, self.sent);
        frame["client_id"] = json!(client_id);
        let pending = Pending {
            client_id: client_id.clone(),
            frame,
        };
        self.unacked.push(pending.clone());
        if self.socket.is_some() {
            self.write(&pending.frame).await;
        }
        client_id
    }

    async fn write(&mut self, frame: &Value) -> bool {
        let Some(socket) = self.socket.as_mut() else {
            return false;
        };
        if socket.try_send(frame).await {
            true
        } else {
            self.socket = None;
            false
        }
    }

    /// Handles frames until none arrives for `quiet` or the connection ends.
    pub async fn pump(&mut self, quiet: Duration) {
        while let Some(socket) = self.socket.as_mut() {
            match socket.next_within(quiet).await {
                None => return,
                Some(Next::Closed(code)) => {
                    self.closes.push(code);
                    self.socket = None;
                }
                Some(Next::Frame(frame)) => self.on_frame(frame),
            }
        }
    }

    /// Handles frames until `done` holds; panics if it never does.
    pub async fn pump_until(&mut self, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline && self.socket.is_some(),
                "{}: condition not reached (connected: {})",
                self.name,
                self.socket.is_some()
            );
            self.pump(Duration::from_millis(50)).await;
        }
    }

    /// Like `pump_until`, but reconnects and resumes whenever the server
    /// drops the connection, as the browser client does.
    pub async fn run_until(&mut self, api: &Api, limit: Duration, done: impl Fn(&Self) -> bool) {
        let deadline = tokio::time::Instant::now() + limit;
        while !done(self) {
            assert!(
                tokio::time::Instant::now() < deadline,
                "{}: condition not reached ({} unacked; {:?}; closes {:?})",
                self.name,
                self.unacked.len(),
                self.rooms
                    .iter()
                    .map(|(room, view)| (*room, view.last_seq, view.messages.len()))
                    .collect::<Vec<_>>(),
                self.closes,
            );
            if self.socket.is_none() && !self.connect(api).await {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            self.pump(Duration::from_millis(50)).await;
        }
    }

    /// Handles frames until the connection ends; returns how it ended.
    pub async fn pump_until_closed(&mut self, limit: Duration) -> Option<u16> {
        let deadline = tokio::time::Instant::now() + limit;
        while tokio::time::Instant::now() < deadline && self.socket.is_some() {
            self.pump(Duration::from_millis(100)).await;
        }
        assert!(self.socket.is_none(), "{}: socket still open", self.name);
        *self.closes.last().unwrap()
    }

    fn on_frame(&mut self, frame: Value) {
        match frame["type"].as_str() {
            Some(kind @ ("message" | "event")) => {
                let (room_id, seq) = if kind == "message" {
                    (&frame["message"]["room_id"], &frame["message"]["seq"])
                } else {
                    (&frame["room_id"], &frame["seq"])
                };
                let (room_id, seq) = (room_id.as_i64().unwrap(), seq.as_i64().unwrap());
                let last = self.last_seq(room_id);
                assert_eq!(
                    seq,
                    last + 1,
                    "{}: room {room_id} delivered seq {seq} after {last} (gap, repeat or reorder)",
                    self.name
                );
                self.rooms.get_mut(&room_id).unwrap().apply(&frame);
            }
            Some("ack") => {
                let client_id = frame["client_id"].as_str().unwrap().to_owned();
                self.unacked.retain(|p| p.client_id != client_id);
                // A post's ack carries the message it stored, which bears
                // the post's client_id; any other request's, the message
                // it changed.
                if frame["message"]["client_id"] != client_id.as_str() {
                    self.changed.push(client_id);
                    return;
                }
                if let Some(earlier) = self
                    .acked
                    .insert(client_id.clone(), frame["message"].clone())
                {
                    // A resend may be acked again; it must name the same message.
                    assert_eq!(
                        earlier["id"], frame["message"]["id"],
                        "{client_id} acked as two messages"
                    );
                }
            }
            Some("error") => {
                let code = frame["code"].as_str().unwrap().to_owned();
                let Some(client_id) = frame["client_id"].as_str() else {
                    panic!("{}: unexpected error frame {frame}", self.name);
                };
                self.unacked.retain(|p| p.client_id != client_id);
                self.failed.insert(client_id.to_owned(), code);
            }
            Some("subscribed" | "pong") => {}
            _ => panic!("{}: unexpected frame {frame}", self.name),
        }
    }

    /// Reconnects and pumps until every send is answered and every room is
    /// caught up to the server's last seq, which the caller reads.
    pub async fn settle(&mut self, api: &Api, last_seqs: &BTreeMap<i64, i64>) {
        for _ in 0..200 {
            if self.socket.is_none() && !self.connect(api).await {
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
            self.pump(Duration::from_millis(100)).await;
            let caught_up = last_seqs
                .iter()
                .all(|(&room, &last)| self.last_seq(room) >= last);
            if self.unacked.is_empty() && caught_up {
                return;
            }
        }
        panic!(
            "{}: did not settle: {} unacked, at {:?}, server at {last_seqs:?}",
            self.name,
            self.unacked.len(),
            self.rooms
                .keys()
                .map(|&r| (r, self.last_seq(r)))
                .collect::<Vec<_>>()
        );
    }
}
