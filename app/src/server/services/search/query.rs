//! Reading what someone typed into the search box: words, "quoted
//! phrases", `from:name`, `has:file`, and the word still being typed (a
//! prefix).
//!
//! Words are split exactly as both indexes split text (runs of letters and
//! digits; see the search migrations), so `example.com` is the phrase
//! `example com`, as it was indexed.

use crate::server::storage::search::Terms;

/// Parts a query may have; more are ignored.
pub const MAX_PARTS: usize = 16;
/// Characters of one word kept (no word is longer in practice).
const MAX_WORD_CHARS: usize = 64;

/// A query, read.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Parsed {
    pub terms: Terms,
    /// `from:name`: only messages of the user called `name`.
    pub from: Option<String>,
    /// `has:file`: only messages that carry a file.
    pub has_file: bool,
}

/// The runs of letters and digits in `text`.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| w.chars().take(MAX_WORD_CHARS).collect())
        .collect()
}

pub fn parse(query: &str) -> Parsed {
    let mut parsed = Parsed::default();
    let mut rest = query;
    // Whether the query's last part is a word still being typed.
    let typing = !query.ends_with(char::is_whitespace);
    let mut last_bare: Option<Vec<String>> = None;
    loop {
        rest = rest.trim_start();
        if rest.is_empty() {
            break;
        }
        // The word before this part is finished.
        if let Some(previous) = last_bare.take() {
            push(&mut parsed.terms, previous);
        }
        if let Some(quoted) = rest.strip_prefix('"') {
            let (phrase, after) = quoted.split_once('"').unwrap_or((quoted, ""));
            push(&mut parsed.terms, words(phrase));
            rest = after;
            continue;
        }
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let (token, after) = rest.split_at(end);
        rest = after;
        if let Some(name) = strip_prefix_ignore_case(token, "from:").filter(|n| !n.is_empty()) {
            parsed.from = Some(name.trim_start_matches('@').to_owned());
            continue;
        }
        if let Some(kind) = strip_prefix_ignore_case(token, "has:")
            && ["file", "files", "attachment"]
                .iter()
                .any(|k| kind.eq_ignore_ascii_case(k))
        {
            parsed.has_file = true;
            continue;
        }
        let token_words = words(token);
        if !token_words.is_empty() {
            last_bare = Some(token_words);
        }
    }
    if let Some(mut last) = last_bare {
        if typing {
            parsed.terms.prefix = last.pop();
        }
        push(&mut parsed.terms, last);
    }
    parsed.terms.phrases.truncate(MAX_PARTS);
    parsed
}

fn push(terms: &mut Terms, words: Vec<String>) {
    if !words.is_empty() && !terms.phrases.contains(&words) {
        terms.phrases.push(words);
    }
}

fn strip_prefix_ignore_case<'a>(token: &'a str, prefix: &str) -> Option<&'a str> {
    let head = token.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &token[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn phrases(p: &Parsed) -> Vec<String> {
        p.terms.phrases.iter().map(|w| w.join(" ")).collect()
    }

    #[test]
    fn the_last_word_is_a_prefix_while_it_is_typed() {
        let typed = parse("deploy fri");
        assert_eq!(phrases(&typed), ["deploy"]);
        assert_eq!(typed.terms.prefix.as_deref(), Some("fri"));
        let done = parse("deploy friday ");
        assert_eq!(phrases(&done), ["deploy", "friday"]);
        assert_eq!(done.terms.prefix, None);
    }

    #[test]
    fn quotes_make_a_phrase_and_punctuation_splits_words_as_the_index_does() {
        let p = parse(r#""release notes" example.com"#);
        assert_eq!(phrases(&p), ["release notes", "example"]);
        assert_eq!(p.terms.prefix.as_deref(), Some("com"));
        let p = parse(r#"see "release notes""#);
        assert_eq!(phrases(&p), ["see", "release notes"]);
        assert_eq!(p.terms.prefix, None, "a closed quote is no prefix");
        // An unclosed quote runs to the end.
        assert_eq!(phrases(&parse(r#""half open"#)), ["half open"]);
        assert_eq!(phrases(&parse("e-mail it ")), ["e mail", "it"]);
    }

    #[test]
    fn from_names_the_author_and_is_no_word() {
        let p = parse("from:Ann lunch ");
        assert_eq!(p.from.as_deref(), Some("Ann"));
        assert_eq!(phrases(&p), ["lunch"]);
        assert_eq!(parse("FROM:@bo").from.as_deref(), Some("bo"));
        assert!(parse("from:").from.is_none());
    }

    #[test]
    fn has_file_keeps_messages_with_files_and_is_no_word() {
        let p = parse("has:file report ");
        assert!(p.has_file);
        assert_eq!(phrases(&p), ["report"]);
        assert!(parse("HAS:Files").has_file);
        assert!(!parse("has:nothing").has_file);
        assert_eq!(phrases(&parse("has:nothing ")), ["has nothing"]);
    }

    #[test]
    fn anything_typed_reads_without_panicking_and_within_bounds() {
        for query in [
            "",
            "   ",
            "\"",
            "\"\"",
            "!!! ???",
            "ü🎉ß",
            "from:",
            "a\"b\"c",
            "日本語 テスト",
        ] {
            let p = parse(query);
            assert!(p.terms.phrases.len() <= MAX_PARTS);
        }
        assert!(parse("!!! ???").terms.is_empty());
        assert_eq!(phrases(&parse("日本語 ")), ["日本語"]);
        let many: String = (0..40).map(|i| format!("w{i} ")).collect();
        assert_eq!(parse(&many).terms.phrases.len(), MAX_PARTS);
    }
}
