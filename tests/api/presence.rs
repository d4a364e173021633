//! Presence: online with a tab open and used, away with one open but
//! unused, offline with none; told to those who share a room, shown in the
//! member list and on direct conversations, never stored in a room's log.

use std::time::Duration;

use app::server::Settings;
use app::server::live::presence::PresenceTimes;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with};
use crate::support::socket::{Next, TestSocket};

/// A pace a test can watch: a node beats every second, and someone is
/// away after two seconds without using their tab.
async fn quick_app() -> TestApp {
    let mut settings = Settings::default();
    settings.sends.burst = 1_000_000;
    settings.login.registrations_per_address = 1_000_000;
    settings.presence = PresenceTimes {
        beat: Duration::from_secs(1),
        away_after: Duration::from_secs(2),
    };
    spawn_app_with(settings).await
}

/// The next status the socket hears of `user_id` (other frames skipped).
async fn heard(socket: &mut TestSocket, user_id: i64) -> String {
    loop {
        match socket.next().await {
            Next::Frame(frame) if frame["type"] == "presence" => {
                let users = frame["users"].as_array().expect("users");
                if let Some(user) = users.iter().find(|u| u["user_id"] == user_id) {
                    return user["status"].as_str().expect("status").to_owned();
                }
            }
            Next::Frame(_) => {}
            Next::Closed(code) => panic!("socket closed ({code:?})"),
        }
    }
}

/// Whether the socket hears anything of `user_id` within the wait.
async fn hears_of(socket: &mut TestSocket, user_id: i64, wait: Duration) -> Option<Value> {
    let deadline = tokio::time::Instant::now() + wait;
    while let Some(Next::Frame(frame)) = socket
        .next_within(deadline.saturating_duration_since(tokio::time::Instant::now()))
        .await
    {
        if frame
            .to_string()
            .contains(&format!("\"user_id\":{user_id}"))
        {
            return Some(frame);
        }
    }
    None
}

async fn member_status(
    app: &TestApp,
    who: &crate::support::api::TestUser,
    room: i64,
    user_id: i64,
) -> String {
    let (_, body) = app
        .get(&format!("/api/rooms/{room}/members"), &who.token)
        .await;
    let members = body["members"].as_array().expect("members");
    let member = members
        .iter()
        .find(|m| m["user"]["id"] == user_id)
        .expect("listed");
    member["presence"].as_str().expect("presence").to_owned()
}

#[tokio::test]
async fn presence_follows_tabs_and_their_use_and_reaches_only_those_who_share_a_room() {
    let app = quick_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let room = app.create_room(&bob, "general").await;
    app.join(&ann, room).await;
    // Cyd is in a room too, without Ann.
    let elsewhere = app.create_room(&cyd, "elsewhere").await;
    app.join(&bob, elsewhere).await;
    let seq_before = app.last_seq(&bob, room).await;
    let mut bobs = app.socket(&bob).await.hear_presence();
    let mut cyds = app.socket(&cyd).await.hear_presence();
    assert_eq!(member_status(&app, &bob, room, ann.id).await, "offline");

    // Ann opens a tab: online, to Bob (who shares a room), not to Cyd.
    let mut anns = app.socket(&ann).await;
    assert_eq!(heard(&mut bobs, ann.id).await, "online");
    assert_eq!(member_status(&app, &bob, room, ann.id).await, "online");
    // Unused for longer than the setting: away; used again: online.
    assert_eq!(heard(&mut bobs, ann.id).await, "away");
    assert_eq!(member_status(&app, &bob, room, ann.id).await, "away");
    anns.send(json!({"type": "active"})).await;
    assert_eq!(heard(&mut bobs, ann.id).await, "online");
    // Her last tab closes: offline.
    drop(anns);
    let mut last = heard(&mut bobs, ann.id).await;
    if last == "away" {
        last = heard(&mut bobs, ann.id).await;
    }
    assert_eq!(last, "offline");
    assert_eq!(member_status(&app, &bob, room, ann.id).await, "offline");
    assert!(
        hears_of(&mut cyds, ann.id, Duration::from_secs(1))
            .await
            .is_none(),
        "cyd shares no room with ann and heard of her"
    );
    // None of it is the room's history.
    assert_eq!(app.last_seq(&bob, room).await, seq_before);
}

#[tokio::test]
async fn a_direct_conversation_shows_whether_its_other_people_are_here() {
    let app = quick_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let (_, body) = app
        .post("/api/direct", &ann.token, json!({ "usernames": ["bob"] }))
        .await;
    let id = body["room"]["id"].as_i64().expect("room id");
    assert_eq!(
        body["room"]["others"],
        json!([{"user_id": bob.id, "status": "offline"}])
    );

    let _bobs = app.socket(&bob).await;
    let mut anns = app.socket(&ann).await.hear_presence();
    assert_eq!(heard(&mut anns, bob.id).await, "online");
    let listed = app.listed_room(&ann, id).await.expect("listed");
    assert_eq!(
        listed["others"],
        json!([{"user_id": bob.id, "status": "online"}])
    );
}

#[tokio::test]
async fn a_flapping_connection_is_announced_at_most_once_per_hold() {
    let mut settings = Settings::default();
    settings.login.registrations_per_address = 1_000_000;
    // A hold of 3 s (a third of the beat).
    settings.presence.beat = Duration::from_secs(9);
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let room = app.create_room(&bob, "general").await;
    app.join(&ann, room).await;
    let mut bobs = app.socket(&bob).await.hear_presence();
    let first = app.socket(&ann).await;
    assert_eq!(heard(&mut bobs, ann.id).await, "online");
    // Gone long enough each time for the node to see it, four times in
    // less than the hold, ending connected.
    drop(first);
    for _ in 0..4 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        drop(app.socket(&ann).await);
    }
    let _last = app.socket(&ann).await;
    // However it flapped, nothing needs saying: she is online as she was.
    assert!(
        hears_of(&mut bobs, ann.id, Duration::from_secs(4))
            .await
            .is_none(),
        "a flapping connection was announced"
    );
}
