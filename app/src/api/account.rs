//! Server functions of the account page: profile, password, sessions. (MFA has its own.)

use crate::domain::users::AccountView;
use crate::domain::AppError;
use leptos::prelude::*;

/// The id of this request's session, compared on the server only (never sent out).
#[cfg(feature = "ssr")]
async fn current_session_id() -> Result<Option<String>, AppError> {
    Ok(super::ctx::session().await?.id().map(|id| id.to_string()))
}

#[server(endpoint = "account_get")]
pub async fn get_account() -> Result<AccountView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let current = current_session_id().await?;
        crate::services::identity::account::get(&state.db, &actor, current.as_deref()).await
    })
    .await
}

#[server(endpoint = "account_update_profile")]
pub async fn update_profile(display_name: String) -> Result<(), AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::identity::account::update_profile(&state.db, &actor, &display_name).await
    })
    .await
}

/// Changes the password (needs the current one); other sessions end. Returns how many ended.
#[server(endpoint = "account_change_password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
    new_password_confirm: String,
) -> Result<u64, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let current = current_session_id().await?;
        crate::services::identity::account::change_password(
            &state.db,
            &actor,
            &current_password,
            &new_password,
            &new_password_confirm,
            current.as_deref(),
        )
        .await
    })
    .await
}

/// "Sign out other sessions". Returns how many ended.
#[server(endpoint = "account_end_other_sessions")]
pub async fn end_other_sessions() -> Result<u64, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let current = current_session_id().await?;
        crate::services::identity::account::end_other_sessions(&state.db, &actor, current.as_deref()).await
    })
    .await
}
