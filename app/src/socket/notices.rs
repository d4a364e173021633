//! Frames for the user rather than for a room (an invitation arrived, one
//! was answered in another tab, a direct conversation started, activity in
//! rooms this tab does not watch), handed to the one page part that
//! follows them. They are nudges: the socket says when it (re)connects, so that
//! part reads the whole state again instead of trusting it heard everything.

use std::rc::Rc;

use super::UserEvent;
use super::transport::{connect, start_keepalive, with};
use crate::protocol::ServerFrame;

pub(super) type Handler = Rc<dyn Fn(UserEvent)>;

/// Makes `handler` the follower (replacing any other), connecting if need
/// be; returns its id, for [`unwatch`].
pub fn watch(status: leptos::prelude::RwSignal<super::Status>, handler: Handler) -> u64 {
    let (id, needs_connect) = with(|inner| {
        inner.status = Some(status);
        inner.notices_id += 1;
        inner.notices = Some(handler);
        (
            inner.notices_id,
            inner.current.is_none() && inner.retry.is_none(),
        )
    });
    if needs_connect {
        connect();
    }
    start_keepalive();
    id
}

/// Stops handing frames to the follower `id`, unless another has taken
/// its place since (a page being replaced cleans up after the new one
/// has started following).
pub fn unwatch(id: u64) {
    with(|inner| {
        if inner.notices_id == id {
            inner.notices = None;
        }
    });
}

/// Tells the watcher the socket (re)opened.
pub(super) fn opened() {
    if let Some(handler) = with(|inner| inner.notices.clone()) {
        handler(UserEvent::Connected);
    }
}

pub(super) fn dispatch(frame: ServerFrame) {
    let event = match frame {
        ServerFrame::Invited { .. } | ServerFrame::InvitationClosed { .. } => {
            UserEvent::InvitationsChanged
        }
        ServerFrame::DirectStarted { .. } => UserEvent::RoomsChanged,
        ServerFrame::Activity { rooms, left } => UserEvent::Activity { rooms, left },
        ServerFrame::Presence { users } => UserEvent::Presence(users),
        ServerFrame::Notification {
            room_id,
            message_id,
            seq,
            title,
            body,
        } => UserEvent::Notification {
            room_id,
            message_id,
            seq,
            title,
            body,
        },
        ServerFrame::NotifySettings {
            room_id,
            notify,
            muted,
        } => UserEvent::NotifySettings {
            room_id,
            notify,
            muted,
        },
        _ => return,
    };
    // Called after the shared state is released: handlers may send.
    if let Some(handler) = with(|inner| inner.notices.clone()) {
        handler(event);
    }
}
