//! In-process fan-out of committed events to the sockets watching a room
//! (how events get here from the database: `fanout`), and the registry
//! that lets the services reach live sockets (logout closes them; leaving a
//! room unsubscribes them).
//!
//! Ordering: events are published by one task per node (the `writer`'s
//! publisher on SQLite, the `fanout` listener on PostgreSQL), in seq order,
//! and publishing puts each straight into every subscribed socket's queue,
//! so every queue holds a room's events in seq order. Each is serialized into its
//! WebSocket frame once, here, and every subscriber sends the same bytes;
//! no task sits between the publisher and the socket. The queues are
//! bounded; a socket whose queue is full is told it is too slow, loses the
//! subscription, and is closed so the client resumes from its last seq
//! instead of the server buffering without limit.
//!
//! Membership ends in the stream too: publishing a `member_left` event
//! drops the leaver's subscriptions to the room right after delivering
//! it (a `room_deleted` event, everyone's), so no later event of the room
//! reaches them, on any node, however late the request that removed them
//! returns. Their sockets are then asked to check (`Control::LeftRooms`):
//! tell the client why, or, if the user is a member again by now,
//! subscribe again from their last seq.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::ws::Utf8Bytes;
use tokio::sync::{Notify, mpsc, watch};

use crate::protocol::{Change, Entry, Event, ServerFrame};

/// What a service asks of one live connection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Control {
    /// The session ended: close the socket.
    SessionEnded,
    /// The user left rooms (on any node): stop delivering those in the
    /// connection's [`LeftRooms`], unless they are members again by now
    /// (the news can arrive late). One such request stands for any number
    /// of leaves, so the control queue never fills with them.
    LeftRooms,
    /// The server is stopping: close with 1001 so the client reconnects.
    ServerShutdown,
    /// A frame for this user rather than for a room (an invitation), sent
    /// as it is. It is a nudge: what it tells is also read on reconnect.
    Notice(Utf8Bytes),
}

pub type ConnId = u64;

/// Controls waiting for one connection; leaves take one place however
/// many, so this is room for notices.
const CONTROL_QUEUE: usize = 32;

/// Committed events of one room as a subscriber's socket sends them: the
/// events published together (a group commit's) travel as one delivery,
/// so a busy room wakes each socket once per commit, not once per event.
#[derive(Clone, Debug)]
pub struct Delivery {
    pub room_id: i64,
    /// `(seq, frame)` in seq order; each `message` or `event` frame is
    /// serialized once for every subscriber.
    pub frames: Vec<(i64, Utf8Bytes)>,
}

#[derive(Clone, Default)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    /// Per room, the sockets subscribed to it.
    rooms: Mutex<HashMap<i64, Vec<Subscriber>>>,
    conns: Mutex<Conns>,
    next_conn: AtomicU64,
    /// The number of open connections, for shutdown to wait on.
    open: watch::Sender<usize>,
    /// Per room, the newest seq published here (or where this node's first
    /// subscriber started): where a catch-up resumes.
    published: Mutex<HashMap<i64, i64>>,
    touched: Mutex<Touched>,
    /// Woken when `touched` gains a room.
    touched_wake: Notify,
    /// Woken when someone's presence here may have changed (a socket
    /// opened or closed, a person used their tab).
    here_changed: Notify,
}

impl Default for Inner {
    fn default() -> Self {
        Self {
            rooms: Mutex::default(),
            conns: Mutex::default(),
            next_conn: AtomicU64::default(),
            open: watch::Sender::new(0),
            published: Mutex::default(),
            touched: Mutex::default(),
            touched_wake: Notify::new(),
            here_changed: Notify::new(),
        }
    }
}

/// Consecutive events of one room, delivered together; a run ends with
/// a leave, whose user gets none of the room's later events, or with the
/// room's deletion, after which nobody gets any.
struct Run {
    room_id: i64,
    frames: Vec<(i64, Utf8Bytes)>,
    ends: Option<Ends>,
}

/// Whose subscriptions a run ends.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ends {
    Leaver(i64),
    Everyone,
}

impl Ends {
    fn ends_for(self, user: i64) -> bool {
        match self {
            Ends::Leaver(leaver) => leaver == user,
            Ends::Everyone => true,
        }
    }
}

/// A socket's place in a room: where its messages go, and how to tell it
/// it fell behind.
#[derive(Clone)]
pub struct Subscriber {
    pub conn: ConnId,
    /// Whose socket it is: their leave ends the subscription.
    pub user: i64,
    pub queue: mpsc::Sender<Arc<Delivery>>,
    pub too_slow: Arc<Notify>,
}

#[derive(Default)]
struct Conns {
    by_id: HashMap<ConnId, Conn>,
    /// Open sockets per user: the per-user cap counts them, and what is
    /// for a user goes to each.
    per_user: HashMap<i64, Vec<ConnId>>,
}

struct Conn {
    user_id: i64,
    session: String,
    control: mpsc::Sender<Control>,
    left: LeftRooms,
    /// When its person last used the tab (ms since the epoch).
    active_at: i64,
}

/// What was published since the activity task last looked
/// (`super::activity`): which rooms have new events, and which of those
/// events took someone out of a room.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Touched {
    pub rooms: BTreeSet<i64>,
    /// `(room, user)` for each member who left or was removed.
    pub left: Vec<(i64, i64)>,
    pub deleted: BTreeSet<i64>,
}

impl Touched {
    fn is_empty(&self) -> bool {
        self.rooms.is_empty()
    }
}

/// Rooms a connection's user left that it has not checked yet.
#[derive(Clone, Default)]
pub struct LeftRooms(Arc<Mutex<HashSet<i64>>>);

impl LeftRooms {
    /// Adds a room; `true` if the set was empty (the connection must be
    /// told), `false` if a request to check is already on its way.
    fn add(&self, room_id: i64) -> bool {
        let mut rooms = lock(&self.0);
        let first = rooms.is_empty();
        rooms.insert(room_id);
        first
    }

    /// The rooms to check, emptying the set.
    pub fn take(&self) -> Vec<i64> {
        lock(&self.0).drain().collect()
    }
}

/// What a registered connection holds: its id, the services' requests, and
/// the rooms its user left.
pub struct Registration {
    pub id: ConnId,
    pub control: mpsc::Receiver<Control>,
    pub left: LeftRooms,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Hub {
    /// Delivers every message published to the room from now on into the
    /// subscriber's queue (replacing its earlier subscription there).
    pub fn subscribe(&self, room_id: i64, subscriber: Subscriber) {
        let mut rooms = lock(&self.inner.rooms);
        let subscribers = rooms.entry(room_id).or_default();
        subscribers.retain(|s| s.conn != subscriber.conn);
        subscribers.push(subscriber);
    }

    pub fn unsubscribe(&self, room_id: i64, conn: ConnId) {
        let mut rooms = lock(&self.inner.rooms);
        if let Some(subscribers) = rooms.get_mut(&room_id) {
            subscribers.retain(|s| s.conn != conn);
            if subscribers.is_empty() {
                rooms.remove(&room_id);
            }
        }
    }

    /// Delivers a committed event to the room's current subscribers.
    pub fn publish(&self, entry: Entry) {
        self.publish_all([entry]);
    }

    /// Delivers committed events, in the order given (each room's in seq
    /// order), to their rooms' current subscribers: one delivery per room,
    /// so a socket is woken, and flushes, once for all of them.
    pub fn publish_all(&self, entries: impl IntoIterator<Item = Entry>) {
        // Runs in the order first seen; a batch touches few rooms.
        let mut runs: Vec<Run> = Vec::new();
        for entry in entries {
            let (room_id, seq) = (entry.room_id(), entry.seq());
            let ends = match &entry {
                Entry::Changed(Event {
                    change: Change::MemberLeft { user, .. },
                    ..
                }) => Some(Ends::Leaver(user.id)),
                Entry::Changed(Event {
                    change: Change::RoomDeleted { .. },
                    ..
                }) => Some(Ends::Everyone),
                _ => None,
            };
            let frame = match serde_json::to_string(&ServerFrame::from(entry)) {
                Ok(text) => Utf8Bytes::from(text),
                Err(e) => {
                    tracing::error!(error = %e, room_id, seq, "cannot serialize an event frame");
                    continue;
                }
            };
            // A room's events after a leave start a run of their own, sent
            // once the leaver's subscriptions are gone.
            let open = runs
                .iter_mut()
                .rev()
                .find(|run| run.room_id == room_id)
                .filter(|run| run.ends.is_none());
            match open {
                Some(run) => {
                    run.frames.push((seq, frame));
                    run.ends = ends;
                }
                None => runs.push(Run {
                    room_id,
                    frames: vec![(seq, frame)],
                    ends,
                }),
            }
        }
        for Run {
            room_id,
            frames,
            ends,
        } in runs
        {
            let Some(&(last, _)) = frames.last() else {
                continue;
            };
            lock(&self.inner.published)
                .entry(room_id)
                .and_modify(|published| *published = (*published).max(last))
                .or_insert(last);
            // Shared, not copied: queues hold a pointer per subscriber.
            let delivery = Arc::new(Delivery { room_id, frames });
            let mut rooms = lock(&self.inner.rooms);
            let mut ended = Vec::new();
            if let Some(subscribers) = rooms.get_mut(&room_id) {
                subscribers.retain(|s| match s.queue.try_send(delivery.clone()) {
                    Ok(()) if ends.is_some_and(|ends| ends.ends_for(s.user)) => {
                        ended.push(s.user);
                        false
                    }
                    Ok(()) => true,
                    Err(mpsc::error::TrySendError::Full(_)) => {
                        s.too_slow.notify_one();
                        false
                    }
                    Err(mpsc::error::TrySendError::Closed(_)) => false,
                });
                if subscribers.is_empty() {
                    rooms.remove(&room_id);
                }
            }
            drop(rooms);
            {
                let mut touched = lock(&self.inner.touched);
                touched.rooms.insert(room_id);
                match ends {
                    Some(Ends::Leaver(user)) => touched.left.push((room_id, user)),
                    Some(Ends::Everyone) => {
                        touched.deleted.insert(room_id);
                    }
                    None => {}
                }
            }
            self.inner.touched_wake.notify_one();
            // Their sockets are asked to check why (one request per user).
            ended.sort_unstable();
            ended.dedup();
            for user in ended {
                self.left_room(user, room_id);
            }
        }
    }

    /// Waits until something was published since the last call, and
    /// takes what was.
    pub async fn touched(&self) -> Touched {
        loop {
            let touched = std::mem::take(&mut *lock(&self.inner.touched));
            if !touched.is_empty() {
                return touched;
            }
            // A publish after the take left a permit: this returns at once.
            self.inner.touched_wake.notified().await;
        }
    }

    /// Puts back what a round could not send (the database failed it), so
    /// the next round sends it.
    pub fn touch_again(&self, again: Touched) {
        let mut touched = lock(&self.inner.touched);
        touched.rooms.extend(again.rooms);
        touched.left.extend(again.left);
        touched.deleted.extend(again.deleted);
        drop(touched);
        self.inner.touched_wake.notify_one();
    }

    /// Those of `users` with a socket here that does not watch the room:
    /// the ones whose room list only hears of it through activity.
    pub fn not_watching(&self, room_id: i64, users: &[i64]) -> Vec<i64> {
        let watching: HashSet<ConnId> = lock(&self.inner.rooms)
            .get(&room_id)
            .map(|subscribers| subscribers.iter().map(|s| s.conn).collect())
            .unwrap_or_default();
        let conns = lock(&self.inner.conns);
        users
            .iter()
            .copied()
            .filter(|user| {
                conns
                    .per_user
                    .get(user)
                    .is_some_and(|held| held.iter().any(|conn| !watching.contains(conn)))
            })
            .collect()
    }

    /// Whether the user has a socket here.
    pub fn is_here(&self, user_id: i64) -> bool {
        lock(&self.inner.conns).per_user.contains_key(&user_id)
    }

    /// Every user with a socket here.
    pub fn users_here(&self) -> Vec<i64> {
        lock(&self.inner.conns).per_user.keys().copied().collect()
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

    /// Registers a live socket, unless its user already holds `max_per_user`;
    /// services reach it through the returned channel.
    /// `now` is when the socket opened: opening a tab is using it.
    pub fn register(
        &self,
        user_id: i64,
        session: &str,
        max_per_user: usize,
        now: i64,
    ) -> Option<Registration> {
        let mut conns = lock(&self.inner.conns);
        let id = self.inner.next_conn.fetch_add(1, Ordering::Relaxed);
        let held = conns.per_user.entry(user_id).or_default();
        if held.len() >= max_per_user {
            return None;
        }
        held.push(id);
        // Holds at most one of each kind: leaves are coalesced.
        let (control, rx) = mpsc::channel(CONTROL_QUEUE);
        let left = LeftRooms::default();
        conns.by_id.insert(
            id,
            Conn {
                user_id,
                session: session.to_owned(),
                control,
                left: left.clone(),
                active_at: now,
            },
        );
        self.inner.open.send_replace(conns.by_id.len());
        self.inner.here_changed.notify_one();
        Some(Registration {
            id,
            control: rx,
            left,
        })
    }

    pub fn unregister(&self, id: ConnId) {
        let mut conns = lock(&self.inner.conns);
        if let Some(conn) = conns.by_id.remove(&id)
            && let Some(held) = conns.per_user.get_mut(&conn.user_id)
        {
            held.retain(|&held| held != id);
            if held.is_empty() {
                conns.per_user.remove(&conn.user_id);
            }
        }
        self.inner.open.send_replace(conns.by_id.len());
        self.inner.here_changed.notify_one();
    }

    /// The connection's person used their tab at `now`.
    pub fn used(&self, id: ConnId, now: i64) {
        if let Some(conn) = lock(&self.inner.conns).by_id.get_mut(&id) {
            conn.active_at = conn.active_at.max(now);
        }
        self.inner.here_changed.notify_one();
    }

    /// Everyone with a socket here, and when they last used one of them.
    pub fn here(&self) -> HashMap<i64, i64> {
        let conns = lock(&self.inner.conns);
        let mut here = HashMap::with_capacity(conns.per_user.len());
        for conn in conns.by_id.values() {
            let active_at = here.entry(conn.user_id).or_insert(conn.active_at);
            *active_at = (*active_at).max(conn.active_at);
        }
        here
    }

    /// Resolves when someone's presence here may have changed since the
    /// last call (at once if it has).
    pub async fn here_changed(&self) {
        self.inner.here_changed.notified().await;
    }

    /// Resolves once no connection is registered.
    pub async fn no_connections(&self) {
        let mut open = self.inner.open.subscribe();
        // The sender lives in `self`, so this cannot fail while we wait.
        let _ = open.wait_for(|&n| n == 0).await;
    }

    pub fn connection_count(&self) -> usize {
        lock(&self.inner.conns).by_id.len()
    }

    pub fn end_session(&self, session: &str) {
        self.notify(|conn| conn.session == session, Control::SessionEnded);
    }

    fn left_room(&self, user_id: i64, room_id: i64) {
        for conn in lock(&self.inner.conns)
            .by_id
            .values()
            .filter(|c| c.user_id == user_id)
        {
            if conn.left.add(room_id) {
                let _ = conn.control.try_send(Control::LeftRooms);
            }
        }
    }

    /// Hands `frame` to each of the user's sockets on this node. A socket
    /// whose control queue is full misses it, and says so in the log: the
    /// client reads the same state again when it reconnects.
    pub fn tell_user(&self, user_id: i64, frame: &Utf8Bytes) {
        let conns = lock(&self.inner.conns);
        let held = conns.per_user.get(&user_id).into_iter().flatten();
        for conn in held.filter_map(|id| conns.by_id.get(id)) {
            if conn
                .control
                .try_send(Control::Notice(frame.clone()))
                .is_err()
            {
                tracing::warn!(
                    user_id,
                    "a socket's control queue was full; a notice was dropped"
                );
            }
        }
    }

    /// Hands `frame`, about `rooms`, to those of the user's sockets here
    /// that do not watch every one of them (all of them when `rooms` is
    /// empty): a socket watching a room hears its events already.
    pub fn tell_listing(&self, user_id: i64, rooms: &[i64], frame: &Utf8Bytes) {
        let watched: Vec<HashSet<ConnId>> = {
            let subscribed = lock(&self.inner.rooms);
            rooms
                .iter()
                .map(|room| {
                    subscribed
                        .get(room)
                        .map(|s| s.iter().map(|s| s.conn).collect())
                        .unwrap_or_default()
                })
                .collect()
        };
        let conns = lock(&self.inner.conns);
        let held = conns.per_user.get(&user_id).into_iter().flatten();
        for (id, conn) in held.filter_map(|id| Some((id, conns.by_id.get(id)?))) {
            if !watched.is_empty() && watched.iter().all(|watchers| watchers.contains(id)) {
                continue;
            }
            if conn
                .control
                .try_send(Control::Notice(frame.clone()))
                .is_err()
            {
                tracing::warn!(
                    user_id,
                    "a socket's control queue was full; activity was dropped"
                );
            }
        }
    }

    /// Hands `frame` to the sockets here watching the room, but those of
    /// `except` (who it is about). A socket whose control queue is full
    /// misses it: it is a signal, and the next one will do.
    pub fn tell_room(&self, room_id: i64, except: i64, frame: &Utf8Bytes) {
        let watching: Vec<ConnId> = lock(&self.inner.rooms)
            .get(&room_id)
            .map(|subscribers| {
                subscribers
                    .iter()
                    .filter(|s| s.user != except)
                    .map(|s| s.conn)
                    .collect()
            })
            .unwrap_or_default();
        let conns = lock(&self.inner.conns);
        for conn in watching.iter().filter_map(|id| conns.by_id.get(id)) {
            let _ = conn.control.try_send(Control::Notice(frame.clone()));
        }
    }

    /// Asks every socket to close; part of graceful shutdown.
    pub fn shutdown_all(&self) {
        self.notify(|_| true, Control::ServerShutdown);
    }

    fn notify(&self, matches: impl Fn(&Conn) -> bool, control: Control) {
        for conn in lock(&self.inner.conns)
            .by_id
            .values()
            .filter(|c| matches(c))
        {
            // The queue holds one of each kind at most; full means the
            // socket stopped reading its controls and is going away.
            let _ = conn.control.try_send(control.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Author, Message};

    fn message(room_id: i64, seq: i64) -> Entry {
        Entry::Posted(Message {
            id: seq,
            room_id,
            seq,
            author: Author {
                id: 1,
                username: "ann".into(),
            },
            body: "hi".into(),
            body_html: "<p>hi</p>\n".into(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            client_id: None,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        })
    }

    fn subscriber(conn: ConnId, queue: usize) -> (Subscriber, mpsc::Receiver<Arc<Delivery>>) {
        subscriber_of(conn as i64, conn, queue)
    }

    fn subscriber_of(
        user: i64,
        conn: ConnId,
        queue: usize,
    ) -> (Subscriber, mpsc::Receiver<Arc<Delivery>>) {
        let (tx, rx) = mpsc::channel(queue);
        let subscriber = Subscriber {
            conn,
            user,
            queue: tx,
            too_slow: Arc::default(),
        };
        (subscriber, rx)
    }

    #[tokio::test]
    async fn subscribers_get_only_their_room() {
        let hub = Hub::default();
        let (one, mut one_rx) = subscriber(1, 8);
        let (two, mut two_rx) = subscriber(2, 8);
        hub.subscribe(1, one);
        hub.subscribe(2, two);
        hub.publish(message(1, 1));
        let delivery = one_rx.recv().await.unwrap();
        assert_eq!(delivery.room_id, 1);
        assert_eq!(delivery.frames.len(), 1);
        let (seq, frame) = &delivery.frames[0];
        assert_eq!(*seq, 1);
        let frame: ServerFrame = serde_json::from_str(frame).unwrap();
        assert_eq!(frame, ServerFrame::from(message(1, 1)));
        assert!(two_rx.try_recv().is_err());
        hub.unsubscribe(1, 1);
        hub.publish(message(1, 2));
        assert!(one_rx.try_recv().is_err());
    }

    #[tokio::test]
    async fn a_full_queue_is_told_and_dropped_while_others_go_on() {
        let hub = Hub::default();
        let (slow, mut slow_rx) = subscriber(1, 2);
        let told = slow.too_slow.clone();
        let (fast, mut fast_rx) = subscriber(2, 8);
        hub.subscribe(1, slow);
        hub.subscribe(1, fast);
        for seq in 1..=3 {
            hub.publish(message(1, seq));
        }
        // The third did not fit: the slow socket is told once, and dropped.
        tokio::time::timeout(std::time::Duration::from_secs(1), told.notified())
            .await
            .unwrap();
        hub.publish(message(1, 4));
        let slow_seqs: Vec<i64> = std::iter::from_fn(|| slow_rx.try_recv().ok())
            .flat_map(|d| d.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>())
            .collect();
        assert_eq!(slow_seqs, [1, 2]);
        let fast_seqs: Vec<i64> = std::iter::from_fn(|| fast_rx.try_recv().ok())
            .flat_map(|d| d.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>())
            .collect();
        assert_eq!(fast_seqs, [1, 2, 3, 4]);
    }

    #[tokio::test]
    async fn events_published_together_reach_a_socket_as_one_delivery_per_room() {
        let hub = Hub::default();
        let (one, mut one_rx) = subscriber(1, 8);
        let (two, mut two_rx) = subscriber(2, 8);
        hub.subscribe(1, one);
        hub.subscribe(2, two);
        hub.publish_all([message(1, 5), message(2, 9), message(1, 6)]);
        let delivery = one_rx.try_recv().unwrap();
        let seqs: Vec<i64> = delivery.frames.iter().map(|(seq, _)| *seq).collect();
        assert_eq!(seqs, [5, 6]);
        assert!(one_rx.try_recv().is_err(), "one delivery for the room");
        assert_eq!(two_rx.try_recv().unwrap().frames.len(), 1);
        assert_eq!(hub.last_published(1), Some(6));
    }

    #[tokio::test]
    async fn ending_a_session_reaches_only_its_sockets() {
        let hub = Hub::default();
        let mut a = hub.register(1, "s1", 10, 0).unwrap();
        let mut b = hub.register(1, "s2", 10, 0).unwrap();
        hub.end_session("s1");
        assert_eq!(a.control.try_recv().unwrap(), Control::SessionEnded);
        assert!(b.control.try_recv().is_err());
    }

    #[tokio::test]
    async fn many_leaves_make_one_request_and_lose_no_room() {
        let hub = Hub::default();
        let mut ann = hub.register(1, "s1", 10, 0).unwrap();
        let mut bob = hub.register(2, "s2", 10, 0).unwrap();
        for room in 0..100 {
            hub.left_room(1, room);
        }
        assert_eq!(ann.control.try_recv().unwrap(), Control::LeftRooms);
        assert!(ann.control.try_recv().is_err(), "one request for all");
        let mut rooms = ann.left.take();
        rooms.sort();
        assert_eq!(rooms, (0..100).collect::<Vec<_>>());
        assert!(bob.control.try_recv().is_err());
        assert!(bob.left.take().is_empty());
        // Once taken, the next leave asks again; the session's end still fits.
        hub.left_room(1, 7);
        hub.end_session("s1");
        assert_eq!(ann.control.try_recv().unwrap(), Control::LeftRooms);
        assert_eq!(ann.control.try_recv().unwrap(), Control::SessionEnded);
    }

    fn seqs(rx: &mut mpsc::Receiver<Arc<Delivery>>) -> Vec<i64> {
        std::iter::from_fn(|| rx.try_recv().ok())
            .flat_map(|d| d.frames.iter().map(|(seq, _)| *seq).collect::<Vec<_>>())
            .collect()
    }

    fn leave(room_id: i64, seq: i64, user: i64) -> Entry {
        Entry::Changed(Event {
            room_id,
            seq,
            change: Change::MemberLeft {
                user: Author {
                    id: user,
                    username: "bob".into(),
                },
                reason: crate::model::LeaveReason::Removed,
            },
        })
    }

    #[tokio::test]
    async fn a_leave_ends_the_leavers_subscriptions_at_its_seq_and_asks_their_sockets_to_check() {
        let hub = Hub::default();
        let mut bob = hub.register(2, "s2", 10, 0).unwrap();
        let (anns, mut ann_rx) = subscriber_of(1, 10, 8);
        let (bobs, mut bob_rx) = subscriber_of(2, bob.id, 8);
        let (bobs_other_room, mut bob_other_rx) = subscriber_of(2, bob.id, 8);
        hub.subscribe(1, anns);
        hub.subscribe(1, bobs);
        hub.subscribe(2, bobs_other_room);
        // One commit: a message, bob's removal, a message after it, and
        // another room's message.
        hub.publish_all([message(1, 1), leave(1, 2, 2), message(1, 3), message(2, 1)]);
        hub.publish(message(1, 4));
        assert_eq!(seqs(&mut ann_rx), [1, 2, 3, 4]);
        assert_eq!(seqs(&mut bob_rx), [1, 2], "nothing after the leave");
        assert_eq!(seqs(&mut bob_other_rx), [1], "other rooms go on");
        assert_eq!(bob.control.try_recv().unwrap(), Control::LeftRooms);
        assert_eq!(bob.left.take(), [1]);
    }

    #[tokio::test]
    async fn a_deletion_ends_every_subscription_to_the_room() {
        let hub = Hub::default();
        let mut ann = hub.register(1, "s1", 10, 0).unwrap();
        let mut bob = hub.register(2, "s2", 10, 0).unwrap();
        let (anns, mut ann_rx) = subscriber_of(1, ann.id, 8);
        let (bobs, mut bob_rx) = subscriber_of(2, bob.id, 8);
        hub.subscribe(1, anns);
        hub.subscribe(1, bobs);
        let deleted = Entry::Changed(Event {
            room_id: 1,
            seq: 2,
            change: Change::RoomDeleted {
                user: Author {
                    id: 1,
                    username: "ann".into(),
                },
            },
        });
        hub.publish_all([message(1, 1), deleted]);
        hub.publish(message(1, 3));
        assert_eq!(seqs(&mut ann_rx), [1, 2]);
        assert_eq!(seqs(&mut bob_rx), [1, 2]);
        for registration in [&mut ann, &mut bob] {
            assert_eq!(registration.control.try_recv().unwrap(), Control::LeftRooms);
            assert_eq!(registration.left.take(), [1]);
        }
    }

    #[tokio::test]
    async fn activity_goes_only_to_a_users_sockets_that_do_not_watch_the_room() {
        let hub = Hub::default();
        let mut watching = hub.register(1, "s1", 10, 0).unwrap();
        let mut listing = hub.register(1, "s2", 10, 0).unwrap();
        let bob = hub.register(2, "s3", 10, 0).unwrap();
        let (anns, _ann_rx) = subscriber_of(1, watching.id, 8);
        let (bobs, _bob_rx) = subscriber_of(2, bob.id, 8);
        hub.subscribe(7, anns);
        hub.subscribe(7, bobs);
        // Bob watches from his only socket; user 3 has none here.
        assert_eq!(hub.not_watching(7, &[1, 2, 3]), [1]);
        assert_eq!(hub.not_watching(8, &[1, 2, 3]), [1, 2]);

        hub.tell_listing(1, &[7], &"about 7".into());
        assert_eq!(
            listing.control.try_recv().unwrap(),
            Control::Notice("about 7".into())
        );
        assert!(watching.control.try_recv().is_err());
        // About no room in particular (a leave): every socket.
        hub.tell_listing(1, &[], &"left".into());
        assert!(listing.control.try_recv().is_ok());
        assert!(watching.control.try_recv().is_ok());
    }

    #[tokio::test]
    async fn publishing_marks_rooms_touched_with_their_leaves_and_deletions() {
        let hub = Hub::default();
        let deleted = Entry::Changed(Event {
            room_id: 3,
            seq: 1,
            change: Change::RoomDeleted {
                user: Author {
                    id: 1,
                    username: "ann".into(),
                },
            },
        });
        hub.publish_all([message(1, 1), leave(2, 4, 9), deleted, message(1, 2)]);
        let touched = hub.touched().await;
        assert_eq!(touched.rooms, BTreeSet::from([1, 2, 3]));
        assert_eq!(touched.left, [(2, 9)]);
        assert_eq!(touched.deleted, BTreeSet::from([3]));
        // Taken: the next call waits for the next publish.
        let next = tokio::spawn({
            let hub = hub.clone();
            async move { hub.touched().await }
        });
        tokio::task::yield_now().await;
        assert!(!next.is_finished());
        hub.publish(message(5, 1));
        assert_eq!(next.await.unwrap().rooms, BTreeSet::from([5]));
    }

    #[tokio::test]
    async fn waiting_for_no_connections_ends_when_the_last_one_goes() {
        let hub = Hub::default();
        let a = hub.register(1, "s1", 10, 0).unwrap().id;
        let b = hub.register(2, "s2", 10, 0).unwrap().id;
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

    #[test]
    fn each_user_holds_at_most_the_cap_and_closing_frees_a_place() {
        let hub = Hub::default();
        let first = hub.register(1, "s1", 2, 0).unwrap().id;
        let _second = hub.register(1, "s2", 2, 0).unwrap();
        assert!(hub.register(1, "s3", 2, 0).is_none());
        assert!(
            hub.register(2, "s4", 2, 0).is_some(),
            "another user is not affected"
        );
        hub.unregister(first);
        assert!(hub.register(1, "s3", 2, 0).is_some());
        assert_eq!(hub.connection_count(), 3);
    }

    #[tokio::test]
    async fn a_person_is_here_as_of_their_most_recently_used_socket() {
        let hub = Hub::default();
        let old = hub.register(1, "s1", 10, 100).unwrap().id;
        let new = hub.register(1, "s2", 10, 200).unwrap().id;
        let _bob = hub.register(2, "s3", 10, 50).unwrap();
        assert_eq!(hub.here(), HashMap::from([(1, 200), (2, 50)]));
        hub.used(old, 300);
        // A late report never moves a socket back in time.
        hub.used(new, 150);
        assert_eq!(hub.here()[&1], 300);
        hub.unregister(old);
        assert_eq!(hub.here()[&1], 200);
        hub.unregister(new);
        assert_eq!(hub.here(), HashMap::from([(2, 50)]));
        // Each change woke the presence task (one wake-up stands for all).
        tokio::time::timeout(std::time::Duration::from_secs(1), hub.here_changed())
            .await
            .expect("woken");
    }
}
