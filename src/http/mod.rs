//! The REST API under `/api`: one file per resource, each handler a thin
//! adapter that parses input, calls a service in `app::server`, and shapes the
//! JSON answer. Errors become `{"error":{…}}` in `app::server::error`.

pub mod auth;
pub mod direct;
pub mod extract;
pub mod invitations;
pub mod messages;
pub mod openapi;
pub mod origin;
pub mod push;
pub mod rooms;
pub mod search;
pub mod uploads;
pub mod users;

use app::server::{AppState, Error};
use axum::Router;
use axum::body::Body;
use axum::extract::Request;
use axum::http::header::CONTENT_LENGTH;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::any;

/// The largest request body the server reads (REST and server functions).
/// The biggest legitimate one, a 4,000-character message, is under 20 KB
/// even in four-byte characters; a larger body is refused with 413 before
/// it is buffered.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(rooms::router())
        .merge(invitations::router())
        .merge(direct::router())
        .merge(users::router())
        .merge(messages::router())
        .merge(push::router())
        .merge(search::router())
        .merge(openapi::router())
        // Unknown API paths answer in the API's error shape, not with a page.
        .route("/api/{*rest}", any(|| async { Error::NotFound }))
}

/// Middleware: a body declared larger than [`MAX_BODY_BYTES`] is refused
/// at once (413 `payload_too_large`); one that grows past it unannounced
/// (chunked) fails the read, which the extractors answer the same way.
pub async fn limit_body(request: Request, next: Next) -> Response {
    let declared = request
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_BODY_BYTES as u64) {
        return Error::TooLarge {
            limit: MAX_BODY_BYTES,
        }
        .into_response();
    }
    let request = request.map(|body| Body::new(http_body_util::Limited::new(body, MAX_BODY_BYTES)));
    next.run(request).await
}
