//! A demo to look at: five people, four rooms and a week and a half of
//! conversation, for the screenshots in README (`make screenshots`), the
//! visual tests, and anyone trying Chat out (`chat demo`, README).
//!
//! It is written through the services, as people would write it, with the
//! process's clock set back to when each line was "sent"
//! ([`storage::db::set_clock`]): the result is real history (events, seqs,
//! read markers, mentions), only older. Given the same `at`, it is the same
//! history, to the second, which is what makes screenshots comparable.
//!
//! Every demo account shares one published password, so the seeder
//! refuses a database that already has accounts.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr};

use crate::model::{Credentials, RoomKind};
use crate::server::error::{Error, Result};
use crate::server::services::messages::{self, NewPost};
use crate::server::services::rooms::{self, RoomDraft};
use crate::server::services::{auth, direct};
use crate::server::state::AppState;
use crate::server::storage::db::set_clock;
use crate::server::storage::sessions::AuthUser;
use crate::server::storage::users;

/// The password of every demo account.
pub const PASSWORD: &str = "demo password";

/// The people, in the order they register; the first is the one the
/// screenshots are taken as.
pub const PEOPLE: [&str; 5] = ["ada", "grace.hopper", "linus", "margaret", "alan.t"];

const DAY_MS: i64 = 86_400_000;
const MINUTE_MS: i64 = 60_000;

/// When a line was sent, against the demo's "now".
#[derive(Clone, Copy)]
enum When {
    /// That many days before, at this UTC clock time (`"09:12"`).
    DaysAgo(i64, &'static str),
    /// That many minutes before.
    MinutesAgo(i64),
}

/// One line of a room's conversation.
struct Line {
    when: When,
    who: &'static str,
    text: &'static str,
    /// The index, in its room's lines, of the line it answers.
    reply_to: Option<usize>,
    /// Who reacted, with what.
    reactions: &'static [(&'static str, &'static [&'static str])],
}

const fn line(when: When, who: &'static str, text: &'static str) -> Line {
    Line {
        when,
        who,
        text,
        reply_to: None,
        reactions: &[],
    }
}

struct Room {
    name: &'static str,
    topic: &'static str,
    members: &'static [&'static str],
    lines: &'static [Line],
    /// How many of its lines the first person has read (the rest show as
    /// unread); all of them when `None`.
    read_by_first: Option<usize>,
}

use When::{DaysAgo, MinutesAgo};

const GENERAL: &[Line] = &[
    line(
        DaysAgo(9, "09:12"),
        "ada",
        "Morning all! The new build is on staging.",
    ),
    line(
        DaysAgo(9, "09:13"),
        "ada",
        "Release notes are in the usual place. Shout if anything looks off.",
    ),
    line(
        DaysAgo(9, "09:31"),
        "grace.hopper",
        "Nice. I'll have a look after standup.",
    ),
    line(
        DaysAgo(5, "14:02"),
        "linus",
        "Has anyone seen the flaky test in `delivery.spec`? It failed twice on CI today.",
    ),
    line(
        DaysAgo(5, "14:03"),
        "linus",
        "Only on the slow runner, as far as I can tell.",
    ),
    Line {
        reply_to: Some(3),
        ..line(
            DaysAgo(5, "14:20"),
            "margaret",
            "That's the reconnect timeout. I'll raise it and add a log line so we can see it next time.",
        )
    },
    Line {
        reactions: &[("🙏", &["linus"]), ("👍", &["ada", "grace.hopper"])],
        ..line(
            DaysAgo(5, "16:45"),
            "margaret",
            "Fixed in main: it waits for the socket to say it is open before sending.",
        )
    },
    line(
        DaysAgo(2, "11:30"),
        "alan.t",
        "Lunch on Thursday? There's a new ramen place by the station 🍜",
    ),
    line(DaysAgo(2, "11:32"), "grace.hopper", "In!"),
    line(DaysAgo(2, "11:40"), "ada", "Count me in too."),
    Line {
        reactions: &[
            ("🎉", &["ada", "grace.hopper", "linus"]),
            ("👀", &["alan.t"]),
        ],
        ..line(
            DaysAgo(1, "16:45"),
            "margaret",
            "The deploy went out, no errors so far 🎉",
        )
    },
    line(
        DaysAgo(1, "16:47"),
        "linus",
        "Confirmed on my side:\n\n```\n$ chat --version\nchat 0.9.0\n```",
    ),
    line(
        DaysAgo(1, "16:48"),
        "linus",
        "Memory is flat after an hour of load, too.",
    ),
    line(
        MinutesAgo(64),
        "grace.hopper",
        "@ada could you look over the dark theme's palette when you have a minute?",
    ),
    line(
        MinutesAgo(63),
        "grace.hopper",
        "Screenshots are in #design, light and dark side by side.",
    ),
    line(
        MinutesAgo(21),
        "alan.t",
        "Standup moves to 10:15 tomorrow, the room is booked before that.",
    ),
    Line {
        reactions: &[("👍", &["alan.t", "linus"])],
        ..line(
            MinutesAgo(6),
            "margaret",
            "**Reminder:** retro at 4pm. Bring one thing that went well and one that didn't.",
        )
    },
];

const DESIGN: &[Line] = &[
    line(
        DaysAgo(3, "10:05"),
        "grace.hopper",
        "First pass at the message list: names once per run, avatars, and a line per day.",
    ),
    line(
        DaysAgo(3, "10:06"),
        "grace.hopper",
        "Own messages get a thin bar instead of a coloured bubble. Calmer to read.",
    ),
    Line {
        reactions: &[("❤️", &["grace.hopper"])],
        ..line(
            DaysAgo(3, "10:20"),
            "ada",
            "Much better. The bubbles were shouting.",
        )
    },
    line(
        MinutesAgo(70),
        "margaret",
        "Dark mode checks out on my phone. Contrast is fine in both themes.",
    ),
];

const RANDOM: &[Line] = &[
    line(
        DaysAgo(4, "18:02"),
        "alan.t",
        "Found a 1970s terminal manual in the attic. The keyboard shortcuts section is longer than the rest.",
    ),
    Line {
        reactions: &[("😂", &["ada", "margaret"])],
        ..line(DaysAgo(4, "18:05"), "linus", "Some things never change.")
    },
];

const ROOMS: [Room; 3] = [
    Room {
        name: "general",
        topic: "Everything and nothing",
        members: &PEOPLE,
        lines: GENERAL,
        read_by_first: Some(13),
    },
    Room {
        name: "design",
        topic: "Pixels, type and the colour of things",
        members: &["ada", "grace.hopper", "margaret"],
        lines: DESIGN,
        read_by_first: Some(3),
    },
    Room {
        name: "random",
        topic: "",
        members: &PEOPLE,
        lines: RANDOM,
        read_by_first: None,
    },
];

/// A direct conversation between the first two people.
const DIRECT: &[Line] = &[
    line(
        DaysAgo(1, "19:10"),
        "grace.hopper",
        "Thanks for the review yesterday, it caught a real bug.",
    ),
    line(DaysAgo(1, "19:14"), "ada", "Any time! Coffee tomorrow?"),
];

/// Milliseconds since the epoch of an RFC 3339 time (`--at`).
pub fn parse_time(at: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(at)
        .ok()
        .map(|at| at.timestamp_millis())
}

/// The demo's "now" moved by `when`.
fn time_of(when: When, now: i64) -> i64 {
    match when {
        MinutesAgo(minutes) => now - minutes * MINUTE_MS,
        DaysAgo(days, clock) => {
            let (hours, minutes) = clock.split_once(':').unwrap_or(("12", "00"));
            let into_day = hours.parse::<i64>().unwrap_or(12) * 60 * MINUTE_MS
                + minutes.parse::<i64>().unwrap_or(0) * MINUTE_MS;
            now.div_euclid(DAY_MS) * DAY_MS - days * DAY_MS + into_day
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already has accounts; the demo goes only into an empty one")]
    NotEmpty,
    #[error(transparent)]
    Failed(#[from] Error),
}

/// Writes the demo as it would stand at `now` (milliseconds since the
/// epoch) into a database with no accounts.
pub async fn seed(state: &AppState, now: i64) -> std::result::Result<(), SeedError> {
    if users::any(&state.db).await? {
        return Err(SeedError::NotEmpty);
    }
    let address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut people: HashMap<&str, AuthUser> = HashMap::new();
    set_clock(now - 30 * DAY_MS);
    for name in PEOPLE {
        let credentials = Credentials {
            username: name.to_owned(),
            password: PASSWORD.to_owned(),
        };
        let answer = auth::register(state, credentials, address).await?;
        let user = auth::authenticate(state, &answer.token).await?;
        people.insert(name, user);
    }
    let person = |name: &str| {
        people
            .get(name)
            .ok_or_else(|| Error::Internal(format!("no demo person {name}")))
    };
    for room in &ROOMS {
        set_clock(now - 30 * DAY_MS);
        let owner = person(room.members[0])?;
        let draft = RoomDraft {
            name: room.name.to_owned(),
            kind: RoomKind::Public,
            topic: room.topic.to_owned(),
        };
        let id = rooms::create(state, owner, draft).await?.id;
        for member in &room.members[1..] {
            rooms::join(state, person(member)?, id).await?;
        }
        write(state, &people, id, room.lines, now, room.read_by_first).await?;
    }
    let (direct, _) = direct::start(state, person(PEOPLE[0])?, &[PEOPLE[1].to_owned()]).await?;
    write(state, &people, direct.id, DIRECT, now, None).await?;
    set_clock(now);
    for user in people.values() {
        auth::logout(state, user).await?;
    }
    Ok(())
}

/// A room's lines, each at its time, then its reactions half a minute
/// later; and how far each person has read.
async fn write(
    state: &AppState,
    people: &HashMap<&str, AuthUser>,
    room_id: i64,
    lines: &[Line],
    now: i64,
    read_by_first: Option<usize>,
) -> Result<()> {
    let person = |name: &str| {
        people
            .get(name)
            .ok_or_else(|| Error::Internal(format!("no demo person {name}")))
    };
    let mut sent: Vec<(i64, i64)> = Vec::new();
    for line in lines {
        let at = time_of(line.when, now);
        set_clock(at);
        let post = NewPost {
            reply_to: line.reply_to.map(|index| sent[index].0),
            ..NewPost::text(line.text)
        };
        let (message, _) = messages::post(state, person(line.who)?, room_id, post)
            .await?
            .await?;
        set_clock(at + MINUTE_MS / 2);
        for (emoji, who) in line.reactions {
            for name in *who {
                messages::react(
                    state,
                    person(name)?,
                    room_id,
                    message.id,
                    (*emoji).to_owned(),
                    true,
                )
                .await?
                .await?;
            }
        }
        sent.push((message.id, message.seq));
    }
    // Everyone has read up to their own last line; the first person up to
    // a point of the room's own.
    for name in PEOPLE {
        let own = lines
            .iter()
            .zip(&sent)
            .rev()
            .find(|(line, _)| line.who == name);
        if let Some((_, (_, seq))) = own {
            rooms::mark_read(state, person(name)?, room_id, *seq).await?;
        }
    }
    let first = person(PEOPLE[0])?;
    let read = match read_by_first {
        Some(count) => sent[..count.min(sent.len())]
            .last()
            .map_or(0, |(_, seq)| *seq),
        // Past the last line: the service holds it to the room's last seq.
        None => i64::MAX,
    };
    if read > 0 {
        rooms::mark_read(state, first, room_id, read).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_placed_against_the_demos_now() {
        // 2026-11-30T16:00:00Z
        let now = 1_796_054_400_000;
        assert_eq!(time_of(MinutesAgo(6), now), now - 6 * MINUTE_MS);
        // Two days back, at 11:30 UTC.
        assert_eq!(
            time_of(DaysAgo(2, "11:30"), now),
            now - 2 * DAY_MS - 16 * 60 * MINUTE_MS + (11 * 60 + 30) * MINUTE_MS
        );
    }

    #[test]
    fn replies_answer_an_earlier_line() {
        for lines in [GENERAL, DESIGN, RANDOM, DIRECT] {
            for (index, line) in lines.iter().enumerate() {
                assert!(line.reply_to.is_none_or(|to| to < index));
            }
        }
    }
}
