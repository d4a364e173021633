//! Static files, and how long a browser may keep them.
//!
//! The WASM, JS and CSS are most of a first load, and they change only when
//! the app is rebuilt. Release builds (`--release --precompress`) write a
//! brotli and a gzip copy of each next to it, so they are sent compressed
//! without compressing them on every request; `hash-files` puts a content
//! hash in their names, so a browser may keep them for a year and a new
//! build is simply a new URL. Every other file (favicon, the login island)
//! keeps its name across builds, so it is revalidated on each use.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, Uri, header};
use axum::response::Response;
use leptos::config::LeptosOptions;
use tower::ServiceExt;
use tower_http::services::ServeDir;

use crate::startup::ServerState;

/// For files whose name changes whenever their content does.
const FOREVER: &str = "public, max-age=31536000, immutable";
/// For files that keep their name: use the copy only after asking whether
/// it changed (a 304 costs no body).
const REVALIDATE: &str = "no-cache";

/// The router's fallback: a file from the site root if there is one,
/// otherwise the app's "not found" page.
pub async fn files_or_not_found(
    uri: Uri,
    State(state): State<ServerState>,
    request: Request<Body>,
) -> Response {
    // The file is looked up with the browser's own headers, so that a
    // revalidation (`If-Modified-Since`) is answered 304 without a body.
    let mut lookup = Request::new(Body::empty());
    *lookup.method_mut() = request.method().clone();
    *lookup.uri_mut() = uri.clone();
    *lookup.headers_mut() = request.headers().clone();
    let files = ServeDir::new(state.leptos.site_root.as_ref())
        .precompressed_br()
        .precompressed_gzip();
    let Ok(found) = files.oneshot(lookup).await;
    let status = found.status();
    if !(status.is_success() || status == StatusCode::NOT_MODIFIED) {
        // The page is the app's, so it needs the services the app's server
        // functions reach through context (the header asks who is logged in).
        let app_state = state.app.clone();
        let not_found = leptos_axum::file_and_error_handler_with_context::<ServerState, _>(
            move || leptos::prelude::provide_context(app_state.clone()),
            app::shell,
        );
        return not_found(uri, State(state), request).await;
    }
    let forever = state.leptos.hash_files && is_fingerprinted(&state.leptos, uri.path());
    let mut response = found.map(Body::new);
    let headers = response.headers_mut();
    let policy = if forever { FOREVER } else { REVALIDATE };
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    // The same URL is sent as brotli, gzip or plain: caches must keep them apart.
    headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    response
}

/// Whether `path` names a file cargo-leptos fingerprinted: one in the pkg
/// directory with a 22-character base64url MD5 between its stem and its
/// extension (`chat.7Xb…Q.wasm`).
fn is_fingerprinted(options: &LeptosOptions, path: &str) -> bool {
    let pkg = format!("/{}/", options.site_pkg_dir.trim_matches('/'));
    let Some(name) = path.strip_prefix(pkg.as_str()) else {
        return false;
    };
    if name.contains('/') {
        return false;
    }
    let parts: Vec<&str> = name.split('.').collect();
    parts.len() >= 3
        && parts[1..parts.len() - 1].iter().any(|part| {
            part.len() == 22
                && part
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hashed_names_in_pkg_are_fingerprinted() {
        let options = LeptosOptions::builder().output_name("chat").build();
        let hashed = "Xq3_-d0aZ9kLmNoPqRsTuV";
        assert!(is_fingerprinted(
            &options,
            &format!("/pkg/chat.{hashed}.wasm")
        ));
        assert!(is_fingerprinted(
            &options,
            &format!("/pkg/chat.{hashed}.css")
        ));
        assert!(!is_fingerprinted(&options, "/pkg/chat_bg.wasm"));
        assert!(!is_fingerprinted(&options, "/pkg/chat.js"));
        assert!(!is_fingerprinted(
            &options,
            &format!("/island/login.{hashed}.js")
        ));
        assert!(!is_fingerprinted(
            &options,
            &format!("/pkg/snippets/x.{hashed}.js")
        ));
        assert!(!is_fingerprinted(&options, "/pkg/chat.short.js"));
        assert!(!is_fingerprinted(
            &options,
            "/pkg/chat.has$bad+chars!!!!!!!!!!!.js"
        ));
    }
}
