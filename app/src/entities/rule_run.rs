use sea_orm::entity::prelude::*;

/// One run of one rule on one event: each condition's result and each step (JSON), the
/// status (running | skipped | succeeded | failed | waiting | cancelled) and, while
/// waiting, the action a person must decide.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rule_runs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub event_id: String,
    pub rule_id: String,
    pub rule_version: i32,
    pub rule_name: String,
    pub store_id: Option<String>,
    pub status: String,
    #[sea_orm(column_type = "Text")]
    pub conditions: String,
    #[sea_orm(column_type = "Text")]
    pub steps: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub error: Option<String>,
    pub waiting_action_id: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
