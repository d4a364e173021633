//! The room event log over the wire: editing, deleting, reacting and
//! replying, each change delivered live as the room's next seq, replayed in
//! a catch-up, and refused with the documented error for whoever may not.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};
use crate::support::api::TestUser;
use crate::support::view::RoomView;

fn message_path(room: i64, message: i64) -> String {
    format!("/api/rooms/{room}/messages/{message}")
}

/// The path of a reaction, with the emoji percent-encoded as a browser does.
fn reaction_path(room: i64, message: i64, emoji: &str) -> String {
    let encoded: String = emoji
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{}/reactions/{encoded}", message_path(room, message))
}

async fn edit(
    app: &TestApp,
    user: &TestUser,
    room: i64,
    id: i64,
    body: &str,
) -> (StatusCode, Value) {
    app.call(
        Method::PATCH,
        &message_path(room, id),
        Some(&user.token),
        Some(json!({"body": body})),
    )
    .await
}

async fn delete(app: &TestApp, user: &TestUser, room: i64, id: i64) -> (StatusCode, Value) {
    app.call(
        Method::DELETE,
        &message_path(room, id),
        Some(&user.token),
        None,
    )
    .await
}

async fn react(
    app: &TestApp,
    user: &TestUser,
    room: i64,
    id: i64,
    emoji: &str,
    added: bool,
) -> (StatusCode, Value) {
    let method = if added { Method::PUT } else { Method::DELETE };
    app.call(
        method,
        &reaction_path(room, id, emoji),
        Some(&user.token),
        None,
    )
    .await
}

/// Posts and returns the new message's id.
async fn post(app: &TestApp, user: &TestUser, room: i64, body: &str) -> i64 {
    app.post_message(user, room, body).await["id"]
        .as_i64()
        .unwrap()
}

/// Brings `view` up to date as a client coming back does: subscribes after
/// its last seq and applies the backlog. Returns the backlog's frames.
async fn catch_up(app: &TestApp, user: &TestUser, room: i64, view: &mut RoomView) -> Vec<Value> {
    let mut socket = app.socket(user).await;
    let (backlog, last) = socket.subscribe_events(room, Some(view.last_seq)).await;
    backlog.iter().for_each(|frame| view.apply(frame));
    assert_eq!(
        view.last_seq, last,
        "the backlog reaches the room's last seq"
    );
    backlog
}

/// Ann owns "general"; Bob and Cy are members; Dee is not.
struct Room {
    app: TestApp,
    ann: TestUser,
    bob: TestUser,
    cy: TestUser,
    dee: TestUser,
    id: i64,
}

async fn room() -> Room {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cyd").await;
    let dee = app.register("dee").await;
    let id = app.create_room(&ann, "general").await;
    app.join(&bob, id).await;
    app.join(&cy, id).await;
    Room {
        app,
        ann,
        bob,
        cy,
        dee,
        id,
    }
}

#[tokio::test]
async fn the_author_edits_and_every_subscriber_sees_it_as_the_next_seq() {
    let Room {
        app, ann, bob, id, ..
    } = room().await;
    let posted = app.post_message(&bob, id, "helo").await;
    let mut watcher = app.socket(&ann).await;
    let (_, before) = watcher.subscribe(id, None).await;

    let (status, body) = edit(&app, &bob, id, posted["id"].as_i64().unwrap(), "**hello**").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let edited = &body["message"];
    assert_eq!(edited["body"], "**hello**");
    assert_eq!(edited["body_html"], "<p><strong>hello</strong></p>\n");
    assert!(edited["edited_at"].is_string(), "{edited}");
    assert_eq!(
        (&edited["id"], &edited["seq"], &edited["created_at"]),
        (&posted["id"], &posted["seq"], &posted["created_at"]),
        "an edit keeps the message's place"
    );

    let frame = watcher.frame().await;
    assert_eq!(frame["type"], "event", "{frame}");
    assert_eq!(frame["kind"], "message_edited");
    assert_eq!(frame["room_id"], id);
    assert_eq!(frame["seq"], before + 1);
    assert_eq!(&frame["message"], edited);
    assert_eq!(app.last_seq(&ann, id).await, before + 1);

    // The same text again changes nothing and logs nothing.
    let (status, _) = edit(&app, &bob, id, posted["id"].as_i64().unwrap(), "**hello**").await;
    assert_eq!(status, StatusCode::OK);
    watcher.assert_quiet().await;
    let history = app.history(&ann, id).await;
    assert_eq!(
        history.last().unwrap(),
        edited,
        "history holds the current state"
    );
}

#[tokio::test]
async fn only_the_author_edits_and_only_what_exists() {
    let Room {
        app,
        ann,
        bob,
        cy,
        dee,
        id,
    } = room().await;
    let message = post(&app, &bob, id, "mine").await;
    let other_room = app.create_room(&ann, "other").await;
    let elsewhere = post(&app, &ann, other_room, "there").await;

    let (status, body) = edit(&app, &cy, id, message, "not yours").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = edit(&app, &ann, id, message, "the owner neither").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = edit(&app, &dee, id, message, "a stranger").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = edit(&app, &bob, id, 999_999, "nothing").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");
    let (status, body) = edit(&app, &ann, id, elsewhere, "wrong room").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");
    let (status, body) = edit(&app, &bob, id, message, "  ").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "body");
    let (status, body) = app
        .call(
            Method::PATCH,
            &message_path(id, message),
            None,
            Some(json!({"body": "x"})),
        )
        .await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/rooms/{id}/messages/abc"),
            Some(&bob.token),
            Some(json!({"body": "x"})),
        )
        .await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");

    assert_eq!(
        delete(&app, &bob, id, message).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = edit(&app, &bob, id, message, "back?").await;
    assert_error(status, &body, StatusCode::CONFLICT, "message_deleted");
    let history = app.history(&bob, id).await;
    assert_eq!(history[0]["body"], "", "no refused edit got through");
}

#[tokio::test]
async fn the_author_or_the_owner_deletes_and_deleting_again_is_harmless() {
    let Room {
        app,
        ann,
        bob,
        cy,
        dee,
        id,
    } = room().await;
    let bobs = post(&app, &bob, id, "bob's").await;
    let cys = post(&app, &cy, id, "cy's").await;
    let anns = post(&app, &ann, id, "ann's").await;
    assert_eq!(
        react(&app, &bob, id, cys, "👍", true).await.0,
        StatusCode::OK
    );

    let (status, body) = delete(&app, &bob, id, cys).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = delete(&app, &cy, id, anns).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = delete(&app, &dee, id, bobs).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = delete(&app, &bob, id, 999_999).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");

    let mut watcher = app.socket(&cy).await;
    let (_, before) = watcher.subscribe(id, None).await;
    assert_eq!(delete(&app, &bob, id, bobs).await.0, StatusCode::NO_CONTENT);
    assert_eq!(
        delete(&app, &ann, id, cys).await.0,
        StatusCode::NO_CONTENT,
        "the owner"
    );
    assert_eq!(
        delete(&app, &ann, id, cys).await.0,
        StatusCode::NO_CONTENT,
        "again"
    );

    for (seq, deleted) in [(before + 1, bobs), (before + 2, cys)] {
        let frame = watcher.frame().await;
        assert_eq!(frame["kind"], "message_deleted", "{frame}");
        assert_eq!(frame["seq"], seq);
        let message = &frame["message"];
        assert_eq!(message["id"], deleted);
        assert_eq!(
            (&message["deleted"], &message["body"], &message["body_html"]),
            (&json!(true), &json!(""), &json!(""))
        );
        assert_eq!(message["reactions"], json!([]), "reactions go with it");
    }
    watcher.assert_quiet().await;
    let history = app.history(&ann, id).await;
    let kept: Vec<_> = history
        .iter()
        .map(|m| {
            (
                m["author"]["username"].as_str().unwrap(),
                m["deleted"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kept,
        [("bob", true), ("cyd", true), ("ann", false)],
        "tombstones keep their place"
    );
}

#[tokio::test]
async fn reactions_count_people_in_order_and_repeat_harmlessly() {
    let Room {
        app,
        ann,
        bob,
        cy,
        dee,
        id,
    } = room().await;
    let message = post(&app, &ann, id, "lunch?").await;
    let mut watcher = app.socket(&ann).await;
    let (_, before) = watcher.subscribe(id, None).await;

    assert_eq!(
        react(&app, &cy, id, message, "🎉", true).await.0,
        StatusCode::OK
    );
    let (status, body) = react(&app, &bob, id, message, "👍🏽", true).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = react(&app, &ann, id, message, "🎉", true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body["message"]["reactions"],
        json!([
            {"emoji": "🎉", "count": 2, "user_ids": [ann.id, cy.id], "first_seq": before + 1},
            {"emoji": "👍🏽", "count": 1, "user_ids": [bob.id], "first_seq": before + 2},
        ])
    );
    // Twice is once.
    let (_, again) = react(&app, &ann, id, message, "🎉", true).await;
    assert_eq!(again, body);

    let (status, body) = react(&app, &cy, id, message, "🎉", false).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"]["reactions"][0]["user_ids"], json!([ann.id]));
    assert_eq!(
        react(&app, &cy, id, message, "🎉", false).await.0,
        StatusCode::OK
    );

    let frames = [
        ("reaction_added", cy.id, "🎉"),
        ("reaction_added", bob.id, "👍🏽"),
        ("reaction_added", ann.id, "🎉"),
        ("reaction_removed", cy.id, "🎉"),
    ];
    for (i, (kind, user, emoji)) in frames.into_iter().enumerate() {
        let frame = watcher.frame().await;
        assert_eq!(frame["seq"], before + 1 + i as i64, "{frame}");
        assert_eq!(
            (frame["kind"].as_str(), frame["user"]["id"].as_i64()),
            (Some(kind), Some(user))
        );
        assert_eq!(
            (frame["emoji"].as_str(), frame["message_id"].as_i64()),
            (Some(emoji), Some(message))
        );
    }
    watcher.assert_quiet().await;

    let (status, body) = react(&app, &dee, id, message, "👍", true).await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    for not_one in ["ok", "👍👍", "a", "%20"] {
        let (status, body) = react(&app, &bob, id, message, not_one, true).await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_an_emoji");
    }
    let (status, body) = react(&app, &bob, id, 999_999, "👍", true).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");
}

#[tokio::test]
async fn a_message_holds_at_most_twenty_different_emoji() {
    let Room {
        app, ann, bob, id, ..
    } = room().await;
    let message = post(&app, &ann, id, "vote").await;
    let emoji: Vec<String> = (0..21)
        .map(|i| char::from_u32(0x1F600 + i).unwrap().to_string())
        .collect();
    for e in &emoji[..20] {
        assert_eq!(
            react(&app, &ann, id, message, e, true).await.0,
            StatusCode::OK
        );
    }
    let (status, body) = react(&app, &ann, id, message, &emoji[20], true).await;
    assert_error(status, &body, StatusCode::CONFLICT, "too_many_reactions");
    // One already there is still open to everyone.
    let (status, body) = react(&app, &bob, id, message, &emoji[3], true).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"]["reactions"][3]["count"], 2);

    assert_eq!(
        delete(&app, &ann, id, message).await.0,
        StatusCode::NO_CONTENT
    );
    let (status, body) = react(&app, &bob, id, message, "👍", true).await;
    assert_error(status, &body, StatusCode::CONFLICT, "message_deleted");
}

#[tokio::test]
async fn a_reply_quotes_the_message_it_answers() {
    let Room {
        app, ann, bob, id, ..
    } = room().await;
    let long = "x".repeat(150);
    let original = app.post_message(&ann, id, &long).await;
    let (status, body) = app
        .post(
            &format!("/api/rooms/{id}/messages"),
            &bob.token,
            json!({"body": "agreed", "reply_to": original["id"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body["message"]["reply_to"],
        json!({
            "id": original["id"],
            "seq": original["seq"],
            "author": {"id": ann.id, "username": "ann"},
            "excerpt": "x".repeat(140),
        })
    );

    // Over the socket, and the excerpt follows edits.
    edit(
        &app,
        &ann,
        id,
        original["id"].as_i64().unwrap(),
        "short now",
    )
    .await;
    let mut socket = app.socket(&bob).await;
    socket
        .send(json!({"type": "send", "room_id": id, "body": "again", "client_id": "r1", "reply_to": original["id"]}))
        .await;
    let ack = socket.frame().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["message"]["reply_to"]["excerpt"], "short now");
    let history = app.history(&bob, id).await;
    assert_eq!(history[1]["reply_to"]["excerpt"], "short now");

    let other = app.create_room(&bob, "other").await;
    let elsewhere = app.post_message(&bob, other, "there").await;
    for bad in [elsewhere["id"].clone(), json!(999_999)] {
        let (status, body) = app
            .post(
                &format!("/api/rooms/{id}/messages"),
                &bob.token,
                json!({"body": "huh", "reply_to": bad}),
            )
            .await;
        assert_error(status, &body, StatusCode::NOT_FOUND, "message_not_found");
    }
}

#[tokio::test]
async fn socket_frames_change_messages_and_are_acked_or_refused_by_client_id() {
    let Room {
        app, ann, bob, id, ..
    } = room().await;
    let anns = post(&app, &ann, id, "ann's").await;
    let mut socket = app.socket(&bob).await;
    socket
        .send(json!({"type": "send", "room_id": id, "body": "typo", "client_id": "s1"}))
        .await;
    let mine = socket.frame().await["message"]["id"].as_i64().unwrap();

    let frames = [
        json!({"type": "edit", "room_id": id, "message_id": mine, "body": "fixed", "client_id": "e1"}),
        json!({"type": "react", "room_id": id, "message_id": anns, "emoji": "❤️", "client_id": "r1"}),
        json!({"type": "unreact", "room_id": id, "message_id": anns, "emoji": "❤️", "client_id": "u1"}),
        json!({"type": "delete", "room_id": id, "message_id": mine, "client_id": "d1"}),
    ];
    for frame in frames {
        socket.send(frame.clone()).await;
        let ack = socket.frame().await;
        assert_eq!(ack["type"], "ack", "{frame} → {ack}");
        assert_eq!(ack["client_id"], frame["client_id"]);
    }
    let history = app.history(&ann, id).await;
    assert_eq!(history[0]["reactions"], json!([]));
    assert_eq!(history[1]["deleted"], true);

    let refused = [
        (
            json!({"type": "edit", "room_id": id, "message_id": anns, "body": "mine now", "client_id": "x1"}),
            "forbidden",
        ),
        (
            json!({"type": "delete", "room_id": id, "message_id": anns, "client_id": "x2"}),
            "forbidden",
        ),
        (
            json!({"type": "react", "room_id": id, "message_id": anns, "emoji": "no", "client_id": "x3"}),
            "not_an_emoji",
        ),
        (
            json!({"type": "react", "room_id": id, "message_id": mine, "emoji": "👍", "client_id": "x4"}),
            "message_deleted",
        ),
        (
            json!({"type": "edit", "room_id": id, "message_id": 999_999, "body": "?", "client_id": "x5"}),
            "message_not_found",
        ),
    ];
    for (frame, code) in refused {
        socket.send(frame.clone()).await;
        let error = socket.frame().await;
        assert_eq!(
            (error["type"].as_str(), error["code"].as_str()),
            (Some("error"), Some(code)),
            "{frame}"
        );
        assert_eq!(error["client_id"], frame["client_id"]);
        assert_eq!(error["room_id"], id);
    }
}

#[tokio::test]
async fn joining_and_leaving_are_events_of_the_room() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let id = app.create_room(&ann, "general").await;
    let mut watcher = app.socket(&ann).await;
    assert_eq!(watcher.subscribe(id, None).await, (vec![], 0));

    app.join(&bob, id).await;
    app.join(&bob, id).await;
    let (status, _) = app
        .post(&format!("/api/rooms/{id}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .post(&format!("/api/rooms/{id}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);

    for (seq, kind) in [(1, "member_joined"), (2, "member_left")] {
        let frame = watcher.frame().await;
        assert_eq!(
            (frame["seq"].as_i64(), frame["kind"].as_str()),
            (Some(seq), Some(kind)),
            "{frame}"
        );
        assert_eq!(frame["user"], json!({"id": bob.id, "username": "bob"}));
    }
    watcher.assert_quiet().await;
    assert_eq!(
        app.last_seq(&ann, id).await,
        2,
        "joining or leaving twice logs once"
    );
}

async fn rename(
    app: &TestApp,
    user: Option<&TestUser>,
    room: i64,
    name: &str,
) -> (StatusCode, Value) {
    app.call(
        Method::PATCH,
        &format!("/api/rooms/{room}"),
        user.map(|u| u.token.as_str()),
        Some(json!({"name": name})),
    )
    .await
}

#[tokio::test]
async fn the_owner_renames_the_room_and_members_see_it_live_and_in_a_catch_up() {
    let Room {
        app,
        ann,
        bob,
        cy,
        dee,
        id,
    } = room().await;
    app.create_room(&dee, "random").await;
    let mut watcher = app.socket(&bob).await;
    let (_, before) = watcher.subscribe(id, None).await;

    let (status, body) = rename(&app, Some(&ann), id, "Team room").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["name"], "Team room");
    assert_eq!(body["room"]["owner_id"], ann.id);
    let frame = watcher.frame().await;
    assert_eq!(
        (frame["type"].as_str(), frame["kind"].as_str()),
        (Some("event"), Some("room_updated")),
        "{frame}"
    );
    assert_eq!(frame["seq"], before + 1);
    assert_eq!(frame["room"]["name"], "Team room");
    assert_eq!(frame["room"]["id"], id);
    assert_eq!(frame["room"]["joined"], true);

    // The same name again changes nothing and logs nothing.
    let (status, _) = rename(&app, Some(&ann), id, "Team room").await;
    assert_eq!(status, StatusCode::OK);
    watcher.assert_quiet().await;

    // Who may not, and what may not be a name.
    let (status, body) = rename(&app, Some(&bob), id, "Bob's room").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "forbidden");
    let (status, body) = rename(&app, Some(&dee), id, "Dee's room").await;
    assert_error(status, &body, StatusCode::FORBIDDEN, "not_a_member");
    let (status, body) = rename(&app, None, id, "Nobody's").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = rename(&app, Some(&ann), 999_999, "Nowhere").await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "room_not_found");
    let (status, body) = rename(&app, Some(&ann), id, " RANDOM ").await;
    assert_error(status, &body, StatusCode::CONFLICT, "room_name_taken");
    let (status, body) = rename(&app, Some(&ann), id, "  ").await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "name");
    watcher.assert_quiet().await;

    // A client that was away replays the rename with the room as it is now.
    let (status, _) = rename(&app, Some(&ann), id, "Team room, renamed").await;
    assert_eq!(status, StatusCode::OK);
    let mut away = app.socket(&cy).await;
    let (backlog, _) = away.subscribe_events(id, Some(before)).await;
    let renames: Vec<&Value> = backlog
        .iter()
        .filter(|f| f["kind"] == "room_updated")
        .collect();
    assert_eq!(renames.len(), 2, "{backlog:?}");
    assert!(
        renames
            .iter()
            .all(|f| f["room"]["name"] == "Team room, renamed")
    );
    let (_, listed) = app.get("/api/rooms", &cy.token).await;
    let names: Vec<&Value> = listed["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| &r["name"])
        .collect();
    assert!(names.contains(&&json!("Team room, renamed")), "{listed}");
}

/// Fifty members at once, each posting, reacting, editing and deleting:
/// every event takes the next seq, none twice, none skipped, and a watcher
/// gets each once, in order.
#[tokio::test]
async fn seqs_stay_gap_free_across_mixed_events_from_fifty_clients() {
    const CLIENTS: usize = 50;
    let app = spawn_app().await;
    let owner = app.register("owner").await;
    let id = app.create_room(&owner, "busy").await;
    let first = post(&app, &owner, id, "react to me").await;
    let mut users = Vec::new();
    for i in 0..CLIENTS {
        let user = app.register(&format!("user{i}")).await;
        app.join(&user, id).await;
        users.push(user);
    }
    let mut watcher = app.socket(&owner).await;
    let (_, start) = watcher.subscribe(id, None).await;

    let tasks: Vec<_> = users
        .into_iter()
        .enumerate()
        .map(|(i, user)| {
            let api = (*app).clone();
            tokio::spawn(async move {
                let mut socket = api.socket(&user).await;
                let emoji = ["👍", "🎉", "❤️"][i % 3];
                let frames = [
                    json!({"type": "send", "room_id": id, "body": format!("hi {i}"), "client_id": format!("p{i}")}),
                    json!({"type": "react", "room_id": id, "message_id": first, "emoji": emoji, "client_id": format!("r{i}")}),
                ];
                for frame in frames {
                    socket.send(frame).await;
                }
                let mine = loop {
                    let frame = socket.frame().await;
                    if frame["type"] == "ack" && frame["client_id"] == format!("p{i}") {
                        break frame["message"]["id"].as_i64().unwrap();
                    }
                };
                let follow = if i % 2 == 0 {
                    json!({"type": "edit", "room_id": id, "message_id": mine, "body": format!("hello {i}"), "client_id": format!("e{i}")})
                } else {
                    json!({"type": "delete", "room_id": id, "message_id": mine, "client_id": format!("d{i}")})
                };
                socket.send(follow).await;
                let mut acks = 1;
                while acks < 3 {
                    let frame = socket.frame().await;
                    assert_ne!(frame["type"], "error", "{frame}");
                    if frame["type"] == "ack" {
                        acks += 1;
                    }
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }

    let events = (CLIENTS * 3) as i64;
    let end = app.last_seq(&owner, id).await;
    assert_eq!(end, start + events, "one seq per change");
    let mut seen = Vec::new();
    let mut view = RoomView::default();
    while view.last_seq < end {
        let frame = watcher.frame().await;
        seen.push(
            frame["seq"]
                .as_i64()
                .or(frame["message"]["seq"].as_i64())
                .unwrap(),
        );
        view.apply(&frame);
    }
    assert_eq!(
        seen,
        ((start + 1)..=end).collect::<Vec<_>>(),
        "each seq once, in order"
    );
    let history = app.history(&owner, id).await;
    assert_eq!(history[0]["reactions"].as_array().unwrap().len(), 3);
    let counted: i64 = history[0]["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted, CLIENTS as i64);
}

/// A client away while messages are posted, edited, deleted and reacted
/// to comes back with `after_seq` and, applying what it is sent, holds
/// exactly the server's history.
#[tokio::test]
async fn a_client_back_from_offline_catches_up_to_the_current_state() {
    let Room {
        app,
        ann,
        bob,
        cy,
        id,
        ..
    } = room().await;
    let kept = post(&app, &ann, id, "keep me").await;
    let doomed = post(&app, &bob, id, "delete me").await;
    let (status, _) = app
        .post(
            &format!("/api/rooms/{id}/messages"),
            &cy.token,
            json!({"body": "a reply", "reply_to": kept}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    let mut view = RoomView::default();
    catch_up(&app, &cy, id, &mut view).await;

    react(&app, &cy, id, kept, "🎉", true).await;
    react(&app, &bob, id, kept, "👍", true).await;
    react(&app, &ann, id, kept, "🎉", true).await;
    react(&app, &cy, id, kept, "👍", true).await;
    react(&app, &ann, id, doomed, "🎉", true).await;
    edit(&app, &ann, id, kept, "kept, edited").await;
    let late = post(&app, &bob, id, "posted while away").await;
    react(&app, &ann, id, late, "👀", true).await;
    edit(&app, &bob, id, late, "posted and edited while away").await;
    react(&app, &bob, id, kept, "👍", false).await;
    react(&app, &cy, id, kept, "🎉", false).await;
    delete(&app, &bob, id, doomed).await;

    let backlog = catch_up(&app, &cy, id, &mut view).await;
    assert!(
        backlog.iter().any(|f| f["type"] == "event"),
        "the changes are replayed"
    );
    let history = app.history(&cy, id).await;
    assert_eq!(history[2]["reply_to"]["excerpt"], "kept, edited");
    assert_eq!(view.history(), history);
}

/// A catch-up sends a message as it is now, then the reactions made since
/// it was posted: a chip that emptied and started again on the way must
/// end where the server has it, not where the replay re-adds it.
#[tokio::test]
async fn a_catch_up_over_a_newer_message_keeps_the_servers_chip_order() {
    let Room {
        app,
        ann,
        bob,
        cy,
        id,
        ..
    } = room().await;
    let mut view = RoomView::default();
    catch_up(&app, &ann, id, &mut view).await;

    let message = post(&app, &ann, id, "vote").await;
    react(&app, &cy, id, message, "🎉", true).await;
    react(&app, &cy, id, message, "🎉", false).await;
    react(&app, &bob, id, message, "👀", true).await;
    react(&app, &cy, id, message, "🎉", true).await;
    react(&app, &bob, id, message, "🎉", true).await;
    react(&app, &ann, id, message, "👍", true).await;
    let history = app.history(&ann, id).await;
    let order: Vec<&str> = history[0]["reactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["emoji"].as_str().unwrap())
        .collect();
    assert_eq!(order, ["👀", "🎉", "👍"]);

    catch_up(&app, &ann, id, &mut view).await;
    assert_eq!(view.history(), history);
}

/// A retried send is answered with the original; the same key sent to
/// another room is neither a retry nor a new message.
#[tokio::test]
async fn a_client_id_used_in_another_room_is_refused() {
    let Room { app, ann, id, .. } = room().await;
    let other = app.create_room(&ann, "other").await;
    let path = |room: i64| format!("/api/rooms/{room}/messages");
    let (status, first) = app
        .post(
            &path(id),
            &ann.token,
            json!({"body": "hi", "client_id": "k1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, again) = app
        .post(
            &path(id),
            &ann.token,
            json!({"body": "hi", "client_id": "k1"}),
        )
        .await;
    assert_eq!(
        (status, &again["message"]),
        (StatusCode::OK, &first["message"])
    );
    let (status, body) = app
        .post(
            &path(other),
            &ann.token,
            json!({"body": "hi", "client_id": "k1"}),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "client_id_reused");
    assert!(app.history(&ann, other).await.is_empty());
}
