//! §2 Automation, §4 automation paths: rules (and their versions), the events integrations
//! post, and the runs of rules on events. Every rule action goes through the gateway's
//! invoke (`gateway::actions::invoke_for_run`): the same `decide`, limits, idempotency and
//! audit trail as an assistant's, acting as the rule (`Actor::for_rule`).
//!
//! - `rules`: create, list, get, update, toggle, delete, versions and restore, dry run.
//! - `events`: accept an event (stored, answered 202, processed later), read one.
//! - `runs`: run the matching rules of an event, continue runs that waited for a person,
//!   list runs, replay a run.
//! - `worker`: claims events and resumable runs (row locks with SKIP LOCKED on PostgreSQL,
//!   the write gate on SQLite, a lease either way) and processes them.
//!
//! Depends on `gateway` (invoke, check), `stores` (the catalog), `access` and `audit`;
//! nothing below imports it.

pub mod events;
pub mod rules;
pub mod runs;
pub mod worker;

use crate::domain::access::{Need, ScopeRef};
use crate::domain::AppError;
use crate::services::access::authz::{authorize, can};
use crate::services::Actor;

/// Where a rule or event with this store lives for authorization: the store, or the org.
pub fn scope_of(store_id: Option<&str>) -> ScopeRef {
    match store_id {
        Some(s) => ScopeRef::Store(s.to_string()),
        None => ScopeRef::Org,
    }
}

/// `need` at the rule's (or event's) store or, without one, the org.
pub fn authorize_at(actor: &Actor, need: impl Into<Need>, store_id: Option<&str>) -> Result<(), AppError> {
    authorize(actor, need, &scope_of(store_id))
}

/// The yes/no form, for filtering lists and showing controls.
pub fn can_at(actor: &Actor, need: impl Into<Need>, store_id: Option<&str>) -> bool {
    can(actor, need, &scope_of(store_id))
}
