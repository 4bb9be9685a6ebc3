//! The one authorization choke point. Every service entry point that touches tenant data
//! calls `authorize` first.

use super::Actor;
use crate::domain::permission::Permission;
use crate::domain::AppError;

/// What a permission is checked against.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope<'a> {
    Org(&'a str),
}

/// Allows or refuses `actor` to use `permission` on `scope`. Another org's scope answers
/// NOT_FOUND (never PERMISSION_DENIED) so ids leak nothing about other tenants.
pub fn authorize(actor: &Actor, permission: Permission, scope: Scope<'_>) -> Result<(), AppError> {
    match scope {
        Scope::Org(org_id) if org_id != actor.org_id => Err(AppError::not_found("Organisation")),
        Scope::Org(_) => {
            if actor.role.grants(permission) {
                Ok(())
            } else {
                Err(AppError::permission_denied(format!(
                    "You need the {} permission for this.",
                    permission.key()
                )))
            }
        }
    }
}
