//! API keys: creation (the secret is returned once and only its SHA-256 is stored), the
//! `/org/api-keys` list and revocation, and bearer authentication for the REST API.
//!
//! Management keys need `api_keys.manage` at the org. A management key acts with one role at
//! one scope (the org, a team or a store); nobody may create a key carrying a permission they
//! do not hold themselves at that scope. Agent keys are bound to one store (and optionally
//! one of its assistants), hold no role, and are managed with `api_keys.manage` at their
//! store. Events `api_key.created` / `api_key.revoked` never contain the secret or its hash.

use crate::domain::access::ScopeRef;
use crate::domain::api_keys::{
    check_key_name, key_status, parse_expiry, ApiKeyList, ApiKeyOptions, ApiKeyView, CreatedApiKey,
};
use crate::domain::audit::AuditActor;
use crate::domain::error::{FieldError, Validator};
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::roles::Choice;
use crate::domain::AppError;
use crate::entities::{api_key, assistant, org, role, store, user};
use crate::services::access::authz::{authorize, authorize_at_store, can};
use crate::services::access::guards::{escalation_error, not_held};
use crate::services::access::lookup::{find_assistant, find_role, find_store, find_team, team_paths};
use crate::services::access::roles::role_permissions;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now};
use crate::services::{Actor, ActorKind, AgentBinding, RequestMeta};
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};
use std::collections::HashMap;

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
    let role = role::Entity::find_by_id(role.id()).one(db).await?.ok_or_else(|| {
        tracing::error!(role = role.id(), "built-in role missing: migrations incomplete");
        AppError::internal()
    })?;
    create_management_key_with_role(db, org, name, &role, by, meta).await
}

/// Creates an org-wide management key with a built-in role or one of the org's custom
/// roles (operator path: CLI; no escalation check, the operator owns the server).
pub async fn create_management_key_with_role(
    db: &DatabaseConnection,
    org: &org::Model,
    name: &str,
    role: &role::Model,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedKey, AppError> {
    Validator::new().add("name", check_key_name(name)).finish()?;
    if role.org_id.as_deref().is_some_and(|o| o != org.id) {
        return Err(AppError::not_found("Role"));
    }
    let tx = begin_write(db).await?;
    let created = insert_management_key(&tx, &org.id, name, role, &ScopeRef::Org, None, by, meta).await?;
    tx.commit().await?;
    Ok(created)
}

/// The role named `name` that a key of `org_id` may carry: a built-in (by name, any case)
/// or one of the org's custom roles (by exact name, then case-insensitively).
pub async fn find_role_by_name(
    db: &DatabaseConnection,
    org_id: &str,
    name: &str,
) -> Result<Option<role::Model>, AppError> {
    if let Ok(b) = BuiltInRole::parse(name) {
        return role::Entity::find_by_id(b.id()).one(db).await.map_err(AppError::from);
    }
    let custom = role::Entity::find().filter(role::Column::OrgId.eq(org_id)).all(db).await?;
    let wanted = name.trim();
    Ok(custom
        .iter()
        .find(|r| r.name == wanted)
        .or_else(|| custom.iter().find(|r| r.name.to_lowercase() == wanted.to_lowercase()))
        .cloned())
}

/// The key's fields that go into audit events: never the secret or its hash.
fn key_snapshot(k: &api_key::Model) -> serde_json::Value {
    json!({
        "id": k.id, "name": k.name, "prefix": k.prefix, "kind": k.kind, "role": k.role, "role_id": k.role_id,
        "scope_type": k.scope_type, "scope_id": k.scope_id, "store_id": k.store_id, "assistant_id": k.assistant_id,
        "expires_at": k.expires_at.as_ref().map(time), "revoked_at": k.revoked_at.as_ref().map(time),
    })
}

#[allow(clippy::too_many_arguments)]
async fn insert_management_key<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    name: &str,
    role: &role::Model,
    scope: &ScopeRef,
    expires_at: Option<DateTime<Utc>>,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedKey, AppError> {
    let secret = generate_secret();
    let (scope_type, scope_id) = crate::services::access::scope_columns(org_id, scope);
    let key = api_key::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        name: Set(name.trim().to_string()),
        prefix: Set(secret[..VISIBLE_LEN].to_string()),
        key_hash: Set(hash_key(&secret)),
        kind: Set("management".to_string()),
        role: Set(Some(role.name.clone())),
        store_id: Set(None),
        assistant_id: Set(None),
        created_by: Set(by.id.clone()),
        created_at: Set(now()),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        role_id: Set(Some(role.id.clone())),
        scope_type: Set(Some(scope_type)),
        scope_id: Set(Some(scope_id)),
    }
    .insert(conn)
    .await?;
    audit::append(
        conn,
        org_id,
        by,
        meta,
        NewEvent::new("api_key.created", "api_key", Some(&key.id)).after(key_snapshot(&key)),
    )
    .await?;
    Ok(CreatedKey { key, secret })
}

use crate::services::infra::db::rfc3339 as time;

/// `{name, role_id, scope_type: org|team|store, scope_id?, expires_at?}` (expiry: `YYYY-MM-DD` or RFC 3339).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewApiKey {
    pub name: String,
    pub role_id: String,
    #[serde(default = "org_scope")]
    pub scope_type: String,
    #[serde(default)]
    pub scope_id: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

fn org_scope() -> String {
    "org".to_string()
}

fn field_error(field: &str, e: AppError) -> AppError {
    AppError { fields: vec![FieldError { field: field.into(), message: e.message.clone() }], ..e }
}

/// Creates a management key with a role at the org or a team. The creator must hold every
/// permission of the role at that scope.
pub async fn create(db: &DatabaseConnection, actor: &Actor, input: NewApiKey) -> Result<CreatedApiKey, AppError> {
    authorize(actor, Permission::ApiKeysManage, &ScopeRef::Org)?;
    let at = now();
    let mut v = Validator::new();
    v.add("name", check_key_name(&input.name));
    let expires_at = match parse_expiry(input.expires_at.as_deref(), at) {
        Ok(e) => e,
        Err(m) => {
            v.add("expires_at", Err(m));
            None
        }
    };
    let scope_id = input.scope_id.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let scope = match (input.scope_type.trim(), scope_id) {
        ("org", _) => Some(ScopeRef::Org),
        ("team", Some(id)) => Some(ScopeRef::Team(id.to_string())),
        ("team", None) => {
            v.add("scope_id", Err("Pick the team the key acts in.".into()));
            None
        }
        ("store", Some(id)) => Some(ScopeRef::Store(id.to_string())),
        ("store", None) => {
            v.add("scope_id", Err("Pick the store the key acts in.".into()));
            None
        }
        _ => {
            v.add(
                "scope_type",
                Err("A management key acts in the whole organisation, in one team or in one store.".into()),
            );
            None
        }
    };
    if input.role_id.trim().is_empty() {
        v.add("role_id", Err("Pick the role the key acts with.".into()));
    }
    v.finish()?;
    let scope = scope.ok_or_else(AppError::internal)?;
    let r = find_role(db, &actor.org_id, input.role_id.trim()).await.map_err(|e| field_error("role_id", e))?;
    match &scope {
        ScopeRef::Team(id) => {
            find_team(db, &actor.org_id, id).await.map_err(|e| field_error("scope_id", e))?;
        }
        ScopeRef::Store(id) => {
            find_store(db, &actor.org_id, id).await.map_err(|e| field_error("scope_id", e))?;
        }
        ScopeRef::Org => {}
    }
    let perms = role_permissions(db, &r.id).await?;
    let missing = not_held(actor, perms.iter().copied(), &scope);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "create a key with"));
    }

    let tx = begin_write(db).await?;
    let created = insert_management_key(
        &tx,
        &actor.org_id,
        &input.name,
        &r,
        &scope,
        expires_at,
        &actor.audit_actor(),
        &actor.meta,
    )
    .await?;
    let view = views(&tx, &actor.org_id, std::slice::from_ref(&created.key), at)
        .await?
        .pop()
        .ok_or_else(AppError::internal)?;
    tx.commit().await?;
    Ok(CreatedApiKey { key: view, secret: created.secret })
}

/// `{name, store_id, assistant_id?, expires_at?}`: an agent key acting for one store, and
/// as one of its assistants when `assistant_id` is given.
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct NewAgentKey {
    pub name: String,
    pub store_id: String,
    #[serde(default)]
    pub assistant_id: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// The store and (optional) assistant an agent key is bound to, checked: both of `org_id`,
/// the assistant at that store.
async fn agent_target<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    store_id: &str,
    assistant_id: Option<&str>,
) -> Result<(store::Model, Option<assistant::Model>), AppError> {
    if store_id.trim().is_empty() {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "store_id".into(),
            message: "Pick the store the key acts for.".into(),
        }]));
    }
    let s = find_store(conn, org_id, store_id).await.map_err(|e| field_error("store_id", e))?;
    let a = match assistant_id.map(str::trim).filter(|a| !a.is_empty()) {
        None => None,
        Some(id) => {
            let a = find_assistant(conn, org_id, id).await.map_err(|e| field_error("assistant_id", e))?;
            if a.store_id != s.id {
                return Err(AppError::invalid_fields(vec![FieldError {
                    field: "assistant_id".into(),
                    message: format!("\u{201c}{}\u{201d} works for another store.", a.name),
                }]));
            }
            Some(a)
        }
    };
    Ok((s, a))
}

#[allow(clippy::too_many_arguments)]
async fn insert_agent_key<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    name: &str,
    s: &store::Model,
    a: Option<&assistant::Model>,
    expires_at: Option<DateTime<Utc>>,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedKey, AppError> {
    let secret = generate_secret();
    let key = api_key::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        name: Set(name.trim().to_string()),
        prefix: Set(secret[..VISIBLE_LEN].to_string()),
        key_hash: Set(hash_key(&secret)),
        kind: Set("agent".to_string()),
        role: Set(None),
        store_id: Set(Some(s.id.clone())),
        assistant_id: Set(a.map(|a| a.id.clone())),
        created_by: Set(by.id.clone()),
        created_at: Set(now()),
        last_used_at: Set(None),
        expires_at: Set(expires_at),
        revoked_at: Set(None),
        role_id: Set(None),
        scope_type: Set(None),
        scope_id: Set(None),
    }
    .insert(conn)
    .await?;
    audit::append(
        conn,
        org_id,
        by,
        meta,
        NewEvent::new("api_key.created", "api_key", Some(&key.id)).after(key_snapshot(&key)),
    )
    .await?;
    Ok(CreatedKey { key, secret })
}

/// Creates an agent key for a store (and maybe one of its assistants): `api_keys.manage` at
/// the store. The secret is in the answer, once.
pub async fn create_agent(
    db: &DatabaseConnection,
    actor: &Actor,
    input: NewAgentKey,
) -> Result<CreatedApiKey, AppError> {
    let (s, a) = agent_target(db, &actor.org_id, &input.store_id, input.assistant_id.as_deref()).await?;
    authorize_at_store(actor, Permission::ApiKeysManage, &s)?;
    let at = now();
    let mut v = Validator::new();
    v.add("name", check_key_name(&input.name));
    if let Err(m) = parse_expiry(input.expires_at.as_deref(), at) {
        v.add("expires_at", Err(m));
    }
    v.finish()?;
    let expires_at = parse_expiry(input.expires_at.as_deref(), at).map_err(AppError::validation)?;

    let tx = begin_write(db).await?;
    let (s, a) = agent_target(&tx, &actor.org_id, &s.id, a.as_ref().map(|a| a.id.as_str())).await?;
    let created = insert_agent_key(
        &tx,
        &actor.org_id,
        &input.name,
        &s,
        a.as_ref(),
        expires_at,
        &actor.audit_actor(),
        &actor.meta,
    )
    .await?;
    let view = views(&tx, &actor.org_id, std::slice::from_ref(&created.key), at)
        .await?
        .pop()
        .ok_or_else(AppError::internal)?;
    tx.commit().await?;
    Ok(CreatedApiKey { key: view, secret: created.secret })
}

/// Creates an agent key for a store of `org` (operator path: CLI).
pub async fn create_agent_key_for_org(
    db: &DatabaseConnection,
    org: &org::Model,
    name: &str,
    store_id: &str,
    assistant_id: Option<&str>,
    by: &AuditActor,
    meta: &RequestMeta,
) -> Result<CreatedKey, AppError> {
    Validator::new().add("name", check_key_name(name)).finish()?;
    let tx = begin_write(db).await?;
    let (s, a) = agent_target(&tx, &org.id, store_id, assistant_id).await?;
    let created = insert_agent_key(&tx, &org.id, name, &s, a.as_ref(), None, by, meta).await?;
    tx.commit().await?;
    Ok(created)
}

/// The agent keys of a store (of one of its assistants when `assistant_id` is given),
/// newest first, revoked ones included: `api_keys.manage` at the store.
pub async fn list_agent_keys(
    db: &DatabaseConnection,
    actor: &Actor,
    store_id: &str,
    assistant_id: Option<&str>,
) -> Result<Vec<ApiKeyView>, AppError> {
    let s = find_store(db, &actor.org_id, store_id).await?;
    authorize_at_store(actor, Permission::ApiKeysManage, &s)?;
    let mut q = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(api_key::Column::Kind.eq("agent"))
        .filter(api_key::Column::StoreId.eq(s.id.as_str()));
    if let Some(a) = assistant_id.map(str::trim).filter(|a| !a.is_empty()) {
        q = q.filter(api_key::Column::AssistantId.eq(a));
    }
    let rows = q.order_by_desc(api_key::Column::Id).all(db).await?;
    views(db, &actor.org_id, &rows, now()).await
}

async fn views<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    keys: &[api_key::Model],
    at: DateTime<Utc>,
) -> Result<Vec<ApiKeyView>, AppError> {
    let creator_ids: Vec<String> = keys.iter().filter_map(|k| k.created_by.clone()).collect();
    let users: HashMap<String, String> = user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(creator_ids.clone()))
        .all(conn)
        .await?
        .into_iter()
        .map(|u| (u.id, u.email))
        .collect();
    let creator_keys: HashMap<String, String> = api_key::Entity::find()
        .filter(api_key::Column::OrgId.eq(org_id))
        .filter(api_key::Column::Id.is_in(creator_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|k| (k.id, k.name))
        .collect();
    let role_ids: Vec<String> = keys.iter().filter_map(|k| k.role_id.clone()).collect();
    let roles: HashMap<String, String> = role::Entity::find()
        .filter(role::Column::Id.is_in(role_ids))
        .all(conn)
        .await?
        .into_iter()
        .map(|r| (r.id, r.name))
        .collect();
    let teams = if keys.iter().any(|k| k.scope_type.as_deref() == Some("team")) {
        team_paths(conn, org_id).await?
    } else {
        HashMap::new()
    };
    let store_ids: Vec<String> = keys
        .iter()
        .filter_map(|k| {
            k.store_id
                .clone()
                .or_else(|| (k.scope_type.as_deref() == Some("store")).then(|| k.scope_id.clone()).flatten())
        })
        .collect();
    let stores: HashMap<String, String> = if store_ids.is_empty() {
        HashMap::new()
    } else {
        store::Entity::find()
            .filter(store::Column::OrgId.eq(org_id))
            .filter(store::Column::Id.is_in(store_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|s| (s.id, s.name))
            .collect()
    };
    let assistant_ids: Vec<String> = keys.iter().filter_map(|k| k.assistant_id.clone()).collect();
    let assistants: HashMap<String, String> = if assistant_ids.is_empty() {
        HashMap::new()
    } else {
        assistant::Entity::find()
            .filter(assistant::Column::OrgId.eq(org_id))
            .filter(assistant::Column::Id.is_in(assistant_ids))
            .all(conn)
            .await?
            .into_iter()
            .map(|a| (a.id, a.name))
            .collect()
    };
    let store_name =
        |id: &str| stores.get(id).map(|n| format!("\u{201c}{n}\u{201d}")).unwrap_or_else(|| "(deleted store)".into());
    Ok(keys
        .iter()
        .map(|k| {
            let scope_label = match (k.kind.as_str(), k.scope_type.as_deref(), k.scope_id.as_deref()) {
                ("agent", _, _) => {
                    let store = format!("Store: {}", store_name(k.store_id.as_deref().unwrap_or_default()));
                    match &k.assistant_id {
                        Some(a) => format!(
                            "{store}, as assistant {}",
                            assistants
                                .get(a)
                                .map(|n| format!("\u{201c}{n}\u{201d}"))
                                .unwrap_or_else(|| "(deleted assistant)".into())
                        ),
                        None => format!("{store}, any assistant"),
                    }
                }
                (_, Some("store"), Some(id)) => format!("Store: {}", store_name(id)),
                (_, Some("team"), Some(id)) => {
                    format!("Team: {}", teams.get(id).cloned().unwrap_or_else(|| "(deleted team)".into()))
                }
                _ => "Organisation".to_string(),
            };
            let created_by_label = match &k.created_by {
                None => "mandate CLI".to_string(),
                Some(id) => users
                    .get(id)
                    .cloned()
                    .or_else(|| creator_keys.get(id).map(|n| format!("API key \"{n}\"")))
                    .unwrap_or_else(|| "(removed)".to_string()),
            };
            ApiKeyView {
                id: k.id.clone(),
                name: k.name.clone(),
                prefix: k.prefix.clone(),
                kind: k.kind.clone(),
                role_id: k.role_id.clone(),
                // The current name of the role; the name at creation if it was deleted.
                role: k.role_id.as_ref().and_then(|id| roles.get(id).cloned()).or_else(|| k.role.clone()),
                scope_type: k.scope_type.clone(),
                scope_id: k.scope_id.clone(),
                scope_label,
                store_id: k.store_id.clone(),
                assistant_id: k.assistant_id.clone(),
                created_by: k.created_by.clone(),
                created_by_label,
                created_at: time(&k.created_at),
                last_used_at: k.last_used_at.as_ref().map(time),
                expires_at: k.expires_at.as_ref().map(time),
                revoked_at: k.revoked_at.as_ref().map(time),
                status: key_status(k.revoked_at, k.expires_at, at).to_string(),
            }
        })
        .collect())
}

/// The org's keys, newest first; `cursor` is the last id of the previous page.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    cursor: Option<&str>,
    limit: Option<u64>,
) -> Result<ApiKeyList, AppError> {
    authorize(actor, Permission::ApiKeysManage, &ScopeRef::Org)?;
    let limit = limit.unwrap_or(100).clamp(1, 200);
    let mut q = api_key::Entity::find().filter(api_key::Column::OrgId.eq(actor.org_id.as_str()));
    if let Some(c) = cursor.map(str::trim).filter(|c| !c.is_empty()) {
        q = q.filter(api_key::Column::Id.lt(c));
    }
    let mut rows = q.order_by_desc(api_key::Column::Id).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|k| k.id.clone())
    } else {
        None
    };
    Ok(ApiKeyList { keys: views(db, &actor.org_id, &rows, now()).await?, next_cursor })
}

/// One key of the org (NOT_FOUND for another org's).
pub async fn get(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<ApiKeyView, AppError> {
    let key = find_key(db, &actor.org_id, id).await?;
    authorize(actor, Permission::ApiKeysManage, &managed_at(&key))?;
    views(db, &actor.org_id, std::slice::from_ref(&key), now()).await?.pop().ok_or_else(AppError::internal)
}

async fn find_key<C: ConnectionTrait>(conn: &C, org_id: &str, id: &str) -> Result<api_key::Model, AppError> {
    api_key::Entity::find_by_id(id.trim().to_string())
        .filter(api_key::Column::OrgId.eq(org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("API key"))
}

/// Where a key is managed: an agent key at its store (so whoever manages keys there may
/// see and revoke it), every other key at the org.
fn managed_at(key: &api_key::Model) -> ScopeRef {
    match (key.kind.as_str(), &key.store_id) {
        ("agent", Some(store_id)) => ScopeRef::Store(store_id.clone()),
        _ => ScopeRef::Org,
    }
}

/// Revokes a key at once: the next request with it answers UNAUTHENTICATED.
pub async fn revoke(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<ApiKeyView, AppError> {
    let key = find_key(db, &actor.org_id, id).await?;
    authorize(actor, Permission::ApiKeysManage, &managed_at(&key))?;
    if key.revoked_at.is_some() {
        return Err(AppError::conflict("This key is already revoked."));
    }
    let at = now();
    let tx = begin_write(db).await?;
    let mut am: api_key::ActiveModel = key.clone().into();
    am.revoked_at = Set(Some(at));
    let updated = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("api_key.revoked", "api_key", Some(&key.id))
            .before(key_snapshot(&key))
            .after(key_snapshot(&updated)),
    )
    .await?;
    let view =
        views(&tx, &actor.org_id, std::slice::from_ref(&updated), at).await?.pop().ok_or_else(AppError::internal)?;
    tx.commit().await?;
    Ok(view)
}

/// The choices of the "create a key" form: every role a key may carry (built-ins, then the
/// org's own) and the scopes (the org, each team).
pub async fn options(db: &DatabaseConnection, actor: &Actor) -> Result<ApiKeyOptions, AppError> {
    authorize(actor, Permission::ApiKeysManage, &ScopeRef::Org)?;
    let mut roles = role::Entity::find()
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(actor.org_id.as_str())))
        .all(db)
        .await?;
    let rank = |r: &role::Model| BuiltInRole::ALL.iter().position(|b| b.id() == r.id).unwrap_or(usize::MAX);
    roles.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase())));
    let mut scopes = vec![Choice { value: "org".into(), label: "Organisation (everywhere)".into() }];
    let mut teams: Vec<(String, String)> = team_paths(db, &actor.org_id).await?.into_iter().collect();
    teams.sort_by_key(|t| t.1.to_lowercase());
    scopes.extend(
        teams
            .into_iter()
            .filter(|(id, _)| can(actor, Permission::ApiKeysManage, &ScopeRef::Team(id.clone())))
            .map(|(id, path)| Choice { value: format!("team:{id}"), label: format!("Team: {path}") }),
    );
    let mut stores: Vec<store::Model> =
        store::Entity::find().filter(store::Column::OrgId.eq(actor.org_id.as_str())).all(db).await?;
    stores.sort_by_key(|s| s.name.to_lowercase());
    scopes.extend(
        stores
            .into_iter()
            .filter(|s| can(actor, Permission::ApiKeysManage, &ScopeRef::Store(s.id.clone())))
            .map(|s| Choice { value: format!("store:{}", s.id), label: format!("Store: {}", s.name) }),
    );
    Ok(ApiKeyOptions {
        roles: roles
            .into_iter()
            .map(|r| Choice {
                label: if r.built_in { r.name.clone() } else { format!("{} (custom)", r.name) },
                value: r.id,
            })
            .collect(),
        scopes,
    })
}

/// Resolves a bearer secret to the acting key. Unknown, revoked and expired keys all answer
/// the same UNAUTHENTICATED.
pub async fn authenticate(
    db: &DatabaseConnection,
    cache: &crate::services::access::AccessCache,
    secret: &str,
    meta: &RequestMeta,
) -> Result<(Actor, api_key::Model), AppError> {
    let invalid = || AppError::unauthenticated_with("The API key is missing, wrong, expired or revoked.");
    if !secret.starts_with(KEY_PREFIX) {
        return Err(invalid());
    }
    // The key and its org in one query, read on every request: revocation, expiry and the
    // org's access_version (see AccessCache) are never taken from a cache.
    let (key, org) = api_key::Entity::find()
        .filter(api_key::Column::KeyHash.eq(hash_key(secret)))
        .find_also_related(org::Entity)
        .one(db)
        .await?
        .ok_or_else(invalid)?;
    let org = org.ok_or_else(invalid)?;
    let at = now();
    if key.revoked_at.is_some() || key.expires_at.is_some_and(|e| e <= at) {
        return Err(invalid());
    }
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
        access: cache.key_access(db, &key, org.access_version).await?,
        agent: match (key.kind.as_str(), &key.store_id) {
            ("agent", Some(store_id)) => {
                Some(AgentBinding { store_id: store_id.clone(), assistant_id: key.assistant_id.clone() })
            }
            _ => None,
        },
        meta: meta.clone(),
    };
    Ok((actor, key))
}
