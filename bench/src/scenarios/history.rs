//! `history`: concurrent reads of history pages from a room with a million
//! stored messages, at a fixed request rate. Each page is checked (the 50
//! seqs right before the one asked for), and the latency shows whether a
//! page is an index range scan, as docs/database.md says, or not.
//!
//! The room is filled directly in the server's SQLite file: a million posts
//! through the API would take minutes and measure `burst` again. Like a
//! real room's, its history is not only posts: every 7th message is
//! edited, every 11th replies to the one before, and every 5th has two
//! reaction chips ([`shape`]); the check expects exactly that.

use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use serde::Serialize;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use tokio::task::JoinSet;
use tokio::time::Instant;

use crate::api::{Api, PageEntry, User};
use crate::pace::Pacer;
use crate::stats::{Latency, Percentiles};
use crate::target::Target;

/// Requests in flight beyond which the generator, not the server, would be
/// the bottleneck; past it a due request is counted as not issued.
const MAX_IN_FLIGHT: usize = 512;

#[derive(Clone, Debug, Serialize)]
pub struct Params {
    pub messages: i64,
    pub rate: f64,
    pub seconds: f64,
    pub page: i64,
}

#[derive(Debug, Serialize)]
pub struct Outcome {
    pub params: Params,
    pub seed_seconds: f64,
    pub requests: u64,
    pub requests_per_second: f64,
    pub latency: Percentiles,
    pub wrong_pages: u64,
    pub failed: u64,
    pub not_issued: u64,
    pub problems: Vec<String>,
}

pub async fn run(target: &Target, api: &Api, params: &Params) -> anyhow::Result<Outcome> {
    let user = api.register("history").await?;
    let room_id = api.create_room(&user, "history").await?;
    let seeding = Instant::now();
    seed(target, room_id, user.id, params.messages).await?;
    let seed_seconds = seeding.elapsed().as_secs_f64();

    let mut pacer = Pacer::new(params.rate);
    let mut tasks = JoinSet::new();
    let mut tally = Tally::default();
    let started = Instant::now();
    let until = started + Duration::from_secs_f64(params.seconds);
    while Instant::now() < until {
        for _ in 0..pacer.due().await {
            if tasks.len() >= MAX_IN_FLIGHT {
                tally.not_issued += 1;
                continue;
            }
            let before = fastrand::i64(params.page + 1..=params.messages + 1);
            tasks.spawn(read_page(
                api.clone(),
                user.clone(),
                room_id,
                before,
                params.page,
            ));
        }
        while let Some(done) = tasks.try_join_next() {
            tally.absorb(done?);
        }
    }
    while let Some(done) = tasks.join_next().await {
        tally.absorb(done?);
    }
    let elapsed = started.elapsed();
    let mut problems = tally.problems;
    if tally.wrong_pages + tally.failed > 0 {
        problems.insert(
            0,
            format!(
                "{} wrong pages, {} failed requests",
                tally.wrong_pages, tally.failed
            ),
        );
    }
    if tally.not_issued > 0 {
        problems.push(format!(
            "{} requests could not be issued on time",
            tally.not_issued
        ));
    }
    Ok(Outcome {
        params: params.clone(),
        seed_seconds,
        requests: tally.latency.count(),
        requests_per_second: tally.latency.count() as f64 / elapsed.as_secs_f64(),
        latency: tally.latency.percentiles(),
        wrong_pages: tally.wrong_pages,
        failed: tally.failed,
        not_issued: tally.not_issued,
        problems,
    })
}

#[derive(Default)]
struct Tally {
    latency: Latency,
    wrong_pages: u64,
    failed: u64,
    not_issued: u64,
    problems: Vec<String>,
}

enum Verdict {
    Right,
    Wrong(String),
    Failed(String),
}

impl Tally {
    fn absorb(&mut self, (took, verdict): (Duration, Verdict)) {
        self.latency.record(took);
        let problem = match verdict {
            Verdict::Right => return,
            Verdict::Wrong(problem) => {
                self.wrong_pages += 1;
                problem
            }
            Verdict::Failed(problem) => {
                self.failed += 1;
                problem
            }
        };
        if self.problems.len() < 5 {
            self.problems.push(problem);
        }
    }
}

/// Reads the page before `before` and checks it is exactly the `page` seqs
/// below it.
async fn read_page(
    api: Api,
    user: User,
    room_id: i64,
    before: i64,
    page: i64,
) -> (Duration, Verdict) {
    let sent = Instant::now();
    let result = api.page(&user, room_id, before, page).await;
    let took = sent.elapsed();
    let verdict = match result {
        Err(e) => Verdict::Failed(e.to_string()),
        Ok((entries, has_more)) => {
            let expected: Vec<PageEntry> = (before - page..before).map(shape).collect();
            if entries == expected && has_more == (before - page > 1) {
                Verdict::Right
            } else {
                let wrong = entries
                    .iter()
                    .zip(&expected)
                    .find(|(got, want)| got != want);
                Verdict::Wrong(format!(
                    "page before {before}: {} messages from {:?}, has_more {has_more}; first wrong {wrong:?}",
                    entries.len(),
                    entries.first().map(|e| e.seq),
                ))
            }
        }
    };
    (took, verdict)
}

/// What the seed makes of the message with this seq.
fn shape(seq: i64) -> PageEntry {
    PageEntry {
        seq,
        edited: seq % 7 == 0,
        reply: seq % 11 == 0,
        reaction_chips: if seq % 5 == 0 { 2 } else { 0 },
    }
}

/// Topics the seeded messages are about: message `seq` is about
/// `topic{seq % TOPICS}`, so a search for one topic finds about
/// `count / TOPICS` messages (the `search` scenario).
pub const TOPICS: i64 = 997;

/// Writes `count` messages into the room in one statement, edits, replies
/// and reactions as [`shape`] says, and moves the room's seq counter past
/// them, as if they had been posted. Message `seq` says
/// "history message number {seq} about topic{seq % TOPICS}".
pub async fn seed(target: &Target, room_id: i64, author_id: i64, count: i64) -> anyhow::Result<()> {
    let path = target
        .database
        .as_ref()
        .context("history needs the product's database")?;
    let mut conn = SqliteConnectOptions::from_str(&format!("sqlite://{}", path.display()))?
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await?;
    let start_ms = chrono::Utc::now().timestamp_millis() - count;
    sqlx::query(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1) \
         INSERT INTO messages (room_id, seq, author_id, body, body_html, client_id, created_at) \
         SELECT ?2, i, ?3, 'history message number ' || i || ' about topic' || (i % ?5), \
                '<p>history message number ' || i || ' about topic' || (i % ?5) || '</p>
', NULL, ?4 + i FROM n",
    )
    .bind(count)
    .bind(room_id)
    .bind(author_id)
    .bind(start_ms)
    .bind(TOPICS)
    .execute(&mut conn)
    .await
    .context("seeding messages")?;
    sqlx::query(
        "UPDATE messages SET edited_at = created_at + 1000 WHERE room_id = ?1 AND seq % 7 = 0",
    )
    .bind(room_id)
    .execute(&mut conn)
    .await
    .context("seeding edits")?;
    sqlx::query(
        "UPDATE messages SET reply_to = (SELECT r.id FROM messages r \
         WHERE r.room_id = messages.room_id AND r.seq = messages.seq - 1) \
         WHERE room_id = ?1 AND seq % 11 = 0",
    )
    .bind(room_id)
    .execute(&mut conn)
    .await
    .context("seeding replies")?;
    sqlx::query(
        "INSERT INTO reactions (message_id, emoji, user_id, seq, emoji_seq) \
         SELECT id, e.emoji, ?2, seq, seq FROM messages, \
         (SELECT '👍' AS emoji UNION ALL SELECT '🎉') AS e \
         WHERE room_id = ?1 AND seq % 5 = 0",
    )
    .bind(room_id)
    .bind(author_id)
    .execute(&mut conn)
    .await
    .context("seeding reactions")?;
    sqlx::query("UPDATE rooms SET last_seq = ?1, last_activity_at = ?2 WHERE id = ?3")
        .bind(count)
        .bind(start_ms + count)
        .bind(room_id)
        .execute(&mut conn)
        .await?;
    Ok(())
}
