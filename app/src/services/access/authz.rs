//! The one authorization choke point. Every service entry point calls `authorize` (or, for
//! org-wide summaries, `authorize_somewhere`) before it reads or changes anything.
//!
//! Tenancy is enforced before this: services load entities filtered by `actor.org_id`, so
//! another org's ids answer NOT_FOUND and never reach here.
//!
//! The rule itself is `domain::access::allows`; no other service module calls it.

use crate::domain::access::{allows, allows_somewhere, Need, OrgTree, ScopeRef};
use crate::domain::AppError;
use crate::entities::store;
use crate::services::Actor;

fn denied(need: Need) -> AppError {
    match need {
        Need::View => AppError::permission_denied("You don't have access to this."),
        Need::Permission(p) => AppError::permission_denied(format!("You need the {} permission for this.", p.key())),
    }
}

/// Allows `actor` to do what `need` says at `target`, or answers PERMISSION_DENIED.
pub fn authorize(actor: &Actor, need: impl Into<Need>, target: &ScopeRef) -> Result<(), AppError> {
    let need = need.into();
    if allows(&actor.access.grants, &actor.access.tree, need, target) {
        Ok(())
    } else {
        Err(denied(need))
    }
}

/// For lists and summaries that show only what the actor may see: passes when the actor
/// holds `need` at some scope (the service then filters the rows).
pub fn authorize_somewhere(actor: &Actor, need: impl Into<Need>) -> Result<(), AppError> {
    let need = need.into();
    if allows_somewhere(&actor.access.grants, need) {
        Ok(())
    } else {
        Err(denied(need))
    }
}

/// The same rule as a yes/no, for showing or hiding controls.
pub fn can(actor: &Actor, need: impl Into<Need>, target: &ScopeRef) -> bool {
    allows(&actor.access.grants, &actor.access.tree, need.into(), target)
}

/// The same rule over `tree` instead of the one the actor was built with: for a view of a
/// tree that has just changed (a team created or moved in this request).
pub fn can_in_tree(actor: &Actor, need: impl Into<Need>, tree: &OrgTree, target: &ScopeRef) -> bool {
    allows(&actor.access.grants, tree, need.into(), target)
}

/// Whether the actor holds `need` at the store. The actor's tree was loaded when it was
/// built; a store created or moved since is placed in its team here.
pub fn can_at_store(actor: &Actor, need: impl Into<Need>, s: &store::Model) -> bool {
    let need = need.into();
    let target = ScopeRef::Store(s.id.clone());
    let access = &actor.access;
    if access.tree.store_team.get(&s.id) == Some(&s.team_id) {
        return allows(&access.grants, &access.tree, need, &target);
    }
    let mut tree = access.tree.clone();
    tree.store_team.insert(s.id.clone(), s.team_id.clone());
    allows(&access.grants, &tree, need, &target)
}

/// `authorize` at the store, with the store placed in its current team.
pub fn authorize_at_store(actor: &Actor, need: impl Into<Need>, s: &store::Model) -> Result<(), AppError> {
    let need = need.into();
    if can_at_store(actor, need, s) {
        Ok(())
    } else {
        Err(denied(need))
    }
}

/// For what agents call at a store (check, invoke, tools): an agent key bound to this store
/// — and, when bound to an assistant, acting as that assistant — or anyone holding `need`
/// at the store. Callers load the store with the org filter first.
pub fn authorize_agent_or(
    actor: &Actor,
    need: impl Into<Need>,
    store_id: &str,
    assistant_id: Option<&str>,
) -> Result<(), AppError> {
    match &actor.agent {
        Some(binding) if binding.store_id != store_id => {
            Err(AppError::permission_denied("This agent key acts for another store."))
        }
        Some(binding) => match (&binding.assistant_id, assistant_id) {
            (Some(bound), Some(asked)) if bound != asked => {
                Err(AppError::permission_denied("This agent key acts as another assistant."))
            }
            _ => Ok(()),
        },
        None => authorize(actor, need, &ScopeRef::Store(store_id.to_string())),
    }
}

/// For what any member of the org or any of its agent keys may read (the action catalog).
pub fn authorize_member_or_agent(actor: &Actor) -> Result<(), AppError> {
    if actor.agent.is_some() {
        return Ok(());
    }
    authorize_somewhere(actor, Need::View)
}
