//! Writing to the peer: every write is bounded by the write timeout (a
//! peer that does not read is cut, never waited for), and what is queued
//! is written in batches with one flush, so a busy room costs a socket one
//! syscall per batch, not per message.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use app::protocol::ServerFrame;
use app::server::live::hub::Delivery;
use axum::extract::ws::{Message as WsMessage, WebSocket};
use futures::SinkExt;
use tokio::sync::mpsc;
use tokio::time::timeout;

use super::connection::{Exit, TOO_SLOW};

/// How long a closing socket waits for the peer's close reply. A peer busy
/// writing (a burst of sends) reads our close only after that; closing
/// sooner resets the connection and can destroy the close frame unread.
const CLOSE_LINGER: Duration = Duration::from_secs(5);
/// Queued messages written before one flush.
const WRITE_BATCH: usize = 64;
/// Bytes of frames the socket collects before it writes them out; a flush
/// writes whatever is there. Small, since an idle socket keeps its buffer.
pub(super) const WRITE_BUFFER: usize = 8 * 1024;

/// How a write to the peer ended.
pub(super) enum Sent {
    Ok,
    Failed,
    TimedOut,
}

impl Sent {
    /// The loop's exit for a write that did not go through.
    pub(super) fn exit(self) -> Option<Exit> {
        match self {
            Sent::Ok => None,
            Sent::Failed => Some(Exit::PeerGone),
            Sent::TimedOut => Some(TOO_SLOW),
        }
    }
}

/// Waits briefly for the peer's close reply, discarding what it still sends.
/// Closing TCP with unread input makes the kernel send a reset, and a reset
/// can destroy the frames the peer has not read yet: our last acks and the
/// close frame itself.
pub(super) async fn linger(socket: &mut WebSocket) {
    let _ = timeout(CLOSE_LINGER, async {
        while let Some(Ok(frame)) = socket.recv().await {
            if matches!(frame, WsMessage::Close(_)) {
                break;
            }
        }
    })
    .await;
}

pub(super) async fn send(socket: &mut WebSocket, frame: &ServerFrame, limit: Duration) -> Sent {
    match serde_json::to_string(frame) {
        Ok(text) => write(socket, WsMessage::Text(text.into()), limit).await,
        Err(_) => Sent::Failed,
    }
}

/// Writes `first` and whatever else is already queued, then flushes once:
/// in a busy room a socket costs one syscall per batch, not per message.
pub(super) async fn write_queued(
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
pub(super) async fn feed_queued(
    socket: &mut WebSocket,
    first: Option<Arc<Delivery>>,
    queue: &mut mpsc::Receiver<Arc<Delivery>>,
    subscriptions: &mut HashMap<i64, i64>,
) -> Result<usize, axum::Error> {
    let mut next = first.or_else(|| queue.try_recv().ok());
    let mut written = 0;
    while let Some(delivery) = next.take() {
        if let Some(last) = subscriptions.get_mut(&delivery.room_id) {
            for (seq, frame) in &delivery.frames {
                if *seq > *last {
                    *last = *seq;
                    socket.feed(WsMessage::Text(frame.clone())).await?;
                    written += 1;
                }
            }
        }
        if written < WRITE_BATCH {
            next = queue.try_recv().ok();
        }
    }
    Ok(written)
}

/// How a write bounded by the write timeout ended.
pub(super) fn finish(result: Result<Result<(), axum::Error>, tokio::time::error::Elapsed>) -> Sent {
    match result {
        Ok(Ok(())) => Sent::Ok,
        Ok(Err(_)) => Sent::Failed,
        Err(_) => Sent::TimedOut,
    }
}

pub(super) async fn write(socket: &mut WebSocket, frame: WsMessage, limit: Duration) -> Sent {
    finish(timeout(limit, socket.send(frame)).await)
}

/// Whether a read failed because the peer's message is over
/// [`MAX_FRAME_BYTES`](app::protocol::MAX_FRAME_BYTES): the close code then says so (1009).
pub(super) fn is_capacity_error(error: &axum::Error) -> bool {
    use std::error::Error as _;
    matches!(
        error
            .source()
            .and_then(|inner| inner.downcast_ref::<tungstenite::Error>()),
        Some(tungstenite::Error::Capacity(_))
    )
}
