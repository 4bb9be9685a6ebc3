//! HTTP tests of `POST /api/v1/check` and `GET /api/v1/actions/catalog`: the decision an
//! agent gets for each of the checks of DESIGN.md §3, with management keys and agent keys,
//! validation errors, another org's store, and a change seen by the very next check.

use crate::support;

use serde_json::{json, Value};
use support::{Fixture, Req, Res};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

fn check(store: &str, body: Value) -> Req {
    Req::json("POST", format!("/api/v1/check?store_id={store}"), body)
}

fn refund(amount: &str) -> Value {
    json!({"action_type": "process_refund", "params": {"order_id": "1001", "amount": amount, "order_total": "500"}})
}

async fn new_store(fx: &Fixture, key: &str) -> String {
    let res =
        call(fx, key, Req::json("POST", "/api/v1/stores", json!({"name": support::unique("Shop"), "currency": "EUR"})))
            .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    res.body["id"].as_str().unwrap().to_string()
}

async fn agent_key(fx: &Fixture, owner: &str, store: &str, assistant: Option<&str>) -> String {
    let res = call(
        fx,
        owner,
        Req::json(
            "POST",
            "/api/v1/api-keys",
            json!({"kind": "agent", "name": support::unique("Agent"), "store_id": store, "assistant_id": assistant}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    res.body["secret"].as_str().unwrap().to_string()
}

fn outcome(res: &Res) -> (&str, Option<&str>) {
    assert_eq!(res.status, 200, "{:?}", res.body);
    (res.body["outcome"].as_str().unwrap(), res.body["code"].as_str())
}

/// The seed's "permission checks are enforced before any action": every refusal of §3 in
/// order, through the API agents use.
#[tokio::test]
async fn checks_enforced_before_any_action() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = new_store(&fx, &owner).await;

    // A new store: lookup_order on without confirmation, refunds off.
    let res =
        call(&fx, &owner, check(&store, json!({"action_type": "lookup_order", "params": {"order_id": "1001"}}))).await;
    assert_eq!(outcome(&res), ("allow", None));
    assert_eq!(res.body["is_allowed"], true);
    assert_eq!(res.body["requires_confirmation"], false);
    assert_eq!(res.body["store_id"], store.as_str());
    let checks: Vec<&str> =
        res.body["trace"].as_array().unwrap().iter().map(|s| s["check"].as_str().unwrap()).collect();
    assert_eq!(
        checks,
        ["catalog", "store_active", "assistant_allowed", "action_enabled", "input_valid", "confirmation"]
    );

    let res = call(&fx, &owner, check(&store, refund("10"))).await;
    assert_eq!(outcome(&res), ("deny", Some("ACTION_DISABLED")));
    assert_eq!(res.body["is_allowed"], false);
    assert!(res.body["reason"].as_str().unwrap().contains("turned off"), "{:?}", res.body);

    // Unknown action and version.
    let res = call(&fx, &owner, check(&store, json!({"action_type": "launch_rocket", "params": {}}))).await;
    assert_eq!(outcome(&res), ("deny", Some("UNKNOWN_ACTION")));
    let res = call(
        &fx,
        &owner,
        check(&store, json!({"action_type": "lookup_order", "action_version": 9, "params": {"order_id": "1"}})),
    )
    .await;
    assert_eq!(outcome(&res), ("deny", Some("UNKNOWN_ACTION")));

    // Inputs that don't match the schema: a validation error, not a decision.
    let res = call(&fx, &owner, check(&store, json!({"action_type": "lookup_order", "params": {}}))).await;
    assert_eq!(res.status, 422, "{:?}", res.body);
    assert_eq!(res.code(), Some("VALIDATION_ERROR"));
    assert!(res.body["errors"].as_array().is_some_and(|e| !e.is_empty()), "{:?}", res.body);

    // Enable refunds without confirmation: allowed.
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"enabled": true, "requires_confirmation": false}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let res = call(&fx, &owner, check(&store, refund("10"))).await;
    assert_eq!(outcome(&res), ("allow", None), "the change is seen by the next check");

    // Confirmation asked by the store.
    call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"requires_confirmation": true, "confirmation_by": "customer"}),
        ),
    )
    .await;
    let res = call(&fx, &owner, check(&store, refund("10"))).await;
    assert_eq!(outcome(&res), ("confirm", Some("CONFIRMATION_REQUIRED")));
    assert_eq!(res.body["is_allowed"], true);
    assert_eq!(res.body["requires_confirmation"], true);
    assert_eq!(res.body["confirmation_by"], "customer");
    call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"requires_confirmation": false}),
        ),
    )
    .await;

    // An assistant that may not refund, through an agent key bound to it.
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/assistants",
            json!({"store_id": store, "name": "Helper", "allowed_actions": ["lookup_order"]}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let assistant = res.body["id"].as_str().unwrap().to_string();
    let agent = agent_key(&fx, &owner, &store, Some(&assistant)).await;
    let res = call(&fx, &agent, Req::json("POST", "/api/v1/check", refund("10"))).await;
    assert_eq!(outcome(&res), ("deny", Some("NOT_ALLOWED_FOR_ASSISTANT")));
    assert_eq!(res.body["assistant_id"], assistant.as_str(), "the key implies its store and assistant");
    let res = call(
        &fx,
        &agent,
        Req::json("POST", "/api/v1/check", json!({"action_type": "lookup_order", "params": {"order_id": "7"}})),
    )
    .await;
    assert_eq!(outcome(&res), ("allow", None));

    // The kill switch refuses everything.
    let res =
        call(&fx, &owner, Req::json("PATCH", format!("/api/v1/stores/{store}"), json!({"actions_paused": true}))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    for body in [refund("10"), json!({"action_type": "lookup_order", "params": {"order_id": "7"}})] {
        let res = call(&fx, &owner, check(&store, body)).await;
        assert_eq!(outcome(&res), ("deny", Some("STORE_PAUSED")));
    }
}

#[tokio::test]
async fn limits_allow_confirm_and_deny_with_the_numbers() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = new_store(&fx, &owner).await;
    call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/process_refund?store_id={store}"),
            json!({"enabled": true, "requires_confirmation": false}),
        ),
    )
    .await;
    for (value, on_exceed) in [("100", "deny"), ("50", "confirm")] {
        let res = call(
            &fx,
            &owner,
            Req::json(
                "POST",
                "/api/v1/permissions/limits",
                json!({"store_id": store, "action_type": "process_refund", "limit_type": "max_amount", "limit_value": value, "on_exceed": on_exceed}),
            ),
        )
        .await;
        assert_eq!(res.status, 201, "{:?}", res.body);
    }
    let res = call(&fx, &owner, check(&store, refund("30"))).await;
    assert_eq!(outcome(&res), ("allow", None));
    let res = call(&fx, &owner, check(&store, refund("80"))).await;
    assert_eq!(outcome(&res), ("confirm", Some("CONFIRMATION_REQUIRED")));
    assert_eq!(res.body["confirmation_by"], "staff");
    let res = call(&fx, &owner, check(&store, refund("120"))).await;
    assert_eq!(outcome(&res), ("deny", Some("LIMIT_EXCEEDED")));
    assert_eq!(res.body["reason"], "Refund a payment 120.00 EUR exceeds max_amount 100.00 EUR.");

    // An org-wide percentage default applies to the store live: 30 of 500 is 6 %.
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/permissions/limits",
            json!({"scope_type": "org", "action_type": "process_refund", "limit_type": "max_percentage", "limit_value": 5}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let res = call(&fx, &owner, check(&store, refund("30"))).await;
    assert_eq!(outcome(&res), ("deny", Some("LIMIT_EXCEEDED")));
    assert!(res.body["reason"].as_str().unwrap().contains("6% exceeds max_percentage 5%"), "{:?}", res.body);
    let org_step = res.body["trace"].as_array().unwrap().iter().find(|s| s["check"] == "limit:max_percentage").cloned();
    assert_eq!(org_step.unwrap()["level"], "org");
}

#[tokio::test]
async fn who_may_check_where() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let store_a = fx.store_id(support::Side::A).to_string();
    let store_b = fx.store_id(support::Side::B).to_string();
    let lookup = json!({"action_type": "lookup_order", "params": {"order_id": "1"}});

    // Any role may ask; a management key must say which store.
    assert_eq!(outcome(&call(&fx, &viewer, check(&store_a, lookup.clone())).await).0, "allow");
    let res = call(&fx, &owner, Req::json("POST", "/api/v1/check", lookup.clone())).await;
    assert_eq!(res.status, 422);
    assert_eq!(res.body["errors"][0]["field"], "store_id");
    // Another org's store does not exist for this key.
    let res = call(&fx, &owner, check(&store_b, lookup.clone())).await;
    assert_eq!(res.status, 404, "{:?}", res.body);
    assert_eq!(res.code(), Some("NOT_FOUND"));
    // An agent key acts only for its own store.
    let other_store = new_store(&fx, &owner).await;
    let agent = agent_key(&fx, &owner, &store_a, None).await;
    let res = call(&fx, &agent, check(&other_store, lookup.clone())).await;
    assert_eq!(res.status, 403, "{:?}", res.body);
    assert_eq!(res.code(), Some("PERMISSION_DENIED"));
    assert_eq!(outcome(&call(&fx, &agent, Req::json("POST", "/api/v1/check", lookup.clone())).await).0, "allow");
    // An agent key bound to an assistant cannot speak for another one.
    let res =
        call(&fx, &owner, Req::json("POST", "/api/v1/assistants", json!({"store_id": store_a, "name": "Second"})))
            .await;
    let second = res.body["id"].as_str().unwrap().to_string();
    let bound = agent_key(&fx, &owner, &store_a, Some(fx.assistant_id(support::Side::A))).await;
    let mut as_second = lookup.clone();
    as_second["assistant_id"] = json!(second);
    let res = call(&fx, &bound, Req::json("POST", "/api/v1/check", as_second)).await;
    assert_eq!(res.status, 403, "{:?}", res.body);
    // Agent keys hold no management rights.
    let res = call(&fx, &agent, Req::get("/api/v1/users")).await;
    assert_eq!(res.status, 403, "{:?}", res.body);
    // Bodies that are not what the endpoint takes.
    let res = call(&fx, &owner, check(&store_a, json!({"params": {}}))).await;
    assert_eq!(res.status, 422, "{:?}", res.body);
}

#[tokio::test]
async fn the_catalog_lists_every_action_with_its_schema() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let res = call(&fx, &owner, Req::get("/api/v1/actions/catalog")).await;
    assert_eq!(res.status, 200);
    let items = res.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 28);
    let refund = items.iter().find(|i| i["id"] == "process_refund").unwrap();
    assert_eq!(refund["risk"], "money");
    assert_eq!(refund["amount_field"], "amount");
    assert_eq!(refund["input_schema"]["type"], "object");
    assert!(!refund["description"].as_str().unwrap().is_empty());
    // Agent keys may read it too.
    let agent = agent_key(&fx, &owner, fx.store_id(support::Side::A), None).await;
    let res = call(&fx, &agent, Req::get("/api/v1/actions/catalog")).await;
    assert_eq!(res.status, 200);
    // Without a key: 401.
    let res = fx.call_anonymous(&Req::get("/api/v1/actions/catalog")).await;
    assert_eq!(res.status, 401);
}
