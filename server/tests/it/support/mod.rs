//! Test support for HTTP-level tests: the real server on port 0 over a fresh SQLite file,
//! and two organisations, each with one user and one management key per built-in role.
//! Orgs and people are made by the service tests' `orgs` and `people` (shared files, so both
//! test crates make them one way).

#![allow(dead_code)]

#[path = "../../../../app/tests/it/common/desk.rs"]
pub mod desk;
#[path = "../../../../app/tests/it/common/oidc_provider.rs"]
pub mod oidc_provider;
#[path = "../../../../app/tests/it/common/orgs.rs"]
pub mod orgs;
#[path = "../../../../app/tests/it/common/people.rs"]
pub mod people;

use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::entities::{org, user};
use app::services::actor::system_actor;
use app::services::{access::api_keys, identity::passwords, infra::db, RequestMeta};
use sea_orm::DatabaseConnection;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

pub use orgs::PASSWORD;

pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

/// Which organisation a request is built in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    A,
    B,
}

/// A request to send.
#[derive(Clone, Debug)]
pub struct Req {
    pub method: reqwest::Method,
    pub path: String,
    pub json: Option<Value>,
    pub form: Option<Vec<(String, String)>>,
}

impl Req {
    pub fn get(path: impl Into<String>) -> Req {
        Req { method: reqwest::Method::GET, path: path.into(), json: None, form: None }
    }
    pub fn delete(path: impl Into<String>) -> Req {
        Req { method: reqwest::Method::DELETE, path: path.into(), json: None, form: None }
    }
    pub fn json(method: &str, path: impl Into<String>, body: Value) -> Req {
        Req { method: method.parse().unwrap(), path: path.into(), json: Some(body), form: None }
    }
    pub fn form(path: impl Into<String>, fields: &[(&str, &str)]) -> Req {
        Req {
            method: reqwest::Method::POST,
            path: path.into(),
            json: None,
            form: Some(fields.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()),
        }
    }
}

/// A response: status and body (JSON when it is JSON, else a string).
#[derive(Debug)]
pub struct Res {
    pub status: u16,
    pub body: Value,
}

impl Res {
    pub fn code(&self) -> Option<&str> {
        self.body.get("code").and_then(|c| c.as_str())
    }
}

/// A signed-in person: their own cookie jar.
pub struct Login {
    pub user: user::Model,
    pub client: reqwest::Client,
}

pub struct Org {
    pub org: org::Model,
    pub owner: user::Model,
    /// Built-in role name → a management key with that role at org scope.
    pub keys: HashMap<&'static str, String>,
    /// Built-in role name → a signed-in user holding that role at org scope.
    pub users: HashMap<&'static str, Login>,
    /// A store of the org (sandbox, EUR, no team), created through `services::stores`.
    pub store_id: String,
    /// An assistant of that store with the store's default allowed actions.
    pub assistant_id: String,
}

pub struct Fixture {
    pub base: String,
    pub db: DatabaseConnection,
    pub org_a: Org,
    pub org_b: Org,
    /// The database's URL, for a second server on it.
    pub db_url: String,
    _dir: tempfile::TempDir,
}

impl Fixture {
    pub async fn start() -> Arc<Fixture> {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}/t.db?mode=rwc", dir.path().display());
        let base = serve(&url, dir.path(), None).await;
        let db = db::connect(&url).await.unwrap();
        let org_a = fixture_org(&db, &base, "Org A", "org-a").await;
        let org_b = fixture_org(&db, &base, "Org B", "org-b").await;
        Arc::new(Fixture { base, db, org_a, org_b, db_url: url, _dir: dir })
    }

    /// Another server on the same database and data directory (so the same secret key),
    /// published under the first one's URL, as behind one load balancer. Returns its own
    /// address.
    pub async fn second_server(&self) -> String {
        serve(&self.db_url, self._dir.path(), Some(&self.base)).await
    }

    pub fn org(&self, side: Side) -> &Org {
        match side {
            Side::A => &self.org_a,
            Side::B => &self.org_b,
        }
    }

    /// The org's fixture store.
    pub fn store_id(&self, side: Side) -> &str {
        &self.org(side).store_id
    }

    /// The fixture store's assistant.
    pub fn assistant_id(&self, side: Side) -> &str {
        &self.org(side).assistant_id
    }

    fn request(&self, client: &reqwest::Client, req: &Req) -> reqwest::RequestBuilder {
        let mut b =
            client.request(req.method.clone(), format!("{}{}", self.base, req.path)).header("origin", &self.base);
        if let Some(json) = &req.json {
            b = b.json(json);
        }
        if let Some(form) = &req.form {
            b = b.form(form);
        }
        b
    }

    async fn send(&self, b: reqwest::RequestBuilder) -> Res {
        let res = b.send().await.unwrap();
        let status = res.status().as_u16();
        let text = res.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
        Res { status, body }
    }

    pub async fn call_with_key(&self, key: &str, req: &Req) -> Res {
        let client = reqwest::Client::new();
        self.send(self.request(&client, req).bearer_auth(key)).await
    }

    pub async fn call_as_user(&self, login: &Login, req: &Req) -> Res {
        self.send(self.request(&login.client, req)).await
    }

    pub async fn call_anonymous(&self, req: &Req) -> Res {
        let client = reqwest::Client::new();
        self.send(self.request(&client, req)).await
    }
}

/// Starts a server on `url` with `dir` as its data directory and site root.
async fn serve(url: &str, dir: &std::path::Path, public_url: Option<&str>) -> String {
    let dir = dir.display().to_string();
    let mut args = vec![
        "mandate",
        "--addr",
        "127.0.0.1:0",
        "--database-url",
        url,
        "--data-dir",
        &dir,
        "--site-root",
        &dir,
        "--log",
        "warn",
    ];
    if let Some(public) = public_url {
        args.extend(["--public-url", public]);
    }
    let cli = <server::cli::Cli as clap::Parser>::try_parse_from(args).unwrap();
    let app = server::startup::Application::build(cli.config).await.unwrap();
    let base = format!("http://{}", app.addr());
    tokio::spawn(app.run_until_stopped());
    base
}

/// Creates an active user with a password and a built-in role at org scope.
pub async fn add_user(db: &DatabaseConnection, org: &org::Model, email: &str, role: BuiltInRole) -> user::Model {
    let hash = passwords::hash_password(PASSWORD.into()).await.unwrap();
    people::person(db, org, email, &format!("{} user", role.name()), Some(hash), role, ScopeRef::Org).await
}

/// Signs `email` in through the real sign-in server function; the client keeps the cookie.
pub async fn sign_in(base: &str, email: &str, org_slug: &str) -> reqwest::Client {
    let client =
        reqwest::Client::builder().cookie_store(true).redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let res = client
        .post(format!("{base}/api/login"))
        .header("origin", base)
        .form(&[("email", email), ("password", PASSWORD), ("org", org_slug)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success() || res.status().is_redirection(), "sign-in of {email} failed: {}", res.status());
    client
}

/// An org made by `orgs::make_org_named` with a key and a signed-in user per built-in role, a
/// store and its assistant.
async fn fixture_org(db: &DatabaseConnection, base: &str, name: &str, slug: &str) -> Org {
    let (org, owner) = orgs::make_org_named(db, name, slug).await;
    let mut keys = HashMap::new();
    let mut users = HashMap::new();
    for role in BuiltInRole::ALL {
        let key = api_keys::create_management_key(
            db,
            &org,
            &format!("{} key", role.name()),
            role,
            &system_actor(),
            &RequestMeta::default(),
        )
        .await
        .unwrap();
        keys.insert(role.name(), key.secret);
        let user = if role == BuiltInRole::Owner {
            owner.clone()
        } else {
            let email = format!("{}@{slug}.example.com", role.id());
            add_user(db, &org, &email, role).await
        };
        let client = sign_in(base, &user.email, slug).await;
        users.insert(role.name(), Login { user, client });
    }
    let (store_id, assistant_id) = make_store(db, &owner).await;
    Org { org, owner, keys, users, store_id, assistant_id }
}

/// A store with one assistant, made by the org's owner through the services.
async fn make_store(db: &DatabaseConnection, owner: &user::Model) -> (String, String) {
    let actor = people::session_actor(db, owner).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let store = app::services::stores::create(
        db,
        &cache,
        &actor,
        app::domain::stores::NewStore { name: "Main store".into(), currency: "EUR".into(), ..Default::default() },
    )
    .await
    .unwrap();
    let assistant = app::services::stores::assistants::create(
        db,
        &cache,
        &actor,
        app::domain::assistants::NewAssistant {
            store_id: store.id.clone(),
            name: "Support assistant".into(),
            ..Default::default()
        },
    )
    .await
    .unwrap();
    (store.id, assistant.id)
}

/// None when the response matches the expectation, else what is wrong. "Allowed" means
/// authorization passed: the call may still fail validation (422) or find nothing (404).
pub fn check_access(res: &Res, should_allow: bool) -> Option<String> {
    let denied = res.status == 403 && res.code() == Some("PERMISSION_DENIED");
    if should_allow {
        (denied || res.status == 401 || res.status >= 500)
            .then(|| format!("expected allowed, got {} {:?}", res.status, res.body))
    } else {
        (!denied).then(|| format!("expected 403 PERMISSION_DENIED, got {} {:?}", res.status, res.body))
    }
}

/// Every server function path registered in the binary.
pub fn server_fn_paths() -> BTreeSet<String> {
    leptos::server_fn::axum::server_fn_paths().map(|(path, _)| path.to_string()).collect()
}

impl Fixture {
    /// The org's owner as a service-level actor, to create rows a request will address.
    pub async fn owner_actor(&self, side: Side) -> app::services::Actor {
        people::session_actor(&self.db, &self.org(side).owner).await
    }
}

/// A name no other test row uses.
pub fn unique(prefix: &str) -> String {
    format!("{prefix} {}", uuid::Uuid::new_v4().simple())
}
