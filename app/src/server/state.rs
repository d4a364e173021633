//! What every request handler shares: the database, the live fan-out hub and
//! the settings. Cheap to clone; adapters receive it as axum state or, in
//! server functions, through Leptos context.

use std::time::Duration;

use super::auth::LoginLimiter;
use super::db::{Backend, Db};
use super::hub::Hub;
use super::sessions::SessionCache;
use super::writer::Writer;

#[derive(Clone, Debug, Default)]
pub struct Settings {
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
    pub sockets: SocketLimits,
}

/// How much the server holds for one WebSocket before giving up on it. The
/// queue bounds memory per connection; the write timeout bounds how long a
/// peer that stopped reading keeps its socket.
#[derive(Clone, Debug)]
pub struct SocketLimits {
    /// Live messages queued for one socket before it is closed as too slow.
    pub queue: usize,
    /// A write that cannot complete in this time ends the connection.
    pub write_timeout: Duration,
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self {
            queue: 256,
            write_timeout: Duration::from_secs(10),
        }
    }
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Hub,
    pub writer: Writer,
    pub sessions: SessionCache,
    pub settings: Settings,
    pub login_limiter: LoginLimiter,
}

impl AppState {
    /// Starts the message writer, so it must run inside the tokio runtime.
    pub fn new(db: Db, settings: Settings) -> Self {
        let hub = Hub::default();
        Self {
            writer: Writer::start(db.clone(), hub.clone()),
            sessions: SessionCache::new(db.backend() == Backend::Sqlite),
            db,
            hub,
            settings,
            login_limiter: LoginLimiter::default(),
        }
    }
}
