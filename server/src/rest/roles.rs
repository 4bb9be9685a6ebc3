//! `/api/v1/roles` (built-in and custom roles with their permissions) and
//! `/api/v1/role-assignments` (who holds which role where). Thin: each handler calls one
//! service in `app::services::{access::roles, access::assignments}`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::{AppError, FieldError};
use app::services::access::assignments::{self, AssignmentFilter, NewAssignment};
use app::services::access::roles::{self, NewRole, RolePatch};
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /roles?limit=&cursor=` → `{items: [role], permissions: [{key, description}],
/// next_cursor}`. `roles.manage` somewhere.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = roles::list(&state.app.db, &actor, paging.cursor.as_deref(), Some(paging.limit()?)).await?;
    Ok(Json(json!({"items": page.roles, "permissions": page.permissions, "next_cursor": page.next_cursor})))
}

/// `POST /roles {name, description?, permissions: [keys]}` → 201. `roles.manage` at the org;
/// unknown keys → 422 naming them; permissions the caller lacks → 403.
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(new): ApiJson<NewRole>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let role = roles::create(&state.app.db, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(json!(role))))
}

/// `GET /roles/{id}`. `roles.manage` somewhere.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(roles::get(&state.app.db, &actor, &id).await?)))
}

/// `PATCH /roles/{id} {name?, description?, permissions?}` (permissions replace the set).
/// Built-in roles → 409. `roles.manage` at the org.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<RolePatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(roles::update(&state.app.db, &actor, &id, patch).await?)))
}

/// `DELETE /roles/{id}` → 204. Built-in roles, and roles still assigned or used by an
/// active key → 409. `roles.manage` at the org.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    roles::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /role-assignments?user_id=&role_id=&scope_type=&scope_id=&limit=&cursor=` →
/// `{items: [assignment], next_cursor}`. `roles.manage` somewhere; only assignments at
/// scopes the caller can see.
pub async fn list_assignments(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(filter): ApiQuery<AssignmentFilter>,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page =
        assignments::list(&state.app.db, &actor, filter, paging.cursor.as_deref(), Some(paging.limit()?)).await?;
    Ok(Json(json!({"items": page.assignments, "next_cursor": page.next_cursor})))
}

/// `POST /role-assignments {user_id, role_id, scope_type: org|team|store, scope_id?}` → 201.
/// `roles.manage` at the scope, and every permission of the role held there by the caller.
pub async fn create_assignment(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(new): ApiJson<NewAssignment>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let created = assignments::create(&state.app.db, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(json!(created))))
}

#[derive(Deserialize)]
pub struct IdQuery {
    #[serde(default)]
    id: Option<String>,
}

/// The optional body `{id}` of `DELETE /role-assignments`, read by hand (a bad one answers
/// 400) since the id may come in the query instead.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct IdBody {
    id: String,
}

/// `DELETE /role-assignments?id=<id>` (or a JSON body `{id}`) → 204. The last active
/// Owner's org-wide Owner assignment → 409.
pub async fn delete_assignment(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<IdQuery>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let id = match q.id.filter(|s| !s.trim().is_empty()) {
        Some(id) => id,
        None if !body.is_empty() => {
            serde_json::from_slice::<IdBody>(&body)
                .map_err(|e| AppError::bad_request(format!("The body is not valid JSON {{\"id\": \"…\"}}: {e}")))?
                .id
        }
        None => {
            return Err(AppError::invalid_fields(vec![FieldError {
                field: "id".into(),
                message: "Say which assignment to remove: ?id=<assignment id>.".into(),
            }])
            .into())
        }
    };
    assignments::delete(&state.app.db, &actor, id.trim()).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
