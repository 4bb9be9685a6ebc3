//! Server functions of the store settings page (`/stores/:id/actions`) and the org's action
//! defaults (`/org/defaults`): permissions, org defaults and limits. Each calls one service
//! in `services::stores::permissions`.

use crate::domain::action_settings::{ActionSettings, LimitInput, OrgDefaults, SavedLimit, StorePermissions};
use crate::domain::AppError;
use leptos::prelude::*;
use server_fn::codec::Json;

/// Every catalog action at the store with its settings, their source and its limits.
#[server(endpoint = "permissions_list")]
pub async fn permissions_list(store_id: String) -> Result<StorePermissions, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        crate::services::stores::permissions::list(&state.db, &catalog, &actor, &store_id).await
    })
    .await
}

/// Changes what is given of one action's settings at the store.
#[server(endpoint = "permissions_set")]
pub async fn permissions_set(
    store_id: String,
    action_type: String,
    enabled: Option<bool>,
    requires_confirmation: Option<bool>,
    confirmation_by: Option<String>,
) -> Result<ActionSettings, AppError> {
    super::ctx::run(async move {
        use crate::domain::action_settings::PermissionPatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        let patch = PermissionPatch { enabled, requires_confirmation, confirmation_by };
        crate::services::stores::permissions::set(&state.db, &catalog, &actor, &store_id, &action_type, patch).await
    })
    .await
}

/// The org's defaults for new stores and its org-wide limits.
#[server(endpoint = "permissions_defaults")]
pub async fn permissions_defaults() -> Result<OrgDefaults, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        crate::services::stores::permissions::org_defaults(&state.db, &catalog, &actor).await
    })
    .await
}

/// Changes what is given of one action's org default.
#[server(endpoint = "permissions_set_default")]
pub async fn permissions_set_default(
    action_type: String,
    enabled: Option<bool>,
    requires_confirmation: Option<bool>,
    confirmation_by: Option<String>,
) -> Result<ActionSettings, AppError> {
    super::ctx::run(async move {
        use crate::domain::action_settings::PermissionPatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        let patch = PermissionPatch { enabled, requires_confirmation, confirmation_by };
        crate::services::stores::permissions::set_org_default(&state.db, &catalog, &actor, &action_type, patch).await
    })
    .await
}

/// Creates a limit, or updates the one with the same scope, action, kind, on_exceed and
/// per-customer flag (`scope_type` org | store | assistant, `scope_id` the store or assistant).
#[server(endpoint = "permissions_limit_save", input = Json)]
pub async fn permissions_limit_save(input: LimitInput) -> Result<SavedLimit, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let catalog = state.policy.catalog(&state.db).await?;
        crate::services::stores::permissions::upsert_limit(&state.db, &catalog, &actor, input).await
    })
    .await
}

/// Deletes a limit.
#[server(endpoint = "permissions_limit_delete")]
pub async fn permissions_limit_delete(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::permissions::delete_limit(&state.db, &actor, &id).await
    })
    .await
}
