//! Hostile input, generated and remembered: the WebSocket frame parser and
//! the text validators under proptest (fixed seed, so every run checks the
//! same cases and a failure reproduces), a corpus of known-nasty frames in
//! `tests/corpus/frames` whose file names say what each must produce, and
//! random frames thrown at a live socket, which must answer every one and
//! stay open.
//!
//! A new nasty input found anywhere belongs in the corpus: name it
//! `<expected code or ok>--<what it is>.txt`.

use std::path::Path;

use app::protocol::{ClientFrame, ServerFrame};
use app::server::Settings;
use app::server::services::messages::{validate_body, validate_client_id};
use app::server::services::rooms::validate_room_name;
use chat::ws::parse;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use serde_json::{Value, json};

use crate::helpers::spawn_app_with;

const PARSE_ERRORS: [&str; 3] = ["invalid_json", "invalid_frame", "unknown_type"];

/// What `parse` made of a text: `ok` or the error frame's code.
fn outcome(text: &str) -> String {
    match parse(text) {
        Ok(_) => "ok".into(),
        Err(error) => match *error {
            ServerFrame::Error { code, message, .. } => {
                assert!(!message.is_empty(), "{code} without a message for {text:?}");
                code.to_string()
            }
            other => panic!("parse answered {other:?}"),
        },
    }
}

fn runner(cases: u32) -> TestRunner {
    TestRunner::new(Config {
        cases,
        rng_seed: RngSeed::Fixed(0x5eed_c4a7),
        failure_persistence: None,
        ..Config::default()
    })
}

#[test]
fn every_corpus_frame_gives_its_named_outcome() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/frames");
    let mut checked = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory") {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let (expected, _) = name
            .split_once("--")
            .unwrap_or_else(|| panic!("{name}: name it <outcome>--<what>.txt"));
        let bytes = std::fs::read(&path).unwrap();
        let text = String::from_utf8_lossy(&bytes);
        assert_eq!(outcome(&text), expected, "{name}");
        checked += 1;
    }
    assert!(checked >= 20, "the corpus is there: {checked} files");
}

fn any_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| json!(f)),
        any::<String>().prop_map(Value::from),
        prop_oneof![
            Just("send"),
            Just("subscribe"),
            Just("ping"),
            Just("unsubscribe")
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("type".to_owned()),
                    Just("room_id".to_owned()),
                    Just("body".to_owned()),
                    Just("client_id".to_owned()),
                    Just("after_seq".to_owned()),
                    any::<String>(),
                ],
                inner,
                0..6,
            )
            .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}

/// Frames shaped like ours, with every field's value drawn from anywhere.
fn frame_like() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just(json!("send")),
            Just(json!("subscribe")),
            Just(json!("unsubscribe")),
            Just(json!("ping")),
            any_json()
        ],
        any_json(),
        any_json(),
        any_json(),
        any_json(),
    )
        .prop_map(|(kind, room_id, body, client_id, after_seq)| {
            json!({"type": kind, "room_id": room_id, "body": body,
                   "client_id": client_id, "after_seq": after_seq})
        })
}

fn client_frame() -> impl Strategy<Value = ClientFrame> {
    prop_oneof![
        (any::<i64>(), any::<Option<i64>>())
            .prop_map(|(room_id, after_seq)| ClientFrame::Subscribe { room_id, after_seq }),
        any::<i64>().prop_map(|room_id| ClientFrame::Unsubscribe { room_id }),
        (
            any::<i64>(),
            any::<String>(),
            any::<String>(),
            any::<Option<i64>>(),
            proptest::collection::vec(any::<String>(), 0..3)
        )
            .prop_map(|(room_id, body, client_id, reply_to, attachments)| {
                ClientFrame::Send {
                    room_id,
                    body,
                    client_id,
                    reply_to,
                    attachments,
                }
            }),
        (any::<i64>(), any::<i64>(), any::<String>(), any::<String>()).prop_map(
            |(room_id, message_id, body, client_id)| ClientFrame::Edit {
                room_id,
                message_id,
                body,
                client_id,
            }
        ),
        (any::<i64>(), any::<i64>(), any::<String>()).prop_map(
            |(room_id, message_id, client_id)| ClientFrame::Delete {
                room_id,
                message_id,
                client_id,
            }
        ),
        (any::<i64>(), any::<i64>(), any::<String>(), any::<String>()).prop_map(
            |(room_id, message_id, emoji, client_id)| ClientFrame::React {
                room_id,
                message_id,
                emoji,
                client_id,
            }
        ),
        (any::<i64>(), any::<i64>(), any::<String>(), any::<String>()).prop_map(
            |(room_id, message_id, emoji, client_id)| ClientFrame::Unreact {
                room_id,
                message_id,
                emoji,
                client_id,
            }
        ),
        Just(ClientFrame::Ping),
    ]
}

#[test]
fn any_text_is_parsed_or_explained() {
    runner(2000)
        .run(&any::<String>(), |text| {
            prop_assert!(matches!(
                outcome(&text).as_str(),
                "ok" | "invalid_json" | "invalid_frame" | "unknown_type"
            ));
            Ok(())
        })
        .unwrap();
}

#[test]
fn any_json_is_parsed_or_explained_and_what_parses_means_the_same_again() {
    let json = prop_oneof![any_json(), frame_like()];
    runner(3000)
        .run(&json, |value| {
            let text = value.to_string();
            match parse(&text) {
                Ok(frame) => {
                    let again = serde_json::to_string(&frame).unwrap();
                    prop_assert_eq!(parse(&again).ok(), Some(frame));
                }
                Err(error) => {
                    let ServerFrame::Error { code, .. } = *error else {
                        panic!("not an error frame");
                    };
                    prop_assert!(PARSE_ERRORS.contains(&code.as_str()), "{}", code);
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn every_frame_the_protocol_has_round_trips() {
    runner(2000)
        .run(&client_frame(), |frame| {
            let text = serde_json::to_string(&frame).unwrap();
            prop_assert_eq!(parse(&text).ok(), Some(frame));
            Ok(())
        })
        .unwrap();
}

/// The rule the validators implement, written again plainly.
fn acceptable(text: &str, max: usize, multi_line: bool) -> bool {
    let controls_ok = text
        .chars()
        .all(|c| !c.is_control() || (multi_line && (c == '\n' || c == '\t')));
    controls_ok && !text.trim().is_empty() && text.chars().count() <= max
}

fn texty() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ \\n\\t\\r\\x00-\\x1f\\x7f-\\u{9f}a-zé🎉\\u{301}\\u{202e}]{0,80}",
        (1usize..5000).prop_map(|n| "x".repeat(n)),
    ]
}

#[test]
fn the_validators_follow_the_rule_for_any_text() {
    runner(3000)
        .run(&texty(), |text| {
            prop_assert_eq!(validate_body(&text).is_ok(), acceptable(&text, 4000, true));
            prop_assert_eq!(
                validate_room_name(&text).is_ok(),
                acceptable(&text, 64, false)
            );
            let id_ok = !text.is_empty()
                && text.chars().count() <= 64
                && !text.chars().any(char::is_control);
            prop_assert_eq!(validate_client_id(&text).is_ok(), id_ok);
            Ok(())
        })
        .unwrap();
}

#[tokio::test]
async fn a_live_socket_answers_random_frames_and_stays_open() {
    let mut settings = Settings::default();
    settings.sends.burst = 100_000;
    let app = spawn_app_with(settings).await;
    let ann = app.register("ann").await;
    let room = app.create_room(&ann, "fuzz").await;
    let mut socket = app.socket(&ann).await;
    let mut runner = runner(1);
    let frames = prop::collection::vec(prop_oneof![frame_like(), any_json()], 300);
    let tree = frames.new_tree(&mut runner).unwrap();
    // One pong for each ping among them, and one for ours at the end.
    let mut pongs_owed = 1;
    for (n, mut frame) in tree.current().into_iter().enumerate() {
        // Some aimed at a room that exists, so sends get stored too.
        if n % 3 == 0
            && let Some(object) = frame.as_object_mut()
        {
            object.insert("room_id".into(), json!(room));
        }
        if matches!(parse(&frame.to_string()), Ok(ClientFrame::Ping)) {
            pongs_owed += 1;
        }
        socket.send(frame).await;
    }
    socket.send(json!({"type": "ping"})).await;
    while pongs_owed > 0 {
        let reply = socket.frame().await;
        match reply["type"].as_str() {
            Some("pong") => pongs_owed -= 1,
            Some("ack" | "subscribed" | "message") => {}
            Some("error") => {
                let code = reply["code"].as_str().unwrap();
                assert_ne!(code, "internal_error", "{reply}");
            }
            _ => panic!("unexpected reply {reply}"),
        }
    }
    socket.assert_quiet().await;
}
