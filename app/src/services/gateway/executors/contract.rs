//! The executor contract: what every executor gets about one action (`ExecContext`) and how
//! it fails (`ExecError`, in the error taxonomy). The executors and their dispatcher
//! (`executors`) share it; it names none of them.

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
    /// Set when an automation rule's step asked for the action: only then may its parameters'
    /// `{{secrets.NAME}}` be filled in from the vault (by a remote executor, at execution).
    pub rule_run_id: Option<&'a str>,
}

/// Why an execution failed, in the error taxonomy of DESIGN.md §4.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecError {
    /// VALIDATION_ERROR, NOT_FOUND, CONFLICT, PERMISSION_DENIED, RATE_LIMITED,
    /// TRANSIENT_FAILURE or INTERNAL_ERROR.
    pub code: ErrorCode,
    pub message: String,
    pub retryable: bool,
}

impl ExecError {
    pub fn new(code: ErrorCode, message: impl Into<String>, retryable: bool) -> ExecError {
        ExecError { code, message: message.into(), retryable }
    }

    pub fn invalid(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::ValidationError, message, false)
    }

    pub fn not_found(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::NotFound, message, false)
    }

    pub fn conflict(message: impl Into<String>) -> ExecError {
        ExecError::new(ErrorCode::Conflict, message, false)
    }
}

/// A service error met while executing (a database error, mostly): busy databases are
/// transient, everything else internal; the message is the already user-safe one.
impl From<AppError> for ExecError {
    fn from(e: AppError) -> ExecError {
        let retryable = matches!(e.code, ErrorCode::TransientFailure | ErrorCode::RateLimited);
        ExecError::new(e.code, e.message, retryable)
    }
}

/// A database error met while executing: through `AppError`, so it is logged and mapped once.
impl From<sea_orm::DbErr> for ExecError {
    fn from(e: sea_orm::DbErr) -> ExecError {
        AppError::from(e).into()
    }
}
