//! `/api/v1/users`: the org's people (DESIGN.md §4). `POST` invites (the invitation link is
//! emailed through the outbox, never returned). Thin: each handler calls one service in
//! `app::services::identity::users`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::access::ScopeRef;
use app::domain::{AppError, FieldError};
use app::services::identity::users::{self, InviteInput, ListQuery, UserPatch};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Deserialize)]
pub struct ListParams {
    #[serde(default)]
    q: Option<String>,
    #[serde(default)]
    limit: Option<u64>,
    #[serde(default)]
    cursor: Option<String>,
}

/// `GET /users?q=&limit=&cursor=` → `{items: [user], next_cursor}`, ordered by email. Any role.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let page = users::list(&state.app.db, &actor, ListQuery { q: p.q, cursor: p.cursor, limit: p.limit }).await?;
    Ok(Json(json!({"items": page.users, "next_cursor": page.next_cursor})))
}

/// The body of `POST /users`. Kept apart from `InviteInput` because the wire differs: the
/// scope arrives as `scope_type` + `scope_id` and is parsed here into a `ScopeRef`, a bad one
/// answering 422 on `scope_type` (a field error, not a serde message).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    display_name: String,
    #[serde(default)]
    team_id: Option<String>,
    /// Default: the built-in Viewer role.
    #[serde(default)]
    role_id: Option<String>,
    /// org (default) | team
    #[serde(default)]
    scope_type: Option<String>,
    #[serde(default)]
    scope_id: Option<String>,
}

/// `POST /users {email, display_name, team_id?, role_id?, scope_type?, scope_id?}` → 201
/// with the invited user. `users.manage` at the org (and `roles.manage` at the scope for a
/// role other than Viewer).
pub async fn invite(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(body): ApiJson<InviteBody>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let scope =
        match body.scope_type.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(kind) => Some(ScopeRef::parse(kind, body.scope_id.as_deref().map(str::trim)).map_err(|message| {
                AppError::invalid_fields(vec![FieldError { field: "scope_type".into(), message }])
            })?),
        };
    let input = InviteInput {
        email: body.email,
        display_name: body.display_name,
        team_id: body.team_id,
        role_id: body.role_id,
        scope,
    };
    let user = users::invite(&state.app.db, &actor, input, &state.app.public_base_url).await?;
    Ok((StatusCode::CREATED, Json(json!(user))))
}

/// `GET /users/{id}`. Any role.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(users::get(&state.app.db, &actor, &id).await?)))
}

/// `PATCH /users/{id} {display_name?, team_id?, status?: active|suspended}` (`team_id: null`
/// removes the person's team; leaving it out keeps it). Suspending ends the person's
/// sessions; the last active Owner cannot be suspended (409). `users.manage`.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<UserPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(users::update(&state.app.db, &actor, &id, patch).await?)))
}

/// `DELETE /users/{id}` → 204. Refused (409) for the key's own user and the last active
/// Owner. `users.manage`.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    users::delete(&state.app.db, &actor, &id).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /users/{id}/mfa-reset` (no body) → the person, two-step sign-in off. For someone
/// who lost both their phone and their recovery codes: `users.manage` and every permission
/// the person holds; never one's own (409). Their sessions end and they are told by email.
pub async fn reset_mfa(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(users::reset_mfa(&state.app.db, &actor, &id, &state.app.public_base_url).await?)))
}
