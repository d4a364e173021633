//! Rooms and who is in them. Every room is public: anyone logged in can see
//! the list and join; only members read or post (see [`require_member`]).
//! Joining and leaving are events of the room's log, so they go through the
//! writer.

use crate::limits::{MAX_ROOM_NAME_CHARS, ROOM_NAME_TOO_LONG};
use crate::model::Room;
use crate::server::error::{Error, Result};
use crate::server::live::writer::Request;
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::rooms;
use crate::server::storage::sessions::AuthUser;
use crate::server::text::{Lines, reject_control_chars};

/// Room names are stored as sent: 1 to 64 characters on one line, not
/// blank. (Uniqueness ignores case and surrounding spaces.)
pub fn validate_room_name(name: &str) -> Result<()> {
    reject_control_chars("name", name, Lines::Single)?;
    if name.trim().is_empty() {
        return Err(Error::validation("name", "Room name cannot be empty."));
    }
    if name.chars().count() > MAX_ROOM_NAME_CHARS {
        return Err(Error::validation("name", ROOM_NAME_TOO_LONG));
    }
    Ok(())
}

pub async fn list(state: &AppState, auth: &AuthUser) -> Result<Vec<Room>> {
    let mut conn = state.db.acquire().await?;
    rooms::list(&state.db, &mut conn, auth.user.id).await
}

pub async fn get(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let mut conn = state.db.acquire().await?;
    rooms::get(&state.db, &mut conn, auth.user.id, room_id).await
}

/// Creates a room; its creator is its first member, and its owner.
pub async fn create(state: &AppState, auth: &AuthUser, name: String) -> Result<Room> {
    validate_room_name(&name)?;
    let room_id = rooms::create(&state.db, &name, auth.user.id, now_ms()).await?;
    tracing::info!(room_id, user_id = auth.user.id, "room created");
    get(state, auth, room_id).await
}

/// Joins a room; joining twice is not an error. A member opening the room
/// again costs one read, not a trip through the writer.
pub async fn join(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let room = get(state, auth, room_id).await?;
    if room.joined {
        return Ok(room);
    }
    let join = Request::Join {
        room_id,
        user: auth.author(),
    };
    state.writer.apply(join).await?;
    get(state, auth, room_id).await
}

/// Leaves a room; the user's open sockets stop receiving it, on every node
/// (the writer announces it in the leave's transaction).
pub async fn leave(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    let leave = Request::Leave {
        room_id,
        user: auth.author(),
    };
    if state.writer.apply(leave).await?.logged {
        // This node at once; the others (PostgreSQL) when the notice arrives.
        state.hub.left_room(auth.user.id, room_id);
    }
    Ok(())
}

/// Renames the room (its owner only); the new name reaches every member
/// as a `room_updated` event. Renaming to the same name changes nothing.
pub async fn rename(state: &AppState, auth: &AuthUser, room_id: i64, name: String) -> Result<Room> {
    validate_room_name(&name)?;
    let rename = Request::Rename {
        room_id,
        user: auth.author(),
        name,
    };
    state.writer.apply(rename).await?;
    get(state, auth, room_id).await
}

/// Fails with `room_not_found` or `not_a_member` unless the user may read and
/// post in the room.
pub async fn require_member(state: &AppState, user_id: i64, room_id: i64) -> Result<()> {
    rooms::check_member(&state.db, user_id, room_id).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn room_names_are_not_blank_and_at_most_64_chars() {
        assert!(validate_room_name("general").is_ok());
        assert!(validate_room_name("   ").is_err());
        assert!(validate_room_name("").is_err());
        assert!(validate_room_name(&format!(" {}", "é".repeat(63))).is_ok());
        assert!(validate_room_name(&format!(" {}", "é".repeat(64))).is_err());
        assert!(validate_room_name(&"x".repeat(65)).is_err());
        assert!(validate_room_name("two\nlines").is_err());
    }
}
