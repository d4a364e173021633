//! The REST API as the tests call it: a server address and a client.

use std::net::SocketAddr;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio_tungstenite::MaybeTlsStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::handshake::client::Request;

use super::socket::TestSocket;

pub const PASSWORD: &str = "correct horse battery";

#[derive(Clone)]
pub struct Api {
    pub addr: SocketAddr,
    pub http: reqwest::Client,
}

pub struct TestUser {
    pub token: String,
    pub id: i64,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            addr,
            http: reqwest::Client::new(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
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

    pub async fn create_private_room(&self, user: &TestUser, name: &str) -> i64 {
        let (status, body) = self
            .post(
                "/api/rooms",
                &user.token,
                json!({"name": name, "kind": "private"}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        body["room"]["id"].as_i64().unwrap()
    }

    /// The room as `user` finds it in their room list, if it is there.
    pub async fn listed_room(&self, user: &TestUser, room_id: i64) -> Option<Value> {
        let (status, body) = self.get("/api/rooms", &user.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["rooms"]
            .as_array()
            .unwrap()
            .iter()
            .find(|room| room["id"] == room_id)
            .cloned()
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

    /// Uploads `bytes` as a file called `name`: the status and the answer.
    pub async fn upload(&self, user: &TestUser, name: &str, bytes: Vec<u8>) -> (StatusCode, Value) {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new().part("file", part);
        let response = self
            .http
            .post(self.url("/api/uploads"))
            .bearer_auth(&user.token)
            .multipart(form)
            .send()
            .await
            .expect("upload sent");
        let status = response.status();
        let json = response.json().await.expect("a JSON answer");
        (status, json)
    }

    /// [`Api::upload`] that must succeed: the upload.
    pub async fn uploaded(&self, user: &TestUser, name: &str, bytes: Vec<u8>) -> Value {
        let (status, json) = self.upload(user, name, bytes).await;
        assert_eq!(status, StatusCode::CREATED, "{json}");
        json["upload"].clone()
    }

    /// Edits `message` (as its author); the message as edited.
    pub async fn edit_message(
        &self,
        user: &TestUser,
        room_id: i64,
        message: &Value,
        body: &str,
    ) -> Value {
        let (status, json) = self
            .call(
                Method::PATCH,
                &format!("/api/rooms/{room_id}/messages/{}", message["id"]),
                Some(&user.token),
                Some(json!({ "body": body })),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{json}");
        json["message"].clone()
    }

    /// Every stored message of the room, oldest first, read page by page.
    pub async fn history(&self, user: &TestUser, room_id: i64) -> Vec<Value> {
        let mut all: Vec<Value> = Vec::new();
        loop {
            let after = all.last().map_or(0, |m| m["seq"].as_i64().unwrap());
            let (status, page) = self
                .get(
                    &format!("/api/rooms/{room_id}/messages?after_seq={after}&limit=200"),
                    &user.token,
                )
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            all.extend(page["messages"].as_array().unwrap().iter().cloned());
            if page["has_more"] != json!(true) {
                return all;
            }
        }
    }

    /// The seq of the room's newest event, as the room list gives it.
    pub async fn last_seq(&self, user: &TestUser, room_id: i64) -> i64 {
        let (status, body) = self.get("/api/rooms", &user.token).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let rooms = body["rooms"].as_array().expect("a room list");
        let room = rooms
            .iter()
            .find(|r| r["id"] == room_id)
            .expect("the room is listed");
        room["last_seq"].as_i64().unwrap()
    }

    pub async fn socket(&self, user: &TestUser) -> TestSocket {
        self.try_socket(user).await.expect("socket upgrade")
    }

    /// Opens a socket, or says why not (the server may be down on purpose).
    pub async fn try_socket(
        &self,
        user: &TestUser,
    ) -> Result<TestSocket, tokio_tungstenite::tungstenite::Error> {
        let (stream, _) = tokio_tungstenite::connect_async(self.ws_request(user)).await?;
        Ok(TestSocket::new(stream))
    }

    /// Opens a socket with a tiny receive buffer, so that a client that stops
    /// reading backs up into the server after a few frames.
    pub async fn socket_with_small_buffer(&self, user: &TestUser) -> TestSocket {
        let tcp = tokio::net::TcpSocket::new_v4().expect("socket");
        tcp.set_recv_buffer_size(4096).expect("receive buffer set");
        let stream = tcp.connect(self.addr).await.expect("connected");
        let (stream, _) =
            tokio_tungstenite::client_async(self.ws_request(user), MaybeTlsStream::Plain(stream))
                .await
                .expect("socket upgrade");
        TestSocket::new(stream)
    }

    fn ws_request(&self, user: &TestUser) -> Request {
        let mut request = format!("ws://{}/ws", self.addr)
            .into_client_request()
            .unwrap();
        request.headers_mut().insert(
            "Authorization",
            format!("Bearer {}", user.token).parse().unwrap(),
        );
        request
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
