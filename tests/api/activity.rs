//! The per-user stream: a socket hears, as `activity` frames, what changed
//! in its user's rooms that it does not watch (counts exact through posts,
//! edits, deletions and marker moves), and which rooms its user is no
//! longer in; what it missed while closed, the room list tells.

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, spawn_app};
use crate::support::api::TestUser;
use crate::support::socket::{Next, TestSocket};

/// A socket of `user` that hears activity.
async fn listening(app: &TestApp, user: &TestUser) -> TestSocket {
    app.socket(user).await.hear_activity()
}

/// The summaries of `room` heard on `socket` until one satisfies `done`
/// (activity is sent a few times a second, so a test waits for the state
/// it expects rather than for a number of frames); returns that one.
async fn summary_until(socket: &mut TestSocket, room: i64, done: impl Fn(&Value) -> bool) -> Value {
    loop {
        let frame = socket.frame().await;
        // What else the user hears (an invitation closed) is not the point.
        if frame["type"] != "activity" {
            assert!(
                ["invited", "invitation_closed", "direct_started"]
                    .contains(&frame["type"].as_str().unwrap()),
                "{frame}"
            );
            continue;
        }
        let found = frame["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|summary| summary["room_id"] == room)
            .cloned();
        if let Some(summary) = found.filter(|summary| done(summary)) {
            return summary;
        }
    }
}

fn unread_is(count: i64) -> impl Fn(&Value) -> bool {
    move |summary| summary["unread_count"] == count
}

/// No frame at all within a short wait (ping-pong would not do: activity
/// travels beside the socket's replies).
async fn hears_nothing(socket: &mut TestSocket) {
    match socket.next_within(Duration::from_millis(700)).await {
        None => {}
        Some(Next::Frame(frame)) => panic!("unexpected frame: {frame}"),
        Some(Next::Closed(code)) => panic!("socket closed ({code:?})"),
    }
}

#[tokio::test]
async fn rooms_a_socket_does_not_watch_reach_it_as_activity_with_exact_counts() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut bobs_list = listening(&app, &bob).await;
    let mut bobs_room = listening(&app, &bob).await;
    bobs_room.subscribe(room, None).await;
    let mut cyds = listening(&app, &cyd).await;

    let first = app.post_message(&ann, room, "one").await;
    let summary = summary_until(&mut bobs_list, room, unread_is(1)).await;
    assert_eq!(summary["last_seq"], first["seq"], "{summary}");
    assert_eq!(
        summary["last_activity_at"], first["created_at"],
        "{summary}"
    );
    let joined_at = summary["last_read_seq"].as_i64().unwrap();
    assert!(joined_at < first["seq"].as_i64().unwrap(), "{summary}");

    // The socket that watches the room gets the message, not a summary;
    // someone who is not in the room hears nothing of it.
    assert_eq!(bobs_room.frame().await["type"], "message");
    hears_nothing(&mut bobs_room).await;
    hears_nothing(&mut cyds).await;

    // An edit is not news; a deletion takes a message out of the count.
    let second = app.post_message(&ann, room, "two").await;
    summary_until(&mut bobs_list, room, unread_is(2)).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/api/rooms/{room}/messages/{}", first["id"]),
            Some(&ann.token),
            Some(json!({"body": "one, edited"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let edited = summary_until(&mut bobs_list, room, |s| {
        s["last_seq"] == second["seq"].as_i64().unwrap() + 1
    })
    .await;
    assert_eq!(edited["unread_count"], 2, "{edited}");
    let (status, _) = answer(
        &app,
        Method::DELETE,
        &format!("/api/rooms/{room}/messages/{}", second["id"]),
        Some(&ann),
        None,
    )
    .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    summary_until(&mut bobs_list, room, unread_is(1)).await;

    // Reading, in any tab, reaches the others with the new marker.
    let last = app.last_seq(&bob, room).await;
    let (status, _) = app
        .post(
            &format!("/api/rooms/{room}/read"),
            &bob.token,
            json!({"seq": last}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let read = summary_until(&mut bobs_list, room, unread_is(0)).await;
    assert_eq!(read["last_read_seq"], last, "{read}");
    assert_eq!(read["last_seq"], last, "{read}");
}

#[tokio::test]
async fn a_burst_of_posts_comes_as_few_summaries_the_last_one_exact() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut bobs = listening(&app, &bob).await;
    let mut posted = Vec::new();
    for n in 0..40 {
        posted.push(app.post_message(&ann, room, &format!("m{n}")).await);
    }
    let mut frames = 0;
    let last = loop {
        let frame = bobs.frame().await;
        frames += 1;
        let summary = frame["rooms"][0].clone();
        if summary["unread_count"] == 40 {
            break summary;
        }
    };
    assert_eq!(last["last_seq"], posted[39]["seq"], "{last}");
    assert!(
        frames < 40,
        "one summary per round, not per post ({frames})"
    );
}

#[tokio::test]
async fn a_user_taken_out_of_a_room_elsewhere_hears_they_are_no_longer_in_it() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_private_room(&ann, "plans").await;
    let (status, body) = app
        .post(
            &format!("/api/rooms/{room}/invitations"),
            &ann.token,
            json!({"username": "bob"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let invitation = body["invitation"]["id"].as_i64().unwrap();
    let mut bobs = listening(&app, &bob).await;
    let mut anns = listening(&app, &ann).await;

    // Joining (in another tab) summarizes the room, new to the list.
    let (status, _) = app
        .post(
            &format!("/api/invitations/{invitation}/accept"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    summary_until(&mut bobs, room, unread_is(0)).await;

    // Removed: told, with no summary of a room that is no longer theirs.
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/rooms/{room}/members/{}", bob.id),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    loop {
        let frame = bobs.frame().await;
        if frame["type"] == "activity" && frame.get("left").is_some() {
            assert_eq!(
                frame,
                json!({"type": "activity", "rooms": [], "left": [room]})
            );
            break;
        }
    }

    // A deleted public room is gone from everyone's list; a deleted private
    // one is named to nobody (its members are gone with it).
    summary_until(&mut anns, room, |_| true).await;
    let public = app.create_room(&ann, "town square").await;
    for deleted in [room, public] {
        let (status, _) = app
            .call(
                Method::DELETE,
                &format!("/api/rooms/{deleted}"),
                Some(&ann.token),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    let frame = bobs.frame().await;
    assert_eq!(
        frame,
        json!({"type": "activity", "rooms": [], "left": [public]})
    );
    hears_nothing(&mut bobs).await;
}

#[tokio::test]
async fn what_a_closed_socket_missed_is_in_the_list_and_the_stream_goes_on_from_there() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let bobs = listening(&app, &bob).await;
    drop(bobs);
    for n in 0..3 {
        app.post_message(&ann, room, &format!("while away {n}"))
            .await;
    }
    let mut bobs = listening(&app, &bob).await;
    let listed = app.listed_room(&bob, room).await.unwrap();
    assert_eq!(listed["unread_count"], 3, "{listed}");
    let next = app.post_message(&ann, room, "back").await;
    let summary = summary_until(&mut bobs, room, unread_is(4)).await;
    assert_eq!(summary["last_seq"], next["seq"]);
    assert_eq!(summary["last_read_seq"], listed["last_read_seq"]);
}
