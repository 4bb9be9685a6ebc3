//! People for tests: active users of an org, with or without a built-in role at a scope,
//! inserted the way an operator's data would look; the actor a request of theirs carries,
//! and that request's meta. The server's HTTP tests use this file too (`#[path]` in
//! `server/tests/it/support`), so it names nothing of this test crate.

use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::entities::{org, role, user};
use app::services::actor::system_actor;
use app::services::identity::auth::{self, SessionUser};
use app::services::{access, infra::db, Actor, ActorKind, RequestMeta};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use std::sync::Arc;

/// The meta of a test's requests: a documentation address (RFC 5737) and request id `test`.
pub fn meta() -> RequestMeta {
    RequestMeta { ip: Some("192.0.2.10".into()), request_id: Some("test".into()) }
}

/// An active user of `org` holding no role: `<name in lower case>@<org slug>.example.com`,
/// displayed as `name`, without a password, in `team` when given.
pub async fn member(db: &DatabaseConnection, org: &org::Model, name: &str, team: Option<&str>) -> user::Model {
    let email = format!("{}@{}.example.com", name.to_lowercase(), org.slug);
    insert_user(db, org, &email, name, None, team).await
}

/// A `member` (in no team) holding the built-in `role` at `scope`.
pub async fn member_with_role(
    db: &DatabaseConnection,
    org: &org::Model,
    name: &str,
    role: BuiltInRole,
    scope: ScopeRef,
) -> user::Model {
    let u = member(db, org, name, None).await;
    grant(db, org, &u, role, scope).await;
    u
}

/// Gives `u` the built-in `role` at `scope` the way an operator would (no actor checks).
pub async fn grant(db: &DatabaseConnection, org: &org::Model, u: &user::Model, role: BuiltInRole, scope: ScopeRef) {
    let r = role::Entity::find_by_id(role.id()).one(db).await.unwrap().unwrap();
    let tx = db::begin_write(db).await.unwrap();
    access::assignments::insert_assignment(&tx, &org.id, &u.id, &r, &scope, &system_actor(), &RequestMeta::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

/// An active user of `org`, without a password unless `password_hash` is given, holding the
/// built-in `role` at `scope`.
pub async fn person(
    db: &DatabaseConnection,
    org: &org::Model,
    email: &str,
    display_name: &str,
    password_hash: Option<String>,
    role: BuiltInRole,
    scope: ScopeRef,
) -> user::Model {
    let u = insert_user(db, org, email, display_name, password_hash, None).await;
    grant(db, org, &u, role, scope).await;
    u
}

/// The actor of `u` with their grants (and the org's stores) as of now, built directly
/// (no session), with `meta()`.
pub async fn user_actor(db: &DatabaseConnection, org: &org::Model, u: &user::Model) -> Actor {
    Actor {
        org_id: org.id.clone(),
        org_slug: org.slug.clone(),
        kind: ActorKind::User,
        id: u.id.clone(),
        label: u.email.clone(),
        access: Arc::new(access::user_access(db, &org.id, &u.id).await.unwrap()),
        agent: None,
        meta: meta(),
    }
}

/// The actor of a session of `u` signed in just now, built by `auth::session_actor` the way
/// every request builds it (the path pages use), with `meta()`.
pub async fn session_actor(db: &DatabaseConnection, u: &user::Model) -> Actor {
    let su = SessionUser { user_id: u.id.clone(), org_id: u.org_id.clone(), login_at: db::now().timestamp() };
    auth::session_actor(db, &su, chrono::Duration::hours(24), &meta()).await.unwrap().expect("an active session").0
}

async fn insert_user(
    db: &DatabaseConnection,
    org: &org::Model,
    email: &str,
    display_name: &str,
    password_hash: Option<String>,
    team: Option<&str>,
) -> user::Model {
    let at = db::now();
    user::ActiveModel {
        id: Set(db::new_id()),
        org_id: Set(org.id.clone()),
        email: Set(email.to_string()),
        username: Set(None),
        display_name: Set(display_name.to_string()),
        password_hash: Set(password_hash),
        status: Set(user::STATUS_ACTIVE.to_string()),
        auth_provider: Set("direct".into()),
        mfa_enabled: Set(false),
        mfa_secret_enc: Set(None),
        last_login_at: Set(None),
        team_id: Set(team.map(str::to_string)),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap()
}
