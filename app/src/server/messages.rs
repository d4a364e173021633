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

use sea_query::{Expr, Order, Query, SelectStatement};
use sqlx::AnyConnection;

use super::auth::AuthUser;
use super::db::{Db, to_rfc3339};
use super::error::{Error, Result};
use super::format;
use super::rooms::require_member;
use super::schema::{Memberships, Messages, Rooms, Users};
use super::state::AppState;
use super::text::{Lines, reject_control_chars};
use super::writer::Draft;
use crate::model::{Author, Message, MessagePage, PageQuery};

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
}

impl From<MessageRow> for Message {
    fn from(row: MessageRow) -> Self {
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

fn select_messages() -> SelectStatement {
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
        ])
        .column((Users::Table, Users::Username))
        .from(Messages::Table)
        .inner_join(
            Users::Table,
            Expr::col((Users::Table, Users::Id)).equals((Messages::Table, Messages::AuthorId)),
        )
        .to_owned()
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
    let row: Option<MessageRow> = db.fetch_optional(conn, &select).await?;
    Ok(row.map(Message::from))
}

/// Stores and publishes a message. Returns it and whether it is new (`false`
/// when `client_id` repeats an earlier send by the same author).
pub async fn post(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    body: String,
    client_id: Option<String>,
) -> Result<(Message, bool)> {
    if let Some(client_id) = &client_id {
        validate_client_id(client_id)?;
    }
    validate_body(&body)?;
    state.send_limiter.take(auth.user.id)?;
    // Membership and a repeated client_id are checked by the writer, for
    // every post of a batch at once.
    state
        .writer
        .store(Draft {
            room_id,
            author: Author {
                id: auth.user.id,
                username: auth.user.username.clone(),
            },
            // Rendered here, on the poster's task, not in the one writer.
            body_html: format::render(&body),
            body,
            client_id,
        })
        .await
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
    let rows: Vec<MessageRow> = state.db.fetch_all(&mut conn, &select).await?;
    let has_more = rows.len() as i64 > limit;
    let mut messages: Vec<Message> = rows
        .into_iter()
        .take(limit as usize)
        .map(Message::from)
        .collect();
    if !forwards {
        messages.reverse();
    }
    Ok(MessagePage { messages, has_more })
}

/// The messages with `after < seq <= up_to`, oldest first: a subscriber's backlog.
pub async fn range(state: &AppState, room_id: i64, after: i64, up_to: i64) -> Result<Vec<Message>> {
    let select = select_messages()
        .and_where(Expr::col((Messages::Table, Messages::RoomId)).eq(room_id))
        .and_where(Expr::col((Messages::Table, Messages::Seq)).gt(after))
        .and_where(Expr::col((Messages::Table, Messages::Seq)).lte(up_to))
        .order_by((Messages::Table, Messages::Seq), Order::Asc)
        .limit(MAX_PAGE as u64)
        .to_owned();
    let mut conn = state.db.acquire().await?;
    let rows: Vec<MessageRow> = state.db.fetch_all(&mut conn, &select).await?;
    Ok(rows.into_iter().map(Message::from).collect())
}

/// The room's newest seq, 0 when empty.
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
                post(&state, &ann, room, format!("m{i}"), None)
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
        assert!(post(&state, &ann, room, "  ".into(), None).await.is_err());
        let (first, created) = post(&state, &ann, room, "a".into(), Some("k".into()))
            .await
            .unwrap();
        assert!(created);
        let (again, created) = post(&state, &ann, room, "a".into(), Some("k".into()))
            .await
            .unwrap();
        assert!(!created);
        assert_eq!(first, again);
        let (next, _) = post(&state, &ann, room, "b".into(), None).await.unwrap();
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
        let (stored, _) = post(&state, &ann, room, "old".into(), Some("old".into()))
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
                    let answer = post(&state, &author, room, format!("m{i}"), client_id).await;
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
