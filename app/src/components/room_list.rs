//! The list of rooms with the form that creates one. Used as the whole
//! /rooms page on phones and as the sidebar beside an open room on wider
//! screens.

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::{create_room, join_room, list_rooms};
use crate::components::notice::{ErrorNote, Loading};
use crate::limits::{MAX_ROOM_NAME_CHARS, ROOM_NAME_TOO_LONG};
use crate::model::Room;
use crate::time::Timestamp;

#[component]
pub fn RoomList(
    /// The room open beside the list, highlighted and marked `aria-current`.
    #[prop(into, default = Signal::stored(None))]
    current: Signal<Option<i64>>,
    /// The list is the whole page (`/rooms`): its heading is the page's
    /// level-one heading rather than a sidebar's.
    #[prop(optional)]
    whole_page: bool,
    /// Bumped by the open room when the list's view of it is out of date
    /// (renamed, someone joined or left).
    #[prop(into, default = Signal::stored(0))]
    changed: Signal<u32>,
) -> impl IntoView {
    // Re-read when another room opens (counts and activity will have
    // moved), and when the open room says it changed.
    let rooms = Resource::new(move || (current.get(), changed.get()), |_| list_rooms());
    view! {
        <section aria-labelledby="rooms-heading" class="flex min-h-0 flex-col gap-4">
            {if whole_page {
                Either::Left(view! { <h1 id="rooms-heading" class="text-2xl font-bold tracking-tight text-slate-900">"Rooms"</h1> })
            } else {
                Either::Right(view! { <h2 id="rooms-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-600">"Rooms"</h2> })
            }}
            <CreateRoom />
            <Transition fallback=Loading>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) if list.is_empty() => EitherOf3::A(view! {
                            <p class="text-sm text-slate-600">"No rooms yet. Create the first one above."</p>
                        }),
                        Ok(list) => EitherOf3::B(view! {
                            <ul class="flex flex-col gap-1 overflow-y-auto">
                                {list.into_iter().map(|room| view! { <RoomItem room current /> }).collect_view()}
                            </ul>
                        }),
                        Err(error) => EitherOf3::C(view! { <ErrorNote error /> }),
                    }
                })}
            </Transition>
        </section>
    }
}

/// "1 member", "3 members".
pub fn members_label(count: i64) -> String {
    match count {
        1 => "1 member".to_owned(),
        n => format!("{n} members"),
    }
}

#[component]
fn RoomItem(room: Room, current: Signal<Option<i64>>) -> impl IntoView {
    let navigate = use_navigate();
    let href = format!("/rooms/{}", room.id);
    let id = room.id;
    let is_current = move || current.get() == Some(id);
    let join_label = format!("Join {}", room.name);
    let members = members_label(room.member_count);
    let join_error = RwSignal::new(None::<String>);
    let joining = RwSignal::new(false);
    let join = {
        let (id, href) = (room.id, href.clone());
        move |_| {
            if joining.get_untracked() {
                return;
            }
            let navigate = navigate.clone();
            let href = href.clone();
            joining.set(true);
            join_error.set(None);
            spawn_local(async move {
                match join_room(id).await {
                    Ok(_) => navigate(&href, Default::default()),
                    Err(e) => join_error.set(Some(e.message)),
                }
                joining.set(false);
            });
        }
    };
    let error_id = format!("join-error-{id}");
    view! {
        <li class=move || {
            format!(
                "flex flex-wrap items-center gap-x-3 rounded-lg px-3 py-2 {}",
                if is_current() { "bg-indigo-50 ring-1 ring-indigo-200" } else { "bg-white hover:bg-slate-50" },
            )
        }>
            <div class="min-w-0 flex-1">
                <A href=href.clone() attr:class="block truncate font-medium text-slate-900 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                    {room.name.clone()}
                </A>
                <p class="flex flex-wrap gap-x-2 text-xs text-slate-600">
                    <span>{members}</span>
                    <span aria-hidden="true">"·"</span>
                    <span>"active " <Timestamp iso=room.last_activity_at.clone() /></span>
                </p>
            </div>
            {if room.joined {
                Either::Left(view! { <span class="text-xs font-medium text-emerald-700">"Joined"</span> })
            } else {
                Either::Right(view! {
                    <button
                        type="button"
                        aria-label=join_label
                        aria-describedby=error_id.clone()
                        class="rounded-md bg-indigo-600 px-2.5 py-1 text-xs font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                        disabled=move || joining.get()
                        on:click=join
                    >
                        "Join"
                    </button>
                })
            }}
            <p id=error_id role="alert" class="w-full text-xs text-red-700 empty:hidden">
                {move || join_error.get()}
            </p>
        </li>
    }
}

#[component]
fn CreateRoom() -> impl IntoView {
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let error = RwSignal::new(None::<String>);
    let pending = RwSignal::new(false);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        if pending.get_untracked() {
            return;
        }
        if name.with_untracked(|n| n.chars().count() > MAX_ROOM_NAME_CHARS) {
            error.set(Some(ROOM_NAME_TOO_LONG.into()));
            return;
        }
        let navigate = navigate.clone();
        pending.set(true);
        error.set(None);
        spawn_local(async move {
            match create_room(name.get_untracked()).await {
                Ok(room) => {
                    name.set(String::new());
                    navigate(&format!("/rooms/{}", room.id), Default::default());
                }
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    view! {
        <form on:submit=submit class="flex flex-col gap-1" novalidate>
            <label for="new-room-name" class="text-sm font-medium text-slate-700">"Room name"</label>
            <div class="flex gap-2">
                <input
                    id="new-room-name"
                    name="name"
                    type="text"
                    maxlength="200"
                    autocomplete="off"
                    placeholder="e.g. general"
                    class="min-w-0 flex-1 rounded-md border border-slate-300 px-3 py-1.5 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                    aria-invalid=move || error.get().is_some().to_string()
                    aria-describedby="new-room-error"
                    prop:value=name
                    on:input=move |ev| name.set(event_target_value(&ev))
                />
                <button
                    type="submit"
                    class="rounded-md bg-indigo-600 px-3 py-1.5 text-sm font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                    disabled=move || pending.get()
                >
                    "Create room"
                </button>
            </div>
            <p id="new-room-error" class="min-h-4 text-xs text-red-700" role="alert">{move || error.get()}</p>
        </form>
    }
}
