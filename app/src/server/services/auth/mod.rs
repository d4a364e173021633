//! Accounts and sessions: registration, login, logout, and turning a token
//! into the user it stands for ([`sessions`]). Passwords are only ever
//! handled by [`passwords`]; how a request carries its token is the web
//! adapters' business (`crate::server::web::credentials`).

pub mod passwords;
pub mod sessions;

use std::net::IpAddr;

use passwords::{dummy_hash, hash_password, validate_password, verify_password};
pub use sessions::{authenticate, hash_token, logout, logout_everywhere};

use crate::limits::{
    RESERVED_USERNAMES, USERNAME_ALPHABET, USERNAME_CHARS, USERNAME_LENGTH, USERNAME_RESERVED,
    is_username_char,
};
use crate::model::{AuthResponse, Credentials};
use crate::server::error::{Error, Result};
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
pub use crate::server::storage::sessions::AuthUser;
use crate::server::storage::users;

pub fn validate_username(username: &str) -> Result<()> {
    if !USERNAME_CHARS.contains(&username.chars().count()) {
        return Err(Error::validation("username", USERNAME_LENGTH));
    }
    if !username.chars().all(is_username_char) {
        return Err(Error::validation("username", USERNAME_ALPHABET));
    }
    Ok(())
}

/// Creates an account for a client at `addr`, which may create only so
/// many per window ([`super::login_limiter`]).
pub async fn register(
    state: &AppState,
    credentials: Credentials,
    addr: IpAddr,
) -> Result<AuthResponse> {
    validate_username(&credentials.username)?;
    if RESERVED_USERNAMES.contains(&credentials.username.to_lowercase().as_str()) {
        return Err(Error::validation("username", USERNAME_RESERVED));
    }
    validate_password(&credentials.password)?;
    state.login_limiter.register(addr)?;
    let hash = hash_password(credentials.password).await?;
    let user = users::create(&state.db, &credentials.username, hash, now_ms()).await?;
    tracing::info!(user_id = user.id, "registered");
    sessions::start(state, user).await
}

/// Logs in `credentials` for a client at `addr`, whose failures count
/// against the limits in [`super::login_limiter`].
pub async fn login(
    state: &AppState,
    credentials: Credentials,
    addr: IpAddr,
) -> Result<AuthResponse> {
    let key = credentials.username.to_lowercase();
    state.login_limiter.check(&key, addr)?;
    let Some(account) = users::by_username_key(&state.db, &key).await? else {
        // An unknown name costs the same time as a wrong password, so
        // names cannot be probed.
        verify_password(credentials.password, dummy_hash().await.to_owned()).await?;
        state.login_limiter.failed(&key, addr);
        return Err(Error::InvalidCredentials);
    };
    if !verify_password(credentials.password, account.password_hash).await? {
        state.login_limiter.failed(&key, addr);
        return Err(Error::InvalidCredentials);
    }
    state.login_limiter.succeeded(&key, addr);
    sessions::start(state, account.user).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_follow_the_rules() {
        assert!(validate_username("ann").is_ok());
        assert!(validate_username("a.b_c-9").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username(&"a".repeat(33)).is_err());
        assert!(validate_username("ann smith").is_err());
        assert!(validate_username("änn").is_err());
    }
}
