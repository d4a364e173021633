//! The generator's side of the wire: authenticated WebSocket connections and
//! a fast reader for the server's frames.
//!
//! At a million deliveries a second the generator shares two cores with the
//! server, so it must not parse every frame into a JSON tree. The server's
//! frames have a fixed shape (`app::protocol`, serialized by serde with the
//! tag first), and [`Frame::scan`] picks out the few numbers we need. The
//! timestamp a latency is measured from travels in the message body: the
//! generator wrote it, so no clocks need to agree.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::OnceLock;
use std::time::Duration;

use anyhow::{Context, bail};
use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, Stream, StreamExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{self, Message as WsMessage};

pub type Ws = WebSocketStream<TcpStream>;
pub type WsWrite = SplitSink<Ws, WsMessage>;
pub type WsRead = SplitStream<Ws>;

/// Source addresses to spread client sockets over: each (source, server
/// address) pair has its own ~28,000 ephemeral ports.
const SOURCE_ADDRESSES: u8 = 8;

/// The instant every body timestamp counts from.
fn epoch() -> Instant {
    static EPOCH: OnceLock<Instant> = OnceLock::new();
    *EPOCH.get_or_init(Instant::now)
}

/// Now, as written into a message body.
pub fn stamp() -> u64 {
    epoch().elapsed().as_nanos() as u64
}

/// Time since a body's stamp.
pub fn since(stamp: u64) -> Duration {
    Duration::from_nanos((epoch().elapsed().as_nanos() as u64).saturating_sub(stamp))
}

/// Connects the `n`th client socket, authenticated by `token` if given.
pub async fn connect(server: SocketAddr, token: Option<&str>, n: usize) -> anyhow::Result<Ws> {
    let source = Ipv4Addr::new(127, 0, 0, 1 + (n % SOURCE_ADDRESSES as usize) as u8);
    let tcp = TcpSocket::new_v4()?;
    tcp.bind(SocketAddr::new(IpAddr::V4(source), 0))?;
    let stream = tcp
        .connect(server)
        .await
        .with_context(|| format!("connecting socket {n} from {source}"))?;
    stream.set_nodelay(true)?;
    let mut request = format!("ws://{server}/ws").into_client_request()?;
    if let Some(token) = token {
        request.headers_mut().insert(
            "authorization",
            HeaderValue::from_str(&format!("Bearer {token}"))?,
        );
    }
    // Small buffers, as on the server: ten thousand idle sockets would
    // otherwise cost the generator over a gigabyte.
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    let (ws, _) = tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .with_context(|| format!("WebSocket handshake of socket {n}"))?;
    Ok(ws)
}

pub fn subscribe_frame(room_id: i64) -> WsMessage {
    WsMessage::Text(format!(r#"{{"type":"subscribe","room_id":{room_id}}}"#).into())
}

/// A send whose body carries the time it was written, padded to `body_bytes`.
pub fn send_frame(room_id: i64, client_id: &str, body_bytes: usize) -> WsMessage {
    let mut body = stamp().to_string();
    if body.len() < body_bytes {
        body.push(' ');
        body.extend(std::iter::repeat_n('x', body_bytes - body.len()));
    }
    WsMessage::Text(
        format!(
            r#"{{"type":"send","room_id":{room_id},"body":"{body}","client_id":"{client_id}"}}"#
        )
        .into(),
    )
}

/// Subscribes and returns the room's `last_seq`: live delivery starts after it.
pub async fn subscribe(ws: &mut Ws, room_id: i64) -> anyhow::Result<i64> {
    ws.send(subscribe_frame(room_id)).await?;
    loop {
        match next_text(ws).await? {
            Some(text) => match Frame::scan(&text) {
                Frame::Subscribed { last_seq } => return Ok(last_seq),
                Frame::Error => bail!("subscribing to room {room_id}: {text}"),
                _ => continue,
            },
            None => bail!("socket closed while subscribing to room {room_id}"),
        }
    }
}

/// The next text frame; `None` when the socket closed (the close code, if
/// any, is in the error for anything but a normal close).
pub async fn next_text<S>(read: &mut S) -> anyhow::Result<Option<tungstenite::Utf8Bytes>>
where
    S: Stream<Item = Result<WsMessage, tungstenite::Error>> + Unpin,
{
    loop {
        match read.next().await {
            Some(Ok(WsMessage::Text(text))) => return Ok(Some(text)),
            Some(Ok(WsMessage::Close(Some(frame)))) if frame.code != 1000.into() => {
                bail!(
                    "server closed the socket: {} {}",
                    u16::from(frame.code),
                    frame.reason
                )
            }
            Some(Ok(WsMessage::Close(_))) | None => return Ok(None),
            Some(Ok(_)) => continue,
            Some(Err(e)) => return Err(e.into()),
        }
    }
}

/// What the generator needs from a server frame.
#[derive(Debug, PartialEq, Eq)]
pub enum Frame {
    /// A delivered message: its room, seq and the stamp in its body.
    Message {
        room_id: i64,
        seq: i64,
        stamp: u64,
    },
    /// Our request was stored: the message (its id, seq and body's stamp)
    /// as it now is.
    Ack {
        id: i64,
        seq: i64,
        stamp: u64,
    },
    /// Any other event of a room: an edit, a reaction, a member.
    Event {
        room_id: i64,
        seq: i64,
    },
    Subscribed {
        last_seq: i64,
    },
    Error,
    Other,
}

impl Frame {
    pub fn scan(text: &str) -> Frame {
        let kind = text
            .strip_prefix(r#"{"type":""#)
            .and_then(|rest| rest.split_once('"'))
            .map(|(kind, _)| kind);
        let message = || {
            Some((
                number(text, r#""room_id":"#)?,
                number(text, r#""seq":"#)?,
                number(text, r#""body":""#)? as u64,
            ))
        };
        match kind {
            Some("message") => match message() {
                Some((room_id, seq, stamp)) => Frame::Message {
                    room_id,
                    seq,
                    stamp,
                },
                None => Frame::Other,
            },
            Some("ack") => match (message(), number(text, r#""message":{"id":"#)) {
                (Some((_, seq, stamp)), Some(id)) => Frame::Ack { id, seq, stamp },
                _ => Frame::Other,
            },
            Some("event") => match (number(text, r#""room_id":"#), number(text, r#""seq":"#)) {
                (Some(room_id), Some(seq)) => Frame::Event { room_id, seq },
                _ => Frame::Other,
            },
            Some("subscribed") => match number(text, r#""last_seq":"#) {
                Some(last_seq) => Frame::Subscribed { last_seq },
                None => Frame::Other,
            },
            Some("error") => Frame::Error,
            _ => Frame::Other,
        }
    }
}

/// The decimal digits right after the first `key` in `text`.
fn number(text: &str, key: &str) -> Option<i64> {
    let start = text.find(key)? + key.len();
    let digits = text[start..].bytes().take_while(u8::is_ascii_digit).count();
    text[start..start + digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MESSAGE: &str = r#"{"type":"message","message":{"id":90,"room_id":7,"seq":42,"author":{"id":1,"username":"u1"},"body":"123456 xxxx","created_at":"2026-11-24T14:03:05.123Z","client_id":"s1-9"}}"#;

    #[test]
    fn message_frames_yield_room_seq_and_stamp() {
        assert_eq!(
            Frame::scan(MESSAGE),
            Frame::Message {
                room_id: 7,
                seq: 42,
                stamp: 123456
            }
        );
    }

    #[test]
    fn acks_yield_the_stored_seq() {
        let ack = format!(
            r#"{{"type":"ack","client_id":"s1-9","message":{}}}"#,
            &MESSAGE[28..MESSAGE.len() - 1]
        );
        assert_eq!(
            Frame::scan(&ack),
            Frame::Ack {
                id: 90,
                seq: 42,
                stamp: 123456
            }
        );
    }

    #[test]
    fn other_frames_are_told_apart() {
        assert_eq!(
            Frame::scan(r#"{"type":"subscribed","room_id":7,"last_seq":3}"#),
            Frame::Subscribed { last_seq: 3 }
        );
        assert_eq!(
            Frame::scan(r#"{"type":"error","code":"not_a_member","message":"x"}"#),
            Frame::Error
        );
        assert_eq!(
            Frame::scan(
                r#"{"type":"event","room_id":7,"seq":43,"kind":"message_edited","message":{"id":90,"room_id":7,"seq":42}}"#
            ),
            Frame::Event {
                room_id: 7,
                seq: 43
            }
        );
        assert_eq!(Frame::scan(r#"{"type":"pong"}"#), Frame::Other);
        assert_eq!(Frame::scan("not json"), Frame::Other);
        // A message frame without a stamped body is not ours to time.
        assert_eq!(
            Frame::scan(r#"{"type":"message","message":{"room_id":1,"seq":2,"body":"hi"}}"#),
            Frame::Other
        );
    }

    #[test]
    fn send_frames_carry_a_stamp_and_the_asked_size() {
        let WsMessage::Text(text) = send_frame(3, "c-1", 64) else {
            panic!("text frame")
        };
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        let body = value["body"].as_str().unwrap();
        assert_eq!(body.len(), 64);
        assert!(body.split(' ').next().unwrap().parse::<u64>().is_ok());
        assert_eq!(value["client_id"], "c-1");
    }
}
