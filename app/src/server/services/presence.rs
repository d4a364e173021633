//! Who is here, as the member list and direct conversations show it (how
//! presence is kept and announced across nodes: `live::presence`).

use std::collections::HashMap;

use crate::model::{Presence, Room, RoomKind, UserPresence};
use crate::server::error::Result;
use crate::server::live::hub::ConnId;
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::{presence, rooms};

/// The connection's person used their tab: online again, if they were away.
pub fn used(state: &AppState, conn: ConnId) {
    state.hub.used(conn, now_ms());
}

/// The presence of each of `users` (offline for those not found).
pub async fn of(state: &AppState, users: &[i64]) -> Result<HashMap<i64, Presence>> {
    let times = &state.settings.presence;
    let now = now_ms();
    let mut conn = state.db.acquire().await?;
    let active = presence::of(&state.db, &mut conn, users, times.alive_after(now)).await?;
    Ok(users
        .iter()
        .map(|&user| (user, times.status(active.get(&user).copied(), now)))
        .collect())
}

/// Gives each direct conversation among `rooms` its other people, as
/// `reader` sees them, with their presence.
pub async fn with_others(state: &AppState, reader: i64, rooms: &mut [Room]) -> Result<()> {
    let direct: Vec<i64> = rooms
        .iter()
        .filter(|room| room.kind == RoomKind::Direct)
        .map(|room| room.id)
        .collect();
    if direct.is_empty() {
        return Ok(());
    }
    let members = {
        let mut conn = state.db.acquire().await?;
        rooms::members_of(&state.db, &mut conn, &direct).await?
    };
    let mut people: Vec<i64> = members.iter().map(|&(_, user)| user).collect();
    people.sort_unstable();
    people.dedup();
    let statuses = of(state, &people).await?;
    let mut others: HashMap<i64, Vec<UserPresence>> = HashMap::new();
    for (room_id, user_id) in members {
        if user_id != reader {
            let status = statuses.get(&user_id).copied().unwrap_or_default();
            others
                .entry(room_id)
                .or_default()
                .push(UserPresence { user_id, status });
        }
    }
    for room in rooms.iter_mut() {
        if let Some(mut found) = others.remove(&room.id) {
            found.sort_by_key(|other| other.user_id);
            room.others = found;
        }
    }
    Ok(())
}
