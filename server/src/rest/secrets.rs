//! The secrets vault (`/api/v1/secrets`): write-only. Answers carry a secret's place, name,
//! description, when and by whom it was set, never its value. `secrets.manage` at the
//! secret's place (the org, a team); a person always manages their own. Thin: each handler
//! calls `app::services::vault`.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::secrets::{SecretInput, SecretPatch};
use app::services::vault;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `GET /secrets` → `{items: [{id, scope_type, scope_id, scope_label, name, description,
/// set_at, set_by, used_by, manage_at}]}`: the secrets the key may manage (the integrations'
/// credentials among them, with what uses them).
pub async fn list(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": vault::list(&state.app.db, &actor).await?})))
}

/// `POST /secrets {scope_type?, scope_id?, name, description?, value}` → 201 with the secret
/// when new; 200 when a secret of that name at that place got the new value.
pub async fn put(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(input): ApiJson<SecretInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (view, created) = vault::put(&state.app.db, &state.app.secret_key, &actor, input).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(json!(view))))
}

/// `PATCH /secrets/{id} {description?, value?}` → the secret.
pub async fn patch(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<SecretPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(vault::update(&state.app.db, &state.app.secret_key, &actor, &id, input).await?)))
}

/// `DELETE /secrets/{id}` → 204.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    vault::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
