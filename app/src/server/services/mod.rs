//! Services: the rules of the product, each written once, whichever adapter
//! a request came through. A service validates its input, decides who may
//! do what ([`rules`], which the writer also asks under the room's lock),
//! and calls storage or the live layer to do it.

pub mod auth;
pub mod direct;
pub mod invitations;
pub mod login_limiter;
pub mod messages;
pub mod notifications;
pub mod people;
pub mod presence;
pub mod push;
pub mod rooms;
pub mod rules;
pub mod search;
pub mod send_rate;
pub mod subscriptions;
pub mod typing;
pub mod uploads;
