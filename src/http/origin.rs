//! Refusing requests that another site made with the user's cookie.
//!
//! A browser attaches the session cookie to requests other sites cause: a
//! form posted from elsewhere, a WebSocket opened by a foreign page. The
//! cookie is `SameSite=Lax`, which already keeps it off cross-site POSTs in
//! current browsers; this is the second lock, for older browsers and for
//! same-site subdomains: a state-changing request that relies on the
//! cookie must come from a page of ours, which browsers state in `Origin`
//! (or, failing that, `Referer`). Requests with a bearer token are exempt
//! (no browser adds one on its own), and so are programs that send neither
//! header, since every browser sends `Origin` on a cross-site POST.
//!
//! "Ours" is the request's own host unless `ALLOWED_ORIGINS` lists the
//! origins exactly (scheme, host and port), which is what a deployment
//! behind a proxy that rewrites `Host` needs.

use app::server::web::credentials;
use app::server::{AppState, Error};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, Uri, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

/// Whether the page that made this request is ours: its `Origin` (else its
/// `Referer`) is one of `allowed`, or with none configured names the host
/// the request was sent to (`Host`, or the URI's authority under HTTP/2).
/// No such header is taken as a program, not a page.
pub fn from_our_pages(headers: &HeaderMap, uri: &Uri, allowed: &[String]) -> bool {
    let text = |name| headers.get(name).and_then(|v| v.to_str().ok());
    let Some(source) = text(header::ORIGIN).or_else(|| text(header::REFERER)) else {
        return true;
    };
    let Some((scheme, rest)) = source.split_once("://") else {
        return false;
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if !allowed.is_empty() {
        let origin = format!("{scheme}://{authority}");
        return allowed.iter().any(|a| a.eq_ignore_ascii_case(&origin));
    }
    let host = text(header::HOST)
        .or_else(|| uri.authority().map(|a| a.as_str()))
        .unwrap_or_default();
    !host.is_empty() && authority.eq_ignore_ascii_case(host)
}

/// Middleware: a cookie-authenticated request with an unsafe method from a
/// foreign page is refused with 403 `cross_site_request`.
pub async fn refuse_cross_site(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let headers = request.headers();
    let allowed = &state.settings.allowed_origins;
    if unsafe_method && uses_cookie(headers) && !from_our_pages(headers, request.uri(), allowed) {
        tracing::warn!(
            method = %request.method(),
            path = request.uri().path(),
            origin = ?headers.get(header::ORIGIN),
            "cross-site request refused"
        );
        return Error::CrossSite.into_response();
    }
    next.run(request).await
}

/// The request would be authenticated by the session cookie: it carries
/// one and no bearer token (which would win).
fn uses_cookie(headers: &HeaderMap) -> bool {
    credentials::bearer_token(headers).is_none() && credentials::cookie_token(headers).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(header::HeaderName, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(name.clone(), value.parse().unwrap());
        }
        map
    }

    fn ours(headers: &HeaderMap) -> bool {
        from_our_pages(headers, &Uri::from_static("/api/rooms"), &[])
    }

    #[test]
    fn under_http2_the_authority_stands_for_host() {
        let origin = headers(&[(header::ORIGIN, "https://chat.example")]);
        let uri = Uri::from_static("https://chat.example/api/rooms");
        assert!(from_our_pages(&origin, &uri, &[]));
        let foreign = headers(&[(header::ORIGIN, "https://evil.example")]);
        assert!(!from_our_pages(&foreign, &uri, &[]));
    }

    #[test]
    fn configured_origins_are_matched_exactly() {
        let allowed = ["https://chat.example".to_owned()];
        let uri = Uri::from_static("/api/rooms");
        let host = (header::HOST, "internal:3000");
        let ok =
            |pairs: &[(header::HeaderName, &str)]| from_our_pages(&headers(pairs), &uri, &allowed);
        assert!(ok(&[
            host.clone(),
            (header::ORIGIN, "https://chat.example")
        ]));
        assert!(ok(&[
            host.clone(),
            (header::ORIGIN, "HTTPS://Chat.Example")
        ]));
        assert!(ok(&[
            host.clone(),
            (header::REFERER, "https://chat.example/rooms/1")
        ]));
        for foreign in [
            "http://chat.example",
            "https://chat.example:8443",
            "https://chat.example.evil.example",
            "https://internal:3000",
            "null",
        ] {
            assert!(!ok(&[host.clone(), (header::ORIGIN, foreign)]), "{foreign}");
        }
    }

    #[test]
    fn origin_or_referer_must_name_the_host() {
        let host = (header::HOST, "chat.example:3000");
        assert!(ours(&headers(std::slice::from_ref(&host))));
        assert!(ours(&headers(&[
            host.clone(),
            (header::ORIGIN, "https://chat.example:3000")
        ])));
        assert!(ours(&headers(&[
            host.clone(),
            (header::REFERER, "https://chat.example:3000/rooms/1?x=y")
        ])));
        for foreign in [
            "https://evil.example",
            "https://chat.example:3000.evil.example",
            "https://evil.example/chat.example:3000",
            "null",
        ] {
            assert!(
                !ours(&headers(&[host.clone(), (header::ORIGIN, foreign)])),
                "{foreign}"
            );
        }
        assert!(!ours(&headers(&[
            host.clone(),
            (header::REFERER, "https://evil.example/page")
        ])));
        assert!(
            !ours(&headers(&[(header::ORIGIN, "https://chat.example:3000")])),
            "no Host to compare with"
        );
    }

    #[test]
    fn only_cookie_authentication_is_checked() {
        assert!(uses_cookie(&headers(&[(
            header::COOKIE,
            "theme=dark; chat_session=abc"
        )])));
        assert!(!uses_cookie(&headers(&[(header::COOKIE, "theme=dark")])));
        assert!(!uses_cookie(&headers(&[
            (header::COOKIE, "chat_session=abc"),
            (header::AUTHORIZATION, "Bearer abc"),
        ])));
    }
}
