//! `/api/rooms`: list, create, rename, join, leave.

use app::error::ErrorBody;
use app::model::Room;
use app::server::services::rooms;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, post};
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Json, RoomId};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms", get(list).post(create))
        .route("/api/rooms/{id}", patch(rename))
        .route("/api/rooms/{id}/join", post(join))
        .route("/api/rooms/{id}/leave", post(leave))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomList {
    pub rooms: Vec<Room>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct RoomResponse {
    pub room: Room,
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
}

/// Every room, most recently active first.
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

/// Create a room; the creator joins it.
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
    let room = rooms::create(&state, &caller, new.name).await?;
    Ok((StatusCode::CREATED, axum::Json(RoomResponse { room })))
}

/// Rename a room: its owner only. Every member's open sockets get a
/// `room_updated` event; the same name again changes nothing.
#[utoipa::path(patch, path = "/api/rooms/{id}", tag = "rooms", request_body = NewRoom,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 200, body = RoomResponse),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (not the owner)"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
        (status = 409, body = ErrorBody, description = "room_name_taken"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn rename(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(new): Json<NewRoom>,
) -> Result<axum::Json<RoomResponse>> {
    Ok(axum::Json(RoomResponse {
        room: rooms::rename(&state, &caller, id, new.name).await?,
    }))
}

/// Join a room (idempotent).
#[utoipa::path(post, path = "/api/rooms/{id}/join", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses((status = 200, body = RoomResponse), (status = 401, body = ErrorBody, description = "unauthorized"), (status = 404, body = ErrorBody, description = "room_not_found")),
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

/// Leave a room; open sockets stop receiving it.
#[utoipa::path(post, path = "/api/rooms/{id}/leave", tag = "rooms",
    params(("id" = i64, Path, description = "Room id")),
    responses((status = 204), (status = 401, body = ErrorBody, description = "unauthorized"), (status = 404, body = ErrorBody, description = "room_not_found")),
    security(("bearer" = [])))]
pub async fn leave(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
) -> Result<StatusCode> {
    rooms::leave(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
