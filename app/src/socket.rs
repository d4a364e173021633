//! The tab's one WebSocket, shared by every page (protocol in `protocol.rs`).
//!
//! Pages subscribe to a room with a handler and receive typed [`RoomEvent`]s.
//! This module owns the hard parts so pages do not: it remembers the highest
//! seq seen per room and resubscribes with it after any reconnect (so the
//! server replays exactly what was missed), it keeps every send until its ack
//! and resends it with the same `client_id` after a reconnect (so nothing is
//! lost or doubled), and it reconnects with capped exponential backoff plus
//! jitter. When the browser reports the network gone it drops the socket at
//! once rather than waiting for TCP to notice, and reconnects the moment the
//! network is back. A socket refused before it opens tells the page nothing
//! (browsers hide the upgrade's status behind close code 1006), so then it
//! asks the server who is logged in: a session that ended while the tab was
//! asleep or offline shows as logged out instead of reconnecting forever.
//! On the server this is inert: sockets exist only in the browser.

use leptos::prelude::*;

use crate::model::Message;
use crate::protocol::{ClientFrame, Event};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum Status {
    /// No socket wanted yet (server render, or before the first subscribe).
    Idle,
    Connecting,
    Open,
    /// The socket dropped; a reconnect is scheduled.
    Reconnecting,
    /// The browser reports no network; reconnects when it is back.
    Offline,
    /// The server ended the session (logout elsewhere, expiry).
    SessionEnded,
}

#[derive(Clone, Debug)]
#[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
pub enum RoomEvent {
    /// Backlog delivered; what follows is live.
    Subscribed,
    Message(Message),
    /// Any other change to the room: an edit, a deletion, a reaction, a
    /// member joining or leaving.
    Changed(Event),
    /// The server stored one of our sends (the message carries its client_id).
    Ack(Message),
    /// A refused send (with its client_id) or a room-level problem (without).
    Error {
        message: String,
        client_id: Option<String>,
    },
}

#[derive(Clone, Copy)]
pub struct ChatSocket {
    status: RwSignal<Status>,
}

impl ChatSocket {
    pub fn provide() {
        provide_context(ChatSocket {
            status: RwSignal::new(Status::Idle),
        });
    }

    pub fn get() -> ChatSocket {
        expect_context::<ChatSocket>()
    }

    pub fn status(&self) -> Status {
        self.status.get()
    }

    /// Starts delivering `room_id` to `handler`: every message after
    /// `after_seq`, then live ones.
    pub fn subscribe(&self, room_id: i64, after_seq: i64, handler: impl Fn(RoomEvent) + 'static) {
        #[cfg(feature = "hydrate")]
        browser::subscribe(self.status, room_id, after_seq, std::rc::Rc::new(handler));
        #[cfg(not(feature = "hydrate"))]
        let _ = (room_id, after_seq, handler);
    }

    pub fn unsubscribe(&self, room_id: i64) {
        #[cfg(feature = "hydrate")]
        browser::unsubscribe(room_id);
        #[cfg(not(feature = "hydrate"))]
        let _ = room_id;
    }

    /// Queues a request that changes a room (a post, an edit, a deletion,
    /// a reaction); it is sent now or after the next reconnect, and resent
    /// with its client_id until acknowledged (each is idempotent).
    pub fn request(&self, frame: ClientFrame) {
        #[cfg(feature = "hydrate")]
        browser::request(frame);
        #[cfg(not(feature = "hydrate"))]
        let _ = frame;
    }

    /// Closes the socket for good (logout).
    pub fn disconnect(&self) {
        #[cfg(feature = "hydrate")]
        browser::disconnect();
        self.status.set(Status::Idle);
    }
}

#[cfg(feature = "hydrate")]
mod browser {
    use std::cell::RefCell;
    use std::collections::HashMap;
    use std::rc::Rc;
    use std::time::Duration;

    use leptos::prelude::*;
    use wasm_bindgen::JsCast;
    use wasm_bindgen::prelude::*;
    use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

    use super::{RoomEvent, Status};
    use crate::error::ErrorCode;
    use crate::protocol::{CLOSE_SESSION_ENDED, ClientFrame, ServerFrame};

    const MAX_BACKOFF_MS: f64 = 15_000.0;
    const FIRST_BACKOFF_MS: f64 = 500.0;
    /// With no frame for this long (the server pongs our pings), the
    /// connection is presumed dead and replaced.
    const SILENCE_LIMIT_MS: f64 = 45_000.0;
    const PING_EVERY: Duration = Duration::from_secs(20);

    type Handler = Rc<dyn Fn(RoomEvent)>;

    struct Room {
        /// Highest seq delivered to the page: where a resubscribe resumes.
        last_seq: i64,
        handler: Handler,
        /// False once the server said we are not a member: not resubscribed
        /// on reconnect, but the page still hears about its refused sends.
        member: bool,
    }

    struct Unacked {
        client_id: String,
        room_id: i64,
        frame: String,
    }

    /// Closures attached to one WebSocket; dropped only when the next socket
    /// replaces it, never from inside one of its own events.
    struct Attached {
        socket: WebSocket,
        _on_open: Closure<dyn Fn(Event)>,
        _on_message: Closure<dyn Fn(MessageEvent)>,
        _on_close: Closure<dyn Fn(CloseEvent)>,
    }

    #[derive(Default)]
    struct Inner {
        status: Option<RwSignal<Status>>,
        current: Option<Attached>,
        retired: Vec<Attached>,
        rooms: HashMap<i64, Room>,
        unacked: Vec<Unacked>,
        attempt: u32,
        /// Whether the current socket ever opened: one refused at the
        /// upgrade closes without having.
        opened: bool,
        retry: Option<TimeoutHandle>,
        last_heard: f64,
        keepalive: bool,
    }

    thread_local! {
        static INNER: RefCell<Inner> = RefCell::new(Inner::default());
    }

    fn with<R>(f: impl FnOnce(&mut Inner) -> R) -> R {
        INNER.with(|inner| f(&mut inner.borrow_mut()))
    }

    fn set_status(status: Status) {
        if let Some(signal) = with(|inner| inner.status) {
            signal.set(status);
        }
    }

    fn is_open(inner: &Inner) -> bool {
        inner
            .current
            .as_ref()
            .is_some_and(|a| a.socket.ready_state() == WebSocket::OPEN)
    }

    fn send_now(inner: &Inner, frame: &str) {
        if let Some(attached) = inner.current.as_ref().filter(|_| is_open(inner)) {
            let _ = attached.socket.send_with_str(frame);
        }
    }

    fn frame(frame: &ClientFrame) -> String {
        serde_json::to_string(frame).unwrap_or_default()
    }

    pub fn subscribe(status: RwSignal<Status>, room_id: i64, after_seq: i64, handler: Handler) {
        let needs_connect = with(|inner| {
            inner.status = Some(status);
            inner.rooms.insert(
                room_id,
                Room {
                    last_seq: after_seq,
                    handler,
                    member: true,
                },
            );
            send_now(
                inner,
                &frame(&ClientFrame::Subscribe {
                    room_id,
                    after_seq: Some(after_seq),
                }),
            );
            inner.current.is_none() && inner.retry.is_none()
        });
        if needs_connect {
            connect();
        }
        start_keepalive();
    }

    pub fn unsubscribe(room_id: i64) {
        with(|inner| {
            if inner.rooms.remove(&room_id).is_some() {
                send_now(inner, &frame(&ClientFrame::Unsubscribe { room_id }));
            }
        });
    }

    pub fn request(request: ClientFrame) {
        let (Some(client_id), Some(room_id)) = (request.client_id(), request.room_id()) else {
            return;
        };
        let client_id = client_id.to_owned();
        with(|inner| {
            let text = frame(&request);
            send_now(inner, &text);
            inner.unacked.push(Unacked {
                client_id,
                room_id,
                frame: text,
            });
        });
    }

    pub fn disconnect() {
        with(|inner| {
            inner.rooms.clear();
            inner.unacked.clear();
            if let Some(retry) = inner.retry.take() {
                retry.clear();
            }
            if let Some(attached) = inner.current.take() {
                let _ = attached.socket.close_with_code(1000);
                inner.retired.push(attached);
            }
        });
    }

    fn url() -> String {
        let location = window().location();
        let scheme = if location.protocol().as_deref() == Ok("https:") {
            "wss"
        } else {
            "ws"
        };
        format!("{scheme}://{}/ws", location.host().unwrap_or_default())
    }

    fn connect() {
        set_status(if with(|inner| inner.attempt) == 0 {
            Status::Connecting
        } else {
            Status::Reconnecting
        });
        let socket = match WebSocket::new(&url()) {
            Ok(socket) => socket,
            Err(_) => return schedule_reconnect(),
        };
        let on_open = Closure::<dyn Fn(Event)>::new(on_open);
        let on_message = Closure::<dyn Fn(MessageEvent)>::new(on_message);
        let on_close = Closure::<dyn Fn(CloseEvent)>::new(on_close);
        socket.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        socket.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        socket.set_onclose(Some(on_close.as_ref().unchecked_ref()));
        with(|inner| {
            inner.opened = false;
            // Old sockets are closed; their closures can go now.
            inner.retired.clear();
            if let Some(old) = inner.current.replace(Attached {
                socket,
                _on_open: on_open,
                _on_message: on_message,
                _on_close: on_close,
            }) {
                // One socket per tab: the one replaced must not linger.
                let _ = old.socket.close();
                inner.retired.push(old);
            }
        });
    }

    /// Whether an event comes from the socket in use, not one already
    /// replaced (whose events may still arrive).
    fn from_current(event: &Event) -> bool {
        let target = event.target().map(JsValue::from);
        with(|inner| {
            inner
                .current
                .as_ref()
                .is_some_and(|a| target.as_ref() == Some(a.socket.as_ref()))
        })
    }

    /// Stops using the current socket without waiting for its close event.
    fn drop_current() {
        with(|inner| {
            if let Some(attached) = inner.current.take() {
                let _ = attached.socket.close();
                inner.retired.push(attached);
            }
        });
    }

    fn on_open(event: Event) {
        if !from_current(&event) {
            return;
        }
        with(|inner| {
            inner.attempt = 0;
            inner.opened = true;
            inner.last_heard = js_sys::Date::now();
            // Resume every room after the last seq the page has, then resend
            // everything not yet acknowledged, in the order it was typed.
            for (room_id, room) in inner.rooms.iter().filter(|(_, room)| room.member) {
                send_now(
                    inner,
                    &frame(&ClientFrame::Subscribe {
                        room_id: *room_id,
                        after_seq: Some(room.last_seq),
                    }),
                );
            }
            for unacked in &inner.unacked {
                send_now(inner, &unacked.frame);
            }
        });
        set_status(Status::Open);
    }

    fn on_close(event: CloseEvent) {
        if !from_current(&event) {
            return;
        }
        let session_ended = event.code() == CLOSE_SESSION_ENDED;
        let (wanted, refused) = with(|inner| {
            if let Some(old) = inner.current.take() {
                inner.retired.push(old);
            }
            let wanted = !inner.rooms.is_empty() || !inner.unacked.is_empty();
            (wanted, !inner.opened)
        });
        if session_ended {
            set_status(Status::SessionEnded);
        } else if wanted && refused {
            leptos::task::spawn_local(reconnect_unless_logged_out());
        } else if wanted {
            schedule_reconnect();
        } else {
            set_status(Status::Idle);
        }
    }

    /// After an upgrade that failed: a logged-out tab stops trying and says
    /// so; anything else (server restarting, network) is retried as usual.
    /// Unless something else (a page subscribing, the network coming back)
    /// started a connection meanwhile: then that one goes on alone.
    async fn reconnect_unless_logged_out() {
        let answer = crate::api::current_user().await;
        if with(|inner| inner.current.is_some() || inner.retry.is_some()) {
            return;
        }
        match answer {
            Ok(None) => set_status(Status::SessionEnded),
            Ok(Some(_)) | Err(_) => schedule_reconnect(),
        }
    }

    fn browser_online() -> bool {
        window().navigator().on_line()
    }

    fn schedule_reconnect() {
        if !browser_online() {
            // The `online` listener reconnects; retrying now would only fail.
            return set_status(Status::Offline);
        }
        set_status(Status::Reconnecting);
        let delay = with(|inner| {
            let base =
                (FIRST_BACKOFF_MS * 2f64.powi(inner.attempt.min(10) as i32)).min(MAX_BACKOFF_MS);
            inner.attempt += 1;
            // Full jitter between half and all of the backoff, so a server
            // restart is not met by every tab at the same instant.
            base * (0.5 + js_sys::Math::random() / 2.0)
        });
        let handle = set_timeout_with_handle(
            || {
                with(|inner| inner.retry = None);
                connect();
            },
            Duration::from_millis(delay as u64),
        );
        with(|inner| inner.retry = handle.ok());
    }

    /// Follows the browser's network state and pings so that a dead
    /// connection (a sleeping laptop, a silent proxy) is noticed.
    fn start_keepalive() {
        if with(|inner| std::mem::replace(&mut inner.keepalive, true)) {
            return;
        }
        let online = window_event_listener(leptos::ev::online, |_| {
            let reconnect = with(|inner| {
                inner.attempt = 0;
                if let Some(retry) = inner.retry.take() {
                    retry.clear();
                }
                let wanted = !inner.rooms.is_empty() || !inner.unacked.is_empty();
                wanted && inner.current.is_none()
            });
            if reconnect {
                connect();
            }
        });
        let offline = window_event_listener(leptos::ev::offline, |_| {
            let wanted = with(|inner| inner.current.is_some());
            drop_current();
            if wanted {
                // Shows the offline state; `online` reconnects.
                schedule_reconnect();
            }
        });
        // Both live as long as the tab.
        std::mem::forget(online);
        std::mem::forget(offline);
        set_interval(
            || {
                let stale = with(|inner| {
                    send_now(inner, &frame(&ClientFrame::Ping));
                    is_open(inner) && js_sys::Date::now() - inner.last_heard > SILENCE_LIMIT_MS
                });
                if stale {
                    // A dead peer may take minutes to report the close.
                    drop_current();
                    schedule_reconnect();
                }
            },
            PING_EVERY,
        );
    }

    fn on_message(event: MessageEvent) {
        with(|inner| inner.last_heard = js_sys::Date::now());
        let Some(text) = event.data().as_string() else {
            return;
        };
        let Ok(frame) = serde_json::from_str::<ServerFrame>(&text) else {
            leptos::logging::warn!("unexpected frame from server: {text}");
            return;
        };
        // Find the handler while borrowed, call it after: handlers may send.
        let delivery = match frame {
            ServerFrame::Message { message } => {
                let handler = with(|inner| {
                    let room = inner.rooms.get_mut(&message.room_id)?;
                    room.last_seq = room.last_seq.max(message.seq);
                    Some(room.handler.clone())
                });
                handler.map(|h| (h, RoomEvent::Message(message)))
            }
            ServerFrame::Event(event) => {
                let handler = with(|inner| {
                    let room = inner.rooms.get_mut(&event.room_id)?;
                    room.last_seq = room.last_seq.max(event.seq);
                    Some(room.handler.clone())
                });
                handler.map(|h| (h, RoomEvent::Changed(event)))
            }
            ServerFrame::Subscribed { room_id, last_seq } => {
                let handler = with(|inner| {
                    let room = inner.rooms.get_mut(&room_id)?;
                    room.last_seq = room.last_seq.max(last_seq);
                    Some(room.handler.clone())
                });
                handler.map(|h| (h, RoomEvent::Subscribed))
            }
            ServerFrame::Ack { client_id, message } => {
                let handler = with(|inner| {
                    inner.unacked.retain(|u| u.client_id != client_id);
                    inner.rooms.get(&message.room_id).map(|r| r.handler.clone())
                });
                handler.map(|h| (h, RoomEvent::Ack(message)))
            }
            ServerFrame::Error {
                code,
                message,
                client_id,
                room_id,
            } => {
                let handler = with(|inner| {
                    let from_send = client_id.as_ref().and_then(|id| {
                        let position = inner.unacked.iter().position(|u| &u.client_id == id)?;
                        Some(inner.unacked.remove(position).room_id)
                    });
                    let room_id = from_send.or(room_id)?;
                    let room = inner.rooms.get_mut(&room_id)?;
                    if from_send.is_none() && code == ErrorCode::NotAMember {
                        // Left the room (maybe in another tab): stop resubscribing.
                        room.member = false;
                    }
                    Some(room.handler.clone())
                });
                handler.map(|h| (h, RoomEvent::Error { message, client_id }))
            }
            ServerFrame::Pong => None,
        };
        if let Some((handler, event)) = delivery {
            handler(event);
        }
    }
}
