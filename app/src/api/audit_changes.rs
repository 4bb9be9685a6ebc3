//! Server functions of `/audit/changes`, the change log (audit.read at the org).

use crate::domain::audit::ChainReport;
use crate::domain::changes::EventPage;
use crate::domain::AppError;
use leptos::prelude::*;

/// One page of events, newest first. Filters are the form's text; blank means no filter;
/// `include_sign_ins` adds sign-in events (`auth.*`), left out by default.
#[server(endpoint = "audit_changes")]
pub async fn list_changes(
    entity_type: Option<String>,
    actor: Option<String>,
    from: Option<String>,
    to: Option<String>,
    include_sign_ins: Option<bool>,
    cursor: Option<String>,
) -> Result<EventPage, AppError> {
    super::ctx::run(async move {
        use crate::domain::changes::EventQuery;
        use crate::services::audit::log::{list_events, EventPaging};
        let state = super::ctx::state()?;
        let query = EventQuery {
            entity_type,
            entity_id: None,
            actor,
            from,
            to,
            include_sign_ins: include_sign_ins.unwrap_or(false),
        };
        let actor = super::ctx::actor().await?;
        let filter = query.parse()?;
        list_events(&state.db, &actor, &filter, &EventPaging { cursor, limit: 50 }).await
    })
    .await
}

/// The entity types that occur in the org's trail, for the filter.
#[server(endpoint = "audit_entity_types")]
pub async fn entity_types() -> Result<Vec<String>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::audit::log::entity_types(&state.db, &actor).await
    })
    .await
}

/// The chain's status: intact with N events, or the first broken one.
#[server(endpoint = "audit_chain")]
pub async fn chain_status() -> Result<ChainReport, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::audit::log::verify_for(&state.db, &actor).await
    })
    .await
}
