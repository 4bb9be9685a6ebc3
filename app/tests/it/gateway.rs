//! The agent gateway on SQLite and PostgreSQL: limits hold under concurrency, Stripe-style
//! idempotency, pending → confirm → report, cancel and expiry release their reservation,
//! redaction, and the audit chain verifies afterwards (and detects tampering).

use crate::common::audit::chain_ok;
use crate::common::orgs::make_org;
use crate::common::people::user_actor;
use app::domain::action_settings::{LimitInput, PermissionPatch};
use app::domain::policy::ActionRequest;
use app::domain::stores::NewStore;
use app::entities::{action, audit_event};
use app::services::gateway::actions::{self, Answer, Gateway, InvokeInput, ResultInput};
use app::services::stores::policy::PolicyCache;
use app::services::{audit, stores, stores::permissions, Actor};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::{json, Value};
use std::sync::Arc;

const KEY: [u8; 32] = [9u8; 32];
const NOTE: &str = "crm.create_activity_note";

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    owner: Actor,
    store: String,
}

impl World {
    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: Duration::hours(24) }
    }

    async fn set(&self, action_type: &str, enabled: bool, confirm: bool) {
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let patch = PermissionPatch {
            enabled: Some(enabled),
            requires_confirmation: Some(confirm),
            confirmation_by: Some("staff".into()),
        };
        permissions::set(&self.db, &catalog, &self.owner, &self.store, action_type, patch).await.unwrap();
    }

    async fn limit(&self, action_type: &str, limit_type: &str, value: &str, window: Option<&str>) {
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let input = LimitInput {
            scope_type: None,
            scope_id: None,
            store_id: Some(self.store.clone()),
            assistant_id: None,
            action_type: action_type.into(),
            limit_type: limit_type.into(),
            limit_value: value.into(),
            time_window_hours: window.map(str::to_string),
            on_exceed: Some("deny".into()),
            per_customer: None,
        };
        permissions::upsert_limit(&self.db, &catalog, &self.owner, input).await.unwrap();
    }

    async fn invoke(&self, action_type: &str, params: Value, key: &str) -> Result<Answer, app::domain::AppError> {
        let input = InvokeInput {
            request: ActionRequest {
                store_id: Some(self.store.clone()),
                action_type: action_type.into(),
                params,
                ..Default::default()
            },
            ..Default::default()
        };
        actions::invoke(self.gw(), &self.owner, input, Some(key)).await
    }
}

fn note() -> Value {
    json!({"target": {"type": "client", "id": "c-1"}, "body": "Called the customer back."})
}

fn refund(amount: &str) -> Value {
    json!({"order_id": "1001", "amount": amount, "order_total": "1000"})
}

async fn world(db: DatabaseConnection) -> World {
    let (o, u) = make_org(&db, "gateway").await;
    let owner = user_actor(&db, &o, &u).await;
    let cache = Arc::new(PolicyCache::new());
    let input = NewStore { name: "Shop".into(), currency: "EUR".into(), ..Default::default() };
    let store = stores::create(&db, &cache, &owner, input).await.unwrap().id;
    World { db, cache, owner, store }
}

/// Runs `n` invokes at once, each with its own key; returns the answers' statuses.
async fn burst(w: &Arc<World>, n: usize, action_type: &'static str, params: Value) -> Vec<String> {
    let mut tasks = Vec::new();
    for i in 0..n {
        let w = w.clone();
        let params = params.clone();
        tasks.push(tokio::spawn(async move { w.invoke(action_type, params, &format!("burst-{i}")).await }));
    }
    let mut out = Vec::new();
    for t in tasks {
        match t.await.unwrap() {
            Ok(a) => out.push(a.body["status"].as_str().unwrap().to_string()),
            Err(e) => panic!("no 5xx or other error under concurrency: {e:?}"),
        }
    }
    out
}

fn count(statuses: &[String], s: &str) -> usize {
    statuses.iter().filter(|x| x.as_str() == s).count()
}

db_test!(forty_concurrent_invokes_never_overshoot_max_count, |db| async move {
    let w = Arc::new(world(db).await);
    w.set(NOTE, true, false).await;
    w.limit(NOTE, "max_count", "5", Some("24")).await;
    let statuses = burst(&w, 40, NOTE, note()).await;
    assert_eq!(count(&statuses, "confirmed"), 5, "{statuses:?}");
    assert_eq!(count(&statuses, "denied"), 35, "{statuses:?}");
    let rows = action::Entity::find().filter(action::Column::StoreId.eq(&w.store)).all(&w.db).await.unwrap();
    assert_eq!(rows.len(), 40, "denied attempts are recorded too");
    assert!(rows.iter().filter(|r| r.status == "denied").all(|r| r.code.as_deref() == Some("LIMIT_EXCEEDED")));
    chain_ok(&w.db, &w.owner.org_id).await;
});

db_test!(forty_concurrent_invokes_never_overshoot_max_total_amount, |db| async move {
    let w = Arc::new(world(db).await);
    // Refunds wait for staff (so nothing executes them): pending ones hold their reservation.
    w.set("process_refund", true, true).await;
    w.limit("process_refund", "max_total_amount", "150", Some("24")).await;
    let statuses = burst(&w, 40, "process_refund", refund("30")).await;
    assert_eq!(count(&statuses, "pending"), 5, "{statuses:?}");
    assert_eq!(count(&statuses, "denied"), 35, "{statuses:?}");
    chain_ok(&w.db, &w.owner.org_id).await;
});

db_test!(one_idempotency_key_one_action, |db| async move {
    let w = Arc::new(world(db).await);
    w.set(NOTE, true, false).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let w = w.clone();
        tasks.push(tokio::spawn(async move { w.invoke(NOTE, note(), "same-key").await }));
    }
    let mut ids = std::collections::BTreeSet::new();
    let (mut first, mut replays, mut in_flight) = (0, 0, 0);
    for t in tasks {
        match t.await.unwrap() {
            Ok(a) if a.replayed => {
                replays += 1;
                ids.insert(a.body["id"].as_str().unwrap().to_string());
            }
            Ok(a) => {
                first += 1;
                ids.insert(a.body["id"].as_str().unwrap().to_string());
            }
            Err(e) if e.code == app::domain::ErrorCode::Conflict => in_flight += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(first, 1, "exactly one request ran");
    assert_eq!(replays + in_flight, 19);
    assert_eq!(ids.len(), 1, "every answer names the same action");
    let rows = action::Entity::find().filter(action::Column::StoreId.eq(&w.store)).all(&w.db).await.unwrap();
    assert_eq!(rows.len(), 1);
    let requested = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("action.requested"))
        .all(&w.db)
        .await
        .unwrap();
    assert_eq!(requested.len(), 1, "one audit row for one action");

    // The same key with the same body: the stored answer; with another body: 422.
    let again = w.invoke(NOTE, note(), "same-key").await.unwrap();
    assert!(again.replayed);
    assert_eq!(again.body["id"], rows[0].id.as_str());
    let other = w.invoke(NOTE, json!({"target": {"type": "client", "id": "c-2"}, "body": "x"}), "same-key").await;
    assert_eq!(other.unwrap_err().code, app::domain::ErrorCode::IdempotencyKeyReused);
    // Write actions need a key; reads don't.
    let input = InvokeInput {
        request: ActionRequest {
            store_id: Some(w.store.clone()),
            action_type: NOTE.into(),
            params: note(),
            ..Default::default()
        },
        ..Default::default()
    };
    let err = actions::invoke(w.gw(), &w.owner, input, None).await.unwrap_err();
    assert_eq!(err.fields[0].field, "Idempotency-Key");
    let input = InvokeInput {
        request: ActionRequest {
            store_id: Some(w.store.clone()),
            action_type: "lookup_order".into(),
            params: json!({"order_id": "1"}),
            ..Default::default()
        },
        ..Default::default()
    };
    assert!(actions::invoke(w.gw(), &w.owner, input, None).await.is_ok());
});

db_test!(pending_confirm_then_reported_executed, |db| async move {
    let w = world(db).await;
    w.set(NOTE, true, true).await;
    let a = w.invoke(NOTE, note(), "k1").await.unwrap();
    assert_eq!(a.status, 201);
    assert_eq!(a.body["status"], "pending");
    assert_eq!(a.body["decision"], "confirm");
    assert!(a.body["expires_at"].is_string());
    let id = a.body["id"].as_str().unwrap().to_string();
    // The customer can't stand in for staff.
    let err = actions::confirm(w.gw(), &w.owner, &id, "customer").await.unwrap_err();
    assert_eq!(err.code, app::domain::ErrorCode::PermissionDenied);
    let c = actions::confirm(w.gw(), &w.owner, &id, "staff").await.unwrap();
    // No connector: confirmed, for the caller to execute and report.
    assert_eq!(c["status"], "confirmed");
    assert_eq!(c["confirmed_by"], "owner@gateway.example.com");
    let err = actions::confirm(w.gw(), &w.owner, &id, "staff").await.unwrap_err();
    assert_eq!(err.code, app::domain::ErrorCode::Conflict);
    let r = actions::report_result(
        w.gw(),
        &w.owner,
        &id,
        ResultInput { status: "executed".into(), output: Some(json!({"note_id": "n-9"})), ..Default::default() },
    )
    .await
    .unwrap();
    assert_eq!(r["status"], "executed");
    assert_eq!(r["result"]["note_id"], "n-9");
    let timeline: Vec<String> = audit_event::Entity::find()
        .filter(audit_event::Column::EntityId.eq(id.as_str()))
        .order_by_asc(audit_event::Column::Seq)
        .all(&w.db)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(timeline, ["action.requested", "action.confirmed", "action.executed"]);
    chain_ok(&w.db, &w.owner.org_id).await;
});

db_test!(cancel_failure_and_expiry_release_the_reservation, |db| async move {
    let w = world(db).await;
    w.set(NOTE, true, true).await;
    w.limit(NOTE, "max_count", "1", Some("24")).await;
    let first = w.invoke(NOTE, note(), "a").await.unwrap();
    assert_eq!(first.body["status"], "pending");
    let second = w.invoke(NOTE, note(), "b").await.unwrap();
    assert_eq!(second.body["status"], "denied", "the pending one holds the only slot");
    // Cancel releases it.
    let id = first.body["id"].as_str().unwrap().to_string();
    assert_eq!(actions::cancel(w.gw(), &w.owner, &id).await.unwrap()["status"], "cancelled");
    let third = w.invoke(NOTE, note(), "c").await.unwrap();
    assert_eq!(third.body["status"], "pending");
    // Expiry releases it.
    let n = actions::expire_due(&w.db, app::services::infra::db::now() + Duration::hours(25)).await.unwrap();
    assert_eq!(n, 1);
    let id3 = third.body["id"].as_str().unwrap().to_string();
    let row = action::Entity::find_by_id(id3.clone()).one(&w.db).await.unwrap().unwrap();
    assert_eq!(row.status, "expired");
    assert!(row.released);
    let err = actions::confirm(w.gw(), &w.owner, &id3, "staff").await.unwrap_err();
    assert_eq!(err.code, app::domain::ErrorCode::Conflict);
    let fourth = w.invoke(NOTE, note(), "d").await.unwrap();
    assert_eq!(fourth.body["status"], "pending");
    // A reported failure releases it too.
    let id4 = fourth.body["id"].as_str().unwrap().to_string();
    actions::confirm(w.gw(), &w.owner, &id4, "staff").await.unwrap();
    let bad = ResultInput { status: "failed".into(), ..Default::default() };
    assert_eq!(actions::report_result(w.gw(), &w.owner, &id4, bad).await.unwrap_err().fields[0].field, "error_code");
    let failed = ResultInput {
        status: "failed".into(),
        error_code: Some("TRANSIENT_FAILURE".into()),
        error_message: Some("CRM timed out".into()),
        ..Default::default()
    };
    assert_eq!(actions::report_result(w.gw(), &w.owner, &id4, failed).await.unwrap()["status"], "failed");
    assert_eq!(w.invoke(NOTE, note(), "e").await.unwrap().body["status"], "pending");
    chain_ok(&w.db, &w.owner.org_id).await;
});

db_test!(redacted_fields_never_reach_the_audit_row, |db| async move {
    let w = world(db).await;
    w.set("tickets.add_attachment", true, true).await;
    let secret_url = "https://files.example.com/a.pdf?token=s3cr3t-t0ken";
    let params = json!({
        "ticket": {"id": "T-1"},
        "source": {"url": secret_url},
        "visibility": "internal",
    });
    let a = w.invoke("tickets.add_attachment", params, "r1").await;
    let a = match a {
        Ok(a) => a,
        Err(e) => panic!("the sample must match the catalog's schema: {e:?}"),
    };
    let id = a.body["id"].as_str().unwrap().to_string();
    let row = action::Entity::find_by_id(id.clone()).one(&w.db).await.unwrap().unwrap();
    assert!(!row.action_data.contains("s3cr3t"), "{}", row.action_data);
    assert!(row.action_data.contains("[redacted]"));
    assert!(!row.response.unwrap_or_default().contains("s3cr3t"));
    for e in audit_event::Entity::find().all(&w.db).await.unwrap() {
        let text = format!("{:?}", e);
        assert!(!text.contains("s3cr3t"), "audit event {} carries the secret", e.action);
    }
});

db_test!(tampering_with_an_action_event_is_detected, |db| async move {
    let w = world(db).await;
    w.set(NOTE, true, false).await;
    w.invoke(NOTE, note(), "t1").await.unwrap();
    chain_ok(&w.db, &w.owner.org_id).await;
    let ev = audit_event::Entity::find()
        .filter(audit_event::Column::Action.eq("action.requested"))
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    let seq = ev.seq;
    let mut am: audit_event::ActiveModel = ev.into();
    am.action = Set("action.cancelled".into());
    am.update(&w.db).await.unwrap();
    let report = audit::verify_org(&w.db, &w.owner.org_id).await.unwrap();
    assert!(!report.ok);
    assert_eq!(report.first_broken.unwrap().seq, seq);
});
