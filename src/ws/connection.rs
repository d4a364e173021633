//! A socket's task: the one loop that reads the client's frames, writes
//! its rooms' events, answers the hub's controls (session ended, rooms
//! left, shutdown) and pings. It is the socket's only writer, so frames
//! never interleave and a stalled peer stalls only its own task.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::model::LeaveReason;
use app::protocol::{CLOSE_SESSION_ENDED, CLOSE_TOO_SLOW, ServerFrame};
use app::server::live::hub::{ConnId, Control, Delivery, LeftRooms, Subscriber};
use app::server::services::auth::AuthUser;
use app::server::services::{rooms, subscriptions};
use app::server::storage::db::now_ms;
use app::server::{AppState, Error, SocketLimits};
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket};
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, interval};

use super::frames::service_error;
use super::in_flight::InFlight;
use super::writes::{Sent, is_capacity_error, linger, send, write, write_queued};

/// Close code for a server that could not do what the socket needs now
/// (1011, "internal error"); the client reconnects and resumes.
const CLOSE_TRY_AGAIN: u16 = 1011;

/// What reaches a connection: its rooms' messages and the services' requests.
pub(super) type Inbox = (mpsc::Receiver<Arc<Delivery>>, mpsc::Receiver<Control>);

pub(super) struct Connection {
    pub(super) state: AppState,
    pub(super) auth: AuthUser,
    pub(super) limits: SocketLimits,
    pub(super) write_timeout: Duration,
    pub(super) conn_id: ConnId,
    /// Rooms the user left that this socket has yet to check.
    pub(super) left: LeftRooms,
    /// Per subscribed room, the newest seq this socket has been sent.
    pub(super) subscriptions: HashMap<i64, i64>,
    pub(super) outbox: mpsc::Sender<Arc<Delivery>>,
    pub(super) too_slow: Arc<Notify>,
}

/// Why the loop stopped, and so how to close.
pub(super) enum Exit {
    PeerGone,
    Close(u16, &'static str),
}

/// A peer that does not take our frames in time: its queue is full or a
/// write stalled. It is told why, and resumes from its last seq.
pub(super) const TOO_SLOW: Exit =
    Exit::Close(CLOSE_TOO_SLOW, "too slow: resume from your last seq");

/// Sends the close frame and waits briefly for the peer's reply.
async fn close(socket: &mut WebSocket, code: u16, reason: &'static str, limit: Duration) {
    let close = WsMessage::Close(Some(CloseFrame {
        code,
        reason: reason.into(),
    }));
    if matches!(write(socket, close, limit).await, Sent::Ok) {
        linger(socket).await;
    }
}

impl Connection {
    /// Registers the connection with the hub, unless the user already has
    /// as many sockets as allowed; dropping it unregisters.
    pub(super) fn new(state: AppState, auth: AuthUser) -> Option<(Self, Inbox)> {
        let limits = state.settings.sockets.clone();
        let registration =
            state
                .hub
                .register(auth.user.id, &auth.session, limits.max_per_user, now_ms())?;
        let (conn_id, control) = (registration.id, registration.control);
        let (outbox, outbox_rx) = mpsc::channel(limits.queue);
        let connection = Self {
            write_timeout: limits.write_timeout,
            limits,
            state,
            auth,
            conn_id,
            left: registration.left,
            subscriptions: HashMap::new(),
            outbox,
            too_slow: Arc::default(),
        };
        Some((connection, (outbox_rx, control)))
    }

    pub(super) async fn run(mut self, mut socket: WebSocket, (mut outbox_rx, mut control): Inbox) {
        let conn_id = self.conn_id;
        tracing::debug!(conn_id, user_id = self.auth.user.id, "socket open");

        let mut ping = interval(self.limits.ping_every);
        let idle_timeout = self.limits.idle_timeout;
        let mut last_heard = Instant::now();
        let too_slow = self.too_slow.clone();
        let mut in_flight = InFlight::default();

        let exit = loop {
            tokio::select! {
                incoming = socket.recv(), if !in_flight.is_full() => match incoming {
                    Some(Ok(frame)) => {
                        last_heard = Instant::now();
                        // Boxed: handling a frame can await the database,
                        // and an unboxed future that size would be carried
                        // by every idle socket.
                        if let Some(exit) = Box::pin(self.on_frame(&mut socket, frame, &mut outbox_rx, &mut in_flight)).await {
                            break exit;
                        }
                    }
                    Some(Err(e)) => {
                        tracing::debug!(conn_id, error = %e, "socket read failed");
                        break if is_capacity_error(&e) {
                            Exit::Close(1009, "frame too large")
                        } else {
                            Exit::PeerGone
                        };
                    }
                    None => break Exit::PeerGone,
                },
                answers = in_flight.next(), if !in_flight.is_empty() => {
                    if let Some(exit) = Box::pin(self.on_answers(&mut socket, answers, &mut outbox_rx)).await {
                        break exit;
                    }
                }
                Some(delivery) = outbox_rx.recv() => {
                    // A full queue must not wait behind a stalled write.
                    let sent = tokio::select! {
                        sent = write_queued(&mut socket, delivery, &mut outbox_rx, &mut self.subscriptions, self.write_timeout) => sent,
                        () = too_slow.notified() => Sent::TimedOut,
                    };
                    if let Some(exit) = sent.exit() {
                        break exit;
                    }
                }
                Some(control) = control.recv() => match control {
                    Control::SessionEnded => break Exit::Close(CLOSE_SESSION_ENDED, "session ended"),
                    Control::ServerShutdown => break Exit::Close(1001, "server shutting down"),
                    Control::LeftRooms => {
                        let rooms = self.left.take();
                        // Boxed, as every rare path here: it awaits the
                        // database, and an inline future that size would
                        // be carried by every idle socket.
                        if let Some(exit) = Box::pin(self.recheck(&mut socket, &rooms)).await {
                            break exit;
                        }
                    }
                    Control::Notice(frame) => {
                        let sent = write(&mut socket, WsMessage::Text(frame), self.write_timeout);
                        if let Some(exit) = Box::pin(sent).await.exit() {
                            break exit;
                        }
                    }
                },
                () = too_slow.notified() => break TOO_SLOW,
                _ = ping.tick() => {
                    if last_heard.elapsed() > idle_timeout {
                        break Exit::PeerGone;
                    }
                    let ping = write(&mut socket, WsMessage::Ping(Default::default()), self.write_timeout);
                    if let Some(exit) = Box::pin(ping).await.exit() {
                        break exit;
                    }
                }
            }
        };

        for &room_id in self.subscriptions.keys() {
            self.state.hub.unsubscribe(room_id, conn_id);
        }
        if let Exit::Close(code, reason) = exit {
            // Changes in hand are answered before the close: a server
            // shutting down stores and acknowledges what it was given.
            Box::pin(self.answer_in_flight(&mut socket, &mut in_flight, &mut outbox_rx)).await;
            Box::pin(close(&mut socket, code, reason, self.write_timeout)).await;
        }
        tracing::debug!(conn_id, "socket closed");
        // Dropping `self` unregisters, last, so that shutdown waits for the
        // close frame to go out.
    }

    /// Waits (up to the write timeout) for every change in flight and
    /// answers it. The socket is closing, so nothing it subscribed to is
    /// written with them.
    async fn answer_in_flight(
        &mut self,
        socket: &mut WebSocket,
        in_flight: &mut InFlight,
        outbox: &mut mpsc::Receiver<Arc<Delivery>>,
    ) {
        let deadline = Instant::now() + self.write_timeout;
        self.subscriptions.clear();
        while !in_flight.is_empty() {
            let Ok(answers) = tokio::time::timeout_at(deadline, in_flight.next()).await else {
                return;
            };
            if self.on_answers(socket, answers, outbox).await.is_some() {
                return;
            }
        }
    }

    /// After the hub ended this socket's subscriptions to `rooms` at a
    /// leave: tells the client why, with `not_a_member` (they left) or
    /// `unsubscribed` (they were removed: the room's log says which). Asked
    /// of the database, not taken from the event: a user who has joined
    /// again since is subscribed again from the last seq sent, missing
    /// nothing. If the database cannot say, the socket is closed (1011):
    /// the client reconnects, and subscribing checks membership again.
    async fn recheck(&mut self, socket: &mut WebSocket, rooms: &[i64]) -> Option<Exit> {
        for &room_id in rooms {
            if !self.subscriptions.contains_key(&room_id) {
                continue;
            }
            let error = match rooms::require_member(&self.state, self.auth.user.id, room_id).await {
                Ok(()) => {
                    let last = self.subscriptions.get(&room_id).copied();
                    if let Err(e) = self.subscribe(socket, room_id, last).await {
                        let frame = service_error(&e, None, Some(room_id));
                        if let Some(exit) = send(socket, &frame, self.write_timeout).await.exit() {
                            return Some(exit);
                        }
                    }
                    continue;
                }
                Err(e @ (Error::NotAMember | Error::RoomNotFound)) => e,
                Err(e) => {
                    tracing::warn!(error = %e, room_id, "could not recheck a membership");
                    return Some(Exit::Close(CLOSE_TRY_AGAIN, "try again"));
                }
            };
            let why = match rooms::why_left(&self.state, self.auth.user.id, room_id).await {
                Ok(why) => why,
                Err(e) => {
                    tracing::warn!(error = %e, room_id, "could not tell why a membership ended");
                    return Some(Exit::Close(CLOSE_TRY_AGAIN, "try again"));
                }
            };
            self.subscriptions.remove(&room_id);
            self.state.hub.unsubscribe(room_id, self.conn_id);
            let left = match why {
                LeaveReason::Left => service_error(&error, None, Some(room_id)),
                reason => ServerFrame::Unsubscribed { room_id, reason },
            };
            if let Some(exit) = send(socket, &left, self.write_timeout).await.exit() {
                return Some(exit);
            }
        }
        None
    }
}

impl Connection {
    /// Sends the backlog after `after_seq` and starts live delivery after it,
    /// returning the seq both meet at (the rule: `live::subscription`).
    /// Queued events up to that seq were in the backlog or the database;
    /// `write_queued` skips them by the seq recorded here.
    pub(super) async fn subscribe(
        &mut self,
        socket: &mut WebSocket,
        room_id: i64,
        after_seq: Option<i64>,
    ) -> Result<i64, Error> {
        let subscribed = self.start_subscription(socket, room_id, after_seq).await;
        if subscribed.is_err() {
            // Told it failed, the client must not get that room's messages.
            self.subscriptions.remove(&room_id);
            self.state.hub.unsubscribe(room_id, self.conn_id);
        }
        subscribed
    }

    async fn start_subscription(
        &mut self,
        socket: &mut WebSocket,
        room_id: i64,
        after_seq: Option<i64>,
    ) -> Result<i64, Error> {
        let already = self.subscriptions.contains_key(&room_id);
        if !already && self.subscriptions.len() >= self.limits.max_subscriptions {
            return Err(Error::TooManySubscriptions);
        }
        self.subscriptions.remove(&room_id);
        let subscriber = Subscriber {
            conn: self.conn_id,
            user: self.auth.user.id,
            queue: self.outbox.clone(),
            too_slow: self.too_slow.clone(),
        };
        let mut started =
            subscriptions::subscribe(&self.state, &self.auth, room_id, subscriber, after_seq)
                .await?;
        while let Some(entries) = started.backlog.next_page().await? {
            for entry in entries {
                let frame = ServerFrame::from(entry);
                if !matches!(send(socket, &frame, self.write_timeout).await, Sent::Ok) {
                    return Err(Error::Internal("peer went away during backlog".into()));
                }
            }
        }
        self.subscriptions.insert(room_id, started.last_seq);
        Ok(started.last_seq)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.state.hub.unregister(self.conn_id);
    }
}
