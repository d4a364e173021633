//! A room as a client sees it, built only from the frames it receives:
//! what the tests compare with the server's history to prove a client
//! ends in the server's state. It applies events exactly as the protocol
//! says a client should (`app::protocol`).

use std::collections::BTreeMap;

use serde_json::Value;

#[derive(Default, Debug)]
pub struct RoomView {
    /// Messages by id, as JSON, in their current state.
    pub messages: BTreeMap<i64, Value>,
    /// The highest seq applied: where a resubscribe resumes.
    pub last_seq: i64,
}

impl RoomView {
    /// Applies a `message` or `event` frame (others are ignored).
    pub fn apply(&mut self, frame: &Value) {
        let seq = match frame["type"].as_str() {
            Some("message") => frame["message"]["seq"].as_i64(),
            Some("event") => frame["seq"].as_i64(),
            _ => return,
        };
        self.last_seq = self.last_seq.max(seq.expect("a seq"));
        match (frame["type"].as_str(), frame["kind"].as_str()) {
            (Some("message"), _) | (_, Some("message_edited" | "message_deleted")) => {
                let message = &frame["message"];
                self.messages
                    .insert(message["id"].as_i64().unwrap(), message.clone());
            }
            (_, Some(kind @ ("reaction_added" | "reaction_removed"))) => {
                let id = frame["message_id"].as_i64().unwrap();
                if let Some(message) = self.messages.get_mut(&id) {
                    react(
                        message,
                        frame["emoji"].as_str().unwrap(),
                        frame["user"]["id"].as_i64().unwrap(),
                        kind == "reaction_added",
                    );
                }
            }
            _ => {}
        }
    }

    /// The messages oldest first, as a history page lists them.
    pub fn history(&self) -> Vec<Value> {
        let mut messages: Vec<Value> = self.messages.values().cloned().collect();
        messages.sort_by_key(|m| m["seq"].as_i64());
        messages
    }
}

/// Adds or removes one person's reaction, idempotently.
fn react(message: &mut Value, emoji: &str, user_id: i64, added: bool) {
    let reactions = message["reactions"].as_array_mut().expect("reactions");
    let position = reactions.iter().position(|r| r["emoji"] == emoji);
    match (position, added) {
        (None, true) => reactions.push(serde_json::json!({
            "emoji": emoji, "count": 1, "user_ids": [user_id]
        })),
        (Some(i), _) => {
            let users = reactions[i]["user_ids"].as_array_mut().unwrap();
            let present = users.iter().any(|u| u.as_i64() == Some(user_id));
            match (present, added) {
                (false, true) => users.push(user_id.into()),
                (true, false) => users.retain(|u| u.as_i64() != Some(user_id)),
                _ => {}
            }
            let count = users.len();
            if count == 0 {
                reactions.remove(i);
            } else {
                reactions[i]["count"] = count.into();
            }
        }
        (None, false) => {}
    }
}
