use sea_orm::entity::prelude::*;

/// A secret of an org, team or user: the value encrypted (AES-256-GCM, the instance key,
/// bound to `secret:<id>`), never returned.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "secrets")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    /// org | team | user
    pub scope_type: String,
    pub scope_id: String,
    pub name: String,
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub value_enc: String,
    pub set_at: DateTimeUtc,
    pub set_by_id: Option<String>,
    pub set_by_label: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
