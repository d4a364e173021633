//! `connections`: N authenticated sockets, each subscribed to one of R rooms,
//! held idle. Measures what an idle socket costs the server (RSS growth / N)
//! and how fast N sockets connect, then proves every one of them is still
//! live by posting once in each room and checking every socket receives it.

use std::time::Duration;

use anyhow::Context;
use futures::{SinkExt, StreamExt, stream};
use serde::Serialize;
use tokio::time::{Instant, timeout};

use crate::api::Api;
use crate::check::{SeqTracker, Tally};
use crate::socket::{self, Frame, WsRead, WsWrite};
use crate::target::Target;

const CONNECT_CONCURRENCY: usize = 128;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub sockets: usize,
    /// Sockets are spread over this many users (several tabs each).
    pub users: usize,
    pub rooms: usize,
    pub hold_seconds: f64,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub params: Params,
    pub connect_seconds: f64,
    pub connects_per_second: f64,
    pub rss_before_bytes: u64,
    pub rss_after_bytes: u64,
    pub rss_per_socket_bytes: f64,
    pub check: Tally,
    pub problems: Vec<String>,
}

struct Held {
    write: WsWrite,
    read: WsRead,
    room: usize,
    last_seq: i64,
}

pub async fn run(target: &Target, api: &Api, params: &Params) -> anyhow::Result<Outcome> {
    let users = api.register_many("c", params.users).await?;
    // User u's sockets all watch room u % R, which u joins.
    let mut rooms = Vec::with_capacity(params.rooms);
    for r in 0..params.rooms {
        let id = api.create_room(&users[r], &format!("idle {r}")).await?;
        let others: Vec<_> = users
            .iter()
            .enumerate()
            .filter(|(u, _)| u % params.rooms == r && *u != r)
            .map(|(_, user)| user.clone())
            .collect();
        api.join_all(&others, id).await?;
        rooms.push(id);
    }
    let rss_before = settled_rss(target).await?;

    let started = Instant::now();
    let mut held: Vec<Held> = stream::iter(0..params.sockets)
        .map(|n| {
            let user = &users[n % params.users];
            let room = (n % params.users) % params.rooms;
            let room_id = rooms[room];
            async move {
                let mut ws = socket::connect(target.addr, Some(&user.token), n).await?;
                let last_seq = socket::subscribe(&mut ws, room_id).await?;
                let (write, read) = ws.split();
                anyhow::Ok(Held {
                    write,
                    read,
                    room,
                    last_seq,
                })
            }
        })
        .buffer_unordered(CONNECT_CONCURRENCY)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<anyhow::Result<_>>()
        .context("connecting sockets")?;
    let connect_seconds = started.elapsed().as_secs_f64();

    tokio::time::sleep(Duration::from_secs_f64(params.hold_seconds)).await;
    let rss_after = settled_rss(target).await?;

    // One message per room, from the first socket watching it.
    let mut posted = vec![false; params.rooms];
    for h in held.iter_mut() {
        if !posted[h.room] {
            posted[h.room] = true;
            let frame = socket::send_frame(rooms[h.room], &format!("idle-{}", h.room), 32);
            h.write.send(frame).await?;
        }
    }
    let tallies: Vec<Tally> = stream::iter(held.iter_mut())
        .map(|h| async move {
            let mut tracker = SeqTracker::after(h.last_seq);
            let wait = timeout(Duration::from_secs(20), async {
                while let Ok(Some(text)) = socket::next_text(&mut h.read).await {
                    if let Frame::Message { seq, .. } = Frame::scan(&text) {
                        tracker.see(seq);
                        return;
                    }
                }
            });
            let _ = wait.await;
            tracker.tally(h.last_seq + 1)
        })
        .buffer_unordered(1024)
        .collect()
        .await;
    let mut check = Tally::default();
    for tally in tallies {
        check.add(tally);
    }
    let mut problems = Vec::new();
    if !check.is_clean() {
        problems.push(format!(
            "{} sockets did not get their room's message ({} duplicated)",
            check.lost, check.duplicates
        ));
    }
    let grown = rss_after.saturating_sub(rss_before);
    Ok(Outcome {
        params: params.clone(),
        connect_seconds,
        connects_per_second: params.sockets as f64 / connect_seconds,
        rss_before_bytes: rss_before,
        rss_after_bytes: rss_after,
        rss_per_socket_bytes: grown as f64 / params.sockets as f64,
        check,
        problems,
    })
}

/// The server's RSS once it stops moving. Registering users hashes
/// passwords with 19 MiB each, and the allocator returns that memory to the
/// system a little later; reading RSS before then would count it.
async fn settled_rss(target: &Target) -> anyhow::Result<u64> {
    let mut last = target.rss_bytes()?;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let now = target.rss_bytes()?;
        if now.abs_diff(last) < last / 200 {
            return Ok(now);
        }
        last = now;
    }
    Ok(last)
}
