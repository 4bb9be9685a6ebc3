use sea_orm::entity::prelude::*;

/// A limit on an action at org (default for every store) / store / assistant scope.
/// `limit_type`: max_amount | max_percentage | max_count | max_total_amount; `limit_value` a
/// decimal as text; `time_window_hours` for the window limits; `on_exceed`: deny | confirm.
/// `store_id` is the store of a store or assistant limit (NULL for org defaults).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_limits")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub scope_type: String,
    pub scope_id: String,
    pub store_id: Option<String>,
    pub action_type: String,
    pub limit_type: String,
    pub limit_value: String,
    pub time_window_hours: Option<i32>,
    pub on_exceed: String,
    pub per_customer: bool,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
