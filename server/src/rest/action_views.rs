//! The read side of actions: `GET /api/v1/actions` (filters + cursor) and
//! `GET /api/v1/actions/{id}` (with its timeline) for API keys, and the browser's CSV
//! download `GET /audit/export.csv` (the signed-in session, not a key). Thin: each calls
//! `app::services::gateway::action_views`. Needs `audit.read` at the actions' stores; an agent key
//! reads its own store's actions.

use super::auth::ApiActor;
use super::json::{ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::actions::ActionQuery;
use app::domain::AppError;
use app::services::{gateway::action_views, RequestMeta};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::Session;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    store_id: Option<String>,
    assistant_id: Option<String>,
    rule_run_id: Option<String>,
    action_type: Option<String>,
    /// pending | confirmed | executed | failed | cancelled | denied | expired
    status: Option<String>,
    /// allow | confirm | deny
    decision: Option<String>,
    /// `YYYY-MM-DD` (UTC day) or RFC 3339.
    from: Option<String>,
    /// `YYYY-MM-DD` (through that day, UTC) or RFC 3339 (inclusive).
    to: Option<String>,
    limit: Option<u64>,
    cursor: Option<String>,
}

/// `GET /actions?store_id=&assistant_id=&rule_run_id=&action_type=&status=&decision=&from=&to=&limit=&cursor=`
/// → `{items: [action], next_cursor}`, newest first; bad filters → 422 naming the field.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging { limit: q.limit, cursor: q.cursor.clone() };
    let limit = paging.limit()?;
    let filter = ActionQuery {
        store_id: q.store_id,
        assistant_id: q.assistant_id,
        rule_run_id: q.rule_run_id,
        action_type: q.action_type,
        status: q.status,
        decision: q.decision,
        from: q.from,
        to: q.to,
    }
    .parse()?;
    let page = action_views::list(&state.app.db, &actor, &filter, paging.cursor.as_deref(), limit).await?;
    Ok(Json(json!({"items": page.items, "next_cursor": page.next_cursor})))
}

/// `GET /actions/{id}` → the action: request (redacted inputs), decision, reason, trace,
/// result or error, and `timeline` (its audit events, oldest first).
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let detail = action_views::get(&state.app.db, &actor, &id).await?;
    Ok(Json(serde_json::to_value(detail).map_err(|e| {
        tracing::error!(error = %e, "action detail does not serialise");
        AppError::internal()
    })?))
}

/// `GET /audit/export.csv?<the /audit page's filters>`: the filtered actions as a CSV
/// download for the signed-in person (`audit.read`). Signed out → the sign-in page, back
/// here afterwards.
pub async fn export_csv(
    State(state): State<ServerState>,
    session: Session,
    meta: Option<Extension<RequestMeta>>,
    uri: Uri,
    Query(q): Query<ActionQuery>,
) -> Result<Response, ApiError> {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let app = &state.app;
    let Some((actor, user, org)) = app::services::identity::auth::user_from_session(app, &session, &meta).await? else {
        let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/audit/export.csv");
        return Ok(Redirect::to(&format!("/login?next={}", app::domain::actions::url_encode(next))).into_response());
    };
    app::services::identity::mfa::check_policy(&user, &org)?;
    let filter = q.parse()?;
    let body = action_views::csv(&app.db, &actor, &filter).await?;
    let filename = format!("mandate-actions-{}.csv", app::services::infra::db::now().format("%Y%m%d"));
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
