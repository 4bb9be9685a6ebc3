use sea_orm::entity::prelude::*;

/// An automation rule (DESIGN.md §2 Automation): its current definition (conditions and
/// actions as JSON), version, active flag and its run of consecutive failures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_rules")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: Option<String>,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub module_type: String,
    pub trigger_id: String,
    #[sea_orm(column_type = "Text")]
    pub conditions: String,
    #[sea_orm(column_type = "Text")]
    pub actions: String,
    pub is_active: bool,
    pub version: i32,
    pub consecutive_failures: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub paused_reason: Option<String>,
    pub created_by: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
