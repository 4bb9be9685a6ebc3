//! `/api/v1/api-keys`: keys of the org — list, create (the secret is in the 201 answer,
//! once), get, revoke. Management keys need `api_keys.manage` at the org, and may not carry a
//! permission their creator lacks at their scope; agent keys (bound to a store and maybe an
//! assistant) need it at their store. Thin: calls `app::services::access::api_keys`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::{AppError, FieldError};
use app::services::access::api_keys::{self, NewAgentKey, NewApiKey};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /api-keys?limit=&cursor=` → `{items: [key], next_cursor}` (never secrets).
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = api_keys::list(&state.app.db, &actor, paging.cursor.as_deref(), Some(paging.limit()?)).await?;
    Ok(Json(json!({"items": page.keys, "next_cursor": page.next_cursor})))
}

/// The body of `POST /api-keys`. Kept apart from `NewApiKey` and `NewAgentKey` because one
/// wire body becomes either of them: `kind` (or, without it, whether `store_id` comes without
/// `role_id`) picks which, and the fields of the other kind are accepted and ignored.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateBody {
    name: String,
    /// `management` (default; with `role_id`) or `agent` (with `store_id`).
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    role_id: Option<String>,
    /// Agent keys: the store they act for, and optionally the assistant they act as.
    #[serde(default)]
    store_id: Option<String>,
    #[serde(default)]
    assistant_id: Option<String>,
    #[serde(default)]
    scope_type: Option<String>,
    #[serde(default)]
    scope_id: Option<String>,
    /// `YYYY-MM-DD` (works through that day, UTC) or RFC 3339.
    #[serde(default)]
    expires_at: Option<String>,
}

/// `POST /api-keys {name, role_id, scope_type?: org|team|store, scope_id?, expires_at?}` (a
/// management key) or `{kind: "agent", name, store_id, assistant_id?, expires_at?}` (an agent
/// key; `api_keys.manage` at the store) → 201 `{key: {...}, secret}`.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(body): ApiJson<CreateBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let agent = match body.kind.as_deref().map(str::trim) {
        None | Some("") => body.store_id.is_some() && body.role_id.is_none(),
        Some("agent") => true,
        Some("management") => false,
        Some(other) => {
            return Err(AppError::invalid_fields(vec![FieldError {
                field: "kind".into(),
                message: format!("\"{other}\" is not a kind of key: use management or agent."),
            }])
            .into())
        }
    };
    let created = if agent {
        let input = NewAgentKey {
            name: body.name,
            store_id: body.store_id.unwrap_or_default(),
            assistant_id: body.assistant_id,
            expires_at: body.expires_at,
        };
        api_keys::create_agent(&state.app.db, &actor, input).await?
    } else {
        let input = NewApiKey {
            name: body.name,
            role_id: body.role_id.unwrap_or_default(),
            scope_type: body.scope_type.unwrap_or_else(|| "org".into()),
            scope_id: body.scope_id,
            expires_at: body.expires_at,
        };
        api_keys::create(&state.app.db, &actor, input).await?
    };
    Ok((StatusCode::CREATED, Json(json!({"key": created.key, "secret": created.secret}))))
}

/// `GET /api-keys/{id}`.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(api_keys::get(&state.app.db, &actor, &id).await?)))
}

/// `DELETE /api-keys/{id}` revokes the key (kept, listed as revoked) → 200 with it.
pub async fn revoke(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(api_keys::revoke(&state.app.db, &actor, &id).await?)))
}
