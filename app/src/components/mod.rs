//! Pieces shared by several pages.

pub mod attachments;
pub mod avatar;
pub mod composer;
pub mod delete_room;
pub mod header;
pub mod invitations;
pub mod invite;
pub mod members;
pub mod mention_picker;
pub mod message;
pub mod new_message;
pub mod notice;
pub mod notify_settings;
pub mod room_header;
pub mod room_list;
pub mod search_box;
pub mod shortcuts;
pub mod timeline;
pub mod upload_tray;
