//! Pure domain logic and types: no I/O, no clock, no database, no HTTP. Everything here
//! builds for wasm too, so the browser and the server share one definition of each rule.
//!
//! What must not live here: SeaORM or axum types, `now()` calls, randomness.

pub mod access;
pub mod action_settings;
pub mod actions;
pub mod api_keys;
pub mod assistants;
pub mod audit;
pub mod automation;
pub mod catalog;
pub mod changes;
pub mod config;
pub mod connectors;
pub mod error;
pub mod inbox;
pub mod notify;
pub mod org;
pub mod password;
pub mod patch;
pub mod permission;
pub mod policy;
pub mod preferences;
pub mod roles;
pub mod rules;
pub mod secrets;
pub mod spend;
pub mod sso;
pub mod stores;
pub mod teams;
pub mod totp;
pub mod triggers;
pub mod users;

pub use error::{AppError, ErrorCode, FieldError};
