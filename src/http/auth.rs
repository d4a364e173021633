//! `/api/auth/*` and `/api/me`. Login and register answer with the token in
//! the body (for programs) and as an HttpOnly cookie (for browsers).

use app::error::ErrorBody;
use app::model::{AuthResponse, Credentials, User};
use app::server::services::auth;
use app::server::web::credentials;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header::SET_COOKIE};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde::Serialize;

use super::extract::{Caller, ClientIp, Json};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/auth/register", post(register))
        .route("/api/auth/login", post(login))
        .route("/api/auth/logout", post(logout))
        .route("/api/auth/logout-everywhere", post(logout_everywhere))
        .route("/api/me", get(me))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeResponse {
    pub user: User,
}

fn with_cookie(state: &AppState, status: StatusCode, body: AuthResponse) -> Response {
    let cookie = credentials::session_cookie(&body.token, state.settings.cookie_secure);
    (status, [(SET_COOKIE, cookie)], axum::Json(body)).into_response()
}

/// Create an account and log in.
#[utoipa::path(post, path = "/api/auth/register", tag = "auth", request_body = Credentials,
    responses(
        (status = 201, body = AuthResponse, description = "Registered and logged in"),
        (status = 400, body = ErrorBody, description = "validation_error"),
        (status = 409, body = ErrorBody, description = "username_taken"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited: too many registrations from this address; wait for Retry-After seconds",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
    ))]
pub async fn register(
    State(state): State<AppState>,
    ClientIp(addr): ClientIp,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    let body = auth::register(&state, credentials, addr).await?;
    Ok(with_cookie(&state, StatusCode::CREATED, body))
}

/// Log in with a username and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = Credentials,
    responses(
        (status = 200, body = AuthResponse, description = "Logged in"),
        (status = 400, body = ErrorBody, description = "validation_error: not a JSON body of this shape"),
        (status = 401, body = ErrorBody, description = "invalid_credentials"),
        (status = 413, body = ErrorBody, description = "payload_too_large"),
        (status = 429, body = ErrorBody, description = "rate_limited: too many failed attempts; wait for Retry-After seconds",
            headers(("Retry-After" = u64, description = "Seconds until the next attempt is allowed"))),
    ))]
pub async fn login(
    State(state): State<AppState>,
    ClientIp(addr): ClientIp,
    Json(credentials): Json<Credentials>,
) -> Result<Response> {
    let body = auth::login(&state, credentials, addr).await?;
    Ok(with_cookie(&state, StatusCode::OK, body))
}

/// End this session: the token stops working and its sockets close.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn logout(State(state): State<AppState>, Caller(caller): Caller) -> Result<Response> {
    auth::logout(&state, &caller).await?;
    let cookie = credentials::clear_session_cookie(state.settings.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

/// End every session of this user, on every device: each token stops
/// working and each socket closes.
#[utoipa::path(post, path = "/api/auth/logout-everywhere", tag = "auth",
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn logout_everywhere(
    State(state): State<AppState>,
    Caller(caller): Caller,
) -> Result<Response> {
    auth::logout_everywhere(&state, &caller).await?;
    let cookie = credentials::clear_session_cookie(state.settings.cookie_secure);
    Ok((StatusCode::NO_CONTENT, [(SET_COOKIE, cookie)]).into_response())
}

/// The logged-in user.
#[utoipa::path(get, path = "/api/me", tag = "auth",
    responses(
        (status = 200, body = MeResponse),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn me(Caller(caller): Caller) -> axum::Json<MeResponse> {
    axum::Json(MeResponse { user: caller.user })
}
