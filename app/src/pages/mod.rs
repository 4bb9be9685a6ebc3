//! One module per route.

pub mod account;
pub mod account_mfa;
pub mod action_settings;
pub mod approvals;
pub mod api_keys;
pub mod audit;
pub mod audit_action;
pub mod audit_changes;
pub mod connector;
pub mod invite;
pub mod login;
pub mod login_mfa;
pub mod not_found;
pub mod org_defaults;
pub mod org_settings;
pub mod outbox;
pub mod overview;
pub mod password_reset;
pub mod roles;
pub mod setup;
pub mod store_assistants;
pub mod stores;
pub mod store_actions;
pub mod teams;
pub mod try_it;
pub mod users;
