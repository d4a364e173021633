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

use crate::limits::{DIRECT_OTHERS, DIRECT_OTHERS_OUT_OF_RANGE};
use crate::model::{Author, Room};
use crate::protocol::ServerFrame;
use crate::server::error::{Error, Result};
use crate::server::live::fanout;
use crate::server::services::auth::validate_username;
use crate::server::services::rooms::get;
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::rooms;
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::users;

/// The conversation between the caller and the people named (any case;
/// naming oneself or someone twice changes nothing), and whether it was
/// started now (`false`: it existed, and this is it). Starting one takes
/// from the caller's send allowance, as a message does; finding one does
/// not.
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
    state.send_limiter.take(auth.user.id)?;
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
    // Everyone's open tabs, the starter's other ones too. It is stored
    // already: a tab that misses this finds it on its next read.
    let mut answer = None;
    for person in &people {
        match announce(state, person.id, room_id).await {
            // The room as the starter sees it is also the answer.
            Ok(room) if person.id == auth.user.id => answer = Some(room),
            Ok(_) => {}
            Err(error) => {
                tracing::warn!(room_id, user_id = person.id, %error, "direct_started not sent")
            }
        }
    }
    let room = match answer {
        Some(room) => room,
        None => get(state, auth, room_id).await?,
    };
    Ok((room, true))
}

/// Tells the user's sockets, on every node, of the conversation, titled
/// for them; returns the room as sent.
async fn announce(state: &AppState, user_id: i64, room_id: i64) -> Result<Room> {
    let mut conn = state.db.acquire().await?;
    let mut room = rooms::get(&state.db, &mut conn, user_id, room_id).await?;
    drop(conn);
    super::presence::with_others(state, std::slice::from_mut(&mut room)).await?;
    let frame = ServerFrame::DirectStarted { room: room.clone() };
    fanout::tell_user(&state.db, &state.hub, user_id, &frame).await?;
    Ok(room)
}

/// The caller and the people named, each once: at most 8 names, naming at
/// least one other person, each a username (by the rules of registering:
/// `field` is `usernames`) that is someone's (the first that is nobody's is
/// named in the error).
async fn people(state: &AppState, auth: &AuthUser, usernames: &[String]) -> Result<Vec<Author>> {
    // At most 8 names as sent, whatever repeats they hold.
    if usernames.len() > *DIRECT_OTHERS.end() {
        return Err(Error::validation("usernames", DIRECT_OTHERS_OUT_OF_RANGE));
    }
    let me = auth.user.username.to_lowercase();
    // Each other person's key, with the name as first given.
    let mut named: Vec<(String, &str)> = Vec::new();
    for name in usernames {
        validate_username(name).map_err(|error| match error {
            Error::Validation { message, .. } => Error::validation("usernames", message),
            other => other,
        })?;
        let key = name.to_lowercase();
        if key != me && !named.iter().any(|(k, _)| *k == key) {
            named.push((key, name));
        }
    }
    if named.len() < *DIRECT_OTHERS.start() {
        return Err(Error::validation("usernames", DIRECT_OTHERS_OUT_OF_RANGE));
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
