//! How a room's history is laid out: where a day begins, and which messages
//! continue their author's run and so go under one name and avatar (as in
//! Slack), which makes a conversation read as turns rather than lines.

use leptos::prelude::*;

use crate::model::Message;
use crate::time::{self, day_label, day_number, epoch_ms};

/// Messages this close after their author's previous one continue it.
const RUN_GAP_MS: i64 = 5 * 60 * 1000;

/// Where a message sits against the one shown before it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Placement {
    /// The first message of a day (in the reader's zone once hydrated).
    pub new_day: bool,
    /// Goes under the previous message's name and avatar.
    pub continued: bool,
}

/// `previous` is the message shown just above, if it is the one that came
/// before (not across a gap in what is loaded). A reply starts a run of its
/// own, since it shows what it answers.
pub fn place(previous: Option<&Message>, message: &Message, local: bool) -> Placement {
    let Some(at) = epoch_ms(&message.created_at) else {
        return Placement::default();
    };
    let Some(previous) = previous else {
        return Placement {
            new_day: true,
            continued: false,
        };
    };
    let before = epoch_ms(&previous.created_at).unwrap_or(i64::MIN / 2);
    let new_day = day_number(before, local) != day_number(at, local);
    let continued = !new_day
        && previous.author.id == message.author.id
        && message.reply_to.is_none()
        && (0..RUN_GAP_MS).contains(&(at - before));
    Placement { new_day, continued }
}

/// The line above a day's first message: "Today", "Yesterday", a weekday
/// or a date. A heading, so a screen reader can move from day to day.
#[component]
pub fn DaySeparator(#[prop(into)] iso: String, local: ReadSignal<bool>) -> impl IntoView {
    let label = move || {
        let local = local.get();
        let at = epoch_ms(&iso).unwrap_or_default();
        day_label(at, day_number(time::now_ms(), local), local)
    };
    view! {
        <div class="mt-4 mb-1 flex items-center gap-3" data-day-separator="">
            <span class="h-px flex-1 bg-slate-200" aria-hidden="true"></span>
            <h2 class="rounded-full border border-slate-200 px-3 py-0.5 text-xs font-semibold text-slate-700">{label}</h2>
            <span class="h-px flex-1 bg-slate-200" aria-hidden="true"></span>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Author;

    fn at(author: i64, iso: &str) -> Message {
        Message {
            id: 1,
            room_id: 1,
            seq: 1,
            author: Author {
                id: author,
                username: format!("user{author}"),
            },
            body: "hi".into(),
            body_html: "<p>hi</p>\n".into(),
            created_at: iso.to_owned(),
            client_id: None,
            edited_at: None,
            deleted: false,
            reply_to: None,
            reactions: Vec::new(),
            mentions: Vec::new(),
            mentions_room: false,
            attachments: Vec::new(),
        }
    }

    #[test]
    fn an_authors_quick_messages_run_together_until_a_pause_a_reply_or_midnight() {
        let first = at(1, "2026-11-30T10:00:00.000Z");
        let quick = at(1, "2026-11-30T10:04:59.000Z");
        assert_eq!(
            place(None, &first, false),
            Placement {
                new_day: true,
                continued: false
            }
        );
        assert!(place(Some(&first), &quick, false).continued);
        // Someone else, a pause, a reply.
        assert!(!place(Some(&first), &at(2, "2026-11-30T10:01:00.000Z"), false).continued);
        assert!(!place(Some(&first), &at(1, "2026-11-30T10:05:00.000Z"), false).continued);
        let mut reply = quick.clone();
        reply.reply_to = Some(crate::model::ReplyTo {
            id: 1,
            seq: 1,
            author: first.author.clone(),
            excerpt: "hi".into(),
        });
        assert!(!place(Some(&first), &reply, false).continued);
        // A new day, even a minute later.
        let late = at(1, "2026-11-30T23:59:30.000Z");
        let next = place(Some(&late), &at(1, "2026-12-01T00:00:30.000Z"), false);
        assert_eq!(
            next,
            Placement {
                new_day: true,
                continued: false
            }
        );
    }
}
