//! The secrets vault (issue 15): secrets of the org, a team or a person, and the credentials
//! of Mandate's own integrations (webhook connectors, the SMS provider, single sign-on), all
//! in one table, AES-256-GCM encrypted with the instance key and bound to their row
//! (`secret:<id>`).
//!
//! - Write-only: nothing here returns a value to a person; views carry the name, the
//!   description, when and by whom it was set.
//! - Who may: `secrets.manage` at the secret's scope (the org, the team); a person always
//!   manages their own. An integration's credential is set and removed with its integration
//!   (whose page checks its own permission) and listed here with what uses it.
//! - Every change is audited (`secret.created`, `secret.updated`, `secret.deleted`, never the
//!   value), and so is every read by the system (`secret.used`: which secret, for what).
//! - `adopt_legacy` moves credentials stored before the vault existed into it; `services::keys`
//!   rotates the instance key over it.

use crate::domain::access::ScopeRef;
use crate::domain::audit::AuditActor;
use crate::domain::permission::Permission;
use crate::domain::secrets::{
    connector_name, is_integration_name, SecretInput, SecretPatch, SecretPlace, SecretView, SecretsPage, SCOPE_ORG,
    SCOPE_TEAM, SCOPE_USER, SMS_TOKEN_NAME, SSO_CLIENT_SECRET_NAME,
};
use crate::domain::{AppError, ErrorCode};
use crate::entities::{connector, secret, sms_provider, sso_config, store, team, user};
use crate::services::access::authz::authorize;
use crate::services::access::load_tree;
use crate::services::actor::system_actor;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::infra::crypto;
use crate::services::infra::db::{begin_write, is_unique_violation, new_id, now, rfc3339};
use crate::services::{Actor, ActorKind, RequestMeta};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, Set,
};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};

fn field(name: &str, message: &str) -> AppError {
    AppError::invalid_fields(vec![crate::domain::FieldError { field: name.into(), message: message.into() }])
}

/// The associated data binding a stored value to its row.
pub fn context(id: &str) -> String {
    format!("secret:{id}")
}

fn seal(key: &[u8; 32], id: &str, value: &str) -> Result<String, AppError> {
    crypto::encrypt(key, value.as_bytes(), &context(id))
}

fn open(key: &[u8; 32], row: &secret::Model) -> Result<String, AppError> {
    let bytes = crypto::decrypt(key, &row.value_enc, &context(&row.id)).map_err(|_| {
        AppError::new(
            ErrorCode::InternalError,
            "A secret in the vault can't be read with this server's key (was the key changed without rotating?). Set it again.",
        )
    })?;
    String::from_utf8(bytes).map_err(|_| AppError::internal())
}

/// What the audit trail says about a secret: where it is and its name, never its value.
fn snapshot(row: &secret::Model) -> Value {
    json!({
        "scope_type": row.scope_type,
        "scope_id": row.scope_id,
        "name": row.name,
        "description": row.description,
    })
}

// ---------------------------------------------------------------------------------------
// Secrets people name and set
// ---------------------------------------------------------------------------------------

/// The scope a secret lives at, checked: `secrets.manage` there, or the person's own.
async fn authorize_place<C: ConnectionTrait>(
    conn: &C,
    actor: &Actor,
    scope_type: &str,
    scope_id: Option<&str>,
) -> Result<String, AppError> {
    let scope_id = scope_id.map(str::trim).filter(|s| !s.is_empty());
    match scope_type {
        SCOPE_ORG => {
            authorize(actor, Permission::SecretsManage, &ScopeRef::Org)?;
            Ok(actor.org_id.clone())
        }
        SCOPE_TEAM => {
            let id = scope_id.ok_or_else(|| field("scope_id", "Choose the team the secret belongs to."))?;
            let t = crate::services::access::lookup::find_team(conn, &actor.org_id, id).await?;
            authorize(actor, Permission::SecretsManage, &ScopeRef::Team(t.id.clone()))?;
            Ok(t.id)
        }
        SCOPE_USER => {
            let id = scope_id.unwrap_or(actor.id.as_str());
            if actor.kind == ActorKind::User && actor.id == id {
                return Ok(id.to_string());
            }
            let u = user::Entity::find_by_id(id.to_string())
                .filter(user::Column::OrgId.eq(&actor.org_id))
                .one(conn)
                .await?
                .ok_or_else(|| AppError::not_found("person"))?;
            let at = u.team_id.clone().map(ScopeRef::Team).unwrap_or(ScopeRef::Org);
            authorize(actor, Permission::SecretsManage, &at)?;
            Ok(u.id)
        }
        _ => Err(field("scope_type", "Choose where the secret belongs: org, team or user.")),
    }
}

/// Whether `actor` may manage `row` (for listing, changing and removing it).
fn may_manage(actor: &Actor, row: &secret::Model, user_team: &HashMap<String, Option<String>>) -> bool {
    let at = match row.scope_type.as_str() {
        SCOPE_ORG => ScopeRef::Org,
        SCOPE_TEAM => ScopeRef::Team(row.scope_id.clone()),
        SCOPE_USER if actor.kind == ActorKind::User && actor.id == row.scope_id => return true,
        SCOPE_USER => user_team.get(&row.scope_id).cloned().flatten().map(ScopeRef::Team).unwrap_or(ScopeRef::Org),
        _ => return false,
    };
    authorize(actor, Permission::SecretsManage, &at).is_ok()
}

struct Labels {
    teams: HashMap<String, String>,
    users: HashMap<String, (String, Option<String>)>,
    stores: HashMap<String, String>,
    connectors: HashMap<String, Option<String>>,
}

async fn labels<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Labels, AppError> {
    let teams = team::Entity::find().filter(team::Column::OrgId.eq(org_id)).all(conn).await?;
    let users = user::Entity::find().filter(user::Column::OrgId.eq(org_id)).all(conn).await?;
    let stores = store::Entity::find().filter(store::Column::OrgId.eq(org_id)).all(conn).await?;
    let connectors = connector::Entity::find().filter(connector::Column::OrgId.eq(org_id)).all(conn).await?;
    Ok(Labels {
        teams: teams.into_iter().map(|t| (t.id, t.name)).collect(),
        users: users.into_iter().map(|u| (u.id, (u.display_name, u.team_id))).collect(),
        stores: stores.into_iter().map(|s| (s.id, s.name)).collect(),
        connectors: connectors.into_iter().map(|c| (c.id, c.store_id)).collect(),
    })
}

fn view(row: &secret::Model, l: &Labels) -> SecretView {
    let scope_label = match row.scope_type.as_str() {
        SCOPE_TEAM => format!("Team {}", l.teams.get(&row.scope_id).cloned().unwrap_or_else(|| "(removed)".into())),
        SCOPE_USER => l.users.get(&row.scope_id).map(|u| u.0.clone()).unwrap_or_else(|| "(removed person)".into()),
        _ => "The whole organisation".to_string(),
    };
    let (used_by, manage_at) = match row.name.as_str() {
        SMS_TOKEN_NAME => (Some("The SMS provider's token".to_string()), Some("/org/sms".to_string())),
        SSO_CLIENT_SECRET_NAME => (Some("The single sign-on client secret".to_string()), Some("/org/sso".to_string())),
        n => match n.strip_prefix("connector:") {
            Some(id) => match l.connectors.get(id).cloned().flatten() {
                Some(store_id) => (
                    Some(format!(
                        "The signing secret of {}'s webhook connector",
                        l.stores.get(&store_id).cloned().unwrap_or_else(|| "a store".into())
                    )),
                    Some(format!("/stores/{store_id}/connector")),
                ),
                None => (
                    Some("The signing secret of the organisation's connector".to_string()),
                    Some("/org/connector".to_string()),
                ),
            },
            None => (None, None),
        },
    };
    SecretView {
        id: row.id.clone(),
        scope_type: row.scope_type.clone(),
        scope_id: (row.scope_type != SCOPE_ORG).then(|| row.scope_id.clone()),
        scope_label,
        name: if used_by.is_some() { String::new() } else { row.name.clone() },
        description: row.description.clone(),
        set_at: rfc3339(&row.set_at),
        set_by: row.set_by_label.clone(),
        used_by,
        manage_at,
    }
}

/// The secrets `actor` may manage, org-wide ones first, then by place and name.
pub async fn list(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<SecretView>, AppError> {
    let l = labels(db, &actor.org_id).await?;
    let user_team: HashMap<String, Option<String>> =
        l.users.iter().map(|(id, (_, team))| (id.clone(), team.clone())).collect();
    let rows = secret::Entity::find()
        .filter(secret::Column::OrgId.eq(&actor.org_id))
        .order_by_asc(secret::Column::ScopeType)
        .order_by_asc(secret::Column::Name)
        .all(db)
        .await?;
    let mut out: Vec<SecretView> =
        rows.iter().filter(|r| may_manage(actor, r, &user_team)).map(|r| view(r, &l)).collect();
    out.sort_by_key(|v| (v.scope_type != SCOPE_ORG, v.scope_label.clone(), v.used_by.is_some(), v.name.clone()));
    Ok(out)
}

/// The vault page: the secrets and the places the viewer may keep new ones.
pub async fn page(db: &DatabaseConnection, actor: &Actor) -> Result<SecretsPage, AppError> {
    let secrets = list(db, actor).await?;
    let mut places = Vec::new();
    if authorize(actor, Permission::SecretsManage, &ScopeRef::Org).is_ok() {
        places.push(SecretPlace {
            scope_type: SCOPE_ORG.into(),
            scope_id: None,
            label: "The whole organisation".into(),
        });
    }
    let mut teams = team::Entity::find().filter(team::Column::OrgId.eq(&actor.org_id)).all(db).await?;
    teams.sort_by(|a, b| a.name.cmp(&b.name));
    for t in teams {
        if authorize(actor, Permission::SecretsManage, &ScopeRef::Team(t.id.clone())).is_ok() {
            places.push(SecretPlace {
                scope_type: SCOPE_TEAM.into(),
                scope_id: Some(t.id),
                label: format!("Team {}", t.name),
            });
        }
    }
    if actor.kind == ActorKind::User {
        places.push(SecretPlace {
            scope_type: SCOPE_USER.into(),
            scope_id: Some(actor.id.clone()),
            label: "Only me".into(),
        });
    }
    Ok(SecretsPage { secrets, places })
}

/// Sets a secret: creates it, or gives the one of the same name at the same place a new
/// value (and description, when one is sent). Returns it and whether it was created.
pub async fn put(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    input: SecretInput,
) -> Result<(SecretView, bool), AppError> {
    input.check()?;
    let scope_type = input.scope_type.clone().unwrap_or_else(|| SCOPE_ORG.to_string());
    let scope_id = authorize_place(db, actor, &scope_type, input.scope_id.as_deref()).await?;
    let name = input.name.trim().to_string();
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let at = now();
    let existing = secret::Entity::find()
        .filter(secret::Column::OrgId.eq(&actor.org_id))
        .filter(secret::Column::ScopeType.eq(&scope_type))
        .filter(secret::Column::ScopeId.eq(&scope_id))
        .filter(secret::Column::Name.eq(&name))
        .one(&tx)
        .await?;
    let (saved, created, event) = match existing {
        Some(row) => {
            let before = snapshot(&row);
            let mut am: secret::ActiveModel = row.clone().into();
            am.value_enc = Set(seal(key, &row.id, &input.value)?);
            if let Some(d) = &input.description {
                am.description = Set(d.trim().to_string());
            }
            am.set_at = Set(at);
            am.set_by_id = Set(Some(actor.id.clone()));
            am.set_by_label = Set(actor.label.clone());
            let saved = am.update(&tx).await?;
            let mut after = snapshot(&saved);
            after["value_replaced"] = json!(true);
            (
                saved.clone(),
                false,
                NewEvent::new("secret.updated", "secret", Some(&saved.id)).before(before).after(after),
            )
        }
        None => {
            let id = new_id();
            let saved = secret::ActiveModel {
                id: Set(id.clone()),
                org_id: Set(actor.org_id.clone()),
                scope_type: Set(scope_type.clone()),
                scope_id: Set(scope_id.clone()),
                name: Set(name.clone()),
                description: Set(input.description.as_deref().unwrap_or("").trim().to_string()),
                value_enc: Set(seal(key, &id, &input.value)?),
                set_at: Set(at),
                set_by_id: Set(Some(actor.id.clone())),
                set_by_label: Set(actor.label.clone()),
            }
            .insert(&tx)
            .await
            .map_err(|e| {
                if is_unique_violation(&e) {
                    AppError::conflict("A secret of this name was just set here by someone else; reload and try again.")
                } else {
                    AppError::from(e)
                }
            })?;
            (saved.clone(), true, NewEvent::new("secret.created", "secret", Some(&saved.id)).after(snapshot(&saved)))
        }
    };
    audit::append(&tx, &actor.org_id, &actor.audit_actor(), &actor.meta, event).await?;
    tx.commit().await?;
    let l = labels(db, &actor.org_id).await?;
    Ok((view(&saved, &l), created))
}

async fn find_managed<C: ConnectionTrait>(conn: &C, actor: &Actor, id: &str) -> Result<secret::Model, AppError> {
    let row = secret::Entity::find_by_id(id.to_string())
        .filter(secret::Column::OrgId.eq(&actor.org_id))
        .one(conn)
        .await?
        .ok_or_else(|| AppError::not_found("secret"))?;
    let l = labels(conn, &actor.org_id).await?;
    let user_team: HashMap<String, Option<String>> =
        l.users.iter().map(|(id, (_, team))| (id.clone(), team.clone())).collect();
    if !may_manage(actor, &row, &user_team) {
        return Err(AppError::new(ErrorCode::PermissionDenied, "You can't manage secrets kept at that place."));
    }
    if is_integration_name(&row.name) {
        let place = view(&row, &l).manage_at.unwrap_or_default();
        return Err(AppError::conflict(format!(
            "This credential belongs to an integration; change or remove it on its page ({place})."
        )));
    }
    Ok(row)
}

/// Changes a secret's description, value or both.
pub async fn update(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    id: &str,
    patch: SecretPatch,
) -> Result<SecretView, AppError> {
    patch.check()?;
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let row = find_managed(&tx, actor, id).await?;
    let before = snapshot(&row);
    let mut am: secret::ActiveModel = row.clone().into();
    if let Some(d) = &patch.description {
        am.description = Set(d.trim().to_string());
    }
    if let Some(v) = &patch.value {
        am.value_enc = Set(seal(key, &row.id, v)?);
        am.set_at = Set(now());
        am.set_by_id = Set(Some(actor.id.clone()));
        am.set_by_label = Set(actor.label.clone());
    }
    let saved = am.update(&tx).await?;
    let mut after = snapshot(&saved);
    after["value_replaced"] = json!(patch.value.is_some());
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("secret.updated", "secret", Some(&saved.id)).before(before).after(after),
    )
    .await?;
    tx.commit().await?;
    let l = labels(db, &actor.org_id).await?;
    Ok(view(&saved, &l))
}

/// Removes a secret (rules that name it then fail their step with "not set in the vault").
pub async fn delete(db: &DatabaseConnection, actor: &Actor, id: &str) -> Result<(), AppError> {
    let tx = begin_write(db).await?;
    lock_org(&tx, &actor.org_id).await?;
    let row = find_managed(&tx, actor, id).await?;
    secret::Entity::delete_by_id(row.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("secret.deleted", "secret", Some(&row.id)).before(snapshot(&row)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Integrations' credentials
// ---------------------------------------------------------------------------------------

async fn integration_row<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    name: &str,
) -> Result<Option<secret::Model>, AppError> {
    Ok(secret::Entity::find()
        .filter(secret::Column::OrgId.eq(org_id))
        .filter(secret::Column::ScopeType.eq(SCOPE_ORG))
        .filter(secret::Column::ScopeId.eq(org_id))
        .filter(secret::Column::Name.eq(name))
        .one(conn)
        .await?)
}

/// Whether an integration's credential is set.
pub async fn integration_is_set<C: ConnectionTrait>(conn: &C, org_id: &str, name: &str) -> Result<bool, AppError> {
    Ok(integration_row(conn, org_id, name).await?.is_some())
}

/// Stores an integration's credential (inside the caller's write transaction; the caller's
/// own audit event says the credential was set or replaced).
pub async fn put_integration<C: ConnectionTrait>(
    conn: &C,
    key: &[u8; 32],
    org_id: &str,
    name: &str,
    value: &str,
    description: &str,
    by: &AuditActor,
) -> Result<(), AppError> {
    let at = now();
    match integration_row(conn, org_id, name).await? {
        Some(row) => {
            let mut am: secret::ActiveModel = row.clone().into();
            am.value_enc = Set(seal(key, &row.id, value)?);
            am.description = Set(description.to_string());
            am.set_at = Set(at);
            am.set_by_id = Set(by.id.clone());
            am.set_by_label = Set(by.label.clone());
            am.update(conn).await?;
        }
        None => {
            let id = new_id();
            secret::ActiveModel {
                id: Set(id.clone()),
                org_id: Set(org_id.to_string()),
                scope_type: Set(SCOPE_ORG.into()),
                scope_id: Set(org_id.to_string()),
                name: Set(name.to_string()),
                description: Set(description.to_string()),
                value_enc: Set(seal(key, &id, value)?),
                set_at: Set(at),
                set_by_id: Set(by.id.clone()),
                set_by_label: Set(by.label.clone()),
            }
            .insert(conn)
            .await?;
        }
    }
    Ok(())
}

/// Removes an integration's credential (with its integration, in the caller's transaction).
pub async fn remove_integration<C: ConnectionTrait>(conn: &C, org_id: &str, name: &str) -> Result<(), AppError> {
    secret::Entity::delete_many()
        .filter(secret::Column::OrgId.eq(org_id))
        .filter(secret::Column::ScopeType.eq(SCOPE_ORG))
        .filter(secret::Column::ScopeId.eq(org_id))
        .filter(secret::Column::Name.eq(name))
        .exec(conn)
        .await?;
    Ok(())
}

/// Appends `secret.used` for the given rows (what was read and for what).
async fn record_use<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    rows: &[&secret::Model],
    purpose: &str,
) -> Result<(), AppError> {
    for row in rows {
        let mut after = snapshot(row);
        after["purpose"] = json!(purpose);
        audit::append(
            conn,
            org_id,
            &system_actor(),
            &RequestMeta::default(),
            NewEvent::new("secret.used", "secret", Some(&row.id)).after(after),
        )
        .await?;
    }
    Ok(())
}

/// Reads an integration's credential for the system to use, recording the read in the audit
/// trail (its own write transaction: call it outside any). None when it is not set.
pub async fn reveal_integration(
    db: &DatabaseConnection,
    key: &[u8; 32],
    org_id: &str,
    name: &str,
    purpose: &str,
) -> Result<Option<String>, AppError> {
    let tx = begin_write(db).await?;
    lock_org(&tx, org_id).await?;
    let Some(row) = integration_row(&tx, org_id, name).await? else { return Ok(None) };
    let value = open(key, &row)?;
    record_use(&tx, org_id, &[&row], purpose).await?;
    tx.commit().await?;
    Ok(Some(value))
}

/// The values of the secrets an automation rule's step names, for the store it acts on: the
/// nearest place first (the store's team, its parent teams, then the org). A person's own
/// secrets are never used by rules. Each read is audited. An error names a secret not set.
pub async fn reveal_for_step(
    db: &DatabaseConnection,
    key: &[u8; 32],
    s: &store::Model,
    names: &BTreeSet<String>,
    purpose: &str,
) -> Result<BTreeMap<String, String>, String> {
    let inner = async {
        let mut places: Vec<(String, String)> = Vec::new();
        if let Some(team) = &s.team_id {
            let tree = load_tree(db, &s.org_id).await?;
            places.extend(tree.team_and_ancestors(team).into_iter().map(|t| (SCOPE_TEAM.to_string(), t)));
        }
        places.push((SCOPE_ORG.to_string(), s.org_id.clone()));
        let tx = begin_write(db).await?;
        lock_org(&tx, &s.org_id).await?;
        let rows = secret::Entity::find()
            .filter(secret::Column::OrgId.eq(&s.org_id))
            .filter(secret::Column::Name.is_in(names.iter().cloned()))
            .all(&tx)
            .await?;
        let mut chosen: Vec<&secret::Model> = Vec::new();
        for name in names {
            let found = places
                .iter()
                .find_map(|(t, id)| rows.iter().find(|r| &r.name == name && &r.scope_type == t && &r.scope_id == id));
            match found {
                Some(r) => chosen.push(r),
                None => return Ok(Err(format!("The secret {name} is not set in the vault for this store."))),
            }
        }
        let mut values = BTreeMap::new();
        for r in &chosen {
            values.insert(r.name.clone(), open(key, r)?);
        }
        record_use(&tx, &s.org_id, &chosen, purpose).await?;
        tx.commit().await?;
        Ok::<_, AppError>(Ok(values))
    };
    match inner.await {
        Ok(result) => result,
        Err(e) => Err(e.message),
    }
}

// ---------------------------------------------------------------------------------------
// Moving in and rotating the key
// ---------------------------------------------------------------------------------------

/// Moves credentials stored before the vault existed (a connector's `secret_enc`, the SMS
/// provider's `token_enc`, the SSO `client_secret_enc`) into the vault and empties the old
/// columns. Idempotent and safe with several servers starting at once (one transaction; a
/// server finding the columns empty has nothing to do). Returns how many moved.
pub async fn adopt_legacy(db: &DatabaseConnection, key: &[u8; 32]) -> Result<usize, AppError> {
    let pending = connector::Entity::find().filter(connector::Column::SecretEnc.ne("")).count(db).await?
        + sms_provider::Entity::find().filter(sms_provider::Column::TokenEnc.ne("")).count(db).await?
        + sso_config::Entity::find().filter(sso_config::Column::ClientSecretEnc.ne("")).count(db).await?;
    if pending == 0 {
        return Ok(0);
    }
    let tx = begin_write(db).await?;
    let by = system_actor();
    let mut moved = 0;
    for c in connector::Entity::find().filter(connector::Column::SecretEnc.ne("")).all(&tx).await? {
        let value = crypto::decrypt(key, &c.secret_enc, &format!("connector:{}", c.id))?;
        let value = String::from_utf8(value).map_err(|_| AppError::internal())?;
        put_integration(&tx, key, &c.org_id, &connector_name(&c.id), &value, "", &by).await?;
        let mut am: connector::ActiveModel = c.into();
        am.secret_enc = Set(String::new());
        am.update(&tx).await?;
        moved += 1;
    }
    for p in sms_provider::Entity::find().filter(sms_provider::Column::TokenEnc.ne("")).all(&tx).await? {
        let value = crypto::decrypt(key, &p.token_enc, &format!("sms-provider:{}", p.org_id))?;
        let value = String::from_utf8(value).map_err(|_| AppError::internal())?;
        put_integration(&tx, key, &p.org_id, SMS_TOKEN_NAME, &value, "", &by).await?;
        let mut am: sms_provider::ActiveModel = p.into();
        am.token_enc = Set(String::new());
        am.update(&tx).await?;
        moved += 1;
    }
    for c in sso_config::Entity::find().filter(sso_config::Column::ClientSecretEnc.ne("")).all(&tx).await? {
        let value = crypto::decrypt(key, &c.client_secret_enc, &format!("oidc:{}", c.org_id))?;
        let value = String::from_utf8(value).map_err(|_| AppError::internal())?;
        put_integration(&tx, key, &c.org_id, SSO_CLIENT_SECRET_NAME, &value, "", &by).await?;
        let mut am: sso_config::ActiveModel = c.into();
        am.client_secret_enc = Set(String::new());
        am.update(&tx).await?;
        moved += 1;
    }
    tx.commit().await?;
    Ok(moved)
}
