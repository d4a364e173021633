//! The queries on uploads: what the server knows of each file (its bytes
//! are in the [`files`](super::files) store), whose it is, and which
//! message carries it.
//!
//! A row is written before its files are stored ([`STORING`]) and made
//! [`READY`] after, so every stored file has a row that leads the sweeper
//! to it, however the request ended. An upload is claimed by the message
//! it is sent with, in the writer's transaction, and only if it is still
//! its owner's, ready and unsent: so a file is sent once, by its uploader.
//! Deleting a message or a room marks its uploads [`DISCARDED`] in the same
//! transaction; the sweeper deletes their files and then their rows.

use std::collections::HashMap;

use sea_query::{Expr, Order, Query, SimpleExpr};
use sqlx::AnyConnection;

use super::db::{Backend, Db};
use super::schema::Uploads;
use crate::model::Upload;
use crate::server::error::Result;

/// `uploads.state`: stored, and served to whoever may see it.
pub const READY: i64 = 0;
/// Its message or room was deleted: its files are to go.
pub const DISCARDED: i64 = 1;
/// Its files are being stored (or were, by a request that never finished).
pub const STORING: i64 = 2;

/// How long an unsent upload is kept before the sweeper deletes it: a day.
pub const KEEP_UNSENT_MS: i64 = 24 * 60 * 60 * 1000;

/// How long an upload may be sent: an hour less than it is kept, so the
/// sweeper never deletes the files of one being sent.
pub const SEND_WITHIN_MS: i64 = KEEP_UNSENT_MS - 60 * 60 * 1000;

/// An upload as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub struct UploadRow {
    pub id: String,
    pub owner_id: i64,
    pub name: String,
    pub size: i64,
    pub content_type: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub thumbnail: i64,
    pub message_id: Option<i64>,
    pub room_id: Option<i64>,
    /// [`READY`], [`DISCARDED`] or [`STORING`].
    pub state: i64,
    pub created_at: i64,
}

impl UploadRow {
    /// As a client sees it.
    pub fn to_upload(&self) -> Upload {
        Upload {
            id: self.id.clone(),
            name: self.name.clone(),
            size: self.size,
            content_type: self.content_type.clone(),
            width: self.width.and_then(|w| u32::try_from(w).ok()),
            height: self.height.and_then(|h| u32::try_from(h).ok()),
            url: Upload::url_of(&self.id),
            thumbnail_url: (self.thumbnail != 0).then(|| Upload::thumbnail_url_of(&self.id)),
        }
    }

    /// The type of its thumbnail (`thumbnail`: 1 for JPEG, 2 for PNG).
    pub fn thumbnail_type(&self) -> &'static str {
        match self.thumbnail {
            2 => "image/png",
            _ => "image/jpeg",
        }
    }

    /// Whether `owner_id` may still send it at `now`.
    pub fn sendable_by(&self, owner_id: i64, now: i64) -> bool {
        self.owner_id == owner_id
            && self.message_id.is_none()
            && self.state == READY
            && self.created_at > now - SEND_WITHIN_MS
    }
}

const COLUMNS: [Uploads; 12] = [
    Uploads::Id,
    Uploads::OwnerId,
    Uploads::Name,
    Uploads::Size,
    Uploads::ContentType,
    Uploads::Width,
    Uploads::Height,
    Uploads::Thumbnail,
    Uploads::MessageId,
    Uploads::RoomId,
    Uploads::State,
    Uploads::CreatedAt,
];

/// Records a new upload, as [`STORING`] until [`mark_ready`].
pub async fn insert(db: &Db, conn: &mut AnyConnection, row: &UploadRow) -> Result<()> {
    let insert = Query::insert()
        .into_table(Uploads::Table)
        .columns([
            Uploads::Id,
            Uploads::OwnerId,
            Uploads::Name,
            Uploads::Size,
            Uploads::ContentType,
            Uploads::Width,
            Uploads::Height,
            Uploads::Thumbnail,
            Uploads::State,
            Uploads::CreatedAt,
        ])
        .values_panic([
            row.id.clone().into(),
            row.owner_id.into(),
            row.name.clone().into(),
            row.size.into(),
            row.content_type.clone().into(),
            row.width.into(),
            row.height.into(),
            row.thumbnail.into(),
            STORING.into(),
            row.created_at.into(),
        ])
        .to_owned();
    db.execute(conn, &insert).await?;
    Ok(())
}

/// Makes an upload whose files are stored [`READY`].
pub async fn mark_ready(db: &Db, conn: &mut AnyConnection, id: &str) -> Result<()> {
    let update = Query::update()
        .table(Uploads::Table)
        .value(Uploads::State, READY)
        .and_where(Expr::col(Uploads::Id).eq(id))
        .and_where(Expr::col(Uploads::State).eq(STORING))
        .to_owned();
    db.execute(conn, &update).await?;
    Ok(())
}

/// The upload `id`, if it is [`READY`].
pub async fn get(db: &Db, conn: &mut AnyConnection, id: &str) -> Result<Option<UploadRow>> {
    let select = Query::select()
        .columns(COLUMNS)
        .from(Uploads::Table)
        .and_where(Expr::col(Uploads::Id).eq(id))
        .and_where(Expr::col(Uploads::State).eq(READY))
        .to_owned();
    Ok(db.fetch_optional(conn, &select).await?)
}

/// These uploads, by id, in any state (the caller judges).
pub async fn by_ids(
    db: &Db,
    conn: &mut AnyConnection,
    ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, UploadRow>> {
    let ids: Vec<String> = ids.into_iter().collect();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let select = Query::select()
        .columns(COLUMNS)
        .from(Uploads::Table)
        .and_where(Expr::col(Uploads::Id).is_in(ids))
        .to_owned();
    let rows: Vec<UploadRow> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(|row| (row.id.clone(), row)).collect())
}

/// The bytes `owner_id`'s files take: those ready, and those being stored
/// (so uploads made at once are counted together).
pub async fn used_bytes(db: &Db, conn: &mut AnyConnection, owner_id: i64) -> Result<i64> {
    // PostgreSQL sums BIGINTs as NUMERIC: cast back, on both.
    let select = Query::select()
        .expr(Expr::cust("CAST(COALESCE(SUM(uploads.size), 0) AS BIGINT)"))
        .from(Uploads::Table)
        .and_where(Expr::col(Uploads::OwnerId).eq(owner_id))
        .and_where(Expr::col(Uploads::State).ne(DISCARDED))
        .to_owned();
    let (used,): (i64,) = db.fetch_one(conn, &select).await?;
    Ok(used)
}

/// Gives the uploads `ids` (in this order) to message `message_id` of
/// `room_id`, if each is still `owner_id`'s to send at `now`
/// ([`UploadRow::sendable_by`]); returns how many were. The caller checked
/// they were, under the room's lock: fewer means another room's post took
/// one meanwhile, and its transaction must fail.
pub async fn claim(
    db: &Db,
    tx: &mut AnyConnection,
    ids: &[String],
    owner_id: i64,
    (room_id, message_id): (i64, i64),
    now: i64,
) -> Result<u64> {
    let mut claimed = 0;
    for (position, id) in ids.iter().enumerate() {
        let update = Query::update()
            .table(Uploads::Table)
            .value(Uploads::MessageId, message_id)
            .value(Uploads::RoomId, room_id)
            .value(Uploads::Position, position as i64)
            .and_where(Expr::col(Uploads::Id).eq(id.as_str()))
            .and_where(Expr::col(Uploads::OwnerId).eq(owner_id))
            .and_where(Expr::col(Uploads::MessageId).is_null())
            .and_where(Expr::col(Uploads::State).eq(READY))
            .and_where(Expr::col(Uploads::CreatedAt).gt(now - SEND_WITHIN_MS))
            .to_owned();
        claimed += db.execute(tx, &update).await?;
    }
    Ok(claimed)
}

/// Marks a deleted message's files for the sweeper.
pub async fn discard_message(db: &Db, tx: &mut AnyConnection, message_id: i64) -> Result<()> {
    let update = Query::update()
        .table(Uploads::Table)
        .value(Uploads::State, DISCARDED)
        .and_where(Expr::col(Uploads::MessageId).eq(message_id))
        .to_owned();
    db.execute(tx, &update).await?;
    Ok(())
}

/// Marks a deleted room's files for the sweeper.
pub async fn discard_room(db: &Db, tx: &mut AnyConnection, room_id: i64) -> Result<()> {
    let update = Query::update()
        .table(Uploads::Table)
        .value(Uploads::State, DISCARDED)
        .and_where(Expr::col(Uploads::RoomId).eq(room_id))
        .to_owned();
    db.execute(tx, &update).await?;
    Ok(())
}

/// Uploads whose files are to go: discarded ones, and unsent ones (stored
/// or never finished) made before `unsent_before`; at most `limit`, as
/// `(id, has_thumbnail)`.
pub async fn doomed(
    db: &Db,
    conn: &mut AnyConnection,
    unsent_before: i64,
    limit: u64,
) -> Result<Vec<(String, i64)>> {
    let mut found: Vec<(String, i64)> = Vec::new();
    // Two queries, each served by its partial index.
    for condition in [
        Expr::col(Uploads::State).eq(DISCARDED),
        Expr::col(Uploads::MessageId)
            .is_null()
            .and(Expr::col(Uploads::CreatedAt).lt(unsent_before)),
    ] {
        let select = Query::select()
            .columns([Uploads::Id, Uploads::Thumbnail])
            .from(Uploads::Table)
            .and_where(condition)
            .order_by(Uploads::Id, Order::Asc)
            .limit(limit.saturating_sub(found.len() as u64))
            .to_owned();
        found.extend(db.fetch_all::<(String, i64), _>(conn, &select).await?);
    }
    Ok(found)
}

/// Forgets an upload refused before any of its files was stored.
pub async fn remove_storing(db: &Db, conn: &mut AnyConnection, id: &str) -> Result<()> {
    let delete = Query::delete()
        .from_table(Uploads::Table)
        .and_where(Expr::col(Uploads::Id).eq(id))
        .and_where(Expr::col(Uploads::State).eq(STORING))
        .to_owned();
    db.execute(conn, &delete).await?;
    Ok(())
}

/// Forgets uploads whose files are gone. An unsent one claimed since it
/// was found doomed is kept (its message has it now).
pub async fn remove(db: &Db, conn: &mut AnyConnection, ids: &[String]) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let delete = Query::delete()
        .from_table(Uploads::Table)
        .and_where(Expr::col(Uploads::Id).is_in(ids.iter().cloned()))
        .and_where(
            Expr::col(Uploads::State)
                .eq(DISCARDED)
                .or(Expr::col(Uploads::MessageId).is_null()),
        )
        .to_owned();
    db.execute(conn, &delete).await?;
    Ok(())
}

/// The attachments of the message in the outer query, as JSON text: one
/// `[id, name, size, content_type, width, height, thumbnail]` per upload,
/// in order (a lookup of `uploads_message`).
pub fn attachments_json(backend: Backend) -> SimpleExpr {
    Expr::cust(match backend {
        Backend::Sqlite => {
            "(SELECT json_group_array(json_array(uploads.id, uploads.name, uploads.size, \
             uploads.content_type, uploads.width, uploads.height, uploads.thumbnail) \
             ORDER BY uploads.position) \
             FROM uploads WHERE uploads.message_id = messages.id AND uploads.state = 0)"
        }
        Backend::Postgres => {
            "(SELECT json_agg(json_build_array(uploads.id, uploads.name, uploads.size, \
             uploads.content_type, uploads.width, uploads.height, uploads.thumbnail) \
             ORDER BY uploads.position)::text \
             FROM uploads WHERE uploads.message_id = messages.id AND uploads.state = 0)"
        }
    })
}

/// One element of [`attachments_json`].
pub type AttachmentCells = (String, String, i64, String, Option<i64>, Option<i64>, i64);

/// [`attachments_json`]'s text as uploads.
pub fn attachments_from_json(json: &str) -> serde_json::Result<Vec<Upload>> {
    let cells: Vec<AttachmentCells> = serde_json::from_str(json)?;
    Ok(cells
        .into_iter()
        .map(
            |(id, name, size, content_type, width, height, thumbnail)| UploadRow {
                id,
                owner_id: 0,
                name,
                size,
                content_type,
                width,
                height,
                thumbnail,
                message_id: None,
                room_id: None,
                state: READY,
                created_at: 0,
            },
        )
        .map(|row| row.to_upload())
        .collect())
}
