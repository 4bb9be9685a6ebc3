//! The read side of the agent gateway: the list of action attempts with its filters and
//! cursor (`/audit`, `GET /api/v1/actions`), one action with its decision trace, result and
//! timeline (`/audit/actions/:id`, `GET /api/v1/actions/{id}`), the CSV export, the Approvals
//! inbox with its count, and the overview's sections. The write side is `services::gateway::actions`.
//!
//! Permissions: reading actions needs `audit.read` at their store; lists show only rows of
//! stores where the actor holds it (an agent key reads its own store's). The inbox shows
//! actions waiting for staff at stores where the actor holds `actions.approve` (agent keys
//! never approve). Another org's ids answer NOT_FOUND.

use crate::domain::access::{allows_somewhere, Need, ScopeRef};
use crate::domain::actions::{
    csv_line, csv_record, event_detail, event_label, input_pairs, parse_cursor, ActionDetail, ActionError,
    ActionFilter, ActionPage, ActionRow, ActionsOverview, Choice, FilterOptions, PendingApproval, TimelineStep,
    CSV_COLUMNS,
};
use crate::domain::audit::ChainReport;
use crate::domain::permission::Permission;
use crate::domain::policy::Step;
use crate::domain::AppError;
use crate::entities::{action, action_definition, assistant, audit_event, store};
use crate::services::access::authz::{authorize, authorize_agent_or, authorize_somewhere, can};
use crate::services::access::authz::{authorize_at_store, can_at_store};
use crate::services::access::lookup::{find_assistant, find_store};
use crate::services::infra::db::{now, rfc3339};
use crate::services::Actor;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use serde_json::Value;
use std::collections::HashMap;

/// Most rows one CSV export holds; a narrower filter gets the rest.
pub const CSV_MAX_ROWS: usize = 100_000;

/// The stores whose actions the actor may read (or approve), and whether that is every
/// store of the org (so the list needs no store filter).
struct Reach {
    stores: HashMap<String, store::Model>,
    org_wide: bool,
}

impl Reach {
    fn ids(&self) -> Vec<String> {
        self.stores.keys().cloned().collect()
    }

    /// Restricts `q` to the reachable stores.
    fn filter(&self, q: Select<action::Entity>) -> Select<action::Entity> {
        if self.org_wide {
            q
        } else {
            q.filter(action::Column::StoreId.is_in(self.ids()))
        }
    }
}

async fn org_stores<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Vec<store::Model>, AppError> {
    store::Entity::find().filter(store::Column::OrgId.eq(org_id)).all(conn).await.map_err(AppError::from)
}

/// Where the actor may read actions: an agent key its own store; anyone else the stores
/// where they hold `audit.read` (PERMISSION_DENIED when nowhere).
async fn read_reach(db: &DatabaseConnection, actor: &Actor) -> Result<Reach, AppError> {
    let all = org_stores(db, &actor.org_id).await?;
    if let Some(binding) = &actor.agent {
        let stores = all.into_iter().filter(|s| s.id == binding.store_id).map(|s| (s.id.clone(), s)).collect();
        return Ok(Reach { stores, org_wide: false });
    }
    authorize_somewhere(actor, Permission::AuditRead)?;
    let org_wide = can(actor, Permission::AuditRead, &ScopeRef::Org);
    let stores = all
        .into_iter()
        .filter(|s| org_wide || can_at_store(actor, Permission::AuditRead, s))
        .map(|s| (s.id.clone(), s))
        .collect();
    Ok(Reach { stores, org_wide })
}

/// Where the actor may approve: the stores where they hold `actions.approve`.
async fn approve_reach(db: &DatabaseConnection, actor: &Actor) -> Result<Reach, AppError> {
    if actor.agent.is_some() {
        return Err(AppError::permission_denied(
            "Agent keys can't approve actions; a person with actions.approve does.",
        ));
    }
    authorize_somewhere(actor, Permission::ActionsApprove)?;
    let org_wide = can(actor, Permission::ActionsApprove, &ScopeRef::Org);
    let stores = org_stores(db, &actor.org_id)
        .await?
        .into_iter()
        .filter(|s| org_wide || can_at_store(actor, Permission::ActionsApprove, s))
        .map(|s| (s.id.clone(), s))
        .collect();
    Ok(Reach { stores, org_wide })
}

/// May the actor read the actions of store `s`? (agent keys: their own store only)
fn authorize_read_at(actor: &Actor, s: &store::Model) -> Result<(), AppError> {
    if actor.agent.is_some() {
        authorize_agent_or(actor, Need::View, &s.id, None)
    } else {
        authorize_at_store(actor, Permission::AuditRead, s)
    }
}

/// The catalog's plain name and description of each action id (the newest version; the
/// org's own definitions too).
async fn action_names<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
) -> Result<HashMap<String, (String, String)>, AppError> {
    let rows = action_definition::Entity::find()
        .filter(
            Condition::any()
                .add(action_definition::Column::OrgId.is_null())
                .add(action_definition::Column::OrgId.eq(org_id)),
        )
        .order_by_asc(action_definition::Column::Id)
        .order_by_desc(action_definition::Column::Version)
        .all(conn)
        .await?;
    let mut out = HashMap::new();
    for r in rows {
        out.entry(r.id).or_insert((r.name, r.description));
    }
    Ok(out)
}

/// Names of the assistants `rows` name.
async fn assistant_names<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    rows: &[action::Model],
) -> Result<HashMap<String, String>, AppError> {
    let mut ids: Vec<String> = rows.iter().filter_map(|r| r.assistant_id.clone()).collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(String, String)> = assistant::Entity::find()
        .select_only()
        .column(assistant::Column::Id)
        .column(assistant::Column::Name)
        .filter(assistant::Column::OrgId.eq(org_id))
        .filter(assistant::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

/// What the rows need besides themselves: store, assistant and action names.
struct Names {
    stores: HashMap<String, store::Model>,
    assistants: HashMap<String, String>,
    actions: HashMap<String, (String, String)>,
}

impl Names {
    async fn load<C: ConnectionTrait>(
        conn: &C,
        org_id: &str,
        stores: HashMap<String, store::Model>,
        rows: &[action::Model],
    ) -> Result<Names, AppError> {
        Ok(Names {
            stores,
            assistants: assistant_names(conn, org_id, rows).await?,
            actions: action_names(conn, org_id).await?,
        })
    }

    fn row(&self, a: &action::Model) -> ActionRow {
        let s = self.stores.get(&a.store_id);
        ActionRow {
            id: a.id.clone(),
            created_at: rfc3339(&a.created_at),
            store_id: a.store_id.clone(),
            store_name: s.map(|s| s.name.clone()).unwrap_or_else(|| "(deleted store)".into()),
            currency: s.map(|s| s.currency.clone()).unwrap_or_default(),
            assistant_id: a.assistant_id.clone(),
            assistant_name: a
                .assistant_id
                .as_ref()
                .map(|id| self.assistants.get(id).cloned().unwrap_or_else(|| "(deleted assistant)".into())),
            rule_run_id: a.rule_run_id.clone(),
            action_type: a.action_type.clone(),
            action_name: self
                .actions
                .get(&a.action_type)
                .map(|(n, _)| n.clone())
                .unwrap_or_else(|| a.action_type.clone()),
            amount: a.amount.clone(),
            decision: a.decision.clone(),
            status: a.status.clone(),
            code: a.code.clone(),
            reason: a.reason.clone(),
            confirmation_by: a.confirmation_by.clone(),
            confirmed_by: a.confirmed_by.clone(),
            executed_at: a.executed_at.as_ref().map(rfc3339),
            error_code: a.error_code.clone(),
        }
    }

    fn description(&self, a: &action::Model) -> String {
        self.actions.get(&a.action_type).map(|(_, d)| d.clone()).unwrap_or_default()
    }
}

fn parse_trace(text: &str) -> Vec<Step> {
    serde_json::from_str(text).unwrap_or_default()
}

fn parse_json(text: &Option<String>) -> Option<Value> {
    text.as_deref().map(|t| serde_json::from_str(t).unwrap_or_else(|_| Value::String(t.to_string())))
}

/// Checks the named store and assistant filters: another org's → NOT_FOUND; a store the
/// actor may not read → PERMISSION_DENIED.
async fn check_filter(db: &DatabaseConnection, actor: &Actor, filter: &ActionFilter) -> Result<(), AppError> {
    if let Some(id) = &filter.store_id {
        let s = find_store(db, &actor.org_id, id).await?;
        authorize_read_at(actor, &s)?;
    }
    if let Some(id) = &filter.assistant_id {
        let a = find_assistant(db, &actor.org_id, id).await?;
        let s = find_store(db, &actor.org_id, &a.store_id).await?;
        authorize_read_at(actor, &s)?;
    }
    Ok(())
}

fn filtered(actor: &Actor, reach: &Reach, filter: &ActionFilter) -> Select<action::Entity> {
    let mut q = reach.filter(action::Entity::find().filter(action::Column::OrgId.eq(actor.org_id.as_str())));
    if let Some(v) = &filter.store_id {
        q = q.filter(action::Column::StoreId.eq(v.as_str()));
    }
    if let Some(v) = &filter.assistant_id {
        q = q.filter(action::Column::AssistantId.eq(v.as_str()));
    }
    if let Some(v) = &filter.rule_run_id {
        q = q.filter(action::Column::RuleRunId.eq(v.as_str()));
    }
    if let Some(v) = &filter.action_type {
        q = q.filter(action::Column::ActionType.eq(v.as_str()));
    }
    if let Some(v) = &filter.status {
        q = q.filter(action::Column::Status.eq(v.as_str()));
    }
    if let Some(v) = &filter.decision {
        q = q.filter(action::Column::Decision.eq(v.as_str()));
    }
    if let Some(t) = filter.from {
        q = q.filter(action::Column::CreatedAt.gte(t));
    }
    if let Some(t) = filter.until {
        q = q.filter(action::Column::CreatedAt.lt(t));
    }
    q
}

/// One page of rows after `cursor`, newest first, and the next cursor.
async fn page_of(
    db: &DatabaseConnection,
    q: Select<action::Entity>,
    cursor: Option<&str>,
    limit: u64,
) -> Result<(Vec<action::Model>, Option<String>), AppError> {
    let mut q = q;
    if let Some(c) = cursor {
        q = q.filter(action::Column::Id.lt(c));
    }
    let mut rows = q.order_by_desc(action::Column::Id).limit(limit + 1).all(db).await?;
    let next = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok((rows, next))
}

/// The actions matching `filter` at stores the actor may read, newest first, `limit`
/// (1–200) at a time after `cursor` (the previous page's `next_cursor`).
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &ActionFilter,
    cursor: Option<&str>,
    limit: u64,
) -> Result<ActionPage, AppError> {
    let reach = read_reach(db, actor).await?;
    check_filter(db, actor, filter).await?;
    let cursor = parse_cursor(cursor)?;
    let limit = limit.clamp(1, 200);
    let (rows, next_cursor) = page_of(db, filtered(actor, &reach, filter), cursor.as_deref(), limit).await?;
    let names = Names::load(db, &actor.org_id, reach.stores, &rows).await?;
    Ok(ActionPage { items: rows.iter().map(|r| names.row(r)).collect(), next_cursor })
}

/// The org's action `id` or NOT_FOUND.
async fn find_action(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<action::Model, AppError> {
    action::Entity::find_by_id(id.trim().to_string())
        .filter(action::Column::OrgId.eq(actor.org_id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Action"))
}

/// One action with its request, decision trace, result or error, and its timeline (the
/// action's audit events, oldest first).
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<ActionDetail, AppError> {
    let a = find_action(db, actor, id).await?;
    let s = store::Entity::find_by_id(a.store_id.clone()).one(db).await?;
    match &s {
        Some(s) => authorize_read_at(actor, s)?,
        // The store was deleted since: only org-wide auditors still read its actions.
        None if actor.agent.is_some() => {
            return Err(AppError::permission_denied("This agent key acts for another store."))
        }
        None => authorize(actor, Permission::AuditRead, &ScopeRef::Org)?,
    }
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(audit_event::Column::EntityType.eq("action"))
        .filter(audit_event::Column::EntityId.eq(a.id.as_str()))
        .order_by_asc(audit_event::Column::Seq)
        .all(db)
        .await?;
    let stores: HashMap<String, store::Model> = s.into_iter().map(|s| (s.id.clone(), s)).collect();
    let names = Names::load(db, &actor.org_id, stores, std::slice::from_ref(&a)).await?;
    let timeline: Vec<TimelineStep> = events
        .iter()
        .map(|e| TimelineStep {
            event: e.action.clone(),
            label: event_label(&e.action),
            actor_label: e.actor_label.clone(),
            actor_kind: e.actor_type.clone(),
            at: rfc3339(&e.occurred_at),
            seq: e.seq,
            detail: event_detail(&e.action, parse_json(&e.after_json).as_ref()),
        })
        .collect();
    let inputs: Value = serde_json::from_str(&a.action_data).unwrap_or(Value::Null);
    Ok(ActionDetail {
        row: names.row(&a),
        action_version: a.action_version,
        action_description: names.description(&a),
        input_list: input_pairs(&inputs),
        inputs,
        customer_ref: a.customer_ref.clone(),
        conversation_id: a.conversation_id.clone(),
        requested_by: timeline.iter().find(|t| t.event == "action.requested").map(|t| t.actor_label.clone()),
        trace: parse_trace(&a.trace),
        result: parse_json(&a.result),
        error: a.error_code.as_ref().map(|code| ActionError { code: code.clone(), message: a.error_message.clone() }),
        confirmed_at: a.confirmed_at.as_ref().map(rfc3339),
        customer_confirmed_at: a.customer_confirmed_at.as_ref().map(rfc3339),
        expires_at: a.expires_at.as_ref().map(rfc3339),
        timeline,
    })
}

/// Pending actions waiting for staff at the reachable stores, not yet past their expiry.
fn waiting(actor: &Actor, reach: &Reach) -> Select<action::Entity> {
    reach
        .filter(action::Entity::find().filter(action::Column::OrgId.eq(actor.org_id.as_str())))
        .filter(action::Column::Status.eq("pending"))
        .filter(action::Column::ConfirmationBy.eq("staff"))
        .filter(Condition::any().add(action::Column::ExpiresAt.is_null()).add(action::Column::ExpiresAt.gt(now())))
}

/// The Approvals inbox: actions waiting for staff at stores where the actor holds
/// `actions.approve`, oldest first (at most 200).
pub async fn pending_approvals(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<PendingApproval>, AppError> {
    let reach = approve_reach(db, actor).await?;
    if reach.stores.is_empty() {
        return Ok(Vec::new());
    }
    let rows = waiting(actor, &reach).order_by_asc(action::Column::Id).limit(200).all(db).await?;
    let requesters = requesters(db, actor, &rows).await?;
    let names = Names::load(db, &actor.org_id, reach.stores, &rows).await?;
    Ok(rows
        .iter()
        .map(|a| {
            let inputs: Value = serde_json::from_str(&a.action_data).unwrap_or(Value::Null);
            PendingApproval {
                row: names.row(a),
                action_description: names.description(a),
                input_list: input_pairs(&inputs),
                requested_by: requesters.get(&a.id).cloned(),
                trace: parse_trace(&a.trace),
                expires_at: a.expires_at.as_ref().map(rfc3339),
            }
        })
        .collect())
}

/// Who asked for each of `rows` (the actor of its `action.requested` event).
async fn requesters(
    db: &DatabaseConnection,
    actor: &Actor,
    rows: &[action::Model],
) -> Result<HashMap<String, String>, AppError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
    let found: Vec<(Option<String>, String)> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::EntityId)
        .column(audit_event::Column::ActorLabel)
        .filter(audit_event::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(audit_event::Column::EntityType.eq("action"))
        .filter(audit_event::Column::Action.eq("action.requested"))
        .filter(audit_event::Column::EntityId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    Ok(found.into_iter().filter_map(|(id, label)| id.map(|id| (id, label))).collect())
}

/// How many actions wait for the actor's approval (the navigation badge).
pub async fn pending_count(db: &DatabaseConnection, actor: &Actor) -> Result<u64, AppError> {
    let reach = approve_reach(db, actor).await?;
    if reach.stores.is_empty() {
        return Ok(0);
    }
    waiting(actor, &reach).count(db).await.map_err(AppError::from)
}

/// The filtered list as CSV text (header row, then newest first; at most `CSV_MAX_ROWS`).
pub async fn csv(db: &DatabaseConnection, actor: &Actor, filter: &ActionFilter) -> Result<String, AppError> {
    let reach = read_reach(db, actor).await?;
    check_filter(db, actor, filter).await?;
    let mut out = csv_line(CSV_COLUMNS);
    let mut cursor: Option<String> = None;
    let mut written = 0usize;
    let actions = action_names(db, &actor.org_id).await?;
    loop {
        let (rows, next) = page_of(db, filtered(actor, &reach, filter), cursor.as_deref(), 500).await?;
        let names = Names {
            stores: reach.stores.clone(),
            assistants: assistant_names(db, &actor.org_id, &rows).await?,
            actions: actions.clone(),
        };
        for r in &rows {
            if written >= CSV_MAX_ROWS {
                return Ok(out);
            }
            out.push_str(&csv_line(&csv_record(&names.row(r))));
            written += 1;
        }
        match next {
            Some(n) => cursor = Some(n),
            None => return Ok(out),
        }
    }
}

/// The overview's sections: how many actions wait for the viewer's approval, the last
/// executed actions and the last denials at stores the viewer may audit. Sections the
/// viewer may not see are None (a Viewer gets none, and no error).
pub async fn overview(db: &DatabaseConnection, actor: &Actor) -> Result<ActionsOverview, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let pending = if actor.agent.is_none() && allows_somewhere(&actor.access.grants, Permission::ActionsApprove.into())
    {
        Some(pending_count(db, actor).await?)
    } else {
        None
    };
    let (recent, denials) = if allows_somewhere(&actor.access.grants, Permission::AuditRead.into()) {
        let reach = read_reach(db, actor).await?;
        let base = || reach.filter(action::Entity::find().filter(action::Column::OrgId.eq(actor.org_id.as_str())));
        let executed = base()
            .filter(action::Column::Status.eq("executed"))
            .order_by_desc(action::Column::ExecutedAt)
            .limit(5)
            .all(db)
            .await?;
        let denied = base()
            .filter(action::Column::Decision.eq("deny"))
            .order_by_desc(action::Column::Id)
            .limit(5)
            .all(db)
            .await?;
        let both: Vec<action::Model> = executed.iter().chain(denied.iter()).cloned().collect();
        let names = Names::load(db, &actor.org_id, reach.stores, &both).await?;
        (Some(executed.iter().map(|r| names.row(r)).collect()), Some(denied.iter().map(|r| names.row(r)).collect()))
    } else {
        (None, None)
    };
    Ok(ActionsOverview { pending, recent, denials })
}

/// What the audit page's filter offers: the stores the actor may audit (by name), their
/// assistants, and the catalog's actions (by name).
pub async fn filter_options(db: &DatabaseConnection, actor: &Actor) -> Result<FilterOptions, AppError> {
    let reach = read_reach(db, actor).await?;
    let mut stores: Vec<Choice> =
        reach.stores.values().map(|s| Choice { id: s.id.clone(), label: s.name.clone() }).collect();
    stores.sort_by(|a, b| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then(a.id.cmp(&b.id)));
    let rows = assistant::Entity::find()
        .filter(assistant::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(assistant::Column::StoreId.is_in(reach.ids()))
        .all(db)
        .await?;
    let mut assistants: Vec<Choice> = rows
        .iter()
        .map(|a| {
            let store = reach.stores.get(&a.store_id).map(|s| s.name.as_str()).unwrap_or("");
            Choice { id: a.id.clone(), label: format!("{} ({store})", a.name) }
        })
        .collect();
    assistants.sort_by_key(|a| a.label.to_lowercase());
    let mut actions: Vec<Choice> = action_names(db, &actor.org_id)
        .await?
        .into_iter()
        .map(|(id, (name, _))| Choice { label: format!("{name} ({id})"), id })
        .collect();
    actions.sort_by_key(|a| a.label.to_lowercase());
    Ok(FilterOptions { stores, assistants, actions })
}

/// The audit chain's status for the audit page: verifying it reads every event of the org,
/// so only those holding `audit.read` at the org get it; a store-scoped auditor gets None
/// (and no error, so their page still shows their stores' actions).
pub async fn chain_status(db: &DatabaseConnection, actor: &Actor) -> Result<Option<ChainReport>, AppError> {
    if actor.agent.is_some() {
        return Err(AppError::permission_denied("Agent keys can't read the audit chain."));
    }
    authorize_somewhere(actor, Permission::AuditRead)?;
    if !can(actor, Permission::AuditRead, &ScopeRef::Org) {
        return Ok(None);
    }
    crate::services::audit::verify_org(db, &actor.org_id).await.map(Some)
}
