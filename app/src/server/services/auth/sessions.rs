//! Sessions: starting one, turning a token back into its user, ending one
//! or all of a user's.
//!
//! Tokens are 256 random bits; only their SHA-256 is stored. Lookups go
//! through the node's [`SessionCache`](crate::server::live::session_cache)
//! first; ending a session is announced in the transaction that deletes
//! it, so every node forgets it exactly when it is gone.

use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::model::{AuthResponse, User};
use crate::server::error::{Error, Result};
use crate::server::live::{fanout, session_ended};
use crate::server::state::AppState;
use crate::server::storage::db::now_ms;
use crate::server::storage::sessions::{self, AuthUser};

pub fn new_token() -> String {
    random_token::<32>()
}

/// `N` random bytes from the OS, URL-safe base64 without padding.
pub fn random_token<const N: usize>() -> String {
    let mut bytes = [0u8; N];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

fn ttl_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// A new session for `user`, and the token that opens it.
pub(super) async fn start(state: &AppState, user: User) -> Result<AuthResponse> {
    let token = new_token();
    let now = now_ms();
    sessions::create(
        &state.db,
        &hash_token(&token),
        user.id,
        now,
        now + ttl_ms(state),
    )
    .await?;
    Ok(AuthResponse { token, user })
}

/// The user behind a raw token, if the session exists and has not expired.
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser> {
    let session = hash_token(token);
    let now = now_ms();
    // Sliding expiry: a session in use lives on, renewed in the database
    // once per 30th of its lifetime (a day, by default), not per request.
    let ttl = ttl_ms(state);
    let renew_at = now + ttl - ttl / 30;
    if let Some(auth) = state.sessions.get(&session, now, renew_at) {
        return Ok(auth);
    }
    let since = state.sessions.generation();
    let mut conn = state.db.acquire().await?;
    let (auth, mut expires_at) = sessions::find(&state.db, &mut conn, &session, now)
        .await?
        .ok_or(Error::Unauthorized)?;
    if expires_at < renew_at {
        expires_at = now + ttl;
        sessions::renew(&state.db, &mut conn, &session, expires_at).await?;
    }
    drop(conn);
    state
        .sessions
        .remember(since, auth.clone(), expires_at, now);
    Ok(auth)
}

/// Ends the session everywhere: its token stops working and its sockets
/// close, on this node at once and on the others when they hear of it.
pub async fn logout(state: &AppState, auth: &AuthUser) -> Result<()> {
    // One transaction: the other nodes hear of the logout exactly when it
    // commits (PostgreSQL sends NOTIFY on commit), never the one without
    // the other.
    let mut tx = state.db.begin().await?;
    sessions::delete(&state.db, &mut tx, &auth.session).await?;
    fanout::announce_session_end(&state.db, &mut tx, &auth.session).await?;
    tx.commit().await?;
    session_ended(&state.sessions, &state.hub, &auth.session);
    Ok(())
}

/// Ends every session of the caller's user (every browser and device, this
/// one included), each the way [`logout`] ends one.
pub async fn logout_everywhere(state: &AppState, auth: &AuthUser) -> Result<usize> {
    let mut tx = state.db.begin().await?;
    let ended = sessions::delete_all_of(&state.db, &mut tx, auth.user.id).await?;
    for session in &ended {
        fanout::announce_session_end(&state.db, &mut tx, session).await?;
    }
    tx.commit().await?;
    for session in &ended {
        session_ended(&state.sessions, &state.hub, session);
    }
    tracing::info!(
        user_id = auth.user.id,
        sessions = ended.len(),
        "logged out everywhere"
    );
    Ok(ended.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
    }
}
