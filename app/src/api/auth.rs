//! Set-up, sign-in, sign-out and "who am I" for the pages.

use crate::domain::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The signed-in person as the pages show them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct CurrentUser {
    pub id: String,
    pub email: String,
    pub display_name: String,
    pub org_name: String,
    pub org_slug: String,
    /// Role names, e.g. "Owner" or "Viewer, Approver".
    pub role: String,
    /// Permission keys the user holds at some scope: the pages use them to show or hide
    /// navigation and controls. The server checks again on every request.
    pub permissions: Vec<String>,
    /// How the pages write their times (date format, time zone).
    pub display: crate::domain::preferences::DisplayPrefs,
}

impl CurrentUser {
    pub fn has(&self, permission: &str) -> bool {
        self.permissions.iter().any(|p| p == permission)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SessionState {
    pub needs_setup: bool,
    pub user: Option<CurrentUser>,
}

#[server(endpoint = "session_state")]
pub async fn get_session_state() -> Result<SessionState, AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::identity::auth::user_from_session;
        use crate::services::org::setup::needs_setup;
        let state = ctx::state()?;
        let needs_setup = needs_setup(&state.db, &state.setup).await?;
        let session = ctx::session().await?;
        let meta = ctx::meta().await;
        let user = match user_from_session(&state, &session, &meta).await? {
            None => None,
            Some((actor, u, o)) => {
                let display = crate::services::org::preferences::display_for(&state.db, &u).await?;
                let mut permissions: Vec<String> = actor
                    .access
                    .grants
                    .iter()
                    .flat_map(|g| g.permissions.iter().map(|p| p.key().to_string()))
                    .collect();
                permissions.sort();
                permissions.dedup();
                Some(CurrentUser {
                    id: u.id,
                    email: u.email,
                    display_name: u.display_name,
                    org_name: o.name,
                    org_slug: o.slug,
                    role: actor.access.role_names().join(", "),
                    permissions,
                    display,
                })
            }
        };
        Ok(SessionState { needs_setup, user })
    })
    .await
}

#[server(endpoint = "setup")]
pub async fn setup(
    token: String,
    org_name: String,
    display_name: String,
    email: String,
    password: String,
    password_confirm: String,
) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::domain::error::Validator;
        use crate::domain::password::check_confirmation;
        use crate::services::identity::auth::{start_session, SessionUser};
        use crate::services::org::orgs::NewOwner;
        use crate::services::org::setup::{complete_setup, SetupInput};
        let state = ctx::state()?;
        let meta = ctx::meta().await;
        Validator::new().add("password_confirm", check_confirmation(&password, &password_confirm)).finish()?;
        let input = SetupInput { token, org_name, owner: NewOwner { email, display_name, password } };
        let (org, user) = complete_setup(&state.db, &state.setup, input, &meta).await?;
        let session = ctx::session().await?;
        start_session(
            &session,
            SessionUser { user_id: user.id, org_id: org.id, login_at: crate::services::infra::db::now().timestamp() },
        )
        .await?;
        leptos_axum::redirect("/");
        Ok(())
    })
    .await
}

#[server(endpoint = "login")]
pub async fn login(email: String, password: String, org: Option<String>, next: Option<String>) -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::identity::auth::{login_step, start_session, LoginInput, LoginStep};
        let state = ctx::state()?;
        let meta = ctx::meta().await;
        let step = login_step(&state.db, LoginInput { email, password, org_slug: org }, &meta).await?;
        let session = ctx::session().await?;
        match step {
            LoginStep::Done(session_user, _, _) => {
                start_session(&session, session_user).await?;
                leptos_axum::redirect(&ctx::safe_next(next.as_deref()));
            }
            LoginStep::MfaRequired(mut pending) => {
                // Not signed in yet: the second step at /login/mfa finishes.
                pending.next = Some(ctx::safe_next(next.as_deref()));
                crate::services::identity::mfa::start_pending(&session, pending).await?;
                leptos_axum::redirect("/login/mfa");
            }
        }
        Ok(())
    })
    .await
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    super::ctx::run(async move {
        use super::ctx;
        use crate::services::identity::auth::end_session;
        let state = ctx::state()?;
        let session = ctx::session().await?;
        let meta = ctx::meta().await;
        end_session(&state, &session, &meta).await?;
        leptos_axum::redirect("/login");
        Ok(())
    })
    .await
}
