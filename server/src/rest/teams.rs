//! `/api/v1/teams`: the org's team tree (DESIGN.md §4). Thin: each handler calls one
//! service in `app::services::org::teams`.

use super::auth::ApiActor;
use super::json::{ApiJson, ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::services::org::teams::{self, NewTeam, Reassign, TeamPatch};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

/// `GET /teams?limit=&cursor=` → `{items: [team], next_cursor}`. Any role.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(paging): ApiQuery<Paging>,
) -> Result<Json<Value>, ApiError> {
    let page = teams::list(&state.app.db, &actor, paging.cursor.as_deref(), Some(paging.limit()?)).await?;
    Ok(Json(json!({"items": page.teams, "next_cursor": page.next_cursor})))
}

/// `POST /teams {name, parent_team_id?}` → 201 with the team. `teams.manage` at the parent
/// (or the org for a top-level team).
pub async fn create(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiJson(new): ApiJson<NewTeam>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let team = teams::create(&state.app.db, &actor, new).await?;
    Ok((StatusCode::CREATED, Json(json!(team))))
}

/// `GET /teams/{id}`. Any role.
pub async fn get(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(teams::get(&state.app.db, &actor, &id).await?)))
}

/// `PATCH /teams/{id} {name?, parent_team_id?}`: rename and/or move (`parent_team_id: null`
/// moves the team to the top level; leaving it out keeps the parent). A move that would
/// make a cycle answers 422 VALIDATION_ERROR on `parent_team_id`. `teams.manage` at the
/// team, and at the new parent (or the org) when moving.
pub async fn update(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<TeamPatch>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(json!(teams::update(&state.app.db, &actor, &id, patch).await?)))
}

#[derive(Deserialize)]
pub struct DeleteQuery {
    #[serde(default)]
    reassign_to: Option<String>,
}

/// `DELETE /teams/{id}[?reassign_to=<team id>|top]` → 204. Without `reassign_to` a team
/// with members or sub-teams answers 409 CONFLICT; with it they move there (`top`, `null`
/// or an empty value: the top level) in the same transaction.
pub async fn delete(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<Response, ApiError> {
    let reassign: Reassign = q.reassign_to.map(|r| match r.trim() {
        "" | "top" | "null" => None,
        team => Some(team.to_string()),
    });
    teams::delete(&state.app.db, &actor, &id, reassign).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
