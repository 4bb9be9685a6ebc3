//! Executors: what actually carries out an allowed (or confirmed) action. One per store
//! platform for the commerce actions (the built-in sandbox store; a webhook connector for
//! other platforms), Mandate's own for internal actions (notifications, tasks), and the org's
//! connector for business-operations actions. Without an executor the action stays
//! `confirmed` and the caller executes it and reports back (`POST /actions/{id}/result`).
//!
//! Executors run after the invoke transaction committed (never while holding the write
//! lock) and get the unredacted inputs; what they return is recorded on the action row.

use crate::domain::catalog::ActionDef;
use crate::entities::store;
use sea_orm::DatabaseConnection;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Everything an executor may need about one action.
pub struct ExecContext<'a> {
    pub db: &'a DatabaseConnection,
    /// The at-rest key, for decrypting connector secrets.
    pub secret_key: &'a [u8; 32],
    pub org_id: &'a str,
    pub store: &'a store::Model,
    pub def: &'a ActionDef,
    pub action_id: &'a str,
    /// The inputs as sent (not redacted).
    pub params: &'a Value,
    pub idempotency_key: Option<&'a str>,
    pub customer_ref: Option<&'a str>,
}

/// Why an execution failed, in the error taxonomy of DESIGN.md §4.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecError {
    /// VALIDATION_ERROR, NOT_FOUND, CONFLICT, PERMISSION_DENIED, RATE_LIMITED,
    /// TRANSIENT_FAILURE or INTERNAL_ERROR.
    pub code: String,
    pub message: String,
    pub retryable: bool,
}

impl ExecError {
    pub fn new(code: &str, message: impl Into<String>, retryable: bool) -> ExecError {
        ExecError { code: code.to_string(), message: message.into(), retryable }
    }
}

/// Runs the action with the executor its store and catalog entry call for. `None` when
/// there is none (the caller executes and reports back).
pub async fn run(ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    let _ = ctx;
    None
}
