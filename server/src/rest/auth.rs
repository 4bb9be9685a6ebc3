//! Bearer API-key authentication and the tenant check.

use super::problem::ApiError;
use crate::startup::ServerState;
use app::domain::{AppError, ErrorCode};
use app::entities::api_key;
use app::services::{access::api_keys, Actor, RequestMeta};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;

/// The actor behind the request's `Authorization: Bearer <key>`, with its key row.
pub struct ApiActor {
    pub actor: Actor,
    pub key: api_key::Model,
}

impl FromRequestParts<ServerState> for ApiActor {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &ServerState) -> Result<Self, Self::Rejection> {
        let secret = parts
            .headers
            .get(axum::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or_else(|| AppError::unauthenticated_with("Send an API key: Authorization: Bearer <key>."))?;
        let meta = parts.extensions.get::<RequestMeta>().cloned().unwrap_or_default();
        let (actor, key) = api_keys::authenticate(&state.app.db, &state.app.access, secret, &meta).await?;
        if let Some(tenant) = parts.headers.get("x-tenant-id") {
            let tenant = tenant.to_str().unwrap_or_default();
            if tenant != actor.org_slug && tenant != actor.org_id {
                return Err(AppError::new(
                    ErrorCode::TenantMismatch,
                    "X-Tenant-ID does not match the organisation of this API key.",
                )
                .into());
            }
        }
        Ok(ApiActor { actor, key })
    }
}
