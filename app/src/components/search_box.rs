//! The search box in the top bar: Ctrl+K (⌘K on a Mac) reaches it from
//! anywhere; results come as you type, grouped by room, best first within
//! each; arrows move, Enter opens the highlighted one at its message, in
//! its room (`/rooms/{id}?seq=S`), Escape closes the list.
//!
//! A combobox over a listbox (`aria-activedescendant`), so focus stays in
//! the box while the arrows move. A search starts a moment after the last
//! key, and an answer to an older query than the one typed is dropped.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::search_messages;
use crate::model::{SearchParams, SearchResult, message_link};
use crate::time::{Shown, Timestamp};

/// Milliseconds after the last key before searching.
const DEBOUNCE_MS: u64 = 200;
const RESULTS: i64 = 20;

/// The results in the order shown: grouped by room, each room where its
/// best result ranked.
fn grouped(results: Vec<SearchResult>) -> Vec<(String, Vec<SearchResult>)> {
    let mut groups: Vec<(i64, String, Vec<SearchResult>)> = Vec::new();
    for result in results {
        match groups.iter_mut().find(|(id, _, _)| *id == result.room.id) {
            Some((_, _, in_room)) => in_room.push(result),
            None => groups.push((result.room.id, result.room.name.clone(), vec![result])),
        }
    }
    groups
        .into_iter()
        .map(|(_, name, results)| (name, results))
        .collect()
}

fn option_id(index: usize) -> String {
    format!("search-option-{index}")
}

#[component]
pub fn SearchBox() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let groups = RwSignal::new(Vec::<(String, Vec<SearchResult>)>::new());
    let open = RwSignal::new(false);
    let highlighted = RwSignal::new(0usize);
    let status = RwSignal::new(String::new());
    let input = NodeRef::<leptos::html::Input>::new();
    let asked = StoredValue::new(0u64);
    let count = move || groups.with(|g| g.iter().map(|(_, r)| r.len()).sum::<usize>());
    let nth = move |index: usize| {
        groups.with(|g| g.iter().flat_map(|(_, r)| r.iter()).nth(index).cloned())
    };

    let search = move |q: String| {
        asked.update_value(|n| *n += 1);
        let mine = asked.get_value();
        if q.trim().is_empty() {
            groups.set(Vec::new());
            status.set(String::new());
            return;
        }
        set_timeout(
            move || {
                // The box may be gone (logged out, or the page left).
                if asked.try_get_value() != Some(mine) {
                    return;
                }
                status.set("Searching…".into());
                spawn_local(async move {
                    let params = SearchParams {
                        q,
                        limit: Some(RESULTS),
                        ..SearchParams::default()
                    };
                    let answer = search_messages(params).await;
                    if asked.try_get_value() != Some(mine) {
                        return;
                    }
                    match answer {
                        Ok(page) => {
                            let found = page.results.len();
                            status.set(match found {
                                0 => "No messages match.".into(),
                                1 => "1 message found.".into(),
                                n => format!("{n} messages found."),
                            });
                            groups.set(grouped(page.results));
                            highlighted.set(0);
                            open.set(true);
                        }
                        Err(e) => {
                            groups.set(Vec::new());
                            status.set(e.message);
                            open.set(true);
                        }
                    }
                });
            },
            std::time::Duration::from_millis(DEBOUNCE_MS),
        );
    };

    let navigate = use_navigate();
    let go = Callback::new(move |index: usize| {
        if let Some(result) = nth(index) {
            open.set(false);
            if let Some(el) = input.get_untracked() {
                let _ = el.blur();
            }
            navigate(
                &message_link(result.room.id, result.message.seq),
                Default::default(),
            );
        }
    });

    // Ctrl+K / ⌘K: to the search box from anywhere.
    let shortcut = window_event_listener(leptos::ev::keydown, move |ev| {
        if (ev.ctrl_key() || ev.meta_key()) && ev.key().eq_ignore_ascii_case("k") {
            ev.prevent_default();
            if let Some(el) = input.get_untracked() {
                let _ = el.focus();
                el.select();
            }
        }
    });
    on_cleanup(move || shortcut.remove());

    let on_key = move |ev: leptos::ev::KeyboardEvent| match ev.key().as_str() {
        "ArrowDown" | "ArrowUp" => {
            ev.prevent_default();
            let n = count();
            if n == 0 {
                return;
            }
            open.set(true);
            highlighted.update(|i| {
                *i = if ev.key() == "ArrowDown" {
                    (*i + 1) % n
                } else {
                    (*i + n - 1) % n
                }
            });
            // The highlighted result, scrolled into a long list's view.
            #[cfg(feature = "hydrate")]
            {
                let id = option_id(highlighted.get_untracked());
                request_animation_frame(move || {
                    if let Some(option) = document().get_element_by_id(&id) {
                        let options = web_sys::ScrollIntoViewOptions::new();
                        options.set_block(web_sys::ScrollLogicalPosition::Nearest);
                        option.scroll_into_view_with_scroll_into_view_options(&options);
                    }
                });
            }
        }
        "Enter" => {
            ev.prevent_default();
            if open.get_untracked() && count() > 0 {
                go.run(highlighted.get_untracked());
            }
        }
        "Escape" if open.get_untracked() => {
            // Used here: not also a room panel's.
            ev.prevent_default();
            open.set(false);
        }
        _ => {}
    };

    view! {
        <form role="search" class="relative order-last w-full sm:order-none sm:w-auto sm:min-w-0 sm:max-w-md sm:flex-1" on:submit=|ev| ev.prevent_default()>
            // "Search", not "Search messages": the composer is the page's "Message".
            <label for="search" class="sr-only">"Search"</label>
            <input
                id="search"
                node_ref=input
                type="search"
                role="combobox"
                autocomplete="off"
                aria-autocomplete="list"
                aria-controls="search-results"
                aria-expanded=move || (open.get() && count() > 0).to_string()
                aria-activedescendant=move || (open.get() && count() > 0).then(|| option_id(highlighted.get()))
                placeholder="Search messages (Ctrl+K)"
                class="w-full rounded-md border border-slate-300 bg-slate-50 px-3 py-1.5 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:bg-surface focus:outline-none focus:ring-2 focus:ring-indigo-500"
                prop:value=move || query.get()
                on:input=move |ev| {
                    let q = event_target_value(&ev);
                    query.set(q.clone());
                    search(q);
                }
                on:keydown=on_key
                on:focus=move |_| open.set(true)
                on:blur=move |_| open.set(false)
            />
            <p class="sr-only" role="status" aria-live="polite">{move || status.get()}</p>
            <Show when=move || open.get() && !query.with(|q| q.trim().is_empty()) && !status.with(String::is_empty)>
                <div tabindex="-1" class="absolute inset-x-0 top-full z-30 mt-1 max-h-[70vh] overflow-y-auto rounded-lg border border-slate-200 bg-surface py-1 text-sm shadow-lg sm:min-w-[28rem]">
                    <Show
                        when=move || { count() > 0 }
                        fallback=move || view! { <p class="px-3 py-2 text-slate-600">{move || status.get()}</p> }
                    >
                        <div id="search-results" role="listbox" aria-label="Search results">
                            {move || {
                                let mut index = 0;
                                groups
                                    .get()
                                    .into_iter()
                                    .map(|(room, results)| {
                                        let options = results
                                            .into_iter()
                                            .map(|result| {
                                                let at = index;
                                                index += 1;
                                                let selected = move || highlighted.get() == at;
                                                view! {
                                                    <div
                                                        id=option_id(at)
                                                        role="option"
                                                        aria-selected=move || selected().to_string()
                                                        class="cursor-pointer px-3 py-1.5"
                                                        class:bg-indigo-100=selected
                                                        // Taken on mousedown, before the box
                                                        // loses focus and closes the list.
                                                        on:mousedown=move |ev| {
                                                            ev.prevent_default();
                                                            go.run(at);
                                                        }
                                                        on:mouseenter=move |_| highlighted.set(at)
                                                    >
                                                        <div class="flex items-baseline gap-2">
                                                            <span class="font-medium text-slate-900">{result.message.author.username.clone()}</span>
                                                            <Timestamp iso=result.message.created_at.clone() shown=Shown::Brief />
                                                        </div>
                                                        // Escaped by the server, our <mark>s only.
                                                        <p class="line-clamp-2 text-slate-700 [&_mark]:rounded [&_mark]:bg-amber-200 [&_mark]:px-0.5 [&_mark]:text-slate-900" inner_html=result.snippet_html.clone()></p>
                                                    </div>
                                                }
                                            })
                                            .collect_view();
                                        view! {
                                            <div role="group" aria-label=room.clone()>
                                                <div role="presentation" class="px-3 pb-0.5 pt-2 text-xs font-semibold uppercase tracking-wide text-slate-600">{room.clone()}</div>
                                                {options}
                                            </div>
                                        }
                                    })
                                    .collect_view()
                            }}
                        </div>
                    </Show>
                </div>
            </Show>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Author, Message, RoomKind, RoomRef};

    fn result(id: i64, room: i64) -> SearchResult {
        SearchResult {
            message: Message {
                id,
                room_id: room,
                seq: id,
                author: Author {
                    id: 1,
                    username: "ann".into(),
                },
                body: String::new(),
                body_html: String::new(),
                created_at: String::new(),
                client_id: None,
                edited_at: None,
                deleted: false,
                reply_to: None,
                reactions: Vec::new(),
                mentions: Vec::new(),
                mentions_room: false,
                attachments: Vec::new(),
            },
            room: RoomRef {
                id: room,
                name: format!("room {room}"),
                kind: RoomKind::Public,
            },
            snippet_html: String::new(),
        }
    }

    #[test]
    fn results_are_grouped_by_room_in_the_order_of_each_rooms_best() {
        let shown = grouped(vec![
            result(1, 7),
            result(2, 8),
            result(3, 7),
            result(4, 9),
            result(5, 8),
        ]);
        let ids: Vec<(String, Vec<i64>)> = shown
            .into_iter()
            .map(|(room, results)| (room, results.iter().map(|r| r.message.id).collect()))
            .collect();
        assert_eq!(
            ids,
            [
                ("room 7".to_owned(), vec![1, 3]),
                ("room 8".to_owned(), vec![2, 5]),
                ("room 9".to_owned(), vec![4]),
            ]
        );
    }
}
