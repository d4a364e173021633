//! A socket's changes being committed. The socket hands each send, edit,
//! deletion or reaction to the room writer and goes on reading: waiting
//! for each commit before reading the next frame would hold a busy sender
//! to one message per commit round trip, and a client flushing its offline
//! queue to one commit per message. Changes are handed over in the order
//! they were read, so the writer makes them in that order, and they are
//! answered in that order too. At most [`MAX_IN_FLIGHT`] wait at once; past
//! that the socket stops reading until the oldest is answered.

use std::collections::VecDeque;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::task::Poll;

use app::model::Message;
use app::server::Error;
use futures::FutureExt;

/// Changes one socket may have waiting for their commit.
pub(super) const MAX_IN_FLIGHT: usize = 32;

type Answer = Pin<Box<dyn Future<Output = Result<Message, Error>> + Send>>;

/// A change's answer, with what its reply names.
pub(super) struct Answered {
    pub(super) result: Result<Message, Error>,
    pub(super) client_id: String,
    pub(super) room_id: i64,
}

struct Asked {
    answer: Answer,
    client_id: String,
    room_id: i64,
}

/// The changes waiting, oldest first.
#[derive(Default)]
pub(super) struct InFlight(VecDeque<Asked>);

impl InFlight {
    pub(super) fn push(
        &mut self,
        answer: impl Future<Output = Result<Message, Error>> + Send + 'static,
        client_id: String,
        room_id: i64,
    ) {
        self.0.push_back(Asked {
            answer: Box::pin(answer),
            client_id,
            room_id,
        });
    }

    pub(super) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(super) fn is_full(&self) -> bool {
        self.0.len() >= MAX_IN_FLIGHT
    }

    /// The oldest change's answer once it comes, with every later one
    /// already there (one commit answers a batch). Never ready while
    /// nothing waits.
    pub(super) async fn next(&mut self) -> Vec<Answered> {
        let first = poll_fn(|cx| match self.0.front_mut() {
            Some(asked) => asked.answer.poll_unpin(cx),
            None => Poll::Pending,
        })
        .await;
        let mut answered = vec![self.answered(first)];
        while let Some(result) = self
            .0
            .front_mut()
            .and_then(|asked| asked.answer.as_mut().now_or_never())
        {
            answered.push(self.answered(result));
        }
        answered
    }

    /// Pops the oldest, which `result` answers.
    fn answered(&mut self, result: Result<Message, Error>) -> Answered {
        let asked = self
            .0
            .pop_front()
            .expect("an answer comes for a change waiting");
        Answered {
            result,
            client_id: asked.client_id,
            room_id: asked.room_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::sync::oneshot;

    fn message(seq: i64) -> Message {
        serde_json::from_value(serde_json::json!({
            "id": seq, "room_id": 1, "seq": seq,
            "author": {"id": 1, "username": "ann"},
            "body": "hi", "body_html": "<p>hi</p>", "created_at": "2026-11-30T12:00:00.000Z",
            "client_id": null, "edited_at": null, "deleted": false, "reply_to": null, "reactions": [],
        }))
        .unwrap()
    }

    fn asked(in_flight: &mut InFlight, n: i64) -> oneshot::Sender<Result<Message, Error>> {
        let (tx, rx) = oneshot::channel();
        in_flight.push(async move { rx.await.unwrap() }, format!("c{n}"), 1);
        tx
    }

    #[test]
    fn answers_come_oldest_first_with_every_later_one_already_there() {
        let mut in_flight = InFlight::default();
        let (one, two, three) = (
            asked(&mut in_flight, 1),
            asked(&mut in_flight, 2),
            asked(&mut in_flight, 3),
        );
        // A later answer does not overtake the oldest.
        two.send(Ok(message(2))).unwrap();
        assert!(in_flight.next().now_or_never().is_none());
        one.send(Ok(message(1))).unwrap();
        let answered = in_flight
            .next()
            .now_or_never()
            .expect("the oldest is answered");
        let ids: Vec<_> = answered.iter().map(|a| a.client_id.as_str()).collect();
        assert_eq!(ids, ["c1", "c2"]);
        assert_eq!(answered[1].result.as_ref().unwrap().seq, 2);
        three.send(Err(Error::NotAMember)).unwrap();
        let answered = in_flight.next().now_or_never().expect("answered");
        assert!(matches!(answered[0].result, Err(Error::NotAMember)));
        assert!(in_flight.is_empty());
        assert!(in_flight.next().now_or_never().is_none());
    }

    #[test]
    fn it_is_full_at_the_limit() {
        let mut in_flight = InFlight::default();
        let _senders: Vec<_> = (0..MAX_IN_FLIGHT as i64 - 1)
            .map(|n| asked(&mut in_flight, n))
            .collect();
        assert!(!in_flight.is_full());
        let _last = asked(&mut in_flight, MAX_IN_FLIGHT as i64);
        assert!(in_flight.is_full());
    }
}
