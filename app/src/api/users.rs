//! Server functions for people: the list, inviting, editing, suspending, deleting, the
//! email outbox, and the public invitation and password-reset pages.

use crate::domain::users::{InviteInfo, OutboxPage, PersonDetail, UserFormOptions, UserPage, UserView};
use crate::domain::AppError;
use leptos::prelude::*;

/// The org's people; `q` searches email and name.
#[server(endpoint = "users_list")]
pub async fn list_users(q: Option<String>, cursor: Option<String>, limit: Option<u64>) -> Result<UserPage, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::users::{list, ListQuery};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        list(&state.db, &actor, ListQuery { q, cursor, limit }).await
    })
    .await
}

/// Roles and teams for the invite and edit forms.
/// One person's page: who they are, and whether the viewer may read their spend.
#[server(endpoint = "person_page")]
pub async fn person_page(id: String) -> Result<PersonDetail, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::users::page(&state.db, &actor, &id).await
    })
    .await
}

#[server(endpoint = "users_form_options")]
pub async fn get_user_form_options() -> Result<UserFormOptions, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::users::form_options(&state.db, &actor).await
    })
    .await
}

/// `scope`: "org" (or empty) for the whole organisation, "team:<id>" for a team.
#[cfg(feature = "ssr")]
fn parse_scope(scope: Option<&str>) -> Result<Option<crate::domain::access::ScopeRef>, AppError> {
    use crate::domain::access::ScopeRef;
    use crate::domain::FieldError;
    let Some(s) = scope.map(str::trim).filter(|s| !s.is_empty()) else { return Ok(None) };
    let (kind, id) = s.split_once(':').unwrap_or((s, ""));
    ScopeRef::parse(kind, Some(id))
        .map(Some)
        .map_err(|message| AppError::invalid_fields(vec![FieldError { field: "scope".into(), message }]))
}

/// Invites a person by email (the link goes to the outbox; the token is never returned).
#[server(endpoint = "users_invite")]
pub async fn invite_user(
    email: String,
    display_name: String,
    team_id: Option<String>,
    role_id: Option<String>,
    scope: Option<String>,
) -> Result<UserView, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::users::{invite, InviteInput};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let scope = parse_scope(scope.as_deref())?;
        invite(&state.db, &actor, InviteInput { email, display_name, team_id, role_id, scope }, &state.public_base_url)
            .await
    })
    .await
}

/// Sends an invited person a new link.
#[server(endpoint = "users_resend_invite")]
pub async fn resend_invite(id: String) -> Result<UserView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::users::resend_invite(&state.db, &actor, &id, &state.public_base_url).await
    })
    .await
}

/// Edits a person's name and team (`team_id` empty: no team; absent: unchanged).
#[server(endpoint = "users_update")]
pub async fn update_user(
    id: String,
    display_name: Option<String>,
    team_id: Option<String>,
) -> Result<UserView, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::users::{update, UserPatch};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        update(&state.db, &actor, &id, UserPatch { display_name, team_id: team_id.map(Some), status: None }).await
    })
    .await
}

/// Suspends (`status=suspended`) or reactivates (`status=active`) a person.
#[server(endpoint = "users_set_status")]
pub async fn set_user_status(id: String, status: String) -> Result<UserView, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::users::{update, UserPatch};
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        update(&state.db, &actor, &id, UserPatch { status: Some(status), ..Default::default() }).await
    })
    .await
}

#[server(endpoint = "users_delete")]
pub async fn delete_user(id: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::users::delete(&state.db, &actor, &id).await
    })
    .await
}

/// The org's email outbox, newest first.
/// Resets a person's two-step sign-in (lost phone and recovery codes); they are signed out
/// and told by email.
#[server(endpoint = "users_reset_mfa")]
pub async fn reset_user_mfa(id: String) -> Result<UserView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::users::reset_mfa(&state.db, &actor, &id, &state.public_base_url).await
    })
    .await
}

#[server(endpoint = "outbox_list")]
pub async fn list_outbox(cursor: Option<String>) -> Result<OutboxPage, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::org::outbox::list(&state.db, &actor, cursor.as_deref(), 10, state.smtp_configured).await
    })
    .await
}

/// Public: who an invitation is for.
#[server(endpoint = "invite_info")]
pub async fn get_invite_info(token: String) -> Result<InviteInfo, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        crate::services::identity::users::invite_info(&state.db, &token).await
    })
    .await
}

/// Public: accepts an invitation (sets the password) and signs the person in.
#[server(endpoint = "invite_accept")]
pub async fn accept_invite(token: String, password: String, password_confirm: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        use crate::services::identity::auth::start_session;
        let state = super::ctx::state()?;
        let meta = super::ctx::meta().await;
        let session_user =
            crate::services::identity::users::accept_invite(&state.db, &token, &password, &password_confirm, &meta)
                .await?;
        let session = super::ctx::session().await?;
        start_session(&session, session_user).await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

/// Public: "Forgot password?". Always the same answer, whether the email has an account or not.
#[server(endpoint = "password_forgot")]
pub async fn forgot_password(email: String) -> Result<String, AppError> {
    super::ctx::run(async move {
        use crate::services::identity::account::{request_password_reset, RESET_REQUESTED};
        let state = super::ctx::state()?;
        let meta = super::ctx::meta().await;
        request_password_reset(&state.db, &email, &meta, &state.public_base_url).await?;
        Ok(RESET_REQUESTED.to_string())
    })
    .await
}

/// Public: the email a reset link is for (or NOT_FOUND when the link is no longer valid).
#[server(endpoint = "password_reset_info")]
pub async fn get_password_reset_info(token: String) -> Result<String, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        crate::services::identity::account::reset_info(&state.db, &token).await
    })
    .await
}

/// Public: sets a new password with a reset link; every session of the account ends.
#[server(endpoint = "password_reset")]
pub async fn reset_password(token: String, password: String, password_confirm: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let meta = super::ctx::meta().await;
        crate::services::identity::account::reset_password(&state.db, &token, &password, &password_confirm, &meta).await
    })
    .await
}
