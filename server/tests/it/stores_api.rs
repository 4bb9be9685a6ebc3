//! HTTP tests of /api/v1/stores, /api/v1/assistants and agent keys against the real server on
//! port 0: 201 on create, 204 on delete, problem+json codes and fields, cross-org 404, agent
//! keys bound to their store; the /stores and /stores/:id/assistants pages' server rendering;
//! `mandate api-key create --store`.

use crate::support;

use serde_json::{json, Value};
use support::{Fixture, Req, Res, Side};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

fn field(res: &Res) -> Vec<String> {
    res.body
        .get("errors")
        .and_then(Value::as_array)
        .map(|errs| errs.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn id(res: &Res) -> String {
    res.body["id"].as_str().unwrap_or_else(|| panic!("no id in {:?}", res.body)).to_string()
}

fn names(res: &Res) -> Vec<String> {
    res.body["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn stores_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let manager = fx.org_a.keys["Store manager"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();

    let created =
        call(&fx, &owner, Req::json("POST", "/api/v1/stores", json!({"name": "Outlet", "currency": "usd"}))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["currency"], "USD");
    assert_eq!(created.body["platform"], "sandbox");
    assert_eq!(created.body["actions_paused"], false);
    assert_eq!(created.body["default_allowed_actions"], json!(["lookup_order", "send_tracking"]));
    let outlet = id(&created);

    // Validation: field by field, unknown fields and unknown actions refused.
    let res = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/stores", json!({"name": "", "currency": "EURO", "platform": "shopify"})),
    )
    .await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")));
    assert_eq!(field(&res), vec!["name", "currency", "platform"]);
    let res = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/stores", json!({"name": "X", "currency": "EUR", "colour": "red"})),
    )
    .await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")));
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/stores",
            json!({"name": "X", "currency": "EUR", "default_allowed_actions": ["warp"]}),
        ),
    )
    .await;
    assert_eq!((res.status, field(&res)), (422, vec!["default_allowed_actions".to_string()]));
    assert!(res.body["detail"].as_str().unwrap().contains("\"warp\""));
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/stores", json!({"name": "X"}))).await;
    assert_eq!(res.status, 422, "currency is required");
    let res = call(&fx, &viewer, Req::json("POST", "/api/v1/stores", json!({"name": "X", "currency": "EUR"}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // List and get: any role sees them; pages of the list.
    let list = call(&fx, &viewer, Req::get("/api/v1/stores")).await;
    assert_eq!(list.status, 200);
    assert_eq!(names(&list), vec!["Main store", "Outlet"]);
    let page = call(&fx, &viewer, Req::get("/api/v1/stores?limit=1")).await;
    assert_eq!(names(&page), vec!["Main store"]);
    let cursor = page.body["next_cursor"].as_str().unwrap().to_string();
    let rest = call(&fx, &viewer, Req::get(format!("/api/v1/stores?limit=1&cursor={cursor}"))).await;
    assert_eq!(names(&rest), vec!["Outlet"]);
    assert_eq!(rest.body["next_cursor"], Value::Null);
    let got = call(&fx, &viewer, Req::get(format!("/api/v1/stores/{outlet}"))).await;
    assert_eq!((got.status, got.body["name"].as_str()), (200, Some("Outlet")));
    assert_eq!(got.body["can_manage"], false);

    // PATCH: rename, then the kill switch.
    let res = call(
        &fx,
        &manager,
        Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"name": "Outlet EU", "currency": "EUR"})),
    )
    .await;
    assert_eq!(
        (res.status, res.body["name"].as_str(), res.body["currency"].as_str()),
        (200, Some("Outlet EU"), Some("EUR"))
    );
    let res =
        call(&fx, &manager, Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"actions_paused": true})))
            .await;
    assert_eq!((res.status, &res.body["actions_paused"]), (200, &json!(true)));
    let events =
        call(&fx, &owner, Req::get(format!("/api/v1/audit/events?entity_type=store&entity_id={outlet}"))).await;
    let actions: Vec<&str> =
        events.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, vec!["store.paused", "store.updated", "store.created"], "newest first");
    let res = call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"currency": "€"}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["currency".to_string()]));
    let res =
        call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"team_id": "nope"}))).await;
    assert_eq!((res.status, res.code(), field(&res)), (404, Some("NOT_FOUND"), vec!["team_id".to_string()]));
    let res = call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"team_id": null}))).await;
    assert_eq!(res.status, 200, "null: no team (it had none)");
    let res =
        call(&fx, &viewer, Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"actions_paused": false})))
            .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // Another org's key: 404 for everything, nothing changed.
    for req in [
        Req::get(format!("/api/v1/stores/{outlet}")),
        Req::json("PATCH", format!("/api/v1/stores/{outlet}"), json!({"actions_paused": false})),
        Req::delete(format!("/api/v1/stores/{outlet}")),
    ] {
        let res = call(&fx, &other_org, req).await;
        assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "{:?}", res.body);
    }
    assert!(!names(&call(&fx, &other_org, Req::get("/api/v1/stores")).await).contains(&"Outlet EU".to_string()));

    // Delete: refused while an agent key acts for it, then 204, then 404.
    let key = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/api-keys", json!({"kind": "agent", "name": "Outlet bot", "store_id": outlet})),
    )
    .await;
    assert_eq!(key.status, 201, "{:?}", key.body);
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/stores/{outlet}"))).await;
    assert_eq!((res.status, res.code()), (409, Some("CONFLICT")));
    assert!(res.body["detail"].as_str().unwrap().contains("Outlet bot"));
    let key_id = key.body["key"]["id"].as_str().unwrap();
    assert_eq!(call(&fx, &owner, Req::delete(format!("/api/v1/api-keys/{key_id}"))).await.status, 200);
    let res = call(&fx, &viewer, Req::delete(format!("/api/v1/stores/{outlet}"))).await;
    assert_eq!(res.status, 403);
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/stores/{outlet}"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &owner, Req::get(format!("/api/v1/stores/{outlet}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
}

#[tokio::test]
async fn assistants_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let manager = fx.org_a.keys["Store manager"].clone();
    let approver = fx.org_a.keys["Approver"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();
    let store = fx.store_id(Side::A).to_string();

    let res = call(&fx, &viewer, Req::get(format!("/api/v1/assistants?store_id={store}"))).await;
    assert_eq!((res.status, names(&res)), (200, vec!["Support assistant".to_string()]));
    let res = call(&fx, &viewer, Req::get("/api/v1/assistants")).await;
    assert_eq!((res.status, field(&res)), (422, vec!["store_id".to_string()]), "a person's key must name the store");

    let created = call(
        &fx,
        &manager,
        Req::json(
            "POST",
            "/api/v1/assistants",
            json!({"store_id": store, "name": "Returns bot", "description": "Handles returns"}),
        ),
    )
    .await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["allowed_actions"], json!(["lookup_order", "send_tracking"]), "the store's defaults");
    assert_eq!(created.body["status"], "active");
    let bot = id(&created);
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/assistants", json!({"store_id": store, "name": ""}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["name".to_string()]));
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/assistants",
            json!({"store_id": store, "name": "X", "allowed_actions": ["lookup_order", "beam_up"]}),
        ),
    )
    .await;
    assert_eq!((res.status, field(&res)), (422, vec!["allowed_actions".to_string()]));
    let res =
        call(&fx, &approver, Req::json("POST", "/api/v1/assistants", json!({"store_id": store, "name": "X"}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    let got = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}"))).await;
    assert_eq!((got.status, got.body["description"].as_str()), (200, Some("Handles returns")));
    let res =
        call(&fx, &manager, Req::json("PATCH", format!("/api/v1/assistants/{bot}"), json!({"status": "asleep"}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["status".to_string()]));
    let res =
        call(&fx, &manager, Req::json("PATCH", format!("/api/v1/assistants/{bot}"), json!({"name": "Returns desk"})))
            .await;
    assert_eq!((res.status, res.body["name"].as_str()), (200, Some("Returns desk")));

    // Allowed actions: unknown ids named; then the tools follow.
    let path = format!("/api/v1/assistants/{bot}/allowed-actions");
    let res =
        call(&fx, &manager, Req::json("PATCH", &path, json!({"allowed_actions": ["lookup_order", "do_magic"]}))).await;
    assert_eq!(
        (res.status, res.code(), field(&res)),
        (422, Some("VALIDATION_ERROR"), vec!["allowed_actions".to_string()])
    );
    assert!(res.body["detail"].as_str().unwrap().contains("\"do_magic\""));
    let res = call(&fx, &manager, Req::json("PATCH", &path, json!({"allowed": []}))).await;
    assert_eq!(res.status, 422, "the body needs allowed_actions");
    let res = call(&fx, &viewer, Req::json("PATCH", &path, json!({"allowed_actions": []}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(
        &fx,
        &manager,
        Req::json("PATCH", &path, json!({"allowed_actions": ["tickets.create", "lookup_order", "process_refund"]})),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["allowed_actions"], json!(["lookup_order", "process_refund", "tickets.create"]));

    let tools = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}/tools"))).await;
    assert_eq!(tools.status, 200);
    let list = tools.body.as_array().unwrap();
    assert_eq!(list.len(), 1, "refunds and tickets are off for the store: only lookup_order: {list:?}");
    assert_eq!(list[0]["type"], "function");
    assert_eq!(list[0]["function"]["name"], "lookup_order");
    assert_eq!(list[0]["function"]["parameters"]["type"], "object");
    // Tickets turned on for the store: its dotted id is mapped for OpenAI.
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", format!("/api/v1/permissions/tickets.create?store_id={store}"), json!({"enabled": true})),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let tools = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}/tools?format=openai"))).await;
    let ticket = tools.body.as_array().unwrap().iter().find(|t| t["x-mandate-action"] == "tickets.create").cloned();
    assert_eq!(ticket.expect("tickets.create is callable")["function"]["name"], "tickets__create");
    let mcp = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}/tools?format=mcp"))).await;
    let mcp_names: Vec<&str> =
        mcp.body["tools"].as_array().unwrap().iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(mcp_names, vec!["lookup_order", "tickets.create"]);
    assert!(mcp.body["tools"][0]["inputSchema"].is_object());
    let res = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}/tools?format=xml"))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["format".to_string()]));
    // Paused store: no tools.
    call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{store}"), json!({"actions_paused": true}))).await;
    let tools = call(&fx, &viewer, Req::get(format!("/api/v1/assistants/{bot}/tools"))).await;
    assert_eq!(tools.body, json!([]));
    call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{store}"), json!({"actions_paused": false}))).await;

    // Another org: 404 everywhere.
    for req in [
        Req::get(format!("/api/v1/assistants?store_id={store}")),
        Req::json("POST", "/api/v1/assistants", json!({"store_id": store, "name": "Sneaky"})),
        Req::get(format!("/api/v1/assistants/{bot}")),
        Req::json("PATCH", format!("/api/v1/assistants/{bot}"), json!({"name": "Sneaky"})),
        Req::json("PATCH", format!("/api/v1/assistants/{bot}/allowed-actions"), json!({"allowed_actions": []})),
        Req::get(format!("/api/v1/assistants/{bot}/tools")),
        Req::delete(format!("/api/v1/assistants/{bot}")),
    ] {
        let res = call(&fx, &other_org, req).await;
        assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "{:?}", res.body);
    }

    let res = call(&fx, &viewer, Req::delete(format!("/api/v1/assistants/{bot}"))).await;
    assert_eq!(res.status, 403);
    let res = call(&fx, &manager, Req::delete(format!("/api/v1/assistants/{bot}"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &owner, Req::get(format!("/api/v1/assistants/{bot}"))).await;
    assert_eq!(res.status, 404);
}

#[tokio::test]
async fn agent_keys_act_only_for_their_store() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let manager = fx.org_a.keys["Store manager"].clone();
    let store_a = fx.store_id(Side::A).to_string();
    let assistant_a = fx.assistant_id(Side::A).to_string();
    let store_b =
        id(&call(&fx, &owner, Req::json("POST", "/api/v1/stores", json!({"name": "Second", "currency": "EUR"}))).await);
    let assistant_b = id(&call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/assistants", json!({"store_id": store_b, "name": "Second bot"})),
    )
    .await);

    // Creating agent keys: api_keys.manage at the store; the assistant must be the store's.
    let body = json!({"kind": "agent", "name": "Chat runtime", "store_id": store_a, "assistant_id": assistant_a});
    let res = call(&fx, &manager, Req::json("POST", "/api/v1/api-keys", body.clone())).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")), "a Store manager has no api_keys.manage");
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/api-keys",
            json!({"kind": "agent", "name": "X", "store_id": store_a, "assistant_id": assistant_b}),
        ),
    )
    .await;
    assert_eq!((res.status, field(&res)), (422, vec!["assistant_id".to_string()]));
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/api-keys", json!({"kind": "agent", "name": "X"}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["store_id".to_string()]));
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/api-keys", json!({"kind": "robot", "name": "X"}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["kind".to_string()]));
    let res = call(
        &fx,
        &owner,
        Req::json("POST", "/api/v1/api-keys", json!({"kind": "agent", "name": "X", "store_id": fx.store_id(Side::B)})),
    )
    .await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "another org's store");
    let created = call(&fx, &owner, Req::json("POST", "/api/v1/api-keys", body)).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    assert_eq!(created.body["key"]["kind"], "agent");
    assert_eq!(created.body["key"]["store_id"], store_a.as_str());
    let agent = created.body["secret"].as_str().unwrap().to_string();
    let listed = call(&fx, &owner, Req::get("/api/v1/api-keys")).await;
    assert!(listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["name"] == "Chat runtime" && k["kind"] == "agent"));

    let me = call(&fx, &agent, Req::get("/api/v1/me")).await;
    assert_eq!((me.body["kind"].as_str(), me.body["store_id"].as_str()), (Some("agent"), Some(store_a.as_str())));
    assert_eq!(me.body["assistant_id"].as_str(), Some(assistant_a.as_str()));

    // Its own store, implied: the assistants it acts as, and its tools.
    let res = call(&fx, &agent, Req::get("/api/v1/assistants")).await;
    assert_eq!((res.status, names(&res)), (200, vec!["Support assistant".to_string()]));
    let res = call(&fx, &agent, Req::get(format!("/api/v1/assistants/{assistant_a}"))).await;
    assert_eq!(res.status, 200);
    let res = call(&fx, &agent, Req::get(format!("/api/v1/assistants/{assistant_a}/tools?format=mcp"))).await;
    assert_eq!(res.status, 200);
    assert_eq!(res.body["tools"].as_array().unwrap().len(), 2);

    // Store B (same org) is refused; so is anything beyond reading tools.
    for req in [
        Req::get(format!("/api/v1/assistants?store_id={store_b}")),
        Req::get(format!("/api/v1/assistants/{assistant_b}")),
        Req::get(format!("/api/v1/assistants/{assistant_b}/tools")),
        Req::get(format!("/api/v1/stores/{store_b}")),
        Req::get(format!("/api/v1/stores/{store_a}")),
        Req::get("/api/v1/stores"),
        Req::json("POST", "/api/v1/assistants", json!({"name": "Self-made"})),
        Req::json("PATCH", format!("/api/v1/assistants/{assistant_a}/allowed-actions"), json!({"allowed_actions": []})),
        Req::json("PATCH", format!("/api/v1/stores/{store_a}"), json!({"actions_paused": false})),
    ] {
        let res = call(&fx, &agent, req.clone()).await;
        assert_eq!(
            (res.status, res.code()),
            (403, Some("PERMISSION_DENIED")),
            "{} {}: {:?}",
            req.method,
            req.path,
            res.body
        );
    }
    // Another org's ids stay NOT_FOUND for the agent too.
    let res = call(&fx, &agent, Req::get(format!("/api/v1/assistants/{}", fx.assistant_id(Side::B)))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));

    // Revoked: refused at once.
    let key_id = created.body["key"]["id"].as_str().unwrap();
    assert_eq!(call(&fx, &owner, Req::delete(format!("/api/v1/api-keys/{key_id}"))).await.status, 200);
    assert_eq!(call(&fx, &agent, Req::get("/api/v1/assistants")).await.status, 401);
}

#[tokio::test]
async fn stores_and_assistants_pages_render_for_who_may_see_them() {
    let fx = Fixture::start().await;
    let owner = &fx.org_a.users["Owner"];
    let viewer = &fx.org_a.users["Viewer"];
    let store = fx.store_id(Side::A).to_string();
    let page = |res: Res| -> String {
        assert_eq!(res.status, 200);
        res.body.as_str().unwrap_or_default().to_string()
    };

    let html = page(fx.call_as_user(owner, &Req::get("/stores")).await);
    assert!(html.contains("data-testid=\"store-row\"") && html.contains("Main store"));
    assert!(html.contains("data-testid=\"create-store-form\""));
    assert!(html.contains(&format!("href=\"/stores/{store}/actions\"")));
    assert!(html.contains(&format!("href=\"/stores/{store}/assistants\"")));
    assert!(html.contains("data-testid=\"store-pause\""));
    assert!(html.contains("href=\"/stores\""), "Stores is in the navigation");
    let html = page(fx.call_as_user(viewer, &Req::get("/stores")).await);
    assert!(html.contains("Main store") && html.contains("href=\"/stores\""));
    assert!(!html.contains("create-store-form") && !html.contains("store-pause") && !html.contains("store-edit"));

    let path = format!("/stores/{store}/assistants");
    let html = page(fx.call_as_user(owner, &Req::get(path.clone())).await);
    assert!(html.contains("data-testid=\"assistant-card\"") && html.contains("Support assistant"));
    assert!(html.contains("data-testid=\"allowed-action-lookup_order\""));
    assert!(html.contains("data-testid=\"allowed-action-tickets.create\""));
    assert!(html.contains("data-testid=\"tool-lookup_order\""), "the tools preview is rendered on the server");
    assert!(!html.contains("data-testid=\"tool-process_refund\""));
    assert!(html.contains("data-testid=\"create-assistant-form\"") && html.contains("data-testid=\"agent-keys\""));
    let html = page(fx.call_as_user(viewer, &Req::get(path)).await);
    assert!(html.contains("Support assistant") && html.contains("data-testid=\"tool-lookup_order\""));
    assert!(html.contains("Read-only"));
    assert!(
        !html.contains("create-assistant-form") && !html.contains("agent-keys") && !html.contains("assistant-edit")
    );

    // Another org's store: the page answers 404 and says Not found.
    let res = fx.call_as_user(owner, &Req::get(format!("/stores/{}/assistants", fx.store_id(Side::B)))).await;
    assert_eq!(res.status, 404);
    assert!(res.body.as_str().unwrap_or_default().contains("Not found"));
    assert!(!res.body.as_str().unwrap_or_default().contains("Support assistant"));
}

#[tokio::test]
async fn cli_creates_agent_keys() {
    use app::services::{access::api_keys, infra::db};
    let dir = tempfile::tempdir().unwrap();
    // The CLI runs against its own database: an org with a store made through the services.
    let url = format!("sqlite://{}/cli.db?mode=rwc", dir.path().display());
    let conn = db::connect(&url).await.unwrap();
    db::migrate(&conn).await.unwrap();
    let (_, owner) = support::orgs::make_org(&conn, "cli-org").await;
    let actor = support::people::session_actor(&conn, &owner).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let s = app::services::stores::create(
        &conn,
        &cache,
        &actor,
        app::domain::stores::NewStore { name: "CLI store".into(), currency: "EUR".into(), ..Default::default() },
    )
    .await
    .unwrap();

    let run = |args: Vec<String>| {
        let url = url.clone();
        let dir = dir.path().display().to_string();
        async move {
            let mut all = vec!["mandate".to_string(), "--database-url".into(), url, "--data-dir".into(), dir];
            all.extend(args);
            <server::cli::Cli as clap::Parser>::try_parse_from(all).map(|cli| async move { cli.run().await })
        }
    };
    let args = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let code =
        run(args(&["api-key", "create", "--org", "cli-org", "--name", "Shop agent", "--store", &s.id, "--json"]))
            .await
            .expect("arguments parse")
            .await
            .expect("the command runs");
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let keys = api_keys::list_agent_keys(&conn, &actor, &s.id, None).await.unwrap();
    assert_eq!(keys.iter().map(|k| k.name.as_str()).collect::<Vec<_>>(), vec!["Shop agent"]);
    assert_eq!(keys[0].kind, "agent");

    // --assistant needs --store; --role and --store exclude each other; one of them is needed.
    assert!(run(args(&["api-key", "create", "--org", "cli-org", "--name", "x", "--assistant", "a"])).await.is_err());
    assert!(run(args(&["api-key", "create", "--org", "cli-org", "--name", "x", "--role", "Viewer", "--store", &s.id]))
        .await
        .is_err());
    assert!(run(args(&["api-key", "create", "--org", "cli-org", "--name", "x"])).await.is_err());
    // An unknown store is refused with the reason.
    let res =
        run(args(&["api-key", "create", "--org", "cli-org", "--name", "x", "--store", "nope"])).await.unwrap().await;
    assert!(res.is_err());
}

#[tokio::test]
async fn connectors_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let other_org = fx.org_b.keys["Owner"].clone();
    let store = fx.org_a.store_id.clone();
    let path = format!("/api/v1/stores/{store}/connector");

    let none = call(&fx, &owner, Req::get(path.clone())).await;
    assert_eq!((none.status, &none.body["configured"]), (200, &json!(false)));

    // Creating needs the secret; field errors name the field.
    let res = call(&fx, &owner, Req::json("PUT", path.clone(), json!({"url": "https://hooks.example.com/m"}))).await;
    assert_eq!((res.status, field(&res)), (422, vec!["secret".to_string()]));
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", path.clone(), json!({"url": "ftp://x", "secret": "short", "max_attempts": 0})),
    )
    .await;
    assert_eq!(res.status, 422);
    assert_eq!(field(&res), vec!["url", "secret", "max_attempts"]);

    let secret = "whsec-rest-0123456789abcdef";
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", path.clone(), json!({"url": "https://hooks.example.com/m", "secret": secret})),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!((&res.body["configured"], &res.body["secret_set"]), (&json!(true), &json!(true)));
    assert!(!res.body.to_string().contains(secret), "the secret is write-only");
    // A change without the secret keeps it.
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", path.clone(), json!({"url": "https://hooks.example.com/v2", "timeout_ms": 2500})),
    )
    .await;
    assert_eq!(
        (res.status, res.body["url"].as_str(), &res.body["timeout_ms"]),
        (200, Some("https://hooks.example.com/v2"), &json!(2500))
    );
    assert_eq!(res.body["secret_set"], json!(true));
    let got = call(&fx, &owner, Req::get(path.clone())).await;
    assert!(!got.body.to_string().contains(secret));
    let events = call(&fx, &owner, Req::get("/api/v1/audit/events?entity_type=connector")).await;
    assert!(!events.body.to_string().contains(secret), "nor in the audit trail");

    // Who may: secrets.manage only; another org sees nothing.
    let res = call(&fx, &viewer, Req::get(path.clone())).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(&fx, &other_org, Req::get(path.clone())).await;
    assert_eq!(res.status, 404);

    // The org's connector is separate.
    let org = call(&fx, &owner, Req::get("/api/v1/connector")).await;
    assert_eq!((org.status, &org.body["configured"], org.body["scope"].as_str()), (200, &json!(false), Some("org")));

    let res = call(&fx, &owner, Req::delete(path.clone())).await;
    assert_eq!(res.status, 204);
    let res = call(&fx, &owner, Req::delete(path.clone())).await;
    assert_eq!(res.status, 404, "nothing left to remove");
}
