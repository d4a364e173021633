//! What the socket owes each room across any number of reconnects: the
//! highest seq delivered (so a resubscribe replays exactly what was missed)
//! and every request not yet acknowledged (resent as is, with its
//! `client_id`, so the server can tell a resend from a new request).
//!
//! Invariant: a request leaves `unacked` only when the server answers it (ack
//! or refusal) or the tab logs out, never because the connection dropped; and
//! a page's handler is called only after the shared state is released, since
//! handlers may send.

use std::rc::Rc;

use leptos::prelude::*;

use super::transport::{Inner, connect, frame, send_now, start_keepalive, with};
use super::{RoomEvent, Status};
use crate::error::ErrorCode;
use crate::protocol::{ClientFrame, ServerFrame};

type Handler = Rc<dyn Fn(RoomEvent)>;

pub(super) struct Room {
    /// Highest seq delivered to the page: where a resubscribe resumes.
    last_seq: i64,
    handler: Handler,
    /// False once the server said we are not a member: not resubscribed
    /// on reconnect, but the page still hears about its refused sends.
    member: bool,
}

pub(super) struct Unacked {
    client_id: String,
    room_id: i64,
    frame: String,
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

/// Sends a signal (someone is typing) if the socket is open; it is not
/// kept for later, since later it would be false.
pub fn signal(signal: ClientFrame) {
    with(|inner| send_now(inner, &frame(&signal)));
}

/// Runs on every open, reconnects included, once the new socket is current.
pub(super) fn resume(inner: &Inner) {
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
}

/// Delivers one frame from the server to the room it concerns.
pub(super) fn dispatch(frame: ServerFrame) {
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
                if from_send.is_none()
                    && matches!(code, ErrorCode::NotAMember | ErrorCode::RoomNotFound)
                {
                    // Left the room (maybe in another tab; a private room is
                    // then not found): stop resubscribing.
                    room.member = false;
                }
                Some(room.handler.clone())
            });
            handler.map(|h| (h, RoomEvent::Error { message, client_id }))
        }
        ServerFrame::Unsubscribed { room_id, reason } => {
            let handler = with(|inner| {
                let room = inner.rooms.get_mut(&room_id)?;
                // Not resubscribed on reconnect: the room is not ours now.
                room.member = false;
                Some(room.handler.clone())
            });
            handler.map(|h| (h, RoomEvent::Unsubscribed(reason)))
        }
        ServerFrame::Typing { room_id, user } => {
            let handler = with(|inner| inner.rooms.get(&room_id).map(|r| r.handler.clone()));
            handler.map(|h| (h, RoomEvent::Typing(user)))
        }
        // For the user, not a room (`notices`).
        ServerFrame::Pong
        | ServerFrame::Invited { .. }
        | ServerFrame::InvitationClosed { .. }
        | ServerFrame::DirectStarted { .. }
        | ServerFrame::Activity { .. }
        | ServerFrame::Presence { .. }
        | ServerFrame::Notification { .. }
        | ServerFrame::NotifySettings { .. } => None,
    };
    if let Some((handler, event)) = delivery {
        handler(event);
    }
}
