//! The line of a search result: the part of the message around the first
//! word that matched, as safe HTML, each matching word in `<mark>`.
//!
//! Built here rather than by the database, so both backends give the same
//! snippet, and so the message's text is escaped by us before any of our
//! markup goes in: nothing a message says can become markup.

use std::ops::Range;

use crate::server::storage::search::Terms;

/// Words shown before the first match, and in all.
const BEFORE: usize = 8;
const WORDS: usize = 32;

pub fn snippet_html(body: &str, terms: &Terms) -> String {
    let wanted: Vec<String> = terms
        .phrases
        .iter()
        .flatten()
        .map(|w| w.to_lowercase())
        .collect();
    let prefix = terms.prefix.as_ref().map(|p| p.to_lowercase());
    let matches = |word: &str| {
        let word = word.to_lowercase();
        wanted.contains(&word)
            || prefix
                .as_ref()
                .is_some_and(|p| word.starts_with(p.as_str()))
    };
    let runs = word_ranges(body);
    if runs.is_empty() {
        return escape(one_line(body).trim());
    }
    let first = runs
        .iter()
        .position(|r| matches(&body[r.clone()]))
        .unwrap_or(0);
    let from = first.saturating_sub(BEFORE);
    let to = (from + WORDS).min(runs.len());
    let start = if from == 0 { 0 } else { runs[from].start };
    let end = if to == runs.len() {
        body.len()
    } else {
        runs[to - 1].end
    };
    let mut html = String::new();
    if start > 0 {
        html.push('…');
    }
    let mut at = start;
    for run in &runs[from..to] {
        let word = &body[run.clone()];
        if matches(word) {
            html.push_str(&escape(&one_line(&body[at..run.start])));
            html.push_str("<mark>");
            html.push_str(&escape(word));
            html.push_str("</mark>");
            at = run.end;
        }
    }
    html.push_str(&escape(&one_line(&body[at..end])));
    let mut html = html.trim().to_owned();
    if end < body.len() {
        html.push('…');
    }
    html
}

/// Where each run of letters and digits is (as the indexes split words).
fn word_ranges(text: &str) -> Vec<Range<usize>> {
    let mut ranges = Vec::new();
    let mut start = None;
    for (at, c) in text.char_indices() {
        match (c.is_alphanumeric(), start) {
            (true, None) => start = Some(at),
            (false, Some(s)) => {
                ranges.push(s..at);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start {
        ranges.push(s..text.len());
    }
    ranges
}

/// Line breaks and runs of spaces as one space: a snippet is one line.
fn one_line(text: &str) -> String {
    let mut line = String::with_capacity(text.len());
    for c in text.chars() {
        if !c.is_whitespace() {
            line.push(c);
        } else if !line.ends_with(' ') {
            line.push(' ');
        }
    }
    line
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::services::search::query::parse;

    fn snip(body: &str, query: &str) -> String {
        snippet_html(body, &parse(query).terms)
    }

    #[test]
    fn matched_words_are_marked_in_any_case_and_the_rest_is_escaped() {
        assert_eq!(
            snip("Deploy <b>friday</b> & DEPLOY again", "deploy fri"),
            "<mark>Deploy</mark> &lt;b&gt;<mark>friday</mark>&lt;/b&gt; &amp; <mark>DEPLOY</mark> again"
        );
        assert_eq!(
            snip("a \"quote\" isn't <script>", "nothing "),
            "a &quot;quote&quot; isn&#39;t &lt;script&gt;"
        );
    }

    #[test]
    fn a_long_message_is_cut_around_its_first_match_on_one_line() {
        let body = format!(
            "{} needle\n\nhere {}",
            "word ".repeat(50),
            "tail ".repeat(50)
        );
        let html = snip(&body, "needle ");
        assert!(html.starts_with('…') && html.ends_with('…'), "{html}");
        assert!(
            html.contains("word <mark>needle</mark> here tail"),
            "{html}"
        );
        assert_eq!(html.matches("word").count(), BEFORE);
        assert!(!html.contains('\n'));
    }

    #[test]
    fn words_are_split_as_the_indexes_split_them() {
        assert_eq!(
            snip("see example.com/x", "example.com "),
            "see <mark>example</mark>.<mark>com</mark>/x"
        );
        assert_eq!(snip("ünïcode wörds", "wö"), "ünïcode <mark>wörds</mark>");
        assert_eq!(snip("", "x"), "");
    }
}
