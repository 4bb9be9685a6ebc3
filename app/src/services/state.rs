//! What the server hands to server functions and handlers as context.

use crate::services::org::setup::SetupGate;
use sea_orm::DatabaseConnection;
use std::sync::Arc;

#[derive(Clone, Debug)]
pub struct AuthSettings {
    /// A session ends this long after sign-in, however active.
    pub session_absolute: chrono::Duration,
    /// A session ends after this long without a request.
    pub session_idle: chrono::Duration,
}

#[derive(Clone, Debug)]
pub struct AppState {
    pub db: DatabaseConnection,
    pub setup: Arc<SetupGate>,
    pub auth: Arc<AuthSettings>,
    /// Encrypts secrets at rest (AES-256-GCM); from MANDATE_SECRET_KEY or the data dir.
    pub secret_key: Arc<[u8; 32]>,
    /// The URL people reach Mandate at, without a trailing slash: emailed links start with it.
    pub public_base_url: Arc<str>,
    /// Whether MANDATE_SMTP_URL is set (else email only waits in the outbox).
    pub smtp_configured: bool,
    /// The action catalog and compiled store policies (`services::stores::policy`).
    pub policy: Arc<crate::services::stores::policy::PolicyCache>,
    /// API keys' resolved grants and org tree, keyed by the org's access_version.
    pub access: Arc<crate::services::access::AccessCache>,
    /// How long an action waits for confirmation before it expires.
    pub pending_ttl: chrono::Duration,
}

impl AppState {
    /// What the agent gateway (`services::gateway::actions`) works with.
    pub fn gateway(&self) -> crate::services::gateway::actions::Gateway<'_> {
        crate::services::gateway::actions::Gateway {
            db: &self.db,
            policy: &self.policy,
            secret_key: &self.secret_key,
            pending_ttl: self.pending_ttl,
        }
    }
}
