use sea_orm::entity::prelude::*;

/// An org's OpenID Connect identity provider (one per org). The client secret is in the
/// vault (`services::vault`; `client_secret_enc` is empty since it moved); `allowed_domains` is a JSON array
/// of lower-case domains; `provisioning`: jit | invited.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sso_configs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub display_name: String,
    pub issuer_url: String,
    pub client_id: String,
    #[sea_orm(column_type = "Text")]
    pub client_secret_enc: String,
    #[sea_orm(column_type = "Text")]
    pub allowed_domains: String,
    pub provisioning: String,
    pub default_role_id: Option<String>,
    pub enabled: bool,
    /// Password sign-in off for everyone but the org's Owners (while single sign-on is on).
    pub password_sign_in_disabled: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
