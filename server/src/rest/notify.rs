//! The org's SMS provider (`GET|PUT|DELETE /api/v1/sms-provider`, `secrets.manage`): where
//! text-message notifications go. The auth token is write-only. Thin: each handler calls
//! `app::services::org::notify`.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::notify::SmsProviderInput;
use app::services::org::notify;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// `GET /sms-provider` → `{configured, url, account_sid, from_number, token_set, updated_at}`.
pub async fn get(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(notify::sms_provider_get(&state.app.db, &actor).await?)))
}

/// `PUT /sms-provider {url, account_sid, from_number, auth_token?}` → 201 when created, 200
/// when changed (a change without `auth_token` keeps the stored one).
pub async fn put(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(input): ApiJson<SmsProviderInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (created, view) = notify::sms_provider_set(&state.app.db, &state.app.secret_key, &actor, input).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(json!(view))))
}

/// `DELETE /sms-provider` → 204.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<StatusCode, ApiError> {
    notify::sms_provider_delete(&state.app.db, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
