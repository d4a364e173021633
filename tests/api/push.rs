//! Web Push: a local HTTP server plays the push service. What the server
//! posts to it must be signed with the server's VAPID key and decrypt, with
//! the keys the "browser" subscribed with, to what the notification shows;
//! a push service that says a subscription is gone has it forgotten.

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU16, Ordering};
use std::time::Duration;

use app::server::Settings;
use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode as Status, Uri};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jwt_simple::prelude::{
    ECDSAP256PublicKeyLike, ES256PublicKey, NoCustomClaims, VerificationOptions,
};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::sync::mpsc;

use crate::helpers::{TestApp, assert_error, spawn_app_with};
use crate::support::api::TestUser;

/// One request the push service received.
struct Received {
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

/// The push service: records what it is sent, answers `status`.
struct PushService {
    addr: SocketAddr,
    received: mpsc::UnboundedReceiver<Received>,
    status: Arc<AtomicU16>,
}

impl PushService {
    async fn start() -> Self {
        let (sent, received) = mpsc::unbounded_channel();
        let status = Arc::new(AtomicU16::new(201));
        let answer = status.clone();
        let handler = move |uri: Uri, headers: HeaderMap, body: Bytes| {
            let (sent, answer) = (sent.clone(), answer.clone());
            async move {
                let path = uri.path().to_owned();
                let _ = sent.send(Received {
                    path,
                    headers,
                    body,
                });
                Status::from_u16(answer.load(Ordering::SeqCst)).unwrap()
            }
        };
        let router = axum::Router::new()
            .route("/push/{who}", axum::routing::post(handler))
            .with_state(());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, router).await });
        Self {
            addr,
            received,
            status,
        }
    }

    async fn next(&mut self) -> Received {
        tokio::time::timeout(Duration::from_secs(15), self.received.recv())
            .await
            .expect("a push within 15 s")
            .expect("the push service runs")
    }
}

/// A browser's side of a subscription: its keys, to decrypt with.
struct Browser {
    keys: ece::EcKeyComponents,
    auth: [u8; 16],
    subscription: Value,
}

impl Browser {
    fn new(service: &PushService, name: &str) -> Self {
        let (pair, auth) = ece::generate_keypair_and_auth_secret().unwrap();
        let subscription = json!({
            "endpoint": format!("http://{}/push/{name}", service.addr),
            "expirationTime": null,
            "keys": {
                "p256dh": URL_SAFE_NO_PAD.encode(pair.pub_as_raw().unwrap()),
                "auth": URL_SAFE_NO_PAD.encode(auth),
            },
        });
        Self {
            keys: pair.raw_components().unwrap(),
            auth,
            subscription,
        }
    }

    fn read(&self, push: &Received) -> Value {
        let plain = ece::decrypt(&self.keys, &self.auth, &push.body).expect("the payload decrypts");
        serde_json::from_slice(&plain).unwrap()
    }
}

/// The app, allowed to push to the local push service.
async fn app_pushing_locally() -> TestApp {
    let mut settings = Settings::default();
    settings.sends.burst = 1_000_000;
    settings.login.registrations_per_address = 1_000_000;
    settings.push.services = vec!["127.0.0.1".into()];
    settings.push.contact = "mailto:ops@chat.example".into();
    // Presence learns quickly that a closed tab is gone.
    settings.presence.beat = Duration::from_secs(1);
    spawn_app_with(settings).await
}

async fn subscribe(app: &TestApp, who: &TestUser, browser: &Browser) -> i64 {
    let (status, body) = app
        .post(
            "/api/push/subscriptions",
            &who.token,
            browser.subscription.clone(),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["subscription"]["service"], "127.0.0.1");
    body["subscription"]["id"].as_i64().unwrap()
}

async fn subscriptions(app: &TestApp, who: &TestUser) -> Vec<i64> {
    let (status, body) = app.get("/api/push/subscriptions", &who.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["subscriptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn someone_with_no_tab_open_is_pushed_a_signed_encrypted_notification() {
    let app = app_pushing_locally().await;
    let mut service = PushService::start().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (anns_browser, bobs_browser) =
        (Browser::new(&service, "ann"), Browser::new(&service, "bob"));
    subscribe(&app, &ann, &anns_browser).await;
    let id = subscribe(&app, &bob, &bobs_browser).await;
    // Subscribing again (every start of the page does) keeps the one.
    assert_eq!(subscribe(&app, &bob, &bobs_browser).await, id);
    assert_eq!(subscriptions(&app, &bob).await, [id]);
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;

    let message = app.post_message(&ann, room, "@bob are you there?").await;
    let push = service.next().await;
    assert_eq!(
        push.path, "/push/bob",
        "only Bob was pushed: not the author"
    );
    let header = |name: &str| {
        push.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    };
    assert_eq!(header("content-encoding"), "aes128gcm");
    assert_eq!(header("ttl"), "86400");
    assert_eq!(header("topic"), format!("room-{room}"));

    // Signed with the key browsers subscribe with (RFC 8292).
    let (_, key) = app.call(Method::GET, "/api/push/key", None, None).await;
    let key = key["key"].as_str().unwrap().to_owned();
    let vapid = header("authorization")
        .strip_prefix("vapid ")
        .expect("a VAPID authorization");
    let mut parts = vapid.split(", ");
    let token = parts.next().unwrap().strip_prefix("t=").unwrap();
    assert_eq!(parts.next().unwrap().strip_prefix("k=").unwrap(), key);
    let public = ES256PublicKey::from_bytes(&URL_SAFE_NO_PAD.decode(&key).unwrap()).unwrap();
    let options = VerificationOptions {
        allowed_audiences: Some(HashSet::from([format!("http://{}", service.addr)])),
        ..Default::default()
    };
    let claims = public
        .verify_token::<NoCustomClaims>(token, Some(options))
        .expect("a valid VAPID token for the push service's origin");
    assert_eq!(claims.subject.as_deref(), Some("mailto:ops@chat.example"));
    let another = ES256PublicKey::from_bytes(
        &URL_SAFE_NO_PAD
            .decode(
                Browser::new(&service, "x").subscription["keys"]["p256dh"]
                    .as_str()
                    .unwrap(),
            )
            .unwrap(),
    )
    .unwrap();
    assert!(another.verify_token::<NoCustomClaims>(token, None).is_err());

    // What the notification shows, and where its click leads.
    assert_eq!(
        bobs_browser.read(&push),
        json!({
            "title": "ann in general",
            "body": "@bob are you there?",
            "url": format!("/rooms/{room}?seq={}", message["seq"]),
            "tag": format!("chat-message-{}", message["id"]),
        })
    );
}

#[tokio::test]
async fn nothing_is_pushed_while_a_tab_is_open_and_a_gone_subscription_is_forgotten() {
    let app = app_pushing_locally().await;
    let mut service = PushService::start().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let browser = Browser::new(&service, "bob");
    subscribe(&app, &bob, &browser).await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;

    // With a tab open, Bob is told there, and nothing is pushed.
    let mut tab = app.socket(&bob).await.hear_notifications();
    app.post_message(&ann, room, "@bob in the tab").await;
    loop {
        let frame = tab.frame().await;
        if frame["type"] == "notification" {
            assert_eq!(frame["body"], "@bob in the tab");
            break;
        }
    }
    drop(tab);
    // Tab closed: pushed from then on (once the server saw it close).
    let mut tries = 0;
    let push = loop {
        tries += 1;
        app.post_message(&ann, room, &format!("@bob try {tries}"))
            .await;
        match tokio::time::timeout(Duration::from_millis(500), service.received.recv()).await {
            Ok(push) => break push.unwrap(),
            Err(_) => assert!(tries < 30, "never pushed after the tab closed"),
        }
    };
    assert!(
        browser.read(&push)["body"]
            .as_str()
            .unwrap()
            .starts_with("@bob try"),
        "the message told in the open tab was pushed too"
    );

    // The push service says the subscription is gone: it is forgotten.
    service.status.store(410, Ordering::SeqCst);
    while service.received.try_recv().is_ok() {}
    app.post_message(&ann, room, "@bob gone?").await;
    service.next().await;
    for _ in 0..50 {
        if subscriptions(&app, &bob).await.is_empty() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the gone subscription was kept");
}

#[tokio::test]
async fn a_subscription_is_its_sessions_and_its_owners_own() {
    let app = app_pushing_locally().await;
    let service = PushService::start().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let browser = Browser::new(&service, "shared");
    let id = subscribe(&app, &bob, &browser).await;

    // Nobody else removes it.
    let path = format!("/api/push/subscriptions/{id}");
    let (status, body) = app
        .call(Method::DELETE, &path, Some(&ann.token), None)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    assert_eq!(subscriptions(&app, &bob).await, [id]);
    let (status, _) = app
        .call(Method::DELETE, &path, Some(&bob.token), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .call(Method::DELETE, &path, Some(&bob.token), None)
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");

    // The same browser, logged in as Ann: the subscription is hers now.
    let id = subscribe(&app, &bob, &browser).await;
    assert_eq!(subscribe(&app, &ann, &browser).await, id);
    assert!(subscriptions(&app, &bob).await.is_empty());
    assert_eq!(subscriptions(&app, &ann).await, [id]);

    // Logging out ends the session's subscriptions.
    let (status, _) = app.post("/api/auth/logout", &ann.token, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": crate::helpers::PASSWORD})),
        )
        .await;
    let ann = TestUser {
        token: body["token"].as_str().unwrap().to_owned(),
        id: ann.id,
    };
    assert!(subscriptions(&app, &ann).await.is_empty());
}

#[tokio::test]
async fn subscriptions_are_checked() {
    let app = app_pushing_locally().await;
    let service = PushService::start().await;
    let bob = app.register("bob").await;
    let good = Browser::new(&service, "bob").subscription;
    let with = |field: &str, value: Value| {
        let mut body = good.clone();
        match field.split_once('.') {
            Some((outer, inner)) => body[outer][inner] = value,
            None => body[field] = value,
        }
        body
    };
    for body in [
        // Not a push service the server may post to (SSRF).
        with("endpoint", json!("https://evil.example/push/1")),
        with("endpoint", json!("http://10.0.0.1/push/1")),
        with("endpoint", json!("ftp://127.0.0.1/push/1")),
        with("endpoint", json!("/push/1")),
        with(
            "endpoint",
            json!(format!("http://127.0.0.1/{}", "a".repeat(2000))),
        ),
        with("keys.p256dh", json!(URL_SAFE_NO_PAD.encode([4u8; 64]))),
        with("keys.p256dh", json!("not base64!")),
        with("keys.auth", json!(URL_SAFE_NO_PAD.encode([1u8; 15]))),
    ] {
        let (status, answer) = app
            .post("/api/push/subscriptions", &bob.token, body.clone())
            .await;
        assert_error(status, &answer, StatusCode::BAD_REQUEST, "validation_error");
    }
    let (status, answer) = app
        .post(
            "/api/push/subscriptions",
            &bob.token,
            json!({"endpoint": "http://127.0.0.1/x"}),
        )
        .await;
    assert_error(status, &answer, StatusCode::BAD_REQUEST, "validation_error");
    let (status, answer) = app
        .call(Method::POST, "/api/push/subscriptions", None, Some(good))
        .await;
    assert_error(status, &answer, StatusCode::UNAUTHORIZED, "unauthorized");
    assert!(subscriptions(&app, &bob).await.is_empty());
}

#[tokio::test]
async fn past_the_limit_the_oldest_go_never_the_one_just_subscribed() {
    let app = app_pushing_locally().await;
    let service = PushService::start().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    // Ann's browser subscribed first: the lowest id.
    let shared = Browser::new(&service, "shared");
    let moved = subscribe(&app, &ann, &shared).await;
    let mut bobs = Vec::new();
    for i in 0..app::server::services::push::MAX_SUBSCRIPTIONS {
        bobs.push(subscribe(&app, &bob, &Browser::new(&service, &format!("bob{i}"))).await);
    }
    // Bob logs in on Ann's browser: it is his now, and his oldest goes.
    assert_eq!(subscribe(&app, &bob, &shared).await, moved);
    let mut kept = subscriptions(&app, &bob).await;
    kept.sort();
    let mut expected: Vec<i64> = bobs[1..].to_vec();
    expected.push(moved);
    expected.sort();
    assert_eq!(kept, expected);
}
