//! `/api/v1/assistants`: a store's assistants, their allowed actions and the tool
//! definitions they may call now (DESIGN.md §4, seed 000). Store-scoped: `?store_id=` (or
//! `store_id` in the body); an agent key implies its store. Thin: each handler calls one
//! service in `app::services::stores::assistants`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::assistants::{AssistantPatch, NewAssistant};
use app::services::gateway::check::store_of_request;
use app::services::stores::assistants;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /assistants?store_id=&limit=&cursor=` → `{items: [assistant], next_cursor}`. View at
/// the store, or an agent key of it (one bound to an assistant sees only that one).
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = Paging { limit: q.limit, cursor: None }.limit()?;
    let store_id = store_of_request(&actor, q.store_id.as_deref())?;
    let page = assistants::list(&state.app.db, &actor, &store_id, q.cursor.as_deref(), Some(limit)).await?;
    Ok(Json(json!({"items": page.assistants, "next_cursor": page.next_cursor})))
}

/// `POST /assistants {store_id, name, description?, allowed_actions?}` → 201 with the
/// assistant (allowed actions default to the store's `default_allowed_actions`; an agent
/// key may leave `store_id` out: its own store). `stores.manage` at the store.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(mut new): ApiJson<NewAssistant>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    new.store_id = store_of_request(&actor, Some(&new.store_id))?;
    let created = assistants::create(&state.app.db, &state.app.policy, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

/// `GET /assistants/{id}`: View at its store, or an agent key of the store.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(assistants::get(&state.app.db, &actor, &id).await?)))
}

/// `PATCH /assistants/{id} {name?, description?, status?: active|disabled}`. `stores.manage`
/// at its store.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<AssistantPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(assistants::update(&state.app.db, &actor, &id, patch).await?)))
}

/// `DELETE /assistants/{id}` → 204. 409 while agent keys act as it.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    assistants::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The body of `PATCH /assistants/{id}/allowed-actions`: the service takes the list itself,
/// so there is no input type to read instead.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowedBody {
    allowed_actions: Vec<String>,
}

/// `PATCH /assistants/{id}/allowed-actions {allowed_actions: [...]}`: unknown ids → 422
/// VALIDATION_ERROR on `allowed_actions` naming them. `permissions.manage` at its store.
pub async fn set_allowed_actions(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<AllowedBody>,
) -> Result<Json<Value>, ApiError> {
    let saved =
        assistants::set_allowed_actions(&state.app.db, &state.app.policy, &actor, &id, body.allowed_actions).await?;
    Ok(Json(json!(saved)))
}

#[derive(Deserialize)]
pub struct ToolsQuery {
    #[serde(default)]
    format: Option<String>,
}

/// `GET /assistants/{id}/tools?format=openai|mcp` (default openai): the tool definitions the
/// assistant may call right now. OpenAI: a `tools` array (dots in ids become `__` in function
/// names; `x-mandate-action` carries the id); MCP: `{tools: [{name, description, inputSchema}]}`.
pub async fn tools(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ToolsQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(assistants::tools(&state.app.db, &state.app.policy, &actor, &id, q.format.as_deref()).await?))
}
