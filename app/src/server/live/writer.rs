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
//! Whether a request is allowed is the services' [`Policy`], asked under
//! that lock with what was read there (is the requester a member, who wrote
//! the message, is it deleted), so the answer still holds when the change
//! is made; the writer knows no rule of its own. Nothing is published
//! before the commit, and publishing follows seq order, so each room's
//! stream stays in order (`fanout` takes it from there).
//!
//! The writer runs on a thread of its own (`Background::spawn_on_own_thread`):
//! every request waits for it, and on the shared runtime each of its steps
//! (a statement, the commit) queued behind the socket tasks the last
//! fan-out woke, so in a busy room acknowledgements, and the deliveries
//! behind them, came late (docs/benchmarks.md: at 500 msg/s to 1,000
//! members, ack p50 20 → 8 ms; the highest sustained rate 562 → 844 msg/s).
//! On PostgreSQL its connection comes from the shared pool, so the main
//! runtime still drives that connection's I/O; a connection of its own,
//! opened on its thread, is the next step there.
//!
//! A batch that fails (a `client_id` that raced in from another connection)
//! is rolled back whole and its requests are retried one at a time, so one
//! bad post never costs the others theirs.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use sqlx::pool::PoolConnection;
use sqlx::{Any, AnyConnection, Connection};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;

use super::fanout::{self, Publisher};
use super::hub::Hub;
use crate::limits::ATTACHMENT_UNAVAILABLE;
use crate::model::{Author, LeaveReason, Message, ReplyTo, Role, RoomKind};
use crate::protocol::Entry;
use crate::server::background::Background;
use crate::server::error::{Error, Result};
use crate::server::storage::db::{Db, is_unique_violation, now_ms, to_rfc3339};
use crate::server::storage::events::{self, Kind, Logged};
use crate::server::storage::messages::{self, Current, NewMessage, NewReaction};
use crate::server::storage::uploads::{self, UploadRow};
use crate::server::storage::{invitations, rooms};

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
    /// `body` rendered (`crate::server::format`).
    pub body_html: String,
    pub client_id: Option<String>,
    /// A message id, which must be in the same room.
    pub reply_to: Option<i64>,
    pub named: Named,
    /// Uploads sent with it, in order: each must be the author's and unsent.
    pub attachments: Vec<String>,
}

/// Whom a text names: the people its `@name`s resolved to (anyone with the
/// name; the writer keeps those who are members of the room when it is
/// stored) and whether it names `@room` (which the policy judges).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Named {
    pub users: Vec<i64>,
    pub room: bool,
}

impl Request {
    /// What the post or edit names, if it is one.
    pub fn named(&self) -> Option<&Named> {
        match self {
            Request::Post(draft) => Some(&draft.named),
            Request::Edit { named, .. } => Some(named),
            _ => None,
        }
    }
}

/// A change to a room, validated as input, not yet judged against the
/// room's state (who wrote the message, whether it is deleted): the
/// [`Policy`] does that here, under the room's lock.
#[derive(Clone, Debug)]
pub enum Request {
    Post(Draft),
    Edit {
        room_id: i64,
        message_id: i64,
        user: Author,
        body: String,
        body_html: String,
        named: Named,
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
        /// What lets them into a room that takes an invitation.
        pass: Option<Pass>,
    },
    Leave {
        room_id: i64,
        user: Author,
    },
    /// New settings (name, topic, kind), validated.
    Update {
        room_id: i64,
        user: Author,
        settings: rooms::Settings,
    },
    /// `user` gives `member` the role `role`.
    SetRole {
        room_id: i64,
        user: Author,
        member: Author,
        role: Role,
    },
    /// `user` removes `member` from the room.
    Remove {
        room_id: i64,
        user: Author,
        member: Author,
    },
    /// `user` deletes the room, for everyone.
    DeleteRoom {
        room_id: i64,
        user: Author,
    },
}

impl Request {
    pub fn room_id(&self) -> i64 {
        match self {
            Request::Post(draft) => draft.room_id,
            Request::Edit { room_id, .. }
            | Request::Delete { room_id, .. }
            | Request::React { room_id, .. }
            | Request::Join { room_id, .. }
            | Request::Leave { room_id, .. }
            | Request::Update { room_id, .. }
            | Request::SetRole { room_id, .. }
            | Request::Remove { room_id, .. }
            | Request::DeleteRoom { room_id, .. } => *room_id,
        }
    }

    pub fn user(&self) -> &Author {
        match self {
            Request::Post(draft) => &draft.author,
            Request::Edit { user, .. }
            | Request::Delete { user, .. }
            | Request::React { user, .. }
            | Request::Join { user, .. }
            | Request::Leave { user, .. }
            | Request::Update { user, .. }
            | Request::SetRole { user, .. }
            | Request::Remove { user, .. }
            | Request::DeleteRoom { user, .. } => user,
        }
    }

    /// The message a change is about.
    pub fn message_id(&self) -> Option<i64> {
        match self {
            Request::Edit { message_id, .. }
            | Request::Delete { message_id, .. }
            | Request::React { message_id, .. } => Some(*message_id),
            Request::Post(_)
            | Request::Join { .. }
            | Request::Leave { .. }
            | Request::Update { .. }
            | Request::SetRole { .. }
            | Request::Remove { .. }
            | Request::DeleteRoom { .. } => None,
        }
    }
}

/// What lets a user into a room that takes an invitation; it is checked,
/// and used up, under the room's lock, so a declined invitation or a
/// revoked link stops working at once.
#[derive(Clone, Debug)]
pub enum Pass {
    /// A pending invitation, by id.
    Invitation(i64),
    /// An invite link, by the SHA-256 of its token.
    Link(String),
}

/// A [`Pass`] as found under the room's lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ticket {
    /// It lets this user into this room now.
    Valid,
    /// A link past its expiry, used up or revoked.
    Expired,
    /// No such invitation for this user and room, or no such link.
    Unknown,
}

/// Who may do what: the services' rules. The writer asks it about every
/// request, under the room's lock, with the [`Facts`] read there; a refusal
/// is the request's answer and costs the batch's other requests nothing.
pub trait Policy: Send + Sync + 'static {
    fn judge(&self, request: &Request, facts: &Facts<'_>) -> Result<()>;
}

/// What a request is judged on, read under the room's lock.
#[derive(Clone, Copy, Debug)]
pub struct Facts<'a> {
    pub kind: RoomKind,
    /// The requester's role (before this request); `None` if not a member.
    pub role: Option<Role>,
    /// For a role change or a removal: the member's role now (`None` if
    /// not a member); for a role change, how many owners the room has.
    pub subject: Option<Role>,
    pub owners: i64,
    /// The message an edit, deletion or reaction is about; `None` when the
    /// room has no such message (and for posts, joins, leaves and renames).
    pub message: Option<&'a Current>,
    /// The message a post answers (`reply_to`), if the room has it.
    pub replied: Option<&'a Message>,
    /// For a join with a [`Pass`]: what the pass is worth.
    pub ticket: Option<Ticket>,
    /// For a post: whether each of its attachments is the author's to
    /// send (unsent, and not sent by an earlier post of the batch), or the
    /// post repeats a `client_id` whose message took them.
    pub attachments: bool,
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
    /// Starts the node's writer on its thread. It ends when the node stops
    /// (after storing every post already handed to it) or when the last
    /// `Writer` is dropped. Fails only if the thread cannot be started.
    ///
    /// Each message posted here goes to `posted` once committed, for the
    /// services to tell whom it concerns; when that queue is full, they
    /// miss it (the writer never waits on them).
    pub fn start(
        db: Db,
        hub: Hub,
        policy: Arc<dyn Policy>,
        posted: mpsc::Sender<Message>,
        background: &Background,
    ) -> std::io::Result<Self> {
        let (requests, queue) = mpsc::channel(QUEUE);
        let publisher = Publisher::start(&db, hub, background);
        let settler = Settler {
            db,
            publisher,
            policy,
            posted,
        };
        background.spawn_on_own_thread("writer", run(settler, queue, background.stopping()))?;
        Ok(Self { requests })
    }

    /// Makes the change, logs its event and publishes it once committed.
    pub async fn apply(&self, request: Request) -> Result<Done> {
        self.submit(request).await?.await
    }

    /// Hands the request over and returns at once with its answer to come:
    /// requests are made in the order they were handed over, so a caller
    /// with several in flight (a socket) keeps its own order.
    pub async fn submit(&self, request: Request) -> Result<Pending> {
        let (reply, answer) = oneshot::channel();
        self.requests
            .send((request, reply))
            .await
            .map_err(|_| Error::Internal("the room writer has stopped".into()))?;
        Ok(Pending(answer))
    }
}

/// A request handed to the writer: its answer, once the batch it joined
/// is committed (or the request refused).
pub struct Pending(oneshot::Receiver<Result<Done>>);

impl Future for Pending {
    type Output = Result<Done>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        Pin::new(&mut self.0).poll(cx).map(|answer| {
            answer.unwrap_or_else(|_| {
                Err(Error::Internal("the room writer dropped a request".into()))
            })
        })
    }
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Writer").finish_non_exhaustive()
    }
}

/// What settling a batch needs.
struct Settler {
    db: Db,
    publisher: Publisher,
    policy: Arc<dyn Policy>,
    posted: mpsc::Sender<Message>,
}

async fn run(settler: Settler, mut queue: mpsc::Receiver<Ask>, stop: CancellationToken) {
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
            None => match settler.db.acquire().await {
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
        match settler.settle(&mut conn, &requests).await {
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
                    let _ = reply.send(settler.settle_one(&request).await);
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

impl Settler {
    /// A request on its own: the fallback when its batch failed, with the
    /// answer for a `client_id` that another connection stored first.
    async fn settle_one(&self, request: &Request) -> Result<Done> {
        let mut conn = self.db.acquire().await?;
        match self.settle(&mut conn, &[request]).await {
            Ok(mut answers) => answers
                .pop()
                .unwrap_or_else(|| Err(Error::Internal("a request went unanswered".into()))),
            Err(Failure::RolledBack(Error::Database(e))) if is_unique_violation(&e) => {
                let draft = match request {
                    Request::Post(draft) => draft,
                    // Another room has the name (the only unique key a
                    // change of settings touches).
                    Request::Update { .. } => return Err(Error::RoomNameTaken),
                    _ => return Err(Error::Database(e)),
                };
                let client_id = draft.client_id.as_deref().unwrap_or_default();
                let original =
                    messages::find_by_client_id(&self.db, &mut conn, draft.author.id, client_id)
                        .await?;
                match original {
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

    /// Judges, stores and publishes a batch, answering each request in
    /// order. An `Err` means the batch's transaction failed and nothing of
    /// it was stored; a request the policy refuses is answered with its
    /// error and costs the others nothing.
    ///
    /// Per room, in room id order (so that two nodes lock rooms in the same
    /// order and cannot deadlock): the room's row lock is taken, then
    /// everything a request depends on is read under it (memberships, the
    /// message a post replies to, the message a change is about), and each
    /// request, in arrival order, is judged and applied, taking the room's
    /// next seq. What a request is judged on is therefore still true when
    /// it commits, on any number of nodes. The log's rows are written at
    /// the end, and published after the commit in seq order.
    async fn settle(
        &self,
        conn: &mut AnyConnection,
        requests: &[&Request],
    ) -> Result<Vec<Result<Done>>, Failure> {
        let db = &self.db;
        let mut answers: Vec<Option<Result<Done>>> = requests.iter().map(|_| None).collect();
        let mut by_room: BTreeMap<i64, Vec<usize>> = BTreeMap::new();
        for (i, request) in requests.iter().enumerate() {
            by_room.entry(request.room_id()).or_default().push(i);
        }

        let now = now_ms();
        let mut tx = conn.begin().await?;
        // Every change made, with the request it answers; posts with their seq.
        let mut logged: Vec<(usize, Logged)> = Vec::new();
        // Posts with their seq and the members they name.
        let mut posts: Vec<(usize, i64, Vec<i64>)> = Vec::new();
        let mut replied: HashMap<i64, Message> = HashMap::new();
        let mut files = BatchFiles::default();
        // Rooms this batch deleted: their messages are emptied last.
        let mut deleted: Vec<i64> = Vec::new();
        for (&room_id, indexes) in &by_room {
            let Some(room) = rooms::lock(db, &mut tx, room_id).await? else {
                for &i in indexes {
                    answers[i] = Some(Err(Error::RoomNotFound));
                }
                continue;
            };
            // Who the requests are by, about, and name.
            let mut users = Vec::new();
            for &i in indexes {
                users.push(requests[i].user().id);
                if let Request::SetRole { member, .. } | Request::Remove { member, .. } =
                    requests[i]
                {
                    users.push(member.id);
                }
                if let Some(named) = requests[i].named() {
                    users.extend(&named.users);
                }
            }
            let mut roles = rooms::roles_among(db, &mut tx, room_id, users).await?;
            let replies = indexes.iter().filter_map(|&i| match requests[i] {
                Request::Post(draft) => draft.reply_to,
                _ => None,
            });
            replied.extend(messages::by_ids(db, &mut tx, replies).await?);
            let attached = indexes.iter().flat_map(|&i| match requests[i] {
                Request::Post(draft) => draft.attachments.clone(),
                _ => Vec::new(),
            });
            files
                .rows
                .extend(uploads::by_ids(db, &mut tx, attached).await?);
            // The messages the batch changes, read together; a message a
            // request of this batch has already changed is read again.
            let changed: BTreeSet<i64> = indexes
                .iter()
                .filter_map(|&i| requests[i].message_id())
                .collect();
            let reacted: BTreeSet<i64> = indexes
                .iter()
                .filter(|&&i| matches!(requests[i], Request::React { .. }))
                .filter_map(|&i| requests[i].message_id())
                .collect();
            let mut unchanged =
                messages::current_many(db, &mut tx, room_id, &changed, &reacted).await?;
            let mut seen = HashSet::new();

            let mut seq = room.last_seq;
            let mut kind = room.kind;
            let mut posted = false;
            let mut gone = false;
            for &i in indexes {
                let request = requests[i];
                // Deleted by an earlier request of this batch.
                if gone {
                    answers[i] = Some(Err(Error::RoomNotFound));
                    continue;
                }
                let user_id = request.user().id;
                let current = match request.message_id() {
                    Some(id) if seen.insert(id) => unchanged.remove(&id),
                    Some(id) => {
                        let reacting = matches!(request, Request::React { .. });
                        messages::current(db, &mut tx, room_id, id, reacting).await?
                    }
                    None => None,
                };
                let answered = match request {
                    Request::Post(draft) => draft.reply_to.and_then(|id| replied.get(&id)),
                    _ => None,
                };
                let (subject, owners) = match request {
                    Request::SetRole { member, .. } => (
                        roles.get(&member.id).copied(),
                        rooms::owner_count(db, &mut tx, room_id).await?,
                    ),
                    Request::Remove { member, .. } => (roles.get(&member.id).copied(), 0),
                    _ => (None, 0),
                };
                let ticket = match request {
                    Request::Join {
                        pass: Some(pass), ..
                    } => Some(ticket(db, &mut tx, room_id, user_id, pass, now).await?),
                    _ => None,
                };
                let attachments = match request {
                    Request::Post(draft) => sendable(db, &mut tx, draft, &files, now).await?,
                    _ => true,
                };
                let facts = Facts {
                    kind,
                    role: roles.get(&user_id).copied(),
                    subject,
                    owners,
                    message: current.as_ref(),
                    replied: answered.filter(|m| m.room_id == room_id),
                    ticket,
                    attachments,
                };
                if let Err(refused) = self.policy.judge(request, &facts) {
                    answers[i] = Some(Err(refused));
                    continue;
                }
                if let Request::Post(draft) = request {
                    files.taken.extend(draft.attachments.iter().cloned());
                    if let Some(client_id) = &draft.client_id {
                        files.sent.insert((draft.author.id, client_id.clone()));
                    }
                }
                // Only members are named: the others cannot read it.
                let named: Vec<i64> = request
                    .named()
                    .map(|named| {
                        let mut users: Vec<i64> = named
                            .users
                            .iter()
                            .copied()
                            .filter(|user| roles.contains_key(user))
                            .collect();
                        users.sort_unstable();
                        users.dedup();
                        users
                    })
                    .unwrap_or_default();
                if let Request::Post(_) = request {
                    seq += 1;
                    posted = true;
                    posts.push((i, seq, named));
                    continue;
                }
                match apply(db, &mut tx, request, current.as_ref(), &named, seq + 1, now).await {
                    Ok(rows) if !rows.is_empty() => {
                        for row in rows {
                            seq += 1;
                            match (row.kind, row.role) {
                                (Kind::MemberJoined, _) => {
                                    roles.insert(row.user.id, Role::Member);
                                }
                                (Kind::MemberLeft, _) => {
                                    roles.remove(&row.user.id);
                                }
                                (Kind::MemberRoleChanged, Some(role)) => {
                                    roles.insert(row.user.id, role);
                                }
                                // The next request of the batch is judged
                                // on the kind this one gave the room.
                                (Kind::RoomUpdated, _) => {
                                    if let Request::Update { settings, .. } = request {
                                        kind = settings.kind.unwrap_or(kind);
                                    }
                                }
                                (Kind::RoomDeleted, _) => {
                                    gone = true;
                                    deleted.push(room_id);
                                }
                                _ => {}
                            }
                            logged.push((i, row));
                        }
                    }
                    Ok(_) => {
                        answers[i] = Some(Ok(Done {
                            message: None,
                            logged: false,
                        }))
                    }
                    Err(e) => return Err(Failure::RolledBack(e)),
                }
            }
            if seq > room.last_seq {
                rooms::advance(db, &mut tx, room_id, seq, posted.then_some(now)).await?;
            }
        }

        let stored =
            insert_posts(db, &mut tx, requests, &posts, &replied, &files.rows, now).await?;
        // After the posts: one judged before a deletion in this batch is
        // emptied with the rest (its event still carries it as posted).
        for &room_id in &deleted {
            messages::purge_room(db, &mut tx, room_id).await?;
        }
        let mut rows: Vec<Logged> = stored
            .iter()
            .map(|message| Logged {
                room_id: message.room_id,
                seq: message.seq,
                kind: Kind::MessagePosted,
                message_id: Some(message.id),
                user: message.author.clone(),
                emoji: None,
                role: None,
                reason: LeaveReason::Left,
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
        let renamed = logged
            .iter()
            .filter(|(_, row)| row.kind == Kind::RoomUpdated);
        let renamed =
            rooms::as_members_see(db, &mut tx, renamed.map(|(_, row)| row.room_id)).await?;
        let now = events::Current {
            messages: &current,
            rooms: &renamed,
        };
        let mut entries: Vec<Entry> = Vec::with_capacity(stored.len() + logged.len());
        for ((i, _, _), message) in posts.iter().zip(&stored) {
            entries.push(Entry::Posted(message.clone()));
            answers[*i] = Some(Ok(Done {
                message: Some(message.clone()),
                logged: true,
            }));
        }
        for (i, row) in logged {
            let entry = events::entry(row, now)
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
            if let Entry::Posted(message) = &entry
                && self.posted.try_send(message.clone()).is_err()
            {
                tracing::warn!(
                    room_id = message.room_id,
                    "the notifier is behind; a message notified nobody"
                );
            }
            self.publisher.committed(entry).await;
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
}

/// What `pass` is worth to `user_id` for this room at `now`.
async fn ticket(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    user_id: i64,
    pass: &Pass,
    now: i64,
) -> Result<Ticket> {
    Ok(match pass {
        Pass::Invitation(id) => match invitations::get(db, tx, *id).await? {
            Some(row) if row.room_id == room_id && row.invitee_id == user_id => Ticket::Valid,
            _ => Ticket::Unknown,
        },
        Pass::Link(hash) => match invitations::link(db, tx, hash).await? {
            Some(link) if link.room_id == room_id && link.open(now) => Ticket::Valid,
            Some(link) if link.room_id == room_id => Ticket::Expired,
            _ => Ticket::Unknown,
        },
    })
}

/// Makes a change the policy allowed, as the room's events from `seq` on:
/// none when there is nothing to change, and after a last owner leaves,
/// the room passing to its longest-standing admin, else member (so a room
/// with members always has an owner).
async fn apply(
    db: &Db,
    tx: &mut AnyConnection,
    request: &Request,
    current: Option<&Current>,
    named: &[i64],
    seq: i64,
    now: i64,
) -> Result<Vec<Logged>> {
    let Some(first) = apply_one(db, tx, request, current, named, seq, now).await? else {
        return Ok(Vec::new());
    };
    let room_id = first.room_id;
    let left = first.kind == Kind::MemberLeft;
    let mut rows = vec![first];
    if left && let Some(heir) = rooms::successor(db, tx, room_id).await? {
        rooms::set_role(db, tx, room_id, heir.id, Role::Owner).await?;
        rows.push(Logged {
            room_id,
            seq: seq + 1,
            kind: Kind::MemberRoleChanged,
            message_id: None,
            user: heir,
            emoji: None,
            role: Some(Role::Owner),
            reason: LeaveReason::Left,
        });
    }
    Ok(rows)
}

/// Makes one change, as the room's event `seq`; `None` when there is
/// nothing to change (joining twice, the same settings, the same text, a
/// reaction already there or already gone, a message already deleted).
async fn apply_one(
    db: &Db,
    tx: &mut AnyConnection,
    request: &Request,
    current: Option<&Current>,
    named: &[i64],
    seq: i64,
    now: i64,
) -> Result<Option<Logged>> {
    let user = request.user().clone();
    let room_id = request.room_id();
    let row = |kind, message_id, emoji| Logged {
        room_id,
        seq,
        kind,
        message_id,
        user: user.clone(),
        emoji,
        role: None,
        reason: LeaveReason::Left,
    };
    let target = match (request.message_id(), current) {
        (Some(id), Some(current)) => Some((id, current)),
        (Some(_), None) => return Err(Error::MessageNotFound),
        (None, _) => None,
    };
    Ok(match (request, target) {
        (Request::Join { pass, .. }, _) => {
            if !rooms::add_member(db, tx, room_id, user.id, seq, now).await? {
                return Ok(None);
            }
            // In by whatever way: their invitation is settled; a link
            // counts the use.
            invitations::settle(db, tx, room_id, user.id).await?;
            if let Some(Pass::Link(hash)) = pass {
                invitations::use_link(db, tx, hash).await?;
            }
            Some(row(Kind::MemberJoined, None, None))
        }
        (Request::Leave { .. }, _) => rooms::remove_member(db, tx, room_id, user.id)
            .await?
            .then(|| row(Kind::MemberLeft, None, None)),
        (Request::Update { settings, .. }, _) => rooms::update(db, tx, room_id, settings)
            .await?
            .then(|| row(Kind::RoomUpdated, None, None)),
        (Request::Remove { member, .. }, _) => rooms::remove_member(db, tx, room_id, member.id)
            .await?
            .then(|| Logged {
                user: member.clone(),
                reason: LeaveReason::Removed,
                ..row(Kind::MemberLeft, None, None)
            }),
        (Request::DeleteRoom { .. }, _) => rooms::delete(db, tx, room_id, now)
            .await?
            .then(|| row(Kind::RoomDeleted, None, None)),
        (Request::SetRole { member, role, .. }, _) => {
            rooms::set_role(db, tx, room_id, member.id, *role)
                .await?
                .then(|| Logged {
                    user: member.clone(),
                    role: Some(*role),
                    ..row(Kind::MemberRoleChanged, None, None)
                })
        }
        (
            Request::Edit {
                body,
                body_html,
                named: Named { room, .. },
                ..
            },
            Some((id, current)),
        ) => {
            if *body == current.body {
                return Ok(None);
            }
            messages::set_body(db, tx, id, body, body_html, (named, *room), now).await?;
            Some(row(Kind::MessageEdited, Some(id), None))
        }
        (Request::Delete { .. }, Some((id, current))) => {
            if current.deleted {
                return Ok(None);
            }
            messages::mark_deleted(db, tx, id).await?;
            Some(row(Kind::MessageDeleted, Some(id), None))
        }
        (Request::React { emoji, added, .. }, Some((id, current))) => {
            let mine = current
                .reactions
                .iter()
                .any(|(e, u, _)| e == emoji && *u == user.id);
            if mine == *added {
                return Ok(None);
            }
            let kind = if *added {
                // A chip keeps its place while anyone is on it.
                let emoji_seq = current
                    .reactions
                    .iter()
                    .find(|(e, _, _)| e == emoji)
                    .map_or(seq, |&(_, _, since)| since);
                let reaction = NewReaction {
                    message_id: id,
                    emoji,
                    user_id: user.id,
                    seq,
                    emoji_seq,
                };
                messages::add_reaction(db, tx, reaction).await?;
                Kind::ReactionAdded
            } else {
                messages::remove_reaction(db, tx, id, emoji, user.id).await?;
                Kind::ReactionRemoved
            };
            Some(row(kind, Some(id), Some(emoji.clone())))
        }
        (Request::Post(_), _) | (_, None) => {
            return Err(Error::Internal("a request reached the wrong path".into()));
        }
    })
}

/// The uploads a batch's posts attach, and what its posts so far took.
#[derive(Default)]
struct BatchFiles {
    rows: HashMap<String, UploadRow>,
    /// Uploads attached by a post already judged.
    taken: HashSet<String>,
    /// `(author, client_id)` of the posts already judged.
    sent: HashSet<(i64, String)>,
}

/// Whether each upload `draft` attaches is its author's to send: unsent,
/// and not taken by an earlier post of this batch. A post repeating a
/// `client_id` (of a stored message that took them, or of an earlier post
/// of this batch) is let through: its insert fails on the `client_id`,
/// and the retry, alone, is answered with the original.
async fn sendable(
    db: &Db,
    tx: &mut AnyConnection,
    draft: &Draft,
    files: &BatchFiles,
    now: i64,
) -> Result<bool> {
    let author = draft.author.id;
    let free = |id: &String| {
        !files.taken.contains(id)
            && files
                .rows
                .get(id)
                .is_some_and(|row| row.sendable_by(author, now))
    };
    if draft.attachments.iter().all(free) {
        return Ok(true);
    }
    let Some(client_id) = draft.client_id.as_deref() else {
        return Ok(false);
    };
    if files.sent.contains(&(author, client_id.to_owned())) {
        return Ok(true);
    }
    let original = messages::find_by_client_id(db, tx, author, client_id).await?;
    Ok(original.is_some_and(|message| {
        let sent: Vec<&str> = message.attachments.iter().map(|a| a.id.as_str()).collect();
        sent == draft
            .attachments
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>()
    }))
}

/// Stores the batch's posts, with the seqs given, in one insert, and gives
/// them their attachments; returns them as messages in the same order.
async fn insert_posts(
    db: &Db,
    tx: &mut AnyConnection,
    requests: &[&Request],
    posts: &[(usize, i64, Vec<i64>)],
    replied: &HashMap<i64, Message>,
    files: &HashMap<String, UploadRow>,
    now: i64,
) -> Result<Vec<Message>> {
    let drafts: Vec<(&Draft, i64, &[i64])> = posts
        .iter()
        .filter_map(|(i, seq, named)| match requests[*i] {
            Request::Post(draft) => Some((draft, *seq, named.as_slice())),
            _ => None,
        })
        .collect();
    let rows: Vec<NewMessage<'_>> = drafts
        .iter()
        .map(|&(draft, seq, named)| NewMessage {
            mentions: named,
            mentions_room: draft.named.room,
            room_id: draft.room_id,
            seq,
            author: &draft.author,
            body: &draft.body,
            body_html: &draft.body_html,
            client_id: draft.client_id.as_deref(),
            reply_to: draft.reply_to,
        })
        .collect();
    let ids = messages::insert(db, tx, &rows, now).await?;
    for (&(draft, _, _), &id) in drafts.iter().zip(&ids) {
        if draft.attachments.is_empty() {
            continue;
        }
        let claimed = uploads::claim(
            db,
            tx,
            &draft.attachments,
            draft.author.id,
            (draft.room_id, id),
            now,
        )
        .await?;
        // Another node's post took one since it was judged: the batch
        // fails, and this post, tried again alone, is refused.
        if claimed != draft.attachments.len() as u64 {
            return Err(Error::validation("attachments", ATTACHMENT_UNAVAILABLE));
        }
    }
    Ok(drafts
        .into_iter()
        .zip(ids)
        .map(|((draft, seq, named), id)| Message {
            id,
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
                    excerpt: target.excerpt(),
                }),
            reactions: Vec::new(),
            mentions: named.to_vec(),
            mentions_room: draft.named.room,
            attachments: draft
                .attachments
                .iter()
                .filter_map(|id| files.get(id))
                .map(UploadRow::to_upload)
                .collect(),
        })
        .collect())
}
