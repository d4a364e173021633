//! How server functions reach the service layer: the axum router provides
//! [`AppState`] as Leptos context, and the request's headers carry the session.

use leptos::prelude::use_context;

use super::credentials::authenticate_headers;
use crate::server::error::{Error, Result};
use crate::server::services::auth::AuthUser;
use crate::server::state::AppState;

pub fn state() -> Result<AppState> {
    use_context::<AppState>().ok_or_else(|| Error::Internal("AppState missing from context".into()))
}

/// The state and the logged-in caller of the current server function.
pub async fn caller() -> Result<(AppState, AuthUser)> {
    let state = state()?;
    let parts = use_context::<http::request::Parts>().ok_or(Error::Unauthorized)?;
    let auth = authenticate_headers(&state, &parts.headers).await?;
    Ok((state, auth))
}
