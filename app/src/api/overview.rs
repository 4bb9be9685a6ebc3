//! Data for the overview page.

use crate::domain::audit::ChainReport;
use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct RecentEvent {
    pub seq: i64,
    pub occurred_at: String,
    pub actor: String,
    pub action: String,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Overview {
    pub org_name: String,
    pub org_slug: String,
    pub users: u64,
    pub api_keys: u64,
    pub audit_events: u64,
    /// The audit sections, for those who may read the audit trail.
    pub chain: Option<ChainReport>,
    pub recent: Option<Vec<RecentEvent>>,
}

#[server(endpoint = "overview")]
pub async fn get_overview() -> Result<Overview, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::domain::access::ScopeRef;
        use crate::domain::permission::Permission;
        use crate::services::{access::authz, audit, org::orgs};
        let state = ctx::state()?;
        let actor = ctx::actor().await?;
        let o = orgs::overview(&state.db, &actor).await?;
        let (chain, recent) = if authz::can(&actor, Permission::AuditRead, &ScopeRef::Org) {
            let chain = audit::log::verify_for(&state.db, &actor).await?;
            let recent = audit::log::recent_events(&state.db, &actor, 10)
                .await?
                .into_iter()
                .map(|e| RecentEvent { seq: e.seq, occurred_at: e.occurred_at, actor: e.actor.label, action: e.action })
                .collect();
            (Some(chain), Some(recent))
        } else {
            (None, None)
        };
        Ok(Overview {
            org_name: o.org_name,
            org_slug: o.org_slug,
            users: o.users,
            api_keys: o.api_keys,
            audit_events: o.audit_events,
            chain,
            recent,
        })
    })
    .await
}
