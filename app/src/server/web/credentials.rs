//! How a request carries its session: `Authorization: Bearer` (programs)
//! or the HttpOnly session cookie (browsers), read the same way by REST,
//! the WebSocket upgrade and server functions.

use std::time::Duration;

use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};

use crate::server::error::{Error, Result};
use crate::server::services::auth::{self, AuthUser};
use crate::server::state::AppState;

/// Name of the HttpOnly cookie that carries the session token for browsers.
pub const SESSION_COOKIE: &str = "chat_session";

/// How long the browser keeps the cookie: as long as browsers allow (400
/// days). The server decides when a session ends (`Settings::session_ttl`,
/// renewed as it is used); a cookie that expired on its own would end a
/// session the server still honours.
const COOKIE_MAX_AGE: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// The token a request carries: `Authorization: Bearer` first, then the cookie.
pub fn token_from_headers(headers: &HeaderMap) -> Option<String> {
    bearer_token(headers).or_else(|| cookie_token(headers))
}

/// The token in `Authorization: Bearer`, which programs send.
pub fn bearer_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned())
}

/// The token in the session cookie, which browsers send on their own.
pub fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
}

/// The caller of a request, from whichever credential it carries.
pub async fn authenticate_headers(state: &AppState, headers: &HeaderMap) -> Result<AuthUser> {
    let token = token_from_headers(headers).ok_or(Error::Unauthorized)?;
    auth::authenticate(state, &token).await
}

/// `Set-Cookie` value that stores the session token in the browser.
pub fn session_cookie(token: &str, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        COOKIE_MAX_AGE.as_secs(),
        if secure { "; Secure" } else { "" }
    )
}

/// `Set-Cookie` value that removes the session cookie.
pub fn clear_session_cookie(secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{}",
        if secure { "; Secure" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bearer_wins_over_cookie() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            "theme=dark; chat_session=fromcookie".parse().unwrap(),
        );
        assert_eq!(token_from_headers(&headers).as_deref(), Some("fromcookie"));
        headers.insert(AUTHORIZATION, "Bearer frombearer".parse().unwrap());
        assert_eq!(token_from_headers(&headers).as_deref(), Some("frombearer"));
    }
}
