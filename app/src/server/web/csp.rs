//! The Content-Security-Policy of every page: the line behind escaping.
//!
//! Message text is rendered as text, so markup in a message never becomes
//! markup on the page; if that ever failed, this policy still keeps an
//! injected script from running. Scripts run only from our own files and
//! from the one inline hydration script, which carries a nonce that is new
//! for every response (Leptos puts it on its own scripts). The browser may
//! compile our WASM (`'wasm-unsafe-eval'`), but nothing may `eval`. Sockets
//! and fetches go to us only, no other site may frame a page (clickjacking),
//! and `<base>`, plugins and foreign form targets are off.

use axum::http::{HeaderValue, header};
use leptos::config::LeptosOptions;
use leptos::prelude::use_context;

/// The policy for a page whose inline scripts carry `nonce`. `reload` is
/// the live-reload socket of `cargo leptos watch`, allowed only under it.
pub fn policy(nonce: &str, reload: Option<u32>) -> String {
    let reload = reload
        .map(|port| format!(" ws://*:{port}"))
        .unwrap_or_default();
    format!(
        "default-src 'self'; \
         script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'{reload}; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For everything that is not a page (API answers, files): nothing may run
/// or load in it, and nobody may frame it.
pub const NOT_A_PAGE: &str = "default-src 'none'; frame-ancestors 'none'";

/// Sets the page's policy on the response being rendered. Called from the
/// document shell, on the server only.
pub fn set_for_page(options: &LeptosOptions) {
    let (Some(nonce), Some(response)) = (
        leptos::nonce::use_nonce(),
        use_context::<leptos_axum::ResponseOptions>(),
    ) else {
        return;
    };
    let reload = std::env::var("LEPTOS_WATCH")
        .is_ok()
        .then_some(options.reload_port);
    match HeaderValue::from_str(&policy(&nonce, reload)) {
        Ok(value) => response.insert_header(header::CONTENT_SECURITY_POLICY, value),
        Err(e) => tracing::error!(error = %e, "unusable Content-Security-Policy"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scripts_need_our_origin_or_the_nonce_and_nothing_frames_us() {
        let csp = policy("abc123", None);
        let script_src = csp
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap();
        assert_eq!(
            script_src,
            "script-src 'self' 'nonce-abc123' 'wasm-unsafe-eval'"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert!(!csp.contains("'unsafe-eval'"));
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("ws://"));
        assert!(policy("n", Some(3001)).contains("connect-src 'self' ws://*:3001;"));
    }
}
