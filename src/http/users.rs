//! `/api/users`: finding people by the start of their username.

use app::error::ErrorBody;
use app::model::Author;
use app::server::services::people;
use app::server::{AppState, Result};
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::{Deserialize, Serialize};

use super::extract::{Caller, Query};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/users", get(search))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UserQuery {
    /// The start of a username, in any case: 1 to 32 characters.
    #[param(min_length = 1, max_length = 32)]
    pub q: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserList {
    pub users: Vec<Author>,
}

/// The people whose username starts with `q`, ignoring case: an exact
/// match first, then shorter names before longer, at most 8. Usernames
/// only. A `q` no username could start with finds nobody.
#[utoipa::path(get, path = "/api/users", tag = "users", params(UserQuery),
    responses(
        (status = 200, body = UserList),
        (status = 400, body = ErrorBody, description = "validation_error (q empty or longer than a username)"),
        (status = 401, body = ErrorBody, description = "unauthorized"),
    ),
    security(("bearer" = [])))]
pub async fn search(
    State(state): State<AppState>,
    // Signed-in people only.
    _caller: Caller,
    Query(query): Query<UserQuery>,
) -> Result<axum::Json<UserList>> {
    Ok(axum::Json(UserList {
        users: people::find(&state, &query.q).await?,
    }))
}
