//! Read markers and unread counts: one marker per membership, moved only
//! forward, synced to the user's other tabs, and counting the messages of
//! others after it that are still there.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, server_fn, spawn_app};
use crate::support::api::TestUser;

/// `(last_read_seq, unread_count)` of the room for `who`.
async fn unread(app: &TestApp, who: &TestUser, room_id: i64) -> (Value, i64) {
    let room = app
        .listed_room(who, room_id)
        .await
        .unwrap_or_else(|| panic!("room {room_id} is not listed"));
    (
        room["last_read_seq"].clone(),
        room["unread_count"].as_i64().unwrap(),
    )
}

async fn read(app: &TestApp, who: &TestUser, room: i64, seq: i64) -> (StatusCode, String) {
    answer(
        app,
        Method::POST,
        &format!("/api/rooms/{room}/read"),
        Some(who),
        Some(json!({ "seq": seq })),
    )
    .await
}

fn seq(message: &Value) -> i64 {
    message["seq"].as_i64().unwrap()
}

#[tokio::test]
async fn unread_counts_follow_posts_deletions_and_a_marker_that_only_moves_forward() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.post_message(&ann, room, "before bob").await;
    app.post_message(&ann, room, "still before bob").await;

    // What was said before joining is not news to the one who joins.
    app.join(&bob, room).await;
    let joined_at = app.last_seq(&bob, room).await;
    assert_eq!(unread(&app, &bob, room).await, (json!(joined_at), 0));
    // A non-member of a public room has no marker and nothing unread.
    let cyd = app.register("cyd").await;
    assert_eq!(unread(&app, &cyd, room).await, (Value::Null, 0));

    let one = app.post_message(&ann, room, "one").await;
    let two = app.post_message(&ann, room, "two").await;
    let three = app.post_message(&ann, room, "three").await;
    assert_eq!(unread(&app, &bob, room).await.1, 3);
    // One's own messages are never unread.
    app.post_message(&bob, room, "mine").await;
    assert_eq!(unread(&app, &bob, room).await.1, 3);
    assert_eq!(unread(&app, &ann, room).await.1, 1);

    // An edit is not a new message; a deleted one is no longer there to read.
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/rooms/{room}/messages/{}", two["id"]),
            Some(&ann.token),
            Some(json!({"body": "two, edited"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(unread(&app, &bob, room).await.1, 3);
    assert_eq!(
        answer(
            &app,
            Method::DELETE,
            &format!("/api/rooms/{room}/messages/{}", three["id"]),
            Some(&ann),
            None
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(unread(&app, &bob, room).await.1, 2);

    // Reading up to "one" leaves "two".
    assert_eq!(
        read(&app, &bob, room, seq(&one)).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    assert_eq!(unread(&app, &bob, room).await, (json!(seq(&one)), 1));
    // Backwards changes nothing.
    assert_eq!(
        read(&app, &bob, room, joined_at).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(unread(&app, &bob, room).await, (json!(seq(&one)), 1));
    // To the end: nothing unread.
    let last = app.last_seq(&bob, room).await;
    assert_eq!(read(&app, &bob, room, last).await.0, StatusCode::NO_CONTENT);
    assert_eq!(unread(&app, &bob, room).await, (json!(last), 0));
    // Ann's marker is hers alone.
    assert_eq!(unread(&app, &ann, room).await.1, 1);

    // Below zero: refused. Past the room's newest event: read to its end,
    // and no further, so what comes next is still unread.
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/read"),
            &ann.token,
            json!({"seq": -1}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["error"]["field"], "seq", "{body}");
    assert_eq!(
        read(&app, &ann, room, i64::MAX).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(unread(&app, &ann, room).await, (json!(last), 0));
    app.post_message(&bob, room, "after").await;
    assert_eq!(unread(&app, &ann, room).await.1, 1);
}

#[tokio::test]
async fn a_moved_marker_reaches_the_users_other_tabs_and_nobody_else() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut bobs_other_tab = app.socket(&bob).await.hear_activity();
    let mut anns = app.socket(&ann).await.hear_activity();
    let message = app.post_message(&ann, room, "news").await;
    // The post's own summaries first (on PostgreSQL they, and the join's,
    // may come late).
    for socket in [&mut bobs_other_tab, &mut anns] {
        while socket.frame().await["rooms"][0]["last_seq"] != seq(&message) {}
    }

    assert_eq!(
        read(&app, &bob, room, seq(&message)).await.0,
        StatusCode::NO_CONTENT
    );
    let told = bobs_other_tab.frame().await;
    assert_eq!(told["type"], "activity", "{told}");
    assert_eq!(told["rooms"][0]["room_id"], room, "{told}");
    assert_eq!(told["rooms"][0]["last_read_seq"], seq(&message), "{told}");
    assert_eq!(told["rooms"][0]["unread_count"], 0, "{told}");
    // Moving it nowhere tells nobody.
    assert_eq!(read(&app, &bob, room, 0).await.0, StatusCode::NO_CONTENT);
    bobs_other_tab.assert_quiet().await;
    anns.assert_quiet().await;

    // The page's server function does the same.
    let later = app.post_message(&ann, room, "more news").await;
    assert_eq!(
        server_fn(
            &app,
            "mark_read",
            &bob,
            &[
                ("room_id", &room.to_string()),
                ("seq", &seq(&later).to_string())
            ]
        )
        .await,
        (StatusCode::OK, String::new())
    );
    // The post's own summary may come first.
    loop {
        let summary = bobs_other_tab.frame().await["rooms"][0].clone();
        if summary["last_read_seq"] == seq(&later) {
            assert_eq!(summary["unread_count"], 0, "{summary}");
            break;
        }
    }
    assert_eq!(unread(&app, &bob, room).await.1, 0);
}

#[tokio::test]
async fn only_members_have_a_marker_to_move() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let public = app.create_room(&ann, "general").await;
    let private = app.create_private_room(&ann, "plans").await;

    assert_eq!(
        read(&app, &bob, public, 0).await,
        (StatusCode::FORBIDDEN, "not_a_member".to_owned())
    );
    for room in [private, 999_999] {
        assert_eq!(
            read(&app, &bob, room, 0).await,
            (StatusCode::NOT_FOUND, "room_not_found".to_owned())
        );
    }
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/rooms/{public}/read"),
            None,
            Some(json!({"seq": 0}))
        )
        .await,
        (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
    );
}
