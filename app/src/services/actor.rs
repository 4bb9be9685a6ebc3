//! Who is acting, and from where. Built from a session (a person) or an API key (an
//! integration) at the edge, then passed into every service call.

use crate::domain::audit::AuditActor;
use crate::services::access::Access;
use std::sync::Arc;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ActorKind {
    User,
    ApiKey,
    /// An automation rule running its actions (`id` is the rule's): bound to the event's
    /// store like an agent key, holding no role grants.
    Rule,
    /// The operator at the command line (`mandate config import`): holds every permission
    /// at the org and is audited as the system, `label` naming the command.
    Operator,
}

/// The request's origin, recorded in audit events and logs.
#[derive(Clone, Debug, Default)]
pub struct RequestMeta {
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Actor {
    pub org_id: String,
    pub org_slug: String,
    pub kind: ActorKind,
    /// User id or API key id.
    pub id: String,
    /// Email or key name.
    pub label: String,
    /// What the actor may do, loaded when the actor was built.
    pub access: Arc<Access>,
    /// Set for agent keys: the store (and maybe the assistant) they act for. Agent keys hold
    /// no role grants; `authz::authorize_agent_or` lets them check, invoke and list tools
    /// for their own store only.
    pub agent: Option<AgentBinding>,
    pub meta: RequestMeta,
}

/// What an agent key is bound to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AgentBinding {
    pub store_id: String,
    pub assistant_id: Option<String>,
}

impl Actor {
    pub fn audit_actor(&self) -> AuditActor {
        AuditActor {
            kind: match self.kind {
                ActorKind::User => "user",
                ActorKind::ApiKey => "api_key",
                ActorKind::Rule => "rule",
                ActorKind::Operator => "system",
            }
            .to_string(),
            id: (self.kind != ActorKind::Operator).then(|| self.id.clone()),
            label: self.label.clone(),
        }
    }
}

impl Actor {
    /// A rule acting at `store_id`: what its actions are decided, limited and audited as.
    pub fn for_rule(org_id: &str, org_slug: &str, rule_id: &str, rule_name: &str, store_id: &str) -> Actor {
        Actor {
            org_id: org_id.to_string(),
            org_slug: org_slug.to_string(),
            kind: ActorKind::Rule,
            id: rule_id.to_string(),
            label: format!("Automation rule \u{201c}{rule_name}\u{201d}"),
            access: Arc::new(Access::default()),
            agent: Some(AgentBinding { store_id: store_id.to_string(), assistant_id: None }),
            meta: RequestMeta::default(),
        }
    }
}

/// The actor for events the system causes itself (CLI, start-up tasks).
pub fn system_actor() -> AuditActor {
    AuditActor { kind: "system".into(), id: None, label: "system".into() }
}
