//! `/api/rooms`: list, create, change, delete, join, leave, and the member
//! list.

use app::error::ErrorBody;
use app::model::{Member, NotifyLevel, Role, Room, RoomKind};
use app::server::services::rooms;
use app::server::storage::rooms::Settings;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Json, MemberPath, RoomId, whole};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", get(list).post(create))
        .route("/api/rooms/{id}", patch(update).delete(delete_room))
        .route("/api/rooms/{id}/join", post(join))
        .route("/api/rooms/{id}/leave", post(leave))
        .route("/api/rooms/{id}/read", post(mark_read))
        .route("/api/rooms/{id}/notifications", put(set_notifications))
        .route("/api/rooms/{id}/members", get(members))
        .route("/api/rooms/{id}/members/{user_id}", delete(remove))
        .route("/api/rooms/{id}/members/{user_id}/role", post(set_role))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomList {
    pub rooms: Vec<Room>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomResponse {
    pub room: Room,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberList {
    pub members: Vec<Member>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MemberResponse {
    pub member: Member,
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewRole {
    pub role: Role,
}

/// A room made by hand is public or private.
#[derive(Clone, Copy, Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NewRoomKind {
    #[default]
    Public,
    Private,
}

impl From<NewRoomKind> for RoomKind {
    fn from(kind: NewRoomKind) -> Self {
        match kind {
            NewRoomKind::Public => RoomKind::Public,
            NewRoomKind::Private => RoomKind::Private,
        }
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewRoom {
    /// One line, not blank.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// `public` when not given.
    #[serde(default)]
    pub kind: NewRoomKind,
    /// One line; empty for none.
    #[serde(default)]
    #[schema(max_length = 250, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub topic: String,
}

/// How far the caller has read a room.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct ReadUpTo {
    /// The seq of the newest event read (a seq past the room's `last_seq`
    /// reads all of it).
    #[serde(deserialize_with = "whole")]
    #[schema(minimum = 0)]
    pub seq: i64,
}

/// What the caller is notified of in a room; a field left out stays.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NotificationSettings {
    #[serde(default)]
    pub level: Option<NotifyLevel>,
    /// A muted room notifies of nothing, and its unread messages are not
    /// called out (its count still shows).
    #[serde(default)]
    pub muted: Option<bool>,
}

/// What `PATCH /api/rooms/{id}` may change; a field left out stays.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct RoomChanges {
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(max_length = 250, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub topic: Option<String>,
    pub kind: Option<NewRoomKind>,
}

/// The public rooms and every room the caller is in, most recently active
/// first; never a private room the caller is not in.
#[utoipa::path(get, path = "/api/rooms", tag = "rooms",
    responses((status = 200, body = RoomList), (status = 401, body = ErrorBody, description = "unauthorized")),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<axum::Json<RoomList>> {
    Ok(axum::Json(RoomList {
        rooms: rooms::list(&state, &caller).await?,
    }))
}

/// Create a room; the creator joins it, as its owner.
#[utoipa::path(post, path = "/api/rooms", tag = "rooms", request_body = NewRoom,
    responses(
        (status = 201, body = RoomResponse),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 409, body = ErrorBody, description = "room_name_taken"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(new): Json<NewRoom>,
) -> Result<(StatusCode, axum::Json<RoomResponse>)> {
    let draft = rooms::RoomDraft {
        name: new.name,
        kind: new.kind.into(),
        topic: new.topic,
    };
    let room = rooms::create(&state, &caller, draft).await?;
    Ok((StatusCode::CREATED, axum::Json(RoomResponse { room })))
}

/// Change a room's name or topic (owners and admins) or kind (owners).
/// Every member's open sockets get a `room_updated` event; settings the
/// room already has change nothing.
#[utoipa::path(patch, path = "/api/rooms/{id}", tag = "rooms", request_body = RoomChanges,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = RoomResponse),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (the role does not allow it)"),
        (status = 404, body = ErrorBody, description = "room_not_found (also a private room the caller is not in)"),
        (status = 409, body = ErrorBody, description = "room_name_taken"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn update(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(changes): Json<RoomChanges>,
) -> Result<axum::Json<RoomResponse>> {
    let settings = Settings {
        name: changes.name,
        topic: changes.topic,
        kind: changes.kind.map(RoomKind::from),
    };
    Ok(axum::Json(RoomResponse {
        room: rooms::update(&state, &caller, id, settings).await?,
    }))
}

/// Delete a room, for everyone (owners). Subscribers get a `room_deleted`
/// event, then `unsubscribed` with `reason: "deleted"`, on every node; the
/// room is then not there for anyone, and its name is free.
#[utoipa::path(delete, path = "/api/rooms/{id}", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (not an owner)"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn delete_room(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
) -> Result<StatusCode> {
    rooms::delete(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A room's members with their roles: owners, then admins, then members,
/// each in joining order. Members only.
#[utoipa::path(get, path = "/api/rooms/{id}/members", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = MemberList),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn members(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
) -> Result<axum::Json<MemberList>> {
    Ok(axum::Json(MemberList {
        members: rooms::members(&state, &caller, id).await?,
    }))
}

/// Join a public room (idempotent); a private room takes an invitation.
#[utoipa::path(post, path = "/api/rooms/{id}/join", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses((status = 200, body = RoomResponse), (status = 401, body = ErrorBody, description = "unauthorized"), (status = 403, body = ErrorBody, description = "invitation_required"), (status = 404, body = ErrorBody, description = "room_not_found")),
    security(("bearer" = [])))]
pub async fn join(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
) -> Result<axum::Json<RoomResponse>> {
    Ok(axum::Json(RoomResponse {
        room: rooms::join(&state, &caller, id).await?,
    }))
}

/// Move the caller's read marker forward to `seq`: the room's messages up
/// to it are read, and `unread_count` counts those after it. A marker
/// already there or further stays; one that moves is sent to the caller's
/// open sockets on every node as an `activity` frame. Members only.
#[utoipa::path(post, path = "/api/rooms/{id}/read", tag = "rooms", request_body = ReadUpTo,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 204, description = "Read up to seq (or further already)"),
        (status = 400, body = ErrorBody, description = "validation_error (seq below 0)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn mark_read(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(read): Json<ReadUpTo>,
) -> Result<StatusCode> {
    rooms::mark_read(&state, &caller, id, read.seq).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Set what the caller is notified of in a room (`all` messages,
/// `mentions` and direct messages, or `none`) and whether they muted it.
/// Their own setting: nobody else sees it, and it is no event of the room.
/// Members only.
#[utoipa::path(put, path = "/api/rooms/{id}/notifications", tag = "rooms",
    request_body = NotificationSettings,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = RoomResponse, description = "The room as the caller now sees it"),
        (status = 400, body = ErrorBody, description = "validation_error (an unknown level)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn set_notifications(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(settings): Json<NotificationSettings>,
) -> Result<axum::Json<RoomResponse>> {
    let room =
        rooms::set_notifications(&state, &caller, id, settings.level, settings.muted).await?;
    Ok(axum::Json(RoomResponse { room }))
}

/// Leave a room; open sockets stop receiving it. Nobody leaves a direct
/// conversation.
#[utoipa::path(post, path = "/api/rooms/{id}/leave", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "forbidden (a direct conversation)"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn leave(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
) -> Result<StatusCode> {
    rooms::leave(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Give a member a role. Owners and admins make members admins and admins
/// members; only owners make or unmake owners, and never the last one.
/// Every member's open sockets get a `member_role_changed` event.
#[utoipa::path(post, path = "/api/rooms/{id}/members/{user_id}/role", tag = "rooms", request_body = NewRole,
    params(("id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "The member's user id")),
    responses(
        (status = 200, body = MemberResponse),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (the role does not allow it, or it would leave the room without an owner)"),
        (status = 404, body = ErrorBody, description = "room_not_found, member_not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn set_role(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MemberPath,
    Json(new): Json<NewRole>,
) -> Result<axum::Json<MemberResponse>> {
    let member = rooms::set_role(&state, &caller, path.room_id, path.user_id, new.role).await?;
    Ok(axum::Json(MemberResponse { member }))
}

/// Remove a member: owners remove anyone else, admins remove members. The
/// member's open sockets stop receiving the room at once, on every node,
/// with an `unsubscribed` frame (`reason: "removed"`); members see a
/// `member_left` event with the same reason.
#[utoipa::path(delete, path = "/api/rooms/{id}/members/{user_id}", tag = "rooms",
    params(("id" = i64, Path, description = "Room id"), ("user_id" = i64, Path, description = "The member's user id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (the role does not allow it; oneself)"),
        (status = 404, body = ErrorBody, description = "room_not_found, member_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn remove(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MemberPath,
) -> Result<StatusCode> {
    rooms::remove(&state, &caller, path.room_id, path.user_id).await?;
    Ok(StatusCode::NO_CONTENT)
}
