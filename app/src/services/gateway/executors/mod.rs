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

pub mod contract;
pub mod internal;
pub mod sandbox;
pub mod webhook;

pub use contract::{ExecContext, ExecError};

use crate::domain::catalog::ActionDef;
use crate::domain::AppError;
use crate::entities::store;
use crate::services::infra::db::{begin_write, WriteTx};
use serde_json::Value;

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
    if ctx.rule_run_id.is_some() && !crate::domain::secrets::refs_in(ctx.params).is_empty() {
        return Some(Err(ExecError::invalid(
            "This action runs inside Mandate, so its parameters can't use {{secrets.…}}: secrets are only sent to your platform or connector.",
        )));
    }
    let savepoint = match tx.savepoint().await {
        Ok(sp) => sp,
        Err(e) => return Some(Err(AppError::from(e).into())),
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
        Err(e) => Some(Err(AppError::from(e).into())),
    }
}

/// Runs the action with the executor its store and catalog entry call for, on its own: a
/// local one in a write transaction of its own, a remote one over the network. `None` when
/// there is none (the caller executes and reports back). The gateway (`services::gateway::actions`)
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
            Err(e) => Some(Err(AppError::from(e).into())),
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
