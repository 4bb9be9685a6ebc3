//! `/api/v1/stores`: the org's stores (DESIGN.md §4). `PATCH {actions_paused: true}` is the
//! kill switch. Thin: each handler calls one service in `app::services::stores`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::stores::{NewStore, StorePatch};
use app::services::stores;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `GET /stores?limit=&cursor=` → `{items: [store], next_cursor}`: the stores the key can see.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = stores::list(&state.app.db, &actor, paging.cursor.as_deref(), Some(paging.limit()?)).await?;
    Ok(Json(json!({"items": page.stores, "next_cursor": page.next_cursor})))
}

/// `POST /stores {name, currency, platform?: "sandbox", team_id?, default_allowed_actions?}` →
/// 201 with the store. `stores.manage` at the org, or at the team it goes into.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(new): ApiJson<NewStore>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let store = stores::create(&state.app.db, &state.app.policy, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(json!(store))))
}

/// `GET /stores/{id}`: any role reaching the store.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(stores::get(&state.app.db, &actor, &id).await?)))
}

/// `PATCH /stores/{id} {name?, currency?, team_id?, actions_paused?, default_allowed_actions?}`
/// (`team_id: null` takes the store out of its team; leaving it out keeps the team).
/// `stores.manage` at the store (and at the new team when moving it).
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<StorePatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(stores::update(&state.app.db, &state.app.policy, &actor, &id, patch).await?)))
}

/// `DELETE /stores/{id}` → 204, with its assistants, permissions and limits. 409 while API
/// keys act for the store (revoke them first).
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    stores::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
