//! Use-cases. Each entry point takes a database handle and an `Actor` (or, for sign-in and
//! set-up, the request's metadata), calls `access::authz::authorize` once, does its work in
//! one transaction and appends the audit event in that same transaction.
//!
//! Server functions and REST handlers call these; they never build queries themselves.
//!
//! Grouped by capability. Dependencies between the groups point one way (a test,
//! `app/tests/it/structure.rs`, fails on an import circle between service modules):
//! `infra` (database, encryption) ← `actor` ← `access` (grants, look-ups, authorize, roles,
//! assignments, keys) and `audit` (the chain) ← `vault` (secrets) ← `identity`, `org`, `stores` ←
//! `gateway` ← `automation` ← `config`; `keys` (rotating the instance key), `state` and `demo`
//! put them together.

pub mod access;
pub mod actor;
pub mod audit;
pub mod automation;
pub mod config;
pub mod demo;
pub mod gateway;
pub mod identity;
pub mod infra;
pub mod keys;
pub mod org;
pub mod spend;
pub mod state;
pub mod stores;
pub mod vault;

pub use actor::{Actor, ActorKind, AgentBinding, RequestMeta};
pub use state::AppState;
