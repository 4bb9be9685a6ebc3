//! API keys: creation (the secret is returned once and only its SHA-256 is stored) and
//! bearer authentication for the REST API.

use super::audit::{self, NewEvent};
use super::db::{begin_write, db_err, new_id, now};
use super::{Actor, ActorKind, RequestMeta};
use crate::domain::audit::AuditActor;
use crate::domain::permission::BuiltInRole;
use crate::domain::AppError;
use crate::entities::{api_key, org};
use chrono::Duration;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Every key starts with this, so leaked keys are easy to recognise and scan for.
pub const KEY_PREFIX: &str = "mdt_";
/// How much of the key is stored and shown to identify it.
const VISIBLE_LEN: usize = 12;
/// `last_used_at` is written at most this often per key, not on every request.
const LAST_USED_RESOLUTION_SECS: i64 = 60;

pub fn hash_key(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

fn generate_secret() -> String {
    use rand::distributions::Alphanumeric;
    use rand::Rng;
    let body: String = rand::thread_rng().sample_iter(&Alphanumeric).take(40).map(char::from).collect();
    format!("{KEY_PREFIX}{body}")
}

/// A newly created key; `secret` exists only here.
#[derive(Clone, Debug)]
pub struct CreatedKey {
    pub key: api_key::Model,
    pub secret: String,
}

/// Creates a management key acting as `role` in `org` (operator path: CLI).
pub async fn create_management_key(
    db: &DatabaseConnection,
    org: &org::Model,
    name: &str,
    role: BuiltInRole,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedKey, AppError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(AppError::invalid_fields(vec![crate::domain::FieldError {
            field: "name".into(),
            message: "Give the key a name of 1 to 200 characters, such as the integration that uses it.".into(),
        }]));
    }
    let secret = generate_secret();
    let tx = begin_write(db).await?;
    let key = api_key::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org.id.clone()),
        name: Set(name.to_string()),
        prefix: Set(secret[..VISIBLE_LEN].to_string()),
        key_hash: Set(hash_key(&secret)),
        kind: Set("management".to_string()),
        role: Set(Some(role.name().to_string())),
        store_id: Set(None),
        assistant_id: Set(None),
        created_by: Set(by.id.clone()),
        created_at: Set(now()),
        last_used_at: Set(None),
        expires_at: Set(None),
        revoked_at: Set(None),
        role_id: Set(Some(role.id().to_string())),
        scope_type: Set(Some("org".to_string())),
        scope_id: Set(Some(org.id.clone())),
    }
    .insert(&tx)
    .await
    .map_err(db_err)?;
    audit::append(
        &tx,
        &org.id,
        by,
        meta,
        NewEvent::new("api_key.created", "api_key", Some(&key.id)).after(json!({
            "id": key.id, "name": key.name, "prefix": key.prefix, "kind": key.kind, "role": key.role,
        })),
    )
    .await?;
    tx.commit().await.map_err(db_err)?;
    Ok(CreatedKey { key, secret })
}

/// Resolves a bearer secret to the acting key. Unknown, revoked and expired keys all answer
/// the same UNAUTHENTICATED.
pub async fn authenticate(db: &DatabaseConnection, secret: &str, meta: &RequestMeta) -> Result<(Actor, api_key::Model), AppError> {
    let invalid = || AppError::unauthenticated_with("The API key is missing, wrong, expired or revoked.");
    if !secret.starts_with(KEY_PREFIX) {
        return Err(invalid());
    }
    let key = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(secret)))
        .one(db)
        .await
        .map_err(db_err)?
        .ok_or_else(invalid)?;
    let at = now();
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|e| e <= at) {
        return Err(invalid());
    }
    let org = org::Entity::find_by_id(key.org_id.clone()).one(db).await.map_err(db_err)?.ok_or_else(invalid)?;
    if key.last_used_at.is_none_or(|t| at - t > Duration::seconds(LAST_USED_RESOLUTION_SECS)) {
        let mut am: api_key::ActiveModel = key.clone().into();
        am.last_used_at = Set(Some(at));
        // Best effort: a busy database must not fail the request being authenticated.
        if let Err(e) = am.update(db).await {
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
    let actor = Actor {
        org_id: org.id,
        org_slug: org.slug,
        kind: ActorKind::ApiKey,
        id: key.id.clone(),
        label: key.name.clone(),
        access: std::sync::Arc::new(super::access::key_access(db, &key).await?),
        meta: meta.clone(),
    };
    Ok((actor, key))
}
