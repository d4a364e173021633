//! Private rooms and roles: a private room does not exist for anyone
//! outside it, on any path (REST, server functions, WebSocket), and what a
//! member may do follows their role. Each case is one line of a table, so
//! a check loosened anywhere fails the line that names it.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, server_fn, spawn_app};
use crate::support::api::TestUser;

struct Private {
    app: TestApp,
    /// The owner.
    ann: TestUser,
    /// A member (joined while the room was public).
    bob: TestUser,
    /// Not a member.
    cy: TestUser,
    room: i64,
    /// A message of ann's in the room.
    message: i64,
}

/// A room ann made public, bob joined, and ann then made private.
async fn private_room() -> Private {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cyd").await;
    let room = app.create_room(&ann, "plans").await;
    app.join(&bob, room).await;
    let message = app.post_message(&ann, room, "the plan").await["id"]
        .as_i64()
        .unwrap();
    let (status, body) = app
        .call(
            Method::PATCH,
            &format!("/api/rooms/{room}"),
            Some(&ann.token),
            Some(json!({"kind": "private", "topic": "only us"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["kind"], "private");
    assert_eq!(body["room"]["topic"], "only us");
    assert_eq!(body["room"]["my_role"], "owner");
    Private {
        app,
        ann,
        bob,
        cy,
        room,
        message,
    }
}

/// Everyone a private room's rules tell apart: the owner, an admin, a
/// member, someone invited who has not accepted, a member who was removed,
/// and someone never in it.
struct Everyone {
    private: Private,
    dee: TestUser,
    eve: TestUser,
    fay: TestUser,
}

/// [`private_room`], with dee made an admin and eve removed (both joined
/// while it was briefly public again), and fay invited.
async fn everyone() -> Everyone {
    let private = private_room().await;
    let Private { app, ann, room, .. } = &private;
    let dee = app.register("dee").await;
    let eve = app.register("eve").await;
    let r = format!("/api/rooms/{room}");
    for kind in ["public", "private"] {
        let (status, _) = app
            .call(
                Method::PATCH,
                &r,
                Some(&ann.token),
                Some(json!({"kind": kind})),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        if kind == "public" {
            app.join(&dee, *room).await;
            app.join(&eve, *room).await;
        }
    }
    let (status, _) = app
        .post(
            &format!("{r}/members/{}/role", dee.id),
            &ann.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("{r}/members/{}", eve.id),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let fay = app.register("fay").await;
    let (status, _) = app
        .post(
            &format!("{r}/invitations"),
            &ann.token,
            json!({"username": "fay"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    Everyone {
        private,
        dee,
        eve,
        fay,
    }
}

#[tokio::test]
async fn a_private_room_does_not_exist_for_anyone_outside_it() {
    let Everyone {
        private:
            Private {
                app,
                ann,
                bob,
                cy,
                room,
                message,
            },
        dee,
        eve,
        fay,
    } = everyone().await;
    let r = format!("/api/rooms/{room}");
    let m = format!("{r}/messages/{message}");
    // Someone to invite.
    app.register("gus").await;
    // A file sent in the room.
    let upload = app
        .uploaded(&ann, "plan.txt", b"the plan in full\n".to_vec())
        .await;
    let (status, body) = app
        .post(
            &format!("{r}/messages"),
            &ann.token,
            json!({"body": "the plan, attached", "attachments": [upload["id"]]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let file = upload["url"].as_str().unwrap().to_owned();
    let ok = (StatusCode::OK, String::new());
    let created = (StatusCode::CREATED, String::new());
    let forbidden = (StatusCode::FORBIDDEN, "forbidden".to_owned());
    let unauthorized = (StatusCode::UNAUTHORIZED, "unauthorized".to_owned());
    // Outsiders (never in it, removed, or invited but not in yet) get the
    // answer for no such room, except joining.
    let not_found = (StatusCode::NOT_FOUND, "room_not_found".to_owned());
    let invitation = (StatusCode::FORBIDDEN, "invitation_required".to_owned());
    // (method, path, body, [owner's, admin's, member's answer], outsiders')
    let cases: Vec<(Method, String, Option<Value>, [_; 3], _)> = vec![
        (
            Method::GET,
            format!("{r}/messages"),
            None,
            [ok.clone(), ok.clone(), ok.clone()],
            not_found.clone(),
        ),
        (
            Method::GET,
            file.clone(),
            None,
            [ok.clone(), ok.clone(), ok.clone()],
            // As for a file that does not exist.
            (StatusCode::NOT_FOUND, "not_found".to_owned()),
        ),
        (
            Method::GET,
            format!("{r}/members"),
            None,
            [ok.clone(), ok.clone(), ok.clone()],
            not_found.clone(),
        ),
        (
            Method::POST,
            format!("{r}/join"),
            None,
            [ok.clone(), ok.clone(), ok.clone()],
            invitation,
        ),
        (
            Method::POST,
            format!("{r}/messages"),
            Some(json!({"body": "hello"})),
            [created.clone(), created.clone(), created.clone()],
            not_found.clone(),
        ),
        (
            Method::PATCH,
            r.clone(),
            Some(json!({"topic": "new topic"})),
            [ok.clone(), ok.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::PATCH,
            r.clone(),
            Some(json!({"kind": "private"})),
            [ok.clone(), forbidden.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::POST,
            format!("{r}/members/{}/role", bob.id),
            Some(json!({"role": "member"})),
            [ok.clone(), ok.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::POST,
            format!("{r}/members/{}/role", ann.id),
            Some(json!({"role": "owner"})),
            [ok.clone(), forbidden.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::PUT,
            format!("{m}/reactions/%F0%9F%91%8D"),
            None,
            [ok.clone(), ok.clone(), ok.clone()],
            not_found.clone(),
        ),
        (
            Method::PATCH,
            m.clone(),
            Some(json!({"body": "the plan, edited"})),
            [ok.clone(), forbidden.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::POST,
            format!("{r}/invitations"),
            Some(json!({"username": "gus"})),
            // The owner invites; the admin's ask finds that invitation.
            [created.clone(), ok.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::POST,
            format!("{r}/invite-links"),
            Some(json!({"max_uses": 3})),
            [created.clone(), created.clone(), forbidden.clone()],
            not_found.clone(),
        ),
        (
            Method::DELETE,
            format!("{r}/invite-links/AAAAAAAAAAAAAAAAAAAAAA"),
            None,
            [
                (StatusCode::NOT_FOUND, "invitation_not_found".to_owned()),
                (StatusCode::NOT_FOUND, "invitation_not_found".to_owned()),
                forbidden.clone(),
            ],
            not_found.clone(),
        ),
        (
            Method::DELETE,
            format!("{r}/members/{}", cy.id),
            None,
            [
                (StatusCode::NOT_FOUND, "member_not_found".to_owned()),
                (StatusCode::NOT_FOUND, "member_not_found".to_owned()),
                forbidden.clone(),
            ],
            not_found.clone(),
        ),
    ];
    for (method, path, body, [owner, admin, member], outsiders) in cases {
        for (who, user, want) in [
            ("owner", &ann, owner),
            ("admin", &dee, admin),
            ("member", &bob, member),
            ("removed member", &eve, outsiders.clone()),
            ("invited, not accepted", &fay, outsiders.clone()),
            ("outsider", &cy, outsiders),
        ] {
            let got = answer(&app, method.clone(), &path, Some(user), body.clone()).await;
            assert_eq!(got, want, "{method} {path} as the {who}");
        }
        let got = answer(&app, method.clone(), &path, None, body.clone()).await;
        assert_eq!(got, unauthorized, "{method} {path} logged out");
    }
    // Search reads the room for its members only.
    for (who, user, found) in [
        ("owner", &ann, true),
        ("admin", &dee, true),
        ("member", &bob, true),
        ("removed member", &eve, false),
        ("invited, not accepted", &fay, false),
        ("outsider", &cy, false),
    ] {
        let (status, body) = app.get("/api/search?q=plan", &user.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let results = body["results"].as_array().unwrap();
        let in_room = results.iter().filter(|r| r["room"]["id"] == room).count();
        assert_eq!(
            in_room,
            if found { 2 } else { 0 },
            "search as the {who}: {body}"
        );
        assert_eq!(results.len(), in_room, "search as the {who}: {body}");
    }

    // Deleting and leaving change the room, so they go last, outsiders
    // first (deleting the room itself: deleting_a_room_removes_it_…).
    for (method, path) in [
        (Method::DELETE, m.clone()),
        (Method::POST, format!("{r}/leave")),
        (Method::DELETE, r.clone()),
    ] {
        for outsider in [&cy, &eve, &fay] {
            let got = answer(&app, method.clone(), &path, Some(outsider), None).await;
            assert_eq!(got, not_found, "{method} {path} as an outsider");
        }
    }
    assert_eq!(
        answer(&app, Method::DELETE, &m, Some(&bob), None).await,
        forbidden,
        "a member deletes someone else's message"
    );
    assert_eq!(
        answer(&app, Method::DELETE, &m, Some(&dee), None).await,
        (StatusCode::NO_CONTENT, String::new()),
        "an admin deletes anyone's"
    );

    // The list: the members see it, with their role; outsiders do not.
    for (user, role) in [
        (&ann, json!("owner")),
        (&dee, json!("admin")),
        (&bob, json!("member")),
        (&eve, Value::Null),
        (&fay, Value::Null),
        (&cy, Value::Null),
    ] {
        let (_, body) = app.get("/api/rooms", &user.token).await;
        let listed = body["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|listed| listed["id"] == room);
        assert_eq!(
            listed.map(|l| l["my_role"].clone()),
            (!role.is_null()).then_some(role)
        );
    }

    // Server functions, as the pages call them.
    let id = room.to_string();
    for (name, args, want) in [
        (
            "open_room",
            vec![("room_id", id.as_str())],
            not_found.clone(),
        ),
        (
            "join_room",
            vec![("room_id", id.as_str())],
            (StatusCode::FORBIDDEN, "invitation_required".to_owned()),
        ),
        (
            "history",
            vec![("room_id", id.as_str()), ("before_seq", "100")],
            not_found.clone(),
        ),
        (
            "room_members",
            vec![("room_id", id.as_str())],
            not_found.clone(),
        ),
    ] {
        for outsider in [&cy, &eve, &fay] {
            assert_eq!(
                server_fn(&app, name, outsider, &args).await,
                want,
                "{name} as an outsider"
            );
        }
        let (status, code) = server_fn(&app, name, &bob, &args).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::OK, ""),
            "{name} as a member"
        );
    }
    let (status, code) = server_fn(
        &app,
        "rename_room",
        &bob,
        &[("room_id", &id), ("name", "mine")],
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::FORBIDDEN, "forbidden")
    );
    let (status, code) = server_fn(
        &app,
        "remove_member",
        &cy,
        &[("room_id", &id), ("user_id", &bob.id.to_string())],
    )
    .await;
    assert_eq!(
        (status, code.as_str()),
        (StatusCode::NOT_FOUND, "room_not_found")
    );

    // The server functions behind the invite dialogs, as for REST.
    for (name, args) in [
        (
            "invite",
            vec![("room_id", id.as_str()), ("username", "gus")],
        ),
        ("create_invite_link", vec![("room_id", id.as_str())]),
    ] {
        for (who, user, want) in [
            ("member", &bob, forbidden.clone()),
            ("removed member", &eve, not_found.clone()),
            ("invited, not accepted", &fay, not_found.clone()),
            ("outsider", &cy, not_found.clone()),
        ] {
            assert_eq!(
                server_fn(&app, name, user, &args).await,
                want,
                "{name} as the {who}"
            );
        }
        let (status, code) = server_fn(&app, name, &dee, &args).await;
        assert_eq!(
            (status, code.as_str()),
            (StatusCode::OK, ""),
            "{name} as an admin"
        );
    }

    // The socket: every frame about the room is refused as for no such room.
    for outsider in [&cy, &eve, &fay] {
        // Hearing activity too: nothing of the room may come as a summary.
        let mut socket = app.socket(outsider).await.hear_activity();
        for frame in [
            json!({"type": "subscribe", "room_id": room}),
            json!({"type": "send", "room_id": room, "body": "let me in", "client_id": "c1"}),
            json!({"type": "edit", "room_id": room, "message_id": message, "body": "mine", "client_id": "c2"}),
            json!({"type": "react", "room_id": room, "message_id": message, "emoji": "🎉", "client_id": "c3"}),
            json!({"type": "delete", "room_id": room, "message_id": message, "client_id": "c4"}),
        ] {
            socket.send(frame.clone()).await;
            let answer = socket.frame().await;
            assert_eq!(
                (answer["type"].as_str(), answer["code"].as_str()),
                (Some("error"), Some("room_not_found")),
                "{frame} -> {answer}"
            );
        }
    }
    let texts: Vec<String> = app
        .history(&ann, room)
        .await
        .iter()
        .map(|m| m["body"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(!texts.iter().any(|t| t == "let me in"), "{texts:?}");
}

#[tokio::test]
async fn admins_moderate_and_only_owners_touch_the_kind_and_owners() {
    let Private {
        app,
        ann,
        bob,
        cy,
        room,
        message,
    } = private_room().await;
    let r = format!("/api/rooms/{room}");
    let role = |user: &TestUser| format!("{r}/members/{}/role", user.id);
    let forbidden = (StatusCode::FORBIDDEN, "forbidden".to_owned());
    let mut watcher = app.socket(&bob).await;
    let (_, last_seq) = watcher.subscribe_events(room, None).await;

    let (status, body) = app
        .post(&role(&bob), &ann.token, json!({"role": "admin"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["member"]["role"], "admin");
    assert_eq!(body["member"]["user"]["id"], bob.id);
    let event = watcher.frame().await;
    assert_eq!(event["kind"], "member_role_changed", "{event}");
    assert_eq!(event["seq"], last_seq + 1);
    assert_eq!(
        (event["user"]["id"].as_i64(), event["role"].as_str()),
        (Some(bob.id), Some("admin"))
    );

    // An admin renames and sets the topic, deletes others' messages...
    let (status, body) = app
        .call(
            Method::PATCH,
            &r,
            Some(&bob.token),
            Some(json!({"name": "plans 2", "topic": "t"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["room"]["my_role"], "admin");
    assert_eq!(
        answer(
            &app,
            Method::DELETE,
            &format!("{r}/messages/{message}"),
            Some(&bob),
            None
        )
        .await,
        (StatusCode::NO_CONTENT, String::new())
    );
    // ...but neither changes the kind nor makes or unmakes owners.
    assert_eq!(
        answer(
            &app,
            Method::PATCH,
            &r,
            Some(&bob),
            Some(json!({"kind": "public"}))
        )
        .await,
        forbidden
    );
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &role(&bob),
            Some(&bob),
            Some(json!({"role": "owner"}))
        )
        .await,
        forbidden
    );
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &role(&ann),
            Some(&bob),
            Some(json!({"role": "member"}))
        )
        .await,
        forbidden
    );
    // Nobody outside the room is a member to give a role to.
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &role(&cy),
            Some(&ann),
            Some(json!({"role": "admin"}))
        )
        .await,
        (StatusCode::NOT_FOUND, "member_not_found".to_owned())
    );
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("{r}/members/abc/role"),
            Some(&ann),
            Some(json!({"role": "admin"}))
        )
        .await,
        (StatusCode::NOT_FOUND, "member_not_found".to_owned())
    );
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &role(&bob),
            Some(&ann),
            Some(json!({"role": "king"}))
        )
        .await,
        (StatusCode::BAD_REQUEST, "validation_error".to_owned())
    );
    // The last owner cannot step down; with a second owner, they can.
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &role(&ann),
            Some(&ann),
            Some(json!({"role": "admin"}))
        )
        .await,
        forbidden
    );
    let (status, _) = app
        .post(&role(&bob), &ann.token, json!({"role": "owner"}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, body) = app
        .post(&role(&ann), &ann.token, json!({"role": "member"}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // The member list: owners, then admins, then members.
    let (status, body) = app.get(&format!("{r}/members"), &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    let roles: Vec<(i64, &str)> = body["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            (
                m["user"]["id"].as_i64().unwrap(),
                m["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(roles, [(bob.id, "owner"), (ann.id, "member")]);
}

#[tokio::test]
async fn a_last_owner_leaving_hands_the_room_to_the_longest_standing_admin_else_member() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cy = app.register("cyd").await;
    let room = app.create_room(&ann, "hand on").await;
    app.join(&bob, room).await;
    app.join(&cy, room).await;
    let (status, _) = app
        .post(
            &format!("/api/rooms/{room}/members/{}/role", cy.id),
            &ann.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut watcher = app.socket(&bob).await;
    watcher.subscribe_events(room, None).await;

    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &ann.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let left = watcher.frame().await;
    assert_eq!(
        (left["kind"].as_str(), left["user"]["id"].as_i64()),
        (Some("member_left"), Some(ann.id)),
        "{left}"
    );
    let handed = watcher.frame().await;
    assert_eq!(handed["kind"], "member_role_changed", "{handed}");
    assert_eq!(handed["seq"], left["seq"].as_i64().unwrap() + 1);
    // The admin, although bob joined first.
    assert_eq!(
        (handed["user"]["id"].as_i64(), handed["role"].as_str()),
        (Some(cy.id), Some("owner"))
    );

    // Without an admin, the longest-standing member.
    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &cy.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, body) = app
        .get(&format!("/api/rooms/{room}/members"), &bob.token)
        .await;
    assert_eq!(body["members"][0]["user"]["id"], bob.id);
    assert_eq!(body["members"][0]["role"], "owner");
    // A catch-up replays the hand-overs like everything else.
    let mut late = app.socket(&bob).await;
    let (backlog, _) = late.subscribe_events(room, Some(0)).await;
    let handovers: Vec<(i64, &str)> = backlog
        .iter()
        .filter(|e| e["kind"] == "member_role_changed")
        .map(|e| {
            (
                e["user"]["id"].as_i64().unwrap(),
                e["role"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        handovers,
        [(cy.id, "admin"), (cy.id, "owner"), (bob.id, "owner")]
    );
}

#[tokio::test]
async fn rooms_are_created_public_or_private_with_a_topic() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (status, body) = app
        .post(
            "/api/rooms",
            &ann.token,
            json!({"name": "quiet", "kind": "private", "topic": "shh"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (
            &body["room"]["kind"],
            &body["room"]["topic"],
            &body["room"]["my_role"]
        ),
        (&json!("private"), &json!("shh"), &json!("owner"))
    );
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": "open"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        (&body["room"]["kind"], &body["room"]["topic"]),
        (&json!("public"), &json!(""))
    );
    for (bad, field) in [
        (json!({"name": "d", "kind": "direct"}), "kind"),
        (json!({"name": "t", "topic": "two\nlines"}), "topic"),
        (json!({"name": "t", "topic": "x".repeat(251)}), "topic"),
    ] {
        let (status, body) = app.post("/api/rooms", &ann.token, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["error"]["code"], "validation_error", "{bad}: {body}");
        if field == "topic" {
            assert_eq!(body["error"]["field"], field, "{bad}: {body}");
        }
    }
    let (_, listed) = app.get("/api/rooms", &bob.token).await;
    let names: Vec<&str> = listed["rooms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["open"]);
}

#[tokio::test]
async fn a_removed_member_stops_receiving_the_room_at_once_and_is_an_outsider_after() {
    let Private {
        app,
        ann,
        bob,
        cy,
        room,
        ..
    } = private_room().await;
    let r = format!("/api/rooms/{room}");
    // A third member, joined while the room was public, watches.
    let dee = app.register("dee").await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &r,
            Some(&ann.token),
            Some(json!({"kind": "public"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    app.join(&dee, room).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &r,
            Some(&ann.token),
            Some(json!({"kind": "private"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let mut bobs = app.socket(&bob).await;
    bobs.subscribe_events(room, None).await;
    let mut dees = app.socket(&dee).await;
    dees.subscribe_events(room, None).await;

    // A member removes nobody; nobody removes themselves or an outsider.
    let remove = |who: &TestUser| format!("{r}/members/{}", who.id);
    assert_eq!(
        answer(&app, Method::DELETE, &remove(&dee), Some(&bob), None).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &remove(&ann), Some(&ann), None).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &remove(&cy), Some(&ann), None).await,
        (StatusCode::NOT_FOUND, "member_not_found".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &remove(&dee), Some(&cy), None).await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );

    assert_eq!(
        answer(&app, Method::DELETE, &remove(&bob), Some(&ann), None).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    // Posted the moment the removal returns, before bob's socket has been
    // told anything: it must not reach him.
    app.post_message(&ann, room, "after").await;
    let mut frame = bobs.frame().await;
    if frame["type"] == "event" {
        assert_eq!(
            (frame["kind"].as_str(), frame["reason"].as_str()),
            (Some("member_left"), Some("removed"))
        );
        frame = bobs.frame().await;
    }
    assert_eq!(
        frame,
        json!({"type": "unsubscribed", "room_id": room, "reason": "removed"})
    );
    let seen = dees.frame().await;
    assert_eq!(
        (
            seen["kind"].as_str(),
            seen["user"]["id"].as_i64(),
            seen["reason"].as_str()
        ),
        (Some("member_left"), Some(bob.id), Some("removed")),
        "{seen}"
    );
    bobs.assert_quiet().await;
    assert_eq!(dees.frame().await["message"]["body"], "after");

    // From now on the room does not exist for bob.
    assert_eq!(
        answer(
            &app,
            Method::GET,
            &format!("{r}/messages"),
            Some(&bob),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    let (_, listed) = app.get("/api/rooms", &bob.token).await;
    assert!(
        !listed["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["id"] == room),
        "{listed}"
    );
    // A member who leaves is told the room is not theirs (for a private
    // room, that there is no such room), not that they were removed.
    let (status, _) = app.post(&format!("{r}/leave"), &dee.token, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let mut frame = dees.frame().await;
    if frame["type"] == "event" {
        assert_eq!(
            (frame["kind"].as_str(), frame["reason"].as_str()),
            (Some("member_left"), Some("left"))
        );
        frame = dees.frame().await;
    }
    assert_eq!(
        (frame["type"].as_str(), frame["code"].as_str()),
        (Some("error"), Some("room_not_found")),
        "{frame}"
    );
}

#[tokio::test]
async fn deleting_a_room_removes_it_for_everyone_at_once_and_only_its_owners_may() {
    let Private {
        app,
        ann,
        bob,
        cy,
        room,
        ..
    } = private_room().await;
    let r = format!("/api/rooms/{room}");
    // dee, an admin, joins by invitation; cy has one pending; a link is out.
    let dee = app.register("dee").await;
    let (_, invited) = app
        .post(
            &format!("{r}/invitations"),
            &ann.token,
            json!({"username": "dee"}),
        )
        .await;
    let invitation = invited["invitation"]["id"].as_i64().unwrap();
    let (status, _) = app
        .post(
            &format!("/api/invitations/{invitation}/accept"),
            &dee.token,
            json!({}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("{r}/members/{}/role", dee.id),
            &ann.token,
            json!({"role": "admin"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app
        .post(
            &format!("{r}/invitations"),
            &ann.token,
            json!({"username": "cyd"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (_, link) = app
        .post(&format!("{r}/invite-links"), &ann.token, json!({}))
        .await;
    let token = link["link"]["token"].as_str().unwrap().to_owned();
    let mut bobs = app.socket(&bob).await;
    bobs.subscribe_events(room, None).await;

    // Only owners delete; outsiders are told there is no such room.
    let forbidden = (StatusCode::FORBIDDEN, "forbidden".to_owned());
    for (who, user, want) in [
        ("member", Some(&bob), forbidden.clone()),
        ("admin", Some(&dee), forbidden),
        (
            "outsider",
            Some(&cy),
            (StatusCode::NOT_FOUND, "room_not_found".to_owned()),
        ),
        (
            "logged out",
            None,
            (StatusCode::UNAUTHORIZED, "unauthorized".to_owned()),
        ),
    ] {
        assert_eq!(
            answer(&app, Method::DELETE, &r, user, None).await,
            want,
            "deleting as the {who}"
        );
    }
    assert_eq!(
        server_fn(&app, "delete_room", &bob, &[("room_id", &room.to_string())]).await,
        (StatusCode::FORBIDDEN, "forbidden".to_owned())
    );

    assert_eq!(
        answer(&app, Method::DELETE, &r, Some(&ann), None).await,
        (StatusCode::NO_CONTENT, String::new())
    );
    // Gone for its members too, at once.
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("{r}/messages"),
            Some(&ann),
            Some(json!({"body": "still here?"}))
        )
        .await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    let mut frame = bobs.frame().await;
    if frame["type"] == "event" {
        assert_eq!(frame["kind"], "room_deleted", "{frame}");
        assert_eq!(frame["user"]["id"], ann.id, "{frame}");
        frame = bobs.frame().await;
    }
    assert_eq!(
        frame,
        json!({"type": "unsubscribed", "room_id": room, "reason": "deleted"})
    );
    bobs.assert_quiet().await;

    for user in [&ann, &bob, &dee, &cy] {
        assert_eq!(
            answer(
                &app,
                Method::GET,
                &format!("{r}/messages"),
                Some(user),
                None
            )
            .await,
            (StatusCode::NOT_FOUND, "room_not_found".to_owned())
        );
        let (_, listed) = app.get("/api/rooms", &user.token).await;
        assert!(
            !listed["rooms"]
                .as_array()
                .unwrap()
                .iter()
                .any(|l| l["id"] == room),
            "{listed}"
        );
        bobs.send(json!({"type": "subscribe", "room_id": room}))
            .await;
        assert_eq!(bobs.frame().await["code"], "room_not_found");
    }
    // Its invitations and links went with it.
    let (_, pending) = app.get("/api/invitations", &cy.token).await;
    assert_eq!(pending["invitations"], json!([]));
    assert_eq!(
        answer(
            &app,
            Method::POST,
            &format!("/api/invite-links/{token}/accept"),
            Some(&cy),
            None
        )
        .await,
        (StatusCode::NOT_FOUND, "invitation_not_found".to_owned())
    );
    assert_eq!(
        answer(&app, Method::DELETE, &r, Some(&ann), None).await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    // Its name is free again.
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": "plans"}))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}
