//! The list of rooms with the form that creates one. Used as the whole
//! /rooms page on phones and as the sidebar beside an open room on wider
//! screens. Public rooms, the private rooms the user is in and their direct
//! conversations are listed apart, so nobody mistakes one for another.
//!
//! The list follows the socket's frames for the user: a direct
//! conversation someone starts with them appears at once, each room's
//! unread count and last activity move live (`unread`), and everything is
//! read again after a reconnect (what was sent meanwhile is lost).

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::api::{create_room, join_room, list_rooms};
use crate::components::invitations::InvitationsInbox;
use crate::components::new_message::NewMessage;
use crate::components::notice::{ErrorNote, LoadingList};
use crate::limits::{
    MAX_ROOM_NAME_CHARS, MAX_ROOM_TOPIC_CHARS, ROOM_NAME_TOO_LONG, ROOM_TOPIC_TOO_LONG,
};
use crate::model::{Room, RoomKind, message_link};
use crate::notify;
use crate::presence::{Here, PresenceBadge};
use crate::socket::{ChatSocket, UserEvent};
use crate::time::{Shown, Timestamp};
use crate::unread::{Unread, page_is_seen};

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
    // Re-read when another room opens, when the open room says it
    // changed, and when the summaries held cannot say what changed.
    let unread = Unread::get();
    let here = Here::get();
    let navigate = use_navigate();
    let invitations_version = RwSignal::new(0u32);
    let bump = |version: RwSignal<u32>| version.update(|n| *n = n.wrapping_add(1));
    let socket = ChatSocket::get();
    let following = socket.on_user_events(move |event: UserEvent| match event {
        UserEvent::Connected => {
            unread.refresh();
            bump(invitations_version);
        }
        UserEvent::InvitationsChanged => bump(invitations_version),
        UserEvent::RoomsChanged => unread.refresh(),
        UserEvent::Activity { rooms, left } => unread.heard(rooms, &left),
        UserEvent::Presence(users) => here.learn(users),
        UserEvent::NotifySettings {
            room_id,
            notify,
            muted,
        } => unread.settings_changed(room_id, notify, muted),
        UserEvent::Notification {
            room_id,
            message_id,
            seq,
            title,
            body,
        } => {
            let in_view = current.get_untracked() == Some(room_id) && page_is_seen();
            let navigate = navigate.clone();
            // Clicked: the room, at the message.
            notify::show(message_id, &title, &body, in_view, move || {
                navigate(&message_link(room_id, seq), Default::default())
            });
        }
    });
    on_cleanup(move || socket.stop_user_events(following));
    let rooms = Resource::new(
        move || (current.get(), changed.get(), unread.version()),
        |_| list_rooms(),
    );
    // Who is in the direct conversations listed, learnt outside the render
    // (the items being replaced follow the store).
    Effect::new(move |_| {
        if let Some(Ok(list)) = rooms.get() {
            here.learn(list.iter().flat_map(|room| room.others.iter().copied()));
        }
    });
    view! {
        <section aria-labelledby="rooms-heading" class="flex min-h-0 flex-col gap-4">
            {if whole_page {
                Either::Left(view! { <h1 id="rooms-heading" class="text-2xl font-bold tracking-tight text-slate-900">"Rooms"</h1> })
            } else {
                Either::Right(view! { <h2 id="rooms-heading" class="text-sm font-semibold uppercase tracking-wide text-slate-600">"Rooms"</h2> })
            }}
            <InvitationsInbox whole_page version=invitations_version />
            // Beside an open room the form waits behind a button: the
            // list is what the sidebar is for.
            <CreateRoom folded=!whole_page />
            <NewMessage whole_page />
            <Transition fallback=|| view! { <LoadingList /> }>
                {move || Suspend::new(async move {
                    match rooms.await {
                        Ok(list) if list.is_empty() => EitherOf3::A(view! {
                            <p class="text-sm text-slate-600">"No rooms yet. Create the first one above."</p>
                        }),
                        Ok(list) => {
                            unread.listed(&list);
                            let of = |kind: RoomKind| -> Vec<Room> {
                                list.iter().filter(|room| room.kind == kind).cloned().collect()
                            };
                            let (public, private, direct) =
                                (of(RoomKind::Public), of(RoomKind::Private), of(RoomKind::Direct));
                            EitherOf3::B(view! {
                                <div class="flex min-h-0 flex-col gap-4 overflow-y-auto">
                                    <RoomGroup label="Public rooms" id="public-rooms" rooms=public current whole_page />
                                    <RoomGroup label="Private rooms" id="private-rooms" rooms=private current whole_page />
                                    <RoomGroup label="Direct messages" id="direct-rooms" rooms=direct current whole_page />
                                </div>
                            })
                        }
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

/// One group of the list, under its own heading (one level below the
/// list's); nothing when empty.
#[component]
fn RoomGroup(
    label: &'static str,
    id: &'static str,
    rooms: Vec<Room>,
    current: Signal<Option<i64>>,
    whole_page: bool,
) -> impl IntoView {
    let class = "px-1 text-xs font-semibold text-slate-600";
    (!rooms.is_empty()).then(|| {
        view! {
            <div role="group" aria-labelledby=id class="flex flex-col gap-1">
                {if whole_page {
                    Either::Left(view! { <h2 id=id class=class>{label}</h2> })
                } else {
                    Either::Right(view! { <h3 id=id class=class>{label}</h3> })
                }}
                <ul class="flex flex-col gap-1">
                    {rooms.into_iter().map(|room| view! { <RoomItem room current /> }).collect_view()}
                </ul>
            </div>
        }
    })
}

/// What precedes a room's name where its kind matters: a padlock for a
/// private room, two people for a direct conversation, nothing for a
/// public room.
#[component]
pub fn KindMark(kind: RoomKind) -> impl IntoView {
    match kind {
        RoomKind::Public => None,
        RoomKind::Private => Some(leptos::either::Either::Left(view! { <PrivateMark /> })),
        RoomKind::Direct => Some(leptos::either::Either::Right(view! { <DirectMark /> })),
    }
}

/// Two heads, and for screen readers the words they stand for.
#[component]
fn DirectMark() -> impl IntoView {
    view! {
        <svg aria-hidden="true" viewBox="0 0 16 16" class="inline h-3.5 w-3.5 shrink-0 fill-current text-slate-500">
            <path d="M6 7a2.5 2.5 0 1 0 0-5 2.5 2.5 0 0 0 0 5Zm5.5 0a2 2 0 1 0 0-4 2 2 0 0 0 0 4ZM1 13c0-2.2 2.2-4 5-4s5 1.8 5 4v1H1v-1Zm11 1v-1c0-1.2-.4-2.3-1.2-3.1.3 0 .5-.1.7-.1 2 0 3.5 1.3 3.5 3v1.2H12Z" />
        </svg>
        <span class="sr-only">"Direct conversation: "</span>
    }
}

/// What precedes a private room's name: a small closed padlock, and for
/// screen readers the words it stands for.
#[component]
fn PrivateMark() -> impl IntoView {
    view! {
        <svg aria-hidden="true" viewBox="0 0 16 16" class="inline h-3.5 w-3.5 shrink-0 fill-current text-slate-500">
            <path d="M4 7V5a4 4 0 1 1 8 0v2h.5A1.5 1.5 0 0 1 14 8.5v5a1.5 1.5 0 0 1-1.5 1.5h-9A1.5 1.5 0 0 1 2 13.5v-5A1.5 1.5 0 0 1 3.5 7H4Zm1.5 0h5V5a2.5 2.5 0 0 0-5 0v2Z" />
        </svg>
        <span class="sr-only">"Private room: "</span>
    }
}

#[component]
fn RoomItem(room: Room, current: Signal<Option<i64>>) -> impl IntoView {
    let kind = room.kind;
    let navigate = use_navigate();
    let href = format!("/rooms/{}", room.id);
    let id = room.id;
    let is_current = move || current.get() == Some(id);
    let join_label = format!("Join {}", room.name);
    let members = members_label(room.member_count);
    let muted = room.muted;
    // A direct conversation shows whether its other people are here.
    let others: Vec<i64> = room.others.iter().map(|other| other.user_id).collect();
    let presence = (kind == RoomKind::Direct && !others.is_empty()).then(|| {
        let here = Here::get();
        view! {
            <PresenceBadge status=move || here.most_present(&others) />
            <span aria-hidden="true">"·"</span>
        }
    });
    // The newest summary heard, else the room as listed.
    let unread = Unread::get();
    let listed = room.activity();
    let summary = Memo::new(move |_| unread.of(id).or_else(|| listed.clone()));
    let unread_count = move || summary.with(|s| s.as_ref().map_or(0, |s| s.unread_count));
    let mention_count = move || summary.with(|s| s.as_ref().map_or(0, |s| s.mention_count));
    let last_activity = {
        let listed = room.last_activity_at.clone();
        move || {
            summary.with(|s| {
                s.as_ref()
                    .map_or(listed.clone(), |s| s.last_activity_at.clone())
            })
        }
    };
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
                if is_current() { "bg-indigo-50 ring-1 ring-indigo-200" } else { "bg-surface hover:bg-slate-50" },
            )
        }>
            <div class="min-w-0 flex-1">
                <A href=href.clone() attr:data-room-link="" attr:data-unread=move || (!muted && unread_count() > 0).to_string() attr:class=move || format!(
                    "flex items-center gap-1.5 truncate hover:underline focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 {}",
                    match (muted, unread_count() > 0) {
                        (true, _) => "font-medium text-slate-600",
                        (false, true) => "font-bold text-slate-900",
                        (false, false) => "font-medium text-slate-900",
                    },
                )>
                    <KindMark kind />
                    <span class="truncate">{room.name.clone()}</span>
                    {muted.then(|| view! { <span class="sr-only">" (muted)"</span> })}
                    <span class="ml-auto flex shrink-0 gap-1">
                        <MentionBadge count=Signal::derive(mention_count) />
                        // A muted room's count is not called out.
                        <UnreadBadge count=Signal::derive(move || if muted { 0 } else { unread_count() }) />
                    </span>
                </A>
                <p class="flex flex-wrap gap-x-2 text-xs text-slate-600">
                    {presence}
                    <span>{members}</span>
                    <span aria-hidden="true">"·"</span>
                    <span>"active " {move || view! { <Timestamp iso=last_activity() shown=Shown::Brief /> }}</span>
                    {muted.then(|| view! {
                        <span aria-hidden="true">"·"</span>
                        <span aria-hidden="true">"muted"</span>
                    })}
                </p>
            </div>
            // A direct conversation is always one's own: nothing to say.
            {if room.joined {
                Either::Left((kind != RoomKind::Direct).then(|| view! { <span class="text-xs font-medium text-emerald-700">"Joined"</span> }))
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

/// How many unread messages name the user, before the unread count, in
/// the colour that says "for you": "@2", read as "(2 mentions)".
#[component]
fn MentionBadge(count: Signal<i64>) -> impl IntoView {
    move || {
        let count = count.get();
        (count > 0).then(|| {
            let shown = if count > 99 { "@99+".to_owned() } else { format!("@{count}") };
            let said = match count {
                1 => "(1 mention)".to_owned(),
                n => format!("({n} mentions)"),
            };
            view! {
                <span class="shrink-0 rounded-full bg-amber-700 px-1.5 py-0.5 text-xs font-semibold leading-none text-white">
                    <span aria-hidden="true">{shown}</span>
                    <span class="sr-only">{said}</span>
                </span>
            }
        })
    }
}

/// A room's unread count after its name, read as "(3 unread)" (part of the
/// link's name); nothing when all is read.
#[component]
fn UnreadBadge(count: Signal<i64>) -> impl IntoView {
    move || {
        let count = count.get();
        (count > 0).then(|| {
            let shown = if count > 99 { "99+".to_owned() } else { count.to_string() };
            view! {
                <span class="shrink-0 rounded-full bg-indigo-600 px-1.5 py-0.5 text-xs font-semibold leading-none text-white">
                    <span aria-hidden="true">{shown}</span>
                    <span class="sr-only">{format!("({count} unread)")}</span>
                </span>
            }
        })
    }
}

#[component]
fn CreateRoom(
    /// Shown only once "New room" is pressed.
    folded: bool,
) -> impl IntoView {
    let unfolded = RwSignal::new(!folded);
    let navigate = use_navigate();
    let name = RwSignal::new(String::new());
    let topic = RwSignal::new(String::new());
    let private = RwSignal::new(false);
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
        if topic.with_untracked(|t| t.chars().count() > MAX_ROOM_TOPIC_CHARS) {
            error.set(Some(ROOM_TOPIC_TOO_LONG.into()));
            return;
        }
        let navigate = navigate.clone();
        pending.set(true);
        error.set(None);
        let kind = if private.get_untracked() {
            RoomKind::Private
        } else {
            RoomKind::Public
        };
        spawn_local(async move {
            match create_room(name.get_untracked(), kind, topic.get_untracked()).await {
                Ok(room) => {
                    name.set(String::new());
                    topic.set(String::new());
                    private.set(false);
                    unfolded.set(!folded);
                    navigate(&format!("/rooms/{}", room.id), Default::default());
                }
                Err(e) => error.set(Some(e.message)),
            }
            pending.set(false);
        });
    };
    let input = NodeRef::<leptos::html::Input>::new();
    // Unfolded by the button: the name is what comes next.
    Effect::new(move |was_unfolded: Option<bool>| {
        let now = unfolded.get();
        if now
            && was_unfolded == Some(false)
            && let Some(input) = input.get()
        {
            let _ = input.focus();
        }
        now
    });
    view! {
        {folded.then(|| view! {
            <button
                type="button"
                aria-expanded=move || unfolded.get().to_string()
                aria-controls="new-room-form"
                class="self-start rounded-md px-2.5 py-1 text-sm font-medium text-indigo-700 ring-1 ring-indigo-200 hover:bg-indigo-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                on:click=move |_| unfolded.update(|open| *open = !*open)
            >
                "New room"
            </button>
        })}
        <form id="new-room-form" on:submit=submit class=move || if unfolded.get() { "flex flex-col gap-1" } else { "hidden" } novalidate>
            <label for="new-room-name" class="text-sm font-medium text-slate-700">"Room name"</label>
            <div class="flex gap-2">
                <input
                    id="new-room-name"
                    node_ref=input
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
            <label for="new-room-topic" class="sr-only">"Topic (optional)"</label>
            <input
                id="new-room-topic"
                name="topic"
                type="text"
                maxlength="300"
                autocomplete="off"
                placeholder="Topic (optional)"
                class="rounded-md border border-slate-300 px-3 py-1.5 text-sm placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                prop:value=topic
                on:input=move |ev| topic.set(event_target_value(&ev))
            />
            <label class="flex items-center gap-2 text-sm text-slate-700">
                <input
                    id="new-room-private"
                    name="private"
                    type="checkbox"
                    class="h-4 w-4 rounded border-slate-400 text-indigo-600 focus:ring-indigo-500"
                    prop:checked=private
                    on:change=move |ev| private.set(event_target_checked(&ev))
                />
                <span>"Private: only members see it"</span>
            </label>
            <p id="new-room-error" class="min-h-4 text-xs text-red-700" role="alert">{move || error.get()}</p>
        </form>
    }
}
