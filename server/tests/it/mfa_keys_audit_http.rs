//! HTTP tests for the change log API (`GET /api/v1/audit/events`), the API-keys API, and
//! two-step sign-in through the real server functions: enrolment, the password step that
//! does not sign in, the code step that does, and the org's MFA requirement.

use crate::support;

use app::domain::totp;
use reqwest::header::{CONTENT_TYPE, LOCATION};
use serde_json::{json, Value};
use support::{Fixture, Req, PASSWORD};

async fn get_json(fx: &Fixture, key: &str, path: &str) -> (u16, Value, String) {
    let res = reqwest::Client::new().get(format!("{}{path}", fx.base)).bearer_auth(key).send().await.unwrap();
    let status = res.status().as_u16();
    let ct = res.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    (status, res.json().await.unwrap_or(Value::Null), ct)
}

fn items(body: &Value) -> Vec<Value> {
    body["items"].as_array().cloned().unwrap_or_default()
}

#[tokio::test]
async fn audit_events_filter_page_and_refuse_bad_input() {
    let fx = Fixture::start().await;
    let owner_key = fx.org_a.keys["Owner"].clone();
    // Some configuration changes over the API.
    for name in ["Alpha", "Beta"] {
        let res = fx.call_with_key(&owner_key, &Req::json("POST", "/api/v1/teams", json!({"name": name}))).await;
        assert_eq!(res.status, 201, "{:?}", res.body);
    }

    let (status, all, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?limit=200").await;
    assert_eq!(status, 200);
    let all = items(&all);
    let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert!(seqs.windows(2).all(|w| w[0] > w[1]), "newest first: {seqs:?}");
    assert!(all.iter().any(|e| e["action"] == "auth.login"), "the API includes sign-ins by default");
    assert!(all.iter().all(|e| e.get("hash").is_none()));

    let (_, teams, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?entity_type=team").await;
    let teams = items(&teams);
    assert_eq!(teams.len(), 2);
    assert_eq!(teams[0]["after"]["name"], "Beta");
    assert_eq!(teams[0]["actor"]["type"], "api_key");
    let team_id = teams[1]["entity_id"].as_str().unwrap().to_string();
    let (_, one, _) = get_json(&fx, &owner_key, &format!("/api/v1/audit/events?entity_id={team_id}")).await;
    assert_eq!(items(&one).len(), 1);
    let (_, by_actor, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?actor=owner%20KEY").await;
    assert_eq!(items(&by_actor).len(), 2, "the key's label, any case");
    let (_, no_sign_ins, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?include_sign_ins=false&limit=200").await;
    assert!(items(&no_sign_ins).iter().all(|e| !e["action"].as_str().unwrap().starts_with("auth.")));
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    let (_, today_events, _) =
        get_json(&fx, &owner_key, &format!("/api/v1/audit/events?from={today}&to={today}&limit=200")).await;
    assert_eq!(items(&today_events).len(), all.len());
    let (_, before, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?to=2000-01-01").await;
    assert!(items(&before).is_empty());

    // Cursor pages of 3 walk the whole list.
    let mut walked = Vec::new();
    let mut path = "/api/v1/audit/events?limit=3".to_string();
    loop {
        let (status, page, _) = get_json(&fx, &owner_key, &path).await;
        assert_eq!(status, 200);
        walked.extend(items(&page).iter().map(|e| e["seq"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/v1/audit/events?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(walked, seqs);

    // Bad input answers problem+json naming the field.
    for (query, field) in [("from=yesterday", "from"), ("to=2026-02-30", "to"), ("cursor=abc", "cursor")] {
        let (status, body, ct) = get_json(&fx, &owner_key, &format!("/api/v1/audit/events?{query}")).await;
        assert_eq!(status, 422, "{query}: {body}");
        assert_eq!(ct, "application/problem+json");
        assert_eq!(body["code"], "VALIDATION_ERROR");
        assert!(body["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{query}: {body}");
    }
    let (status, body, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?from=2026-11-24&to=2026-11-23").await;
    assert_eq!((status, body["errors"][0]["field"].as_str()), (422, Some("to")));
    let (status, _, ct) = get_json(&fx, &owner_key, "/api/v1/audit/events?limit=0").await;
    assert_eq!((status, ct.as_str()), (422, "application/problem+json"));
    let (status, _, _) = get_json(&fx, &owner_key, "/api/v1/audit/events?colour=blue").await;
    assert_eq!(status, 422, "unknown parameters are refused");

    // audit.read is needed; another org's events are invisible.
    let (status, body, _) = get_json(&fx, &fx.org_a.keys["Viewer"], "/api/v1/audit/events").await;
    assert_eq!((status, body["code"].as_str()), (403, Some("PERMISSION_DENIED")));
    let (_, other, _) =
        get_json(&fx, &fx.org_b.keys["Owner"], &format!("/api/v1/audit/events?entity_id={team_id}")).await;
    assert!(items(&other).is_empty());
}

#[tokio::test]
async fn api_keys_over_rest_show_the_secret_once_and_revoke() {
    let fx = Fixture::start().await;
    let owner_key = fx.org_a.keys["Owner"].clone();
    let res = fx
        .call_with_key(
            &owner_key,
            &Req::json("POST", "/api/v1/api-keys", json!({"name": "Reporting", "role_id": "role-auditor"})),
        )
        .await;
    assert_eq!(res.status, 201, "{:?}", res.body);
    let secret = res.body["secret"].as_str().unwrap().to_string();
    let id = res.body["key"]["id"].as_str().unwrap().to_string();
    assert_eq!(res.body["key"]["role"], "Auditor");
    assert_eq!(res.body["key"]["status"], "active");

    let (status, _, _) = get_json(&fx, &secret, "/api/v1/audit/events").await;
    assert_eq!(status, 200, "the new Auditor key reads the trail");
    let listed = fx.call_with_key(&owner_key, &Req::get("/api/v1/api-keys")).await;
    assert!(listed.body.to_string().contains(&id));
    assert!(!listed.body.to_string().contains(&secret), "lists never carry secrets");

    // An Admin key cannot mint an Owner key.
    let res = fx
        .call_with_key(
            &fx.org_a.keys["Admin"],
            &Req::json("POST", "/api/v1/api-keys", json!({"name": "x", "role_id": "role-owner"})),
        )
        .await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let res = fx
        .call_with_key(
            &owner_key,
            &Req::json("POST", "/api/v1/api-keys", json!({"name": "", "role_id": "role-viewer", "expires_at": "soon"})),
        )
        .await;
    assert_eq!(res.status, 422);

    let other = fx.call_with_key(&fx.org_b.keys["Owner"], &Req::delete(format!("/api/v1/api-keys/{id}"))).await;
    assert_eq!((other.status, other.code()), (404, Some("NOT_FOUND")));
    let revoked = fx.call_with_key(&owner_key, &Req::delete(format!("/api/v1/api-keys/{id}"))).await;
    assert_eq!(revoked.status, 200);
    assert_eq!(revoked.body["status"], "revoked");
    let (status, body, _) = get_json(&fx, &secret, "/api/v1/me").await;
    assert_eq!((status, body["code"].as_str()), (401, Some("UNAUTHENTICATED")));
}

/// A client with its own cookies that follows no redirects.
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

async fn post_form(fx: &Fixture, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    client.post(format!("{}{path}", fx.base)).header("origin", &fx.base).form(form).send().await.unwrap()
}

fn now_step() -> i64 {
    totp::step_at(chrono::Utc::now().timestamp())
}

#[tokio::test]
async fn mfa_sign_in_takes_two_steps_and_the_org_can_require_it() {
    let fx = Fixture::start().await;
    let viewer = &fx.org_a.users["Viewer"];

    // Enrol through the account's server functions.
    let res = post_form(&fx, &viewer.client, "/api/mfa_begin", &[]).await;
    assert_eq!(res.status(), 200);
    let enrolment: Value = res.json().await.unwrap();
    let svg = enrolment["qr_svg"].as_str().unwrap();
    assert!(svg.starts_with("<svg") && !svg.contains("style="));
    let secret = totp::base32_decode(enrolment["secret"].as_str().unwrap()).unwrap();
    let step = now_step();
    let res =
        post_form(&fx, &viewer.client, "/api/mfa_confirm", &[("code", &totp::code_for_step(&secret, step, 6))]).await;
    assert_eq!(res.status(), 200);
    let codes: Vec<String> = res.json().await.unwrap();
    assert_eq!(codes.len(), 10);

    // The password alone leads to /login/mfa and does not sign in.
    let fresh = browser();
    let res = post_form(
        &fx,
        &fresh,
        "/api/login",
        &[("email", viewer.user.email.as_str()), ("password", PASSWORD), ("org", "org-a")],
    )
    .await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    if res.status().is_redirection() {
        assert_eq!(res.headers().get(LOCATION).unwrap(), "/login/mfa");
    }
    assert_eq!(post_form(&fx, &fresh, "/api/overview", &[]).await.status(), 401);
    let page = fresh.get(format!("{}/login/mfa", fx.base)).send().await.unwrap();
    assert_eq!(page.status(), 200, "the second step's page is public");
    let pending: Value = post_form(&fx, &fresh, "/api/login_mfa_pending", &[]).await.json().await.unwrap();
    assert_eq!(pending, json!(true));

    // A wrong code is refused; the right one signs in.
    let res = post_form(&fx, &fresh, "/api/login_mfa", &[("code", "abcde-fghjk")]).await;
    assert_eq!(res.status(), 422);
    let res = post_form(&fx, &fresh, "/api/login_mfa", &[("code", &totp::code_for_step(&secret, step + 1, 6))]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    assert_eq!(post_form(&fx, &fresh, "/api/overview", &[]).await.status(), 200);
    let res = fresh.get(format!("{}/login/mfa", fx.base)).send().await.unwrap();
    assert_eq!(res.headers().get(LOCATION).unwrap(), "/", "signed in: the second step's page sends home");

    // A recovery code signs in once.
    let other = browser();
    post_form(
        &fx,
        &other,
        "/api/login",
        &[("email", viewer.user.email.as_str()), ("password", PASSWORD), ("org", "org-a")],
    )
    .await;
    let res = post_form(&fx, &other, "/api/login_mfa", &[("code", &codes[0])]).await;
    assert!(res.status().is_redirection() || res.status().is_success(), "{}", res.status());
    let third = browser();
    post_form(
        &fx,
        &third,
        "/api/login",
        &[("email", viewer.user.email.as_str()), ("password", PASSWORD), ("org", "org-a")],
    )
    .await;
    assert_eq!(post_form(&fx, &third, "/api/login_mfa", &[("code", &codes[0])]).await.status(), 422);
    // Without a pending sign-in there is nothing to finish.
    assert_eq!(post_form(&fx, &browser(), "/api/login_mfa", &[("code", &codes[1])]).await.status(), 401);

    // The Owner requires MFA (after enrolling themselves); the Approver, without MFA, is
    // sent to set it up and refused everything else until then.
    let owner = &fx.org_a.users["Owner"];
    let enrolment: Value = post_form(&fx, &owner.client, "/api/mfa_begin", &[]).await.json().await.unwrap();
    let owner_secret = totp::base32_decode(enrolment["secret"].as_str().unwrap()).unwrap();
    let res = post_form(
        &fx,
        &owner.client,
        "/api/mfa_confirm",
        &[("code", &totp::code_at(&owner_secret, chrono::Utc::now().timestamp()))],
    )
    .await;
    assert_eq!(res.status(), 200);
    let res =
        post_form(&fx, &owner.client, "/api/org_settings_update", &[("name", "Org A"), ("require_mfa", "on")]).await;
    assert_eq!(res.status(), 200, "{:?}", res.text().await);

    let approver = &fx.org_a.users["Approver"];
    let res = post_form(&fx, &approver.client, "/api/overview", &[]).await;
    assert_eq!(res.status(), 403);
    let body: Value = res.json().await.unwrap();
    assert!(body["message"].as_str().unwrap().contains("/account/mfa"), "{body}");
    let page = approver.client.get(format!("{}/org/teams", fx.base)).send().await.unwrap();
    assert_eq!(page.headers().get(LOCATION).unwrap(), "/account/mfa");
    let page = approver.client.get(format!("{}/account/mfa", fx.base)).send().await.unwrap();
    assert_eq!(page.status(), 200);
    assert_eq!(post_form(&fx, &approver.client, "/api/mfa_status", &[]).await.status(), 200);
    // The API keys of the org are not people: unaffected.
    let (status, _, _) = get_json(&fx, &fx.org_a.keys["Viewer"], "/api/v1/me").await;
    assert_eq!(status, 200);
    // Members with MFA carry on.
    assert_eq!(post_form(&fx, &owner.client, "/api/overview", &[]).await.status(), 200);
}
