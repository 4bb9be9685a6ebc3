//! Server-side helpers for server functions: the app state, the request's metadata, the
//! session and the signed-in actor.

use crate::domain::AppError;
use crate::services::identity::auth::{actor_from_session, user_from_session};
use crate::services::{Actor, AppState, RequestMeta};
use leptos::prelude::*;
use tower_sessions::Session;

pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from server function context");
        AppError::internal()
    })
}

pub async fn meta() -> RequestMeta {
    leptos_axum::extract::<axum::Extension<RequestMeta>>().await.map(|axum::Extension(m)| m).unwrap_or_default()
}

pub async fn session() -> Result<Session, AppError> {
    leptos_axum::extract::<Session>().await.map_err(|e| {
        tracing::error!(error = %e, "session layer missing");
        AppError::internal()
    })
}

/// The signed-in actor, or UNAUTHENTICATED (ending a session that is no longer valid).
/// When the org requires MFA and the person has not set it up, PERMISSION_DENIED saying
/// where to set it up: only `actor_for_mfa_setup` lets them through.
pub async fn actor() -> Result<Actor, AppError> {
    let state = state()?;
    let session = session().await?;
    let meta = meta().await;
    let (actor, u, o) = user_from_session(&state, &session, &meta).await?.ok_or_else(AppError::unauthenticated)?;
    crate::services::identity::mfa::check_policy(&u, &o)?;
    Ok(actor)
}

/// The signed-in actor without the org's MFA requirement: for the MFA set-up itself.
pub async fn actor_for_mfa_setup() -> Result<Actor, AppError> {
    let state = state()?;
    let session = session().await?;
    let meta = meta().await;
    actor_from_session(&state, &session, &meta).await?.ok_or_else(AppError::unauthenticated)
}

/// Where to go after signing in: only paths on this site, never `//other.host`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.starts_with("/\\") => n.to_string(),
        _ => "/".to_string(),
    }
}

/// Runs a server function's body. A failure answers with its error's HTTP status (422, 401,
/// 429…) instead of a blanket 500, carries the request id, and sets Retry-After when rate
/// limited.
pub async fn run<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let result = body.await;
    let Err(mut e) = result else { return result };
    e.request_id = meta().await.request_id;
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        if let Ok(status) = http::StatusCode::from_u16(e.http_status()) {
            response.set_status(status);
        }
        if let Some(secs) = e.retry_after_secs {
            if let Ok(v) = http::HeaderValue::from_str(&secs.to_string()) {
                response.insert_header(http::header::RETRY_AFTER, v);
            }
        }
    }
    Err(e)
}

/// `run` for a page's side resources (navigation badges, overview sections, the chain
/// status): called as its own endpoint (`/api/...`) a failure answers with its status as
/// usual, but while a page is being rendered on the server it leaves the page's status
/// alone — a badge the viewer may not see yet must not turn `/account/mfa` into a 403.
pub async fn run_aux<T>(body: impl std::future::Future<Output = Result<T, AppError>>) -> Result<T, AppError> {
    let own_request = use_context::<http::request::Parts>().is_some_and(|p| p.uri.path().starts_with("/api/"));
    if own_request {
        run(body).await
    } else {
        body.await
    }
}
