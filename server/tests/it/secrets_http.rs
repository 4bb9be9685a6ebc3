//! The vault over HTTP, and the promise that a secret's value never comes back: the org's
//! credentials (a connector's signing secret, the SMS token, the single sign-on client
//! secret) and a secret a rule sends to the connector are set through the API; a rule runs
//! and its step reaches the connector with the value; then every GET route of the API, the
//! pages' server functions, the audit CSV export, the audit trail and every log line the
//! server wrote are searched for each value.

use crate::support;

use axum::extract::State;
use axum::routing::post;
use axum::{Json, Router};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{json, Value};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Fixture, Req};

const CONNECTOR_SECRET: &str = "whsec-grep-5e1f0c9a7b3d2e4f";
const SMS_TOKEN: &str = "sms-token-grep-8c2b7a1d9e";
const SSO_SECRET: &str = "sso-client-secret-grep-3f6a0b";
const VAULT_SECRET: &str = "carrier-token-grep-4d9e2c7f1a";
const VALUES: [&str; 4] = [CONNECTOR_SECRET, SMS_TOKEN, SSO_SECRET, VAULT_SECRET];

/// Every log line of this test process, at debug level (SQL statements included).
#[derive(Clone, Default)]
struct Logs(Arc<Mutex<Vec<u8>>>);

impl Write for Logs {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Logs {
    type Writer = Logs;
    fn make_writer(&'a self) -> Logs {
        self.clone()
    }
}

fn assert_absent(what: &str, text: &str) {
    for v in VALUES {
        assert!(!text.contains(v), "{what} shows a secret value ({v}): {}", &text[..text.len().min(2000)]);
    }
}

/// A connector that records what it gets and echoes the ticket's description back.
async fn echoing_desk() -> (String, Arc<Mutex<Vec<Value>>>) {
    async fn answer(State(seen): State<Arc<Mutex<Vec<Value>>>>, Json(body): Json<Value>) -> Json<Value> {
        seen.lock().unwrap().push(body.clone());
        Json(json!({"ticket_id": "T-9", "number": "9", "url": "https://desk.example/9",
            "created_at": "2026-12-06T10:00:00Z", "echo": body["params"]["description"]}))
    }
    let seen = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = Router::new().route("/hook", post(answer)).with_state(seen.clone());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hook"), seen)
}

#[tokio::test]
async fn secret_values_never_come_back() {
    let logs = Logs::default();
    let captured = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new("debug"))
        .with_writer(logs.clone())
        .try_init()
        .is_ok();
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = fx.org_a.store_id.clone();
    let call = |req: Req| {
        let (fx, owner) = (fx.clone(), owner.clone());
        async move { fx.call_with_key(&owner, &req).await }
    };

    // The credentials, through the API.
    let (url, seen) = echoing_desk().await;
    let res = call(Req::json("PUT", "/api/v1/connector", json!({"url": url, "secret": CONNECTOR_SECRET}))).await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let sms = json!({"url": "http://127.0.0.1:9/sms", "account_sid": "AC1", "from_number": "+15005550006",
        "auth_token": SMS_TOKEN});
    assert_eq!(call(Req::json("PUT", "/api/v1/sms-provider", sms)).await.status, 201);
    let sso = json!({"display_name": "Okta", "issuer_url": "https://idp.example.com", "client_id": "mandate",
        "client_secret": SSO_SECRET, "allowed_domains": ["org-a.example.com"], "provisioning": "invited",
        "enabled": true, "password_sign_in_disabled": false});
    let res = call(Req::json("PUT", "/api/v1/sso", sso)).await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let res = call(Req::json(
        "POST",
        "/api/v1/secrets",
        json!({"name": "CARRIER_TOKEN", "value": VAULT_SECRET, "description": "Carrier API"}),
    ))
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(res.body["name"], "CARRIER_TOKEN");
    let secret_id = res.body["id"].as_str().unwrap().to_string();
    // Bad input is refused, naming the field; nothing leaks into the error either.
    let bad = call(Req::json("POST", "/api/v1/secrets", json!({"name": "bad name", "value": VAULT_SECRET}))).await;
    assert_eq!(bad.status, 422);
    assert_eq!(bad.body["errors"][0]["field"], "name");
    assert_absent("a refusal", &bad.body.to_string());

    // A rule sends the secret to the connector.
    let allow = json!({"enabled": true, "requires_confirmation": false});
    let res = call(Req::json("PUT", format!("/api/v1/permissions/tickets.create?store_id={store}"), allow)).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let rule = json!({"name": "Ticket with the carrier token", "module_type": "store", "trigger_id": "customer_message",
        "store_id": store, "actions": [{"type": "tickets.create", "parameters": {"client": {"id": "C-1"},
        "subject": "Message: {{message}}", "description": "Token {{secrets.CARRIER_TOKEN}}"}}]});
    let created = call(Req::json("POST", "/api/v1/automation/rules", rule)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let rule_id = created.body["id"].as_str().unwrap().to_string();
    let dry = call(Req::json(
        "POST",
        format!("/api/v1/automation/rules/{rule_id}/test"),
        json!({"payload": {"customer_ref": "c-1", "message": "hi"}}),
    ))
    .await;
    assert_eq!(dry.status, 200, "{:?}", dry.body);
    assert_eq!(dry.body["steps"][0]["parameters"]["description"], "Token {{secrets.CARRIER_TOKEN}}");
    let event = json!({"trigger_id": "customer_message", "store_id": store,
        "payload": {"customer_ref": "c-1", "message": "Where is my parcel?", "channel": "email"}});
    let posted = call(Req::json("POST", "/api/v1/events", event)).await;
    assert_eq!(posted.status, 202, "{:?}", posted.body);
    let event_id = posted.body["event_id"].as_str().unwrap().to_string();
    let mut run_id = None;
    for _ in 0..200 {
        let e = call(Req::get(format!("/api/v1/events/{event_id}"))).await;
        if e.body["status"] == "done" {
            assert_eq!(e.body["runs"][0]["status"], "succeeded", "{:?}", e.body);
            run_id = e.body["runs"][0]["id"].as_str().map(str::to_string);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let run_id = run_id.expect("the rule ran");
    let sent = seen.lock().unwrap().clone();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0]["params"]["description"], format!("Token {VAULT_SECRET}"), "the connector got the value");
    let action_id = app::entities::action::Entity::find()
        .filter(app::entities::action::Column::RuleRunId.eq(&run_id))
        .one(&fx.db)
        .await
        .unwrap()
        .unwrap()
        .id;

    // Every GET of the API (with the ids made above where a route names one).
    let ids = [
        ("/actions/{id}", action_id.clone()),
        ("/automation/rules/{id}", rule_id.clone()),
        ("/automation/rules/{id}/versions", rule_id.clone()),
        ("/events/{id}", event_id.clone()),
        ("/automation/runs/{id}", run_id.clone()),
        ("/stores/{id}", store.clone()),
        ("/stores/{id}/connector", store.clone()),
        ("/assistants/{id}", fx.org_a.assistant_id.clone()),
        ("/assistants/{id}/tools", fx.org_a.assistant_id.clone()),
    ];
    let mut answered = 0;
    for (method, path) in server::rest::ROUTES {
        if *method != "GET" {
            continue;
        }
        let concrete = match ids.iter().find(|(p, _)| p == path) {
            Some((_, id)) => path.replace("{id}", id),
            None if path.contains('{') => continue,
            None => path.to_string(),
        };
        for query in ["", "?store_id="] {
            let q = if query.is_empty() { String::new() } else { format!("{query}{store}") };
            let res = call(Req::get(format!("/api/v1{concrete}{q}"))).await;
            assert!(res.status < 500, "GET {concrete}{q}: {:?}", res.body);
            assert_absent(&format!("GET {concrete}{q}"), &res.body.to_string());
            answered += 1;
        }
    }
    assert!(answered > 40, "{answered}");
    let listed = call(Req::get("/api/v1/secrets")).await;
    let names: Vec<String> =
        listed.body["items"].as_array().unwrap().iter().map(|s| s["used_by"].to_string()).collect();
    assert_eq!(names.len(), 4, "the three credentials and the rule's secret: {names:?}");

    // The pages' server functions and the audit export, as the signed-in Owner.
    let login = &fx.org_a.users["Owner"];
    for path in ["/api/secrets_page", "/api/sms_provider_get", "/api/sso_get"] {
        let res = fx.call_as_user(login, &Req::form(path, &[])).await;
        assert_eq!(res.status, 200, "{path}: {:?}", res.body);
        assert_absent(path, &res.body.to_string());
    }
    let csv = login.client.get(format!("{}/audit/export.csv", fx.base)).send().await.unwrap();
    assert_eq!(csv.status().as_u16(), 200);
    assert_absent("the audit CSV export", &csv.text().await.unwrap());

    // The audit trail, every event.
    let trail = app::entities::audit_event::Entity::find()
        .filter(app::entities::audit_event::Column::OrgId.eq(&fx.org_a.org.id))
        .all(&fx.db)
        .await
        .unwrap();
    assert!(trail.iter().any(|e| e.action == "secret.used"), "the system's reads are audited");
    assert_absent("the audit trail", &format!("{trail:?}"));

    // Replacing and removing: still no value anywhere.
    let res = call(Req::json("PATCH", format!("/api/v1/secrets/{secret_id}"), json!({"value": VAULT_SECRET}))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_absent("PATCH /secrets", &res.body.to_string());
    assert_eq!(call(Req::delete(format!("/api/v1/secrets/{secret_id}"))).await.status, 204);

    // The log of everything above.
    let text = String::from_utf8_lossy(&logs.0.lock().unwrap()).to_string();
    assert!(captured, "this test's log capture is the process's subscriber");
    assert!(text.contains("secret") && text.len() > 10_000, "the log was captured ({} bytes)", text.len());
    assert_absent("the server's log", &text);
}
