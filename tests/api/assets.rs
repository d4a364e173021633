//! Static files and compression: what a browser downloads on a first visit
//! comes compressed, hashed files are cached for good, and everything else
//! is revalidated. The site here is a stand-in written by the test, shaped
//! like the one `cargo leptos build --release --precompress` writes.

use chat::startup::spawn_with;
use leptos::config::LeptosOptions;
use reqwest::StatusCode;
use reqwest::header::{
    ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, IF_MODIFIED_SINCE, LAST_MODIFIED, VARY,
};

use crate::support::database::TestDatabase;

const HASH: &str = "Q2hhdEJ1bmRsZUhhc2gwMQ";
const WASM: &[u8] = b"\0asm pretend module body, long enough to be worth compressing";
const WASM_BR: &[u8] = b"pretend brotli";
const ICON: &str = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 1 1\"><rect width=\"1\" height=\"1\"/></svg>";

struct Site {
    dir: tempfile::TempDir,
}

impl Site {
    fn write() -> Self {
        // Leptos reads the hashes from a file next to the running binary,
        // where cargo-leptos writes them (and panics without one), so this
        // test binary gets one too.
        let exe = std::env::current_exe().expect("test binary path");
        std::fs::write(
            exe.with_file_name("hash.txt"),
            format!("js: {HASH}\nwasm: {HASH}\ncss: {HASH}\n"),
        )
        .expect("hash file");
        let dir = tempfile::tempdir().expect("temp dir");
        let pkg = dir.path().join("pkg");
        std::fs::create_dir(&pkg).unwrap();
        std::fs::write(pkg.join(format!("chat.{HASH}.wasm")), WASM).unwrap();
        std::fs::write(pkg.join(format!("chat.{HASH}.wasm.br")), WASM_BR).unwrap();
        std::fs::write(dir.path().join("favicon.svg"), ICON).unwrap();
        Self { dir }
    }

    fn options(&self) -> LeptosOptions {
        LeptosOptions::builder()
            .output_name("chat")
            .site_root(self.dir.path().to_string_lossy().into_owned())
            .hash_files(true)
            .build()
    }
}

async fn get(
    client: &reqwest::Client,
    url: String,
    encoding: &str,
) -> (StatusCode, Option<String>, Option<String>, Vec<u8>) {
    let response = client
        .get(url)
        .header(ACCEPT_ENCODING, encoding)
        .send()
        .await
        .expect("request");
    let header = |name| {
        response
            .headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (encoding, cache) = (header(CONTENT_ENCODING), header(CACHE_CONTROL));
    let status = response.status();
    (
        status,
        encoding,
        cache,
        response.bytes().await.unwrap().to_vec(),
    )
}

#[tokio::test]
async fn hashed_files_are_sent_precompressed_and_cached_for_good() {
    let site = Site::write();
    let database = TestDatabase::create().await;
    let server = spawn_with(&database.url, site.options()).await;
    let client = reqwest::Client::new();
    let url = format!("http://{}/pkg/chat.{HASH}.wasm", server.addr);

    let (status, encoding, cache, body) = get(&client, url.clone(), "gzip, br").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding.as_deref(), Some("br"));
    assert_eq!(
        body, WASM_BR,
        "the precompressed copy, not a new compression"
    );
    assert_eq!(
        cache.as_deref(),
        Some("public, max-age=31536000, immutable")
    );
    let vary = client
        .get(&url)
        .header(ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap()
        .headers()
        .get(VARY)
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(
        vary.as_deref(),
        Some("accept-encoding"),
        "caches keep encodings apart"
    );

    let (status, encoding, _, body) = get(&client, url, "identity").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding, None);
    assert_eq!(body, WASM);
    server.stop().await;
}

#[tokio::test]
async fn files_that_keep_their_name_are_revalidated() {
    let site = Site::write();
    let database = TestDatabase::create().await;
    let server = spawn_with(&database.url, site.options()).await;
    let client = reqwest::Client::new();

    let url = format!("http://{}/favicon.svg", server.addr);
    let first = client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert_eq!(first.headers()[CACHE_CONTROL], "no-cache");
    let modified = first.headers()[LAST_MODIFIED].clone();
    let again = client
        .get(&url)
        .header(IF_MODIFIED_SINCE, modified)
        .send()
        .await
        .unwrap();
    assert_eq!(
        again.status(),
        StatusCode::NOT_MODIFIED,
        "revalidating an unchanged file costs no body"
    );
    assert_eq!(again.headers()[CACHE_CONTROL], "no-cache");

    let (status, _, cache, _) = get(
        &client,
        format!("http://{}/pkg/chat.{HASH}.js", server.addr),
        "br",
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_ne!(
        cache.as_deref(),
        Some("public, max-age=31536000, immutable"),
        "a missing file must not be cached for good"
    );
    server.stop().await;
}

#[tokio::test]
async fn pages_name_the_hashed_files() {
    let site = Site::write();
    let database = TestDatabase::create().await;
    let server = spawn_with(&database.url, site.options()).await;
    let page = reqwest::get(format!("http://{}/login", server.addr))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for name in [
        format!("/pkg/chat.{HASH}.css"),
        format!("/pkg/chat.{HASH}.js"),
        format!("/pkg/chat.{HASH}.wasm"),
    ] {
        assert!(page.contains(&name), "{name} in {page}");
    }
    server.stop().await;
}

#[tokio::test]
async fn dynamic_answers_are_compressed_on_the_fly_and_never_shared() {
    let site = Site::write();
    let database = TestDatabase::create().await;
    let server = spawn_with(&database.url, site.options()).await;
    let client = reqwest::Client::new();

    let (status, encoding, cache, body) = get(
        &client,
        format!("http://{}/api/openapi.json", server.addr),
        "gzip",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(&body[..2], [0x1f, 0x8b], "a gzip stream");
    assert_eq!(cache.as_deref(), Some("private, no-cache"));

    let (status, encoding, _, body) = get(
        &client,
        format!("http://{}/api/openapi.json", server.addr),
        "identity",
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(encoding, None);
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_ok());
    server.stop().await;
}

#[tokio::test]
async fn an_unknown_path_gets_the_not_found_page_with_the_user_still_signed_in() {
    let app = crate::helpers::spawn_app().await;
    let ann = app.register("ann").await;
    let response = app
        .http
        .get(app.url("/no/such/page%1B%01"))
        .header("cookie", format!("chat_session={}", ann.token))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = response.text().await.unwrap();
    // The account menu's button names who is signed in.
    assert!(page.contains(r#"aria-label="Account: ann""#), "{page}");
}
