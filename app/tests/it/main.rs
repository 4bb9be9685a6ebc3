//! The app crate's integration tests, linked into one test binary (`it`) instead of one per
//! file: each binary links the whole app, so one binary saves gigabytes of disk and minutes of
//! linking in CI. Every file is a module; run one with `cargo nextest run ... -E 'test(/^gateway::/)'`.
//!
//! - `decide_properties`: level 1, property tests of `decide` against a separate model.
//! - `structure`: the service modules import each other without a circle (reads the sources).
//! - the rest: level 2, service tests on a fresh database per test, SQLite always and
//!   PostgreSQL too when `TEST_DATABASE_URL` is set (`common::db_test!`); `common::orgs`
//!   makes an org with its Owner, `common::people` a person with a role at a scope, their
//!   actor and request meta.

#[macro_use]
mod common;

mod action_views;
mod automation;
mod config;
mod decide_properties;
mod executors;
mod gateway;
mod inbox;
mod mfa_keys_audit;
mod permissions;
mod preferences;
mod services;
mod spend;
mod sso;
mod stores;
mod structure;
mod teams_roles;
mod users;
mod vault;
