//! What one client may ask of the server, and what happens past each limit:
//! failed logins per account and per address, session lifetime, sockets per
//! user, rooms per socket, sends per second, idle sockets, request size and
//! the text the services accept. Each limit is set low here through
//! `Settings`, the same values the environment variables set.

use std::time::Duration;

use app::server::Settings;
use reqwest::header::HeaderName;
use reqwest::header::RETRY_AFTER;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Next, PASSWORD, TestApp, assert_error, spawn_app, spawn_app_with};

/// A login attempt from `addr` (as the proxy header tells it): the status,
/// the `Retry-After` seconds if any, and the body.
async fn login_from(
    app: &TestApp,
    addr: &str,
    username: &str,
    password: &str,
) -> (StatusCode, Option<u64>, Value) {
    let response = app
        .http
        .post(app.url("/api/auth/login"))
        .header("x-forwarded-for", format!("10.9.9.9, {addr}"))
        .json(&json!({"username": username, "password": password}))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let retry_after = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (status, retry_after, response.json().await.unwrap())
}

fn behind_a_proxy() -> Settings {
    let mut settings = Settings {
        client_ip_header: Some(HeaderName::from_static("x-forwarded-for")),
        ..Settings::default()
    };
    settings.login.per_account = 3;
    settings.login.per_address = 6;
    settings
}

#[tokio::test]
async fn guessing_one_password_is_stopped_without_locking_its_owner_out() {
    let app = spawn_app_with(behind_a_proxy()).await;
    app.register("ann").await;
    let attacker = "203.0.113.9";
    for _ in 0..3 {
        let (status, retry, _) = login_from(&app, attacker, "ann", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(retry, None);
    }
    // Even the right password is refused from there now, with a wait.
    let (status, retry, body) = login_from(&app, attacker, "ann", PASSWORD).await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry = retry.expect("a Retry-After header");
    assert!((1..=300).contains(&retry), "{retry}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains(&retry.to_string()),
        "{body}"
    );
    // Ann, from her own address, logs in as usual.
    let (status, _, body) = login_from(&app, "198.51.100.7", "ann", PASSWORD).await;
    assert_eq!(status, StatusCode::OK, "{body}");
}

#[tokio::test]
async fn one_address_spraying_many_accounts_is_stopped() {
    let app = spawn_app_with(behind_a_proxy()).await;
    app.register("zoe").await;
    let sprayer = "2001:db8:7:7::1";
    for n in 0..6 {
        let (status, _, _) = login_from(&app, sprayer, &format!("user{n}"), "password1").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Another address in the same /64 is the same client.
    let (status, retry, body) = login_from(&app, "2001:db8:7:7::99", "zoe", PASSWORD).await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(retry.is_some());
    let (status, _, _) = login_from(&app, "2001:db8:7:8::1", "zoe", PASSWORD).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn one_address_creates_only_so_many_accounts() {
    let mut settings = behind_a_proxy();
    settings.login.registrations_per_address = 2;
    let app = spawn_app_with(settings).await;
    let register = |name: &'static str, addr: &'static str| {
        app.http
            .post(app.url("/api/auth/register"))
            .header("x-forwarded-for", addr)
            .json(&json!({"username": name, "password": PASSWORD}))
            .send()
    };
    for name in ["bot1", "bot2"] {
        assert_eq!(
            register(name, "203.0.113.9").await.unwrap().status(),
            StatusCode::CREATED
        );
    }
    let refused = register("bot3", "203.0.113.9").await.unwrap();
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key(RETRY_AFTER));
    assert_eq!(
        register("person", "198.51.100.7").await.unwrap().status(),
        StatusCode::CREATED
    );
    // The refused name was not taken.
    assert_eq!(
        register("bot3", "198.51.100.7").await.unwrap().status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_forged_forwarding_header_is_ignored_unless_configured() {
    let app = spawn_app().await;
    app.register("ann").await;
    // Without CLIENT_IP_HEADER the header proves nothing: every attempt
    // comes from the test's own address, whatever it claims.
    for n in 0..10 {
        let (status, _, _) =
            login_from(&app, &format!("203.0.113.{n}"), "ann", "wrong password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, _, body) = login_from(&app, "203.0.113.200", "ann", PASSWORD).await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn a_session_in_use_lives_on_and_an_idle_one_expires() {
    let settings = Settings {
        session_ttl: Duration::from_secs(3),
        ..Settings::default()
    };
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    // Used every 1.5 s, it outlives its 3 s lifetime twice over.
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let (status, body) = app.get("/api/me", &ann.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    tokio::time::sleep(Duration::from_millis(3500)).await;
    let (status, body) = app.get("/api/me", &ann.token).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn logging_out_everywhere_ends_every_session_of_that_user_only() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let phone = body["token"].as_str().unwrap().to_owned();
    let mut socket = app.socket(&ann).await;
    let mut bobs_socket = app.socket(&bob).await;

    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/logout-everywhere",
            Some(&phone),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for token in [&ann.token, &phone] {
        let (status, body) = app.get("/api/me", token).await;
        assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    }
    assert_eq!(socket.closed().await, Some(4001));
    let (status, _) = app.get("/api/me", &bob.token).await;
    assert_eq!(status, StatusCode::OK);
    bobs_socket.assert_quiet().await;
}

#[tokio::test]
async fn a_user_holds_at_most_the_allowed_number_of_sockets() {
    let mut settings = Settings::default();
    settings.sockets.max_per_user = 2;
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let mut first = app.socket(&ann).await;
    let _second = app.socket(&ann).await;
    match app.try_socket(&ann).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 429);
        }
        Err(other) => panic!("refused, but not with 429: {other}"),
        Ok(_) => panic!("a third socket was accepted"),
    }
    let _bobs = app.socket(&bob).await;
    // Closing one frees its place.
    first.stream.close(None).await.unwrap();
    let mut third = None;
    for _ in 0..50 {
        if let Ok(socket) = app.try_socket(&ann).await {
            third = Some(socket);
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    third
        .expect("a place after one socket closed")
        .assert_quiet()
        .await;
}

#[tokio::test]
async fn a_socket_watches_at_most_the_allowed_number_of_rooms() {
    let mut settings = Settings::default();
    settings.sockets.max_subscriptions = 2;
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let mut rooms = Vec::new();
    for name in ["one", "two", "three"] {
        rooms.push(app.create_room(&ann, name).await);
    }
    let mut socket = app.socket(&ann).await;
    socket.subscribe(rooms[0], None).await;
    socket.subscribe(rooms[1], None).await;
    // Subscribing again to a room it watches is not a new one.
    socket.subscribe(rooms[1], None).await;
    socket
        .send(json!({"type": "subscribe", "room_id": rooms[2]}))
        .await;
    let refused = socket.frame().await;
    assert_eq!(refused["code"], "too_many_subscriptions", "{refused}");
    assert_eq!(refused["room_id"], rooms[2]);
    socket
        .send(json!({"type": "unsubscribe", "room_id": rooms[0]}))
        .await;
    socket.subscribe(rooms[2], None).await;
}

fn send(room_id: i64, n: usize) -> Value {
    json!({"type": "send", "room_id": room_id, "body": format!("message {n}"), "client_id": format!("c{n}")})
}

#[tokio::test]
async fn sends_over_the_rate_are_refused_with_a_wait_and_nothing_is_lost() {
    let mut settings = Settings::default();
    settings.sends.burst = 5;
    settings.sends.window = Duration::from_secs(5);
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "busy").await;
    let mut socket = app.socket(&ann).await;
    for n in 0..5 {
        socket.send(send(room, n)).await;
        assert_eq!(socket.frame().await["type"], "ack");
    }
    socket.send(send(room, 5)).await;
    let refused = socket.frame().await;
    assert_eq!(refused["code"], "rate_limited", "{refused}");
    assert_eq!(refused["client_id"], "c5");
    assert_eq!(
        app.history(&ann, room).await.len(),
        5,
        "the refused send is not stored"
    );
    // After the wait (5 s / 5 = 1 s per send) the resend goes through.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    socket.send(send(room, 5)).await;
    let ack = socket.frame().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["client_id"], "c5");
}

/// A post over REST: the status, the `Retry-After` seconds if any, and the
/// body.
async fn post_over_rest(app: &TestApp, token: &str, room: i64) -> (StatusCode, Option<u64>, Value) {
    let response = app
        .http
        .post(app.url(&format!("/api/rooms/{room}/messages")))
        .bearer_auth(token)
        .json(&json!({"body": "over REST"}))
        .send()
        .await
        .unwrap();
    let wait = response
        .headers()
        .get(RETRY_AFTER)
        .map(|v| v.to_str().unwrap().parse().unwrap());
    (response.status(), wait, response.json().await.unwrap())
}

#[tokio::test]
async fn the_allowance_is_per_user_across_sockets_and_rest() {
    let mut settings = Settings::default();
    settings.sends.burst = 3;
    settings.sends.window = Duration::from_secs(60);
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "shared").await;
    app.join(&bob, room).await;
    let mut first = app.socket(&ann).await;
    for n in 0..3 {
        first.send(send(room, n)).await;
        assert_eq!(first.frame().await["type"], "ack");
    }
    // Another socket of hers has no fresh allowance.
    let mut second = app.socket(&ann).await;
    second.send(send(room, 3)).await;
    assert_eq!(second.frame().await["code"], "rate_limited");
    // Nor does the REST API, which says how long to wait.
    let (status, wait, _) = post_over_rest(&app, &ann.token, room).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    let wait = wait.expect("a Retry-After header");
    assert!((1..=20).contains(&wait), "{wait}");
    // Bob's allowance is his own.
    app.post_message(&bob, room, "bob is fine").await;
    assert_eq!(app.history(&ann, room).await.len(), 4);
}

#[tokio::test]
async fn a_socket_that_keeps_sending_after_refusals_is_closed() {
    let mut settings = Settings::default();
    settings.sends.burst = 3;
    settings.sends.window = Duration::from_secs(60);
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "flood").await;
    let mut socket = app.socket(&ann).await;
    for n in 0..20 {
        if !socket.try_send(&send(room, n)).await {
            break;
        }
    }
    let mut codes = Vec::new();
    let close = loop {
        match socket.next().await {
            Next::Frame(frame) => codes.push(frame["code"].as_str().unwrap_or("ack").to_owned()),
            Next::Closed(code) => break code,
        }
    };
    assert_eq!(close, Some(1008), "{codes:?}");
    assert_eq!(codes[..3], ["ack", "ack", "ack"]);
    assert!(codes[3..].iter().all(|c| c == "rate_limited"), "{codes:?}");
    assert_eq!(app.history(&ann, room).await.len(), 3);
    // REST, still over the allowance after all those refusals, is told to
    // wait like any other refused post: 429 with Retry-After.
    let (status, wait, body) = post_over_rest(&app, &ann.token, room).await;
    let wait = wait.expect("Retry-After on every 429");
    assert!((1..=60).contains(&wait), "{wait}");
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(app.history(&ann, room).await.len(), 3);
    // The user is not punished beyond the socket: a new one works.
    app.socket(&ann).await.assert_quiet().await;
}

#[tokio::test]
async fn a_silent_peer_is_dropped_after_the_idle_timeout() {
    let mut settings = Settings::default();
    settings.sockets.ping_every = Duration::from_millis(200);
    settings.sockets.idle_timeout = Duration::from_millis(700);
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let mut silent = app.socket(&ann).await;
    let mut talking = app.socket(&ann).await;
    // A client that keeps talking stays, well past the timeout.
    for _ in 0..6 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        talking.assert_quiet().await;
    }
    // One that stopped reading never answered a ping, and was dropped.
    assert!(
        matches!(silent.next().await, Next::Closed(_)),
        "the silent socket was dropped"
    );
    talking.assert_quiet().await;
    assert_eq!(app.server.state.hub.connection_count(), 1);
}

#[tokio::test]
async fn an_oversized_request_body_is_refused_with_413_before_it_is_read() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "big").await;
    let huge = json!({"body": "x".repeat(100 * 1024)});
    let (status, body) = app
        .post(&format!("/api/rooms/{room}/messages"), &ann.token, huge)
        .await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Streamed without a length, it is cut off all the same.
    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = vec![
        Ok(br#"{"body":""#.to_vec()),
        Ok(vec![b'x'; 100 * 1024]),
        Ok(br#""}"#.to_vec()),
    ];
    let response = app
        .http
        .post(app.url(&format!("/api/rooms/{room}/messages")))
        .bearer_auth(&ann.token)
        .header("content-type", "application/json")
        .body(reqwest::Body::wrap_stream(futures::stream::iter(chunks)))
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap();
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // A server function gets the same limit.
    let response = app
        .http
        .post(app.url("/api/fn/create_room"))
        .bearer_auth(&ann.token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("name={}", "x".repeat(100 * 1024)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(app.history(&ann, room).await.is_empty());
}

#[tokio::test]
async fn control_characters_are_refused_everywhere_but_any_script_is_welcome() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (status, body) = app
        .post("/api/rooms", &ann.token, json!({"name": "bell\u{7}room"}))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "name");
    let room = app.create_room(&ann, "שלום 👋 e\u{301}").await;
    let path = format!("/api/rooms/{room}/messages");
    for bad in ["null\u{0}byte", "escape \u{1b}[31mred", "carriage\rreturn"] {
        let (status, body) = app.post(&path, &ann.token, json!({"body": bad})).await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
        assert_eq!(body["error"]["field"], "body");
    }
    let fine = "line one\nline two\twith a tab, עברית, مرحبا, 日本語 🎉";
    app.post_message(&ann, room, fine).await;
    // The socket applies the same rule.
    let mut socket = app.socket(&ann).await;
    socket
        .send(json!({"type": "send", "room_id": room, "body": "bad\u{7}", "client_id": "c1"}))
        .await;
    let refused = socket.frame().await;
    assert_eq!(refused["code"], "validation_error", "{refused}");
    assert_eq!(refused["client_id"], "c1");
    let history = app.history(&ann, room).await;
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["body"], fine);
}
