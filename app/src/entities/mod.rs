//! SeaORM entities, one file per table. Only the services layer uses them.

pub mod api_key;
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
pub mod team;
pub mod user;
pub mod user_token;
