//! Automation over HTTP: the seed's "High Value Deal Alert" through the REST API (the
//! rendered message, the threshold, the toggle, delete), the 422s naming the wrong field,
//! another org's key refused, and an accepted event surviving a `kill -9` of the server
//! process: the run happens after the restart, exactly once.

use crate::support;

use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{json, Value};
use std::time::Duration;
use support::{Fixture, Req, Res};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

fn fields(res: &Res) -> Vec<String> {
    res.body["errors"]
        .as_array()
        .map(|e| e.iter().filter_map(|x| x["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn deal_alert(store: &str) -> Value {
    json!({
        "name": "High Value Deal Alert",
        "description": "Notify the owners about opportunities of 100,000 or more.",
        "module_type": "sales",
        "trigger_id": "high_value_opportunity",
        "store_id": store,
        "conditions": [{"type": "value_threshold", "field": "value", "value": 100000}],
        "actions": [{"type": "send_notification", "parameters": {
            "recipients": ["Owner"], "title": "High-value opportunity", "channel": "in_app", "severity": "info",
            "body": "New high-value opportunity: {{opportunity_name}} - ${{value}}"}}]
    })
}

fn event(store: &str, value: i64) -> Value {
    json!({"trigger_id": "high_value_opportunity", "store_id": store,
        "payload": {"opportunity_id": "op-7", "opportunity_name": "Acme renewal", "value": value, "currency": "USD"}})
}

/// Polls the event until the worker has processed it.
async fn processed(fx: &Fixture, key: &str, id: &str) -> Value {
    for _ in 0..200 {
        let res = call(fx, key, Req::get(format!("/api/v1/events/{id}"))).await;
        assert_eq!(res.status, 200, "{:?}", res.body);
        if res.body["status"] == "done" || res.body["status"] == "dropped" {
            return res.body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the event was not processed");
}

#[tokio::test]
async fn the_seeds_high_value_deal_alert_through_the_api() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = fx.org_a.store_id.clone();
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/send_notification?store_id={store}"),
            json!({"enabled": true, "requires_confirmation": false}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);

    let triggers = call(&fx, &owner, Req::get("/api/v1/automation/triggers?module_type=sales")).await;
    let hvo = triggers.body["items"].as_array().unwrap().iter().find(|t| t["id"] == "high_value_opportunity").unwrap();
    assert!(hvo["fields"].as_array().unwrap().iter().any(|f| f["name"] == "opportunity_name"));

    let created = call(&fx, &owner, Req::json("POST", "/api/v1/automation/rules", deal_alert(&store))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["is_active"], true);
    let id = created.body["id"].as_str().unwrap().to_string();

    // Dry run: the rendered message and the decision, nothing sent.
    let dry = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            format!("/api/v1/automation/rules/{id}/test"),
            json!({"payload": event(&store, 150000)["payload"]}),
        ),
    )
    .await;
    assert_eq!(dry.status, 200, "{:?}", dry.body);
    assert_eq!(dry.body["matched"], true);
    assert_eq!(dry.body["steps"][0]["parameters"]["body"], "New high-value opportunity: Acme renewal - $150000");
    assert_eq!(dry.body["steps"][0]["decision"]["outcome"], "allow");

    // An event above the threshold: 202 at once, the rule runs, the owner is notified.
    let posted = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/events", event(&store, 150000))).await;
    assert_eq!(posted.status, 202, "{:?}", posted.body);
    let e = processed(&fx, &owner, posted.body["event_id"].as_str().unwrap()).await;
    assert_eq!(e["runs"][0]["status"], "succeeded", "{e}");
    assert_eq!(e["runs"][0]["conditions"][0]["passed"], true);
    let notes = app::entities::notification::Entity::find()
        .filter(app::entities::notification::Column::OrgId.eq(&fx.org_a.org.id))
        .all(&fx.db)
        .await
        .unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0].body, "New high-value opportunity: Acme renewal - $150000");

    // The threshold: below it the run is skipped, and the reason says why.
    let posted = call(&fx, &owner, Req::json("POST", "/api/v1/events", event(&store, 99999))).await;
    let e = processed(&fx, &owner, posted.body["event_id"].as_str().unwrap()).await;
    assert_eq!(e["runs"][0]["status"], "skipped");
    assert!(e["runs"][0]["conditions"][0]["explanation"].as_str().unwrap().contains("not at least 100000"));

    // The toggle: off, then no run.
    let off =
        call(&fx, &owner, Req::json("PUT", format!("/api/v1/automation/rules/{id}/toggle?is_active=false"), json!({})))
            .await;
    assert_eq!((off.status, &off.body["is_active"]), (200, &json!(false)));
    let listed = call(&fx, &owner, Req::get("/api/v1/automation/rules?is_active=false&module_type=sales")).await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    let posted = call(&fx, &owner, Req::json("POST", "/api/v1/events", event(&store, 500000))).await;
    let e = processed(&fx, &owner, posted.body["event_id"].as_str().unwrap()).await;
    assert_eq!(e["runs"], json!([]));

    // Run history and versions.
    let runs = call(&fx, &owner, Req::get(format!("/api/v1/automation/runs?rule_id={id}"))).await;
    assert_eq!(runs.body["items"].as_array().unwrap().len(), 2, "{:?}", runs.body);
    let failed_only = call(&fx, &owner, Req::get(format!("/api/v1/automation/runs?rule_id={id}&status=failed"))).await;
    assert_eq!(failed_only.body["items"], json!([]));
    let versions = call(&fx, &owner, Req::get(format!("/api/v1/automation/rules/{id}/versions"))).await;
    assert_eq!(versions.body["items"][0]["version"], 2);
    assert_eq!(versions.body["items"][0]["changed"], json!(["is_active"]));

    // Another org's key sees nothing of it.
    let other = fx.org_b.keys["Owner"].clone();
    assert_eq!(call(&fx, &other, Req::get(format!("/api/v1/automation/rules/{id}"))).await.status, 404);
    assert_eq!(call(&fx, &other, Req::delete(format!("/api/v1/automation/rules/{id}"))).await.status, 404);

    // Delete.
    assert_eq!(call(&fx, &owner, Req::delete(format!("/api/v1/automation/rules/{id}"))).await.status, 204);
    let gone = call(&fx, &owner, Req::get(format!("/api/v1/automation/rules/{id}"))).await;
    assert_eq!((gone.status, gone.code()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn wrong_rules_and_events_are_422_naming_the_field() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = fx.org_a.store_id.clone();
    let post = |body: Value| Req::json("POST", "/api/v1/automation/rules", body);

    let mut bad = deal_alert(&store);
    bad["trigger_id"] = json!("moon_landing");
    let res = call(&fx, &owner, post(bad)).await;
    assert_eq!((res.status, fields(&res)), (422, vec!["trigger_id".to_string()]));

    let mut bad = deal_alert(&store);
    bad["conditions"][0]["type"] = json!("roughly");
    let res = call(&fx, &owner, post(bad)).await;
    assert_eq!((res.status, fields(&res)), (422, vec!["conditions.0.type".to_string()]));

    let mut bad = deal_alert(&store);
    bad["actions"][0]["parameters"]["body"] = json!("Hello {{customer_mood}}");
    let res = call(&fx, &owner, post(bad)).await;
    assert_eq!((res.status, fields(&res)), (422, vec!["actions.0.parameters.body".to_string()]));
    assert!(res.body["errors"][0]["message"].as_str().unwrap().contains("customer_mood"));

    let mut bad = deal_alert(&store);
    bad["actions"][0]["type"] = json!("launch_rocket");
    let res = call(&fx, &owner, post(bad)).await;
    assert_eq!((res.status, fields(&res)), (422, vec!["actions.0.type".to_string()]));

    let res =
        call(&fx, &owner, Req::json("POST", "/api/v1/events", json!({"trigger_id": "nope", "payload": {}}))).await;
    assert_eq!((res.status, fields(&res)), (422, vec!["trigger_id".to_string()]));
    let res = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/events", json!({"trigger_id": "lead_created", "payload": [1, 2]})),
    )
    .await;
    assert_eq!((res.status, fields(&res)), (422, vec!["payload".to_string()]));
    // Nothing was stored by the refusals.
    let rules = call(&fx, &owner, Req::get("/api/v1/automation/rules")).await;
    assert_eq!(rules.body["items"], json!([]));

    // The same Idempotency-Key: the first answer again; with another body, 422.
    let send = |body: Value, key: &'static str| {
        let fx = fx.clone();
        let owner = owner.clone();
        async move {
            let client = reqwest::Client::new();
            let res = client
                .post(format!("{}/api/v1/events", fx.base))
                .bearer_auth(owner)
                .header("idempotency-key", key)
                .json(&body)
                .send()
                .await
                .unwrap();
            let replayed = res.headers().get("idempotent-replayed").is_some();
            (res.status().as_u16(), replayed, res.json::<Value>().await.unwrap())
        }
    };
    let first = send(event(&store, 1), "evt-42").await;
    let again = send(event(&store, 1), "evt-42").await;
    assert_eq!((first.0, first.1), (202, false));
    assert_eq!((again.0, again.1), (202, true));
    assert_eq!(first.2["event_id"], again.2["event_id"]);
    let other = send(event(&store, 2), "evt-42").await;
    assert_eq!((other.0, other.2["code"].as_str()), (422, Some("IDEMPOTENCY_KEY_REUSED")));
}

/// A free port on loopback (bound, then released for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn serve(url: &str, dir: &str, port: u16, worker: bool) -> std::process::Child {
    std::process::Command::new(env!("CARGO_BIN_EXE_mandate"))
        .args(["--addr", &format!("127.0.0.1:{port}"), "--database-url", url, "--data-dir", dir, "--site-root", dir])
        .args(["--log", "warn", "--automation-worker", if worker { "true" } else { "false" }, "serve"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the mandate binary")
}

async fn ready(base: &str) {
    for _ in 0..300 {
        if reqwest::get(format!("{base}/healthz")).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not start");
}

#[tokio::test]
async fn an_event_accepted_before_a_kill_9_runs_once_after_the_restart() {
    use app::services::infra::db;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().display().to_string();
    let url = format!("sqlite://{path}/t.db?mode=rwc");
    let conn = db::connect(&url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let (o, owner) = support::orgs::make_org(&conn, "crash").await;
    let actor = support::people::session_actor(&conn, &owner).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let s = app::domain::stores::NewStore { name: "Shop".into(), currency: "EUR".into(), ..Default::default() };
    let store = app::services::stores::create(&conn, &cache, &actor, s).await.unwrap().id;
    let catalog = cache.catalog(&conn).await.unwrap();
    let patch = app::domain::action_settings::PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(false),
        confirmation_by: None,
    };
    app::services::stores::permissions::set(&conn, &catalog, &actor, &store, "send_notification", patch).await.unwrap();
    let input: app::domain::rules::RuleInput = serde_json::from_value(deal_alert(&store)).unwrap();
    app::services::automation::rules::create(&conn, &cache, &actor, input).await.unwrap();
    let key = app::services::access::api_keys::create_management_key(
        &conn,
        &o,
        "CRM",
        app::domain::permission::BuiltInRole::Owner,
        &app::services::actor::system_actor(),
        &app::services::RequestMeta::default(),
    )
    .await
    .unwrap()
    .secret;

    // A server that accepts events but runs no worker: the event waits, stored.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut first = serve(&url, &path, port, false);
    ready(&base).await;
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&key)
        .header("idempotency-key", "crm-event-1")
        .json(&event(&store, 250000))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 202);
    let id = res.json::<Value>().await.unwrap()["event_id"].as_str().unwrap().to_string();
    first.kill().unwrap(); // SIGKILL: no shutdown, no flush beyond what was committed
    first.wait().unwrap();

    let runs = app::entities::rule_run::Entity::find().count(&conn).await.unwrap();
    assert_eq!(runs, 0, "killed before any run");

    // Restarted with its worker: the event runs, once.
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut second = serve(&url, &path, port, true);
    ready(&base).await;
    let mut status = Value::Null;
    for _ in 0..200 {
        let res = client.get(format!("{base}/api/v1/events/{id}")).bearer_auth(&key).send().await.unwrap();
        status = res.json::<Value>().await.unwrap();
        if status["status"] == "done" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // The retry the CRM sends after the crash is answered from the stored event.
    let retry = client
        .post(format!("{base}/api/v1/events"))
        .bearer_auth(&key)
        .header("idempotency-key", "crm-event-1")
        .json(&event(&store, 250000))
        .send()
        .await
        .unwrap();
    assert_eq!(retry.headers().get("idempotent-replayed").map(|v| v.to_str().unwrap()), Some("true"));
    tokio::time::sleep(Duration::from_millis(700)).await;
    second.kill().unwrap();
    second.wait().unwrap();
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!(status["runs"].as_array().unwrap().len(), 1);
    assert_eq!(status["runs"][0]["status"], "succeeded");
    let notes = app::entities::notification::Entity::find()
        .filter(app::entities::notification::Column::OrgId.eq(&o.id))
        .count(&conn)
        .await
        .unwrap();
    assert_eq!(notes, 1, "exactly once");
    assert_eq!(app::entities::automation_event::Entity::find().count(&conn).await.unwrap(), 1);
}
