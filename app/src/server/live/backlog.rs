//! Reading a stretch of a room's log, a page at a time: a subscriber's
//! backlog and a node's catch-up after it stopped listening both replay the
//! log this way, so they cannot disagree on what a range holds.
//!
//! Each page takes a pooled connection and gives it back before the page
//! is handed over: whoever writes the page out (a slow socket, say) must
//! not hold one of the pool's few connections while doing so.

use crate::protocol::Entry;
use crate::server::error::Result;
use crate::server::storage::db::Db;
use crate::server::storage::events;

/// The events of a room with `after < seq <= up_to`, oldest first.
pub struct Backlog {
    db: Db,
    room_id: i64,
    cursor: i64,
    up_to: i64,
}

impl Backlog {
    pub fn new(db: Db, room_id: i64, after: i64, up_to: i64) -> Self {
        Self {
            db,
            room_id,
            cursor: after,
            up_to,
        }
    }

    /// Nothing to replay.
    pub fn empty(db: Db, room_id: i64) -> Self {
        Self::new(db, room_id, 0, 0)
    }

    /// The next page, or `None` once the range is read.
    pub async fn next_page(&mut self) -> Result<Option<Vec<Entry>>> {
        if self.cursor >= self.up_to {
            return Ok(None);
        }
        let mut conn = self.db.acquire().await?;
        let page =
            events::range(&self.db, &mut conn, self.room_id, self.cursor, self.up_to).await?;
        drop(conn);
        match page.last_read {
            Some(last) => {
                self.cursor = last;
                Ok(Some(page.entries))
            }
            None => {
                self.cursor = self.up_to;
                Ok(None)
            }
        }
    }
}
