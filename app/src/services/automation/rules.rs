//! Automation rules: create (active by default), list with filters, get, update, toggle,
//! delete, the version history with restore, and the dry run.
//!
//! Permissions: reading needs View at the rule's store (or, for a rule of every store, any
//! role in the org); changing needs `rules.manage` there. Every save writes a new version
//! (`automation_rule_versions`) and an audit event with before and after, in one
//! transaction. The dry run decides each step with `gateway::check` (the same `decide` as
//! invoke) and executes nothing.

use super::{authorize_at, can_at};
use crate::domain::access::Need;
use crate::domain::automation::Condition;
use crate::domain::catalog::ActionDef;
use crate::domain::permission::Permission;
use crate::domain::policy::ActionRequest;
use crate::domain::rules::{
    check_conditions, check_sample, diff, outputs_available, preview_step, DryRun, DryRunStep, RuleAction,
    RuleDefinition, RuleInput, RuleView, RunSummary, SavedOutputs, VersionView,
};
use crate::domain::triggers;
use crate::domain::AppError;
use crate::entities::{automation_rule as rule, automation_rule_version as version, rule_run, store};
use crate::services::access::authz::authorize_somewhere;
use crate::services::access::lookup::find_store;
use crate::services::audit::{self, NewEvent};
use crate::services::gateway::check;
use crate::services::infra::db::{begin_write, new_id, now, rfc3339, WriteConn, WriteTx};
use crate::services::stores::catalog::Catalog;
use crate::services::stores::policy::PolicyCache;
use crate::services::{Actor, ActorKind};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::HashMap;

/// `GET /automation/rules` filters.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleFilter {
    #[serde(default)]
    pub module_type: Option<String>,
    #[serde(default)]
    pub trigger_id: Option<String>,
    #[serde(default)]
    pub is_active: Option<bool>,
    #[serde(default)]
    pub store_id: Option<String>,
}

/// `POST /automation/rules/{id}/test`: a sample event and, for a rule of every store, the
/// store to decide at.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DryRunInput {
    #[serde(default)]
    pub payload: Value,
    #[serde(default)]
    pub store_id: Option<String>,
}

/// The stored definition of a rule row.
pub fn definition_of(r: &rule::Model) -> RuleDefinition {
    RuleDefinition {
        name: r.name.clone(),
        description: r.description.clone(),
        module_type: r.module_type.clone(),
        trigger_id: r.trigger_id.clone(),
        store_id: r.store_id.clone(),
        conditions: serde_json::from_str::<Vec<Condition>>(&r.conditions).unwrap_or_default(),
        actions: serde_json::from_str::<Vec<RuleAction>>(&r.actions).unwrap_or_default(),
        is_active: r.is_active,
    }
}

fn view(r: &rule::Model, actor: &Actor, stores: &HashMap<String, String>, last: Option<&rule_run::Model>) -> RuleView {
    RuleView {
        id: r.id.clone(),
        definition: definition_of(r),
        trigger_name: triggers::find(&r.trigger_id).map(|t| t.name.to_string()).unwrap_or_else(|| r.trigger_id.clone()),
        store_name: r.store_id.as_ref().and_then(|s| stores.get(s).cloned()),
        version: r.version,
        consecutive_failures: r.consecutive_failures,
        paused_reason: r.paused_reason.clone(),
        last_run: last.map(|l| RunSummary { id: l.id.clone(), status: l.status.clone(), at: rfc3339(&l.created_at) }),
        created_at: rfc3339(&r.created_at),
        updated_at: rfc3339(&r.updated_at),
        can_manage: actor.agent.is_none() && can_at(actor, Permission::RulesManage, r.store_id.as_deref()),
    }
}

async fn store_names<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, String>, AppError> {
    let rows: Vec<(String, String)> = store::Entity::find()
        .select_only()
        .column(store::Column::Id)
        .column(store::Column::Name)
        .filter(store::Column::OrgId.eq(org_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// One of the org's rules, or NOT_FOUND (also for another org's).
pub async fn load<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<rule::Model, AppError> {
    rule::Entity::find_by_id(id.trim().to_string())
        .filter(rule::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("Rule"))
}

async fn last_run<C: ConnectionTrait>(conn: &C, rule_id: &str) -> Result<Option<rule_run::Model>, AppError> {
    Ok(rule_run::Entity::find()
        .filter(rule_run::Column::RuleId.eq(rule_id))
        .filter(rule_run::Column::Status.ne("skipped"))
        .order_by_desc(rule_run::Column::CreatedAt)
        .one(conn)
        .await?)
}

/// The rules the actor may see, filtered.
pub async fn list(db: &DatabaseConnection, actor: &Actor, filter: &RuleFilter) -> Result<Vec<RuleView>, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let mut q = rule::Entity::find().filter(rule::Column::OrgId.eq(&actor.org_id));
    if let Some(m) = filter.module_type.as_deref().map(str::trim).filter(|m| !m.is_empty()) {
        q = q.filter(rule::Column::ModuleType.eq(m));
    }
    if let Some(t) = filter.trigger_id.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        q = q.filter(rule::Column::TriggerId.eq(t));
    }
    if let Some(a) = filter.is_active {
        q = q.filter(rule::Column::IsActive.eq(a));
    }
    if let Some(s) = filter.store_id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        q = q.filter(rule::Column::StoreId.eq(s));
    }
    let rows = q.order_by_asc(rule::Column::Name).order_by_asc(rule::Column::Id).limit(500).all(db).await?;
    let stores = store_names(db, &actor.org_id).await?;
    let mut out = Vec::new();
    for r in rows.iter().filter(|r| r.store_id.is_none() || can_at(actor, Need::View, r.store_id.as_deref())) {
        let last = last_run(db, &r.id).await?;
        out.push(view(r, actor, &stores, last.as_ref()));
    }
    Ok(out)
}

/// One rule.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<RuleView, AppError> {
    let r = load(db, &actor.org_id, id).await?;
    if r.store_id.is_some() {
        authorize_at(actor, Need::View, r.store_id.as_deref())?;
    } else {
        authorize_somewhere(actor, Need::View)?;
    }
    let stores = store_names(db, &actor.org_id).await?;
    let last = last_run(db, &r.id).await?;
    Ok(view(&r, actor, &stores, last.as_ref()))
}

fn resolve(input: RuleInput, current: Option<&RuleDefinition>, catalog: &Catalog) -> Result<RuleDefinition, AppError> {
    input.resolve(current, |id| catalog.get(id).map(|d| d.as_ref()))
}

/// Agent keys act for an assistant at a store; they never change rules.
fn refuse_agents(actor: &Actor) -> Result<(), AppError> {
    if actor.agent.is_some() {
        return Err(AppError::permission_denied("Agent keys can't change automation rules."));
    }
    Ok(())
}

fn put_definition(am: &mut rule::ActiveModel, d: &RuleDefinition) {
    am.name = Set(d.name.clone());
    am.description = Set(d.description.clone());
    am.module_type = Set(d.module_type.clone());
    am.trigger_id = Set(d.trigger_id.clone());
    am.store_id = Set(d.store_id.clone());
    am.conditions = Set(serde_json::to_string(&d.conditions).unwrap_or_else(|_| "[]".into()));
    am.actions = Set(serde_json::to_string(&d.actions).unwrap_or_else(|_| "[]".into()));
    am.is_active = Set(d.is_active);
}

/// Writes version `n` of a rule (inside the saving transaction).
async fn save_version(tx: &WriteTx, r: &rule::Model, d: &RuleDefinition, by: &str, note: &str) -> Result<(), AppError> {
    version::ActiveModel {
        id: Set(new_id()),
        org_id: Set(r.org_id.clone()),
        rule_id: Set(r.id.clone()),
        version: Set(r.version),
        definition: Set(serde_json::to_string(d).unwrap_or_default()),
        changed_by: Set(by.to_string()),
        note: Set(note.chars().take(200).collect()),
        created_at: Set(now()),
    }
    .insert(tx)
    .await?;
    Ok(())
}

fn snapshot(id: &str, version: i32, d: &RuleDefinition) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["id"] = json!(id);
    v["version"] = json!(version);
    v
}

/// Creates a rule (active unless `is_active: false`), version 1.
pub async fn create(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    input: RuleInput,
) -> Result<RuleView, AppError> {
    refuse_agents(actor)?;
    let catalog = cache.catalog(db).await?;
    let d = resolve(input, None, &catalog)?;
    if let Some(s) = &d.store_id {
        find_store(db, &actor.org_id, s).await?;
    }
    authorize_at(actor, Permission::RulesManage, d.store_id.as_deref())?;
    let at = now();
    let tx = begin_write(db).await?;
    let mut am = rule::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        version: Set(1),
        consecutive_failures: Set(0),
        paused_reason: Set(None),
        created_by: Set((actor.kind == ActorKind::User).then(|| actor.id.clone())),
        created_at: Set(at),
        updated_at: Set(at),
        ..Default::default()
    };
    put_definition(&mut am, &d);
    let r = am.insert(&tx).await?;
    save_version(&tx, &r, &d, &actor.label, "created").await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("automation_rule.created", "automation_rule", Some(&r.id)).after(snapshot(&r.id, 1, &d)),
    )
    .await?;
    tx.commit().await?;
    let stores = store_names(db, &actor.org_id).await?;
    Ok(view(&r, actor, &stores, None))
}

/// Saves a new definition of `r` as its next version (audited, with the fields that
/// changed); a save that changes nothing writes nothing. Switching a rule back on clears its
/// run of failures and the pause reason.
async fn save(
    tx: &WriteTx,
    actor: &Actor,
    r: rule::Model,
    d: &RuleDefinition,
    action: &str,
    note: &str,
) -> Result<rule::Model, AppError> {
    let before = definition_of(&r);
    let changed = diff(&before, d);
    if changed.is_empty() {
        return Ok(r);
    }
    let next = r.version + 1;
    let mut am: rule::ActiveModel = r.clone().into();
    put_definition(&mut am, d);
    am.version = Set(next);
    if d.is_active && !before.is_active {
        // Switched back on: a fresh start.
        am.consecutive_failures = Set(0);
        am.paused_reason = Set(None);
    }
    am.updated_at = Set(now());
    let saved = am.update(tx).await?;
    let note = if note.is_empty() { format!("changed {}", changed.join(", ")) } else { note.to_string() };
    save_version(tx, &saved, d, &actor.label, &note).await?;
    audit::append(
        tx,
        &saved.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new(action, "automation_rule", Some(&saved.id))
            .before(snapshot(&r.id, r.version, &before))
            .after(snapshot(&saved.id, next, d)),
    )
    .await?;
    Ok(saved)
}

async fn change(
    db: &impl WriteConn,
    actor: &Actor,
    id: &str,
    action: &str,
    note: &str,
    make: impl FnOnce(&RuleDefinition) -> Result<RuleDefinition, AppError>,
) -> Result<RuleView, AppError> {
    refuse_agents(actor)?;
    let r = load(db, &actor.org_id, id).await?;
    authorize_at(actor, Permission::RulesManage, r.store_id.as_deref())?;
    let d = make(&definition_of(&r))?;
    if d.store_id != r.store_id {
        if let Some(s) = &d.store_id {
            find_store(db, &actor.org_id, s).await?;
        }
        authorize_at(actor, Permission::RulesManage, d.store_id.as_deref())?;
    }
    let tx = begin_write(db).await?;
    let r = load(&tx, &actor.org_id, id).await?;
    let saved = save(&tx, actor, r, &d, action, note).await?;
    tx.commit().await?;
    let stores = store_names(db, &actor.org_id).await?;
    let last = last_run(db, &saved.id).await?;
    Ok(view(&saved, actor, &stores, last.as_ref()))
}

/// Changes what the input names; the rest stays.
pub async fn update(
    db: &impl WriteConn,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    input: RuleInput,
) -> Result<RuleView, AppError> {
    let catalog = cache.catalog(db).await?;
    change(db, actor, id, "automation_rule.updated", "", |current| resolve(input, Some(current), &catalog)).await
}

/// Switches a rule on or off.
pub async fn toggle(db: &DatabaseConnection, actor: &Actor, id: &str, is_active: bool) -> Result<RuleView, AppError> {
    let note = if is_active { "switched on" } else { "switched off" };
    change(db, actor, id, "automation_rule.toggled", note, |current| {
        Ok(RuleDefinition { is_active, ..current.clone() })
    })
    .await
}

/// Makes version `v`'s definition the current one, as a new version.
pub async fn restore(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    v: i32,
) -> Result<RuleView, AppError> {
    let r = load(db, &actor.org_id, id).await?;
    let old = version::Entity::find()
        .filter(version::Column::RuleId.eq(&r.id))
        .filter(version::Column::Version.eq(v))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Version"))?;
    let d: RuleDefinition = serde_json::from_str(&old.definition).map_err(|e| {
        tracing::error!(error = %e, rule = id, version = v, "stored rule version unreadable");
        AppError::internal()
    })?;
    // The old definition must still be valid today (a store deleted, an action retired).
    let catalog = cache.catalog(db).await?;
    let input = RuleInput {
        name: Some(d.name),
        description: Some(d.description),
        module_type: Some(d.module_type),
        trigger_id: Some(d.trigger_id),
        store_id: Some(d.store_id),
        conditions: Some(
            d.conditions
                .into_iter()
                .map(|c| crate::domain::rules::ConditionInput {
                    kind: c.kind.key().to_string(),
                    field: c.field,
                    value: c.value,
                })
                .collect(),
        ),
        actions: Some(d.actions),
        is_active: Some(d.is_active),
    };
    let note = format!("restored version {v}");
    change(db, actor, id, "automation_rule.restored", &note, |current| resolve(input, Some(current), &catalog)).await
}

/// Deletes a rule and its versions; its runs stay in the history.
pub async fn delete(db: &impl WriteConn, actor: &Actor, id: &str) -> Result<(), AppError> {
    refuse_agents(actor)?;
    let r = load(db, &actor.org_id, id).await?;
    authorize_at(actor, Permission::RulesManage, r.store_id.as_deref())?;
    let tx = begin_write(db).await?;
    let r = load(&tx, &actor.org_id, id).await?;
    version::Entity::delete_many().filter(version::Column::RuleId.eq(&r.id)).exec(&tx).await?;
    rule::Entity::delete_by_id(r.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("automation_rule.deleted", "automation_rule", Some(&r.id)).before(snapshot(
            &r.id,
            r.version,
            &definition_of(&r),
        )),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every saved version, newest first, each with what changed from the one before.
pub async fn versions(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<Vec<VersionView>, AppError> {
    let r = get(db, actor, id).await?;
    let rows = version::Entity::find()
        .filter(version::Column::OrgId.eq(&actor.org_id))
        .filter(version::Column::RuleId.eq(&r.id))
        .order_by_asc(version::Column::Version)
        .all(db)
        .await?;
    let mut out: Vec<VersionView> = Vec::new();
    let mut previous: Option<RuleDefinition> = None;
    for row in rows {
        let Ok(d) = serde_json::from_str::<RuleDefinition>(&row.definition) else { continue };
        out.push(VersionView {
            version: row.version,
            changed: previous.as_ref().map(|p| diff(p, &d)).unwrap_or_default(),
            definition: d.clone(),
            changed_by: row.changed_by,
            note: row.note,
            created_at: rfc3339(&row.created_at),
        });
        previous = Some(d);
    }
    out.reverse();
    Ok(out)
}

/// The outputs each step of these actions may use (for the editor).
pub fn step_outputs(catalog: &Catalog, actions: &[RuleAction]) -> Vec<Vec<SavedOutputs>> {
    outputs_available(actions, |id| catalog.get(id).map(|d| ActionDef::clone(d)))
}

/// Dry run of a saved rule on a sample payload.
pub async fn dry_run(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    id: &str,
    input: DryRunInput,
) -> Result<DryRun, AppError> {
    let r = get(db, actor, id).await?;
    dry_run_definition(db, cache, actor, &r.definition, input).await
}

/// Dry run of a definition (saved or still being edited): conditions on the sample, each
/// step's parameters rendered and the decision it would get now. Nothing executed, nothing
/// counted: decisions come from `gateway::check`, which has no side effects.
pub async fn dry_run_definition(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    d: &RuleDefinition,
    input: DryRunInput,
) -> Result<DryRun, AppError> {
    let payload = if input.payload.is_null() { json!({}) } else { input.payload };
    check_sample(&payload)?;
    let store_id = d.store_id.clone().or(input.store_id.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    let store = match &store_id {
        Some(s) => {
            let s = find_store(db, &actor.org_id, s).await?;
            authorize_at(actor, Need::View, Some(&s.id))?;
            Some(s)
        }
        None => {
            authorize_somewhere(actor, Need::View)?;
            None
        }
    };
    let catalog = cache.catalog(db).await?;
    let (matched, conditions) = check_conditions(&d.conditions, &payload);
    let outputs = step_outputs(&catalog, &d.actions);
    let mut steps = Vec::new();
    for (i, a) in d.actions.iter().enumerate() {
        let (rendered, uses_vars) = preview_step(a, &payload, &outputs[i]);
        let mut step = DryRunStep {
            index: i,
            kind: a.kind.clone(),
            parameters: rendered.as_ref().ok().cloned(),
            decision: None,
            error: rendered.as_ref().err().cloned(),
            note: None,
        };
        match (&rendered, &store, uses_vars) {
            (Err(_), _, _) => {}
            (Ok(_), _, true) => {
                step.note = Some("Decided when the run gets here: it uses the outputs of an earlier step.".into())
            }
            (Ok(_), None, false) => {}
            (Ok(params), Some(s), false) => {
                let rule_actor = Actor::for_rule(&actor.org_id, &actor.org_slug, "dry-run", &d.name, &s.id);
                let req = ActionRequest {
                    store_id: Some(s.id.clone()),
                    action_type: a.kind.clone(),
                    params: params.clone(),
                    customer_ref: payload.get("customer_ref").and_then(Value::as_str).map(str::to_string),
                    ..Default::default()
                };
                match check::check(db, cache, &rule_actor, req).await {
                    Ok(c) => step.decision = Some(c.decision),
                    Err(e) => step.error = Some(error_text(&e)),
                }
            }
        }
        steps.push(step);
    }
    let note = store.is_none().then(|| {
        "This rule runs for every store, so its decisions depend on the event's store: choose a store to see them."
            .to_string()
    });
    Ok(DryRun { matched, conditions, steps, note })
}

/// An error as one line for a run or dry run: the message and each field's problem.
pub fn error_text(e: &AppError) -> String {
    if e.fields.is_empty() {
        e.message.clone()
    } else {
        let fields: Vec<String> = e.fields.iter().map(|f| format!("{}: {}", f.field, f.message)).collect();
        format!("{} {}", e.message, fields.join("; ")).trim().to_string()
    }
}

/// Dry run of a definition still being edited (the rule editor's "Dry run"): the input is
/// resolved as a save would resolve it (every problem a field error naming where it is),
/// then dry-run like a saved rule. A blank name is allowed here: nothing is saved.
pub async fn preview(
    db: &DatabaseConnection,
    cache: &PolicyCache,
    actor: &Actor,
    mut input: RuleInput,
    dry: DryRunInput,
) -> Result<DryRun, AppError> {
    authorize_somewhere(actor, Need::View)?;
    if input.name.as_deref().is_none_or(|n| n.trim().is_empty()) {
        input.name = Some("Rule being edited".into());
    }
    let catalog = cache.catalog(db).await?;
    let d = resolve(input, None, &catalog)?;
    dry_run_definition(db, cache, actor, &d, dry).await
}

/// The stores the actor can see, by name, each with whether they may manage rules there;
/// and whether they may make rules for every store (`rules.manage` at the org). For the
/// editor's store picker and its dry run's store; saving checks again.
pub async fn store_choices(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<(Vec<(crate::domain::actions::Choice, bool)>, bool), AppError> {
    authorize_somewhere(actor, Need::View)?;
    let people = actor.agent.is_none();
    let mut stores: Vec<(crate::domain::actions::Choice, bool)> = store_names(db, &actor.org_id)
        .await?
        .into_iter()
        .filter(|(id, _)| can_at(actor, Need::View, Some(id)))
        .map(|(id, label)| {
            let manage = people && can_at(actor, Permission::RulesManage, Some(&id));
            (crate::domain::actions::Choice { id, label }, manage)
        })
        .collect();
    stores.sort_by(|(a, _), (b, _)| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then(a.id.cmp(&b.id)));
    let org_wide = people && can_at(actor, Permission::RulesManage, None);
    Ok((stores, org_wide))
}
