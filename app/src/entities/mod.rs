//! SeaORM entities, one file per table. Only the services layer uses them.

pub mod action;
pub mod action_definition;
pub mod action_limit;
pub mod action_permission;
pub mod api_key;
pub mod assistant;
pub mod audit_event;
pub mod audit_head;
pub mod auth_throttle;
pub mod mfa_totp_step;
pub mod org;
pub mod outbox;
pub mod permission;
pub mod recovery_code;
pub mod role;
pub mod role_assignment;
pub mod role_permission;
pub mod session;
pub mod store;
pub mod team;
pub mod usage_counter;
pub mod user;
pub mod user_token;
