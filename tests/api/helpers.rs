//! The server in this process on a free port, with a fresh database (see
//! `support::database`), so each test reads as the scenario it checks.

use std::ops::Deref;

use app::server::{AppState, Settings};
use chat::startup::{Config, Spawned, spawn_config};
use leptos::config::LeptosOptions;
use reqwest::{Method, StatusCode};
use serde_json::Value;

use crate::support::api::{Api, TestUser};
pub use crate::support::api::{PASSWORD, assert_error};
use crate::support::database::TestDatabase;
use crate::support::files::TestFiles;
pub use crate::support::socket::Next;

pub struct TestApp {
    pub server: Spawned,
    api: Api,
    /// Where its uploads are kept.
    pub files: TestFiles,
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
pub async fn spawn_app_with(mut settings: Settings) -> TestApp {
    let database = TestDatabase::create().await;
    let files = TestFiles::create(database.dir()).await;
    settings.uploads.storage_url = files.storage_url();
    let server = spawn_config(Config {
        database_url: database.url.clone().into(),
        settings,
        leptos: LeptosOptions::builder().output_name("chat").build(),
    })
    .await;
    TestApp {
        api: Api::new(server.addr),
        server,
        files,
        _database: database,
    }
}

impl TestApp {
    /// The test's database, to set up what no request can (a link past
    /// its expiry) and to read what no answer shows (a stored hash).
    pub fn database(&self) -> &TestDatabase {
        &self._database
    }

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

/// `(status, code)` of an answer; the code is "" for a success.
pub async fn answer(
    app: &TestApp,
    method: Method,
    path: &str,
    user: Option<&TestUser>,
    body: Option<Value>,
) -> (StatusCode, String) {
    let (status, body) = app
        .call(method, path, user.map(|u| u.token.as_str()), body)
        .await;
    let code = body["error"]["code"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    (status, code)
}

/// A server function's `(status, code)`, called as the pages call it.
pub async fn server_fn(
    app: &TestApp,
    name: &str,
    user: &TestUser,
    args: &[(&str, &str)],
) -> (StatusCode, String) {
    let response = app
        .http
        .post(app.url(&format!("/api/fn/{name}")))
        .form(args)
        .bearer_auth(&user.token)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    (status, body["code"].as_str().unwrap_or_default().to_owned())
}
