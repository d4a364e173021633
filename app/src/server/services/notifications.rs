//! Telling people of the messages that concern them: each message posted
//! on this node (the writer hands it over once committed) goes, as a
//! `notification` frame, to the room's members whose level asks for it
//! (`storage::rooms::to_notify`: everything, or what names them, or every
//! message of a direct conversation; nothing in a room they muted). Their
//! tabs decide whether to show it: not where the room is open and in view.
//!
//! Only the node that stored a message notifies of it, so several nodes
//! never tell anyone twice. A message the queue had no room for notifies
//! nobody (the writer does not wait), as one posted while the notifier
//! stops: notifications are a courtesy, the message itself is stored and
//! counted as unread either way.

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::model::{Message, RoomKind, excerpt};
use crate::protocol::ServerFrame;
use crate::server::error::Result;
use crate::server::live::fanout;
use crate::server::state::AppState;
use crate::server::storage::rooms::{self, Named};

/// Messages waiting to be looked at, at most.
pub const QUEUE: usize = 4096;

/// Starts the node's notifier; it ends when the writer stops.
pub fn start(state: AppState, mut posted: mpsc::Receiver<Message>) {
    let background = state.background.clone();
    background.spawn(async move {
        // A room is a direct conversation for good, or never: remembered.
        let mut direct: HashMap<i64, bool> = HashMap::new();
        let mut batch = Vec::with_capacity(64);
        while posted.recv_many(&mut batch, 64).await > 0 {
            for message in batch.drain(..) {
                if let Err(error) = notify(&state, &mut direct, &message).await {
                    tracing::warn!(room_id = message.room_id, %error, "a message notified nobody");
                }
            }
        }
    });
}

async fn notify(
    state: &AppState,
    direct: &mut HashMap<i64, bool>,
    message: &Message,
) -> Result<()> {
    let db = &state.db;
    let mut conn = db.acquire().await?;
    let is_direct = match direct.get(&message.room_id) {
        Some(&known) => known,
        None => {
            let kind = rooms::kind_of(db, &mut conn, message.room_id).await?;
            let known = kind == Some(RoomKind::Direct);
            direct.insert(message.room_id, known);
            known
        }
    };
    let named = if is_direct || message.mentions_room {
        Named::Everyone
    } else {
        Named::Some(&message.mentions)
    };
    let people = rooms::to_notify(db, &mut conn, message.room_id, message.author.id, named).await?;
    if people.is_empty() {
        return Ok(());
    }
    let title = if is_direct {
        message.author.username.clone()
    } else {
        let room = rooms::as_members_see(db, &mut conn, [message.room_id]).await?;
        match room.get(&message.room_id) {
            Some(room) => format!("{} in {}", message.author.username, room.name),
            None => return Ok(()),
        }
    };
    drop(conn);
    let frame = ServerFrame::Notification {
        room_id: message.room_id,
        message_id: message.id,
        seq: message.seq,
        title,
        body: excerpt(&message.body),
    };
    for person in people {
        fanout::tell_user(db, &state.hub, person, &frame).await?;
    }
    Ok(())
}
