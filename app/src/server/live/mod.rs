//! Live delivery: making a change to a room and getting it, in seq order,
//! to every socket that watches the room, on every node.
//!
//! - [`writer`] makes every durable change and logs it as the room's next
//!   event, in group commits; it asks the services' [`writer::Policy`]
//!   whether each change is allowed, under the room's lock, and knows no
//!   rule itself.
//! - [`fanout`] carries committed events (and ended sessions, and leaves)
//!   between nodes with PostgreSQL's NOTIFY, or within the one SQLite node.
//! - [`hub`] is the node's registry of sockets and what they watch.
//! - [`subscription`] and [`backlog`] replay the log to a new subscriber
//!   and join it to the live stream without a gap.
//! - [`activity`] sums up, per user, what was published in rooms their
//!   sockets do not watch: the per-user stream their room list follows.
//! - [`presence`] keeps who is here, across nodes, and tells those who
//!   share a room with them.
//! - [`push`] sends Web Push notifications to browsers with no tab open.
//! - [`session_cache`] is what a node remembers of sessions, kept honest by
//!   the fan-out of ended sessions.
//!
//! Nothing here knows HTTP, sockets' frames or who may do what.

pub mod activity;
pub mod backlog;
pub mod fanout;
pub mod hub;
pub mod presence;
pub mod push;
pub mod session_cache;
pub mod subscription;
pub mod writer;

use hub::Hub;
use session_cache::SessionCache;

/// Forgets a session that no longer exists in the database, and closes its
/// sockets on this node.
pub fn session_ended(sessions: &SessionCache, hub: &Hub, session: &str) {
    sessions.forget(session);
    hub.end_session(session);
}
