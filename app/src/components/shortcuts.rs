//! The keys that work anywhere: Alt+↑/↓ to the previous or next room,
//! with Shift to the previous or next room with unread messages, and `?`
//! for the list of every shortcut (a dialog, also opened from the top bar).
//! Keys that belong to one place (Enter in the composer, Ctrl+K for
//! search, Escape in a panel) are handled there and only listed here.
//!
//! Rooms are taken from the room list on the page, in the order it shows
//! them (`data-room-link`), so the keys follow what the reader sees.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// Whether the list of shortcuts is open; shared by the top bar's button
/// and the dialog.
#[derive(Clone, Copy)]
pub struct ShortcutsOpen(pub RwSignal<bool>);

impl ShortcutsOpen {
    pub fn provide() {
        provide_context(Self(RwSignal::new(false)));
    }

    pub fn get() -> Self {
        expect_context()
    }
}

/// The room `down` (or up) from `current` among `rooms` (`(href,
/// unread)`, in the list's order), only unread ones if `unread_only`.
/// From no room (the rooms page), down is the first and up the last. The
/// list does not wrap.
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub fn step<'a>(
    rooms: &'a [(String, bool)],
    current: Option<&str>,
    down: bool,
    unread_only: bool,
) -> Option<&'a str> {
    let at = current.and_then(|current| rooms.iter().position(|(href, _)| href == current));
    let candidates: Box<dyn Iterator<Item = &(String, bool)>> = match (at, down) {
        (Some(at), true) => Box::new(rooms.iter().skip(at + 1)),
        (Some(at), false) => Box::new(rooms[..at].iter().rev()),
        (None, true) => Box::new(rooms.iter()),
        (None, false) => Box::new(rooms.iter().rev()),
    };
    candidates
        .filter(|(_, unread)| !unread_only || *unread)
        .map(|(href, _)| href.as_str())
        .next()
}

/// The rooms the page lists, in order, and whether each has unread
/// messages.
#[cfg(feature = "hydrate")]
fn listed_rooms() -> Vec<(String, bool)> {
    let Ok(links) = document().query_selector_all("a[data-room-link]") else {
        return Vec::new();
    };
    (0..links.length())
        .filter_map(|i| links.item(i))
        .filter_map(|node| wasm_bindgen::JsCast::dyn_into::<web_sys::Element>(node).ok())
        .filter_map(|link| {
            let href = link.get_attribute("href")?;
            let unread = link.get_attribute("data-unread").as_deref() == Some("true");
            Some((href, unread))
        })
        .collect()
}

/// Whether a key press is typing: in a text field, `?` is a character.
#[cfg(feature = "hydrate")]
fn in_a_field(ev: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    ev.target()
        .and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok())
        .is_some_and(|el| {
            matches!(el.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT")
                || el.is_content_editable()
        })
}

/// The page-wide keys, and the dialog that lists every shortcut.
#[component]
pub fn KeyboardShortcuts() -> impl IntoView {
    let open = ShortcutsOpen::get().0;
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let navigate = use_navigate();
    let keys = window_event_listener(leptos::ev::keydown, move |ev| {
        // Used already (a list's highlight, a dialog): not a shortcut.
        if ev.default_prevented() || open.get_untracked() {
            return;
        }
        #[cfg(feature = "hydrate")]
        {
            let arrow = match ev.key().as_str() {
                "ArrowUp" => Some(false),
                "ArrowDown" => Some(true),
                _ => None,
            };
            if let Some(down) = arrow
                && ev.alt_key()
                && !ev.ctrl_key()
                && !ev.meta_key()
            {
                ev.prevent_default();
                let rooms = listed_rooms();
                let here = window().location().pathname().ok();
                if let Some(href) = step(&rooms, here.as_deref(), down, ev.shift_key()) {
                    navigate(href, Default::default());
                }
            } else if ev.key() == "?" && !ev.ctrl_key() && !ev.alt_key() && !in_a_field(&ev) {
                ev.prevent_default();
                open.set(true);
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (ev, &navigate);
    });
    on_cleanup(move || keys.remove());
    // A modal <dialog>: the browser keeps focus inside it, closes it on
    // Escape and gives focus back to where it was.
    Effect::new(move |_| {
        let Some(dialog) = dialog.get() else { return };
        if open.get() {
            if !dialog.open() {
                let _ = dialog.show_modal();
            }
        } else if dialog.open() {
            dialog.close();
        }
    });
    let row = |keys: &'static [&'static str], what: &'static str| {
        view! {
            <div class="flex items-baseline justify-between gap-4 py-1.5">
                <dt class="text-slate-700">{what}</dt>
                <dd class="flex shrink-0 gap-1">
                    {keys.iter().map(|key| view! {
                        <kbd class="rounded border border-slate-300 bg-slate-50 px-1.5 py-0.5 font-mono text-xs text-slate-800">{*key}</kbd>
                    }).collect_view()}
                </dd>
            </div>
        }
    };
    view! {
        <dialog
            node_ref=dialog
            aria-labelledby="shortcuts-heading"
            class="m-auto w-[min(28rem,calc(100vw-2rem))] rounded-xl bg-surface p-5 text-slate-900 shadow-xl backdrop:bg-[#020617]/60"
            on:close=move |_| open.set(false)
            // The browser closes it on Escape; nothing behind it should
            // hear that Escape too.
            on:keydown=move |ev| {
                if ev.key() == "Escape" {
                    ev.stop_propagation();
                }
            }
        >
            <div class="mb-3 flex items-center justify-between">
                <h2 id="shortcuts-heading" class="text-lg font-semibold">"Keyboard shortcuts"</h2>
                <button
                    type="button"
                    class="rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    on:click=move |_| open.set(false)
                >
                    "Close"
                </button>
            </div>
            <dl class="divide-y divide-slate-200 text-sm">
                {row(&["Alt", "↑"], "Previous room")}
                {row(&["Alt", "↓"], "Next room")}
                {row(&["Alt", "Shift", "↑"], "Previous room with unread messages")}
                {row(&["Alt", "Shift", "↓"], "Next room with unread messages")}
                {row(&["Ctrl", "K"], "Search messages")}
                {row(&["Enter"], "Send the message")}
                {row(&["Shift", "Enter"], "New line in the message")}
                {row(&["↑"], "Edit your last message (in an empty message box)")}
                {row(&["Esc"], "Cancel a reply or an edit; close a panel or dialog")}
                {row(&["?"], "Show these shortcuts")}
            </dl>
        </dialog>
    }
}

/// The top bar's way to the list, for those who do not know `?`.
#[component]
pub fn ShortcutsButton() -> impl IntoView {
    let open = ShortcutsOpen::get().0;
    view! {
        <button
            type="button"
            class="hidden rounded-md p-1.5 text-slate-600 hover:bg-slate-100 hover:text-slate-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 sm:inline-flex"
            aria-label="Keyboard shortcuts"
            title="Keyboard shortcuts (?)"
            aria-haspopup="dialog"
            on:click=move |_| open.set(true)
        >
            <svg class="h-5 w-5" viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true">
                <rect x="2" y="6" width="20" height="12" rx="2" />
                <path d="M6 10h.01M10 10h.01M14 10h.01M18 10h.01M7 14h10" />
            </svg>
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::step;

    fn rooms() -> Vec<(String, bool)> {
        [
            ("/rooms/1", false),
            ("/rooms/2", true),
            ("/rooms/3", false),
            ("/rooms/4", true),
        ]
        .into_iter()
        .map(|(href, unread)| (href.to_owned(), unread))
        .collect()
    }

    #[test]
    fn arrows_move_one_room_and_stop_at_the_ends() {
        let rooms = rooms();
        assert_eq!(
            step(&rooms, Some("/rooms/2"), true, false),
            Some("/rooms/3")
        );
        assert_eq!(
            step(&rooms, Some("/rooms/2"), false, false),
            Some("/rooms/1")
        );
        assert_eq!(step(&rooms, Some("/rooms/4"), true, false), None);
        assert_eq!(step(&rooms, Some("/rooms/1"), false, false), None);
        // From the rooms page: the first, or the last.
        assert_eq!(step(&rooms, Some("/rooms"), true, false), Some("/rooms/1"));
        assert_eq!(step(&rooms, None, false, false), Some("/rooms/4"));
    }

    #[test]
    fn with_shift_they_skip_to_rooms_with_unread_messages() {
        let rooms = rooms();
        assert_eq!(step(&rooms, Some("/rooms/1"), true, true), Some("/rooms/2"));
        assert_eq!(step(&rooms, Some("/rooms/2"), true, true), Some("/rooms/4"));
        assert_eq!(
            step(&rooms, Some("/rooms/3"), false, true),
            Some("/rooms/2")
        );
        assert_eq!(step(&rooms, Some("/rooms/2"), false, true), None);
    }
}
