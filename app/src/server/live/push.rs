//! Web Push: getting a notification to a browser with no tab of ours open,
//! through the push service its vendor runs (RFC 8030). The payload is
//! encrypted to the keys the browser gave (RFC 8291, `aes128gcm`) and the
//! request signed with the server's VAPID key (RFC 8292), so the push
//! service learns where a push goes, when and how big it is, never what it
//! says, and takes pushes for our subscriptions from us only.
//!
//! A push is a courtesy, as the `notification` frame is: one that fails is
//! logged and dropped, never retried. The one answer acted on is "gone"
//! (404, 410): the browser unsubscribed or the subscription expired, and
//! the caller forgets it. Redirects are not followed: the server posts
//! only where a subscription points, which the services checked.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use web_push::{
    ContentEncoding, PartialVapidSignatureBuilder, SubscriptionInfo, VapidSignatureBuilder,
    WebPushMessageBuilder,
};

/// How long a push service has to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Pushes on their way at once; more wait for a place.
const IN_FLIGHT: usize = 32;
/// How long a push service keeps a push for a browser that is offline.
const KEEP_FOR_SECS: u32 = 24 * 60 * 60;

/// Where one push goes: a subscription's endpoint and the browser's keys
/// (base64url, as the browser gave them).
#[derive(Clone, Debug)]
pub struct Target {
    pub endpoint: String,
    pub p256dh: String,
    pub auth: String,
}

/// What came of a push.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    Sent,
    /// The push service no longer knows the subscription (404, 410).
    Gone,
    Failed(String),
}

/// The node's Web Push client: the VAPID key and an HTTPS client.
#[derive(Clone)]
pub struct Pusher {
    key: PartialVapidSignatureBuilder,
    public_key: Arc<str>,
    /// The operator's contact, the `sub` claim push services may use.
    contact: Arc<str>,
    http: reqwest::Client,
    places: Arc<Semaphore>,
}

/// A new VAPID private key (a P-256 scalar, base64url), to be stored.
pub fn new_key() -> String {
    let pair = jwt_simple::algorithms::ES256KeyPair::generate();
    URL_SAFE_NO_PAD.encode(pair.to_bytes())
}

impl Pusher {
    /// The client for the stored private key `key` (see [`new_key`]).
    pub fn new(key: &str, contact: &str) -> Result<Self, String> {
        let key = VapidSignatureBuilder::from_base64_no_sub(key)
            .map_err(|e| format!("the stored VAPID key is unusable: {e:?}"))?;
        let http = reqwest::Client::builder()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| format!("cannot make the push client: {e}"))?;
        Ok(Self {
            public_key: URL_SAFE_NO_PAD.encode(key.get_public_key()).into(),
            key,
            contact: contact.into(),
            http,
            places: Arc::new(Semaphore::new(IN_FLIGHT)),
        })
    }

    /// The public key browsers subscribe with (`applicationServerKey`):
    /// an uncompressed P-256 point, base64url.
    pub fn public_key(&self) -> &str {
        &self.public_key
    }

    /// Waits for a place among the pushes in flight: whoever pushes holds
    /// one for the push, so a burst queues here instead of opening
    /// connections without end.
    pub async fn place(&self) -> OwnedSemaphorePermit {
        self.places
            .clone()
            .acquire_owned()
            .await
            .expect("the semaphore is never closed")
    }

    /// Sends `payload` (at most 3,052 bytes) to `target`. `topic` lets the
    /// push service replace an undelivered push of the same topic.
    pub async fn send(&self, target: &Target, payload: &[u8], topic: &str) -> Outcome {
        let request = match self.request(target, payload, topic) {
            Ok(request) => request,
            Err(error) => return Outcome::Failed(error),
        };
        match request.send().await {
            Ok(answer) => match answer.status().as_u16() {
                200..=299 => Outcome::Sent,
                404 | 410 => Outcome::Gone,
                status => Outcome::Failed(format!("the push service answered {status}")),
            },
            // Without the URL: an endpoint is a capability, never logged.
            Err(error) => Outcome::Failed(format!(
                "the push service did not answer: {}",
                error.without_url()
            )),
        }
    }

    fn request(
        &self,
        target: &Target,
        payload: &[u8],
        topic: &str,
    ) -> Result<reqwest::RequestBuilder, String> {
        let info = SubscriptionInfo::new(
            target.endpoint.as_str(),
            target.p256dh.as_str(),
            target.auth.as_str(),
        );
        let audience = origin(&target.endpoint)?;
        let mut signature = self.key.clone().add_sub_info(&info);
        signature.add_claim("sub", &*self.contact);
        // The endpoint's origin, port included (RFC 8292 §2): the library's
        // own guess drops the port.
        signature.add_claim("aud", audience.as_str());
        let signature = signature
            .build()
            .map_err(|e| format!("cannot sign: {e:?}"))?;
        let mut message = WebPushMessageBuilder::new(&info);
        message.set_ttl(KEEP_FOR_SECS);
        message.set_topic(topic.to_owned());
        message.set_payload(ContentEncoding::Aes128Gcm, payload);
        message.set_vapid_signature(signature);
        let message = message
            .build()
            .map_err(|e| format!("cannot encrypt: {e:?}"))?;
        let payload = message.payload.ok_or("no payload")?;
        let mut request = self
            .http
            .post(&target.endpoint)
            .header("TTL", message.ttl.to_string())
            .header("Content-Encoding", payload.content_encoding.to_str())
            .header("Content-Type", "application/octet-stream");
        if let Some(topic) = message.topic {
            request = request.header("Topic", topic);
        }
        for (name, value) in payload.crypto_headers {
            request = request.header(name, value);
        }
        Ok(request.body(payload.content))
    }
}

/// `scheme://host[:port]` of an absolute URL.
fn origin(url: &str) -> Result<String, String> {
    let uri: http::Uri = url.parse().map_err(|_| "not a URL".to_owned())?;
    match (uri.scheme_str(), uri.authority()) {
        (Some(scheme), Some(authority)) => Ok(format!("{scheme}://{}", authority.as_str())),
        _ => Err("not an absolute URL".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_key_makes_a_client_with_a_65_byte_public_key() {
        let pusher = Pusher::new(&new_key(), "mailto:ops@example.com").unwrap();
        let public = URL_SAFE_NO_PAD.decode(pusher.public_key()).unwrap();
        assert_eq!(public.len(), 65);
        assert_eq!(public[0], 4, "an uncompressed point");
        assert!(Pusher::new("not a key", "mailto:ops@example.com").is_err());
    }

    #[test]
    fn the_audience_is_the_endpoints_origin_with_its_port() {
        assert_eq!(
            origin("https://push.example:8443/send/abc?x=1").unwrap(),
            "https://push.example:8443"
        );
        assert_eq!(
            origin("https://fcm.googleapis.com/fcm/send/x").unwrap(),
            "https://fcm.googleapis.com"
        );
        assert!(origin("/relative").is_err());
    }
}
