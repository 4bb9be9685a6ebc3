//! Server functions of the teams page: the tree, create, rename, move, delete.

use crate::domain::teams::{TeamDetail, TeamList, TeamView};
use crate::domain::AppError;
use leptos::prelude::*;

/// The `reassign_to` value meaning "the top level" in the delete form.
pub const TOP_LEVEL: &str = "top";

/// Every team of the org (any role may see the tree).
#[server(endpoint = "teams_list")]
pub async fn list_teams() -> Result<TeamList, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        crate::services::org::teams::list(&state.db, &actor, None, None).await
    })
    .await
}

/// A team's own page: the team, where it sits, its sub-teams and people.
#[server(endpoint = "team_page")]
pub async fn team_page(id: String) -> Result<TeamDetail, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::org::teams::page(&state.db, &actor, &id).await
    })
    .await
}

/// `parent_team_id` empty: a top-level team.
#[server(endpoint = "teams_create")]
pub async fn create_team(name: String, parent_team_id: Option<String>) -> Result<TeamView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::org::teams::{create, NewTeam};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        create(&state.db, &actor, NewTeam { name, parent_team_id }).await
    })
    .await
}

#[server(endpoint = "teams_rename")]
pub async fn rename_team(id: String, name: String) -> Result<TeamView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::org::teams::{update, TeamPatch};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        update(&state.db, &actor, &id, TeamPatch { name: Some(name), parent_team_id: None }).await
    })
    .await
}

/// `parent_team_id` empty: move to the top level.
#[server(endpoint = "teams_move")]
pub async fn move_team(id: String, parent_team_id: String) -> Result<TeamView, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::org::teams::{update, TeamPatch};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        update(&state.db, &actor, &id, TeamPatch { name: None, parent_team_id: Some(Some(parent_team_id)) }).await
    })
    .await
}

/// `reassign_to`: absent or empty refuses a non-empty team; `top` moves its people and
/// sub-teams to the top level; a team id moves them there.
#[server(endpoint = "teams_delete")]
pub async fn delete_team(id: String, reassign_to: Option<String>) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        let reassign = match reassign_to.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(TOP_LEVEL) => Some(None),
            Some(team) => Some(Some(team.to_string())),
        };
        crate::services::org::teams::delete(&state.db, &actor, &id, reassign).await
    })
    .await
}
