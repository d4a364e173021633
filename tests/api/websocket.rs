use futures::SinkExt;
use reqwest::StatusCode;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::helpers::{Next, spawn_app};

#[tokio::test]
async fn an_upgrade_without_a_session_is_refused_with_401() {
    let app = spawn_app().await;
    let request = format!("ws://{}/ws", app.server.addr)
        .into_client_request()
        .unwrap();
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        }
        other => panic!("expected 401, got {:?}", other.map(|_| ())),
    }
}

#[tokio::test]
async fn a_cookie_authenticates_the_upgrade() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut request = format!("ws://{}/ws", app.server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Cookie",
        format!("chat_session={}", ann.token).parse().unwrap(),
    );
    let (mut stream, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("upgrade with cookie");
    stream
        .send(WsMessage::Text(r#"{"type":"ping"}"#.into()))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_send_is_acked_and_reaches_every_subscriber_once() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut a = app.socket(&ann).await;
    let mut b = app.socket(&bob).await;
    // Bob's join is the room's first event.
    assert_eq!(a.subscribe(room, None).await, (vec![], 1));
    assert_eq!(b.subscribe(room, None).await, (vec![], 1));

    a.send(json!({"type": "send", "room_id": room, "body": "hello bob", "client_id": "c1"}))
        .await;
    let mut got_ack = false;
    let mut got_message = false;
    for _ in 0..2 {
        let frame = a.frame().await;
        match frame["type"].as_str().unwrap() {
            "ack" => {
                got_ack = true;
                assert_eq!(frame["client_id"], "c1");
                assert_eq!(frame["message"]["seq"], 2);
            }
            "message" => got_message = true,
            other => panic!("unexpected {other}"),
        }
    }
    assert!(got_ack && got_message);
    let frame = b.frame().await;
    assert_eq!(frame["type"], "message");
    assert_eq!(frame["message"]["body"], "hello bob");
    assert_eq!(frame["message"]["author"]["username"], "ann");
    b.assert_quiet().await;

    // A retry with the same client_id is acknowledged with the original only.
    a.send(json!({"type": "send", "room_id": room, "body": "hello bob", "client_id": "c1"}))
        .await;
    let ack = a.frame().await;
    assert_eq!(ack["type"], "ack");
    assert_eq!(ack["message"]["seq"], 2);
    a.assert_quiet().await;
    b.assert_quiet().await;
}

#[tokio::test]
async fn subscribing_after_a_seq_replays_exactly_the_missed_messages() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    for i in 1..=5 {
        app.post_message(&ann, room, &format!("m{i}")).await;
    }
    let mut socket = app.socket(&ann).await;
    let (backlog, last_seq) = socket.subscribe(room, Some(2)).await;
    let seqs: Vec<i64> = backlog.iter().map(|m| m["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![3, 4, 5]);
    assert_eq!(last_seq, 5);

    // Posted over HTTP, delivered live, once.
    app.post_message(&ann, room, "m6").await;
    let frame = socket.frame().await;
    assert_eq!(frame["message"]["seq"], 6);
    socket.assert_quiet().await;

    // Without after_seq there is no backlog, only the point live starts at.
    let mut fresh = app.socket(&ann).await;
    assert_eq!(fresh.subscribe(room, None).await, (vec![], 6));
}

#[tokio::test]
async fn non_members_cannot_subscribe_or_send() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    let mut b = app.socket(&bob).await;
    b.send(json!({"type": "subscribe", "room_id": room})).await;
    let frame = b.frame().await;
    assert_eq!(
        (frame["type"].as_str(), frame["code"].as_str()),
        (Some("error"), Some("not_a_member"))
    );
    b.send(json!({"type": "send", "room_id": room, "body": "hi", "client_id": "x"}))
        .await;
    let frame = b.frame().await;
    assert_eq!(frame["code"], "not_a_member");
    assert_eq!(frame["client_id"], "x");
    b.send(json!({"type": "subscribe", "room_id": 999})).await;
    assert_eq!(b.frame().await["code"], "room_not_found");
}

#[tokio::test]
async fn bad_frames_get_clear_errors_and_the_socket_stays_open() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "general").await;
    let mut socket = app.socket(&ann).await;
    let long = "x".repeat(4001);
    let cases = [
        ("{not json".to_owned(), "invalid_json"),
        (r#"{"type":"dance"}"#.to_owned(), "unknown_type"),
        (r#"{"room_id":1}"#.to_owned(), "invalid_frame"),
        (r#"{"type":"subscribe"}"#.to_owned(), "invalid_frame"),
        (
            format!(r#"{{"type":"send","room_id":{room},"body":"hi"}}"#),
            "invalid_frame",
        ),
        (
            format!(r#"{{"type":"send","room_id":{room},"body":"{long}","client_id":"c"}}"#),
            "validation_error",
        ),
        (
            format!(r#"{{"type":"send","room_id":{room},"body":"   ","client_id":"d"}}"#),
            "validation_error",
        ),
    ];
    for (text, code) in cases {
        socket.send_text(&text).await;
        let frame = socket.frame().await;
        assert_eq!(frame["type"], "error", "{text}");
        assert_eq!(frame["code"], code, "{text}");
        assert!(frame["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    socket.assert_quiet().await;
}

#[tokio::test]
async fn an_oversized_frame_closes_the_socket_with_1009() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut socket = app.socket(&ann).await;
    let huge = format!(r#"{{"type":"ping","pad":"{}"}}"#, "x".repeat(70 * 1024));
    let _ = socket.stream.send(WsMessage::Text(huge.into())).await;
    match socket.next().await {
        Next::Closed(code) => assert_eq!(code, Some(1009), "the close names the reason"),
        Next::Frame(frame) => panic!("expected a close, got {frame}"),
    }
}

#[tokio::test]
async fn logging_out_closes_that_sessions_sockets() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut socket = app.socket(&ann).await;
    socket.assert_quiet().await;
    let (status, _) = app.post("/api/auth/logout", &ann.token, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(socket.closed().await, Some(4001));
}

#[tokio::test]
async fn leaving_a_room_stops_its_delivery() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    let mut b = app.socket(&bob).await;
    b.subscribe(room, None).await;
    let (status, _) = app
        .post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    b.told_not_a_member(room, bob.id).await;
    app.post_message(&ann, room, "after bob left").await;
    b.assert_quiet().await;
}

#[tokio::test]
async fn unsubscribing_stops_delivery_of_that_room_only() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let quiet = app.create_room(&ann, "quiet").await;
    let loud = app.create_room(&ann, "loud").await;
    let mut socket = app.socket(&ann).await;
    socket.subscribe(quiet, None).await;
    socket.subscribe(loud, None).await;
    socket
        .send(json!({"type": "unsubscribe", "room_id": quiet}))
        .await;
    socket.assert_quiet().await;
    app.post_message(&ann, quiet, "unheard").await;
    app.post_message(&ann, loud, "heard").await;
    let frame = socket.frame().await;
    assert_eq!(frame["message"]["body"], "heard");
    socket.assert_quiet().await;
}

/// Every connection the server accepts (pages, the API, sockets) sends small
/// writes at once. With Nagle's algorithm on, a sender that watches its room
/// gets its ack and then the room's copy of its message as two small
/// writes, and the second waits for the peer's delayed ACK (up to 40 ms).
/// The server runs in this process, so its accepted sockets are ours to
/// inspect: those whose local port is the server's.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn accepted_connections_send_small_writes_at_once() {
    use std::os::fd::BorrowedFd;

    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let mut socket = app.socket(&ann).await;
    socket.assert_quiet().await;
    let port = app.server.addr.port();
    let mut accepted = 0;
    for entry in std::fs::read_dir("/proc/self/fd").unwrap().flatten() {
        let Some(fd) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        // SAFETY: only borrowed while the test's own connections keep the
        // server's sockets open; a descriptor closed meanwhile fails the
        // calls below, which then skip it.
        let fd = unsafe { BorrowedFd::borrow_raw(fd) };
        let sock = socket2::SockRef::from(&fd);
        let (Ok(local), Ok(_peer)) = (sock.local_addr(), sock.peer_addr()) else {
            continue;
        };
        if local.as_socket().is_some_and(|a| a.port() == port) {
            assert!(
                sock.tcp_nodelay().unwrap(),
                "an accepted connection has Nagle's algorithm on"
            );
            accepted += 1;
        }
    }
    // The HTTP connection that registered, and the WebSocket.
    assert!(accepted >= 2, "found {accepted} accepted connections");
}

/// A socket reads on while its sends are committed: with the room's
/// writes held up by another transaction, a ping sent after a message is
/// answered at once, and the ack comes once the writes go through.
#[tokio::test]
async fn a_socket_answers_other_frames_while_its_send_is_committed() {
    use app::server::storage::db::Backend;
    use sqlx::Executor;

    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "held").await;
    let mut socket = app.socket(&ann).await;

    let db = &app.server.state.db;
    let mut holder = db.acquire().await.unwrap();
    match db.backend() {
        Backend::Sqlite => {
            holder.execute("BEGIN IMMEDIATE").await.unwrap();
        }
        Backend::Postgres => {
            holder.execute("BEGIN").await.unwrap();
            holder
                .execute(format!("SELECT id FROM rooms WHERE id = {room} FOR UPDATE").as_str())
                .await
                .unwrap();
        }
    }

    socket
        .send(json!({"type": "send", "room_id": room, "body": "held up", "client_id": "h1"}))
        .await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(
        socket.frame().await["type"],
        "pong",
        "the ping waited for the commit"
    );

    holder.execute("ROLLBACK").await.unwrap();
    let ack = socket.frame().await;
    assert_eq!(ack["type"], "ack", "{ack}");
    assert_eq!(ack["client_id"], "h1");
}
