//! The server in this process on a free port, with a fresh database (see
//! `support::database`), so each test reads as the scenario it checks.

use std::ops::Deref;

use app::server::{AppState, Settings};
use chat::startup::{Config, Spawned, spawn_config};
use leptos::config::LeptosOptions;

use crate::support::api::Api;
pub use crate::support::api::{PASSWORD, assert_error};
use crate::support::database::TestDatabase;
pub use crate::support::socket::Next;

pub struct TestApp {
    pub server: Spawned,
    api: Api,
    _database: TestDatabase,
}

pub async fn spawn_app() -> TestApp {
    let mut settings = Settings::default();
    // Scenarios post more than a person would; the send allowance has its
    // own tests (`limits.rs`), which set it explicitly.
    settings.sends.burst = 1_000_000;
    settings.login.registrations_per_address = 1_000_000;
    spawn_app_with(settings).await
}

/// [`spawn_app`] with other settings, for the tests of a limit.
pub async fn spawn_app_with(settings: Settings) -> TestApp {
    let database = TestDatabase::create().await;
    let server = spawn_config(Config {
        database_url: database.url.clone().into(),
        settings,
        leptos: LeptosOptions::builder().output_name("chat").build(),
    })
    .await;
    TestApp {
        api: Api::new(server.addr),
        server,
        _database: database,
    }
}

impl TestApp {
    /// Stops the server as SIGTERM does, and returns what outlives it: its
    /// state (to inspect the database and its tasks) and the database.
    pub async fn stop(self) -> (AppState, TestDatabase) {
        let state = self.server.state.clone();
        self.server.stop().await;
        (state, self._database)
    }
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
