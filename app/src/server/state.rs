//! What every request handler shares: the database, the live fan-out hub and
//! the settings. Cheap to clone; adapters receive it as axum state or, in
//! server functions, through Leptos context.

use super::auth::LoginLimiter;
use super::db::Db;
use super::hub::Hub;

#[derive(Clone, Debug)]
pub struct Settings {
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    pub cookie_secure: bool,
}

#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub hub: Hub,
    pub settings: Settings,
    pub login_limiter: LoginLimiter,
}

impl AppState {
    pub fn new(db: Db, settings: Settings) -> Self {
        Self {
            db,
            hub: Hub::default(),
            settings,
            login_limiter: LoginLimiter::default(),
        }
    }
}
