//! `mixed`: senders in one room doing what people in a conversation do,
//! not only posting: each posts a message, reacts to it, edits it and takes
//! the reaction back, each request as soon as the previous one is
//! acknowledged. Every one of these is an event of the room's log with its
//! own seq, made by the same writer as posts, so this measures what the
//! event log costs beside `burst`'s posts alone. A watcher checks that it
//! sees every event's seq once, in order.

use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt, stream};
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::Message as WsMessage;

use crate::api::Api;
use crate::check::{self, Tally};
use crate::socket::{self, Frame};
use crate::stats::{Latency, Percentiles};
use crate::target::Target;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub senders: usize,
    pub seconds: f64,
    pub body_bytes: usize,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub params: Params,
    /// Requests acknowledged: posts, edits, reactions added and removed.
    pub acked: u64,
    pub acked_per_second: f64,
    pub posts_per_second: f64,
    pub ack_latency: Percentiles,
    pub refused: u64,
    /// The watcher's view of the room's events against every acknowledged one.
    pub check: Tally,
    pub problems: Vec<String>,
}

struct SenderResult {
    acked: u64,
    posts: u64,
    latency: Latency,
    refused: u64,
    error: Option<String>,
}

pub async fn run(target: &Target, api: &Api, params: &Params) -> anyhow::Result<Outcome> {
    let users = api.register_many("m", params.senders).await?;
    let room_id = api.create_room(&users[0], "mixed").await?;
    api.join_all(&users[1..], room_id).await?;

    let mut watcher = socket::connect(target.addr, Some(&users[0].token), params.senders).await?;
    let start_seq = socket::subscribe(&mut watcher, room_id).await?;
    let sockets = stream::iter(users.iter().enumerate())
        .map(|(n, user)| socket::connect(target.addr, Some(&user.token), n))
        .buffered(64)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<Vec<_>>>()
        .context("connecting senders")?;

    let (final_tx, final_rx) = oneshot::channel();
    let watcher = tokio::spawn(check::watch_room(watcher, start_seq, final_rx));
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(params.seconds);
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(n, ws)| tokio::spawn(converse(n, ws, room_id, until, params.body_bytes)))
        .collect();
    let (mut acked, mut posts, mut refused) = (0, 0, 0);
    let mut latency = Latency::default();
    let mut problems = Vec::new();
    for task in tasks {
        let result = task.await?;
        acked += result.acked;
        posts += result.posts;
        refused += result.refused;
        latency.merge(&result.latency);
        if let Some(error) = result.error
            && problems.len() < 5
        {
            problems.push(error);
        }
    }
    let elapsed = started.elapsed().as_secs_f64();

    // Every acknowledged request changed something, so each is one event.
    let _ = final_tx.send(start_seq + acked as i64);
    let check = watcher.await?;
    problems.extend(check.problem("watcher"));
    if refused > 0 {
        problems.push(format!("{refused} requests refused"));
    }
    Ok(Outcome {
        params: params.clone(),
        acked,
        acked_per_second: acked as f64 / elapsed,
        posts_per_second: posts as f64 / elapsed,
        ack_latency: latency.percentiles(),
        refused,
        check,
        problems,
    })
}

/// One sender's loop: post, react, edit, unreact, and again.
async fn converse(
    n: usize,
    ws: socket::Ws,
    room_id: i64,
    until: Instant,
    body_bytes: usize,
) -> SenderResult {
    let (mut write, mut read) = ws.split();
    let mut result = SenderResult {
        acked: 0,
        posts: 0,
        latency: Latency::default(),
        refused: 0,
        error: None,
    };
    let mut message_id = None;
    let mut k = 0u64;
    while Instant::now() < until {
        k += 1;
        let client_id = format!("m{n}-{k}");
        let frame = match (k % 4, message_id) {
            (1, _) | (_, None) => socket::send_frame(room_id, &client_id, body_bytes),
            (2, Some(id)) => change(room_id, id, &client_id, r#""type":"react","emoji":"👍""#),
            (3, Some(id)) => change(
                room_id,
                id,
                &client_id,
                // Stamped like a post's body, as acks are read by it.
                &format!(r#""type":"edit","body":"{} edited {k}""#, socket::stamp()),
            ),
            (_, Some(id)) => change(room_id, id, &client_id, r#""type":"unreact","emoji":"👍""#),
        };
        let posting = k % 4 == 1 || message_id.is_none();
        let sent = Instant::now();
        if let Err(e) = write.send(frame).await {
            result.error = Some(format!("sender {n}: {e}"));
            break;
        }
        match socket::next_text(&mut read).await {
            Ok(Some(text)) => match Frame::scan(&text) {
                Frame::Ack { id, .. } => {
                    result.latency.record(sent.elapsed());
                    result.acked += 1;
                    if posting {
                        result.posts += 1;
                        message_id = Some(id);
                    }
                }
                _ => {
                    result.refused += 1;
                    result.error.get_or_insert_with(|| text.to_string());
                }
            },
            Ok(None) => {
                result.error = Some(format!("sender {n}: socket closed"));
                break;
            }
            Err(e) => {
                result.error = Some(format!("sender {n}: {e}"));
                break;
            }
        }
    }
    result
}

fn change(room_id: i64, message_id: i64, client_id: &str, what: &str) -> WsMessage {
    WsMessage::Text(
        format!(
            r#"{{{what},"room_id":{room_id},"message_id":{message_id},"client_id":"{client_id}"}}"#
        )
        .into(),
    )
}
