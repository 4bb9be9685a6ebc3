//! HTTP tests: the real server on port 0 over a fresh SQLite file per test, driven with
//! reqwest. Health, security headers and request ids, the REST API's key authentication and
//! problem+json errors, the cross-site (CSRF) refusal, the page guard, set-up, sign-in and
//! sign-out, and what happens to sessions.

use crate::support::orgs::{make_org_named, PASSWORD};
use app::domain::permission::BuiltInRole;
use app::entities::{audit_event, org, user};
use app::services::actor::system_actor;
use app::services::{access::api_keys, infra::db, RequestMeta};
use reqwest::header::{HeaderMap, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set};
use serde_json::Value;

const SETUP_TOKEN: &str = "test-setup-token";
const SESSION_COOKIE: &str = "mandate_session";
const EVIL_ORIGIN: &str = "http://evil.example";

// ---------------------------------------------------------------------------------------
// A server of our own

struct TestServer {
    /// `http://127.0.0.1:<port>`: also the Origin the server accepts.
    base: String,
    /// A second connection to the server's database, for arranging and checking rows.
    db: DatabaseConnection,
    /// No cookie store and no redirects followed: each test handles both itself.
    http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl TestServer {
    /// A new server on a new, empty (not set up) database.
    async fn start() -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().display().to_string();
        let url = format!("sqlite://{path}/t.db?mode=rwc");
        let cli = <server::cli::Cli as clap::Parser>::try_parse_from([
            "mandate",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &url,
            "--data-dir",
            &path,
            "--site-root",
            &path,
            "--setup-token",
            SETUP_TOKEN,
        ])
        .unwrap();
        let app = server::startup::Application::build(cli.config).await.expect("server starts");
        let base = format!("http://{}", app.addr());
        tokio::spawn(app.run_until_stopped());
        // The server migrated the database; this connection sees what it writes.
        let db = db::connect(&url).await.unwrap();
        let http = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
        TestServer { base, db, http, _dir: dir }
    }

    /// A new server with one organisation (slug `acme`) and its Owner, created directly.
    async fn start_set_up() -> (TestServer, org::Model, user::Model) {
        let server = TestServer::start().await;
        let (org, owner) = make_org_named(&server.db, "Acme", "acme").await;
        (server, org, owner)
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str) -> Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// GET as the holder of a session cookie value.
    async fn get_with_session(&self, path: &str, session: &str) -> Response {
        self.http.get(self.url(path)).header(COOKIE, format!("{SESSION_COOKIE}={session}")).send().await.unwrap()
    }

    async fn get_with_key(&self, path: &str, key: &str) -> Response {
        self.http.get(self.url(path)).bearer_auth(key).send().await.unwrap()
    }

    /// A form POST to a server function, from this server's own pages (same Origin).
    async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.http.post(self.url(path)).header("origin", &self.base).form(fields).send().await.unwrap()
    }

    async fn sign_in(&self, email: &str, password: &str) -> Response {
        self.post_form("/api/login", &[("email", email), ("password", password)]).await
    }

    /// Signs in and returns the new session cookie's value.
    async fn signed_in_session(&self, email: &str) -> String {
        let res = self.sign_in(email, PASSWORD).await;
        assert_signed_in(&res);
        session_cookie(res.headers()).expect("sign-in sets the session cookie")
    }

    async fn management_key(&self, org: &org::Model) -> String {
        api_keys::create_management_key(
            &self.db,
            org,
            "HTTP test key",
            BuiltInRole::Owner,
            &system_actor(),
            &RequestMeta::default(),
        )
        .await
        .unwrap()
        .secret
    }

    async fn count_events(&self, org_id: &str, action: &str) -> u64 {
        audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(org_id))
            .filter(audit_event::Column::Action.eq(action))
            .count(&self.db)
            .await
            .unwrap()
    }

    async fn user(&self, id: &str) -> user::Model {
        user::Entity::find_by_id(id.to_string()).one(&self.db).await.unwrap().unwrap()
    }
}

// ---------------------------------------------------------------------------------------
// Reading responses

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_else(|| panic!("missing header {name}: {headers:?}"))
}

/// The Set-Cookie line of the session cookie, if the response sets one.
fn session_set_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{SESSION_COOKIE}=")))
        .map(str::to_string)
}

/// The session cookie's value, if the response sets a (non-empty) one.
fn session_cookie(headers: &HeaderMap) -> Option<String> {
    let line = session_set_cookie(headers)?;
    let value = line.split(';').next()?.split_once('=')?.1.trim().to_string();
    (!value.is_empty()).then_some(value)
}

fn location(res: &Response) -> &str {
    header(res.headers(), LOCATION.as_str())
}

fn assert_redirect(res: &Response, to: &str) {
    assert!(res.status().is_redirection(), "expected a redirect to {to}, got {} {:?}", res.status(), res.headers());
    assert_eq!(location(res), to);
}

/// A server function that signed someone in sends them to the overview and sets the session
/// cookie. (Leptos answers a redirecting server function with 200 + `serverfnredirect` and
/// `Location`, or with a 3xx for a plain browser form.)
fn assert_signed_in(res: &Response) {
    assert_server_fn_redirect(res, "/");
    assert!(session_cookie(res.headers()).is_some(), "no session cookie: {:?}", res.headers());
}

fn assert_server_fn_redirect(res: &Response, to: &str) {
    assert!(
        res.status().is_redirection() || res.status().is_success(),
        "server function failed: {} {:?}",
        res.status(),
        res.headers()
    );
    assert_eq!(location(res), to, "{:?}", res.headers());
}

/// Status, headers and parsed JSON body.
async fn json(res: Response) -> (StatusCode, HeaderMap, Value) {
    let status = res.status();
    let headers = res.headers().clone();
    let text = res.text().await.unwrap();
    let body = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, headers, body)
}

/// Checks an RFC 9457 problem response: status, content type, code, and a request id that
/// matches the response header.
async fn assert_problem(res: Response, status: u16, code: &str) -> Value {
    let (got, headers, body) = json(res).await;
    assert_eq!(got.as_u16(), status, "{body}");
    assert_eq!(header(&headers, CONTENT_TYPE.as_str()), "application/problem+json");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], header(&headers, "x-request-id"), "the body quotes the request id");
    body
}

fn assert_security_headers(what: &str, headers: &HeaderMap) {
    let request_id = header(headers, "x-request-id");
    assert!(!request_id.is_empty(), "{what}: empty request id");
    let csp = header(headers, "content-security-policy");
    assert!(csp.contains("frame-ancestors 'none'"), "{what}: CSP {csp}");
    assert_eq!(header(headers, "x-content-type-options"), "nosniff", "{what}");
    assert!(!header(headers, "referrer-policy").is_empty(), "{what}");
}

/// The nonce of a page's CSP `script-src`.
fn csp_nonce(headers: &HeaderMap) -> String {
    let csp = header(headers, "content-security-policy");
    let prefix = "script-src 'self' 'wasm-unsafe-eval' 'nonce-";
    let start = csp.find(prefix).unwrap_or_else(|| panic!("no nonce in page CSP: {csp}")) + prefix.len();
    let rest = &csp[start..];
    rest[..rest.find('\'').expect("nonce is quoted")].to_string()
}

/// Checks that an HTML page's CSP allows exactly the nonce its inline script carries.
async fn assert_page_nonce_matches(res: Response) -> String {
    assert_eq!(res.status(), StatusCode::OK);
    assert!(header(res.headers(), CONTENT_TYPE.as_str()).starts_with("text/html"));
    let nonce = csp_nonce(res.headers());
    assert!(nonce.len() >= 16, "nonce too short: {nonce}");
    let html = res.text().await.unwrap();
    assert!(html.contains(&format!("<script nonce=\"{nonce}\"")), "no <script nonce=\"{nonce}\"> in the page:\n{html}");
    nonce
}

// ---------------------------------------------------------------------------------------
// Health, headers, request ids

#[tokio::test]
async fn health_and_readiness_answer_json() {
    let server = TestServer::start().await;
    let (status, headers, body) = json(server.get("/healthz").await).await;
    assert_eq!(status, StatusCode::OK);
    assert!(header(&headers, CONTENT_TYPE.as_str()).starts_with("application/json"));
    assert_eq!(body["status"], "ok");
    let (status, _, body) = json(server.get("/readyz").await).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ready");
}

#[tokio::test]
async fn every_response_has_request_id_and_security_headers() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    let session = server.signed_in_session("owner@acme.example.com").await;
    let responses = [
        ("healthz", server.get("/healthz").await),
        ("readyz", server.get("/readyz").await),
        ("page redirect", server.get("/").await),
        ("login page", server.get("/login").await),
        ("signed-in page", server.get_with_session("/", &session).await),
        ("missing asset", server.get("/pkg/mandate.js").await),
        ("api 401", server.get("/api/v1/me").await),
        ("api 200", server.get_with_key("/api/v1/me", &key).await),
        ("api 404", server.get_with_key("/api/v1/nope", &key).await),
        (
            "cross-site refusal",
            server.http.post(server.url("/api/logout")).header("origin", EVIL_ORIGIN).send().await.unwrap(),
        ),
        ("server fn error", server.sign_in("owner@acme.example.com", "wrong password guess").await),
    ];
    for (what, res) in &responses {
        assert_security_headers(what, res.headers());
    }
}

#[tokio::test]
async fn a_sane_request_id_is_echoed_and_others_replaced() {
    let server = TestServer::start().await;
    let res = server.http.get(server.url("/healthz")).header("x-request-id", "trace-abc_123.4").send().await.unwrap();
    assert_eq!(header(res.headers(), "x-request-id"), "trace-abc_123.4");

    let res = server.http.get(server.url("/api/v1/me")).header("x-request-id", "my-trace-7").send().await.unwrap();
    let body = assert_problem(res, 401, "UNAUTHENTICATED").await;
    assert_eq!(body["request_id"], "my-trace-7", "errors quote the caller's id");

    for unusable in ["has spaces in it", &"x".repeat(65)] {
        let res = server.http.get(server.url("/healthz")).header("x-request-id", unusable).send().await.unwrap();
        let id = header(res.headers(), "x-request-id");
        assert_ne!(id, unusable);
        assert!(!id.is_empty());
    }
    let a = server.get("/healthz").await;
    let b = server.get("/healthz").await;
    assert_ne!(header(a.headers(), "x-request-id"), header(b.headers(), "x-request-id"), "a new id per request");
}

#[tokio::test]
async fn setup_page_csp_nonce_matches_its_inline_script() {
    let server = TestServer::start().await;
    let first = assert_page_nonce_matches(server.get("/setup").await).await;
    let second = assert_page_nonce_matches(server.get("/setup").await).await;
    assert_ne!(first, second, "a fresh nonce per page");
}

#[tokio::test]
async fn signed_in_page_csp_nonce_matches_its_inline_script() {
    let (server, _, _) = TestServer::start_set_up().await;
    let session = server.signed_in_session("owner@acme.example.com").await;
    assert_page_nonce_matches(server.get_with_session("/", &session).await).await;
}

// ---------------------------------------------------------------------------------------
// REST API: keys, tenants, problems

#[tokio::test]
async fn api_without_a_key_is_401_problem() {
    let server = TestServer::start().await;
    let res = server.get("/api/v1/me").await;
    assert_eq!(header(res.headers(), "www-authenticate"), "Bearer");
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn api_with_a_wrong_key_is_401_problem() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    let mut wrong = key.clone();
    wrong.pop();
    wrong.push(if key.ends_with('x') { 'y' } else { 'x' });
    assert_problem(server.get_with_key("/api/v1/me", &wrong).await, 401, "UNAUTHENTICATED").await;
    assert_problem(server.get_with_key("/api/v1/me", "mdt_not-a-real-key").await, 401, "UNAUTHENTICATED").await;
    let res =
        server.http.get(server.url("/api/v1/me")).header("authorization", format!("Basic {key}")).send().await.unwrap();
    assert_problem(res, 401, "UNAUTHENTICATED").await;
}

#[tokio::test]
async fn api_with_a_valid_key_says_who_it_is() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    let (status, _, body) = json(server.get_with_key("/api/v1/me", &key).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["org"]["slug"], "acme");
    assert_eq!(body["org"]["id"], org.id.as_str());
    assert_eq!(body["role"], "Owner");
    assert_eq!(body["kind"], "management");
    assert!(key.starts_with(body["key"]["prefix"].as_str().unwrap()));
    assert!(!body.to_string().contains(&key), "the secret is never echoed");
}

#[tokio::test]
async fn tenant_header_must_name_the_keys_org() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    let with_tenant =
        |tenant: &str| server.http.get(server.url("/api/v1/me")).bearer_auth(&key).header("x-tenant-id", tenant).send();
    assert_eq!(with_tenant("acme").await.unwrap().status(), StatusCode::OK);
    assert_eq!(with_tenant(&org.id).await.unwrap().status(), StatusCode::OK);
    assert_problem(with_tenant("other-org").await.unwrap(), 403, "TENANT_MISMATCH").await;
}

#[tokio::test]
async fn unknown_api_route_is_404_problem() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    assert_problem(server.get_with_key("/api/v1/nope", &key).await, 404, "NOT_FOUND").await;
    assert_problem(server.get("/api/v1/nope").await, 404, "NOT_FOUND").await;
}

#[tokio::test]
async fn audit_verify_reports_an_intact_chain() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    let events = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(org.id.as_str()))
        .count(&server.db)
        .await
        .unwrap();
    let (status, _, body) = json(server.get_with_key("/api/v1/audit/verify", &key).await).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["ok"], true, "{body}");
    assert_eq!(body["events"], events);
    assert!(body.get("first_broken").is_none(), "{body}");
}

// ---------------------------------------------------------------------------------------
// Cross-site requests (CSRF)

#[tokio::test]
async fn cross_site_login_is_refused_and_same_origin_login_works() {
    let (server, org, owner) = TestServer::start_set_up().await;
    let credentials = [("email", "owner@acme.example.com"), ("password", PASSWORD)];

    let res = server
        .http
        .post(server.url("/api/login"))
        .header("origin", EVIL_ORIGIN)
        .form(&credentials)
        .send()
        .await
        .unwrap();
    assert_eq!(session_set_cookie(res.headers()), None, "a refused request sets no cookie");
    let body = assert_problem(res, 403, "PERMISSION_DENIED").await;
    assert!(body["detail"].as_str().unwrap().contains("Cross-site"), "{body}");
    assert_eq!(server.user(&owner.id).await.last_login_at, None, "the server function never ran");
    assert_eq!(server.count_events(&org.id, "auth.login").await, 0);

    // The very same request from the server's own origin signs in.
    let res = server
        .http
        .post(server.url("/api/login"))
        .header("origin", &server.base)
        .form(&credentials)
        .send()
        .await
        .unwrap();
    assert_signed_in(&res);
    assert!(server.user(&owner.id).await.last_login_at.is_some());
    assert_eq!(server.count_events(&org.id, "auth.login").await, 1);
}

#[tokio::test]
async fn cross_site_fetch_metadata_or_referer_is_refused() {
    let (server, org, _) = TestServer::start_set_up().await;
    let credentials = [("email", "owner@acme.example.com"), ("password", PASSWORD)];
    let attempts = [
        server.http.post(server.url("/api/login")).header("sec-fetch-site", "cross-site").form(&credentials),
        server.http.post(server.url("/api/login")).header("referer", "http://evil.example/form").form(&credentials),
        server.http.post(server.url("/api/login")).header("origin", "null").form(&credentials),
    ];
    for attempt in attempts {
        let res = attempt.send().await.unwrap();
        assert_eq!(session_set_cookie(res.headers()), None);
        assert_problem(res, 403, "PERMISSION_DENIED").await;
    }
    assert_eq!(server.count_events(&org.id, "auth.login").await, 0);
}

#[tokio::test]
async fn rest_api_is_not_subject_to_the_origin_check() {
    let (server, org, _) = TestServer::start_set_up().await;
    let key = server.management_key(&org).await;
    // Bearer keys are not sent by browsers on their own: /api/v1 answers on its merits.
    let res =
        server.http.get(server.url("/api/v1/me")).bearer_auth(&key).header("origin", EVIL_ORIGIN).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = server
        .http
        .post(server.url("/api/v1/nope"))
        .bearer_auth(&key)
        .header("origin", EVIL_ORIGIN)
        .send()
        .await
        .unwrap();
    assert_problem(res, 404, "NOT_FOUND").await;
}

// ---------------------------------------------------------------------------------------
// Page guard, set-up, sign-in, sign-out

#[tokio::test]
async fn before_setup_pages_redirect_to_setup() {
    let server = TestServer::start().await;
    assert_redirect(&server.get("/").await, "/setup");
    assert_redirect(&server.get("/login").await, "/setup");
    assert_redirect(&server.get("/org/users").await, "/setup");
    assert_eq!(server.get("/setup").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn signed_out_pages_redirect_to_login() {
    let (server, _, _) = TestServer::start_set_up().await;
    assert_redirect(&server.get("/").await, "/login");
    assert_redirect(&server.get("/org/users").await, "/login?next=/org/users");
    assert_redirect(&server.get("/setup").await, "/login");
    assert_eq!(server.get("/login").await.status(), StatusCode::OK);
    // A made-up session cookie is no session.
    assert_redirect(&server.get_with_session("/", "not-a-session-id").await, "/login");
}

#[tokio::test]
async fn setup_with_wrong_token_is_refused_on_the_token_field() {
    let server = TestServer::start().await;
    let res = server.post_form("/api/setup", &setup_form("not-the-token")).await;
    assert_eq!(session_set_cookie(res.headers()), None);
    let (status, _, body) = json(res).await;
    assert_eq!(status.as_u16(), 422, "{body}");
    assert_eq!(body["code"], "VALIDATION_ERROR");
    assert!(body["fields"].as_array().unwrap().iter().any(|f| f["field"] == "token"), "{body}");
    assert_eq!(org::Entity::find().count(&server.db).await.unwrap(), 0);
    assert_redirect(&server.get("/").await, "/setup");
}

fn setup_form(token: &str) -> Vec<(&str, &str)> {
    vec![
        ("token", token),
        ("org_name", "Acme Store"),
        ("display_name", "Olive Owner"),
        ("email", "olive@acme.example.com"),
        ("password", PASSWORD),
        ("password_confirm", PASSWORD),
    ]
}

#[tokio::test]
async fn setup_signs_the_owner_in_and_then_pages_render() {
    let server = TestServer::start().await;
    let res = server.post_form("/api/setup", &setup_form(SETUP_TOKEN)).await;
    assert_signed_in(&res);
    let session = session_cookie(res.headers()).unwrap();

    let org = org::Entity::find().one(&server.db).await.unwrap().expect("set-up created the org");
    assert_eq!(org.name, "Acme Store");

    let page = server.get_with_session("/", &session).await;
    assert_eq!(page.status(), StatusCode::OK);
    assert!(header(page.headers(), CONTENT_TYPE.as_str()).starts_with("text/html"));
    assert_redirect(&server.get_with_session("/setup", &session).await, "/");
    assert_redirect(&server.get_with_session("/login", &session).await, "/");

    // Set-up happens once.
    let again = server.post_form("/api/setup", &setup_form(SETUP_TOKEN)).await;
    let (status, _, body) = json(again).await;
    assert_eq!(status.as_u16(), 409, "{body}");
    assert_eq!(body["code"], "CONFLICT");
    assert_eq!(org::Entity::find().count(&server.db).await.unwrap(), 1);
}

#[tokio::test]
async fn session_cookie_is_http_only_and_same_site_lax() {
    let (server, _, _) = TestServer::start_set_up().await;
    let res = server.sign_in("owner@acme.example.com", PASSWORD).await;
    assert_signed_in(&res);
    let cookie = session_set_cookie(res.headers()).unwrap();
    let attributes: Vec<String> = cookie.split(';').skip(1).map(|a| a.trim().to_ascii_lowercase()).collect();
    assert!(attributes.iter().any(|a| a == "httponly"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "samesite=lax"), "{cookie}");
    assert!(attributes.iter().any(|a| a == "path=/"), "{cookie}");
}

#[tokio::test]
async fn login_with_wrong_password_gives_generic_message() {
    let (server, _, _) = TestServer::start_set_up().await;
    for email in ["owner@acme.example.com", "nobody@acme.example.com"] {
        let res = server.sign_in(email, "wrong password guess").await;
        assert_eq!(session_set_cookie(res.headers()), None);
        let request_id = header(res.headers(), "x-request-id").to_string();
        let (status, _, body) = json(res).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        assert_eq!(body["code"], "UNAUTHENTICATED");
        assert_eq!(body["message"], app::services::identity::auth::WRONG_CREDENTIALS);
        assert_eq!(body["request_id"], request_id.as_str());
    }
}

#[tokio::test]
async fn login_replaces_an_existing_session_id() {
    let (server, _, _) = TestServer::start_set_up().await;
    let first = server.signed_in_session("owner@acme.example.com").await;
    // Sign in again while holding the first session: the id must change.
    let res = server
        .http
        .post(server.url("/api/login"))
        .header("origin", &server.base)
        .header(COOKIE, format!("{SESSION_COOKIE}={first}"))
        .form(&[("email", "owner@acme.example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_signed_in(&res);
    let second = session_cookie(res.headers()).unwrap();
    assert_ne!(first, second, "sign-in cycles the session id");
    assert_eq!(server.get_with_session("/", &second).await.status(), StatusCode::OK);
    assert_redirect(&server.get_with_session("/", &first).await, "/login");

    // A planted (attacker-chosen) id is never adopted either.
    let res = server
        .http
        .post(server.url("/api/login"))
        .header("origin", &server.base)
        .header(COOKIE, format!("{SESSION_COOKIE}=planted-by-an-attacker"))
        .form(&[("email", "owner@acme.example.com"), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert_signed_in(&res);
    assert_ne!(session_cookie(res.headers()).unwrap(), "planted-by-an-attacker");
}

#[tokio::test]
async fn logout_ends_the_session() {
    let (server, org, _) = TestServer::start_set_up().await;
    let session = server.signed_in_session("owner@acme.example.com").await;
    assert_eq!(server.get_with_session("/", &session).await.status(), StatusCode::OK);

    let res = server
        .http
        .post(server.url("/api/logout"))
        .header("origin", &server.base)
        .header(COOKIE, format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .unwrap();
    assert_server_fn_redirect(&res, "/login");
    let cleared = session_set_cookie(res.headers()).expect("logout clears the cookie");
    assert!(cleared.to_ascii_lowercase().contains("max-age=0"), "{cleared}");
    assert_eq!(session_cookie(res.headers()), None);
    assert_redirect(&server.get_with_session("/", &session).await, "/login");
    assert_eq!(server.count_events(&org.id, "auth.logout").await, 1);
}

#[tokio::test]
async fn login_goes_on_to_local_next_paths_only() {
    let (server, _, _) = TestServer::start_set_up().await;
    let cases = [
        ("/org/users", "/org/users"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
    ];
    for (next, expected) in cases {
        let res = server
            .post_form("/api/login", &[("email", "owner@acme.example.com"), ("password", PASSWORD), ("next", next)])
            .await;
        assert_server_fn_redirect(&res, expected);
    }
}

#[tokio::test]
async fn cross_site_logout_is_refused() {
    let (server, _, _) = TestServer::start_set_up().await;
    let session = server.signed_in_session("owner@acme.example.com").await;
    let res = server
        .http
        .post(server.url("/api/logout"))
        .header("origin", EVIL_ORIGIN)
        .header(COOKIE, format!("{SESSION_COOKIE}={session}"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, "PERMISSION_DENIED").await;
    assert_eq!(server.get_with_session("/", &session).await.status(), StatusCode::OK, "still signed in");
}

#[tokio::test]
async fn suspending_a_user_ends_their_session() {
    let (server, _, owner) = TestServer::start_set_up().await;
    let session = server.signed_in_session("owner@acme.example.com").await;
    assert_eq!(server.get_with_session("/", &session).await.status(), StatusCode::OK);

    let mut am: user::ActiveModel = server.user(&owner.id).await.into();
    am.status = Set(user::STATUS_SUSPENDED.to_string());
    am.update(&server.db).await.unwrap();
    assert_redirect(&server.get_with_session("/", &session).await, "/login");

    // The session was ended, not just hidden: reactivating the user does not revive it.
    let mut am: user::ActiveModel = server.user(&owner.id).await.into();
    am.status = Set(user::STATUS_ACTIVE.to_string());
    am.update(&server.db).await.unwrap();
    assert_redirect(&server.get_with_session("/", &session).await, "/login");
}
