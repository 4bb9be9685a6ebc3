//! Server functions of `/stores`: the list, create, edit, the kill switch, delete.

use crate::domain::stores::{StoreList, StoreView};
use crate::domain::AppError;
use leptos::prelude::*;

/// The stores the viewer can see (View at each), with where they may create new ones.
#[server(endpoint = "stores_list")]
pub async fn list_stores() -> Result<StoreList, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::list(&state.db, &actor, None, None).await
    })
    .await
}

/// `team_id` empty: a store outside any team (`stores.manage` at the org); else
/// `stores.manage` at that team. New stores are on the built-in sandbox platform.
#[server(endpoint = "stores_create")]
pub async fn create_store(name: String, currency: String, team_id: Option<String>) -> Result<StoreView, AppError> {
    super::ctx::run(async move {
        use crate::domain::stores::NewStore;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let input = NewStore { name, currency, team_id, ..Default::default() };
        crate::services::stores::create(&state.db, &state.policy, &actor, input).await
    })
    .await
}

/// Edits name, currency and team (`team_id` empty: no team). `stores.manage` at the store
/// (and at the new team when it moves).
#[server(endpoint = "stores_update")]
pub async fn update_store(
    id: String,
    name: String,
    currency: String,
    team_id: Option<String>,
) -> Result<StoreView, AppError> {
    super::ctx::run(async move {
        use crate::domain::stores::StorePatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = StorePatch {
            name: Some(name),
            currency: Some(currency),
            team_id: Some(team_id.filter(|t| !t.trim().is_empty())),
            ..Default::default()
        };
        crate::services::stores::update(&state.db, &state.policy, &actor, &id, patch).await
    })
    .await
}

/// The kill switch: `paused` true stops every action of the store at once.
#[server(endpoint = "stores_set_paused")]
pub async fn set_store_paused(id: String, paused: bool) -> Result<StoreView, AppError> {
    super::ctx::run(async move {
        use crate::domain::stores::StorePatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = StorePatch { actions_paused: Some(paused), ..Default::default() };
        crate::services::stores::update(&state.db, &state.policy, &actor, &id, patch).await
    })
    .await
}

#[server(endpoint = "stores_delete")]
pub async fn delete_store(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::delete(&state.db, &actor, &id).await
    })
    .await
}
