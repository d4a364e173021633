//! Finding people by name, for picking whom to talk to. Any signed-in user
//! may look: usernames are what people know each other by here, as in a
//! team's directory, and only names (never anything else of an account)
//! are answered, a few at a time.

use crate::limits::{USER_SEARCH_RESULTS, USERNAME_CHARS, USERNAME_LENGTH, is_username_char};
use crate::model::Author;
use crate::server::error::{Error, Result};
use crate::server::state::AppState;
use crate::server::storage::users;

/// The people whose username starts with `query` (ignoring case and
/// surrounding spaces), closest match first, at most
/// [`USER_SEARCH_RESULTS`]. A query no username could start with answers
/// nobody; an empty or overlong one is refused.
pub async fn find(state: &AppState, query: &str) -> Result<Vec<Author>> {
    let prefix = query.trim().to_lowercase();
    if prefix.is_empty() {
        return Err(Error::validation("q", "Type the start of a username."));
    }
    if prefix.chars().count() > *USERNAME_CHARS.end() {
        return Err(Error::validation("q", USERNAME_LENGTH));
    }
    if !prefix.chars().all(is_username_char) {
        return Ok(Vec::new());
    }
    users::starting_with(&state.db, &prefix, USER_SEARCH_RESULTS).await
}
