//! "Ann is typing…": a signal to the room's other watchers, never stored,
//! at most one per user and room every few seconds.

use std::time::Duration;

use serde_json::json;

use crate::helpers::spawn_app;
use crate::support::socket::Next;

#[tokio::test]
async fn typing_reaches_the_rooms_other_watchers_and_is_never_stored() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let bob = app.register("bob").await;
    let cyd = app.register("cyd").await;
    let room = app.create_room(&ann, "general").await;
    app.join(&bob, room).await;
    app.join(&cyd, room).await;
    let before = app.last_seq(&ann, room).await;
    let mut anns = app.socket(&ann).await;
    let mut bobs = app.socket(&bob).await;
    let mut cyds = app.socket(&cyd).await;
    for socket in [&mut anns, &mut bobs] {
        socket.subscribe(room, None).await;
    }

    bobs.send(json!({"type": "typing", "room_id": room})).await;
    assert_eq!(
        anns.frame().await,
        json!({"type": "typing", "room_id": room, "user": {"id": bob.id, "username": "bob"}})
    );
    // Not to the one typing, nor to a socket not watching the room.
    bobs.assert_quiet().await;
    cyds.assert_quiet().await;
    // Again at once: dropped without a word.
    bobs.send(json!({"type": "typing", "room_id": room})).await;
    bobs.assert_quiet().await;
    assert!(
        anns.next_within(Duration::from_millis(500)).await.is_none(),
        "a second signal within the interval reached ann"
    );
    // Nothing was stored: no event, no seq.
    assert_eq!(app.last_seq(&ann, room).await, before);
    assert!(app.history(&ann, room).await.is_empty());

    // A socket that does not watch the room is told so.
    cyds.send(json!({"type": "typing", "room_id": room})).await;
    let refused = cyds.frame().await;
    assert_eq!(refused["type"], "error", "{refused}");
    assert_eq!(refused["code"], "invalid_frame", "{refused}");
    assert_eq!(refused["room_id"], room, "{refused}");
    match anns.next_within(Duration::from_millis(500)).await {
        None => {}
        Some(Next::Frame(frame)) => panic!("unexpected frame: {frame}"),
        Some(Next::Closed(code)) => panic!("closed: {code:?}"),
    }
}
