//! `/rooms/:id`: a room's history, live messages and the composer.
//!
//! The server renders the newest page; in the browser the page subscribes
//! from the newest seq it holds, so the socket fills any gap since the render
//! and then streams live messages. Messages are kept by seq, which makes a
//! replayed message a no-op and keeps the order right whatever arrives when.
//! Sends show at once as pending, become real on ack, and can be retried with
//! the same client_id if the server refuses them.

use std::collections::{BTreeMap, HashMap};

use leptos::either::{Either, EitherOf3};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::api::{OpenedRoom, history, open_room};
use crate::components::attachments::ImageViewer;
use crate::components::composer::{Composer, Mode};
use crate::components::members::MembersPanel;
use crate::components::mention_picker::Mentionable;
use crate::components::message::{MessageActions, MessageItem};
use crate::components::notice::{ErrorNote, LoadingRoom};
use crate::components::notify_settings::NotifySettings;
use crate::components::room_header::RoomHeader;
use crate::components::room_list::RoomList;
use crate::components::timeline::{DaySeparator, place};
use crate::error::{AppError, ErrorCode};
use crate::model::{Author, LeaveReason, Message, RoomKind, Upload};
use crate::protocol::{Change, ClientFrame, TYPING_EVERY_MS, TYPING_SHOWN_MS};
use crate::session::{RequireUser, Session};
use crate::socket::{ChatSocket, RoomEvent, Status};
use crate::time::local_time;
use crate::unread::{ReadMarker, Unread};

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
            None => Err(AppError::new(
                ErrorCode::RoomNotFound,
                "That room does not exist.",
            )),
        }
    });
    // The open room tells the list beside it when what it lists changed.
    let changed = RwSignal::new(0u32);
    view! {
        <RequireUser>
            <div class="flex min-h-0 flex-1">
                <aside class="hidden w-72 shrink-0 flex-col border-r border-slate-200 bg-slate-50 p-4 md:flex">
                    <RoomList current=Signal::derive(room_id) changed />
                </aside>
                <Transition fallback=LoadingRoom>
                    {move || Suspend::new(async move {
                        match opened.await {
                            Ok(opened) => Either::Left(view! { <RoomView opened changed /> }),
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
    reply_to: Option<i64>,
    attachments: Vec<Upload>,
    /// Why the server refused it, if it did.
    failed: Option<String>,
}

#[component]
fn RoomView(
    opened: OpenedRoom,
    /// Bumped when the room list's view of this room is out of date.
    changed: RwSignal<u32>,
) -> impl IntoView {
    let socket = ChatSocket::get();
    let me = Session::get().user().map(|u| u.id).unwrap_or_default();
    let room = opened.room;
    let room_id = room.id;
    let resume_from = opened.page.messages.last().map_or(0, |m| m.seq);
    let member_count = RwSignal::new(room.member_count);
    let name = RwSignal::new(room.name.clone());
    // Owners and admins rename the room and delete any message; a role
    // given or taken while the room is open applies at once.
    let my_role = RwSignal::new(room.my_role);
    let moderator =
        Signal::derive(move || my_role.get().is_some_and(crate::model::Role::moderates));
    let kind = room.kind;
    let topic = RwSignal::new(room.topic.clone());
    let members_open = RwSignal::new(false);
    let notify_open = RwSignal::new(false);
    let notify_level = RwSignal::new(room.notify);
    let notify_muted = RwSignal::new(room.muted);
    // Changed in another tab (or this one): shown here too.
    let heard = Unread::get();
    Effect::new(move |_| {
        if let Some((level, muted)) = heard.settings_of(room_id) {
            notify_level.set(level);
            notify_muted.set(muted);
        }
    });
    let counted_at = room.last_seq;
    let names = RwSignal::new(HashMap::new());
    names.update(|names| opened.page.messages.iter().for_each(|m| learn(names, m)));
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
    // Opened at a message far back, the page holds two runs of history:
    // around that message, and the newest, which live events extend. The
    // seqs between them, `(last of the older run, first of the newer)`,
    // are not loaded; scrolling down to the gap loads them.
    let gap = RwSignal::new(None::<(i64, i64)>);
    // Days and runs follow the reader's zone once the page is hydrated.
    let local = local_time();
    let loading_newer = RwSignal::new(false);
    // Bumped when the room is opened around a message: a page asked for
    // before that belongs to runs that are gone, and is dropped.
    let epoch = StoredValue::new(0u32);
    // Changes heard while an older page is on its way: that page may hold
    // the messages they change, read before them. Applied again once it
    // arrives (each says how things are now, so twice is harmless).
    let fetching = StoredValue::new(0u32);
    let heard_while_fetching = StoredValue::new(Vec::<(Change, i64)>::new());
    let pending = RwSignal::new(Vec::<Pending>::new());
    let notice = RwSignal::new(None::<String>);
    let mode = RwSignal::new(Mode::New);
    let highlighted = RwSignal::new(None::<i64>);
    let scroller = NodeRef::<leptos::html::Div>::new();
    // Where the reader had read to when the room opened: the "new
    // messages" line stays there until it is opened again. A visitor who
    // is not a member has no marker, and nothing is new to them.
    let unread = Unread::get();
    let read_to = room.last_read_seq;
    let opened_at = room.last_seq;
    let unread_at_open = room.unread_count;
    let marker = read_to.map(|read_to| ReadMarker::new(room_id, opened_at, read_to));
    let first_unread =
        Memo::new(move |_| messages.with(|m| first_unread(m, read_to?, opened_at, me)));
    // Shown until the line has been in view (or jumped to).
    let divider_seen = RwSignal::new(unread_at_open == 0);
    // Who else is typing, and until when (ms since the page opened).
    let typing = RwSignal::new(Vec::<(Author, f64)>::new());
    let typing_sent = StoredValue::new(None::<f64>);
    let typed = Callback::new(move |()| {
        let now = crate::time::now_ms() as f64;
        let due = typing_sent
            .get_value()
            .is_none_or(|sent| now - sent >= TYPING_EVERY_MS as f64);
        if due {
            typing_sent.set_value(Some(now));
            socket.signal(ClientFrame::Typing { room_id });
        }
    });
    // Messages from others that arrived below while the reader was up in
    // the history: a pill offers the way down instead of a jump.
    let arrived_below = RwSignal::new(0u32);
    // What a screen reader is told, politely, of a message that arrives:
    // who and what, not the whole history again.
    let announced = RwSignal::new(String::new());
    // A count that moved while the reader looked away: read the list again
    // (once a second at most) so the title shows it.
    let recount_due = StoredValue::new(false);

    // Also called from animation frames, which may come after the room
    // closed: every read here tolerates that.
    let near_bottom = move || {
        scroller
            .try_get_untracked()
            .flatten()
            .is_none_or(|el| el.scroll_height() - el.scroll_top() - el.client_height() < 120)
    };
    let scroll_to_bottom = move || {
        request_animation_frame(move || {
            if let Some(el) = scroller.get_untracked() {
                el.set_scroll_top(el.scroll_height());
            }
        });
    };
    // After anything that may have brought the end, or the line, into view.
    let look = move || {
        let at_bottom = near_bottom();
        if let Some(marker) = marker {
            marker.check(at_bottom);
        }
        if at_bottom && arrived_below.try_get_untracked().is_some_and(|n| n > 0) {
            arrived_below.set(0);
        }
        if divider_seen.try_get_untracked() == Some(false) && divider_in_view(scroller) {
            divider_seen.set(true);
        }
    };
    let saw = move |seq: i64, author: Option<i64>| {
        if let Some(marker) = marker {
            marker.saw(seq);
        }
        if author.is_some_and(|author| author != me)
            && !crate::unread::page_is_seen()
            && recount_due.try_get_value() == Some(false)
        {
            recount_due.set_value(true);
            set_timeout(
                move || {
                    if recount_due.try_update_value(|due| *due = false).is_some() {
                        unread.refresh();
                    }
                },
                std::time::Duration::from_secs(1),
            );
        }
    };
    crate::unread::when_page_seen(look);

    let on_event = move |event: RoomEvent| match event {
        RoomEvent::Typing(user) if user.id != me => {
            let until = crate::time::now_ms() as f64 + TYPING_SHOWN_MS as f64;
            typing.update(|typing| {
                typing.retain(|(who, _)| who.id != user.id);
                typing.push((user, until));
            });
            set_timeout(
                move || {
                    let now = crate::time::now_ms() as f64;
                    typing.try_update(|typing| typing.retain(|(_, until)| *until > now));
                },
                std::time::Duration::from_millis(TYPING_SHOWN_MS + 50),
            );
        }
        RoomEvent::Typing(_) => {}
        RoomEvent::Message(message) => {
            // Their message is what they were typing.
            typing.update(|typing| typing.retain(|(who, _)| who.id != message.author.id));
            let follow = near_bottom() || message.author.id == me;
            if let Some(client_id) = &message.client_id {
                pending.update(|p| p.retain(|p| &p.client_id != client_id));
            }
            names.update(|names| learn(names, &message));
            saw(message.seq, Some(message.author.id));
            if message.author.id != me {
                // Emptied first, so that the same words twice are said twice.
                let said = format!("{}: {}", message.author.username, message.excerpt());
                announced.set(String::new());
                request_animation_frame(move || {
                    let _ = announced.try_set(said);
                });
                if !follow {
                    arrived_below.update(|n| *n += 1);
                }
            }
            messages.update(|m| {
                m.insert(message.seq, message);
            });
            if follow {
                scroll_to_bottom();
            }
            request_animation_frame(look);
        }
        // Our own post, edit, deletion or reaction: the message as it now is.
        RoomEvent::Ack(message) => {
            let posted = message
                .client_id
                .as_ref()
                .is_some_and(|id| pending.with_untracked(|p| p.iter().any(|p| &p.client_id == id)));
            if let Some(client_id) = &message.client_id {
                pending.update(|p| p.retain(|p| &p.client_id != client_id));
            }
            // A change to a message not loaded (opened around another,
            // the gap in between) is not added: it would stand alone there.
            messages.update(|m| {
                if posted || m.contains_key(&message.seq) {
                    m.insert(message.seq, message);
                }
            });
            if posted {
                scroll_to_bottom();
            }
        }
        RoomEvent::Error {
            message,
            client_id: Some(client_id),
        } => {
            let was_send = pending.with_untracked(|p| p.iter().any(|p| p.client_id == client_id));
            if was_send {
                pending.update(|p| {
                    if let Some(p) = p.iter_mut().find(|p| p.client_id == client_id) {
                        p.failed = Some(message);
                    }
                });
            } else {
                notice.set(Some(message));
            }
        }
        RoomEvent::Error {
            message,
            client_id: None,
        } => notice.set(Some(message)),
        RoomEvent::Subscribed => notice.set(None),
        RoomEvent::Unsubscribed(reason) => {
            notice.set(Some(match reason {
                LeaveReason::Deleted => "This room was deleted.".into(),
                _ => {
                    "You were removed from this room, so new messages no longer arrive here.".into()
                }
            }));
            // The room list no longer has it (a private room) or shows it
            // as not joined.
            changed.update(|n| *n = n.wrapping_add(1));
        }
        RoomEvent::Changed(event) => {
            names.update(|names| learn_from_change(names, &event.change));
            // The count came with the room, as of its last seq; a replay of
            // older joins must not count them twice.
            if event.seq > counted_at {
                match event.change {
                    Change::MemberJoined { .. } => member_count.update(|n| *n += 1),
                    Change::MemberLeft { .. } => member_count.update(|n| *n -= 1),
                    _ => {}
                }
                if let Change::MemberJoined { .. }
                | Change::MemberLeft { .. }
                | Change::MemberRoleChanged { .. }
                | Change::RoomUpdated { .. } = event.change
                {
                    changed.update(|n| *n = n.wrapping_add(1));
                }
            }
            // Only the name: the event's counts are as of now, not of its seq.
            if let Change::RoomUpdated { room } = &event.change {
                name.set(room.name.clone());
                topic.set(room.topic.clone());
            }
            if let Change::MemberRoleChanged { user, role } = &event.change
                && user.id == me
            {
                my_role.set(Some(*role));
            }
            if fetching.get_value() > 0 {
                heard_while_fetching.update_value(|h| h.push((event.change.clone(), event.seq)));
            }
            saw(event.seq, None);
            messages.update(|m| apply(m, event.change, event.seq));
            request_animation_frame(look);
        }
    };

    // Effects run only in the browser: that is where the socket lives.
    Effect::new(move |_| {
        socket.subscribe(room_id, resume_from, on_event);
        scroll_to_bottom();
        request_animation_frame(look);
    });
    on_cleanup(move || socket.unsubscribe(room_id));

    // A page of history, merged into what is shown with the changes heard
    // while it was on its way; `None` (the notice says why) if it failed.
    let fetch = move |before: Option<i64>, after: Option<i64>, around: Option<i64>| async move {
        // Counted, not flagged: a jump to a quote and a scroll up may both
        // be fetching, and each page needs what was heard during it.
        fetching.update_value(|n| *n += 1);
        let asked_in = epoch.get_value();
        let fetched = history(room_id, before, after, around).await;
        // The room may have closed meanwhile.
        fetching.try_update_value(|n| *n -= 1)?;
        let heard = if fetching.try_get_value()? == 0 {
            heard_while_fetching.try_update_value(std::mem::take)
        } else {
            heard_while_fetching.try_with_value(|h| h.clone())
        }
        .unwrap_or_default();
        if epoch.try_get_value()? != asked_in {
            return None;
        }
        match fetched {
            Ok(page) => {
                names.update(|names| page.messages.iter().for_each(|m| learn(names, m)));
                messages.update(|m| {
                    m.extend(page.messages.iter().map(|m| (m.seq, m.clone())));
                    for (change, seq) in heard {
                        apply(m, change, seq);
                    }
                });
                Some(page)
            }
            Err(e) => {
                notice.set(Some(e.message));
                None
            }
        }
    };
    // The page before the oldest message held; false when there is none.
    let fetch_older = move || async move {
        let Some(first) = messages.with_untracked(|m| m.keys().next().copied()) else {
            return false;
        };
        match fetch(Some(first), None, None).await {
            Some(page) => {
                has_more.set(page.has_more);
                true
            }
            None => false,
        }
    };
    // The next page into the gap, from its older side.
    let load_newer = move || {
        let Some((after, before)) = gap.get_untracked() else {
            return;
        };
        if loading_newer.get_untracked() {
            return;
        }
        loading_newer.set(true);
        spawn_local(async move {
            if let Some(page) = fetch(Some(before), Some(after), None).await {
                let reached = page.messages.last().map_or(before, |m| m.seq);
                gap.set((page.has_more && reached < before).then_some((reached, before)));
            }
            let _ = loading_newer.try_set(false);
        });
    };
    // Opens the history around `seq`, far behind what is shown: the run
    // around it replaces any older run, and the gap up to the newest run
    // is left to load as the reader scrolls down.
    let open_around = move |seq: i64| async move {
        epoch.update_value(|n| *n = n.wrapping_add(1));
        let newest_from = gap
            .get_untracked()
            .map(|(_, newer)| newer)
            .or_else(|| messages.with_untracked(|m| m.keys().next().copied()));
        let Some(page) = fetch(None, None, Some(seq)).await else {
            return;
        };
        let reached = page.messages.last().map(|m| m.seq);
        messages.update(|m| {
            if let Some(newer) = newest_from {
                let window: std::collections::BTreeSet<i64> =
                    page.messages.iter().map(|m| m.seq).collect();
                m.retain(|seq, _| *seq >= newer || window.contains(seq));
            }
        });
        has_more.set(page.has_more);
        gap.set(match (reached, newest_from) {
            (Some(reached), Some(newer)) if reached < newer => Some((reached, newer)),
            _ => None,
        });
    };
    let load_older = move || {
        if loading_older.get_untracked() || !has_more.get_untracked() {
            return;
        }
        loading_older.set(true);
        let before_height = scroller.get_untracked().map(|el| el.scroll_height());
        spawn_local(async move {
            if fetch_older().await {
                // Keep the message the reader was looking at in place.
                request_animation_frame(move || {
                    if let (Some(el), Some(before)) = (scroller.get_untracked(), before_height) {
                        el.set_scroll_top(el.scroll_top() + el.scroll_height() - before);
                    }
                });
            }
            loading_older.set(false);
        });
    };
    // A reply's original: loaded if it is older than what is shown, then
    // scrolled to, focused and briefly marked.
    let jump = move |seq: i64| {
        spawn_local(async move {
            let first = messages.with_untracked(|m| m.keys().next().copied());
            let in_gap = gap
                .get_untracked()
                .is_some_and(|(older, newer)| older < seq && seq < newer);
            let far = first.is_some_and(|first| seq < first - FAR_BACK);
            if in_gap || far {
                open_around(seq).await;
            }
            while messages.try_with_untracked(|m| !m.contains_key(&seq)) == Some(true)
                && has_more.try_get_untracked() == Some(true)
                && fetch_older().await
            {}
            // The room may have closed meanwhile.
            let Some(found) = messages.try_with_untracked(|m| m.get(&seq).map(|m| m.id)) else {
                return;
            };
            let Some(id) = found else {
                notice.set(Some("That message is no longer in this room.".into()));
                return;
            };
            highlighted.set(Some(seq));
            request_animation_frame(move || show_message(id));
            set_timeout(
                move || {
                    if highlighted.get_untracked() == Some(seq) {
                        highlighted.set(None);
                    }
                },
                std::time::Duration::from_secs(2),
            );
        });
    };

    // `?seq=S` (a notification clicked): that message, loaded, scrolled to
    // and marked, as a reply's original is; again whenever it changes.
    let query = use_query_map();
    Effect::new(move |previous: Option<Option<i64>>| {
        let wanted = query.with(|q| q.get("seq").and_then(|seq| seq.parse::<i64>().ok()));
        if let Some(seq) = wanted
            && previous != Some(wanted)
        {
            jump(seq);
        }
        wanted
    });

    // The first unread message: older pages are loaded until it is there
    // (or the room has no more), then it is scrolled to.
    let jump_to_unread = move || {
        let Some(read_to) = read_to else { return };
        spawn_local(async move {
            // The room may close while pages load: stop then.
            while messages
                .try_with_untracked(|m| m.keys().next().is_some_and(|&first| first > read_to + 1))
                == Some(true)
                && has_more.try_get_untracked() == Some(true)
                && fetch_older().await
            {}
            request_animation_frame(show_new_messages_line);
        });
    };

    let request = move |frame: ClientFrame| {
        notice.set(None);
        socket.request(frame);
    };
    let client_id = || uuid::Uuid::new_v4().to_string();
    let send = move |(body, attachments): (String, Vec<Upload>)| {
        let reply_to = match mode.get_untracked() {
            Mode::Reply(message) => Some(message.id),
            Mode::New | Mode::Edit(_) => None,
        };
        let client_id = client_id();
        pending.update(|p| {
            p.push(Pending {
                client_id: client_id.clone(),
                body: body.clone(),
                reply_to,
                attachments: attachments.clone(),
                failed: None,
            })
        });
        request(ClientFrame::Send {
            room_id,
            body,
            client_id,
            reply_to,
            attachments: attachments.into_iter().map(|a| a.id).collect(),
        });
        scroll_to_bottom();
    };
    let retry = move |client_id: String| {
        let Some(again) =
            pending.with_untracked(|p| p.iter().find(|p| p.client_id == client_id).cloned())
        else {
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
        request(ClientFrame::Send {
            room_id,
            body: again.body,
            client_id,
            reply_to: again.reply_to,
            attachments: again.attachments.into_iter().map(|a| a.id).collect(),
        });
    };
    let discard =
        move |client_id: String| pending.update(|p| p.retain(|p| p.client_id != client_id));
    // The image the viewer shows, if it is open.
    let viewing = RwSignal::new(None::<String>);
    let actions = MessageActions {
        react: Callback::new(move |(message_id, emoji, add): (i64, String, bool)| {
            let client_id = client_id();
            request(if add {
                ClientFrame::React {
                    room_id,
                    message_id,
                    emoji,
                    client_id,
                }
            } else {
                ClientFrame::Unreact {
                    room_id,
                    message_id,
                    emoji,
                    client_id,
                }
            });
        }),
        reply: Callback::new(move |message| mode.set(Mode::Reply(message))),
        edit: Callback::new(move |message| mode.set(Mode::Edit(message))),
        delete: Callback::new(move |message_id| {
            request(ClientFrame::Delete {
                room_id,
                message_id,
                client_id: client_id(),
            })
        }),
        jump: Callback::new(jump),
        view_image: Callback::new(move |id: String| viewing.set(Some(id))),
    };
    // The room's images, oldest first: what the viewer steps through.
    let images = Signal::derive(move || {
        messages.with(|m| {
            m.values()
                .flat_map(|message| message.attachments.iter())
                .filter(|upload| upload.is_image())
                .cloned()
                .collect::<Vec<_>>()
        })
    });
    let save_edit = Callback::new(move |(message, body): (Message, String)| {
        if body != message.body {
            request(ClientFrame::Edit {
                room_id,
                message_id: message.id,
                body,
                client_id: client_id(),
            });
        }
    });
    let edit_last = Callback::new(move |()| {
        let last = messages.with_untracked(|m| {
            m.values()
                .rev()
                .find(|m| m.author.id == me && !m.deleted)
                .cloned()
        });
        if let Some(message) = last {
            mode.set(Mode::Edit(message));
        }
    });

    // Escape closes the room's open panel, wherever the focus is, unless
    // what had the focus used it (an open picker, a reply being written),
    // and gives the focus back to the button that opened it.
    let escape = window_event_listener(leptos::ev::keydown, move |ev| {
        if ev.key() != "Escape" || ev.default_prevented() {
            return;
        }
        let closed = if members_open.get_untracked() {
            members_open.set(false);
            Some("members-toggle")
        } else if notify_open.get_untracked() {
            notify_open.set(false);
            Some("notify-toggle")
        } else {
            None
        };
        if let Some(toggle) = closed {
            ev.prevent_default();
            focus_by_id(toggle);
        }
    });
    on_cleanup(move || escape.remove());
    // Opened, the members panel takes the focus (on a narrow screen it
    // covers the room, and the button that opened it).
    Effect::new(move |was_open: Option<bool>| {
        let open = members_open.get();
        if open && was_open == Some(false) {
            request_animation_frame(|| focus_by_id("members-close"));
        }
        open
    });

    let mentionable = Mentionable {
        room_id,
        me,
        room_too: Signal::derive(move || kind != RoomKind::Direct && moderator.get()),
        changed: changed.into(),
    };

    view! {
        <Title text=move || format!("{} · Chat", name.get()) />
        // The room, and beside it (over it, on a narrow screen) its members.
        <section class="relative flex min-w-0 flex-1 bg-surface" aria-labelledby="room-title">
            <div class="flex min-w-0 flex-1 flex-col">
            <RoomHeader room_id name topic member_count=member_count.into() kind moderator members_open
                notify_open=room.my_role.is_some().then_some(notify_open) muted=notify_muted />
            <Show when=move || notify_open.get()>
                <NotifySettings room_id level=notify_level muted=notify_muted />
            </Show>
            <ConnectionBanner />
            <Show when=move || !divider_seen.get()>
                <JumpToUnread count=unread_at_open jump=move || {
                    divider_seen.set(true);
                    jump_to_unread();
                } />
            </Show>
            {move || notice.get().map(|text| view! {
                <div role="alert" class="border-b border-red-200 bg-red-50 px-4 py-2 text-sm text-red-800">{text}</div>
            })}
            <div class="relative flex min-h-0 flex-1 flex-col">
            <div
                node_ref=scroller
                // Scrolled by keyboard too: focusable, and named for it.
                role="region"
                aria-label="History"
                tabindex="0"
                class="flex min-h-0 flex-1 flex-col overflow-y-auto px-1 pb-4 pt-4 focus:outline-none focus-visible:ring-2 focus-visible:ring-inset focus-visible:ring-indigo-500 sm:px-6"
                on:scroll=move |_| {
                    if scroller.get_untracked().is_some_and(|el| el.scroll_top() < 80) {
                        load_older();
                    }
                    if gap.get_untracked().is_some() && gap_in_view(scroller) {
                        load_newer();
                    }
                    look();
                }
            >
                <Show when=move || has_more.get()>
                    <button
                        type="button"
                        class="my-2 self-center rounded-full border border-slate-300 px-3 py-1 text-xs text-slate-600 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
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
                    each=move || messages.with(|m| m.keys().copied().collect::<Vec<_>>())
                    key=|seq| *seq
                    children=move |seq| {
                        // Each item follows its own message: a change to
                        // one redraws only what changed in it.
                        let initial = messages.with_untracked(|m| m.get(&seq).cloned());
                        initial.map(|initial| {
                            let created_at = initial.created_at.clone();
                            let message = Memo::new(move |previous: Option<&Message>| {
                                messages
                                    .with(|m| m.get(&seq).cloned())
                                    .or_else(|| previous.cloned())
                                    .unwrap_or_else(|| initial.clone())
                            });
                            // Against the message shown above it, unless a
                            // gap in what is loaded lies between them.
                            let placement = Memo::new(move |_| {
                                let local = local.get();
                                let after_gap = |above: i64| gap.with(|g| g.is_some_and(|(older, _)| older == above));
                                messages.with(|m| {
                                    let this = m.get(&seq)?;
                                    let above = m.range(..seq).next_back().map(|(_, above)| above);
                                    Some(place(above.filter(|above| !after_gap(above.seq)), this, local))
                                })
                                .unwrap_or_default()
                            });
                            let unread_line = move || first_unread.get() == Some(seq);
                            view! {
                                <Show when=move || placement.get().new_day>
                                    <DaySeparator iso=created_at.clone() local />
                                </Show>
                                <Show when=unread_line>
                                    <NewMessagesLine />
                                </Show>
                                <MessageItem me owner=moderator message names=names.into() actions highlighted=highlighted.into()
                                    continued=Signal::derive(move || placement.get().continued && !unread_line()) />
                                <Show when=move || gap.with(|g| g.is_some_and(|(older, _)| older == seq))>
                                    <button
                                        id=HISTORY_GAP
                                        type="button"
                                        class="my-3 self-center rounded-full border border-slate-300 px-3 py-1 text-xs text-slate-600 hover:bg-slate-50 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                                        on:click=move |_| load_newer()
                                        disabled=move || loading_newer.get()
                                    >
                                        {move || if loading_newer.get() { "Loading…" } else { "Load newer messages" }}
                                    </button>
                                </Show>
                            }
                        })
                    }
                />
                <For
                    each=move || pending.get()
                    key=|p| (p.client_id.clone(), p.failed.clone())
                    children=move |p| view! { <PendingItem pending=p retry discard /> }
                />
            </div>
            <Show when=move || { arrived_below.get() > 0 }>
                <button
                    type="button"
                    class="absolute bottom-3 left-1/2 z-10 -translate-x-1/2 rounded-full bg-indigo-600 px-4 py-1.5 text-sm font-semibold text-white shadow-lg hover:bg-indigo-500 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500 focus-visible:ring-offset-2"
                    on:click=move |_| {
                        arrived_below.set(0);
                        // The pill goes: the focus goes to the history.
                        if let Some(el) = scroller.get_untracked() {
                            el.set_scroll_top(el.scroll_height());
                            let _ = el.focus();
                        }
                    }
                >
                    {move || match arrived_below.get() {
                        1 => "1 new message".to_owned(),
                        n => format!("{n} new messages"),
                    }}
                    <span aria-hidden="true">" ↓"</span>
                </button>
            </Show>
            </div>
            <p class="sr-only" aria-live="polite" aria-atomic="true">{move || announced.get()}</p>
            <p class="min-h-5 px-4 text-xs italic text-slate-600 sm:px-6">
                {move || typing.with(|typing| {
                    let names: Vec<&str> = typing.iter().map(|(who, _)| who.username.as_str()).collect();
                    typing_line(&names)
                })}
            </p>
            <Composer mode send=Callback::new(send) save_edit edit_last typed mentionable />
            </div>
            <Show when=move || members_open.get()>
                <aside class="absolute inset-y-0 right-0 z-20 w-full max-w-sm overflow-y-auto border-l border-slate-200 bg-surface shadow-xl lg:static lg:z-auto lg:w-80 lg:shrink-0 lg:shadow-none">
                    <button
                        type="button"
                        id="members-close"
                        class="absolute right-2 top-2 rounded-md px-2 py-1 text-sm text-slate-700 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                        aria-label="Close members"
                        on:click=move |_| {
                            members_open.set(false);
                            focus_by_id("members-toggle");
                        }
                    >
                        "×"
                    </button>
                    <MembersPanel room_id me my_role name changed />
                </aside>
            </Show>
            <ImageViewer images open=viewing />
        </section>
    }
}

/// Remembers who wrote a message (and what it replies to), for naming the
/// people behind a reaction.
fn learn(names: &mut HashMap<i64, String>, message: &Message) {
    names.insert(message.author.id, message.author.username.clone());
    if let Some(quoted) = &message.reply_to {
        names.insert(quoted.author.id, quoted.author.username.clone());
    }
}

fn learn_from_change(names: &mut HashMap<i64, String>, change: &Change) {
    match change {
        Change::MessageEdited { message } | Change::MessageDeleted { message } => {
            learn(names, message)
        }
        Change::ReactionAdded { user, .. }
        | Change::ReactionRemoved { user, .. }
        | Change::MemberJoined { user }
        | Change::MemberLeft { user, .. }
        | Change::MemberRoleChanged { user, .. }
        | Change::RoomDeleted { user } => {
            names.insert(user.id, user.username.clone());
        }
        Change::RoomUpdated { .. } => {}
    }
}

/// Scrolls the message into the middle of the view and gives it focus, so
/// that a keyboard user lands where the eye does.
fn show_message(id: i64) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let Some(element) = document().get_element_by_id(&format!("message-{id}")) else {
            return;
        };
        let options = web_sys::ScrollIntoViewOptions::new();
        options.set_block(web_sys::ScrollLogicalPosition::Center);
        element.scroll_into_view_with_scroll_into_view_options(&options);
        if let Ok(element) = element.dyn_into::<web_sys::HtmlElement>() {
            let _ = element.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Applies a change to the messages on screen. Each change says how the
/// message is now, so applying one twice (a catch-up repeats what the page
/// already shows) changes nothing; messages not loaded are left alone.
fn apply(messages: &mut BTreeMap<i64, Message>, change: Change, seq: i64) {
    match change {
        Change::MessageEdited { message } | Change::MessageDeleted { message } => {
            // A reply quotes the start of its original as it is now.
            for reply in messages.values_mut() {
                if let Some(quoted) = reply.reply_to.as_mut().filter(|q| q.id == message.id) {
                    quoted.excerpt = message.excerpt();
                }
            }
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
                shown.apply_reaction(&emoji, user.id, true, seq);
            }
        }
        Change::ReactionRemoved {
            message_id,
            emoji,
            user,
        } => {
            if let Some(shown) = messages.values_mut().find(|m| m.id == message_id) {
                shown.apply_reaction(&emoji, user.id, false, seq);
            }
        }
        Change::MemberJoined { .. }
        | Change::MemberLeft { .. }
        | Change::RoomUpdated { .. }
        | Change::MemberRoleChanged { .. }
        | Change::RoomDeleted { .. } => {}
    }
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
        <div class="mt-1 flex gap-3 rounded-lg border-l-2 border-dashed border-indigo-300 py-0.5 pl-1.5 pr-2 sm:pl-2.5">
            <div class="w-9 shrink-0"></div>
            <div class="min-w-0 flex-1 text-slate-700">
                <p class="whitespace-pre-wrap break-words">{pending.body}</p>
                {(!pending.attachments.is_empty()).then(|| view! {
                    <ul class="mt-1 text-xs text-slate-600" aria-label="Files">
                        {pending.attachments.iter().map(|upload| view! { <li>"📎 " {upload.name.clone()}</li> }).collect_view()}
                    </ul>
                })}
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

/// The first message of someone else's after the marker `read_to` among
/// those shown, up to `opened_at` (what came later arrived while reading).
fn first_unread(
    messages: &BTreeMap<i64, Message>,
    read_to: i64,
    opened_at: i64,
    me: i64,
) -> Option<i64> {
    if read_to >= opened_at {
        return None;
    }
    messages
        .range(read_to + 1..=opened_at)
        .find(|(_, m)| m.author.id != me)
        .map(|(&seq, _)| seq)
}

/// "Ann is typing…", "Ann and Bo are typing…", "Several people are
/// typing…"; nothing when nobody is.
fn typing_line(names: &[&str]) -> Option<String> {
    match names {
        [] => None,
        [one] => Some(format!("{one} is typing…")),
        [one, two] => Some(format!("{one} and {two} are typing…")),
        _ => Some("Several people are typing…".to_owned()),
    }
}

const NEW_MESSAGES_LINE: &str = "new-messages";

/// The line above the first message the reader had not read when the room
/// opened.
#[component]
fn NewMessagesLine() -> impl IntoView {
    view! {
        <div id=NEW_MESSAGES_LINE class="mt-3 flex items-center gap-2 text-xs font-semibold text-red-700" role="separator" aria-label="New messages">
            <span class="h-px flex-1 bg-red-300"></span>
            <span aria-hidden="true">"New messages"</span>
            <span class="h-px flex-1 bg-red-300"></span>
        </div>
    }
}

/// Gives the keyboard's focus back to the element with this id (the
/// button that opened what just closed).
fn focus_by_id(id: &'static str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(el) = document()
            .get_element_by_id(id)
            .and_then(|el| el.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = el.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = id;
}

/// Gives the focus to the first unread message (the button that led there
/// is gone), so a keyboard user lands there too, and scrolls the "new
/// messages" line above it into view. The line itself takes no focus: a
/// focusable separator is a slider to assistive technology.
fn show_new_messages_line() {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(line) = document().get_element_by_id(NEW_MESSAGES_LINE) {
            let first = line
                .next_element_sibling()
                .filter(|next| next.tag_name().eq_ignore_ascii_case("article"))
                .and_then(|article| article.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(first) = first {
                let _ = first.focus();
            }
            line.scroll_into_view();
        }
    }
}

/// Whether the "new messages" line is on screen, or below what is shown
/// (the reader scrolled up past it). False when it is not rendered.
/// How far behind the messages shown (in seqs) a message must be for the
/// room to open around it rather than page back to it.
const FAR_BACK: i64 = 150;

/// The id of the "Load newer messages" button at the gap.
const HISTORY_GAP: &str = "history-gap";

/// Whether the gap's button is on screen (or just below it).
fn gap_in_view(scroller: NodeRef<leptos::html::Div>) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let (Some(el), Some(button)) = (
            scroller.try_get_untracked().flatten(),
            document().get_element_by_id(HISTORY_GAP),
        ) else {
            return false;
        };
        button.get_bounding_client_rect().top() < el.get_bounding_client_rect().bottom() + 200.0
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = scroller;
        false
    }
}

fn divider_in_view(scroller: NodeRef<leptos::html::Div>) -> bool {
    #[cfg(feature = "hydrate")]
    {
        let (Some(line), Some(view)) = (
            document().get_element_by_id(NEW_MESSAGES_LINE),
            scroller.try_get_untracked().flatten(),
        ) else {
            return false;
        };
        line.get_bounding_client_rect().top() >= view.get_bounding_client_rect().top()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = scroller;
        false
    }
}

/// Above the timeline while the "new messages" line is out of view: how
/// many there were, and a way there.
#[component]
fn JumpToUnread(count: i64, jump: impl Fn() + 'static) -> impl IntoView {
    let label = match count {
        1 => "1 new message".to_owned(),
        n => format!("{n} new messages"),
    };
    view! {
        <div class="flex items-center justify-between gap-3 border-b border-indigo-100 bg-indigo-50 px-4 py-1.5 text-sm text-indigo-900">
            <span>{label}</span>
            <button
                type="button"
                class="rounded-md px-2 py-0.5 font-semibold text-indigo-700 hover:bg-indigo-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-indigo-500"
                on:click=move |_| jump()
            >
                "Jump to first unread"
            </button>
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;

    fn by(author: i64, seq: i64) -> (i64, Message) {
        let message = Message {
            id: seq,
            room_id: 1,
            seq,
            author: Author {
                id: author,
                username: format!("user{author}"),
            },
            body: "hi".into(),
            body_html: "<p>hi</p>\n".into(),
            created_at: "2026-12-01T10:00:00.000Z".into(),
            client_id: None,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        };
        (seq, message)
    }

    #[test]
    fn who_is_typing_reads_naturally() {
        assert_eq!(typing_line(&[]), None);
        assert_eq!(typing_line(&["ann"]).unwrap(), "ann is typing…");
        assert_eq!(
            typing_line(&["ann", "bo"]).unwrap(),
            "ann and bo are typing…"
        );
        assert_eq!(
            typing_line(&["ann", "bo", "cy"]).unwrap(),
            "Several people are typing…"
        );
    }

    #[test]
    fn the_line_goes_above_the_first_message_of_others_past_the_marker() {
        let me = 1;
        let shown: BTreeMap<i64, Message> = [by(2, 3), by(1, 5), by(2, 6), by(2, 9)].into();
        assert_eq!(
            first_unread(&shown, 4, 9, me),
            Some(6),
            "my own is never unread"
        );
        assert_eq!(first_unread(&shown, 2, 9, me), Some(3));
        // What arrived after the room opened is not above the line.
        assert_eq!(first_unread(&shown, 6, 8, me), None);
        // All read, or read past what the room had (no panic on an empty range).
        assert_eq!(first_unread(&shown, 9, 9, me), None);
        assert_eq!(first_unread(&shown, 10, 9, me), None);
        assert_eq!(first_unread(&BTreeMap::new(), 0, 0, me), None);
    }
}
