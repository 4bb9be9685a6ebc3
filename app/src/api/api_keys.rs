//! Server functions of `/org/api-keys` (api_keys.manage at the org).

use crate::domain::api_keys::{ApiKeyList, ApiKeyOptions, ApiKeyView, CreatedApiKey};
use crate::domain::AppError;
use leptos::prelude::*;

#[server(endpoint = "api_keys_list")]
pub async fn list_api_keys(cursor: Option<String>) -> Result<ApiKeyList, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::access::api_keys::list(&state.db, &actor, cursor.as_deref(), None).await
    })
    .await
}

#[server(endpoint = "api_keys_options")]
pub async fn get_api_key_options() -> Result<ApiKeyOptions, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::access::api_keys::options(&state.db, &actor).await
    })
    .await
}

/// Creates a management key. `scope` is `org` or `team:<id>`; `expires_at` an optional
/// `YYYY-MM-DD`. The secret in the answer is shown once.
#[server(endpoint = "api_keys_create")]
pub async fn create_api_key(
    name: String,
    role_id: String,
    scope: String,
    expires_at: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    super::ctx::run(async move {
        use crate::services::access::api_keys::{create, NewApiKey};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let (scope_type, scope_id) = match scope.split_once(':') {
            Some((kind, id)) => (kind.to_string(), Some(id.to_string())),
            None => (scope.clone(), None),
        };
        create(&state.db, &actor, NewApiKey { name, role_id, scope_type, scope_id, expires_at }).await
    })
    .await
}

#[server(endpoint = "api_keys_revoke")]
pub async fn revoke_api_key(id: String) -> Result<ApiKeyView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::access::api_keys::revoke(&state.db, &actor, &id).await
    })
    .await
}
