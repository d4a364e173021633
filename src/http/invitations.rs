//! Invitations: by username (`/api/rooms/{id}/invitations`, answered at
//! `/api/invitations`) and by link (`/api/rooms/{id}/invite-links`,
//! accepted at `/api/invite-links/{token}`).

use app::error::ErrorBody;
use app::model::{Invitation, InviteLink};
use app::server::services::invitations;
use app::server::{AppState, Error, Result};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get, post};
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Json, RoomId, whole_number};
use super::rooms::RoomResponse;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/rooms/{id}/invitations", post(invite))
        .route("/api/invitations", get(pending))
        .route("/api/invitations/{id}/accept", post(accept))
        .route("/api/invitations/{id}/decline", post(decline))
        .route("/api/rooms/{id}/invite-links", post(create_link))
        .route("/api/rooms/{id}/invite-links/{token}", delete(revoke_link))
        .route("/api/invite-links/{token}/accept", post(accept_link))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewInvitation {
    /// Whom to invite, in any case.
    #[schema(min_length = 1, max_length = 64)]
    pub username: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationResponse {
    pub invitation: Invitation,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InvitationList {
    pub invitations: Vec<Invitation>,
}

/// The body's schema; `create_link` reads it by hand.
#[derive(utoipa::ToSchema)]
pub struct NewLink {
    /// How long the link works: 1 to 720 hours, 168 (7 days) when not given.
    #[schema(minimum = 1, maximum = 720)]
    pub expires_in_hours: Option<i64>,
    /// How many people may join by it: 1 to 10000; no limit when not given.
    #[schema(minimum = 1, maximum = 10000)]
    pub max_uses: Option<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct LinkResponse {
    pub link: InviteLink,
}

/// A whole number field, as JSON may write it (`24` or `24.0`), or null
/// and absent alike.
fn whole(
    object: &serde_json::Map<String, serde_json::Value>,
    field: &'static str,
) -> Result<Option<i64>> {
    match object.get(field) {
        None | Some(serde_json::Value::Null) => Ok(None),
        Some(serde_json::Value::Number(n)) => whole_number(n)
            .map(Some)
            .ok_or_else(|| Error::validation(field, format!("{field} must be a whole number."))),
        Some(_) => Err(Error::validation(
            field,
            format!("{field} must be a whole number."),
        )),
    }
}

/// An invitation id from the path; anything else names no invitation.
pub struct InvitationId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for InvitationId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| InvitationId(id))
            .map_err(|_| Error::InvitationNotFound)
    }
}

/// A room and a link token from `/api/rooms/{id}/invite-links/{token}`.
pub struct LinkPath {
    pub room_id: i64,
    pub token: String,
}

#[derive(Deserialize)]
struct LinkParams {
    id: String,
    token: String,
}

impl<S: Send + Sync> FromRequestParts<S> for LinkPath {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(params) =
            axum::extract::Path::<LinkParams>::from_request_parts(parts, state)
                .await
                .map_err(|_| Error::InvitationNotFound)?;
        Ok(LinkPath {
            room_id: params.id.parse().map_err(|_| Error::RoomNotFound)?,
            token: params.token,
        })
    }
}

/// Invite someone by username (owners and admins). They get an `invited`
/// frame on their open sockets and find it in `GET /api/invitations`.
/// Inviting someone already invited answers 200 with that invitation.
#[utoipa::path(post, path = "/api/rooms/{id}/invitations", tag = "invitations", request_body = NewInvitation,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 201, body = InvitationResponse),
        (status = 200, body = InvitationResponse, description = "already invited: the standing invitation"),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden (members do not invite; nobody joins a direct conversation)"),
        (status = 404, body = ErrorBody, description = "room_not_found, user_not_found"),
        (status = 409, body = ErrorBody, description = "already_member"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn invite(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(new): Json<NewInvitation>,
) -> Result<(StatusCode, axum::Json<InvitationResponse>)> {
    let (invitation, created) = invitations::invite(&state, &caller, id, &new.username).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, axum::Json(InvitationResponse { invitation })))
}

/// The caller's pending invitations, newest first.
#[utoipa::path(get, path = "/api/invitations", tag = "invitations",
    responses((status = 200, body = InvitationList), (status = 401, body = ErrorBody, description = "unauthorized")),
    security(("bearer" = [])))]
pub async fn pending(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<axum::Json<InvitationList>> {
    Ok(axum::Json(InvitationList {
        invitations: invitations::pending(&state, &caller).await?,
    }))
}

/// Accept an invitation: the caller joins the room.
#[utoipa::path(post, path = "/api/invitations/{id}/accept", tag = "invitations",
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 200, body = RoomResponse),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "invitation_not_found (never the caller's, declined, or withdrawn), room_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn accept(
    State(state): State<AppState>,
    Caller(caller): Caller,
    InvitationId(id): InvitationId,
) -> Result<axum::Json<RoomResponse>> {
    Ok(axum::Json(RoomResponse {
        room: invitations::accept(&state, &caller, id).await?,
    }))
}

/// Decline an invitation; it stops working at once.
#[utoipa::path(post, path = "/api/invitations/{id}/decline", tag = "invitations",
    params(("id" = i64, Path, description = "Invitation id")),
    responses(
        (status = 204, description = "Declined"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "invitation_not_found"),
    ),
    security(("bearer" = [])))]
pub async fn decline(
    State(state): State<AppState>,
    Caller(caller): Caller,
    InvitationId(id): InvitationId,
) -> Result<StatusCode> {
    invitations::decline(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Make an invite link (owners and admins). The token is shown this once:
/// only its hash is kept. `url` is the path to open on this server.
#[utoipa::path(post, path = "/api/rooms/{id}/invite-links", tag = "invitations", request_body = NewLink,
    params(("id" = i64, Path, description = "Room id")),
    responses(
        (status = 201, body = LinkResponse),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden"),
        (status = 404, body = ErrorBody, description = "room_not_found"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn create_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    RoomId(id): RoomId,
    Json(body): Json<serde_json::Value>,
) -> Result<(StatusCode, axum::Json<LinkResponse>)> {
    // Read by hand: every field is optional, and serde would take an array
    // of nulls for the struct, or refuse `24.0` for an integer.
    let Some(object) = body.as_object() else {
        return Err(Error::validation(
            "body",
            "The request body must be a JSON object.",
        ));
    };
    let new = NewLink {
        expires_in_hours: whole(object, "expires_in_hours")?,
        max_uses: whole(object, "max_uses")?,
    };
    let link =
        invitations::create_link(&state, &caller, id, new.expires_in_hours, new.max_uses).await?;
    Ok((StatusCode::CREATED, axum::Json(LinkResponse { link })))
}

/// Revoke an invite link (owners and admins); it stops working at once.
#[utoipa::path(delete, path = "/api/rooms/{id}/invite-links/{token}", tag = "invitations",
    params(("id" = i64, Path, description = "Room id"), ("token" = String, Path, description = "The link's token")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 403, body = ErrorBody, description = "not_a_member, or forbidden"),
        (status = 404, body = ErrorBody, description = "room_not_found, invitation_not_found (no such live link in this room)"),
    ),
    security(("bearer" = [])))]
pub async fn revoke_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    path: LinkPath,
) -> Result<StatusCode> {
    invitations::revoke_link(&state, &caller, path.room_id, &path.token).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Join the room a link leads to. A member already in it gets the room and
/// uses nothing up.
#[utoipa::path(post, path = "/api/invite-links/{token}/accept", tag = "invitations",
    params(("token" = String, Path, description = "The link's token")),
    responses(
        (status = 200, body = RoomResponse),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "invitation_not_found (no such link)"),
        (status = 410, body = ErrorBody, description = "invite_expired (expired, used up or revoked)"),
    ),
    security(("bearer" = [])))]
pub async fn accept_link(
    State(state): State<AppState>,
    Caller(caller): Caller,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Result<axum::Json<RoomResponse>> {
    Ok(axum::Json(RoomResponse {
        room: invitations::accept_link(&state, &caller, &token).await?,
    }))
}
