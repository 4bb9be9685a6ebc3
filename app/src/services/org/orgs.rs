//! Creating organisations and their first Owner (used by first-run set-up and by
//! `mandate create-admin`), and the org overview.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::audit::AuditActor;
use crate::domain::error::Validator;
use crate::domain::org::{check_display_name, check_email, check_org_name, check_slug, normalize_email, slugify};
use crate::domain::password::check_password;
use crate::domain::permission::BuiltInRole;
use crate::domain::AppError;
use crate::entities::{api_key, audit_event, org, role, user};
use crate::services::access::assignments::insert_assignment;
use crate::services::access::authz::authorize_somewhere;
use crate::services::audit::{self, NewEvent};
use crate::services::identity::passwords::hash_password;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now};
use crate::services::{Actor, RequestMeta};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter, Set,
};
use serde::{Deserialize, Serialize};
use serde_json::json;

/// A new Owner account.
#[derive(Clone, Debug)]
pub struct NewOwner {
    pub email: String,
    pub display_name: String,
    pub password: String,
}

impl NewOwner {
    fn validate(&self, v: &mut Validator) {
        v.add("email", check_email(&self.email))
            .add("display_name", check_display_name(&self.display_name))
            .add("password", check_password(&self.password, &self.email));
    }
}

/// The user's fields that appear in audit events: never the password hash or secrets.
pub fn user_snapshot(u: &user::Model) -> serde_json::Value {
    json!({
        "id": u.id,
        "email": u.email,
        "display_name": u.display_name,
        "status": u.status,
        "auth_provider": u.auth_provider,
        "mfa_enabled": u.mfa_enabled,
    })
}

fn org_snapshot(o: &org::Model) -> serde_json::Value {
    json!({"id": o.id, "name": o.name, "slug": o.slug})
}

pub async fn find_by_slug(db: &DatabaseConnection, slug: &str) -> Result<Option<org::Model>, AppError> {
    org::Entity::find().filter(org::Column::Slug.eq(slug)).one(db).await.map_err(AppError::from)
}

async fn free_slug(db: &DatabaseConnection, base: &str) -> Result<String, AppError> {
    for n in 1..1000 {
        let candidate = if n == 1 { base.to_string() } else { format!("{base}-{n}") };
        if find_by_slug(db, &candidate).await?.is_none() {
            return Ok(candidate);
        }
    }
    Err(AppError::conflict("Could not find a free short name for this organisation."))
}

/// Creates an org, its audit chain and its first Owner in one transaction.
/// `slug`: None derives one from the name (adding -2, -3… when taken).
pub async fn create_org_with_owner(
    db: &DatabaseConnection,
    org_name: &str,
    slug: Option<&str>,
    owner: NewOwner,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<(org::Model, user::Model), AppError> {
    let mut v = Validator::new();
    v.add("org_name", check_org_name(org_name));
    if let Some(slug) = slug {
        v.add("org_slug", check_slug(slug));
    }
    owner.validate(&mut v);
    v.finish()?;
    let slug = match slug {
        Some(s) => {
            if find_by_slug(db, s).await?.is_some() {
                return Err(AppError::conflict(format!("An organisation with the short name \"{s}\" already exists.")));
            }
            s.to_string()
        }
        None => free_slug(db, &slugify(org_name)).await?,
    };
    let password_hash = hash_password(owner.password.clone()).await?;

    let tx = begin_write(db).await?;
    let created = now();
    let org = org::ActiveModel {
        id: Set(new_id()),
        name: Set(org_name.trim().to_string()),
        slug: Set(slug),
        created_at: Set(created),
        require_mfa: Set(false),
        access_version: Set(0),
        address: Set(String::new()),
        contact_email: Set(String::new()),
        contact_phone: Set(String::new()),
        time_zone: Set("UTC".into()),
        default_currency: Set("EUR".into()),
    }
    .insert(&tx)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("An organisation with this short name already exists.")
        } else {
            AppError::from(e)
        }
    })?;
    audit::start_chain(&tx, &org.id).await?;
    audit::append(&tx, &org.id, by, meta, NewEvent::new("org.created", "org", Some(&org.id)).after(org_snapshot(&org)))
        .await?;
    let user = insert_owner(&tx, &org, &owner, password_hash, by, meta).await?;
    tx.commit().await?;
    tracing::info!(org = %org.slug, owner = %user.email, "organisation created");
    Ok((org, user))
}

/// Adds an Owner to an existing org (CLI `create-admin` on an org that exists).
/// Returns the existing user unchanged when the email is already there.
pub async fn ensure_owner(
    db: &DatabaseConnection,
    org: &org::Model,
    owner: NewOwner,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<(user::Model, bool), AppError> {
    let email = normalize_email(&owner.email);
    if let Some(existing) = find_user(db, &org.id, &email).await? {
        return Ok((existing, false));
    }
    let mut v = Validator::new();
    owner.validate(&mut v);
    v.finish()?;
    let password_hash = hash_password(owner.password.clone()).await?;
    let tx = begin_write(db).await?;
    let user = insert_owner(&tx, org, &owner, password_hash, by, meta).await?;
    tx.commit().await?;
    Ok((user, true))
}

async fn find_user(db: &DatabaseConnection, org_id: &str, email: &str) -> Result<Option<user::Model>, AppError> {
    user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(email))
        .one(db)
        .await
        .map_err(AppError::from)
}

async fn insert_owner<C: ConnectionTrait>(
    conn: &C,
    org: &org::Model,
    owner: &NewOwner,
    password_hash: String,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<user::Model, AppError> {
    let at = now();
    let user = user::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org.id.clone()),
        email: Set(normalize_email(&owner.email)),
        username: Set(None),
        display_name: Set(owner.display_name.trim().to_string()),
        password_hash: Set(Some(password_hash)),
        status: Set(user::STATUS_ACTIVE.to_string()),
        auth_provider: Set("direct".to_string()),
        mfa_enabled: Set(false),
        mfa_secret_enc: Set(None),
        last_login_at: Set(None),
        team_id: Set(None),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(conn)
    .await
    .map_err(|e| {
        if is_unique_violation(&e) {
            AppError::conflict("A user with this email already exists in this organisation.")
        } else {
            AppError::from(e)
        }
    })?;
    audit::append(
        conn,
        &org.id,
        by,
        meta,
        NewEvent::new("user.created", "user", Some(&user.id)).after(user_snapshot(&user)),
    )
    .await?;
    let owner = role::Entity::find_by_id(BuiltInRole::Owner.id()).one(conn).await?.ok_or_else(|| {
        tracing::error!("built-in Owner role missing: migrations incomplete");
        AppError::internal()
    })?;
    insert_assignment(conn, &org.id, &user.id, &owner, &ScopeRef::Org, by, meta).await?;
    Ok(user)
}

/// What the overview page shows about an org.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct OrgOverview {
    pub org_name: String,
    pub org_slug: String,
    pub users: u64,
    pub api_keys: u64,
    pub audit_events: u64,
}

pub async fn overview(db: &DatabaseConnection, actor: &Actor) -> Result<OrgOverview, AppError> {
    authorize_somewhere(actor, Need::View)?;
    let org = org::Entity::find_by_id(actor.org_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    let users = user::Entity::find().filter(user::Column::OrgId.eq(actor.org_id.as_str())).count(db).await?;
    let api_keys = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(api_key::Column::RevokedAt.is_null())
        .count(db)
        .await?;
    let audit_events =
        audit_event::Entity::find().filter(audit_event::Column::OrgId.eq(actor.org_id.as_str())).count(db).await?;
    Ok(OrgOverview { org_name: org.name, org_slug: org.slug, users, api_keys, audit_events })
}
