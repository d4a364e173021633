//! Joining a room's live stream without a gap or a repeat: the one rule
//! for it, used by every socket.
//!
//! The subscriber is added to the hub *before* the room's last seq is
//! read. Every event after that seq therefore reaches the subscriber's
//! queue live, and every event up to it is in the log: the [`Backlog`]
//! replays `(after_seq, last_seq]`, then the queue takes over. The two may
//! overlap (an event committed between subscribing and reading last_seq is
//! in both); the subscriber drops queued events with `seq <= last_seq`.
//!
//! Who may subscribe is the services' question, and `start` asks it (the
//! `admitted` future) only once the subscriber is in the hub: a leave the
//! answer does not see commits after it, so it is published after too, and
//! publishing a leave ends the leaver's subscriptions (`hub`). Asked
//! before, a leave could slip between the answer and the subscription and
//! never end it.

use super::backlog::Backlog;
use super::hub::{Hub, Subscriber};
use crate::server::error::Result;
use crate::server::storage::{db::Db, rooms};

/// Where a new subscription starts.
pub struct Started {
    /// The room's last seq when the subscription started: the backlog ends
    /// here, and queued events up to it are repeats.
    pub last_seq: i64,
    /// What to send before anything queued (empty without `after_seq`).
    pub backlog: Backlog,
}

pub async fn start(
    db: &Db,
    hub: &Hub,
    room_id: i64,
    subscriber: Subscriber,
    after_seq: Option<i64>,
    admitted: impl Future<Output = Result<()>>,
) -> Result<Started> {
    let conn = subscriber.conn;
    hub.subscribe(room_id, subscriber);
    if let Err(e) = admitted.await {
        hub.unsubscribe(room_id, conn);
        return Err(e);
    }
    let last_seq = match rooms::last_seq(db, room_id).await {
        Ok(seq) => seq,
        Err(e) => {
            hub.unsubscribe(room_id, conn);
            return Err(e);
        }
    };
    hub.start_at(room_id, last_seq);
    let backlog = match after_seq {
        Some(after) => Backlog::new(db.clone(), room_id, after, last_seq),
        None => Backlog::empty(db.clone(), room_id),
    };
    Ok(Started { last_seq, backlog })
}
