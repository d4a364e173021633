//! Message formatting: the body as the author typed it, turned into the
//! safe HTML every client shows (`body_html`).
//!
//! Bodies are stored exactly as sent; this renders a chat's subset of
//! Markdown once, on the server, so the WASM bundle carries no Markdown
//! parser and every client shows the same thing. Bold, italic, strike,
//! inline code, code blocks, quotes, lists and links (typed URLs become
//! links too); a line break is a line break, as in every chat. What a
//! chat must not show is dropped or shown as text: raw HTML in the body is
//! text (`<b>` shows as typed), images become links, headings plain
//! paragraphs. The result then passes through ammonia with a list of
//! allowed tags and URL schemes, so even a mistake in the rules above
//! cannot put a script, an event handler or a `javascript:` URL on a page.
//!
//! `@name` in text (not in code, not in a link) is a mention: [`mentioned`]
//! finds the names, the services resolve them to people, and [`render_with`]
//! shows those as mentions (`<span class="mention" data-mention="id">`), so
//! the reader's page knows who is named without knowing the names.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd};

/// What a rendered message may contain, and nothing else.
static CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut cleaner = ammonia::Builder::empty();
    cleaner
        .add_tags([
            "p",
            "br",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "hr",
            "span",
        ])
        .add_tag_attributes("a", ["href"])
        .add_tag_attributes("span", ["data-mention"])
        .add_allowed_classes("span", ["mention"])
        .add_tag_attributes("ol", ["start"])
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("noopener noreferrer nofollow ugc"))
        .set_tag_attribute_value("a", "target", "_blank");
    cleaner
});

/// The body as safe HTML.
pub fn render(body: &str) -> String {
    render_with(body, &Mentions::default())
}

/// `@room`: everyone in the room.
pub const ROOM: &str = "room";

/// The names a body mentions, as username keys (lower case), and whether
/// it mentions `@room`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mentioned {
    pub names: BTreeSet<String>,
    pub room: bool,
}

/// Who the mentions of a body are, as resolved: username key → (user id,
/// username); and whether `@room` counts.
#[derive(Clone, Debug, Default)]
pub struct Mentions {
    pub people: HashMap<String, (i64, String)>,
    pub room: bool,
}

impl Mentions {
    fn is_empty(&self) -> bool {
        self.people.is_empty() && !self.room
    }
}

/// The `@name`s in the body's text, where [`render_with`] would show them.
pub fn mentioned(body: &str) -> Mentioned {
    let mut found = Mentioned::default();
    if !body.contains('@') {
        return found;
    }
    let mut in_code = false;
    let mut in_link = 0usize;
    for event in Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => in_code = true,
            Event::End(TagEnd::CodeBlock) => in_code = false,
            Event::Start(Tag::Link { .. } | Tag::Image { .. }) => in_link += 1,
            Event::End(TagEnd::Link | TagEnd::Image) => in_link = in_link.saturating_sub(1),
            Event::Text(text) if !in_code && in_link == 0 => {
                // What `autolink` leaves as text: an address's `@` is no one.
                for part in outside_urls(&text) {
                    for (at, ends) in mention_spans(part) {
                        for end in ends {
                            match key(part, at, end) {
                                name if name == ROOM => found.room = true,
                                name => {
                                    found.names.insert(name);
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    found
}

/// Where `@name` may be in `text`: the `@`'s offset, and where the name
/// may end, longest first (a name followed by a full stop ends before it,
/// unless someone's name has the stop). A mention starts the text or
/// follows a character that cannot be part of a word or an address (so
/// `ann@example.com` names nobody).
fn mention_spans(text: &str) -> Vec<(usize, Vec<usize>)> {
    let mut spans = Vec::new();
    let mut previous: Option<char> = None;
    for (at, c) in text.char_indices() {
        let starts = c == '@'
            && !previous.is_some_and(|p| {
                p.is_alphanumeric() || crate::limits::is_username_char(p) || p == '@'
            });
        previous = Some(c);
        if !starts {
            continue;
        }
        let name = &text[at + 1..];
        let full = name
            .find(|c: char| !crate::limits::is_username_char(c))
            .unwrap_or(name.len());
        let trimmed = name[..full].trim_end_matches('.').len();
        let ends: Vec<usize> = [full, trimmed]
            .into_iter()
            .filter(|&len| {
                crate::limits::USERNAME_CHARS.contains(&len)
                    || name[..len].eq_ignore_ascii_case(ROOM)
            })
            .map(|len| at + 1 + len)
            .collect::<BTreeSet<usize>>()
            .into_iter()
            .rev()
            .collect();
        if !ends.is_empty() {
            spans.push((at, ends));
        }
    }
    spans
}

/// The name from `@` at `at` to `end`, as a key.
fn key(text: &str, at: usize, end: usize) -> String {
    text[at + 1..end].to_ascii_lowercase()
}

/// The body as safe HTML, with the resolved mentions shown as such.
pub fn render_with(body: &str, mentions: &Mentions) -> String {
    if is_plain(body) && (mentions.is_empty() || !body.contains('@')) {
        // Nothing to format and nothing to escape: most chat lines. Every
        // post is rendered, and this skips the parser and the cleaner
        // (tested to give the same answer as the full path).
        return format!("<p>{body}</p>\n");
    }
    render_markdown_with(body, mentions)
}

/// Text that no rule below would change: one line of letters, digits,
/// spaces and punctuation that is neither Markdown, HTML nor part of an
/// address, starting with a letter or digit but not as a numbered list
/// item does (`1.`, `2)`), and not ending in a space.
fn is_plain(body: &str) -> bool {
    let after_digits = body.trim_start_matches(|c: char| c.is_ascii_digit());
    body.chars().next().is_some_and(char::is_alphanumeric)
        && !(after_digits.len() < body.len() && after_digits.starts_with(['.', ')']))
        && !body.ends_with(' ')
        && body
            .chars()
            .all(|c| c.is_alphanumeric() || PLAIN_PUNCTUATION.contains(c))
}

/// Punctuation that formats nothing inside a line of text.
const PLAIN_PUNCTUATION: &str = " .,?'()/;%$@-+=";

#[cfg(test)]
fn render_markdown(body: &str) -> String {
    render_markdown_with(body, &Mentions::default())
}

fn render_markdown_with(body: &str, mentions: &Mentions) -> String {
    let parser = Parser::new_ext(body, Options::ENABLE_STRIKETHROUGH);
    let mut events = Vec::new();
    let mut in_code_block = false;
    let mut in_link = 0usize;
    for event in parser {
        match event {
            Event::Start(Tag::CodeBlock(_)) => {
                in_code_block = true;
                events.push(event);
            }
            Event::End(TagEnd::CodeBlock) => {
                in_code_block = false;
                events.push(event);
            }
            // Markup typed in a message is text, shown as typed, line by
            // line; a block of it is a paragraph like any other.
            Event::Start(Tag::HtmlBlock) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::HtmlBlock) => events.push(Event::End(TagEnd::Paragraph)),
            Event::Html(html) => {
                let lines = html.trim_end_matches('\n');
                for (i, line) in lines.split('\n').enumerate() {
                    if i > 0 {
                        events.push(Event::HardBreak);
                    }
                    events.push(Event::Text(CowStr::from(line.to_owned())));
                }
            }
            Event::InlineHtml(html) => events.push(Event::Text(html)),
            Event::SoftBreak => events.push(Event::HardBreak),
            Event::Start(Tag::Heading { .. }) => events.push(Event::Start(Tag::Paragraph)),
            Event::End(TagEnd::Heading(_)) => events.push(Event::End(TagEnd::Paragraph)),
            // No images in a chat line: the picture's address, as a link.
            Event::Start(Tag::Image {
                dest_url, title, ..
            }) => {
                in_link += 1;
                events.push(Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                }))
            }
            Event::End(TagEnd::Image) => {
                in_link = in_link.saturating_sub(1);
                events.push(Event::End(TagEnd::Link));
            }
            Event::Start(Tag::Link { .. }) => {
                in_link += 1;
                events.push(event);
            }
            Event::End(TagEnd::Link) => {
                in_link = in_link.saturating_sub(1);
                events.push(event);
            }
            // Code is shown as typed: no links in it. A link's text names
            // nobody ([`mentioned`] skips it too).
            Event::Text(text) if !in_code_block => {
                let mentions = if in_link > 0 { &NO_MENTIONS } else { mentions };
                autolink(text, mentions, &mut events)
            }
            other => events.push(other),
        }
    }
    let mut html = String::with_capacity(body.len() + body.len() / 2 + 16);
    pulldown_cmark::html::push_html(&mut html, unlink_nested(events).into_iter());
    CLEANER.clean(&html).to_string()
}

/// Splits text so that each `http://` or `https://` address in it becomes a
/// link. Punctuation that usually ends a sentence is not part of the link.
/// The parts of `text` that `autolink` leaves as text.
fn outside_urls(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut rest = text;
    while let Some(start) = find_url(rest) {
        parts.push(&rest[..start]);
        let (end, url) = url_at(&rest[start..]);
        let taken = if url.len() <= "https://".len() {
            end
        } else {
            url.len()
        };
        rest = &rest[start + taken..];
    }
    parts.push(rest);
    parts
}

/// Where a candidate address at the start of `candidate` ends (the next
/// space or markup character), and the address itself, without the
/// punctuation that usually ends a sentence.
fn url_at(candidate: &str) -> (usize, &str) {
    let end = candidate
        .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"'))
        .unwrap_or(candidate.len());
    let url = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', '\'']);
    (end, url)
}

fn autolink<'a>(text: CowStr<'a>, mentions: &Mentions, events: &mut Vec<Event<'a>>) {
    let mut rest: &str = &text;
    let mut plain = String::new();
    while let Some(start) = find_url(rest) {
        plain.push_str(&rest[..start]);
        let candidate = &rest[start..];
        let (end, url) = url_at(candidate);
        if url.len() <= "https://".len() {
            plain.push_str(&candidate[..end]);
            rest = &candidate[end..];
            continue;
        }
        if !plain.is_empty() {
            push_text(std::mem::take(&mut plain), mentions, events);
        }
        let url = url.to_owned();
        events.push(Event::Start(Tag::Link {
            link_type: LinkType::Autolink,
            dest_url: CowStr::from(url.clone()),
            title: CowStr::Borrowed(""),
            id: CowStr::Borrowed(""),
        }));
        events.push(Event::Text(CowStr::from(url.clone())));
        events.push(Event::End(TagEnd::Link));
        rest = &candidate[url.len()..];
    }
    plain.push_str(rest);
    if !plain.is_empty() {
        push_text(plain, mentions, events);
    }
}

static NO_MENTIONS: LazyLock<Mentions> = LazyLock::new(Mentions::default);

/// Text, with each resolved mention in it as a mention (names nobody has
/// stay text).
fn push_text(text: String, mentions: &Mentions, events: &mut Vec<Event<'_>>) {
    let mut rest = 0;
    for (at, ends) in mention_spans(&text) {
        let found = ends.into_iter().find_map(|end| match key(&text, at, end) {
            name if name == ROOM => mentions.room.then(|| {
                let html = format!("<span class=\"mention\" data-mention=\"room\">@{ROOM}</span>");
                (end, html)
            }),
            // Usernames hold only letters, digits, `_`, `.` and `-`:
            // nothing to escape.
            name => mentions.people.get(&name).map(|(id, username)| {
                let html =
                    format!("<span class=\"mention\" data-mention=\"{id}\">@{username}</span>");
                (end, html)
            }),
        });
        let Some((end, html)) = found else { continue };
        if at > rest {
            events.push(Event::Text(CowStr::from(text[rest..at].to_owned())));
        }
        events.push(Event::InlineHtml(CowStr::from(html)));
        rest = end;
    }
    if rest < text.len() {
        events.push(Event::Text(CowStr::from(text[rest..].to_owned())));
    }
}

fn find_url(text: &str) -> Option<usize> {
    match (text.find("https://"), text.find("http://")) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// A typed address inside a link's text (`[see https://x](https://y)`)
/// would nest a link in a link; inside a link, its text stays text.
fn unlink_nested(events: Vec<Event<'_>>) -> Vec<Event<'_>> {
    let mut depth = 0usize;
    let mut out = Vec::with_capacity(events.len());
    for event in events {
        match &event {
            Event::Start(Tag::Link { .. }) => {
                depth += 1;
                if depth > 1 {
                    continue;
                }
            }
            Event::End(TagEnd::Link) => {
                depth = depth.saturating_sub(1);
                if depth > 0 {
                    continue;
                }
            }
            _ => {}
        }
        out.push(event);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::{Mentioned, Mentions, is_plain, mentioned, render, render_markdown, render_with};
    use proptest::prelude::*;
    use proptest::test_runner::{Config, RngSeed, TestRunner};

    #[test]
    fn plain_lines_skip_the_parser_and_render_the_same() {
        // Fixed seed: every run checks the same cases.
        let mut runner = TestRunner::new(Config {
            cases: 4000,
            rng_seed: RngSeed::Fixed(0xf0_4d_a7),
            failure_persistence: None,
            ..Config::default()
        });
        // Words, spaces and plain punctuation, mixed with every kind of
        // character and sequence that formats.
        let token = prop_oneof![
            4 => "[a-zA-Zé0-9]{1,6}",
            3 => Just(" ".to_owned()),
            2 => "[.,?'()/;%$@+=-]",
            2 => "[*_~`<>\\[\\]!#&|:\"\n\t\\\\]",
            1 => prop_oneof![
                Just("https://x.example/a".to_owned()),
                Just("**".to_owned()),
                Just(" _em_".to_owned()),
                Just("~~s~~".to_owned()),
                Just("1. ".to_owned()),
                Just("12) ".to_owned()),
                Just("3.".to_owned()),
                Just("- ".to_owned()),
                Just("<b>".to_owned()),
                Just("&amp;".to_owned()),
                Just("    ".to_owned()),
            ],
        ];
        let bodies = proptest::collection::vec(token, 0..10).prop_map(|t| t.concat());
        runner
            .run(&bodies, |body| {
                prop_assert_eq!(render(&body), render_markdown(&body), "{:?}", body);
                Ok(())
            })
            .unwrap();
        assert!(is_plain("Deploy done, see you at 5 (or 6)."));
        assert!(is_plain("1699999999 xxxx") && is_plain("2nd try"));
        assert!(!is_plain("1) first") && !is_plain("12.") && !is_plain("(a)"));
        assert!(!is_plain("1. first") && !is_plain("- item") && !is_plain("http://x"));
        assert!(!is_plain("a *b*") && !is_plain("a  ") && !is_plain("a\nb") && !is_plain("a & b"));
    }

    fn people(names: &[(&str, i64)], room: bool) -> Mentions {
        Mentions {
            people: names
                .iter()
                .map(|(name, id)| (name.to_ascii_lowercase(), (*id, (*name).to_owned())))
                .collect(),
            room,
        }
    }

    #[test]
    fn mentions_are_names_in_text_not_in_code_links_or_addresses() {
        let found = mentioned(
            "hi @Ann and @bob.smith. @room, mail ann@example.com `@cyd` [@dee](https://x.example) @x @ann https://social.example/@eve",
        );
        assert_eq!(
            found.names.into_iter().collect::<Vec<_>>(),
            ["ann", "bob.smith", "bob.smith."]
        );
        assert!(found.room);
        assert_eq!(mentioned("```\n@ann\n```"), Mentioned::default());
        assert_eq!(mentioned("no one here"), Mentioned::default());
    }

    #[test]
    fn resolved_mentions_render_as_such_and_the_rest_stays_text() {
        let known = people(&[("Ann", 4), ("bob.smith", 5)], true);
        assert_eq!(
            render_with("hi @ann and @bob.smith. @cyd", &known),
            "<p>hi <span class=\"mention\" data-mention=\"4\">@Ann</span> and \
             <span class=\"mention\" data-mention=\"5\">@bob.smith</span>. @cyd</p>\n"
        );
        assert_eq!(
            render_with("@room lunch", &known),
            "<p><span class=\"mention\" data-mention=\"room\">@room</span> lunch</p>\n"
        );
        // @room that does not count (not a moderator) is text.
        assert_eq!(
            render_with("@room lunch", &people(&[], false)),
            "<p>@room lunch</p>\n"
        );
        // In code or a link, a name is text.
        assert_eq!(
            render_with("`@ann` [@ann](https://x.example)", &known),
            "<p><code>@ann</code> <a href=\"https://x.example\" target=\"_blank\" \
             rel=\"noopener noreferrer nofollow ugc\">@ann</a></p>\n"
        );
        assert_only_allowed_markup(&render_with("**@ann** <b>@ann</b>", &known));
        // An address is a link, not a mention, in what is found and shown.
        let profile = render_with("https://social.example/@ann", &known);
        assert!(!profile.contains("mention"), "{profile}");
        assert!(mentioned("https://social.example/@ann").names.is_empty());
    }

    #[test]
    fn the_chat_subset_of_markdown() {
        assert_eq!(
            render("**bold** and *it*"),
            "<p><strong>bold</strong> and <em>it</em></p>\n"
        );
        assert_eq!(
            render("~~gone~~ `x < y`"),
            "<p><del>gone</del> <code>x &lt; y</code></p>\n"
        );
        assert_eq!(render("one\ntwo"), "<p>one<br>\ntwo</p>\n");
        assert_eq!(
            render("> quoted"),
            "<blockquote>\n<p>quoted</p>\n</blockquote>\n"
        );
        assert_eq!(render("- a\n- b"), "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n");
        assert_eq!(
            render("```\nfn main() {}\n```"),
            "<pre><code>fn main() {}\n</code></pre>\n"
        );
        assert_eq!(render("# Not a heading"), "<p>Not a heading</p>\n");
        assert_eq!(
            render("```\ncurl https://x.example\n```"),
            "<pre><code>curl https://x.example\n</code></pre>\n"
        );
    }

    #[test]
    fn links_typed_or_written_open_safely_elsewhere() {
        let rel = r#"rel="noopener noreferrer nofollow ugc""#;
        assert_eq!(
            render("see https://example.com/a?b=1."),
            format!(
                "<p>see <a href=\"https://example.com/a?b=1\" target=\"_blank\" {rel}>https://example.com/a?b=1</a>.</p>\n"
            )
        );
        assert_eq!(
            render("[docs](https://docs.rs)"),
            format!("<p><a href=\"https://docs.rs\" target=\"_blank\" {rel}>docs</a></p>\n")
        );
        // An address in a link's own text is not a second link.
        assert_eq!(
            render("[https://a.example](https://b.example)")
                .matches("<a ")
                .count(),
            1
        );
    }

    #[test]
    fn markup_scripts_and_dangerous_urls_never_reach_the_page() {
        for (body, forbidden) in [
            ("<script>alert(1)</script>", "<script"),
            ("<img src=x onerror=alert(1)>", "<img"),
            ("<b onclick=alert(1)>hi</b>", "<b"),
            ("[click](javascript:alert(1))", "javascript:"),
            ("[click](JaVaScRiPt:alert(1))", "avascript:"),
            ("![cat](javascript:alert(1))", "javascript:"),
            ("<a href=\"javascript:alert(1)\">x</a>", "<a"),
            ("[x](data:text/html;base64,PHNjcmlwdD4=)", "data:"),
            ("<iframe src=https://evil.example>", "<iframe"),
            ("<style>body{display:none}</style>", "<style"),
        ] {
            let html = render(body);
            assert!(
                !html.to_ascii_lowercase().contains(forbidden),
                "{body} → {html}"
            );
            assert_only_allowed_markup(&html);
        }
        // Raw HTML is shown as typed, not dropped.
        assert_eq!(render("<b>bold</b>"), "<p>&lt;b&gt;bold&lt;/b&gt;</p>\n");
        // Images are links to the picture, never pictures.
        let image = render("![cat](https://example.com/cat.png)");
        assert!(
            !image.contains("<img") && image.contains("href=\"https://example.com/cat.png\""),
            "{image}"
        );
    }

    #[test]
    fn any_text_renders_without_panicking_and_stays_clean() {
        for body in [
            "",
            "   ",
            "\u{0}",
            "*",
            "**",
            "`",
            "[",
            "](",
            "http://",
            "https:// x",
            "<",
            "&amp;",
            "🙂 *é*",
            "<div\nonclick=x>",
            "<!-- x -->",
            "<?php ?>",
            "[a](<javascript:x>)",
        ] {
            assert_only_allowed_markup(&render(body));
        }
    }

    /// Every tag in `html` is one a message may hold, with only the
    /// attributes it may carry: no event handlers, no styles, no sources.
    fn assert_only_allowed_markup(html: &str) {
        const TAGS: [&str; 14] = [
            "span",
            "p",
            "br",
            "strong",
            "em",
            "del",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
            "a",
            "hr",
        ];
        for tag in html.split('<').skip(1) {
            let inside = tag.split('>').next().unwrap_or_default();
            // Attribute values (quoted) are not names.
            let unquoted: String = inside.split('"').step_by(2).collect::<Vec<_>>().join("");
            let mut parts = unquoted.trim_start_matches('/').split_whitespace();
            let name = parts.next().unwrap_or_default();
            assert!(TAGS.contains(&name), "<{name}> in {html}");
            for attribute in parts {
                let attribute = attribute.split('=').next().unwrap_or_default();
                assert!(
                    ["href", "target", "rel", "start", "class", "data-mention"]
                        .contains(&attribute),
                    "attribute {attribute} in {html}"
                );
            }
        }
    }
}
