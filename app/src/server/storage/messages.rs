//! The queries on messages and their reactions.
//!
//! A message is read in its current state: its body (empty once deleted),
//! the message it replies to (with an excerpt of that one's current body),
//! and its reactions, one chip per emoji in the order the emoji was first
//! used. A page is one query whose rows the database returns as one JSON
//! value ([`Db::fetch_all_json`] says why). The writer changes messages
//! only through the functions at the end of this file.

use std::collections::{BTreeSet, HashMap};

use sea_query::{Alias, Expr, JoinType, Order, Query, SelectStatement, SimpleExpr};
use sqlx::AnyConnection;

use super::db::{Backend, Db, to_rfc3339};
use super::schema::{Memberships, Mentions, Messages, Reactions, Users};
use super::uploads;
use crate::model::{Author, Message, MessagePage, Reaction, ReplyTo};
use crate::server::error::{Error, Result};
use crate::server::format;

#[derive(serde::Deserialize)]
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
    /// How many files the replied message carries, and the first's name.
    reply_files: Option<i64>,
    reply_file: Option<String>,
    /// `[[emoji, user_id, emoji_seq], …]` as JSON text, in chip order.
    reactions: Option<String>,
    /// `[user_id, …]` as JSON text.
    mentions: Option<String>,
    mentions_room: i64,
    /// `[[id, name, size, …], …]` as JSON text ([`uploads::attachments_json`]).
    attachments: Option<String>,
}

/// The columns of [`select_messages`], as [`MessageRow`] names them.
const MESSAGE_COLUMNS: &[&str] = &[
    "id",
    "room_id",
    "seq",
    "author_id",
    "body",
    "body_html",
    "client_id",
    "created_at",
    "edited_at",
    "deleted",
    "username",
    "reply_id",
    "reply_seq",
    "reply_author_id",
    "reply_username",
    "reply_body",
    "reply_files",
    "reply_file",
    "reactions",
    "mentions",
    "mentions_room",
    "attachments",
];

impl TryFrom<MessageRow> for Message {
    type Error = Error;

    fn try_from(row: MessageRow) -> Result<Self> {
        let deleted = row.deleted != 0;
        let reactions = match row.reactions.as_deref() {
            Some(json) if !deleted => {
                let rows: Vec<(String, i64, i64)> = serde_json::from_str(json)
                    .map_err(|e| Error::Internal(format!("reading reactions: {e}")))?;
                chips(rows)
            }
            _ => Vec::new(),
        };
        let mentions = match row.mentions.as_deref() {
            Some(json) if !deleted => serde_json::from_str(json)
                .map_err(|e| Error::Internal(format!("reading mentions: {e}")))?,
            _ => Vec::new(),
        };
        let attachments = match row.attachments.as_deref() {
            Some(json) if !deleted => uploads::attachments_from_json(json)
                .map_err(|e| Error::Internal(format!("reading attachments: {e}")))?,
            _ => Vec::new(),
        };
        let reply_to = match (row.reply_id, row.reply_seq, row.reply_author_id) {
            (Some(id), Some(seq), Some(author_id)) => Some(ReplyTo {
                id,
                seq,
                author: Author {
                    id: author_id,
                    username: row.reply_username.unwrap_or_default(),
                },
                excerpt: match row.reply_body.as_deref().unwrap_or_default() {
                    "" => crate::model::files_excerpt(
                        row.reply_files.unwrap_or(0) as usize,
                        row.reply_file.as_deref(),
                    ),
                    body => crate::model::excerpt(body),
                },
            }),
            _ => None,
        };
        Ok(Message {
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
            deleted,
            reply_to,
            reactions,
            mentions,
            mentions_room: row.mentions_room != 0 && !deleted,
            attachments,
        })
    }
}

/// One chip per emoji, in the order of `rows` (`(emoji, user_id,
/// emoji_seq)` sorted by `emoji_seq`, then user).
fn chips(rows: Vec<(String, i64, i64)>) -> Vec<Reaction> {
    let mut chips: Vec<Reaction> = Vec::new();
    for (emoji, user_id, first_seq) in rows {
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
    chips
}

/// The reactions of the message in the outer query, as JSON text
/// (`MessageRow::reactions`): a correlated subquery on the reactions'
/// primary key, so a page needs no second query.
fn reactions_json(backend: Backend) -> SimpleExpr {
    Expr::cust(match backend {
        Backend::Sqlite => {
            "(SELECT json_group_array(json_array(reactions.emoji, reactions.user_id, \
             reactions.emoji_seq) ORDER BY reactions.emoji_seq, reactions.user_id) \
             FROM reactions WHERE reactions.message_id = messages.id)"
        }
        Backend::Postgres => {
            "(SELECT json_agg(json_build_array(reactions.emoji, reactions.user_id, \
             reactions.emoji_seq) ORDER BY reactions.emoji_seq, reactions.user_id)::text \
             FROM reactions WHERE reactions.message_id = messages.id)"
        }
    })
}

/// The people the message in the outer query mentions, as JSON text
/// (`MessageRow::mentions`): a lookup of the mentions' primary key.
fn mentions_json(backend: Backend) -> SimpleExpr {
    Expr::cust(match backend {
        Backend::Sqlite => {
            "(SELECT json_group_array(mentions.user_id ORDER BY mentions.user_id) \
             FROM mentions WHERE mentions.message_id = messages.id)"
        }
        Backend::Postgres => {
            "(SELECT json_agg(mentions.user_id ORDER BY mentions.user_id)::text \
             FROM mentions WHERE mentions.message_id = messages.id)"
        }
    })
}

/// Messages with their author, what they reply to and their reactions,
/// with the columns of [`MESSAGE_COLUMNS`].
fn select_messages(backend: Backend) -> SelectStatement {
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
            (Messages::Table, Messages::MentionsRoom),
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
        // A deleted message has no files left, so these say nothing of it.
        .expr_as(
            Expr::cust(
                "(SELECT COUNT(*) FROM uploads WHERE uploads.message_id = reply.id \
                 AND uploads.state = 0)",
            ),
            Alias::new("reply_files"),
        )
        .expr_as(
            Expr::cust(
                "(SELECT uploads.name FROM uploads WHERE uploads.message_id = reply.id \
                 AND uploads.state = 0 ORDER BY uploads.position LIMIT 1)",
            ),
            Alias::new("reply_file"),
        )
        .expr_as(reactions_json(backend), Alias::new("reactions"))
        .expr_as(mentions_json(backend), Alias::new("mentions"))
        .expr_as(
            uploads::attachments_json(backend),
            Alias::new("attachments"),
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

/// Reads the rows `select` finds as messages in their current state,
/// ordered by room and seq.
async fn fetch_messages(
    db: &Db,
    conn: &mut AnyConnection,
    select: &SelectStatement,
) -> Result<Vec<Message>> {
    let rows: Vec<MessageRow> = db.fetch_all_json(conn, select, MESSAGE_COLUMNS).await?;
    let mut messages = rows
        .into_iter()
        .map(Message::try_from)
        .collect::<Result<Vec<_>>>()?;
    messages.sort_unstable_by_key(|m| (m.room_id, m.seq));
    Ok(messages)
}

/// `(message_id, emoji, user_id, emoji_seq)` of every reaction to these
/// messages, in the order their chips show (one query; none if no ids).
async fn reaction_rows(
    db: &Db,
    conn: &mut AnyConnection,
    ids: Vec<i64>,
) -> Result<Vec<(i64, String, i64, i64)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
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
    Ok(db.fetch_all(conn, &select).await?)
}

/// These messages in their current state, by id; ids not found are left out.
pub async fn by_ids(
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
    let select = select_messages(db.backend())
        .and_where(Expr::col((Messages::Table, Messages::Id)).is_in(ids))
        .to_owned();
    let messages = fetch_messages(db, conn, &select).await?;
    Ok(messages.into_iter().map(|m| (m.id, m)).collect())
}

/// The message `author_id` sent with `client_id`, if it is stored.
pub async fn find_by_client_id(
    db: &Db,
    conn: &mut AnyConnection,
    author_id: i64,
    client_id: &str,
) -> Result<Option<Message>> {
    let select = select_messages(db.backend())
        .and_where(Expr::col((Messages::Table, Messages::AuthorId)).eq(author_id))
        .and_where(Expr::col((Messages::Table, Messages::ClientId)).eq(client_id))
        .to_owned();
    Ok(fetch_messages(db, conn, &select).await?.pop())
}

/// Which part of a room's history a page is.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub after_seq: Option<i64>,
    pub before_seq: Option<i64>,
    /// Alone: the page around this seq (see `PageQuery`).
    pub around_seq: Option<i64>,
    /// Already validated by the service.
    pub limit: i64,
}

/// A page of history, oldest first, limited to rooms `member` belongs to
/// when given (membership is then a join in the same query).
pub async fn page(
    db: &Db,
    room_id: i64,
    member: Option<i64>,
    window: Window,
) -> Result<MessagePage> {
    if let Some(seq) = window.around_seq {
        return around(db, room_id, member, seq, window.limit).await;
    }
    let Window {
        after_seq,
        before_seq,
        limit,
        ..
    } = window;
    let mut select = select_messages(db.backend())
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
    // descending from before_seq (or the end). With both, the gap between
    // them is read forwards. Either way one more than the page is read, to
    // know whether there is more; the rows come back in seq order.
    let seq = (Messages::Table, Messages::Seq);
    if let Some(after) = after_seq {
        select.and_where(Expr::col(seq).gt(after));
    }
    if let Some(before) = before_seq {
        select.and_where(Expr::col(seq).lt(before));
    }
    let forwards = after_seq.is_some();
    select.order_by(seq, if forwards { Order::Asc } else { Order::Desc });
    let mut conn = db.acquire().await?;
    let mut messages = fetch_messages(db, &mut conn, &select).await?;
    let extra = messages.len().saturating_sub(limit as usize);
    if forwards {
        messages.truncate(limit as usize);
    } else {
        messages.drain(..extra);
    }
    Ok(MessagePage {
        messages,
        has_more: extra > 0,
        has_newer: false,
    })
}

/// The page around `seq`: the older half (ending at `seq`) read backwards,
/// the newer half forwards, each as a page of its own.
async fn around(
    db: &Db,
    room_id: i64,
    member: Option<i64>,
    seq: i64,
    limit: i64,
) -> Result<MessagePage> {
    let older_limit = (limit + 1) / 2;
    let older = Box::pin(page(
        db,
        room_id,
        member,
        Window {
            after_seq: None,
            before_seq: Some(seq.saturating_add(1)),
            around_seq: None,
            limit: older_limit,
        },
    ))
    .await?;
    let newer = Box::pin(page(
        db,
        room_id,
        member,
        Window {
            after_seq: Some(seq),
            before_seq: None,
            around_seq: None,
            limit: limit - older_limit,
        },
    ))
    .await?;
    let mut messages = older.messages;
    messages.extend(newer.messages);
    Ok(MessagePage {
        messages,
        has_more: older.has_more,
        has_newer: newer.has_more,
    })
}

/// What a change to a message is judged on, read under the room's lock.
#[derive(Clone, Debug)]
pub struct Current {
    pub author_id: i64,
    pub deleted: bool,
    pub body: String,
    /// `(emoji, user_id, emoji_seq)` of each reaction on it, when asked
    /// for (empty otherwise).
    pub reactions: Vec<(String, i64, i64)>,
}

/// The message `message_id` of `room_id`, as a change sees it, with its
/// reactions if `with_reactions`; `None` if the room has no such message.
pub async fn current(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    message_id: i64,
    with_reactions: bool,
) -> Result<Option<Current>> {
    let ids = BTreeSet::from([message_id]);
    let reacting = if with_reactions {
        ids.clone()
    } else {
        BTreeSet::new()
    };
    Ok(current_many(db, tx, room_id, &ids, &reacting)
        .await?
        .remove(&message_id))
}

/// [`current`] for several messages of `room_id` at once (two queries, not
/// two per message): those of `ids` the room has, each with its reactions
/// if it is in `with_reactions`.
pub async fn current_many(
    db: &Db,
    tx: &mut AnyConnection,
    room_id: i64,
    ids: &BTreeSet<i64>,
    with_reactions: &BTreeSet<i64>,
) -> Result<HashMap<i64, Current>> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let select = Query::select()
        .columns([
            Messages::Id,
            Messages::AuthorId,
            Messages::Deleted,
            Messages::Body,
        ])
        .from(Messages::Table)
        .and_where(Expr::col(Messages::Id).is_in(ids.iter().copied()))
        .and_where(Expr::col(Messages::RoomId).eq(room_id))
        .to_owned();
    let rows: Vec<(i64, i64, i64, String)> = db.fetch_all(tx, &select).await?;
    let mut found: HashMap<i64, Current> = rows
        .into_iter()
        .map(|(id, author_id, deleted, body)| {
            let current = Current {
                author_id,
                deleted: deleted != 0,
                body,
                reactions: Vec::new(),
            };
            (id, current)
        })
        .collect();
    let reacting: Vec<i64> = with_reactions
        .iter()
        .copied()
        .filter(|id| found.contains_key(id))
        .collect();
    for (message_id, emoji, user_id, emoji_seq) in reaction_rows(db, tx, reacting).await? {
        if let Some(current) = found.get_mut(&message_id) {
            current.reactions.push((emoji, user_id, emoji_seq));
        }
    }
    Ok(found)
}

/// A post to store, with the seq it takes.
pub struct NewMessage<'a> {
    pub room_id: i64,
    pub seq: i64,
    pub author: &'a Author,
    pub body: &'a str,
    pub body_html: &'a str,
    pub client_id: Option<&'a str>,
    pub reply_to: Option<i64>,
    /// Members it mentions, and whether it mentions `@room`.
    pub mentions: &'a [i64],
    pub mentions_room: bool,
}

/// Stores these posts in one insert; returns their ids, in the same order.
/// A `client_id` its author already used fails it as a unique violation.
pub async fn insert(
    db: &Db,
    tx: &mut AnyConnection,
    posts: &[NewMessage<'_>],
    now: i64,
) -> Result<Vec<i64>> {
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
            Messages::MentionsRoom,
        ])
        .returning(Query::returning().columns([Messages::Id, Messages::RoomId, Messages::Seq]))
        .to_owned();
    for post in posts {
        insert
            .values([
                post.room_id.into(),
                post.seq.into(),
                post.author.id.into(),
                post.body.into(),
                post.body_html.into(),
                post.client_id.map(str::to_owned).into(),
                now.into(),
                post.reply_to.into(),
                i64::from(post.mentions_room).into(),
            ])
            .map_err(|e| Error::Internal(format!("building the insert: {e}")))?;
    }
    let ids: HashMap<(i64, i64), i64> = db
        .fetch_all::<(i64, i64, i64), _>(tx, &insert)
        .await?
        .into_iter()
        .map(|(id, room_id, seq)| ((room_id, seq), id))
        .collect();
    let ids: Vec<i64> = posts
        .iter()
        .map(|post| {
            ids.get(&(post.room_id, post.seq))
                .copied()
                .ok_or_else(|| Error::Internal("an inserted message returned no id".into()))
        })
        .collect::<Result<_>>()?;
    let mut mentions = Vec::new();
    for (post, &id) in posts.iter().zip(&ids) {
        mentions.extend(post.mentions.iter().map(|&user| (id, user)));
    }
    add_mentions(db, tx, &mentions).await?;
    Ok(ids)
}

/// Stores `(message_id, user_id)` mentions, in one insert.
async fn add_mentions(db: &Db, tx: &mut AnyConnection, mentions: &[(i64, i64)]) -> Result<()> {
    if mentions.is_empty() {
        return Ok(());
    }
    let mut insert = Query::insert()
        .into_table(Mentions::Table)
        .columns([Mentions::MessageId, Mentions::UserId])
        .to_owned();
    for &(message_id, user_id) in mentions {
        insert
            .values([message_id.into(), user_id.into()])
            .map_err(|e| Error::Internal(format!("building the insert: {e}")))?;
    }
    db.execute(tx, &insert).await?;
    Ok(())
}

/// Forgets whom the message mentions.
async fn clear_mentions(db: &Db, tx: &mut AnyConnection, message_id: i64) -> Result<()> {
    let delete = Query::delete()
        .from_table(Mentions::Table)
        .and_where(Expr::col(Mentions::MessageId).eq(message_id))
        .to_owned();
    db.execute(tx, &delete).await?;
    Ok(())
}

/// Replaces a message's body and whom it mentions, marking it edited at
/// `now`.
pub async fn set_body(
    db: &Db,
    tx: &mut AnyConnection,
    message_id: i64,
    body: &str,
    body_html: &str,
    (mentions, mentions_room): (&[i64], bool),
    now: i64,
) -> Result<()> {
    let update = Query::update()
        .table(Messages::Table)
        .value(Messages::Body, body)
        .value(Messages::BodyHtml, body_html)
        .value(Messages::EditedAt, now)
        .value(Messages::MentionsRoom, i64::from(mentions_room))
        .and_where(Expr::col(Messages::Id).eq(message_id))
        .to_owned();
    db.execute(tx, &update).await?;
    clear_mentions(db, tx, message_id).await?;
    let mentions: Vec<(i64, i64)> = mentions.iter().map(|&user| (message_id, user)).collect();
    add_mentions(db, tx, &mentions).await
}

/// Empties a message and removes its reactions and mentions, and discards
/// its files: what was said is gone, and so is what people answered it
/// with. Its id, seq, author and time stay.
pub async fn mark_deleted(db: &Db, tx: &mut AnyConnection, message_id: i64) -> Result<()> {
    let update = Query::update()
        .table(Messages::Table)
        .value(Messages::Body, "")
        .value(Messages::BodyHtml, "")
        .value(Messages::Deleted, 1i64)
        .value(Messages::MentionsRoom, 0i64)
        .and_where(Expr::col(Messages::Id).eq(message_id))
        .to_owned();
    db.execute(tx, &update).await?;
    clear_mentions(db, tx, message_id).await?;
    let reactions = Query::delete()
        .from_table(Reactions::Table)
        .and_where(Expr::col(Reactions::MessageId).eq(message_id))
        .to_owned();
    db.execute(tx, &reactions).await?;
    uploads::discard_message(db, tx, message_id).await
}

/// Empties every message of a deleted room, removes their reactions and
/// discards their files, as [`mark_deleted`] does one message's
/// (`messages_room_seq` finds them).
pub async fn purge_room(db: &Db, tx: &mut AnyConnection, room_id: i64) -> Result<()> {
    let of_room = Query::select()
        .column(Messages::Id)
        .from(Messages::Table)
        .and_where(Expr::col(Messages::RoomId).eq(room_id))
        .to_owned();
    let reactions = Query::delete()
        .from_table(Reactions::Table)
        .and_where(Expr::col(Reactions::MessageId).in_subquery(of_room.clone()))
        .to_owned();
    db.execute(tx, &reactions).await?;
    let mentions = Query::delete()
        .from_table(Mentions::Table)
        .and_where(Expr::col(Mentions::MessageId).in_subquery(of_room))
        .to_owned();
    db.execute(tx, &mentions).await?;
    let update = Query::update()
        .table(Messages::Table)
        .value(Messages::Body, "")
        .value(Messages::BodyHtml, "")
        .value(Messages::Deleted, 1i64)
        .and_where(Expr::col(Messages::RoomId).eq(room_id))
        .to_owned();
    db.execute(tx, &update).await?;
    uploads::discard_room(db, tx, room_id).await
}

/// A user's reaction, logged as event `seq`; `emoji_seq` is when its chip
/// first appeared (the chip keeps its place while anyone is on it).
pub struct NewReaction<'a> {
    pub message_id: i64,
    pub emoji: &'a str,
    pub user_id: i64,
    pub seq: i64,
    pub emoji_seq: i64,
}

pub async fn add_reaction(db: &Db, tx: &mut AnyConnection, r: NewReaction<'_>) -> Result<()> {
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
            r.message_id.into(),
            r.emoji.into(),
            r.user_id.into(),
            r.seq.into(),
            r.emoji_seq.into(),
        ])
        .to_owned();
    db.execute(tx, &insert).await?;
    Ok(())
}

pub async fn remove_reaction(
    db: &Db,
    tx: &mut AnyConnection,
    message_id: i64,
    emoji: &str,
    user_id: i64,
) -> Result<()> {
    let delete = Query::delete()
        .from_table(Reactions::Table)
        .and_where(Expr::col(Reactions::MessageId).eq(message_id))
        .and_where(Expr::col(Reactions::Emoji).eq(emoji))
        .and_where(Expr::col(Reactions::UserId).eq(user_id))
        .to_owned();
    db.execute(tx, &delete).await?;
    Ok(())
}
