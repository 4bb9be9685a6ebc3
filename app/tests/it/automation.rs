//! Automation on SQLite and PostgreSQL: the seed's "High Value Deal Alert" from event to
//! notification, denials recorded, tenant isolation, loop protection, a three-step rule
//! whose outputs flow through a local connector, waiting for and resuming after an
//! approval, pausing after failures, dry runs that change nothing, versions and restore,
//! replay, events surviving a restart, and two workers never running one event twice.

use crate::common::orgs::make_org;
use crate::common::people::user_actor;
use app::domain::action_settings::PermissionPatch;
use app::domain::connectors::ConnectorInput;
use app::domain::rules::{RuleInput, StepStatus, MAX_DEPTH, PAUSE_AFTER_FAILURES};
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::entities::{action, automation_event, automation_rule, notification, org, rule_run, store, usage_counter};
use app::services::automation::events::{self, EventInput};
use app::services::automation::rules::{self, DryRunInput, RuleFilter};
use app::services::automation::runs::{self, RunFilter};
use app::services::automation::worker;
use app::services::gateway::actions::{self, Gateway};
use app::services::gateway::connectors::{self, ConnectorScope};
use app::services::stores::policy::PolicyCache;
use app::services::{stores, stores::permissions, Actor};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [7u8; 32];

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org: org::Model,
    owner: Actor,
    store: store::Model,
}

async fn world(db: DatabaseConnection, slug: &str) -> World {
    let (o, u) = make_org(&db, slug).await;
    let owner = user_actor(&db, &o, &u).await;
    let cache = Arc::new(PolicyCache::new());
    let input = NewStore { name: "Shop".into(), currency: "EUR".into(), ..Default::default() };
    let id = stores::create(&db, &cache, &owner, input).await.unwrap().id;
    let store = store::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    World { db, cache, org: o, owner, store }
}

impl World {
    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) }
    }

    async fn allow(&self, action_type: &str, confirm: bool) {
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let patch = PermissionPatch {
            enabled: Some(true),
            requires_confirmation: Some(confirm),
            confirmation_by: confirm.then(|| "staff".to_string()),
        };
        permissions::set(&self.db, &catalog, &self.owner, &self.store.id, action_type, patch).await.unwrap();
    }

    async fn rule(&self, body: Value) -> String {
        let input: RuleInput = serde_json::from_value(body).unwrap();
        rules::create(&self.db, &self.cache, &self.owner, input).await.unwrap().id
    }

    async fn post(&self, trigger: &str, payload: Value) -> String {
        let input = EventInput {
            trigger_id: trigger.into(),
            store_id: Some(self.store.id.clone()),
            payload,
            caused_by_action_id: None,
        };
        let answer = events::accept(&self.db, &self.owner, input, None).await.unwrap();
        assert_eq!(answer.status, 202);
        answer.body["event_id"].as_str().unwrap().to_string()
    }

    async fn drain(&self) -> usize {
        worker::drain(self.gw(), "test-worker").await.unwrap()
    }

    async fn runs_of(&self, event_id: &str) -> Vec<rule_run::Model> {
        rule_run::Entity::find().filter(rule_run::Column::EventId.eq(event_id)).all(&self.db).await.unwrap()
    }

    async fn notifications(&self) -> Vec<notification::Model> {
        notification::Entity::find().filter(notification::Column::OrgId.eq(&self.org.id)).all(&self.db).await.unwrap()
    }
}

fn deal_alert() -> Value {
    json!({
        "name": "High Value Deal Alert",
        "description": "Tell the owners about big opportunities.",
        "module_type": "sales",
        "trigger_id": "high_value_opportunity",
        "conditions": [{"type": "value_threshold", "field": "value", "value": 100000}],
        "actions": [{"type": "send_notification", "parameters": {
            "recipients": ["Owner"], "title": "High-value opportunity", "channel": "in_app", "severity": "info",
            "body": "New high-value opportunity: {{opportunity_name}} - ${{value}}"}}]
    })
}

fn deal(value: i64) -> Value {
    json!({"opportunity_id": "op-1", "opportunity_name": "Acme renewal", "value": value, "currency": "USD",
        "owner_email": "sam@example.com", "stage": "Proposal"})
}

db_test!(the_high_value_deal_alert_runs_end_to_end, |db| async move {
    let w = world(db, "deal").await;
    w.allow("send_notification", false).await;
    let id = w.rule(deal_alert()).await;
    let listed =
        rules::list(&w.db, &w.owner, &RuleFilter { is_active: Some(true), ..Default::default() }).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert!(listed[0].definition.is_active, "active by default");

    let big = w.post("high_value_opportunity", deal(150000)).await;
    assert!(w.drain().await >= 1);
    let runs = w.runs_of(&big).await;
    assert_eq!(runs.len(), 1);
    assert_eq!(runs[0].status, "succeeded", "{:?}", runs[0]);
    let notes = w.notifications().await;
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body, "New high-value opportunity: Acme renewal - $150000");
    // The action is in the audit trail like an assistant's, with its run.
    let acts = action::Entity::find().filter(action::Column::OrgId.eq(&w.org.id)).all(&w.db).await.unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].rule_run_id.as_deref(), Some(runs[0].id.as_str()));
    assert_eq!(acts[0].status, "executed");

    // Below the threshold: the run is recorded as skipped, with the condition's reason.
    let small = w.post("high_value_opportunity", deal(50000)).await;
    w.drain().await;
    let runs = w.runs_of(&small).await;
    assert_eq!(runs[0].status, "skipped");
    assert!(runs[0].conditions.contains("value 50000 is not at least 100000"), "{}", runs[0].conditions);
    assert_eq!(w.notifications().await.len(), 1);

    // Switched off: no run at all.
    let off = rules::toggle(&w.db, &w.owner, &id, false).await.unwrap();
    assert!(!off.definition.is_active);
    let e = w.post("high_value_opportunity", deal(200000)).await;
    w.drain().await;
    assert!(w.runs_of(&e).await.is_empty());
    let view = events::get(&w.db, &w.owner, &e).await.unwrap();
    assert_eq!(view.status, "done");

    // Deleted: gone, its runs stay in the history.
    rules::delete(&w.db, &w.owner, &id).await.unwrap();
    assert_eq!(rules::get(&w.db, &w.owner, &id).await.unwrap_err().code, ErrorCode::NotFound);
    let history =
        runs::list(&w.db, &w.owner, &RunFilter { rule_id: Some(id.clone()), ..Default::default() }).await.unwrap();
    assert_eq!(history.items.len(), 2);
    crate::common::audit::chain_ok(&w.db, &w.org.id).await;
    let logged = crate::common::audit::actions(&w.db, &w.org.id).await;
    for a in ["automation_rule.created", "automation_rule.toggled", "automation_rule.deleted", "rule_run.succeeded"] {
        assert!(logged.iter().any(|x| x == a), "{a} audited: {logged:?}");
    }
});

db_test!(a_rule_action_the_store_disabled_is_a_recorded_denial, |db| async move {
    let w = world(db, "denied").await;
    // send_notification is disabled for a new store (the catalog default).
    w.rule(deal_alert()).await;
    let e = w.post("high_value_opportunity", deal(150000)).await;
    w.drain().await;
    let run = &w.runs_of(&e).await[0];
    assert_eq!(run.status, "failed");
    let view = runs::get(&w.db, &w.owner, &run.id).await.unwrap().0;
    assert_eq!(view.steps[0].status, StepStatus::Denied);
    assert_eq!(view.steps[0].code.as_deref(), Some("ACTION_DISABLED"));
    let acts = action::Entity::find().filter(action::Column::OrgId.eq(&w.org.id)).all(&w.db).await.unwrap();
    assert_eq!(acts.len(), 1);
    assert_eq!(acts[0].status, "denied");
    assert!(w.notifications().await.is_empty(), "nothing executed");
});

db_test!(another_org_cannot_see_change_or_trigger_a_rule, |db| async move {
    let a = world(db.clone(), "org-a").await;
    let b = world(db, "org-b").await;
    a.allow("send_notification", false).await;
    let id = a.rule(deal_alert()).await;
    assert!(rules::list(&b.db, &b.owner, &RuleFilter::default()).await.unwrap().is_empty());
    assert_eq!(rules::get(&b.db, &b.owner, &id).await.unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(rules::toggle(&b.db, &b.owner, &id, false).await.unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(rules::delete(&b.db, &b.owner, &id).await.unwrap_err().code, ErrorCode::NotFound);
    let input = DryRunInput { payload: deal(1), store_id: None };
    assert_eq!(rules::dry_run(&b.db, &b.cache, &b.owner, &id, input).await.unwrap_err().code, ErrorCode::NotFound);
    // B can't post into A's store, and B's own events never run A's rules.
    let into_a = EventInput {
        trigger_id: "high_value_opportunity".into(),
        store_id: Some(a.store.id.clone()),
        payload: deal(150000),
        caused_by_action_id: None,
    };
    assert_eq!(events::accept(&b.db, &b.owner, into_a, None).await.unwrap_err().code, ErrorCode::NotFound);
    let e = b.post("high_value_opportunity", deal(150000)).await;
    b.drain().await;
    assert!(b.runs_of(&e).await.is_empty());
    assert!(a.notifications().await.is_empty());
    assert_eq!(events::get(&a.db, &a.owner, &e).await.unwrap_err().code, ErrorCode::NotFound);
    assert!(rules::get(&a.db, &a.owner, &id).await.unwrap().definition.is_active);
});

db_test!(loop_protection_drops_events_past_depth_three, |db| async move {
    let w = world(db, "loops").await;
    w.allow("create_task", false).await;
    // A rule whose action would make the shop write again (in a real set-up, the task's
    // webhook posts a new customer_message naming the action that caused it).
    w.rule(json!({
        "name": "Echo", "module_type": "store", "trigger_id": "customer_message",
        "actions": [{"type": "create_task", "parameters": {"title": "Answer: {{message}}"}}]
    }))
    .await;
    let mut caused_by: Option<String> = None;
    let mut depths = Vec::new();
    for _ in 0..=MAX_DEPTH + 1 {
        let input = EventInput {
            trigger_id: "customer_message".into(),
            store_id: Some(w.store.id.clone()),
            payload: json!({"message": "hello", "customer_ref": "c1"}),
            caused_by_action_id: caused_by.clone(),
        };
        let answer = events::accept(&w.db, &w.owner, input, None).await.unwrap();
        let id = answer.body["event_id"].as_str().unwrap().to_string();
        w.drain().await;
        let e = events::get(&w.db, &w.owner, &id).await.unwrap();
        depths.push((e.depth, e.status.clone(), e.runs.len()));
        caused_by = e.runs.first().and_then(|r| r.steps.first()).and_then(|s| s.action_id.clone());
        if e.status == "dropped" {
            assert!(e.note.unwrap().contains("at most 3"));
            break;
        }
    }
    assert_eq!(
        depths,
        vec![
            (0, "done".into(), 1),
            (1, "done".into(), 1),
            (2, "done".into(), 1),
            (3, "done".into(), 1),
            (4, "dropped".into(), 0)
        ]
    );
    let tasks = action::Entity::find().filter(action::Column::OrgId.eq(&w.org.id)).count(&w.db).await.unwrap();
    assert_eq!(tasks, 4, "the dropped event ran nothing");
});

/// Answers each business-operations action like a help desk would.
fn help_desk(body: &Value) -> Value {
    match body["action_type"].as_str().unwrap_or_default() {
        "clients.find" => json!({"client": {"id": "C-17", "name": "Acme GmbH", "status": "active"}}),
        "tickets.create" => json!({"ticket_id": "T-4711", "number": "4711", "url": "https://desk.example/4711",
            "created_at": "2026-12-05T10:00:00Z"}),
        "tickets.add_comment" => json!({"comment_id": "CM-1", "created_at": "2026-12-05T10:00:01Z"}),
        _ => json!({}),
    }
}

db_test!(a_three_step_rule_passes_outputs_from_step_to_step, |db| async move {
    let w = world(db, "steps").await;
    let (url, seen) = crate::common::desk::desk(help_desk).await;
    let input = ConnectorInput {
        url,
        secret: Some("whsec-test-0123456789abcdef".into()),
        timeout_ms: Some(5000),
        max_attempts: Some(1),
    };
    connectors::set(&w.db, &KEY, &w.owner, &ConnectorScope::Org, input).await.unwrap();
    for a in ["clients.find", "tickets.create", "tickets.add_comment"] {
        w.allow(a, false).await;
    }
    w.rule(json!({
        "name": "Ticket for every complaint", "module_type": "store", "trigger_id": "customer_message",
        "actions": [
            {"type": "clients.find", "parameters": {"external_ref": "{{customer_ref}}"}, "save_as": "found"},
            {"type": "tickets.create", "parameters": {"client": {"id": "{{vars.found.client.id}}"},
                "subject": "Message from {{vars.found.client.name}}", "description": "{{message}}"}, "save_as": "ticket"},
            {"type": "tickets.add_comment", "parameters": {"ticket": {"id": "{{vars.ticket.id}}"},
                "body": "Ticket #{{vars.ticket.number}} opened by automation.", "visibility": "internal"}}
        ]
    }))
    .await;
    let e = w
        .post("customer_message", json!({"customer_ref": "cus-9", "message": "My parcel is late", "channel": "email"}))
        .await;
    w.drain().await;
    let run = runs::get(&w.db, &w.owner, &w.runs_of(&e).await[0].id).await.unwrap().0;
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert_eq!(run.steps.len(), 3);
    assert!(run.steps.iter().all(|s| s.status == StepStatus::Executed && s.action_id.is_some()));
    assert_eq!(run.steps[1].output.as_ref().unwrap()["id"], "T-4711", "tickets.create's ticket_id offered as id");
    let sent = seen.lock().unwrap().clone();
    let kinds: Vec<&str> = sent.iter().map(|b| b["action_type"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["clients.find", "tickets.create", "tickets.add_comment"]);
    assert_eq!(sent[1]["params"]["client"]["id"], "C-17");
    assert_eq!(sent[1]["params"]["subject"], "Message from Acme GmbH");
    assert_eq!(sent[2]["params"]["ticket"]["id"], "T-4711");
    assert_eq!(sent[2]["params"]["body"], "Ticket #4711 opened by automation.");
    // Each step is an audited action of the run.
    for s in &run.steps {
        let a = action::Entity::find_by_id(s.action_id.clone().unwrap()).one(&w.db).await.unwrap().unwrap();
        assert_eq!(a.rule_run_id.as_deref(), Some(run.id.as_str()));
    }
    let logged = crate::common::audit::actions(&w.db, &w.org.id).await;
    assert_eq!(logged.iter().filter(|a| *a == "action.executed").count(), 3);
});

db_test!(a_step_waiting_for_approval_resumes_once_approved, |db| async move {
    let w = world(db, "waits").await;
    w.allow("create_task", false).await;
    w.allow("send_notification", true).await;
    w.rule(json!({
        "name": "Approve then tell", "module_type": "sales", "trigger_id": "high_value_opportunity",
        "actions": [
            {"type": "send_notification", "parameters": {"recipients": ["Owner"], "title": "Deal",
                "body": "{{opportunity_name}}", "channel": "in_app", "severity": "info"}, "save_as": "note"},
            {"type": "create_task", "parameters": {"title": "Call about {{opportunity_name}}",
                "description": "Notified: {{vars.note.notification_ids}}"}}
        ]
    }))
    .await;
    let e = w.post("high_value_opportunity", deal(150000)).await;
    w.drain().await;
    let run = w.runs_of(&e).await.remove(0);
    assert_eq!(run.status, "waiting");
    let waiting = run.waiting_action_id.clone().unwrap();
    let told = w.notifications().await;
    assert!(
        told.iter()
            .any(|n| n.title == "Approval needed: Send a notification" && n.link.as_deref() == Some("/approvals")),
        "{told:?}"
    );
    assert_eq!(w.drain().await, 0, "nothing to do while the action waits");
    actions::confirm(w.gw(), &w.owner, &waiting, "staff").await.unwrap();
    assert!(w.drain().await >= 1);
    let run = runs::get(&w.db, &w.owner, &run.id).await.unwrap().0;
    assert_eq!(run.status, "succeeded", "{run:?}");
    assert_eq!(run.steps[0].status, StepStatus::Executed);
    assert_eq!(run.steps[1].status, StepStatus::Executed);
    assert!(run.steps[1].parameters["description"].as_str().unwrap().starts_with("Notified: [\""));

    // Rejected instead: the run ends cancelled, and the next step never runs.
    let e = w.post("high_value_opportunity", deal(150001)).await;
    w.drain().await;
    let run = w.runs_of(&e).await.remove(0);
    actions::cancel(w.gw(), &w.owner, run.waiting_action_id.as_deref().unwrap()).await.unwrap();
    w.drain().await;
    let run = runs::get(&w.db, &w.owner, &run.id).await.unwrap().0;
    assert_eq!(run.status, "cancelled");
    assert_eq!(run.steps.len(), 1);
});

db_test!(a_rule_failing_again_and_again_is_paused_and_its_owner_told, |db| async move {
    let w = world(db, "pause").await;
    w.allow("create_task", false).await;
    let id = w
        .rule(json!({
            "name": "Fragile", "module_type": "store", "trigger_id": "customer_message",
            "actions": [{"type": "create_task", "parameters": {"title": "About order {{order_id}}"}}]
        }))
        .await;
    for i in 0..PAUSE_AFTER_FAILURES {
        // order_id is left out: the template can't be rendered, the run fails.
        w.post("customer_message", json!({"message": format!("hi {i}")})).await;
        w.drain().await;
    }
    let r = rules::get(&w.db, &w.owner, &id).await.unwrap();
    assert!(!r.definition.is_active);
    assert!(r.paused_reason.as_deref().unwrap().contains("order_id"), "{:?}", r.paused_reason);
    let notes = w.notifications().await;
    assert_eq!(notes.len(), 1);
    assert!(notes[0].title.contains("Fragile"));
    assert_eq!(notes[0].user_id, w.owner.id);
    // Switched on again: a fresh start.
    let on = rules::toggle(&w.db, &w.owner, &id, true).await.unwrap();
    assert_eq!(on.consecutive_failures, 0);
    assert!(on.paused_reason.is_none());
});

db_test!(a_dry_run_executes_and_counts_nothing, |db| async move {
    let w = world(db, "dry").await;
    w.allow("send_notification", false).await;
    let mut body = deal_alert();
    body["store_id"] = json!(w.store.id);
    let id = w.rule(body).await;
    let input = DryRunInput { payload: deal(150000), store_id: None };
    let dry = rules::dry_run(&w.db, &w.cache, &w.owner, &id, input).await.unwrap();
    assert!(dry.matched);
    assert_eq!(dry.steps[0].parameters.as_ref().unwrap()["body"], "New high-value opportunity: Acme renewal - $150000");
    assert_eq!(dry.steps[0].decision.as_ref().unwrap().outcome.as_str(), "allow");
    let missing = rules::dry_run(
        &w.db,
        &w.cache,
        &w.owner,
        &id,
        DryRunInput { payload: json!({"value": 200000}), store_id: None },
    )
    .await
    .unwrap();
    assert!(missing.steps[0].error.as_deref().unwrap().contains("opportunity_name"));
    assert_eq!(action::Entity::find().count(&w.db).await.unwrap(), 0);
    assert_eq!(usage_counter::Entity::find().count(&w.db).await.unwrap(), 0);
    assert_eq!(automation_event::Entity::find().count(&w.db).await.unwrap(), 0);
    assert!(w.notifications().await.is_empty());
});

db_test!(every_save_is_a_version_and_an_old_one_can_be_restored, |db| async move {
    let w = world(db, "versions").await;
    let id = w.rule(deal_alert()).await;
    let input: RuleInput = serde_json::from_value(json!({"name": "Huge deals", "conditions": [
        {"type": "value_threshold", "field": "value", "value": 500000}]}))
    .unwrap();
    let v2 = rules::update(&w.db, &w.cache, &w.owner, &id, input).await.unwrap();
    assert_eq!(v2.version, 2);
    let history = rules::versions(&w.db, &w.owner, &id).await.unwrap();
    assert_eq!(history.iter().map(|v| v.version).collect::<Vec<_>>(), vec![2, 1]);
    assert_eq!(history[0].changed, vec!["conditions".to_string(), "name".to_string()]);
    let v3 = rules::restore(&w.db, &w.cache, &w.owner, &id, 1).await.unwrap();
    assert_eq!(v3.version, 3);
    assert_eq!(v3.definition.name, "High Value Deal Alert");
    assert_eq!(rules::versions(&w.db, &w.owner, &id).await.unwrap()[0].note, "restored version 1");
    // A bad update changes nothing and names the field.
    let bad: RuleInput =
        serde_json::from_value(json!({"conditions": [{"type": "roughly", "field": "value", "value": 1}]})).unwrap();
    let err = rules::update(&w.db, &w.cache, &w.owner, &id, bad).await.unwrap_err();
    assert!(err.field("conditions.0.type").is_some());
    assert_eq!(rules::get(&w.db, &w.owner, &id).await.unwrap().version, 3);
});

db_test!(a_failed_run_can_be_replayed_with_its_payload, |db| async move {
    let w = world(db, "replay").await;
    let id = w.rule(deal_alert()).await;
    let e = w.post("high_value_opportunity", deal(150000)).await;
    w.drain().await;
    let failed = w.runs_of(&e).await.remove(0);
    assert_eq!(failed.status, "failed", "send_notification is disabled at first");
    w.allow("send_notification", false).await;
    let answer = runs::replay(&w.db, &w.owner, &failed.id).await.unwrap();
    let replay_event = answer.body["event_id"].as_str().unwrap().to_string();
    w.drain().await;
    let again = w.runs_of(&replay_event).await.remove(0);
    assert_eq!(again.status, "succeeded");
    assert_eq!(again.rule_id, id);
    assert_eq!(w.notifications().await[0].body, "New high-value opportunity: Acme renewal - $150000");
});

db_test!(an_accepted_event_survives_a_restart_and_runs_once, |db| async move {
    let w = world(db.clone(), "restart").await;
    w.allow("send_notification", false).await;
    w.rule(deal_alert()).await;
    let input = EventInput {
        trigger_id: "high_value_opportunity".into(),
        store_id: Some(w.store.id.clone()),
        payload: deal(150000),
        caused_by_action_id: None,
    };
    let first = events::accept(&w.db, &w.owner, input.clone(), Some("evt-1")).await.unwrap();
    let again = events::accept(&w.db, &w.owner, input.clone(), Some("evt-1")).await.unwrap();
    assert!(again.replayed);
    assert_eq!(first.body["event_id"], again.body["event_id"]);
    let other = EventInput { payload: deal(1), ..input };
    assert_eq!(
        events::accept(&w.db, &w.owner, other, Some("evt-1")).await.unwrap_err().code,
        ErrorCode::IdempotencyKeyReused
    );
    // A worker claimed the event and died before running it: its lease runs out …
    let claimed = worker::claim_events(w.gw(), "dead-worker").await.unwrap();
    assert_eq!(claimed.len(), 1);
    automation_event::Entity::update_many()
        .col_expr(
            automation_event::Column::ClaimedUntil,
            sea_orm::sea_query::Expr::value(chrono::Utc::now() - chrono::Duration::seconds(1)),
        )
        .exec(&w.db)
        .await
        .unwrap();
    // … and a new process (fresh caches) takes it over: the rule runs once.
    let fresh = Arc::new(PolicyCache::new());
    let gw = Gateway { db: &db, policy: &fresh, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) };
    worker::drain(gw, "new-worker").await.unwrap();
    worker::drain(gw, "new-worker").await.unwrap();
    assert_eq!(w.notifications().await.len(), 1);
    let e = automation_event::Entity::find().one(&w.db).await.unwrap().unwrap();
    assert_eq!(e.status, "done");
    assert_eq!(e.attempts, 2);
});

db_test!(two_workers_never_run_one_event_twice, |db| async move {
    let w = Arc::new(world(db, "two").await);
    w.allow("create_task", false).await;
    w.rule(json!({
        "name": "Task per message", "module_type": "store", "trigger_id": "customer_message",
        "actions": [{"type": "create_task", "parameters": {"title": "Reply to {{message}}"}}]
    }))
    .await;
    let mut ids = Vec::new();
    for i in 0..30 {
        ids.push(w.post("customer_message", json!({"message": format!("m{i}")})).await);
    }
    let workers: Vec<_> = ["w1", "w2"]
        .into_iter()
        .map(|name| {
            let w = w.clone();
            tokio::spawn(async move {
                let mut mine = 0;
                loop {
                    let claimed = worker::claim_events(w.gw(), name).await.unwrap();
                    if claimed.is_empty() {
                        return mine;
                    }
                    for e in &claimed {
                        mine += 1;
                        runs::process_event(w.gw(), e).await.unwrap();
                    }
                }
            })
        })
        .collect();
    let mut total = 0;
    for h in workers {
        total += h.await.unwrap();
    }
    assert_eq!(total, 30, "each event claimed once");
    for id in &ids {
        assert_eq!(w.runs_of(id).await.len(), 1);
    }
    let executed = action::Entity::find()
        .filter(action::Column::OrgId.eq(&w.org.id))
        .filter(action::Column::Status.eq("executed"))
        .count(&w.db)
        .await
        .unwrap();
    assert_eq!(executed, 30);
    let rules_left = automation_rule::Entity::find().count(&w.db).await.unwrap();
    assert_eq!(rules_left, 1);
});
