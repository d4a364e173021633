//! The connection itself: opening the tab's WebSocket, noticing when it is
//! dead or the network is gone, reconnecting with backoff and jitter, and
//! giving up when the session is over. It also holds the tab-wide state that
//! `rooms` shares, since every reconnect must resume all rooms at once.
//!
//! Invariant: only `Inner::current` is the socket in use. A replaced socket
//! may still fire events, so each event handler first checks it comes from
//! the current one, and a replaced socket's closures wait in `retired` until
//! the next connect instead of being dropped inside one of their own events.

use std::cell::RefCell;
use std::collections::HashMap;
use std::time::Duration;

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{CloseEvent, Event, MessageEvent, WebSocket};

use super::Status;
use super::notices;
use super::rooms::{self, Room, Unacked};
use crate::protocol::{CLOSE_SESSION_ENDED, ClientFrame, ServerFrame};

const MAX_BACKOFF_MS: f64 = 15_000.0;
const FIRST_BACKOFF_MS: f64 = 500.0;
/// With no frame for this long (the server pongs our pings), the
/// connection is presumed dead and replaced.
const SILENCE_LIMIT_MS: f64 = 45_000.0;
const PING_EVERY: Duration = Duration::from_secs(20);

/// Closures attached to one WebSocket; dropped only when the next socket
/// replaces it, never from inside one of its own events.
pub(super) struct Attached {
    socket: WebSocket,
    _on_open: Closure<dyn Fn(Event)>,
    _on_message: Closure<dyn Fn(MessageEvent)>,
    _on_close: Closure<dyn Fn(CloseEvent)>,
}

/// Everything the tab's socket knows, connection and rooms alike; reached
/// only through `with`.
#[derive(Default)]
pub(super) struct Inner {
    pub(super) status: Option<RwSignal<Status>>,
    pub(super) current: Option<Attached>,
    retired: Vec<Attached>,
    pub(super) rooms: HashMap<i64, Room>,
    pub(super) unacked: Vec<Unacked>,
    /// Who follows the frames for the user (`notices`), if anyone.
    pub(super) notices: Option<notices::Handler>,
    /// Which follower `notices` is.
    pub(super) notices_id: u64,
    attempt: u32,
    /// Whether the current socket ever opened: one refused at the
    /// upgrade closes without having.
    opened: bool,
    pub(super) retry: Option<TimeoutHandle>,
    last_heard: f64,
    keepalive: bool,
}

thread_local! {
    static INNER: RefCell<Inner> = RefCell::new(Inner::default());
}

pub(super) fn with<R>(f: impl FnOnce(&mut Inner) -> R) -> R {
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

pub(super) fn send_now(inner: &Inner, frame: &str) {
    if let Some(attached) = inner.current.as_ref().filter(|_| is_open(inner)) {
        let _ = attached.socket.send_with_str(frame);
    }
}

pub(super) fn frame(frame: &ClientFrame) -> String {
    serde_json::to_string(frame).unwrap_or_default()
}

/// Whether anything needs the socket: a room, a request not yet answered,
/// or someone following the user's frames.
fn wanted(inner: &Inner) -> bool {
    !inner.rooms.is_empty() || !inner.unacked.is_empty() || inner.notices.is_some()
}

pub fn disconnect() {
    with(|inner| {
        inner.rooms.clear();
        inner.unacked.clear();
        inner.notices = None;
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

pub(super) fn connect() {
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
        rooms::resume(inner);
    });
    set_status(Status::Open);
    notices::opened();
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
        (wanted(inner), !inner.opened)
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
        let base = (FIRST_BACKOFF_MS * 2f64.powi(inner.attempt.min(10) as i32)).min(MAX_BACKOFF_MS);
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
pub(super) fn start_keepalive() {
    if with(|inner| std::mem::replace(&mut inner.keepalive, true)) {
        return;
    }
    let online = window_event_listener(leptos::ev::online, |_| {
        let reconnect = with(|inner| {
            inner.attempt = 0;
            if let Some(retry) = inner.retry.take() {
                retry.clear();
            }
            wanted(inner) && inner.current.is_none()
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
    if frame.is_for_user() {
        notices::dispatch(frame)
    } else {
        rooms::dispatch(frame)
    }
}
