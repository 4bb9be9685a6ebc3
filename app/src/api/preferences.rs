//! Server functions of the preferences sections (`/org/settings` for the org, a team's page,
//! `/account` for oneself). Each calls `services::org::preferences`, which checks the
//! permissions.

use crate::domain::preferences::{PreferencesForm, PreferencesView};
use crate::domain::AppError;
use leptos::prelude::*;
use server_fn::codec::Json;

/// The entity's id, or the viewer's org / the viewer themself when none is given.
#[cfg(feature = "ssr")]
fn entity(actor: &crate::services::Actor, entity_type: &str, entity_id: Option<String>) -> String {
    entity_id.filter(|s| !s.trim().is_empty()).unwrap_or_else(|| match entity_type {
        "org" => actor.org_id.clone(),
        _ => actor.id.clone(),
    })
}

/// An entity's preferences with the choices the form offers.
#[server(endpoint = "preferences_page")]
pub async fn preferences_page(entity_type: String, entity_id: Option<String>) -> Result<PreferencesForm, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let id = entity(&actor, &entity_type, entity_id);
        crate::services::org::preferences::page(&state.db, &actor, &entity_type, &id).await
    })
    .await
}

/// Replaces an entity's own preferences.
#[server(endpoint = "preferences_save", input = Json)]
pub async fn save_preferences(
    entity_type: String,
    entity_id: Option<String>,
    settings: serde_json::Value,
) -> Result<PreferencesView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let id = entity(&actor, &entity_type, entity_id);
        crate::services::org::preferences::put(&state.db, &actor, &entity_type, &id, settings).await
    })
    .await
}

/// The overview's sections in the viewer's order (their own, their team's, the org's or the
/// default); an API key or a failure gets the default order.
#[server(endpoint = "overview_sections")]
pub async fn overview_sections() -> Result<Vec<String>, AppError> {
    super::ctx::run_aux(async move {
        use crate::domain::preferences::{value_of, OVERVIEW_SECTIONS};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let default = || OVERVIEW_SECTIONS.iter().map(|(k, _)| k.to_string()).collect::<Vec<_>>();
        if actor.kind != crate::services::ActorKind::User {
            return Ok(default());
        }
        let eff =
            crate::services::org::preferences::effective(&state.db, &actor.org_id, "user", &actor.id, None).await?;
        Ok(value_of(&eff, "overview_sections")
            .and_then(|v| serde_json::from_value(v.clone()).ok())
            .unwrap_or_else(default))
    })
    .await
}
