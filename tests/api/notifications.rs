//! Notifications: each member's level (every message, mentions and direct
//! messages, nothing) and mute decide who is told of a message, on all
//! their sockets; never its author.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app};
use crate::support::api::{TestUser, assert_error};
use crate::support::socket::{Next, TestSocket};

async fn set(app: &TestApp, who: &TestUser, room: i64, settings: Value) -> (StatusCode, Value) {
    app.call(
        Method::PUT,
        &format!("/api/rooms/{room}/notifications"),
        Some(&who.token),
        Some(settings),
    )
    .await
}

/// The notifications the socket hears within a short wait.
async fn heard(socket: &mut TestSocket) -> Vec<Value> {
    let mut heard = Vec::new();
    while let Some(Next::Frame(frame)) = socket.next_within(Duration::from_millis(700)).await {
        if frame["type"] == "notification" {
            heard.push(frame);
        }
    }
    heard
}

async fn bodies(socket: &mut TestSocket) -> Vec<String> {
    heard(socket)
        .await
        .iter()
        .map(|n| n["body"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn each_members_level_and_mute_decide_what_they_are_told_of() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let [bob, cyd, dan, eve] = [
        app.register("bob").await,
        app.register("cyd").await,
        app.register("dan").await,
        app.register("eve").await,
    ];
    let room = app.create_room(&ann, "general").await;
    for who in [&bob, &cyd, &dan, &eve] {
        app.join(who, room).await;
    }
    // Bob keeps the default; Cyd hears everything, Dan nothing, and Eve
    // asked for everything but muted the room.
    let (status, body) = set(&app, &cyd, room, json!({"level": "all"})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["notify"], "all");
    assert_eq!(body["room"]["muted"], false);
    set(&app, &dan, room, json!({"level": "none"})).await;
    set(&app, &eve, room, json!({"level": "all"})).await;
    let (_, body) = set(&app, &eve, room, json!({"muted": true})).await;
    assert_eq!(
        (
            body["room"]["notify"].clone(),
            body["room"]["muted"].clone()
        ),
        (json!("all"), json!(true))
    );
    assert_eq!(
        app.listed_room(&bob, room).await.unwrap()["notify"],
        "mentions"
    );
    // Ann, who wrote them, hears of none of her own messages.
    set(&app, &ann, room, json!({"level": "all"})).await;

    let mut sockets = Vec::new();
    for who in [&ann, &bob, &cyd, &dan, &eve] {
        sockets.push(app.socket(who).await.hear_notifications());
    }
    app.post_message(&ann, room, "plain news").await;
    app.post_message(&ann, room, "@bob look at this").await;
    app.post_message(&ann, room, "@room meeting now").await;
    let [anns, bobs, cyds, dans, eves] = &mut sockets[..] else {
        unreachable!()
    };
    assert!(bodies(anns).await.is_empty(), "the author was told");
    assert_eq!(
        bodies(bobs).await,
        ["@bob look at this", "@room meeting now"]
    );
    assert_eq!(
        bodies(cyds).await,
        ["plain news", "@bob look at this", "@room meeting now"]
    );
    assert!(bodies(dans).await.is_empty(), "level none was told");
    assert!(bodies(eves).await.is_empty(), "a muted room told");

    // What a notification says.
    app.post_message(&ann, room, "@bob one more").await;
    let told = heard(bobs).await;
    assert_eq!(told.len(), 1);
    assert_eq!(told[0]["title"], "ann in general");
    assert_eq!(told[0]["room_id"], room);
    assert!(told[0]["message_id"].as_i64().is_some() && told[0]["seq"].as_i64().is_some());
}

#[tokio::test]
async fn every_message_of_a_direct_conversation_is_told_unless_asked_otherwise() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (_, body) = app
        .post("/api/direct", &ann.token, json!({ "usernames": ["bob"] }))
        .await;
    let room = body["room"]["id"].as_i64().unwrap();
    let mut bobs = app.socket(&bob).await.hear_notifications();
    app.post_message(&ann, room, "lunch?").await;
    let told = heard(&mut bobs).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0]["title"].clone(), told[0]["body"].clone()),
        (json!("ann"), json!("lunch?"))
    );
    set(&app, &bob, room, json!({"level": "none"})).await;
    app.post_message(&ann, room, "hello?").await;
    assert!(heard(&mut bobs).await.is_empty());
}

#[tokio::test]
async fn a_change_of_settings_reaches_the_members_every_tab_and_nobody_else() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut other_tab = app.socket(&ann).await;
    let mut bobs = app.socket(&bob).await;
    set(&app, &ann, room, json!({"level": "all", "muted": true})).await;
    loop {
        let frame = other_tab.frame().await;
        if frame["type"] == "notify_settings" {
            assert_eq!(
                frame,
                json!({"type": "notify_settings", "room_id": room, "notify": "all", "muted": true})
            );
            break;
        }
    }
    while let Some(Next::Frame(frame)) = bobs.next_within(Duration::from_millis(500)).await {
        assert_ne!(
            frame["type"], "notify_settings",
            "another member heard of it"
        );
    }
}

#[tokio::test]
async fn notification_settings_are_a_members_own_and_checked() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    let secret = app.create_private_room(&ann, "secret").await;
    let before = app.last_seq(&ann, room).await;

    let (status, body) = set(&app, &ann, room, json!({"level": "loud"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["code"], "validation_error", "{body}");
    let (status, body) = set(&app, &ann, room, json!({"muted": "yes"})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    // The fields in order, as an array: no body means that.
    let (status, body) = set(&app, &ann, room, json!([null, null])).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "body", "{body}");
    // Not a member: of a public room, told so; of a private one, no such room.
    let (status, body) = set(&app, &bob, room, json!({"level": "all"})).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = set(&app, &bob, secret, json!({"level": "all"})).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "room_not_found");
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/api/rooms/{room}/notifications"),
            None,
            Some(json!({"level": "all"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Nothing asked, nothing changed; and no event of the room either way.
    let (status, body) = set(&app, &ann, room, json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["notify"], "mentions");
    set(&app, &ann, room, json!({"level": "none", "muted": true})).await;
    assert_eq!(app.last_seq(&ann, room).await, before);
    app.join(&bob, room).await;
    let listed = app.listed_room(&bob, room).await.unwrap();
    assert_eq!(
        (listed["notify"].clone(), listed["muted"].clone()),
        (json!("mentions"), json!(false)),
        "another member's setting leaked"
    );
}
