//! A WebSocket client that speaks the chat protocol, one frame at a time.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

/// How long a test waits for a frame the server owes it.
const FRAME_WAIT: Duration = Duration::from_secs(10);

pub struct TestSocket {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    /// Whether `activity` frames (the per-user stream's summaries of rooms
    /// the socket does not watch) are handed over; most tests are about
    /// something else, and their timing would make them flaky, so they
    /// are skipped unless a test asks for them (`hear_activity`).
    pub activity: bool,
    /// The same for `presence` frames (`hear_presence`).
    pub presence: bool,
    /// The same for `notification` frames (`hear_notifications`).
    pub notifications: bool,
}

#[derive(Debug)]
pub enum Next {
    Frame(Value),
    /// The close code, or `None` when the connection ended without one.
    Closed(Option<u16>),
}

impl TestSocket {
    pub fn new(stream: WebSocketStream<MaybeTlsStream<TcpStream>>) -> Self {
        Self {
            stream,
            activity: false,
            presence: false,
            notifications: false,
        }
    }

    /// From now on, `activity` frames are handed over like any other.
    pub fn hear_activity(mut self) -> Self {
        self.activity = true;
        self
    }

    /// From now on, `notification` frames are handed over like any other.
    pub fn hear_notifications(mut self) -> Self {
        self.notifications = true;
        self
    }

    /// From now on, `presence` frames are handed over like any other.
    pub fn hear_presence(mut self) -> Self {
        self.presence = true;
        self
    }

    pub async fn send(&mut self, frame: Value) {
        self.send_text(&frame.to_string()).await;
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(WsMessage::Text(text.to_owned().into()))
            .await
            .expect("frame sent");
    }

    /// Like `send`, for a connection that may already be gone.
    pub async fn try_send(&mut self, frame: &Value) -> bool {
        self.stream
            .send(WsMessage::Text(frame.to_string().into()))
            .await
            .is_ok()
    }

    /// The next JSON frame or the close, skipping protocol pings.
    pub async fn next(&mut self) -> Next {
        self.next_within(FRAME_WAIT)
            .await
            .expect("a frame or a close within the wait")
    }

    /// The next JSON frame or the close, or `None` if nothing came in time.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Next> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let item = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()?;
            return Some(match item {
                Some(Ok(WsMessage::Text(text))) => {
                    let frame: Value = serde_json::from_str(&text).expect("JSON frame");
                    if frame["type"] == "activity" && !self.activity
                        || frame["type"] == "presence" && !self.presence
                        || frame["type"] == "notification" && !self.notifications
                    {
                        continue;
                    }
                    Next::Frame(frame)
                }
                Some(Ok(WsMessage::Close(frame))) => Next::Closed(frame.map(|f| f.code.into())),
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => Next::Closed(None),
            });
        }
    }

    pub async fn frame(&mut self) -> Value {
        match self.next().await {
            Next::Frame(frame) => frame,
            Next::Closed(code) => panic!("socket closed ({code:?}) while a frame was expected"),
        }
    }

    pub async fn closed(&mut self) -> Option<u16> {
        match self.next().await {
            Next::Closed(code) => code,
            Next::Frame(frame) => panic!("expected the socket to close, got {frame}"),
        }
    }

    /// Subscribes and returns the backlog's messages (its other events
    /// left out) and the `subscribed` frame's last_seq.
    pub async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) -> (Vec<Value>, i64) {
        let (frames, last_seq) = self.subscribe_events(room_id, after_seq).await;
        let messages = frames
            .into_iter()
            .filter(|f| f["type"] == "message")
            .map(|f| f["message"].clone())
            .collect();
        (messages, last_seq)
    }

    /// Subscribes and returns every frame of the backlog (`message` and
    /// `event`) and the `subscribed` frame's last_seq.
    pub async fn subscribe_events(
        &mut self,
        room_id: i64,
        after_seq: Option<i64>,
    ) -> (Vec<Value>, i64) {
        let mut frame = json!({"type": "subscribe", "room_id": room_id});
        if let Some(after) = after_seq {
            frame["after_seq"] = json!(after);
        }
        self.send(frame).await;
        let mut backlog = Vec::new();
        loop {
            let frame = self.frame().await;
            match frame["type"].as_str() {
                Some("message" | "event") => backlog.push(frame),
                Some("subscribed") => return (backlog, frame["last_seq"].as_i64().unwrap()),
                _ => panic!("unexpected frame while subscribing: {frame}"),
            }
        }
    }

    /// Waits for the `not_a_member` error that ends a subscription after
    /// the user left the room. The leave is an event of the room too, which
    /// may reach the socket before the socket has dropped the room, or not.
    pub async fn told_not_a_member(&mut self, room_id: i64, user_id: i64) {
        let mut frame = self.frame().await;
        if frame["type"] == "event" {
            assert_eq!(frame["kind"], "member_left", "{frame}");
            assert_eq!(frame["user"]["id"], user_id, "{frame}");
            frame = self.frame().await;
        }
        assert_eq!(frame["type"], "error", "{frame}");
        assert_eq!(frame["code"], "not_a_member", "{frame}");
        assert_eq!(frame["room_id"], room_id, "{frame}");
    }

    /// Proves nothing else is queued: a ping's pong must be the next frame.
    pub async fn assert_quiet(&mut self) {
        self.send(json!({"type": "ping"})).await;
        let frame = self.frame().await;
        assert_eq!(frame["type"], "pong", "unexpected frame: {frame}");
    }
}
