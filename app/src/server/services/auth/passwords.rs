//! Password hashing with argon2id (OWASP minimum: 19 MiB, t=2, p=1).
//!
//! A hash takes tens of milliseconds of CPU, so it runs on a blocking
//! thread, never on the executor where it would stall every socket, and at
//! most [`CONCURRENT_HASHES`] at a time, so a burst of logins waits instead
//! of taking gigabytes.

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};

use crate::limits::PASSWORD_CHARS;
use crate::server::error::{Error, Result};

pub fn validate_password(password: &str) -> Result<()> {
    if !PASSWORD_CHARS.contains(&password.chars().count()) {
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

pub async fn hash_password(password: String) -> Result<String> {
    on_hashing_thread(move || {
        let salt = SaltString::generate(&mut rand::rngs::OsRng);
        argon2()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| Error::Internal(format!("hashing password: {e}")))
    })
    .await
}

pub async fn verify_password(password: String, hash: String) -> Result<bool> {
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
pub async fn dummy_hash() -> &'static str {
    static DUMMY: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    DUMMY
        .get_or_init(|| async {
            hash_password("not-a-real-password".into())
                .await
                .unwrap_or_default()
        })
        .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_8_to_128_chars() {
        assert!(validate_password("1234567").is_err());
        assert!(validate_password("12345678").is_ok());
        assert!(validate_password(&"x".repeat(128)).is_ok());
        assert!(validate_password(&"x".repeat(129)).is_err());
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
