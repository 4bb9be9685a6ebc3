//! Automation (DESIGN.md §4, the seed's paths kept): `/api/v1/automation/triggers`,
//! `/automation/rules` (CRUD, toggle, dry run, versions and restore), `/api/v1/events`
//! (202: stored, then run by the worker) and `/automation/runs` (history, replay). Thin:
//! each handler calls one service in `app::services::automation`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::rules::RuleInput;
use app::domain::{triggers, AppError, FieldError};
use app::services::automation::{events, rules, runs};
use app::services::gateway::actions::Answer;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerQuery {
    #[serde(default)]
    module_type: Option<String>,
}

/// `GET /automation/triggers?module_type=` → `{items: [{id, module_type, name, description,
/// fields: [{name, kind, description}]}]}`. Any member of the org or its keys.
pub async fn triggers(
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<TriggerQuery>,
) -> Result<Json<Value>, ApiError> {
    app::services::access::authz::authorize_member_or_agent(&actor)?;
    let module = q.module_type.as_deref().map(str::trim).filter(|m| !m.is_empty());
    if let Some(m) = module {
        if !triggers::MODULE_TYPES.contains(&m) {
            return Err(AppError::invalid_fields(vec![FieldError {
                field: "module_type".into(),
                message: format!("Choose one of {}.", triggers::MODULE_TYPES.join(", ")),
            }])
            .into());
        }
    }
    Ok(Json(json!({"items": triggers::list(module)})))
}

/// `GET /automation/rules?module_type=&trigger_id=&is_active=&store_id=` → `{items: [rule]}`.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(filter): ApiQuery<rules::RuleFilter>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": rules::list(&state.app.db, &actor, &filter).await?})))
}

/// `POST /automation/rules` → 201 with the rule (active unless `is_active: false`).
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = rules::create(&state.app.db, &state.app.policy, &actor, input).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

/// `GET /automation/rules/{id}`.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(rules::get(&state.app.db, &actor, &id).await?)))
}

/// `PUT /automation/rules/{id}`: the fields sent replace the rule's; the rest stays. A new version.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<RuleInput>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(rules::update(&state.app.db, &state.app.policy, &actor, &id, input).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ToggleQuery {
    #[serde(default)]
    is_active: Option<bool>,
}

/// `PUT /automation/rules/{id}/toggle?is_active=true|false`.
pub async fn toggle(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ToggleQuery>,
) -> Result<Json<Value>, ApiError> {
    let Some(is_active) = q.is_active else {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "is_active".into(),
            message: "Say whether the rule should run: ?is_active=true or ?is_active=false.".into(),
        }])
        .into());
    };
    Ok(Json(json!(rules::toggle(&state.app.db, &actor, &id, is_active).await?)))
}

/// `DELETE /automation/rules/{id}` → 204 (its runs stay in the history).
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    rules::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /automation/rules/{id}/test {payload, store_id?}` → the dry run: conditions, rendered
/// parameters, the decision each step would get. Nothing is executed or counted.
pub async fn test(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<rules::DryRunInput>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(rules::dry_run(&state.app.db, &state.app.policy, &actor, &id, input).await?)))
}

/// `GET /automation/rules/{id}/versions` → `{items: [version]}`, newest first.
pub async fn versions(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": rules::versions(&state.app.db, &actor, &id).await?})))
}

/// `POST /automation/rules/{id}/versions/{version}/restore` → the rule, now at a new version
/// holding that one's definition.
pub async fn restore(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path((id, version)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let version: i32 = version.trim().parse().map_err(|_| AppError::not_found("Version"))?;
    Ok(Json(json!(rules::restore(&state.app.db, &state.app.policy, &actor, &id, version).await?)))
}

fn accepted(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::ACCEPTED);
    let mut res = (status, Json(answer.body)).into_response();
    if answer.replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    res
}

/// `POST /events {trigger_id, store_id?, payload, caused_by_action_id?}` + optional
/// `Idempotency-Key` → 202 `{event_id, status}`; the worker runs the matching rules.
pub async fn post_event(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    headers: HeaderMap,
    ApiJson(input): ApiJson<events::EventInput>,
) -> Result<Response, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    Ok(accepted(events::accept(&state.app.db, &actor, input, key).await?))
}

/// `GET /events/{id}` → the event and its runs.
pub async fn get_event(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(events::get(&state.app.db, &actor, &id).await?)))
}

/// `GET /automation/runs?rule_id=&status=&event_id=&limit=&cursor=` → `{items, next_cursor}`.
pub async fn list_runs(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(filter): ApiQuery<runs::RunFilter>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(runs::list(&state.app.db, &actor, &filter).await?)))
}

/// `GET /automation/runs/{id}` → the run with its event's payload.
pub async fn get_run(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let (run, payload) = runs::get(&state.app.db, &actor, &id).await?;
    let mut body = json!(run);
    body["payload"] = payload;
    Ok(Json(body))
}

/// `POST /automation/runs/{id}/replay` → 202 `{event_id, status}`: the original payload again,
/// for that rule only.
pub async fn replay_run(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    Ok(accepted(runs::replay(&state.app.db, &actor, &id).await?))
}
