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
            (Some("message"), _) => {
                let message = &frame["message"];
                self.messages
                    .insert(message["id"].as_i64().unwrap(), message.clone());
            }
            (_, Some("message_edited" | "message_deleted")) => {
                let message = &frame["message"];
                // A reply quotes the start of its original as it is now.
                let excerpt: String = message["body"]
                    .as_str()
                    .unwrap()
                    .chars()
                    .take(140)
                    .collect();
                for reply in self.messages.values_mut() {
                    if reply["reply_to"]["id"] == message["id"] {
                        reply["reply_to"]["excerpt"] = excerpt.clone().into();
                    }
                }
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
                        seq.unwrap(),
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

/// Adds or removes one person's reaction, idempotently, as
/// `app::model::Message::apply_reaction` does: names sorted by id, a new
/// chip placed by the seq that started it.
fn react(message: &mut Value, emoji: &str, user_id: i64, added: bool, seq: i64) {
    let reactions = message["reactions"].as_array_mut().expect("reactions");
    match reactions.iter().position(|r| r["emoji"] == emoji) {
        Some(i) => {
            let users = reactions[i]["user_ids"].as_array_mut().unwrap();
            let mut ids: Vec<i64> = users.iter().map(|u| u.as_i64().unwrap()).collect();
            match (ids.binary_search(&user_id), added) {
                (Err(at), true) => ids.insert(at, user_id),
                (Ok(at), false) => {
                    ids.remove(at);
                }
                _ => {}
            }
            if ids.is_empty() {
                reactions.remove(i);
            } else {
                reactions[i]["count"] = ids.len().into();
                reactions[i]["user_ids"] = ids.into();
            }
        }
        None if added => {
            let at = reactions
                .iter()
                .position(|r| r["first_seq"].as_i64().unwrap() > seq)
                .unwrap_or(reactions.len());
            reactions.insert(
                at,
                serde_json::json!({"emoji": emoji, "count": 1, "user_ids": [user_id], "first_seq": seq}),
            );
        }
        None => {}
    }
}
