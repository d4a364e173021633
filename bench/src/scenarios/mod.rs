//! One module per scenario. Each sets up what it needs through the public
//! API, measures, checks what it measured, and returns an outcome whose
//! `problems` list is empty only when nothing was lost, doubled or refused.

pub mod burst;
pub mod connections;
pub mod fanout;
pub mod first_load;
pub mod history;
pub mod mixed;
pub mod search;
