//! HTTP tests of the read side of actions: `GET /api/v1/actions` (filters, cursor, 422s,
//! agent keys limited to their store), `GET /api/v1/actions/{id}` with its timeline, the
//! browser's CSV download `/audit/export.csv` (session only: signed out → sign-in, Viewer
//! 403, Auditor the CSV of the filtered rows), and the Approvals server functions (list,
//! count, approve, reject) against the real router.

use crate::support;

use serde_json::{json, Value};
use std::sync::Arc;
use support::{Fixture, Req, Res};

const NOTE: &str = "crm.create_activity_note";

async fn call(fx: &Fixture, key: &str, req: Req) -> Res {
    fx.call_with_key(key, &req).await
}

/// Notes at the fixture store need staff approval.
async fn notes_need_staff(fx: &Fixture) {
    let owner = &fx.org_a.keys["Owner"];
    let res = call(
        fx,
        owner,
        Req::json(
            "PUT",
            format!("/api/v1/permissions/{NOTE}?store_id={}", fx.org_a.store_id),
            json!({"enabled": true, "requires_confirmation": true, "confirmation_by": "staff"}),
        ),
    )
    .await;
    assert_eq!(res.status, 200, "{:?}", res.body);
}

async fn agent_key(fx: &Fixture) -> String {
    let res = call(
        fx,
        &fx.org_a.keys["Owner"],
        Req::json(
            "POST",
            "/api/v1/api-keys",
            json!({"kind": "agent", "name": support::unique("Agent"), "store_id": fx.org_a.store_id}),
        ),
    )
    .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    res.body["secret"].as_str().unwrap().to_string()
}

/// Invokes with an Idempotency-Key, as an agent runtime does.
async fn invoke(fx: &Fixture, key: &str, action_type: &str, params: Value) -> Value {
    let res = reqwest::Client::new()
        .post(format!("{}/api/v1/actions", fx.base))
        .bearer_auth(key)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .json(&json!({"action_type": action_type, "params": params}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 201);
    res.json().await.unwrap()
}

fn note(body: &str) -> Value {
    json!({"target": {"type": "client", "id": "c-7"}, "body": body})
}

fn ids(body: &Value) -> Vec<String> {
    body["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_string()).collect()
}

/// Three pending notes and one denied cancellation at org A's store, by an agent key.
async fn seed(fx: &Fixture) -> (String, Vec<String>) {
    notes_need_staff(fx).await;
    let agent = agent_key(fx).await;
    let mut out = Vec::new();
    for i in 0..3 {
        let body = invoke(fx, &agent, NOTE, note(&format!("Note {i}"))).await;
        assert_eq!(body["status"], "pending", "{body}");
        out.push(body["id"].as_str().unwrap().to_string());
    }
    let body = invoke(fx, &agent, "cancel_order", json!({"order_id": "1001"})).await;
    assert_eq!(body["status"], "denied", "{body}");
    out.push(body["id"].as_str().unwrap().to_string());
    (agent, out)
}

#[tokio::test]
async fn list_and_detail_over_rest() {
    let fx = Fixture::start().await;
    let (agent, seeded) = seed(&fx).await;
    let auditor = fx.org_a.keys["Auditor"].clone();

    let res = call(&fx, &auditor, Req::get("/api/v1/actions")).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let mut newest_first = seeded.clone();
    newest_first.reverse();
    assert_eq!(ids(&res.body), newest_first);
    assert_eq!(res.body["next_cursor"], Value::Null);
    assert_eq!(res.body["items"][0]["decision"], "deny");
    assert_eq!(res.body["items"][1]["action_name"], "Add a note to a record");

    // Filters and paging.
    let res =
        call(&fx, &auditor, Req::get("/api/v1/actions?status=pending&action_type=crm.create_activity_note")).await;
    assert_eq!(ids(&res.body).len(), 3);
    let res =
        call(&fx, &auditor, Req::get(format!("/api/v1/actions?store_id={}&decision=deny", fx.org_a.store_id))).await;
    assert_eq!(ids(&res.body), vec![seeded[3].clone()]);
    let res = call(&fx, &auditor, Req::get("/api/v1/actions?limit=3")).await;
    assert_eq!(ids(&res.body).len(), 3);
    let cursor = res.body["next_cursor"].as_str().unwrap().to_string();
    let res = call(&fx, &auditor, Req::get(format!("/api/v1/actions?limit=3&cursor={cursor}"))).await;
    assert_eq!(ids(&res.body), vec![seeded[0].clone()]);
    assert_eq!(res.body["next_cursor"], Value::Null);

    // Bad input: 422 naming the field.
    for (q, field) in [
        ("status=done", "status"),
        ("from=yesterday", "from"),
        ("decision=maybe", "decision"),
        ("cursor=%27x", "cursor"),
    ] {
        let res = call(&fx, &auditor, Req::get(format!("/api/v1/actions?{q}"))).await;
        assert_eq!(res.status, 422, "{q}: {:?}", res.body);
        assert_eq!(res.body["errors"][0]["field"], field, "{q}: {:?}", res.body);
    }
    let res = call(&fx, &auditor, Req::get("/api/v1/actions?limit=0")).await;
    assert_eq!(res.status, 422);
    let res = call(&fx, &auditor, Req::get("/api/v1/actions?colour=red")).await;
    assert_eq!(res.status, 422, "unknown parameters are refused: {:?}", res.body);

    // The detail, with its timeline.
    let res = call(&fx, &auditor, Req::get(format!("/api/v1/actions/{}", seeded[0]))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["id"], seeded[0].as_str());
    assert_eq!(res.body["status"], "pending");
    assert_eq!(res.body["inputs"], note("Note 0"));
    assert!(res.body["trace"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(res.body["timeline"][0]["event"], "action.requested");
    assert_eq!(res.body["timeline"][0]["actor_kind"], "api_key");

    // The agent key reads its store's actions; a Viewer reads none.
    let res = call(&fx, &agent, Req::get("/api/v1/actions")).await;
    assert_eq!(ids(&res.body).len(), 4);
    let res = call(&fx, &fx.org_a.keys["Viewer"], Req::get("/api/v1/actions")).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    // Another org: its store filter and its ids are not found.
    let res = call(&fx, &fx.org_b.keys["Owner"], Req::get(format!("/api/v1/actions/{}", seeded[0]))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res =
        call(&fx, &fx.org_b.keys["Owner"], Req::get(format!("/api/v1/actions?store_id={}", fx.org_a.store_id))).await;
    assert_eq!((res.status, res.code()), (404, Some("NOT_FOUND")));
    let res = call(&fx, &fx.org_b.keys["Owner"], Req::get("/api/v1/actions")).await;
    assert!(ids(&res.body).is_empty());
}

async fn get_raw(client: &reqwest::Client, url: &str) -> reqwest::Response {
    client.get(url).send().await.unwrap()
}

#[tokio::test]
async fn csv_export_for_the_signed_in_auditor() {
    let fx: Arc<Fixture> = Fixture::start().await;
    let (_, seeded) = seed(&fx).await;
    let url = format!("{}/audit/export.csv?status=pending&store_id={}", fx.base, fx.org_a.store_id);

    // Signed out: to the sign-in page, coming back here afterwards.
    let anon = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = get_raw(&anon, &url).await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(location.starts_with("/login?next=%2Faudit%2Fexport.csv%3Fstatus%3Dpending"), "{location}");

    // A Viewer may not read actions.
    let res = get_raw(&fx.org_a.users["Viewer"].client, &url).await;
    assert_eq!(res.status().as_u16(), 403);

    // Every role with audit.read gets the CSV of the filtered rows.
    for role in ["Owner", "Admin", "Store manager", "Approver", "Auditor"] {
        let res = get_raw(&fx.org_a.users[role].client, &url).await;
        assert_eq!(res.status().as_u16(), 200, "{role}");
        let h = res.headers().clone();
        assert_eq!(h["content-type"], "text/csv; charset=utf-8");
        let disposition = h["content-disposition"].to_str().unwrap();
        let today = chrono::Utc::now().format("%Y%m%d").to_string();
        assert_eq!(disposition, format!("attachment; filename=\"mandate-actions-{today}.csv\""));
        let body = res.text().await.unwrap();
        let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
        assert_eq!(lines[0], "created_at,id,store,assistant,action_type,amount,decision,status,reason,code,confirmed_by,executed_at,error_code");
        assert_eq!(lines.len(), 4, "{role}: header + the 3 pending notes:\n{body}");
        for id in &seeded[..3] {
            assert!(body.contains(id.as_str()), "{role}: {id} missing");
        }
        assert!(!body.contains(seeded[3].as_str()), "the denied one is filtered out");
        assert!(lines[1..].iter().all(|l| l.contains(",Main store,") && l.contains(",pending,")), "{body}");
    }

    // Bad filters: 422; another org's store: 404.
    let res = get_raw(&fx.org_a.users["Auditor"].client, &format!("{}/audit/export.csv?from=soon", fx.base)).await;
    assert_eq!(res.status().as_u16(), 422);
    let res = get_raw(
        &fx.org_b.users["Owner"].client,
        &format!("{}/audit/export.csv?store_id={}", fx.base, fx.org_a.store_id),
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
}

async fn server_fn(fx: &Fixture, role: &str, path: &str, form: &[(&str, &str)]) -> Res {
    fx.call_as_user(&fx.org_a.users[role], &Req::form(path, form)).await
}

#[tokio::test]
async fn approvals_inbox_approve_and_reject() {
    let fx = Fixture::start().await;
    let (_, seeded) = seed(&fx).await;

    let res = server_fn(&fx, "Approver", "/api/approvals_count", &[]).await;
    assert_eq!((res.status, res.body.clone()), (200, json!(3)));
    let res = server_fn(&fx, "Approver", "/api/approvals_list", &[]).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    let cards = res.body.as_array().unwrap();
    assert_eq!(cards.len(), 3);
    assert_eq!(cards[0]["id"], seeded[0].as_str(), "oldest first");
    assert_eq!(cards[0]["store_name"], "Main store");
    assert!(cards[0]["input_list"].as_array().unwrap().iter().any(|p| p["key"] == "body" && p["value"] == "Note 0"));
    assert!(!cards[0]["trace"].as_array().unwrap().is_empty());

    // Approve: confirmed by staff (no executor for CRM notes, so the caller carries it out).
    let res = server_fn(&fx, "Approver", "/api/approvals_approve", &[("id", seeded[0].as_str())]).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["status"], "confirmed");
    assert!(res.body["message"].as_str().unwrap().starts_with("Approved"));
    // Reject: cancelled.
    let res = server_fn(&fx, "Approver", "/api/approvals_reject", &[("id", seeded[1].as_str())]).await;
    assert_eq!((res.body["status"].as_str(), res.body["message"].as_str()), (Some("cancelled"), Some("Rejected")));
    let res = server_fn(&fx, "Approver", "/api/approvals_count", &[]).await;
    assert_eq!(res.body, json!(1));
    // Deciding twice: 409.
    let res = server_fn(&fx, "Approver", "/api/approvals_approve", &[("id", seeded[0].as_str())]).await;
    assert_eq!(res.status, 409, "{:?}", res.body);

    // The timeline shows who approved.
    let res = call(&fx, &fx.org_a.keys["Auditor"], Req::get(format!("/api/v1/actions/{}", seeded[0]))).await;
    let events: Vec<&str> =
        res.body["timeline"].as_array().unwrap().iter().map(|t| t["event"].as_str().unwrap()).collect();
    assert_eq!(events, ["action.requested", "action.confirmed"]);
    assert_eq!(res.body["timeline"][1]["actor_label"], fx.org_a.users["Approver"].user.email.as_str());

    // An Auditor has no inbox; the overview shows them the actions but no count.
    let res = server_fn(&fx, "Auditor", "/api/approvals_list", &[]).await;
    assert_eq!(res.status, 403);
    let res = server_fn(&fx, "Auditor", "/api/overview_actions", &[]).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["pending"], Value::Null);
    assert_eq!(res.body["denials"][0]["id"], seeded[3].as_str());
    let res = server_fn(&fx, "Approver", "/api/overview_actions", &[]).await;
    assert_eq!(res.body["pending"], json!(1));
}

/// `/notifications` and `/tasks` render for signed-in people with what the internal
/// executors wrote (through the gateway): the assignee's notification and unread badge, the
/// task with its status control for those who may change it and without for a Viewer.
#[tokio::test]
async fn notifications_and_tasks_pages_render() {
    let fx = Fixture::start().await;
    let owner = &fx.org_a.keys["Owner"];
    for action in ["create_task", "send_notification"] {
        let res = call(
            &fx,
            owner,
            Req::json(
                "PUT",
                format!("/api/v1/permissions/{action}?store_id={}", fx.org_a.store_id),
                json!({"enabled": true, "requires_confirmation": false}),
            ),
        )
        .await;
        assert_eq!(res.status, 200, "{:?}", res.body);
    }
    let agent = agent_key(&fx).await;
    let approver = &fx.org_a.users["Approver"];
    let invoke = |fx: &Fixture, key: &str, action_type: &str, params: Value| {
        let req = reqwest::Client::new()
            .post(format!("{}/api/v1/actions", fx.base))
            .bearer_auth(key)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .json(&json!({"action_type": action_type, "params": params}));
        async move {
            let res = req.send().await.unwrap();
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 201, "{body}");
            body
        }
    };
    let body =
        invoke(&fx, &agent, "create_task", json!({"title": "Ring the courier", "assignee": approver.user.email})).await;
    assert_eq!(body["status"], "executed", "{body}");
    let body = invoke(
        &fx,
        &agent,
        "send_notification",
        json!({"recipients": [approver.user.email], "title": "Parcel lost", "body": "Order 1002", "severity": "critical", "channel": "in_app"}),
    )
    .await;
    assert_eq!(body["status"], "executed", "{body}");

    let page = |login: &'static str, path: &'static str| {
        let client = fx.org_a.users[login].client.clone();
        let url = format!("{}{path}", fx.base);
        async move {
            let res = client.get(url).send().await.unwrap();
            assert_eq!(res.status().as_u16(), 200, "{login} {path}");
            res.text().await.unwrap()
        }
    };
    let html = page("Approver", "/notifications").await;
    assert!(html.contains("Parcel lost") && html.contains("New task: Ring the courier"), "{html}");
    assert!(html.contains("data-testid=\"mark-all-read\"") && html.contains("Critical"));
    assert!(html.contains("data-testid=\"notifications-badge\""), "the nav badge counts the unread");
    assert!(html.contains(", 2 unread"));
    let html = page("Viewer", "/notifications").await;
    assert!(html.contains("data-testid=\"notifications-empty\"") && !html.contains("Parcel lost"));

    let html = page("Approver", "/tasks").await;
    assert!(html.contains("Ring the courier") && html.contains("data-testid=\"task-status-select\""), "{html}");
    let html = page("Viewer", "/tasks").await;
    assert!(html.contains("Ring the courier"), "a Viewer of the org sees it");
    assert!(!html.contains("data-testid=\"task-status-select\""), "but may not change it");
    let html = page("Viewer", "/tasks?status=done").await;
    assert!(html.contains("data-testid=\"tasks-empty\""));

    // The assignee marks everything read; the badge is gone.
    let res = fx.call_as_user(approver, &Req::form("/api/notifications_mark_read", &[])).await;
    assert_eq!((res.status, res.body.clone()), (200, json!(2)));
    let html = page("Approver", "/notifications").await;
    assert!(!html.contains("data-testid=\"notifications-badge\""));
}
