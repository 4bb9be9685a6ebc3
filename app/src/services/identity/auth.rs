//! Signing in and out, the sign-in throttle, and turning a session into an `Actor`.
//!
//! Failed sign-ins are counted per account (email) and per client IP; past the limit the
//! key is locked for a while. The wrong-credentials message is the same whether the email
//! exists or not, and an unknown email still costs one argon2 verification.

use crate::domain::audit::AuditActor;
use crate::domain::org::normalize_email;
use crate::domain::{AppError, FieldError};
use crate::entities::{org, user};
use crate::services::audit::{self, NewEvent};
use crate::services::identity::passwords::{dummy_hash, verify_password};
use crate::services::identity::throttle::{self, Limit};
use crate::services::infra::db::{begin_write, now};
use crate::services::{Actor, ActorKind, RequestMeta};
use chrono::{DateTime, Duration, Utc};
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect, Set};
use serde::{Deserialize, Serialize};

/// Failures per account within the window before it is locked.
pub const ACCOUNT_MAX_FAILURES: i32 = 5;
/// Failures per client IP within the window before it is locked.
pub const IP_MAX_FAILURES: i32 = 20;
/// Window for counting failures, and lock duration once the limit is reached.
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;

pub const WRONG_CREDENTIALS: &str = "Email or password is wrong.";

/// What the session stores about the signed-in person.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    pub org_id: String,
    /// Unix seconds of sign-in, for the absolute session lifetime.
    pub login_at: i64,
}

/// The session key under which `SessionUser` is stored.
pub const SESSION_KEY: &str = "auth";

fn account_key(email: &str) -> String {
    format!("account:{email}")
}

fn ip_key(ip: &str) -> String {
    format!("ip:{ip}")
}

/// The sign-in throttle's keys: the account and, when known, the client IP.
pub(crate) fn throttle_keys(email: &str, meta: &RequestMeta) -> Vec<Limit> {
    let mut keys = vec![Limit::new(account_key(email), ACCOUNT_MAX_FAILURES)];
    if let Some(ip) = &meta.ip {
        keys.push(Limit::new(ip_key(ip), IP_MAX_FAILURES));
    }
    keys
}

/// Refuses the attempt while any of its keys is locked.
pub(crate) async fn check_throttle(db: &DatabaseConnection, keys: &[Limit], at: DateTime<Utc>) -> Result<(), AppError> {
    throttle::check(db, keys, at, "Too many failed sign-in attempts.").await
}

/// Counts one failure for each key; locks a key that reaches its limit.
pub(crate) async fn record_failure(db: &DatabaseConnection, keys: &[Limit], at: DateTime<Utc>) -> Result<(), AppError> {
    throttle::record(db, keys, Duration::minutes(THROTTLE_WINDOW_MINUTES), at).await
}

async fn clear_account_throttle(db: &DatabaseConnection, email: &str) -> Result<(), AppError> {
    throttle::clear(db, &account_key(email)).await
}

#[derive(Clone, Debug)]
pub struct LoginInput {
    pub email: String,
    pub password: String,
    /// Needed only when the email belongs to several organisations.
    pub org_slug: Option<String>,
}

/// Where a correct password leads.
// One short-lived value per sign-in: boxing the large variant would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum LoginStep {
    /// Signed in: the caller cycles the session id and stores the `SessionUser`.
    Done(SessionUser, user::Model, org::Model),
    /// The account uses MFA: nothing is signed in yet. The caller keeps this in the session
    /// (not under `SESSION_KEY`) and asks for a code; `services::identity::mfa::complete_login` finishes.
    MfaRequired(MfaPending),
}

/// A sign-in waiting for its second step (stored in the session under `MFA_PENDING_KEY`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct MfaPending {
    pub user_id: String,
    pub org_id: String,
    /// The normalised email, for the sign-in throttle.
    pub email: String,
    /// Unix seconds after which the password must be entered again.
    pub expires_at: i64,
    /// Where to go once signed in (already checked to be a local path).
    pub next: Option<String>,
    /// How the first step was done: None for a password, `oidc` for single sign-on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<String>,
}

/// The session key of a pending second step.
pub const MFA_PENDING_KEY: &str = "mfa_pending";
/// How long the second step may take.
pub const MFA_PENDING_MINUTES: i64 = 5;

/// Checks the credentials and records the sign-in (or the failure). On success the caller
/// cycles the session id and stores the returned `SessionUser`. An account with MFA never
/// signs in here: it answers UNAUTHENTICATED; pages use `login_step`.
pub async fn login(
    db: &DatabaseConnection,
    input: LoginInput,
    meta: &RequestMeta,
) -> Result<(SessionUser, user::Model, org::Model), AppError> {
    match login_step(db, input, meta).await? {
        LoginStep::Done(session, u, o) => Ok((session, u, o)),
        LoginStep::MfaRequired(_) => Err(AppError::unauthenticated_with(
            "This account uses two-step sign-in: enter a code from your authenticator app to finish.",
        )),
    }
}

/// Checks the credentials. Without MFA the sign-in is recorded and done; with MFA the
/// password step only is done, and a pending second step is returned.
pub async fn login_step(db: &DatabaseConnection, input: LoginInput, meta: &RequestMeta) -> Result<LoginStep, AppError> {
    let email = normalize_email(&input.email);
    if email.is_empty() || input.password.is_empty() {
        return Err(AppError::unauthenticated_with(WRONG_CREDENTIALS));
    }
    let at = now();
    let keys = throttle_keys(&email, meta);
    check_throttle(db, &keys, at).await?;

    let org_slug = input.org_slug.as_deref().map(str::trim).filter(|s| !s.is_empty());
    let mut candidates = users_with_email(db, &email).await?;
    if let Some(slug) = org_slug {
        candidates.retain(|(_, o)| o.slug == slug);
    }

    let mut matched = Vec::new();
    if candidates.is_empty() {
        verify_password(input.password.clone(), dummy_hash().to_string()).await;
    }
    for (u, o) in candidates.iter() {
        let ok = match &u.password_hash {
            Some(h) => verify_password(input.password.clone(), h.clone()).await,
            None => false,
        };
        if ok {
            matched.push((u.clone(), o.clone()));
        }
    }

    let active: Vec<_> = matched.iter().filter(|(u, _)| u.status == user::STATUS_ACTIVE).cloned().collect();
    if active.is_empty() {
        record_failure(db, &keys, at).await?;
        // Record the failure in the chain of each org where this email exists.
        for (u, o) in &candidates {
            let tx = begin_write(db).await?;
            let reason = if matched.iter().any(|(m, _)| m.id == u.id) {
                format!("account is {}", u.status)
            } else {
                "wrong password".to_string()
            };
            let actor = AuditActor { kind: "anonymous".into(), id: None, label: email.clone() };
            audit::append(
                &tx,
                &o.id,
                &actor,
                meta,
                NewEvent::new("auth.login_failed", "user", Some(&u.id)).after(serde_json::json!({"reason": reason})),
            )
            .await?;
            tx.commit().await?;
        }
        if candidates.is_empty() {
            tracing::info!(email = %email, "sign-in failed: unknown email");
        }
        return Err(AppError::unauthenticated_with(WRONG_CREDENTIALS));
    }
    if active.len() > 1 {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "org".into(),
            message: "This email belongs to several organisations. Enter the short name of the one to sign in to."
                .into(),
        }]));
    }
    let (u, o) = active.into_iter().next().ok_or_else(AppError::internal)?;
    // The org may sign in through its identity provider only (Owners keep passwords).
    if let Some(message) = crate::services::identity::sso::password_sign_in_refusal(db, &o, &u.id).await? {
        let tx = begin_write(db).await?;
        let actor = AuditActor { kind: "anonymous".into(), id: None, label: email.clone() };
        audit::append(
            &tx,
            &o.id,
            &actor,
            meta,
            NewEvent::new("auth.login_failed", "user", Some(&u.id))
                .after(serde_json::json!({"method": "password", "reason": "password sign-in is off"})),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::permission_denied(message));
    }
    if u.mfa_enabled {
        return Ok(LoginStep::MfaRequired(MfaPending {
            user_id: u.id.clone(),
            org_id: o.id.clone(),
            email,
            expires_at: at.timestamp() + MFA_PENDING_MINUTES * 60,
            next: None,
            method: None,
        }));
    }
    let (session, u, o) = finish_login(db, u, o, &email, meta, None, "password").await?;
    Ok(LoginStep::Done(session, u, o))
}

/// Records a completed sign-in (`last_login_at`, the `auth.login` event naming the method,
/// `password` or `oidc`, and the second factor if one was used) and clears the account's
/// failure count.
pub(crate) async fn finish_login(
    db: &DatabaseConnection,
    u: user::Model,
    o: org::Model,
    email: &str,
    meta: &RequestMeta,
    second_factor: Option<&str>,
    method: &str,
) -> Result<(SessionUser, user::Model, org::Model), AppError> {
    let at = now();
    let tx = begin_write(db).await?;
    let mut am: user::ActiveModel = u.clone().into();
    am.last_login_at = Set(Some(at));
    let u = am.update(&tx).await?;
    let actor = AuditActor { kind: "user".into(), id: Some(u.id.clone()), label: u.email.clone() };
    let mut after = serde_json::json!({"method": method});
    if let Some(factor) = second_factor {
        after["mfa"] = serde_json::json!(factor);
    }
    let event = NewEvent::new("auth.login", "user", Some(&u.id)).after(after);
    audit::append(&tx, &o.id, &actor, meta, event).await?;
    tx.commit().await?;
    clear_account_throttle(db, email).await?;

    Ok((SessionUser { user_id: u.id.clone(), org_id: o.id.clone(), login_at: at.timestamp() }, u, o))
}

/// Records a sign-out in the org's chain.
pub async fn record_logout(db: &DatabaseConnection, actor: &Actor) -> Result<(), AppError> {
    let tx = begin_write(db).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("auth.logout", "user", Some(&actor.id)),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

/// The signed-in person, if the session is still valid: within its absolute lifetime, and the
/// user still exists and is active. None means the caller should end the session.
pub async fn session_actor(
    db: &DatabaseConnection,
    session: &SessionUser,
    absolute_lifetime: Duration,
    meta: &RequestMeta,
) -> Result<Option<(Actor, user::Model, org::Model)>, AppError> {
    let at = now();
    if at.timestamp() - session.login_at > absolute_lifetime.num_seconds() {
        return Ok(None);
    }
    let Some(u) = user::Entity::find_by_id(session.user_id.clone()).one(db).await? else {
        return Ok(None);
    };
    if u.status != user::STATUS_ACTIVE || u.org_id != session.org_id {
        return Ok(None);
    }
    let Some(o) = org::Entity::find_by_id(u.org_id.clone()).one(db).await? else {
        return Ok(None);
    };
    let actor = Actor {
        org_id: o.id.clone(),
        org_slug: o.slug.clone(),
        kind: ActorKind::User,
        id: u.id.clone(),
        label: u.email.clone(),
        access: std::sync::Arc::new(crate::services::access::user_access(db, &o.id, &u.id).await?),
        agent: None,
        meta: meta.clone(),
    };
    Ok(Some((actor, u, o)))
}

/// Every account with this email, in any org, with its org.
async fn users_with_email(db: &DatabaseConnection, email: &str) -> Result<Vec<(user::Model, org::Model)>, AppError> {
    let users = user::Entity::find().filter(user::Column::Email.eq(email)).limit(50).all(db).await?;
    let mut out = Vec::with_capacity(users.len());
    for u in users {
        if let Some(o) = org::Entity::find_by_id(u.org_id.clone()).one(db).await? {
            out.push((u, o));
        }
    }
    Ok(out)
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::internal()
}

/// Signs the session in: a new session id (so a planted id is useless) holding `user`.
pub async fn start_session(session: &tower_sessions::Session, user: SessionUser) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_err)?;
    session.insert(SESSION_KEY, user).await.map_err(session_err)?;
    Ok(())
}

/// The signed-in user of this session; ends the session when it is no longer valid.
pub async fn user_from_session(
    state: &crate::services::AppState,
    session: &tower_sessions::Session,
    meta: &RequestMeta,
) -> Result<Option<(Actor, user::Model, org::Model)>, AppError> {
    let Some(su) = session.get::<SessionUser>(SESSION_KEY).await.map_err(session_err)? else {
        return Ok(None);
    };
    match session_actor(&state.db, &su, state.auth.session_absolute, meta).await? {
        Some(found) => Ok(Some(found)),
        None => {
            session.flush().await.map_err(session_err)?;
            Ok(None)
        }
    }
}

pub async fn actor_from_session(
    state: &crate::services::AppState,
    session: &tower_sessions::Session,
    meta: &RequestMeta,
) -> Result<Option<Actor>, AppError> {
    Ok(user_from_session(state, session, meta).await?.map(|(actor, _, _)| actor))
}

/// Signs out: records it and deletes the session (store row and cookie).
pub async fn end_session(
    state: &crate::services::AppState,
    session: &tower_sessions::Session,
    meta: &RequestMeta,
) -> Result<(), AppError> {
    if let Some(actor) = actor_from_session(state, session, meta).await? {
        record_logout(&state.db, &actor).await?;
    }
    session.flush().await.map_err(session_err)
}
