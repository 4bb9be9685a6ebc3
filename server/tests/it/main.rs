//! The server's HTTP tests (level 3): the real router on port 0, talked to with reqwest.
//! Linked into one test binary (`it`) instead of one per file: each binary links the whole
//! server, so one binary saves gigabytes of disk and minutes of linking in CI. Every file is a
//! module; run one with `cargo nextest run ... -E 'test(/^check_api::/)'`.

mod support;

mod actions_views_http;
mod automation_http;
mod check_api;
mod config_http;
mod http;
mod mfa_keys_audit_http;
mod permission_matrix;
mod permissions_api;
mod rest_bodies;
mod secrets_http;
mod spend_http;
mod sso_http;
mod stores_api;
mod teams_roles_http;
mod users_http;
