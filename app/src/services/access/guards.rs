//! The guards beyond permissions, in one place: nobody hands out or removes permissions they
//! do not hold themselves (privilege escalation), nobody switches off someone who holds
//! more than they do (outranking), and an organisation always keeps an active org-wide
//! Owner.
//!
//! Callers check these after `authz::authorize`, inside the write transaction that would
//! break them (after `audit::lock_org`), so two concurrent changes cannot both pass.

use crate::domain::access::ScopeRef;
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::AppError;
use crate::entities::{role_assignment, user};
use crate::services::access::authz::can;
use crate::services::Actor;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter};
use std::collections::{BTreeSet, HashSet};

pub const ORG_WIDE_OWNER_MESSAGE: &str = "An organisation needs at least one active Owner";

/// The permissions in `perms` that `actor` does not hold at `scope`.
pub fn not_held(actor: &Actor, perms: impl IntoIterator<Item = Permission>, scope: &ScopeRef) -> Vec<Permission> {
    perms.into_iter().filter(|p| !can(actor, *p, scope)).collect()
}

/// The refusal for handing out or removing permissions one does not hold, naming them.
pub fn escalation_error(missing: &[Permission], what: &str) -> AppError {
    AppError::permission_denied(format!(
        "You can't {what} permissions you don't hold yourself: {}.",
        missing.iter().map(|p| p.key()).collect::<Vec<_>>().join(", ")
    ))
}

/// Suspending, reactivating or deleting someone needs every permission they hold, where
/// they hold it: an Admin cannot switch off (or remove) an Owner, the same rule as removing
/// their role assignment.
pub async fn check_outranks<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    target: &user::Model,
    what: &str,
) -> Result<(), AppError> {
    let access = crate::services::access::user_access(conn, &target.org_id, &target.id).await?;
    let mut missing = BTreeSet::new();
    for g in &access.grants {
        missing.extend(not_held(actor, g.permissions.iter().copied(), &g.scope));
    }
    if missing.is_empty() {
        Ok(())
    } else {
        Err(escalation_error(&missing.into_iter().collect::<Vec<_>>(), what))
    }
}

/// The refusal for suspending or deleting the last active org-wide Owner.
pub fn last_owner_error(what: &str) -> AppError {
    AppError::conflict(format!(
        "This is the organisation's last active Owner, so they can't be {what}. Make someone else an Owner first."
    ))
}

/// Users of the org holding the Owner role at the org scope.
async fn org_owner_ids<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Vec<String>, AppError> {
    Ok(role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(org_id))
        .filter(role_assignment::Column::RoleId.eq(BuiltInRole::Owner.id()))
        .filter(role_assignment::Column::ScopeType.eq("org"))
        .all(conn)
        .await?
        .into_iter()
        .map(|a| a.user_id)
        .collect())
}

/// Active users of the org holding the Owner role at the org scope.
pub async fn active_owner_ids<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashSet<String>, AppError> {
    let owners = org_owner_ids(conn, org_id).await?;
    if owners.is_empty() {
        return Ok(HashSet::new());
    }
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(owners))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| u.id)
        .collect())
}

/// True when `user_id` is an active, org-wide Owner of `org_id` and no other active user
/// is: suspending, deleting or demoting them would leave the org without an Owner.
/// Call it inside the write transaction that would do so (after locking the org's writes,
/// `audit::lock_org`), so two concurrent removals cannot both pass.
pub async fn is_last_active_owner<C: ConnectionTrait>(conn: &C, org_id: &str, user_id: &str) -> Result<bool, AppError> {
    let active = active_owner_ids(conn, org_id).await?;
    Ok(active.len() == 1 && active.contains(user_id))
}
