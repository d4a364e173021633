//! Posting and reading messages: the rules for seq and for idempotent sends.
//!
//! A post's input is validated here; the node's [`writer`](super::writer)
//! checks membership and repeated `client_id`s, assigns seqs and commits
//! posts in batches; only after the commit is a message published, so
//! nothing is ever shown that is not durable (`fanout` says how it reaches
//! every node).
//!
//! Idempotency: `(author_id, client_id)` is unique. A retried send finds the
//! stored original and returns it with `created = false`; nothing is stored or
//! broadcast twice.

use std::collections::{BTreeSet, HashMap};

use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement};
use sqlx::AnyConnection;

use super::auth::AuthUser;
use super::db::{Db, to_rfc3339};
use super::error::{Error, Result};
use super::format;
use super::rooms::require_member;
use super::schema::{Memberships, Messages, Reactions, Rooms, Users};
use super::state::AppState;
use super::text::{Lines, reject_control_chars};
use super::writer::{Done, Draft, Request};
use crate::model::{Author, Message, MessagePage, PageQuery, Reaction, ReplyTo};

pub const MAX_BODY_CHARS: usize = 4000;
pub const MAX_CLIENT_ID_CHARS: usize = 64;
pub const DEFAULT_PAGE: i64 = 50;
pub const MAX_PAGE: i64 = 200;

#[derive(sqlx::FromRow)]
struct MessageRow {
    id: i64,
    room_id: i64,
    seq: i64,
    author_id: i64,
    username: String,
    body: String,
    body_html: Option<String>,
    client_id: Option<String>,
    created_at: i64,
    edited_at: Option<i64>,
    deleted: i64,
    reply_id: Option<i64>,
    reply_seq: Option<i64>,
    reply_author_id: Option<i64>,
    reply_username: Option<String>,
    reply_body: Option<String>,
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
        let reply_to = match (row.reply_id, row.reply_seq, row.reply_author_id) {
            (Some(id), Some(seq), Some(author_id)) => Some(ReplyTo {
                id,
                seq,
                author: Author {
                    id: author_id,
                    username: row.reply_username.unwrap_or_default(),
                },
                excerpt: crate::model::excerpt(row.reply_body.as_deref().unwrap_or_default()),
            }),
            _ => None,
        };
        Message {
            id: row.id,
            room_id: row.room_id,
            seq: row.seq,
            author: Author {
                id: row.author_id,
                username: row.username,
            },
            // Rendered when stored; older rows are rendered now.
            body_html: row.body_html.unwrap_or_else(|| format::render(&row.body)),
            body: row.body,
            created_at: to_rfc3339(row.created_at),
            client_id: row.client_id,
            edited_at: row.edited_at.map(to_rfc3339),
            deleted: row.deleted != 0,
            reply_to,
            // Filled by `attach_reactions`.
            reactions: Vec::new(),
        }
    }
}

/// Bodies are stored exactly as sent: 1 to 4000 characters, not blank,
/// and line breaks and tabs are the only control characters allowed.
pub fn validate_body(body: &str) -> Result<()> {
    reject_control_chars("body", body, Lines::Multi)?;
    if body.trim().is_empty() {
        return Err(Error::validation("body", "Message cannot be empty."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::validation(
            "body",
            "Message must be at most 4000 characters.",
        ));
    }
    Ok(())
}

pub fn validate_client_id(client_id: &str) -> Result<()> {
    if client_id.is_empty() || client_id.chars().count() > MAX_CLIENT_ID_CHARS {
        return Err(Error::validation(
            "client_id",
            "client_id must be 1 to 64 characters.",
        ));
    }
    reject_control_chars("client_id", client_id, Lines::Single)
}

/// Messages with their author and what they reply to; reactions are
/// read separately ([`attach_reactions`]).
fn select_messages() -> SelectStatement {
    let (reply, reply_author) = (Alias::new("reply"), Alias::new("reply_author"));
    Query::select()
        .columns([
            (Messages::Table, Messages::Id),
            (Messages::Table, Messages::RoomId),
            (Messages::Table, Messages::Seq),
            (Messages::Table, Messages::AuthorId),
            (Messages::Table, Messages::Body),
            (Messages::Table, Messages::BodyHtml),
            (Messages::Table, Messages::ClientId),
            (Messages::Table, Messages::CreatedAt),
            (Messages::Table, Messages::EditedAt),
            (Messages::Table, Messages::Deleted),
        ])
        .column((Users::Table, Users::Username))
        .expr_as(
            Expr::col((reply.clone(), Messages::Id)),
            Alias::new("reply_id"),
        )
        .expr_as(
            Expr::col((reply.clone(), Messages::Seq)),
            Alias::new("reply_seq"),
        )
        .expr_as(
            Expr::col((reply.clone(), Messages::AuthorId)),
            Alias::new("reply_author_id"),
        )
        .expr_as(
            Expr::col((reply_author.clone(), Users::Username)),
            Alias::new("reply_username"),
        )
        .expr_as(
            Expr::col((reply.clone(), Messages::Body)),
            Alias::new("reply_body"),
        )
        .from(Messages::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Messages::Table, Messages::AuthorId)),
        )
        .join_as(
            JoinType::LeftJoin,
            Messages::Table,
            reply.clone(),
            Expr::col((reply.clone(), Messages::Id)).equals((Messages::Table, Messages::ReplyTo)),
        )
        .join_as(
            JoinType::LeftJoin,
            Users::Table,
            reply_author.clone(),
            Expr::col((reply_author, Users::Id)).equals((reply, Messages::AuthorId)),
        )
        .to_owned()
}

/// Reads the rows `select` finds as messages in their current state.
async fn fetch_messages(
    db: &Db,
    conn: &mut AnyConnection,
    select: &SelectStatement,
) -> Result<Vec<Message>> {
    let rows: Vec<MessageRow> = db.fetch_all(conn, select).await?;
    let mut messages: Vec<Message> = rows.into_iter().map(Message::from).collect();
    attach_reactions(db, conn, &mut messages).await?;
    Ok(messages)
}

/// Fills in the reactions of these messages, in one query.
async fn attach_reactions(
    db: &Db,
    conn: &mut AnyConnection,
    messages: &mut [Message],
) -> Result<()> {
    let ids: Vec<i64> = messages
        .iter()
        .filter(|m| !m.deleted)
        .map(|m| m.id)
        .collect();
    if ids.is_empty() {
        return Ok(());
    }
    let select = Query::select()
        .columns([
            Reactions::MessageId,
            Reactions::Emoji,
            Reactions::UserId,
            Reactions::EmojiSeq,
        ])
        .from(Reactions::Table)
        .and_where(Expr::col(Reactions::MessageId).is_in(ids))
        .order_by(Reactions::EmojiSeq, Order::Asc)
        .order_by(Reactions::UserId, Order::Asc)
        .to_owned();
    let rows: Vec<(i64, String, i64, i64)> = db.fetch_all(conn, &select).await?;
    let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
    for (message_id, emoji, user_id, first_seq) in rows {
        let chips = by_message.entry(message_id).or_default();
        match chips.iter_mut().find(|chip| chip.emoji == emoji) {
            Some(chip) => {
                chip.user_ids.push(user_id);
                chip.count += 1;
            }
            None => chips.push(Reaction {
                emoji,
                count: 1,
                user_ids: vec![user_id],
                first_seq,
            }),
        }
    }
    for message in messages {
        message.reactions = by_message.remove(&message.id).unwrap_or_default();
    }
    Ok(())
}

/// These messages in their current state, by id; ids not found are left out.
pub(super) async fn by_ids(
    db: &Db,
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = i64>,
) -> Result<HashMap<i64, Message>> {
    let ids: Vec<i64> = ids
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let select = select_messages()
        .and_where(Expr::col((Messages::Table, Messages::Id)).is_in(ids))
        .to_owned();
    let messages = fetch_messages(db, conn, &select).await?;
    Ok(messages.into_iter().map(|m| (m.id, m)).collect())
}

/// The message `author_id` sent with `client_id`, if it is stored.
pub(super) async fn find_by_client_id(
    db: &Db,
    conn: &mut AnyConnection,
    author_id: i64,
    client_id: &str,
) -> Result<Option<Message>> {
    let select = select_messages()
        .and_where(Expr::col((Messages::Table, Messages::AuthorId)).eq(author_id))
        .and_where(Expr::col((Messages::Table, Messages::ClientId)).eq(client_id))
        .to_owned();
    Ok(fetch_messages(db, conn, &select).await?.pop())
}

/// Stores and publishes a message. Returns it and whether it is new (`false`
/// when `client_id` repeats an earlier send by the same author).
pub async fn post(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    body: String,
    client_id: Option<String>,
    reply_to: Option<i64>,
) -> Result<(Message, bool)> {
    if let Some(client_id) = &client_id {
        validate_client_id(client_id)?;
    }
    validate_body(&body)?;
    state.send_limiter.take(auth.user.id)?;
    // Membership, the replied message and a repeated client_id are checked
    // by the writer, for every post of a batch at once.
    state
        .writer
        .store(Draft {
            room_id,
            author: author(auth),
            // Rendered here, on the poster's task, not in the one writer.
            body_html: format::render(&body),
            body,
            client_id,
            reply_to,
        })
        .await
}

fn author(auth: &AuthUser) -> Author {
    Author {
        id: auth.user.id,
        username: auth.user.username.clone(),
    }
}

/// The message, as the writer answered a change to it.
fn changed(done: Done) -> Result<Message> {
    done.message.ok_or(Error::MessageNotFound)
}

/// Replaces a message's body; only its author may, and not once deleted.
pub async fn edit(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
    body: String,
) -> Result<Message> {
    validate_body(&body)?;
    state.send_limiter.take(auth.user.id)?;
    let request = Request::Edit {
        room_id,
        message_id,
        user: author(auth),
        body_html: format::render(&body),
        body,
    };
    changed(state.writer.apply(request).await?)
}

/// Deletes a message (its author, or the room's owner); deleting it again
/// changes nothing.
pub async fn delete(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
) -> Result<Message> {
    let request = Request::Delete {
        room_id,
        message_id,
        user: author(auth),
    };
    changed(state.writer.apply(request).await?)
}

/// Adds (`added`) or removes the caller's reaction; either is idempotent.
pub async fn react(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
    emoji: String,
    added: bool,
) -> Result<Message> {
    // Whether `emoji` is one is asked with the message in hand
    // (`rules::may_react`): a message that is not there is not found,
    // whatever was sent to it.
    state.send_limiter.take(auth.user.id)?;
    let request = Request::React {
        room_id,
        message_id,
        user: author(auth),
        emoji,
        added,
    };
    changed(state.writer.apply(request).await?)
}

/// A page of a room's history, oldest first, for a member.
///
/// Membership is a join in the page's query, so a member's read is one
/// query; only an empty answer asks the database why it was empty.
pub async fn page(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    query: PageQuery,
) -> Result<MessagePage> {
    let page = fetch_page(state, room_id, Some(auth.user.id), query).await?;
    if page.messages.is_empty() {
        require_member(state, auth.user.id, room_id).await?;
    }
    Ok(page)
}

/// A page of history without the membership check, for callers that did it.
pub async fn read_page(state: &AppState, room_id: i64, query: PageQuery) -> Result<MessagePage> {
    fetch_page(state, room_id, None, query).await
}

/// A page of history, limited to rooms `member` belongs to when given.
async fn fetch_page(
    state: &AppState,
    room_id: i64,
    member: Option<i64>,
    query: PageQuery,
) -> Result<MessagePage> {
    let limit = match query.limit {
        None => DEFAULT_PAGE,
        Some(n) if (1..=MAX_PAGE).contains(&n) => n,
        Some(_) => {
            return Err(Error::validation(
                "limit",
                "limit must be between 1 and 200.",
            ));
        }
    };
    let mut select = select_messages()
        .and_where(Expr::col((Messages::Table, Messages::RoomId)).eq(room_id))
        .limit(limit as u64 + 1)
        .to_owned();
    if let Some(user_id) = member {
        select.inner_join(
            Memberships::Table,
            Expr::col((Memberships::Table, Memberships::RoomId))
                .equals((Messages::Table, Messages::RoomId))
                .and(Expr::col((Memberships::Table, Memberships::UserId)).eq(user_id)),
        );
    }
    // Forwards (catch-up) reads ascending from after_seq; backwards reads
    // descending from before_seq (or the end) and is reversed below. With
    // both, the gap between them is read forwards.
    let seq = (Messages::Table, Messages::Seq);
    if let Some(after) = query.after_seq {
        select.and_where(Expr::col(seq).gt(after));
    }
    if let Some(before) = query.before_seq {
        select.and_where(Expr::col(seq).lt(before));
    }
    let forwards = query.after_seq.is_some();
    select.order_by(seq, if forwards { Order::Asc } else { Order::Desc });
    let mut conn = state.db.acquire().await?;
    let mut messages = fetch_messages(&state.db, &mut conn, &select).await?;
    let has_more = messages.len() as i64 > limit;
    messages.truncate(limit as usize);
    if !forwards {
        messages.reverse();
    }
    Ok(MessagePage { messages, has_more })
}

/// The seq of the room's newest event, 0 when it has none.
pub async fn last_seq(state: &AppState, room_id: i64) -> Result<i64> {
    let select = Query::select()
        .column(Rooms::LastSeq)
        .from(Rooms::Table)
        .and_where(Expr::col(Rooms::Id).eq(room_id))
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let row: Option<(i64,)> = state.db.fetch_optional(&mut conn, &select).await?;
    row.map(|(seq,)| seq).ok_or(Error::RoomNotFound)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_are_not_blank_and_at_most_4000_chars() {
        assert!(validate_body("hi").is_ok());
        assert!(validate_body(" \n\t ").is_err());
        assert!(validate_body(&"x".repeat(4000)).is_ok());
        assert!(validate_body(&format!("\n{}", "x".repeat(3999))).is_ok());
        assert!(validate_body(&format!("\n{}", "x".repeat(4000))).is_err());
        assert!(validate_body(&"x".repeat(4001)).is_err());
        assert!(validate_body("line\nbreak\ttab").is_ok());
        assert!(validate_body("bell\u{7}").is_err());
    }

    #[test]
    fn client_ids_are_bounded() {
        assert!(validate_client_id("").is_err());
        assert!(validate_client_id("5f0c…").is_ok());
        assert!(validate_client_id(&"a".repeat(65)).is_err());
        assert!(validate_client_id("a\nb").is_err());
    }
}

#[cfg(test)]
mod seq_tests {
    use super::*;
    use crate::model::Credentials;
    use crate::server::db::Db;
    use crate::server::{Settings, auth, rooms};

    async fn state() -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::connect(&url.into()).await.unwrap();
        let mut settings = Settings::default();
        // These tests post in bursts; the allowance has its own tests.
        settings.sends.burst = 1_000_000;
        (AppState::new(db, settings), dir)
    }

    async fn user(state: &AppState, name: &str) -> AuthUser {
        let credentials = Credentials {
            username: name.into(),
            password: "password123".into(),
        };
        let response = auth::register(state, credentials, std::net::Ipv4Addr::LOCALHOST.into())
            .await
            .unwrap();
        auth::authenticate(state, &response.token).await.unwrap()
    }

    #[tokio::test]
    async fn seq_counts_from_one_per_room_without_gaps_under_concurrency() {
        let (state, _dir) = state().await;
        let ann = user(&state, "ann").await;
        let first = rooms::create(&state, &ann, "first".into())
            .await
            .unwrap()
            .id;
        let second = rooms::create(&state, &ann, "second".into())
            .await
            .unwrap()
            .id;

        let posts = (0..20).map(|i| {
            let (state, ann) = (state.clone(), ann.clone());
            let room = if i % 2 == 0 { first } else { second };
            tokio::spawn(async move {
                post(&state, &ann, room, format!("m{i}"), None, None)
                    .await
                    .unwrap()
                    .0
            })
        });
        let mut by_room: std::collections::HashMap<i64, Vec<i64>> = Default::default();
        for task in posts.collect::<Vec<_>>() {
            let message = task.await.unwrap();
            by_room
                .entry(message.room_id)
                .or_default()
                .push(message.seq);
        }
        for room in [first, second] {
            let mut seqs = by_room.remove(&room).unwrap();
            seqs.sort();
            assert_eq!(seqs, (1..=10).collect::<Vec<_>>());
            assert_eq!(last_seq(&state, room).await.unwrap(), 10);
        }
    }

    #[tokio::test]
    async fn refused_and_repeated_posts_use_no_seq() {
        let (state, _dir) = state().await;
        let ann = user(&state, "ann").await;
        let room = rooms::create(&state, &ann, "r".into()).await.unwrap().id;
        assert!(
            post(&state, &ann, room, "  ".into(), None, None)
                .await
                .is_err()
        );
        let (first, created) = post(&state, &ann, room, "a".into(), Some("k".into()), None)
            .await
            .unwrap();
        assert!(created);
        let (again, created) = post(&state, &ann, room, "a".into(), Some("k".into()), None)
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(first, again);
        let (next, _) = post(&state, &ann, room, "b".into(), None, None)
            .await
            .unwrap();
        assert_eq!((first.seq, next.seq), (1, 2));
    }

    /// Posts that reach the writer together share a batch; a repeated
    /// client_id or a non-member among them must not cost the others.
    #[tokio::test]
    async fn a_batch_with_repeats_and_strangers_answers_each_post_rightly() {
        let (state, _dir) = state().await;
        let ann = user(&state, "ann").await;
        let bob = user(&state, "bob").await;
        let room = rooms::create(&state, &ann, "r".into()).await.unwrap().id;
        let (stored, _) = post(&state, &ann, room, "old".into(), Some("old".into()), None)
            .await
            .unwrap();

        // Started together, so the writer finds them all waiting.
        let posts: Vec<_> = (0..30)
            .map(|i| {
                let state = state.clone();
                let (author, client_id) = match i % 5 {
                    0 => (bob.clone(), None),
                    1 => (ann.clone(), Some("old".to_owned())),
                    2 => (ann.clone(), Some("twice".to_owned())),
                    _ => (ann.clone(), Some(format!("new{i}"))),
                };
                tokio::spawn(async move {
                    let answer =
                        post(&state, &author, room, format!("m{i}"), client_id, None).await;
                    (i % 5, answer)
                })
            })
            .collect();
        let mut twice = Vec::new();
        let mut new_seqs = vec![stored.seq];
        for task in posts {
            match task.await.unwrap() {
                (0, answer) => assert!(matches!(answer, Err(Error::NotAMember))),
                (1, answer) => assert_eq!(answer.unwrap(), (stored.clone(), false)),
                (2, answer) => twice.push(answer.unwrap()),
                (_, answer) => {
                    let (message, created) = answer.unwrap();
                    assert!(created);
                    new_seqs.push(message.seq);
                }
            }
        }
        // "twice" was sent six times: stored once, the rest get that message.
        assert_eq!(twice.iter().filter(|(_, created)| *created).count(), 1);
        let original = &twice.iter().find(|(_, created)| *created).unwrap().0;
        assert!(twice.iter().all(|(message, _)| message == original));
        new_seqs.push(original.seq);
        new_seqs.sort();
        let stored_count = new_seqs.len() as i64;
        assert_eq!(new_seqs, (1..=stored_count).collect::<Vec<_>>());
        assert_eq!(last_seq(&state, room).await.unwrap(), stored_count);
    }
}
