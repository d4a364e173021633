//! "New message": starting a direct conversation. The user picks 1 to 8
//! people by typing the start of their names, then starts (or, for people
//! they already talk with, reopens) the conversation and lands in it.
//!
//! A search answers each keystroke; an answer that arrives after a newer
//! keystroke's is dropped, so the list always matches what is typed.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::{find_people, start_direct};
use crate::limits::{DIRECT_OTHERS, DIRECT_OTHERS_OUT_OF_RANGE, USERNAME_CHARS};
use crate::model::Author;
use crate::session::Session;

#[component]
pub fn NewMessage(
    /// One heading level below the list's.
    whole_page: bool,
) -> impl IntoView {
    let open = RwSignal::new(false);
    let button = NodeRef::<leptos::html::Button>::new();
    // Closing hands the focus back to the button that opened the dialog.
    let close = Callback::new(move |()| {
        open.set(false);
        if let Some(button) = button.get_untracked() {
            let _ = button.focus();
        }
    });
    view! {
        <div class="flex flex-col gap-2">
            <button
                type="button"
                node_ref=button
                aria-controls=move || open.get().then_some("new-message")
                aria-expanded=move || open.get().to_string()
                class="self-start rounded-md px-2.5 py-1 text-sm font-medium text-indigo-700 ring-1 ring-indigo-200 hover:bg-indigo-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                on:click=move |_| {
                    if open.get_untracked() {
                        close.run(());
                    } else {
                        open.set(true);
                    }
                }
            >
                "New message"
            </button>
            <Show when=move || open.get()>
                <PickPeople whole_page close />
            </Show>
        </div>
    }
    // Erased: the room list's view type is deep enough already.
    .into_any()
}

#[component]
fn PickPeople(whole_page: bool, close: Callback<()>) -> impl IntoView {
    let navigate = use_navigate();
    let me = Session::get().user().map(|u| u.id);
    let query = RwSignal::new(String::new());
    let found = RwSignal::new(Vec::<Author>::new());
    // The text the list answers, once its answer is in.
    let answered = RwSignal::new(String::new());
    let chosen = RwSignal::new(Vec::<Author>::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    // Which keystroke's answer the list may show.
    let asked = StoredValue::new(0u32);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
        }
    });
    let search = move |text: String| {
        query.set(text.clone());
        asked.update_value(|n| *n = n.wrapping_add(1));
        let this = asked.get_value();
        if text.trim().is_empty() {
            found.set(Vec::new());
            return;
        }
        spawn_local(async move {
            let answer = find_people(text).await;
            // Not if a newer keystroke was answered meanwhile, or the
            // dialog has closed.
            if asked.try_get_value() != Some(this) {
                return;
            }
            match answer {
                Ok(people) => {
                    error.set(None);
                    found.set(people);
                    answered.set(query.get_untracked());
                }
                Err(e) => {
                    found.set(Vec::new());
                    error.set(Some(e.message));
                }
            }
        });
    };
    // What the list offers: the people found, less oneself and whoever is
    // picked already.
    let offered = Signal::derive(move || {
        let picked = chosen.get();
        found
            .get()
            .into_iter()
            .filter(|person| Some(person.id) != me && !picked.iter().any(|p| p.id == person.id))
            .collect::<Vec<_>>()
    });
    let focus_input = move || {
        if let Some(input) = input.get_untracked() {
            let _ = input.focus();
        }
    };
    let add = move |person: Author| {
        error.set(None);
        if chosen.with_untracked(|c| c.len() >= *DIRECT_OTHERS.end()) {
            error.set(Some(DIRECT_OTHERS_OUT_OF_RANGE.into()));
            return;
        }
        chosen.update(|c| {
            if !c.iter().any(|p| p.id == person.id) {
                c.push(person);
            }
        });
        // A search still on its way must not refill the list.
        search(String::new());
        focus_input();
    };
    let start = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let names: Vec<String> =
            chosen.with_untracked(|c| c.iter().map(|p| p.username.clone()).collect());
        if names.is_empty() {
            error.set(Some("Pick at least one person to write to.".into()));
            focus_input();
            return;
        }
        pending.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match start_direct(names).await {
                Ok(room) => {
                    // Closed meanwhile: the user changed their mind.
                    if close.try_run(()).is_none() {
                        return;
                    }
                    navigate(&format!("/rooms/{}", room.id), Default::default());
                }
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    let heading = "New message";
    let heading_class = "text-sm font-semibold text-slate-900";
    view! {
        <form
            id="new-message"
            aria-labelledby="new-message-heading"
            on:submit=start
            novalidate
            class="flex flex-col gap-2 rounded-lg bg-surface p-3 ring-1 ring-slate-200"
        >
            {if whole_page {
                leptos::either::Either::Left(view! { <h2 id="new-message-heading" class=heading_class>{heading}</h2> })
            } else {
                leptos::either::Either::Right(view! { <h3 id="new-message-heading" class=heading_class>{heading}</h3> })
            }}
            <ul aria-label="To" class="flex flex-wrap gap-1 empty:hidden">
                {move || {
                    chosen
                        .get()
                        .into_iter()
                        .map(|person| {
                            let id = person.id;
                            view! {
                                <li class="flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-2.5 pr-1 text-sm text-indigo-900 ring-1 ring-indigo-200">
                                    {person.username.clone()}
                                    <button
                                        type="button"
                                        aria-label=format!("Remove {}", person.username)
                                        class="rounded-full px-1.5 text-indigo-700 hover:bg-indigo-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        on:click=move |_| {
                                            chosen.update(|c| c.retain(|p| p.id != id));
                                            focus_input();
                                        }
                                    >
                                        "×"
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            <label for="find-people" class="text-sm font-medium text-slate-700">"Find people"</label>
            <input
                id="find-people"
                node_ref=input
                type="search"
                maxlength=USERNAME_CHARS.end().to_string()
                autocomplete="off"
                spellcheck="false"
                placeholder="Start of a username"
                class="rounded-md border border-slate-300 px-3 py-1.5 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                aria-describedby="new-message-error"
                prop:value=query
                on:input=move |ev| search(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        // Used here: not also a room panel's.
                        ev.prevent_default();
                        close.run(());
                    }
                }
            />
            <ul aria-label="People found" class="flex flex-col gap-0.5 empty:hidden">
                {move || {
                    offered
                        .get()
                        .into_iter()
                        .map(|person| {
                            let name = person.username.clone();
                            view! {
                                <li>
                                    <button
                                        type="button"
                                        aria-label=format!("Add {name}")
                                        class="w-full rounded-md px-2 py-1 text-left text-sm text-slate-900 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        on:click=move |_| add(person.clone())
                                    >
                                        {name.clone()}
                                    </button>
                                </li>
                            }
                        })
                        .collect_view()
                }}
            </ul>
            // Always in the page, so that screen readers hear it change.
            <p role="status" class="min-h-4 text-xs text-slate-600">
                {move || {
                    let text = query.get();
                    if text.trim().is_empty() || answered.get() != text {
                        return None;
                    }
                    Some(match offered.with(Vec::len) {
                        0 if found.with(Vec::is_empty) => {
                            format!("Nobody's username starts with \"{}\".", text.trim())
                        }
                        0 => "Nobody else found.".to_owned(),
                        1 => "1 person found.".to_owned(),
                        n => format!("{n} people found."),
                    })
                }}
            </p>
            <p id="new-message-error" role="alert" class="min-h-4 text-xs text-red-700">{move || error.get()}</p>
            <div class="flex gap-2">
                <button
                    type="submit"
                    class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50 aria-disabled:opacity-50"
                    disabled=move || pending.get()
                    // Still focusable: pressing it says why it cannot start.
                    aria-disabled=move || chosen.with(Vec::is_empty).to_string()
                >
                    "Start conversation"
                </button>
                <button
                    type="button"
                    class="rounded-md px-3 py-1.5 text-sm text-slate-700 ring-1 ring-slate-300 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    on:click=move |_| close.run(())
                >
                    "Cancel"
                </button>
            </div>
        </form>
    }
    .into_any()
}
