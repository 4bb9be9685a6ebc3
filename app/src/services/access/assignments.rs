//! Role assignments (the ACL): who holds which role where — at the org, at a team (and so
//! its sub-teams and their stores) or at a store.
//!
//! Granting or removing an assignment needs `roles.manage` at its scope, and the actor must
//! hold every permission of the role at that scope themselves (no privilege escalation:
//! an Admin cannot make an Owner, nor remove one). The last active Owner of an org keeps
//! their org-wide Owner assignment: an org always has someone who can manage it.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::audit::AuditActor;
use crate::domain::error::FieldError;
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::roles::{AssignmentList, AssignmentOptions, AssignmentView, Choice};
use crate::domain::AppError;
use crate::entities::{role, role_assignment, store, team, user};
use crate::services::access::authz::{authorize, authorize_somewhere, can};
use crate::services::access::guards::{
    active_owner_ids, escalation_error, is_last_active_owner, not_held, ORG_WIDE_OWNER_MESSAGE,
};
use crate::services::access::lookup::{find_role, find_store, find_team, team_paths};
use crate::services::access::roles::role_permissions;
use crate::services::access::scope_columns;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::db::begin_write;
use crate::services::infra::db::{new_id, now};
use crate::services::Actor;
use crate::services::RequestMeta;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::json;
use std::collections::{HashMap, HashSet};

/// Records that `user_id` holds `role_id` at `scope`, with its audit event, inside the
/// caller's transaction. Callers check authorization and that the scope exists.
pub async fn insert_assignment<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    user_id: &str,
    role: &role::Model,
    scope: &ScopeRef,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<role_assignment::Model, AppError> {
    let (scope_type, scope_id) = scope_columns(org_id, scope);
    let assignment = role_assignment::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        user_id: Set(user_id.to_string()),
        role_id: Set(role.id.clone()),
        scope_type: Set(scope_type.clone()),
        scope_id: Set(scope_id.clone()),
        created_by: Set(by.id.clone()),
        created_at: Set(now()),
    }
    .insert(conn)
    .await
    .map_err(|e| {
        if crate::services::infra::db::is_unique_violation(&e) {
            AppError::conflict("This person already has that role there.")
        } else {
            AppError::from(e)
        }
    })?;
    audit::append(
        conn,
        org_id,
        by,
        meta,
        NewEvent::new("role_assignment.created", "role_assignment", Some(&assignment.id)).after(json!({
            "id": assignment.id, "user_id": user_id, "role_id": role.id, "role": role.name,
            "scope_type": scope_type, "scope_id": scope_id,
        })),
    )
    .await?;
    Ok(assignment)
}

/// `{user_id, role_id, scope_type: org|team|store (default org), scope_id?}`: the body of
/// `POST /api/v1/role-assignments` (unknown fields refused).
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub user_id: String,
    pub role_id: String,
    #[serde(default = "org_scope")]
    pub scope_type: String,
    #[serde(default)]
    pub scope_id: Option<String>,
}

fn org_scope() -> String {
    "org".to_string()
}

/// List filters; all optional.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct AssignmentFilter {
    pub user_id: Option<String>,
    pub role_id: Option<String>,
    pub scope_type: Option<String>,
    pub scope_id: Option<String>,
}

use crate::services::infra::db::rfc3339 as time;

fn stored_scope(a: &role_assignment::Model) -> Option<ScopeRef> {
    ScopeRef::parse(&a.scope_type, Some(&a.scope_id)).ok()
}

fn scope_error(message: String) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: "scope_type".into(), message }])
}

/// Checks that the scope exists in the actor's org: the org, one of its teams or stores.
async fn check_scope_exists<C: ConnectionTrait>(conn: &C, org_id: &str, scope: &ScopeRef) -> Result<(), AppError> {
    match scope {
        ScopeRef::Org => Ok(()),
        ScopeRef::Team(id) => find_team(conn, org_id, id).await.map(|_| ()).map_err(|e| AppError {
            fields: vec![FieldError { field: "scope_id".into(), message: e.message.clone() }],
            ..e
        }),
        ScopeRef::Store(id) => find_store(conn, org_id, id).await.map(|_| ()).map_err(|e| AppError {
            fields: vec![FieldError { field: "scope_id".into(), message: e.message.clone() }],
            ..e
        }),
    }
}

struct Names {
    users: HashMap<String, user::Model>,
    roles: HashMap<String, role::Model>,
    teams: HashMap<String, team::Model>,
    stores: HashMap<String, String>,
    active_owners: HashSet<String>,
}

async fn names_for<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    rows: &[role_assignment::Model],
) -> Result<Names, AppError> {
    let user_ids: Vec<String> = rows.iter().map(|a| a.user_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let role_ids: Vec<String> = rows.iter().map(|a| a.role_id.clone()).collect::<HashSet<_>>().into_iter().collect();
    let users = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(user_ids))
        .all(conn)
        .await?;
    let roles = role::Entity::find().filter(role::Column::Id.is_in(role_ids)).all(conn).await?;
    let teams = team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(conn).await?;
    let stores = store::Entity::find().filter(store::Column::OrgId.eq(org_id)).all(conn).await?;
    Ok(Names {
        stores: stores.into_iter().map(|s| (s.id, s.name)).collect(),
        users: users.into_iter().map(|u| (u.id.clone(), u)).collect(),
        roles: roles.into_iter().map(|r| (r.id.clone(), r)).collect(),
        teams: teams.into_iter().map(|t| (t.id.clone(), t)).collect(),
        active_owners: active_owner_ids(conn, org_id).await?,
    })
}

fn view(
    a: &role_assignment::Model,
    names: &Names,
    actor: &Actor,
    role_perms: &HashMap<String, Vec<Permission>>,
) -> AssignmentView {
    let u = names.users.get(&a.user_id);
    let scope = stored_scope(a);
    let scope_name = match &scope {
        Some(ScopeRef::Org) | None => "Organisation".to_string(),
        Some(ScopeRef::Team(id)) => {
            names.teams.get(id).map(|t| t.name.clone()).unwrap_or_else(|| "(deleted team)".into())
        }
        Some(ScopeRef::Store(id)) => {
            names.stores.get(id).map(|n| format!("Store: {n}")).unwrap_or_else(|| "(deleted store)".into())
        }
    };
    let last_owner = a.role_id == BuiltInRole::Owner.id()
        && a.scope_type == "org"
        && names.active_owners.len() == 1
        && names.active_owners.contains(&a.user_id);
    let can_remove = scope.as_ref().is_some_and(|s| {
        can(actor, Permission::RolesManage, s)
            && role_perms.get(&a.role_id).is_some_and(|perms| not_held(actor, perms.iter().copied(), s).is_empty())
    }) && !last_owner;
    AssignmentView {
        id: a.id.clone(),
        user_id: a.user_id.clone(),
        user_email: u.map(|u| u.email.clone()).unwrap_or_default(),
        user_display_name: u.map(|u| u.display_name.clone()).unwrap_or_default(),
        user_status: u.map(|u| u.status.clone()).unwrap_or_default(),
        role_id: a.role_id.clone(),
        role_name: names.roles.get(&a.role_id).map(|r| r.name.clone()).unwrap_or_default(),
        scope_type: a.scope_type.clone(),
        scope_id: (a.scope_type != "org").then(|| a.scope_id.clone()),
        scope_name,
        created_at: time(&a.created_at),
        can_remove,
    }
}

async fn perms_of_roles<C: ConnectionTrait>(
    conn: &C,
    role_ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, Vec<Permission>>, AppError> {
    let mut out = HashMap::new();
    for id in role_ids.into_iter().collect::<HashSet<_>>() {
        let perms = role_permissions(conn, &id).await?;
        out.insert(id, perms.into_iter().collect());
    }
    Ok(out)
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    rows: &[role_assignment::Model],
) -> Result<Vec<AssignmentView>, AppError> {
    let names = names_for(conn, &actor.org_id, rows).await?;
    let perms = perms_of_roles(conn, rows.iter().map(|a| a.role_id.clone())).await?;
    Ok(rows.iter().map(|a| view(a, &names, actor, &perms)).collect())
}

/// Assignments the actor may see (those at scopes they can view), filtered, ordered by id,
/// `limit` at a time after `cursor` (None: all).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: AssignmentFilter,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<AssignmentList, AppError> {
    authorize_somewhere(actor, Permission::RolesManage)?;
    let mut q = role_assignment::Entity::find().filter(role_assignment::Column::OrgId.eq(actor.org_id.as_str()));
    if let Some(u) = filter.user_id.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(role_assignment::Column::UserId.eq(u));
    }
    if let Some(r) = filter.role_id.as_deref().filter(|s| !s.is_empty()) {
        q = q.filter(role_assignment::Column::RoleId.eq(r));
    }
    if let Some(kind) = filter.scope_type.as_deref().filter(|s| !s.is_empty()) {
        let scope =
            ScopeRef::parse(kind, filter.scope_id.as_deref().or(Some(actor.org_id.as_str()))).map_err(scope_error)?;
        let (t, id) = scope_columns(&actor.org_id, &scope);
        q = q.filter(role_assignment::Column::ScopeType.eq(t)).filter(role_assignment::Column::ScopeId.eq(id));
    }
    if let Some(c) = cursor {
        q = q.filter(role_assignment::Column::Id.gt(c));
    }
    let rows: Vec<role_assignment::Model> = q
        .order_by_asc(role_assignment::Column::Id)
        .all(db)
        .await?
        .into_iter()
        .filter(|a| stored_scope(a).is_some_and(|s| can(actor, Need::View, &s)))
        .collect();
    let (page, next_cursor) = match limit {
        Some(n) if rows.len() as u64 > n => {
            let page = rows[..n as usize].to_vec();
            let next = page.last().map(|a| a.id.clone());
            (page, next)
        }
        _ => (rows, None),
    };
    Ok(AssignmentList { assignments: views(db, actor, &page).await?, next_cursor })
}

/// The choices of the "add an assignment" form: the org's people (not suspended), every
/// role, and the scopes where the actor may assign roles.
pub async fn options(db: &DatabaseConnection, actor: &Actor) -> Result<AssignmentOptions, AppError> {
    authorize_somewhere(actor, Permission::RolesManage)?;
    let mut users = user::Entity::find()
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(user::Column::Status.ne(user::STATUS_SUSPENDED))
        .all(db)
        .await?;
    users.sort_by(|a, b| {
        a.display_name.to_lowercase().cmp(&b.display_name.to_lowercase()).then_with(|| a.email.cmp(&b.email))
    });
    let roles = crate::services::access::roles::list(db, actor, None, None).await?.roles;
    let teams = team_paths(db, &actor.org_id).await?;
    let mut scopes = Vec::new();
    if can(actor, Permission::RolesManage, &ScopeRef::Org) {
        scopes.push(Choice { value: "org".into(), label: "Organisation (everywhere)".into() });
    }
    let mut team_scopes: Vec<Choice> = teams
        .iter()
        .filter(|(id, _)| can(actor, Permission::RolesManage, &ScopeRef::Team(id.to_string())))
        .map(|(id, path)| Choice { value: format!("team:{id}"), label: format!("Team: {path}") })
        .collect();
    team_scopes.sort_by_key(|c| c.label.to_lowercase());
    scopes.extend(team_scopes);
    let mut stores = store::Entity::find().filter(store::Column::OrgId.eq(actor.org_id.as_str())).all(db).await?;
    stores.sort_by_key(|s| s.name.to_lowercase());
    scopes.extend(
        stores
            .into_iter()
            .filter(|s| crate::services::access::authz::can_at_store(actor, Permission::RolesManage, s))
            .map(|s| Choice { value: format!("store:{}", s.id), label: format!("Store: {}", s.name) }),
    );
    Ok(AssignmentOptions {
        users: users
            .into_iter()
            .map(|u| Choice {
                label: if u.status == user::STATUS_INVITED {
                    format!("{} <{}> (invited)", u.display_name, u.email)
                } else {
                    format!("{} <{}>", u.display_name, u.email)
                },
                value: u.id,
            })
            .collect(),
        roles: roles.into_iter().map(|r| Choice { value: r.id, label: r.name }).collect(),
        scopes,
    })
}

/// Gives `user_id` the role at the scope.
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewAssignment) -> Result<AssignmentView, AppError> {
    let scope_id = input.scope_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let scope = ScopeRef::parse(input.scope_type.trim(), scope_id).map_err(scope_error)?;
    // Tenancy first: another org's user, role or team answers NOT_FOUND.
    let target = user::Entity::find_by_id(input.user_id.trim().to_string())
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError {
            fields: vec![FieldError { field: "user_id".into(), message: "User not found.".into() }],
            ..AppError::not_found("User")
        })?;
    let r = find_role(db, &actor.org_id, input.role_id.trim()).await.map_err(|e| AppError {
        fields: vec![FieldError { field: "role_id".into(), message: e.message.clone() }],
        ..e
    })?;
    check_scope_exists(db, &actor.org_id, &scope).await?;
    authorize(actor, Permission::RolesManage, &scope)?;
    let perms = role_permissions(db, &r.id).await?;
    let missing = not_held(actor, perms.iter().copied(), &scope);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "grant a role with"));
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    check_scope_exists(&tx, &actor.org_id, &scope).await?;
    let created =
        insert_assignment(&tx, &actor.org_id, &target.id, &r, &scope, &actor.audit_actor(), &actor.meta).await?;
    let out = views(&tx, actor, std::slice::from_ref(&created)).await?.pop().ok_or_else(AppError::internal)?;
    tx.commit().await?;
    Ok(out)
}

/// Removes an assignment. Refused for the last active Owner's org-wide Owner assignment.
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<(), AppError> {
    let current = role_assignment::Entity::find_by_id(id.to_string())
        .filter(role_assignment::Column::OrgId.eq(actor.org_id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Role assignment"))?;
    let scope = stored_scope(&current).ok_or_else(|| {
        tracing::error!(assignment = %current.id, "role assignment with an unreadable scope");
        AppError::internal()
    })?;
    authorize(actor, Permission::RolesManage, &scope)?;
    let perms = role_permissions(db, &current.role_id).await?;
    let missing = not_held(actor, perms.iter().copied(), &scope);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "remove a role with"));
    }

    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let before = role_assignment::Entity::find_by_id(current.id.clone())
        .filter(role_assignment::Column::OrgId.eq(actor.org_id.as_str()))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("Role assignment"))?;
    if before.role_id == BuiltInRole::Owner.id()
        && before.scope_type == "org"
        && is_last_active_owner(&tx, &actor.org_id, &before.user_id).await?
    {
        return Err(AppError::conflict(format!(
            "{ORG_WIDE_OWNER_MESSAGE}: make someone else an Owner first, then remove this one."
        )));
    }
    let role_name = role::Entity::find_by_id(before.role_id.clone()).one(&tx).await?.map(|r| r.name);
    role_assignment::Entity::delete_by_id(before.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("role_assignment.deleted", "role_assignment", Some(&before.id)).before(json!({
            "id": before.id, "user_id": before.user_id, "role_id": before.role_id, "role": role_name,
            "scope_type": before.scope_type, "scope_id": before.scope_id,
        })),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every role assignment at `scope` (a team or store being deleted), each with its
/// `role_assignment.deleted` event naming `reason`, inside the caller's transaction.
pub async fn end_assignments_at<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    scope: &ScopeRef,
    reason: &str,
) -> Result<(), AppError> {
    let (scope_type, scope_id) = scope_columns(&actor.org_id, scope);
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(role_assignment::Column::ScopeType.eq(scope_type))
        .filter(role_assignment::Column::ScopeId.eq(scope_id))
        .all(conn)
        .await?;
    for a in assignments {
        role_assignment::Entity::delete_by_id(a.id.clone()).exec(conn).await?;
        audit::append(
            conn,
            &actor.org_id,
            &actor.audit_actor(),
            &actor.meta,
            NewEvent::new("role_assignment.deleted", "role_assignment", Some(&a.id)).before(json!({
                "id": a.id, "user_id": a.user_id, "role_id": a.role_id, "scope_type": a.scope_type,
                "scope_id": a.scope_id, "reason": reason,
            })),
        )
        .await?;
    }
    Ok(())
}
