//! The room's title bar: its name and topic (which follow `room_updated`
//! events), whether it is private or a direct conversation, its member count (which opens the
//! member list), and for its owners and admins a way to rename it in place.
//!
//! A rename is a server function; what the page shows afterwards comes from
//! the room's event, like every other change, so a rename made elsewhere
//! (another tab, another owner's device) looks the same as one made here.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::rename_room;
use crate::components::room_list::{KindMark, members_label};
use crate::limits::{MAX_ROOM_NAME_CHARS, ROOM_NAME_TOO_LONG};
use crate::model::RoomKind;

#[component]
pub fn RoomHeader(
    room_id: i64,
    /// The room's name as it now is.
    name: RwSignal<String>,
    /// The room's topic as it now is ("" for none).
    topic: RwSignal<String>,
    member_count: Signal<i64>,
    kind: RoomKind,
    /// Whether the reader is an owner or admin (and so may rename it);
    /// it follows role changes while the room is open.
    #[prop(into)]
    moderator: Signal<bool>,
    /// Whether the member list is open.
    members_open: RwSignal<bool>,
    /// Whether the notification settings are open; `None` for a reader
    /// who is not a member (nothing to set).
    notify_open: Option<RwSignal<bool>>,
    /// Whether the reader muted the room.
    #[prop(into)]
    muted: Signal<bool>,
) -> impl IntoView {
    let renaming = RwSignal::new(false);
    view! {
        <div class="flex min-h-12 items-center gap-3 border-b border-slate-200 px-4 py-2">
            <a href="/rooms" class="text-sm text-indigo-700 hover:underline md:hidden">"← Rooms"</a>
            <Show
                when=move || renaming.get()
                fallback=move || view! {
                    <div class="min-w-0">
                        <h1 id="room-title" class="flex items-center gap-1.5 truncate text-lg font-semibold">
                            <KindMark kind />
                            <span class="truncate">{move || name.get()}</span>
                        </h1>
                        <p class="truncate text-xs text-slate-600 empty:hidden">{move || topic.get()}</p>
                    </div>
                    {move || moderator.get().then(|| view! {
                        <button
                            type="button"
                            class="shrink-0 rounded-md px-2 py-1 text-xs font-medium text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                            on:click=move |_| renaming.set(true)
                        >
                            "Rename"
                        </button>
                    })}
                }
            >
                <RenameForm room_id name done=Callback::new(move |()| renaming.set(false)) />
            </Show>
            // Out of the way while renaming: a phone needs the width.
            <Show when=move || !renaming.get()>
                <div class="ml-auto flex shrink-0 items-center gap-1">
                {notify_open.map(|open| view! {
                    <button
                        type="button"
                        class="shrink-0 rounded-md p-1.5 text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                        aria-label=move || if muted.get() { "Notification settings (muted)" } else { "Notification settings" }
                        title=move || if muted.get() { "Notification settings (muted)" } else { "Notification settings" }
                        aria-expanded=move || open.get().to_string()
                        id="notify-toggle"
                        aria-controls="notify-panel"
                        on:click=move |_| open.update(|open| *open = !*open)
                    >
                        <BellIcon muted />
                    </button>
                })}
                <button
                    type="button"
                    class="shrink-0 rounded-md px-2 py-1 text-xs text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                    id="members-toggle"
                    aria-expanded=move || members_open.get().to_string()
                    aria-controls="members-panel"
                    on:click=move |_| members_open.update(|open| *open = !*open)
                >
                    {move || members_label(member_count.get())}
                </button>
                </div>
            </Show>
        </div>
    }
}

#[component]
fn RenameForm(room_id: i64, name: RwSignal<String>, done: Callback<()>) -> impl IntoView {
    let draft = RwSignal::new(name.get_untracked());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let input = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if let Some(input) = input.get() {
            let _ = input.focus();
            input.select();
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        let new_name = draft.get_untracked();
        if new_name == name.get_untracked() {
            done.run(());
            return;
        }
        if new_name.chars().count() > MAX_ROOM_NAME_CHARS {
            error.set(Some(ROOM_NAME_TOO_LONG.into()));
            return;
        }
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match rename_room(room_id, new_name).await {
                Ok(room) => {
                    name.set(room.name);
                    done.run(());
                }
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    view! {
        // The form is the page's heading while it is open.
        <form on:submit=submit class="flex min-w-0 flex-1 flex-wrap items-center gap-2" novalidate>
            <h1 id="room-title" class="sr-only">{move || name.get()}</h1>
            <label for="rename-room" class="sr-only">"New name"</label>
            <input
                id="rename-room"
                node_ref=input
                type="text"
                autocomplete="off"
                class="min-w-32 flex-1 rounded-md border border-slate-300 px-2 py-1 text-base font-semibold focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                aria-invalid=move || error.get().is_some().to_string()
                aria-describedby="rename-room-error"
                prop:value=draft
                on:input=move |ev| draft.set(event_target_value(&ev))
                on:keydown=move |ev| {
                    if ev.key() == "Escape" {
                        done.run(());
                    }
                }
            />
            <button
                type="submit"
                class="rounded-md bg-indigo-600 px-3 py-1 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                disabled=move || pending.get()
            >
                "Save"
            </button>
            <button
                type="button"
                class="rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                on:click=move |_| done.run(())
            >
                "Cancel"
            </button>
            <p id="rename-room-error" class="w-full text-xs text-red-700 empty:hidden" role="alert">
                {move || error.get()}
            </p>
        </form>
    }
}

/// A bell, struck through when the room is muted.
#[component]
fn BellIcon(muted: Signal<bool>) -> impl IntoView {
    view! {
        <svg aria-hidden="true" viewBox="0 0 20 20" class="h-4 w-4 fill-current">
            <path d="M10 2a5 5 0 0 0-5 5v2.6l-1.4 2.8A1 1 0 0 0 4.5 14h11a1 1 0 0 0 .9-1.6L15 9.6V7a5 5 0 0 0-5-5Zm-2 13a2 2 0 0 0 4 0H8Z" />
            <Show when=move || muted.get()>
                <path d="M3 3l14 14" stroke="currentColor" stroke-width="2" stroke-linecap="round" />
            </Show>
        </svg>
    }
}
