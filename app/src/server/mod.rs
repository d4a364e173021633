//! Server-only code: storage, the service layer and live fan-out.
//!
//! Each service module (`auth`, `rooms`, `messages`) owns its rules and its
//! queries. The REST handlers (`src/http`), the WebSocket handler (`src/ws.rs`)
//! and the server functions (`crate::api`) are thin adapters over them, so a
//! rule is written once whichever way a client comes in.

pub mod auth;
pub mod background;
pub mod context;
pub mod csp;
pub mod database_url;
pub mod db;
pub mod error;
pub mod events;
pub mod fanout;
pub mod format;
pub mod hub;
pub mod login_limiter;
pub mod messages;
pub mod rooms;
pub mod rules;
pub mod schema;
pub mod send_rate;
pub mod sessions;
pub mod state;
pub mod text;
pub mod writer;

pub use error::{Error, Result};
pub use state::{AppState, Settings, SocketLimits};
