//! Search: words, phrases and the word being typed, in the rooms the
//! searcher is a member of and no other; kept in step with edits, deletes,
//! leaving and deleting rooms; ranked, filtered and paged.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app};
use crate::support::api::TestUser;

/// `(status, body)` of a search with these query parameters.
async fn search_with(
    app: &TestApp,
    who: &TestUser,
    params: &[(&str, &str)],
) -> (StatusCode, Value) {
    let query: Vec<String> = params
        .iter()
        .map(|(k, v)| format!("{k}={}", urlencode(v)))
        .collect();
    app.get(&format!("/api/search?{}", query.join("&")), &who.token)
        .await
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            b => format!("%{b:02X}"),
        })
        .collect()
}

/// The bodies found for `q`, best first.
async fn found(app: &TestApp, who: &TestUser, q: &str) -> Vec<String> {
    let (status, body) = search_with(app, who, &[("q", q)]).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    bodies(&body)
}

fn bodies(page: &Value) -> Vec<String> {
    page["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["message"]["body"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn words_phrases_and_prefixes_are_found_only_in_rooms_the_searcher_is_in() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let general = app.create_room(&ann, "general").await;
    app.join(&bob, general).await;
    let secret = app.create_private_room(&ann, "secret").await;
    let elsewhere = app.create_room(&cyd, "elsewhere").await;
    let (_, direct) = app
        .post("/api/direct", &ann.token, json!({"usernames": ["bob"]}))
        .await;
    let direct = direct["room"]["id"].as_i64().unwrap();
    app.post_message(&ann, general, "The deploy is on Friday")
        .await;
    app.post_message(&ann, general, "release notes are ready")
        .await;
    app.post_message(&ann, general, "notes about the release")
        .await;
    app.post_message(&ann, secret, "deploy the secret codes")
        .await;
    app.post_message(&cyd, elsewhere, "deploy elsewhere").await;
    app.post_message(&ann, direct, "deploy, then lunch?").await;

    // Bob reads general and his conversation with Ann: not Ann's private
    // room, nor a public room he never joined.
    let (status, page) = search_with(&app, &bob, &[("q", "DEPLOY ")]).await;
    assert_eq!(status, StatusCode::OK, "{page}");
    let mut got = bodies(&page);
    got.sort();
    assert_eq!(got, ["The deploy is on Friday", "deploy, then lunch?"]);
    let in_direct = page["results"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["room"]["id"] == direct)
        .unwrap();
    assert_eq!(
        in_direct["room"],
        json!({"id": direct, "name": "ann", "kind": "direct"})
    );
    assert_eq!(
        in_direct["snippet_html"],
        "<mark>deploy</mark>, then lunch?"
    );
    assert_eq!(found(&app, &cyd, "deploy ").await, ["deploy elsewhere"]);
    assert_eq!(
        found(&app, &ann, "secret").await,
        ["deploy the secret codes"]
    );

    // A phrase keeps its words in order; the word being typed is a prefix.
    assert_eq!(
        found(&app, &bob, "\"release notes\"").await,
        ["release notes are ready"]
    );
    let mut both = found(&app, &bob, "notes release ").await;
    both.sort();
    assert_eq!(both, ["notes about the release", "release notes are ready"]);
    assert_eq!(
        found(&app, &bob, "deploy fri").await,
        ["The deploy is on Friday"]
    );
    assert!(
        found(&app, &bob, "deploy fri ").await.is_empty(),
        "a finished word is whole"
    );
    assert!(found(&app, &bob, "codes").await.is_empty());
}

#[tokio::test]
async fn edits_deletes_leaving_and_deleted_rooms_change_what_is_found() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let typo = app.post_message(&ann, room, "a typo in the wrod").await;
    assert_eq!(found(&app, &bob, "wrod ").await.len(), 1);
    app.edit_message(&ann, room, &typo, "a typo in the word, fixed")
        .await;
    assert!(
        found(&app, &bob, "wrod ").await.is_empty(),
        "the old text still matched"
    );
    assert_eq!(
        found(&app, &bob, "word ").await,
        ["a typo in the word, fixed"]
    );
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/rooms/{room}/messages/{}", typo["id"]),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        found(&app, &bob, "word ").await.is_empty(),
        "a deleted message matched"
    );

    app.post_message(&ann, room, "still here").await;
    assert_eq!(found(&app, &bob, "still ").await.len(), 1);
    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        found(&app, &bob, "still ").await.is_empty(),
        "a room left is still searched"
    );
    assert_eq!(found(&app, &ann, "still ").await.len(), 1);
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/api/rooms/{room}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert!(
        found(&app, &ann, "still ").await.is_empty(),
        "a deleted room is still searched"
    );
}

#[tokio::test]
async fn results_are_ranked_filtered_and_paged() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let general = app.create_room(&ann, "general").await;
    let random = app.create_room(&ann, "random").await;
    app.join(&bob, general).await;
    app.join(&bob, random).await;

    // More of the word, in fewer others, is more relevant, older or not;
    // among equals the newest comes first.
    app.post_message(&ann, general, "apple apple apple").await;
    app.post_message(
        &ann,
        general,
        "apple and a great many other words that are not about it at all",
    )
    .await;
    assert_eq!(
        found(&app, &bob, "apple ").await,
        [
            "apple apple apple",
            "apple and a great many other words that are not about it at all"
        ]
    );
    app.post_message(&ann, random, "pear, first").await;
    app.post_message(&bob, general, "pear, second").await;
    assert_eq!(
        found(&app, &ann, "pear ").await,
        ["pear, second", "pear, first"]
    );

    // By room, by author (a parameter or from: in the query), by time.
    let room = random.to_string();
    let (_, page) = search_with(&app, &ann, &[("q", "pear "), ("room_id", &room)]).await;
    assert_eq!(bodies(&page), ["pear, first"]);
    let (_, page) = search_with(&app, &ann, &[("q", "pear "), ("author", "BOB")]).await;
    assert_eq!(bodies(&page), ["pear, second"]);
    assert_eq!(found(&app, &ann, "from:bob pear ").await, ["pear, second"]);
    assert_eq!(
        found(&app, &ann, "from:bob").await,
        ["pear, second"],
        "a filter alone lists"
    );
    assert!(found(&app, &ann, "from:nobody pear").await.is_empty());
    let (_, page) = search_with(&app, &ann, &[("q", "from:ann pear"), ("author", "bob")]).await;
    assert!(bodies(&page).is_empty(), "two authors at once");
    let today = chrono::Utc::now().date_naive();
    let tomorrow = (today + chrono::Days::new(1)).to_string();
    let (_, page) = search_with(&app, &ann, &[("q", "pear "), ("after", &tomorrow)]).await;
    assert!(bodies(&page).is_empty());
    let (_, page) = search_with(
        &app,
        &ann,
        &[
            ("q", "pear "),
            ("before", &tomorrow),
            ("after", &today.to_string()),
        ],
    )
    .await;
    assert_eq!(bodies(&page).len(), 2);
    let (_, page) = search_with(
        &app,
        &ann,
        &[("q", "pear "), ("before", "2000-01-01T00:00:00Z")],
    )
    .await;
    assert!(bodies(&page).is_empty());

    // Pages follow one another, each result once, the last without a cursor.
    for i in 0..5 {
        app.post_message(&ann, general, &format!("plum {i}")).await;
    }
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let mut params = vec![("q", "plum "), ("limit", "2")];
        if let Some(c) = &cursor {
            params.push(("cursor", c));
        }
        let (status, page) = search_with(&app, &bob, &params).await;
        assert_eq!(status, StatusCode::OK, "{page}");
        pages += 1;
        seen.extend(bodies(&page));
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => break,
        }
    }
    assert_eq!(pages, 3);
    assert_eq!(seen, ["plum 4", "plum 3", "plum 2", "plum 1", "plum 0"]);
}

#[tokio::test]
async fn a_search_that_cannot_be_run_says_why() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let long = "a".repeat(201);
    for (params, field) in [
        (vec![("q", long.as_str())], "q"),
        (vec![("q", "x"), ("limit", "0")], "limit"),
        (vec![("q", "x"), ("limit", "51")], "limit"),
        (vec![("q", "x"), ("cursor", "next")], "cursor"),
        (vec![("q", "x"), ("before", "yesterday")], "before"),
        (vec![("q", "x"), ("after", "2026-02-30")], "after"),
    ] {
        let (status, body) = search_with(&app, &ann, &params).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
        assert_eq!(body["error"]["field"], field, "{params:?}: {body}");
    }
    let (status, body) = app.get("/api/search", &ann.token).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    // Nothing to look for, or past the last page: nothing found.
    for params in [
        vec![("q", "")],
        vec![("q", "  !!! ")],
        vec![("q", "x"), ("cursor", "100000")],
    ] {
        let (status, body) = search_with(&app, &ann, &params).await;
        assert_eq!(
            (status, body),
            (StatusCode::OK, json!({"results": []})),
            "{params:?}"
        );
    }
    let (status, body) = app.call(Method::GET, "/api/search?q=x", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    // Markup in a message is text in its snippet.
    let room = app.create_room(&ann, "general").await;
    app.post_message(&ann, room, "<img src=x onerror=alert(1)> boom")
        .await;
    let (_, page) = search_with(&app, &ann, &[("q", "boom ")]).await;
    assert_eq!(
        page["results"][0]["snippet_html"],
        "&lt;img src=x onerror=alert(1)&gt; <mark>boom</mark>"
    );
}
