//! People for service tests: an active user holding a built-in role at a scope, inserted the
//! way an operator's data would look, and the actor a request of theirs carries.

use app::domain::access::ScopeRef;
use app::domain::permission::BuiltInRole;
use app::entities::{org, role, user};
use app::services::actor::system_actor;
use app::services::{access, infra::db, Actor, ActorKind, RequestMeta};
use sea_orm::{ActiveModelTrait, DatabaseConnection, EntityTrait, Set};
use std::sync::Arc;

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
    let at = db::now();
    let u = user::ActiveModel {
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
        team_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(db)
    .await
    .unwrap();
    let r = role::Entity::find_by_id(role.id()).one(db).await.unwrap().unwrap();
    let tx = db::begin_write(db).await.unwrap();
    access::assignments::insert_assignment(&tx, &org.id, &u.id, &r, &scope, &system_actor(), &RequestMeta::default())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    u
}

/// The actor of `u` with their grants (and the org's stores) as of now, from a request `meta`.
pub async fn user_actor(db: &DatabaseConnection, org: &org::Model, u: &user::Model, meta: RequestMeta) -> Actor {
    Actor {
        org_id: org.id.clone(),
        org_slug: org.slug.clone(),
        kind: ActorKind::User,
        id: u.id.clone(),
        label: u.email.clone(),
        access: Arc::new(access::user_access(db, &org.id, &u.id).await.unwrap()),
        agent: None,
        meta,
    }
}
