//! Who is here, as the member list and direct conversations show it (how
//! presence is kept and announced across nodes: `live::presence`).

use std::collections::HashMap;

use crate::model::{Presence, Room};
use crate::server::error::Result;
use crate::server::live::hub::ConnId;
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::presence;

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

/// Gives the other people of each direct conversation among `rooms`
/// (listed by storage, which titles the conversation from the same read)
/// their presence.
pub async fn with_others(state: &AppState, rooms: &mut [Room]) -> Result<()> {
    let mut people: Vec<i64> = rooms
        .iter()
        .flat_map(|room| room.others.iter().map(|other| other.user_id))
        .collect();
    if people.is_empty() {
        return Ok(());
    }
    people.sort_unstable();
    people.dedup();
    let statuses = of(state, &people).await?;
    for other in rooms.iter_mut().flat_map(|room| room.others.iter_mut()) {
        other.status = statuses.get(&other.user_id).copied().unwrap_or_default();
    }
    Ok(())
}
