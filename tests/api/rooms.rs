use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{assert_error, spawn_app};

#[tokio::test]
async fn creating_a_room_joins_its_creator_and_lists_it_for_everyone() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": "General"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = &body["room"];
    assert_eq!(room["name"], "General");
    assert_eq!(room["member_count"], 1);
    assert_eq!(room["joined"], true);
    assert_eq!(room["last_seq"], 0);

    let (status, list) = app.get("/api/rooms", &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    let rooms = list["rooms"].as_array().unwrap();
    assert_eq!(rooms.len(), 1);
    assert_eq!(rooms[0]["id"], room["id"]);
    assert_eq!(rooms[0]["joined"], false);
    for field in [
        "id",
        "name",
        "created_at",
        "member_count",
        "joined",
        "last_seq",
    ] {
        assert!(rooms[0].get(field).is_some(), "missing {field}");
    }
}

#[tokio::test]
async fn room_names_are_validated_and_stored_as_sent() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for name in [json!(""), json!("   "), json!("x".repeat(65)), json!(null)] {
        let (status, body) = app
            .post("/api/rooms", &ann.token, json!({"name": name}))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    }
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": " <b>ünï</b> "}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["room"]["name"], " <b>ünï</b> ");
    let (status, _) = app
        .post("/api/rooms", &ann.token, json!({"name": "é".repeat(64)}))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn room_names_are_unique_ignoring_case() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    app.create_room(&ann, "Random").await;
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": "rANDOM"}))
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "room_name_taken");
}

#[tokio::test]
async fn joining_is_idempotent_and_leaving_revokes_access() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    for _ in 0..2 {
        let (status, body) = app
            .post(&format!("/api/rooms/{room}/join"), &bob.token, json!({}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["room"]["member_count"], 2);
        assert_eq!(body["room"]["joined"], true);
    }
    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = app
        .get(&format!("/api/rooms/{room}/messages"), &bob.token)
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
}

#[tokio::test]
async fn missing_rooms_are_404() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for path in [
        "/api/rooms/999/join",
        "/api/rooms/999/leave",
        "/api/rooms/abc/join",
    ] {
        let (status, body) = app.post(path, &ann.token, json!({})).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "room_not_found");
    }
    let (status, body) = app.get("/api/rooms/999/messages", &ann.token).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "room_not_found");
}

#[tokio::test]
async fn rooms_need_a_login() {
    let app = spawn_app().await;
    let (status, body) = app.get("/api/rooms", "bogus").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}
