//! Direct conversations: one per set of people, however it is asked for,
//! titled for each by the others' names, announced live to the others,
//! and nobody's but its people's. And finding people by name to start one.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, answer, server_fn, spawn_app};
use crate::support::api::TestUser;

async fn start(app: &TestApp, who: &TestUser, usernames: &[&str]) -> (StatusCode, Value) {
    app.post("/api/direct", &who.token, json!({ "usernames": usernames }))
        .await
}

#[tokio::test]
async fn the_same_people_always_get_the_same_conversation_titled_for_each_by_the_others() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("Bob").await;
    let cyd = app.register("cyd").await;
    let mut bobs = app.socket(&bob).await;
    let mut anns = app.socket(&ann).await;

    let (status, body) = start(&app, &ann, &["bob"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let room = body["room"].clone();
    let id = room["id"].as_i64().unwrap();
    assert_eq!(room["kind"], "direct");
    assert_eq!(
        room["name"], "Bob",
        "titled by the other person, as they spell it"
    );
    assert_eq!(room["member_count"], 2);
    assert_eq!(room["joined"], true);
    assert_eq!(room["my_role"], "member", "nobody ranks above another");

    // Bob hears of it at once, titled for him, and so do ann's other tabs.
    for (socket, title) in [(&mut bobs, "ann"), (&mut anns, "Bob")] {
        let told = socket.frame().await;
        assert_eq!(told["type"], "direct_started", "{told}");
        assert_eq!(told["room"]["id"], id);
        assert_eq!(told["room"]["name"], title);
    }
    assert_eq!(app.listed_room(&bob, id).await.unwrap()["name"], "ann");
    assert_eq!(app.listed_room(&ann, id).await.unwrap()["name"], "Bob");

    // Asked for again, by either of them, in any case, naming oneself or
    // someone twice: the same conversation, and nobody is told again.
    for (who, names) in [(&bob, vec!["ANN"]), (&ann, vec!["bob", "ann", "Bob"])] {
        let (status, body) = start(&app, who, &names).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["room"]["id"], id);
    }
    bobs.assert_quiet().await;
    anns.assert_quiet().await;

    // Another set of people is another conversation, titled for each.
    let (status, body) = start(&app, &cyd, &["bob", "ann"]).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let three = body["room"]["id"].as_i64().unwrap();
    assert_ne!(three, id);
    assert_eq!(body["room"]["name"], "ann, Bob");
    assert_eq!(
        app.listed_room(&ann, three).await.unwrap()["name"],
        "Bob, cyd"
    );
    assert_eq!(
        app.listed_room(&bob, three).await.unwrap()["name"],
        "ann, cyd"
    );
    assert_eq!(bobs.frame().await["room"]["name"], "ann, cyd");
    assert_eq!(anns.frame().await["room"]["name"], "Bob, cyd");

    // Its people talk in it like in any room.
    app.post_message(&ann, id, "hi bob").await;
    let history = app.history(&bob, id).await;
    assert_eq!(history.last().unwrap()["body"], "hi bob");
}

#[tokio::test]
async fn a_direct_conversation_is_its_peoples_alone_and_nobody_joins_leaves_or_ranks() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let dan = app.register("dan").await;
    let (_, body) = start(&app, &ann, &["bob"]).await;
    let room = body["room"]["id"].as_i64().unwrap();
    app.post_message(&bob, room, "between us").await;

    // To anyone else it does not exist: the answer for a room that doesn't.
    assert!(app.listed_room(&dan, room).await.is_none());
    let json = Some(json!({"body": "hello?"}));
    for (method, path, body) in [
        (Method::GET, format!("/api/rooms/{room}/messages"), None),
        (Method::GET, format!("/api/rooms/{room}/members"), None),
        (Method::POST, format!("/api/rooms/{room}/join"), None),
        (Method::POST, format!("/api/rooms/{room}/leave"), None),
        (
            Method::POST,
            format!("/api/rooms/{room}/messages"),
            json.clone(),
        ),
        (Method::DELETE, format!("/api/rooms/{room}"), None),
    ] {
        assert_eq!(
            answer(&app, method.clone(), &path, Some(&dan), body).await,
            (StatusCode::NOT_FOUND, "room_not_found".to_owned()),
            "{method} {path}"
        );
    }
    assert_eq!(
        server_fn(&app, "open_room", &dan, &[("room_id", &room.to_string())]).await,
        (StatusCode::NOT_FOUND, "room_not_found".to_owned())
    );
    let mut dans = app.socket(&dan).await;
    dans.send(json!({"type": "subscribe", "room_id": room}))
        .await;
    let frame = dans.frame().await;
    assert_eq!(
        (&frame["type"], &frame["code"]),
        (&json!("error"), &json!("room_not_found")),
        "{frame}"
    );

    // Its people cannot let anyone in, leave, rank, rename or delete it.
    let forbidden = (StatusCode::FORBIDDEN, "forbidden".to_owned());
    for (method, path, body) in [
        (Method::POST, format!("/api/rooms/{room}/leave"), None),
        (
            Method::PATCH,
            format!("/api/rooms/{room}"),
            Some(json!({"name": "ours"})),
        ),
        (Method::DELETE, format!("/api/rooms/{room}"), None),
        (
            Method::POST,
            format!("/api/rooms/{room}/invitations"),
            Some(json!({"username": "dan"})),
        ),
        (
            Method::POST,
            format!("/api/rooms/{room}/invite-links"),
            Some(json!({})),
        ),
        (
            Method::POST,
            format!("/api/rooms/{room}/members/{}/role", bob.id),
            Some(json!({"role": "admin"})),
        ),
        (
            Method::DELETE,
            format!("/api/rooms/{room}/members/{}", bob.id),
            None,
        ),
    ] {
        assert_eq!(
            answer(&app, method.clone(), &path, Some(&ann), body).await,
            forbidden,
            "{method} {path}"
        );
    }
    // Still both of theirs, with what was said.
    let (status, body) = app
        .get(&format!("/api/rooms/{room}/members"), &ann.token)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["members"].as_array().unwrap().len(), 2);
    assert_eq!(app.history(&ann, room).await.len(), 1);
}

#[tokio::test]
async fn starting_a_conversation_names_between_one_and_eight_others_who_all_exist() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    app.register("bob").await;
    let validation = |status: StatusCode, body: &Value| {
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(body["error"]["code"], "validation_error", "{body}");
        assert_eq!(body["error"]["field"], "usernames", "{body}");
    };
    let (status, body) = start(&app, &ann, &[]).await;
    validation(status, &body);
    let (status, body) = start(&app, &ann, &["ann", "ANN"]).await;
    validation(status, &body);
    let nine: Vec<String> = (1..=9).map(|n| format!("user{n}")).collect();
    let nine: Vec<&str> = nine.iter().map(String::as_str).collect();
    let (status, body) = start(&app, &ann, &nine).await;
    validation(status, &body);

    // The first name nobody has is named.
    let (status, body) = start(&app, &ann, &["bob", "nobody", "zed"]).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(body["error"]["code"], "user_not_found");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("\"nobody\""),
        "{body}"
    );
    // A name no username could be is refused as such, not looked up.
    let long = "x".repeat(1000);
    for name in ["", "  ", "x", " bob", "bob\u{7}", long.as_str()] {
        let (status, body) = start(&app, &ann, &["bob", name]).await;
        validation(status, &body);
    }

    // Nothing was started by any of it.
    let (_, body) = app.get("/api/rooms", &ann.token).await;
    assert!(body["rooms"].as_array().unwrap().is_empty(), "{body}");

    for bad in [
        json!({}),
        json!({"usernames": "bob"}),
        json!({"usernames": [1]}),
    ] {
        let (status, body) = app.post("/api/direct", &ann.token, bad.clone()).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    assert_eq!(
        answer(
            &app,
            Method::POST,
            "/api/direct",
            None,
            Some(json!({"usernames": ["bob"]}))
        )
        .await,
        (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
    );
}

#[tokio::test]
async fn people_starting_the_same_conversation_at_once_get_one() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let app = &app;
    let starts = (0..8).map(|n| {
        let (who, other) = if n % 2 == 0 {
            (&ann, "bob")
        } else {
            (&bob, "ann")
        };
        async move { start(app, who, &[other]).await }
    });
    let answers = futures::future::join_all(starts).await;
    let created = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1, "{answers:?}");
    let ids: std::collections::BTreeSet<i64> = answers
        .iter()
        .map(|(status, body)| {
            assert!(status.is_success(), "{body}");
            body["room"]["id"].as_i64().unwrap()
        })
        .collect();
    assert_eq!(ids.len(), 1, "{answers:?}");
}

#[tokio::test]
async fn people_are_found_by_the_start_of_their_name_closest_first() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    for name in ["Annabel", "anna", "a_b", "axb", "bob"] {
        app.register(name).await;
    }
    let found = |q: &'static str| {
        let app = &app;
        let token = ann.token.clone();
        async move {
            let (status, body) = app
                .get(&format!("/api/users?q={}", urlencode(q)), &token)
                .await;
            assert_eq!(status, StatusCode::OK, "{q}: {body}");
            body["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    // Any case; the whole name first, then shorter before longer.
    assert_eq!(found("AN").await, ["ann", "anna", "Annabel"]);
    assert_eq!(found(" anna").await, ["anna", "Annabel"]);
    // `_` is a character of names here, not a wildcard.
    assert_eq!(found("a_").await, ["a_b"]);
    assert!(found("%").await.is_empty());
    assert!(found("zz").await.is_empty());
    // Names only.
    let (_, body) = app.get("/api/users?q=bob", &ann.token).await;
    assert_eq!(body["users"][0].as_object().unwrap().len(), 2, "{body}");

    for name in (1..=10).map(|n| format!("same{n:02}")) {
        app.register(&name).await;
    }
    assert_eq!(found("same").await.len(), 8);

    for q in ["", "%20", &"x".repeat(33)] {
        assert_eq!(
            answer(
                &app,
                Method::GET,
                &format!("/api/users?q={q}"),
                Some(&ann),
                None
            )
            .await,
            (StatusCode::BAD_REQUEST, "validation_error".to_owned()),
            "{q:?}"
        );
    }
    assert_eq!(
        answer(&app, Method::GET, "/api/users", Some(&ann), None).await,
        (StatusCode::BAD_REQUEST, "validation_error".to_owned())
    );
    assert_eq!(
        answer(&app, Method::GET, "/api/users?q=an", None, None).await,
        (StatusCode::UNAUTHORIZED, "unauthorized".to_owned())
    );
}

fn urlencode(q: &str) -> String {
    q.replace('%', "%25").replace(' ', "%20")
}
