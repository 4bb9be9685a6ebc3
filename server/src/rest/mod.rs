//! The JSON REST API under /api/v1 (DESIGN.md §4). Handlers are thin: authenticate the key
//! (`ApiActor`), call one service, answer JSON or problem+json.

pub mod auth;
pub mod problem;

use crate::startup::ServerState;
use app::services::audit;
use auth::ApiActor;
use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use problem::ApiError;
use serde_json::{json, Value};

pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/me", get(me))
        .route("/audit/verify", get(audit_verify))
        .fallback(|| async { ApiError::from(app::domain::AppError::not_found("API endpoint")) })
}

/// Who the key is: its org, kind and role.
async fn me(ApiActor { actor, key }: ApiActor) -> Json<Value> {
    Json(json!({
        "org": {"id": actor.org_id, "slug": actor.org_slug},
        "kind": key.kind,
        "key": {"id": key.id, "name": key.name, "prefix": key.prefix},
        "role": actor.access.role_names().first(),
        "scope": {"type": key.scope_type, "id": key.scope_id},
        "store_id": key.store_id,
        "assistant_id": key.assistant_id,
    }))
}

/// Recomputes the org's audit chain: `{ok, events, first_broken?}`.
async fn audit_verify(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    let report = audit::verify_for(&state.app.db, &actor).await?;
    let mut body = json!({"ok": report.ok, "events": report.events});
    if let Some(b) = report.first_broken {
        body["first_broken"] = serde_json::to_value(b).unwrap_or(Value::Null);
    }
    Ok(Json(body))
}
