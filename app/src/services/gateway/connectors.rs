//! Webhook connectors: a store's platform webhook and the org's connector (see
//! `executors::webhook` for what is sent). `secrets.manage` at the store (a store's) or at
//! the org (the org's) reads, sets and removes them. The signing secret is write-only: it is
//! kept in the vault (`services::vault`, named after the connector), never returned, and
//! audit events only say whether it was set or replaced.

use crate::domain::access::ScopeRef;
use crate::domain::connectors::{
    check_max_attempts, check_secret, check_timeout_ms, check_url, ConnectorInput, ConnectorView, MAX_ATTEMPTS_DEFAULT,
    TIMEOUT_MS_DEFAULT,
};
use crate::domain::error::Validator;
use crate::domain::permission::Permission;
use crate::domain::secrets::connector_name;
use crate::domain::{AppError, ErrorCode};
use crate::entities::{connector, store};
use crate::services::access::authz::authorize;
use crate::services::access::authz::authorize_at_store;
use crate::services::access::lookup::find_store;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339};
use crate::services::vault;
use crate::services::Actor;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::{json, Value};

/// The scope key of the org's connector (a store's is the store id).
pub const ORG_SCOPE: &str = "org";

/// Which connector: the org's or a store's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ConnectorScope {
    Org,
    Store(String),
}

impl ConnectorScope {
    /// A store id, or the org when None / empty.
    pub fn from_store(store_id: Option<&str>) -> ConnectorScope {
        match store_id.map(str::trim).filter(|s| !s.is_empty()) {
            Some(s) => ConnectorScope::Store(s.to_string()),
            None => ConnectorScope::Org,
        }
    }
}

/// The connector configured for `store_id` (a store's platform webhook) or, with None, the
/// org's connector.
pub async fn find<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: Option<&str>,
) -> Result<Option<connector::Model>, AppError> {
    connector::Entity::find()
        .filter(connector::Column::OrgId.eq(org_id))
        .filter(connector::Column::ScopeKey.eq(store_id.unwrap_or(ORG_SCOPE)))
        .one(conn)
        .await
        .map_err(AppError::from)
}

/// The connector's signing secret from the vault (for signing requests only; the read is
/// audited).
pub async fn reveal_secret(db: &DatabaseConnection, key: &[u8; 32], c: &connector::Model) -> Result<Vec<u8>, AppError> {
    let unreadable = || {
        AppError::new(
            ErrorCode::InternalError,
            "The connector's signing secret can't be read (was the server's secret key changed?). Set the secret again.",
        )
    };
    match vault::reveal_integration(db, key, &c.org_id, &connector_name(&c.id), "signing a webhook request").await {
        Ok(Some(secret)) => Ok(secret.into_bytes()),
        Ok(None) | Err(_) => Err(unreadable()),
    }
}

/// Authorizes `secrets.manage` where the connector lives; the store (org-filtered) for a
/// store's connector.
async fn authorize_scope<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    scope: &ConnectorScope,
) -> Result<Option<store::Model>, AppError> {
    match scope {
        ConnectorScope::Org => {
            authorize(actor, Permission::SecretsManage, &ScopeRef::Org)?;
            Ok(None)
        }
        ConnectorScope::Store(id) => {
            let s = find_store(conn, &actor.org_id, id).await?;
            authorize_at_store(actor, Permission::SecretsManage, &s)?;
            Ok(Some(s))
        }
    }
}

fn view(scope: &ConnectorScope, s: Option<&store::Model>, c: Option<&connector::Model>) -> ConnectorView {
    ConnectorView {
        scope: match scope {
            ConnectorScope::Org => "org".into(),
            ConnectorScope::Store(_) => "store".into(),
        },
        store_id: s.map(|s| s.id.clone()),
        store_name: s.map(|s| s.name.clone()),
        store_platform: s.map(|s| s.platform.clone()),
        configured: c.is_some(),
        id: c.map(|c| c.id.clone()),
        url: c.map(|c| c.url.clone()),
        timeout_ms: c.map(|c| i64::from(c.timeout_ms)).unwrap_or(TIMEOUT_MS_DEFAULT),
        max_attempts: c.map(|c| i64::from(c.max_attempts)).unwrap_or(MAX_ATTEMPTS_DEFAULT),
        secret_set: c.is_some(),
        updated_at: c.map(|c| rfc3339(&c.updated_at)),
    }
}

/// What the change log records: never the secret, only that one is set.
fn snapshot(c: &connector::Model) -> Value {
    json!({
        "store_id": c.store_id,
        "url": c.url,
        "timeout_ms": c.timeout_ms,
        "max_attempts": c.max_attempts,
        "secret_set": true,
    })
}

/// The connector's settings (`configured: false` when there is none).
pub async fn get(db: &DatabaseConnection, actor: &Actor, scope: &ConnectorScope) -> Result<ConnectorView, AppError> {
    let s = authorize_scope(db, actor, scope).await?;
    let c = find(db, &actor.org_id, s.as_ref().map(|s| s.id.as_str())).await?;
    Ok(view(scope, s.as_ref(), c.as_ref()))
}

/// Creates or changes the connector; returns it and whether it was created. A new connector
/// needs a secret; a change without one keeps the stored secret.
pub async fn set(
    db: &DatabaseConnection,
    secret_key: &[u8; 32],
    actor: &Actor,
    scope: &ConnectorScope,
    input: ConnectorInput,
) -> Result<(ConnectorView, bool), AppError> {
    let s = authorize_scope(db, actor, scope).await?;
    let store_id = s.as_ref().map(|s| s.id.clone());
    let existing = find(db, &actor.org_id, store_id.as_deref()).await?;
    let url = input.url.trim().to_string();
    let secret = input.secret.filter(|x| !x.is_empty());
    let timeout_ms =
        input.timeout_ms.unwrap_or_else(|| existing.as_ref().map_or(TIMEOUT_MS_DEFAULT, |c| c.timeout_ms.into()));
    let max_attempts =
        input.max_attempts.unwrap_or_else(|| existing.as_ref().map_or(MAX_ATTEMPTS_DEFAULT, |c| c.max_attempts.into()));
    let mut v = Validator::new();
    v.add("url", check_url(&url));
    match &secret {
        Some(x) => {
            v.add("secret", check_secret(x));
        }
        None if existing.is_none() => {
            v.add("secret", Err("Set a signing secret: Mandate signs every request with it.".into()));
        }
        None => {}
    }
    v.add("timeout_ms", check_timeout_ms(timeout_ms));
    v.add("max_attempts", check_max_attempts(max_attempts));
    v.finish()?;
    if reqwest::Url::parse(&url).is_err() {
        return Err(AppError::invalid_fields(vec![crate::domain::FieldError {
            field: "url".into(),
            message: "This is not a URL Mandate can post to.".into(),
        }]));
    }

    let tx = begin_write(db).await?;
    let at = now();
    let current = find(&tx, &actor.org_id, store_id.as_deref()).await?;
    let (saved, created, event) = match current {
        Some(c) => {
            let before = snapshot(&c);
            let mut am: connector::ActiveModel = c.clone().into();
            am.url = Set(url);
            am.timeout_ms = Set(timeout_ms as i32);
            am.max_attempts = Set(max_attempts as i32);
            am.updated_at = Set(at);
            let saved = am.update(&tx).await?;
            let mut after = snapshot(&saved);
            after["secret_replaced"] = json!(secret.is_some());
            (
                saved.clone(),
                false,
                NewEvent::new("connector.updated", "connector", Some(&saved.id)).before(before).after(after),
            )
        }
        None => {
            let id = new_id();
            secret.as_deref().ok_or_else(AppError::internal)?;
            let saved = connector::ActiveModel {
                id: Set(id.clone()),
                org_id: Set(actor.org_id.clone()),
                store_id: Set(store_id.clone()),
                scope_key: Set(store_id.clone().unwrap_or_else(|| ORG_SCOPE.to_string())),
                url: Set(url),
                secret_enc: Set(String::new()),
                timeout_ms: Set(timeout_ms as i32),
                max_attempts: Set(max_attempts as i32),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    AppError::conflict("A connector was just set up here by someone else; reload and try again.")
                } else {
                    AppError::from(e)
                }
            })?;
            (
                saved.clone(),
                true,
                NewEvent::new("connector.created", "connector", Some(&saved.id)).after(snapshot(&saved)),
            )
        }
    };
    if let Some(x) = &secret {
        vault::put_integration(&tx, secret_key, &actor.org_id, &connector_name(&saved.id), x, "", &actor.audit_actor())
            .await?;
    }
    audit::append(&tx, &actor.org_id, &actor.audit_actor(), &actor.meta, event).await?;
    tx.commit().await?;
    Ok((view(scope, s.as_ref(), Some(&saved)), created))
}

/// Removes the connector (its actions then wait for their caller to execute them).
pub async fn delete(db: &DatabaseConnection, actor: &Actor, scope: &ConnectorScope) -> Result<(), AppError> {
    let s = authorize_scope(db, actor, scope).await?;
    let store_id = s.as_ref().map(|s| s.id.clone());
    let tx = begin_write(db).await?;
    let c = find(&tx, &actor.org_id, store_id.as_deref()).await?.ok_or_else(|| AppError::not_found("connector"))?;
    connector::Entity::delete_by_id(c.id.clone()).exec(&tx).await?;
    vault::remove_integration(&tx, &actor.org_id, &connector_name(&c.id)).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("connector.deleted", "connector", Some(&c.id)).before(snapshot(&c)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
