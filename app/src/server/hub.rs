//! In-process fan-out of committed messages to the sockets watching a room
//! (how messages get here from the database: `fanout`), and the registry that lets the services reach live sockets (logout closes
//! them; leaving a room unsubscribes them).
//!
//! Ordering: messages are published by one task per node (the `writer` on
//! SQLite, the `fanout` listener on PostgreSQL), in seq order, so each room's
//! broadcast channel carries them in seq order. Each is serialized into its
//! WebSocket frame once, here, and every subscriber sends the same bytes.
//! The channels are bounded; a receiver that falls behind gets `Lagged` and
//! its socket is closed so the client resumes from its last seq instead of
//! the server buffering without limit.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{broadcast, mpsc, watch};

use crate::model::Message;
use crate::protocol::ServerFrame;

/// Messages a subscriber may fall behind by before it is cut off.
pub const ROOM_CHANNEL_CAPACITY: usize = 1024;

/// What a service asks of one live connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// The session ended: close the socket.
    SessionEnded,
    /// The user left this room: stop delivering it.
    LeftRoom(i64),
    /// The server is stopping: close with 1001 so the client reconnects.
    ServerShutdown,
}

pub type ConnId = u64;

/// A committed message as a subscriber's socket sends it.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub room_id: i64,
    pub seq: i64,
    /// The `message` frame, serialized once for every subscriber.
    pub frame: Utf8Bytes,
}

#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    rooms: Mutex<HashMap<i64, RoomChannel>>,
    conns: Mutex<HashMap<ConnId, Conn>>,
    next_conn: AtomicU64,
    /// The number of open connections, for shutdown to wait on.
    open: watch::Sender<usize>,
    /// Per room, the newest seq published here (or where this node's first
    /// subscriber started): where a catch-up resumes.
    published: Mutex<HashMap<i64, i64>>,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            rooms: Mutex::default(),
            conns: Mutex::default(),
            next_conn: AtomicU64::default(),
            open: watch::Sender::new(0),
            published: Mutex::default(),
        }
    }
}

#[derive(Clone)]
struct RoomChannel {
    tx: broadcast::Sender<Arc<Delivery>>,
}

struct Conn {
    user_id: i64,
    session: String,
    control: mpsc::Sender<Control>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    fn room(&self, room_id: i64) -> RoomChannel {
        lock(&self.inner.rooms)
            .entry(room_id)
            .or_insert_with(|| RoomChannel {
                tx: broadcast::channel(ROOM_CHANNEL_CAPACITY).0,
            })
            .clone()
    }

    /// Receives every message published to the room from now on.
    pub fn subscribe(&self, room_id: i64) -> broadcast::Receiver<Arc<Delivery>> {
        self.room(room_id).tx.subscribe()
    }

    /// Delivers a committed message to the room's current subscribers.
    pub fn publish(&self, message: Message) {
        let (room_id, seq) = (message.room_id, message.seq);
        lock(&self.inner.published)
            .entry(room_id)
            .and_modify(|last| *last = (*last).max(seq))
            .or_insert(seq);
        let frame = match serde_json::to_string(&ServerFrame::Message { message }) {
            Ok(text) => Utf8Bytes::from(text),
            Err(e) => {
                tracing::error!(error = %e, room_id, seq, "cannot serialize a message frame");
                return;
            }
        };
        // Shared, not copied: queues hold a pointer per subscriber.
        let delivery = Arc::new(Delivery {
            room_id,
            seq,
            frame,
        });
        // An error only means nobody is listening right now.
        let _ = self.room(room_id).tx.send(delivery);
    }

    /// Records that a subscriber here has everything up to `seq`, unless
    /// the room already has a publish point.
    pub fn start_at(&self, room_id: i64, seq: i64) {
        lock(&self.inner.published).entry(room_id).or_insert(seq);
    }

    pub fn last_published(&self, room_id: i64) -> Option<i64> {
        lock(&self.inner.published).get(&room_id).copied()
    }

    /// Every room with a publish point, and that point.
    pub fn published_rooms(&self) -> Vec<(i64, i64)> {
        lock(&self.inner.published)
            .iter()
            .map(|(&room, &seq)| (room, seq))
            .collect()
    }

    /// Registers a live socket; services reach it through the returned channel.
    pub fn register(&self, user_id: i64, session: &str) -> (ConnId, mpsc::Receiver<Control>) {
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let (control, rx) = mpsc::channel(16);
        let mut conns = lock(&self.inner.conns);
        conns.insert(
            id,
            Conn {
                user_id,
                session: session.to_owned(),
                control,
            },
        );
        self.inner.open.send_replace(conns.len());
        (id, rx)
    }

    pub fn unregister(&self, id: ConnId) {
        let mut conns = lock(&self.inner.conns);
        conns.remove(&id);
        self.inner.open.send_replace(conns.len());
    }

    /// Resolves once no connection is registered.
    pub async fn no_connections(&self) {
        let mut open = self.inner.open.subscribe();
        // The sender lives in `self`, so this cannot fail while we wait.
        let _ = open.wait_for(|&n| n == 0).await;
    }

    pub fn connection_count(&self) -> usize {
        lock(&self.inner.conns).len()
    }

    pub fn end_session(&self, session: &str) {
        self.notify(|conn| conn.session == session, Control::SessionEnded);
    }

    pub fn left_room(&self, user_id: i64, room_id: i64) {
        self.notify(|conn| conn.user_id == user_id, Control::LeftRoom(room_id));
    }

    /// Asks every socket to close; part of graceful shutdown.
    pub fn shutdown_all(&self) {
        self.notify(|_| true, Control::ServerShutdown);
    }

    fn notify(&self, matches: impl Fn(&Conn) -> bool, control: Control) {
        for conn in lock(&self.inner.conns).values().filter(|c| matches(c)) {
            // A full control queue means the socket is already going away.
            let _ = conn.control.try_send(control.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;

    fn message(room_id: i64, seq: i64) -> Message {
        Message {
            id: seq,
            room_id,
            seq,
            author: Author {
                id: 1,
                username: "ann".into(),
            },
            body: "hi".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            client_id: None,
        }
    }

    #[tokio::test]
    async fn subscribers_get_only_their_room() {
        let hub = Hub::default();
        let mut one = hub.subscribe(1);
        let mut two = hub.subscribe(2);
        hub.publish(message(1, 1));
        let delivery = one.recv().await.unwrap();
        assert_eq!((delivery.room_id, delivery.seq), (1, 1));
        let frame: ServerFrame = serde_json::from_str(&delivery.frame).unwrap();
        assert_eq!(
            frame,
            ServerFrame::Message {
                message: message(1, 1)
            }
        );
        assert!(two.try_recv().is_err());
    }

    #[tokio::test]
    async fn ending_a_session_reaches_only_its_sockets() {
        let hub = Hub::default();
        let (_, mut a) = hub.register(1, "s1");
        let (_, mut b) = hub.register(1, "s2");
        hub.end_session("s1");
        assert_eq!(a.try_recv().unwrap(), Control::SessionEnded);
        assert!(b.try_recv().is_err());
        hub.left_room(1, 9);
        assert_eq!(b.try_recv().unwrap(), Control::LeftRoom(9));
    }

    #[tokio::test]
    async fn waiting_for_no_connections_ends_when_the_last_one_goes() {
        let hub = Hub::default();
        let (a, _) = hub.register(1, "s1");
        let (b, _) = hub.register(2, "s2");
        let waiter = tokio::spawn({
            let hub = hub.clone();
            async move { hub.no_connections().await }
        });
        hub.unregister(a);
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        hub.unregister(b);
        waiter.await.unwrap();
    }
}
