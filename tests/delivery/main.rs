//! Delivery guarantees under real faults (README "Delivery guarantees"): the
//! server binary runs as a child process that the tests cut off, kill -9,
//! stop with SIGTERM and restart, while protocol clients keep talking; and
//! two such processes share one PostgreSQL database (README "Running several
//! nodes").

#[path = "../support/mod.rs"]
mod support;

mod client;
mod crash;
mod nodes;
mod randomized;
mod reconnect;
mod scene;
mod secrets;
mod shutdown;
mod slow_consumer;
mod writers;
