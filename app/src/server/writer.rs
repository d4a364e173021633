//! Making every change to a room, and logging it as the room's next event:
//! one writer task per node takes every request waiting for it (posts,
//! edits, deletions, reactions, joins, leaves) and makes them in one
//! transaction.
//!
//! Per batch, not per request: one transaction stores the batch. A retried
//! send (a `client_id` already stored, or twice in one batch) is not looked
//! up in advance: the unique index on `(author_id, client_id)` refuses it,
//! the batch falls back to one request at a time, and the retry is answered
//! with the original. Retries are rare (a reconnect), lookups would be on
//! every post.
//!
//! A change is acknowledged only once it is durable, and a durable commit
//! costs an fsync, which SQLite does one at a time. Committing the requests
//! that arrived together in one transaction shares that fsync among them,
//! so throughput grows with load instead of queueing behind the disk, and
//! no durability setting is weakened.
//!
//! Seq: every event takes the room's next seq from `rooms.last_seq` (UPDATE
//! … RETURNING, which row-locks the room on PostgreSQL), in the transaction
//! that makes the change, so seqs are gap-free per room on both backends.
//! Rooms are locked in id order, so two nodes' batches cannot deadlock.
//! Whether the requester is a member, and who may edit or delete what
//! ([`rules`]), is asked under that lock, so the answer still holds when
//! the change is made. Nothing is published before
//! the commit, and publishing follows seq order, so each room's stream
//! stays in order (`fanout` takes it from there).
//!
//! A batch that fails (a `client_id` that raced in from another connection)
//! is rolled back whole and its requests are retried one at a time, so one
//! bad post never costs the others theirs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use sea_query::{Expr, Query};
use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::background::Background;
use super::db::{Db, is_unique_violation, now_ms, to_rfc3339};
use super::error::{Error, Result};
use super::events::{self, Kind, Logged};
use super::fanout::{self, Publisher};
use super::hub::Hub;
use super::messages::{self, find_by_client_id};
use super::rooms::insert_membership;
use super::rules::{self, Target};
use super::schema::{Memberships, Messages, Reactions, Rooms};
use super::text::validate_emoji;
use crate::model::{Author, Message, ReplyTo};
use crate::protocol::Entry;

/// Posts stored in one transaction at most.
const MAX_BATCH: usize = 256;
/// Posts waiting for the writer before senders wait to hand theirs over.
const QUEUE: usize = 4096;

/// A validated post, not yet stored.
#[derive(Clone, Debug)]
pub struct Draft {
    pub room_id: i64,
    pub author: Author,
    pub body: String,
    /// `body` rendered (`super::format`).
    pub body_html: String,
    pub client_id: Option<String>,
    /// A message id, which must be in the same room.
    pub reply_to: Option<i64>,
}

/// A change to a room, validated as input, not yet checked against the
/// room's state (who wrote the message, whether it is deleted): that is
/// done here, under the room's lock, with [`rules`].
#[derive(Clone, Debug)]
pub enum Request {
    Post(Draft),
    Edit {
        room_id: i64,
        message_id: i64,
        user: Author,
        body: String,
        body_html: String,
    },
    Delete {
        room_id: i64,
        message_id: i64,
        user: Author,
    },
    React {
        room_id: i64,
        message_id: i64,
        user: Author,
        emoji: String,
        added: bool,
    },
    Join {
        room_id: i64,
        user: Author,
    },
    Leave {
        room_id: i64,
        user: Author,
    },
}

impl Request {
    fn room_id(&self) -> i64 {
        match self {
            Request::Post(draft) => draft.room_id,
            Request::Edit { room_id, .. }
            | Request::Delete { room_id, .. }
            | Request::React { room_id, .. }
            | Request::Join { room_id, .. }
            | Request::Leave { room_id, .. } => *room_id,
        }
    }

    fn user(&self) -> &Author {
        match self {
            Request::Post(draft) => &draft.author,
            Request::Edit { user, .. }
            | Request::Delete { user, .. }
            | Request::React { user, .. }
            | Request::Join { user, .. }
            | Request::Leave { user, .. } => user,
        }
    }

    /// Everything but joining and leaving is for members only.
    fn for_members(&self) -> bool {
        !matches!(self, Request::Join { .. } | Request::Leave { .. })
    }

    fn message_id(&self) -> Option<i64> {
        match self {
            Request::Edit { message_id, .. }
            | Request::Delete { message_id, .. }
            | Request::React { message_id, .. } => Some(*message_id),
            Request::Post(_) | Request::Join { .. } | Request::Leave { .. } => None,
        }
    }
}

/// What a request did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    /// The message posted or changed, as it now is.
    pub message: Option<Message>,
    /// Whether an event was logged: `false` for a request that changed
    /// nothing (a repeated `client_id`, an edit to the same text, a second
    /// identical reaction, joining twice).
    pub logged: bool,
}

type Ask = (Request, oneshot::Sender<Result<Done>>);

#[derive(Clone)]
pub struct Writer {
    requests: mpsc::Sender<Ask>,
}

impl Writer {
    /// Starts the node's writer task. It ends when the node stops (after
    /// storing every post already handed to it) or when the last `Writer`
    /// is dropped.
    pub fn start(db: Db, hub: Hub, background: &Background) -> Self {
        let (requests, queue) = mpsc::channel(QUEUE);
        let publisher = Publisher::start(&db, hub, background);
        background.spawn(run(db, publisher, queue, background.stopping()));
        Self { requests }
    }

    /// Makes the change, logs its event and publishes it once committed.
    pub async fn apply(&self, request: Request) -> Result<Done> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((request, reply))
            .await
            .map_err(|_| Error::Internal("the room writer has stopped".into()))?;
        answer
            .await
            .map_err(|_| Error::Internal("the room writer dropped a request".into()))?
    }

    /// Stores and publishes a post. Returns the message and whether it is
    /// new (`false` when its `client_id` was already stored).
    pub async fn store(&self, draft: Draft) -> Result<(Message, bool)> {
        let done = self.apply(Request::Post(draft)).await?;
        let message = done
            .message
            .ok_or_else(|| Error::Internal("a post was answered without its message".into()))?;
        Ok((message, done.logged))
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
    mut queue: mpsc::Receiver<Ask>,
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
        let requests: Vec<&Request> = batch.iter().map(|(request, _)| request).collect();
        match settle(&db, &publisher, &mut conn, &requests).await {
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
                for (request, reply) in batch.drain(..) {
                    let _ = reply.send(settle_one(&db, &publisher, &request).await);
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

/// A request on its own: the fallback when its batch failed, with the
/// answer for a `client_id` that another connection stored first.
async fn settle_one(db: &Db, publisher: &Publisher, request: &Request) -> Result<Done> {
    let mut conn = db.acquire().await?;
    match settle(db, publisher, &mut conn, &[request]).await {
        Ok(mut answers) => answers
            .pop()
            .unwrap_or_else(|| Err(Error::Internal("a request went unanswered".into()))),
        Err(Failure::RolledBack(Error::Database(e))) if is_unique_violation(&e) => {
            let Request::Post(draft) = request else {
                return Err(Error::Database(e));
            };
            let client_id = draft.client_id.as_deref().unwrap_or_default();
            match find_by_client_id(db, &mut conn, draft.author.id, client_id).await? {
                Some(original) if original.room_id == draft.room_id => Ok(Done {
                    message: Some(original),
                    logged: false,
                }),
                // The same key for a message to another room is not a retry.
                Some(_) => Err(Error::ClientIdReused),
                None => Err(Error::Database(e)),
            }
        }
        Err(Failure::RolledBack(e) | Failure::Unknown(e)) => Err(e),
    }
}

/// Why a batch was not stored.
enum Failure {
    /// Nothing of it was stored: its requests may be tried again.
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

/// Checks, stores and publishes a batch, answering each request in order.
/// An `Err` means the batch's transaction failed and nothing of it was
/// stored; a request refused by the rules is answered with its error and
/// costs the others nothing.
///
/// Per room, in room id order (so that two nodes lock rooms in the same
/// order and cannot deadlock): an UPDATE takes the room's row lock, then
/// everything a request depends on is read under it (memberships, the
/// message a post replies to, the message a change is about), and each
/// request, in arrival order, is checked and applied, taking the room's
/// next seq. What a request is checked against is therefore still true
/// when it commits, on any number of nodes. The log's rows are written at
/// the end, and published after the commit in seq order.
async fn settle(
    db: &Db,
    publisher: &Publisher,
    conn: &mut AnyConnection,
    requests: &[&Request],
) -> Result<Vec<Result<Done>>, Failure> {
    let mut answers: Vec<Option<Result<Done>>> = requests.iter().map(|_| None).collect();
    let mut by_room: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
    for (i, request) in requests.iter().enumerate() {
        by_room.entry(request.room_id()).or_default().push(i);
    }

    let now = now_ms();
    let mut tx = conn.begin().await?;
    // Every change made, with the request it answers; posts with their seq.
    let mut logged: Vec<(usize, Logged)> = Vec::new();
    let mut posts: Vec<(usize, i64)> = Vec::new();
    let mut replied: HashMap<i64, Message> = HashMap::new();
    for (&room_id, indexes) in &by_room {
        let lock = Query::update()
            .table(Rooms::Table)
            .value(Rooms::LastSeq, Expr::col(Rooms::LastSeq))
            .and_where(Expr::col(Rooms::Id).eq(room_id))
            .returning(Query::returning().columns([Rooms::LastSeq, Rooms::CreatedBy]))
            .to_owned();
        let Some((last, owner_id)) = db.fetch_optional::<(i64, i64), _>(&mut tx, &lock).await?
        else {
            for &i in indexes {
                answers[i] = Some(Err(Error::RoomNotFound));
            }
            continue;
        };
        let users = indexes.iter().map(|&i| requests[i].user().id);
        let mut members = members_among(db, &mut tx, room_id, users).await?;
        let replies = indexes.iter().filter_map(|&i| match requests[i] {
            Request::Post(draft) => draft.reply_to,
            _ => None,
        });
        replied.extend(messages::by_ids(db, &mut tx, replies).await?);

        let mut seq = last;
        let mut posted = false;
        for &i in indexes {
            let request = requests[i];
            let user_id = request.user().id;
            if request.for_members() && !members.contains(&user_id) {
                answers[i] = Some(Err(Error::NotAMember));
                continue;
            }
            if let Request::Post(draft) = request {
                if let Some(id) = draft.reply_to
                    && replied.get(&id).is_none_or(|m| m.room_id != room_id)
                {
                    // Not there to answer: as for any change to it.
                    answers[i] = Some(Err(Error::MessageNotFound));
                    continue;
                }
                seq += 1;
                posted = true;
                posts.push((i, seq));
                continue;
            }
            match change(db, &mut tx, request, owner_id, seq + 1).await? {
                Ok(Some(row)) => {
                    seq += 1;
                    match row.kind {
                        Kind::MemberJoined => {
                            members.insert(user_id);
                        }
                        Kind::MemberLeft => {
                            members.remove(&user_id);
                            fanout::announce_left(db, &mut tx, user_id, room_id).await?;
                        }
                        _ => {}
                    }
                    logged.push((i, row));
                }
                Ok(None) => {
                    answers[i] = Some(Ok(Done {
                        message: None,
                        logged: false,
                    }))
                }
                Err(refused) => answers[i] = Some(Err(refused)),
            }
        }
        if seq > last {
            let mut advance = Query::update()
                .table(Rooms::Table)
                .value(Rooms::LastSeq, seq)
                .and_where(Expr::col(Rooms::Id).eq(room_id))
                .to_owned();
            if posted {
                advance.value(Rooms::LastActivityAt, now);
            }
            db.execute(&mut tx, &advance).await?;
        }
    }

    let stored = insert_posts(db, &mut tx, requests, &posts, &replied, now).await?;
    let mut rows: Vec<Logged> = stored
        .iter()
        .map(|message| Logged {
            room_id: message.room_id,
            seq: message.seq,
            kind: Kind::MessagePosted,
            message_id: Some(message.id),
            user: message.author.clone(),
            emoji: None,
        })
        .collect();
    rows.extend(logged.iter().map(|(_, row)| row.clone()));
    events::append(db, &mut tx, &rows, now).await?;

    // The changed messages as they now are, for the events and the answers.
    let touched = requests
        .iter()
        .enumerate()
        .filter(|(i, _)| !matches!(answers[*i], Some(Err(_))))
        .filter_map(|(_, r)| r.message_id());
    let current = messages::by_ids(db, &mut tx, touched).await?;
    let mut entries: Vec<Entry> = Vec::with_capacity(stored.len() + logged.len());
    for ((i, _), message) in posts.iter().zip(&stored) {
        entries.push(Entry::Posted(message.clone()));
        answers[*i] = Some(Ok(Done {
            message: Some(message.clone()),
            logged: true,
        }));
    }
    for (i, row) in logged {
        let entry = events::entry(row, &current)
            .ok_or_else(|| Error::Internal("a changed message went missing".into()))?;
        entries.push(entry);
        answers[i] = Some(Ok(Done {
            message: None,
            logged: true,
        }));
    }
    // Each room's events in seq order: NOTIFY delivers them in the order
    // sent, and the publisher hands them on in the order given.
    entries.sort_by_key(|e| (e.room_id(), e.seq()));
    for entry in &entries {
        fanout::announce(db, &mut tx, entry).await?;
    }
    tx.commit().await.map_err(|e| Failure::Unknown(e.into()))?;
    // Committed: from here on nothing may fail the batch.
    for entry in entries {
        publisher.committed(entry).await;
    }

    Ok(requests
        .iter()
        .zip(answers)
        .map(|(request, answer)| match answer {
            Some(Ok(mut done)) => {
                if let Some(id) = request.message_id() {
                    done.message = current.get(&id).cloned();
                }
                Ok(done)
            }
            Some(Err(e)) => Err(e),
            None => Err(Error::Internal("a request went unanswered".into())),
        })
        .collect())
}

/// Which of these users are members of the room, read under its lock.
async fn members_among(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    users: impl Iterator<Item = i64>,
) -> Result<HashSet<i64>> {
    let users: BTreeSet<i64> = users.collect();
    let select = Query::select()
        .column(Memberships::UserId)
        .from(Memberships::Table)
        .and_where(Expr::col(Memberships::RoomId).eq(room_id))
        .and_where(Expr::col(Memberships::UserId).is_in(users))
        .to_owned();
    let rows: Vec<(i64,)> = db.fetch_all(tx, &select).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Applies one request other than a post, as the room's event `seq`.
/// `Ok(Ok(None))`: nothing to change; `Ok(Err(_))`: refused by the rules.
async fn change(
    db: &Db,
    tx: &mut AnyConnection,
    request: &Request,
    owner_id: i64,
    seq: i64,
) -> Result<Result<Option<Logged>>, Failure> {
    let now = now_ms();
    let user = request.user().clone();
    let room_id = request.room_id();
    let row = |kind, message_id, emoji| Logged {
        room_id,
        seq,
        kind,
        message_id,
        user: user.clone(),
        emoji,
    };
    if let Request::Join { .. } | Request::Leave { .. } = request {
        let joined = if let Request::Join { .. } = request {
            let insert = insert_membership(room_id, user.id, now);
            db.execute(tx, &insert).await? > 0
        } else {
            let delete = Query::delete()
                .from_table(Memberships::Table)
                .and_where(Expr::col(Memberships::RoomId).eq(room_id))
                .and_where(Expr::col(Memberships::UserId).eq(user.id))
                .to_owned();
            db.execute(tx, &delete).await? > 0
        };
        let kind = match request {
            Request::Join { .. } => Kind::MemberJoined,
            _ => Kind::MemberLeft,
        };
        return Ok(Ok(joined.then(|| row(kind, None, None))));
    }

    let Some(message_id) = request.message_id() else {
        return Ok(Err(Error::Internal(
            "a post reached the change path".into(),
        )));
    };
    let select = Query::select()
        .columns([Messages::AuthorId, Messages::Deleted, Messages::Body])
        .from(Messages::Table)
        .and_where(Expr::col(Messages::Id).eq(message_id))
        .and_where(Expr::col(Messages::RoomId).eq(room_id))
        .to_owned();
    let Some((author_id, deleted, body)) = db
        .fetch_optional::<(i64, i64, String), _>(tx, &select)
        .await?
    else {
        return Ok(Err(Error::MessageNotFound));
    };
    let target = Target {
        author_id,
        deleted: deleted != 0,
        owner_id,
    };
    match request {
        Request::Edit {
            body: new_body,
            body_html,
            ..
        } => {
            if let Err(refused) = rules::may_edit(target, user.id) {
                return Ok(Err(refused));
            }
            if *new_body == body {
                return Ok(Ok(None));
            }
            let update = Query::update()
                .table(Messages::Table)
                .value(Messages::Body, new_body.clone())
                .value(Messages::BodyHtml, body_html.clone())
                .value(Messages::EditedAt, now)
                .and_where(Expr::col(Messages::Id).eq(message_id))
                .to_owned();
            db.execute(tx, &update).await?;
            Ok(Ok(Some(row(Kind::MessageEdited, Some(message_id), None))))
        }
        Request::Delete { .. } => {
            if let Err(refused) = rules::may_delete(target, user.id) {
                return Ok(Err(refused));
            }
            if target.deleted {
                return Ok(Ok(None));
            }
            let update = Query::update()
                .table(Messages::Table)
                .value(Messages::Body, "")
                .value(Messages::BodyHtml, "")
                .value(Messages::Deleted, 1i64)
                .and_where(Expr::col(Messages::Id).eq(message_id))
                .to_owned();
            db.execute(tx, &update).await?;
            // What was said is gone, and so is what people answered it with.
            let reactions = Query::delete()
                .from_table(Reactions::Table)
                .and_where(Expr::col(Reactions::MessageId).eq(message_id))
                .to_owned();
            db.execute(tx, &reactions).await?;
            Ok(Ok(Some(row(Kind::MessageDeleted, Some(message_id), None))))
        }
        Request::React { emoji, added, .. } => {
            let select = Query::select()
                .columns([Reactions::Emoji, Reactions::UserId, Reactions::EmojiSeq])
                .from(Reactions::Table)
                .and_where(Expr::col(Reactions::MessageId).eq(message_id))
                .to_owned();
            let existing: Vec<(String, i64, i64)> = db.fetch_all(tx, &select).await?;
            if let Err(refused) = validate_emoji(emoji) {
                return Ok(Err(refused));
            }
            let mine = existing.iter().any(|(e, u, _)| e == emoji && *u == user.id);
            // A chip keeps its place while anyone is on it.
            let emoji_seq = existing
                .iter()
                .find(|(e, _, _)| e == emoji)
                .map_or(seq, |&(_, _, since)| since);
            if !added {
                if !mine {
                    return Ok(Ok(None));
                }
                let delete = Query::delete()
                    .from_table(Reactions::Table)
                    .and_where(Expr::col(Reactions::MessageId).eq(message_id))
                    .and_where(Expr::col(Reactions::Emoji).eq(emoji.as_str()))
                    .and_where(Expr::col(Reactions::UserId).eq(user.id))
                    .to_owned();
                db.execute(tx, &delete).await?;
                return Ok(Ok(Some(row(
                    Kind::ReactionRemoved,
                    Some(message_id),
                    Some(emoji.clone()),
                ))));
            }
            let in_use: Vec<String> = existing
                .into_iter()
                .map(|(e, _, _)| e)
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            if let Err(refused) = rules::may_react(target, &in_use, emoji) {
                return Ok(Err(refused));
            }
            if mine {
                return Ok(Ok(None));
            }
            let insert = Query::insert()
                .into_table(Reactions::Table)
                .columns([
                    Reactions::MessageId,
                    Reactions::Emoji,
                    Reactions::UserId,
                    Reactions::Seq,
                    Reactions::EmojiSeq,
                ])
                .values_panic([
                    message_id.into(),
                    emoji.clone().into(),
                    user.id.into(),
                    seq.into(),
                    emoji_seq.into(),
                ])
                .to_owned();
            db.execute(tx, &insert).await?;
            Ok(Ok(Some(row(
                Kind::ReactionAdded,
                Some(message_id),
                Some(emoji.clone()),
            ))))
        }
        Request::Post(_) | Request::Join { .. } | Request::Leave { .. } => Ok(Ok(None)),
    }
}

/// Stores the batch's posts, with the seqs given, in one insert; returns
/// them as messages in the same order.
async fn insert_posts(
    db: &Db,
    tx: &mut AnyConnection,
    requests: &[&Request],
    posts: &[(usize, i64)],
    replied: &HashMap<i64, Message>,
    now: i64,
) -> Result<Vec<Message>, Failure> {
    if posts.is_empty() {
        return Ok(Vec::new());
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
            Messages::ReplyTo,
        ])
        .returning(Query::returning().columns([Messages::Id, Messages::RoomId, Messages::Seq]))
        .to_owned();
    let mut messages = Vec::with_capacity(posts.len());
    for &(i, seq) in posts {
        let Request::Post(draft) = requests[i] else {
            return Err(Error::Internal("a change reached the post path".into()).into());
        };
        insert
            .values([
                draft.room_id.into(),
                seq.into(),
                draft.author.id.into(),
                draft.body.clone().into(),
                draft.body_html.clone().into(),
                draft.client_id.clone().into(),
                now.into(),
                draft.reply_to.into(),
            ])
            .map_err(|e| Error::Internal(format!("building the insert: {e}")))?;
        messages.push(Message {
            id: 0,
            room_id: draft.room_id,
            seq,
            author: draft.author.clone(),
            body: draft.body.clone(),
            body_html: draft.body_html.clone(),
            created_at: to_rfc3339(now),
            client_id: draft.client_id.clone(),
            edited_at: None,
            deleted: false,
            reply_to: draft
                .reply_to
                .and_then(|id| replied.get(&id))
                .map(|target| ReplyTo {
                    id: target.id,
                    seq: target.seq,
                    author: target.author.clone(),
                    excerpt: crate::model::excerpt(&target.body),
                }),
            reactions: Vec::new(),
        });
    }
    let ids: HashMap<(i64, i64), i64> = db
        .fetch_all::<(i64, i64, i64), _>(tx, &insert)
        .await?
        .into_iter()
        .map(|(id, room_id, seq)| ((room_id, seq), id))
        .collect();
    for message in &mut messages {
        message.id = *ids
            .get(&(message.room_id, message.seq))
            .ok_or_else(|| Error::Internal("an inserted message returned no id".into()))?;
    }
    Ok(messages)
}
