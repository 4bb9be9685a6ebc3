//! Org-filtered look-ups of the rows other services hang their work on: a team, a store, a
//! role, an assistant, and the team paths shown beside them. Each reads only the actor's
//! org, so another org's id is simply not found (tenancy comes before authorization).
//!
//! A leaf: it imports no other service module, so every capability may use it.
//! What must not live here: authorization, writes, or any error other than NOT_FOUND
//! (callers that answer differently use the `Option` forms and say so themselves).

use crate::domain::teams::team_paths as paths_of;
use crate::domain::AppError;
use crate::entities::{assistant, role, store, team};
use sea_orm::sea_query::Condition;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::HashMap;

/// One of the org's teams, if it exists.
pub async fn team<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<Option<team::Model>, AppError> {
    Ok(team::Entity::find_by_id(id.to_string()).filter(team::Column::OrgId.eq(org_id)).one(conn).await?)
}

/// One of the org's teams, or NOT_FOUND (also for another org's team).
pub async fn find_team<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<team::Model, AppError> {
    team(conn, org_id, id).await?.ok_or_else(|| AppError::not_found("Team"))
}

/// One of the org's stores, or NOT_FOUND (also for another org's store).
pub async fn find_store<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<store::Model, AppError> {
    store::Entity::find_by_id(id.trim().to_string())
        .filter(store::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Store"))
}

/// A built-in role or one of the org's custom roles, or NOT_FOUND.
pub async fn find_role<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<role::Model, AppError> {
    role::Entity::find_by_id(id.to_string())
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(org_id)))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Role"))
}

/// One of the org's assistants, or NOT_FOUND (also for another org's).
pub async fn find_assistant<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    id: &str,
) -> Result<assistant::Model, AppError> {
    assistant::Entity::find_by_id(id.trim().to_string())
        .filter(assistant::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Assistant"))
}

/// The org's teams as "EU / North" paths, by id.
pub async fn team_paths<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, String>, AppError> {
    let teams = team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(conn).await?;
    Ok(paths_of(teams.iter().map(|t| (t.id.as_str(), t.name.as_str(), t.parent_team_id.as_deref()))))
}
