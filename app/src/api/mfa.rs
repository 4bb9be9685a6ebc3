//! Server functions of two-step sign-in: the account's MFA section (status, enrolment,
//! confirmation, recovery codes, turning it off) and the sign-in's second step.
//!
//! The account functions use `ctx::actor_for_mfa_setup`, so a person whose org requires MFA
//! can still set it up; everything else goes through `ctx::actor`, which refuses them.

use crate::domain::totp::{Enrolment, MfaStatus};
use crate::domain::AppError;
use leptos::prelude::*;

#[server(endpoint = "mfa_status")]
pub async fn get_mfa_status() -> Result<MfaStatus, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor_for_mfa_setup().await?;
        crate::services::identity::mfa::status(&state.db, &actor).await
    })
    .await
}

/// Starts enrolment: a new secret, its QR code and text. Shown once.
#[server(endpoint = "mfa_begin")]
pub async fn mfa_begin() -> Result<Enrolment, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor_for_mfa_setup().await?;
        crate::services::identity::mfa::begin_enrolment(&state.db, &state.secret_key, &actor).await
    })
    .await
}

/// Confirms enrolment with a code from the app; returns the 10 recovery codes (shown once).
#[server(endpoint = "mfa_confirm")]
pub async fn mfa_confirm(code: String) -> Result<Vec<String>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor_for_mfa_setup().await?;
        crate::services::identity::mfa::confirm_enrolment(&state.db, &state.secret_key, &actor, &code).await
    })
    .await
}

/// New recovery codes (the old ones stop working), confirmed with a current code.
#[server(endpoint = "mfa_recovery_codes")]
pub async fn mfa_recovery_codes(code: String) -> Result<Vec<String>, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor_for_mfa_setup().await?;
        crate::services::identity::mfa::regenerate_recovery_codes(&state.db, &state.secret_key, &actor, &code).await
    })
    .await
}

/// Turns MFA off (or cancels an unfinished set-up), confirmed with a current code or the
/// password.
#[server(endpoint = "mfa_disable")]
pub async fn mfa_disable(credential: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor_for_mfa_setup().await?;
        crate::services::identity::mfa::disable(&state.db, &state.secret_key, &actor, &credential).await
    })
    .await
}

/// Whether this browser has a sign-in waiting for its second step (public).
#[server(endpoint = "login_mfa_pending")]
pub async fn login_mfa_pending() -> Result<bool, AppError> {
    super::ctx::run(async move {
        let session = super::ctx::session().await?;
        Ok(crate::services::identity::mfa::pending_of(&session).await?.is_some())
    })
    .await
}

/// The sign-in's second step: a code from the app or a recovery code (public: the session
/// holds the pending sign-in, not a signed-in user).
#[server(endpoint = "login_mfa")]
pub async fn login_mfa(code: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::{identity::auth, identity::mfa};
        let state = ctx::state()?;
        let meta = ctx::meta().await;
        let session = ctx::session().await?;
        let pending = mfa::pending_of(&session).await?.ok_or_else(|| {
            AppError::unauthenticated_with("Your sign-in has expired. Enter your email and password again.")
        })?;
        let (session_user, _, _) = mfa::complete_login(&state.db, &state.secret_key, &pending, &code, &meta).await?;
        mfa::clear_pending(&session).await?;
        auth::start_session(&session, session_user).await?;
        leptos_axum::redirect(&ctx::safe_next(pending.next.as_deref()));
        Ok(())
    })
    .await
}
