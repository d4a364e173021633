//! Scale-out: two server processes on one PostgreSQL database. Users on
//! different nodes talk in one room; a node that loses its LISTEN connection
//! catches its sockets up from the database. Always runs on PostgreSQL,
//! whatever backend the rest of the run uses.

use std::time::Duration;

use futures::join;

use crate::client::ChatClient;
use crate::scene::check;
use crate::support::api::{Api, TestUser};
use crate::support::database::TestDatabase;
use crate::support::process::ServerProcess;
use crate::support::socket::TestSocket;
use crate::support::view::RoomView;

const WAIT: Duration = Duration::from_secs(30);

async fn node(database: &TestDatabase, name: &str) -> ServerProcess {
    let logs = database.dir().join(name);
    std::fs::create_dir_all(&logs).expect("log dir");
    ServerProcess::start(&logs, &database.url, &[]).await
}

#[tokio::test]
async fn users_on_two_nodes_talk_and_survive_a_lost_listener() {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let owner = api1.register("owner").await;
    let room = api1.create_room(&owner, "across nodes").await;
    let mut ann = ChatClient::new(&api1, "ann", &[room]).await;
    let mut ben = ChatClient::new(&api2, "ben", &[room]).await;
    assert!(ann.connect(&api1).await);
    assert!(ben.connect(&api2).await);

    // Both ways, interleaved: every message reaches both nodes' sockets.
    for i in 0..20 {
        ann.send(room, &format!("ann {i}")).await;
        ben.send(room, &format!("ben {i}")).await;
    }
    let caught_up = |c: &ChatClient| c.unacked.is_empty() && c.message_count(room) == 40;
    join!(
        ann.pump_until(WAIT, caught_up),
        ben.pump_until(WAIT, caught_up)
    );

    // Cut node 2's LISTEN connection while Ann keeps talking on node 1.
    let terminated = database
        .admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'chat-listener-{}'",
            two.pid()
        ))
        .await;
    assert_eq!(terminated, 1, "node 2's listener connection was found");
    for i in 0..30 {
        ann.send(room, &format!("ann while node 2 is deaf {i}"))
            .await;
    }
    let caught_up = |c: &ChatClient| c.unacked.is_empty() && c.message_count(room) == 70;
    join!(
        ann.pump_until(WAIT, caught_up),
        ben.pump_until(WAIT, caught_up)
    );

    let log = two.log();
    assert!(
        log.contains("message listener connection lost") || log.contains("message listener failed"),
        "node 2 noticed its lost listener:\n{log}"
    );
    let history = api2.history(&owner, room).await;
    check(&[ann, ben], &[(room, history)].into_iter().collect());
}

#[tokio::test]
async fn a_logout_on_one_node_ends_the_session_on_the_other() {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let ann = api1.register("ann").await;
    let room = api1.create_room(&ann, "both nodes").await;
    // A message from node 1 reaching Ann's socket on node 2 shows node 2
    // listens; her requests there put her session in node 2's cache.
    let mut socket = api2.socket(&ann).await;
    socket.subscribe(room, None).await;
    api1.post_message(&ann, room, "heard on node 2").await;
    assert_eq!(socket.frame().await["message"]["body"], "heard on node 2");
    let (status, _) = api2.get("/api/me", &ann.token).await;
    assert_eq!(status, reqwest::StatusCode::OK);

    let (status, _) = api1
        .post("/api/auth/logout", &ann.token, serde_json::json!({}))
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(
        socket.closed().await,
        Some(4001),
        "node 2 closed her socket"
    );
    let (status, _) = api2.get("/api/me", &ann.token).await;
    assert_eq!(
        status,
        reqwest::StatusCode::UNAUTHORIZED,
        "node 2 forgot the session it had cached"
    );
}

/// Two nodes on one database, and Ann, a member of the owner's room,
/// watching it from a socket on node 2 that is shown to hear node 1.
struct WatchedFromNodeTwo {
    database: TestDatabase,
    one: ServerProcess,
    two: ServerProcess,
    api1: Api,
    owner: TestUser,
    ann: TestUser,
    room: i64,
    socket: TestSocket,
}

async fn ann_watches_from_node_two() -> WatchedFromNodeTwo {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));
    let owner = api1.register("owner").await;
    let room = api1.create_room(&owner, "watched from node 2").await;
    let ann = api1.register("ann").await;
    api1.join(&ann, room).await;
    let mut socket = api2.socket(&ann).await;
    socket.subscribe(room, None).await;
    api1.post_message(&owner, room, "before").await;
    assert_eq!(socket.frame().await["message"]["body"], "before");
    WatchedFromNodeTwo {
        database,
        one,
        two,
        api1,
        owner,
        ann,
        room,
        socket,
    }
}

#[tokio::test]
async fn leaving_on_one_node_stops_the_room_on_the_other() {
    let WatchedFromNodeTwo {
        // Held to the end: dropping one stops its node.
        database: _database,
        one: _one,
        two: _two,
        api1,
        owner,
        ann,
        room,
        mut socket,
    } = ann_watches_from_node_two().await;

    // She leaves through node 1; her socket on node 2 is told, then hears
    // nothing more of the room.
    let (status, body) = api1
        .post(
            &format!("/api/rooms/{room}/leave"),
            &ann.token,
            serde_json::json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    socket.told_not_a_member(room, ann.id).await;
    api1.post_message(&owner, room, "after").await;
    socket.assert_quiet().await;
}

#[tokio::test]
async fn a_member_removed_on_one_node_stops_receiving_the_room_on_the_other() {
    let WatchedFromNodeTwo {
        database: _database,
        one: _one,
        two: _two,
        api1,
        owner,
        ann,
        room,
        mut socket,
    } = ann_watches_from_node_two().await;

    // The owner removes her through node 1; her socket on node 2 sees the
    // removal, is unsubscribed, and hears nothing more of the room.
    let (status, body) = api1
        .call(
            reqwest::Method::DELETE,
            &format!("/api/rooms/{room}/members/{}", ann.id),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT, "{body}");
    // Posted the moment the removal returns, before node 2 may have heard
    // of it: it must not reach her.
    api1.post_message(&owner, room, "after").await;
    let mut frame = socket.frame().await;
    if frame["type"] == "event" {
        assert_eq!(frame["kind"], "member_left", "{frame}");
        assert_eq!(frame["reason"], "removed", "{frame}");
        frame = socket.frame().await;
    }
    assert_eq!(frame["type"], "unsubscribed", "{frame}");
    assert_eq!(
        (frame["room_id"].as_i64(), frame["reason"].as_str()),
        (Some(room), Some("removed"))
    );
    socket.assert_quiet().await;
}

/// Edits, deletions and reactions made through node 1, one of them too
/// large for a notification's payload, reach a socket on node 2 live as
/// events of the room, and a client catching up on node 2 replays them to
/// the same end state.
#[tokio::test]
async fn changes_made_on_one_node_reach_the_other_live_and_in_catch_up() {
    let WatchedFromNodeTwo {
        database: _database,
        one: _one,
        two,
        api1,
        owner,
        ann,
        room,
        mut socket,
    } = ann_watches_from_node_two().await;
    let api2 = Api::new(two.addr);
    let mut live = RoomView::default();
    let (backlog, _) = api2
        .socket(&ann)
        .await
        .subscribe_events(room, Some(0))
        .await;
    backlog.iter().for_each(|frame| live.apply(frame));

    let path = |id: &serde_json::Value| format!("/api/rooms/{room}/messages/{id}");
    let first = api1.post_message(&owner, room, "first").await["id"].clone();
    let second = api1.post_message(&ann, room, "second").await["id"].clone();
    let large = "🙂".repeat(4000);
    let calls = [
        (
            reqwest::Method::PATCH,
            path(&first),
            &owner,
            Some(serde_json::json!({"body": large})),
        ),
        (
            reqwest::Method::PUT,
            format!("{}/reactions/%F0%9F%91%8D", path(&first)),
            &ann,
            None,
        ),
        (
            reqwest::Method::PUT,
            format!("{}/reactions/%F0%9F%8E%89", path(&second)),
            &owner,
            None,
        ),
        (
            reqwest::Method::DELETE,
            format!("{}/reactions/%F0%9F%91%8D", path(&first)),
            &ann,
            None,
        ),
        (reqwest::Method::DELETE, path(&second), &owner, None),
    ];
    for (method, path, user, body) in calls {
        let (status, answer) = api1.call(method, &path, Some(&user.token), body).await;
        assert!(status.is_success(), "{path}: {status} {answer}");
    }

    let end = api1.last_seq(&owner, room).await;
    while live.last_seq < end {
        let frame = socket.frame().await;
        live.apply(&frame);
    }
    let history = api2.history(&owner, room).await;
    assert_eq!(live.history(), history, "live on node 2");
    assert_eq!(history[1]["body"], large);
    assert_eq!(history[2]["deleted"], true);

    let mut caught_up = RoomView::default();
    let (backlog, last) = api2
        .socket(&ann)
        .await
        .subscribe_events(room, Some(0))
        .await;
    backlog.iter().for_each(|frame| caught_up.apply(frame));
    assert_eq!(last, end);
    assert_eq!(caught_up.history(), history, "caught up on node 2");
}

/// A leave made while a node is not listening is never heard there; once
/// it listens again, the node catches up on the log of every room it
/// delivers, the leave among it, and publishing the leave ends it there.
#[tokio::test]
async fn a_leave_a_node_missed_is_caught_when_it_listens_again() {
    let WatchedFromNodeTwo {
        database,
        one,
        two,
        api1,
        owner,
        ann,
        room,
        mut socket,
    } = ann_watches_from_node_two().await;

    // Node 2 loses its listener and cannot open a new connection; the
    // connections both nodes already hold go on working (requests at once
    // make node 1's pool hold several, for the leave below).
    futures::future::join_all((0..16).map(|_| api1.get("/api/rooms", &ann.token))).await;
    database
        .server_admin("ALTER DATABASE {db} ALLOW_CONNECTIONS false")
        .await;
    let terminated = database
        .server_admin(&format!(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
             WHERE application_name = 'chat-listener-{}'",
            two.pid()
        ))
        .await;
    assert_eq!(terminated, 1, "node 2's listener connection was found");
    let deadline = tokio::time::Instant::now() + WAIT;
    while !two.log().contains("cannot listen for messages") {
        assert!(
            tokio::time::Instant::now() < deadline,
            "node 2 noticed:\n{}",
            two.log()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = api1
        .post(
            &format!("/api/rooms/{room}/leave"),
            &ann.token,
            serde_json::json!({}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}\n{}", one.log());

    database
        .server_admin("ALTER DATABASE {db} ALLOW_CONNECTIONS true")
        .await;
    socket.told_not_a_member(room, ann.id).await;
    api1.post_message(&owner, room, "after").await;
    socket.assert_quiet().await;
}

#[tokio::test]
async fn a_room_deleted_on_one_node_closes_on_the_other() {
    let WatchedFromNodeTwo {
        database: _database,
        one: _one,
        two: _two,
        api1,
        owner,
        room,
        mut socket,
        ..
    } = ann_watches_from_node_two().await;

    let (status, body) = api1
        .call(
            reqwest::Method::DELETE,
            &format!("/api/rooms/{room}"),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT, "{body}");
    let mut frame = socket.frame().await;
    if frame["type"] == "event" {
        assert_eq!(frame["kind"], "room_deleted", "{frame}");
        frame = socket.frame().await;
    }
    assert_eq!(
        frame,
        serde_json::json!({"type": "unsubscribed", "room_id": room, "reason": "deleted"})
    );
    socket.assert_quiet().await;
}

#[tokio::test]
async fn activity_in_a_room_reaches_a_socket_on_the_other_node_that_does_not_watch_it() {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let owner = api1.register("owner").await;
    let ann = api1.register("ann").await;
    let room = api1.create_room(&owner, "both nodes").await;
    api1.join(&ann, room).await;
    let mut listing = api2.socket(&ann).await.hear_activity();
    // A reply to a ping: the socket is registered on node 2.
    listing.assert_quiet().await;

    let posted = api1.post_message(&owner, room, "for ann's list").await;
    let summary = loop {
        let frame = tokio::time::timeout(WAIT, listing.frame())
            .await
            .expect("activity within the wait");
        assert_eq!(frame["type"], "activity", "{frame}");
        if frame["rooms"][0]["unread_count"] == 1 {
            break frame["rooms"][0].clone();
        }
    };
    assert_eq!(summary["room_id"], room, "{summary}");
    assert_eq!(summary["last_seq"], posted["seq"], "{summary}");

    // Reading on node 1 reaches her socket on node 2 (the users channel).
    let (status, _) = api1
        .post(
            &format!("/api/rooms/{room}/read"),
            &ann.token,
            serde_json::json!({"seq": posted["seq"]}),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    let read = listing.frame().await;
    assert_eq!(read["rooms"][0]["last_read_seq"], posted["seq"], "{read}");
    assert_eq!(read["rooms"][0]["unread_count"], 0, "{read}");
}

#[tokio::test]
async fn typing_on_one_node_reaches_a_watcher_on_the_other() {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let ann = api1.register("ann").await;
    let bob = api1.register("bob").await;
    let room = api1.create_room(&ann, "both nodes").await;
    api1.join(&bob, room).await;
    let mut anns = api2.socket(&ann).await;
    anns.subscribe(room, None).await;
    let mut bobs = api1.socket(&bob).await;
    bobs.subscribe(room, None).await;

    bobs.send(serde_json::json!({"type": "typing", "room_id": room}))
        .await;
    let heard = tokio::time::timeout(WAIT, anns.frame())
        .await
        .expect("typing within the wait");
    assert_eq!(heard["type"], "typing", "{heard}");
    assert_eq!(heard["user"]["id"], bob.id, "{heard}");
}

#[tokio::test]
async fn people_on_a_node_killed_with_kill_9_go_offline_on_the_other() {
    let database = TestDatabase::postgres().await;
    // A beat a second: a node is dead after three silent ones.
    let quick = [("PRESENCE_BEAT_SECS", "1")];
    let start = |name: &'static str| {
        let logs = database.dir().join(name);
        std::fs::create_dir_all(&logs).expect("log dir");
        let url = database.url.clone();
        async move { ServerProcess::start(&logs, &url, &quick).await }
    };
    let mut one = start("node1").await;
    let two = start("node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let ann = api1.register("ann").await;
    let bob = api1.register("bob").await;
    let room = api1.create_room(&bob, "both nodes").await;
    api1.join(&ann, room).await;
    let mut bobs = api2.socket(&bob).await.hear_presence();
    let _anns = api1.socket(&ann).await;
    assert_eq!(presence_of(&mut bobs, ann.id).await, "online");

    one.kill_9().await;
    // Nobody said goodbye for node 1: node 2 finds its beat stale.
    assert_eq!(presence_of(&mut bobs, ann.id).await, "offline");
    let (_, body) = api2
        .get(&format!("/api/rooms/{room}/members"), &bob.token)
        .await;
    let listed = body["members"]
        .as_array()
        .expect("members")
        .iter()
        .find(|m| m["user"]["id"] == ann.id)
        .cloned()
        .expect("ann listed");
    assert_eq!(listed["presence"], "offline", "{body}");
}

/// The next status `socket` hears of `user_id`, within the wait.
async fn presence_of(socket: &mut TestSocket, user_id: i64) -> String {
    let wait = async {
        loop {
            let frame = socket.frame().await;
            if frame["type"] != "presence" {
                continue;
            }
            if let Some(user) = frame["users"]
                .as_array()
                .into_iter()
                .flatten()
                .find(|u| u["user_id"] == user_id)
            {
                return user["status"].as_str().expect("status").to_owned();
            }
        }
    };
    tokio::time::timeout(WAIT, wait)
        .await
        .expect("a presence frame within the wait")
}

#[tokio::test]
async fn a_mention_on_one_node_notifies_its_person_on_the_other_once() {
    let database = TestDatabase::postgres().await;
    let one = node(&database, "node1").await;
    let two = node(&database, "node2").await;
    let (api1, api2) = (Api::new(one.addr), Api::new(two.addr));

    let ann = api1.register("ann").await;
    let bob = api1.register("bob").await;
    let room = api1.create_room(&ann, "both nodes").await;
    api1.join(&bob, room).await;
    let mut on_two = api2.socket(&bob).await.hear_notifications();
    let mut on_one = api1.socket(&bob).await.hear_notifications();
    api1.post_message(&ann, room, "@bob over here").await;
    for socket in [&mut on_two, &mut on_one] {
        let told = tokio::time::timeout(WAIT, socket.frame())
            .await
            .expect("a notification within the wait");
        assert_eq!(told["type"], "notification", "{told}");
        assert_eq!(told["body"], "@bob over here", "{told}");
        // Once: only the node that stored the message tells of it.
        assert!(
            socket
                .next_within(Duration::from_millis(800))
                .await
                .is_none(),
            "told twice"
        );
    }
}
