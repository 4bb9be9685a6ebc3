//! Spend over HTTP: expenditure batches with an Idempotency-Key, a quota created, read back
//! with its use, refused for a key without the permission, and an agent stopped at the
//! cap with `QUOTA_EXCEEDED`; the SMS provider's token is never returned.

use crate::support;

use serde_json::{json, Value};
use support::{Fixture, Req, Res};

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

async fn post_with_key(fx: &Fixture, key: &str, path: &str, idem: &str, body: Value) -> (u16, bool, Value) {
    let res = reqwest::Client::new()
        .post(format!("{}{path}", fx.base))
        .bearer_auth(key)
        .header("idempotency-key", idem)
        .json(&body)
        .send()
        .await
        .unwrap();
    let replayed = res.headers().get("idempotent-replayed").is_some();
    (res.status().as_u16(), replayed, res.json().await.unwrap())
}

#[tokio::test]
async fn quotas_and_expenditures_over_rest() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let viewer = fx.org_a.keys["Viewer"].clone();
    let team = call(&fx, &owner, Req::json("POST", "/api/v1/teams", json!({"name": "Support"}))).await;
    let team = team.body["id"].as_str().unwrap().to_string();

    let quota = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/quotas",
            json!({"entity_type": "team", "entity_id": team, "metric": "amount", "limit": "100", "currency": "EUR",
                   "period": "month", "enforce": false}),
        ),
    )
    .await;
    assert_eq!(quota.status, 201, "{:?}", quota.body);
    assert_eq!((quota.body["used"].as_str(), quota.body["percent"].as_u64()), (Some("0.00"), Some(0)));
    let bad =
        call(&fx, &owner, Req::json("POST", "/api/v1/quotas", json!({"entity_type": "galaxy", "limit": -1}))).await;
    assert_eq!(bad.status, 422);
    let refused = call(
        &fx,
        &viewer,
        Req::json(
            "POST",
            "/api/v1/quotas",
            json!({"entity_type": "org", "metric": "count",
        "limit": 1, "period": "day"}),
        ),
    )
    .await;
    assert_eq!(refused.code(), Some("PERMISSION_DENIED"));

    let batch = json!({"records": [
        {"entity_type": "team", "entity_id": team, "amount": "50", "currency": "EUR", "item_type": "tool"},
        {"entity_type": "team", "entity_id": team, "amount": "35.5", "currency": "EUR", "item_type": "prompt"}
    ]});
    let first = post_with_key(&fx, &owner, "/api/v1/expenditures", "spend-1", batch.clone()).await;
    assert_eq!((first.0, first.1, &first.2["count"]), (201, false, &json!(2)));
    let again = post_with_key(&fx, &owner, "/api/v1/expenditures", "spend-1", batch).await;
    assert_eq!((again.0, again.1), (201, true));
    assert_eq!(again.2, first.2);

    let listed = call(&fx, &owner, Req::get("/api/v1/quotas")).await;
    let q = &listed.body["items"][0];
    assert_eq!((q["used"].as_str(), q["percent"].as_u64()), (Some("85.50"), Some(85)));
    let usage =
        call(&fx, &owner, Req::get(format!("/api/v1/usage?entity_type=team&entity_id={team}&period=month"))).await;
    assert_eq!(usage.status, 200, "{:?}", usage.body);
    let totals = usage.body["totals"].as_array().unwrap();
    assert_eq!(totals.len(), 2);
    let other =
        call(&fx, &fx.org_b.keys["Owner"], Req::get(format!("/api/v1/usage?entity_type=team&entity_id={team}"))).await;
    assert_eq!(other.status, 404);

    let id = q["id"].as_str().unwrap();
    let patched = call(&fx, &owner, Req::json("PATCH", format!("/api/v1/quotas/{id}"), json!({"limit": "200"}))).await;
    assert_eq!((patched.status, patched.body["percent"].as_u64()), (200, Some(42)));
    assert_eq!(call(&fx, &owner, Req::delete(format!("/api/v1/quotas/{id}"))).await.status, 204);
}

#[tokio::test]
async fn an_agent_is_stopped_at_its_quota() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let store = fx.org_a.store_id.clone();
    let assistant = fx.org_a.assistant_id.clone();
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/create_task?store_id={store}"),
            json!({"enabled": true, "requires_confirmation": false}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let res = call(
        &fx,
        &owner,
        Req::json(
            "PATCH",
            format!("/api/v1/assistants/{assistant}/allowed-actions"),
            json!({"allowed_actions": ["create_task"]}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let res = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/quotas",
            json!({"entity_type": "assistant", "entity_id": assistant, "metric": "count", "limit": 2, "period": "day",
                   "name": "Tasks a day"}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let key = call(
        &fx,
        &owner,
        Req::json(
            "POST",
            "/api/v1/api-keys",
            json!({"kind": "agent", "name": support::unique("Agent"), "store_id": store, "assistant_id": assistant}),
        ),
    )
    .await;
    let agent = key.body["secret"].as_str().unwrap().to_string();
    let mut statuses = Vec::new();
    for i in 0..3 {
        let body = json!({"action_type": "create_task", "params": {"title": format!("Call back {i}")}});
        let (status, _, answer) = post_with_key(&fx, &agent, "/api/v1/actions", &format!("task-{i}"), body).await;
        assert_eq!(status, 201, "{answer}");
        statuses.push((answer["status"].as_str().unwrap().to_string(), answer["code"].as_str().map(str::to_string)));
    }
    assert_eq!(statuses[2], ("denied".to_string(), Some("QUOTA_EXCEEDED".to_string())), "{statuses:?}");
    assert_eq!(statuses[1].0, "executed");
    assert!(statuses[2].1.is_some());
}

#[tokio::test]
async fn the_sms_provider_token_is_write_only() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let token = "sms-token-0123456789abcdef";
    let body = json!({"url": "https://sms.example.com/Messages.json", "account_sid": "AC1", "from_number": "+15005550006",
        "auth_token": token});
    let res = call(&fx, &owner, Req::json("PUT", "/api/v1/sms-provider", body)).await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    assert_eq!(res.body["token_set"], true);
    assert!(!res.body.to_string().contains(token));
    let res = call(&fx, &owner, Req::get("/api/v1/sms-provider")).await;
    assert!(!res.body.to_string().contains(token));
    let res = call(&fx, &fx.org_a.keys["Store manager"], Req::get("/api/v1/sms-provider")).await;
    assert_eq!(res.code(), Some("PERMISSION_DENIED"));
    assert_eq!(call(&fx, &owner, Req::delete("/api/v1/sms-provider")).await.status, 204);
}
