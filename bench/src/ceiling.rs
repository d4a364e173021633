//! The ceiling: the simplest WebSocket broadcast server we can write on the
//! same stack (axum on tokio, tungstenite), with no auth and no storage. It
//! speaks just enough of the chat protocol (subscribe, send, ack, message
//! frames of the same shape and size) for the fan-out scenario to drive it
//! unchanged, so its figures are this machine's practical limit and the
//! product's are reported as a ratio to them.
//!
//! One room per socket (a second subscribe replaces the first), which is all
//! the fan-out scenario asks of it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message as WsMessage, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::response::Response;
use axum::routing::get;
use futures::SinkExt;
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast;

#[derive(Default)]
struct Room {
    seq: i64,
    tx: Option<broadcast::Sender<Utf8Bytes>>,
}

type Rooms = Arc<Mutex<HashMap<i64, Room>>>;

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Incoming {
    Subscribe {
        room_id: i64,
    },
    Send {
        room_id: i64,
        body: String,
        client_id: String,
    },
    #[serde(other)]
    Other,
}

/// The product's message shape, so frames cost the same to write and read.
#[derive(Serialize)]
struct Message<'a> {
    id: i64,
    room_id: i64,
    seq: i64,
    author: Author,
    body: &'a str,
    created_at: String,
    client_id: &'a str,
}

#[derive(Serialize)]
struct Author {
    id: i64,
    username: &'static str,
}

pub async fn serve(addr: SocketAddr) -> anyhow::Result<()> {
    let app = Router::new()
        .route("/ws", get(upgrade))
        .with_state(Rooms::default());
    let listener = tokio::net::TcpListener::bind(addr).await?;
    // The line `Target` waits for, as the chat server prints it.
    println!("listening on http://{}", listener.local_addr()?);
    // The product's socket options: small writes go out at once.
    let listener = axum::serve::ListenerExt::tap_io(listener, |tcp| {
        let _ = tcp.set_nodelay(true);
    });
    axum::serve(listener, app).await?;
    Ok(())
}

async fn upgrade(State(rooms): State<Rooms>, ws: WebSocketUpgrade) -> Response {
    ws.read_buffer_size(4096)
        .write_buffer_size(8 * 1024)
        .on_upgrade(move |socket| connection(socket, rooms))
}

async fn connection(mut socket: WebSocket, rooms: Rooms) {
    let mut live: Option<broadcast::Receiver<Utf8Bytes>> = None;
    loop {
        tokio::select! {
            incoming = socket.recv() => {
                let Some(Ok(WsMessage::Text(text))) = incoming else {
                    match incoming {
                        Some(Ok(_)) => continue,
                        _ => return,
                    }
                };
                let reply = match serde_json::from_str(&text) {
                    Ok(Incoming::Subscribe { room_id }) => {
                        let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
                        let room = rooms.entry(room_id).or_default();
                        let tx = room.tx.get_or_insert_with(|| broadcast::channel(1024).0);
                        live = Some(tx.subscribe());
                        format!(r#"{{"type":"subscribed","room_id":{room_id},"last_seq":{}}}"#, room.seq)
                    }
                    Ok(Incoming::Send { room_id, body, client_id }) => {
                        publish(&rooms, room_id, &body, &client_id)
                    }
                    Ok(Incoming::Other) | Err(_) => r#"{"type":"error","code":"invalid_frame","message":"?"}"#.into(),
                };
                if socket.send(WsMessage::Text(reply.into())).await.is_err() {
                    return;
                }
            }
            frame = async { live.as_mut()?.recv().await.ok() }, if live.is_some() => {
                let Some(frame) = frame else {
                    // Lagged or closed: the client is too slow, as in the product.
                    let close = CloseFrame { code: 4008, reason: "too slow".into() };
                    let _ = socket.send(WsMessage::Close(Some(close))).await;
                    return;
                };
                // What is already queued goes out with it, in one flush.
                let mut batch = vec![frame];
                while let Some(Ok(next)) = live.as_mut().map(|l| l.try_recv()) {
                    batch.push(next);
                    if batch.len() == 64 { break; }
                }
                for frame in batch {
                    if socket.feed(WsMessage::Text(frame)).await.is_err() {
                        return;
                    }
                }
                if socket.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}

/// Numbers the message, broadcasts it once for every subscriber and
/// returns the sender's ack. The lock keeps each room's stream in seq order.
fn publish(rooms: &Rooms, room_id: i64, body: &str, client_id: &str) -> String {
    let mut rooms = rooms.lock().unwrap_or_else(|p| p.into_inner());
    let room = rooms.entry(room_id).or_default();
    room.seq += 1;
    let message = Message {
        id: room.seq,
        room_id,
        seq: room.seq,
        author: Author {
            id: 1,
            username: "bench",
        },
        body,
        created_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        client_id,
    };
    let message = serde_json::to_string(&message).unwrap_or_default();
    if let Some(tx) = &room.tx {
        let frame = format!(r#"{{"type":"message","message":{message}}}"#);
        let _ = tx.send(frame.into());
    }
    format!(r#"{{"type":"ack","client_id":"{client_id}","message":{message}}}"#)
}
