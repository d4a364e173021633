//! Accounts and sessions: registration, login, logout, and turning a bearer
//! token or session cookie into a user.
//!
//! Passwords are hashed with argon2id (OWASP minimum: 19 MiB, t=2, p=1) on a
//! blocking thread, because a hash takes tens of milliseconds of CPU and would
//! stall every socket on the executor. Tokens are 256 random bits; only their
//! SHA-256 is stored, so a copy of the database cannot be replayed as logins.

use std::net::IpAddr;
use std::time::Duration;

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::http::HeaderMap;
use axum::http::header::{AUTHORIZATION, COOKIE};
use base64::Engine;
use rand::RngCore;
use sea_query::{Expr, Query};
use sha2::{Digest, Sha256};

use super::db::{is_unique_violation, now_ms, to_rfc3339};
use super::error::{Error, Result};
use super::fanout;
use super::schema::{Sessions, Users};
use super::state::AppState;
use crate::model::{AuthResponse, Credentials, User};

/// Name of the HttpOnly cookie that carries the session token for browsers.
pub const SESSION_COOKIE: &str = "chat_session";

/// How long the browser keeps the cookie: as long as browsers allow (400
/// days). The server decides when a session ends (`Settings::session_ttl`,
/// renewed as it is used); a cookie that expired on its own would end a
/// session the server still honours.
const COOKIE_MAX_AGE: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// The authenticated caller of a request or socket.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    /// SHA-256 of the token: identifies the session for logout.
    pub session: String,
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: i64,
    username: String,
    created_at: i64,
    password_hash: String,
}

impl UserRow {
    fn into_user(self) -> User {
        User {
            id: self.id,
            username: self.username,
            created_at: to_rfc3339(self.created_at),
        }
    }
}

pub fn validate_username(username: &str) -> Result<()> {
    let len = username.chars().count();
    if !(3..=32).contains(&len) {
        return Err(Error::validation(
            "username",
            "Username must be 3 to 32 characters long.",
        ));
    }
    if !username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
    {
        return Err(Error::validation(
            "username",
            "Username may only contain letters, digits, '_', '.' and '-'.",
        ));
    }
    Ok(())
}

pub fn validate_password(password: &str) -> Result<()> {
    let len = password.chars().count();
    if !(8..=128).contains(&len) {
        return Err(Error::validation(
            "password",
            "Password must be 8 to 128 characters long.",
        ));
    }
    Ok(())
}

fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).expect("static argon2 parameters are valid");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Password hashes computed at once. Each holds 19 MiB for tens of
/// milliseconds of CPU; unbounded, a burst of logins would start hundreds
/// on the blocking pool at once, gigabytes of memory. Past this, callers
/// wait their turn.
const CONCURRENT_HASHES: usize = 8;

/// Runs an argon2 job on a blocking thread, at most [`CONCURRENT_HASHES`]
/// at a time.
async fn on_hashing_thread<T: Send + 'static>(
    job: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    static HASHING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_HASHES);
    let _turn = HASHING
        .acquire()
        .await
        .map_err(|e| Error::Internal(format!("hashing queue: {e}")))?;
    tokio::task::spawn_blocking(job)
        .await
        .map_err(|e| Error::Internal(format!("hashing task: {e}")))?
}

async fn hash_password(password: String) -> Result<String> {
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing password: {e}")))
    })
    .await
}

async fn verify_password(password: String, hash: String) -> Result<bool> {
    on_hashing_thread(move || {
        let parsed =
            PasswordHash::new(&hash).map_err(|e| Error::Internal(format!("stored hash: {e}")))?;
        Ok(argon2()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok())
    })
    .await
}

/// A hash to verify against when the user does not exist, so that an unknown
/// name costs the same time as a wrong password and names cannot be probed.
async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password("not-a-real-password".into())
                .await
                .unwrap_or_default()
        })
        .await
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Creates an account for a client at `addr`, which may create only so
/// many per window ([`super::login_limiter`]).
pub async fn register(
    state: &AppState,
    credentials: Credentials,
    addr: IpAddr,
) -> Result<AuthResponse> {
    validate_username(&credentials.username)?;
    validate_password(&credentials.password)?;
    state.login_limiter.register(addr)?;
    let hash = hash_password(credentials.password).await?;
    let now = now_ms();
    let insert = Query::insert()
        .into_table(Users::Table)
        .columns([
            Users::Username,
            Users::UsernameKey,
            Users::PasswordHash,
            Users::CreatedAt,
        ])
        .values_panic([
            credentials.username.clone().into(),
            credentials.username.to_lowercase().into(),
            hash.into(),
            now.into(),
        ])
        .returning_col(Users::Id)
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let id: (i64,) = match state.db.fetch_one(&mut conn, &insert).await {
        Ok(id) => id,
        Err(e) if is_unique_violation(&e) => return Err(Error::UsernameTaken),
        Err(e) => return Err(e.into()),
    };
    drop(conn);
    let user = User {
        id: id.0,
        username: credentials.username,
        created_at: to_rfc3339(now),
    };
    tracing::info!(user_id = user.id, "registered");
    start_session(state, user).await
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
    let select = Query::select()
        .columns([
            Users::Id,
            Users::Username,
            Users::CreatedAt,
            Users::PasswordHash,
        ])
        .from(Users::Table)
        .and_where(Expr::col(Users::UsernameKey).eq(key.clone()))
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let row: Option<UserRow> = state.db.fetch_optional(&mut conn, &select).await?;
    drop(conn);
    let Some(row) = row else {
        verify_password(credentials.password, dummy_hash().await.to_owned()).await?;
        state.login_limiter.failed(&key, addr);
        return Err(Error::InvalidCredentials);
    };
    if !verify_password(credentials.password, row.password_hash.clone()).await? {
        state.login_limiter.failed(&key, addr);
        return Err(Error::InvalidCredentials);
    }
    state.login_limiter.succeeded(&key, addr);
    start_session(state, row.into_user()).await
}

async fn start_session(state: &AppState, user: User) -> Result<AuthResponse> {
    let token = new_token();
    let now = now_ms();
    let insert = Query::insert()
        .into_table(Sessions::Table)
        .columns([
            Sessions::TokenHash,
            Sessions::UserId,
            Sessions::CreatedAt,
            Sessions::ExpiresAt,
        ])
        .values_panic([
            hash_token(&token).into(),
            user.id.into(),
            now.into(),
            (now + ttl_ms(state)).into(),
        ])
        .to_owned();
    let mut conn = state.db.acquire().await?;
    state.db.execute(&mut conn, &insert).await?;
    Ok(AuthResponse { token, user })
}

/// Ends the session everywhere: its token stops working and its sockets
/// close, on this node at once and on the others when they hear of it.
pub async fn logout(state: &AppState, auth: &AuthUser) -> Result<()> {
    let delete = Query::delete()
        .from_table(Sessions::Table)
        .and_where(Expr::col(Sessions::TokenHash).eq(auth.session.clone()))
        .to_owned();
    // One transaction: the other nodes hear of the logout exactly when it
    // commits (PostgreSQL sends NOTIFY on commit), never the one without
    // the other.
    let mut tx = state.db.begin().await?;
    state.db.execute(&mut tx, &delete).await?;
    fanout::announce_session_end(&state.db, &mut tx, &auth.session).await?;
    tx.commit().await?;
    session_ended(state, &auth.session);
    Ok(())
}

/// Ends every session of the caller's user (every browser and device, this
/// one included), each the way [`logout`] ends one.
pub async fn logout_everywhere(state: &AppState, auth: &AuthUser) -> Result<usize> {
    let delete = Query::delete()
        .from_table(Sessions::Table)
        .and_where(Expr::col(Sessions::UserId).eq(auth.user.id))
        .returning_col(Sessions::TokenHash)
        .to_owned();
    // RETURNING names exactly the sessions this statement removed, even
    // if a login committed meanwhile.
    let mut tx = state.db.begin().await?;
    let ended: Vec<(String,)> = state.db.fetch_all(&mut tx, &delete).await?;
    for (session,) in &ended {
        fanout::announce_session_end(&state.db, &mut tx, session).await?;
    }
    tx.commit().await?;
    for (session,) in &ended {
        session_ended(state, session);
    }
    tracing::info!(
        user_id = auth.user.id,
        sessions = ended.len(),
        "logged out everywhere"
    );
    Ok(ended.len())
}

fn ttl_ms(state: &AppState) -> i64 {
    i64::try_from(state.settings.session_ttl.as_millis()).unwrap_or(i64::MAX / 2)
}

/// Forgets a session that no longer exists in the database.
pub fn session_ended(state: &AppState, session: &str) {
    state.sessions.forget(session);
    state.hub.end_session(session);
}

#[derive(sqlx::FromRow)]
struct SessionRow {
    id: i64,
    username: String,
    created_at: i64,
    expires_at: i64,
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
    let select = Query::select()
        .columns([
            (Users::Table, Users::Id),
            (Users::Table, Users::Username),
            (Users::Table, Users::CreatedAt),
        ])
        .column((Sessions::Table, Sessions::ExpiresAt))
        .from(Sessions::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Sessions::Table, Sessions::UserId)),
        )
        .and_where(Expr::col((Sessions::Table, Sessions::TokenHash)).eq(session.clone()))
        .and_where(Expr::col((Sessions::Table, Sessions::ExpiresAt)).gt(now))
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let mut row: SessionRow = state
        .db
        .fetch_optional(&mut conn, &select)
        .await?
        .ok_or(Error::Unauthorized)?;
    if row.expires_at < renew_at {
        row.expires_at = now + ttl;
        let renew = Query::update()
            .table(Sessions::Table)
            .value(Sessions::ExpiresAt, row.expires_at)
            .and_where(Expr::col(Sessions::TokenHash).eq(session.clone()))
            .to_owned();
        state.db.execute(&mut conn, &renew).await?;
    }
    drop(conn);
    let auth = AuthUser {
        user: User {
            id: row.id,
            username: row.username,
            created_at: to_rfc3339(row.created_at),
        },
        session,
    };
    state
        .sessions
        .remember(since, auth.clone(), row.expires_at, now);
    Ok(auth)
}

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

pub async fn authenticate_headers(state: &AppState, headers: &HeaderMap) -> Result<AuthUser> {
    let token = token_from_headers(headers).ok_or(Error::Unauthorized)?;
    authenticate(state, &token).await
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
    fn usernames_follow_the_rules() {
        assert!(validate_username("ann").is_ok());
        assert!(validate_username("a.b_c-9").is_ok());
        assert!(validate_username("ab").is_err());
        assert!(validate_username(&"a".repeat(33)).is_err());
        assert!(validate_username("ann smith").is_err());
        assert!(validate_username("änn").is_err());
    }

    #[test]
    fn passwords_are_8_to_128_chars() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password(&"x".repeat(128)).is_ok());
        assert!(validate_password(&"x".repeat(129)).is_err());
    }

    #[test]
    fn tokens_are_random_and_stored_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 43);
        assert_eq!(hash_token(&a).len(), 64);
        assert_eq!(hash_token(&a), hash_token(&a));
        assert_ne!(hash_token(&a), a);
    }

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

    #[tokio::test]
    async fn argon2id_round_trip() {
        let hash = hash_password("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(
            verify_password("correct horse".into(), hash.clone())
                .await
                .unwrap()
        );
        assert!(!verify_password("wrong horse".into(), hash).await.unwrap());
    }
}
