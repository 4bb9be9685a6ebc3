//! One module per route.

pub mod account;
pub mod invite;
pub mod login;
pub mod not_found;
pub mod outbox;
pub mod overview;
pub mod password_reset;
pub mod setup;
pub mod teams;
pub mod users;
