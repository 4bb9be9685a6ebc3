//! The org's single sign-on provider (`GET|PUT|DELETE /api/v1/sso`, `org.manage`): OpenID
//! Connect issuer, client id, client secret (write-only: answers say `client_secret_set`),
//! allowed domains, provisioning, default role, on/off and the password sign-in switch.
//! Thin: each handler calls `app::services::identity::sso`.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::sso::SsoConfigInput;
use app::services::identity::sso;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

/// `GET /sso` → `{configured, display_name, issuer_url, client_id, client_secret_set,
/// allowed_domains, provisioning, default_role_id, default_role_name, enabled,
/// password_sign_in_disabled, redirect_url, sign_in_url, updated_at}`.
pub async fn get(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(sso::get(&state.app.db, &actor, &state.app.public_base_url).await?)))
}

/// `PUT /sso {display_name, issuer_url, client_id, client_secret?, allowed_domains: [..],
/// provisioning?: invited|jit, default_role_id?, enabled? (true), password_sign_in_disabled?
/// (false)}` → 201 when created, 200 when changed (without `client_secret` the stored one
/// stays).
pub async fn put(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(input): ApiJson<SsoConfigInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let (created, view) =
        sso::set(&state.app.db, &state.app.secret_key, &actor, &state.app.public_base_url, input).await?;
    Ok((if created { StatusCode::CREATED } else { StatusCode::OK }, Json(json!(view))))
}

/// `DELETE /sso` → 204: sign-in through the provider stops, passwords work for everyone.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<StatusCode, ApiError> {
    sso::delete(&state.app.db, &actor).await?;
    Ok(StatusCode::NO_CONTENT)
}
