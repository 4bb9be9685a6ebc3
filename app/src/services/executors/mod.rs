//! Executors: what actually carries out an allowed (or confirmed) action. One per store
//! platform for the commerce actions (the built-in sandbox store; a webhook connector for
//! other platforms), Mandate's own for internal actions (notifications, tasks), and the org's
//! connector for business-operations actions. Without an executor the action stays
//! `confirmed` and the caller executes it and reports back (`POST /actions/{id}/result`).
//!
//! Local executors (the sandbox store, the internal actions: `is_local`) write only to
//! Mandate's own database; they run inside the write transaction that records their outcome,
//! in a savepoint, so the effect and its record commit together (for an action allowed at
//! once, in the invoke transaction itself). Remote executors (webhooks) run after the invoke
//! transaction committed, never while holding the write lock. Both get the unredacted
//! inputs; what they return is recorded on the action row.
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
use crate::services::db::{begin_write, db_err, WriteTx};
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

/// Whether the action's executor works in Mandate's own database (the sandbox store and the
/// internal actions). Those run inside a write transaction (`run_in`), so the effect and the
/// record of it commit together; the others call out over the network and never run while
/// the write lock is held.
pub fn is_local(def: &ActionDef, store: &store::Model) -> bool {
    match def.executor.as_str() {
        "platform" => store.platform == sandbox::PLATFORM,
        "internal" => true,
        _ => false,
    }
}

/// Runs a local executor (`is_local`) inside the caller's write transaction, in a savepoint:
/// whatever it wrote is undone when it fails, and the caller records the failure in the same
/// transaction. None when there is no local executor for the action.
pub async fn run_in(tx: &WriteTx, ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    if !is_local(ctx.def, ctx.store) {
        return None;
    }
    let savepoint = match tx.savepoint().await {
        Ok(sp) => sp,
        Err(e) => return Some(Err(db_err(e).into())),
    };
    let out = match ctx.def.executor.as_str() {
        "platform" => sandbox::run(&savepoint, ctx).await,
        _ => internal::run(&savepoint, ctx).await,
    };
    let ended = match &out {
        Some(Ok(_)) => savepoint.commit().await,
        _ => savepoint.rollback().await,
    };
    match ended {
        Ok(()) => out,
        Err(e) => Some(Err(db_err(e).into())),
    }
}

/// Runs the action with the executor its store and catalog entry call for, on its own: a
/// local one in a write transaction of its own, a remote one over the network. `None` when
/// there is none (the caller executes and reports back). The gateway (`services::actions`)
/// uses `run_in` and `run_remote` so the outcome is recorded in the same transaction; this
/// is for running an executor outside the gateway (the executor tests).
pub async fn run(ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    if is_local(ctx.def, ctx.store) {
        let tx = match begin_write(ctx.db).await {
            Ok(tx) => tx,
            Err(e) => return Some(Err(e.into())),
        };
        let out = run_in(&tx, ctx).await;
        return match tx.commit().await {
            Ok(()) => out,
            Err(e) => Some(Err(db_err(e).into())),
        };
    }
    run_remote(ctx).await
}

/// Runs an action whose executor is not local (a webhook connector), outside any transaction.
pub async fn run_remote(ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    match ctx.def.executor.as_str() {
        "platform" => webhook::run_configured(ctx, Some(&ctx.store.id)).await,
        "connector" => webhook::run_configured(ctx, None).await,
        other => {
            tracing::warn!(executor = other, action_type = %ctx.def.id, "no executor of this kind; the caller executes");
            None
        }
    }
}
