//! Server functions of `/org/secrets`, the secrets vault (write-only: nothing here returns a
//! value). `secrets.manage` at a secret's place; a person always manages their own.

use crate::domain::secrets::{SecretInput, SecretPatch, SecretView, SecretsPage};
use crate::domain::AppError;
use leptos::prelude::*;

#[server(endpoint = "secrets_page")]
pub async fn load_vault() -> Result<SecretsPage, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::vault::page(&state.db, &actor).await
    })
    .await
}

/// Sets a secret. `place` is `org`, `team:<id>` or `user:<id>`.
#[server(endpoint = "secrets_set")]
pub async fn set_secret(
    place: String,
    name: String,
    description: Option<String>,
    value: String,
) -> Result<SecretView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let (scope_type, scope_id) = match place.split_once(':') {
            Some((kind, id)) => (kind.to_string(), Some(id.to_string())),
            None => (place.clone(), None),
        };
        let input = SecretInput { scope_type: Some(scope_type), scope_id, name, description, value };
        crate::services::vault::put(&state.db, &state.secret_key, &actor, input).await.map(|(view, _)| view)
    })
    .await
}

/// Gives a secret a new value (and description, when one is sent).
#[server(endpoint = "secrets_replace")]
pub async fn replace_secret(id: String, value: String, description: Option<String>) -> Result<SecretView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = SecretPatch { value: Some(value), description };
        crate::services::vault::update(&state.db, &state.secret_key, &actor, &id, patch).await
    })
    .await
}

#[server(endpoint = "secrets_delete")]
pub async fn delete_secret(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::vault::delete(&state.db, &actor, &id).await
    })
    .await
}
