//! The search query, in each backend's own full-text engine: SQLite's FTS5
//! (`messages_fts`, MATCH and bm25) and PostgreSQL's full-text search
//! (`messages.body_tsv`, @@ and ts_rank). The migrations make both index
//! the same words, so [`Terms`] (words already split as both split them)
//! finds the same messages on either.
//!
//! Only messages of rooms the searcher is a member of are ever read: the
//! membership is a join of the query, not a filter applied afterwards.

use sea_query::{Alias, Expr, Order, Query, SelectStatement};
use sqlx::AnyConnection;

use super::db::{Backend, Db};
use super::schema::{Memberships, Messages, Rooms};
use crate::server::error::Result;

/// What to look for: each part must be in the message.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Terms {
    /// Words, and phrases (words that must follow one another), each a run
    /// of letters and digits.
    pub phrases: Vec<Vec<String>>,
    /// A word the message must have a word starting with (the one being
    /// typed).
    pub prefix: Option<String>,
}

impl Terms {
    pub fn is_empty(&self) -> bool {
        self.phrases.is_empty() && self.prefix.is_none()
    }

    /// FTS5's query syntax: each phrase quoted (`"a b"`), the prefix
    /// starred (`"wor"*`), all of them required. Words are letters and
    /// digits only, so no quote needs escaping.
    pub fn fts5(&self) -> String {
        let mut parts: Vec<String> = self
            .phrases
            .iter()
            .map(|words| format!("\"{}\"", words.join(" ")))
            .collect();
        if let Some(prefix) = &self.prefix {
            parts.push(format!("\"{prefix}\"*"));
        }
        parts.join(" ")
    }

    /// `to_tsquery`'s syntax: quoted lexemes, `<->` between the words of a
    /// phrase, `:*` on the prefix, `&` between parts.
    pub fn tsquery(&self) -> String {
        let lexeme = |word: &str| format!("'{}'", word.replace('\'', "''"));
        let mut parts: Vec<String> = self
            .phrases
            .iter()
            .map(|words| {
                let joined: Vec<String> = words.iter().map(|w| lexeme(w)).collect();
                format!("({})", joined.join(" <-> "))
            })
            .collect();
        if let Some(prefix) = &self.prefix {
            parts.push(format!("{}:*", lexeme(prefix)));
        }
        parts.join(" & ")
    }
}

/// A search: the terms (none: every message, newest first) and filters.
#[derive(Clone, Debug, Default)]
pub struct Search {
    pub terms: Terms,
    pub room_id: Option<i64>,
    pub author_id: Option<i64>,
    /// Created before this time (ms), and at or after this one.
    pub before: Option<i64>,
    pub after: Option<i64>,
    /// Only messages that carry a file.
    pub has_file: bool,
    pub limit: u64,
    pub offset: u64,
}

/// The ids of the messages `searcher` may read that match, best first (by
/// relevance, then newest first), `limit` of them from `offset`.
pub async fn find(
    db: &Db,
    conn: &mut AnyConnection,
    searcher: i64,
    search: &Search,
) -> Result<Vec<i64>> {
    let id = (Messages::Table, Messages::Id);
    let mut select = Query::select()
        .column(id)
        .from(Messages::Table)
        .inner_join(
            Memberships::Table,
            Expr::col((Memberships::Table, Memberships::RoomId))
                .equals((Messages::Table, Messages::RoomId))
                .and(Expr::col((Memberships::Table, Memberships::UserId)).eq(searcher)),
        )
        .inner_join(
            Rooms::Table,
            Expr::col((Rooms::Table, Rooms::Id))
                .equals((Messages::Table, Messages::RoomId))
                .and(Expr::col((Rooms::Table, Rooms::DeletedAt)).is_null()),
        )
        .and_where(Expr::col((Messages::Table, Messages::Deleted)).eq(0))
        .limit(search.limit)
        .offset(search.offset)
        .to_owned();
    if let Some(room_id) = search.room_id {
        select.and_where(Expr::col((Messages::Table, Messages::RoomId)).eq(room_id));
    }
    if let Some(author_id) = search.author_id {
        select.and_where(Expr::col((Messages::Table, Messages::AuthorId)).eq(author_id));
    }
    let created = (Messages::Table, Messages::CreatedAt);
    if let Some(before) = search.before {
        select.and_where(Expr::col(created).lt(before));
    }
    if let Some(after) = search.after {
        select.and_where(Expr::col(created).gte(after));
    }
    if search.has_file {
        // A lookup of `uploads_message` per candidate.
        select.and_where(Expr::cust(
            "EXISTS (SELECT 1 FROM uploads WHERE uploads.message_id = messages.id \
             AND uploads.state = 0)",
        ));
    }
    if !search.terms.is_empty() {
        matching(db.backend(), &mut select, &search.terms);
    }
    // Newest first among equals; the message id grows with time.
    select.order_by(id, Order::Desc);
    let rows: Vec<(i64,)> = db.fetch_all(conn, &select).await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Adds the match and the ranking (best first) to `select`.
fn matching(backend: Backend, select: &mut SelectStatement, terms: &Terms) {
    match backend {
        Backend::Sqlite => {
            let fts = Alias::new("messages_fts");
            select
                .inner_join(fts.clone(), Expr::cust("messages_fts.rowid = messages.id"))
                .and_where(Expr::cust_with_values(
                    "messages_fts MATCH ?",
                    [terms.fts5()],
                ))
                // bm25: lower is better.
                .order_by_expr(Expr::cust("bm25(messages_fts)"), Order::Asc);
        }
        Backend::Postgres => {
            let query = terms.tsquery();
            select
                .and_where(Expr::cust_with_values(
                    // sea-query numbers PostgreSQL's placeholders per
                    // expression: `$1` here, renumbered in the statement.
                    "messages.body_tsv @@ to_tsquery('simple', $1)",
                    [query.clone()],
                ))
                .order_by_expr(
                    Expr::cust_with_values(
                        "ts_rank(messages.body_tsv, to_tsquery('simple', $1))",
                        [query],
                    ),
                    Order::Desc,
                );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn terms(phrases: &[&[&str]], prefix: Option<&str>) -> Terms {
        Terms {
            phrases: phrases
                .iter()
                .map(|p| p.iter().map(|w| (*w).to_owned()).collect())
                .collect(),
            prefix: prefix.map(str::to_owned),
        }
    }

    #[test]
    fn each_engine_gets_its_own_syntax() {
        let t = terms(&[&["deploy"], &["release", "notes"]], Some("frid"));
        assert_eq!(t.fts5(), r#""deploy" "release notes" "frid"*"#);
        assert_eq!(
            t.tsquery(),
            "('deploy') & ('release' <-> 'notes') & 'frid':*"
        );
        let only_prefix = terms(&[], Some("a"));
        assert_eq!(only_prefix.fts5(), r#""a"*"#);
        assert_eq!(only_prefix.tsquery(), "'a':*");
    }
}
