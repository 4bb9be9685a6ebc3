//! Running rules: for an event, every active rule of its org listening for its trigger (and
//! its store, or every store) runs once (`rule_runs` is unique per event and rule).
//!
//! A run evaluates the conditions (all must hold, else `skipped`), then takes the steps in
//! order. Each step's parameters are rendered from the payload and the outputs earlier steps
//! saved; the action goes through the gateway's invoke acting as the rule, with the
//! idempotency key `run:<run id>:step:<n>`, so a run repeated after a crash replays the
//! answers its actions already got instead of acting twice. A denied step is a recorded
//! denial and ends the run `failed`; a step waiting for confirmation leaves the run
//! `waiting` until a person decides (the worker then continues it); a failure ends it
//! `failed`. A rule whose runs fail `PAUSE_AFTER_FAILURES` times in a row is switched off
//! and its owner told.
//!
//! Also here: the run history (`audit.read`), one run, and replay of a run (a new event with
//! the original payload for that rule only).

use super::rules::{definition_of, error_text};
use super::{authorize_at, can_at, events};
use crate::domain::catalog::redact;
use crate::domain::permission::Permission;
use crate::domain::policy::ActionRequest;
use crate::domain::rules::{
    check_conditions, render_step, saved_outputs, vars_of, RuleDefinition, RunView, StepRecord, StepStatus,
    PAUSE_AFTER_FAILURES,
};
use crate::domain::AppError;
use crate::entities::{
    action, automation_event as event, automation_rule as rule, automation_rule_version as version, org, rule_run, user,
};
use crate::services::access::authz::authorize_somewhere;
use crate::services::actor::system_actor;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::gateway::actions::{invoke_for_run, Answer, Gateway, InvokeInput};
use crate::services::infra::db::{begin_write, new_id, now, WriteTx};
use crate::services::org::notify;
use crate::services::{Actor, RequestMeta};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde::Deserialize;
use serde_json::{json, Value};

/// The rules an event runs: its org's active rules for its trigger, of its store or of
/// every store (a replay: just the one rule, active or not), oldest first.
async fn matching_rules<C: ConnectionTrait>(conn: &C, e: &event::Model) -> Result<Vec<rule::Model>, AppError> {
    let mut q = rule::Entity::find().filter(rule::Column::OrgId.eq(&e.org_id));
    if let Some(only) = &e.only_rule_id {
        q = q.filter(rule::Column::Id.eq(only));
    } else {
        q = q.filter(rule::Column::TriggerId.eq(&e.trigger_id)).filter(rule::Column::IsActive.eq(true));
        let store = match &e.store_id {
            Some(s) => Condition::any().add(rule::Column::StoreId.is_null()).add(rule::Column::StoreId.eq(s)),
            None => Condition::all().add(rule::Column::StoreId.is_null()),
        };
        q = q.filter(store);
    }
    Ok(q.order_by_asc(rule::Column::CreatedAt).order_by_asc(rule::Column::Id).all(conn).await?)
}

/// Runs every matching rule of a claimed event once, then marks the event done. Runs
/// already finished (a worker that stopped halfway through the event) are not repeated.
pub async fn process_event(gw: Gateway<'_>, e: &event::Model) -> Result<(), AppError> {
    let org_slug = org::Entity::find_by_id(e.org_id.clone()).one(gw.db).await?.map(|o| o.slug).unwrap_or_default();
    let payload: Value = serde_json::from_str(&e.payload).unwrap_or_else(|_| json!({}));
    for r in matching_rules(gw.db, e).await? {
        let existing = rule_run::Entity::find()
            .filter(rule_run::Column::EventId.eq(&e.id))
            .filter(rule_run::Column::RuleId.eq(&r.id))
            .one(gw.db)
            .await?;
        let run = match existing {
            Some(run) if run.status != "running" => continue,
            Some(run) => run,
            None => start_run(gw.db, e, &r).await?,
        };
        run_rule(gw, e, &r, &org_slug, &payload, run).await?;
    }
    let mut am: event::ActiveModel = e.clone().into();
    am.status = Set("done".into());
    am.processed_at = Set(Some(now()));
    am.claimed_until = Set(None);
    am.update(gw.db).await?;
    Ok(())
}

async fn start_run(db: &DatabaseConnection, e: &event::Model, r: &rule::Model) -> Result<rule_run::Model, AppError> {
    let at = now();
    let row = rule_run::ActiveModel {
        id: Set(new_id()),
        org_id: Set(e.org_id.clone()),
        event_id: Set(e.id.clone()),
        rule_id: Set(r.id.clone()),
        rule_version: Set(r.version),
        rule_name: Set(r.name.clone()),
        store_id: Set(e.store_id.clone().or_else(|| r.store_id.clone())),
        status: Set("running".into()),
        conditions: Set("[]".into()),
        steps: Set("[]".into()),
        error: Set(None),
        waiting_action_id: Set(None),
        claimed_until: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
        finished_at: Set(None),
    };
    match row.insert(db).await {
        Ok(run) => Ok(run),
        // Another worker started it a moment ago: use its row (the steps are idempotent).
        Err(err) if crate::services::infra::db::is_unique_violation(&err) => rule_run::Entity::find()
            .filter(rule_run::Column::EventId.eq(&e.id))
            .filter(rule_run::Column::RuleId.eq(&r.id))
            .one(db)
            .await?
            .ok_or_else(AppError::internal),
        Err(err) => Err(err.into()),
    }
}

/// The definition the run was started with (the version it recorded), or the rule's current one.
async fn definition_for(db: &DatabaseConnection, r: &rule::Model, v: i32) -> Result<RuleDefinition, AppError> {
    if v == r.version {
        return Ok(definition_of(r));
    }
    let row = version::Entity::find()
        .filter(version::Column::RuleId.eq(&r.id))
        .filter(version::Column::Version.eq(v))
        .one(db)
        .await?;
    Ok(row.and_then(|x| serde_json::from_str(&x.definition).ok()).unwrap_or_else(|| definition_of(r)))
}

async fn run_rule(
    gw: Gateway<'_>,
    e: &event::Model,
    r: &rule::Model,
    org_slug: &str,
    payload: &Value,
    run: rule_run::Model,
) -> Result<(), AppError> {
    let d = definition_for(gw.db, r, run.rule_version).await?;
    let (matched, conditions) = check_conditions(&d.conditions, payload);
    let conditions_json = serde_json::to_string(&conditions).unwrap_or_else(|_| "[]".into());
    if !matched {
        return finish(gw.db, run, conditions_json, Outcome::Skipped, Vec::new(), None).await;
    }
    let Some(store_id) = run.store_id.clone() else {
        let error = "This rule runs for every store and the event named none, so there is no store policy to decide its actions: send store_id with the event or set the rule's store.";
        return finish(gw.db, run, conditions_json, Outcome::Failed, Vec::new(), Some(error.into())).await;
    };
    let actor = Actor::for_rule(&e.org_id, org_slug, &r.id, &d.name, &store_id);
    let (outcome, steps, error) = take_steps(gw, &actor, &run, &d, payload, Vec::new()).await?;
    finish(gw.db, run, conditions_json, outcome, steps, error).await
}

/// How a run ends (or pauses).
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    Skipped,
    Succeeded,
    Failed,
    Cancelled,
    Waiting(String),
}

impl Outcome {
    fn status(&self) -> &'static str {
        match self {
            Outcome::Skipped => "skipped",
            Outcome::Succeeded => "succeeded",
            Outcome::Failed => "failed",
            Outcome::Cancelled => "cancelled",
            Outcome::Waiting(_) => "waiting",
        }
    }
}

/// Takes the steps after those in `done`, in order, until one stops the run.
async fn take_steps(
    gw: Gateway<'_>,
    actor: &Actor,
    run: &rule_run::Model,
    d: &RuleDefinition,
    payload: &Value,
    mut done: Vec<StepRecord>,
) -> Result<(Outcome, Vec<StepRecord>, Option<String>), AppError> {
    let catalog = gw.policy.catalog(gw.db).await?;
    for (i, a) in d.actions.iter().enumerate().skip(done.len()) {
        let def = catalog.get(&a.kind).cloned();
        let redact_fields = def.as_ref().map(|x| x.redact_fields.clone()).unwrap_or_default();
        let mut step = StepRecord {
            index: i,
            kind: a.kind.clone(),
            save_as: a.save_as.clone(),
            parameters: Value::Null,
            status: StepStatus::Failed,
            action_id: None,
            decision: None,
            code: None,
            reason: None,
            output: None,
            error: None,
        };
        let params = match render_step(a, payload, &vars_of(&done)) {
            Ok(p) => p,
            Err(message) => {
                step.parameters = a.parameters.clone();
                step.error = Some(message.clone());
                done.push(step);
                return Ok((Outcome::Failed, done, Some(format!("Step {}: {message}", i + 1))));
            }
        };
        step.parameters = redact(&params, &redact_fields);
        let input = InvokeInput {
            request: ActionRequest {
                store_id: actor.agent.as_ref().map(|b| b.store_id.clone()),
                action_type: a.kind.clone(),
                params: params.clone(),
                customer_ref: payload.get("customer_ref").and_then(Value::as_str).map(str::to_string),
                ..Default::default()
            },
            conversation_id: None,
        };
        let key = format!("run:{}:step:{i}", run.id);
        match invoke_for_run(gw, actor, input, &key, &run.id).await {
            Err(err) => {
                let message = error_text(&err);
                step.error = Some(message.clone());
                done.push(step);
                return Ok((Outcome::Failed, done, Some(format!("Step {}: {message}", i + 1))));
            }
            Ok(Answer { body, .. }) => {
                apply_answer(&mut step, &body, def.as_deref());
                let status = step.status;
                let reason = step.reason.clone().or(step.error.clone()).unwrap_or_default();
                let action_id = step.action_id.clone().unwrap_or_default();
                done.push(step);
                match status {
                    StepStatus::Executed | StepStatus::Confirmed => {}
                    StepStatus::Pending => return Ok((Outcome::Waiting(action_id), done, None)),
                    StepStatus::Denied => {
                        return Ok((Outcome::Failed, done, Some(format!("Step {} was refused: {reason}", i + 1))))
                    }
                    StepStatus::Cancelled => {
                        return Ok((Outcome::Cancelled, done, Some(format!("Step {} was cancelled.", i + 1))))
                    }
                    StepStatus::Failed => {
                        // An allowed step that failed to execute: say why it failed, not why
                        // it was allowed.
                        let why = done.last().and_then(|s| s.error.clone()).unwrap_or(reason);
                        return Ok((Outcome::Failed, done, Some(format!("Step {} failed: {why}", i + 1))));
                    }
                }
            }
        }
    }
    Ok((Outcome::Succeeded, done, None))
}

/// Fills a step from the gateway's view of its action.
fn apply_answer(step: &mut StepRecord, body: &Value, def: Option<&crate::domain::catalog::ActionDef>) {
    let text = |k: &str| body.get(k).and_then(Value::as_str).map(str::to_string);
    step.action_id = text("id");
    step.decision = text("decision");
    step.code = text("code");
    step.reason = text("reason");
    step.status = StepStatus::from_action_status(body.get("status").and_then(Value::as_str).unwrap_or("failed"));
    if let Some(result) = body.get("result").filter(|r| !r.is_null()) {
        step.output = Some(match def {
            Some(d) => saved_outputs(d, result),
            None => result.clone(),
        });
    }
    if let Some(err) = body.get("error") {
        step.error = err.get("message").and_then(Value::as_str).map(str::to_string);
    }
}

/// Records how the run ended (or that it waits), and on the rule: its run of failures
/// (pausing it after `PAUSE_AFTER_FAILURES` and telling its owner). One transaction,
/// audited unless the run was skipped.
async fn finish(
    db: &DatabaseConnection,
    run: rule_run::Model,
    conditions: String,
    outcome: Outcome,
    steps: Vec<StepRecord>,
    error: Option<String>,
) -> Result<(), AppError> {
    let at = now();
    let tx = begin_write(db).await?;
    lock_org(&tx, &run.org_id).await?;
    let mut am: rule_run::ActiveModel = run.clone().into();
    am.status = Set(outcome.status().into());
    am.conditions = Set(conditions);
    am.steps = Set(serde_json::to_string(&steps).unwrap_or_else(|_| "[]".into()));
    am.error = Set(error.clone());
    am.waiting_action_id = Set(match &outcome {
        Outcome::Waiting(a) => Some(a.clone()),
        _ => None,
    });
    am.claimed_until = Set(None);
    am.updated_at = Set(at);
    am.finished_at = Set((!matches!(outcome, Outcome::Waiting(_))).then_some(at));
    let saved = am.update(&tx).await?;
    if outcome != Outcome::Skipped {
        audit::append(
            &tx,
            &run.org_id,
            &system_actor(),
            &RequestMeta::default(),
            NewEvent::new(&format!("rule_run.{}", outcome.status()), "rule_run", Some(&run.id)).after(json!({
                "rule_id": run.rule_id, "rule_version": run.rule_version, "event_id": run.event_id,
                "status": saved.status, "error": error,
                "steps": steps.iter().map(|s| json!({"type": s.kind, "status": s.status, "action_id": s.action_id})).collect::<Vec<_>>(),
            })),
        )
        .await?;
    }
    match outcome {
        Outcome::Succeeded => count_failures(&tx, &run, None).await?,
        Outcome::Failed => count_failures(&tx, &run, Some(error.as_deref().unwrap_or("no reason recorded"))).await?,
        _ => {}
    }
    tx.commit().await?;
    Ok(())
}

/// A success clears the rule's run of failures; a failure adds one and, at
/// `PAUSE_AFTER_FAILURES`, switches the rule off (a new version, audited) and notifies its
/// owner (who created it; the org's Owners when that was a key or they are gone).
async fn count_failures(tx: &WriteTx, run: &rule_run::Model, failed_with: Option<&str>) -> Result<(), AppError> {
    let failed = failed_with.is_some();
    let Some(r) = rule::Entity::find_by_id(run.rule_id.clone()).one(tx).await? else { return Ok(()) };
    let failures = if failed { r.consecutive_failures + 1 } else { 0 };
    if failures == r.consecutive_failures {
        return Ok(());
    }
    let pause = failed && failures >= PAUSE_AFTER_FAILURES && r.is_active;
    let mut am: rule::ActiveModel = r.clone().into();
    am.consecutive_failures = Set(failures);
    if !pause {
        am.update(tx).await?;
        return Ok(());
    }
    let reason = format!(
        "Mandate switched this rule off after {failures} failed runs in a row. The last one: {}",
        failed_with.unwrap_or_default()
    );
    let mut d = definition_of(&r);
    d.is_active = false;
    am.is_active = Set(false);
    am.version = Set(r.version + 1);
    am.paused_reason = Set(Some(reason.clone()));
    am.updated_at = Set(now());
    let saved = am.update(tx).await?;
    version::ActiveModel {
        id: Set(new_id()),
        org_id: Set(r.org_id.clone()),
        rule_id: Set(r.id.clone()),
        version: Set(saved.version),
        definition: Set(serde_json::to_string(&d).unwrap_or_default()),
        changed_by: Set("Mandate".into()),
        note: Set(format!("paused after {failures} failures in a row")),
        created_at: Set(now()),
    }
    .insert(tx)
    .await?;
    audit::append(
        tx,
        &r.org_id,
        &system_actor(),
        &RequestMeta::default(),
        NewEvent::new("automation_rule.paused", "automation_rule", Some(&r.id))
            .before(json!({"is_active": true, "version": r.version}))
            .after(json!({"is_active": false, "version": saved.version, "reason": reason})),
    )
    .await?;
    let title = format!("Rule \u{201c}{}\u{201d} was paused", r.name);
    let link = format!("/automation/rules/{}", r.id);
    let notice = notify::Notice {
        kind: "rule_paused",
        title: &title,
        body: &reason,
        severity: "warning",
        link: Some(&link),
        action_id: None,
    };
    for person in owners_of(tx, &r).await? {
        notify::notify(tx, &person, &notice).await?;
    }
    Ok(())
}

/// Who is told about a rule: its creator while active, else the org's active Owners.
async fn owners_of<C: ConnectionTrait>(conn: &C, r: &rule::Model) -> Result<Vec<user::Model>, AppError> {
    if let Some(by) = &r.created_by {
        let active = user::Entity::find_by_id(by.clone())
            .filter(user::Column::OrgId.eq(&r.org_id))
            .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
            .one(conn)
            .await?;
        if let Some(u) = active {
            return Ok(vec![u]);
        }
    }
    notify::people_holding(conn, &r.org_id, "org.manage", &[]).await
}

/// Continues a run that waited for its step's action to be decided by a person: executed
/// (or allowed without an executor) → the next steps run with its outputs; refused or run
/// out → the run ends `cancelled`; failed → `failed`.
pub async fn continue_waiting(gw: Gateway<'_>, run: rule_run::Model) -> Result<(), AppError> {
    let Some(action_id) = run.waiting_action_id.clone() else { return Ok(()) };
    let Some(a) = action::Entity::find_by_id(action_id).one(gw.db).await? else { return Ok(()) };
    if a.status == "pending" {
        return Ok(());
    }
    let mut steps: Vec<StepRecord> = serde_json::from_str(&run.steps).unwrap_or_default();
    let Some(last) = steps.last_mut() else { return Ok(()) };
    let catalog = gw.policy.catalog(gw.db).await?;
    let body = crate::services::gateway::actions::view(&a);
    apply_answer(last, &body, catalog.get(&a.action_type).map(|d| d.as_ref()));
    let index = last.index;
    let status = last.status;
    let reason = last.error.clone().unwrap_or_else(|| a.status.clone());
    let conditions = run.conditions.clone();
    match status {
        StepStatus::Cancelled => {
            let error = Some(format!("Step {} was not confirmed ({}).", index + 1, a.status));
            return finish(gw.db, run, conditions, Outcome::Cancelled, steps, error).await;
        }
        StepStatus::Failed | StepStatus::Denied => {
            let error = Some(format!("Step {} failed: {reason}", index + 1));
            return finish(gw.db, run, conditions, Outcome::Failed, steps, error).await;
        }
        StepStatus::Pending => return Ok(()),
        StepStatus::Executed | StepStatus::Confirmed => {}
    }
    let Some(r) = rule::Entity::find_by_id(run.rule_id.clone()).one(gw.db).await? else {
        let error = Some("The rule was deleted while the run waited.".to_string());
        return finish(gw.db, run, conditions, Outcome::Cancelled, steps, error).await;
    };
    let e = event::Entity::find_by_id(run.event_id.clone()).one(gw.db).await?.ok_or_else(AppError::internal)?;
    let org_slug = org::Entity::find_by_id(e.org_id.clone()).one(gw.db).await?.map(|o| o.slug).unwrap_or_default();
    let payload: Value = serde_json::from_str(&e.payload).unwrap_or_else(|_| json!({}));
    let d = definition_for(gw.db, &r, run.rule_version).await?;
    let store_id = run.store_id.clone().unwrap_or_else(|| a.store_id.clone());
    let actor = Actor::for_rule(&e.org_id, &org_slug, &r.id, &d.name, &store_id);
    let (outcome, steps, error) = take_steps(gw, &actor, &run, &d, &payload, steps).await?;
    finish(gw.db, run, conditions, outcome, steps, error).await
}

/// `GET /automation/runs` filters and paging.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunFilter {
    #[serde(default)]
    pub rule_id: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub event_id: Option<String>,
    #[serde(default)]
    pub limit: Option<u64>,
    #[serde(default)]
    pub cursor: Option<String>,
}

/// A page of runs, newest first.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct RunPage {
    pub items: Vec<RunView>,
    pub next_cursor: Option<String>,
}

pub const RUN_STATUSES: [&str; 6] = ["running", "skipped", "succeeded", "failed", "waiting", "cancelled"];

/// Runs the actor may see (`audit.read` at their store, or the org's for runs of no store).
pub async fn list(db: &DatabaseConnection, actor: &Actor, filter: &RunFilter) -> Result<RunPage, AppError> {
    authorize_somewhere(actor, Permission::AuditRead)?;
    let limit = match filter.limit {
        None => 50,
        Some(n @ 1..=200) => n,
        Some(_) => return Err(AppError::validation("limit must be between 1 and 200.")),
    };
    let mut q = rule_run::Entity::find().filter(rule_run::Column::OrgId.eq(&actor.org_id));
    if let Some(r) = filter.rule_id.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        q = q.filter(rule_run::Column::RuleId.eq(r));
    }
    if let Some(e) = filter.event_id.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        q = q.filter(rule_run::Column::EventId.eq(e));
    }
    if let Some(s) = filter.status.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        if !RUN_STATUSES.contains(&s) {
            return Err(AppError::invalid_fields(vec![crate::domain::FieldError {
                field: "status".into(),
                message: format!("Choose one of {}.", RUN_STATUSES.join(", ")),
            }]));
        }
        q = q.filter(rule_run::Column::Status.eq(s));
    }
    if let Some(c) = filter.cursor.as_deref().filter(|c| !c.is_empty()) {
        q = q.filter(rule_run::Column::Id.lt(c));
    }
    // Rows the actor may not see are filtered after the read, so read on until the page is full.
    let mut items = Vec::new();
    let mut next_cursor = None;
    let mut after: Option<String> = None;
    'pages: loop {
        let mut page_q = q.clone();
        if let Some(a) = &after {
            page_q = page_q.filter(rule_run::Column::Id.lt(a.clone()));
        }
        let rows = page_q.order_by_desc(rule_run::Column::Id).limit(limit * 2).all(db).await?;
        let exhausted = (rows.len() as u64) < limit * 2;
        let triggers = triggers_of(db, &rows).await?;
        for r in &rows {
            after = Some(r.id.clone());
            if !can_at(actor, Permission::AuditRead, r.store_id.as_deref()) {
                continue;
            }
            if items.len() as u64 == limit {
                next_cursor = items.last().map(|v: &RunView| v.id.clone());
                break 'pages;
            }
            items.push(events::run_view(r, triggers.get(&r.event_id).map(String::as_str).unwrap_or_default()));
        }
        if exhausted {
            break;
        }
    }
    Ok(RunPage { items, next_cursor })
}

async fn triggers_of<C: ConnectionTrait>(
    conn: &C,
    runs: &[rule_run::Model],
) -> Result<std::collections::HashMap<String, String>, AppError> {
    let ids: Vec<String> = runs.iter().map(|r| r.event_id.clone()).collect();
    if ids.is_empty() {
        return Ok(Default::default());
    }
    let rows: Vec<(String, String)> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .column(event::Column::TriggerId)
        .filter(event::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows.into_iter().collect())
}

/// One run with its event's payload.
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<(RunView, Value), AppError> {
    let r = rule_run::Entity::find_by_id(id.trim().to_string())
        .filter(rule_run::Column::OrgId.eq(&actor.org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Run"))?;
    authorize_at(actor, Permission::AuditRead, r.store_id.as_deref())?;
    let e = events::load(db, &actor.org_id, &r.event_id).await?;
    Ok((events::run_view(&r, &e.trigger_id), serde_json::from_str(&e.payload).unwrap_or(Value::Null)))
}

/// Replays a run: a new event with the original payload, store and depth, for that rule
/// only (active or not), processed like any other. `rules.manage` at the rule's store.
pub async fn replay(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<Answer, AppError> {
    let r = rule_run::Entity::find_by_id(id.trim().to_string())
        .filter(rule_run::Column::OrgId.eq(&actor.org_id))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Run"))?;
    if actor.agent.is_some() {
        return Err(AppError::permission_denied("Agent keys can't replay rule runs."));
    }
    authorize_at(actor, Permission::RulesManage, r.store_id.as_deref())?;
    let rule_row = super::rules::load(db, &actor.org_id, &r.rule_id)
        .await
        .map_err(|_| AppError::conflict("The rule of this run has been deleted, so the run can't be replayed."))?;
    if r.status == "running" || r.status == "waiting" {
        return Err(AppError::conflict(format!("This run is still {}; replay it once it has finished.", r.status)));
    }
    let original = events::load(db, &actor.org_id, &r.event_id).await?;
    let at = now();
    let tx = begin_write(db).await?;
    let e = event::ActiveModel {
        id: Set(new_id()),
        org_id: Set(actor.org_id.clone()),
        store_id: Set(original.store_id.clone()),
        trigger_id: Set(original.trigger_id.clone()),
        payload: Set(original.payload.clone()),
        depth: Set(original.depth),
        caused_by_action_id: Set(None),
        only_rule_id: Set(Some(rule_row.id.clone())),
        replay_of_run_id: Set(Some(r.id.clone())),
        status: Set("queued".into()),
        note: Set(Some(format!("Replay of run {} of \u{201c}{}\u{201d}.", r.id, rule_row.name))),
        idempotency_scope: Set(None),
        idempotency_key: Set(None),
        request_hash: Set(None),
        claimed_by: Set(None),
        claimed_until: Set(None),
        attempts: Set(0),
        created_at: Set(at),
        processed_at: Set(None),
    }
    .insert(&tx)
    .await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("rule_run.replayed", "rule_run", Some(&r.id))
            .after(json!({"event_id": e.id, "rule_id": rule_row.id, "replay_of_run_id": r.id})),
    )
    .await?;
    tx.commit().await?;
    Ok(Answer { status: 202, body: json!({"event_id": e.id, "status": e.status}), replayed: false })
}
