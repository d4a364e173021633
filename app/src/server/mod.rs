//! Server-only code, in layers that depend one way:
//!
//! ```text
//! storage   the queries (sqlx + sea-query), one module per table family
//!    ↑
//! live      the event-log writer, the hub, cross-node fan-out: typed
//!    ↑      events in seq order; no HTTP, no rules of its own
//! services  the rules: who may do what, input validation, limits
//!    ↑
//! adapters  REST (src/http), WebSocket (src/ws), server functions
//!           (crate::api), with what they share in [`web`]: parse, call
//!           one service function, shape the answer
//! ```
//!
//! Beside the layers, used by all of them and using none: [`error`] (one
//! error type, turned into a response in one place), [`text`] (input
//! checks), [`format`] (Markdown to safe HTML), [`background`] (the node's
//! tasks and their stop signal). [`demo`] writes a demo history through
//! the services, as an adapter would for people. [`state`] builds the layers into one
//! [`AppState`]; the writer is handed the services' rules
//! ([`services::rules::Rules`]) there, which is how live code applies rules
//! without depending on the layer above it.

pub mod background;
pub mod demo;
pub mod error;
pub mod format;
pub mod live;
pub mod services;
pub mod state;
pub mod storage;
pub mod text;
pub mod web;

pub use error::{Error, Result};
pub use state::{AppState, Settings, SocketLimits};

/// The layers' one-way rule, checked on the source: a module may use the
/// layers below it and the shared modules, never one above it.
#[cfg(test)]
mod layers {
    use std::path::Path;

    /// Each layer, and the modules above it that it must not use.
    const FORBIDDEN: &[(&str, &[&str])] = &[
        ("storage", &["live", "services", "web", "state"]),
        ("live", &["services", "web", "state"]),
        ("services", &["web"]),
    ];

    fn sources(dir: &Path, found: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                sources(&path, found);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap();
                found.push((path.display().to_string(), text));
            }
        }
    }

    /// Whether a line of code names `crate::server::<module>`, also inside
    /// a grouped import (`crate::server::{live::hub, <module>}`).
    fn uses(line: &str, module: &str) -> bool {
        let names = |rest: &str| {
            rest.strip_prefix(module)
                .is_some_and(|after| !after.starts_with(|c: char| c == '_' || c.is_alphanumeric()))
        };
        line.match_indices("crate::server::").any(|(at, prefix)| {
            let rest = &line[at + prefix.len()..];
            match rest.strip_prefix('{') {
                // The group's top-level names: after `{` or a `,`.
                Some(group) => group.split(',').any(|item| names(item.trim_start())),
                None => names(rest),
            }
        }) || line.contains(&format!("super::super::{module}"))
    }

    #[test]
    fn the_check_sees_plain_and_grouped_imports() {
        assert!(uses("use crate::server::state::AppState;", "state"));
        assert!(uses("use crate::server::{error::Result, state};", "state"));
        assert!(uses(
            "use crate::server::{services::rules, web};",
            "services"
        ));
        assert!(!uses("use crate::server::storage::rooms;", "state"));
        assert!(!uses("use crate::server::{error, statement};", "state"));
        assert!(uses(
            "use crate::server::{ error::Result,  state, }",
            "state"
        ));
    }

    #[test]
    fn no_layer_uses_one_above_it() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/server");
        let mut broken = Vec::new();
        for (layer, above) in FORBIDDEN {
            let mut files = Vec::new();
            sources(&root.join(layer), &mut files);
            assert!(!files.is_empty(), "no sources found for {layer}");
            for (path, text) in files {
                // Code, not docs (a doc may point upwards to explain), one
                // statement at a time, so an import over several lines
                // reads as one.
                let code: Vec<&str> = text
                    .lines()
                    .map(str::trim)
                    .filter(|l| !l.starts_with("//"))
                    .collect();
                for statement in code.join(" ").split(';') {
                    if let Some(module) = above.iter().find(|m| uses(statement, m)) {
                        broken.push(format!("{path}: uses {module}: {}", statement.trim()));
                    }
                }
            }
        }
        assert!(
            broken.is_empty(),
            "a layer uses one above it:\n{}",
            broken.join("\n")
        );
    }
}
