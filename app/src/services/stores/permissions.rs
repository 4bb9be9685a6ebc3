//! Per-store action permissions (enabled, confirmation, who confirms), the org's defaults for
//! new stores, and limits at org / store / assistant scope: reading them with where each
//! value comes from, and changing them.
//!
//! Permissions: reading needs View at the store (or an agent key bound to it); changing needs
//! `permissions.manage` at the store. Org defaults and org-wide limits: View / `permissions.manage`
//! at the org. Assistant limits: `permissions.manage` at the assistant's store. Every change is
//! audited with before/after and bumps the compiled policy's version (`policy::bump_store` /
//! `bump_org`) in the same transaction, which also locks the org's audit chain head first so
//! concurrent edits are serialised on PostgreSQL too.
//!
//! Resolution (DESIGN.md §2): store row → org default row → catalog default. Org-scope limits
//! apply to every store live; a store limit with the same key (action, kind, on_exceed,
//! per-customer) replaces the org one there; assistant limits only add to the store's.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::action_settings::{
    limit_types_for, ActionSettings, AssistantRef, LimitInput, LimitScope, LimitView, OrgDefaults, PermissionPatch,
    SavedLimit, Source, StorePermissions, StoreSummary,
};
use crate::domain::catalog::{validate_limit, ActionDef, ConfirmationBy, Level, LimitType, OnExceed};
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::Permission;
use crate::domain::policy::{effective_store_limits, Limit};
use crate::domain::{AppError, ErrorCode};
use crate::entities::{action_limit, action_permission, assistant, store};
use crate::services::access::authz::{authorize, authorize_agent_or, can};
use crate::services::access::authz::{authorize_at_store, can_at_store};
use crate::services::access::lookup::{find_assistant, find_store};
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339, WriteConn};
use crate::services::stores::catalog::Catalog;
use crate::services::stores::policy::{self, limit_of, resolve_permission};
use crate::services::Actor;
use rust_decimal::Decimal;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, Set,
};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::str::FromStr;

/// The largest limit value accepted (the catalog's amounts stay below 10^15 too).
const MAX_LIMIT_VALUE: i64 = 1_000_000_000_000_000;

// ---------------------------------------------------------------------------------------
// Loading

async fn store_assistants<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: &str,
) -> Result<Vec<assistant::Model>, AppError> {
    let mut rows = assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(org_id))
        .filter(assistant::Column::StoreId.eq(store_id))
        .all(conn)
        .await?;
    rows.sort_by(|a, b| a.name.to_lowercase().cmp(&b.name.to_lowercase()).then_with(|| a.id.cmp(&b.id)));
    Ok(rows)
}

/// The permission rows of a scope (`"org"` + org id, or `"store"` + store id) by action.
async fn permission_rows<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    scope_type: &str,
    scope_id: &str,
) -> Result<HashMap<String, action_permission::Model>, AppError> {
    let rows = action_permission::Entity::find()
        .filter(action_permission::Column::OrgId.eq(org_id))
        .filter(action_permission::Column::ScopeType.eq(scope_type))
        .filter(action_permission::Column::ScopeId.eq(scope_id))
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|r| (r.action_type.clone(), r)).collect())
}

/// The org-wide limits, plus (with `store_id`) the store's and its assistants' limits.
async fn limit_rows<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: Option<&str>,
) -> Result<Vec<action_limit::Model>, AppError> {
    let mut scope = Condition::any().add(action_limit::Column::ScopeType.eq("org"));
    if let Some(s) = store_id {
        scope = scope.add(action_limit::Column::StoreId.eq(s));
    }
    action_limit::Entity::find()
        .filter(action_limit::Column::OrgId.eq(org_id))
        .filter(scope)
        .all(conn)
        .await
        .map_err(AppError::from)
}

// ---------------------------------------------------------------------------------------
// Views

fn limit_view(row: &action_limit::Model, assistants: &HashMap<String, String>) -> Option<LimitView> {
    let l = limit_of(row)?;
    let assistant_id = (l.level == Level::Assistant).then(|| row.scope_id.clone());
    Some(LimitView {
        id: row.id.clone(),
        level: l.level,
        scope_id: row.scope_id.clone(),
        store_id: row.store_id.clone(),
        assistant_name: assistant_id.as_ref().and_then(|a| assistants.get(a).cloned()),
        assistant_id,
        action_type: row.action_type.clone(),
        limit_type: l.limit_type,
        limit_value: l.value,
        time_window_hours: l.window_hours,
        on_exceed: l.on_exceed,
        per_customer: l.per_customer,
        overrides: None,
        updated_at: rfc3339(&row.updated_at),
    })
}

/// Limits as views plus their domain form, grouped by action.
#[derive(Default)]
struct Grouped {
    org: HashMap<String, Vec<(LimitView, Limit)>>,
    store: HashMap<String, Vec<(LimitView, Limit)>>,
    assistant: HashMap<String, Vec<LimitView>>,
}

fn group(rows: &[action_limit::Model], assistants: &HashMap<String, String>) -> Grouped {
    let mut g = Grouped::default();
    for row in rows {
        let (Some(view), Some(limit)) = (limit_view(row, assistants), limit_of(row)) else { continue };
        let key = row.action_type.clone();
        match limit.level {
            Level::Org => g.org.entry(key).or_default().push((view, limit)),
            Level::Store => g.store.entry(key).or_default().push((view, limit)),
            Level::Assistant => g.assistant.entry(key).or_default().push(view),
        }
    }
    g
}

/// The limits that apply at a store for one action: org defaults it has not replaced, then
/// its own with the org default each overrides.
fn effective(org: &[(LimitView, Limit)], store: &[(LimitView, Limit)]) -> Vec<LimitView> {
    let org_limits: Vec<Limit> = org.iter().map(|(_, l)| l.clone()).collect();
    let store_limits: Vec<Limit> = store.iter().map(|(_, l)| l.clone()).collect();
    let views: HashMap<&str, &LimitView> = org.iter().chain(store.iter()).map(|(v, _)| (v.id.as_str(), v)).collect();
    effective_store_limits(&org_limits, &store_limits)
        .into_iter()
        .filter_map(|(l, overridden)| {
            let mut v = (*views.get(l.id.as_str())?).clone();
            v.overrides = overridden.and_then(|o| views.get(o.id.as_str()).map(|ov| Box::new((*ov).clone())));
            Some(v)
        })
        .collect()
}

fn sorted(mut v: Vec<LimitView>) -> Vec<LimitView> {
    v.sort_by(|a, b| {
        (a.assistant_name.as_deref().unwrap_or(""), a.limit_type, a.limit_value, a.on_exceed == OnExceed::Deny).cmp(&(
            b.assistant_name.as_deref().unwrap_or(""),
            b.limit_type,
            b.limit_value,
            b.on_exceed == OnExceed::Deny,
        ))
    });
    v
}

fn settings(
    def: &ActionDef,
    enabled: bool,
    requires_confirmation: bool,
    by: ConfirmationBy,
    source: Source,
) -> ActionSettings {
    ActionSettings {
        action_type: def.id.clone(),
        name: def.name.clone(),
        description: def.description.clone(),
        category: def.category.clone(),
        risk: def.risk,
        has_amount: def.has_amount(),
        has_percentage: def.has_percentage(),
        percentage_of_order: def.percentage_field.is_none() && def.has_percentage(),
        enabled,
        requires_confirmation,
        confirmation_by: by,
        source,
        limit_types: limit_types_for(def.has_amount(), def.has_percentage()),
        limits: Vec::new(),
        assistant_limits: Vec::new(),
    }
}

fn source_of(s: policy::Source) -> Source {
    match s {
        policy::Source::Store => Source::Store,
        policy::Source::Org => Source::Org,
        policy::Source::Default => Source::Default,
    }
}

/// Every catalog action as it applies at the store.
async fn store_view<C: ConnectionTrait>(
    conn: &C,
    catalog: &Catalog,
    actor: &Actor,
    s: &store::Model,
) -> Result<StorePermissions, AppError> {
    let store_rows = permission_rows(conn, &s.org_id, "store", &s.id).await?;
    let org_rows = permission_rows(conn, &s.org_id, "org", &s.org_id).await?;
    let assistants = store_assistants(conn, &s.org_id, &s.id).await?;
    let names: HashMap<String, String> = assistants.iter().map(|a| (a.id.clone(), a.name.clone())).collect();
    let limits = group(&limit_rows(conn, &s.org_id, Some(&s.id)).await?, &names);
    let actions = catalog
        .ordered()
        .iter()
        .map(|def| {
            let p = resolve_permission(def, store_rows.get(&def.id), org_rows.get(&def.id));
            let mut a = settings(def, p.enabled, p.requires_confirmation, p.confirmation_by, source_of(p.source));
            a.limits = effective(
                limits.org.get(&def.id).map(Vec::as_slice).unwrap_or_default(),
                limits.store.get(&def.id).map(Vec::as_slice).unwrap_or_default(),
            );
            a.assistant_limits = sorted(limits.assistant.get(&def.id).cloned().unwrap_or_default());
            a
        })
        .collect();
    Ok(StorePermissions {
        store: StoreSummary {
            id: s.id.clone(),
            name: s.name.clone(),
            platform: s.platform.clone(),
            currency: s.currency.clone(),
            actions_paused: s.actions_paused,
        },
        actions,
        assistants: assistants
            .into_iter()
            .map(|a| AssistantRef { active: a.status == "active", id: a.id, name: a.name })
            .collect(),
        can_manage: can_at_store(actor, Permission::PermissionsManage, s),
    })
}

/// Every catalog action as the org's defaults for new stores set it, with the org-wide limits.
async fn org_view<C: ConnectionTrait>(conn: &C, catalog: &Catalog, actor: &Actor) -> Result<OrgDefaults, AppError> {
    let org_rows = permission_rows(conn, &actor.org_id, "org", &actor.org_id).await?;
    let limits = group(&limit_rows(conn, &actor.org_id, None).await?, &HashMap::new());
    let actions = catalog
        .ordered()
        .iter()
        .map(|def| {
            let p = resolve_permission(def, None, org_rows.get(&def.id));
            let mut a = settings(def, p.enabled, p.requires_confirmation, p.confirmation_by, source_of(p.source));
            a.limits =
                sorted(limits.org.get(&def.id).map(|v| v.iter().map(|(v, _)| v.clone()).collect()).unwrap_or_default());
            a
        })
        .collect();
    Ok(OrgDefaults { actions, can_manage: can(actor, Permission::PermissionsManage, &ScopeRef::Org) })
}

// ---------------------------------------------------------------------------------------
// Permissions

/// `GET /permissions?store_id=`: every catalog action at the store, with where each value
/// comes from and the limits that apply. View at the store, or an agent key bound to it.
pub async fn list(
    db: &DatabaseConnection,
    catalog: &Catalog,
    actor: &Actor,
    store_id: &str,
) -> Result<StorePermissions, AppError> {
    let s = find_store(db, &actor.org_id, store_id).await?;
    authorize_agent_or(actor, Need::View, &s.id, None)?;
    store_view(db, catalog, actor, &s).await
}

/// The org's defaults for new stores and the org-wide limits. View at the org.
pub async fn org_defaults(db: &DatabaseConnection, catalog: &Catalog, actor: &Actor) -> Result<OrgDefaults, AppError> {
    authorize(actor, Need::View, &ScopeRef::Org)?;
    org_view(db, catalog, actor).await
}

/// A catalog action, or NOT_FOUND naming it.
fn catalog_action<'a>(catalog: &'a Catalog, action_type: &str) -> Result<&'a ActionDef, AppError> {
    catalog.get(action_type.trim()).map(|d| d.as_ref()).ok_or_else(|| {
        AppError::new(ErrorCode::NotFound, format!("\"{}\" is not an action in the catalog.", action_type.trim()))
    })
}

/// The patch's values, checked: at least one, and `confirmation_by` customer or staff.
fn check_patch(patch: &PermissionPatch) -> Result<Option<ConfirmationBy>, AppError> {
    let by = patch.confirmation_by.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let parsed = by.and_then(ConfirmationBy::parse);
    let mut v = Validator::new();
    v.check(by.is_none() || parsed.is_some(), "confirmation_by", "Who confirms: customer or staff.");
    v.check(
        patch.enabled.is_some() || patch.requires_confirmation.is_some() || by.is_some(),
        "enabled",
        "Send at least one of enabled, requires_confirmation, confirmation_by.",
    );
    v.finish()?;
    Ok(parsed)
}

fn permission_json(
    scope_type: &str,
    scope_id: &str,
    action_type: &str,
    p: (bool, bool, ConfirmationBy),
    source: Source,
) -> Value {
    json!({
        "scope_type": scope_type,
        "scope_id": scope_id,
        "action_type": action_type,
        "enabled": p.0,
        "requires_confirmation": p.1,
        "confirmation_by": p.2.as_str(),
        "source": source.as_str(),
    })
}

/// Writes one permission row (creating it when the scope has none yet), audits the change
/// and bumps the policy version. Returns false when nothing changed.
#[allow(clippy::too_many_arguments)]
async fn write_permission<C: ConnectionTrait>(
    tx: &C,
    actor: &Actor,
    def: &ActionDef,
    scope_type: &str,
    scope_id: &str,
    current: Option<&action_permission::Model>,
    resolved: (bool, bool, ConfirmationBy, Source),
    patch: &PermissionPatch,
    by: Option<ConfirmationBy>,
    event: &str,
) -> Result<bool, AppError> {
    let (enabled, confirm, confirm_by, source) = resolved;
    let next =
        (patch.enabled.unwrap_or(enabled), patch.requires_confirmation.unwrap_or(confirm), by.unwrap_or(confirm_by));
    let own = if scope_type == "org" { Source::Org } else { Source::Store };
    if current.is_some() && next == (enabled, confirm, confirm_by) {
        return Ok(false);
    }
    let row = match current {
        Some(r) => {
            let mut am: action_permission::ActiveModel = r.clone().into();
            am.enabled = Set(next.0);
            am.requires_confirmation = Set(next.1);
            am.confirmation_by = Set(next.2.as_str().to_string());
            am.updated_at = Set(now());
            am.update(tx).await?
        }
        None => action_permission::ActiveModel {
            id: Set(new_id()),
            org_id: Set(actor.org_id.clone()),
            scope_type: Set(scope_type.to_string()),
            scope_id: Set(scope_id.to_string()),
            action_type: Set(def.id.clone()),
            enabled: Set(next.0),
            requires_confirmation: Set(next.1),
            confirmation_by: Set(next.2.as_str().to_string()),
            updated_at: Set(now()),
        }
        .insert(tx)
        .await
        .map_err(write_err)?,
    };
    audit::append(
        tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new(event, "action_permission", Some(&row.id))
            .before(permission_json(scope_type, scope_id, &def.id, (enabled, confirm, confirm_by), source))
            .after(permission_json(scope_type, scope_id, &def.id, next, own)),
    )
    .await?;
    if scope_type == "org" {
        policy::bump_org(tx, &actor.org_id).await?;
    } else {
        policy::bump_store(tx, scope_id).await?;
    }
    Ok(true)
}

/// A unique-key race (two first edits of the same row at once) answers CONFLICT.
fn write_err(e: DbErr) -> AppError {
    if is_unique_violation(&e) {
        AppError::conflict("Someone changed this setting at the same moment. Reload and try again.")
    } else {
        AppError::from(e)
    }
}

/// `PUT /permissions/{action_type}?store_id=`: sets what is given of enabled /
/// requires_confirmation / confirmation_by for the store. `permissions.manage` at the store.
/// Returns the action as it now applies at the store.
pub async fn set(
    db: &impl WriteConn,
    catalog: &Catalog,
    actor: &Actor,
    store_id: &str,
    action_type: &str,
    patch: PermissionPatch,
) -> Result<ActionSettings, AppError> {
    let s = find_store(db, &actor.org_id, store_id).await?;
    authorize_at_store(actor, Permission::PermissionsManage, &s)?;
    let def = catalog_action(catalog, action_type)?;
    let by = check_patch(&patch)?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let store_rows = permission_rows(&tx, &s.org_id, "store", &s.id).await?;
    let org_rows = permission_rows(&tx, &s.org_id, "org", &s.org_id).await?;
    let current = store_rows.get(&def.id);
    let p = resolve_permission(def, current, org_rows.get(&def.id));
    let resolved = (p.enabled, p.requires_confirmation, p.confirmation_by, source_of(p.source));
    write_permission(&tx, actor, def, "store", &s.id, current, resolved, &patch, by, "permission.updated").await?;
    let view = store_view(&tx, catalog, actor, &s).await?;
    tx.commit().await?;
    view.actions.into_iter().find(|a| a.action_type == def.id).ok_or_else(AppError::internal)
}

/// `PUT /permissions/defaults/{action_type}`: the org's default for stores created from now
/// on (existing stores keep their own settings). `permissions.manage` at the org.
pub async fn set_org_default(
    db: &impl WriteConn,
    catalog: &Catalog,
    actor: &Actor,
    action_type: &str,
    patch: PermissionPatch,
) -> Result<ActionSettings, AppError> {
    authorize(actor, Permission::PermissionsManage, &ScopeRef::Org)?;
    let def = catalog_action(catalog, action_type)?;
    let by = check_patch(&patch)?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let org_rows = permission_rows(&tx, &actor.org_id, "org", &actor.org_id).await?;
    let current = org_rows.get(&def.id);
    let p = resolve_permission(def, None, current);
    let resolved = (p.enabled, p.requires_confirmation, p.confirmation_by, source_of(p.source));
    write_permission(
        &tx,
        actor,
        def,
        "org",
        &actor.org_id,
        current,
        resolved,
        &patch,
        by,
        "permission.default_updated",
    )
    .await?;
    let view = org_view(&tx, catalog, actor).await?;
    tx.commit().await?;
    view.actions.into_iter().find(|a| a.action_type == def.id).ok_or_else(AppError::internal)
}

// ---------------------------------------------------------------------------------------
// Limits

/// `GET /permissions/limits`: the org-wide limits (View at the org); at a store the limits
/// that apply there (org defaults it has not replaced, its own, then its assistants'); at an
/// assistant its own. View at the store, or an agent key bound to it (and to that assistant).
pub async fn list_limits(
    db: &DatabaseConnection,
    actor: &Actor,
    scope: &LimitScope,
) -> Result<Vec<LimitView>, AppError> {
    match scope {
        LimitScope::Org => {
            authorize(actor, Need::View, &ScopeRef::Org)?;
            let limits = group(&limit_rows(db, &actor.org_id, None).await?, &HashMap::new());
            Ok(by_action(sorted(limits.org.into_values().flatten().map(|(v, _)| v).collect())))
        }
        LimitScope::Store(id) => {
            let s = find_store(db, &actor.org_id, id).await?;
            authorize_agent_or(actor, Need::View, &s.id, None)?;
            let names: HashMap<String, String> =
                store_assistants(db, &s.org_id, &s.id).await?.into_iter().map(|a| (a.id, a.name)).collect();
            let mut limits = group(&limit_rows(db, &s.org_id, Some(&s.id)).await?, &names);
            let mut actions: Vec<String> = limits.org.keys().chain(limits.store.keys()).cloned().collect();
            actions.sort();
            actions.dedup();
            let mut out = Vec::new();
            for a in &actions {
                out.extend(effective(
                    limits.org.get(a).map(Vec::as_slice).unwrap_or_default(),
                    limits.store.get(a).map(Vec::as_slice).unwrap_or_default(),
                ));
            }
            let mut own = Vec::new();
            for (_, v) in limits.assistant.drain() {
                own.extend(v);
            }
            out.extend(by_action(sorted(own)));
            Ok(out)
        }
        LimitScope::Assistant(id) => {
            let a = find_assistant(db, &actor.org_id, id).await?;
            authorize_agent_or(actor, Need::View, &a.store_id, Some(&a.id))?;
            let names = HashMap::from([(a.id.clone(), a.name.clone())]);
            let rows = action_limit::Entity::find()
                .filter(action_limit::Column::OrgId.eq(&actor.org_id))
                .filter(action_limit::Column::ScopeType.eq("assistant"))
                .filter(action_limit::Column::ScopeId.eq(&a.id))
                .all(db)
                .await?;
            Ok(by_action(sorted(rows.iter().filter_map(|r| limit_view(r, &names)).collect())))
        }
    }
}

/// Stable order across actions: by action id, keeping each action's own order.
fn by_action(mut v: Vec<LimitView>) -> Vec<LimitView> {
    v.sort_by(|a, b| a.action_type.cmp(&b.action_type));
    v
}

/// The scope a limit input names, loaded and authorized: (scope_type, scope_id, store_id).
async fn resolve_scope<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    input: &LimitInput,
) -> Result<(Level, String, Option<String>), AppError> {
    let blank = |s: &Option<String>| s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
    let (scope_id, store_id, assistant_id) =
        (blank(&input.scope_id), blank(&input.store_id), blank(&input.assistant_id));
    let kind =
        match blank(&input.scope_type) {
            Some(t) => Level::parse(&t)
                .ok_or_else(|| field("scope_type", format!("Unknown scope \"{t}\": use org, store or assistant.")))?,
            None if assistant_id.is_some() => Level::Assistant,
            None if store_id.is_some() => Level::Store,
            None => return Err(field(
                "scope_type",
                "Say where the limit applies: scope_type org, store (with store_id) or assistant (with assistant_id).",
            )),
        };
    match kind {
        Level::Org => {
            if scope_id.as_ref().is_some_and(|id| *id != actor.org_id) {
                return Err(AppError::not_found("Organisation"));
            }
            authorize(actor, Permission::PermissionsManage, &ScopeRef::Org)?;
            Ok((Level::Org, actor.org_id.clone(), None))
        }
        Level::Store => {
            let id = scope_id.or(store_id).ok_or_else(|| field("store_id", "Say which store (store_id)."))?;
            let s = find_store(conn, &actor.org_id, &id).await?;
            authorize_at_store(actor, Permission::PermissionsManage, &s)?;
            Ok((Level::Store, s.id.clone(), Some(s.id)))
        }
        Level::Assistant => {
            let id = scope_id
                .or(assistant_id)
                .ok_or_else(|| field("assistant_id", "Say which assistant (assistant_id)."))?;
            let a = find_assistant(conn, &actor.org_id, &id).await?;
            let s = find_store(conn, &actor.org_id, &a.store_id).await?;
            authorize_at_store(actor, Permission::PermissionsManage, &s)?;
            Ok((Level::Assistant, a.id, Some(a.store_id)))
        }
    }
}

fn field(name: &str, message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: name.to_string(), message: message.into() }])
}

/// A limit's values, parsed and checked field by field.
struct ParsedLimit {
    action_type: String,
    limit_type: LimitType,
    value: Decimal,
    window: Option<i32>,
    on_exceed: OnExceed,
    per_customer: bool,
}

fn parse_limit(catalog: &Catalog, input: &LimitInput) -> Result<ParsedLimit, AppError> {
    let mut v = Validator::new();
    let action_type = input.action_type.trim();
    let def = catalog.get(action_type);
    v.check(!action_type.is_empty(), "action_type", "Say which action (action_type).");
    v.check(
        action_type.is_empty() || def.is_some(),
        "action_type",
        format!("\"{action_type}\" is not an action in the catalog."),
    );
    let limit_type = LimitType::parse(input.limit_type.trim());
    v.check(
        limit_type.is_some(),
        "limit_type",
        "Choose the kind of limit: max_amount, max_percentage, max_count or max_total_amount.",
    );
    let raw = input.limit_value.trim();
    let value = Decimal::from_str(raw).ok();
    v.check(!raw.is_empty(), "limit_value", "Enter the limit's value.");
    v.check(raw.is_empty() || value.is_some(), "limit_value", "Enter a number, like 100 or 12.50.");
    if let Some(d) = value {
        v.check(d.normalize().scale() <= 4, "limit_value", "Use at most 4 decimal places.");
        v.check(d < Decimal::from(MAX_LIMIT_VALUE), "limit_value", "That is more than any amount an action can carry.");
    }
    let window_raw = input.time_window_hours.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let window = window_raw.map(i64::from_str);
    v.check(
        !matches!(window, Some(Err(_))),
        "time_window_hours",
        "Enter the window as a whole number of hours (1 to 8760).",
    );
    let window = window.and_then(Result::ok);
    let on_exceed_raw = input.on_exceed.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let on_exceed = match on_exceed_raw {
        None => Some(OnExceed::Deny),
        Some(s) => OnExceed::parse(s),
    };
    v.check(on_exceed.is_some(), "on_exceed", "When exceeded: deny (refuse) or confirm (ask staff to confirm).");
    if let (Some(def), Some(t), Some(d)) = (def, limit_type, value) {
        for (f, message) in validate_limit(def, t, d, window) {
            v.check(false, f, message);
        }
    }
    if let Some(t) = limit_type {
        v.check(
            !input.per_customer.unwrap_or(false) || t.is_windowed(),
            "per_customer",
            "Per customer applies to limits counted over a time window (how many, or total amount).",
        );
    }
    v.finish()?;
    let (Some(limit_type), Some(value), Some(on_exceed)) = (limit_type, value, on_exceed) else {
        return Err(AppError::validation("The limit is not valid."));
    };
    Ok(ParsedLimit {
        action_type: action_type.to_string(),
        limit_type,
        value: value.normalize(),
        window: window.and_then(|h| i32::try_from(h).ok()),
        on_exceed,
        per_customer: input.per_customer.unwrap_or(false),
    })
}

fn limit_json(r: &action_limit::Model) -> Value {
    json!({
        "id": r.id,
        "scope_type": r.scope_type,
        "scope_id": r.scope_id,
        "store_id": r.store_id,
        "action_type": r.action_type,
        "limit_type": r.limit_type,
        "limit_value": r.limit_value,
        "time_window_hours": r.time_window_hours,
        "on_exceed": r.on_exceed,
        "per_customer": r.per_customer,
    })
}

async fn bump_for<C: ConnectionTrait>(conn: &C, org_id: &str, row: &action_limit::Model) -> Result<(), AppError> {
    match &row.store_id {
        Some(s) if row.scope_type != "org" => policy::bump_store(conn, s).await,
        _ => policy::bump_org(conn, org_id).await,
    }
}

/// The view of one saved limit: a store limit with the org default it overrides, an
/// assistant limit with the assistant's name.
async fn saved_view<C: ConnectionTrait>(conn: &C, row: &action_limit::Model) -> Result<LimitView, AppError> {
    let mut names = HashMap::new();
    if row.scope_type == "assistant" {
        if let Some(a) = assistant::Entity::find_by_id(row.scope_id.clone()).one(conn).await? {
            names.insert(a.id, a.name);
        }
    }
    let mut view = limit_view(row, &names).ok_or_else(AppError::internal)?;
    if row.scope_type == "store" {
        let org = action_limit::Entity::find()
            .filter(action_limit::Column::OrgId.eq(&row.org_id))
            .filter(action_limit::Column::ScopeType.eq("org"))
            .filter(action_limit::Column::ActionType.eq(&row.action_type))
            .filter(action_limit::Column::LimitType.eq(&row.limit_type))
            .filter(action_limit::Column::OnExceed.eq(&row.on_exceed))
            .filter(action_limit::Column::PerCustomer.eq(row.per_customer))
            .one(conn)
            .await?;
        view.overrides = org.and_then(|o| limit_view(&o, &HashMap::new())).map(Box::new);
    }
    Ok(view)
}

/// `POST /permissions/limits`: creates the limit, or updates the one with the same scope,
/// action, kind, on_exceed and per-customer flag. `permissions.manage` at the store (the
/// assistant's store for assistant limits, the org for org-wide ones).
pub async fn upsert_limit(
    db: &impl WriteConn,
    catalog: &Catalog,
    actor: &Actor,
    input: LimitInput,
) -> Result<SavedLimit, AppError> {
    let (level, scope_id, store_id) = resolve_scope(db, actor, &input).await?;
    let p = parse_limit(catalog, &input)?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let existing = action_limit::Entity::find()
        .filter(action_limit::Column::OrgId.eq(&actor.org_id))
        .filter(action_limit::Column::ScopeType.eq(level.as_str()))
        .filter(action_limit::Column::ScopeId.eq(&scope_id))
        .filter(action_limit::Column::ActionType.eq(&p.action_type))
        .filter(action_limit::Column::LimitType.eq(p.limit_type.as_str()))
        .filter(action_limit::Column::OnExceed.eq(p.on_exceed.as_str()))
        .filter(action_limit::Column::PerCustomer.eq(p.per_customer))
        .one(&tx)
        .await?;
    let value = p.value.to_string();
    let at = now();
    let (row, created) = match existing {
        Some(before) => {
            if before.limit_value == value && before.time_window_hours == p.window {
                let view = saved_view(&tx, &before).await?;
                tx.commit().await?;
                return Ok(SavedLimit { limit: view, created: false });
            }
            let mut am: action_limit::ActiveModel = before.clone().into();
            am.limit_value = Set(value);
            am.time_window_hours = Set(p.window);
            am.updated_at = Set(at);
            let after = am.update(&tx).await?;
            audit::append(
                &tx,
                &actor.org_id,
                &actor.audit_actor(),
                &actor.meta,
                NewEvent::new("limit.updated", "action_limit", Some(&after.id))
                    .before(limit_json(&before))
                    .after(limit_json(&after)),
            )
            .await?;
            (after, false)
        }
        None => {
            let row = action_limit::ActiveModel {
                id: Set(new_id()),
                org_id: Set(actor.org_id.clone()),
                scope_type: Set(level.as_str().to_string()),
                scope_id: Set(scope_id.clone()),
                store_id: Set(store_id),
                action_type: Set(p.action_type.clone()),
                limit_type: Set(p.limit_type.as_str().to_string()),
                limit_value: Set(value),
                time_window_hours: Set(p.window),
                on_exceed: Set(p.on_exceed.as_str().to_string()),
                per_customer: Set(p.per_customer),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await
            .map_err(write_err)?;
            audit::append(
                &tx,
                &actor.org_id,
                &actor.audit_actor(),
                &actor.meta,
                NewEvent::new("limit.created", "action_limit", Some(&row.id)).after(limit_json(&row)),
            )
            .await?;
            (row, true)
        }
    };
    bump_for(&tx, &actor.org_id, &row).await?;
    let view = saved_view(&tx, &row).await?;
    tx.commit().await?;
    Ok(SavedLimit { limit: view, created })
}

/// `DELETE /permissions/limits/{id}`. `permissions.manage` where the limit is set.
pub async fn delete_limit(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    let row = action_limit::Entity::find_by_id(id.trim().to_string())
        .filter(action_limit::Column::OrgId.eq(&actor.org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Limit"))?;
    match (row.scope_type.as_str(), &row.store_id) {
        ("org", _) => authorize(actor, Permission::PermissionsManage, &ScopeRef::Org)?,
        (_, Some(store_id)) => {
            let s = find_store(db, &actor.org_id, store_id).await?;
            authorize_at_store(actor, Permission::PermissionsManage, &s)?;
        }
        _ => {
            tracing::error!(limit = %row.id, "limit without a store");
            return Err(AppError::internal());
        }
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let res = action_limit::Entity::delete_many()
        .filter(action_limit::Column::Id.eq(&row.id))
        .filter(action_limit::Column::OrgId.eq(&actor.org_id))
        .exec(&tx)
        .await?;
    if res.rows_affected == 0 {
        return Err(AppError::not_found("Limit"));
    }
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("limit.deleted", "action_limit", Some(&row.id)).before(limit_json(&row)),
    )
    .await?;
    bump_for(&tx, &actor.org_id, &row).await?;
    tx.commit().await?;
    Ok(())
}
