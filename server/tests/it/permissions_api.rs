//! HTTP tests of /api/v1/permissions (per-store permissions, org defaults, limits) against
//! the real server on port 0: bodies, 201 on create / 200 on update / 204 on delete,
//! field-level validation errors as problem+json, agent keys implying their store, and
//! another org's ids answering 404.

use crate::support;

use app::services::RequestMeta;
use serde_json::{json, Value};
use support::{Fixture, Req, Res, Side};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

fn fields(res: &Res) -> Vec<String> {
    res.body
        .get("errors")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|e| e["field"].as_str().map(str::to_string)).collect())
        .unwrap_or_default()
}

fn invalid(res: &Res, field: &str) {
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "{:?}", res.body);
    assert!(fields(res).iter().any(|f| f == field), "expected an error on {field}: {:?}", res.body);
}

fn action<'a>(body: &'a Value, id: &str) -> &'a Value {
    body["actions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["action_type"] == id)
        .unwrap_or_else(|| panic!("{id} missing"))
}

async fn agent_key(fx: &Fixture, side: Side, assistant: Option<&str>) -> String {
    let org = fx.org(side);
    app::services::access::api_keys::create_agent_key_for_org(
        &fx.db,
        &org.org,
        &support::unique("Agent"),
        fx.store_id(side),
        assistant,
        &app::services::actor::system_actor(),
        &RequestMeta::default(),
    )
    .await
    .unwrap()
    .secret
}

#[tokio::test]
async fn store_permissions_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let store = fx.store_id(Side::A).to_string();

    // Every catalog action, with where its values come from.
    let res = call(&fx, &viewer, Req::get(format!("/api/v1/permissions?store_id={store}"))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["store"]["id"], store.as_str());
    assert_eq!(res.body["store"]["currency"], "EUR");
    assert_eq!(res.body["can_manage"], false);
    assert_eq!(res.body["actions"].as_array().unwrap().len(), 28);
    let refund = action(&res.body, "process_refund");
    assert_eq!((refund["enabled"].clone(), refund["requires_confirmation"].clone()), (json!(false), json!(true)));
    assert_eq!(refund["source"], "store", "a new store has its own rows, snapshotted from the defaults");
    assert_eq!(refund["confirmation_by"], "staff");
    assert_eq!(refund["limit_types"], json!(["max_amount", "max_percentage", "max_count", "max_total_amount"]));
    assert_eq!(action(&res.body, "lookup_order")["enabled"], true);

    // A management key must say which store.
    let res = call(&fx, &owner, Req::get("/api/v1/permissions")).await;
    invalid(&res, "store_id");

    // PUT changes what is given.
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"enabled": true, "confirmation_by": "customer"}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!((res.body["enabled"].clone(), res.body["requires_confirmation"].clone()), (json!(true), json!(true)));
    assert_eq!(res.body["confirmation_by"], "customer");
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"requires_confirmation": false}),
        ),
    )
    .await;
    assert_eq!(
        (res.status, res.body["enabled"].clone(), res.body["requires_confirmation"].clone()),
        (200, json!(true), json!(false))
    );
    // The very next check sees it.
    let check = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            format!("/api/v1/check?store_id={store}"),
            json!({"action_type": "process_refund", "params": {"order_id": "1", "amount": "5"}}),
        ),
    )
    .await;
    assert_eq!(check.body["outcome"], "allow", "{:?}", check.body);

    // Validation and refusals.
    let put = |body: Value| Req::json("PUT", format!("/api/v1/permissions/process_refund?store_id={store}"), body);
    invalid(&call(&fx, &owner, put(json!({"confirmation_by": "manager"}))).await, "confirmation_by");
    invalid(&call(&fx, &owner, put(json!({}))).await, "enabled");
    let res = call(&fx, &owner, put(json!({"enabled": "yes"}))).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "{:?}", res.body);
    let res = call(&fx, &owner, put(json!({"enabled": true, "colour": "red"}))).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "unknown fields are refused");
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", format!("/api/v1/permissions/teleport?store_id={store}"), json!({"enabled": true})),
    )
    .await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(&fx, &viewer, put(json!({"enabled": false}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // Another org's store is not found, for reading and for writing.
    let other = fx.store_id(Side::B).to_string();
    let res = call(&fx, &owner, Req::get(format!("/api/v1/permissions?store_id={other}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(
        &fx,
        &owner,
        Req::json("PUT", format!("/api/v1/permissions/process_refund?store_id={other}"), json!({"enabled": true})),
    )
    .await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));

    // An agent key implies its store, reads it, and changes nothing.
    let agent = agent_key(&fx, Side::A, None).await;
    let res = call(&fx, &agent, Req::get("/api/v1/permissions")).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["store"]["id"], store.as_str());
    assert_eq!(action(&res.body, "process_refund")["enabled"], true);
    let res =
        call(&fx, &agent, Req::json("PUT", "/api/v1/permissions/process_refund", json!({"enabled": false}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(&fx, &agent, Req::get(format!("/api/v1/permissions?store_id={other}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));

    // Every change above is in the change log with before and after.
    let log = call(&fx, &owner, Req::get("/api/v1/audit/events?entity_type=action_permission&limit=10")).await;
    assert_eq!(log.status, 200, "{:?}", log.body);
    let items = log.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items.iter().all(|e| e["action"] == "permission.updated"));
}

#[tokio::test]
async fn org_defaults_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let auditor = fx.org_a.keys["Auditor"].clone();

    let res = call(&fx, &viewer, Req::get("/api/v1/permissions/defaults")).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["can_manage"], false);
    assert_eq!(action(&res.body, "process_refund")["source"], "default");

    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            "/api/v1/permissions/defaults/process_refund",
            json!({"enabled": true, "requires_confirmation": false}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!((res.body["enabled"].clone(), res.body["source"].clone()), (json!(true), json!("org")));
    let res = call(&fx, &owner, Req::get("/api/v1/permissions/defaults")).await;
    assert_eq!(action(&res.body, "process_refund")["enabled"], true);
    // Existing stores keep their own settings.
    let res = call(&fx, &owner, Req::get(format!("/api/v1/permissions?store_id={}", fx.store_id(Side::A)))).await;
    assert_eq!(action(&res.body, "process_refund")["enabled"], false);

    invalid(
        &call(
            &fx,
            &owner,
            Req::json("PUT", "/api/v1/permissions/defaults/process_refund", json!({"confirmation_by": "robot"})),
        )
        .await,
        "confirmation_by",
    );
    let res =
        call(&fx, &owner, Req::json("PUT", "/api/v1/permissions/defaults/teleport", json!({"enabled": true}))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    for key in [&viewer, &auditor] {
        let res =
            call(&fx, key, Req::json("PUT", "/api/v1/permissions/defaults/process_refund", json!({"enabled": false})))
                .await;
        assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")), "{:?}", res.body);
    }
    // Org B's defaults are its own.
    let res = call(&fx, &fx.org_b.keys["Owner"], Req::get("/api/v1/permissions/defaults")).await;
    assert_eq!(action(&res.body, "process_refund")["enabled"], false);
}

#[tokio::test]
async fn limits_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let store = fx.store_id(Side::A).to_string();
    let assistant = fx.assistant_id(Side::A).to_string();
    let post = |body: Value| Req::json("POST", "/api/v1/permissions/limits", body);

    // Create (201), then the same key again updates (200), numbers or strings.
    let res = call(
        &fx,
        &owner,
        post(
            json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": 100}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(
        (res.body["level"].clone(), res.body["on_exceed"].clone(), res.body["per_customer"].clone()),
        (json!("store"), json!("deny"), json!(false))
    );
    assert_eq!(res.body["limit_value"], "100");
    let cap = res.body["id"].as_str().unwrap().to_string();
    let res = call(&fx, &owner, post(json!({"scope_type": "store", "scope_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": "120.50"}))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!((res.body["id"].as_str(), res.body["limit_value"].clone()), (Some(cap.as_str()), json!("120.5")));
    let res = call(&fx, &owner, post(json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": "50", "on_exceed": "confirm"}))).await;
    assert_eq!(res.status, 201);
    let res = call(&fx, &owner, post(json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_count", "limit_value": 5, "time_window_hours": 24, "per_customer": true}))).await;
    assert_eq!((res.status, res.body["time_window_hours"].clone()), (201, json!(24)), "{:?}", res.body);
    // Org-wide and per assistant.
    let res = call(&fx, &owner, post(json!({"scope_type": "org", "action_type": "apply_discount", "limit_type": "max_percentage", "limit_value": "20"}))).await;
    assert_eq!((res.status, res.body["level"].clone()), (201, json!("org")), "{:?}", res.body);
    let org_limit = res.body["id"].as_str().unwrap().to_string();
    let res = call(&fx, &owner, post(json!({"assistant_id": assistant, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": "10"}))).await;
    assert_eq!((res.status, res.body["level"].clone()), (201, json!("assistant")), "{:?}", res.body);
    assert_eq!(res.body["assistant_name"], "Support assistant");
    let res = call(&fx, &owner, post(json!({"store_id": store, "action_type": "apply_discount", "limit_type": "max_percentage", "limit_value": "25"}))).await;
    assert_eq!(res.status, 201);
    assert_eq!(res.body["overrides"]["id"], org_limit.as_str(), "the store limit says which org default it replaces");

    // Field-level validation errors, each named.
    let bad = |kind: &str, value: Value, window: Value| {
        post(
            json!({"store_id": store, "action_type": "process_refund", "limit_type": kind, "limit_value": value, "time_window_hours": window}),
        )
    };
    invalid(&call(&fx, &owner, bad("max_amount", json!(-1), Value::Null)).await, "limit_value");
    invalid(&call(&fx, &owner, bad("max_percentage", json!("100.5"), Value::Null)).await, "limit_value");
    invalid(&call(&fx, &owner, bad("max_count", json!(3), json!(0))).await, "time_window_hours");
    invalid(&call(&fx, &owner, bad("max_count", json!(3), json!(8761))).await, "time_window_hours");
    invalid(&call(&fx, &owner, bad("max_amount", json!(3), json!(24))).await, "time_window_hours");
    invalid(&call(&fx, &owner, bad("max_amount", json!("lots"), Value::Null)).await, "limit_value");
    invalid(&call(&fx, &owner, bad("max_amount", json!(true), Value::Null)).await, "limit_value");
    invalid(&call(&fx, &owner, bad("max_amount", Value::Null, Value::Null)).await, "limit_value");
    invalid(&call(&fx, &owner, bad("max_infinity", json!(3), Value::Null)).await, "limit_type");
    invalid(
        &call(
            &fx,
            &owner,
            post(
                json!({"store_id": store, "action_type": "lookup_order", "limit_type": "max_amount", "limit_value": 5}),
            ),
        )
        .await,
        "limit_type",
    );
    invalid(
        &call(&fx, &owner, post(json!({"store_id": store, "action_type": "teleport", "limit_type": "max_count", "limit_value": 5, "time_window_hours": 1}))).await,
        "action_type",
    );
    invalid(
        &call(&fx, &owner, post(json!({"action_type": "process_refund", "limit_type": "max_count", "limit_value": 5})))
            .await,
        "scope_type",
    );
    invalid(&call(&fx, &owner, post(json!({"scope_type": "planet", "action_type": "process_refund", "limit_type": "max_count", "limit_value": 5}))).await, "scope_type");
    let res = call(&fx, &owner, post(json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": 5, "colour": "red"}))).await;
    assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")));
    let several = call(&fx, &owner, bad("max_count", json!(-2), json!(9000))).await;
    assert_eq!(fields(&several), vec!["limit_value", "time_window_hours"]);

    // Lists: the store's (org defaults it keeps, its own, its assistants'), the org's, an assistant's.
    let res = call(&fx, &viewer, Req::get(format!("/api/v1/permissions/limits?store_id={store}"))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let levels: Vec<&str> =
        res.body["items"].as_array().unwrap().iter().map(|l| l["level"].as_str().unwrap()).collect();
    assert_eq!(
        levels,
        vec!["store", "store", "store", "store", "assistant"],
        "the org discount cap is overridden here"
    );
    let res = call(&fx, &viewer, Req::get("/api/v1/permissions/limits?scope=org")).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    let res = call(&fx, &viewer, Req::get(format!("/api/v1/permissions/limits?assistant_id={assistant}"))).await;
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);
    invalid(&call(&fx, &owner, Req::get("/api/v1/permissions/limits")).await, "store_id");
    invalid(&call(&fx, &owner, Req::get("/api/v1/permissions/limits?scope=galaxy")).await, "scope");
    // The permissions list carries the same limits per action.
    let res = call(&fx, &viewer, Req::get(format!("/api/v1/permissions?store_id={store}"))).await;
    let refund = action(&res.body, "process_refund");
    assert_eq!(refund["limits"].as_array().unwrap().len(), 3);
    assert_eq!(refund["assistant_limits"].as_array().unwrap().len(), 1);

    // An agent key reads its own store's limits (its store implied), and changes none.
    let agent = agent_key(&fx, Side::A, Some(&assistant)).await;
    let res = call(&fx, &agent, Req::get("/api/v1/permissions/limits")).await;
    assert_eq!((res.status, res.body["items"].as_array().map(Vec::len)), (200, Some(5)), "{:?}", res.body);
    let res =
        call(&fx, &agent, post(json!({"action_type": "process_refund", "limit_type": "max_amount", "limit_value": 1})))
            .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")), "{:?}", res.body);

    // Viewers change nothing.
    let res = call(
        &fx,
        &viewer,
        post(json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": 1})),
    )
    .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = call(&fx, &viewer, Req::delete(format!("/api/v1/permissions/limits/{cap}"))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));

    // Another org: its owner can neither see, add to, nor delete org A's limits.
    let other = fx.org_b.keys["Owner"].clone();
    for req in [
        Req::get(format!("/api/v1/permissions/limits?store_id={store}")),
        Req::get(format!("/api/v1/permissions/limits?assistant_id={assistant}")),
        post(json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": 1})),
        post(
            json!({"assistant_id": assistant, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": 1}),
        ),
        Req::delete(format!("/api/v1/permissions/limits/{cap}")),
        Req::delete(format!("/api/v1/permissions/limits/{org_limit}")),
    ] {
        let res = call(&fx, &other, req.clone()).await;
        assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")), "{} {}: {:?}", req.method, req.path, res.body);
    }
    let res = call(&fx, &other, Req::get("/api/v1/permissions/limits?scope=org")).await;
    assert_eq!(res.body["items"], json!([]));

    // Delete: 204, then gone (404).
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/permissions/limits/{cap}"))).await;
    assert_eq!(res.status, 204, "{:?}", res.body);
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/permissions/limits/{cap}"))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(&fx, &owner, Req::delete(format!("/api/v1/permissions/limits/{org_limit}"))).await;
    assert_eq!(res.status, 204);
    let log = call(&fx, &owner, Req::get("/api/v1/audit/events?entity_type=action_limit&limit=50")).await;
    let actions: Vec<&str> =
        log.body["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions.iter().filter(|a| **a == "limit.created").count(), 6, "{actions:?}");
    assert_eq!(actions.iter().filter(|a| **a == "limit.updated").count(), 1);
    assert_eq!(actions.iter().filter(|a| **a == "limit.deleted").count(), 2);
}
