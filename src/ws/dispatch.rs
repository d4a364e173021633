//! One client frame, one service call, one reply: the WebSocket's version
//! of a REST handler. A request that changes a room is answered with `ack`
//! (the message as it now is) or an error frame naming its `client_id`, so
//! the client can match every answer to what it asked; it is answered once
//! committed, while the socket goes on reading (`in_flight`).

use std::future::Future;
use std::sync::Arc;

use app::error::ErrorCode;
use app::model::Message;
use app::protocol::{ClientFrame, ServerFrame};
use app::server::Error;
use app::server::live::hub::Delivery;
use app::server::services::{messages, presence, typing};
use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures::FutureExt;
use futures::SinkExt;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::connection::{Connection, Exit};
use super::frames::{error_frame, parse, service_error};
use super::in_flight::{Answered, InFlight};
use super::writes::{feed_queued, finish, send};

/// Close code for a client that kept sending after being told to wait.
const CLOSE_POLICY: u16 = 1008;

impl Connection {
    /// Handles one frame from the client; `Some` ends the connection.
    pub(super) async fn on_frame(
        &mut self,
        socket: &mut WebSocket,
        frame: WsMessage,
        outbox: &mut mpsc::Receiver<Arc<Delivery>>,
        in_flight: &mut InFlight,
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
            Ok(frame) => match self.on_client_frame(socket, frame, in_flight).await {
                Ok(replies) => replies,
                Err(exit) => return Some(exit),
            },
            Err(error) => vec![*error],
        };
        if replies.is_empty() {
            return None;
        }
        self.reply(socket, &replies, outbox).await
    }

    /// Answers changes now committed (or refused); `Some` ends the connection.
    pub(super) async fn on_answers(
        &mut self,
        socket: &mut WebSocket,
        answers: Vec<Answered>,
        outbox: &mut mpsc::Receiver<Arc<Delivery>>,
    ) -> Option<Exit> {
        let mut replies = Vec::with_capacity(answers.len());
        let mut closing = None;
        for answered in answers {
            match self.answer(answered.result, answered.client_id, answered.room_id) {
                Ok(reply) => replies.extend(reply),
                Err(exit) => closing = closing.or(Some(exit)),
            }
        }
        // Every answer still goes out, whatever closes the socket after.
        let written = self.reply(socket, &replies, outbox).await;
        closing.or(written)
    }

    /// Writes `replies` and the room frames already queued (a sender's own
    /// message often is, by the time its ack is) in one flush.
    async fn reply(
        &mut self,
        socket: &mut WebSocket,
        replies: &[ServerFrame],
        outbox: &mut mpsc::Receiver<Arc<Delivery>>,
    ) -> Option<Exit> {
        let subscriptions = &mut self.subscriptions;
        let batch = async {
            for reply in replies {
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
        in_flight: &mut InFlight,
    ) -> Result<Vec<ServerFrame>, Exit> {
        Ok(match frame {
            ClientFrame::Ping => vec![ServerFrame::Pong],
            ClientFrame::Active => {
                presence::used(&self.state, self.conn_id);
                vec![]
            }
            // Watching the room is what proves the user is in it.
            ClientFrame::Typing { room_id } if !self.subscriptions.contains_key(&room_id) => {
                vec![error_frame(
                    ErrorCode::InvalidFrame,
                    "Subscribe to a room before saying you are typing in it.",
                    None,
                    Some(room_id),
                )]
            }
            ClientFrame::Typing { room_id } => {
                match typing::typing(&self.state, &self.auth, room_id).await {
                    Ok(()) => vec![],
                    Err(e) => vec![service_error(&e, None, Some(room_id))],
                }
            }
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
                attachments,
            } => {
                let new = messages::NewPost {
                    body,
                    client_id: Some(client_id.clone()),
                    reply_to,
                    attachments,
                };
                let posted = messages::post(&self.state, &self.auth, room_id, new)
                    .await
                    .map(|posted| posted.map(|answer| answer.map(|(message, _)| message)));
                self.submitted(in_flight, posted, client_id, room_id)?
            }
            ClientFrame::Edit {
                room_id,
                message_id,
                body,
                client_id,
            } => {
                let edited =
                    messages::edit(&self.state, &self.auth, room_id, message_id, body).await;
                self.submitted(in_flight, edited, client_id, room_id)?
            }
            ClientFrame::Delete {
                room_id,
                message_id,
                client_id,
            } => {
                let deleted = messages::delete(&self.state, &self.auth, room_id, message_id).await;
                self.submitted(in_flight, deleted, client_id, room_id)?
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
                self.submitted(in_flight, reacted, client_id, room_id)?
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
                self.submitted(in_flight, unreacted, client_id, room_id)?
            }
            ClientFrame::Subscribe { room_id, after_seq } => {
                match self.subscribe(socket, room_id, after_seq).await {
                    Ok(last_seq) => vec![ServerFrame::Subscribed { room_id, last_seq }],
                    Err(e) => vec![service_error(&e, None, Some(room_id))],
                }
            }
        })
    }

    /// A change handed to the writer waits for its answer in `in_flight`.
    /// One refused before that (too long, too fast) is answered now if
    /// nothing waits, else after the changes asked before it: a socket's
    /// changes are answered in the order asked.
    fn submitted(
        &self,
        in_flight: &mut InFlight,
        submitted: Result<impl Future<Output = Result<Message, Error>> + Send + 'static, Error>,
        client_id: String,
        room_id: i64,
    ) -> Result<Vec<ServerFrame>, Exit> {
        match submitted {
            Ok(answer) => in_flight.push(answer, client_id, room_id),
            // Closing for it is not put off: the changes before it are
            // answered on the way out.
            Err(e) if in_flight.is_empty() || matches!(e, Error::KeptSending { .. }) => {
                return self.answer(Err(e), client_id, room_id);
            }
            Err(e) => in_flight.push(std::future::ready(Err(e)), client_id, room_id),
        }
        Ok(Vec::new())
    }

    /// The reply to a request that changes a room: `ack` with the message,
    /// or the error frame; a client that kept sending after being told to
    /// wait is closed instead.
    fn answer(
        &self,
        result: Result<Message, Error>,
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
}
