//! Executors on SQLite and PostgreSQL: the webhook connector against a local HTTP server
//! (signature, retries only where allowed, timeouts, status mapping, the idempotency key
//! forwarded, the secret never shown), the sandbox store's rules, Mandate's internal
//! actions, execution through the gateway, and `seed-demo` run twice.

use crate::common::orgs::make_org;
use crate::common::people::{self, user_actor};
use app::domain::action_settings::{LimitInput, PermissionPatch};
use app::domain::connectors::ConnectorInput;
use app::domain::permission::BuiltInRole;
use app::domain::policy::ActionRequest;
use app::domain::stores::NewStore;
use app::domain::ErrorCode;
use app::entities::{
    action, audit_event, connector, notification, org, outbox, sandbox_operation, sandbox_order, store, task, user,
};
use app::services::demo::{self, DemoOutcome};
use app::services::gateway::actions::{self, Gateway, InvokeInput};
use app::services::gateway::connectors::{self, ConnectorScope};
use app::services::gateway::executors::{self, sandbox, webhook, ExecContext, ExecError};
use app::services::org::orgs::{self};
use app::services::stores::policy::PolicyCache;
use app::services::{audit, infra::db, stores, stores::permissions, Actor};
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use hmac::{Hmac, KeyInit, Mac};
use rust_decimal::Decimal;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: [u8; 32] = [5u8; 32];
const SECRET: &str = "whsec-test-0123456789abcdef";

// ---------------------------------------------------------------------------------------
// The world: an org, its Owner, a sandbox store

struct World {
    db: DatabaseConnection,
    cache: Arc<PolicyCache>,
    org: org::Model,
    owner: Actor,
    store: store::Model,
}

async fn world_named(db: DatabaseConnection, slug: &str) -> World {
    let (o, u) = make_org(&db, slug).await;
    let owner = user_actor(&db, &o, &u).await;
    let cache = Arc::new(PolicyCache::new());
    let input = NewStore { name: "Shop".into(), currency: "EUR".into(), ..Default::default() };
    let id = stores::create(&db, &cache, &owner, input).await.unwrap().id;
    let store = store::Entity::find_by_id(id).one(&db).await.unwrap().unwrap();
    World { db, cache, org: o, owner, store }
}

async fn world(db: DatabaseConnection) -> World {
    world_named(db, "exec").await
}

impl World {
    async fn order(&self, order_ref: &str, total: &str, status: &str) -> sandbox_order::Model {
        let o = sandbox::NewOrder {
            order_ref: order_ref.into(),
            customer_ref: Some("cus_1".into()),
            customer_email: Some("cus1@customer.example".into()),
            total: total.parse().unwrap(),
            currency: "EUR".into(),
            status: status.into(),
            items: json!([{"sku": "TEE", "name": "T-shirt", "quantity": 2, "price": "10.00"}]),
            address: json!({"line1": "Hauptstraße 1", "city": "Berlin", "postal_code": "10115", "country": "DE"}),
            tracking_number: (status == "shipped").then(|| "TRACK-1".to_string()),
            carrier: (status == "shipped").then(|| "DHL".to_string()),
        };
        sandbox::create_order(&self.db, &self.org.id, &self.store.id, o).await.unwrap()
    }

    async fn fetch_order(&self, order_ref: &str) -> sandbox_order::Model {
        sandbox_order::Entity::find()
            .filter(sandbox_order::Column::StoreId.eq(&self.store.id))
            .filter(sandbox_order::Column::OrderRef.eq(order_ref))
            .one(&self.db)
            .await
            .unwrap()
            .unwrap()
    }

    /// Runs an action's executor directly, as the gateway does after deciding.
    async fn run_in(
        &self,
        s: &store::Model,
        action_type: &str,
        params: Value,
        key: Option<&str>,
    ) -> Option<Result<Value, ExecError>> {
        let catalog = self.cache.catalog(&self.db).await.unwrap();
        let def = catalog.get(action_type).unwrap_or_else(|| panic!("{action_type} in the catalog")).clone();
        let action_id = db::new_id();
        let ctx = ExecContext {
            db: &self.db,
            secret_key: &KEY,
            org_id: &self.org.id,
            store: s,
            def: &def,
            action_id: &action_id,
            params: &params,
            idempotency_key: key,
            customer_ref: None,
            rule_run_id: None,
        };
        executors::run(&ctx).await
    }

    async fn run(&self, action_type: &str, params: Value) -> Result<Value, ExecError> {
        self.run_in(&self.store, action_type, params, Some("k")).await.expect("an executor")
    }

    async fn connector(&self, scope: ConnectorScope, url: &str, timeout_ms: i64, attempts: i64) {
        let input = ConnectorInput {
            url: url.into(),
            secret: Some(SECRET.into()),
            timeout_ms: Some(timeout_ms),
            max_attempts: Some(attempts),
        };
        connectors::set(&self.db, &KEY, &self.owner, &scope, input).await.unwrap();
    }

    fn gw(&self) -> Gateway<'_> {
        Gateway { db: &self.db, policy: &self.cache, secret_key: &KEY, pending_ttl: chrono::Duration::hours(24) }
    }
}

fn code(r: Result<Value, ExecError>) -> ExecError {
    r.expect_err("expected the action to fail")
}

// ---------------------------------------------------------------------------------------
// A local webhook receiver on port 0: answers from a plan, records what it got

#[derive(Clone)]
enum Reply {
    Status(u16, &'static str),
    Sleep(Duration),
}

#[derive(Clone, Default)]
struct Hook {
    seen: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
    plan: Arc<Mutex<VecDeque<Reply>>>,
}

impl Hook {
    fn seen(&self) -> Vec<(HeaderMap, Bytes)> {
        self.seen.lock().unwrap().clone()
    }
}

async fn receive(State(h): State<Hook>, headers: HeaderMap, body: Bytes) -> Response {
    h.seen.lock().unwrap().push((headers, body));
    let reply = h.plan.lock().unwrap().pop_front().unwrap_or(Reply::Status(200, "{}"));
    match reply {
        Reply::Status(code, body) => {
            (StatusCode::from_u16(code).unwrap(), [("content-type", "application/json")], body).into_response()
        }
        Reply::Sleep(d) => {
            tokio::time::sleep(d).await;
            (StatusCode::OK, "{}").into_response()
        }
    }
}

async fn hook(plan: Vec<Reply>) -> (String, Hook) {
    let h = Hook { plan: Arc::new(Mutex::new(plan.into())), ..Default::default() };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/hook", post(receive)).with_state(h.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), h)
}

fn header(h: &HeaderMap, name: &str) -> String {
    h.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string()
}

/// Checks `X-Mandate-Signature: t=…,v1=…` the way a receiver would: HMAC-SHA256 of
/// "<t>.<raw body>" with the shared secret.
fn verifies(headers: &HeaderMap, body: &[u8], secret: &str) -> bool {
    let sig = header(headers, "x-mandate-signature");
    let mut t = None;
    let mut v1 = None;
    for part in sig.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = Some(x.to_string()),
            Some(("v1", x)) => v1 = Some(x.to_string()),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    let mut mac = <Hmac<sha2_011::Sha256> as KeyInit>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(body);
    let Ok(given) = hex::decode(v1) else { return false };
    mac.verify_slice(&given).is_ok()
}

fn ticket() -> Value {
    json!({"client": {"id": "c-1"}, "subject": "Broken zip", "description": "The zip broke on day one."})
}

// ---------------------------------------------------------------------------------------
// Webhook connector

db_test!(webhook_request_is_signed_and_carries_the_idempotency_key, |db| async move {
    let w = world(db).await;
    let (url, h) = hook(vec![Reply::Status(201, r#"{"ticket_id": "T-1", "number": 7}"#)]).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    let out =
        w.run_in(&w.store, "tickets.create", ticket(), Some("idem-123")).await.expect("the org's connector runs it");
    assert_eq!(out.unwrap(), json!({"ticket_id": "T-1", "number": 7}));
    let seen = h.seen();
    assert_eq!(seen.len(), 1);
    let (headers, body) = &seen[0];
    assert_eq!(header(headers, "content-type"), "application/json");
    assert_eq!(header(headers, "idempotency-key"), "idem-123");
    assert!(verifies(headers, body, SECRET), "signature verifies with the shared secret");
    assert!(!verifies(headers, body, "another-secret-0123456789"), "and not with another");
    let mut changed = body.to_vec();
    changed[1] ^= 1;
    assert!(!verifies(headers, &changed, SECRET), "a changed body does not verify");
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(sent["action_type"], "tickets.create");
    assert_eq!(sent["action_version"], 1);
    assert_eq!(sent["store_id"], json!(w.store.id));
    assert_eq!(sent["params"], ticket());
    assert_eq!(sent["idempotency_key"], "idem-123");
    assert!(sent["action_id"].is_string());
    assert!(!String::from_utf8_lossy(body).contains(SECRET));

    // Without an Idempotency-Key the action id stands in for it.
    let (url2, h2) = hook(vec![]).await;
    w.connector(ConnectorScope::Org, &url2, 5000, 3).await;
    w.run_in(&w.store, "tickets.find", json!({"id": "T-1"}), None).await.unwrap().unwrap();
    let (headers, body) = &h2.seen()[0];
    let sent: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(header(headers, "idempotency-key"), sent["action_id"].as_str().unwrap());
    assert_eq!(sent["idempotency_key"], sent["action_id"]);
});

db_test!(webhook_retries_a_503_then_succeeds, |db| async move {
    let w = world(db).await;
    let (url, h) =
        hook(vec![Reply::Status(503, r#"{"detail": "maintenance"}"#), Reply::Status(200, r#"{"ok": true}"#)]).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    let started = Instant::now();
    let out = w.run_in(&w.store, "tickets.create", ticket(), Some("idem-retry")).await.unwrap();
    assert_eq!(out.unwrap(), json!({"ok": true}));
    let seen = h.seen();
    assert_eq!(seen.len(), 2, "one retry");
    assert!(started.elapsed() >= webhook::FIRST_BACKOFF, "waited before retrying");
    assert_eq!(seen[0].1, seen[1].1, "the same body both times");
    for (headers, body) in &seen {
        assert_eq!(header(headers, "idempotency-key"), "idem-retry");
        assert!(verifies(headers, body, SECRET));
    }
});

db_test!(webhook_gives_up_after_max_attempts, |db| async move {
    let w = world(db).await;
    let (url, h) =
        hook(vec![Reply::Status(503, ""), Reply::Status(502, ""), Reply::Status(500, ""), Reply::Status(200, "{}")])
            .await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    let e = code(w.run_in(&w.store, "tickets.create", ticket(), Some("k")).await.unwrap());
    assert_eq!(e.code, ErrorCode::TransientFailure);
    assert!(e.retryable);
    assert!(e.message.contains("500") && e.message.contains("3 attempts"), "{}", e.message);
    assert_eq!(h.seen().len(), 3);
});

db_test!(webhook_does_not_retry_a_422, |db| async move {
    let w = world(db).await;
    let (url, h) =
        hook(vec![Reply::Status(422, r#"{"detail": "subject is required"}"#), Reply::Status(200, "{}")]).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    let e = code(w.run_in(&w.store, "tickets.create", ticket(), Some("k")).await.unwrap());
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(!e.retryable);
    assert!(e.message.contains("subject is required"), "{}", e.message);
    assert_eq!(h.seen().len(), 1, "one attempt only");
});

db_test!(webhook_does_not_retry_actions_the_catalog_marks_not_retryable, |db| async move {
    let w = world(db).await;
    let (url, h) = hook(vec![Reply::Status(503, ""), Reply::Status(200, "{}")]).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    // tickets.add_comment is not retryable: a second comment would be a duplicate.
    let e = code(
        w.run_in(&w.store, "tickets.add_comment", json!({"ticket": "T-1", "body": "Hi"}), Some("k")).await.unwrap(),
    );
    assert_eq!(e.code, ErrorCode::TransientFailure);
    assert!(!e.retryable, "the caller is not told to retry either");
    assert_eq!(h.seen().len(), 1);
});

db_test!(webhook_timeout_is_a_transient_failure, |db| async move {
    let w = world(db).await;
    let (url, h) = hook(vec![Reply::Sleep(Duration::from_secs(3))]).await;
    w.connector(ConnectorScope::Org, &url, 300, 1).await;
    let started = Instant::now();
    let e = code(w.run_in(&w.store, "tickets.create", ticket(), Some("k")).await.unwrap());
    assert_eq!(e.code, ErrorCode::TransientFailure);
    assert!(e.message.contains("300 ms"), "{}", e.message);
    assert!(started.elapsed() < Duration::from_secs(2), "gave up at the timeout: {:?}", started.elapsed());
    assert_eq!(h.seen().len(), 1);

    // Nobody listening: a connection error, transient as well.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let closed = format!("http://{}/hook", listener.local_addr().unwrap());
    drop(listener);
    w.connector(ConnectorScope::Org, &closed, 1000, 1).await;
    let e = code(w.run_in(&w.store, "tickets.create", ticket(), Some("k")).await.unwrap());
    assert_eq!(e.code, ErrorCode::TransientFailure);
});

db_test!(webhook_statuses_map_to_the_error_taxonomy, |db| async move {
    let w = world(db).await;
    let cases = [
        (400, "VALIDATION_ERROR"),
        (401, "PERMISSION_DENIED"),
        (403, "PERMISSION_DENIED"),
        (404, "NOT_FOUND"),
        (409, "CONFLICT"),
        (429, "RATE_LIMITED"),
        (500, "TRANSIENT_FAILURE"),
        (302, "INTERNAL_ERROR"),
    ];
    let (url, h) = hook(cases.iter().map(|(s, _)| Reply::Status(*s, "")).collect()).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    for (status, expected) in cases {
        // Not retryable, so each status is one attempt.
        let e = code(
            w.run_in(&w.store, "tickets.add_comment", json!({"ticket": "T-1", "body": "Hi"}), Some("k")).await.unwrap(),
        );
        assert_eq!(e.code.as_str(), expected, "{status}");
        assert!(e.message.contains(&status.to_string()));
    }
    assert_eq!(h.seen().len(), cases.len());
    // 2xx with no body or a non-JSON body still counts as done.
    let (url, _) = hook(vec![Reply::Status(204, ""), Reply::Status(200, "accepted")]).await;
    w.connector(ConnectorScope::Org, &url, 5000, 3).await;
    assert_eq!(w.run_in(&w.store, "tickets.find", json!({}), None).await.unwrap().unwrap(), json!({}));
    assert_eq!(
        w.run_in(&w.store, "tickets.find", json!({}), None).await.unwrap().unwrap(),
        json!({"body": "accepted"})
    );
});

db_test!(executors_follow_the_store_platform_and_the_configured_connectors, |db| async move {
    let w = world(db).await;
    w.order("1001", "50.00", "open").await;
    // No org connector: business-operations actions wait for their caller.
    assert!(w.run_in(&w.store, "tickets.create", ticket(), Some("k")).await.is_none());
    // The sandbox store executes its commerce actions itself.
    assert!(w.run_in(&w.store, "lookup_order", json!({"order_id": "1001"}), None).await.unwrap().is_ok());

    // A store on another platform: its webhook when configured, else nobody.
    let mut am: store::ActiveModel = w.store.clone().into();
    am.platform = Set("webhook".into());
    let other = am.update(&w.db).await.unwrap();
    assert!(w.run_in(&other, "lookup_order", json!({"order_id": "1001"}), None).await.is_none());
    let (url, h) = hook(vec![Reply::Status(200, r#"{"order_id": "1001", "status": "paid"}"#)]).await;
    w.connector(ConnectorScope::Store(other.id.clone()), &url, 5000, 3).await;
    let out = w.run_in(&other, "lookup_order", json!({"order_id": "1001"}), None).await.unwrap().unwrap();
    assert_eq!(out["status"], "paid");
    let sent: Value = serde_json::from_slice(&h.seen()[0].1).unwrap();
    assert_eq!(sent["action_type"], "lookup_order");
    assert_eq!(sent["store_id"], json!(other.id));
    // The store's webhook is not the org's connector.
    assert!(w.run_in(&other, "tickets.create", ticket(), Some("k")).await.is_none());
});

db_test!(connector_secret_is_write_only, |db| async move {
    let w = world(db).await;
    let (url, h) = hook(vec![]).await;
    let scope = ConnectorScope::Store(w.store.id.clone());
    let view = connectors::get(&w.db, &w.owner, &scope).await.unwrap();
    assert!(!view.configured && !view.secret_set);

    // A new connector needs a secret; bad values are field errors.
    let bad = ConnectorInput {
        url: "http://shop.example.com/hook".into(),
        secret: None,
        timeout_ms: Some(50),
        max_attempts: Some(0),
    };
    let e = connectors::set(&w.db, &KEY, &w.owner, &scope, bad).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
    for f in ["url", "secret", "timeout_ms", "max_attempts"] {
        assert!(e.fields.iter().any(|x| x.field == f), "{f}: {e:?}");
    }
    let short = ConnectorInput { url: url.clone(), secret: Some("short".into()), ..Default::default() };
    assert!(connectors::set(&w.db, &KEY, &w.owner, &scope, short)
        .await
        .unwrap_err()
        .fields
        .iter()
        .any(|f| f.field == "secret"));

    let input = ConnectorInput { url: url.clone(), secret: Some(SECRET.into()), timeout_ms: None, max_attempts: None };
    let (view, created) = connectors::set(&w.db, &KEY, &w.owner, &scope, input).await.unwrap();
    assert!(created && view.configured && view.secret_set);
    assert_eq!((view.timeout_ms, view.max_attempts), (5000, 3), "defaults");
    assert!(!serde_json::to_string(&view).unwrap().contains(SECRET));
    let row =
        connector::Entity::find().filter(connector::Column::OrgId.eq(&w.org.id)).one(&w.db).await.unwrap().unwrap();
    assert!(row.secret_enc.is_empty(), "kept in the vault, not on the connector");
    let kept = app::entities::secret::Entity::find()
        .filter(app::entities::secret::Column::OrgId.eq(&w.org.id))
        .one(&w.db)
        .await
        .unwrap()
        .unwrap();
    assert!(kept.value_enc.starts_with("v1:") && !kept.value_enc.contains(SECRET), "encrypted at rest");

    // A change without a secret keeps the stored one (requests still verify with it).
    let change = ConnectorInput { url: url.clone(), secret: None, timeout_ms: Some(2000), max_attempts: Some(2) };
    let (view, created) = connectors::set(&w.db, &KEY, &w.owner, &scope, change).await.unwrap();
    assert!(!created && view.secret_set && view.timeout_ms == 2000);
    let mut am: store::ActiveModel = w.store.clone().into();
    am.platform = Set("webhook".into());
    let webhook_store = am.update(&w.db).await.unwrap();
    w.run_in(&webhook_store, "lookup_order", json!({"order_id": "9"}), None).await.unwrap().unwrap();
    let (headers, body) = &h.seen()[0];
    assert!(verifies(headers, body, SECRET));
    // Replaced: requests are signed with the new one.
    let replace =
        ConnectorInput { url: url.clone(), secret: Some("a-brand-new-secret-value".into()), ..Default::default() };
    connectors::set(&w.db, &KEY, &w.owner, &scope, replace).await.unwrap();
    w.run_in(&webhook_store, "lookup_order", json!({"order_id": "9"}), None).await.unwrap().unwrap();
    let (headers, body) = &h.seen()[1];
    assert!(verifies(headers, body, "a-brand-new-secret-value") && !verifies(headers, body, SECRET));

    // The change log says what changed, never the secret.
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(&w.org.id))
        .filter(audit_event::Column::EntityType.eq("connector"))
        .order_by_asc(audit_event::Column::Seq)
        .all(&w.db)
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(actions, ["connector.created", "connector.updated", "connector.updated"]);
    for e in &events {
        let text = format!("{:?} {:?}", e.before_json, e.after_json);
        assert!(!text.contains(SECRET) && !text.contains("a-brand-new-secret-value"), "{text}");
        assert!(!text.contains("secret_enc") && !text.contains("v1:"), "{text}");
    }
    assert!(events[2].after_json.as_deref().unwrap_or("").contains("\"secret_replaced\":true"));

    // Who may: secrets.manage at the store; another org's store is not found.
    let viewer = add_person(&w, "viewer", BuiltInRole::Viewer).await;
    let e = connectors::get(&w.db, &viewer, &scope).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::PermissionDenied);
    assert_eq!(
        connectors::get(&w.db, &viewer, &ConnectorScope::Org).await.unwrap_err().code,
        ErrorCode::PermissionDenied
    );
    let stranger = world_named(w.db.clone(), "stranger").await;
    assert_eq!(connectors::get(&w.db, &stranger.owner, &scope).await.unwrap_err().code, ErrorCode::NotFound);
    assert_eq!(connectors::delete(&w.db, &stranger.owner, &scope).await.unwrap_err().code, ErrorCode::NotFound);

    connectors::delete(&w.db, &w.owner, &scope).await.unwrap();
    assert!(!connectors::get(&w.db, &w.owner, &scope).await.unwrap().configured);
    assert_eq!(connectors::delete(&w.db, &w.owner, &scope).await.unwrap_err().code, ErrorCode::NotFound);
    assert!(w.run_in(&webhook_store, "lookup_order", json!({"order_id": "9"}), None).await.is_none());
});

async fn add_person(w: &World, name: &str, role_: BuiltInRole) -> Actor {
    let u = people::member_with_role(&w.db, &w.org, name, role_, app::domain::access::ScopeRef::Org).await;
    user_actor(&w.db, &w.org, &u).await
}

// ---------------------------------------------------------------------------------------
// Sandbox store

db_test!(sandbox_refunds_never_exceed_what_was_paid, |db| async move {
    let w = world(db).await;
    w.order("1001", "100.00", "shipped").await;
    let out = w.run("process_refund", json!({"order_id": "1001", "amount": "60", "reason": "late"})).await.unwrap();
    assert_eq!(out["amount"], "60.00");
    assert_eq!(out["currency"], "EUR");
    assert_eq!(out["status"], "succeeded");
    assert_eq!(w.fetch_order("1001").await.refunded_total, "60.00");
    let e = code(w.run("process_refund", json!({"order_id": "1001", "amount": 40.01})).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("would refund more than was paid"), "{}", e.message);
    assert!(e.message.contains("40.00"), "says what is left: {}", e.message);
    assert_eq!(w.fetch_order("1001").await.refunded_total, "60.00", "nothing changed");
    w.run("process_refund", json!({"order_id": "1001", "amount": "40.00"})).await.unwrap();
    assert_eq!(w.fetch_order("1001").await.refunded_total, "100.00");
    let e = code(w.run("process_refund", json!({"order_id": "1001", "amount": "0.01"})).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    // In the order's currency only.
    w.order("1002", "10.00", "open").await;
    assert_eq!(
        code(w.run("process_refund", json!({"order_id": "1002", "amount": "5", "currency": "USD"})).await).code,
        ErrorCode::ValidationError
    );
    let refunds = sandbox_operation::Entity::find()
        .filter(sandbox_operation::Column::StoreId.eq(&w.store.id))
        .filter(sandbox_operation::Column::Kind.eq("refund"))
        .count(&w.db)
        .await
        .unwrap();
    assert_eq!(refunds, 2, "one operation per refund made");
    assert_eq!(sandbox::order_total(&w.db, &w.store.id, "1001").await.unwrap(), Some(Decimal::new(100, 0)));
    assert_eq!(sandbox::order_total(&w.db, &w.store.id, "nope").await.unwrap(), None);
});

db_test!(sandbox_concurrent_refunds_stay_within_the_total, |db| async move {
    let w = Arc::new(world(db).await);
    w.order("1001", "100.00", "shipped").await;
    let mut tasks = Vec::new();
    for _ in 0..10 {
        let w = w.clone();
        tasks.push(tokio::spawn(
            async move { w.run("process_refund", json!({"order_id": "1001", "amount": "30"})).await },
        ));
    }
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(e) => assert!(e.code == ErrorCode::Conflict || e.code == ErrorCode::TransientFailure, "{e:?}"),
        }
    }
    assert!(ok <= 3, "at most 3 × 30 fit in 100, got {ok}");
    let refunded: Decimal = w.fetch_order("1001").await.refunded_total.parse().unwrap();
    assert_eq!(refunded, Decimal::new(30, 0) * Decimal::from(ok));
});

db_test!(sandbox_order_rules, |db| async move {
    let w = world(db).await;
    w.order("1001", "80.00", "open").await;
    w.order("1002", "80.00", "shipped").await;

    let out = w.run("lookup_order", json!({"order_id": "1002"})).await.unwrap();
    assert_eq!(out["status"], "shipped");
    assert_eq!(out["total"], "80.00");
    assert_eq!(out["tracking_number"], "TRACK-1");
    assert_eq!(out["shipping_address"]["city"], "Berlin");
    for action in ["lookup_order", "cancel_order", "send_tracking", "process_refund"] {
        let e = code(w.run(action, json!({"order_id": "9999", "amount": "1"})).await);
        assert_eq!(e.code, ErrorCode::NotFound, "{action}");
    }

    // Address changes only before shipping.
    let new = json!({"line1": "Neue Straße 2", "city": "Hamburg", "postal_code": "20095", "country": "DE"});
    let out = w.run("update_address", json!({"order_id": "1001", "address": new})).await.unwrap();
    assert_eq!(out["address"]["city"], "Hamburg");
    assert!(w.fetch_order("1001").await.address.contains("Hamburg"));
    assert_eq!(
        code(w.run("update_address", json!({"order_id": "1002", "address": new})).await).code,
        ErrorCode::Conflict
    );

    // Tracking only once shipped.
    assert_eq!(w.run("send_tracking", json!({"order_id": "1002"})).await.unwrap()["tracking_number"], "TRACK-1");
    assert_eq!(code(w.run("send_tracking", json!({"order_id": "1001"})).await).code, ErrorCode::Conflict);

    // Cancel: once, and not after shipping.
    assert_eq!(
        w.run("cancel_order", json!({"order_id": "1001", "reason": "twice"})).await.unwrap()["status"],
        "cancelled"
    );
    let e = code(w.run("cancel_order", json!({"order_id": "1001"})).await);
    assert_eq!(e.code, ErrorCode::Conflict);
    assert!(e.message.contains("already cancelled"));
    assert_eq!(code(w.run("cancel_order", json!({"order_id": "1002"})).await).code, ErrorCode::Conflict);
    assert_eq!(w.fetch_order("1001").await.status, "cancelled");

    // Returns: shipped orders, items that were on the order, once.
    let e = code(
        w.run(
            "initiate_return",
            json!({"order_id": "1002", "reason": "size", "items": [{"sku": "TEE", "quantity": 3}]}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
    let e = code(
        w.run(
            "initiate_return",
            json!({"order_id": "1002", "reason": "size", "items": [{"sku": "MUG", "quantity": 1}]}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
    let out = w
        .run("initiate_return", json!({"order_id": "1002", "reason": "size", "items": [{"sku": "TEE", "quantity": 1}]}))
        .await
        .unwrap();
    assert_eq!(out["status"], "open");
    assert_eq!(w.fetch_order("1002").await.status, "returned");
    assert_eq!(
        code(w.run("initiate_return", json!({"order_id": "1002", "reason": "size"})).await).code,
        ErrorCode::Conflict
    );

    // Discounts: on live orders, codes unique per store, at most what is left to pay.
    w.order("1003", "50.00", "open").await;
    let out =
        w.run("apply_discount", json!({"order_id": "1003", "percentage": "10", "code": "SORRY10"})).await.unwrap();
    assert_eq!(out["code"], "SORRY10");
    assert_eq!(out["percentage"], "10");
    assert_eq!(
        code(w.run("apply_discount", json!({"order_id": "1003", "percentage": 5, "code": "SORRY10"})).await).code,
        ErrorCode::Conflict
    );
    assert_eq!(
        code(w.run("apply_discount", json!({"order_id": "1003", "amount": "60"})).await).code,
        ErrorCode::Conflict
    );
    assert_eq!(
        code(w.run("apply_discount", json!({"order_id": "1001", "amount": "5"})).await).code,
        ErrorCode::Conflict,
        "cancelled"
    );
    let out = w.run("apply_discount", json!({"customer_ref": "cus_9", "amount": "5"})).await.unwrap();
    assert!(out["code"].as_str().unwrap().starts_with("SAVE-"));
    assert_eq!(out["order_id"], Value::Null);
});

// ---------------------------------------------------------------------------------------
// Internal actions

db_test!(internal_actions_create_tasks_notifications_and_email, |db| async move {
    let w = world(db).await;
    let approver = add_person(&w, "approver", BuiltInRole::Approver).await;

    let out = w
        .run(
            "create_task",
            json!({"title": "Call the customer back", "description": "About order 1001", "assignee": "APPROVER@exec.example.com",
                   "due_date": "2026-12-31", "priority": "high", "linked_entity": {"type": "order", "id": "1001"}}),
        )
        .await
        .unwrap();
    assert_eq!(out["status"], "open");
    let t = task::Entity::find_by_id(out["task_id"].as_str().unwrap().to_string()).one(&w.db).await.unwrap().unwrap();
    assert_eq!(t.title, "Call the customer back");
    assert_eq!(t.assignee.as_deref(), Some(approver.id.as_str()));
    assert_eq!(
        (t.priority.as_str(), t.due_date.as_deref(), t.linked_id.as_deref()),
        ("high", Some("2026-12-31"), Some("1001"))
    );
    assert_eq!(t.store_id.as_deref(), Some(w.store.id.as_str()));
    let told =
        notification::Entity::find().filter(notification::Column::UserId.eq(&approver.id)).all(&w.db).await.unwrap();
    assert_eq!(told.len(), 1, "the assignee is told");
    assert_eq!(
        code(w.run("create_task", json!({"title": "x", "assignee": "nobody@nowhere.example"})).await).code,
        ErrorCode::ValidationError
    );

    // update_status: the task, then an order; Mandate has no tickets.
    let out =
        w.run("update_status", json!({"entity_type": "task", "entity_id": t.id, "status": "done"})).await.unwrap();
    assert_eq!((out["status"].as_str(), out["previous_status"].as_str()), (Some("done"), Some("open")));
    assert_eq!(
        code(w.run("update_status", json!({"entity_type": "task", "entity_id": t.id, "status": "weird"})).await).code,
        ErrorCode::ValidationError
    );
    assert_eq!(
        code(w.run("update_status", json!({"entity_type": "task", "entity_id": "nope", "status": "done"})).await).code,
        ErrorCode::NotFound
    );
    assert_eq!(
        code(w.run("update_status", json!({"entity_type": "ticket", "entity_id": "T-1", "status": "done"})).await).code,
        ErrorCode::NotFound
    );
    w.order("1001", "10.00", "open").await;
    w.run("update_status", json!({"entity_type": "order", "entity_id": "1001", "status": "shipped"})).await.unwrap();
    assert_eq!(w.fetch_order("1001").await.status, "shipped");

    // send_notification to a role (every holder) and a person, in-app and by email.
    let out = w
        .run(
            "send_notification",
            json!({"recipients": ["Approver", "owner@exec.example.com"], "title": "Refund waiting", "body": "Order 1004",
                   "channel": "both", "severity": "warning"}),
        )
        .await
        .unwrap();
    assert_eq!(out["notification_ids"].as_array().unwrap().len(), 2);
    assert_eq!(out["email_ids"].as_array().unwrap().len(), 2);
    let mails = outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).all(&w.db).await.unwrap();
    assert!(mails.iter().any(|m| m.to_email == "approver@exec.example.com" && m.subject == "[warning] Refund waiting"));
    let e = code(
        w.run(
            "send_notification",
            json!({"recipients": ["Ghost"], "title": "t", "body": "b", "channel": "in_app", "severity": "info"}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(e.message.contains("Ghost"));

    // notifications.send_in_app: a dedupe key sends once.
    let first = w
        .run("notifications.send_in_app", json!({"recipients": ["Owner"], "title": "Daily", "dedupe_key": "d-1"}))
        .await
        .unwrap();
    let again = w
        .run("notifications.send_in_app", json!({"recipients": ["Owner"], "title": "Daily", "dedupe_key": "d-1"}))
        .await
        .unwrap();
    assert_eq!(first, again);

    // email.send: one outbox row per address.
    let before = outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).count(&w.db).await.unwrap();
    let out = w
        .run("email.send", json!({"to": ["a@x.example"], "cc": ["b@x.example"], "subject": "Hello", "body": "Hi"}))
        .await
        .unwrap();
    assert_eq!(out["status"], "queued");
    let after = outbox::Entity::find().filter(outbox::Column::OrgId.eq(&w.org.id)).count(&w.db).await.unwrap();
    assert_eq!(after - before, 2);
    let e = code(
        w.run(
            "email.send",
            json!({"to": ["a@x.example"], "subject": "s", "body": "b", "attachments": [{"ref": "u-1"}]}),
        )
        .await,
    );
    assert_eq!(e.code, ErrorCode::ValidationError);
});

// ---------------------------------------------------------------------------------------
// Through the gateway

db_test!(gateway_executes_on_the_sandbox_and_records_failures, |db| async move {
    let w = world(db).await;
    w.order("1001", "100.00", "shipped").await;
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch = PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(false),
        confirmation_by: Some("staff".into()),
    };
    permissions::set(&w.db, &catalog, &w.owner, &w.store.id, "process_refund", patch).await.unwrap();
    let limit = LimitInput {
        store_id: Some(w.store.id.clone()),
        action_type: "process_refund".into(),
        limit_type: "max_total_amount".into(),
        limit_value: "1000".into(),
        time_window_hours: Some("24".into()),
        ..Default::default()
    };
    permissions::upsert_limit(&w.db, &catalog, &w.owner, limit).await.unwrap();
    let invoke = |amount: &str, key: &str| {
        let input = InvokeInput {
            request: ActionRequest {
                store_id: Some(w.store.id.clone()),
                action_type: "process_refund".into(),
                params: json!({"order_id": "1001", "amount": amount}),
                ..Default::default()
            },
            ..Default::default()
        };
        let key = key.to_string();
        let gw = w.gw();
        let owner = w.owner.clone();
        async move { actions::invoke(gw, &owner, input, Some(&key)).await.unwrap() }
    };
    let a = invoke("70", "r1").await;
    assert_eq!(a.body["status"], "executed", "{}", a.body);
    assert_eq!(a.body["result"]["amount"], "70.00");
    assert_eq!(w.fetch_order("1001").await.refunded_total, "70.00");
    let b = invoke("50", "r2").await;
    assert_eq!(b.body["status"], "failed");
    assert_eq!(b.body["error"]["code"], "CONFLICT");
    let row = action::Entity::find_by_id(b.body["id"].as_str().unwrap().to_string()).one(&w.db).await.unwrap().unwrap();
    assert!(row.released, "a failed execution releases its reservation");
    assert_eq!(w.fetch_order("1001").await.refunded_total, "70.00");
    // The replay answers the stored outcome without running again.
    let again = invoke("70", "r1").await;
    assert!(again.replayed);
    assert_eq!(w.fetch_order("1001").await.refunded_total, "70.00");
    assert!(audit::verify_org(&w.db, &w.org.id).await.unwrap().ok);
});

// ---------------------------------------------------------------------------------------
// seed-demo

db_test!(seed_demo_twice, |db| async move {
    let cache = PolicyCache::new();
    let seed = match demo::seed_demo(&db, &cache, &KEY, None).await.unwrap() {
        DemoOutcome::Created(seed) => seed,
        other => panic!("expected a new demo, got {other:?}"),
    };
    assert!(seed.password_generated && seed.password.len() >= 12);
    assert!(seed.agent_key.len() > 20);
    let o = orgs::find_by_slug(&db, "demo").await.unwrap().unwrap();
    let statuses: Vec<(&str, &str)> = seed.history.iter().map(|(a, _, s)| (a.as_str(), s.as_str())).collect();
    assert_eq!(
        statuses,
        [
            ("lookup_order", "executed"),
            ("send_tracking", "executed"),
            ("process_refund", "executed"),
            ("apply_discount", "executed"),
            ("process_refund", "pending"),
            ("process_refund", "denied"),
            ("apply_discount", "denied"),
            ("cancel_order", "executed"),
            ("cancel_order", "pending"),
        ]
    );
    let order = |r: &'static str| {
        let db = db.clone();
        let store_id = seed.store_id.clone();
        async move {
            sandbox_order::Entity::find()
                .filter(sandbox_order::Column::StoreId.eq(store_id))
                .filter(sandbox_order::Column::OrderRef.eq(r))
                .one(&db)
                .await
                .unwrap()
                .unwrap()
        }
    };
    assert_eq!(order("1002").await.refunded_total, "25.00");
    assert_eq!(order("1007").await.status, "cancelled");
    assert_eq!(order("1001").await.status, "open", "its cancellation waits for the customer");
    let pending_staff = action::Entity::find()
        .filter(action::Column::OrgId.eq(&o.id))
        .filter(action::Column::Status.eq("pending"))
        .filter(action::Column::ConfirmationBy.eq("staff"))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(pending_staff, 1, "one refund waits in Approvals");
    // Both people can sign in with the password.
    for email in [demo::OWNER_EMAIL, demo::APPROVER_EMAIL] {
        let u = user::Entity::find()
            .filter(user::Column::OrgId.eq(&o.id))
            .filter(user::Column::Email.eq(email))
            .one(&db)
            .await
            .unwrap()
            .unwrap();
        assert!(
            app::services::identity::passwords::verify_password(seed.password.clone(), u.password_hash.unwrap()).await,
            "{email}"
        );
    }
    let counts = |db: DatabaseConnection, org_id: String| async move {
        (
            user::Entity::find().filter(user::Column::OrgId.eq(&org_id)).count(&db).await.unwrap(),
            store::Entity::find().filter(store::Column::OrgId.eq(&org_id)).count(&db).await.unwrap(),
            sandbox_order::Entity::find().filter(sandbox_order::Column::OrgId.eq(&org_id)).count(&db).await.unwrap(),
            action::Entity::find().filter(action::Column::OrgId.eq(&org_id)).count(&db).await.unwrap(),
        )
    };
    let first = counts(db.clone(), o.id.clone()).await;
    // Nine actions of the assistant's history and the demo rule's notification.
    assert_eq!(first, (2, 1, 10, 10));
    let runs = app::entities::rule_run::Entity::find()
        .filter(app::entities::rule_run::Column::OrgId.eq(&o.id))
        .all(&db)
        .await
        .unwrap();
    assert_eq!(runs.iter().map(|r| r.status.as_str()).collect::<Vec<_>>(), ["succeeded"]);

    // Again: nothing new.
    match demo::seed_demo(&db, &cache, &KEY, Some("another password entirely".into())).await.unwrap() {
        DemoOutcome::AlreadyExists { org_slug } => assert_eq!(org_slug, "demo"),
        other => panic!("expected the demo to exist, got {other:?}"),
    }
    assert_eq!(counts(db.clone(), o.id.clone()).await, first);
    assert!(audit::verify_org(&db, &o.id).await.unwrap().ok);
});

db_test!(seed_demo_refuses_a_weak_password, |db| async move {
    let cache = PolicyCache::new();
    let e = demo::seed_demo(&db, &cache, &KEY, Some("short".into())).await.unwrap_err();
    assert_eq!(e.code, ErrorCode::ValidationError);
    assert!(orgs::find_by_slug(&db, "demo").await.unwrap().is_none(), "nothing created");
});

db_test!(percentage_limits_use_the_sandbox_orders_total, |db| async move {
    // DESIGN.md §7: without an order_total in the request, the sandbox order's total is used.
    use app::domain::policy::Outcome;
    use app::services::gateway::check::check;
    let w = world(db).await;
    w.order("ORD-PCT", "200.00", "open").await;
    let catalog = w.cache.catalog(&w.db).await.unwrap();
    let patch = PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(false),
        confirmation_by: Some("staff".into()),
    };
    permissions::set(&w.db, &catalog, &w.owner, &w.store.id, "process_refund", patch).await.unwrap();
    let limit = LimitInput {
        store_id: Some(w.store.id.clone()),
        action_type: "process_refund".into(),
        limit_type: "max_percentage".into(),
        limit_value: "25".into(),
        ..Default::default()
    };
    permissions::upsert_limit(&w.db, &catalog, &w.owner, limit).await.unwrap();
    let ask = |order_id: &'static str, amount: &'static str, total: Option<&'static str>| {
        let mut params = json!({"order_id": order_id, "amount": amount});
        if let Some(t) = total {
            params["order_total"] = json!(t);
        }
        let input = ActionRequest {
            store_id: Some(w.store.id.clone()),
            action_type: "process_refund".into(),
            params,
            ..Default::default()
        };
        let (db, cache, owner) = (w.db.clone(), w.cache.clone(), w.owner.clone());
        async move { check(&db, &cache, &owner, input).await.unwrap().decision }
    };
    // 50 of 200 is 25 %: allowed; 60 of 200 is 30 %: refused, with the order's total as the reason.
    let d = ask("ORD-PCT", "50", None).await;
    assert_eq!(d.outcome, Outcome::Allow, "{d:?}");
    let d = ask("ORD-PCT", "60", None).await;
    assert_eq!(d.outcome, Outcome::Deny, "{d:?}");
    assert_eq!(d.code.as_deref(), Some("LIMIT_EXCEEDED"), "{d:?}");
    // The request's own total wins over the order's.
    assert_eq!(ask("ORD-PCT", "60", Some("1000")).await.outcome, Outcome::Allow);
    // An order the sandbox does not know: no percentage, a clear refusal.
    let d = ask("ORD-NONE", "10", None).await;
    assert_eq!(d.outcome, Outcome::Deny, "{d:?}");
});
