//! Telling people (§2 notifications): `notify` sends one notification of a kind to a person
//! on the channels they chose (or the kind's defaults): in-app, email through the outbox, SMS
//! through the org's SMS provider, each written inside the caller's transaction. Also here: a
//! person's notification choices, the org's SMS provider (token write-only, encrypted at
//! rest) and the SMS sender.
//!
//! SMS: a Twilio-style form post (`To`, `From`, `Body`) with basic auth (account id and
//! token) to the provider's URL; 2xx is sent, 4xx (but 408/429) fails at once, anything else
//! is retried after 30 s doubling up to 1 h, at most 8 attempts. A message is claimed for 5
//! minutes before it is sent, so several servers never send one twice.

use crate::domain::access::ScopeRef;
use crate::domain::notify::{NotificationSettings, SmsProviderInput, SmsProviderView, KINDS};
use crate::domain::permission::Permission;
use crate::domain::secrets::SMS_TOKEN_NAME;
use crate::domain::AppError;
use crate::entities::{notification, sms_outbox, sms_provider, user};
use crate::services::access::authz::authorize;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, new_id, now, rfc3339};
use crate::services::org::outbox;
use crate::services::vault;
use crate::services::{Actor, ActorKind};
use chrono::Duration;
use sea_orm::sea_query::Condition;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::json;
use std::collections::HashMap;

/// A person's own notification choices (empty when they made none; what applies to them,
/// inherited, is `preferences::notification_settings`).
pub async fn settings_of<C: ConnectionTrait>(conn: &C, user_id: &str) -> Result<NotificationSettings, AppError> {
    let own = super::preferences::own_settings(conn, "user", user_id).await?;
    Ok(own.get("notifications").cloned().and_then(|v| serde_json::from_value(v).ok()).unwrap_or_default())
}

/// What to tell a person.
pub struct Notice<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub body: &'a str,
    /// info | warning | critical
    pub severity: &'a str,
    pub link: Option<&'a str>,
    pub action_id: Option<&'a str>,
}

/// Sends `n` to `person` on their channels for its kind, inside the caller's transaction.
/// SMS goes out only when the org has a provider and the person a number.
pub async fn notify<C: ConnectionTrait>(conn: &C, person: &user::Model, n: &Notice<'_>) -> Result<(), AppError> {
    let settings = super::preferences::notification_settings(conn, person).await?;
    for channel in settings.channels_for(n.kind) {
        match channel.as_str() {
            "in_app" => {
                notification::ActiveModel {
                    id: Set(new_id()),
                    org_id: Set(person.org_id.clone()),
                    user_id: Set(person.id.clone()),
                    title: Set(n.title.chars().take(200).collect()),
                    body: Set(n.body.to_string()),
                    severity: Set(n.severity.to_string()),
                    link: Set(n.link.map(str::to_string)),
                    dedupe_key: Set(None),
                    action_id: Set(n.action_id.map(str::to_string)),
                    read_at: Set(None),
                    created_at: Set(now()),
                }
                .insert(conn)
                .await?;
            }
            "email" => {
                outbox::enqueue(conn, &person.org_id, &person.email, n.title, n.body).await?;
            }
            "sms" => {
                let has_provider = sms_provider::Entity::find()
                    .filter(sms_provider::Column::OrgId.eq(&person.org_id))
                    .one(conn)
                    .await?
                    .is_some();
                if let (true, Some(to)) = (has_provider, &settings.sms_number) {
                    let text: String = format!("{}: {}", n.title, n.body).chars().take(600).collect();
                    sms_outbox::ActiveModel {
                        id: Set(new_id()),
                        org_id: Set(person.org_id.clone()),
                        to_number: Set(to.clone()),
                        body: Set(text),
                        created_at: Set(now()),
                        sent_at: Set(None),
                        attempts: Set(0),
                        last_error: Set(None),
                        next_attempt_at: Set(None),
                    }
                    .insert(conn)
                    .await?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// A person's choices with the kinds they can choose for (`/account`).
pub async fn my_settings(
    db: &DatabaseConnection,
    actor: &Actor,
) -> Result<(NotificationSettings, Vec<crate::domain::notify::Kind>), AppError> {
    if actor.kind != ActorKind::User {
        return Err(AppError::permission_denied("Notification choices belong to people, not keys."));
    }
    let me = user::Entity::find_by_id(actor.id.clone()).one(db).await?.ok_or_else(AppError::unauthenticated)?;
    Ok((super::preferences::notification_settings(db, &me).await?, KINDS.to_vec()))
}

/// Saves a person's own choices (checked, audited).
pub async fn set_my_settings(
    db: &DatabaseConnection,
    actor: &Actor,
    settings: NotificationSettings,
) -> Result<NotificationSettings, AppError> {
    if actor.kind != ActorKind::User {
        return Err(AppError::permission_denied("Notification choices belong to people, not keys."));
    }
    let settings = settings.checked()?;
    let before = settings_of(db, &actor.id).await?;
    let tx = begin_write(db).await?;
    let mut all = super::preferences::own_settings(&tx, "user", &actor.id).await?;
    all["notifications"] = json!(settings);
    super::preferences::write_own(&tx, &actor.org_id, "user", &actor.id, &all).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("preferences.notifications_changed", "user", Some(&actor.id))
            .before(json!(before))
            .after(json!(settings)),
    )
    .await?;
    tx.commit().await?;
    Ok(settings)
}

fn provider_view(p: Option<&sms_provider::Model>) -> SmsProviderView {
    SmsProviderView {
        configured: p.is_some(),
        url: p.map(|p| p.url.clone()),
        account_sid: p.map(|p| p.account_sid.clone()),
        from_number: p.map(|p| p.from_number.clone()),
        token_set: p.is_some(),
        updated_at: p.map(|p| rfc3339(&p.updated_at)),
    }
}

async fn provider<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<Option<sms_provider::Model>, AppError> {
    Ok(sms_provider::Entity::find().filter(sms_provider::Column::OrgId.eq(org_id)).one(conn).await?)
}

/// The org's SMS provider (`secrets.manage` at the org); never the token.
pub async fn sms_provider_get(db: &DatabaseConnection, actor: &Actor) -> Result<SmsProviderView, AppError> {
    authorize(actor, Permission::SecretsManage, &ScopeRef::Org)?;
    Ok(provider_view(provider(db, &actor.org_id).await?.as_ref()))
}

/// Sets the org's SMS provider; the token is stored encrypted and only said to be set.
pub async fn sms_provider_set(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    input: SmsProviderInput,
) -> Result<(bool, SmsProviderView), AppError> {
    authorize(actor, Permission::SecretsManage, &ScopeRef::Org)?;
    let current = provider(db, &actor.org_id).await?;
    input.check(current.is_none())?;
    let token = input.auth_token.as_deref().map(str::trim).filter(|t| !t.is_empty());
    let at = now();
    let tx = begin_write(db).await?;
    let (created, saved) = match current {
        Some(p) => {
            let mut am: sms_provider::ActiveModel = p.into();
            am.url = Set(input.url.trim().to_string());
            am.account_sid = Set(input.account_sid.trim().to_string());
            am.from_number = Set(input.from_number.trim().to_string());
            am.updated_at = Set(at);
            (false, am.update(&tx).await?)
        }
        None => (
            true,
            sms_provider::ActiveModel {
                id: Set(new_id()),
                org_id: Set(actor.org_id.clone()),
                url: Set(input.url.trim().to_string()),
                account_sid: Set(input.account_sid.trim().to_string()),
                from_number: Set(input.from_number.trim().to_string()),
                token_enc: Set(String::new()),
                created_at: Set(at),
                updated_at: Set(at),
            }
            .insert(&tx)
            .await?,
        ),
    };
    if let Some(t) = token {
        vault::put_integration(&tx, key, &actor.org_id, SMS_TOKEN_NAME, t, "", &actor.audit_actor()).await?;
    }
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("sms_provider.set", "sms_provider", Some(&saved.id)).after(json!({
            "url": saved.url, "account_sid": saved.account_sid, "from_number": saved.from_number,
            "token": if token.is_some() { "set" } else { "kept" },
        })),
    )
    .await?;
    tx.commit().await?;
    Ok((created, provider_view(Some(&saved))))
}

/// Removes the org's SMS provider (text messages stop; waiting ones fail when due).
pub async fn sms_provider_delete(db: &DatabaseConnection, actor: &Actor) -> Result<(), AppError> {
    authorize(actor, Permission::SecretsManage, &ScopeRef::Org)?;
    let Some(p) = provider(db, &actor.org_id).await? else { return Err(AppError::not_found("SMS provider")) };
    let tx = begin_write(db).await?;
    sms_provider::Entity::delete_by_id(p.id.clone()).exec(&tx).await?;
    vault::remove_integration(&tx, &actor.org_id, SMS_TOKEN_NAME).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("sms_provider.deleted", "sms_provider", Some(&p.id)),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Sends due text messages (at most `limit`); returns (sent, failed).
pub async fn deliver_sms_due(db: &DatabaseConnection, key: &[u8; 32], limit: u64) -> Result<(usize, usize), AppError> {
    let client = http();
    let at = now();
    let due = Condition::all()
        .add(sms_outbox::Column::SentAt.is_null())
        .add(sms_outbox::Column::Attempts.lt(MAX_ATTEMPTS))
        .add(
            Condition::any()
                .add(sms_outbox::Column::NextAttemptAt.is_null())
                .add(sms_outbox::Column::NextAttemptAt.lte(at)),
        );
    if sms_outbox::Entity::find().filter(due.clone()).one(db).await?.is_none() {
        return Ok((0, 0));
    }
    // Claim: push the next attempt 5 minutes out in a write transaction (rows locked on
    // PostgreSQL, skipped by other senders), then send outside it.
    let tx = begin_write(db).await?;
    let rows = sms_outbox::Entity::find()
        .filter(due)
        .order_by_asc(sms_outbox::Column::CreatedAt)
        .limit(limit)
        .lock_with_behavior(sea_orm::sea_query::LockType::Update, sea_orm::sea_query::LockBehavior::SkipLocked)
        .all(&tx)
        .await?;
    for r in &rows {
        let mut am: sms_outbox::ActiveModel = r.clone().into();
        am.next_attempt_at = Set(Some(at + Duration::minutes(5)));
        am.attempts = Set(r.attempts + 1);
        am.update(&tx).await?;
    }
    tx.commit().await?;
    let (mut sent, mut failed) = (0, 0);
    // Each org's provider and token, read from the vault once per batch (an audited read).
    let mut providers: HashMap<String, Result<(sms_provider::Model, String), String>> = HashMap::new();
    for r in rows {
        if !providers.contains_key(&r.org_id) {
            let found = match provider(db, &r.org_id).await? {
                None => Err("The organisation has no SMS provider any more.".to_string()),
                Some(p) => {
                    match vault::reveal_integration(db, key, &p.org_id, SMS_TOKEN_NAME, "sending text messages").await {
                        Ok(Some(token)) => Ok((p, token)),
                        Ok(None) => Err("The SMS provider has no token; set it on the SMS provider page.".to_string()),
                        Err(e) => Err(e.message),
                    }
                }
            };
            providers.insert(r.org_id.clone(), found);
        }
        let result = match providers.get(&r.org_id) {
            Some(Ok((p, token))) => send(client, p, token, &r).await,
            Some(Err(why)) => Err((true, why.clone())),
            None => Err((true, "The organisation has no SMS provider any more.".to_string())),
        };
        let mut am: sms_outbox::ActiveModel = r.clone().into();
        match result {
            Ok(()) => {
                am.sent_at = Set(Some(now()));
                am.last_error = Set(None);
                sent += 1;
            }
            Err((permanent, message)) => {
                am.last_error = Set(Some(message));
                let attempts = r.attempts + 1;
                am.next_attempt_at =
                    Set(if permanent || attempts >= MAX_ATTEMPTS { None } else { Some(now() + backoff(attempts)) });
                if permanent {
                    am.attempts = Set(MAX_ATTEMPTS);
                }
                failed += 1;
            }
        }
        am.update(db).await?;
    }
    Ok((sent, failed))
}

const MAX_ATTEMPTS: i32 = 8;

/// One HTTP client for the sender (no redirects followed: a provider's redirect is an error).
fn http() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_else(|_| reqwest::Client::new())
    })
}

fn backoff(attempts: i32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << (attempts.clamp(1, 8) - 1));
    Duration::seconds(secs.min(3600))
}

async fn send(
    client: &reqwest::Client,
    p: &sms_provider::Model,
    token: &str,
    m: &sms_outbox::Model,
) -> Result<(), (bool, String)> {
    let res = client
        .post(&p.url)
        .basic_auth(&p.account_sid, Some(token))
        .form(&[("To", m.to_number.as_str()), ("From", p.from_number.as_str()), ("Body", m.body.as_str())])
        .timeout(std::time::Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| {
            (
                false,
                format!(
                    "The SMS provider could not be reached ({}).",
                    if e.is_timeout() { "timeout" } else { "connection" }
                ),
            )
        })?;
    let status = res.status().as_u16();
    match status {
        200..=299 => Ok(()),
        408 | 429 | 500..=599 => Err((false, format!("The SMS provider answered {status}; trying again later."))),
        _ => Err((true, format!("The SMS provider refused the message ({status})."))),
    }
}

/// The active people holding `permission` at the org or at one of `scopes` ((scope type,
/// id): the teams above something, its store), each once.
pub async fn people_holding<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    permission: &str,
    scopes: &[(String, String)],
) -> Result<Vec<user::Model>, AppError> {
    use crate::entities::{role_assignment, role_permission};
    let roles: Vec<String> = role_permission::Entity::find()
        .select_only()
        .column(role_permission::Column::RoleId)
        .filter(role_permission::Column::Permission.eq(permission))
        .into_tuple()
        .all(conn)
        .await?;
    let holders = role_assignment::Entity::find()
        .filter(role_assignment::Column::OrgId.eq(org_id))
        .filter(role_assignment::Column::RoleId.is_in(roles))
        .all(conn)
        .await?;
    let ids: Vec<String> = holders
        .into_iter()
        .filter(|a| a.scope_type == "org" || scopes.iter().any(|(t, id)| *t == a.scope_type && *id == a.scope_id))
        .map(|a| a.user_id)
        .collect();
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(ids))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .order_by_asc(user::Column::Id)
        .all(conn)
        .await?)
}
