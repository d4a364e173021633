//! Telling people of the messages that concern them: each message posted
//! on this node (the writer hands it over once committed) goes, as a
//! `notification` frame, to the room's members whose level asks for it
//! (`storage::rooms::to_notify`: everything, or what names them, or every
//! message of a direct conversation; nothing in a room they muted). Their
//! tabs decide whether to show it: not where the room is open and in view.
//! Those with no tab open anywhere (offline, as presence has it) are also
//! pushed it, on every browser they subscribed (`push`), with the same
//! title, text, link and tag.
//!
//! Only the node that stored a message notifies of it, so several nodes
//! never tell anyone twice. A message the queue had no room for notifies
//! nobody (the writer does not wait), as one posted while the notifier
//! stops: notifications are a courtesy, the message itself is stored and
//! counted as unread either way.

use std::collections::HashMap;

use tokio::sync::mpsc;

use crate::model::{Message, Presence, RoomKind, message_link, notification_tag};
use crate::protocol::ServerFrame;
use crate::server::error::{Error, Result};
use crate::server::live::fanout;
use crate::server::services::{presence, push};
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
    // Told on their sockets, everyone: presence learns of a socket opened
    // on another node a moment late, and a second notification of the same
    // message replaces the first. Pushed, those with no socket here and
    // none on another node as presence has it.
    let elsewhere: Vec<i64> = people
        .iter()
        .copied()
        .filter(|&person| !state.hub.is_here(person))
        .collect();
    let body = message.excerpt();
    let shown = Shown {
        title: title.clone(),
        body: body.clone(),
        url: message_link(message.room_id, message.seq),
        tag: notification_tag(message.id),
    };
    let frame = ServerFrame::Notification {
        room_id: message.room_id,
        message_id: message.id,
        seq: message.seq,
        title,
        body,
    };
    for person in people {
        fanout::tell_user(db, &state.hub, person, &frame).await?;
    }
    if !elsewhere.is_empty() {
        // Pushing waits on push services (seconds, when one is slow): in
        // a task of its own, so the next message's frames never wait.
        let state = state.clone();
        let topic = format!("room-{}", message.room_id);
        tokio::spawn(async move {
            if let Err(error) = push_if_away(&state, elsewhere, &shown, topic).await {
                tracing::warn!(%error, "a message was pushed to nobody");
            }
        });
    }
    Ok(())
}

/// Pushes `shown` to those of `people` that presence says have no tab
/// open on any node.
async fn push_if_away(
    state: &AppState,
    people: Vec<i64>,
    shown: &Shown,
    topic: String,
) -> Result<()> {
    let here = presence::of(state, &people).await?;
    let away: Vec<i64> = people
        .into_iter()
        .filter(|person| here.get(person).is_none_or(|p| *p == Presence::Offline))
        .collect();
    if away.is_empty() {
        return Ok(());
    }
    let payload = serde_json::to_vec(shown).map_err(|e| Error::Internal(e.to_string()))?;
    push::push_to(state, &away, payload, topic).await
}

/// What a push asks the service worker to show (`public/sw.js`).
#[derive(serde::Serialize)]
struct Shown {
    title: String,
    body: String,
    /// Opened when the notification is clicked: the room at the message.
    url: String,
    tag: String,
}
