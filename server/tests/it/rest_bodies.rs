//! The REST bodies as a whole: every endpoint that reads a JSON body refuses unknown fields
//! (422 VALIDATION_ERROR naming the field) and answers 400 to a body that is not JSON, before
//! it looks anything up — whether it reads a service's input type or its own body struct.

use crate::support;

use serde_json::{json, Value};
use support::{Fixture, Req};

/// (method, path) of every route with a JSON body; ids in paths need not exist. Not
/// `POST /check`: its `ActionRequest` takes unknown fields today (not a rule this test sets).
const BODIES: &[(&str, &str)] = &[
    ("PATCH", "/api/v1/org"),
    ("PUT", "/api/v1/preferences/team/x"),
    ("POST", "/api/v1/actions"),
    ("POST", "/api/v1/actions/x/confirm"),
    ("POST", "/api/v1/actions/x/result"),
    ("PUT", "/api/v1/permissions/process_refund?store_id=x"),
    ("PUT", "/api/v1/permissions/defaults/process_refund"),
    ("POST", "/api/v1/permissions/limits"),
    ("POST", "/api/v1/api-keys"),
    ("POST", "/api/v1/teams"),
    ("PATCH", "/api/v1/teams/x"),
    ("POST", "/api/v1/roles"),
    ("PATCH", "/api/v1/roles/x"),
    ("POST", "/api/v1/role-assignments"),
    ("POST", "/api/v1/users"),
    ("PATCH", "/api/v1/users/x"),
    ("POST", "/api/v1/stores"),
    ("PATCH", "/api/v1/stores/x"),
    ("PUT", "/api/v1/stores/x/connector"),
    ("PUT", "/api/v1/connector"),
    ("POST", "/api/v1/assistants"),
    ("PATCH", "/api/v1/assistants/x"),
    ("PATCH", "/api/v1/assistants/x/allowed-actions"),
    ("POST", "/api/v1/automation/rules"),
    ("PUT", "/api/v1/automation/rules/x"),
    ("POST", "/api/v1/automation/rules/x/test"),
    ("POST", "/api/v1/events"),
    ("POST", "/api/v1/expenditures"),
    ("POST", "/api/v1/quotas"),
    ("PATCH", "/api/v1/quotas/x"),
    ("PUT", "/api/v1/sms-provider"),
    ("PUT", "/api/v1/sso"),
    ("POST", "/api/v1/config/import?dry_run=true"),
    ("POST", "/api/v1/secrets"),
    ("PATCH", "/api/v1/secrets/x"),
];

#[tokio::test]
async fn every_body_refuses_unknown_fields_and_non_json() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    let client = reqwest::Client::new();
    for (method, path) in BODIES {
        let res = fx.call_with_key(&owner, &Req::json(method, *path, json!({"unexpected_field": 1}))).await;
        assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "{method} {path}: {:?}", res.body);
        let detail = res.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("unexpected_field"), "{method} {path} names the field: {detail}");

        let res = client
            .request(method.parse().unwrap(), format!("{}{path}", fx.base))
            .bearer_auth(&owner)
            .header("content-type", "application/json")
            .body("{not json")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 400, "{method} {path}: a body that is not JSON");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "VALIDATION_ERROR", "{method} {path}: {body:?}");
    }
}

/// `store_id` of a new assistant may be left out, empty or null alike: a management key then
/// has to name the store (422 on store_id); an agent key means its own.
#[tokio::test]
async fn a_new_assistant_without_store_id() {
    let fx = Fixture::start().await;
    let owner = fx.org_a.keys["Owner"].clone();
    for body in [
        json!({"name": "Helper"}),
        json!({"name": "Helper", "store_id": ""}),
        json!({"name": "Helper", "store_id": null}),
    ] {
        let res = fx.call_with_key(&owner, &Req::json("POST", "/api/v1/assistants", body.clone())).await;
        assert_eq!((res.status, res.code()), (422, Some("VALIDATION_ERROR")), "{body}: {:?}", res.body);
        assert_eq!(res.body["errors"][0]["field"], "store_id", "{body}: {:?}", res.body);
    }
}
