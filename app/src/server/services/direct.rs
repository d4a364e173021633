//! Direct conversations: rooms of 2 to 9 people with no name, no roles and
//! nobody else ever let in. The same set of people always gets the same
//! conversation: it is keyed by its people (`storage::rooms::direct_key`),
//! so starting it again, in any order of names, or twice at once from two
//! nodes, answers with the one that exists.
//!
//! Its people are set when it starts: nobody joins, leaves, is removed or
//! has a role above another ([`rules`](super::rules) refuses each), so its
//! title, the other people's names, is the same for as long as it lasts.
//! The others learn of it at once (`direct_started` on their sockets), and
//! it is in their room list from then on.

use std::collections::BTreeSet;

use crate::limits::{DIRECT_PEOPLE, DIRECT_PEOPLE_OUT_OF_RANGE};
use crate::model::{Author, Room};
use crate::protocol::ServerFrame;
use crate::server::error::{Error, Result};
use crate::server::live::fanout;
use crate::server::services::rooms::get;
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::rooms;
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::users;

/// The conversation between the caller and the people named (any case;
/// naming oneself or someone twice changes nothing), and whether it was
/// started now (`false`: it existed, and this is it).
pub async fn start(
    state: &AppState,
    auth: &AuthUser,
    usernames: &[String],
) -> Result<(Room, bool)> {
    let people = people(state, auth, usernames).await?;
    let ids: BTreeSet<i64> = people.iter().map(|person| person.id).collect();
    if let Some(room_id) = rooms::direct_between(&state.db, &ids).await? {
        return Ok((get(state, auth, room_id).await?, false));
    }
    let Some(room_id) = rooms::start_direct(&state.db, &people, auth.user.id, now_ms()).await?
    else {
        // Someone else started it a moment ago.
        let room_id = rooms::direct_between(&state.db, &ids)
            .await?
            .ok_or_else(|| Error::Internal("a direct conversation vanished".into()))?;
        return Ok((get(state, auth, room_id).await?, false));
    };
    tracing::info!(
        room_id,
        user_id = auth.user.id,
        people = ids.len(),
        "direct conversation started"
    );
    for person in people.iter().filter(|person| person.id != auth.user.id) {
        let mut conn = state.db.acquire().await?;
        let room = rooms::get(&state.db, &mut conn, person.id, room_id).await?;
        drop(conn);
        let frame = ServerFrame::DirectStarted { room };
        fanout::tell_user(&state.db, &state.hub, person.id, &frame).await?;
    }
    Ok((get(state, auth, room_id).await?, true))
}

/// The caller and the people named, each once: 2 to 9 in all, every name
/// someone's (the first that is nobody's is named in the error).
async fn people(state: &AppState, auth: &AuthUser, usernames: &[String]) -> Result<Vec<Author>> {
    let me = auth.user.username.to_lowercase();
    // Each other person's key, with the name as first given.
    let mut named: Vec<(String, &str)> = Vec::new();
    for name in usernames {
        let key = name.trim().to_lowercase();
        if key != me && !named.iter().any(|(k, _)| *k == key) {
            named.push((key, name));
        }
        // Checked as the list grows, so a huge list is refused early.
        if named.len() + 1 > *DIRECT_PEOPLE.end() {
            return Err(Error::validation("usernames", DIRECT_PEOPLE_OUT_OF_RANGE));
        }
    }
    if named.len() + 1 < *DIRECT_PEOPLE.start() {
        return Err(Error::validation("usernames", DIRECT_PEOPLE_OUT_OF_RANGE));
    }
    let keys: Vec<String> = named.iter().map(|(key, _)| key.clone()).collect();
    let found = users::by_keys(&state.db, &keys).await?;
    let mut people = vec![auth.author()];
    for (key, name) in &named {
        let (_, person) = found
            .iter()
            .find(|(found_key, _)| found_key == key)
            .ok_or_else(|| Error::no_user(name))?;
        people.push(person.clone());
    }
    Ok(people)
}
