//! Mentions: `@username` names the room's members (resolved when a message
//! is stored or edited), `@room` everyone (owners and admins only); each
//! member's mention count is the unread messages naming them.

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{TestApp, answer, spawn_app};
use crate::support::api::{TestUser, assert_error};

/// `(unread_count, mention_count)` of the room for `who`.
async fn counts(app: &TestApp, who: &TestUser, room: i64) -> (i64, i64) {
    let listed = app.listed_room(who, room).await.expect("listed");
    (
        listed["unread_count"].as_i64().unwrap(),
        listed["mention_count"].as_i64().unwrap(),
    )
}

#[tokio::test]
async fn mentions_name_members_only_and_count_once_until_read_whatever_is_edited() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let dee = app.register("dee").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    app.join(&dee, room).await;

    // cyd exists but is not in the room: named, yet not mentioned.
    let message = app
        .post_message(
            &ann,
            room,
            "hi @Bob, @cyd and @nobody; mail bob@example.com",
        )
        .await;
    assert_eq!(message["mentions"], json!([bob.id]), "{message}");
    assert_eq!(message["mentions_room"], false);
    let html = message["body_html"].as_str().unwrap();
    assert!(
        html.contains(&format!(
            r#"<span class="mention" data-mention="{}">@bob</span>"#,
            bob.id
        )),
        "{html}"
    );
    assert!(
        html.contains("@nobody") && html.contains("bob@example.com"),
        "{html}"
    );
    assert!(
        !html.contains(&format!(r#"data-mention="{}""#, cyd.id)),
        "someone outside the room is not shown as mentioned: {html}"
    );
    assert_eq!(counts(&app, &bob, room).await, (1, 1));
    assert_eq!(counts(&app, &dee, room).await, (1, 0));
    assert_eq!(counts(&app, &ann, room).await, (0, 0), "one's own message");
    assert_eq!(
        counts(&app, &cyd, room).await,
        (0, 0),
        "named, not in the room"
    );
    // History carries them too.
    let history = app.history(&bob, room).await;
    assert_eq!(history.last().unwrap()["mentions"], json!([bob.id]));

    // An edit that adds dee counts once, however often it is edited again.
    let edited = app
        .edit_message(&ann, room, &message, "hi @bob and @dee")
        .await;
    assert_eq!(edited["mentions"], json!([bob.id, dee.id]), "{edited}");
    app.edit_message(&ann, room, &message, "hi @bob and @dee!")
        .await;
    assert_eq!(counts(&app, &dee, room).await, (1, 1));
    // An edit that drops bob takes his mention away.
    app.edit_message(&ann, room, &message, "hi @dee").await;
    assert_eq!(counts(&app, &bob, room).await, (1, 0));

    // Read, a mention is no longer counted; a deleted message neither.
    let second = app.post_message(&ann, room, "@dee again").await;
    assert_eq!(counts(&app, &dee, room).await, (2, 2));
    let (status, _) = app
        .post(
            &format!("/api/rooms/{room}/read"),
            &dee.token,
            json!({"seq": message["seq"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(counts(&app, &dee, room).await, (1, 1));
    let (status, _) = answer(
        &app,
        Method::DELETE,
        &format!("/api/rooms/{room}/messages/{}", second["id"]),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(counts(&app, &dee, room).await, (0, 0));
    let deleted = app.history(&ann, room).await.pop().unwrap();
    assert_eq!(deleted["mentions"], json!([]), "{deleted}");
}

#[tokio::test]
async fn only_owners_and_admins_mention_the_whole_room() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    app.join(&cyd, room).await;

    // A member: refused, over REST and the socket, and nothing is stored.
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &bob.token,
            json!({"body": "@room lunch?"}),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("@room"),
        "{body}"
    );
    let mut bobs = app.socket(&bob).await;
    bobs.subscribe(room, None).await;
    bobs.send(json!({"type": "send", "room_id": room, "body": "@room now", "client_id": "c1"}))
        .await;
    let refused = bobs.frame().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "forbidden", "{refused}");
    assert_eq!(refused["client_id"], "c1", "{refused}");
    assert!(app.history(&ann, room).await.is_empty());
    // Nor by editing it in.
    let plain = app.post_message(&bob, room, "lunch?").await;
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/rooms/{room}/messages/{}", plain["id"]),
            Some(&bob.token),
            Some(json!({"body": "@room lunch?"})),
        )
        .await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");

    // The owner: everyone but her is mentioned.
    let everyone = app.post_message(&ann, room, "@room lunch at noon").await;
    assert_eq!(everyone["mentions_room"], true, "{everyone}");
    assert!(
        everyone["body_html"]
            .as_str()
            .unwrap()
            .contains(r#"<span class="mention" data-mention="room">@room</span>"#),
        "{everyone}"
    );
    assert_eq!(counts(&app, &bob, room).await.1, 1);
    assert_eq!(counts(&app, &cyd, room).await.1, 1);
    assert_eq!(counts(&app, &ann, room).await.1, 0);
}

#[tokio::test]
async fn a_mention_reaches_the_named_users_list_as_activity() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut bobs = app.socket(&bob).await.hear_activity();
    app.post_message(&ann, room, "@bob look").await;
    loop {
        let summary = bobs.frame().await["rooms"][0].clone();
        if summary["mention_count"] == 1 {
            assert_eq!(summary["unread_count"], 1, "{summary}");
            break;
        }
    }
}

#[tokio::test]
async fn counts_stop_at_a_hundred_and_a_message_names_at_most_fifty() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    for n in 0..105 {
        app.post_message(&ann, room, &format!("@bob {n}")).await;
    }
    assert_eq!(
        counts(&app, &bob, room).await,
        (100, 100),
        "100 means 100 or more"
    );

    // Fifty names are fine (nobody has them); fifty-one are refused.
    let names = |n: usize| {
        (0..n)
            .map(|i| format!("@someone{i}"))
            .collect::<Vec<_>>()
            .join(" ")
    };
    app.post_message(&ann, room, &names(50)).await;
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/messages"),
            &ann.token,
            json!({"body": names(51)}),
        )
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "body", "{body}");
}

#[tokio::test]
async fn nobody_may_be_called_room() {
    let app = spawn_app().await;
    for name in ["room", "Room"] {
        let (status, body) = app
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": name, "password": "correct horse battery"})),
            )
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
        assert_eq!(
            body["error"]["message"], "That username is reserved.",
            "{body}"
        );
    }
    app.register("roomy").await;
}
