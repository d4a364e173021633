//! Opening a socket: the caller must be logged in, the page must be ours
//! (a foreign page must not open a socket with the user's cookie), and the
//! user must have a socket to spare. Only then is the connection upgraded.

use app::protocol::MAX_FRAME_BYTES;
use app::server::web::credentials;
use app::server::{AppState, Error};
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, Uri};
use axum::response::{IntoResponse, Response};

use super::connection::Connection;
use super::writes::WRITE_BUFFER;

/// How large a frame may be and still be read whole before the socket is
/// closed for it with 1009; larger ones drop the connection.
const OVERSIZED_FRAME_READ: usize = 4 * MAX_FRAME_BYTES;

pub async fn upgrade(
    State(state): State<AppState>,
    uri: Uri,
    headers: HeaderMap,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let auth = match credentials::authenticate_headers(&state, &headers).await {
        Ok(auth) => auth,
        Err(e) => return e.into_response(),
    };
    // A foreign page must not open a socket with the user's cookie.
    let allowed = &state.settings.allowed_origins;
    if !crate::http::origin::from_our_pages(&headers, &uri, allowed) {
        tracing::warn!(origin = ?headers.get(axum::http::header::ORIGIN), "cross-site WebSocket refused");
        return Error::CrossSite.into_response();
    }
    let ws = match ws {
        Ok(ws) => ws,
        Err(rejection) => return Error::NotAWebSocket(rejection.body_text()).into_response(),
    };
    // Registered before the upgrade, so that the per-user cap holds however
    // many upgrades race; dropping the connection unregisters it.
    let Some((connection, inbox)) = Connection::new(state, auth) else {
        return Error::TooManySockets.into_response();
    };
    // Small buffers: the read buffer is allocated up front and kept for the
    // socket's life, so it is most of what an idle socket costs
    // (tungstenite's default is 128 KiB; 4 KiB here cost 13 KiB per idle
    // socket in all, 1 KiB about 7). Clients send small frames, one at a
    // time; a larger one still arrives whole (the buffer is read more
    // often), up to MAX_FRAME_BYTES.
    ws.read_buffer_size(1024)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(MAX_FRAME_BYTES)
        // A frame over the message limit is still read to its end (up to
        // this much), so that no unread input is left when the socket
        // closes: that would reset the connection and destroy the 1009
        // close frame before the peer reads it.
        .max_frame_size(OVERSIZED_FRAME_READ)
        .on_upgrade(move |socket| connection.run(socket, inbox))
}
