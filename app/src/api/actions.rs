//! Server functions of the action pages: `/audit` (list, filter options), `/audit/actions/:id`
//! (detail), `/approvals` (the inbox, approve, reject), the navigation badge and the
//! overview's action sections. Reading needs `audit.read` at the actions' stores; the inbox
//! and its decisions `actions.approve`. Each calls one service.
// The audit filters arrive as the server function's arguments (one per form field); the
// client stub `#[server]` generates for them cannot carry an attribute of its own.
#![allow(clippy::too_many_arguments)]

use crate::domain::actions::{
    ActionDetail, ActionPage, ActionsOverview, ApprovalOutcome, FilterOptions, PendingApproval,
};
use crate::domain::AppError;
use leptos::prelude::*;

/// One page of actions, newest first. Filters are the form's text; blank means any.
#[server(endpoint = "actions_list")]
pub async fn list_actions(
    store_id: Option<String>,
    assistant_id: Option<String>,
    rule_run_id: Option<String>,
    action_type: Option<String>,
    status: Option<String>,
    decision: Option<String>,
    from: Option<String>,
    to: Option<String>,
    cursor: Option<String>,
) -> Result<ActionPage, AppError> {
    super::ctx::run(async move {
        use crate::domain::actions::ActionQuery;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let query = ActionQuery { store_id, assistant_id, rule_run_id, action_type, status, decision, from, to };
        let filter = query.parse()?;
        crate::services::gateway::action_views::list(&state.db, &actor, &filter, cursor.as_deref(), 50).await
    })
    .await
}

/// What the audit filter offers: the stores the viewer may audit, their assistants, the
/// catalog's actions.
#[server(endpoint = "actions_filter_options")]
pub async fn action_filter_options() -> Result<FilterOptions, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::filter_options(&state.db, &actor).await
    })
    .await
}

/// One action with its request, decision trace, result and timeline.
#[server(endpoint = "actions_get")]
pub async fn get_action(id: String) -> Result<ActionDetail, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::get(&state.db, &actor, &id).await
    })
    .await
}

/// The Approvals inbox: actions waiting for staff where the viewer holds `actions.approve`.
#[server(endpoint = "approvals_list")]
pub async fn list_approvals() -> Result<Vec<PendingApproval>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::pending_approvals(&state.db, &actor).await
    })
    .await
}

/// How many actions wait for the viewer's approval (the navigation badge).
#[server(endpoint = "approvals_count")]
pub async fn approvals_count() -> Result<u64, AppError> {
    super::ctx::run_aux(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::pending_count(&state.db, &actor).await
    })
    .await
}

#[cfg(feature = "ssr")]
fn outcome(id: &str, body: &serde_json::Value, approved: bool) -> ApprovalOutcome {
    let status = body.get("status").and_then(|s| s.as_str()).unwrap_or("");
    let error = body.pointer("/error/message").and_then(|m| m.as_str());
    ApprovalOutcome::new(id, status, approved, error)
}

/// Approves a pending action as staff: it is confirmed, then executed when an executor can.
#[server(endpoint = "approvals_approve")]
pub async fn approve_action(id: String) -> Result<ApprovalOutcome, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let body = crate::services::gateway::actions::confirm(state.gateway(), &actor, &id, "staff").await?;
        Ok(outcome(&id, &body, true))
    })
    .await
}

/// Rejects a pending action: it is cancelled and what it reserved against limits released.
#[server(endpoint = "approvals_reject")]
pub async fn reject_action(id: String) -> Result<ApprovalOutcome, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let body = crate::services::gateway::actions::cancel(state.gateway(), &actor, &id).await?;
        Ok(outcome(&id, &body, false))
    })
    .await
}

/// The overview's sections on actions (each only for those who may see it).
#[server(endpoint = "overview_actions")]
pub async fn overview_actions() -> Result<ActionsOverview, AppError> {
    super::ctx::run_aux(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::overview(&state.db, &actor).await
    })
    .await
}

/// The audit chain's status for the audit page; None for those who may audit only some
/// stores (verifying reads the whole organisation's trail).
#[server(endpoint = "actions_chain_status")]
pub async fn actions_chain_status() -> Result<Option<crate::domain::audit::ChainReport>, AppError> {
    super::ctx::run_aux(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::action_views::chain_status(&state.db, &actor).await
    })
    .await
}
