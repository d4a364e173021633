//! One module per screen.

pub mod home;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod room;
pub mod rooms;
