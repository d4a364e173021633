use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{PASSWORD, assert_error, spawn_app};

#[tokio::test]
async fn register_answers_with_token_user_and_session_cookie() {
    let app = spawn_app().await;
    let response = app
        .http
        .post(app.url("/api/auth/register"))
        .json(&json!({"username": "Ann.B-c_9", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::CREATED);
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("chat_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/"),
        "{cookie}"
    );
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["user"]["username"], "Ann.B-c_9");
    assert!(body["user"]["id"].as_i64().is_some());
    let created = body["user"]["created_at"].as_str().unwrap();
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[19] == b'.',
        "{created}"
    );
    assert!(body["token"].as_str().unwrap().len() >= 32);
    assert!(body["user"].get("password_hash").is_none());
}

#[tokio::test]
async fn register_rejects_bad_input_with_validation_errors() {
    let app = spawn_app().await;
    let long_name = "a".repeat(33);
    let long_password = "p".repeat(129);
    let cases = [
        json!({"username": "ab", "password": PASSWORD}),
        json!({"username": long_name, "password": PASSWORD}),
        json!({"username": "ann smith", "password": PASSWORD}),
        json!({"username": "ann", "password": "short"}),
        json!({"username": "ann", "password": long_password}),
        json!({"username": "ann"}),
        json!({"username": 5, "password": PASSWORD}),
    ];
    for case in cases {
        let (status, body) = app
            .call(Method::POST, "/api/auth/register", None, Some(case.clone()))
            .await;
        assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    }
    let response = app
        .http
        .post(app.url("/api/auth/register"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "validation_error");
}

#[tokio::test]
async fn usernames_are_unique_ignoring_case() {
    let app = spawn_app().await;
    app.register("ann").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/register",
            None,
            Some(json!({"username": "ANN", "password": PASSWORD})),
        )
        .await;
    assert_error(status, &body, StatusCode::CONFLICT, "username_taken");
}

#[tokio::test]
async fn login_works_and_never_tells_which_part_was_wrong() {
    let app = spawn_app().await;
    app.register("ann").await;
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "Ann", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["user"]["username"], "ann");
    let (me_status, me) = app.get("/api/me", body["token"].as_str().unwrap()).await;
    assert_eq!(me_status, StatusCode::OK);
    assert_eq!(me["user"]["username"], "ann");

    let (wrong_status, wrong) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": "wrong password"})),
        )
        .await;
    let (unknown_status, unknown) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "nobody", "password": PASSWORD})),
        )
        .await;
    assert_error(
        wrong_status,
        &wrong,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_error(
        unknown_status,
        &unknown,
        StatusCode::UNAUTHORIZED,
        "invalid_credentials",
    );
    assert_eq!(wrong, unknown);
}

#[tokio::test]
async fn repeated_failed_logins_are_slowed_down() {
    let app = spawn_app().await;
    app.register("ann").await;
    let wrong = json!({"username": "ann", "password": "wrong password"});
    for _ in 0..10 {
        let (status, _) = app
            .call(Method::POST, "/api/auth/login", None, Some(wrong.clone()))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (status, body) = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"username": "ann", "password": PASSWORD})),
        )
        .await;
    assert_error(status, &body, StatusCode::TOO_MANY_REQUESTS, "rate_limited");
}

#[tokio::test]
async fn me_needs_a_valid_token_or_cookie() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (status, body) = app.call(Method::GET, "/api/me", None, None).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app.get("/api/me", "not-a-token").await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");

    let response = app
        .http
        .get(app.url("/api/me"))
        .header("cookie", format!("chat_session={}", ann.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn logout_ends_the_session_everywhere() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (status, body) = app.post("/api/auth/logout", &ann.token, json!({})).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = app.get("/api/me", &ann.token).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
    let (status, body) = app.post("/api/auth/logout", &ann.token, json!({})).await;
    assert_error(status, &body, StatusCode::UNAUTHORIZED, "unauthorized");
}

#[tokio::test]
async fn unknown_api_paths_answer_in_the_error_shape() {
    let app = spawn_app().await;
    let (status, body) = app.call(Method::GET, "/api/nope", None, None).await;
    assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
}

#[tokio::test]
async fn openapi_document_describes_the_api() {
    let app = spawn_app().await;
    let (status, doc) = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    for path in [
        "/api/auth/register",
        "/api/auth/login",
        "/api/auth/logout",
        "/api/me",
        "/api/rooms",
        "/api/rooms/{id}/join",
        "/api/rooms/{id}/leave",
        "/api/rooms/{id}/messages",
    ] {
        assert!(doc["paths"].get(path).is_some(), "missing {path}");
    }
    assert!(doc["components"]["schemas"].get("Message").is_some());
}

#[tokio::test]
async fn responses_carry_security_headers() {
    let app = spawn_app().await;
    let response = app
        .http
        .get(app.url("/api/openapi.json"))
        .send()
        .await
        .unwrap();
    let headers = response.headers();
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
}
