//! No token, password or cookie value ever reaches the server's log, even
//! at `debug`: whoever reads the logs must not be able to log in as anyone.
//! The real binary runs with its real logging, and the whole log is scanned
//! after every way a secret can travel: registration, a failed and a good
//! login, the cookie, the bearer header, the WebSocket upgrade, logout.

use reqwest::Method;
use reqwest::header::COOKIE;
use serde_json::json;

use crate::support::api::{Api, PASSWORD};
use crate::support::database::TestDatabase;
use crate::support::process::ServerProcess;

const WRONG_PASSWORD: &str = "a wrong guess 4471";

#[tokio::test]
async fn secrets_never_reach_the_log() {
    let database = TestDatabase::create().await;
    let server =
        ServerProcess::start(database.dir(), &database.url, &[("RUST_LOG", "debug")]).await;
    let api = Api::new(server.addr);

    let ann = api.register("ann").await;
    let (status, _) = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": WRONG_PASSWORD})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::UNAUTHORIZED);
    let (status, body) = api
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let second = body["token"].as_str().unwrap().to_owned();

    let response = api
        .http
        .get(api.url("/api/me"))
        .header(COOKIE, format!("chat_session={second}"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), reqwest::StatusCode::OK);
    let room = api.create_room(&ann, "secrets").await;
    let mut socket = api.socket(&ann).await;
    socket.subscribe(room, None).await;
    api.post_message(&ann, room, "hello").await;
    assert_eq!(socket.frame().await["message"]["body"], "hello");
    let (status, _) = api.post("/api/auth/logout", &ann.token, json!({})).await;
    assert_eq!(status, reqwest::StatusCode::NO_CONTENT);
    assert_eq!(socket.closed().await, Some(4001));

    let log = server.log();
    assert!(
        log.contains("listening on") && log.contains("DEBUG"),
        "the log was captured at debug level:\n{log}"
    );
    for (what, secret) in [
        ("the first token", ann.token.as_str()),
        ("the second token", second.as_str()),
        ("the password", PASSWORD),
        ("a wrong password", WRONG_PASSWORD),
    ] {
        assert!(!log.contains(secret), "{what} is in the log:\n{log}");
    }
    assert!(
        !log.contains("chat_session="),
        "a cookie is in the log:\n{log}"
    );
}

/// A PostgreSQL URL carries the database's password; when the database
/// cannot be opened, the log names the URL with the password hidden.
#[tokio::test]
async fn a_database_password_never_reaches_the_log() {
    const DB_PASSWORD: &str = "db-pass-5521";
    let admin = crate::support::database::postgres_admin_url();
    let (_, host) = admin
        .rsplit_once('@')
        .expect("the admin URL names a host after '@'");
    let host = host.rsplit_once('/').map_or(host, |(host, _)| host);
    // A database that does not exist: the server cannot open it and says so.
    let url = format!(
        "postgres://postgres:{DB_PASSWORD}@{host}/chat_no_such_database?password={DB_PASSWORD}"
    );
    let output = tokio::time::timeout(
        std::time::Duration::from_secs(60),
        tokio::process::Command::new(env!("CARGO_BIN_EXE_chat"))
            .env("DATABASE_URL", &url)
            .env("LEPTOS_SITE_ADDR", "127.0.0.1:0")
            .env("RUST_LOG", "debug")
            .env("NO_COLOR", "1")
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("the server gives up on a missing database")
    .expect("the server runs");
    assert!(!output.status.success());
    let log = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        log.contains("cannot open the database") && log.contains("chat_no_such_database"),
        "the log says which database failed:\n{log}"
    );
    assert!(
        !log.contains(DB_PASSWORD),
        "the password is in the log:\n{log}"
    );
}
