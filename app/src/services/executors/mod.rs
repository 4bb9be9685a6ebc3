//! Executors: what actually carries out an allowed (or confirmed) action. One per store
//! platform for the commerce actions (the built-in sandbox store; a webhook connector for
//! other platforms), Mandate's own for internal actions (notifications, tasks), and the org's
//! connector for business-operations actions. Without an executor the action stays
//! `confirmed` and the caller executes it and reports back (`POST /actions/{id}/result`).
//!
//! Executors run after the invoke transaction committed (never while holding the write
//! lock) and get the unredacted inputs; what they return is recorded on the action row.
//!
//! Dispatch by the catalog entry's `executor`:
//! - `platform`: the sandbox executor when the store is on the sandbox platform, else the
//!   store's webhook connector when one is configured, else none;
//! - `internal`: Mandate's own (`internal.rs`);
//! - `connector`: the org's connector when one is configured, else none.

pub mod internal;
pub mod sandbox;
pub mod webhook;

use crate::domain::catalog::ActionDef;
use crate::domain::{AppError, ErrorCode};
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

    pub fn invalid(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::ValidationError.as_str(), message, false)
    }

    pub fn not_found(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::NotFound.as_str(), message, false)
    }

    pub fn conflict(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::Conflict.as_str(), message, false)
    }
}

/// A service error met while executing (a database error, mostly): busy databases are
/// transient, everything else internal; the message is the already user-safe one.
impl From<AppError> for ExecError {
    fn from(e: AppError) -> ExecError {
        let retryable = matches!(e.code, ErrorCode::TransientFailure | ErrorCode::RateLimited);
        ExecError::new(e.code.as_str(), e.message, retryable)
    }
}

/// Runs the action with the executor its store and catalog entry call for. `None` when
/// there is none (the caller executes and reports back).
pub async fn run(ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    match ctx.def.executor.as_str() {
        "platform" if ctx.store.platform == sandbox::PLATFORM => sandbox::run(ctx).await,
        "platform" => webhook::run_configured(ctx, Some(&ctx.store.id)).await,
        "internal" => internal::run(ctx).await,
        "connector" => webhook::run_configured(ctx, None).await,
        other => {
            tracing::warn!(executor = other, action_type = %ctx.def.id, "no executor of this kind; the caller executes");
            None
        }
    }
}
