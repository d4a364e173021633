//! Chat's shared crate: the wire types and WebSocket protocol, the Leptos
//! pages (rendered on the server, hydrated in the browser), the server
//! functions they call, and, behind the `ssr` feature, the service layer and
//! storage that every server adapter uses.

pub mod api;
pub mod error;
pub mod limits;
pub mod model;
pub mod protocol;

mod app;
mod components;
mod island;
mod notify;
mod pages;
mod presence;
mod session;
mod socket;
mod theme;
mod time;
mod unread;

#[cfg(feature = "ssr")]
pub mod server;

pub use app::{App, shell};
