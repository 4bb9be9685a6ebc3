//! `/api/v1/stores`: the org's stores (DESIGN.md §4). `PATCH {actions_paused: true}` is the
//! kill switch. Thin: each handler calls one service in `app::services::stores`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use super::teams::present;
use crate::startup::ServerState;
use app::domain::stores::{NewStore, StorePatch};
use app::services::stores;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    currency: String,
    #[serde(default)]
    platform: Option<String>,
    #[serde(default)]
    team_id: Option<String>,
    #[serde(default)]
    default_allowed_actions: Option<Vec<String>>,
}

/// `POST /stores {name, currency, platform?: "sandbox", team_id?, default_allowed_actions?}` →
/// 201 with the store. `stores.manage` at the org, or at the team it goes into.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let input = NewStore {
        name: body.name,
        currency: body.currency,
        platform: body.platform,
        team_id: body.team_id,
        default_allowed_actions: body.default_allowed_actions,
    };
    let store = stores::create(&state.app.db, &state.app.policy, &actor, input).await?;
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PatchBody {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    currency: Option<String>,
    /// `null` takes the store out of its team; leaving it out keeps the team.
    #[serde(default, deserialize_with = "present")]
    team_id: Option<Option<String>>,
    #[serde(default)]
    actions_paused: Option<bool>,
    #[serde(default)]
    default_allowed_actions: Option<Vec<String>>,
}

/// `PATCH /stores/{id} {name?, currency?, team_id?, actions_paused?, default_allowed_actions?}`.
/// `stores.manage` at the store (and at the new team when moving it).
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<PatchBody>,
) -> Result<Json<Value>, ApiError> {
    let patch = StorePatch {
        name: body.name,
        currency: body.currency,
        team_id: body.team_id,
        actions_paused: body.actions_paused,
        default_allowed_actions: body.default_allowed_actions,
    };
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
