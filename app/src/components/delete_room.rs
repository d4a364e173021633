//! Deleting a room, for its owners: a button at the foot of the member
//! list that asks once more, naming the room, before it deletes it for
//! everyone. Everyone with it open is told by the room's own event; the
//! owner who deleted it goes back to the room list.

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::use_navigate;

use crate::api::delete_room;

#[component]
pub fn DeleteRoom(room_id: i64, #[prop(into)] name: Signal<String>) -> impl IntoView {
    let navigate = use_navigate();
    let confirming = RwSignal::new(false);
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let delete = move |_| {
        if pending.get_untracked() {
            return;
        }
        pending.set(true);
        error.set(None);
        let navigate = navigate.clone();
        spawn_local(async move {
            match delete_room(room_id).await {
                Ok(()) => navigate("/rooms", Default::default()),
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    let button = "rounded-md px-2.5 py-1 text-xs font-semibold focus:outline-none focus-visible:ring-2 focus-visible:ring-red-500 disabled:opacity-50";
    view! {
        <div class="mt-3 border-t border-slate-200 pt-3">
            <Show
                when=move || confirming.get()
                fallback=move || view! {
                    <button
                        type="button"
                        class=format!("{button} text-red-700 ring-1 ring-red-300 hover:bg-red-50")
                        on:click=move |_| confirming.set(true)
                    >
                        "Delete room"
                    </button>
                }
            >
                <div role="group" aria-labelledby="delete-room-question" class="flex flex-wrap items-center gap-2 rounded-md bg-red-50 p-2">
                    <p id="delete-room-question" class="w-full text-sm text-red-900">
                        "Delete " <strong>{move || name.get()}</strong>
                        " for everyone? Its messages go with it. This cannot be undone."
                    </p>
                    <button
                        type="button"
                        class=format!("{button} bg-red-600 text-white hover:bg-red-500")
                        disabled=move || pending.get()
                        on:click=delete.clone()
                    >
                        "Delete for everyone"
                    </button>
                    <button
                        type="button"
                        class=format!("{button} text-slate-700 ring-1 ring-slate-300 hover:bg-surface")
                        on:click=move |_| confirming.set(false)
                    >
                        "Cancel"
                    </button>
                </div>
            </Show>
            <p role="alert" class="mt-1 text-xs text-red-700 empty:hidden">{move || error.get()}</p>
        </div>
    }
}
