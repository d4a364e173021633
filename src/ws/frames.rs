//! Reading client frames: every text a client sends becomes either a
//! [`ClientFrame`] or the error frame that says exactly what was wrong, never
//! a panic and never silence. This is the socket's whole attack surface
//! before authorization, so it is fuzzed (`tests` below and
//! `tests/api/frames.rs` with its corpus).

use app::error::ErrorCode;
use app::protocol::{CLIENT_FRAME_TYPES, ClientFrame, ServerFrame};
use app::server::Error;

pub fn error_frame(
    code: ErrorCode,
    message: impl Into<String>,
    client_id: Option<String>,
    room_id: Option<i64>,
) -> ServerFrame {
    ServerFrame::Error {
        code,
        message: message.into(),
        client_id,
        room_id,
    }
}

pub fn service_error(
    error: &Error,
    client_id: Option<String>,
    room_id: Option<i64>,
) -> ServerFrame {
    let app = error.to_app_error();
    ServerFrame::Error {
        code: app.code,
        message: app.message,
        client_id,
        room_id,
    }
}

/// Parses a client frame, or explains precisely what is wrong with it.
pub fn parse(text: &str) -> Result<ClientFrame, Box<ServerFrame>> {
    // Well-formed frames, nearly all of them, parse in one pass; only a bad
    // one is read again as a JSON tree to say what is wrong with it.
    if let Ok(frame) = serde_json::from_str(text) {
        return Ok(frame);
    }
    let value: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        Box::new(error_frame(
            ErrorCode::InvalidJson,
            format!("Frame is not valid JSON: {e}"),
            None,
            None,
        ))
    })?;
    let client_id = value
        .get("client_id")
        .and_then(|v| v.as_str())
        .map(str::to_owned);
    let room_id = value.get("room_id").and_then(|v| v.as_i64());
    match value.get("type").and_then(|t| t.as_str()) {
        None => {
            return Err(Box::new(error_frame(
                ErrorCode::InvalidFrame,
                "Frame needs a string \"type\".",
                client_id,
                room_id,
            )));
        }
        Some(kind) if !CLIENT_FRAME_TYPES.contains(&kind) => {
            return Err(Box::new(error_frame(
                ErrorCode::UnknownType,
                format!("Unknown frame type {kind:?}."),
                client_id,
                room_id,
            )));
        }
        Some(_) => {}
    }
    serde_json::from_value(value).map_err(|e| {
        Box::new(error_frame(
            ErrorCode::InvalidFrame,
            format!("Invalid frame: {e}"),
            client_id,
            room_id,
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(frame: Result<ClientFrame, Box<ServerFrame>>) -> ErrorCode {
        match *frame.unwrap_err() {
            ServerFrame::Error { code, .. } => code,
            other => panic!("not an error: {other:?}"),
        }
    }

    #[test]
    fn bad_frames_are_explained() {
        assert_eq!(code(parse("{nope")), ErrorCode::InvalidJson);
        assert_eq!(code(parse(r#"{"type":"dance"}"#)), ErrorCode::UnknownType);
        assert_eq!(code(parse(r#"{"room_id":1}"#)), ErrorCode::InvalidFrame);
        assert_eq!(
            code(parse(r#"{"type":"send","room_id":1,"client_id":"c"}"#)),
            ErrorCode::InvalidFrame
        );
        assert!(parse(r#"{"type":"ping"}"#).is_ok());
    }

    #[test]
    fn errors_keep_the_client_id() {
        match *parse(r#"{"type":"send","room_id":"x","client_id":"c1","body":"hi"}"#).unwrap_err() {
            ServerFrame::Error { client_id, .. } => assert_eq!(client_id.as_deref(), Some("c1")),
            other => panic!("{other:?}"),
        }
    }
}
