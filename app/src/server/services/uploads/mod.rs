//! Uploads: receiving a file (its limits, its type, its thumbnail), who may
//! read it, and deleting the files nobody may any more.
//!
//! A file arrives as a stream and is spooled to a temporary file as it
//! comes, counted as it goes, so one over the size limit is refused the
//! moment it passes it and none is ever held in memory. Its type is sniffed
//! from its first bytes; an image is examined ([`images`]) for its size and
//! thumbnail. Only then is it copied to the file store and recorded, so a
//! refused file leaves nothing behind.
//!
//! Reading follows the file's message: an unsent upload is its uploader's
//! alone, a sent one is its room's members' (anyone else is told it does
//! not exist, as for the room itself).

pub mod images;
pub mod sniff;

use std::time::Duration;

use bytes::Bytes;
use futures::{Stream, StreamExt};
use tokio::io::AsyncWriteExt;

use crate::limits::MAX_FILE_NAME_CHARS;
use crate::model::Upload;
use crate::server::background::Background;
use crate::server::error::{Error, Result};
use crate::server::services::auth::sessions::random_token;
use crate::server::services::rooms::require_member;
use crate::server::state::AppState;
use crate::server::storage::db::{Db, now_ms};
use crate::server::storage::files::{Chunks, Files};
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::uploads::{self, KEEP_UNSENT_MS, UploadRow};

/// What an operator sets about uploads (README "Configuration").
#[derive(Clone, Debug)]
pub struct UploadSettings {
    /// Where files are kept. `STORAGE_URL`.
    pub storage_url: String,
    /// The largest file accepted. `UPLOAD_MAX_BYTES`.
    pub max_bytes: u64,
    /// The bytes one user's files may take in all. `UPLOAD_QUOTA_BYTES`.
    pub quota_bytes: u64,
    /// The types accepted (`image/*`, `application/pdf`); empty for any.
    /// `UPLOAD_TYPES`, comma-separated.
    pub types: Vec<String>,
    /// How often unsent and deleted files are looked for.
    /// `UPLOAD_SWEEP_SECS`.
    pub sweep_every: Duration,
}

impl Default for UploadSettings {
    fn default() -> Self {
        Self {
            storage_url: "file://uploads".into(),
            max_bytes: 25 * 1024 * 1024,
            quota_bytes: 1024 * 1024 * 1024,
            types: Vec::new(),
            sweep_every: Duration::from_secs(60),
        }
    }
}

/// Which of an upload's files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Variant {
    Original,
    Thumbnail,
}

impl Variant {
    fn key(self, id: &str) -> String {
        match self {
            Variant::Original => id.to_owned(),
            Variant::Thumbnail => format!("{id}.thumb"),
        }
    }
}

/// A file's name as kept: its last path component, without control
/// characters, at most [`MAX_FILE_NAME_CHARS`]; "file" if nothing is left.
pub fn clean_name(name: Option<&str>) -> String {
    let name = name.unwrap_or_default();
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_FILE_NAME_CHARS)
        .collect();
    match kept.trim() {
        "" | "." | ".." => "file".to_owned(),
        trimmed => trimmed.to_owned(),
    }
}

/// Receives one file from `auth`: spooled, checked, examined, stored and
/// recorded. `chunks` is the file's body as it arrives.
pub async fn receive<S, E>(
    state: &AppState,
    auth: &AuthUser,
    name: Option<&str>,
    chunks: S,
) -> Result<Upload>
where
    S: Stream<Item = Result<Bytes, E>>,
    E: std::fmt::Display,
{
    let mut chunks = std::pin::pin!(chunks);
    let settings = &state.settings.uploads;
    let owner_id = auth.user.id;
    let mut conn = state.db.acquire().await?;
    let used = uploads::used_bytes(&state.db, &mut conn, owner_id).await?;
    drop(conn);
    if used as u64 >= settings.quota_bytes {
        return Err(Error::QuotaExceeded {
            quota: settings.quota_bytes,
        });
    }

    let spool = tempfile::NamedTempFile::new()
        .map_err(|e| Error::Internal(format!("making a spool file: {e}")))?;
    let mut file = tokio::fs::File::from_std(
        spool
            .reopen()
            .map_err(|e| Error::Internal(format!("opening the spool file: {e}")))?,
    );
    let mut head = Vec::with_capacity(sniff::HEAD);
    let mut size: u64 = 0;
    while let Some(chunk) = chunks.next().await {
        let chunk =
            chunk.map_err(|e| Error::validation("file", format!("The upload broke off: {e}")))?;
        size += chunk.len() as u64;
        if size > settings.max_bytes {
            return Err(Error::FileTooLarge {
                limit: settings.max_bytes,
            });
        }
        if head.len() < sniff::HEAD {
            let wanted = (sniff::HEAD - head.len()).min(chunk.len());
            head.extend_from_slice(&chunk[..wanted]);
        }
        file.write_all(&chunk)
            .await
            .map_err(|e| Error::Internal(format!("spooling an upload: {e}")))?;
    }
    file.flush()
        .await
        .map_err(|e| Error::Internal(format!("spooling an upload: {e}")))?;
    drop(file);
    if size == 0 {
        return Err(Error::validation("file", "The file is empty."));
    }
    if used as u64 + size > settings.quota_bytes {
        return Err(Error::QuotaExceeded {
            quota: settings.quota_bytes,
        });
    }

    let content_type = sniff::content_type(&head);
    if !sniff::allowed(content_type, &settings.types) {
        return Err(Error::UnsupportedFileType(content_type.to_owned()));
    }
    let examined = if crate::limits::INLINE_IMAGE_TYPES.contains(&content_type) {
        Some(
            images::examine(spool.path(), content_type)
                .await
                .map_err(|refusal| Error::validation("file", refusal.to_string()))?,
        )
    } else {
        None
    };

    let id = random_token::<16>();
    let row = UploadRow {
        id: id.clone(),
        owner_id,
        name: clean_name(name),
        size: size as i64,
        content_type: content_type.to_owned(),
        width: examined.as_ref().map(|e| i64::from(e.width)),
        height: examined.as_ref().map(|e| i64::from(e.height)),
        thumbnail: match &examined {
            None => 0,
            Some(examined) if examined.transparent => 2,
            Some(_) => 1,
        },
        message_id: None,
        room_id: None,
        state: uploads::STORING,
        created_at: now_ms(),
    };
    // The row first, counted against the quota with every other upload of
    // theirs under way, so uploads made at once cannot pass it together.
    let mut conn = state.db.acquire().await?;
    uploads::insert(&state.db, &mut conn, &row).await?;
    if uploads::used_bytes(&state.db, &mut conn, owner_id).await? as u64 > settings.quota_bytes {
        uploads::remove_storing(&state.db, &mut conn, &id).await?;
        return Err(Error::QuotaExceeded {
            quota: settings.quota_bytes,
        });
    }
    drop(conn);
    // Then the files. Should this fail, or the request end, the row leads
    // the sweeper to whatever was stored.
    state.files.put_file(&id, spool.path()).await?;
    if let Some(examined) = examined {
        state
            .files
            .put_bytes(&Variant::Thumbnail.key(&id), examined.thumbnail)
            .await?;
    }
    let mut conn = state.db.acquire().await?;
    uploads::mark_ready(&state.db, &mut conn, &id).await?;
    Ok(UploadRow {
        state: uploads::READY,
        ..row
    }
    .to_upload())
}

/// The upload `id` if `auth` may read it: its uploader until it is sent,
/// then the members of its room. Anyone else is told there is none.
pub async fn find(state: &AppState, auth: &AuthUser, id: &str) -> Result<UploadRow> {
    let mut conn = state.db.acquire().await?;
    let row = uploads::get(&state.db, &mut conn, id)
        .await?
        .ok_or(Error::NotFound)?;
    drop(conn);
    match row.room_id {
        None if row.owner_id == auth.user.id => Ok(row),
        None => Err(Error::NotFound),
        Some(room_id) => match require_member(state, auth.user.id, room_id).await {
            Ok(()) => Ok(row),
            Err(Error::RoomNotFound | Error::NotAMember) => Err(Error::NotFound),
            Err(other) => Err(other),
        },
    }
}

/// The bytes of `row`'s file (its thumbnail, or `range` of the original),
/// as a stream. A thumbnail asked of a file that has none is not found.
pub async fn read(
    state: &AppState,
    row: &UploadRow,
    variant: Variant,
    range: Option<std::ops::Range<u64>>,
) -> Result<Chunks> {
    if variant == Variant::Thumbnail && row.thumbnail == 0 {
        return Err(Error::NotFound);
    }
    state
        .files
        .get(&variant.key(&row.id), range)
        .await?
        .ok_or_else(|| Error::Internal(format!("the file of upload {} is missing", row.id)))
}

/// Uploads swept at a time.
const SWEEP_BATCH: u64 = 100;

/// Deletes the files of discarded uploads, and of unsent ones older than a
/// day (stored, or never finished), then their rows. A file that cannot be deleted now keeps its row,
/// to be tried again next time. Returns how many uploads went.
pub async fn sweep(db: &Db, files: &Files, now: i64) -> Result<usize> {
    let mut conn = db.acquire().await?;
    let doomed = uploads::doomed(db, &mut conn, now - KEEP_UNSENT_MS, SWEEP_BATCH).await?;
    drop(conn);
    let mut gone = Vec::with_capacity(doomed.len());
    for (id, thumbnail) in doomed {
        let mut deleted = files.delete(&Variant::Original.key(&id)).await;
        if thumbnail != 0 && deleted.is_ok() {
            deleted = files.delete(&Variant::Thumbnail.key(&id)).await;
        }
        match deleted {
            Ok(()) => gone.push(id),
            Err(error) => {
                tracing::warn!(%error, upload = %id, "an upload's files were not deleted")
            }
        }
    }
    let mut conn = db.acquire().await?;
    uploads::remove(db, &mut conn, &gone).await?;
    Ok(gone.len())
}

/// Sweeps every `every` until the node stops.
pub fn start_sweeper(db: Db, files: Files, every: Duration, background: &Background) {
    let stop = background.stopping();
    background.spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                () = stop.cancelled() => break,
            }
            loop {
                match sweep(&db, &files, now_ms()).await {
                    // A full batch: there may be more.
                    Ok(n) if n as u64 == SWEEP_BATCH => continue,
                    Ok(_) => break,
                    Err(error) => {
                        tracing::warn!(%error, "sweeping uploads failed; trying again later");
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_lose_their_directories_and_control_characters() {
        assert_eq!(clean_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_name(Some("C:\\Users\\ann\\cat.png")), "cat.png");
        assert_eq!(clean_name(Some("a\u{0}b\nc.txt")), "abc.txt");
        assert_eq!(clean_name(Some("..")), "file");
        assert_eq!(clean_name(None), "file");
        assert_eq!(
            clean_name(Some(&"é".repeat(300))).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }
}
