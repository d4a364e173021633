use std::collections::BTreeSet;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};

fn seqs(page: &Value) -> Vec<i64> {
    page["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["seq"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_posted_message_has_the_documented_shape_and_is_in_history() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &ann.token,
            json!({"body": "  <b>hi</b>\n", "client_id": "c-1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let message = &body["message"];
    assert_eq!(message["room_id"], room);
    assert_eq!(message["seq"], 1);
    assert_eq!(message["author"], json!({"id": ann.id, "username": "ann"}));
    assert_eq!(message["body"], "  <b>hi</b>\n");
    assert_eq!(message["client_id"], "c-1");
    assert!(message["id"].as_i64().is_some());
    let created = message["created_at"].as_str().unwrap();
    assert!(created.len() == 24 && created.ends_with('Z'), "{created}");

    let (status, page) = app
        .get(&format!("/api/rooms/{room}/messages"), &ann.token)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(page["messages"][0], *message);
    assert_eq!(page["has_more"], false);
    let (_, rooms) = app.get("/api/rooms", &ann.token).await;
    assert_eq!(rooms["rooms"][0]["last_seq"], 1);
}

/// The body is stored as sent and rendered once, on the server: the same
/// safe HTML in the post's answer, the live frame and the history.
#[tokio::test]
async fn bodies_carry_their_formatted_html_everywhere() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "formatting").await;
    let mut socket = app.socket(&ann).await;
    socket.subscribe(room, None).await;
    let body = "**bold** <img src=x onerror=alert(1)> see https://example.com/a.\n[x](javascript:alert(1))";
    let (status, answer) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &ann.token,
            json!({"body": body}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let message = &answer["message"];
    assert_eq!(message["body"], body, "stored exactly as sent");
    let html = message["body_html"].as_str().unwrap();
    assert!(html.contains("<strong>bold</strong>"), "{html}");
    assert!(
        html.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "markup is text: {html}"
    );
    assert!(
        html.contains(r#"<a href="https://example.com/a" target="_blank" rel="noopener noreferrer nofollow ugc">"#),
        "{html}"
    );
    assert!(
        !html.contains("javascript:") && !html.contains("<img"),
        "{html}"
    );

    let live = socket.frame().await;
    assert_eq!(live["message"], *message);
    let (_, page) = app
        .get(&format!("/api/rooms/{room}/messages"), &ann.token)
        .await;
    assert_eq!(page["messages"][0], *message);
}

#[tokio::test]
async fn a_repeated_client_id_returns_the_original_and_stores_nothing() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    let path = format!("/api/rooms/{room}/messages");
    let (first_status, first) = app
        .post(
            &path,
            &ann.token,
            json!({"body": "once", "client_id": "same"}),
        )
        .await;
    let (again_status, again) = app
        .post(
            &path,
            &ann.token,
            json!({"body": "once", "client_id": "same"}),
        )
        .await;
    assert_eq!(first_status, StatusCode::CREATED);
    assert_eq!(again_status, StatusCode::OK);
    assert_eq!(first, again);
    let (_, page) = app.get(&path, &ann.token).await;
    assert_eq!(seqs(&page), vec![1]);
}

#[tokio::test]
async fn message_bodies_are_validated() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    let path = format!("/api/rooms/{room}/messages");
    let padded_over = format!(" {} ", "x".repeat(3999));
    for body in [
        json!(""),
        json!(" \n "),
        json!("x".repeat(4001)),
        json!(padded_over),
        json!(42),
    ] {
        let (status, json) = app.post(&path, &ann.token, json!({"body": body})).await;
        assert_error(status, &json, StatusCode::BAD_REQUEST, "validation_error");
    }
    let (status, _) = app
        .post(
            &path,
            &ann.token,
            json!({"body": format!(" {} ", "x".repeat(3998))}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, page) = app.get(&path, &ann.token).await;
    assert_eq!(seqs(&page), vec![1], "rejected posts must not use a seq");
}

#[tokio::test]
async fn only_members_read_and_post() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    let path = format!("/api/rooms/{room}/messages");
    let (status, body) = app.post(&path, &bob.token, json!({"body": "hi"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = app.get(&path, &bob.token).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = app
        .post(
            "/api/rooms/4242/messages",
            &ann.token,
            json!({"body": "hi"}),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "room_not_found");
}

#[tokio::test]
async fn history_pages_backwards_and_forwards() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    for i in 1..=120 {
        app.post_message(&ann, room, &format!("message {i}")).await;
    }
    let base = format!("/api/rooms/{room}/messages");
    let (_, newest) = app.get(&base, &ann.token).await;
    assert_eq!(seqs(&newest), (71..=120).collect::<Vec<_>>());
    assert_eq!(newest["has_more"], true);

    let (_, older) = app
        .get(&format!("{base}?before_seq=71&limit=50"), &ann.token)
        .await;
    assert_eq!(seqs(&older), (21..=70).collect::<Vec<_>>());
    assert_eq!(older["has_more"], true);
    let (_, oldest) = app.get(&format!("{base}?before_seq=21"), &ann.token).await;
    assert_eq!(seqs(&oldest), (1..=20).collect::<Vec<_>>());
    assert_eq!(oldest["has_more"], false);

    let (_, after) = app.get(&format!("{base}?after_seq=100"), &ann.token).await;
    assert_eq!(seqs(&after), (101..=120).collect::<Vec<_>>());
    assert_eq!(after["has_more"], false);
    // A forwards page that stops short keeps its start and says there is more.
    let (_, first) = app
        .get(&format!("{base}?after_seq=0&limit=50"), &ann.token)
        .await;
    assert_eq!(seqs(&first), (1..=50).collect::<Vec<_>>());
    assert_eq!(first["has_more"], true);
    // Both bounds: the gap between them, read forwards.
    let (_, gap) = app
        .get(
            &format!("{base}?after_seq=10&before_seq=100&limit=5"),
            &ann.token,
        )
        .await;
    assert_eq!(seqs(&gap), (11..=15).collect::<Vec<_>>());
    assert_eq!(gap["has_more"], true);
    let (_, max) = app
        .get(&format!("{base}?after_seq=0&limit=200"), &ann.token)
        .await;
    assert_eq!(seqs(&max).len(), 120);

    for bad in ["limit=0", "limit=201", "limit=abc", "before_seq=x"] {
        let (status, body) = app.get(&format!("{base}?{bad}"), &ann.token).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    }
}

#[tokio::test]
async fn concurrent_writers_get_every_seq_exactly_once() {
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let room = app.create_room(&owner, "busy").await;
    let mut writers = Vec::new();
    for w in 0..5 {
        let user = app.register(&format!("writer{w}")).await;
        app.join(&user, room).await;
        writers.push(user);
    }
    let app = std::sync::Arc::new(app);
    let mut tasks = Vec::new();
    for (w, user) in writers.into_iter().enumerate() {
        for i in 0..20 {
            let (app, token) = (app.clone(), user.token.clone());
            tasks.push(tokio::spawn(async move {
                let (status, body) = app
                    .post(
                        &format!("/api/rooms/{room}/messages"),
                        &token,
                        json!({"body": format!("{w}-{i}")}),
                    )
                    .await;
                assert_eq!(status, StatusCode::CREATED, "{body}");
                body["message"]["seq"].as_i64().unwrap()
            }));
        }
    }
    let mut seen = BTreeSet::new();
    for task in tasks {
        assert!(
            seen.insert(task.await.unwrap()),
            "a seq was handed out twice"
        );
    }
    // The five joins took seqs 1 to 5.
    assert_eq!(seen, (6..=105).collect());
    let (_, page) = app
        .get(
            &format!("/api/rooms/{room}/messages?limit=200"),
            &owner.token,
        )
        .await;
    assert_eq!(seqs(&page), (6..=105).collect::<Vec<_>>());
}

#[tokio::test]
async fn a_page_around_a_seq_has_it_in_the_middle_and_says_what_lies_either_side() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    let mut seqs = Vec::new();
    for i in 0..30 {
        let message = app.post_message(&ann, room, &format!("line {i}")).await;
        seqs.push(message["seq"].as_i64().unwrap());
    }
    let around = |seq: i64, limit: i64| {
        let path = format!("/api/rooms/{room}/messages?around_seq={seq}&limit={limit}");
        let token = ann.token.clone();
        let app = &app;
        async move { app.get(&path, &token).await }
    };
    let page_seqs = |page: &Value| -> Vec<i64> {
        page["messages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["seq"].as_i64().unwrap())
            .collect()
    };
    let (status, page) = around(seqs[15], 10).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert_eq!(page_seqs(&page), seqs[11..21]);
    assert_eq!(
        (page["has_more"].clone(), page["has_newer"].clone()),
        (json!(true), json!(true))
    );
    let (_, page) = around(seqs[29], 10).await;
    assert_eq!(page_seqs(&page), seqs[25..30]);
    assert_eq!(page["has_newer"], Value::Null, "nothing newer: left out");
    let (_, page) = around(seqs[1], 10).await;
    assert_eq!(
        page_seqs(&page),
        seqs[..7],
        "the room's start, and what follows"
    );
    assert_eq!(page["has_more"], false);

    let (status, body) = app
        .get(
            &format!("/api/rooms/{room}/messages?around_seq=3&before_seq=9"),
            &ann.token,
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "around_seq");
    let (status, body) = app
        .get(
            &format!("/api/rooms/{room}/messages?around_seq={}", seqs[3]),
            &bob.token,
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
}
