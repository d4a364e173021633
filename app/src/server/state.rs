//! What every request handler shares: the database, the live fan-out hub and
//! the settings. Cheap to clone; adapters receive it as axum state or, in
//! server functions, through Leptos context.

use std::sync::Arc;
use std::time::Duration;

use super::background::Background;
use super::error::Error;
use super::live::activity;
use super::live::hub::Hub;
use super::live::presence::{self, PresenceTimes};
use super::live::push::Pusher;
use super::live::session_cache::SessionCache;
use super::live::writer::Writer;
use super::services::login_limiter::{LoginLimiter, LoginLimits};
use super::services::notifications;
use super::services::push::{self, PushSettings};
use super::services::rules::Rules;
use super::services::send_rate::{SendLimiter, SendLimits};
use super::services::typing::TypingLimiter;
use super::services::uploads::{self, UploadSettings};
use super::storage::db::{Backend, Db};
use super::storage::files::Files;

/// Everything an operator can tune, each read from the environment variable
/// named on its field (README "Configuration"). The defaults are safe for a
/// server on the open internet.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    /// `COOKIE_SECURE`.
    pub cookie_secure: bool,
    /// How long a session lives after it was last used. `SESSION_TTL_DAYS`.
    pub session_ttl: Duration,
    /// The origins (`https://chat.example`) whose pages may use the
    /// cookie for unsafe requests and open sockets. Empty: the request's
    /// own host. `ALLOWED_ORIGINS`, comma-separated.
    pub allowed_origins: Vec<String>,
    /// The header a reverse proxy puts the client's address in; its last
    /// entry is used. Unset: the TCP peer. `CLIENT_IP_HEADER`.
    pub client_ip_header: Option<http::HeaderName>,
    pub login: LoginLimits,
    pub sends: SendLimits,
    pub sockets: SocketLimits,
    pub presence: PresenceTimes,
    pub push: PushSettings,
    pub uploads: UploadSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            cookie_secure: false,
            session_ttl: Duration::from_secs(30 * 24 * 60 * 60),
            allowed_origins: Vec::new(),
            client_ip_header: None,
            login: LoginLimits::default(),
            sends: SendLimits::default(),
            sockets: SocketLimits::default(),
            presence: PresenceTimes::default(),
            push: PushSettings::default(),
            uploads: UploadSettings::default(),
        }
    }
}

/// How much one WebSocket may hold of the server, and how long the server
/// holds on to one that stopped answering. The queue bounds memory per
/// connection; the write timeout bounds how long a peer that stopped
/// reading keeps its socket.
#[derive(Clone, Debug)]
pub struct SocketLimits {
    /// Live messages queued for one socket before it is closed as too slow.
    /// `WS_QUEUE_LIMIT`.
    pub queue: usize,
    /// A write that cannot complete in this time ends the connection.
    /// `WS_WRITE_TIMEOUT_SECS`.
    pub write_timeout: Duration,
    /// How often the server pings. `WS_PING_SECS`.
    pub ping_every: Duration,
    /// A peer silent this long (no frame, no pong) is dropped.
    /// `WS_IDLE_TIMEOUT_SECS`.
    pub idle_timeout: Duration,
    /// Rooms one socket may watch at a time. `WS_MAX_SUBSCRIPTIONS`.
    pub max_subscriptions: usize,
    /// Open sockets one user may hold (tabs, devices).
    /// `WS_MAX_SOCKETS_PER_USER`.
    pub max_per_user: usize,
}

impl Default for SocketLimits {
    fn default() -> Self {
        Self {
            queue: 256,
            write_timeout: Duration::from_secs(10),
            ping_every: Duration::from_secs(25),
            idle_timeout: Duration::from_secs(60),
            max_subscriptions: 100,
            max_per_user: 20,
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
    pub send_limiter: SendLimiter,
    pub typing: TypingLimiter,
    /// Web Push, signed with the key the database keeps.
    pub pusher: Pusher,
    /// Where uploads' bytes are kept.
    pub files: Files,
    /// The node's long-running tasks and their stop signal.
    pub background: Background,
}

impl AppState {
    /// Starts the message writer (on a thread of its own), its publisher,
    /// the activity, presence and notification tasks, so it must run
    /// inside the tokio runtime. Makes the Web Push key on a first start.
    pub async fn new(db: Db, settings: Settings) -> Result<Self, Error> {
        let files = Files::open(&settings.uploads.storage_url)?;
        let pusher = push::pusher(&db, &settings.push).await?;
        let hub = Hub::default();
        let background = Background::default();
        let (posted, to_notify) = tokio::sync::mpsc::channel(notifications::QUEUE);
        let writer = Writer::start(
            db.clone(),
            hub.clone(),
            Arc::new(Rules),
            posted,
            &background,
        )
        .map_err(|e| Error::Internal(format!("cannot start the room writer: {e}")))?;
        activity::start(db.clone(), hub.clone(), &background);
        presence::start(
            db.clone(),
            hub.clone(),
            settings.presence.clone(),
            &background,
        );
        uploads::start_sweeper(
            db.clone(),
            files.clone(),
            settings.uploads.sweep_every,
            &background,
        );
        let state = Self {
            writer,
            background,
            sessions: SessionCache::new(db.backend() == Backend::Sqlite),
            db,
            hub,
            login_limiter: LoginLimiter::new(settings.login.clone()),
            send_limiter: SendLimiter::new(settings.sends.clone()),
            typing: TypingLimiter::default(),
            pusher,
            files,
            settings,
        };
        notifications::start(state.clone(), to_notify);
        Ok(state)
    }
}
