//! The browser's side of single sign-on (OpenID Connect): `GET /auth/oidc/start` sends the
//! browser to the org's identity provider, `GET /auth/oidc/callback` is where the provider
//! sends it back. Thin: the flow is `app::services::identity::oidc`; here are the session
//! (the state this browser started, the sign-in itself) and the redirects. A refusal goes
//! back to `/login`, which shows its message once.

use crate::startup::ServerState;
use app::api::ctx::safe_next;
use app::domain::sso::LoginNotice;
use app::services::identity::auth::{start_session, LoginStep};
use app::services::identity::mfa::start_pending;
use app::services::identity::oidc::{self, CallbackParams, STATE_SESSION_KEY};
use app::services::RequestMeta;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use serde::Deserialize;
use tower_sessions::Session;

#[derive(Deserialize)]
pub struct StartParams {
    /// The org's short name, or a work email (the org is found from it).
    #[serde(default)]
    org: Option<String>,
    /// Where to go once signed in (a path on this site).
    #[serde(default)]
    next: Option<String>,
}

/// Back to the sign-in page with a message for it.
async fn back_to_login(session: &Session, notice: LoginNotice) -> Response {
    if let Err(e) = oidc::set_login_notice(session, notice).await {
        tracing::error!(error = %e.message, "could not keep the sign-in message");
    }
    Redirect::to("/login").into_response()
}

/// `GET /auth/oidc/start?org=<short name or email>&next=` → 303 to the provider.
pub async fn start(
    State(state): State<ServerState>,
    session: Session,
    meta: Option<Extension<RequestMeta>>,
    Query(p): Query<StartParams>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let who = p.org.unwrap_or_default();
    if who.trim().is_empty() {
        let message = "Enter your work email or your organisation's short name to sign in with single sign-on.";
        return back_to_login(&session, LoginNotice { message: message.into(), org_slug: None }).await;
    }
    let next = p.next.filter(|n| !n.is_empty()).map(|n| safe_next(Some(&n)));
    let app = &state.app;
    match oidc::start(&app.db, &app.secret_key, &app.public_base_url, &who, next, &meta).await {
        Ok(started) => match session.insert(STATE_SESSION_KEY, &started.state).await {
            Ok(()) => Redirect::to(&started.authorize_url).into_response(),
            Err(e) => {
                tracing::error!(error = %e, "could not keep the sign-in state in the session");
                back_to_login(
                    &session,
                    LoginNotice { message: app::domain::AppError::internal().message, org_slug: None },
                )
                .await
            }
        },
        Err(e) => back_to_login(&session, LoginNotice { message: e.message, org_slug: None }).await,
    }
}

/// `GET /auth/oidc/callback?code=&state=` (or `?error=`): signs the person in (or on to the
/// two-step code) and goes where the sign-in started; a refusal goes back to `/login`.
pub async fn callback(
    State(state): State<ServerState>,
    session: Session,
    meta: Option<Extension<RequestMeta>>,
    Query(params): Query<CallbackParams>,
) -> Response {
    let meta = meta.map(|Extension(m)| m).unwrap_or_default();
    let expected = session.get::<String>(STATE_SESSION_KEY).await.ok().flatten();
    if expected.is_some() {
        let _ = session.remove::<String>(STATE_SESSION_KEY).await;
    }
    let app = &state.app;
    let result = oidc::finish(&app.db, &app.secret_key, &app.public_base_url, params, expected.as_deref(), &meta).await;
    let signed_in = match result {
        Ok((LoginStep::Done(user, _, _), next)) => {
            start_session(&session, user).await.map(|()| safe_next(next.as_deref()))
        }
        Ok((LoginStep::MfaRequired(mut pending), next)) => {
            pending.next = Some(safe_next(next.as_deref()));
            start_pending(&session, pending).await.map(|()| "/login/mfa".to_string())
        }
        Err(refused) => return back_to_login(&session, refused.notice()).await,
    };
    match signed_in {
        Ok(to) => Redirect::to(&to).into_response(),
        Err(e) => back_to_login(&session, LoginNotice { message: e.message, org_slug: None }).await,
    }
}
