//! An org's single sign-on provider (OpenID Connect, issue 15): reading, saving and removing
//! its settings, the client secret sealed at rest, what the sign-in page may know before
//! anyone signs in, and the rule that password sign-in may be off for everyone but Owners.
//! The sign-in flow itself (redirect, callback, tokens) is `identity::oidc`.
//!
//! Who may: managing the provider needs `org.manage` at the org (Owners). Whoever controls
//! the provider can sign in as any person of the allowed domains, Owners included, so this
//! is an Owner's decision, not an Admin's (`settings.manage` would let an Admin make
//! themselves Owner through an identity provider of their own).
//!
//! The client secret is kept in the vault (`services::vault`, the org's `sso:client-secret`),
//! read only for the token request of a sign-in in flight (an audited read).

use crate::domain::access::ScopeRef;
use crate::domain::error::FieldError;
use crate::domain::permission::{BuiltInRole, Permission};
use crate::domain::secrets::SSO_CLIENT_SECRET_NAME;
use crate::domain::sso::{
    password_sign_in_off_message, RoleChoice, SsoConfigInput, SsoConfigView, SsoSignInOption, CALLBACK_PATH,
    PROVISIONING_INVITED, PROVISIONING_JIT, START_PATH,
};
use crate::domain::AppError;
use crate::entities::{org, role, role_assignment, sso_config};
use crate::services::access::authz::authorize;
use crate::services::access::guards::{escalation_error, not_held};
use crate::services::access::lookup::find_role;
use crate::services::access::roles::role_permissions;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, rfc3339};
use crate::services::vault;
use crate::services::Actor;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, Set,
};
use serde_json::{json, Value};

/// The org's provider settings, if any.
pub async fn config_of<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Option<sso_config::Model>, AppError> {
    Ok(sso_config::Entity::find().filter(sso_config::Column::OrgId.eq(org_id)).one(conn).await?)
}

/// The allowed domains of a stored configuration.
pub fn domains_of(cfg: &sso_config::Model) -> Vec<String> {
    serde_json::from_str(&cfg.allowed_domains).unwrap_or_default()
}

/// The redirect (callback) URL to register with the provider.
pub fn redirect_url(base_url: &str) -> String {
    format!("{}{CALLBACK_PATH}", base_url.trim_end_matches('/'))
}

fn sign_in_url(base_url: &str, org_slug: &str) -> String {
    format!("{}{START_PATH}?org={org_slug}", base_url.trim_end_matches('/'))
}

/// Audit snapshot: everything but the secret.
fn snapshot(cfg: &sso_config::Model) -> Value {
    json!({
        "display_name": cfg.display_name,
        "issuer_url": cfg.issuer_url,
        "client_id": cfg.client_id,
        "allowed_domains": domains_of(cfg),
        "provisioning": cfg.provisioning,
        "default_role_id": cfg.default_role_id,
        "enabled": cfg.enabled,
        "password_sign_in_disabled": cfg.password_sign_in_disabled,
    })
}

async fn view<C: ConnectionTrait>(
    conn: &C,
    cfg: Option<&sso_config::Model>,
    base_url: &str,
    org_slug: &str,
) -> Result<SsoConfigView, AppError> {
    let default_role_name = match cfg.and_then(|c| c.default_role_id.clone()) {
        Some(id) => role::Entity::find_by_id(id).one(conn).await?.map(|r| r.name),
        None => None,
    };
    Ok(SsoConfigView {
        configured: cfg.is_some(),
        display_name: cfg.map(|c| c.display_name.clone()),
        issuer_url: cfg.map(|c| c.issuer_url.clone()),
        client_id: cfg.map(|c| c.client_id.clone()),
        client_secret_set: cfg.is_some(),
        allowed_domains: cfg.map(domains_of).unwrap_or_default(),
        provisioning: cfg.map(|c| c.provisioning.clone()).unwrap_or_else(|| PROVISIONING_INVITED.to_string()),
        default_role_id: cfg.and_then(|c| c.default_role_id.clone()),
        default_role_name,
        enabled: cfg.is_some_and(|c| c.enabled),
        password_sign_in_disabled: cfg.is_some_and(|c| c.password_sign_in_disabled),
        redirect_url: redirect_url(base_url),
        sign_in_url: sign_in_url(base_url, org_slug),
        updated_at: cfg.map(|c| rfc3339(&c.updated_at)),
    })
}

/// The org's provider settings (`org.manage`); never the client secret.
pub async fn get(db: &DatabaseConnection, actor: &Actor, base_url: &str) -> Result<SsoConfigView, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let cfg = config_of(db, &actor.org_id).await?;
    view(db, cfg.as_ref(), base_url, &actor.org_slug).await
}

/// The roles the default-role picker offers: built-in and the org's own, without Owner and
/// without any role that manages the organisation (nobody becomes an Owner by signing in).
pub async fn role_choices(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<RoleChoice>, AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let mut roles = role::Entity::find()
        .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(actor.org_id.as_str())))
        .all(db)
        .await?;
    // Built-ins first in their order (Owner … Viewer), then the org's own by name.
    let rank = |r: &role::Model| BuiltInRole::ALL.iter().position(|b| b.id() == r.id).unwrap_or(usize::MAX);
    roles.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.name.cmp(&b.name)));
    let mut out = Vec::new();
    for r in roles {
        if role_permissions(db, &r.id).await?.contains(&Permission::OrgManage) {
            continue;
        }
        out.push(RoleChoice { id: r.id, name: r.name });
    }
    Ok(out)
}

fn role_field(message: impl Into<String>) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: "default_role_id".into(), message: message.into() }])
}

/// Checks the default role for just-in-time provisioning: one of the org's roles, never one
/// managing the organisation, and one the actor could hand out themselves.
async fn check_default_role<C: ConnectionTrait>(conn: &C, actor: &Actor, role_id: &str) -> Result<(), AppError> {
    let role = find_role(conn, &actor.org_id, role_id)
        .await
        .map_err(|_| role_field("Choose one of the organisation's roles."))?;
    let perms = role_permissions(conn, &role.id).await?;
    if role.id == BuiltInRole::Owner.id() || perms.contains(&Permission::OrgManage) {
        return Err(role_field(
            "People added on their first sign-in can't get a role that manages the organisation. Choose another role.",
        ));
    }
    let missing = not_held(actor, perms, &ScopeRef::Org);
    if !missing.is_empty() {
        return Err(escalation_error(&missing, "give new people a role with"));
    }
    Ok(())
}

/// Saves the org's provider (`org.manage`). The client secret is sealed and only said to be
/// set; a change without one keeps the stored secret. Returns whether it was created.
pub async fn set(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    base_url: &str,
    input: SsoConfigInput,
) -> Result<(bool, SsoConfigView), AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let current = config_of(db, &actor.org_id).await?;
    let input = input.normalized();
    input.check(current.is_none())?;
    let default_role_id = if input.provisioning == PROVISIONING_JIT { input.default_role_id.clone() } else { None };
    if let Some(r) = &default_role_id {
        check_default_role(db, actor, r).await?;
    }
    let domains = serde_json::to_string(&input.allowed_domains).map_err(|_| AppError::internal())?;
    let at = now();
    let tx = begin_write(db).await?;
    let (created, before, saved) = match current {
        Some(c) => {
            let before = snapshot(&c);
            let mut am: sso_config::ActiveModel = c.into();
            am.display_name = Set(input.display_name.clone());
            am.issuer_url = Set(input.issuer_url.clone());
            am.client_id = Set(input.client_id.clone());
            am.allowed_domains = Set(domains);
            am.provisioning = Set(input.provisioning.clone());
            am.default_role_id = Set(default_role_id);
            am.enabled = Set(input.enabled);
            am.password_sign_in_disabled = Set(input.password_sign_in_disabled);
            am.updated_at = Set(at);
            (false, Some(before), am.update(&tx).await?)
        }
        None => (
            true,
            None,
            sso_config::ActiveModel {
                id: Set(new_id()),
                org_id: Set(actor.org_id.clone()),
                display_name: Set(input.display_name.clone()),
                issuer_url: Set(input.issuer_url.clone()),
                client_id: Set(input.client_id.clone()),
                client_secret_enc: Set(String::new()),
                allowed_domains: Set(domains),
                provisioning: Set(input.provisioning.clone()),
                default_role_id: Set(default_role_id),
                enabled: Set(input.enabled),
                password_sign_in_disabled: Set(input.password_sign_in_disabled),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await?,
        ),
    };
    if let Some(secret) = &input.client_secret {
        vault::put_integration(&tx, key, &actor.org_id, SSO_CLIENT_SECRET_NAME, secret, "", &actor.audit_actor())
            .await?;
    } else if created {
        return Err(AppError::internal());
    }
    let mut after = snapshot(&saved);
    after["client_secret"] = json!(match (&input.client_secret, created) {
        (Some(_), true) => "set",
        (Some(_), false) => "replaced",
        (None, _) => "kept",
    });
    let mut event =
        NewEvent::new(if created { "sso.configured" } else { "sso.updated" }, "sso_config", Some(&saved.id))
            .after(after);
    if let Some(b) = before {
        event = event.before(b);
    }
    audit::append(&tx, &actor.org_id, &actor.audit_actor(), &actor.meta, event).await?;
    let view = view(&tx, Some(&saved), base_url, &actor.org_slug).await?;
    tx.commit().await?;
    Ok((created, view))
}

/// Removes the org's provider (`org.manage`): sign-in through it stops and password sign-in
/// is back for everyone. People it created keep their accounts (without a password they use
/// "Forgot password?").
pub async fn delete(db: &DatabaseConnection, actor: &Actor) -> Result<(), AppError> {
    authorize(actor, Permission::OrgManage, &ScopeRef::Org)?;
    let Some(cfg) = config_of(db, &actor.org_id).await? else {
        return Err(AppError::not_found("Single sign-on provider"));
    };
    let tx = begin_write(db).await?;
    sso_config::Entity::delete_by_id(cfg.id.clone()).exec(&tx).await?;
    vault::remove_integration(&tx, &actor.org_id, SSO_CLIENT_SECRET_NAME).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("sso.deleted", "sso_config", Some(&cfg.id)).before(snapshot(&cfg)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// What the sign-in page shows of an org and its provider (public: anyone may start a
/// sign-in there). `start_with`: what the "Sign in with …" link passes to the start.
pub fn sign_in_option_of(o: &org::Model, cfg: &sso_config::Model, start_with: &str) -> SsoSignInOption {
    SsoSignInOption {
        org_name: o.name.clone(),
        org_slug: o.slug.clone(),
        provider_name: cfg.display_name.clone(),
        password_sign_in_disabled: cfg.password_sign_in_disabled,
        start_with: start_with.to_string(),
    }
}

/// The sign-in option of an org short name, when its single sign-on is on.
pub async fn sign_in_option(db: &DatabaseConnection, org_slug: &str) -> Result<Option<SsoSignInOption>, AppError> {
    let slug = org_slug.trim().to_lowercase();
    if slug.is_empty() {
        return Ok(None);
    }
    let Some(o) = org::Entity::find().filter(org::Column::Slug.eq(slug)).one(db).await? else {
        return Ok(None);
    };
    Ok(config_of(db, &o.id).await?.filter(|c| c.enabled).map(|c| sign_in_option_of(&o, &c, &o.slug)))
}

/// The refusal of a password sign-in (or of choosing a password on an invitation) by
/// `user_id` at `o`, if the org has switched password sign-in off and they are not one of
/// its org-wide Owners (their break-glass path; the caller checks the account is active).
pub async fn password_sign_in_refusal<C: ConnectionTrait>(
    conn: &C,
    o: &org::Model,
    user_id: &str,
) -> Result<Option<String>, AppError> {
    let Some(cfg) = config_of(conn, &o.id).await? else { return Ok(None) };
    if !(cfg.enabled && cfg.password_sign_in_disabled) {
        return Ok(None);
    }
    let owner = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(o.id.as_str()))
        .filter(role_assignment::Column::UserId.eq(user_id))
        .filter(role_assignment::Column::RoleId.eq(BuiltInRole::Owner.id()))
        .filter(role_assignment::Column::ScopeType.eq("org"))
        .one(conn)
        .await?
        .is_some();
    if owner {
        return Ok(None);
    }
    Ok(Some(password_sign_in_off_message(&o.name, &cfg.display_name)))
}
