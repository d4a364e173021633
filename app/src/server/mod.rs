//! Server-only code, in layers that depend one way:
//!
//! ```text
//! storage   the queries (sqlx + sea-query), one module per table family
//!    ↑
//! live      the event-log writer, the hub, cross-node fan-out: typed
//!    ↑      events in seq order; no HTTP, no rules of its own
//! services  the rules: who may do what, input validation, limits
//!    ↑
//! adapters  REST (src/http), WebSocket (src/ws), server functions
//!           (crate::api), with what they share in [`web`]: parse, call
//!           one service function, shape the answer
//! ```
//!
//! Beside the layers, used by all of them and using none: [`error`] (one
//! error type, turned into a response in one place), [`text`] (input
//! checks), [`format`] (Markdown to safe HTML), [`background`] (the node's
//! tasks and their stop signal). [`state`] builds the layers into one
//! [`AppState`]; the writer is handed the services' rules
//! ([`services::rules::Rules`]) there, which is how live code applies rules
//! without depending on the layer above it.

pub mod background;
pub mod error;
pub mod format;
pub mod live;
pub mod services;
pub mod state;
pub mod storage;
pub mod text;
pub mod web;

pub use error::{Error, Result};
pub use state::{AppState, Settings, SocketLimits};
