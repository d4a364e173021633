//! Every refusal answers in the documented shape,
//! `{"error":{"code","message"}}` with the matching status, whichever layer
//! refuses: the router (unknown path, wrong method), the WebSocket endpoint
//! asked without a handshake, the body limit, the extractors. A client
//! never has to parse plain text or an empty body to learn what went wrong.

use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn every_refusal_has_a_code_and_a_message() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "errors").await;
    let cases: [(Method, String, Option<&str>, StatusCode, &str); 8] = [
        (
            Method::GET,
            "/api/nothing-here".into(),
            None,
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            Method::DELETE,
            "/api/rooms".into(),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::PUT,
            format!("/api/rooms/{room}/messages"),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::POST,
            "/ws".into(),
            None,
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
        ),
        (
            Method::GET,
            "/ws".into(),
            None,
            StatusCode::BAD_REQUEST,
            "websocket_upgrade_required",
        ),
        (
            Method::GET,
            "/api/rooms/seven/messages".into(),
            None,
            StatusCode::NOT_FOUND,
            "room_not_found",
        ),
        (
            Method::POST,
            "/api/rooms".into(),
            Some("{not json"),
            StatusCode::BAD_REQUEST,
            "validation_error",
        ),
        (
            Method::GET,
            "/api/me".into(),
            None,
            StatusCode::UNAUTHORIZED,
            "unauthorized",
        ),
    ];
    for (method, path, body, status, code) in cases {
        let mut request = app.http.request(method.clone(), app.url(&path));
        if code != "unauthorized" {
            request = request.bearer_auth(&ann.token);
        }
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body.to_owned());
        }
        let response = request.send().await.unwrap();
        let got = response.status();
        let text = response.text().await.unwrap();
        let json: Value = serde_json::from_str(&text)
            .unwrap_or_else(|_| panic!("{method} {path}: not JSON ({got}): {text:?}"));
        assert_error(got, &json, status, code);
    }
}
