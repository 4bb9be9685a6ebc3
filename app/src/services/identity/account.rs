//! Self-service for the signed-in person (profile, password, sessions) and the public
//! password-reset flow (request a link by email, set a new password with it).
//!
//! Authorization: account use-cases act on the actor's own user only, so they need a
//! person (not an API key) and no permission. The reset flow has no actor: the emailed
//! token is the proof. A reset request always answers the same way whether the email
//! exists or not (no account enumeration); requests are limited per email and per IP.

use crate::domain::audit::AuditActor;
use crate::domain::error::{ErrorCode, FieldError, Validator};
use crate::domain::org::{check_display_name, check_email, normalize_email};
use crate::domain::password::{check_confirmation, check_password};
use crate::domain::users::{reset_email, reset_validity, AccountView, SessionView, TOKEN_PASSWORD_RESET};
use crate::domain::AppError;
use crate::entities::{org, session, user};
use crate::services::audit::{self, NewEvent};
use crate::services::identity::passwords::{hash_password, verify_password};
use crate::services::identity::throttle::{self, Limit};
use crate::services::identity::users::{end_sessions, find_valid_token, issue_token, snapshot, use_token};
use crate::services::infra::db::{begin_write, now};
use crate::services::{org::outbox, Actor, ActorKind, RequestMeta};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde_json::json;

/// Reset requests allowed per email address per hour (whether or not it has an account).
pub const RESET_PER_EMAIL: i32 = 3;
/// Reset requests allowed per client IP per hour.
pub const RESET_PER_IP: i32 = 10;
/// Wrong current passwords allowed on the account page per 15 minutes.
pub const PASSWORD_CHANGE_FAILURES: i32 = 5;

/// The answer to every reset request, so it tells nothing about which emails have accounts.
pub const RESET_REQUESTED: &str =
    "If an account exists for that email, we sent it a link to reset the password. The link works for 1 hour.";

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn field(name: &str, message: &str) -> AppError {
    AppError::invalid_fields(vec![FieldError { field: name.into(), message: message.into() }])
}

/// Account pages are for people; an API key has no account.
fn require_person(actor: &Actor) -> Result<(), AppError> {
    if actor.kind == ActorKind::User {
        Ok(())
    } else {
        Err(AppError::permission_denied("Only a signed-in person has an account page."))
    }
}

async fn own_user(db: &DatabaseConnection, actor: &Actor) -> Result<user::Model, AppError> {
    user::Entity::find_by_id(actor.id.clone())
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("User"))
}

/// The signed-in time a session recorded (`auth.login_at`, Unix seconds).
fn signed_in_at(data: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(data).ok()?;
    let secs = v.get(crate::services::identity::auth::SESSION_KEY)?.get("login_at")?.as_i64()?;
    DateTime::<Utc>::from_timestamp(secs, 0).map(|t| time(&t))
}

/// The person's sessions that have not expired, newest first; `current` marks this one.
async fn sessions(db: &DatabaseConnection, user_id: &str, current: Option<&str>) -> Result<Vec<SessionView>, AppError> {
    let rows = session::Entity::find()
        .filter(session::Column::UserId.eq(user_id))
        .filter(session::Column::ExpiresAt.gt(Utc::now()))
        .order_by_desc(session::Column::ExpiresAt)
        .limit(100)
        .all(db)
        .await?;
    let mut out: Vec<SessionView> = rows
        .iter()
        .map(|s| SessionView {
            signed_in_at: signed_in_at(&s.data),
            expires_at: time(&s.expires_at),
            current: current == Some(s.id.as_str()),
        })
        .collect();
    out.sort_by(|a, b| b.current.cmp(&a.current).then(b.signed_in_at.cmp(&a.signed_in_at)));
    Ok(out)
}

/// The account page: profile and sessions. `current_session` is the id of the session the
/// request came with (never sent to the browser; only compared here).
pub async fn get(
    db: &DatabaseConnection,
    actor: &Actor,
    current_session: Option<&str>,
) -> Result<AccountView, AppError> {
    require_person(actor)?;
    let u = own_user(db, actor).await?;
    let org = org::Entity::find_by_id(actor.org_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    Ok(AccountView {
        sessions: sessions(db, &u.id, current_session).await?,
        id: u.id,
        email: u.email,
        display_name: u.display_name,
        org_name: org.name,
        roles: actor.access.role_names(),
        mfa_enabled: u.mfa_enabled,
        last_login_at: u.last_login_at.as_ref().map(time),
    })
}

/// Changes the person's display name.
pub async fn update_profile(db: &DatabaseConnection, actor: &Actor, display_name: &str) -> Result<(), AppError> {
    require_person(actor)?;
    Validator::new().add("display_name", check_display_name(display_name)).finish()?;
    let tx = begin_write(db).await?;
    let u = user::Entity::find_by_id(actor.id.clone())
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("User"))?;
    let name = display_name.trim();
    if name == u.display_name {
        return Ok(());
    }
    let before = snapshot(&u);
    let mut am: user::ActiveModel = u.into();
    am.display_name = Set(name.to_string());
    am.updated_at = Set(now());
    let u = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("user.profile_updated", "user", Some(&u.id)).before(before).after(snapshot(&u)),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

/// Changes the password after checking the current one, and ends every other session of
/// the person (the one in `keep_session` stays signed in). Returns how many ended.
pub async fn change_password(
    db: &DatabaseConnection,
    actor: &Actor,
    current_password: &str,
    new_password: &str,
    new_password_confirm: &str,
    keep_session: Option<&str>,
) -> Result<u64, AppError> {
    require_person(actor)?;
    let u = own_user(db, actor).await?;
    let at = now();
    let limit = [Limit::new(format!("pwchange:{}", u.id), PASSWORD_CHANGE_FAILURES)];
    throttle::check(db, &limit, at, "Too many wrong current passwords.").await?;
    let mut v = Validator::new();
    v.check(!current_password.is_empty(), "current_password", "Enter your current password.")
        .add("new_password", check_password(new_password, &u.email))
        .add("new_password_confirm", check_confirmation(new_password, new_password_confirm));
    v.finish()?;
    let matches = match &u.password_hash {
        Some(h) => verify_password(current_password.to_string(), h.clone()).await,
        None => false,
    };
    if !matches {
        throttle::record(db, &limit, Duration::minutes(15), at).await?;
        return Err(field("current_password", "That is not your current password."));
    }
    let hash = hash_password(new_password.to_string()).await?;
    let tx = begin_write(db).await?;
    let mut am: user::ActiveModel = u.clone().into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(now());
    am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("user.password_changed", "user", Some(&u.id)).after(json!({"other_sessions_ended": true})),
    )
    .await?;
    tx.commit().await?;
    throttle::clear(db, &limit[0].key).await?;
    Ok(end_sessions(db, &u.id, keep_session).await)
}

/// "Sign out other sessions": ends every session of the person except `keep_session`.
pub async fn end_other_sessions(
    db: &DatabaseConnection,
    actor: &Actor,
    keep_session: Option<&str>,
) -> Result<u64, AppError> {
    require_person(actor)?;
    let ended = end_sessions(db, &actor.id, keep_session).await;
    let tx = begin_write(db).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("user.sessions_ended", "user", Some(&actor.id)).after(json!({"ended": ended})),
    )
    .await?;
    tx.commit().await?;
    Ok(ended)
}

// ---- password reset (public) ----------------------------------------------------------

/// "Forgot password?": emails a reset link (valid 1 hour) to every active account with this
/// email. Answers `Ok` whether or not one exists; only a malformed email or too many
/// requests (counted per email and per IP, existing or not) are refused.
pub async fn request_password_reset(
    db: &DatabaseConnection,
    email: &str,
    meta: &RequestMeta,
    base_url: &str,
) -> Result<(), AppError> {
    Validator::new().add("email", check_email(email)).finish()?;
    let email = normalize_email(email);
    let at = now();
    let mut limits = vec![Limit::new(format!("reset:email:{email}"), RESET_PER_EMAIL)];
    if let Some(ip) = &meta.ip {
        limits.push(Limit::new(format!("reset:ip:{ip}"), RESET_PER_IP));
    }
    throttle::check(db, &limits, at, "Too many password-reset requests.").await?;
    throttle::record(db, &limits, Duration::hours(1), at).await?;

    let accounts = user::Entity::find()
        .filter(user::Column::Email.eq(email.as_str()))
        .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
        .limit(50)
        .all(db)
        .await?;
    if accounts.is_empty() {
        tracing::info!(email = %email, "password reset requested for an email without an active account");
    }
    for u in accounts {
        let Some(o) = org::Entity::find_by_id(u.org_id.clone()).one(db).await? else { continue };
        let tx = begin_write(db).await?;
        let (token, expires_at) = issue_token(&tx, &o.id, &u.id, TOKEN_PASSWORD_RESET, reset_validity()).await?;
        let link = format!("{}/reset-password/{token}", base_url.trim_end_matches('/'));
        let (subject, body) = reset_email(&o.name, &link);
        outbox::enqueue(&tx, &o.id, &u.email, &subject, &body).await?;
        let by = AuditActor { kind: "anonymous".into(), id: None, label: email.clone() };
        audit::append(
            &tx,
            &o.id,
            &by,
            meta,
            NewEvent::new("user.password_reset_requested", "user", Some(&u.id))
                .after(json!({"link_expires_at": time(&expires_at)})),
        )
        .await?;
        tx.commit().await?;
    }
    Ok(())
}

fn invalid_reset() -> AppError {
    AppError::new(
        ErrorCode::NotFound,
        "This password-reset link is not valid any more: it was used, replaced by a newer one, or it expired (links work for 1 hour). Ask for a new one.",
    )
}

/// The email a reset link is for, to show on the reset page (public: the token is the proof).
pub async fn reset_info(db: &DatabaseConnection, token: &str) -> Result<String, AppError> {
    let (_, u) = find_valid_token(db, token, TOKEN_PASSWORD_RESET).await?.ok_or_else(invalid_reset)?;
    if u.status != user::STATUS_ACTIVE {
        return Err(invalid_reset());
    }
    Ok(u.email)
}

/// Sets a new password with a reset link, uses the link up and ends every session of the
/// account (the person signs in again with the new password).
pub async fn reset_password(
    db: &DatabaseConnection,
    token: &str,
    password: &str,
    password_confirm: &str,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    let (t, u) = find_valid_token(db, token, TOKEN_PASSWORD_RESET).await?.ok_or_else(invalid_reset)?;
    if u.status != user::STATUS_ACTIVE {
        return Err(invalid_reset());
    }
    Validator::new()
        .add("password", check_password(password, &u.email))
        .add("password_confirm", check_confirmation(password, password_confirm))
        .finish()?;
    let hash = hash_password(password.to_string()).await?;
    let at = now();
    let tx = begin_write(db).await?;
    if !use_token(&tx, &t.id, at).await? {
        return Err(invalid_reset());
    }
    let u = user::Entity::find_by_id(u.id.clone()).one(&tx).await?.ok_or_else(invalid_reset)?;
    if u.status != user::STATUS_ACTIVE {
        return Err(invalid_reset());
    }
    let mut am: user::ActiveModel = u.clone().into();
    am.password_hash = Set(Some(hash));
    am.updated_at = Set(at);
    am.update(&tx).await?;
    let by = AuditActor { kind: "user".into(), id: Some(u.id.clone()), label: u.email.clone() };
    audit::append(
        &tx,
        &u.org_id,
        &by,
        meta,
        NewEvent::new("user.password_reset", "user", Some(&u.id)).after(json!({"sessions_ended": true})),
    )
    .await?;
    tx.commit().await?;
    end_sessions(db, &u.id, None).await;
    Ok(())
}
