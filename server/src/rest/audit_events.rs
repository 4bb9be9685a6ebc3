//! `GET /api/v1/audit/events`: the org's audit events, newest first (DESIGN.md §4). Needs
//! `audit.read` at the org. Thin: calls `app::services::audit::log::list_events`.

use super::auth::ApiActor;
use super::json::{ApiQuery, Paging};
use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::changes::EventQuery;
use app::services::audit::log::{self, EventPaging};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    entity_type: Option<String>,
    entity_id: Option<String>,
    /// An actor's id, or part of their email / key name.
    actor: Option<String>,
    /// `YYYY-MM-DD` or RFC 3339.
    from: Option<String>,
    /// `YYYY-MM-DD` (through that day) or RFC 3339 (inclusive).
    to: Option<String>,
    /// Sign-in events (`auth.*`) are included unless this is `false`.
    include_sign_ins: Option<bool>,
    limit: Option<u64>,
    cursor: Option<String>,
}

/// `GET /audit/events?entity_type=&entity_id=&actor=&from=&to=&include_sign_ins=&limit=&cursor=`
/// → `{items: [event], next_cursor}`; bad dates or cursor → 422 problem+json naming the field.
pub async fn list(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let paging = Paging { limit: q.limit, cursor: q.cursor.clone() };
    let limit = paging.limit()?;
    let filter = EventQuery {
        entity_type: q.entity_type,
        entity_id: q.entity_id,
        actor: q.actor,
        from: q.from,
        to: q.to,
        include_sign_ins: q.include_sign_ins.unwrap_or(true),
    }
    .parse()?;
    let page = log::list_events(&state.app.db, &actor, &filter, &EventPaging { cursor: paging.cursor, limit }).await?;
    Ok(Json(json!({"items": page.events, "next_cursor": page.next_cursor})))
}
