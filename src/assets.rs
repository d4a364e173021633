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
    let forever = state.leptos.hash_files && is_fingerprinted(&state.leptos, uri.path());
    let serve = leptos_axum::file_and_error_handler::<ServerState, _>(app::shell);
    let mut response = serve(uri, State(state), request).await;
    let status = response.status();
    // Success here is a file: pages have routes, and the rest is a 404.
    if status.is_success() || status == StatusCode::NOT_MODIFIED {
        let policy = if forever { FOREVER } else { REVALIDATE };
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(policy));
    }
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
