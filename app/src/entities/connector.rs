use sea_orm::entity::prelude::*;

/// A webhook connector: a store's platform (`store_id` set) or the org's connector for
/// business-operations actions (`store_id` NULL). `scope_key` is the store id or "org"
/// (unique per org). `secret_enc` is the signing secret, AES-256-GCM encrypted with the
/// at-rest key and bound to the row's id; it is never shown or returned.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "connectors")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: Option<String>,
    pub scope_key: String,
    #[sea_orm(column_type = "Text")]
    pub url: String,
    #[sea_orm(column_type = "Text")]
    pub secret_enc: String,
    pub timeout_ms: i32,
    pub max_attempts: i32,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
