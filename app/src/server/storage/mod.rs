//! Storage: the queries, one module per table family, and the connection
//! pool they run on. Nothing here knows who is asking or why; each function
//! runs the statements it names, on the connection or transaction it is
//! given when the caller needs several to hold together.

pub mod database_url;
pub mod db;
pub mod events;
pub mod files;
pub mod invitations;
pub mod messages;
pub mod presence;
pub mod push;
pub mod rooms;
pub mod schema;
pub mod search;
pub mod sessions;
pub mod uploads;
pub mod users;
