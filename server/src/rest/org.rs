//! The organisation's settings and profile (`GET|PATCH /api/v1/org`): name, MFA requirement,
//! address, contact email and phone, time zone (quota periods and reports use it) and
//! default currency (reading needs a role in the org; changing needs `org.manage`); and the
//! preferences of the org, a team or a person (`GET|PUT /api/v1/preferences/{type}/{id}`).
//! Thin: each handler calls `app::services::org::{settings, preferences}`.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::services::org::preferences;
use app::services::org::settings::{self, OrgSettingsPatch};
use axum::extract::State;
use axum::Json;
use serde_json::{json, Value};

/// `GET /org` → `{name, slug, require_mfa, address, contact_email, contact_phone, time_zone,
/// default_currency, members_without_mfa}`.
pub async fn get(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(settings::get(&state.app.db, &actor).await?)))
}

/// `PATCH /org {name?, require_mfa?, address?, contact_email?, contact_phone?, time_zone?,
/// default_currency?}` → the settings after the change.
pub async fn patch(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(patch): ApiJson<OrgSettingsPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(settings::update(&state.app.db, &actor, patch).await?)))
}

/// `GET /preferences/{entity_type}/{entity_id}` → `{entity_type, entity_id, settings,
/// effective: [{key, value, source: {entity_type, entity_id, name}}], can_edit}`.
pub async fn get_preferences(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    axum::extract::Path((entity_type, entity_id)): axum::extract::Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(preferences::get(&state.app.db, &actor, &entity_type, &entity_id).await?)))
}

/// `PUT /preferences/{entity_type}/{entity_id}` with the whole `settings_json` object (`{}`
/// clears: everything inherited) → the same as GET after the change.
pub async fn put_preferences(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    axum::extract::Path((entity_type, entity_id)): axum::extract::Path<(String, String)>,
    ApiJson(settings): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(preferences::put(&state.app.db, &actor, &entity_type, &entity_id, settings).await?)))
}
