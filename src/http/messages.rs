//! `/api/rooms/{id}/messages`: history pages and posting.

use app::error::ErrorBody;
use app::model::{Message, MessagePage, PageQuery};
use app::server::messages;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Json, Query, RoomId};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/rooms/{id}/messages", get(list).post(create))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewMessage {
    /// Not blank; newline and tab are the only control characters allowed.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
    /// Any unique string (a UUID) chosen by the client; repeating it makes the
    /// send idempotent.
    #[schema(
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub client_id: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MessageResponse {
    pub message: Message,
}

/// A page of history, oldest first.
#[utoipa::path(get, path = "/api/rooms/{id}/messages", tag = "messages",
    params(("id" = i64, Path, description = "Room id"), PageQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Query(query): Query<PageQuery>,
) -> Result<axum::Json<MessagePage>> {
    Ok(axum::Json(
        messages::page(&state, &caller, id, query).await?,
    ))
}

/// Post a message. A repeated `client_id` returns the original with 200.
#[utoipa::path(post, path = "/api/rooms/{id}/messages", tag = "messages", request_body = NewMessage,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 201, body = MessageResponse, description = "Stored and broadcast"),
        (status = 200, body = MessageResponse, description = "Repeated client_id: the original"),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited: over the user's send allowance; nothing was stored, resend after Retry-After seconds",
            headers(("Retry-After" = u64, description = "Seconds until the next send is allowed"))),
    ),
    security(("bearer" = [])))]
pub async fn create(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(new): Json<NewMessage>,
) -> Result<(StatusCode, axum::Json<MessageResponse>)> {
    let (message, created) = messages::post(&state, &caller, id, new.body, new.client_id).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(MessageResponse { message })))
}
