//! Frames for the user rather than for a room (an invitation arrived, one
//! was answered in another tab), handed to the one page part that follows
//! them. They are nudges: the socket says when it (re)connects, so that
//! part reads the whole state again instead of trusting it heard everything.

use std::rc::Rc;

use super::UserEvent;
use super::transport::{connect, start_keepalive, with};
use crate::protocol::ServerFrame;

pub(super) type Handler = Rc<dyn Fn(UserEvent)>;

pub fn watch(status: leptos::prelude::RwSignal<super::Status>, handler: Option<Handler>) {
    let needs_connect = with(|inner| {
        inner.status = Some(status);
        let watching = handler.is_some();
        inner.notices = handler;
        watching && inner.current.is_none() && inner.retry.is_none()
    });
    if needs_connect {
        connect();
    }
    start_keepalive();
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
        _ => return,
    };
    // Called after the shared state is released: handlers may send.
    if let Some(handler) = with(|inner| inner.notices.clone()) {
        handler(event);
    }
}
