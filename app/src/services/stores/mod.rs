//! Stores (§2) and what their policy is made of: `catalog`, `permissions` (action settings
//! and limits), `assistants`, and `policy` (compiled for `decide`). This module holds the
//! store records themselves: list (only the stores the actor can see), get, create (with a
//! permission row for every catalog action, snapshotted from the org's effective defaults),
//! update (name,
//! currency, team, the `actions_paused` kill switch, what new assistants get) and delete
//! (its assistants, permissions, limits, counters and store-scoped role assignments with it;
//! refused while API keys act for it).
//!
//! Permissions: seeing a store needs any role reaching it (`Need::View` at the store);
//! creating needs `stores.manage` at the org, or at the team the store goes into; changing
//! or deleting needs `stores.manage` at the store (and at the target team when moving it).
//! Every write appends its audit event and bumps the store's `policy_version` in the same
//! transaction, so compiled policies are never stale.

pub mod assistants;
pub mod catalog;
pub mod permissions;
pub mod policy;

use crate::domain::access::{Need, ScopeRef};
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::Permission;
use crate::domain::roles::Choice;
use crate::domain::stores::{
    check_currency, check_platform, check_store_name, normalize_currency, NewStore, StoreList, StorePatch, StoreView,
    DEFAULT_PLATFORM,
};
use crate::domain::AppError;
use crate::entities::{action_limit, action_permission, api_key, assistant, store, team, usage_counter};
use crate::services::access::assignments::end_assignments_at;
use crate::services::access::authz::{authorize, authorize_at_store, authorize_somewhere, can_at_store};
use crate::services::access::lookup::{self, find_store, team_paths};
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, rfc3339 as time, WriteConn};
use crate::services::stores::catalog::Catalog;
use crate::services::stores::policy::{action_ids, resolve_permission, PolicyCache};
use crate::services::Actor;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::{json, Map, Value};
use std::collections::{HashMap, HashSet};

/// The same, read with a row lock (PostgreSQL) inside a write transaction.
async fn lock_store<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<store::Model, AppError> {
    store::Entity::find_by_id(id.to_string())
        .filter(store::Column::OrgId.eq(org_id))
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Store"))
}

fn with_field(e: AppError, field: &str) -> AppError {
    AppError { fields: vec![FieldError { field: field.into(), message: e.message.clone() }], ..e }
}

/// Trims, drops empties and duplicates, checks every id is a catalog action (422 on `field`
/// naming the unknown ones) and returns them in the catalog's display order.
pub fn normalize_action_ids(catalog: &Catalog, ids: &[String], field: &str) -> Result<Vec<String>, AppError> {
    let mut seen = HashSet::new();
    let wanted: Vec<String> =
        ids.iter().map(|s| s.trim().to_string()).filter(|s| !s.is_empty() && seen.insert(s.clone())).collect();
    let unknown = catalog.unknown(wanted.iter());
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|u| format!("\"{u}\"")).collect();
        return Err(AppError::invalid_fields(vec![FieldError {
            field: field.into(),
            message: format!(
                "Not in the action catalog: {}. Use the ids of GET /api/v1/actions/catalog.",
                names.join(", ")
            ),
        }]));
    }
    Ok(in_catalog_order(catalog, wanted))
}

/// `ids` sorted the way the catalog is shown (category, risk, name); ids no longer in the
/// catalog go last, in their own order.
pub fn in_catalog_order(catalog: &Catalog, ids: impl IntoIterator<Item = String>) -> Vec<String> {
    let rank: HashMap<String, usize> = catalog.ordered().iter().enumerate().map(|(i, d)| (d.id.clone(), i)).collect();
    let mut v: Vec<String> = ids.into_iter().collect();
    v.sort_by_key(|id| rank.get(id).copied().unwrap_or(usize::MAX));
    v
}

/// A stored JSON list of action ids, in catalog order.
fn stored_ids(json: &str) -> Vec<String> {
    serde_json::from_str::<Vec<String>>(json).unwrap_or_default()
}

/// The store's fields in audit events.
fn snapshot(s: &store::Model) -> Value {
    json!({
        "id": s.id, "name": s.name, "platform": s.platform, "currency": s.currency, "team_id": s.team_id,
        "actions_paused": s.actions_paused, "default_allowed_actions": stored_ids(&s.default_allowed_actions),
    })
}

/// Number of assistants per store of the org.
async fn assistant_counts<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, u64>, AppError> {
    let store_ids: Vec<String> = assistant::Entity::find()
        .select_only()
        .column(assistant::Column::StoreId)
        .filter(assistant::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(conn)
        .await?;
    let mut out = HashMap::new();
    for s in store_ids {
        *out.entry(s).or_insert(0) += 1;
    }
    Ok(out)
}

pub(crate) fn view(
    s: &store::Model,
    paths: &HashMap<String, String>,
    counts: &HashMap<String, u64>,
    actor: &Actor,
) -> StoreView {
    StoreView {
        id: s.id.clone(),
        name: s.name.clone(),
        platform: s.platform.clone(),
        currency: s.currency.clone(),
        team_id: s.team_id.clone(),
        team_path: s.team_id.as_ref().map(|t| paths.get(t).cloned().unwrap_or_else(|| "(deleted team)".into())),
        actions_paused: s.actions_paused,
        default_allowed_actions: stored_ids(&s.default_allowed_actions),
        assistant_count: counts.get(&s.id).copied().unwrap_or(0),
        can_manage: can_at_store(actor, Permission::StoresManage, s),
        can_manage_permissions: can_at_store(actor, Permission::PermissionsManage, s),
        created_at: time(&s.created_at),
        updated_at: time(&s.updated_at),
    }
}

/// The view of one store, read inside `conn` (a transaction sees its own writes).
pub(crate) async fn load_view<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    s: &store::Model,
) -> Result<StoreView, AppError> {
    let paths = if s.team_id.is_some() { team_paths(conn, &actor.org_id).await? } else { HashMap::new() };
    let counts = assistant_counts(conn, &actor.org_id).await?;
    Ok(view(s, &paths, &counts, actor))
}

/// The stores the actor can see, ordered by id (creation order), `limit` at a time after
/// `cursor` (None: all of them).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<StoreList, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let rows = store::Entity::find()
        .filter(store::Column::OrgId.eq(actor.org_id.as_str()))
        .order_by_asc(store::Column::Id)
        .all(db)
        .await?;
    let visible: Vec<&store::Model> = rows
        .iter()
        .filter(|s| can_at_store(actor, Need::View, s))
        .filter(|s| cursor.map(str::trim).filter(|c| !c.is_empty()).is_none_or(|c| s.id.as_str() > c))
        .collect();
    let (page, next_cursor) = match limit {
        Some(n) if visible.len() as u64 > n => {
            let page: Vec<&store::Model> = visible.into_iter().take(n as usize).collect();
            let next = page.last().map(|s| s.id.clone());
            (page, next)
        }
        _ => (visible, None),
    };
    let paths = team_paths(db, &actor.org_id).await?;
    let counts = assistant_counts(db, &actor.org_id).await?;
    let mut team_choices: Vec<Choice> = paths
        .iter()
        .filter(|(id, _)| {
            crate::services::access::authz::can(actor, Permission::StoresManage, &ScopeRef::Team((*id).clone()))
        })
        .map(|(id, path)| Choice { value: id.clone(), label: path.clone() })
        .collect();
    team_choices.sort_by_key(|c| c.label.to_lowercase());
    Ok(StoreList {
        stores: page.into_iter().map(|s| view(s, &paths, &counts, actor)).collect(),
        can_create_without_team: crate::services::access::authz::can(actor, Permission::StoresManage, &ScopeRef::Org),
        team_choices,
        next_cursor,
    })
}

/// One store (View at the store).
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<StoreView, AppError> {
    let s = find_store(db, &actor.org_id, id).await?;
    authorize_at_store(actor, Need::View, &s)?;
    load_view(db, actor, &s).await
}

fn blank_to_none(id: Option<String>) -> Option<String> {
    id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty())
}

fn team_scope(team: Option<&str>) -> ScopeRef {
    match team {
        Some(t) => ScopeRef::Team(t.to_string()),
        None => ScopeRef::Org,
    }
}

/// The org's own defaults for new stores (`action_permissions` rows at org scope), by action.
async fn org_default_rows<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
) -> Result<HashMap<String, action_permission::Model>, AppError> {
    Ok(action_permission::Entity::find()
        .filter(action_permission::Column::OrgId.eq(org_id))
        .filter(action_permission::Column::ScopeType.eq("org"))
        .filter(action_permission::Column::ScopeId.eq(org_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.action_type.clone(), r))
        .collect())
}

/// Creates a store. Its permissions start as the org's effective defaults for every catalog
/// action (the org's own rows where set, else the catalog's built-in defaults), copied into
/// rows of the store so later changes of the org defaults never change an existing store.
pub async fn create(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    input: NewStore,
) -> Result<StoreView, AppError> {
    let team_id = blank_to_none(input.team_id);
    if let Some(t) = &team_id {
        find_team(db, &actor.org_id, t).await?;
    }
    authorize(actor, Permission::StoresManage, &team_scope(team_id.as_deref()))?;
    let platform = input.platform.as_deref().map(str::trim).filter(|p| !p.is_empty()).unwrap_or(DEFAULT_PLATFORM);
    Validator::new()
        .add("name", check_store_name(&input.name))
        .add("currency", check_currency(&input.currency))
        .add("platform", check_platform(platform))
        .finish()?;
    let catalog = cache.catalog(db).await?;
    let defaults = match &input.default_allowed_actions {
        Some(ids) => normalize_action_ids(&catalog, ids, "default_allowed_actions")?,
        None => in_catalog_order(&catalog, catalog.defs.values().filter(|d| d.default_enabled).map(|d| d.id.clone())),
    };

    let tx = begin_write(db).await?;
    if let Some(t) = &team_id {
        find_team(&tx, &actor.org_id, t).await?;
    }
    let at = now();
    let created = store::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        team_id: Set(team_id),
        name: Set(input.name.trim().to_string()),
        platform: Set(platform.to_string()),
        currency: Set(normalize_currency(&input.currency)),
        actions_paused: Set(false),
        default_allowed_actions: Set(json!(defaults).to_string()),
        policy_version: Set(1),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;

    let org_rows = org_default_rows(&tx, &actor.org_id).await?;
    let mut rows = Vec::new();
    let mut permissions = Map::new();
    for def in catalog.ordered() {
        let p = resolve_permission(&def, None, org_rows.get(&def.id));
        permissions.insert(
            def.id.clone(),
            json!({"enabled": p.enabled, "requires_confirmation": p.requires_confirmation,
                   "confirmation_by": p.confirmation_by.as_str(), "from": p.source}),
        );
        rows.push(action_permission::ActiveModel {
            id: Set(new_id()),
            org_id: Set(actor.org_id.clone()),
            scope_type: Set("store".into()),
            scope_id: Set(created.id.clone()),
            action_type: Set(def.id.clone()),
            enabled: Set(p.enabled),
            requires_confirmation: Set(p.requires_confirmation),
            confirmation_by: Set(p.confirmation_by.as_str().to_string()),
            updated_at: Set(at),
        });
    }
    if !rows.is_empty() {
        action_permission::Entity::insert_many(rows).exec(&tx).await?;
    }
    let mut after = snapshot(&created);
    after["permissions"] = Value::Object(permissions);
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("store.created", "store", Some(&created.id)).after(after),
    )
    .await?;
    policy::bump_store(&tx, &created.id).await?;
    let fresh = find_store(&tx, &actor.org_id, &created.id).await?;
    let out = load_view(&tx, actor, &fresh).await?;
    tx.commit().await?;
    Ok(out)
}

/// Changes a store (PATCH semantics). Pausing and resuming are recorded as their own events
/// (`store.paused`, `store.resumed`); the other fields as `store.updated`.
pub async fn update(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    patch: StorePatch,
) -> Result<StoreView, AppError> {
    let current = find_store(db, &actor.org_id, id).await?;
    authorize_at_store(actor, Permission::StoresManage, &current)?;
    let new_team = patch.team_id.map(blank_to_none);
    if let Some(Some(t)) = &new_team {
        find_team(db, &actor.org_id, t).await?;
    }
    if let Some(t) = &new_team {
        if *t != current.team_id {
            authorize(actor, Permission::StoresManage, &team_scope(t.as_deref()))?;
        }
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.add("name", check_store_name(name));
    }
    if let Some(c) = &patch.currency {
        v.add("currency", check_currency(c));
    }
    v.finish()?;
    let defaults = match &patch.default_allowed_actions {
        Some(ids) => {
            let catalog = cache.catalog(db).await?;
            Some(normalize_action_ids(&catalog, ids, "default_allowed_actions")?)
        }
        None => None,
    };

    let tx = begin_write(db).await?;
    let before = lock_store(&tx, &actor.org_id, &current.id).await?;
    if let Some(Some(t)) = &new_team {
        find_team(&tx, &actor.org_id, t).await?;
    }
    // The store with every change but the kill switch, then with it.
    let mut edited = before.clone();
    if let Some(name) = &patch.name {
        edited.name = name.trim().to_string();
    }
    if let Some(c) = &patch.currency {
        edited.currency = normalize_currency(c);
    }
    if let Some(t) = &new_team {
        edited.team_id = t.clone();
    }
    if let Some(d) = &defaults {
        edited.default_allowed_actions = json!(d).to_string();
    }
    let mut paused = edited.clone();
    if let Some(p) = patch.actions_paused {
        paused.actions_paused = p;
    }
    let fields_changed = snapshot(&edited) != snapshot(&before);
    let pause_changed = paused.actions_paused != before.actions_paused;
    if !fields_changed && !pause_changed {
        let out = load_view(&tx, actor, &before).await?;
        tx.commit().await?;
        return Ok(out);
    }
    let mut am: store::ActiveModel = before.clone().into();
    am.name = Set(paused.name.clone());
    am.currency = Set(paused.currency.clone());
    am.team_id = Set(paused.team_id.clone());
    am.default_allowed_actions = Set(paused.default_allowed_actions.clone());
    am.actions_paused = Set(paused.actions_paused);
    am.updated_at = Set(now());
    am.update(&tx).await?;
    let by = actor.audit_actor();
    if fields_changed {
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new("store.updated", "store", Some(&before.id))
                .before(snapshot(&before))
                .after(snapshot(&edited)),
        )
        .await?;
    }
    if pause_changed {
        let action = if paused.actions_paused { "store.paused" } else { "store.resumed" };
        audit::append(
            &tx,
            &actor.org_id,
            &by,
            &actor.meta,
            NewEvent::new(action, "store", Some(&before.id)).before(snapshot(&edited)).after(snapshot(&paused)),
        )
        .await?;
    }
    policy::bump_store(&tx, &before.id).await?;
    let fresh = find_store(&tx, &actor.org_id, &before.id).await?;
    let out = load_view(&tx, actor, &fresh).await?;
    tx.commit().await?;
    Ok(out)
}

/// Moves the org's stores of `team_id` to `dest` (another team, or none) inside the caller's
/// transaction, each recorded as `store.updated` with its policy version bumped. Used when a
/// team is deleted; the caller has checked it may.
pub(crate) async fn move_team_stores<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    team_id: &str,
    dest: Option<&str>,
) -> Result<Vec<String>, AppError> {
    let stores = store::Entity::find()
        .filter(store::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(store::Column::TeamId.eq(team_id))
        .all(conn)
        .await?;
    let mut moved = Vec::new();
    for before in stores {
        let mut am: store::ActiveModel = before.clone().into();
        am.team_id = Set(dest.map(str::to_string));
        am.updated_at = Set(now());
        let after = am.update(conn).await?;
        let mut after_snapshot = snapshot(&after);
        after_snapshot["reason"] = json!("team deleted");
        audit::append(
            conn,
            &actor.org_id,
            &actor.audit_actor(),
            &actor.meta,
            NewEvent::new("store.updated", "store", Some(&before.id)).before(snapshot(&before)).after(after_snapshot),
        )
        .await?;
        policy::bump_store(conn, &before.id).await?;
        moved.push(before.id);
    }
    Ok(moved)
}

/// Number of the org's stores in `team_id`.
pub(crate) async fn count_in_team<C: ConnectionTrait>(conn: &C, org_id: &str, team_id: &str) -> Result<u64, AppError> {
    use sea_orm::PaginatorTrait;
    store::Entity::find()
        .filter(store::Column::OrgId.eq(org_id))
        .filter(store::Column::TeamId.eq(team_id))
        .count(conn)
        .await
        .map_err(AppError::from)
}

/// API keys still acting for the store: agent keys bound to it and management keys at its
/// scope, neither revoked nor expired.
async fn active_keys<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: &str,
) -> Result<Vec<api_key::Model>, AppError> {
    let at = now();
    Ok(api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(Condition::any().add(api_key::Column::StoreId.eq(store_id)).add(
            Condition::all().add(api_key::Column::ScopeType.eq("store")).add(api_key::Column::ScopeId.eq(store_id)),
        ))
        .filter(api_key::Column::RevokedAt.is_null())
        .all(conn)
        .await?
        .into_iter()
        .filter(|k| k.expires_at.is_none_or(|e| e > at))
        .collect())
}

/// Deletes a store with its assistants, permissions, limits, usage counters and the role
/// assignments at it (each recorded). Refused with CONFLICT while API keys act for it.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    let current = find_store(db, &actor.org_id, id).await?;
    authorize_at_store(actor, Permission::StoresManage, &current)?;

    let tx = begin_write(db).await?;
    let before = lock_store(&tx, &actor.org_id, &current.id).await?;
    let keys = active_keys(&tx, &actor.org_id, &before.id).await?;
    if !keys.is_empty() {
        let names: Vec<String> = keys.iter().map(|k| format!("\"{}\"", k.name)).collect();
        return Err(AppError::conflict(format!(
            "\"{}\" can't be deleted while API keys act for it: {}. Revoke them first.",
            before.name,
            names.join(", ")
        )));
    }
    let by = actor.audit_actor();
    let assistants = assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(assistant::Column::StoreId.eq(before.id.as_str()))
        .all(&tx)
        .await?;
    let assistant_ids: Vec<String> = assistants.iter().map(|a| a.id.clone()).collect();
    action_limit::Entity::delete_many()
        .filter(action_limit::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(
            Condition::any().add(action_limit::Column::StoreId.eq(before.id.as_str())).add(
                Condition::all()
                    .add(action_limit::Column::ScopeType.eq("assistant"))
                    .add(action_limit::Column::ScopeId.is_in(assistant_ids.clone())),
            ),
        )
        .exec(&tx)
        .await?;
    action_permission::Entity::delete_many()
        .filter(action_permission::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(action_permission::Column::ScopeType.eq("store"))
        .filter(action_permission::Column::ScopeId.eq(before.id.as_str()))
        .exec(&tx)
        .await?;
    usage_counter::Entity::delete_many()
        .filter(usage_counter::Column::StoreId.eq(before.id.as_str()))
        .exec(&tx)
        .await?;
    assistant::Entity::delete_many()
        .filter(assistant::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(assistant::Column::StoreId.eq(before.id.as_str()))
        .exec(&tx)
        .await?;
    // Assignments at the store end with it; each is recorded.
    end_assignments_at(&tx, actor, &ScopeRef::Store(before.id.clone()), "store deleted").await?;
    store::Entity::delete_by_id(before.id.clone()).exec(&tx).await?;
    let mut gone = snapshot(&before);
    gone["assistants"] = json!(assistants
        .iter()
        .map(|a| json!({"id": a.id, "name": a.name, "allowed_actions": action_ids(&a.allowed_actions)}))
        .collect::<Vec<_>>());
    // No policy version to bump: the row is gone, and every read of the store answers NOT_FOUND.
    audit::append(
        &tx,
        &actor.org_id,
        &by,
        &actor.meta,
        NewEvent::new("store.deleted", "store", Some(&before.id)).before(gone),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The store's team, or NOT_FOUND on `team_id` (also for another org's team).
async fn find_team<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<team::Model, AppError> {
    lookup::team(conn, org_id, id).await?.ok_or_else(|| with_field(AppError::not_found("Team"), "team_id"))
}
