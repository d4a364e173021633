//! `/rooms/:id`: a room's history, live messages and the composer.
//!
//! The server renders the newest page; in the browser the page subscribes
//! from the newest seq it holds, so the socket fills any gap since the render
//! and then streams live messages. Messages are kept by seq, which makes a
//! replayed message a no-op and keeps the order right whatever arrives when.
//! Sends show at once as pending, become real on ack, and can be retried with
//! the same client_id if the server refuses them.

use std::collections::BTreeMap;

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

use crate::api::{OpenedRoom, older_messages, open_room};
use crate::components::notice::{ErrorNote, Loading};
use crate::components::room_list::RoomList;
use crate::error::AppError;
use crate::model::{Message, Reaction};
use crate::protocol::Change;
use crate::session::{RequireUser, Session};
use crate::socket::{ChatSocket, RoomEvent, Status};
use crate::time::Timestamp;

/// Same limit as the server's, checked here to answer before sending.
const MAX_BODY_CHARS: usize = 4000;

#[component]
pub fn RoomPage() -> impl IntoView {
    let params = use_params_map();
    let room_id = move || {
        params
            .read()
            .get("id")
            .and_then(|id| id.parse::<i64>().ok())
    };
    let opened = Resource::new(room_id, |id| async move {
        match id {
            Some(id) => open_room(id).await,
            None => Err(AppError::new("room_not_found", "That room does not exist.")),
        }
    });
    view! {
        <RequireUser>
            <div class="flex min-h-0 flex-1">
                <aside class="hidden w-72 shrink-0 flex-col border-r border-slate-200 bg-slate-50 p-4 md:flex">
                    <RoomList current=Signal::derive(room_id) />
                </aside>
                <Transition fallback=Loading>
                    {move || Suspend::new(async move {
                        match opened.await {
                            Ok(opened) => Either::Left(view! { <RoomView opened /> }),
                            Err(error) => Either::Right(view! { <div class="flex-1"><ErrorNote error /></div> }),
                        }
                    })}
                </Transition>
            </div>
        </RequireUser>
    }
}

#[derive(Clone, Debug, PartialEq)]
struct Pending {
    client_id: String,
    body: String,
    /// Why the server refused it, if it did.
    failed: Option<String>,
}

#[component]
fn RoomView(opened: OpenedRoom) -> impl IntoView {
    let socket = ChatSocket::get();
    let me = Session::get().user().map(|u| u.id).unwrap_or_default();
    let room = opened.room;
    let room_id = room.id;
    let resume_from = opened.page.messages.last().map_or(0, |m| m.seq);
    let messages = RwSignal::new(
        opened
            .page
            .messages
            .into_iter()
            .map(|m| (m.seq, m))
            .collect::<BTreeMap<i64, Message>>(),
    );
    let has_more = RwSignal::new(opened.page.has_more);
    let loading_older = RwSignal::new(false);
    let pending = RwSignal::new(Vec::<Pending>::new());
    let notice = RwSignal::new(None::<String>);
    let scroller = NodeRef::<leptos::html::Div>::new();

    let near_bottom = move || {
        scroller
            .get_untracked()
            .is_none_or(|el| el.scroll_height() - el.scroll_top() - el.client_height() < 120)
    };
    let scroll_to_bottom = move || {
        request_animation_frame(move || {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };

    let on_event = move |event: RoomEvent| match event {
        RoomEvent::Message(message) | RoomEvent::Ack(message) => {
            let follow = near_bottom() || message.author.id == me;
            if let Some(client_id) = &message.client_id {
                pending.update(|p| p.retain(|p| &p.client_id != client_id));
            }
            messages.update(|m| {
                m.insert(message.seq, message);
            });
            if follow {
                scroll_to_bottom();
            }
        }
        RoomEvent::Error {
            message,
            client_id: Some(client_id),
        } => pending.update(|p| {
            if let Some(p) = p.iter_mut().find(|p| p.client_id == client_id) {
                p.failed = Some(message);
            }
        }),
        RoomEvent::Error {
            message,
            client_id: None,
        } => notice.set(Some(message)),
        RoomEvent::Subscribed => notice.set(None),
        RoomEvent::Changed(change) => messages.update(|m| apply(m, change)),
    };

    // Effects run only in the browser: that is where the socket lives.
    Effect::new(move |_| {
        socket.subscribe(room_id, resume_from, on_event);
        scroll_to_bottom();
    });
    on_cleanup(move || socket.unsubscribe(room_id));

    let load_older = move || {
        if loading_older.get_untracked() || !has_more.get_untracked() {
            return;
        }
        let Some(first) = messages.with_untracked(|m| m.keys().next().copied()) else {
            return;
        };
        loading_older.set(true);
        let before_height = scroller.get_untracked().map(|el| el.scroll_height());
        spawn_local(async move {
            match older_messages(room_id, first).await {
                Ok(page) => {
                    has_more.set(page.has_more);
                    messages.update(|m| m.extend(page.messages.into_iter().map(|m| (m.seq, m))));
                    // Keep the message the reader was looking at in place.
                    request_animation_frame(move || {
                        if let (Some(el), Some(before)) = (scroller.get_untracked(), before_height)
                        {
                            el.set_scroll_top(el.scroll_top() + el.scroll_height() - before);
                        }
                    });
                }
                Err(e) => notice.set(Some(e.message)),
            }
            loading_older.set(false);
        });
    };

    let send = move |body: String| {
        let client_id = uuid::Uuid::new_v4().to_string();
        pending.update(|p| {
            p.push(Pending {
                client_id: client_id.clone(),
                body: body.clone(),
                failed: None,
            })
        });
        socket.send(room_id, body, client_id);
        scroll_to_bottom();
    };
    let retry = move |client_id: String| {
        let Some(body) = pending.with_untracked(|p| {
            p.iter()
                .find(|p| p.client_id == client_id)
                .map(|p| p.body.clone())
        }) else {
            return;
        };
        pending.update(|p| {
            if let Some(p) = p.iter_mut().find(|p| p.client_id == client_id) {
                p.failed = None;
            }
        });
        // The refusal may have been "not a member" (left elsewhere, since
        // rejoined): subscribing again resumes the room if allowed, and
        // is harmless if it was never lost.
        let last_seq = messages.with_untracked(|m| m.keys().next_back().copied().unwrap_or(0));
        socket.subscribe(room_id, last_seq, on_event);
        socket.send(room_id, body, client_id);
    };
    let discard =
        move |client_id: String| pending.update(|p| p.retain(|p| p.client_id != client_id));

    let title = format!("{} · Chat", room.name);
    view! {
        <Title text=title />
        <section class="flex min-w-0 flex-1 flex-col bg-white" aria-labelledby="room-title">
            <div class="flex items-center gap-3 border-b border-slate-200 px-4 py-2">
                <a href="/rooms" class="text-sm text-indigo-700 hover:underline md:hidden">"← Rooms"</a>
                <h1 id="room-title" class="truncate text-lg font-semibold">{room.name.clone()}</h1>
                <span class="ml-auto text-xs text-slate-600">
                    {match room.member_count { 1 => "1 member".to_owned(), n => format!("{n} members") }}
                </span>
            </div>
            <ConnectionBanner />
            {move || notice.get().map(|text| view! {
                <div role="alert" class="border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800">{text}</div>
            })}
            <div
                node_ref=scroller
                class="flex min-h-0 flex-1 flex-col gap-2 overflow-y-auto px-3 py-4 sm:px-6"
                on:scroll=move |_| {
                    if scroller.get_untracked().is_some_and(|el| el.scroll_top() < 80) {
                        load_older();
                    }
                }
            >
                <Show when=move || has_more.get()>
                    <button
                        type="button"
                        class="self-center rounded-full border border-slate-300 px-3 py-1 text-xs text-slate-600 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                        on:click=move |_| load_older()
                        disabled=move || loading_older.get()
                    >
                        {move || if loading_older.get() { "Loading…" } else { "Load older messages" }}
                    </button>
                </Show>
                <Show when=move || messages.with(|m| m.is_empty()) && pending.with(|p| p.is_empty())>
                    <p class="m-auto text-sm text-slate-600">"No messages yet. Say hello!"</p>
                </Show>
                <For
                    each=move || messages.get().into_values()
                    // The whole message: an edit or a reaction redraws it.
                    key=|message| message.clone()
                    children=move |message| view! { <MessageItem me message /> }
                />
                <For
                    each=move || pending.get()
                    key=|p| (p.client_id.clone(), p.failed.clone())
                    children=move |p| view! { <PendingItem pending=p retry discard /> }
                />
            </div>
            <Composer send />
        </section>
    }
}

/// Applies a change to the messages on screen. Each change says how the
/// message is now, so applying one twice (a catch-up repeats what the page
/// already shows) changes nothing; messages not loaded are left alone.
fn apply(messages: &mut BTreeMap<i64, Message>, change: Change) {
    match change {
        Change::MessageEdited { message } | Change::MessageDeleted { message } => {
            if let Some(shown) = messages.get_mut(&message.seq) {
                *shown = message;
            }
        }
        Change::ReactionAdded {
            message_id,
            emoji,
            user,
        } => {
            if let Some(shown) = messages.values_mut().find(|m| m.id == message_id) {
                shown.apply_reaction(&emoji, user.id, true);
            }
        }
        Change::ReactionRemoved {
            message_id,
            emoji,
            user,
        } => {
            if let Some(shown) = messages.values_mut().find(|m| m.id == message_id) {
                shown.apply_reaction(&emoji, user.id, false);
            }
        }
        Change::MemberJoined { .. } | Change::MemberLeft { .. } => {}
    }
}

/// How a rendered body's parts look, in either bubble.
const FORMATTED: &str = "break-words [&_a]:underline [&_blockquote]:border-l-4 [&_blockquote]:border-current/40 [&_blockquote]:pl-2 [&_code]:rounded [&_code]:bg-black/10 [&_code]:px-1 [&_code]:font-mono [&_code]:text-[0.9em] [&_ol]:list-decimal [&_ol]:pl-5 [&>*+*]:mt-1.5 [&_pre]:my-1 [&_pre]:overflow-x-auto [&_pre]:rounded-md [&_pre]:bg-black/10 [&_pre]:p-2 [&_pre_code]:bg-transparent [&_pre_code]:p-0 [&_ul]:list-disc [&_ul]:pl-5";

#[component]
fn MessageItem(message: Message, me: i64) -> impl IntoView {
    let mine = message.author.id == me;
    let (row, bubble) = if mine {
        ("flex justify-end", "bg-indigo-600 text-white")
    } else {
        ("flex justify-start", "bg-slate-100 text-slate-900")
    };
    view! {
        <div class=row>
            <article
                class=format!("max-w-[85%] rounded-2xl px-3 py-2 shadow-sm sm:max-w-[70%] {bubble}")
                data-seq=message.seq
                data-mine=mine.to_string()
            >
                <header class="flex items-baseline gap-2">
                    <span class="text-sm font-semibold">{message.author.username}</span>
                    <span class=if mine { "[&>time]:text-indigo-100" } else { "" }>
                        <Timestamp iso=message.created_at />
                    </span>
                </header>
                {if message.deleted {
                    Either::Left(view! { <p class="italic opacity-80">"message deleted"</p> })
                } else {
                    // Rendered and cleaned on the server (server/format.rs).
                    Either::Right(view! { <div class=FORMATTED inner_html=message.body_html></div> })
                }}
                {message.edited_at.filter(|_| !message.deleted).map(|at| view! {
                    <p class="text-xs opacity-80" title=format!("Edited {at}")>"(edited)"</p>
                })}
                <Reactions reactions=message.reactions me />
            </article>
        </div>
    }
}

/// A message's reactions, one chip per emoji; the reader's own are marked.
#[component]
fn Reactions(reactions: Vec<Reaction>, me: i64) -> impl IntoView {
    (!reactions.is_empty()).then(|| {
        view! {
            <ul class="mt-1 flex flex-wrap gap-1" aria-label="Reactions">
                {reactions
                    .into_iter()
                    .map(|r| {
                        let mine = r.user_ids.contains(&me);
                        let class = if mine {
                            "rounded-full border border-indigo-300 bg-indigo-50 px-2 text-sm text-indigo-900"
                        } else {
                            "rounded-full border border-slate-300 bg-white px-2 text-sm text-slate-800"
                        };
                        let label = format!("{} {}{}", r.emoji, r.count, if mine { ", including you" } else { "" });
                        view! { <li class=class aria-label=label>{r.emoji} " " {r.count}</li> }
                    })
                    .collect_view()}
            </ul>
        }
    })
}

#[component]
fn PendingItem(
    pending: Pending,
    retry: impl Fn(String) + Copy + 'static,
    discard: impl Fn(String) + Copy + 'static,
) -> impl IntoView {
    let socket = ChatSocket::get();
    let failed = pending.failed.clone();
    let id_retry = pending.client_id.clone();
    let id_discard = pending.client_id.clone();
    view! {
        <div class="flex justify-end">
            <div class="max-w-[85%] rounded-2xl border border-dashed border-indigo-300 px-3 py-2 text-slate-700 sm:max-w-[70%]">
                <p class="whitespace-pre-wrap break-words">{pending.body}</p>
                {match failed {
                    None => Either::Left(view! {
                        <p class="text-xs text-slate-600" role="status">
                            {move || if socket.status() == Status::Open { "Sending…" } else { "Waiting for connection…" }}
                        </p>
                    }),
                    Some(reason) => Either::Right(view! {
                        <p class="text-xs text-red-700" role="alert">"Not sent: " {reason}</p>
                        <div class="mt-1 flex gap-2 text-xs">
                            <button type="button" class="font-semibold text-indigo-700 hover:underline" on:click=move |_| retry(id_retry.clone())>"Retry"</button>
                            <button type="button" class="text-slate-600 hover:underline" on:click=move |_| discard(id_discard.clone())>"Discard"</button>
                        </div>
                    }),
                }}
            </div>
        </div>
    }
}

/// Tells the reader when live delivery is interrupted.
#[component]
fn ConnectionBanner() -> impl IntoView {
    let socket = ChatSocket::get();
    move || match socket.status() {
        Status::Reconnecting => Some(EitherOf3::A(view! {
            <div role="status" class="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900">
                "Reconnecting… messages you send now will go out when the connection is back."
            </div>
        })),
        Status::Offline => Some(EitherOf3::B(view! {
            <div role="status" class="border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900">
                "You are offline. Messages you send now will go out when the network is back."
            </div>
        })),
        Status::SessionEnded => Some(EitherOf3::C(view! {
            <div role="alert" class="border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800">
                "You were logged out. " <a href="/login" class="font-semibold underline">"Log in again"</a>
            </div>
        })),
        _ => None,
    }
}

#[component]
fn Composer(send: impl Fn(String) + Copy + 'static) -> impl IntoView {
    let draft = RwSignal::new(String::new());
    let error = RwSignal::new(None::<&'static str>);
    let submit = move || {
        let body = draft.get_untracked();
        if body.trim().is_empty() {
            return;
        }
        if body.chars().count() > MAX_BODY_CHARS {
            error.set(Some("Message must be at most 4000 characters."));
            return;
        }
        error.set(None);
        draft.set(String::new());
        send(body);
    };
    let too_long = move || draft.with(|d| d.chars().count() > MAX_BODY_CHARS);
    view! {
        <form
            class="flex flex-col gap-1 border-t border-slate-200 bg-slate-50 p-3"
            on:submit=move |ev| {
                ev.prevent_default();
                submit();
            }
        >
            <div class="flex items-end gap-2">
                <label for="composer" class="sr-only">"Message"</label>
                <textarea
                    id="composer"
                    name="body"
                    rows="2"
                    placeholder="Write a message…"
                    title="Enter sends, Shift+Enter adds a line"
                    class="min-h-11 flex-1 resize-none rounded-xl border border-slate-300 bg-white px-3 py-2 placeholder:text-slate-500 focus:border-indigo-500 focus:outline-none focus:ring-2 focus:ring-indigo-200"
                    aria-invalid=move || too_long().to_string()
                    aria-describedby="composer-error"
                    prop:value=draft
                    on:input=move |ev| draft.set(event_target_value(&ev))
                    on:keydown=move |ev| {
                        if ev.key() == "Enter" && !ev.shift_key() && !ev.is_composing() {
                            ev.prevent_default();
                            submit();
                        }
                    }
                ></textarea>
                <button
                    type="submit"
                    class="rounded-xl bg-indigo-600 px-4 py-2 font-semibold text-white hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 disabled:opacity-50"
                    disabled=too_long
                >
                    "Send"
                </button>
            </div>
            <p id="composer-error" class="min-h-4 text-xs text-red-700" role="alert">
                {move || {
                    error.get().or_else(|| too_long().then_some("Message must be at most 4000 characters."))
                }}
            </p>
        </form>
    }
}
