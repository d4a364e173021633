//! The server in this process on a free port, with a fresh SQLite file, so
//! each test reads as the scenario it checks.

use std::ops::Deref;

use chat::startup::{Spawned, spawn};

use crate::support::api::Api;
pub use crate::support::api::{PASSWORD, assert_error};
pub use crate::support::socket::Next;

pub struct TestApp {
    pub server: Spawned,
    api: Api,
    _dir: tempfile::TempDir,
}

pub async fn spawn_app() -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("chat.db").display());
    let server = spawn(&url).await;
    TestApp {
        api: Api::new(server.addr),
        server,
        _dir: dir,
    }
}

impl Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}
