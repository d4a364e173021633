//! The WebSocket protocol: one socket per tab carries every room it watches.
//!
//! The rule a reader must know: after `subscribe {after_seq: N}` the server
//! sends every stored message with seq > N, then `subscribed {last_seq: L}`,
//! then live messages with seq > L only. A client that remembers the highest
//! seq it has seen per room can therefore reconnect and resume with no gap and
//! no duplicate. Without `after_seq` no backlog is sent; the client reads
//! history over HTTP up to `last_seq`.

use serde::{Deserialize, Serialize};

use crate::model::Message;

/// Largest text frame the server reads; bigger frames close the socket (1009).
pub const MAX_FRAME_BYTES: usize = 64 * 1024;

/// Close code sent when the user's session ends (logout or expiry).
pub const CLOSE_SESSION_ENDED: u16 = 4001;
/// Close code sent to a subscriber that fell too far behind; it should
/// reconnect and resume from its last seq.
pub const CLOSE_TOO_SLOW: u16 = 4008;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Subscribe {
        room_id: i64,
        #[serde(default)]
        after_seq: Option<i64>,
    },
    Unsubscribe {
        room_id: i64,
    },
    Send {
        room_id: i64,
        body: String,
        client_id: String,
    },
    Ping,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Message {
        message: Message,
    },
    Subscribed {
        room_id: i64,
        last_seq: i64,
    },
    Ack {
        client_id: String,
        message: Message,
    },
    Pong,
    Error {
        code: String,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        client_id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        room_id: Option<i64>,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscribe_without_after_seq_parses() {
        let frame: ClientFrame =
            serde_json::from_str(r#"{"type":"subscribe","room_id":3}"#).unwrap();
        assert_eq!(
            frame,
            ClientFrame::Subscribe {
                room_id: 3,
                after_seq: None
            }
        );
    }

    #[test]
    fn error_frame_omits_absent_fields() {
        let json = serde_json::to_string(&ServerFrame::Error {
            code: "bad_frame".into(),
            message: "x".into(),
            client_id: None,
            room_id: None,
        })
        .unwrap();
        assert_eq!(json, r#"{"type":"error","code":"bad_frame","message":"x"}"#);
    }

    #[test]
    fn send_requires_client_id() {
        let result: Result<ClientFrame, _> =
            serde_json::from_str(r#"{"type":"send","room_id":1,"body":"hi"}"#);
        assert!(result.is_err());
    }
}
