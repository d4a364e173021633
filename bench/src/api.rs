//! The server's REST API as the generator uses it: users, rooms, history.
//! Users are registered through the public API like any client's, which
//! costs one argon2id hash each; runs register them concurrently so the
//! server's cores, not round trips, set the pace.

use std::net::SocketAddr;

use anyhow::{Context, bail};
use futures::{StreamExt, TryStreamExt, stream};
use serde::Deserialize;
use serde_json::{Value, json};

const PASSWORD: &str = "bench password 1";
/// Requests in flight while setting up users and rooms.
const SETUP_CONCURRENCY: usize = 8;

#[derive(Clone)]
pub struct Api {
    base: String,
    http: reqwest::Client,
}

#[derive(Clone, Debug)]
pub struct User {
    pub token: String,
    pub id: i64,
}

/// An answer as it came over the wire: the body is not decompressed.
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_encoding: Option<String>,
    pub cache_control: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    messages: Vec<PageMessage>,
    has_more: bool,
}

#[derive(Deserialize)]
struct PageMessage {
    seq: i64,
    edited_at: Option<String>,
    reply_to: Option<serde_json::Value>,
    reactions: Vec<serde_json::Value>,
}

/// What the history check looks at in one message of a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageEntry {
    pub seq: i64,
    pub edited: bool,
    pub reply: bool,
    pub reaction_chips: usize,
}

impl Api {
    pub fn new(addr: SocketAddr) -> Self {
        Self {
            base: format!("http://{addr}"),
            http: reqwest::Client::builder()
                .pool_max_idle_per_host(512)
                .build()
                .expect("HTTP client"),
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> anyhow::Result<Value> {
        let mut request = self.http.post(format!("{}{path}", self.base)).json(&body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("POST {path}"))?;
        let status = response.status();
        let text = response.text().await?;
        if !status.is_success() {
            bail!("POST {path} answered {status}: {text}");
        }
        Ok(serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// GET `path` as a browser would (the session in a cookie), accepting
    /// `accept_encoding`.
    pub async fn get_raw(
        &self,
        path: &str,
        token: Option<&str>,
        accept_encoding: &str,
    ) -> anyhow::Result<RawResponse> {
        let mut request = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept-encoding", accept_encoding);
        if let Some(token) = token {
            request = request.header("cookie", format!("chat_session={token}"));
        }
        let response = request
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let (content_encoding, cache_control) =
            (header("content-encoding"), header("cache-control"));
        Ok(RawResponse {
            status: response.status().as_u16(),
            content_encoding,
            cache_control,
            body: response.bytes().await?.to_vec(),
        })
    }

    pub async fn register(&self, username: &str) -> anyhow::Result<User> {
        let body = self
            .post(
                "/api/auth/register",
                None,
                json!({"username": username, "password": PASSWORD}),
            )
            .await?;
        Ok(User {
            token: body["token"]
                .as_str()
                .context("token in answer")?
                .to_owned(),
            id: body["user"]["id"].as_i64().context("user id in answer")?,
        })
    }

    /// Registers `{prefix}{i:05}` for i in 0..count, in that order.
    pub async fn register_many(&self, prefix: &str, count: usize) -> anyhow::Result<Vec<User>> {
        stream::iter(0..count)
            .map(|i| async move { self.register(&format!("{prefix}{i:05}")).await })
            .buffered(SETUP_CONCURRENCY)
            .try_collect()
            .await
    }

    /// Creates a room (its creator joins it) and returns its id.
    pub async fn create_room(&self, owner: &User, name: &str) -> anyhow::Result<i64> {
        let body = self
            .post("/api/rooms", Some(&owner.token), json!({"name": name}))
            .await?;
        body["room"]["id"].as_i64().context("room id in answer")
    }

    pub async fn join_all(&self, users: &[User], room_id: i64) -> anyhow::Result<()> {
        let path = format!("/api/rooms/{room_id}/join");
        stream::iter(users)
            .map(|user| self.post(&path, Some(&user.token), Value::Null))
            .buffer_unordered(SETUP_CONCURRENCY)
            .try_collect::<Vec<_>>()
            .await?;
        Ok(())
    }

    /// The seqs of a history page and its `has_more`.
    /// The bodies `GET /api/search` finds for `q`.
    pub async fn search(&self, user: &User, q: &str) -> anyhow::Result<Vec<String>> {
        let response = self
            .http
            .get(format!("{}/api/search", self.base))
            .query(&[("q", q)])
            .bearer_auth(&user.token)
            .send()
            .await?;
        let status = response.status();
        if !status.is_success() {
            bail!("search answered {status}: {}", response.text().await?);
        }
        let page: Value = response.json().await?;
        Ok(page["results"]
            .as_array()
            .map(|results| {
                results
                    .iter()
                    .filter_map(|r| r["message"]["body"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default())
    }

    pub async fn page(
        &self,
        user: &User,
        room_id: i64,
        before_seq: i64,
        limit: i64,
    ) -> anyhow::Result<(Vec<PageEntry>, bool)> {
        let url = format!(
            "{}/api/rooms/{room_id}/messages?before_seq={before_seq}&limit={limit}",
            self.base
        );
        let response = self.http.get(url).bearer_auth(&user.token).send().await?;
        let status = response.status();
        if !status.is_success() {
            bail!("history page answered {status}: {}", response.text().await?);
        }
        let page: Page = response.json().await?;
        let entries = page
            .messages
            .iter()
            .map(|m| PageEntry {
                seq: m.seq,
                edited: m.edited_at.is_some(),
                reply: m.reply_to.is_some(),
                reaction_chips: m.reactions.len(),
            })
            .collect();
        Ok((entries, page.has_more))
    }
}
