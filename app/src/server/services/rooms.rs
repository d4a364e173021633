//! Rooms and who is in them. A public room is listed to everyone and
//! anyone may join it; a private one exists only for its members (see
//! [`rules`]). Only members read or post ([`require_member`]). Joining,
//! leaving and changing a room's settings are events of the room's log, so
//! they go through the writer, which asks the rules under the room's lock.

use crate::limits::{
    MAX_ROOM_NAME_CHARS, MAX_ROOM_TOPIC_CHARS, ROOM_NAME_TOO_LONG, ROOM_TOPIC_TOO_LONG,
};
use crate::model::{LeaveReason, Member, NotifyLevel, Role, Room, RoomKind};
use crate::protocol::ServerFrame;
use crate::server::error::{Error, Result};
use crate::server::live::fanout;
use crate::server::live::writer::Request;
use crate::server::services::{presence, rules};
use crate::server::state::AppState;
use crate::server::storage::db::{now_ms, to_rfc3339};
use crate::server::storage::rooms::{self, NewRoom, Settings};
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::{events, users};
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

/// A topic is one line of at most 250 characters; empty clears it.
pub fn validate_topic(topic: &str) -> Result<()> {
    reject_control_chars("topic", topic, Lines::Single)?;
    if topic.chars().count() > MAX_ROOM_TOPIC_CHARS {
        return Err(Error::validation("topic", ROOM_TOPIC_TOO_LONG));
    }
    Ok(())
}

/// A room made or changed by hand is public or private; direct
/// conversations are started with the people in them, not made.
fn validate_kind(kind: RoomKind) -> Result<()> {
    match kind {
        RoomKind::Public | RoomKind::Private => Ok(()),
        RoomKind::Direct => Err(Error::validation(
            "kind",
            "A room is public or private; start a direct conversation with the people in it instead.",
        )),
    }
}

/// The rooms the user can see: every public room and each room they are in.
pub async fn list(state: &AppState, auth: &AuthUser) -> Result<Vec<Room>> {
    let mut conn = state.db.acquire().await?;
    let rooms = rooms::list(&state.db, &mut conn, auth.user.id).await?;
    drop(conn);
    // The query already narrows to these; the rule decides.
    let mut rooms: Vec<Room> = rooms
        .into_iter()
        .filter(|room| rules::may_see(room.kind, room.my_role).is_ok())
        .collect();
    presence::with_others(state, &mut rooms).await?;
    Ok(rooms)
}

/// One room, if the user can see it (`room_not_found` otherwise, as for a
/// room that does not exist).
pub async fn get(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let mut conn = state.db.acquire().await?;
    let mut room = rooms::get(&state.db, &mut conn, auth.user.id, room_id).await?;
    drop(conn);
    rules::may_see(room.kind, room.my_role)?;
    presence::with_others(state, std::slice::from_mut(&mut room)).await?;
    Ok(room)
}

/// What creating a room asks for.
#[derive(Clone, Debug)]
pub struct RoomDraft {
    pub name: String,
    pub kind: RoomKind,
    pub topic: String,
}

impl RoomDraft {
    /// A public room with no topic.
    pub fn public(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            kind: RoomKind::Public,
            topic: String::new(),
        }
    }
}

/// Creates a room; its creator is its first member, and its owner.
pub async fn create(state: &AppState, auth: &AuthUser, draft: RoomDraft) -> Result<Room> {
    validate_room_name(&draft.name)?;
    validate_kind(draft.kind)?;
    validate_topic(&draft.topic)?;
    let new = NewRoom {
        name: &draft.name,
        kind: draft.kind,
        topic: &draft.topic,
        creator: auth.user.id,
    };
    let room_id = rooms::create(&state.db, new, now_ms()).await?;
    tracing::info!(
        room_id,
        user_id = auth.user.id,
        kind = draft.kind.as_str(),
        "room created"
    );
    get(state, auth, room_id).await
}

/// Joins a room; joining twice is not an error. A member opening the room
/// again costs one read, not a trip through the writer.
pub async fn join(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let mut conn = state.db.acquire().await?;
    let mut room = rooms::get(&state.db, &mut conn, auth.user.id, room_id).await?;
    drop(conn);
    if room.joined {
        presence::with_others(state, std::slice::from_mut(&mut room)).await?;
        return Ok(room);
    }
    let join = Request::Join {
        room_id,
        user: auth.author(),
        pass: None,
    };
    state.writer.apply(join).await?;
    get(state, auth, room_id).await
}

/// Opening a room's page: a member opens it, anyone joins a public room by
/// opening it, and a room the user cannot see is not there (no
/// `invitation_required` here: a link to a private room tells an outsider
/// nothing).
pub async fn open(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Room> {
    let room = get(state, auth, room_id).await?;
    if room.joined {
        return Ok(room);
    }
    join(state, auth, room_id).await
}

/// Leaves a room; the user's open sockets stop receiving it on every node
/// as the `member_left` event is published there (`hub`). A last owner
/// leaving hands the room on (the writer logs that too).
pub async fn leave(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    let leave = Request::Leave {
        room_id,
        user: auth.author(),
    };
    state.writer.apply(leave).await?;
    Ok(())
}

/// Moves the user's read marker in the room forward to `seq` (members
/// only); a seq past the room's newest event reads all of it. Their open
/// tabs, on every node, get the room's summary with the new marker and
/// counts (an `activity` frame); a marker already there or further is
/// left, and nobody is told.
pub async fn mark_read(state: &AppState, auth: &AuthUser, room_id: i64, seq: i64) -> Result<()> {
    if seq < 0 {
        return Err(Error::validation("seq", "seq cannot be below 0."));
    }
    require_member(state, auth.user.id, room_id).await?;
    let seq = seq.min(rooms::last_seq(&state.db, room_id).await?);
    if !rooms::mark_read(&state.db, room_id, auth.user.id, seq).await? {
        return Ok(());
    }
    let mut conn = state.db.acquire().await?;
    let summary = rooms::activity(&state.db, &mut conn, room_id, &[auth.user.id]).await?;
    drop(conn);
    let frame = ServerFrame::Activity {
        rooms: summary.into_iter().map(|(_, activity)| activity).collect(),
        left: Vec::new(),
    };
    // The marker is stored: a tab that misses this reads it with the list.
    if let Err(error) = fanout::tell_user(&state.db, &state.hub, auth.user.id, &frame).await {
        tracing::warn!(room_id, user_id = auth.user.id, %error, "activity not sent");
    }
    Ok(())
}

/// Sets what the caller is notified of in a room and whether they muted it
/// (members only; a field left out stays); the room as they now see it.
pub async fn set_notifications(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    level: Option<NotifyLevel>,
    muted: Option<bool>,
) -> Result<Room> {
    require_member(state, auth.user.id, room_id).await?;
    rooms::set_notify(&state.db, room_id, auth.user.id, level, muted).await?;
    let room = get(state, auth, room_id).await?;
    // Every tab of theirs shows the settings as they now are.
    let frame = ServerFrame::NotifySettings {
        room_id,
        notify: room.notify,
        muted: room.muted,
    };
    fanout::tell_user(&state.db, &state.hub, auth.user.id, &frame).await?;
    Ok(room)
}

/// Changes a room's name, topic or kind (owners and admins; the kind,
/// owners only); the room as it now is reaches every member as a
/// `room_updated` event. Settings equal to the room's change nothing.
pub async fn update(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    settings: Settings,
) -> Result<Room> {
    if let Some(name) = &settings.name {
        validate_room_name(name)?;
    }
    if let Some(topic) = &settings.topic {
        validate_topic(topic)?;
    }
    if let Some(kind) = settings.kind {
        validate_kind(kind)?;
    }
    let update = Request::Update {
        room_id,
        user: auth.author(),
        settings,
    };
    state.writer.apply(update).await?;
    get(state, auth, room_id).await
}

/// Gives a member a role (see `rules::may_set_role`); the change reaches
/// every member as a `member_role_changed` event. Returns the member as
/// they now are.
pub async fn set_role(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    user_id: i64,
    role: Role,
) -> Result<Member> {
    // The room first, so that an outsider learns nothing of who is in it;
    // the writer judges the rest under the room's lock.
    require_member(state, auth.user.id, room_id).await?;
    let member = users::author(&state.db, user_id)
        .await?
        .ok_or(Error::MemberNotFound)?;
    let request = Request::SetRole {
        room_id,
        user: auth.author(),
        member,
        role,
    };
    state.writer.apply(request).await?;
    // The writer has just found the caller a member: no need to ask again.
    member_list(state, room_id)
        .await?
        .into_iter()
        .find(|m| m.user.id == user_id)
        .ok_or(Error::MemberNotFound)
}

/// Deletes a room for everyone (owners only: `rules::may_delete_room`).
/// Subscribers get a `room_deleted` event and then, on every node, an
/// `unsubscribed` frame with `reason: "deleted"`; from then on the room is
/// not there for anyone, its name is free, and its messages are emptied.
pub async fn delete(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<()> {
    let request = Request::DeleteRoom {
        room_id,
        user: auth.author(),
    };
    state.writer.apply(request).await?;
    tracing::info!(room_id, user_id = auth.user.id, "room deleted");
    Ok(())
}

/// Removes a member (see `rules::may_remove`): every member sees a
/// `member_left` event with `reason: "removed"`, and the removed user's
/// sockets, on every node, stop receiving the room with an `unsubscribed`
/// frame; from then on the room answers them as any non-member.
pub async fn remove(state: &AppState, auth: &AuthUser, room_id: i64, user_id: i64) -> Result<()> {
    require_member(state, auth.user.id, room_id).await?;
    let member = users::author(&state.db, user_id)
        .await?
        .ok_or(Error::MemberNotFound)?;
    let request = Request::Remove {
        room_id,
        user: auth.author(),
        member,
    };
    state.writer.apply(request).await?;
    Ok(())
}

/// A room's members with their roles (members only).
pub async fn members(state: &AppState, auth: &AuthUser, room_id: i64) -> Result<Vec<Member>> {
    require_member(state, auth.user.id, room_id).await?;
    member_list(state, room_id).await
}

/// A room's members, for a caller already known to be one.
async fn member_list(state: &AppState, room_id: i64) -> Result<Vec<Member>> {
    let mut conn = state.db.acquire().await?;
    let members = rooms::members(&state.db, &mut conn, room_id).await?;
    drop(conn);
    let ids: Vec<i64> = members.iter().map(|(user, ..)| user.id).collect();
    let statuses = presence::of(state, &ids).await?;
    Ok(members
        .into_iter()
        .map(|(user, role, joined_at)| Member {
            presence: statuses.get(&user.id).copied().unwrap_or_default(),
            user,
            role,
            joined_at: to_rfc3339(joined_at),
        })
        .collect())
}

/// Why the user last stopped being a member of the room, from its log
/// (`left` if they never were one).
pub async fn why_left(state: &AppState, user_id: i64, room_id: i64) -> Result<LeaveReason> {
    Ok(events::why_left(&state.db, room_id, user_id)
        .await?
        .unwrap_or_default())
}

/// Fails unless the user may read and post in the room: `room_not_found`
/// for a room they cannot see, `not_a_member` for a public one they have
/// not joined.
pub async fn require_member(state: &AppState, user_id: i64, room_id: i64) -> Result<()> {
    let standing = rooms::standing(&state.db, user_id, room_id)
        .await?
        .ok_or(Error::RoomNotFound)?;
    rules::may_read(standing.kind, standing.role).map(drop)
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

    #[test]
    fn topics_are_one_line_of_at_most_250_chars_and_may_be_empty() {
        assert!(validate_topic("").is_ok());
        assert!(validate_topic(&"é".repeat(250)).is_ok());
        assert!(validate_topic(&"é".repeat(251)).is_err());
        assert!(validate_topic("two\nlines").is_err());
    }

    #[test]
    fn rooms_are_made_public_or_private_not_direct() {
        assert!(validate_kind(RoomKind::Public).is_ok());
        assert!(validate_kind(RoomKind::Private).is_ok());
        assert!(validate_kind(RoomKind::Direct).is_err());
    }
}
