//! Configuration templates (issue 15): `GET /api/v1/config/export` (the org's configuration
//! as one JSON document) and `POST /api/v1/config/import?dry_run=true|false` (the diff, and
//! the changes applied in one transaction unless it is a dry run). Both need `org.manage`.
//! Thin: the body is read by `domain::config::parse_value` (format and version first, then
//! unknown fields named with their path, all before anything is looked up), then
//! `app::services::config` does the rest.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::config::parse_value;
use app::services::config;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

/// `GET /config/export` → the document (pretty JSON, `Content-Disposition: attachment`).
pub async fn export(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Response, ApiError> {
    let doc = config::export(&state.app.db, &actor).await?;
    let name = format!("attachment; filename=\"mandate-config-{}.json\"", actor.org_slug);
    Ok((
        [(header::CONTENT_TYPE, "application/json".to_string()), (header::CONTENT_DISPOSITION, name)],
        doc.to_pretty_json(),
    )
        .into_response())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    #[serde(default)]
    pub dry_run: Option<bool>,
}

/// `POST /config/import?dry_run=` with a document → `{dry_run, applied, diff: {added,
/// changed, removed, objects: [{kind, object_type, object, fields: [{field, label, old,
/// new}]}], warnings}}`. `dry_run` defaults to false.
pub async fn import(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<ImportQuery>,
    ApiJson(body): ApiJson<Value>,
) -> Result<Json<Value>, ApiError> {
    let doc = parse_value(body)?;
    let out = config::import(&state.app.db, &state.app.policy, &actor, doc, q.dry_run.unwrap_or(false)).await?;
    Ok(Json(serde_json::to_value(out).unwrap_or_default()))
}

/// `GET /org/settings/config/export.json`: the page's download, with the session (not a
/// key), like `/audit/export.csv`. Signed out → the sign-in page.
pub async fn export_download(
    State(state): State<ServerState>,
    session: tower_sessions::Session,
    meta: Option<axum::Extension<app::services::RequestMeta>>,
) -> Result<Response, ApiError> {
    let meta = meta.map(|axum::Extension(m)| m).unwrap_or_default();
    let app = &state.app;
    let Some((actor, user, org)) = app::services::identity::auth::user_from_session(app, &session, &meta).await? else {
        return Ok(axum::response::Redirect::to("/login?next=%2Forg%2Fsettings%2Fconfig").into_response());
    };
    app::services::identity::mfa::check_policy(&user, &org)?;
    let doc = config::export(&app.db, &actor).await?;
    let name = format!("attachment; filename=\"mandate-config-{}.json\"", actor.org_slug);
    Ok((
        [
            (header::CONTENT_TYPE, "application/json".to_string()),
            (header::CACHE_CONTROL, "no-store".to_string()),
            (header::CONTENT_DISPOSITION, name),
        ],
        doc.to_pretty_json(),
    )
        .into_response())
}
