//! Builds the server, users, rooms and socket clients so each test reads as
//! the scenario it checks.

use std::time::Duration;

use chat::startup::{Spawned, spawn};
use futures::{SinkExt, StreamExt};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message as WsMessage;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub server: Spawned,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

pub struct TestUser {
    pub token: String,
    pub id: i64,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("chat.db").display());
    let server = spawn(&url).await;
    TestApp {
        server,
        http: reqwest::Client::new(),
        _dir: dir,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.server.addr, path)
    }

    /// Sends a request with an optional bearer token and JSON body; returns
    /// the status and the parsed JSON body (`Value::Null` when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut request = self.http.request(method, self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status();
        let text = response.text().await.expect("body read");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    pub async fn get(&self, path: &str, token: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(token), None).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(token), Some(body)).await
    }

    pub async fn register(&self, username: &str) -> TestUser {
        let (status, body) = self
            .call(
                Method::POST,
                "/api/auth/register",
                None,
                Some(json!({"username": username, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        TestUser {
            token: body["token"].as_str().unwrap().to_owned(),
            id: body["user"]["id"].as_i64().unwrap(),
        }
    }

    pub async fn create_room(&self, user: &TestUser, name: &str) -> i64 {
        let (status, body) = self
            .post("/api/rooms", &user.token, json!({"name": name}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["room"]["id"].as_i64().unwrap()
    }

    pub async fn join(&self, user: &TestUser, room_id: i64) {
        let (status, body) = self
            .post(
                &format!("/api/rooms/{room_id}/join"),
                &user.token,
                json!({}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    pub async fn post_message(&self, user: &TestUser, room_id: i64, body: &str) -> Value {
        let (status, json) = self
            .post(
                &format!("/api/rooms/{room_id}/messages"),
                &user.token,
                json!({"body": body}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json["message"].clone()
    }

    pub async fn socket(&self, user: &TestUser) -> TestSocket {
        let mut request = format!("ws://{}/ws", self.server.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", user.token).parse().unwrap(),
        );
        let (stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("socket upgrade");
        TestSocket { stream }
    }
}

pub fn assert_error(status: StatusCode, body: &Value, want_status: StatusCode, want_code: &str) {
    assert_eq!(status, want_status, "{body}");
    assert_eq!(body["error"]["code"], want_code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
}

pub struct TestSocket {
    pub stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
}

pub enum Next {
    Frame(Value),
    Closed(Option<u16>),
}

impl TestSocket {
    pub async fn send(&mut self, frame: Value) {
        self.stream
            .send(WsMessage::Text(frame.to_string().into()))
            .await
            .expect("frame sent");
    }

    pub async fn send_text(&mut self, text: &str) {
        self.stream
            .send(WsMessage::Text(text.to_owned().into()))
            .await
            .expect("frame sent");
    }

    /// The next JSON frame or the close, skipping protocol pings.
    pub async fn next(&mut self) -> Next {
        loop {
            let item = tokio::time::timeout(Duration::from_secs(5), self.stream.next())
                .await
                .expect("a frame within 5 s");
            match item {
                Some(Ok(WsMessage::Text(text))) => {
                    return Next::Frame(serde_json::from_str(&text).expect("JSON frame"));
                }
                Some(Ok(WsMessage::Close(frame))) => {
                    return Next::Closed(frame.map(|f| f.code.into()));
                }
                Some(Ok(_)) => continue,
                Some(Err(_)) | None => return Next::Closed(None),
            }
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

    /// Subscribes and returns the backlog and the `subscribed` frame's last_seq.
    pub async fn subscribe(&mut self, room_id: i64, after_seq: Option<i64>) -> (Vec<Value>, i64) {
        let mut frame = json!({"type": "subscribe", "room_id": room_id});
        if let Some(after) = after_seq {
            frame["after_seq"] = json!(after);
        }
        self.send(frame).await;
        let mut backlog = Vec::new();
        loop {
            let frame = self.frame().await;
            match frame["type"].as_str() {
                Some("message") => backlog.push(frame["message"].clone()),
                Some("subscribed") => return (backlog, frame["last_seq"].as_i64().unwrap()),
                _ => panic!("unexpected frame while subscribing: {frame}"),
            }
        }
    }

    /// Proves nothing else is queued: a ping's pong must be the next frame.
    pub async fn assert_quiet(&mut self) {
        self.send(json!({"type": "ping"})).await;
        let frame = self.frame().await;
        assert_eq!(frame["type"], "pong", "unexpected frame: {frame}");
    }
}
