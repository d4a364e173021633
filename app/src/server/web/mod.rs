//! What the adapters share: the REST handlers and the WebSocket upgrade
//! (in the server crate) and the server functions (`crate::api`) read a
//! request's credentials, reach the state and set a page's CSP the same
//! way. Adapters parse, call one service function and shape the answer;
//! nothing here decides anything.

pub mod context;
pub mod credentials;
pub mod csp;
