use sea_orm::entity::prelude::*;

/// A merchant's store. `default_allowed_actions` (JSON array of action ids) is what a new
/// assistant gets; `actions_paused` is the kill switch; `policy_version` is bumped with every
/// change to what the store's compiled policy is made of (caches compare it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "stores")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub team_id: Option<String>,
    pub name: String,
    pub platform: String,
    pub currency: String,
    pub actions_paused: bool,
    #[sea_orm(column_type = "Text")]
    pub default_allowed_actions: String,
    pub policy_version: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
