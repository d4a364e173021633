//! The `@` autocomplete of the composer: while the word at the cursor is
//! `@` and the start of a name, the room's members whose names start that
//! way are offered (and `@room` to those who may use it); arrows move,
//! Enter or Tab takes one, Escape closes the list.
//!
//! Which words count as a mention is the server's rule
//! (`server::format::mentioned`); [`query_at`] follows it at the cursor so
//! that a name completed here is one the server will resolve. Offsets are
//! bytes of the text; the DOM counts UTF-16 units, converted at the edge
//! ([`utf16_to_byte`], [`byte_to_utf16`]).

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::room_members;
use crate::limits::{USERNAME_CHARS, is_username_char};

/// Names offered at once, at most.
pub const OFFERED: usize = 8;

/// `@room`: everyone in the room.
pub const ROOM: &str = "room";

/// The `@name` being written at `cursor`: where its `@` is, and the part of
/// the name typed so far (possibly empty). None when the cursor is not in
/// such a word, as after `ann@example` (an address names nobody).
pub fn query_at(text: &str, cursor: usize) -> Option<(usize, &str)> {
    let before = text.get(..cursor)?;
    let at = before.rfind('@')?;
    let typed = &before[at + 1..];
    if typed.chars().count() > *USERNAME_CHARS.end() || !typed.chars().all(is_username_char) {
        return None;
    }
    let starts_word = before[..at]
        .chars()
        .next_back()
        .is_none_or(|p| !(p.is_alphanumeric() || is_username_char(p) || p == '@'));
    starts_word.then_some((at, typed))
}

/// The names to offer for `typed`: those starting with it (ignoring case),
/// shortest first so an exact name leads; `@room` first when allowed.
pub fn offered<'a>(
    names: impl IntoIterator<Item = &'a str>,
    typed: &str,
    room_too: bool,
) -> Vec<String> {
    let typed = typed.to_ascii_lowercase();
    let mut found: Vec<&str> = names
        .into_iter()
        .filter(|name| name.to_ascii_lowercase().starts_with(&typed))
        .collect();
    found.sort_by_key(|name| (name.len(), name.to_ascii_lowercase()));
    let room = (room_too && ROOM.starts_with(&typed)).then_some(ROOM);
    room.into_iter()
        .chain(found)
        .take(OFFERED)
        .map(str::to_owned)
        .collect()
}

/// `text` with the `@name` at `at` (the word up to the cursor and whatever
/// name characters follow it) replaced by `@chosen`, and the cursor after
/// it: past a space, added when the name ends the text.
pub fn complete(text: &str, at: usize, cursor: usize, chosen: &str) -> (String, usize) {
    let rest = &text[cursor..];
    let word_end = cursor
        + rest
            .find(|c: char| !is_username_char(c))
            .unwrap_or(rest.len());
    let after = &text[word_end..];
    let name_end = at + 1 + chosen.len();
    let (after, cursor) = match after.chars().next() {
        None => (" ", name_end + 1),
        Some(c) if c.is_whitespace() => (after, name_end + c.len_utf8()),
        Some(_) => (after, name_end),
    };
    (format!("{}@{chosen}{after}", &text[..at]), cursor)
}

/// The byte offset of a DOM selection offset (UTF-16 units) in `text`.
pub fn utf16_to_byte(text: &str, units: u32) -> usize {
    let mut seen = 0u32;
    for (byte, c) in text.char_indices() {
        if seen >= units {
            return byte;
        }
        seen += c.len_utf16() as u32;
    }
    text.len()
}

/// The DOM selection offset (UTF-16 units) of a byte offset in `text`.
pub fn byte_to_utf16(text: &str, byte: usize) -> u32 {
    text[..byte].chars().map(|c| c.len_utf16() as u32).sum()
}

/// Whose names the composer offers.
#[derive(Clone, Copy)]
pub struct Mentionable {
    pub room_id: i64,
    /// The reader, never offered.
    pub me: i64,
    /// Whether the reader may name `@room` (see `server::services::rules`).
    pub room_too: Signal<bool>,
    /// Bumped when the room's membership may have changed.
    pub changed: Signal<u32>,
}

/// The picker's state: the `@name` at the cursor and the names it offers.
/// The room's members are fetched the first time an `@` is typed, and
/// again after the membership changed.
#[derive(Clone, Copy)]
pub struct Picker {
    source: Mentionable,
    members: RwSignal<Option<Vec<String>>>,
    loading: StoredValue<bool>,
    /// `(at, cursor, typed)`, bytes of the text.
    query: RwSignal<Option<(usize, usize, String)>>,
    /// The `@name` whose list Escape closed: not offered again until the
    /// name changes.
    dismissed: StoredValue<Option<(usize, String)>>,
    pub highlighted: RwSignal<usize>,
    pub names: Memo<Vec<String>>,
}

impl Picker {
    pub fn new(source: Mentionable) -> Self {
        let members = RwSignal::new(None::<Vec<String>>);
        let query = RwSignal::new(None::<(usize, usize, String)>);
        let names = Memo::new(move |_| {
            query.with(|query| {
                let Some((_, _, typed)) = query else {
                    return Vec::new();
                };
                members.with(|members| {
                    let names = members.iter().flatten().map(String::as_str);
                    offered(names, typed, source.room_too.get())
                })
            })
        });
        let picker = Picker {
            source,
            members,
            loading: StoredValue::new(false),
            query,
            dismissed: StoredValue::new(None),
            highlighted: RwSignal::new(0),
            names,
        };
        // Someone joined or left: the next `@` asks again.
        Effect::new(move |previous: Option<u32>| {
            let now = source.changed.get();
            if previous.is_some_and(|previous| previous != now) {
                members.set(None);
                if query.with_untracked(Option::is_some) {
                    picker.load();
                }
            }
            now
        });
        picker
    }

    fn load(self) {
        if self.loading.get_value() {
            return;
        }
        self.loading.set_value(true);
        let Mentionable { room_id, me, .. } = self.source;
        spawn_local(async move {
            if let Ok(list) = room_members(room_id).await {
                let names = list
                    .into_iter()
                    .filter(|member| member.user.id != me)
                    .map(|member| member.user.username)
                    .collect();
                self.members.try_set(Some(names));
            }
            self.loading.try_set_value(false);
        });
    }

    /// The text changed or the cursor moved (`cursor` in UTF-16 units).
    pub fn follow(self, text: &str, cursor: u32) {
        let cursor = utf16_to_byte(text, cursor);
        let found = query_at(text, cursor);
        let dismissed = self.dismissed.with_value(|dismissed| {
            dismissed
                .as_ref()
                .zip(found)
                .is_some_and(|((d_at, d_typed), (at, typed))| *d_at == at && d_typed == typed)
        });
        if !dismissed {
            self.dismissed.set_value(None);
        }
        let found = found
            .filter(|_| !dismissed)
            .map(|(at, typed)| (at, cursor, typed.to_owned()));
        if found.is_some() && self.members.with_untracked(Option::is_none) {
            self.load();
        }
        if self
            .query
            .with_untracked(|q| q.as_ref().map(|q| &q.2) != found.as_ref().map(|f| &f.2))
        {
            self.highlighted.set(0);
        }
        self.query.set(found);
    }

    pub fn close(self) {
        self.query.set(None);
    }

    pub fn is_open(self) -> bool {
        self.names.with(|names| !names.is_empty())
    }

    /// `text` with `chosen` completed at the query, and the cursor (UTF-16
    /// units) after it; the list closes.
    pub fn take(self, text: &str, chosen: &str) -> Option<(String, u32)> {
        let (at, cursor, _) = self.query.get_untracked()?;
        self.close();
        let (text, cursor) = complete(text, at, cursor, chosen);
        let units = byte_to_utf16(&text, cursor);
        Some((text, units))
    }

    /// A key pressed in the textarea while the list is open: what it means
    /// to the list, if anything (the caller then prevents its default).
    pub fn key(self, key: &str) -> Option<Key> {
        let count = self.names.with_untracked(Vec::len);
        if count == 0 {
            return None;
        }
        let at = self.highlighted.get_untracked();
        match key {
            "ArrowDown" => self.highlighted.set((at + 1) % count),
            "ArrowUp" => self.highlighted.set((at + count - 1) % count),
            "Enter" | "Tab" => {
                return self
                    .names
                    .with_untracked(|names| names.get(at).cloned())
                    .map(Key::Take);
            }
            "Escape" => {
                let query = self.query.get_untracked();
                self.dismissed
                    .set_value(query.map(|(at, _, typed)| (at, typed)));
                self.close();
            }
            _ => return None,
        }
        Some(Key::Moved)
    }
}

/// What a key did to the list.
pub enum Key {
    /// The highlight moved, or the list closed.
    Moved,
    /// This name is to be completed.
    Take(String),
}

/// The list over the composer: a listbox the textarea drives through
/// `aria-activedescendant` (focus stays in the text).
#[component]
pub fn MentionList(
    /// The names offered (empty: no list).
    #[prop(into)]
    names: Signal<Vec<String>>,
    /// Which one Enter would take.
    highlighted: RwSignal<usize>,
    /// A name clicked.
    choose: Callback<String>,
) -> impl IntoView {
    view! {
        <Show when=move || names.with(|names| !names.is_empty())>
            <ul
                id="mention-list"
                role="listbox"
                aria-label="People to mention"
                class="flex max-h-56 flex-col overflow-y-auto rounded-lg border border-slate-200 bg-surface py-1 text-sm shadow-lg"
            >
                {move || names
                    .get()
                    .into_iter()
                    .enumerate()
                    .map(|(index, name)| {
                        let selected = move || highlighted.get() == index;
                        let hint = (name == ROOM).then_some("everyone in this room");
                        let chosen = name.clone();
                        view! {
                            <li
                                id=option_id(index)
                                role="option"
                                aria-selected=move || selected().to_string()
                                class="flex cursor-pointer items-baseline gap-2 px-3 py-1.5"
                                class:bg-indigo-100=selected
                                // Taken on mousedown, before the textarea
                                // would lose focus.
                                on:mousedown=move |ev| {
                                    ev.prevent_default();
                                    choose.run(chosen.clone());
                                }
                                on:mouseenter=move |_| highlighted.set(index)
                            >
                                <span class="font-medium text-slate-900">"@" {name}</span>
                                {hint.map(|hint| view! { <span class="text-xs text-slate-600">{hint}</span> })}
                            </li>
                        }
                    })
                    .collect_view()}
            </ul>
        </Show>
    }
}

pub fn option_id(index: usize) -> String {
    format!("mention-option-{index}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_word_at_the_cursor_is_a_mention_being_written() {
        assert_eq!(query_at("@", 1), Some((0, "")));
        assert_eq!(query_at("hi @an", 6), Some((3, "an")));
        assert_eq!(query_at("hi @an there", 6), Some((3, "an")));
        assert_eq!(query_at("(@bo.x", 6), Some((1, "bo.x")));
        // The cursor moved past the name, or the name was never one.
        assert_eq!(query_at("hi @an there", 12), None);
        assert_eq!(query_at("ann@example", 11), None);
        assert_eq!(query_at("@@a", 3), None);
        assert_eq!(query_at("no mention", 10), None);
        assert_eq!(query_at(&format!("@{}", "a".repeat(33)), 34), None);
        // Not at a character boundary: nothing, rather than a panic.
        assert_eq!(query_at("é@a", 1), None);
    }

    #[test]
    fn names_are_offered_by_their_start_shortest_first_room_when_allowed() {
        let names = ["bob", "Bo", "bobby", "ann", "bo.b"];
        assert_eq!(offered(names, "bo", false), ["Bo", "bob", "bo.b", "bobby"]);
        assert_eq!(offered(names, "BOB", false), ["bob", "bobby"]);
        assert_eq!(offered(names, "r", true), ["room"]);
        assert_eq!(offered(names, "r", false), Vec::<String>::new());
        assert_eq!(offered(names, "", true)[0], "room");
        let many: Vec<String> = (0..20).map(|n| format!("user{n:02}")).collect();
        assert_eq!(
            offered(many.iter().map(String::as_str), "user", false).len(),
            OFFERED
        );
    }

    #[test]
    fn a_chosen_name_replaces_the_word_and_the_cursor_follows_it() {
        assert_eq!(complete("hi @an", 3, 6, "ann"), ("hi @ann ".into(), 8));
        // The rest of a word being corrected goes; what follows it stays.
        assert_eq!(complete("@bo there", 0, 2, "bob"), ("@bob there".into(), 5));
        assert_eq!(complete("@bxy, ok", 0, 2, "bob"), ("@bob, ok".into(), 4));
        assert_eq!(complete("é @", 3, 4, "room"), ("é @room ".into(), 9));
    }

    #[test]
    fn dom_offsets_count_utf16_units() {
        let text = "😀 @a";
        assert_eq!(utf16_to_byte(text, 0), 0);
        assert_eq!(utf16_to_byte(text, 2), 4);
        assert_eq!(utf16_to_byte(text, 5), text.len());
        assert_eq!(utf16_to_byte(text, 99), text.len());
        assert_eq!(byte_to_utf16(text, text.len()), 5);
        assert_eq!(byte_to_utf16(text, 5), 3);
    }
}
