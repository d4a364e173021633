//! Invitations: by username (seen live, listed, accepted or declined) and by
//! link (expiry, use limit, revocation), each the only way into a private
//! room, and each stopping work the moment it is answered or revoked.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, spawn_app};
use crate::support::api::TestUser;

/// A private room of ann's, with bob and cy outside it.
async fn private_room(app: &TestApp) -> (TestUser, TestUser, TestUser, i64) {
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cyd").await;
    let room = app.create_private_room(&ann, "plans").await;
    (ann, bob, cy, room)
}

async fn invite(app: &TestApp, who: &TestUser, room: i64, username: &str) -> (StatusCode, Value) {
    app.post(
        &format!("/api/rooms/{room}/invitations"),
        &who.token,
        json!({ "username": username }),
    )
    .await
}

async fn pending(app: &TestApp, user: &TestUser) -> Vec<Value> {
    let (status, body) = app.get("/api/invitations", &user.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["invitations"].as_array().unwrap().clone()
}

#[tokio::test]
async fn an_invitee_sees_the_invitation_live_accepts_it_and_is_in() {
    let app = spawn_app().await;
    let (ann, bob, cy, room) = private_room(&app).await;
    let mut bobs = app.socket(&bob).await;
    let mut anns = app.socket(&ann).await;
    anns.subscribe_events(room, None).await;

    // Any case of the name finds them.
    let (status, body) = invite(&app, &ann, room, "BOB").await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let invitation = body["invitation"].clone();
    let id = invitation["id"].as_i64().unwrap();
    assert_eq!(invitation["room"]["name"], "plans");
    assert_eq!(invitation["room"]["kind"], "private");
    assert_eq!(invitation["room"]["joined"], false);
    assert_eq!(invitation["inviter"]["username"], "ann");
    assert_eq!(
        bobs.frame().await,
        json!({"type": "invited", "invitation": invitation})
    );
    assert_eq!(pending(&app, &bob).await, std::slice::from_ref(&invitation));
    assert!(pending(&app, &ann).await.is_empty());

    // Asking again finds the same invitation, and tells bob nothing new.
    let (status, again) = invite(&app, &ann, room, "bob").await;
    assert_eq!(
        (status, &again["invitation"]),
        (StatusCode::OK, &invitation)
    );
    bobs.assert_quiet().await;

    // Invited is not in: the room is still not there for bob.
    assert_eq!(
        answer(
            &app,
            Method::GET,
            &format!("/api/rooms/{room}/messages"),
            Some(&bob),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    // Nobody else answers bob's invitation.
    for user in [&cy, &ann] {
        assert_eq!(
            answer(
                &app,
                Method::POST,
                &format!("/api/invitations/{id}/accept"),
                Some(user),
                None
            )
            .await,
            (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
        );
    }

    let (status, body) = app
        .post(
            &format!("/api/invitations/{id}/accept"),
            &bob.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["id"], room);
    assert_eq!(body["room"]["my_role"], "member");
    assert_eq!(
        bobs.frame().await,
        json!({"type": "invitation_closed", "invitation_id": id})
    );
    let joined = anns.frame().await;
    assert_eq!(
        (joined["kind"].as_str(), joined["user"]["id"].as_i64()),
        (Some("member_joined"), Some(bob.id)),
        "{joined}"
    );
    assert!(pending(&app, &bob).await.is_empty());
    // Used once: it is gone.
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/invitations/{id}/accept"),
            Some(&bob),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );
    app.post_message(&bob, room, "thanks for having me").await;

    // Members are not invited; nobody is invited by a name no one has.
    assert_eq!(
        invite(&app, &ann, room, "bob").await.1["error"]["code"],
        "already_member"
    );
    assert_eq!(
        invite(&app, &ann, room, "nobody").await.1["error"]["code"],
        "user_not_found"
    );
}

#[tokio::test]
async fn a_declined_invitation_stops_working_at_once() {
    let app = spawn_app().await;
    let (ann, _bob, cy, room) = private_room(&app).await;
    let mut other_tab = app.socket(&cy).await;
    let (_, body) = invite(&app, &ann, room, "cyd").await;
    let id = body["invitation"]["id"].as_i64().unwrap();
    assert_eq!(other_tab.frame().await["type"], "invited");

    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/invitations/{id}/decline"),
            Some(&ann),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned()),
        "the inviter does not decline for them"
    );
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/invitations/{id}/decline"),
            Some(&cy),
            None
        )
        .await,
        (StatusCode::NO_CONTENT, String::new())
    );
    assert_eq!(
        other_tab.frame().await,
        json!({"type": "invitation_closed", "invitation_id": id})
    );
    for path in [
        format!("/api/invitations/{id}/accept"),
        format!("/api/invitations/{id}/decline"),
    ] {
        assert_eq!(
            answer(&app, Method::POST, &path, Some(&cy), None).await,
            (StatusCode::NOT_FOUND, "invitation_not_found".to_owned()),
            "{path}"
        );
    }
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/rooms/{room}/join"),
            Some(&cy),
            None
        )
        .await,
        (StatusCode::FORBIDDEN, "invitation_required".to_owned())
    );
    assert!(pending(&app, &cy).await.is_empty());
    // Ids that are not numbers name no invitation.
    assert_eq!(
        answer(
            &app,
            Method::POST,
            "/api/invitations/x/accept",
            Some(&cy),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );
}

#[tokio::test]
async fn only_owners_and_admins_invite_and_joining_another_way_settles_an_invitation() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cyd").await;
    let room = app.create_room(&ann, "lobby").await;
    app.join(&bob, room).await;
    assert_eq!(
        invite(&app, &bob, room, "cyd").await.1["error"]["code"],
        "forbidden"
    );
    assert_eq!(
        invite(&app, &cy, room, "bob").await.1["error"]["code"],
        "not_a_member"
    );
    let (status, _) = invite(&app, &ann, room, "cyd").await;
    assert_eq!(status, StatusCode::CREATED);
    // A public room: cy just joins, and the invitation is settled.
    app.join(&cy, room).await;
    assert!(pending(&app, &cy).await.is_empty());
}

fn links(room: i64) -> String {
    format!("/api/rooms/{room}/invite-links")
}

async fn new_link(app: &TestApp, who: &TestUser, room: i64, body: Value) -> Value {
    let (status, body) = app.post(&links(room), &who.token, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    body["link"].clone()
}

async fn accept_link(app: &TestApp, who: &TestUser, token: &str) -> (StatusCode, String) {
    answer(
        app,
        Method::POST,
        &format!("/api/invite-links/{token}/accept"),
        Some(who),
        None,
    )
    .await
}

#[tokio::test]
async fn a_link_lets_people_in_until_it_is_used_up_expires_or_is_revoked() {
    let app = spawn_app().await;
    let (ann, bob, cy, room) = private_room(&app).await;
    let dee = app.register("dee").await;

    let link = new_link(&app, &ann, room, json!({"max_uses": 1})).await;
    let token = link["token"].as_str().unwrap().to_owned();
    assert_eq!(token.len(), 22, "128 bits, URL-safe: {link}");
    assert_eq!(link["url"], format!("/invite/{token}"));
    assert_eq!(
        (link["max_uses"].as_i64(), link["uses"].as_i64()),
        (Some(1), Some(0))
    );
    // The token is never stored, only its hash.
    let stored = app
        .database()
        .rows("SELECT token_hash FROM invite_links")
        .await;
    assert_eq!(stored.len(), 1);
    assert_ne!(stored[0], token);
    assert_eq!(stored[0].len(), 64);

    assert_eq!(
        accept_link(&app, &bob, &token).await,
        (StatusCode::OK, String::new())
    );
    let (_, listed) = app.get("/api/rooms", &bob.token).await;
    assert!(
        listed["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["id"] == room)
    );
    // Used up for newcomers; a member opening it again just gets the room.
    assert_eq!(
        accept_link(&app, &cy, &token).await,
        (StatusCode::GONE, "invite_expired".to_owned())
    );
    assert_eq!(
        accept_link(&app, &bob, &token).await,
        (StatusCode::OK, String::new())
    );

    // Revoked: at once, and only by owners and admins.
    let link = new_link(&app, &ann, room, json!({})).await;
    let token = link["token"].as_str().unwrap().to_owned();
    assert!(link["max_uses"].is_null());
    let revoke = format!("{}/{token}", links(room));
    assert_eq!(
        answer(&app, Method::DELETE, &revoke, Some(&bob), None).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &revoke, Some(&cy), None).await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &revoke, Some(&ann), None).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    assert_eq!(
        accept_link(&app, &cy, &token).await,
        (StatusCode::GONE, "invite_expired".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &revoke, Some(&ann), None).await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );

    // Expired.
    let link = new_link(&app, &ann, room, json!({"expires_in_hours": 1})).await;
    let token = link["token"].as_str().unwrap().to_owned();
    app.database()
        .rows(
            "UPDATE invite_links SET expires_at = 0 WHERE revoked_at IS NULL AND max_uses IS NULL",
        )
        .await;
    assert_eq!(
        accept_link(&app, &dee, &token).await,
        (StatusCode::GONE, "invite_expired".to_owned())
    );

    // A token nobody made, and one of another room's links.
    assert_eq!(
        accept_link(&app, &dee, "AAAAAAAAAAAAAAAAAAAAAA").await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );
    let other = app.create_room(&cy, "elsewhere").await;
    let elsewhere = new_link(&app, &cy, other, json!({})).await;
    assert_eq!(
        answer(
            &app,
            Method::DELETE,
            &format!("{}/{}", links(room), elsewhere["token"].as_str().unwrap()),
            Some(&ann),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );

    // Bounds, each naming its field.
    for (body, field) in [
        (json!({"expires_in_hours": 0}), "expires_in_hours"),
        (json!({"expires_in_hours": 721}), "expires_in_hours"),
        (json!({"max_uses": 0}), "max_uses"),
        (json!({"max_uses": 2.5}), "max_uses"),
        (json!([null, null]), "body"),
    ] {
        let (status, answer) = app.post(&links(room), &ann.token, body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
        assert_eq!(answer["error"]["field"], field, "{answer}");
    }
    // JSON has one number type: 24.0 is 24.
    new_link(
        &app,
        &ann,
        room,
        json!({"expires_in_hours": 24.0, "max_uses": 3.0}),
    )
    .await;
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &links(room),
            Some(&bob),
            Some(json!({}))
        )
        .await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
}

#[tokio::test]
async fn a_link_for_one_more_person_lets_exactly_one_in_however_many_try_at_once() {
    let app = spawn_app().await;
    let (ann, _, _, room) = private_room(&app).await;
    let link = new_link(&app, &ann, room, json!({"max_uses": 1})).await;
    let token = link["token"].as_str().unwrap().to_owned();
    let mut people = Vec::new();
    for n in 0..8 {
        people.push(app.register(&format!("racer{n}")).await);
    }
    let answers =
        futures::future::join_all(people.iter().map(|who| accept_link(&app, who, &token))).await;
    let admitted = answers.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    let refused = answers
        .iter()
        .filter(|a| **a == (StatusCode::GONE, "invite_expired".to_owned()))
        .count();
    assert_eq!((admitted, refused), (1, 7), "{answers:?}");
    let (_, members) = app
        .get(&format!("/api/rooms/{room}/members"), &ann.token)
        .await;
    assert_eq!(members["members"].as_array().unwrap().len(), 2, "{members}");
}
