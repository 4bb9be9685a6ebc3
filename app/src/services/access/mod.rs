//! Who may do what (§2 Identity & access). This module loads what an actor may do: its
//! grants (role assignments resolved to permission sets) and the org's tree (teams, stores)
//! they are inherited through, built once per request when the actor is built;
//! `authz::authorize` decides with it. Beside it: `lookup` (org-filtered row look-ups every
//! capability uses), `guards` (the rules beyond permissions), `roles`, `assignments` and
//! `api_keys`. It never imports its submodules.

pub mod api_keys;
pub mod assignments;
pub mod authz;
pub mod guards;
pub mod lookup;
pub mod roles;

use crate::domain::access::{Grant, OrgTree, ScopeRef};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::{api_key, role, role_assignment, role_permission, store, team};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

/// An actor's grants and the tree they apply over.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Access {
    pub grants: Vec<Grant>,
    pub tree: OrgTree,
}

impl Access {
    /// Distinct role names, for display ("Owner", "Viewer, Approver").
    pub fn role_names(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        for g in &self.grants {
            if !names.contains(&g.role_name) {
                names.push(g.role_name.clone());
            }
        }
        names
    }
}

/// The org's teams (child → parent) and stores (store → its team), so grants at a team
/// reach its sub-teams and their stores.
pub async fn load_tree<C: ConnectionTrait>(db: &C, org_id: &str) -> Result<OrgTree, AppError> {
    let teams = team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(db).await?;
    let stores: Vec<(String, Option<String>)> = store::Entity::find()
        .select_only()
        .column(store::Column::Id)
        .column(store::Column::TeamId)
        .filter(store::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(db)
        .await?;
    Ok(OrgTree {
        team_parent: teams.into_iter().map(|t| (t.id, t.parent_team_id)).collect(),
        store_team: stores.into_iter().collect(),
    })
}

/// Role id → (name, permissions), for the given roles.
async fn resolve_roles<C: ConnectionTrait>(
    db: &C,
    role_ids: Vec<String>,
) -> Result<HashMap<String, (String, BTreeSet<Permission>)>, AppError> {
    if role_ids.is_empty() {
        return Ok(HashMap::new());
    }
    let roles = role::Entity::find().filter(role::Column::Id.is_in(role_ids.clone())).all(db).await?;
    let perms = role_permission::Entity::find().filter(role_permission::Column::RoleId.is_in(role_ids)).all(db).await?;
    let mut out: HashMap<String, (String, BTreeSet<Permission>)> =
        roles.into_iter().map(|r| (r.id, (r.name, BTreeSet::new()))).collect();
    for rp in perms {
        if let (Some(entry), Some(p)) = (out.get_mut(&rp.role_id), Permission::from_key(&rp.permission)) {
            entry.1.insert(p);
        }
    }
    Ok(out)
}

fn scope_of(scope_type: &str, scope_id: &str) -> Option<ScopeRef> {
    ScopeRef::parse(scope_type, Some(scope_id)).ok()
}

/// Everything a user may do in their org.
pub async fn user_access<C: ConnectionTrait>(db: &C, org_id: &str, user_id: &str) -> Result<Access, AppError> {
    let assignments = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(org_id))
        .filter(role_assignment::Column::UserId.eq(user_id))
        .all(db)
        .await?;
    let roles = resolve_roles(db, assignments.iter().map(|a| a.role_id.clone()).collect()).await?;
    let grants = assignments
        .iter()
        .filter_map(|a| {
            let (name, permissions) = roles.get(&a.role_id)?;
            Some(Grant {
                role_name: name.clone(),
                permissions: permissions.clone(),
                scope: scope_of(&a.scope_type, &a.scope_id)?,
            })
        })
        .collect();
    Ok(Access { grants, tree: load_tree(db, org_id).await? })
}

/// What a management key may do: its one role at its scope.
pub async fn key_access<C: ConnectionTrait>(db: &C, key: &api_key::Model) -> Result<Access, AppError> {
    let mut grants = Vec::new();
    if let (Some(role_id), Some(scope_type)) = (&key.role_id, &key.scope_type) {
        let roles = resolve_roles(db, vec![role_id.clone()]).await?;
        let scope_id = key.scope_id.clone().unwrap_or_else(|| key.org_id.clone());
        if let (Some((name, permissions)), Some(scope)) = (roles.get(role_id), scope_of(scope_type, &scope_id)) {
            grants.push(Grant { role_name: name.clone(), permissions: permissions.clone(), scope });
        }
    }
    Ok(Access { grants, tree: load_tree(db, &key.org_id).await? })
}

/// API keys' resolved access, reused while the org's `access_version` has not moved (it
/// moves in the transaction of every audited change to the org, its teams, stores, roles,
/// role assignments and keys: `audit::append`). Authentication still reads the key row and
/// its org on every request, so revocation, expiry and every access change take effect on
/// the very next request, on every server sharing the database; what is saved is resolving
/// the role and loading the org's tree (four queries) per request.
#[derive(Debug, Default)]
pub struct AccessCache {
    keys: std::sync::RwLock<HashMap<String, (i64, Arc<Access>)>>,
}

/// More keys than this in use at once (unusual) and the cache starts over.
const ACCESS_CACHE_MAX_KEYS: usize = 10_000;

impl AccessCache {
    /// `key`'s access as of the org's `access_version`.
    pub async fn key_access<C: ConnectionTrait>(
        &self,
        db: &C,
        key: &api_key::Model,
        access_version: i64,
    ) -> Result<Arc<Access>, AppError> {
        if let Some((version, access)) = self.keys.read().ok().and_then(|m| m.get(&key.id).cloned()) {
            if version == access_version {
                return Ok(access);
            }
        }
        let access = Arc::new(key_access(db, key).await?);
        if let Ok(mut m) = self.keys.write() {
            if m.len() >= ACCESS_CACHE_MAX_KEYS {
                m.clear();
            }
            // A concurrent request may have resolved a newer version already: keep the newer.
            if m.get(&key.id).is_none_or(|(v, _)| *v <= access_version) {
                m.insert(key.id.clone(), (access_version, access.clone()));
            }
        }
        Ok(access)
    }
}

/// The stored form of a scope: org scopes point at the org id.
pub fn scope_columns(org_id: &str, scope: &ScopeRef) -> (String, String) {
    (scope.kind().to_string(), scope.id().unwrap_or(org_id).to_string())
}
