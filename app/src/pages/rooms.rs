//! `/rooms`: every room, and creating one; on a wide screen, beside the
//! list, an overview of what needs the reader (unread rooms, mentions) and
//! what moved lately. On a phone the list is the page.

use leptos::either::EitherOf3;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

use crate::api::list_rooms;
use crate::components::notice::{ErrorNote, LoadingList};
use crate::components::room_list::{KindMark, RoomList, members_label};
use crate::model::Room;
use crate::session::RequireUser;
use crate::time::{Shown, Timestamp};
use crate::unread::Unread;

/// Rooms shown under "Recently active".
const RECENT: usize = 6;

#[component]
pub fn RoomsPage() -> impl IntoView {
    view! {
        <Title text="Rooms · Chat" />
        <RequireUser>
            <div class="flex min-h-0 flex-1">
                <div class="flex min-h-0 w-full flex-col p-4 md:w-80 md:shrink-0 md:border-r md:border-slate-200 md:bg-slate-50">
                    <RoomList whole_page=true />
                </div>
                <Overview />
            </div>
        </RequireUser>
    }
}

#[component]
fn Overview() -> impl IntoView {
    let unread = Unread::get();
    // Read again when the list's counts move, so "Unread" follows them.
    let rooms = Resource::new(move || (unread.version(), unread.total()), |_| list_rooms());
    view! {
        <section aria-labelledby="overview-heading" class="hidden min-h-0 flex-1 flex-col gap-8 overflow-y-auto bg-surface p-8 md:flex">
            <h2 id="overview-heading" class="sr-only">"Overview"</h2>
            <Transition fallback=|| view! { <LoadingList rows=4 /> }>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) if !list.iter().any(|room| room.joined) => EitherOf3::A(view! { <Welcome any=!list.is_empty() /> }),
                        Ok(list) => EitherOf3::B(view! { <CatchUp list /> }),
                        Err(error) => EitherOf3::C(view! { <ErrorNote error /> }),
                    }
                })}
            </Transition>
        </section>
    }
}

/// For someone in no room yet: what Chat is for and the three ways in,
/// each pointing at the part of the list that does it.
#[component]
fn Welcome(
    /// Whether there are public rooms to join.
    any: bool,
) -> impl IntoView {
    let step = "rounded-xl border border-slate-200 bg-slate-50 p-4";
    view! {
        <div class="mx-auto flex max-w-xl flex-col gap-6 pt-8">
            <div>
                <p class="text-2xl font-bold tracking-tight text-slate-900">"Welcome to Chat"</p>
                <p class="mt-1 text-slate-600">"Rooms are where conversations happen. Here is how to get into one."</p>
            </div>
            <ol class="flex flex-col gap-3">
                <li class=step>
                    <p class="font-semibold text-slate-900">"Join a public room"</p>
                    <p class="text-sm text-slate-600">
                        {if any {
                            "The list on the left has the public rooms: Join puts you in one."
                        } else {
                            "Nobody has made one yet: yours can be the first."
                        }}
                    </p>
                </li>
                <li class=step>
                    <p class="font-semibold text-slate-900">"Create a room"</p>
                    <p class="text-sm text-slate-600">"Name it above the list; you will be its owner, and it can be private."</p>
                </li>
                <li class=step>
                    <p class="font-semibold text-slate-900">"Message someone"</p>
                    <p class="text-sm text-slate-600">"New message, above the list, starts a direct conversation with anyone by their username."</p>
                </li>
            </ol>
        </div>
    }
}

/// What needs the reader, then what moved lately.
#[component]
fn CatchUp(list: Vec<Room>) -> impl IntoView {
    let mut waiting: Vec<Room> = list
        .iter()
        .filter(|room| room.joined && !room.muted && room.unread_count > 0)
        .cloned()
        .collect();
    // Mentions first, then the most recently active.
    waiting.sort_by(|a, b| {
        (b.mention_count > 0)
            .cmp(&(a.mention_count > 0))
            .then_with(|| b.last_activity_at.cmp(&a.last_activity_at))
    });
    let mut recent: Vec<Room> = list.into_iter().filter(|room| room.joined).collect();
    recent.sort_by(|a, b| b.last_activity_at.cmp(&a.last_activity_at));
    recent.truncate(RECENT);
    let caught_up = waiting.is_empty();
    view! {
        <div class="mx-auto flex w-full max-w-3xl flex-col gap-8">
            <section aria-labelledby="waiting-heading">
                <h3 id="waiting-heading" class="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-600">"Unread"</h3>
                {if caught_up {
                    leptos::either::Either::Left(view! {
                        <p class="rounded-xl border border-dashed border-slate-300 p-6 text-center text-slate-600">"You are all caught up."</p>
                    })
                } else {
                    leptos::either::Either::Right(view! {
                        <ul class="grid gap-3 lg:grid-cols-2">
                            {waiting.into_iter().map(|room| view! { <RoomCard room /> }).collect_view()}
                        </ul>
                    })
                }}
            </section>
            <section aria-labelledby="recent-heading">
                <h3 id="recent-heading" class="mb-3 text-sm font-semibold uppercase tracking-wide text-slate-600">"Recently active"</h3>
                <ul class="grid gap-3 lg:grid-cols-2">
                    {recent.into_iter().map(|room| view! { <RoomCard room /> }).collect_view()}
                </ul>
            </section>
        </div>
    }
}

/// One room as a card: name, topic, counts and when it last moved.
#[component]
fn RoomCard(room: Room) -> impl IntoView {
    let counts = match (room.unread_count, room.mention_count) {
        (0, _) => None,
        (n, 0) => Some(format!("{n} unread")),
        (n, m) => Some(format!("{n} unread, {m} for you")),
    };
    view! {
        <li class="rounded-xl border border-slate-200 bg-surface p-4 hover:border-indigo-300 hover:bg-slate-50">
            <A href=format!("/rooms/{}", room.id) attr:class="flex items-center gap-1.5 font-semibold text-slate-900 hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500">
                <KindMark kind=room.kind />
                <span class="truncate">{room.name.clone()}</span>
            </A>
            <p class="mt-0.5 truncate text-sm text-slate-600 empty:hidden">{room.topic.clone()}</p>
            <p class="mt-2 flex flex-wrap items-center gap-x-2 text-xs text-slate-600">
                {counts.map(|counts| view! { <span class="font-semibold text-indigo-700">{counts}</span> })}
                <span>{members_label(room.member_count)}</span>
                <span aria-hidden="true">"·"</span>
                <span>"active " <Timestamp iso=room.last_activity_at.clone() shown=Shown::Brief /></span>
            </p>
        </li>
    }
}
