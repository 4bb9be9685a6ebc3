//! Use-cases. Each entry point takes a database handle and an `Actor` (or, for sign-in and
//! set-up, the request's metadata), calls `authz::authorize` once, does its work in one
//! transaction and appends the audit event in that same transaction.
//!
//! Server functions and REST handlers call these; they never build queries themselves.

pub mod access;
pub mod account;
pub mod action_views;
pub mod actions;
pub mod actor;
pub mod api_keys;
pub mod assignments;
pub mod assistants;
pub mod audit;
pub mod auth;
pub mod authz;
pub mod catalog;
pub mod check;
pub mod connectors;
pub mod crypto;
pub mod db;
pub mod demo;
pub mod executors;
pub mod inbox;
pub mod mfa;
pub mod org_settings;
pub mod orgs;
pub mod outbox;
pub mod passwords;
pub mod permissions;
pub mod policy;
pub mod roles;
pub mod session_store;
pub mod setup;
pub mod state;
pub mod stores;
pub mod teams;
pub mod throttle;
pub mod usage;
pub mod users;

pub use actor::{Actor, ActorKind, AgentBinding, RequestMeta};
pub use state::AppState;
