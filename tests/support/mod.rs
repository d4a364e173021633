//! What the integration test binaries share: an HTTP client for the API, a
//! WebSocket client that speaks the protocol, and the server as a child
//! process for the tests that kill and restart it.

// Each test binary uses its own part of this.
#![allow(dead_code)]

pub mod api;
pub mod database;
pub mod files;
pub mod process;
pub mod socket;
pub mod view;
