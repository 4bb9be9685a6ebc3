//! The instance key that encrypts everything at rest, and its rotation (issue 15):
//! `mandate secrets rotate-key` re-encrypts the vault's secrets (the integrations'
//! credentials among them), the people's TOTP secrets and the single sign-ons in flight
//! under a new key, in one transaction.

use crate::domain::AppError;
use crate::entities::{oidc_login, secret, user};
use crate::services::actor::system_actor;
use crate::services::audit::{self, lock_org, NewEvent};
use crate::services::identity::{mfa, oidc};
use crate::services::infra::crypto;
use crate::services::infra::db::begin_write;
use crate::services::vault::{adopt_legacy, context};
use crate::services::RequestMeta;
use sea_orm::{ActiveModelTrait, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::collections::BTreeMap;

/// What a key rotation re-encrypted.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Rotation {
    pub secrets: usize,
    pub totp_secrets: usize,
    pub sign_ins_in_flight: usize,
}

/// Re-encrypts everything encrypted at rest under `new`: the vault's secrets, the people's
/// TOTP secrets and the single sign-ons in flight, in one transaction: a value that does not
/// decrypt with `old` stops it with nothing changed. Each org's trail records the rotation
/// (how many of its secrets, never a key).
pub async fn rotate_key(db: &DatabaseConnection, old: &[u8; 32], new: &[u8; 32]) -> Result<Rotation, AppError> {
    adopt_legacy(db, old).await?;
    let tx = begin_write(db).await?;
    let mut done = Rotation::default();
    let mut per_org: BTreeMap<String, usize> = BTreeMap::new();
    for row in secret::Entity::find().all(&tx).await? {
        let value = crypto::decrypt(old, &row.value_enc, &context(&row.id))?;
        let mut am: secret::ActiveModel = row.clone().into();
        am.value_enc = Set(crypto::encrypt(new, &value, &context(&row.id))?);
        am.update(&tx).await?;
        done.secrets += 1;
        *per_org.entry(row.org_id).or_default() += 1;
    }
    for u in user::Entity::find().filter(user::Column::MfaSecretEnc.is_not_null()).all(&tx).await? {
        let Some(enc) = u.mfa_secret_enc.clone() else { continue };
        let ctx = mfa::totp_context(&u.id);
        let value = crypto::decrypt(old, &enc, &ctx)?;
        let mut am: user::ActiveModel = u.into();
        am.mfa_secret_enc = Set(Some(crypto::encrypt(new, &value, &ctx)?));
        am.update(&tx).await?;
        done.totp_secrets += 1;
    }
    for l in oidc_login::Entity::find().all(&tx).await? {
        let ctx = oidc::secrets_context(&l.state_hash);
        let value = crypto::decrypt(old, &l.secrets_enc, &ctx)?;
        let mut am: oidc_login::ActiveModel = l.into();
        am.secrets_enc = Set(crypto::encrypt(new, &value, &ctx)?);
        am.update(&tx).await?;
        done.sign_ins_in_flight += 1;
    }
    for (org_id, count) in per_org {
        lock_org(&tx, &org_id).await?;
        audit::append(
            &tx,
            &org_id,
            &system_actor(),
            &RequestMeta::default(),
            NewEvent::new("secrets.key_rotated", "org", Some(&org_id)).after(json!({ "secrets": count })),
        )
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}
