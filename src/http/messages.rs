//! `/api/rooms/{id}/messages`: history pages, posting, and changing a
//! message (editing, deleting, reacting).

use app::error::ErrorBody;
use app::model::{Message, MessagePage, PageQuery};
use app::server::services::messages;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, patch, put};
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Json, MessagePath, Query, RoomId, whole_number};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{id}/messages", get(list).post(create))
        .route(
            "/api/rooms/{id}/messages/{message_id}",
            patch(edit).delete(delete),
        )
        .route(
            "/api/rooms/{id}/messages/{message_id}/reactions/{emoji}",
            put(react).delete(unreact),
        )
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewMessage {
    /// Not blank; newline and tab are the only control characters allowed.
    /// May be left out when `attachments` are sent.
    #[serde(default)]
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
    /// The id of a message in the same room that this one answers.
    #[serde(default, deserialize_with = "integral")]
    pub reply_to: Option<i64>,
    /// Files to send with it: ids of the caller's uploads, not yet sent
    /// and made in the last 23 hours (`POST /api/uploads`), in the order
    /// they are shown.
    #[serde(default)]
    #[schema(max_items = 10)]
    pub attachments: Vec<String>,
}

/// An id as JSON may write it ([`whole_number`]); `7.5` is refused.
fn integral<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error as _;
    match Option::<serde_json::Number>::deserialize(deserializer)? {
        None => Ok(None),
        Some(n) => whole_number(&n)
            .map(Some)
            .ok_or_else(|| D::Error::custom(format!("reply_to must be a message id, not {n}"))),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct MessageEdit {
    /// The new body, under the same rules as a new message's.
    #[schema(
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*[^\s\u0000-\u001F\u007F-\u009F][^\u0000-\u0008\u000B-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
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
        (status = 400, body = ErrorBody, description = "validation_error (field `attachments`: an upload that is not the caller's, already sent, or too old)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found, or message_not_found: reply_to names no message of the room"),
        (status = 409, body = ErrorBody, description = "client_id_reused: this author used the client_id for a message in another room"),
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
    let new = messages::NewPost {
        body: new.body,
        client_id: new.client_id,
        reply_to: new.reply_to,
        attachments: new.attachments,
    };
    let (message, created) = messages::post(&state, &caller, id, new).await?.await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(MessageResponse { message })))
}

/// Edit a message: its author only, and not once it is deleted.
#[utoipa::path(patch, path = "/api/rooms/{id}/messages/{message_id}", tag = "messages", request_body = MessageEdit,
    params(("id" = i64, Path, description = "Room id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 200, body = MessageResponse, description = "The message as edited"),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden: not the author"),
        (status = 404, body = ErrorBody, description = "room_not_found, message_not_found"),
        (status = 409, body = ErrorBody, description = "message_deleted"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited",
            headers(("Retry-After" = u64, description = "Seconds until the next change is allowed"))),
    ),
    security(("bearer" = [])))]
pub async fn edit(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MessagePath,
    Json(edit): Json<MessageEdit>,
) -> Result<axum::Json<MessageResponse>> {
    let message = messages::edit(&state, &caller, path.room_id, path.message_id, edit.body)
        .await?
        .await?;
    Ok(axum::Json(MessageResponse { message }))
}

/// Delete a message: its author or the room's owner. Deleting it again is
/// not an error. The message keeps its place with an empty body.
#[utoipa::path(delete, path = "/api/rooms/{id}/messages/{message_id}", tag = "messages",
    params(("id" = i64, Path, description = "Room id"), ("message_id" = i64, Path, description = "Message id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden: neither the author nor the room's owner"),
        (status = 404, body = ErrorBody, description = "room_not_found, message_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn delete(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MessagePath,
) -> Result<StatusCode> {
    messages::delete(&state, &caller, path.room_id, path.message_id)
        .await?
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Add the caller's reaction (idempotent). `emoji` is one emoji,
/// percent-encoded; a message has at most 20 different ones.
#[utoipa::path(put, path = "/api/rooms/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(
        ("id" = i64, Path, description = "Room id"),
        ("message_id" = i64, Path, description = "Message id"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"),
    ),
    responses(
        (status = 200, body = MessageResponse, description = "The message with its reactions"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found, message_not_found, not_an_emoji"),
        (status = 409, body = ErrorBody, description = "message_deleted, too_many_reactions"),
        (status = 429, body = ErrorBody, description = "rate_limited",
            headers(("Retry-After" = u64, description = "Seconds until the next change is allowed"))),
    ),
    security(("bearer" = [])))]
pub async fn react(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MessagePath,
) -> Result<axum::Json<MessageResponse>> {
    reaction(state, caller, path, true).await
}

/// Remove the caller's reaction (idempotent).
#[utoipa::path(delete, path = "/api/rooms/{id}/messages/{message_id}/reactions/{emoji}", tag = "messages",
    params(
        ("id" = i64, Path, description = "Room id"),
        ("message_id" = i64, Path, description = "Message id"),
        ("emoji" = String, Path, description = "One emoji, percent-encoded"),
    ),
    responses(
        (status = 200, body = MessageResponse, description = "The message with its reactions"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member"),
        (status = 404, body = ErrorBody, description = "room_not_found, message_not_found, not_an_emoji"),
        (status = 429, body = ErrorBody, description = "rate_limited",
            headers(("Retry-After" = u64, description = "Seconds until the next change is allowed"))),
    ),
    security(("bearer" = [])))]
pub async fn unreact(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: MessagePath,
) -> Result<axum::Json<MessageResponse>> {
    reaction(state, caller, path, false).await
}

async fn reaction(
    state: AppState,
    caller: app::server::services::auth::AuthUser,
    path: MessagePath,
    added: bool,
) -> Result<axum::Json<MessageResponse>> {
    let emoji = path.emoji.unwrap_or_default();
    let message = messages::react(&state, &caller, path.room_id, path.message_id, emoji, added)
        .await?
        .await?;
    Ok(axum::Json(MessageResponse { message }))
}

#[cfg(test)]
mod tests {
    use super::NewMessage;

    fn reply_to(json: &str) -> Result<Option<i64>, serde_json::Error> {
        serde_json::from_str::<NewMessage>(json).map(|m| m.reply_to)
    }

    #[test]
    fn reply_to_is_an_integer_however_json_writes_it() {
        assert_eq!(reply_to(r#"{"body":"x"}"#).unwrap(), None);
        assert_eq!(reply_to(r#"{"body":"x","reply_to":null}"#).unwrap(), None);
        assert_eq!(reply_to(r#"{"body":"x","reply_to":7}"#).unwrap(), Some(7));
        assert_eq!(reply_to(r#"{"body":"x","reply_to":7.0}"#).unwrap(), Some(7));
        assert!(reply_to(r#"{"body":"x","reply_to":7.5}"#).is_err());
        assert!(reply_to(r#"{"body":"x","reply_to":"7"}"#).is_err());
    }
}
