//! What the reader is notified of in the open room, and whether it is
//! muted: their own setting (`PUT /api/rooms/{id}/notifications`), which
//! nobody else sees.

use leptos::prelude::*;
use leptos::task::spawn_local;

use crate::api::set_notifications;
use crate::model::NotifyLevel;
use crate::unread::Unread;

#[component]
pub fn NotifySettings(
    room_id: i64,
    level: RwSignal<NotifyLevel>,
    muted: RwSignal<bool>,
) -> impl IntoView {
    let error = RwSignal::new(None::<String>);
    let save = move |new_level: Option<NotifyLevel>, new_muted: Option<bool>| {
        error.set(None);
        spawn_local(async move {
            match set_notifications(room_id, new_level, new_muted).await {
                Ok(room) => {
                    level.set(room.notify);
                    muted.set(room.muted);
                    // The list shows a muted room apart.
                    Unread::get().refresh();
                }
                Err(e) => error.set(Some(e.message)),
            }
        });
    };
    view! {
        <section id="notify-panel" aria-labelledby="notify-heading" class="border-b border-slate-200 bg-slate-50 px-4 py-3 text-sm">
            <h2 id="notify-heading" class="sr-only">"Notifications"</h2>
            <fieldset class="flex flex-col gap-1">
                <legend class="mb-1 font-semibold text-slate-700">"Notify me about"</legend>
                {NotifyLevel::EVERY
                    .into_iter()
                    .map(|option| view! {
                        <label class="flex items-center gap-2">
                            <input
                                type="radio"
                                name="notify-level"
                                class="accent-indigo-600"
                                prop:checked=move || level.get() == option
                                on:change=move |_| save(Some(option), None)
                            />
                            {option.label()}
                        </label>
                    })
                    .collect_view()}
            </fieldset>
            <label class="mt-2 flex items-center gap-2">
                <input
                    type="checkbox"
                    class="accent-indigo-600"
                    prop:checked=move || muted.get()
                    on:change=move |ev| save(None, Some(event_target_checked(&ev)))
                />
                "Mute this room"
                <span class="text-xs text-slate-600">"(no notifications, and its unread messages are not called out)"</span>
            </label>
            <p role="alert" class="mt-1 text-xs text-red-700 empty:hidden">{move || error.get()}</p>
        </section>
    }
}
