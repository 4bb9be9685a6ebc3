//! The agent gateway: `POST /api/v1/actions` (invoke, `Idempotency-Key`), and
//! `POST /api/v1/actions/{id}/confirm|cancel|result`. Thin: each calls `services::gateway::actions`.

use super::auth::ApiActor;
use super::json::ApiJson;
use super::problem::ApiError;
use crate::startup::ServerState;
use app::services::gateway::actions::{self, InvokeInput, ResultInput};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::Value;

/// `POST /actions` + `Idempotency-Key` → 201 `{id, status, decision, reason, result?, error?}`;
/// the same key and body again → the stored answer with `Idempotent-Replayed: true`.
pub async fn invoke(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    headers: HeaderMap,
    ApiJson(body): ApiJson<InvokeInput>,
) -> Result<Response, ApiError> {
    let key = headers.get("idempotency-key").and_then(|v| v.to_str().ok());
    let answer = actions::invoke(state.app.gateway(), &actor, body, key).await?;
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::CREATED);
    let mut res = (status, Json(answer.body)).into_response();
    if answer.replayed {
        res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(res)
}

/// The body of `POST /actions/{id}/confirm`: the service takes `by` as a plain string (and
/// answers 422 on `by` when it is missing or neither value), so there is no input type to
/// read instead.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmBody {
    #[serde(default)]
    by: String,
}

/// `POST /actions/{id}/confirm {by: customer|staff}` → the action, executed when it can be.
pub async fn confirm(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ConfirmBody>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(actions::confirm(state.app.gateway(), &actor, &id, &body.by).await?))
}

/// `POST /actions/{id}/cancel` → the cancelled action (its reservation released).
pub async fn cancel(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(actions::cancel(state.app.gateway(), &actor, &id).await?))
}

/// `POST /actions/{id}/result {status: executed|failed, output?, error_code?, error_message?}`.
pub async fn result(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ResultInput>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(actions::report_result(state.app.gateway(), &actor, &id, body).await?))
}
