//! Pieces shared by several pages.

pub mod header;
pub mod notice;
pub mod room_list;
