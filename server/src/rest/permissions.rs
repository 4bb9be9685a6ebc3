//! `/api/v1/permissions`: per-store action permissions, the org's defaults for new stores, and
//! limits at org / store / assistant scope (DESIGN.md §4). Thin: each handler calls one
//! service in `app::services::stores::permissions`. Store-scoped endpoints take `?store_id=`; an
//! agent key implies its store.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::action_settings::{LimitInput, LimitScope, PermissionPatch};
use app::domain::error::FieldError;
use app::domain::AppError;
use app::services::gateway::check::store_of_request;
use app::services::stores::permissions;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct StoreQuery {
    #[serde(default)]
    store_id: Option<String>,
}

/// `GET /permissions?store_id=` → `{store, actions: [{action_type, name, …, enabled,
/// requires_confirmation, confirmation_by, source, limits, assistant_limits}], assistants,
/// can_manage}`. View at the store, or an agent key bound to it (its store when store_id is
/// left out).
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<StoreQuery>,
) -> Result<Json<Value>, ApiError> {
    let store_id = store_of_request(&actor, q.store_id.as_deref())?;
    let catalog = state.app.policy.catalog(&state.app.db).await?;
    Ok(Json(json!(permissions::list(&state.app.db, &catalog, &actor, &store_id).await?)))
}

/// `PUT /permissions/{action_type}?store_id= {enabled?, requires_confirmation?,
/// confirmation_by?}` → the action as it now applies at the store. `permissions.manage` at
/// the store.
pub async fn set(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(action_type): Path<String>,
    ApiQuery(q): ApiQuery<StoreQuery>,
    ApiJson(patch): ApiJson<PermissionPatch>,
) -> Result<Json<Value>, ApiError> {
    let store_id = store_of_request(&actor, q.store_id.as_deref())?;
    let catalog = state.app.policy.catalog(&state.app.db).await?;
    let saved = permissions::set(&state.app.db, &catalog, &actor, &store_id, &action_type, patch).await?;
    Ok(Json(json!(saved)))
}

/// `GET /permissions/defaults` → `{actions: [...], can_manage}`: the org's defaults for stores
/// created from now on, and the org-wide limits. View at the org.
pub async fn defaults(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.app.policy.catalog(&state.app.db).await?;
    Ok(Json(json!(permissions::org_defaults(&state.app.db, &catalog, &actor).await?)))
}

/// `PUT /permissions/defaults/{action_type} {enabled?, requires_confirmation?,
/// confirmation_by?}`. `permissions.manage` at the org. Existing stores keep their settings.
pub async fn set_default(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(action_type): Path<String>,
    ApiJson(patch): ApiJson<PermissionPatch>,
) -> Result<Json<Value>, ApiError> {
    let catalog = state.app.policy.catalog(&state.app.db).await?;
    let saved = permissions::set_org_default(&state.app.db, &catalog, &actor, &action_type, patch).await?;
    Ok(Json(json!(saved)))
}

#[derive(Deserialize)]
pub struct LimitsQuery {
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    assistant_id: Option<String>,
}

fn field(name: &str, message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: name.into(), message: message.into() }])
}

/// `GET /permissions/limits?store_id=|scope=org|assistant_id=` → `{items: [limit]}`. At a
/// store: the org defaults it has not replaced, its own limits (each with the org default it
/// `overrides`), then its assistants' limits. View where the limits are set (an agent key:
/// its own store, and its own assistant when bound to one).
pub async fn list_limits(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<LimitsQuery>,
) -> Result<Json<Value>, ApiError> {
    let blank = |s: Option<String>| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let (store_id, assistant_id) = (blank(q.store_id), blank(q.assistant_id));
    let scope = match blank(q.scope).as_deref() {
        Some("org") => LimitScope::Org,
        Some("assistant") | None if assistant_id.is_some() => LimitScope::Assistant(assistant_id.unwrap_or_default()),
        Some("assistant") => return Err(field("assistant_id", "Say which assistant (assistant_id).").into()),
        Some("store") | None => LimitScope::Store(store_of_request(&actor, store_id.as_deref())?),
        Some(other) => {
            return Err(field("scope", format!("Unknown scope \"{other}\": use org, store or assistant.")).into())
        }
    };
    Ok(Json(json!({"items": permissions::list_limits(&state.app.db, &actor, &scope).await?})))
}

/// The body of `POST /permissions/limits`. Kept apart from `LimitInput` (which the settings
/// page's server function sends, all text) because the wire differs: `limit_value` and
/// `time_window_hours` may be JSON numbers or strings, anything else answering 422 on that
/// field; `action_type` and `limit_type` may be left out (then the service names them in its
/// 422); and an agent key's handler fills `store_id` when no scope is given.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitBody {
    #[serde(default)]
    scope_type: Option<String>,
    #[serde(default)]
    scope_id: Option<String>,
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    assistant_id: Option<String>,
    #[serde(default)]
    action_type: String,
    #[serde(default)]
    limit_type: String,
    /// A JSON number or a decimal string.
    #[serde(default)]
    limit_value: Value,
    #[serde(default)]
    time_window_hours: Value,
    #[serde(default)]
    on_exceed: Option<String>,
    #[serde(default)]
    per_customer: Option<bool>,
}

/// A JSON number or string as text; None for null; Err for anything else.
fn text_of(v: Value, name: &str, what: &str) -> Result<Option<String>, AppError> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(Some(n.to_string())),
        Value::String(s) => Ok(Some(s)),
        _ => Err(field(name, format!("{name} must be {what}."))),
    }
}

/// `POST /permissions/limits {scope_type?, scope_id?, store_id?, assistant_id?, action_type,
/// limit_type, limit_value, time_window_hours?, on_exceed?, per_customer?}` → 201 with the new
/// limit, or 200 when it updated the limit with the same scope, action, limit_type, on_exceed
/// and per_customer. `permissions.manage` at the store (the assistant's store; the org for
/// org-wide limits). With no scope at all an agent key means its store.
pub async fn upsert_limit(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(body): ApiJson<LimitBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let limit_value = text_of(body.limit_value, "limit_value", "a decimal number, like 100 or 12.50")?;
    let time_window_hours = text_of(body.time_window_hours, "time_window_hours", "a whole number of hours")?;
    let no_scope = body.scope_type.is_none() && body.store_id.is_none() && body.assistant_id.is_none();
    let store_id = match (&actor.agent, no_scope) {
        (Some(binding), true) => Some(binding.store_id.clone()),
        _ => body.store_id,
    };
    let input = LimitInput {
        scope_type: body.scope_type,
        scope_id: body.scope_id,
        store_id,
        assistant_id: body.assistant_id,
        action_type: body.action_type,
        limit_type: body.limit_type,
        limit_value: limit_value.unwrap_or_default(),
        time_window_hours,
        on_exceed: body.on_exceed,
        per_customer: body.per_customer,
    };
    let catalog = state.app.policy.catalog(&state.app.db).await?;
    let saved = permissions::upsert_limit(&state.app.db, &catalog, &actor, input).await?;
    let status = if saved.created { StatusCode::CREATED } else { StatusCode::OK };
    Ok((status, Json(json!(saved.limit))))
}

/// `DELETE /permissions/limits/{id}` → 204. `permissions.manage` where the limit is set.
pub async fn delete_limit(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    permissions::delete_limit(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
