//! Integration tests: the real server on a free port, a fresh SQLite file per
//! test, real HTTP and WebSocket clients.

#[path = "../support/mod.rs"]
mod support;

mod activity;
mod assets;
mod auth;
mod authorization;
mod direct;
mod errors;
mod events;
mod fuzz;
mod helpers;
mod invitations;
mod limits;
mod mentions;
mod messages;
mod notifications;
mod presence;
mod private_rooms;
mod push;
mod read_markers;
mod rooms;
mod search;
mod security;
mod shutdown;
mod typing;
mod uploads;
mod websocket;
