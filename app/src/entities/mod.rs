//! SeaORM entities, one file per table. Only the services layer uses them.

pub mod api_key;
pub mod audit_event;
pub mod audit_head;
pub mod auth_throttle;
pub mod org;
pub mod session;
pub mod user;
