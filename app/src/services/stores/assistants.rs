//! Assistants of a store: list, get, create (allowed actions default to the store's
//! `default_allowed_actions`), rename / describe / disable, delete, the allowed actions, and
//! the tool definitions an assistant may call right now (allowed ∧ enabled for the store ∧
//! store not paused ∧ assistant active — `StorePolicy::callable_by`).
//!
//! Permissions: reading needs View at the store, or an agent key bound to the store (and, if
//! bound to an assistant, to that one); create / update / delete need `stores.manage` at the
//! store; allowed actions need `permissions.manage` there. Every write appends its audit
//! event and bumps the store's `policy_version` in the same transaction.

use crate::domain::access::Need;
use crate::domain::assistants::{
    check_assistant_name, check_description, check_status, mcp_tools, openai_function_name, openai_tools, ActionChoice,
    AssistantList, AssistantPatch, AssistantView, BlockedTool, NewAssistant, StoreAssistants, ToolFormat, ToolName,
    ToolPreview, STATUS_ACTIVE,
};
use crate::domain::catalog::ActionDef;
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::{action_limit, api_key, assistant, store};
use crate::services::access::authz::{authorize_agent_or, authorize_at_store, can_at_store};
use crate::services::access::lookup::{find_assistant, find_store};
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, rfc3339 as time, WriteConn};
use crate::services::stores::catalog::Catalog;
use crate::services::stores::policy::{self, PolicyCache};
use crate::services::stores::{in_catalog_order, load_view, normalize_action_ids};
use crate::services::Actor;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};

fn allowed_of(a: &assistant::Model) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(&a.allowed_actions).unwrap_or_default()
}

fn snapshot(a: &assistant::Model) -> Value {
    json!({
        "id": a.id, "store_id": a.store_id, "name": a.name, "description": a.description, "status": a.status,
        "allowed_actions": allowed_of(a),
    })
}

fn view(a: &assistant::Model, s: &store::Model, actor: &Actor) -> AssistantView {
    AssistantView {
        id: a.id.clone(),
        store_id: a.store_id.clone(),
        name: a.name.clone(),
        description: a.description.clone(),
        status: a.status.clone(),
        allowed_actions: allowed_of(a),
        can_manage: actor.agent.is_none() && can_at_store(actor, Permission::StoresManage, s),
        can_manage_actions: actor.agent.is_none() && can_at_store(actor, Permission::PermissionsManage, s),
        created_at: time(&a.created_at),
        updated_at: time(&a.updated_at),
    }
}

/// Reading at a store: View there, or an agent key bound to it (and to `assistant`, if the
/// key is bound to one).
fn authorize_read(actor: &Actor, s: &store::Model, assistant: Option<&str>) -> Result<(), AppError> {
    if actor.agent.is_some() {
        return authorize_agent_or(actor, Need::View, &s.id, assistant);
    }
    authorize_at_store(actor, Need::View, s)
}

/// The assistant and its store, both of the actor's org.
async fn load<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    id: &str,
) -> Result<(assistant::Model, store::Model), AppError> {
    let a = find_assistant(conn, &actor.org_id, id).await?;
    let s = find_store(conn, &actor.org_id, &a.store_id).await?;
    Ok((a, s))
}

async fn store_assistants<C: ConnectionTrait>(conn: &C, s: &store::Model) -> Result<Vec<assistant::Model>, AppError> {
    assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(s.org_id.as_str()))
        .filter(assistant::Column::StoreId.eq(s.id.as_str()))
        .order_by_asc(assistant::Column::Id)
        .all(conn)
        .await
        .map_err(AppError::from)
}

/// The store's assistants, ordered by id (creation order), `limit` at a time after `cursor`.
/// An agent key bound to one assistant sees only that one.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: &str,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<AssistantList, AppError> {
    let s = find_store(db, &actor.org_id, store_id).await.map_err(|e| with_field(e, "store_id"))?;
    authorize_read(actor, &s, None)?;
    let bound = actor.agent.as_ref().and_then(|b| b.assistant_id.clone());
    let rows: Vec<assistant::Model> = store_assistants(db, &s)
        .await?
        .into_iter()
        .filter(|a| bound.as_ref().is_none_or(|b| *b == a.id))
        .filter(|a| cursor.map(str::trim).filter(|c| !c.is_empty()).is_none_or(|c| a.id.as_str() > c))
        .collect();
    let (page, next_cursor) = match limit {
        Some(n) if rows.len() as u64 > n => {
            let page: Vec<assistant::Model> = rows.into_iter().take(n as usize).collect();
            let next = page.last().map(|a| a.id.clone());
            (page, next)
        }
        _ => (rows, None),
    };
    Ok(AssistantList { assistants: page.iter().map(|a| view(a, &s, actor)).collect(), next_cursor })
}

/// One assistant.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<AssistantView, AppError> {
    let (a, s) = load(db, actor, id).await?;
    authorize_read(actor, &s, Some(&a.id))?;
    Ok(view(&a, &s, actor))
}

fn with_field(e: AppError, field: &str) -> AppError {
    AppError { fields: vec![FieldError { field: field.into(), message: e.message.clone() }], ..e }
}

/// Creates an assistant at a store (`stores.manage` there).
pub async fn create(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    input: NewAssistant,
) -> Result<AssistantView, AppError> {
    if input.store_id.trim().is_empty() {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "store_id".into(),
            message: "Say which store the assistant works for (store_id).".into(),
        }]));
    }
    let s = find_store(db, &actor.org_id, &input.store_id).await.map_err(|e| with_field(e, "store_id"))?;
    authorize_at_store(actor, Permission::StoresManage, &s)?;
    let description = input.description.as_deref().map(str::trim).unwrap_or("").to_string();
    Validator::new()
        .add("name", check_assistant_name(&input.name))
        .add("description", check_description(&description))
        .finish()?;
    let catalog = cache.catalog(db).await?;
    let allowed = match &input.allowed_actions {
        Some(ids) => normalize_action_ids(&catalog, ids, "allowed_actions")?,
        None => in_catalog_order(
            &catalog,
            allowed_json(&s.default_allowed_actions).into_iter().filter(|id| catalog.contains(id)),
        ),
    };

    let tx = begin_write(db).await?;
    let s = find_store(&tx, &actor.org_id, &s.id).await?;
    let at = now();
    let created = assistant::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        store_id: Set(s.id.clone()),
        name: Set(input.name.trim().to_string()),
        description: Set(description),
        allowed_actions: Set(json!(allowed).to_string()),
        status: Set(STATUS_ACTIVE.to_string()),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("assistant.created", "assistant", Some(&created.id)).after(snapshot(&created)),
    )
    .await?;
    policy::bump_store(&tx, &s.id).await?;
    tx.commit().await?;
    Ok(view(&created, &s, actor))
}

fn allowed_json(json: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default()
}

/// Renames, describes, disables or enables an assistant (`stores.manage` at its store).
pub async fn update(
    db: &impl WriteConn,
    actor: &Actor,
    id: &str,
    patch: AssistantPatch,
) -> Result<AssistantView, AppError> {
    let (current, s) = load(db, actor, id).await?;
    authorize_at_store(actor, Permission::StoresManage, &s)?;
    let mut v = Validator::new();
    if let Some(n) = &patch.name {
        v.add("name", check_assistant_name(n));
    }
    if let Some(d) = &patch.description {
        v.add("description", check_description(d));
    }
    if let Some(st) = &patch.status {
        v.add("status", check_status(st));
    }
    v.finish()?;

    let tx = begin_write(db).await?;
    let before = find_assistant(&tx, &actor.org_id, &current.id).await?;
    let mut after = before.clone();
    if let Some(n) = &patch.name {
        after.name = n.trim().to_string();
    }
    if let Some(d) = &patch.description {
        after.description = d.trim().to_string();
    }
    if let Some(st) = &patch.status {
        after.status = st.trim().to_string();
    }
    if snapshot(&after) == snapshot(&before) {
        tx.commit().await?;
        return Ok(view(&before, &s, actor));
    }
    let mut am: assistant::ActiveModel = before.clone().into();
    am.name = Set(after.name.clone());
    am.description = Set(after.description.clone());
    am.status = Set(after.status.clone());
    am.updated_at = Set(now());
    let saved = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("assistant.updated", "assistant", Some(&before.id))
            .before(snapshot(&before))
            .after(snapshot(&saved)),
    )
    .await?;
    policy::bump_store(&tx, &s.id).await?;
    tx.commit().await?;
    Ok(view(&saved, &s, actor))
}

/// Deletes an assistant and its own limits (`stores.manage` at its store). Refused with
/// CONFLICT while agent keys act as it.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    let (current, s) = load(db, actor, id).await?;
    authorize_at_store(actor, Permission::StoresManage, &s)?;

    let tx = begin_write(db).await?;
    let before = find_assistant(&tx, &actor.org_id, &current.id).await?;
    let at = now();
    let keys: Vec<api_key::Model> = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(api_key::Column::AssistantId.eq(before.id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(&tx)
        .await?
        .into_iter()
        .filter(|k| k.expires_at.is_none_or(|e| e > at))
        .collect();
    if !keys.is_empty() {
        let names: Vec<String> = keys.iter().map(|k| format!("\"{}\"", k.name)).collect();
        return Err(AppError::conflict(format!(
            "\"{}\" can't be deleted while agent keys act as it: {}. Revoke them first.",
            before.name,
            names.join(", ")
        )));
    }
    action_limit::Entity::delete_many()
        .filter(action_limit::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(action_limit::Column::ScopeType.eq("assistant"))
        .filter(action_limit::Column::ScopeId.eq(before.id.as_str()))
        .exec(&tx)
        .await?;
    assistant::Entity::delete_by_id(before.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("assistant.deleted", "assistant", Some(&before.id)).before(snapshot(&before)),
    )
    .await?;
    policy::bump_store(&tx, &s.id).await?;
    tx.commit().await?;
    Ok(())
}

/// Replaces what the assistant may call (`permissions.manage` at its store). Unknown ids
/// answer 422 on `allowed_actions` naming them; duplicates are dropped; the list is kept in
/// catalog order.
pub async fn set_allowed_actions(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    allowed_actions: Vec<String>,
) -> Result<AssistantView, AppError> {
    let (current, s) = load(db, actor, id).await?;
    authorize_at_store(actor, Permission::PermissionsManage, &s)?;
    let catalog = cache.catalog(db).await?;
    let allowed = normalize_action_ids(&catalog, &allowed_actions, "allowed_actions")?;

    let tx = begin_write(db).await?;
    let before = find_assistant(&tx, &actor.org_id, &current.id).await?;
    let old = allowed_of(&before);
    if old == allowed {
        tx.commit().await?;
        return Ok(view(&before, &s, actor));
    }
    let mut am: assistant::ActiveModel = before.clone().into();
    am.allowed_actions = Set(json!(allowed).to_string());
    am.updated_at = Set(now());
    let saved = am.update(&tx).await?;
    let added: Vec<&String> = allowed.iter().filter(|a| !old.contains(a)).collect();
    let removed: Vec<&String> = old.iter().filter(|a| !allowed.contains(a)).collect();
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("assistant.allowed_actions_changed", "assistant", Some(&before.id))
            .before(json!({"id": before.id, "store_id": before.store_id, "allowed_actions": old}))
            .after(json!({
                "id": before.id, "store_id": before.store_id, "allowed_actions": allowed,
                "added": added, "removed": removed,
            })),
    )
    .await?;
    policy::bump_store(&tx, &s.id).await?;
    tx.commit().await?;
    Ok(view(&saved, &s, actor))
}

/// The catalog definitions the assistant may call now, in catalog order.
async fn callable_defs<C: ConnectionTrait>(
    db: &C,
    cache: &PolicyCache,
    s: &store::Model,
    assistant_id: &str,
) -> Result<(std::sync::Arc<Catalog>, Vec<std::sync::Arc<ActionDef>>), AppError> {
    let catalog = cache.catalog(db).await?;
    let policy = cache.store_policy(db, s).await?;
    let callable = policy.callable_by(assistant_id);
    let defs = catalog.ordered().into_iter().filter(|d| callable.contains(&d.id)).collect();
    Ok((catalog, defs))
}

/// `GET /assistants/{id}/tools?format=openai|mcp`: tool definitions built from the catalog's
/// input schemas for what the assistant may call now. OpenAI: a `tools` array whose function
/// names have dots replaced by `__` (`x-mandate-action` carries the catalog id); MCP: a
/// `tools/list` result named by catalog id.
pub async fn tools(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    format: Option<&str>,
) -> Result<Value, AppError> {
    let (a, s) = load(db, actor, id).await?;
    authorize_read(actor, &s, Some(&a.id))?;
    let format = ToolFormat::parse(format.unwrap_or("openai")).ok_or_else(|| {
        AppError::invalid_fields(vec![FieldError {
            field: "format".into(),
            message: "Use format=openai or format=mcp.".into(),
        }])
    })?;
    let (_, defs) = callable_defs(db, cache, &s, &a.id).await?;
    let refs: Vec<&ActionDef> = defs.iter().map(|d| d.as_ref()).collect();
    Ok(match format {
        ToolFormat::Openai => openai_tools(&refs),
        ToolFormat::Mcp => mcp_tools(&refs),
    })
}

/// The tools preview of the assistants page: the names the tools endpoint hands out now,
/// and each allowed action that is not callable with the reason.
pub async fn tool_preview(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
) -> Result<ToolPreview, AppError> {
    let (a, s) = load(db, actor, id).await?;
    authorize_read(actor, &s, Some(&a.id))?;
    let (catalog, defs) = callable_defs(db, cache, &s, &a.id).await?;
    let policy = cache.store_policy(db, &s).await?;
    let tools: Vec<ToolName> = defs
        .iter()
        .map(|d| ToolName { id: d.id.clone(), name: d.name.clone(), function_name: openai_function_name(&d.id) })
        .collect();
    let active = a.status == STATUS_ACTIVE;
    let note = if !active {
        Some("This assistant is disabled: it gets no tools, and every check it makes is denied.".to_string())
    } else if s.actions_paused {
        Some("Actions are paused for this store: no assistant gets any tools until they are resumed.".to_string())
    } else {
        None
    };
    let blocked = allowed_of(&a)
        .into_iter()
        .filter(|id| !tools.iter().any(|t| &t.id == id))
        .map(|id| {
            let name = catalog.get(&id).map(|d| d.name.clone()).unwrap_or_else(|| id.clone());
            let reason = if !active {
                "the assistant is disabled".to_string()
            } else if s.actions_paused {
                "actions are paused for this store".to_string()
            } else if !catalog.contains(&id) {
                "no longer in the catalog".to_string()
            } else if !policy.actions.get(&id).is_some_and(|r| r.enabled) {
                "turned off for this store".to_string()
            } else {
                "not callable".to_string()
            };
            BlockedTool { id, name, reason }
        })
        .collect();
    Ok(ToolPreview { assistant_id: a.id, tools, blocked, note })
}

/// Everything `/stores/:id/assistants` shows: the store, its assistants, the catalog with
/// each action's state at the store, and whether the viewer may manage agent keys there.
pub async fn for_store(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    store_id: &str,
) -> Result<StoreAssistants, AppError> {
    let s = find_store(db, &actor.org_id, store_id).await?;
    authorize_at_store(actor, Need::View, &s)?;
    let catalog = cache.catalog(db).await?;
    let policy = cache.store_policy(db, &s).await?;
    let assistants = store_assistants(db, &s).await?.iter().map(|a| view(a, &s, actor)).collect();
    let actions = catalog
        .ordered()
        .iter()
        .map(|d| ActionChoice {
            id: d.id.clone(),
            name: d.name.clone(),
            description: d.description.clone(),
            category: d.category.clone(),
            risk: d.risk,
            enabled_for_store: policy.actions.get(&d.id).is_some_and(|r| r.enabled),
        })
        .collect();
    Ok(StoreAssistants {
        store: load_view(db, actor, &s).await?,
        assistants,
        actions,
        can_manage_keys: can_at_store(actor, Permission::ApiKeysManage, &s),
    })
}
