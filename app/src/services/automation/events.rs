//! Events: `POST /api/v1/events` stores the event (with its idempotency key) and answers at
//! once; the worker runs the matching rules later, so an accepted event survives a crash.
//! `GET /api/v1/events/{id}` shows the event and its runs.
//!
//! Who may post: the agent key of the event's store, or a person or management key with
//! `rules.manage` at the event's store (or the org, for an event of no store). Reading an
//! event needs `audit.read` there (or the store's agent key).
//!
//! Loop protection: an event that names the action that caused it (`caused_by_action_id`,
//! an action of a rule's run) is one level deeper than that run's event; past
//! `MAX_DEPTH` it is stored as `dropped` with the reason, and no rule runs.

use super::authorize_at;
use crate::domain::audit::canonical_json;
use crate::domain::error::{ErrorCode, FieldError};
use crate::domain::permission::Permission;
use crate::domain::rules::{ConditionRecord, EventView, RunView, StepRecord, MAX_DEPTH};
use crate::domain::{triggers, AppError};
use crate::entities::{action, automation_event as event, rule_run};
use crate::services::access::authz::authorize_agent_or;
use crate::services::access::lookup::find_store;
use crate::services::audit::{self, NewEvent};
use crate::services::gateway::actions::Answer;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339};
use crate::services::Actor;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

/// `POST /api/v1/events` body.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventInput {
    #[serde(default)]
    pub trigger_id: String,
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub payload: Value,
    /// The action (of a rule's run) that caused this event, when it did: sets its depth.
    #[serde(default)]
    pub caused_by_action_id: Option<String>,
}

fn field(name: &str, message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: name.into(), message: message.into() }])
}

fn answer(e: &event::Model, replayed: bool) -> Answer {
    Answer { status: 202, body: json!({"event_id": e.id, "status": e.status}), replayed }
}

/// The depth of an event caused by `action_id`: one more than the event of the run that
/// asked for the action (0 for an action no rule asked for).
async fn depth_of<C: ConnectionTrait>(conn: &C, org_id: &str, action_id: &str) -> Result<i32, AppError> {
    let a = action::Entity::find_by_id(action_id.trim().to_string())
        .filter(action::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| field("caused_by_action_id", "No action of this organisation has this id."))?;
    let Some(run_id) = a.rule_run_id else { return Ok(0) };
    let Some(run) = rule_run::Entity::find_by_id(run_id).one(conn).await? else { return Ok(0) };
    let parent = event::Entity::find_by_id(run.event_id).one(conn).await?;
    Ok(parent.map(|p| p.depth + 1).unwrap_or(1))
}

/// Stores an event and answers 202 `{event_id, status}`: `queued` for the worker, or
/// `dropped` when it is too deep in a chain of rule-caused events. The same
/// Idempotency-Key with the same body answers the first event again; with another body 422.
pub async fn accept(
    db: &DatabaseConnection,
    actor: &Actor,
    input: EventInput,
    idempotency_key: Option<&str>,
) -> Result<Answer, AppError> {
    let trigger_id = input.trigger_id.trim().to_string();
    if trigger_id.is_empty() {
        return Err(field("trigger_id", "Say which trigger this event is (trigger_id)."));
    }
    if triggers::find(&trigger_id).is_none() {
        return Err(field("trigger_id", format!("There is no trigger \"{trigger_id}\".")));
    }
    let payload = if input.payload.is_null() { json!({}) } else { input.payload };
    if !payload.is_object() {
        return Err(field("payload", "Send the event's fields as an object."));
    }
    let named = input.store_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty());
    let store_id = named.or_else(|| actor.agent.as_ref().map(|b| b.store_id.clone()));
    if let Some(s) = &store_id {
        find_store(db, &actor.org_id, s).await?;
    }
    match (&actor.agent, &store_id) {
        (Some(_), Some(s)) => authorize_agent_or(actor, Permission::RulesManage, s, None)?,
        _ => authorize_at(actor, Permission::RulesManage, store_id.as_deref())?,
    }
    let key = idempotency_key.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = key {
        crate::domain::actions::check_idempotency_key(k)?;
    }
    let hash = hex::encode(Sha256::digest(
        canonical_json(&json!({
            "trigger_id": trigger_id, "store_id": store_id, "payload": payload,
            "caused_by_action_id": input.caused_by_action_id,
        }))
        .as_bytes(),
    ));
    if let Some(k) = key {
        if let Some(existing) = find_by_key(db, actor, k).await? {
            return replay(&existing, &hash);
        }
    }
    let depth = match input.caused_by_action_id.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => depth_of(db, &actor.org_id, a).await?,
        None => 0,
    };
    let dropped = depth > MAX_DEPTH;
    let at = now();
    let row = event::Model {
        id: new_id(),
        org_id: actor.org_id.clone(),
        store_id: store_id.clone(),
        trigger_id: trigger_id.clone(),
        payload: payload.to_string(),
        depth,
        caused_by_action_id: input.caused_by_action_id.clone().filter(|a| !a.trim().is_empty()),
        only_rule_id: None,
        replay_of_run_id: None,
        status: if dropped { "dropped" } else { "queued" }.into(),
        note: dropped.then(|| {
            format!(
                "Dropped: this event was caused by a chain of {depth} rule actions, and rules follow at most {MAX_DEPTH}, so a rule can't trigger itself forever."
            )
        }),
        idempotency_scope: key.map(|_| actor.id.clone()),
        idempotency_key: key.map(str::to_string),
        request_hash: Some(hash.clone()),
        claimed_by: None,
        claimed_until: None,
        attempts: 0,
        created_at: at,
        processed_at: dropped.then_some(at),
    };
    let tx = begin_write(db).await?;
    let inserted = event::ActiveModel::from(row).insert(&tx).await;
    let e = match (inserted, key) {
        (Ok(e), _) => e,
        (Err(err), Some(k)) if is_unique_violation(&err) => {
            tx.rollback().await?;
            return match find_by_key(db, actor, k).await? {
                Some(existing) => replay(&existing, &hash),
                None => Err(AppError::conflict("An event with this Idempotency-Key is being stored. Retry shortly.")),
            };
        }
        (Err(err), _) => return Err(err.into()),
    };
    let action = if dropped { "automation_event.dropped" } else { "automation_event.received" };
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new(action, "automation_event", Some(&e.id)).after(json!({
            "trigger_id": e.trigger_id, "store_id": e.store_id, "depth": e.depth,
            "caused_by_action_id": e.caused_by_action_id, "status": e.status, "note": e.note,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(answer(&e, false))
}

async fn find_by_key<C: ConnectionTrait>(conn: &C, actor: &Actor, key: &str) -> Result<Option<event::Model>, AppError> {
    Ok(event::Entity::find()
        .filter(event::Column::OrgId.eq(&actor.org_id))
        .filter(event::Column::IdempotencyScope.eq(&actor.id))
        .filter(event::Column::IdempotencyKey.eq(key))
        .one(conn)
        .await?)
}

fn replay(existing: &event::Model, hash: &str) -> Result<Answer, AppError> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(AppError::new(
            ErrorCode::IdempotencyKeyReused,
            "This Idempotency-Key was used for a different event. Use a new key for a new event.",
        ));
    }
    Ok(answer(existing, true))
}

/// The run as the API and pages show it.
pub fn run_view(r: &rule_run::Model, trigger_id: &str) -> RunView {
    RunView {
        id: r.id.clone(),
        event_id: r.event_id.clone(),
        rule_id: r.rule_id.clone(),
        rule_name: r.rule_name.clone(),
        rule_version: r.rule_version,
        store_id: r.store_id.clone(),
        trigger_id: trigger_id.to_string(),
        status: r.status.clone(),
        conditions: serde_json::from_str::<Vec<ConditionRecord>>(&r.conditions).unwrap_or_default(),
        steps: serde_json::from_str::<Vec<StepRecord>>(&r.steps).unwrap_or_default(),
        error: r.error.clone(),
        waiting_action_id: r.waiting_action_id.clone(),
        created_at: rfc3339(&r.created_at),
        finished_at: r.finished_at.as_ref().map(rfc3339),
    }
}

/// One of the org's events, or NOT_FOUND.
pub async fn load<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<event::Model, AppError> {
    event::Entity::find_by_id(id.trim().to_string())
        .filter(event::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Event"))
}

/// The event and its runs: `audit.read` at its store (or the org), or the store's agent key.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<EventView, AppError> {
    let e = load(db, &actor.org_id, id).await?;
    match (&actor.agent, &e.store_id) {
        (Some(_), Some(s)) => authorize_agent_or(actor, Permission::AuditRead, s, None)?,
        _ => authorize_at(actor, Permission::AuditRead, e.store_id.as_deref())?,
    }
    let runs = rule_run::Entity::find()
        .filter(rule_run::Column::OrgId.eq(&actor.org_id))
        .filter(rule_run::Column::EventId.eq(&e.id))
        .all(db)
        .await?;
    Ok(EventView {
        id: e.id.clone(),
        trigger_id: e.trigger_id.clone(),
        store_id: e.store_id.clone(),
        payload: serde_json::from_str(&e.payload).unwrap_or(Value::Null),
        depth: e.depth,
        status: e.status.clone(),
        note: e.note.clone(),
        caused_by_action_id: e.caused_by_action_id.clone(),
        replay_of_run_id: e.replay_of_run_id.clone(),
        created_at: rfc3339(&e.created_at),
        processed_at: e.processed_at.as_ref().map(rfc3339),
        runs: runs.iter().map(|r| run_view(r, &e.trigger_id)).collect(),
    })
}
