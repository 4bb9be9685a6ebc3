//! Single sign-on over HTTP (level 3): the provider's settings through `/api/v1/sso`, a
//! browser's whole sign-in through `/auth/oidc/start` → the in-test provider → the
//! callback, started on one server and finished on another sharing the database, refusals
//! shown on the sign-in page, the password switch, and the admin MFA reset over REST.

use crate::support::oidc_provider::{Person, Provider, Spoil, CLIENT_ID, CLIENT_SECRET};
use crate::support::{self, Fixture, Req};
use reqwest::header::LOCATION;
use serde_json::{json, Value};

/// A browser: its own cookie jar, redirects not followed (the test looks at each).
fn browser() -> reqwest::Client {
    reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap()
}

fn location(res: &reqwest::Response) -> String {
    res.headers().get(LOCATION).map(|v| v.to_str().unwrap().to_string()).unwrap_or_default()
}

fn settings(p: &Provider) -> Value {
    json!({
        "display_name": "Test IdP",
        "issuer_url": p.issuer,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "allowed_domains": ["acme.test"],
        "provisioning": "jit",
        "default_role_id": "role-viewer",
    })
}

/// Sets org A's provider with its Owner key.
async fn configure(fx: &Fixture, body: Value) -> Value {
    let res = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::json("PUT", "/api/v1/sso", body)).await;
    assert!(res.status == 200 || res.status == 201, "{} {:?}", res.status, res.body);
    res.body
}

/// Who the browser's session is signed in as at the server `base` (None when signed out).
/// The browser's Origin is the site's public URL (the first server's), whichever server
/// answers.
async fn signed_in_as(client: &reqwest::Client, base: &str) -> Option<String> {
    signed_in_at(client, base, base).await
}

async fn signed_in_at(client: &reqwest::Client, server: &str, origin: &str) -> Option<String> {
    let res = client.post(format!("{server}/api/session_state")).header("origin", origin).send().await.unwrap();
    let body: Value = res.json().await.unwrap();
    body["user"]["email"].as_str().map(str::to_string)
}

/// The sign-in page as a browser gets it.
async fn login_page(client: &reqwest::Client, base: &str, query: &str) -> String {
    let res = client.get(format!("{base}/login{query}")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    res.text().await.unwrap()
}

/// Starts a sign-in at `base` and lets the provider answer; returns the callback URL.
async fn through_provider(client: &reqwest::Client, base: &str, p: &Provider, who: &str) -> String {
    let res = client.get(format!("{base}/auth/oidc/start?org={who}&next=/approvals")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    let to = location(&res);
    assert!(to.starts_with(&format!("{}/authorize?", p.issuer)), "{to}");
    for part in
        ["code_challenge_method=S256", "code_challenge=", "state=", "nonce=", "scope=openid", "email", "profile"]
    {
        assert!(to.contains(part), "the authorization request has {part}: {to}");
    }
    p.authorize(&to).await.0
}

#[tokio::test]
async fn the_provider_settings_over_rest_never_show_the_secret() {
    let fx = Fixture::start().await;
    let p = Provider::start().await;
    let created = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::json("PUT", "/api/v1/sso", settings(&p))).await;
    assert_eq!(created.status, 201, "{:?}", created.body);
    let body = created.body.to_string();
    assert!(!body.contains(CLIENT_SECRET), "{body}");
    assert_eq!(created.body["client_secret_set"], true);
    assert_eq!(created.body["redirect_url"], format!("{}/auth/oidc/callback", fx.base));
    assert_eq!(created.body["sign_in_url"], format!("{}/auth/oidc/start?org=org-a", fx.base));

    let got = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::get("/api/v1/sso")).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.body["allowed_domains"], json!(["acme.test"]));
    assert_eq!(got.body["default_role_name"], "Viewer");
    assert!(got.body.get("client_secret").is_none());

    let mut change = settings(&p);
    change.as_object_mut().unwrap().remove("client_secret");
    change["enabled"] = json!(false);
    let changed = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::json("PUT", "/api/v1/sso", change)).await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body["enabled"], false);

    let invalid = fx
        .call_with_key(
            &fx.org_a.keys["Owner"],
            &Req::json("PUT", "/api/v1/sso", json!({"issuer_url": "idp.example.com"})),
        )
        .await;
    assert_eq!((invalid.status, invalid.code()), (422, Some("VALIDATION_ERROR")));
    let fields: Vec<&str> =
        invalid.body["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
    assert!(fields.contains(&"issuer_url") && fields.contains(&"display_name"), "{fields:?}");

    // An Admin key may not (org.manage).
    let admin = fx.call_with_key(&fx.org_a.keys["Admin"], &Req::get("/api/v1/sso")).await;
    assert_eq!((admin.status, admin.code()), (403, Some("PERMISSION_DENIED")));

    let deleted = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::delete("/api/v1/sso")).await;
    assert_eq!(deleted.status, 204);
    let again = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::delete("/api/v1/sso")).await;
    assert_eq!(again.status, 404);
}

#[tokio::test]
async fn a_browser_signs_in_through_the_provider_started_on_one_server_and_finished_on_another() {
    let fx = Fixture::start().await;
    let p = Provider::start().await;
    configure(&fx, settings(&p)).await;
    let second = fx.second_server().await;

    let client = browser();
    p.sign_in_as(Person::new("newcomer@acme.test", "Newcomer"));
    let callback = through_provider(&client, &fx.base, &p, "org-a").await;
    assert!(callback.starts_with(&format!("{}/auth/oidc/callback?", fx.base)), "{callback}");
    // The load balancer sends the provider's answer to the other server.
    let on_second = callback.replacen(&fx.base, &second, 1);
    let res = client.get(&on_second).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 303);
    assert_eq!(location(&res), "/approvals", "back where the sign-in started");
    assert_eq!(signed_in_as(&client, &fx.base).await.as_deref(), Some("newcomer@acme.test"));
    assert_eq!(signed_in_at(&client, &second, &fx.base).await.as_deref(), Some("newcomer@acme.test"));

    // The same answer replayed (to either server, from another browser): refused, and the
    // sign-in page says so.
    let attacker = browser();
    let res = attacker.get(&callback).send().await.unwrap();
    assert_eq!((res.status().as_u16(), location(&res)), (303, "/login".to_string()));
    assert_eq!(signed_in_as(&attacker, &fx.base).await, None);
    let page = login_page(&attacker, &fx.base, "").await;
    assert!(page.contains("This sign-in link was already used or has expired. Start again."), "{page}");
    // Shown once.
    assert!(!login_page(&attacker, &fx.base, "").await.contains("already used"));

    // The page for the org (the sign-in link on /org/sso) offers the provider, and so does
    // the page for a work email typed into its single sign-on form.
    let page = login_page(&browser(), &fx.base, "?org=org-a").await;
    assert!(page.contains("Sign in with Test IdP"), "{page}");
    assert!(page.contains("/auth/oidc/start?org=org-a"), "{page}");
    let page = login_page(&browser(), &fx.base, "?org=someone%40acme.test").await;
    assert!(page.contains("Org A signs in with Test IdP."), "{page}");
    assert!(page.contains("/auth/oidc/start?org=someone%40acme.test"), "{page}");
    let page = login_page(&browser(), &fx.base, "?org=org-b").await;
    assert!(page.contains("Single sign-on isn"), "{page}");
    assert!(!page.contains("Sign in with Test IdP"), "{page}");
}

#[tokio::test]
async fn refusals_come_back_to_the_sign_in_page_with_a_clear_message() {
    let fx = Fixture::start().await;
    let p = Provider::start().await;
    configure(&fx, settings(&p)).await;

    let cases: [(Spoil, Person, &str); 3] = [
        (
            Spoil { wrong_key: true, ..Default::default() },
            Person::new("ann@acme.test", "Ann"),
            "answer could not be verified (signature).",
        ),
        (
            Spoil { audience: Some("someone-else".into()), ..Default::default() },
            Person::new("ann@acme.test", "Ann"),
            "could not be verified (audience",
        ),
        (Spoil::default(), Person::new("eve@example.org", "Eve"), "Email addresses at example.org can"),
    ];
    for (spoil, person, message) in cases {
        p.spoil(spoil);
        p.sign_in_as(person);
        let client = browser();
        let callback = through_provider(&client, &fx.base, &p, "org-a").await;
        let res = client.get(&callback).send().await.unwrap();
        assert_eq!((res.status().as_u16(), location(&res)), (303, "/login".to_string()));
        assert_eq!(signed_in_as(&client, &fx.base).await, None);
        let page = login_page(&client, &fx.base, "").await;
        assert!(page.contains(message), "expected {message:?} in {page}");
        assert!(page.contains("Sign in with Test IdP"), "the page offers the provider again");
        assert!(!page.contains(&fx.org_a.org.id), "no internal ids");
    }

    // Single sign-on for an org without it, and the provider declining.
    let client = browser();
    let res = client.get(format!("{}/auth/oidc/start?org=org-b", fx.base)).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    assert!(login_page(&client, &fx.base, "").await.contains("Single sign-on isn"));
    p.spoil(Spoil::default());
    let callback = through_provider(&client, &fx.base, &p, "org-a").await;
    let url = reqwest::Url::parse(&callback).unwrap();
    let state = url.query_pairs().find(|(k, _)| k == "state").unwrap().1.to_string();
    let declined = format!("{}/auth/oidc/callback?error=access_denied&state={state}", fx.base);
    let res = client.get(&declined).send().await.unwrap();
    assert_eq!(location(&res), "/login");
    assert!(login_page(&client, &fx.base, "").await.contains("Test IdP did not sign you in"));
}

#[tokio::test]
async fn password_sign_in_off_keeps_owners_in_and_members_out() {
    let fx = Fixture::start().await;
    let p = Provider::start().await;
    let mut body = settings(&p);
    body["password_sign_in_disabled"] = json!(true);
    configure(&fx, body).await;

    let login = |email: &str| {
        let (client, base, email) = (browser(), fx.base.clone(), email.to_string());
        async move {
            let res = client
                .post(format!("{base}/api/login"))
                .header("origin", &base)
                .form(&[("email", email.as_str()), ("password", support::PASSWORD), ("org", "org-a")])
                .send()
                .await
                .unwrap();
            let status = res.status().as_u16();
            (status, res.text().await.unwrap(), signed_in_as(&client, &base).await)
        }
    };
    let admin = fx.org_a.users["Admin"].user.email.clone();
    let (status, text, who) = login(&admin).await;
    assert_eq!(status, 403, "{text}");
    assert!(text.contains("Org A signs in with Test IdP"), "{text}");
    assert_eq!(who, None);
    let owner = fx.org_a.owner.email.clone();
    let (status, _, who) = login(&owner).await;
    assert!(status < 400, "the Owner's break-glass path");
    assert_eq!(who.as_deref(), Some(owner.as_str()));

    // The sign-in page folds the password form away for Owners.
    let page = login_page(&browser(), &fx.base, "?org=org-a").await;
    assert!(page.contains("Owner? Sign in with a password"), "{page}");
    assert!(page.contains("Password sign-in is switched off at Org A."), "{page}");
}

#[tokio::test]
async fn an_admin_key_resets_a_persons_two_step_sign_in_and_ends_their_sessions() {
    let fx = Fixture::start().await;
    let approver = &fx.org_a.users["Approver"];
    // Approver enrols (with a key of the test's own: the reset never reads the secret).
    let key = [5u8; 32];
    let actor = support::people::session_actor(&fx.db, &approver.user).await;
    let enrolment = app::services::identity::mfa::begin_enrolment(&fx.db, &key, &actor).await.unwrap();
    let secret = app::domain::totp::base32_decode(&enrolment.secret).unwrap();
    let code = app::domain::totp::code_at(&secret, app::services::infra::db::now().timestamp());
    app::services::identity::mfa::confirm_enrolment(&fx.db, &key, &actor, &code).await.unwrap();
    assert!(signed_in_as(&approver.client, &fx.base).await.is_some());

    let path = format!("/api/v1/users/{}/mfa-reset", approver.user.id);
    let viewer = fx.call_with_key(&fx.org_a.keys["Viewer"], &Req::json("POST", &path, json!({}))).await;
    assert_eq!(viewer.status, 403);
    let res = fx.call_with_key(&fx.org_a.keys["Admin"], &Req::json("POST", &path, json!({}))).await;
    assert_eq!(res.status, 200, "{:?}", res.body);
    assert_eq!(res.body["mfa_enabled"], false);
    assert_eq!(signed_in_as(&approver.client, &fx.base).await, None, "signed out everywhere");
    let again = fx.call_with_key(&fx.org_a.keys["Admin"], &Req::json("POST", &path, json!({}))).await;
    assert_eq!((again.status, again.code()), (409, Some("CONFLICT")));

    // An Admin does not outrank an Owner; another org's person is not found.
    let owner_path = format!("/api/v1/users/{}/mfa-reset", fx.org_a.owner.id);
    let res = fx.call_with_key(&fx.org_a.keys["Admin"], &Req::json("POST", &owner_path, json!({}))).await;
    assert_eq!((res.status, res.code()), (403, Some("PERMISSION_DENIED")));
    let other = format!("/api/v1/users/{}/mfa-reset", fx.org_b.owner.id);
    let res = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::json("POST", &other, json!({}))).await;
    assert_eq!(res.status, 404);

    let events = fx.call_with_key(&fx.org_a.keys["Owner"], &Req::get("/api/v1/audit/events?entity_type=user")).await;
    let reset = events.body["items"].as_array().unwrap().iter().find(|e| e["action"] == "mfa.reset").cloned();
    assert!(reset.is_some(), "{:?}", events.body);
}
