//! `GET /ws`: the WebSocket adapter over the services (protocol in
//! `app::protocol`).
//!
//! One task owns each socket and is the only writer to it. The hub puts each
//! subscribed room's messages straight into this connection's bounded queue;
//! if it overflows, the client is too slow and is closed with 4008 so it
//! resumes from its last seq rather than the server buffering for it. Dead
//! peers are found by protocol pings.
//!
//! Every limit on what one socket may hold (sockets per user, rooms per
//! socket, idle time) is a setting in `app::server::SocketLimits`, checked
//! here; how fast a user may send is the service's rule
//! (`app::server::services::send_rate`), and a socket that ignores it is closed.
//!
//! - [`upgrade`]: who may open a socket, and its buffers.
//! - `connection`: the socket's task and its loop.
//! - `dispatch`: one client frame → one service call → its reply.
//! - `in_flight`: changes handed to the writer, answered in order once committed.
//! - `writes`: batching frames into flushes, bounded by the write timeout.
//! - `frames`: parsing client frames and shaping error frames.

mod connection;
mod dispatch;
mod frames;
mod in_flight;
mod upgrade;
mod writes;

pub use frames::parse;
pub use upgrade::upgrade;
