use sea_orm::entity::prelude::*;

/// A single sign-on in flight: keyed by the SHA-256 of its `state`; the nonce and PKCE
/// verifier encrypted; deleted when the provider's answer arrives (single use) or expired.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "oidc_logins")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub state_hash: String,
    pub org_id: String,
    #[sea_orm(column_type = "Text")]
    pub secrets_enc: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub next: Option<String>,
    pub created_at: DateTimeUtc,
    pub expires_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
