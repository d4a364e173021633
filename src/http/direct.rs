//! `/api/direct`: starting a direct conversation, or finding the one these
//! people already have.

use app::error::ErrorBody;
use app::limits::{DIRECT_OTHERS, USERNAME_CHARS};
use app::server::services::direct;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use serde::Deserialize;
use utoipa::openapi::schema::{Array, ArrayBuilder, ObjectBuilder, Type};

use super::extract::{Caller, Json};
use super::rooms::RoomResponse;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/direct", post(start))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewDirect {
    #[schema(schema_with = usernames)]
    pub usernames: Vec<String>,
}

/// `usernames`: each item a username (as registering takes them), 1 to 8
/// (the caller's own name and repeats are allowed, and count once).
fn usernames() -> Array {
    let username = ObjectBuilder::new()
        .schema_type(Type::String)
        .min_length(USERNAME_CHARS.start().to_owned().into())
        .max_length(USERNAME_CHARS.end().to_owned().into())
        .pattern(Some("^[A-Za-z0-9_.-]+$"));
    ArrayBuilder::new()
        .items(username)
        .min_items(DIRECT_OTHERS.start().to_owned().into())
        .max_items(DIRECT_OTHERS.end().to_owned().into())
        .description(Some(
            "The other people, by username in any case: 1 to 8 of them.",
        ))
        .build()
}

/// Start a direct conversation with 1 to 8 others, or find the one these
/// people have: the same set of people always gets the same conversation
/// (200), however its names are ordered or spelled. A new one (201) is
/// announced to the others' open sockets with a `direct_started` frame.
#[utoipa::path(post, path = "/api/direct", tag = "rooms", request_body = NewDirect,
    responses(
        (status = 201, body = RoomResponse, description = "started now"),
        (status = 200, body = RoomResponse, description = "these people's conversation, which existed"),
        (status = 400, body = ErrorBody, description = "validation_error (fewer than 1 or more than 8 others, or a name that is not a username)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "user_not_found (the message names them)"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited (starting one takes from the send allowance)"),
    ),
    security(("bearer" = [])))]
pub async fn start(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(new): Json<NewDirect>,
) -> Result<(StatusCode, axum::Json<RoomResponse>)> {
    let (room, started) = direct::start(&state, &caller, &new.usernames).await?;
    let status = if started {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(RoomResponse { room })))
}
