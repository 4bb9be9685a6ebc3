//! Spend (DESIGN.md §4): `POST /api/v1/expenditures` (one record or a batch of up to 1,000,
//! Idempotency-Key honoured), `GET|POST /api/v1/quotas`, `PATCH|DELETE /api/v1/quotas/{id}`,
//! `GET /api/v1/usage`. Thin: each handler calls one service in `app::services::spend`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::spend::QuotaInput;
use app::services::spend::{self, ExpenditureBody, UsageQuery};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

/// `POST /expenditures` `{entity_type, entity_id?, amount, currency, item_type, item_id?,
/// occurred_at?}` or `{records: [...]}` → 201 `{ids, count}`.
pub async fn record(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<ExpenditureBody>,
) -> Result<Response, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let done = spend::record(&state.app.db, &actor, body, key).await?;
    let mut res = (StatusCode::CREATED, Json(done.body)).into_response();
    if done.replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// `GET /quotas` → `{items: [quota with used, percent, forecast]}`.
pub async fn list(State(state): State<ServerState>, ApiActor { actor, .. }: ApiActor) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!({"items": spend::list(&state.app.db, &actor).await?})))
}

/// `POST /quotas` → 201 with the quota.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(input): ApiJson<QuotaInput>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    Ok((StatusCode::CREATED, Json(json!(spend::create(&state.app.db, &actor, input).await?))))
}

/// `PATCH /quotas/{id}`.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<QuotaInput>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(spend::update(&state.app.db, &actor, &id, input).await?)))
}

/// `DELETE /quotas/{id}` → 204.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    spend::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /usage?entity_type=&entity_id=&period=day|week|month` → totals by item type and the
/// quotas over the entity with used, percent and forecast.
pub async fn usage(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<UsageQuery>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(spend::report(&state.app.db, &actor, q).await?)))
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    period: Option<String>,
}

/// `GET /org/usage/export.csv?period=day|week|month`: the period's expenditure records as a
/// CSV download for the signed-in person (`usage.read` at the org), like
/// `/audit/export.csv`. Signed out → the sign-in page, back here afterwards.
pub async fn export_csv(
    State(state): State<ServerState>,
    session: tower_sessions::Session,
    meta: Option<axum::Extension<app::services::RequestMeta>>,
    uri: axum::http::Uri,
    axum::extract::Query(q): axum::extract::Query<ExportQuery>,
) -> Result<Response, ApiError> {
    use axum::http::header;
    let meta = meta.map(|axum::Extension(m)| m).unwrap_or_default();
    let app = &state.app;
    let Some((actor, user, org)) = app::services::identity::auth::user_from_session(app, &session, &meta).await? else {
        let next = uri.path_and_query().map(|p| p.as_str()).unwrap_or("/org/usage/export.csv");
        return Ok(axum::response::Redirect::to(&format!("/login?next={}", app::domain::actions::url_encode(next)))
            .into_response());
    };
    app::services::identity::mfa::check_policy(&user, &org)?;
    let period = q.period.filter(|p| !p.trim().is_empty()).unwrap_or_else(|| "month".into());
    let body = spend::csv(&app.db, &actor, period.trim()).await?;
    let filename = format!("mandate-usage-{}-{}.csv", period.trim(), app::services::infra::db::now().format("%Y%m%d"));
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
