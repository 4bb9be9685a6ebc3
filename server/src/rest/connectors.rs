//! Webhook connectors: `/api/v1/stores/{id}/connector` (the store's platform webhook) and
//! `/api/v1/connector` (the org's connector for business-operations actions). Needs
//! `secrets.manage` at the store / the org. The signing secret is write-only: answers say
//! `secret_set`, never the secret.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::connectors::ConnectorInput;
use app::services::gateway::connectors::{self, ConnectorScope};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

async fn get_scope(
    state: &ServerState,
    actor: &app::services::Actor,
    scope: ConnectorScope,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(connectors::get(&state.app.db, actor, &scope).await?)))
}

async fn put_scope(
    state: &ServerState,
    actor: &app::services::Actor,
    scope: ConnectorScope,
    body: ConnectorInput,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (view, created) = connectors::set(&state.app.db, &state.app.secret_key, actor, &scope, body).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(json!(view))))
}

async fn delete_scope(
    state: &ServerState,
    actor: &app::services::Actor,
    scope: ConnectorScope,
) -> Result<Response, ApiError> {
    connectors::delete(&state.app.db, actor, &scope).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /stores/{id}/connector` → `{scope, store_id, configured, url, timeout_ms, max_attempts, secret_set, …}`.
pub async fn store_get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    get_scope(&state, &actor, ConnectorScope::Store(id)).await
}

/// `PUT /stores/{id}/connector {url, secret?, timeout_ms?, max_attempts?}` → 201 created / 200
/// changed. The secret is needed to create; left out on a change, the stored one stays.
pub async fn store_put(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConnectorInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    put_scope(&state, &actor, ConnectorScope::Store(id), body).await
}

/// `DELETE /stores/{id}/connector` → 204 (404 when none is configured).
pub async fn store_delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    delete_scope(&state, &actor, ConnectorScope::Store(id)).await
}

/// `GET /connector`: the org's connector.
pub async fn org_get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<Json<Value>, ApiError> {
    get_scope(&state, &actor, ConnectorScope::Org).await
}

/// `PUT /connector {url, secret?, timeout_ms?, max_attempts?}` → 201 / 200.
pub async fn org_put(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(body): ApiJson<ConnectorInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    put_scope(&state, &actor, ConnectorScope::Org, body).await
}

/// `DELETE /connector` → 204.
pub async fn org_delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<Response, ApiError> {
    delete_scope(&state, &actor, ConnectorScope::Org).await
}
