//! Web Push (`/api/push`): the server's public key, and the caller's
//! browsers' subscriptions. What is pushed, and when: docs/api.md
//! "Notifications".

use app::error::ErrorBody;
use app::model::{NewPushSubscription, PushSubscription};
use app::server::services::push;
use app::server::{AppState, Error, Result};
use axum::Router;
use axum::extract::{FromRequestParts, State};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::routing::{delete, get};
use serde::Serialize;

use super::extract::{Caller, Json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/push/key", get(key))
        .route("/api/push/subscriptions", get(list).post(subscribe))
        .route("/api/push/subscriptions/{id}", delete(unsubscribe))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct PushKey {
    /// The VAPID public key: an uncompressed P-256 point, base64url; the
    /// `applicationServerKey` of `pushManager.subscribe`.
    pub key: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionResponse {
    pub subscription: PushSubscription,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SubscriptionList {
    pub subscriptions: Vec<PushSubscription>,
}

/// The key browsers subscribe with. It is made at the server's first start
/// and kept in the database; it does not change.
#[utoipa::path(get, path = "/api/push/key", tag = "push",
    responses((status = 200, body = PushKey)))]
pub async fn key(State(state): State<AppState>) -> axum::Json<PushKey> {
    axum::Json(PushKey {
        key: push::key(&state).to_owned(),
    })
}

/// Subscribe this browser: the body is `PushSubscription.toJSON()`. While
/// the caller has no tab open, what would notify them is pushed to it.
/// The subscription lasts as long as the session that made it (logging
/// out ends it); subscribing again with the same endpoint moves it to the
/// caller's session and answers its id.
#[utoipa::path(post, path = "/api/push/subscriptions", tag = "push", request_body = NewPushSubscription,
    responses(
        (status = 201, body = SubscriptionResponse),
        (status = 400, body = ErrorBody, description = "validation_error (an endpoint that is not https on an allowed push service, keys of the wrong length)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
    ),
    security(("bearer" = [])))]
pub async fn subscribe(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Json(new): Json<NewPushSubscription>,
) -> Result<(StatusCode, axum::Json<SubscriptionResponse>)> {
    let subscription = push::subscribe(&state, &caller, &new).await?;
    Ok((
        StatusCode::CREATED,
        axum::Json(SubscriptionResponse { subscription }),
    ))
}

/// The caller's subscriptions, oldest first: the browsers pushed to.
#[utoipa::path(get, path = "/api/push/subscriptions", tag = "push",
    responses(
        (status = 200, body = SubscriptionList),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<axum::Json<SubscriptionList>> {
    Ok(axum::Json(SubscriptionList {
        subscriptions: push::list(&state, &caller).await?,
    }))
}

/// Stop pushing to one of the caller's browsers.
#[utoipa::path(delete, path = "/api/push/subscriptions/{id}", tag = "push",
    params(("id" = i64, Path, description = "Subscription id")),
    responses(
        (status = 204),
        (status = 401, body = ErrorBody, description = "unauthorized"),
        (status = 404, body = ErrorBody, description = "not_found (none of the caller's)"),
    ),
    security(("bearer" = [])))]
pub async fn unsubscribe(
    State(state): State<AppState>,
    Caller(caller): Caller,
    SubscriptionId(id): SubscriptionId,
) -> Result<StatusCode> {
    push::unsubscribe(&state, &caller, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A subscription id from the path; anything else names none.
pub struct SubscriptionId(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for SubscriptionId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(id)| SubscriptionId(id))
            .map_err(|_| Error::NotFound)
    }
}
