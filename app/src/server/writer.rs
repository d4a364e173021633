//! Storing posted messages with group commit: one writer task per node takes
//! every post waiting for it and stores them in one transaction.
//!
//! Per batch, not per post: one query finds which posters are members of
//! their rooms, then one transaction stores the posts. A retried send (a
//! `client_id` already stored, or twice in one batch) is not looked up in
//! advance: the unique index on `(author_id, client_id)` refuses it, the
//! batch falls back to one post at a time, and the retry is answered with
//! the original. Retries are rare (a reconnect), lookups would be on every
//! post.
//!
//! A message is acknowledged only once it is durable, and a durable commit
//! costs an fsync, which SQLite does one at a time. Committing the posts that
//! arrived together in one transaction shares that fsync among them, so
//! throughput grows with load instead of queueing behind the disk, and no
//! durability setting is weakened.
//!
//! Seq: the batch raises each room's `last_seq` by the number of its posts
//! (UPDATE … RETURNING, which row-locks the room on PostgreSQL) and numbers
//! them in arrival order. Rooms are updated in id order, so two nodes'
//! batches lock rows in the same order and cannot deadlock. Nothing is
//! published before the commit, and publishing follows the batch's order,
//! so each room's stream stays in seq order (`fanout` takes it from there).
//!
//! A batch that fails (a `client_id` that raced in from another connection,
//! a room deleted meanwhile) is rolled back whole and its posts are retried
//! one at a time, so one bad post never costs the others theirs.

use std::collections::{BTreeMap, HashMap, HashSet};

use sea_query::{Expr, Query};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::background::Background;
use super::db::{Db, is_unique_violation, now_ms, to_rfc3339};
use super::error::{Error, Result};
use super::fanout::{self, Publisher};
use super::hub::Hub;
use super::messages::find_by_client_id;
use super::rooms::{check_member, memberships_among};
use super::schema::{Messages, Rooms};
use crate::model::{Author, Message};

/// Posts stored in one transaction at most.
const MAX_BATCH: usize = 256;
/// Posts waiting for the writer before senders wait to hand theirs over.
const QUEUE: usize = 4096;

/// A validated post from a member, not yet stored.
#[derive(Clone, Debug)]
pub struct Draft {
    pub room_id: i64,
    pub author: Author,
    pub body: String,
    /// `body` rendered (`super::format`).
    pub body_html: String,
    pub client_id: Option<String>,
}

type Post = (Draft, oneshot::Sender<Result<(Message, bool)>>);

#[derive(Clone)]
pub struct Writer {
    posts: mpsc::Sender<Post>,
}

impl Writer {
    /// Starts the node's writer task. It ends when the node stops (after
    /// storing every post already handed to it) or when the last `Writer`
    /// is dropped.
    pub fn start(db: Db, hub: Hub, background: &Background) -> Self {
        let (posts, queue) = mpsc::channel(QUEUE);
        let publisher = Publisher::start(&db, hub, background);
        background.spawn(run(db, publisher, queue, background.stopping()));
        Self { posts }
    }

    /// Stores and publishes a post. Returns the message and whether it is
    /// new (`false` when its `client_id` was already stored).
    pub async fn store(&self, draft: Draft) -> Result<(Message, bool)> {
        let (reply, answer) = oneshot::channel();
        self.posts
            .send((draft, reply))
            .await
            .map_err(|_| Error::Internal("the message writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the message writer dropped a post".into()))?
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

async fn run(
    db: Db,
    publisher: Publisher,
    mut queue: mpsc::Receiver<Post>,
    stop: CancellationToken,
) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    // The writer keeps its connection: on SQLite its page cache then stays
    // warm, since no other connection writes messages. After any error it
    // takes a fresh one.
    let mut held: Option<PoolConnection<Any>> = None;
    loop {
        let received = tokio::select! {
            received = queue.recv_many(&mut batch, MAX_BATCH) => received,
            // Stopping: take no new posts, but store every one already
            // handed over (the closed queue still yields them, then 0).
            () = stop.cancelled(), if !queue.is_closed() => {
                queue.close();
                continue;
            }
        };
        if received == 0 {
            break;
        }
        let mut conn = match held.take() {
            Some(conn) => conn,
            None => match db.acquire().await {
                Ok(conn) => conn,
                Err(e) => {
                    tracing::warn!(error = %e, "the message writer has no connection");
                    for (_, reply) in batch.drain(..) {
                        let _ = reply.send(Err(Error::Internal("no database connection".into())));
                    }
                    continue;
                }
            },
        };
        let drafts: Vec<&Draft> = batch.iter().map(|(draft, _)| draft).collect();
        match settle(&db, &publisher, &mut conn, &drafts).await {
            Ok(answers) => {
                for ((_, reply), answer) in batch.drain(..).zip(answers) {
                    let _ = reply.send(answer);
                }
                held = Some(conn);
            }
            Err(Failure::RolledBack(e)) => {
                if batch.len() > 1 {
                    tracing::debug!(error = %e, posts = batch.len(), "batch failed; storing its posts one by one");
                }
                drop(conn);
                for (draft, reply) in batch.drain(..) {
                    let _ = reply.send(settle_one(&db, &publisher, &draft).await);
                }
            }
            // Retrying could store the batch twice. The senders get an
            // error; a resend with the same client_id is safe either way.
            Err(Failure::Unknown(e)) => {
                tracing::error!(error = %e, posts = batch.len(), "commit failed; the batch may or may not be stored");
                drop(conn);
                for (_, reply) in batch.drain(..) {
                    let _ = reply.send(Err(Error::Internal("the commit was not confirmed".into())));
                }
            }
        }
    }
}

/// A post on its own: the fallback when its batch failed, with the answer
/// for a `client_id` that another connection stored first.
async fn settle_one(db: &Db, publisher: &Publisher, draft: &Draft) -> Result<(Message, bool)> {
    let mut conn = db.acquire().await?;
    match settle(db, publisher, &mut conn, &[draft]).await {
        Ok(mut answers) => answers
            .pop()
            .unwrap_or_else(|| Err(Error::Internal("a post went unanswered".into()))),
        Err(Failure::RolledBack(Error::Database(e))) if is_unique_violation(&e) => {
            let client_id = draft.client_id.as_deref().unwrap_or_default();
            let original = find_by_client_id(db, &mut conn, draft.author.id, client_id).await?;
            original.map(|m| (m, false)).ok_or(Error::Database(e))
        }
        Err(Failure::RolledBack(e) | Failure::Unknown(e)) => Err(e),
    }
}

/// Why a batch was not stored.
enum Failure {
    /// Nothing of it was stored: its posts may be tried again.
    RolledBack(Error),
    /// COMMIT itself failed, so it may or may not be stored.
    Unknown(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::RolledBack(e)
    }
}

impl From<sqlx::Error> for Failure {
    fn from(e: sqlx::Error) -> Self {
        Failure::RolledBack(e.into())
    }
}

/// Checks, stores and publishes a batch, answering each post in order. An
/// `Err` means the batch's transaction failed and nothing of it was stored.
async fn settle(
    db: &Db,
    publisher: &Publisher,
    conn: &mut AnyConnection,
    drafts: &[&Draft],
) -> Result<Vec<Result<(Message, bool)>>, Failure> {
    let pairs: HashSet<(i64, i64)> = drafts.iter().map(|d| (d.room_id, d.author.id)).collect();
    let members = memberships_among(db, conn, &pairs).await?;
    let is_member = |draft: &Draft| members.contains(&(draft.room_id, draft.author.id));
    let new: Vec<&Draft> = drafts.iter().copied().filter(|d| is_member(d)).collect();
    let mut stored = store_batch(db, conn, &new).await?.into_iter();
    let mut answers = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let answer = if is_member(draft) {
            // Committed: from here on nothing may fail the batch.
            match stored.next() {
                Some(message) => {
                    publisher.committed(message.clone()).await;
                    Ok((message, true))
                }
                None => Err(Error::Internal("a stored post went missing".into())),
            }
        } else {
            // Which refusal: the room may be gone, or the user not in it.
            match check_member(db, draft.author.id, draft.room_id).await {
                Err(e) => Err(e),
                Ok(()) => Err(Error::NotAMember),
            }
        };
        answers.push(answer);
    }
    Ok(answers)
}

/// Stores the drafts in one transaction and returns them as messages, in
/// the drafts' order.
async fn store_batch(
    db: &Db,
    conn: &mut AnyConnection,
    drafts: &[&Draft],
) -> Result<Vec<Message>, Failure> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let now = now_ms();
    let mut per_room: BTreeMap<i64, i64> = BTreeMap::new();
    for draft in drafts {
        *per_room.entry(draft.room_id).or_default() += 1;
    }
    let mut tx = conn.begin().await?;
    let mut next_seq = HashMap::with_capacity(per_room.len());
    for (&room_id, &count) in &per_room {
        let bump = Query::update()
            .table(Rooms::Table)
            .value(Rooms::LastSeq, Expr::col(Rooms::LastSeq).add(count))
            .value(Rooms::LastActivityAt, now)
            .and_where(Expr::col(Rooms::Id).eq(room_id))
            .returning_col(Rooms::LastSeq)
            .to_owned();
        let (last,): (i64,) = db
            .fetch_optional(&mut tx, &bump)
            .await?
            .ok_or(Error::RoomNotFound)?;
        next_seq.insert(room_id, last - count + 1);
    }

    let mut insert = Query::insert()
        .into_table(Messages::Table)
        .columns([
            Messages::RoomId,
            Messages::Seq,
            Messages::AuthorId,
            Messages::Body,
            Messages::BodyHtml,
            Messages::ClientId,
            Messages::CreatedAt,
        ])
        .returning(Query::returning().columns([Messages::Id, Messages::RoomId, Messages::Seq]))
        .to_owned();
    let mut messages = Vec::with_capacity(drafts.len());
    for draft in drafts {
        let seq = next_seq.entry(draft.room_id).or_default();
        insert
            .values([
                draft.room_id.into(),
                (*seq).into(),
                draft.author.id.into(),
                draft.body.clone().into(),
                draft.body_html.clone().into(),
                draft.client_id.clone().into(),
                now.into(),
            ])
            .map_err(|e| Error::Internal(format!("building the insert: {e}")))?;
        messages.push(Message {
            id: 0,
            room_id: draft.room_id,
            seq: *seq,
            author: draft.author.clone(),
            body: draft.body.clone(),
            body_html: draft.body_html.clone(),
            created_at: to_rfc3339(now),
            client_id: draft.client_id.clone(),
        });
        *seq += 1;
    }
    let ids: HashMap<(i64, i64), i64> = db
        .fetch_all::<(i64, i64, i64), _>(&mut tx, &insert)
        .await?
        .into_iter()
        .map(|(id, room_id, seq)| ((room_id, seq), id))
        .collect();
    for message in &mut messages {
        message.id = *ids
            .get(&(message.room_id, message.seq))
            .ok_or_else(|| Error::Internal("an inserted message returned no id".into()))?;
        fanout::announce(db, &mut tx, message).await?;
    }
    tx.commit().await.map_err(|e| Failure::Unknown(e.into()))?;
    Ok(messages)
}
