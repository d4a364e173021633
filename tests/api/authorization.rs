//! Nobody reads or changes what is not theirs, whichever way they come in.
//! The REST API is covered by schemathesis's `ignored_auth` check (every
//! operation without credentials) and by `messages.rs`, `rooms.rs` and
//! `websocket.rs`; this file tries every server function as a visitor, as
//! a non-member and with arguments that do not decode, since those are
//! called by the pages and are in no OpenAPI document.

use reqwest::StatusCode;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app};

/// Calls a server function as the pages do (a form-encoded POST), with the
/// caller's token if any; returns the status and the JSON answer.
async fn call(
    app: &TestApp,
    name: &str,
    token: Option<&str>,
    args: &[(&str, &str)],
) -> (StatusCode, Value) {
    let mut request = app
        .http
        .post(app.url(&format!("/api/fn/{name}")))
        .form(args);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    (status, response.json().await.unwrap())
}

#[tokio::test]
async fn a_visitor_gets_401_from_every_server_function_but_me() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "private talk").await.to_string();
    let calls: [(&str, &[(&str, &str)]); 6] = [
        ("rooms", &[]),
        ("create_room", &[("name", "mine now")]),
        ("join_room", &[("room_id", &room)]),
        ("open_room", &[("room_id", &room)]),
        ("history", &[("room_id", &room), ("before_seq", "100")]),
        ("logout", &[]),
    ];
    for (name, args) in calls {
        let (status, body) = call(&app, name, None, args).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(body["code"], "unauthorized", "{name}: {body}");
        let (status, body) = call(&app, name, Some("not-a-token"), args).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{name} with a bad token: {body}"
        );
    }
    let (status, body) = call(&app, "me", None, &[]).await;
    assert_eq!((status, body), (StatusCode::OK, Value::Null));
    let (_, rooms) = app.get("/api/rooms", &ann.token).await;
    assert_eq!(
        rooms["rooms"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
}

#[tokio::test]
async fn a_non_member_cannot_read_history_through_a_server_function() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "ann's").await;
    app.post_message(&ann, room, "for members").await;
    let (status, body) = call(
        &app,
        "history",
        Some(&bob.token),
        &[("room_id", &room.to_string()), ("before_seq", "100")],
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "not_a_member");
    // A room that does not exist is a client error too, never a 500.
    let (status, body) = call(
        &app,
        "history",
        Some(&bob.token),
        &[("room_id", "999999"), ("before_seq", "100")],
    )
    .await;
    assert!(status.is_client_error(), "{status} {body}");
}

#[tokio::test]
async fn arguments_that_do_not_decode_are_a_400_not_a_500() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for (name, args) in [
        ("join_room", vec![("room_id", "abc")]),
        ("join_room", vec![]),
        ("history", vec![("room_id", "1"), ("before_seq", "1e999")]),
        ("create_room", vec![]),
    ] {
        let (status, body) = call(&app, name, Some(&ann.token), &args).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{name} {args:?}: {body}");
        assert_eq!(body["code"], "validation_error", "{body}");
    }
}
