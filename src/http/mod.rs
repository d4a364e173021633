//! The REST API under `/api`: one file per resource, each handler a thin
//! adapter that parses input, calls a service in `app::server`, and shapes the
//! JSON answer. Errors become `{"error":{…}}` in `app::server::error`.

pub mod auth;
pub mod extract;
pub mod messages;
pub mod openapi;
pub mod origin;
pub mod rooms;

use app::server::{AppState, Error};
use axum::Router;
use axum::routing::any;

pub fn router() -> Router<AppState> {
    Router::new()
        .merge(auth::router())
        .merge(rooms::router())
        .merge(messages::router())
        .merge(openapi::router())
        // Unknown API paths answer in the API's error shape, not with a page.
        .route("/api/{*rest}", any(|| async { Error::NotFound }))
}
