//! `GET /ws`: the WebSocket adapter over the services (protocol in
//! `app::protocol`).
//!
//! One task owns each socket and is the only writer to it. The hub puts each
//! subscribed room's messages straight into this connection's bounded queue;
//! if it overflows, the client is too slow and is closed with 4008 so it
//! resumes from its last seq rather than the server buffering for it. Dead
//! peers are found by protocol pings.
//!
//! Every limit on what one socket may hold (sockets per user, rooms per
//! socket, idle time) is a setting in `app::server::SocketLimits`, checked
//! here; how fast a user may send is the service's rule
//! (`app::server::send_rate`), and a socket that ignores it is closed.

mod frames;

pub use frames::parse;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::error::ErrorCode;
use app::protocol::{
    CLOSE_SESSION_ENDED, CLOSE_TOO_SLOW, ClientFrame, MAX_FRAME_BYTES, ServerFrame,
};
use app::server::auth::{self, AuthUser};
use app::server::hub::{ConnId, Control, Delivery, LeftRooms, Subscriber};
use app::server::{AppState, Error, SocketLimits, events, messages, rooms};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};
use futures::SinkExt;
use tokio::sync::{Notify, mpsc};
use tokio::time::{Instant, interval, timeout};

use frames::{error_frame, service_error};

/// Close code for a client that kept sending after being told to wait.
const CLOSE_POLICY: u16 = 1008;
/// Close code for a server that could not do what the socket needs now
/// (1011, "internal error"); the client reconnects and resumes.
const CLOSE_TRY_AGAIN: u16 = 1011;
/// How long a closing socket waits for the peer's close reply. A peer busy
/// writing (a burst of sends) reads our close only after that; closing
/// sooner resets the connection and can destroy the close frame unread.
const CLOSE_LINGER: Duration = Duration::from_secs(5);
/// How large a frame may be and still be read whole before the socket is
/// closed for it with 1009; larger ones drop the connection.
const OVERSIZED_FRAME_READ: usize = 4 * MAX_FRAME_BYTES;
/// Queued messages written before one flush.
const WRITE_BATCH: usize = 64;
/// Bytes of frames the socket collects before it writes them out; a flush
/// writes whatever is there. Small, since an idle socket keeps its buffer.
const WRITE_BUFFER: usize = 8 * 1024;

pub async fn upgrade(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let auth = match auth::authenticate_headers(&state, &headers).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    // A foreign page must not open a socket with the user's cookie.
    let allowed = &state.settings.allowed_origins;
    if !crate::http::origin::from_our_pages(&headers, &uri, allowed) {
        tracing::warn!(origin = ?headers.get(axum::http::header::ORIGIN), "cross-site WebSocket refused");
        return Error::CrossSite.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Error::NotAWebSocket(rejection.body_text()).into_response(),
    };
    // Registered before the upgrade, so that the per-user cap holds however
    // many upgrades race; dropping the connection unregisters it.
    let Some((connection, inbox)) = Connection::new(state, auth) else {
        return Error::TooManySockets.into_response();
    };
    // Small buffers: tungstenite's default 128 KiB read buffer, allocated up
    // front, would be most of an idle socket's cost. Frames larger than the
    // buffer still arrive (it grows for them), up to MAX_FRAME_BYTES.
    ws.read_buffer_size(4096)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_FRAME_BYTES)
        // A frame over the message limit is still read to its end (up to
        // this much), so that no unread input is left when the socket
        // closes: that would reset the connection and destroy the 1009
        // close frame before the peer reads it.
        .max_frame_size(OVERSIZED_FRAME_READ)
        .on_upgrade(move |socket| connection.run(socket, inbox))
}

/// What reaches a connection: its rooms' messages and the services' requests.
type Inbox = (mpsc::Receiver<Arc<Delivery>>, mpsc::Receiver<Control>);

struct Connection {
    state: AppState,
    auth: AuthUser,
    limits: SocketLimits,
    write_timeout: Duration,
    conn_id: ConnId,
    /// Rooms the user left that this socket has yet to check.
    left: LeftRooms,
    /// Per subscribed room, the newest seq this socket has been sent.
    subscriptions: HashMap<i64, i64>,
    outbox: mpsc::Sender<Arc<Delivery>>,
    too_slow: Arc<Notify>,
}

/// Why the loop stopped, and so how to close.
enum Exit {
    PeerGone,
    Close(u16, &'static str),
}

/// A peer that does not take our frames in time: its queue is full or a
/// write stalled. It is told why, and resumes from its last seq.
const TOO_SLOW: Exit = Exit::Close(CLOSE_TOO_SLOW, "too slow: resume from your last seq");

/// How a write to the peer ended.
enum Sent {
    Ok,
    Failed,
    TimedOut,
}

impl Sent {
    /// The loop's exit for a write that did not go through.
    fn exit(self) -> Option<Exit> {
        match self {
            Sent::Ok => None,
            Sent::Failed => Some(Exit::PeerGone),
            Sent::TimedOut => Some(TOO_SLOW),
        }
    }
}

impl Connection {
    /// Registers the connection with the hub, unless the user already has
    /// as many sockets as allowed; dropping it unregisters.
    fn new(state: AppState, auth: AuthUser) -> Option<(Self, Inbox)> {
        let limits = state.settings.sockets.clone();
        let registration = state
            .hub
            .register(auth.user.id, &auth.session, limits.max_per_user)?;
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

    async fn run(mut self, mut socket: WebSocket, (mut outbox_rx, mut control): Inbox) {
        let conn_id = self.conn_id;
        tracing::debug!(conn_id, user_id = self.auth.user.id, "socket open");

        let mut ping = interval(self.limits.ping_every);
        let idle_timeout = self.limits.idle_timeout;
        let mut last_heard = Instant::now();
        let too_slow = self.too_slow.clone();

        let exit = loop {
            tokio::select! {
                incoming = socket.recv() => match incoming {
                    Some(Ok(frame)) => {
                        last_heard = Instant::now();
                        // Boxed: handling a frame can await the database,
                        // and an unboxed future that size would be carried
                        // by every idle socket.
                        if let Some(exit) = Box::pin(self.on_frame(&mut socket, frame, &mut outbox_rx)).await {
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
                        if let Some(exit) = self.recheck(&mut socket, &rooms).await {
                            break exit;
                        }
                    }
                },
                () = too_slow.notified() => break TOO_SLOW,
                _ = ping.tick() => {
                    if last_heard.elapsed() > idle_timeout {
                        break Exit::PeerGone;
                    }
                    if let Some(exit) = write(&mut socket, WsMessage::Ping(Default::default()), self.write_timeout).await.exit() {
                        break exit;
                    }
                }
            }
        };

        for &room_id in self.subscriptions.keys() {
            self.state.hub.unsubscribe(room_id, conn_id);
        }
        if let Exit::Close(code, reason) = exit {
            let close = WsMessage::Close(Some(CloseFrame {
                code,
                reason: reason.into(),
            }));
            if matches!(
                write(&mut socket, close, self.write_timeout).await,
                Sent::Ok
            ) {
                linger(&mut socket).await;
            }
        }
        tracing::debug!(conn_id, "socket closed");
        // Dropping `self` unregisters, last, so that shutdown waits for the
        // close frame to go out.
    }

    /// Stops delivering each of `rooms` that the user may no longer read,
    /// telling the client with `not_a_member`. Asked of the database, not
    /// taken from the notice: a leave heard late must not cut a user who
    /// has joined again since. If the database cannot say, the socket is
    /// closed (1011) rather than left delivering a room that may be gone:
    /// the client reconnects, and subscribing checks membership again.
    async fn recheck(&mut self, socket: &mut WebSocket, rooms: &[i64]) -> Option<Exit> {
        for &room_id in rooms {
            if !self.subscriptions.contains_key(&room_id) {
                continue;
            }
            let error = match rooms::require_member(&self.state, self.auth.user.id, room_id).await {
                Ok(()) => continue,
                Err(e @ (Error::NotAMember | Error::RoomNotFound)) => e,
                Err(e) => {
                    tracing::warn!(error = %e, room_id, "could not recheck a membership");
                    return Some(Exit::Close(CLOSE_TRY_AGAIN, "try again"));
                }
            };
            self.subscriptions.remove(&room_id);
            self.state.hub.unsubscribe(room_id, self.conn_id);
            let left = service_error(&error, None, Some(room_id));
            if let Some(exit) = send(socket, &left, self.write_timeout).await.exit() {
                return Some(exit);
            }
        }
        None
    }

    /// Handles one frame from the client; `Some` ends the connection.
    async fn on_frame(
        &mut self,
        socket: &mut WebSocket,
        frame: WsMessage,
        outbox: &mut mpsc::Receiver<Arc<Delivery>>,
    ) -> Option<Exit> {
        let text = match frame {
            WsMessage::Text(text) => text,
            WsMessage::Binary(_) => {
                let error = error_frame(
                    ErrorCode::UnsupportedFrame,
                    "Send JSON text frames.",
                    None,
                    None,
                );
                return send(socket, &error, self.write_timeout).await.exit();
            }
            WsMessage::Close(_) => return Some(Exit::PeerGone),
            WsMessage::Ping(_) | WsMessage::Pong(_) => return None,
        };
        let replies = match parse(&text) {
            Ok(frame) => match self.on_client_frame(socket, frame).await {
                Ok(replies) => replies,
                Err(exit) => return Some(exit),
            },
            Err(error) => vec![*error],
        };
        // The replies, and the room frames already queued (a sender's own
        // message usually is, by the time its ack is), leave in one flush.
        let subscriptions = &mut self.subscriptions;
        let batch = async {
            for reply in &replies {
                let text = serde_json::to_string(reply).map_err(axum::Error::new)?;
                socket.feed(WsMessage::Text(text.into())).await?;
            }
            feed_queued(socket, None, outbox, subscriptions).await?;
            socket.flush().await
        };
        finish(timeout(self.write_timeout, batch).await).exit()
    }

    /// The replies to one well-formed frame, or why the socket must close.
    async fn on_client_frame(
        &mut self,
        socket: &mut WebSocket,
        frame: ClientFrame,
    ) -> Result<Vec<ServerFrame>, Exit> {
        Ok(match frame {
            ClientFrame::Ping => vec![ServerFrame::Pong],
            ClientFrame::Unsubscribe { room_id } => {
                if self.subscriptions.remove(&room_id).is_some() {
                    self.state.hub.unsubscribe(room_id, self.conn_id);
                }
                vec![]
            }
            ClientFrame::Send {
                room_id,
                body,
                client_id,
                reply_to,
            } => {
                let posted = messages::post(
                    &self.state,
                    &self.auth,
                    room_id,
                    body,
                    Some(client_id.clone()),
                    reply_to,
                )
                .await
                .map(|(message, _)| message);
                self.answer(posted, client_id, room_id)?
            }
            ClientFrame::Edit {
                room_id,
                message_id,
                body,
                client_id,
            } => {
                let edited =
                    messages::edit(&self.state, &self.auth, room_id, message_id, body).await;
                self.answer(edited, client_id, room_id)?
            }
            ClientFrame::Delete {
                room_id,
                message_id,
                client_id,
            } => {
                let deleted = messages::delete(&self.state, &self.auth, room_id, message_id).await;
                self.answer(deleted, client_id, room_id)?
            }
            ClientFrame::React {
                room_id,
                message_id,
                emoji,
                client_id,
            } => {
                let reacted =
                    messages::react(&self.state, &self.auth, room_id, message_id, emoji, true)
                        .await;
                self.answer(reacted, client_id, room_id)?
            }
            ClientFrame::Unreact {
                room_id,
                message_id,
                emoji,
                client_id,
            } => {
                let unreacted =
                    messages::react(&self.state, &self.auth, room_id, message_id, emoji, false)
                        .await;
                self.answer(unreacted, client_id, room_id)?
            }
            ClientFrame::Subscribe { room_id, after_seq } => {
                match self.subscribe(socket, room_id, after_seq).await {
                    Ok(last_seq) => vec![ServerFrame::Subscribed { room_id, last_seq }],
                    Err(e) => vec![service_error(&e, None, Some(room_id))],
                }
            }
        })
    }

    /// The reply to a request that changes a room: `ack` with the message,
    /// or the error frame; a client that kept sending after being told to
    /// wait is closed instead.
    fn answer(
        &self,
        result: Result<app::model::Message, Error>,
        client_id: String,
        room_id: i64,
    ) -> Result<Vec<ServerFrame>, Exit> {
        match result {
            Ok(message) => Ok(vec![ServerFrame::Ack { client_id, message }]),
            Err(Error::KeptSending { .. }) => {
                tracing::warn!(
                    conn_id = self.conn_id,
                    user_id = self.auth.user.id,
                    "socket closed for sending after being told to wait"
                );
                Err(Exit::Close(CLOSE_POLICY, "sending too fast"))
            }
            Err(e) => Ok(vec![service_error(&e, Some(client_id), Some(room_id))]),
        }
    }

    /// Sends the backlog after `after_seq` and starts live delivery after it,
    /// returning the seq both meet at. The subscription starts before
    /// `last_seq` is read, so every message past it arrives live and every
    /// message up to it is in the database: no gap, and the seq filter in
    /// `write_queued` removes the overlap.
    async fn subscribe(
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
        rooms::require_member(&self.state, self.auth.user.id, room_id).await?;
        self.subscriptions.remove(&room_id);
        let subscriber = Subscriber {
            conn: self.conn_id,
            queue: self.outbox.clone(),
            too_slow: self.too_slow.clone(),
        };
        self.state.hub.subscribe(room_id, subscriber);
        let last_seq = messages::last_seq(&self.state, room_id).await?;
        self.state.hub.start_at(room_id, last_seq);
        if let Some(mut cursor) = after_seq {
            while cursor < last_seq {
                // A connection per page, given back before the page is
                // written: a slow reader must not hold one of the pool's.
                let mut conn = self.state.db.acquire().await?;
                let page =
                    events::range(&self.state.db, &mut conn, room_id, cursor, last_seq).await?;
                drop(conn);
                let Some(last) = page.last_read else { break };
                cursor = last;
                for entry in page.entries {
                    let frame = ServerFrame::from(entry);
                    if !matches!(send(socket, &frame, self.write_timeout).await, Sent::Ok) {
                        return Err(Error::Internal("peer went away during backlog".into()));
                    }
                }
            }
        }
        // Messages queued meanwhile up to last_seq were in the backlog or
        // the database; `write_queued` skips them by this.
        self.subscriptions.insert(room_id, last_seq);
        Ok(last_seq)
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        self.state.hub.unregister(self.conn_id);
    }
}

/// Waits briefly for the peer's close reply, discarding what it still sends.
/// Closing TCP with unread input makes the kernel send a reset, and a reset
/// can destroy the frames the peer has not read yet: our last acks and the
/// close frame itself.
async fn linger(socket: &mut WebSocket) {
    let _ = timeout(CLOSE_LINGER, async {
        while let Some(Ok(frame)) = socket.recv().await {
            if matches!(frame, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

async fn send(socket: &mut WebSocket, frame: &ServerFrame, limit: Duration) -> Sent {
    match serde_json::to_string(frame) {
        Ok(text) => write(socket, WsMessage::Text(text.into()), limit).await,
        Err(_) => Sent::Failed,
    }
}

/// Writes `first` and whatever else is already queued, then flushes once:
/// in a busy room a socket costs one syscall per batch, not per message.
async fn write_queued(
    socket: &mut WebSocket,
    first: Arc<Delivery>,
    queue: &mut mpsc::Receiver<Arc<Delivery>>,
    subscriptions: &mut HashMap<i64, i64>,
    limit: Duration,
) -> Sent {
    let batch = async {
        if feed_queued(socket, Some(first), queue, subscriptions).await? > 0 {
            socket.flush().await
        } else {
            Ok(())
        }
    };
    finish(timeout(limit, batch).await)
}

/// Feeds `first` and what is already queued (up to [`WRITE_BATCH`]) into
/// the socket's buffer without flushing, and returns how many it fed.
/// Skips what this socket must not get: rooms it left, and seqs it already
/// has (the overlap between a subscription's backlog and its live stream).
async fn feed_queued(
    socket: &mut WebSocket,
    first: Option<Arc<Delivery>>,
    queue: &mut mpsc::Receiver<Arc<Delivery>>,
    subscriptions: &mut HashMap<i64, i64>,
) -> Result<usize, axum::Error> {
    let mut next = first.or_else(|| queue.try_recv().ok());
    let mut written = 0;
    while let Some(delivery) = next.take() {
        if let Some(last) = subscriptions.get_mut(&delivery.room_id)
            && delivery.seq > *last
        {
            *last = delivery.seq;
            socket.feed(WsMessage::Text(delivery.frame.clone())).await?;
            written += 1;
        }
        if written < WRITE_BATCH {
            next = queue.try_recv().ok();
        }
    }
    Ok(written)
}

/// How a write bounded by the write timeout ended.
fn finish(result: Result<Result<(), axum::Error>, tokio::time::error::Elapsed>) -> Sent {
    match result {
        Ok(Ok(())) => Sent::Ok,
        Ok(Err(_)) => Sent::Failed,
        Err(_) => Sent::TimedOut,
    }
}

async fn write(socket: &mut WebSocket, frame: WsMessage, limit: Duration) -> Sent {
    finish(timeout(limit, socket.send(frame)).await)
}

/// Whether a read failed because the peer's message is over
/// [`MAX_FRAME_BYTES`]: the close code then says so (1009).
fn is_capacity_error(error: &axum::Error) -> bool {
    use std::error::Error as _;
    matches!(
        error
            .source()
            .and_then(|inner| inner.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}
