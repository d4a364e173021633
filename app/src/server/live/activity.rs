//! The per-user stream: what a tab's room list must hear about rooms its
//! socket does not watch (new events, a read marker moved elsewhere, a room
//! the user is no longer in), without subscribing to each.
//!
//! It rides on the room streams: every event published to this node's hub
//! (from this node's writer on SQLite, from `NOTIFY` on PostgreSQL, from a
//! catch-up after a gap) marks its room as touched, and one task per node
//! turns what was touched into one `activity` frame per user with a socket
//! here, read from the database: each room's summary as of its newest seq,
//! counts included. Counting on the server in one place, rather than in
//! each client from the events it saw, keeps edits, deletions and markers
//! exact; summaries carry the seq and marker they are as of, so a client
//! keeps the newest whatever order they reach it in.
//!
//! The task pauses between rounds: a busy room costs one read and one frame
//! per member a few times a second, however fast it posts, and a quiet one
//! is summarized at once. A socket that misses a frame (its control queue
//! full) is no worse off than one that reconnects: the client reads the
//! whole list again on every (re)connection. A round the database fails is
//! done again after the pause.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::extract::ws::Utf8Bytes;

use super::hub::{Hub, Touched};
use crate::model::{RoomActivity, RoomKind};
use crate::protocol::ServerFrame;
use crate::server::background::Background;
use crate::server::error::Result;
use crate::server::storage::db::Db;
use crate::server::storage::rooms;

/// The shortest time between two rounds.
const PAUSE: Duration = Duration::from_millis(200);

/// Starts the node's activity task; it ends when the node stops.
pub fn start(db: Db, hub: Hub, background: &Background) {
    let stop = background.stopping();
    background.spawn(async move {
        loop {
            let touched = tokio::select! {
                touched = hub.touched() => touched,
                () = stop.cancelled() => break,
            };
            if let Err(error) = round(&db, &hub, &touched).await {
                tracing::warn!(%error, "room activity was not sent; trying again");
                hub.touch_again(touched);
            }
            tokio::select! {
                () = tokio::time::sleep(PAUSE) => {}
                () = stop.cancelled() => break,
            }
        }
    });
}

/// What one user is told in a round.
#[derive(Default)]
struct News {
    rooms: Vec<RoomActivity>,
    left: Vec<i64>,
}

/// Reads everything first and sends only once all is read, so a round the
/// database fails sends nothing and can be done again whole.
async fn round(db: &Db, hub: &Hub, touched: &Touched) -> Result<()> {
    let mut news: BTreeMap<i64, News> = BTreeMap::new();
    let mut conn = db.acquire().await?;
    for &room_id in touched.rooms.difference(&touched.deleted) {
        let members = rooms::member_ids(db, &mut conn, room_id).await?;
        let listening = hub.not_watching(room_id, &members);
        if listening.is_empty() {
            continue;
        }
        for (user, activity) in rooms::activity(db, &mut conn, room_id, &listening).await? {
            news.entry(user).or_default().rooms.push(activity);
        }
    }
    // A deleted public room was in everyone's list. A private room's or a
    // conversation's members are deleted with it, and naming it to anyone
    // else would tell them it existed: their lists learn of it when read.
    let mut deleted_public = Vec::new();
    for &room_id in &touched.deleted {
        if rooms::kind_of(db, &mut conn, room_id).await? == Some(RoomKind::Public) {
            deleted_public.push(room_id);
        }
    }
    drop(conn);
    // A leave the user has since undone (they joined again) is news no more.
    for &(room_id, user) in &touched.left {
        let summarized = news
            .get(&user)
            .is_some_and(|news| news.rooms.iter().any(|a| a.room_id == room_id));
        if !summarized && hub.is_here(user) {
            news.entry(user).or_default().left.push(room_id);
        }
    }
    if !deleted_public.is_empty() {
        for user in hub.users_here() {
            news.entry(user)
                .or_default()
                .left
                .extend(deleted_public.iter().copied());
        }
    }
    for (user, News { rooms, mut left }) in news {
        left.sort_unstable();
        left.dedup();
        let about: Vec<i64> = if left.is_empty() {
            rooms.iter().map(|a| a.room_id).collect()
        } else {
            Vec::new()
        };
        match serde_json::to_string(&ServerFrame::Activity { rooms, left }) {
            Ok(text) => hub.tell_listing(user, &about, &Utf8Bytes::from(text)),
            Err(error) => tracing::error!(%error, "cannot serialize an activity frame"),
        }
    }
    Ok(())
}
