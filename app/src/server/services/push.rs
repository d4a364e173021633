//! Web Push subscriptions, and pushing to people with no tab open.
//!
//! The server posts to whatever endpoint a subscription names, so an
//! endpoint is a request the server makes on someone's behalf: it must be
//! `https` on one of the push services the operator allows
//! (`PUSH_SERVICES`), or the subscription API would let anyone make the
//! server call hosts of their choosing (SSRF). Plain `http` is taken only
//! for a loopback host the operator listed, which is how the tests play
//! the push service.

use base64::Engine;
use base64::engine::{GeneralPurpose, GeneralPurposeConfig};

use crate::model::{NewPushSubscription, PushSubscription};
use crate::server::error::{Error, Result};
use crate::server::live::push::{Outcome, Pusher, Target};
use crate::server::state::AppState;
use crate::server::storage::db::{Db, now_ms, to_rfc3339};
use crate::server::storage::push::{self, NewSubscription, SubscriptionRow};
use crate::server::storage::sessions::AuthUser;

/// Subscriptions one person keeps; subscribing past it forgets their
/// oldest (a browser that re-subscribed leaves its old one behind).
pub const MAX_SUBSCRIPTIONS: usize = 20;
/// Characters in an endpoint (real ones are under 300).
pub const MAX_ENDPOINT_CHARS: usize = 2000;

/// Who may be posted to, and who the server says it is.
#[derive(Clone, Debug)]
pub struct PushSettings {
    /// Hosts a subscription's endpoint may be on: `host` exactly, or
    /// `*.domain` for any host under it. `PUSH_SERVICES`, comma-separated.
    pub services: Vec<String>,
    /// The operator's contact (`mailto:` or `https:`), given to push
    /// services with every push. `PUSH_CONTACT`.
    pub contact: String,
}

impl Default for PushSettings {
    fn default() -> Self {
        Self {
            // The services of Chrome, Firefox, Edge and Safari.
            services: [
                "fcm.googleapis.com",
                "*.push.services.mozilla.com",
                "*.notify.windows.com",
                "*.push.apple.com",
            ]
            .map(String::from)
            .to_vec(),
            contact: "mailto:postmaster@localhost".into(),
        }
    }
}

/// The node's push client, with the VAPID key stored in the database (made
/// at the first start of the first node).
pub async fn pusher(db: &Db, settings: &PushSettings) -> Result<Pusher> {
    let mut conn = db.acquire().await?;
    let key = push::server_key(
        db,
        &mut conn,
        "vapid",
        crate::server::live::push::new_key,
        now_ms(),
    )
    .await?;
    Pusher::new(&key, &settings.contact).map_err(Error::Internal)
}

/// The public key browsers subscribe with.
pub fn key(state: &AppState) -> &str {
    state.pusher.public_key()
}

/// Stores the caller's browser's subscription (again: the same one, moved
/// to this session if another had it).
pub async fn subscribe(
    state: &AppState,
    auth: &AuthUser,
    new: &NewPushSubscription,
) -> Result<PushSubscription> {
    let service = allowed_endpoint(&new.endpoint, &state.settings.push.services)?;
    key_of_length(&new.keys.p256dh, "keys.p256dh", 65)?;
    key_of_length(&new.keys.auth, "keys.auth", 16)?;
    let new = NewSubscription {
        endpoint: &new.endpoint,
        p256dh: &new.keys.p256dh,
        auth: &new.keys.auth,
    };
    let db = &state.db;
    let mut tx = db.begin().await?;
    let row = push::subscribe(db, &mut tx, auth.user.id, &auth.session, &new, now_ms()).await?;
    let kept = push::of_user(db, &mut tx, auth.user.id).await?;
    // The oldest beyond the limit, never the one just made or moved here.
    let older: Vec<i64> = kept
        .iter()
        .map(|k| k.id)
        .filter(|&id| id != row.id)
        .collect();
    for &old in older
        .iter()
        .take((older.len() + 1).saturating_sub(MAX_SUBSCRIPTIONS))
    {
        push::delete(db, &mut tx, auth.user.id, old).await?;
    }
    tx.commit().await?;
    Ok(shown(&row, service))
}

/// The caller's subscriptions, oldest first.
pub async fn list(state: &AppState, auth: &AuthUser) -> Result<Vec<PushSubscription>> {
    let mut conn = state.db.acquire().await?;
    let rows = push::of_user(&state.db, &mut conn, auth.user.id).await?;
    Ok(rows
        .iter()
        .map(|row| shown(row, host(&row.endpoint).unwrap_or_default()))
        .collect())
}

/// Deletes one of the caller's subscriptions (none of theirs: not found).
pub async fn unsubscribe(state: &AppState, auth: &AuthUser, id: i64) -> Result<()> {
    let mut conn = state.db.acquire().await?;
    if push::delete(&state.db, &mut conn, auth.user.id, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Pushes `payload` to every browser the `people` subscribed, each in a
/// task of its own (waiting here only for a place among those in flight);
/// forgets the subscriptions the push service says are gone.
pub async fn push_to(
    state: &AppState,
    people: &[i64],
    payload: Vec<u8>,
    topic: String,
) -> Result<()> {
    let targets = {
        let mut conn = state.db.acquire().await?;
        push::to_push(&state.db, &mut conn, people, now_ms()).await?
    };
    let payload: std::sync::Arc<[u8]> = payload.into();
    for row in targets {
        let place = state.pusher.place().await;
        let (state, payload, topic) = (state.clone(), payload.clone(), topic.clone());
        tokio::spawn(async move {
            let target = Target {
                endpoint: row.endpoint.clone(),
                p256dh: row.p256dh.clone(),
                auth: row.auth.clone(),
            };
            let outcome = state.pusher.send(&target, &payload, &topic).await;
            drop(place);
            match outcome {
                Outcome::Sent => {}
                Outcome::Gone => {
                    let forgotten = match state.db.acquire().await {
                        Ok(mut conn) => {
                            push::forget(&state.db, &mut conn, row.id, &row.p256dh).await
                        }
                        Err(error) => Err(error.into()),
                    };
                    if let Err(error) = forgotten {
                        tracing::warn!(subscription = row.id, %error, "a gone push subscription was kept");
                    }
                }
                Outcome::Failed(error) => {
                    // The endpoint is a capability: its host only.
                    let service = host(&row.endpoint).unwrap_or_default();
                    tracing::warn!(
                        subscription = row.id,
                        service,
                        error,
                        "a push was not delivered"
                    );
                }
            }
        });
    }
    Ok(())
}

fn shown(row: &SubscriptionRow, service: String) -> PushSubscription {
    PushSubscription {
        id: row.id,
        service,
        created_at: to_rfc3339(row.created_at),
    }
}

/// The endpoint's host, if it is an absolute URL.
fn host(endpoint: &str) -> Option<String> {
    let uri: http::Uri = endpoint.parse().ok()?;
    uri.host().map(str::to_ascii_lowercase)
}

/// The endpoint's host, if the server may post to it (see the module doc).
fn allowed_endpoint(endpoint: &str, services: &[String]) -> Result<String> {
    let invalid = |message: &str| Error::Validation {
        field: "endpoint",
        message: message.into(),
    };
    if endpoint.chars().count() > MAX_ENDPOINT_CHARS {
        return Err(invalid(&format!(
            "The endpoint must be at most {MAX_ENDPOINT_CHARS} characters."
        )));
    }
    let uri: http::Uri = endpoint
        .parse()
        .map_err(|_| invalid("The endpoint must be an https URL."))?;
    let (Some(scheme), Some(authority)) = (uri.scheme_str(), uri.authority()) else {
        return Err(invalid("The endpoint must be an https URL."));
    };
    if authority.as_str().contains('@') {
        return Err(invalid(
            "The endpoint must not hold a user name or password.",
        ));
    }
    let host = authority
        .host()
        .trim_matches(['[', ']'])
        .to_ascii_lowercase();
    let loopback = host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !(scheme == "https" || scheme == "http" && loopback) {
        return Err(invalid("The endpoint must be an https URL."));
    }
    let listed = services
        .iter()
        .any(|allowed| match allowed.strip_prefix("*.") {
            Some(domain) => host
                .strip_suffix(domain)
                .is_some_and(|sub| sub.ends_with('.') && sub.len() > 1),
            None => host == *allowed,
        });
    if !listed {
        return Err(invalid(
            "The endpoint is not on a push service this server posts to.",
        ));
    }
    Ok(host)
}

/// base64url without padding, as browsers write keys, and canonical (no
/// stray bits in the last character), as the encryption reads them.
const KEYS: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::URL_SAFE,
    GeneralPurposeConfig::new()
        .with_encode_padding(false)
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::RequireNone),
);

/// Checks that `key` is base64url for `bytes` bytes.
fn key_of_length(key: &str, field: &'static str, bytes: usize) -> Result<()> {
    let decoded = KEYS.decode(key);
    if decoded.is_ok_and(|k| k.len() == bytes) {
        Ok(())
    } else {
        Err(Error::Validation {
            field,
            message: format!("{field} must be {bytes} bytes in base64url."),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn services() -> Vec<String> {
        PushSettings::default().services
    }

    #[test]
    fn endpoints_must_be_https_on_a_listed_push_service() {
        let ok = |e: &str| allowed_endpoint(e, &services());
        assert_eq!(
            ok("https://fcm.googleapis.com/fcm/send/abc").unwrap(),
            "fcm.googleapis.com"
        );
        assert_eq!(
            ok("https://updates.push.services.mozilla.com/wpush/v2/x").unwrap(),
            "updates.push.services.mozilla.com"
        );
        assert!(ok("https://web.push.apple.com/QGx").is_ok());
        for refused in [
            "http://fcm.googleapis.com/fcm/send/abc",
            "https://evil.example/fcm.googleapis.com",
            "https://fcm.googleapis.com.evil.example/x",
            "https://push.services.mozilla.com/x",
            "https://xpush.services.mozilla.com/x",
            "https://user:pw@fcm.googleapis.com/x",
            "https://169.254.169.254/latest",
            "/fcm/send/abc",
            "fcm.googleapis.com/fcm/send",
            "not a url at all",
            "",
        ] {
            assert!(ok(refused).is_err(), "{refused} was allowed");
        }
        assert!(ok(&format!("https://fcm.googleapis.com/{}", "a".repeat(2000))).is_err());
    }

    #[test]
    fn plain_http_only_on_a_listed_loopback_host() {
        let local = vec!["127.0.0.1".to_owned()];
        assert!(allowed_endpoint("http://127.0.0.1:9000/push/1", &local).is_ok());
        assert!(allowed_endpoint("http://127.0.0.1:9000/push/1", &services()).is_err());
        let example = vec!["push.example".to_owned()];
        assert!(allowed_endpoint("http://push.example/1", &example).is_err());
    }

    #[test]
    fn keys_must_decode_to_their_length() {
        use base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let p256dh = URL_SAFE_NO_PAD.encode([4u8; 65]);
        assert!(key_of_length(&p256dh, "keys.p256dh", 65).is_ok());
        assert!(key_of_length(&format!("{p256dh}="), "keys.p256dh", 65).is_err());
        // A last character with stray bits is no key's encoding.
        assert!(key_of_length(&"_".repeat(87), "keys.p256dh", 65).is_err());
        assert!(key_of_length(&"_".repeat(22), "keys.auth", 16).is_err());
        assert!(key_of_length(&URL_SAFE_NO_PAD.encode([4u8; 64]), "keys.p256dh", 65).is_err());
        assert!(key_of_length("!!!", "keys.auth", 16).is_err());
        assert!(key_of_length("", "keys.auth", 16).is_err());
    }
}
