//! Getting a committed event to the sockets of every node, and the end of a
//! session to every node that may have it cached or open.
//!
//! SQLite means one process: after each commit the node's one writer task
//! hands the batch's events to its [`Publisher`], which publishes them to
//! the in-process [`Hub`] in seq order.
//!
//! PostgreSQL means any number of nodes, and a room's subscribers may be on
//! any of them. The writer sends `NOTIFY` inside the insert's transaction:
//! PostgreSQL delivers it only if the transaction commits, and delivers
//! notifications in commit order, which for one room is seq order because
//! writers queue on the room's row. Every node, the writer's own included,
//! `LISTEN`s and publishes what it hears to its hub: one ordered stream per
//! node, whoever wrote. The payload is the event's frame itself when it fits
//! well under PostgreSQL's 8000-byte limit, otherwise a pointer (room, seq)
//! that the listener reads back from the event log.
//!
//! Nothing is lost when the listener's connection is: the node reconnects,
//! listens again, and then reads from the event log every event after the
//! last seq it published in each room it serves. A gap seen in the stream
//! is filled the same way, and anything heard twice is dropped by seq.
//!
//! A logout sends the session's id (the token's hash, never the token) on
//! a second channel; every node forgets the session and closes its sockets.
//! A node trusts its session cache only while it listens, since while it
//! does not, it could miss one. Leaving a room needs no channel of its
//! own: it is an event, and publishing it ends the leaver's subscriptions
//! (`hub`), after a gap in listening too, since catching up publishes it.
//!
//! A frame for one user rather than a room (an invitation) goes on a third
//! channel, to that user's sockets on every node. It is a nudge, not a log:
//! a node that was not listening misses it, and the client reads the same
//! state again when it reconnects.
//!
//! A signal for a room's watchers rather than its log (someone is typing)
//! goes on a fourth channel, to the sockets watching the room on every
//! node; like a user's frames, it is never stored.
//!
//! Every loop here stops when the node's [`Background`] says so: the
//! publisher after publishing everything committed, the listener at once
//! (what it has not heard is in the database).
//!
//! [`Background`]: crate::server::background::Background
//! [`Hub`]: super::hub::Hub

use std::time::Duration;

use serde::{Deserialize, Serialize};
use sqlx::AnyConnection;
use sqlx::postgres::PgListener;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::backlog::Backlog;
use super::hub::Hub;
use super::session_cache::SessionCache;
use crate::protocol::{Entry, ServerFrame};
use crate::server::background::Background;
use crate::server::error::{Error, Result};
use crate::server::storage::db::{Backend, DatabaseUrl, Db};
use crate::server::storage::{events, rooms};

/// The channel of committed events.
pub const CHANNEL: &str = "chat_messages";
/// The channel of ended sessions.
pub const SESSIONS_CHANNEL: &str = "chat_sessions";
/// Payloads above this are sent as a pointer (the limit is 8000 bytes).
const MAX_INLINE_PAYLOAD: usize = 7000;
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(5);

/// What `NOTIFY` carries: the event's frame, or where to read it.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
enum Notice {
    Inline(Box<ServerFrame>),
    Pointer { room_id: i64, seq: i64 },
}

fn payload(entry: &Entry) -> String {
    let inline =
        serde_json::to_string(&Notice::Inline(Box::new(entry.clone().into()))).unwrap_or_default();
    if !inline.is_empty() && inline.len() <= MAX_INLINE_PAYLOAD {
        return inline;
    }
    let pointer = Notice::Pointer {
        room_id: entry.room_id(),
        seq: entry.seq(),
    };
    serde_json::to_string(&pointer).unwrap_or_default()
}

/// Called inside the transaction that logs `entry`, before its commit.
pub async fn announce(db: &Db, tx: &mut AnyConnection, entry: &Entry) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.notify(tx, CHANNEL, &payload(entry)).await?;
    }
    Ok(())
}

/// Tells the other nodes that `session` ended (it is already deleted).
pub async fn announce_session_end(db: &Db, conn: &mut AnyConnection, session: &str) -> Result<()> {
    if db.backend() == Backend::Postgres {
        db.notify(conn, SESSIONS_CHANNEL, session).await?;
    }
    Ok(())
}

/// The channel of frames for one user.
pub const USERS_CHANNEL: &str = "chat_users";

/// What the users channel carries: the user, and the frame as its JSON.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Told {
    user_id: i64,
    frame: String,
}

/// Sends `frame` to the user's open sockets, on every node.
pub async fn tell_user(db: &Db, hub: &Hub, user_id: i64, frame: &ServerFrame) -> Result<()> {
    let frame = serde_json::to_string(frame)
        .map_err(|e| Error::Internal(format!("encoding a frame for a user: {e}")))?;
    if db.backend() == Backend::Postgres {
        let told = serde_json::to_string(&Told { user_id, frame })
            .map_err(|e| Error::Internal(format!("encoding a frame for a user: {e}")))?;
        let mut conn = db.acquire().await?;
        db.notify(&mut conn, USERS_CHANNEL, &told).await?;
    } else {
        hub.tell_user(user_id, &frame.into());
    }
    Ok(())
}

/// The channel of signals for a room's watchers (someone is typing).
pub const ROOMS_CHANNEL: &str = "chat_rooms";

/// What the rooms channel carries: the room, who not to tell (the one who
/// signalled), and the frame as its JSON.
#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Signal {
    room_id: i64,
    except: i64,
    frame: String,
}

/// Sends `frame` to the sockets watching the room, on every node, except
/// those of `except`. Not stored: a socket not watching now misses it.
pub async fn tell_room(
    db: &Db,
    hub: &Hub,
    room_id: i64,
    except: i64,
    frame: &ServerFrame,
) -> Result<()> {
    let frame = serde_json::to_string(frame)
        .map_err(|e| Error::Internal(format!("encoding a frame for a room: {e}")))?;
    if db.backend() == Backend::Postgres {
        let signal = serde_json::to_string(&Signal {
            room_id,
            except,
            frame,
        })
        .map_err(|e| Error::Internal(format!("encoding a frame for a room: {e}")))?;
        let mut conn = db.acquire().await?;
        db.notify(&mut conn, ROOMS_CHANNEL, &signal).await?;
    } else {
        hub.tell_room(room_id, except, &frame.into());
    }
    Ok(())
}

/// Hands committed events to the hub, in commit order.
///
/// On SQLite a task of its own publishes them, so that the writer's next
/// commit overlaps this batch's fan-out: pushing one message into a
/// thousand sockets' queues costs about as much as a commit. One task fed
/// by one channel keeps each room's seq order, and the channel is bounded,
/// so a fan-out that falls behind slows the writer instead of piling up.
/// On PostgreSQL the listener publishes what `NOTIFY` brings, so this does
/// nothing.
#[derive(Clone)]
pub struct Publisher {
    queue: Option<mpsc::Sender<Entry>>,
}

/// Committed events waiting to be published.
const PUBLISH_QUEUE: usize = 4096;

impl Publisher {
    /// Starts the publishing task on SQLite. It ends once every `Publisher`
    /// is dropped (the writer's, when the writer stops) and everything
    /// committed has been published.
    pub fn start(db: &Db, hub: Hub, background: &Background) -> Self {
        if db.backend() != Backend::Sqlite {
            return Self { queue: None };
        }
        let (queue, mut committed) = mpsc::channel::<Entry>(PUBLISH_QUEUE);
        background.spawn(async move {
            let mut batch = Vec::with_capacity(256);
            while committed.recv_many(&mut batch, 256).await > 0 {
                hub.publish_all(batch.drain(..));
            }
        });
        Self { queue: Some(queue) }
    }

    /// Called once `entry` is committed.
    pub async fn committed(&self, entry: Entry) {
        if let Some(queue) = &self.queue
            && queue.send(entry).await.is_err()
        {
            // Only when the runtime is shutting down: the event is stored,
            // and subscribers catch up on it when they resubscribe.
            tracing::warn!("the publisher has stopped; a committed event was not published");
        }
    }
}

/// What a listening node hands what it hears to.
#[derive(Clone)]
pub struct Node {
    pub db: Db,
    pub hub: Hub,
    pub sessions: SessionCache,
}

/// Runs for the life of a PostgreSQL node, until `stop`: listens, and
/// catches up after every (re)connection.
pub async fn listen(node: Node, url: DatabaseUrl, stop: CancellationToken) {
    // Named per process, so an operator (or a test) can find this connection.
    let url = with_application_name(
        url.expose(),
        &format!("chat-listener-{}", std::process::id()),
    );
    let mut delay = Duration::from_millis(100);
    while !stop.is_cancelled() {
        let connected = tokio::select! {
            connected = connect(&url) => connected,
            () = stop.cancelled() => break,
        };
        let mut listener = match connected {
            Ok(listener) => listener,
            Err(e) => {
                tracing::warn!(error = %e, ?delay, "cannot listen for messages; retrying");
                tokio::select! {
                    () = tokio::time::sleep(delay) => {}
                    () = stop.cancelled() => break,
                }
                delay = (delay * 2).min(MAX_RECONNECT_DELAY);
                continue;
            }
        };
        delay = Duration::from_millis(100);
        node.sessions.trust();
        // Listening first, then reading: whatever commits in between is
        // both read here and heard below, and the repeat is dropped by seq.
        // Leaves missed while not listening are among what is read: the
        // hub ends the leavers' subscriptions as it publishes them.
        if let Err(e) = catch_up(&node).await {
            tracing::warn!(error = %e, "catching up after (re)connecting failed");
        }
        loop {
            let heard = tokio::select! {
                heard = listener.try_recv() => heard,
                () = stop.cancelled() => break,
            };
            match heard {
                Ok(Some(notification)) if notification.channel() == SESSIONS_CHANNEL => {
                    super::session_ended(&node.sessions, &node.hub, notification.payload());
                }
                Ok(Some(notification)) if notification.channel() == ROOMS_CHANNEL => {
                    match serde_json::from_str::<Signal>(notification.payload()) {
                        Ok(signal) => {
                            node.hub
                                .tell_room(signal.room_id, signal.except, &signal.frame.into())
                        }
                        Err(e) => tracing::warn!(error = %e, "unreadable room signal ignored"),
                    }
                }
                Ok(Some(notification)) if notification.channel() == USERS_CHANNEL => {
                    match serde_json::from_str::<Told>(notification.payload()) {
                        Ok(told) => node.hub.tell_user(told.user_id, &told.frame.into()),
                        Err(e) => tracing::warn!(error = %e, "unreadable user notice ignored"),
                    }
                }
                Ok(Some(notification)) => {
                    if let Err(e) = deliver(&node, notification.payload()).await {
                        tracing::warn!(error = %e, "could not deliver a notified message");
                    }
                }
                Ok(None) => {
                    tracing::warn!("message listener connection lost; reconnecting");
                    break;
                }
                Err(e) => {
                    tracing::warn!(error = %e, "message listener failed; reconnecting");
                    break;
                }
            }
        }
        node.sessions.distrust();
    }
    tracing::debug!("message listener stopped");
}

async fn connect(url: &str) -> std::result::Result<PgListener, sqlx::Error> {
    let mut listener = PgListener::connect(url).await?;
    listener
        .listen_all([CHANNEL, SESSIONS_CHANNEL, USERS_CHANNEL, ROOMS_CHANNEL])
        .await?;
    Ok(listener)
}

fn with_application_name(url: &str, name: &str) -> String {
    let separator = if url.contains('?') { '&' } else { '?' };
    format!("{url}{separator}application_name={name}")
}

async fn deliver(node: &Node, payload: &str) -> Result<()> {
    let entry = match serde_json::from_str::<Notice>(payload) {
        Ok(Notice::Inline(frame)) => match Entry::from_frame(*frame) {
            Some(entry) => entry,
            None => {
                tracing::warn!(payload, "a notification that is no event ignored");
                return Ok(());
            }
        },
        Ok(Notice::Pointer { room_id, seq }) => {
            let mut conn = node.db.acquire().await?;
            match events::range(&node.db, &mut conn, room_id, seq - 1, seq)
                .await?
                .entries
                .pop()
            {
                Some(entry) => entry,
                None => return Ok(()),
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, payload, "unreadable notification ignored");
            return Ok(());
        }
    };
    let (room_id, seq) = (entry.room_id(), entry.seq());
    match node.hub.last_published(room_id) {
        Some(last) if seq <= last => return Ok(()),
        Some(last) if seq > last + 1 => publish_range(node, room_id, last, seq - 1).await?,
        _ => {}
    }
    node.hub.publish(entry);
    Ok(())
}

/// Publishes every logged event after the last one published, per room.
async fn catch_up(node: &Node) -> Result<()> {
    for (room_id, last) in node.hub.published_rooms() {
        let newest = rooms::last_seq(&node.db, room_id).await?;
        publish_range(node, room_id, last, newest).await?;
    }
    Ok(())
}

async fn publish_range(node: &Node, room_id: i64, after: i64, up_to: i64) -> Result<()> {
    let mut backlog = Backlog::new(node.db.clone(), room_id, after, up_to);
    while let Some(entries) = backlog.next_page().await? {
        for entry in entries {
            node.hub.publish(entry);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Author, Message};

    fn message(body: &str) -> Entry {
        Entry::Posted(Message {
            id: 9,
            room_id: 3,
            seq: 7,
            author: Author {
                id: 1,
                username: "ann".into(),
            },
            body: body.into(),
            body_html: String::new(),
            created_at: "2026-01-01T00:00:00.000Z".into(),
            client_id: Some("c".into()),
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        })
    }

    #[test]
    fn small_messages_travel_inline_and_large_ones_as_pointers() {
        let small = message("hi");
        assert_eq!(
            serde_json::from_str::<Notice>(&payload(&small)).unwrap(),
            Notice::Inline(Box::new(small.into()))
        );
        let large = message(&"🙂".repeat(4000));
        let text = payload(&large);
        assert!(text.len() < 8000);
        assert_eq!(
            serde_json::from_str::<Notice>(&text).unwrap(),
            Notice::Pointer { room_id: 3, seq: 7 }
        );
    }
}
