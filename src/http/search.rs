//! `GET /api/search`: full-text search over the messages the caller may
//! read (the rules: `app::server::services::search`).

use app::error::ErrorBody;
use app::model::{SearchPage, SearchParams};
use app::server::services::search;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::get;

use super::extract::{Caller, Query};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/search", get(find))
}

/// Search the messages of every room the caller is a member of. Each word
/// must be in the message (the last one also as the start of a word, as it
/// is typed), a "quoted phrase" in that order; `from:username` in `q` or
/// `author` keeps one person's messages. Best matches first, the newest
/// first among equals. Deleted messages never match; an edited one matches
/// its current text only.
#[utoipa::path(get, path = "/api/search", tag = "search",
    params(SearchParams),
    responses(
        (status = 200, body = SearchPage),
        (status = 400, body = ErrorBody, description = "validation_error (`q` over 200 characters; a bad limit, cursor or date)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn find(
    State(state): State<AppState>,
    Caller(caller): Caller,
    Query(params): Query<SearchParams>,
) -> Result<axum::Json<SearchPage>> {
    Ok(axum::Json(search::search(&state, &caller, params).await?))
}
