//! What keeps other sites out: the page's Content-Security-Policy and its
//! per-response nonce, and the refusal of requests that another site's page
//! made with the user's cookie (REST, server functions, the WebSocket).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_SECURITY_POLICY, COOKIE, ORIGIN};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{assert_error, spawn_app};

const FOREIGN: &str = "https://evil.example";

/// The nonce a page's policy allows, and the page.
async fn page_and_nonce(app: &crate::helpers::TestApp) -> (String, String) {
    let response = app.http.get(app.url("/login")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let csp = response.headers()[CONTENT_SECURITY_POLICY]
        .to_str()
        .unwrap()
        .to_owned();
    let script_src = csp
        .split(';')
        .map(str::trim)
        .find(|d| d.starts_with("script-src"))
        .unwrap_or_else(|| panic!("script-src in {csp}"))
        .to_owned();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let nonce = script_src
        .split_whitespace()
        .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
        .unwrap_or_else(|| panic!("a nonce in {csp}"))
        .to_owned();
    (response.text().await.unwrap(), nonce)
}

#[tokio::test]
async fn pages_allow_only_our_scripts_and_their_own_nonce() {
    let app = spawn_app().await;
    let (page, nonce) = page_and_nonce(&app).await;
    assert!(
        page.contains(&format!("<script type=\"module\" nonce=\"{nonce}\"")),
        "the hydration script carries the policy's nonce: {page}"
    );
    let (_, again) = page_and_nonce(&app).await;
    assert_ne!(nonce, again, "a fresh nonce for every response");
    assert!(nonce.len() >= 16, "{nonce}");
}

#[tokio::test]
async fn answers_that_are_not_pages_may_run_nothing() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()[CONTENT_SECURITY_POLICY],
        "default-src 'none'; frame-ancestors 'none'"
    );
}

/// POST `path` as a browser would: the session cookie, an `Origin`.
async fn post_with_cookie(
    app: &crate::helpers::TestApp,
    path: &str,
    token: &str,
    origin: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(app.url(path))
        .header(COOKIE, format!("chat_session={token}"))
        .json(&body);
    if let Some(origin) = origin {
        request = request.header(ORIGIN, origin);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn a_foreign_page_cannot_change_anything_with_the_cookie() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let ours = format!("http://{}", app.server.addr);

    let (status, body) = post_with_cookie(
        &app,
        "/api/rooms",
        &ann.token,
        Some(FOREIGN),
        json!({"name": "csrf"}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "cross_site_request");
    let status = app
        .http
        .post(app.url("/api/fn/create_room"))
        .header(COOKIE, format!("chat_session={}", ann.token))
        .header(ORIGIN, FOREIGN)
        .form(&[("name", "csrf")])
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "server functions are checked too"
    );
    let (status, body) = app.get("/api/rooms", &ann.token).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["rooms"].as_array().map(Vec::len), Some(0), "{body}");

    let (status, body) = post_with_cookie(
        &app,
        "/api/auth/logout",
        &ann.token,
        Some(FOREIGN),
        json!({}),
    )
    .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "cross_site_request");
    let (status, _) = app.get("/api/me", &ann.token).await;
    assert_eq!(status, StatusCode::OK, "the session survived");

    // Our own pages, and programs (no Origin), are served.
    let (status, body) = post_with_cookie(
        &app,
        "/api/rooms",
        &ann.token,
        Some(&ours),
        json!({"name": "ours"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, body) = post_with_cookie(
        &app,
        "/api/rooms",
        &ann.token,
        None,
        json!({"name": "program"}),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn a_bearer_token_is_not_subject_to_the_origin_check() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let response = app
        .http
        .post(app.url("/api/rooms"))
        .bearer_auth(&ann.token)
        .header(ORIGIN, FOREIGN)
        .json(&json!({"name": "from a script"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_foreign_page_cannot_open_a_socket() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut request = format!("ws://{}/ws", app.server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Cookie",
        format!("chat_session={}", ann.token).parse().unwrap(),
    );
    request
        .headers_mut()
        .insert("Origin", FOREIGN.parse().unwrap());
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            // In the documented error shape, like every other refusal.
            let body: Value =
                serde_json::from_slice(response.body().as_deref().unwrap_or_default())
                    .expect("a JSON error body");
            assert_error(
                response.status(),
                &body,
                StatusCode::FORBIDDEN,
                "cross_site_request",
            );
        }
        other => panic!("expected 403, got {:?}", other.map(|(_, r)| r.status())),
    }
}
