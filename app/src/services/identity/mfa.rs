//! Two-step sign-in (MFA) for people: TOTP enrolment (the secret encrypted at rest, shown
//! once as a QR code and as text), confirmation that hands out one-time recovery codes,
//! turning it off, the sign-in's second step, and the org's "require MFA" policy.
//!
//! Account self-service: these act only on the signed-in person's own account, so the rule
//! they check is "a person, acting on themselves" (`own_account`); API keys cannot. Secrets
//! and codes never appear in audit events or logs.

use crate::domain::audit::AuditActor;
use crate::domain::totp::{self, Enrolment, MfaStatus};
use crate::domain::{AppError, FieldError};
use crate::entities::{mfa_totp_step, org, recovery_code, user};
use crate::services::audit::{self, NewEvent};
use crate::services::identity::auth::{self, MfaPending, SessionUser};
use crate::services::identity::passwords::verify_password;
use crate::services::infra::crypto;
use crate::services::infra::db::{begin_write, new_id, now};
use crate::services::{Actor, ActorKind, RequestMeta};
use rand::RngCore;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, Set,
};
use serde_json::json;
use sha2::{Digest, Sha256};

/// Where a person sets up MFA (the page the org policy sends them to).
pub const ENROL_PATH: &str = "/account/mfa";

pub fn totp_context(user_id: &str) -> String {
    format!("totp:{user_id}")
}

fn hash_recovery_code(normalized: &str) -> String {
    hex::encode(Sha256::digest(normalized.as_bytes()))
}

/// The person's own user row and org. API keys have no account to change.
async fn own_account<C: ConnectionTrait>(db: &C, actor: &Actor) -> Result<(user::Model, org::Model), AppError> {
    if actor.kind != ActorKind::User {
        return Err(AppError::permission_denied("Only a signed-in person can change their own two-step sign-in."));
    }
    let u = user::Entity::find_by_id(actor.id.clone())
        .filter(user::Column::OrgId.eq(actor.org_id.as_str()))
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Account"))?;
    let o = org::Entity::find_by_id(actor.org_id.clone())
        .one(db)
        .await?
        .ok_or_else(|| AppError::not_found("Organisation"))?;
    Ok((u, o))
}

/// The org's MFA policy for a signed-in person: PERMISSION_DENIED, saying where to enrol,
/// when the org requires MFA and the person has not set it up. Every server function but
/// the MFA set-up ones and sign-out goes through this (`api::ctx::actor`).
pub fn check_policy(u: &user::Model, o: &org::Model) -> Result<(), AppError> {
    if o.require_mfa && !u.mfa_enabled {
        return Err(AppError::permission_denied(format!(
            "Your organisation requires two-step sign-in. Set it up on your account page ({ENROL_PATH}) first."
        )));
    }
    Ok(())
}

pub async fn status(db: &DatabaseConnection, actor: &Actor) -> Result<MfaStatus, AppError> {
    let (u, o) = own_account(db, actor).await?;
    let recovery_codes_left = if u.mfa_enabled {
        recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(u.id.as_str()))
            .filter(recovery_code::Column::UsedAt.is_null())
            .count(db)
            .await?
    } else {
        0
    };
    Ok(MfaStatus {
        enabled: u.mfa_enabled,
        enrolment_pending: !u.mfa_enabled && u.mfa_secret_enc.is_some(),
        recovery_codes_left,
        org_requires: o.require_mfa,
    })
}

/// Renders `text` as a QR code in SVG: one path of unit squares on a white square with the
/// 4-module quiet zone. Built by hand so it carries no style attribute (the CSP allows none).
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    use std::fmt::Write;
    let code = qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).map_err(|e| {
        tracing::error!(error = %e, "QR code encoding failed");
        AppError::internal()
    })?;
    let width = code.width();
    let quiet = 4;
    let size = width + 2 * quiet;
    let mut d = String::new();
    for (i, color) in code.to_colors().iter().enumerate() {
        if *color == qrcode::Color::Dark {
            let _ = write!(d, "M{} {}h1v1h-1z", i % width + quiet, i / width + quiet);
        }
    }
    Ok(format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {size} {size}" width="220" height="220" shape-rendering="crispEdges" role="img" aria-label="QR code to scan with your authenticator app"><rect width="{size}" height="{size}" fill="#ffffff"/><path fill="#000000" d="{d}"/></svg>"##
    ))
}

/// Starts (or restarts) enrolment: a new 20-byte secret, stored encrypted, not yet active.
pub async fn begin_enrolment(db: &DatabaseConnection, key: &[u8; 32], actor: &Actor) -> Result<Enrolment, AppError> {
    let (u, o) = own_account(db, actor).await?;
    if u.mfa_enabled {
        return Err(AppError::conflict(
            "Two-step sign-in is already on. Turn it off first to move it to another device.",
        ));
    }
    let mut secret = [0u8; totp::SECRET_LEN];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let encrypted = crypto::encrypt(key, &secret, &totp_context(&u.id))?;

    let tx = begin_write(db).await?;
    let mut am: user::ActiveModel = u.clone().into();
    am.mfa_secret_enc = Set(Some(encrypted));
    am.updated_at = Set(now());
    am.update(&tx).await?;
    audit::append(
        &tx,
        &o.id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("mfa.enrolment_started", "user", Some(&u.id)).after(json!({"mfa_enabled": false})),
    )
    .await?;
    tx.commit().await?;

    let uri = totp::otpauth_uri("Mandate", &format!("{} ({})", u.email, o.slug), &secret);
    Ok(Enrolment { secret: totp::group_secret(&totp::base32_encode(&secret)), qr_svg: qr_svg(&uri)?, otpauth_uri: uri })
}

fn wrong_code(field: &str) -> AppError {
    AppError::invalid_fields(vec![FieldError {
        field: field.into(),
        message: "That code is not right. Enter the newest 6-digit code your app shows (check the phone's clock is set automatically).".into(),
    }])
}

/// Stores `step` as the last one used, so it cannot be used again.
async fn remember_step<C: ConnectionTrait>(conn: &C, user_id: &str, step: i64) -> Result<(), AppError> {
    mfa_totp_step::Entity::insert(mfa_totp_step::ActiveModel {
        user_id: Set(user_id.to_string()),
        last_step: Set(step),
        updated_at: Set(now()),
    })
    .on_conflict(
        OnConflict::column(mfa_totp_step::Column::UserId)
            .update_columns([mfa_totp_step::Column::LastStep, mfa_totp_step::Column::UpdatedAt])
            .to_owned(),
    )
    .exec(conn)
    .await?;
    Ok(())
}

/// The last step used, locked for this transaction (PostgreSQL; SQLite's write transaction
/// is exclusive already), so two requests with the same code cannot both pass.
async fn last_step<C: ConnectionTrait>(conn: &C, user_id: &str) -> Result<Option<i64>, AppError> {
    Ok(mfa_totp_step::Entity::find_by_id(user_id.to_string()).lock_exclusive().one(conn).await?.map(|r| r.last_step))
}

/// Checks a TOTP code against the user's secret and replay state inside `conn`'s
/// transaction; on success records the step.
async fn accept_totp<C: ConnectionTrait>(
    conn: &C,
    key: &[u8; 32],
    u: &user::Model,
    code: &str,
) -> Result<bool, AppError> {
    let Some(enc) = &u.mfa_secret_enc else { return Ok(false) };
    let secret = crypto::decrypt(key, enc, &totp_context(&u.id))?;
    let last = last_step(conn, &u.id).await?;
    match totp::verify(&secret, code, now().timestamp(), last) {
        Some(step) => {
            remember_step(conn, &u.id, step).await?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// Replaces the user's recovery codes with new ones; returns them (the only time they exist
/// in plain text).
async fn new_recovery_codes<C: ConnectionTrait>(conn: &C, user_id: &str) -> Result<Vec<String>, AppError> {
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(user_id)).exec(conn).await?;
    let mut codes = Vec::with_capacity(totp::RECOVERY_CODE_COUNT);
    for _ in 0..totp::RECOVERY_CODE_COUNT {
        let mut random = [0u8; 10];
        rand::rngs::OsRng.fill_bytes(&mut random);
        let code = totp::recovery_code_from(&random);
        recovery_code::ActiveModel {
            id: Set(new_id()),
            user_id: Set(user_id.to_string()),
            code_hash: Set(hash_recovery_code(&code)),
            used_at: Set(None),
        }
        .insert(conn)
        .await?;
        codes.push(code);
    }
    Ok(codes)
}

/// Finishes enrolment with a current code from the app: MFA is on and 10 recovery codes
/// are returned (shown once; stored as SHA-256).
pub async fn confirm_enrolment(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let (u, o) = own_account(db, actor).await?;
    if u.mfa_enabled {
        return Err(AppError::conflict("Two-step sign-in is already on."));
    }
    if u.mfa_secret_enc.is_none() {
        return Err(AppError::validation("Start the set-up first: it shows the QR code to scan."));
    }
    if totp::normalize_code(code).is_none() {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "code".into(),
            message: "Enter the 6-digit code your authenticator app shows.".into(),
        }]));
    }
    let tx = begin_write(db).await?;
    if !accept_totp(&tx, key, &u, code).await? {
        tx.rollback().await?;
        return Err(wrong_code("code"));
    }
    let mut am: user::ActiveModel = u.clone().into();
    am.mfa_enabled = Set(true);
    am.updated_at = Set(now());
    am.update(&tx).await?;
    let codes = new_recovery_codes(&tx, &u.id).await?;
    audit::append(
        &tx,
        &o.id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("mfa.enabled", "user", Some(&u.id))
            .before(json!({"mfa_enabled": false}))
            .after(json!({"mfa_enabled": true, "recovery_codes": codes.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// New recovery codes (the old ones stop working), confirmed with a current code.
pub async fn regenerate_recovery_codes(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    code: &str,
) -> Result<Vec<String>, AppError> {
    let (u, o) = own_account(db, actor).await?;
    if !u.mfa_enabled {
        return Err(AppError::conflict("Two-step sign-in is not on."));
    }
    let tx = begin_write(db).await?;
    if !accept_totp(&tx, key, &u, code).await? {
        tx.rollback().await?;
        return Err(wrong_code("code"));
    }
    let codes = new_recovery_codes(&tx, &u.id).await?;
    audit::append(
        &tx,
        &o.id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("mfa.recovery_codes_regenerated", "user", Some(&u.id))
            .after(json!({"recovery_codes": codes.len()})),
    )
    .await?;
    tx.commit().await?;
    Ok(codes)
}

/// Turns MFA off, confirmed with a current code or the account password. Wrong
/// confirmations count toward the sign-in throttle like wrong passwords.
pub async fn disable(
    db: &DatabaseConnection,
    key: &[u8; 32],
    actor: &Actor,
    code_or_password: &str,
) -> Result<(), AppError> {
    let (u, o) = own_account(db, actor).await?;
    if !u.mfa_enabled && u.mfa_secret_enc.is_none() {
        return Err(AppError::conflict("Two-step sign-in is not on."));
    }
    let at = now();
    let keys = auth::throttle_keys(&u.email, &actor.meta);
    auth::check_throttle(db, &keys, at).await?;

    let use_code = totp::normalize_code(code_or_password).is_some() && u.mfa_enabled;
    // The password is checked before the write transaction so no lock is held while hashing.
    let password_ok = !use_code
        && match &u.password_hash {
            Some(h) if !code_or_password.is_empty() => verify_password(code_or_password.to_string(), h.clone()).await,
            _ => false,
        };
    let tx = begin_write(db).await?;
    let method = if use_code {
        accept_totp(&tx, key, &u, code_or_password).await?.then_some("code")
    } else {
        password_ok.then_some("password")
    };
    let Some(method) = method else {
        tx.rollback().await?;
        auth::record_failure(db, &keys, at).await?;
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "credential".into(),
            message: "That is neither a current code from your app nor your password.".into(),
        }]));
    };
    let was_enabled = u.mfa_enabled;
    let mut am: user::ActiveModel = u.clone().into();
    am.mfa_enabled = Set(false);
    am.mfa_secret_enc = Set(None);
    am.updated_at = Set(now());
    am.update(&tx).await?;
    recovery_code::Entity::delete_many().filter(recovery_code::Column::UserId.eq(u.id.as_str())).exec(&tx).await?;
    mfa_totp_step::Entity::delete_by_id(u.id.clone()).exec(&tx).await?;
    audit::append(
        &tx,
        &o.id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new(if was_enabled { "mfa.disabled" } else { "mfa.enrolment_cancelled" }, "user", Some(&u.id))
            .before(json!({"mfa_enabled": was_enabled}))
            .after(json!({"mfa_enabled": false, "confirmed_with": method})),
    )
    .await?;
    tx.commit().await.map_err(AppError::from)
}

fn restart_sign_in() -> AppError {
    AppError::unauthenticated_with("Your sign-in has expired. Enter your email and password again.")
}

/// The sign-in's second step: a current TOTP code or an unused recovery code (which is then
/// used up). Wrong codes count toward the sign-in throttle and are recorded in the org's
/// audit chain. On success the sign-in is recorded as `auth.login` with the method.
pub async fn complete_login(
    db: &DatabaseConnection,
    key: &[u8; 32],
    pending: &MfaPending,
    code: &str,
    meta: &RequestMeta,
) -> Result<(SessionUser, user::Model, org::Model), AppError> {
    let at = now();
    if pending.expires_at < at.timestamp() {
        return Err(restart_sign_in());
    }
    let keys = auth::throttle_keys(&pending.email, meta);
    auth::check_throttle(db, &keys, at).await?;
    let u = user::Entity::find_by_id(pending.user_id.clone()).one(db).await?.ok_or_else(restart_sign_in)?;
    if u.org_id != pending.org_id || u.status != user::STATUS_ACTIVE || !u.mfa_enabled {
        return Err(restart_sign_in());
    }
    let o = org::Entity::find_by_id(u.org_id.clone()).one(db).await?.ok_or_else(restart_sign_in)?;
    let person = AuditActor { kind: "user".into(), id: Some(u.id.clone()), label: u.email.clone() };

    let tx = begin_write(db).await?;
    let method = if totp::normalize_code(code).is_some() {
        accept_totp(&tx, key, &u, code).await?.then_some("totp")
    } else if let Some(normalized) = totp::normalize_recovery_code(code) {
        let found = recovery_code::Entity::find()
            .filter(recovery_code::Column::UserId.eq(u.id.as_str()))
            .filter(recovery_code::Column::CodeHash.eq(hash_recovery_code(&normalized)))
            .filter(recovery_code::Column::UsedAt.is_null())
            .one(&tx)
            .await?;
        match found {
            Some(rc) => {
                // Conditional update: of two requests racing with the same code only one
                // changes the row.
                let used = recovery_code::Entity::update_many()
                    .col_expr(recovery_code::Column::UsedAt, sea_orm::sea_query::Expr::value(at))
                    .filter(recovery_code::Column::Id.eq(rc.id.as_str()))
                    .filter(recovery_code::Column::UsedAt.is_null())
                    .exec(&tx)
                    .await?;
                if used.rows_affected == 1 {
                    let remaining = recovery_code::Entity::find()
                        .filter(recovery_code::Column::UserId.eq(u.id.as_str()))
                        .filter(recovery_code::Column::UsedAt.is_null())
                        .count(&tx)
                        .await?;
                    audit::append(
                        &tx,
                        &o.id,
                        &person,
                        meta,
                        NewEvent::new("mfa.recovery_code_used", "user", Some(&u.id))
                            .after(json!({"remaining": remaining})),
                    )
                    .await?;
                    Some("recovery_code")
                } else {
                    None
                }
            }
            None => None,
        }
    } else {
        None
    };
    let Some(method) = method else {
        tx.rollback().await?;
        auth::record_failure(db, &keys, at).await?;
        let tx = begin_write(db).await?;
        audit::append(
            &tx,
            &o.id,
            &AuditActor { kind: "anonymous".into(), id: None, label: u.email.clone() },
            meta,
            NewEvent::new("auth.mfa_failed", "user", Some(&u.id)).after(json!({"reason": "wrong or used code"})),
        )
        .await?;
        tx.commit().await?;
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "code".into(),
            message: "That code is not right, or it was already used.".into(),
        }]));
    };
    tx.commit().await?;
    let first = pending.method.as_deref().unwrap_or("password");
    auth::finish_login(db, u, o, &pending.email, meta, Some(method), first).await
}

fn session_err(e: tower_sessions::session::Error) -> AppError {
    tracing::error!(error = %e, "session store error");
    AppError::internal()
}

/// Keeps a pending second step in the session under a fresh id (the signed-in key is not
/// set).
pub async fn start_pending(session: &tower_sessions::Session, pending: MfaPending) -> Result<(), AppError> {
    session.cycle_id().await.map_err(session_err)?;
    session.insert(auth::MFA_PENDING_KEY, pending).await.map_err(session_err)?;
    Ok(())
}

/// The session's pending second step, if any and not expired.
pub async fn pending_of(session: &tower_sessions::Session) -> Result<Option<MfaPending>, AppError> {
    let pending = session.get::<MfaPending>(auth::MFA_PENDING_KEY).await.map_err(session_err)?;
    Ok(pending.filter(|p| p.expires_at >= now().timestamp()))
}

/// Ends the pending step (after success, or when the person starts again).
pub async fn clear_pending(session: &tower_sessions::Session) -> Result<(), AppError> {
    session.remove::<MfaPending>(auth::MFA_PENDING_KEY).await.map_err(session_err)?;
    Ok(())
}
