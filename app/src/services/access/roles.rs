//! Roles: the built-ins (shared, read-only, `org_id` NULL) and each org's custom roles with
//! their permission keys — the permission matrix of `/org/roles`.
//!
//! Seeing the matrix needs `roles.manage` somewhere (a team-scoped admin assigns roles at
//! their team, so they need the list); creating, changing and deleting custom roles needs
//! `roles.manage` at the org. Nobody may add to or remove from a role a permission they do
//! not hold at the org themselves (the same privilege-escalation guard as assignments).
//! A role still assigned (or used by an active API key) cannot be deleted: remove its
//! assignments first, so nobody loses access as a side effect of a delete.

use crate::domain::access::ScopeRef;
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::roles::{
    check_role_description, check_role_name, parse_permission_keys, same_role_name, PermissionInfo, RoleList, RoleView,
};
use crate::domain::AppError;
use crate::entities::{api_key, permission, role, role_assignment, role_permission};
use crate::services::access::authz::{authorize, authorize_somewhere, can};
use crate::services::access::guards::{escalation_error, not_held};
use crate::services::access::lookup::find_role;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, WriteConn};
use crate::services::Actor;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::{json, Value};
use std::collections::{BTreeSet, HashMap};

/// `{name, description?, permissions[]}`: the body of `POST /api/v1/roles` (unknown fields
/// refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub permissions: Vec<String>,
}

/// What to change; absent fields stay. `permissions` replaces the whole set. The body of
/// `PATCH /api/v1/roles/{id}` (unknown fields refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub permissions: Option<Vec<String>>,
}

use crate::services::infra::db::rfc3339 as time;

fn sorted_keys(perms: &BTreeSet<Permission>) -> Vec<String> {
    // Permission's order is the matrix's row order (DESIGN.md §2).
    perms.iter().map(|p| p.key().to_string()).collect()
}

fn snapshot(r: &role::Model, perms: &BTreeSet<Permission>) -> Value {
    json!({"id": r.id, "name": r.name, "description": r.description, "permissions": sorted_keys(perms)})
}

/// The permissions a role holds.
pub(crate) async fn role_permissions<C: ConnectionTrait>(
    conn: &C,
    role_id: &str,
) -> Result<BTreeSet<Permission>, AppError> {
    let rows = role_permission::Entity::find().filter(role_permission::Column::RoleId.eq(role_id)).all(conn).await?;
    Ok(rows.iter().filter_map(|rp| Permission::from_key(&rp.permission)).collect())
}

/// Built-ins first (Owner … Viewer), then the org's roles in creation order.
async fn org_roles<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Vec<role::Model>, AppError> {
    let mut roles = role::Entity::find()
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(org_id)))
        .all(conn)
        .await?;
    let rank = |r: &role::Model| BuiltInRole::ALL.iter().position(|b| b.id() == r.id).unwrap_or(usize::MAX);
    roles.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.id.cmp(&b.id)));
    Ok(roles)
}

async fn views<C: ConnectionTrait>(conn: &C, org_id: &str, roles: &[role::Model]) -> Result<Vec<RoleView>, AppError> {
    let ids: Vec<String> = roles.iter().map(|r| r.id.clone()).collect();
    let perms =
        role_permission::Entity::find().filter(role_permission::Column::RoleId.is_in(ids.clone())).all(conn).await?;
    let mut by_role: HashMap<String, BTreeSet<Permission>> = HashMap::new();
    for rp in perms {
        if let Some(p) = Permission::from_key(&rp.permission) {
            by_role.entry(rp.role_id).or_default().insert(p);
        }
    }
    let assigned: Vec<String> = role_assignment::Entity::find()
        .select_only()
        .column(role_assignment::Column::RoleId)
        .filter(role_assignment::Column::OrgId.eq(org_id))
        .filter(role_assignment::Column::RoleId.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts: HashMap<String, u64> = HashMap::new();
    for id in assigned {
        *counts.entry(id).or_insert(0) += 1;
    }
    Ok(roles
        .iter()
        .map(|r| RoleView {
            id: r.id.clone(),
            name: r.name.clone(),
            description: r.description.clone(),
            built_in: r.built_in,
            permissions: sorted_keys(by_role.get(&r.id).unwrap_or(&BTreeSet::new())),
            assignment_count: counts.get(&r.id).copied().unwrap_or(0),
            created_at: time(&r.created_at),
            updated_at: time(&r.updated_at),
        })
        .collect())
}

async fn load_view<C: ConnectionTrait>(conn: &C, org_id: &str, r: &role::Model) -> Result<RoleView, AppError> {
    views(conn, org_id, std::slice::from_ref(r)).await?.pop().ok_or_else(AppError::internal)
}

/// Every permission key with its description, in the matrix's row order.
pub async fn permission_catalog<C: ConnectionTrait>(conn: &C) -> Result<Vec<PermissionInfo>, AppError> {
    let rows = permission::Entity::find().all(conn).await?;
    let described: HashMap<String, String> = rows.into_iter().map(|r| (r.key, r.description)).collect();
    Ok(Permission::ALL
        .iter()
        .map(|p| PermissionInfo {
            key: p.key().to_string(),
            description: described.get(p.key()).cloned().unwrap_or_default(),
        })
        .collect())
}

/// The permission matrix: permissions and roles (built-ins, then the org's), `limit` roles
/// at a time after `cursor` (None: all).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<RoleList, AppError> {
    authorize_somewhere(actor, Permission::RolesManage)?;
    let roles = org_roles(db, &actor.org_id).await?;
    let start = match cursor {
        Some(c) => roles.iter().position(|r| r.id == c).map(|i| i + 1).ok_or_else(|| {
            AppError::invalid_fields(vec![FieldError {
                field: "cursor".into(),
                message: "This cursor is not valid (any more).".into(),
            }])
        })?,
        None => 0,
    };
    let rest = &roles[start..];
    let (page, next_cursor) = match limit {
        Some(n) if rest.len() as u64 > n => (&rest[..n as usize], rest.get(n as usize - 1).map(|r| r.id.clone())),
        _ => (rest, None),
    };
    Ok(RoleList {
        permissions: permission_catalog(db).await?,
        roles: views(db, &actor.org_id, page).await?,
        can_edit: can(actor, Permission::RolesManage, &ScopeRef::Org),
        next_cursor,
    })
}

pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<RoleView, AppError> {
    let r = find_role(db, &actor.org_id, id).await?;
    authorize_somewhere(actor, Permission::RolesManage)?;
    load_view(db, &actor.org_id, &r).await
}

fn parse_permissions(keys: &[String]) -> Result<BTreeSet<Permission>, AppError> {
    parse_permission_keys(keys)
        .map_err(|message| AppError::invalid_fields(vec![FieldError { field: "permissions".into(), message }]))
}

fn name_taken(name: &str) -> AppError {
    AppError {
        fields: vec![FieldError {
            field: "name".into(),
            message: format!("A role named \"{}\" already exists.", name.trim()),
        }],
        ..AppError::conflict(format!("A role named \"{}\" already exists.", name.trim()))
    }
}

fn built_in_read_only(r: &role::Model) -> AppError {
    AppError::conflict(format!(
        "\"{}\" is a built-in role and can't be changed or deleted. Create a custom role with the permissions you need instead.",
        r.name
    ))
}

async fn replace_permissions<C: ConnectionTrait>(
    conn: &C,
    role_id: &str,
    perms: &BTreeSet<Permission>,
) -> Result<(), AppError> {
    role_permission::Entity::delete_many().filter(role_permission::Column::RoleId.eq(role_id)).exec(conn).await?;
    if !perms.is_empty() {
        role_permission::Entity::insert_many(perms.iter().map(|p| role_permission::ActiveModel {
            role_id: Set(role_id.to_string()),
            permission: Set(p.key().to_string()),
        }))
        .exec(conn)
        .await?;
    }
    Ok(())
}

/// Creates a custom role in the actor's org.
pub async fn create(db: &impl WriteConn, actor: &Actor, input: NewRole) -> Result<RoleView, AppError> {
    authorize(actor, Permission::RolesManage, &ScopeRef::Org)?;
    let mut v = Validator::new();
    v.add("name", check_role_name(&input.name)).add("description", check_role_description(&input.description));
    let perms = parse_permissions(&input.permissions);
    if let Err(e) = &perms {
        v.add("permissions", Err(e.message.clone()));
    }
    v.finish()?;
    let perms = perms?;
    let missing = not_held(actor, perms.iter().copied(), &ScopeRef::Org);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "give a role"));
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    if org_roles(&tx, &actor.org_id).await?.iter().any(|r| same_role_name(&r.name, &input.name)) {
        return Err(name_taken(&input.name));
    }
    let at = now();
    let created = role::ActiveModel {
        id: Set(new_id()),
        org_id: Set(Some(actor.org_id.clone())),
        name: Set(input.name.trim().to_string()),
        description: Set(input.description.trim().to_string()),
        built_in: Set(false),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(&tx)
    .await?;
    replace_permissions(&tx, &created.id, &perms).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("role.created", "role", Some(&created.id)).after(snapshot(&created, &perms)),
    )
    .await?;
    let out = load_view(&tx, &actor.org_id, &created).await?;
    tx.commit().await?;
    Ok(out)
}

/// Changes a custom role's name, description and/or permissions. Built-ins answer CONFLICT.
pub async fn update(db: &impl WriteConn, actor: &Actor, id: &str, patch: RolePatch) -> Result<RoleView, AppError> {
    let current = find_role(db, &actor.org_id, id).await?;
    authorize(actor, Permission::RolesManage, &ScopeRef::Org)?;
    if current.built_in || current.org_id.is_none() {
        return Err(built_in_read_only(&current));
    }
    let mut v = Validator::new();
    if let Some(name) = &patch.name {
        v.add("name", check_role_name(name));
    }
    if let Some(d) = &patch.description {
        v.add("description", check_role_description(d));
    }
    let new_perms = patch.permissions.as_deref().map(parse_permissions).transpose();
    if let Err(e) = &new_perms {
        v.add("permissions", Err(e.message.clone()));
    }
    v.finish()?;
    let new_perms = new_perms?;

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let before = find_role(&tx, &actor.org_id, id).await?;
    let before_perms = role_permissions(&tx, &before.id).await?;
    let perms = new_perms.unwrap_or_else(|| before_perms.clone());
    let changed: Vec<Permission> = perms.symmetric_difference(&before_perms).copied().collect();
    let missing = not_held(actor, changed, &ScopeRef::Org);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "add to or remove from a role"));
    }
    let name = patch.name.as_deref().map(str::trim).unwrap_or(&before.name).to_string();
    let description = patch.description.as_deref().map(str::trim).unwrap_or(&before.description).to_string();
    if name == before.name && description == before.description && perms == before_perms {
        let out = load_view(&tx, &actor.org_id, &before).await?;
        tx.commit().await?;
        return Ok(out);
    }
    if org_roles(&tx, &actor.org_id).await?.iter().any(|r| r.id != before.id && same_role_name(&r.name, &name)) {
        return Err(name_taken(&name));
    }
    let mut am: role::ActiveModel = before.clone().into();
    am.name = Set(name);
    am.description = Set(description);
    am.updated_at = Set(now());
    let after = am.update(&tx).await?;
    if perms != before_perms {
        replace_permissions(&tx, &after.id, &perms).await?;
    }
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("role.updated", "role", Some(&after.id))
            .before(snapshot(&before, &before_perms))
            .after(snapshot(&after, &perms)),
    )
    .await?;
    let out = load_view(&tx, &actor.org_id, &after).await?;
    tx.commit().await?;
    Ok(out)
}

/// Grants or withdraws one permission of a custom role (the matrix's checkboxes). The
/// change is applied to the role as it is inside the transaction, so quick successive
/// toggles compose instead of overwriting each other.
pub async fn set_permission(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    permission: &str,
    granted: bool,
) -> Result<RoleView, AppError> {
    let current = find_role(db, &actor.org_id, id).await?;
    authorize(actor, Permission::RolesManage, &ScopeRef::Org)?;
    if current.built_in || current.org_id.is_none() {
        return Err(built_in_read_only(&current));
    }
    let p = *parse_permissions(&[permission.to_string()])?.iter().next().ok_or_else(AppError::internal)?;
    let missing = not_held(actor, [p], &ScopeRef::Org);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "add to or remove from a role"));
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let before = find_role(&tx, &actor.org_id, id).await?;
    let before_perms = role_permissions(&tx, &before.id).await?;
    let mut perms = before_perms.clone();
    if granted {
        perms.insert(p);
    } else {
        perms.remove(&p);
    }
    if perms == before_perms {
        let out = load_view(&tx, &actor.org_id, &before).await?;
        tx.commit().await?;
        return Ok(out);
    }
    replace_permissions(&tx, &before.id, &perms).await?;
    let mut am: role::ActiveModel = before.clone().into();
    am.updated_at = Set(now());
    let after = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("role.updated", "role", Some(&after.id))
            .before(snapshot(&before, &before_perms))
            .after(snapshot(&after, &perms)),
    )
    .await?;
    let out = load_view(&tx, &actor.org_id, &after).await?;
    tx.commit().await?;
    Ok(out)
}

/// Deletes a custom role that nobody holds. Built-ins, and roles still assigned or used by
/// an active API key, answer CONFLICT saying why.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    let current = find_role(db, &actor.org_id, id).await?;
    authorize(actor, Permission::RolesManage, &ScopeRef::Org)?;
    if current.built_in || current.org_id.is_none() {
        return Err(built_in_read_only(&current));
    }
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let before = find_role(&tx, &actor.org_id, id).await?;
    let perms = role_permissions(&tx, &before.id).await?;
    let assigned = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(role_assignment::Column::RoleId.eq(before.id.as_str()))
        .count(&tx)
        .await?;
    if assigned > 0 {
        return Err(AppError::conflict(format!(
            "\"{}\" is still assigned {} time{}. Remove those assignments first, then delete the role.",
            before.name,
            assigned,
            if assigned == 1 { "" } else { "s" }
        )));
    }
    let keys = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(api_key::Column::RoleId.eq(before.id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .count(&tx)
        .await?;
    if keys > 0 {
        return Err(AppError::conflict(format!(
            "\"{}\" is used by {} active API key{}. Revoke {} first.",
            before.name,
            keys,
            if keys == 1 { "" } else { "s" },
            if keys == 1 { "it" } else { "them" }
        )));
    }
    role_permission::Entity::delete_many()
        .filter(role_permission::Column::RoleId.eq(before.id.as_str()))
        .exec(&tx)
        .await?;
    role::Entity::delete_by_id(before.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("role.deleted", "role", Some(&before.id)).before(snapshot(&before, &perms)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
