//! Server functions of the connector pages (`/stores/:id/connector`, `/org/connector`):
//! read, save and remove a webhook connector. `store_id` empty means the org's connector.
//! `secrets.manage` at the store / the org; the secret is write-only.

use crate::domain::connectors::ConnectorView;
use crate::domain::AppError;
use leptos::prelude::*;

/// The connector's settings (`configured: false` when there is none); never the secret.
#[server(endpoint = "connector_get")]
pub async fn get_connector(store_id: Option<String>) -> Result<ConnectorView, AppError> {
    super::ctx::run(async move {
        use crate::services::gateway::connectors::{get, ConnectorScope};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        get(&state.db, &actor, &ConnectorScope::from_store(store_id.as_deref())).await
    })
    .await
}

/// Creates or changes the connector. An empty secret keeps the stored one (a new
/// connector needs one); empty numbers keep the current values (or the defaults).
#[server(endpoint = "connector_save")]
pub async fn save_connector(
    store_id: Option<String>,
    url: String,
    secret: Option<String>,
    timeout_ms: Option<String>,
    max_attempts: Option<String>,
) -> Result<ConnectorView, AppError> {
    super::ctx::run(async move {
        use crate::domain::connectors::input_from_form;
        use crate::services::gateway::connectors::{set, ConnectorScope};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let input = input_from_form(url, secret, timeout_ms, max_attempts)?;
        let scope = ConnectorScope::from_store(store_id.as_deref());
        set(&state.db, &state.secret_key, &actor, &scope, input).await.map(|(view, _)| view)
    })
    .await
}

/// Removes the connector: its actions then wait for their caller to execute them.
#[server(endpoint = "connector_delete")]
pub async fn delete_connector(store_id: Option<String>) -> Result<(), AppError> {
    super::ctx::run(async move {
        use crate::services::gateway::connectors::{delete, ConnectorScope};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        delete(&state.db, &actor, &ConnectorScope::from_store(store_id.as_deref())).await
    })
    .await
}
