//! `POST /api/v1/check` (the decision, no side effects) and `GET /api/v1/actions/catalog`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::policy::ActionRequest;
use app::services::gateway::check;
use app::services::stores::catalog;
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct StoreQuery {
    #[serde(default)]
    store_id: Option<String>,
}

/// `POST /check?store_id= {action_type, params, assistant_id?, customer_ref?, action_version?}`
/// → the Decision plus the seed's `is_allowed`, `requires_confirmation`, `reason`.
pub async fn check(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<StoreQuery>,
    ApiJson(mut body): ApiJson<ActionRequest>,
) -> Result<Json<Value>, ApiError> {
    if body.store_id.is_none() {
        body.store_id = q.store_id;
    }
    let checked = check::check(&state.app.db, &state.app.policy, &actor, body).await?;
    let d = &checked.decision;
    Ok(Json(json!({
        "store_id": checked.store_id,
        "assistant_id": checked.assistant_id,
        "outcome": d.outcome,
        "decision": d.outcome,
        "is_allowed": d.is_allowed(),
        "requires_confirmation": d.requires_confirmation,
        "confirmation_by": d.confirmation_by,
        "code": d.code,
        "reason": d.reason,
        "trace": d.trace,
    })))
}

/// `GET /actions/catalog` → `{items: [definition with schemas]}`.
pub async fn catalog(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<Json<Value>, ApiError> {
    let c = state.app.policy.catalog(&state.app.db).await?;
    Ok(Json(json!({"items": catalog::list_for(&actor, &c)?})))
}
