//! Searching the messages a user may read: the rules (what a query may
//! be, which filters, how far it pages) over `storage::search`, which
//! reads only rooms the searcher is a member of.
//!
//! Relevance comes from each backend's engine (bm25, ts_rank), newest
//! first among equals. Paging is by position (the cursor is an offset),
//! bounded, because a ranked list has no key to continue from; a search
//! that needs its 1,001st result needs better words.
//!
//! A query with nothing to look for (no word, no filter: `!!!`) finds
//! nothing rather than failing, as a search box answers it.

pub mod query;
pub mod snippet;

use chrono::{DateTime, NaiveDate};

use crate::model::{RoomRef, SearchPage, SearchParams, SearchResult};
use crate::server::error::{Error, Result};
use crate::server::state::AppState;
use crate::server::storage::search::{self, Search};
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::{messages, rooms, users};

/// Characters in a query.
pub const MAX_QUERY_CHARS: usize = 200;
/// Results per page, by default and at most.
pub const DEFAULT_LIMIT: i64 = 20;
pub const MAX_LIMIT: i64 = 50;
/// How deep results page.
pub const MAX_OFFSET: u64 = 1000;

pub async fn search(state: &AppState, auth: &AuthUser, params: SearchParams) -> Result<SearchPage> {
    let invalid = |field: &'static str, message: &str| Error::validation(field, message.to_owned());
    if params.q.chars().count() > MAX_QUERY_CHARS {
        return Err(invalid("q", "A search is at most 200 characters."));
    }
    let parsed = query::parse(&params.q);
    let limit = params.limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(invalid("limit", "limit must be 1 to 50."));
    }
    let offset = match params.cursor.as_deref() {
        None | Some("") => 0,
        Some(cursor) => cursor
            .parse::<u64>()
            .map_err(|_| invalid("cursor", "That cursor is not one this search gave."))?,
    };
    if offset > MAX_OFFSET {
        return Ok(empty());
    }
    let before = params
        .before
        .as_deref()
        .map(|t| time(t).ok_or_else(|| invalid("before", DATE)))
        .transpose()?;
    let after = params
        .after
        .as_deref()
        .map(|t| time(t).ok_or_else(|| invalid("after", DATE)))
        .transpose()?;
    let authors: Vec<&str> = [params.author.as_deref(), parsed.from.as_deref()]
        .into_iter()
        .flatten()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .collect();
    let filtered = params.room_id.is_some()
        || !authors.is_empty()
        || before.is_some()
        || after.is_some()
        || parsed.has_file;
    if parsed.terms.is_empty() && !filtered {
        return Ok(empty());
    }
    let mut author_id = None;
    for name in authors {
        let Some(account) = users::by_username_key(&state.db, &name.to_lowercase()).await? else {
            return Ok(empty());
        };
        if author_id.is_some_and(|id| id != account.user.id) {
            return Ok(empty());
        }
        author_id = Some(account.user.id);
    }
    let wanted = Search {
        terms: parsed.terms,
        room_id: params.room_id,
        author_id,
        before,
        after,
        has_file: parsed.has_file,
        // One more, to know whether there is a next page.
        limit: limit as u64 + 1,
        offset,
    };
    let db = &state.db;
    let mut conn = db.acquire().await?;
    let mut ids = search::find(db, &mut conn, auth.user.id, &wanted).await?;
    let more = ids.len() > limit as usize;
    ids.truncate(limit as usize);
    let mut found = messages::by_ids(db, &mut conn, ids.iter().copied()).await?;
    let room_ids: Vec<i64> = found.values().map(|m| m.room_id).collect();
    let named = rooms::titled_for(db, &mut conn, auth.user.id, room_ids).await?;
    let results = ids
        .iter()
        .filter_map(|id| {
            let message = found.remove(id)?;
            let room = named.get(&message.room_id)?;
            Some(SearchResult {
                snippet_html: snippet::snippet_html(&message.body, &wanted.terms),
                room: RoomRef {
                    id: room.id,
                    name: room.name.clone(),
                    kind: room.kind,
                },
                message,
            })
        })
        .collect();
    let next = offset + limit as u64;
    Ok(SearchPage {
        results,
        next_cursor: (more && next <= MAX_OFFSET).then(|| next.to_string()),
    })
}

const DATE: &str = "Give a day (2026-12-01) or a time (2026-12-01T09:30:00Z).";

fn empty() -> SearchPage {
    SearchPage {
        results: Vec::new(),
        next_cursor: None,
    }
}

/// A day (its first millisecond, UTC) or an RFC 3339 time, in ms.
fn time(text: &str) -> Option<i64> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis());
    }
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_and_times_are_read_in_utc() {
        assert_eq!(time("1970-01-02"), Some(86_400_000));
        assert_eq!(time("1970-01-01T00:00:01Z"), Some(1000));
        assert_eq!(time("1970-01-01T01:00:00+01:00"), Some(0));
        assert_eq!(time("yesterday"), None);
        assert_eq!(time("2026-13-01"), None);
    }
}
