//! First-run set-up: while no organisation exists, `/setup` creates the first one and its
//! Owner. A one-time token, logged by the server at start, proves the person setting up has
//! access to the server, so nobody else on the network can claim the instance.

use crate::domain::audit::AuditActor;
use crate::domain::AppError;
use crate::entities::{org, user};
use crate::services::org::orgs::{create_org_with_owner, NewOwner};
use crate::services::RequestMeta;
use sea_orm::{DatabaseConnection, EntityTrait, PaginatorTrait};
use sha2::{Digest, Sha256};
use std::sync::atomic::{AtomicBool, Ordering};
use tokio::sync::Mutex;

/// Holds the set-up token until set-up completes, and remembers that it has.
#[derive(Debug)]
pub struct SetupGate {
    token: Mutex<Option<String>>,
    done: AtomicBool,
}

impl SetupGate {
    pub fn new(token: Option<String>) -> Self {
        SetupGate { done: AtomicBool::new(token.is_none()), token: Mutex::new(token) }
    }

    /// The gate for this database: holding a token (the configured one, or a fresh one)
    /// while no organisation exists. Returns the token when set-up is pending.
    pub async fn open(db: &DatabaseConnection, configured: Option<String>) -> Result<(Self, Option<String>), AppError> {
        let orgs = org::Entity::find().count(db).await?;
        if orgs > 0 {
            return Ok((SetupGate::new(None), None));
        }
        let token = configured.filter(|t| !t.trim().is_empty()).unwrap_or_else(Self::generate_token);
        Ok((SetupGate::new(Some(token.clone())), Some(token)))
    }

    /// A random URL-safe token (32 bytes of entropy).
    pub fn generate_token() -> String {
        use rand::RngCore;
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        hex::encode(bytes)
    }
}

/// True while no organisation exists. Cached once set-up is done (it never reverts).
pub async fn needs_setup(db: &DatabaseConnection, gate: &SetupGate) -> Result<bool, AppError> {
    if gate.done.load(Ordering::Acquire) {
        return Ok(false);
    }
    let orgs = org::Entity::find().count(db).await?;
    if orgs > 0 {
        gate.done.store(true, Ordering::Release);
    }
    Ok(orgs == 0)
}

#[derive(Clone, Debug)]
pub struct SetupInput {
    pub token: String,
    pub org_name: String,
    pub owner: NewOwner,
}

fn same_secret(a: &str, b: &str) -> bool {
    // Compare digests so the comparison takes the same time whatever the inputs.
    Sha256::digest(a.trim().as_bytes()) == Sha256::digest(b.as_bytes())
}

/// Creates the first org and Owner. Fails with CONFLICT once an org exists and with a field
/// error on `token` when the token is wrong.
pub async fn complete_setup(
    db: &DatabaseConnection,
    gate: &SetupGate,
    input: SetupInput,
    meta: &RequestMeta,
) -> Result<(crate::entities::org::Model, user::Model), AppError> {
    // Serialises concurrent set-up attempts on this instance.
    let mut token = gate.token.lock().await;
    if !needs_setup(db, gate).await? {
        return Err(AppError::conflict("This Mandate instance is already set up. Sign in instead."));
    }
    let Some(expected) = token.as_deref() else {
        return Err(AppError::conflict("This Mandate instance is already set up. Sign in instead."));
    };
    if !same_secret(&input.token, expected) {
        return Err(AppError::invalid_fields(vec![crate::domain::FieldError {
            field: "token".into(),
            message: "This set-up token is not the one the server printed at start. Copy it from the server log."
                .into(),
        }]));
    }
    let by =
        AuditActor { kind: "anonymous".into(), id: None, label: format!("set-up by {}", input.owner.email.trim()) };
    let (org, user) = create_org_with_owner(db, &input.org_name, None, input.owner, &by, meta).await?;
    *token = None;
    gate.done.store(true, Ordering::Release);
    Ok((org, user))
}
