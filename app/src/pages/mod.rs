//! One module per route.

pub mod account;
pub mod account_mfa;
pub mod api_keys;
pub mod approvals;
pub mod audit;
pub mod audit_action;
pub mod audit_changes;
pub mod connector;
pub mod invite;
pub mod login;
pub mod login_mfa;
pub mod not_found;
pub mod notifications;
pub mod org_defaults;
pub mod org_settings;
pub mod outbox;
pub mod overview;
pub mod password_reset;
pub mod roles;
pub mod setup;
pub mod store_actions;
pub mod store_assistants;
pub mod stores;
pub mod tasks;
pub mod teams;
pub mod users;
