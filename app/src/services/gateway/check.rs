//! Asking for a decision without side effects: `POST /api/v1/check` and the settings page's
//! Try it panel. Loads the store (tenancy), the compiled policy (cached) and the counters of
//! the windows the request's limits read, then runs `domain::policy::decide` — the same call
//! invoke makes, so a preview can never disagree with enforcement.

use crate::domain::access::Need;
use crate::domain::error::FieldError;
use crate::domain::policy::{decide, ActionRequest, Decision, StorePolicy};
use crate::domain::AppError;
use crate::entities::store;
use crate::services::access::authz::authorize_agent_or;
use crate::services::infra::db::now;
use crate::services::stores::policy::PolicyCache;
use crate::services::{gateway::usage, Actor};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::sync::Arc;

/// The decision and what it was made for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checked {
    pub store_id: String,
    pub assistant_id: Option<String>,
    pub decision: Decision,
}

/// The store an agent-facing request is about: the one named, else the agent key's.
pub fn store_of_request(actor: &Actor, named: Option<&str>) -> Result<String, AppError> {
    match (named.filter(|s| !s.is_empty()), &actor.agent) {
        (Some(s), _) => Ok(s.to_string()),
        (None, Some(binding)) => Ok(binding.store_id.clone()),
        (None, None) => Err(AppError::invalid_fields(vec![FieldError {
            field: "store_id".into(),
            message: "Say which store this is for (store_id).".into(),
        }])),
    }
}

/// The store, if it belongs to the actor's org.
pub async fn load_store<C: ConnectionTrait>(db: &C, actor: &Actor, store_id: &str) -> Result<store::Model, AppError> {
    store::Entity::find_by_id(store_id.to_string())
        .filter(store::Column::OrgId.eq(&actor.org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("store"))
}

/// Everything `decide` needs for one request, authorized: the store's policy and the
/// request with the agent key's implied assistant filled in.
pub async fn prepare<C: ConnectionTrait>(
    db: &C,
    cache: &PolicyCache,
    actor: &Actor,
    input: ActionRequest,
) -> Result<(store::Model, Arc<StorePolicy>, ActionRequest), AppError> {
    let store_id = store_of_request(actor, input.store_id.as_deref())?;
    let assistant_id = input
        .assistant_id
        .filter(|a| !a.is_empty())
        .or_else(|| actor.agent.as_ref().and_then(|b| b.assistant_id.clone()));
    let s = load_store(db, actor, &store_id).await?;
    authorize_agent_or(actor, Need::View, &s.id, assistant_id.as_deref())?;
    if input.action_type.trim().is_empty() {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "action_type".into(),
            message: "Say which action (action_type).".into(),
        }]));
    }
    let policy = cache.store_policy(db, &s).await?;
    let params = if input.params.is_null() { Value::Object(Default::default()) } else { input.params };
    let req = ActionRequest {
        store_id: Some(s.id.clone()),
        action_type: input.action_type.trim().to_string(),
        action_version: input.action_version,
        params,
        assistant_id,
        customer_ref: input.customer_ref.filter(|c| !c.trim().is_empty()),
        known_order_total: None,
    };
    let known_order_total = sandbox_order_total(db, &s, &policy, &req).await?;
    Ok((s, policy, ActionRequest { known_order_total, ..req }))
}

/// The order's total from the sandbox store (DESIGN.md §7), when it matters: the store is on
/// the sandbox platform, a percentage limit applies to the action, the request names an
/// `order_id` and carries no order total of its own. Otherwise None and no query.
async fn sandbox_order_total<C: ConnectionTrait>(
    db: &C,
    s: &store::Model,
    policy: &StorePolicy,
    req: &ActionRequest,
) -> Result<Option<rust_decimal::Decimal>, AppError> {
    use crate::domain::catalog::LimitType;
    use crate::services::gateway::executors::sandbox;
    if s.platform != sandbox::PLATFORM {
        return Ok(None);
    }
    let Some(rule) = policy.actions.get(&req.action_type) else { return Ok(None) };
    let assistant_limits =
        req.assistant_id.as_ref().and_then(|a| policy.assistants.get(a)).and_then(|a| a.limits.get(&req.action_type));
    let has_percentage = rule
        .limits
        .iter()
        .chain(assistant_limits.into_iter().flatten())
        .any(|l| l.limit_type == LimitType::MaxPercentage);
    let names_total = rule.order_total_field.as_ref().is_some_and(|f| req.params.get(f).is_some_and(|v| !v.is_null()))
        || rule.percentage_field.as_ref().is_some_and(|f| req.params.get(f).is_some_and(|v| !v.is_null()));
    let order_ref = req.params.get("order_id").and_then(Value::as_str).filter(|o| !o.trim().is_empty());
    match order_ref {
        Some(o) if has_percentage && !names_total => sandbox::order_total(db, &s.id, o).await,
        _ => Ok(None),
    }
}

/// The decision for `input`, with no side effects.
pub async fn check<C: ConnectionTrait>(
    db: &C,
    cache: &PolicyCache,
    actor: &Actor,
    input: ActionRequest,
) -> Result<Checked, AppError> {
    let (s, policy, req) = prepare(db, cache, actor, input).await?;
    let catalog = cache.catalog(db).await?;
    let at = now();
    let mut usage = usage::read(db, &s.id, &req.action_type, &policy.usage_keys(&req), at).await?;
    let amount_e4 = catalog
        .get(&req.action_type)
        .and_then(|d| d.amount_field.as_ref())
        .and_then(|f| crate::domain::catalog::decimal_field(&req.params, f).ok().flatten())
        .map(usage::to_e4)
        .unwrap_or(0);
    usage.quotas =
        crate::services::spend::usage::quota_uses(db, &actor.org_id, &s, req.assistant_id.as_deref(), amount_e4, at)
            .await?;
    let decision = decide(&req, &policy, &usage, &*catalog)?;
    Ok(Checked { store_id: s.id, assistant_id: req.assistant_id, decision })
}
