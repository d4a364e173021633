//! Attachments: uploading (limits, quota, types sniffed from the bytes,
//! thumbnails, a decompression bomb), sending with a message (the
//! uploader's own unsent files only), serving (members only, the headers
//! that keep a file from acting as a page, ranges, validators), and
//! deleting (with the message, with the room, unsent after a day). Run on
//! a directory with SQLite and on an S3 bucket with PostgreSQL.

use std::io::Cursor;
use std::time::Duration;

use app::server::Settings;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderValue};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_error, spawn_app, spawn_app_with};
use crate::support::api::TestUser;

/// A `width`×`height` PNG of one colour, opaque.
fn png(width: u32, height: u32) -> Vec<u8> {
    let mut bytes = Cursor::new(Vec::new());
    image::RgbImage::from_pixel(width, height, image::Rgb([40, 120, 200]))
        .write_to(&mut bytes, image::ImageFormat::Png)
        .unwrap();
    bytes.into_inner()
}

/// A PNG whose header claims `width`×`height` and whose data is one empty
/// block: a decompression bomb, as far as anyone reading the header knows.
fn claimed_png(width: u32, height: u32) -> Vec<u8> {
    fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
        out.extend((data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(data);
        out.extend(kind);
        out.extend(data);
        out.extend(crc.finalize().to_be_bytes());
    }
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut header = Vec::new();
    header.extend(width.to_be_bytes());
    header.extend(height.to_be_bytes());
    header.extend([8, 0, 0, 0, 0]);
    chunk(&mut png, b"IHDR", &header);
    chunk(
        &mut png,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    chunk(&mut png, b"IEND", &[]);
    png
}

/// `GET path` as `user`, with extra headers: status, headers, body.
async fn fetch(
    app: &TestApp,
    user: &TestUser,
    path: &str,
    headers: &[(&'static str, &str)],
) -> (StatusCode, HeaderMap, Vec<u8>) {
    let mut request = app.http.get(app.url(path)).bearer_auth(&user.token);
    for (name, value) in headers {
        request = request.header(*name, HeaderValue::from_str(value).unwrap());
    }
    let response = request.send().await.unwrap();
    let (status, headers) = (response.status(), response.headers().clone());
    (status, headers, response.bytes().await.unwrap().to_vec())
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or_default()
}

/// Posts a message carrying `attachments`: the status and the answer.
async fn send(app: &TestApp, user: &TestUser, room_id: i64, body: Value) -> (StatusCode, Value) {
    app.post(&format!("/api/rooms/{room_id}/messages"), &user.token, body)
        .await
}

/// Waits until the file store holds exactly `want` (the sweeper runs every
/// 100 ms in these tests).
async fn stored_becomes(app: &TestApp, want: &[String]) {
    for _ in 0..100 {
        if app.files.keys().await == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.files.keys().await, want, "the file store");
}

fn quick_sweeps() -> Settings {
    let mut settings = Settings::default();
    settings.sends.burst = 1_000_000;
    settings.login.registrations_per_address = 1_000_000;
    settings.uploads.sweep_every = Duration::from_millis(100);
    settings
}

#[tokio::test]
async fn an_image_is_sent_and_served_to_the_rooms_members_only() {
    let app = spawn_app().await;
    let (ann, bob, eve) = (
        app.register("ann").await,
        app.register("bob").await,
        app.register("eve").await,
    );
    let room = app.create_room(&ann, "photos").await;
    app.join(&bob, room).await;
    let picture = png(1200, 800);

    let upload = app
        .uploaded(&ann, "../../sunset.png", picture.clone())
        .await;
    let id = upload["id"].as_str().unwrap().to_owned();
    assert_eq!(upload["name"], "sunset.png");
    assert_eq!(upload["size"], picture.len());
    assert_eq!(upload["content_type"], "image/png");
    assert_eq!(
        (upload["width"].as_u64(), upload["height"].as_u64()),
        (Some(1200), Some(800))
    );
    assert_eq!(upload["url"], format!("/api/uploads/{id}/content"));
    assert_eq!(
        upload["thumbnail_url"],
        format!("/api/uploads/{id}/thumbnail")
    );
    let content = format!("/api/uploads/{id}/content");
    // Unsent, it is the uploader's alone.
    assert_eq!(fetch(&app, &ann, &content, &[]).await.0, StatusCode::OK);
    assert_eq!(
        fetch(&app, &bob, &content, &[]).await.0,
        StatusCode::NOT_FOUND
    );

    // Sent alone, without text.
    let (status, answer) = send(&app, &ann, room, json!({"attachments": [id]})).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    assert_eq!(answer["message"]["body"], "");
    assert_eq!(answer["message"]["attachments"], json!([upload]));
    let history = app.history(&bob, room).await;
    assert_eq!(history[0]["attachments"], json!([upload]));

    let (status, headers, bytes) = fetch(&app, &bob, &content, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, picture);
    assert_eq!(header(&headers, "content-type"), "image/png");
    assert_eq!(
        header(&headers, "content-disposition"),
        "inline; filename=\"sunset.png\"; filename*=UTF-8''sunset.png"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert!(header(&headers, "content-security-policy").contains("sandbox"));
    assert_eq!(header(&headers, "accept-ranges"), "bytes");

    let thumbnail = format!("/api/uploads/{id}/thumbnail");
    let (status, headers, bytes) = fetch(&app, &bob, &thumbnail, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(header(&headers, "content-type"), "image/jpeg");
    let small = image::load_from_memory(&bytes).unwrap();
    assert_eq!((small.width(), small.height()), (400, 267));

    // Anyone else: as if there were no such file.
    for path in [&content, &thumbnail] {
        let (status, _, body) = fetch(&app, &eve, path, &[]).await;
        let body: Value = serde_json::from_slice(&body).unwrap();
        assert_error(status, &body, StatusCode::NOT_FOUND, "not_found");
    }
    // Leaving the room ends it.
    app.post(&format!("/api/rooms/{room}/leave"), &bob.token, json!({}))
        .await;
    assert_eq!(
        fetch(&app, &bob, &content, &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn an_upload_is_sent_once_and_only_by_its_uploader() {
    let app = spawn_app().await;
    let (ann, bob) = (app.register("ann").await, app.register("bob").await);
    let room = app.create_room(&ann, "files").await;
    app.join(&bob, room).await;
    let id = app
        .uploaded(&ann, "notes.txt", b"remember the milk\n".to_vec())
        .await["id"]
        .clone();

    let (status, body) = send(
        &app,
        &bob,
        room,
        json!({"body": "mine now", "attachments": [id]}),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "attachments");
    let (status, body) = send(
        &app,
        &ann,
        room,
        json!({"body": "twice", "attachments": [id, id]}),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    let (status, body) = send(&app, &ann, room, json!({"body": "  ", "attachments": [id]})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    let (status, body) = send(
        &app,
        &ann,
        room,
        json!({"body": "none", "attachments": ["nope"]}),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");

    let sent = json!({"body": "the list", "attachments": [id], "client_id": "c1"});
    let (status, first) = send(&app, &ann, room, sent.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{first}");
    // A retry is answered with the original, files and all.
    let (status, again) = send(&app, &ann, room, sent).await;
    assert_eq!(status, StatusCode::OK, "{again}");
    assert_eq!(again["message"], first["message"]);
    // But the file is not sent a second time.
    let (status, body) = send(
        &app,
        &ann,
        room,
        json!({"body": "again", "attachments": [id]}),
    )
    .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(app.history(&bob, room).await.len(), 1);
}

#[tokio::test]
async fn a_page_named_png_is_served_as_a_download_never_as_a_page() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let page = b"<!doctype html><html><script>fetch('/api/auth/me')</script></html>".to_vec();
    let upload = app.uploaded(&ann, "cute-cat.png", page.clone()).await;
    assert!(
        upload["content_type"]
            .as_str()
            .unwrap()
            .starts_with("text/"),
        "{upload}"
    );
    assert_eq!(upload["thumbnail_url"], Value::Null);
    assert_eq!(upload["width"], Value::Null);

    let content = upload["url"].as_str().unwrap();
    let (status, headers, bytes) = fetch(&app, &ann, content, &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(bytes, page);
    assert!(
        header(&headers, "content-disposition").starts_with("attachment;"),
        "{headers:?}"
    );
    assert!(!header(&headers, "content-type").starts_with("image/"));
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    let policy = header(&headers, "content-security-policy");
    assert!(
        policy.contains("sandbox") && policy.contains("default-src 'none'"),
        "{policy}"
    );
    let thumbnail = upload["url"]
        .as_str()
        .unwrap()
        .replace("content", "thumbnail");
    assert_eq!(
        fetch(&app, &ann, &thumbnail, &[]).await.0,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn size_quota_and_type_limits_refuse_a_file_and_keep_nothing() {
    let mut settings = quick_sweeps();
    settings.uploads.max_bytes = 4000;
    settings.uploads.quota_bytes = 7000;
    settings.uploads.types = vec!["image/*".into(), "text/plain".into()];
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;

    let (status, body) = app.upload(&ann, "big.txt", vec![b'a'; 4001]).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "payload_too_large",
    );
    // Declared too large: refused before the body is read.
    let response = app
        .http
        .post(app.url("/api/uploads"))
        .bearer_auth(&ann.token)
        .header("content-type", "multipart/form-data; boundary=x")
        .header("content-length", "10000000")
        .body(vec![b'x'; 100])
        .send()
        .await;
    if let Ok(response) = response {
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    }
    // Streamed without a length: refused once it passes the limit.
    let chunks = futures::stream::iter((0..10).map(|_| Ok::<_, std::io::Error>(vec![b'b'; 1000])));
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name("streamed.txt");
    let response = app
        .http
        .post(app.url("/api/uploads"))
        .bearer_auth(&ann.token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);

    let (status, body) = app.upload(&ann, "empty.txt", Vec::new()).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    let (status, body) = app
        .upload(&ann, "doc.pdf", b"%PDF-1.7\n%\xe2\xe3".to_vec())
        .await;
    assert_error(
        status,
        &body,
        StatusCode::UNSUPPORTED_MEDIA_TYPE,
        "unsupported_file_type",
    );

    app.uploaded(&ann, "one.txt", vec![b'1'; 4000]).await;
    let (status, body) = app.upload(&ann, "two.txt", vec![b'2'; 3001]).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
    );
    app.uploaded(&ann, "three.txt", vec![b'3'; 3000]).await;
    let (status, body) = app.upload(&ann, "four.txt", vec![b'4'; 1]).await;
    assert_error(
        status,
        &body,
        StatusCode::PAYLOAD_TOO_LARGE,
        "quota_exceeded",
    );
    // Only the two accepted files were kept.
    assert_eq!(app.files.keys().await.len(), 2);
}

#[tokio::test]
async fn uploads_made_at_once_cannot_pass_the_quota_together() {
    let mut settings = quick_sweeps();
    settings.uploads.quota_bytes = 10_000;
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let uploads = (0..6).map(|i| app.upload(&ann, "part.txt", vec![b'a' + i; 3000]));
    let answers = futures::future::join_all(uploads).await;
    let accepted = answers
        .iter()
        .filter(|(status, _)| *status == StatusCode::CREATED)
        .count();
    assert!((1..=3).contains(&accepted), "{accepted} of 6 accepted");
    for (status, body) in &answers {
        if *status != StatusCode::CREATED {
            assert_error(
                *status,
                body,
                StatusCode::PAYLOAD_TOO_LARGE,
                "quota_exceeded",
            );
        }
    }
    assert_eq!(app.files.keys().await.len(), accepted);
}

#[tokio::test]
async fn a_decompression_bomb_is_refused() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let (status, body) = app
        .upload(&ann, "bomb.png", claimed_png(100_000, 100_000))
        .await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
    assert_eq!(body["error"]["field"], "file");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("megapixels"),
        "{body}"
    );
    // A damaged image is refused too, not shown broken.
    let (status, _) = app
        .upload(&ann, "cut.png", png(50, 50)[..60].to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(app.files.keys().await.is_empty());
}

#[tokio::test]
async fn byte_ranges_and_validators_are_served() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let text: Vec<u8> = (0..10_000u32).map(|i| b'a' + (i % 26) as u8).collect();
    let upload = app.uploaded(&ann, "log.txt", text.clone()).await;
    let content = upload["url"].as_str().unwrap();

    let (status, headers, bytes) = fetch(&app, &ann, content, &[("range", "bytes=100-199")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(header(&headers, "content-range"), "bytes 100-199/10000");
    assert_eq!(bytes, text[100..200]);
    let (status, _, bytes) = fetch(&app, &ann, content, &[("range", "bytes=-10")]).await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert_eq!(bytes, text[9990..]);
    let (status, headers, _) = fetch(&app, &ann, content, &[("range", "bytes=10000-")]).await;
    assert_eq!(status, StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(header(&headers, "content-range"), "bytes */10000");
    // A range of another version is no range.
    let (status, _, bytes) = fetch(
        &app,
        &ann,
        content,
        &[("range", "bytes=0-9"), ("if-range", "\"other\"")],
    )
    .await;
    assert_eq!((status, bytes.len()), (StatusCode::OK, 10_000));

    let (_, headers, _) = fetch(&app, &ann, content, &[]).await;
    let etag = header(&headers, "etag").to_owned();
    assert!(!etag.is_empty());
    let (status, _, bytes) = fetch(&app, &ann, content, &[("if-none-match", &etag)]).await;
    assert_eq!((status, bytes.len()), (StatusCode::NOT_MODIFIED, 0));
}

#[tokio::test]
async fn files_are_deleted_with_their_message_their_room_or_unsent_after_a_day() {
    let app = spawn_app_with(quick_sweeps()).await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "temporary").await;
    let other = app.create_room(&ann, "doomed").await;

    let kept = app.uploaded(&ann, "kept.txt", b"kept".to_vec()).await;
    let sent = app.uploaded(&ann, "sent.png", png(20, 20)).await;
    let in_other = app.uploaded(&ann, "other.txt", b"other".to_vec()).await;
    let unsent = app.uploaded(&ann, "unsent.txt", b"unsent".to_vec()).await;
    let id = |upload: &Value| upload["id"].as_str().unwrap().to_owned();
    send(
        &app,
        &ann,
        room,
        json!({"body": "keep", "attachments": [id(&kept)]}),
    )
    .await;
    let (_, message) = send(
        &app,
        &ann,
        room,
        json!({"body": "pic", "attachments": [id(&sent)]}),
    )
    .await;
    send(
        &app,
        &ann,
        other,
        json!({"body": "x", "attachments": [id(&in_other)]}),
    )
    .await;
    assert_eq!(
        app.files.keys().await.len(),
        5,
        "four files and a thumbnail"
    );

    // Deleting the message: its file is gone at once, its bytes soon.
    let message_id = message["message"]["id"].as_i64().unwrap();
    let (status, deleted) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/rooms/{room}/messages/{message_id}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{deleted}");
    let history = app.history(&ann, room).await;
    let gone = history.iter().find(|m| m["id"] == message_id).unwrap();
    assert_eq!(
        (gone["deleted"].clone(), gone["attachments"].clone()),
        (json!(true), json!([]))
    );
    let sent_url = sent["url"].as_str().unwrap();
    assert_eq!(
        fetch(&app, &ann, sent_url, &[]).await.0,
        StatusCode::NOT_FOUND
    );
    let mut left = vec![id(&kept), id(&in_other), id(&unsent)];
    left.sort();
    stored_becomes(&app, &left).await;

    // Deleting the room takes its files.
    let (status, _) = app
        .call(
            reqwest::Method::DELETE,
            &format!("/api/rooms/{other}"),
            Some(&ann.token),
            None,
        )
        .await;
    assert!(status.is_success(), "{status}");
    left.retain(|key| *key != id(&in_other));
    stored_becomes(&app, &left).await;

    // An upload never sent goes after a day; a sent one stays.
    app.database()
        .rows("UPDATE uploads SET created_at = created_at - 25 * 3600 * 1000")
        .await;
    stored_becomes(&app, &[id(&kept)]).await;
    assert_eq!(
        fetch(&app, &ann, kept["url"].as_str().unwrap(), &[])
            .await
            .0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_file_too_old_to_send_is_refused() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "late").await;
    let upload = app.uploaded(&ann, "late.txt", b"late".to_vec()).await;
    app.database()
        .rows("UPDATE uploads SET created_at = created_at - 23 * 3600 * 1000 - 1000")
        .await;
    let (status, body) = send(&app, &ann, room, json!({"attachments": [upload["id"]]})).await;
    assert_error(status, &body, StatusCode::BAD_REQUEST, "validation_error");
}

#[tokio::test]
async fn search_keeps_messages_with_files_when_asked() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "reports").await;
    let upload = app.uploaded(&ann, "q3.txt", b"numbers".to_vec()).await;
    let (_, with_file) = send(
        &app,
        &ann,
        room,
        json!({"body": "quarterly report attached", "attachments": [upload["id"]]}),
    )
    .await;
    app.post_message(&ann, room, "quarterly plans, no file")
        .await;

    let found = |q: &'static str| {
        let app = &app;
        let token = ann.token.clone();
        async move {
            let (status, page) = app
                .get(&format!("/api/search?q={}", urlencode(q)), &token)
                .await;
            assert_eq!(status, StatusCode::OK, "{page}");
            page["results"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["message"]["id"].clone())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(found("quarterly ").await.len(), 2);
    let id = with_file["message"]["id"].clone();
    assert_eq!(
        found("has:file quarterly ").await,
        std::slice::from_ref(&id)
    );
    assert_eq!(found("has:file").await, [id]);
    let (_, page) = app.get("/api/search?q=has%3Afile", &ann.token).await;
    assert_eq!(
        page["results"][0]["message"]["attachments"][0]["name"],
        "q3.txt"
    );
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn a_file_larger_than_a_part_is_stored_in_parts_and_read_back_whole() {
    let app = spawn_app().await;
    let ann = app.register("ann").await;
    // Over the 5 MiB part size of the file store.
    let big: Vec<u8> = (0..6 * 1024 * 1024 + 123)
        .map(|i: u32| (i % 251) as u8)
        .collect();
    let upload = app.uploaded(&ann, "dump.bin", big.clone()).await;
    assert_eq!(upload["content_type"], "application/octet-stream");
    let (status, _, bytes) = fetch(&app, &ann, upload["url"].as_str().unwrap(), &[]).await;
    assert_eq!(status, StatusCode::OK);
    assert!(bytes == big, "the file came back changed");
    let (status, _, tail) = fetch(
        &app,
        &ann,
        upload["url"].as_str().unwrap(),
        &[("range", "bytes=6291456-")],
    )
    .await;
    assert_eq!(status, StatusCode::PARTIAL_CONTENT);
    assert!(tail == big[6_291_456..]);
}
