//! `burst`: many senders in one room, each sending its next message as soon
//! as the previous one is acknowledged. An ack means the message is durable,
//! so this measures persistence: how many commits per second, and how long
//! a sender waits for one. One more socket watches the room and checks that
//! it sees every acknowledged seq once, in order.
//!
//! With `subscribed`, every sender also watches the room, as a browser
//! always does: it receives its own message's room frame beside the ack,
//! and everyone else's. That is the case a sender actually lives in, and
//! the one where the ack can be held behind the room's frames (or, with
//! Nagle's algorithm on, behind a delayed ACK). A subscribed sender that
//! falls behind the room is cut off by the server (4008) like any slow
//! reader; it then does what a browser does: reconnects, subscribes again
//! and resends its unacknowledged message with the same `client_id`. The
//! run counts these resumes; the checks still require every acked seq once.

use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt, stream};
use serde::Serialize;
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::api::Api;
use crate::check::{self, Tally};
use crate::socket::{self, Frame};
use crate::stats::{Latency, Percentiles};
use crate::target::Target;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub senders: usize,
    /// Senders subscribe to the room first, as a browser does.
    pub subscribed: bool,
    pub seconds: f64,
    pub body_bytes: usize,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub params: Params,
    pub acked: u64,
    pub acked_per_second: f64,
    pub ack_latency: Percentiles,
    pub refused: u64,
    /// Subscribed senders cut off as too slow (4008) that resumed.
    pub resumed: u64,
    /// The watcher's view of the room against everything acknowledged.
    pub check: Tally,
    pub problems: Vec<String>,
}

struct SenderResult {
    seqs: Vec<i64>,
    latency: Latency,
    refused: u64,
    resumed: u64,
    error: Option<String>,
}

pub async fn run(target: &Target, api: &Api, params: &Params) -> anyhow::Result<Outcome> {
    let users = api.register_many("b", params.senders).await?;
    let room_id = api.create_room(&users[0], "burst").await?;
    api.join_all(&users[1..], room_id).await?;

    let mut watcher = socket::connect(target.addr, Some(&users[0].token), params.senders).await?;
    let start_seq = socket::subscribe(&mut watcher, room_id).await?;

    let senders: Vec<Sender> = users
        .iter()
        .enumerate()
        .map(|(n, user)| Sender {
            n,
            room_id,
            subscribed: params.subscribed,
            addr: target.addr,
            token: user.token.clone(),
        })
        .collect();
    let sockets = stream::iter(&senders)
        .map(Sender::connect)
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
    let body_bytes = params.body_bytes;
    let tasks: Vec<_> = senders
        .into_iter()
        .zip(sockets)
        .map(|(sender, ws)| tokio::spawn(sender.send_until(ws, until, body_bytes)))
        .collect();
    let mut seqs = Vec::new();
    let mut latency = Latency::default();
    let mut refused = 0;
    let mut resumed = 0;
    let mut problems = Vec::new();
    for task in tasks {
        let result = task.await?;
        seqs.extend(result.seqs);
        latency.merge(&result.latency);
        refused += result.refused;
        resumed += result.resumed;
        if let Some(error) = result.error
            && problems.len() < 5
        {
            problems.push(error);
        }
    }
    let elapsed = started.elapsed();

    // Acks must be exactly the seqs after the start, each once.
    seqs.sort_unstable();
    let acked = seqs.len() as u64;
    let expected: Vec<i64> = (start_seq + 1..=start_seq + acked as i64).collect();
    if seqs != expected {
        problems.push("acknowledged seqs are not one each of a gap-free range".into());
    }
    let final_seq = start_seq + acked as i64;
    let _ = final_tx.send(final_seq);
    let check = watcher.await?;
    problems.extend(check.problem("watcher"));
    if refused > 0 {
        problems.push(format!("{refused} sends refused"));
    }
    Ok(Outcome {
        params: params.clone(),
        acked,
        acked_per_second: acked as f64 / elapsed.as_secs_f64(),
        ack_latency: latency.percentiles(),
        refused,
        resumed,
        check,
        problems,
    })
}

/// One sender's identity: enough to reconnect as itself.
struct Sender {
    n: usize,
    room_id: i64,
    subscribed: bool,
    addr: std::net::SocketAddr,
    token: String,
}

impl Sender {
    async fn connect(&self) -> anyhow::Result<socket::Ws> {
        let mut ws = socket::connect(self.addr, Some(&self.token), self.n).await?;
        if self.subscribed {
            socket::subscribe(&mut ws, self.room_id).await?;
        }
        Ok(ws)
    }

    async fn send_until(self, ws: socket::Ws, until: Instant, body_bytes: usize) -> SenderResult {
        let n = self.n;
        let (mut write, mut read) = ws.split();
        let mut result = SenderResult {
            seqs: Vec::new(),
            latency: Latency::default(),
            refused: 0,
            resumed: 0,
            error: None,
        };
        let mut k = 0u64;
        while Instant::now() < until {
            k += 1;
            let frame = socket::send_frame(self.room_id, &format!("b{n}-{k}"), body_bytes);
            if let Err(e) = write.send(frame.clone()).await {
                result.error = Some(format!("sender {n}: {e}"));
                break;
            }
            // A subscribed sender reads the room's frames until its ack.
            let answered = loop {
                match socket::next_text(&mut read).await {
                    Ok(Some(text)) => match Frame::scan(&text) {
                        Frame::Ack { seq, stamp, .. } => {
                            result.latency.record(socket::since(stamp));
                            result.seqs.push(seq);
                            break true;
                        }
                        Frame::Message { .. } => continue,
                        _ => {
                            result.refused += 1;
                            result.error.get_or_insert_with(|| text.to_string());
                            break true;
                        }
                    },
                    Ok(None) => {
                        result.error = Some(format!("sender {n}: socket closed"));
                        break false;
                    }
                    // Cut off as too slow: resume as a browser does, and
                    // resend the same client_id (stored at most once).
                    Err(e) if self.subscribed && e.to_string().contains("4008") => {
                        let resumed = match self.connect().await {
                            Ok(ws) => ws,
                            Err(e) => {
                                result.error = Some(format!("sender {n}: resuming: {e:#}"));
                                break false;
                            }
                        };
                        result.resumed += 1;
                        (write, read) = resumed.split();
                        if let Err(e) = write.send(frame.clone()).await {
                            result.error = Some(format!("sender {n}: {e}"));
                            break false;
                        }
                    }
                    Err(e) => {
                        result.error = Some(format!("sender {n}: {e}"));
                        break false;
                    }
                }
            };
            if !answered {
                break;
            }
        }
        result
    }
}
