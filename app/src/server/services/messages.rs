//! Posting, changing and reading messages: the input's rules (body,
//! `client_id`, page size) and the calls into the writer.
//!
//! A post's input is validated here; the node's
//! [`writer`](crate::server::live::writer) has it judged against the room
//! under the room's lock ([`rules`](super::rules): is the sender a member,
//! is the replied message there), refuses a `client_id` already used,
//! assigns seqs and commits posts in batches; only after the commit is a
//! message published, so nothing is ever shown that is not durable.
//!
//! Idempotency: `(author_id, client_id)` is unique. A retried send finds the
//! stored original and returns it with `created = false`; nothing is stored or
//! broadcast twice.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::limits::{
    BODY_TOO_LONG, DEFAULT_PAGE, MAX_ATTACHMENTS, MAX_BODY_CHARS, MAX_CLIENT_ID_CHARS,
    MAX_MENTIONS, MAX_PAGE, TOO_MANY_ATTACHMENTS, TOO_MANY_MENTIONS,
};
use crate::model::{Message, MessagePage, PageQuery};
use crate::server::error::{Error, Result};
use crate::server::format;
use crate::server::live::writer::{Done, Draft, Named, Pending, Request};
use crate::server::services::rooms::require_member;
use crate::server::state::AppState;
use crate::server::storage::messages::{self, Window};
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::{rooms, users};
use crate::server::text::{Lines, reject_control_chars};

/// Bodies are stored exactly as sent: 1 to 4000 characters, not blank,
/// and line breaks and tabs are the only control characters allowed.
pub fn validate_body(body: &str) -> Result<()> {
    reject_control_chars("body", body, Lines::Multi)?;
    if body.trim().is_empty() {
        return Err(Error::validation("body", "Message cannot be empty."));
    }
    if body.chars().count() > MAX_BODY_CHARS {
        return Err(Error::validation("body", BODY_TOO_LONG));
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

/// The page a query asks for, its size checked.
fn window(query: PageQuery) -> Result<Window> {
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
    if query.around_seq.is_some() && (query.before_seq.is_some() || query.after_seq.is_some()) {
        return Err(Error::validation(
            "around_seq",
            "around_seq reads a page of its own: leave out before_seq and after_seq.",
        ));
    }
    Ok(Window {
        after_seq: query.after_seq,
        before_seq: query.before_seq,
        around_seq: query.around_seq,
        limit,
    })
}

/// A message to post, as its sender gave it.
#[derive(Clone, Debug, Default)]
pub struct NewPost {
    pub body: String,
    pub client_id: Option<String>,
    pub reply_to: Option<i64>,
    /// Upload ids, in the order shown.
    pub attachments: Vec<String>,
}

impl NewPost {
    pub fn text(body: impl Into<String>) -> Self {
        Self {
            body: body.into(),
            ..Self::default()
        }
    }
}

/// Up to [`MAX_ATTACHMENTS`] uploads, none twice. Whether each is the
/// sender's to send is the writer's to say, under the room's lock.
fn validate_attachments(attachments: &[String]) -> Result<()> {
    if attachments.len() > MAX_ATTACHMENTS {
        return Err(Error::validation("attachments", TOO_MANY_ATTACHMENTS));
    }
    let distinct: std::collections::HashSet<&String> = attachments.iter().collect();
    if distinct.len() < attachments.len() {
        return Err(Error::validation(
            "attachments",
            "The same file is attached twice.",
        ));
    }
    Ok(())
}

/// Stores and publishes a message. Returns it and whether it is new (`false`
/// when `client_id` repeats an earlier send by the same author).
pub async fn post(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    new: NewPost,
) -> Result<Submitted<(Message, bool)>> {
    let NewPost {
        body,
        client_id,
        reply_to,
        attachments,
    } = new;
    if let Some(client_id) = &client_id {
        validate_client_id(client_id)?;
    }
    validate_attachments(&attachments)?;
    // Files may go alone, with no text at all (but not blank text).
    let files_alone = body.is_empty() && !attachments.is_empty();
    if !files_alone {
        validate_body(&body)?;
    }
    state.send_limiter.take(auth.user.id)?;
    // Rendered here, on the poster's task, not in the one writer.
    let (body_html, named) = rendered(state, room_id, &body).await?;
    // Membership, the replied message, whom it may name and a repeated
    // client_id are checked by the writer, for every post of a batch at once.
    let pending = state
        .writer
        .submit(Request::Post(Draft {
            room_id,
            author: auth.author(),
            body_html,
            body,
            client_id,
            reply_to,
            named,
            attachments,
        }))
        .await?;
    Ok(Submitted {
        pending,
        then: posted,
    })
}

/// The body as it will be shown, and whom it names: each `@name` that is
/// the username of a member of the room (two lookups; none for a body
/// without `@`). The writer checks membership again under the room's lock,
/// and the policy judges `@room`.
async fn rendered(state: &AppState, room_id: i64, body: &str) -> Result<(String, Named)> {
    let found = format::mentioned(body);
    if found.names.len() > MAX_MENTIONS {
        return Err(Error::validation("body", TOO_MANY_MENTIONS));
    }
    let keys: Vec<String> = found.names.into_iter().collect();
    let mut people = users::by_keys(&state.db, &keys).await?;
    if !people.is_empty() {
        let mut conn = state.db.acquire().await?;
        let ids = people.iter().map(|(_, person)| person.id);
        let members = rooms::roles_among(&state.db, &mut conn, room_id, ids).await?;
        people.retain(|(_, person)| members.contains_key(&person.id));
    }
    let mentions = format::Mentions {
        people: people
            .iter()
            .map(|(key, person)| (key.clone(), (person.id, person.username.clone())))
            .collect(),
        room: found.room,
    };
    let named = Named {
        users: people.into_iter().map(|(_, person)| person.id).collect(),
        room: found.room,
    };
    Ok((format::render_with(body, &mentions), named))
}

/// A change to a room handed to the writer: the answer, once committed.
/// The checks that need no database (length, rate) are made before it is
/// handed over, so an `Err` comes at once; the rest is this future's.
/// A socket keeps reading while its changes are committed.
pub struct Submitted<T> {
    pending: Pending,
    then: fn(Done) -> Result<T>,
}

impl<T> Future for Submitted<T> {
    type Output = Result<T>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let then = self.then;
        Pin::new(&mut self.pending)
            .poll(cx)
            .map(|done| done.and_then(then))
    }
}

/// A post as stored, and whether it is new (`false` when its `client_id`
/// was already stored).
fn posted(done: Done) -> Result<(Message, bool)> {
    let message = done
        .message
        .ok_or_else(|| Error::Internal("a post was answered without its message".into()))?;
    Ok((message, done.logged))
}

/// The message, as the writer answered a change to it.
fn changed(done: Done) -> Result<Message> {
    done.message.ok_or(Error::MessageNotFound)
}

/// Hands a change of a message to the writer.
async fn submit_change(state: &AppState, request: Request) -> Result<Submitted<Message>> {
    let pending = state.writer.submit(request).await?;
    Ok(Submitted {
        pending,
        then: changed,
    })
}

/// Replaces a message's body; only its author may, and not once deleted.
pub async fn edit(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
    body: String,
) -> Result<Submitted<Message>> {
    validate_body(&body)?;
    state.send_limiter.take(auth.user.id)?;
    let (body_html, named) = rendered(state, room_id, &body).await?;
    let request = Request::Edit {
        room_id,
        message_id,
        user: auth.author(),
        body_html,
        body,
        named,
    };
    submit_change(state, request).await
}

/// Deletes a message (its author, or the room's owner); deleting it again
/// changes nothing.
pub async fn delete(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
) -> Result<Submitted<Message>> {
    let request = Request::Delete {
        room_id,
        message_id,
        user: auth.author(),
    };
    submit_change(state, request).await
}

/// Adds (`added`) or removes the caller's reaction; either is idempotent.
pub async fn react(
    state: &AppState,
    auth: &AuthUser,
    room_id: i64,
    message_id: i64,
    emoji: String,
    added: bool,
) -> Result<Submitted<Message>> {
    // Whether `emoji` is one is asked with the message in hand
    // (`rules::may_react`): a message that is not there is not found,
    // whatever was sent to it.
    state.send_limiter.take(auth.user.id)?;
    let request = Request::React {
        room_id,
        message_id,
        user: auth.author(),
        emoji,
        added,
    };
    submit_change(state, request).await
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
    let page = messages::page(&state.db, room_id, Some(auth.user.id), window(query)?).await?;
    if page.messages.is_empty() {
        require_member(state, auth.user.id, room_id).await?;
    }
    Ok(page)
}

/// A page of history without the membership check, for callers that did it.
pub async fn read_page(state: &AppState, room_id: i64, query: PageQuery) -> Result<MessagePage> {
    messages::page(&state.db, room_id, None, window(query)?).await
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
    use crate::server::Settings;
    use crate::server::services::{auth, rooms};
    use crate::server::storage::db::Db;
    use crate::server::storage::rooms as stored_rooms;

    async fn state() -> (AppState, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let db = Db::connect(&url.into()).await.unwrap();
        let mut settings = Settings::default();
        // These tests post in bursts; the allowance has its own tests.
        settings.sends.burst = 1_000_000;
        (AppState::new(db, settings).await.unwrap(), dir)
    }

    /// A post, answered once committed.
    async fn post(
        state: &AppState,
        auth: &AuthUser,
        room_id: i64,
        body: String,
        client_id: Option<String>,
        reply_to: Option<i64>,
    ) -> Result<(Message, bool)> {
        let new = NewPost {
            body,
            client_id,
            reply_to,
            attachments: Vec::new(),
        };
        super::post(state, auth, room_id, new).await?.await
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
        let first = rooms::create(&state, &ann, rooms::RoomDraft::public("first"))
            .await
            .unwrap()
            .id;
        let second = rooms::create(&state, &ann, rooms::RoomDraft::public("second"))
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
            assert_eq!(stored_rooms::last_seq(&state.db, room).await.unwrap(), 10);
        }
    }

    /// Changes to one message in one batch: each is judged on the message
    /// as the ones before it left it, not as the batch found it.
    #[tokio::test]
    async fn a_batch_judges_each_change_after_the_ones_before_it() {
        use sqlx::Executor;

        let (state, _dir) = state().await;
        let ann = user(&state, "ann").await;
        let room = rooms::create(&state, &ann, rooms::RoomDraft::public("r"))
            .await
            .unwrap()
            .id;
        let (message, _) = post(&state, &ann, room, "first".into(), None, None)
            .await
            .unwrap();

        // Another transaction holds the database, so the writer waits on
        // one post while the changes queue up behind it as one batch.
        let mut holder = state.db.acquire().await.unwrap();
        holder.execute("BEGIN IMMEDIATE").await.unwrap();
        let held = super::post(&state, &ann, room, NewPost::text("held"))
            .await
            .unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let id = message.id;
        let deleted = delete(&state, &ann, room, id).await.unwrap();
        let edited = edit(&state, &ann, room, id, "second".into()).await.unwrap();
        let reacted = react(&state, &ann, room, id, "👍".into(), true)
            .await
            .unwrap();
        holder.execute("ROLLBACK").await.unwrap();

        held.await.unwrap();
        assert!(deleted.await.unwrap().deleted);
        assert!(matches!(edited.await, Err(Error::MessageDeleted)));
        assert!(matches!(reacted.await, Err(Error::MessageDeleted)));
        let page = read_page(&state, room, PageQuery::default()).await.unwrap();
        let stored = page.messages.iter().find(|m| m.id == id).unwrap();
        assert_eq!((stored.deleted, stored.body.as_str()), (true, ""));
        assert!(stored.reactions.is_empty());
    }

    #[tokio::test]
    async fn refused_and_repeated_posts_use_no_seq() {
        let (state, _dir) = state().await;
        let ann = user(&state, "ann").await;
        let room = rooms::create(&state, &ann, rooms::RoomDraft::public("r"))
            .await
            .unwrap()
            .id;
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
        let room = rooms::create(&state, &ann, rooms::RoomDraft::public("r"))
            .await
            .unwrap()
            .id;
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
        assert_eq!(
            stored_rooms::last_seq(&state.db, room).await.unwrap(),
            stored_count
        );
    }
}
