//! Server functions of `/stores/:id/assistants`: the store's assistants with the catalog,
//! create, edit, disable, delete, allowed actions, the tools preview and the agent keys.

use crate::domain::api_keys::{ApiKeyView, CreatedApiKey};
use crate::domain::assistants::{AssistantView, StoreAssistants, ToolPreview};
use crate::domain::AppError;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The store, its assistants and the catalog with each action's state at the store.
#[server(endpoint = "assistants_for_store")]
pub async fn assistants_for_store(store_id: String) -> Result<StoreAssistants, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::assistants::for_store(&state.db, &state.policy, &actor, &store_id).await
    })
    .await
}

/// A new assistant gets the store's default allowed actions.
#[server(endpoint = "assistants_create")]
pub async fn create_assistant(
    store_id: String,
    name: String,
    description: Option<String>,
) -> Result<AssistantView, AppError> {
    super::ctx::run(async move {
        use crate::domain::assistants::NewAssistant;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let input = NewAssistant { store_id, name, description, allowed_actions: None };
        crate::services::stores::assistants::create(&state.db, &state.policy, &actor, input).await
    })
    .await
}

#[server(endpoint = "assistants_update")]
pub async fn update_assistant(
    id: String,
    name: String,
    description: Option<String>,
) -> Result<AssistantView, AppError> {
    super::ctx::run(async move {
        use crate::domain::assistants::AssistantPatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch =
            AssistantPatch { name: Some(name), description: Some(description.unwrap_or_default()), status: None };
        crate::services::stores::assistants::update(&state.db, &actor, &id, patch).await
    })
    .await
}

/// `status`: `active` or `disabled`.
#[server(endpoint = "assistants_set_status")]
pub async fn set_assistant_status(id: String, status: String) -> Result<AssistantView, AppError> {
    super::ctx::run(async move {
        use crate::domain::assistants::AssistantPatch;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let patch = AssistantPatch { status: Some(status), ..Default::default() };
        crate::services::stores::assistants::update(&state.db, &actor, &id, patch).await
    })
    .await
}

#[server(endpoint = "assistants_delete")]
pub async fn delete_assistant(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::assistants::delete(&state.db, &actor, &id).await
    })
    .await
}

/// Replaces the assistant's allowed actions (catalog ids).
#[server(endpoint = "assistants_set_allowed_actions", input = Json)]
pub async fn set_allowed_actions(id: String, allowed_actions: Vec<String>) -> Result<AssistantView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::assistants::set_allowed_actions(&state.db, &state.policy, &actor, &id, allowed_actions)
            .await
    })
    .await
}

/// The names of the tools the assistant gets now, and allowed actions it cannot call (why).
#[server(endpoint = "assistants_tool_preview")]
pub async fn get_tool_preview(id: String) -> Result<ToolPreview, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::stores::assistants::tool_preview(&state.db, &state.policy, &actor, &id).await
    })
    .await
}

/// The agent keys acting as this assistant (`api_keys.manage` at the store).
#[server(endpoint = "assistant_keys_list")]
pub async fn list_assistant_keys(store_id: String, assistant_id: String) -> Result<Vec<ApiKeyView>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::access::api_keys::list_agent_keys(&state.db, &actor, &store_id, Some(&assistant_id)).await
    })
    .await
}

/// A new agent key acting as this assistant at its store; the secret is in the answer, once.
#[server(endpoint = "assistant_keys_create")]
pub async fn create_assistant_key(
    name: String,
    store_id: String,
    assistant_id: String,
    expires_at: Option<String>,
) -> Result<CreatedApiKey, AppError> {
    super::ctx::run(async move {
        use crate::services::access::api_keys::{create_agent, NewAgentKey};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        create_agent(&state.db, &actor, NewAgentKey { name, store_id, assistant_id: Some(assistant_id), expires_at })
            .await
    })
    .await
}
