use sea_orm::entity::prelude::*;

/// A task in Mandate's own task list (created by the `create_task` action).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tasks")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: Option<String>,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    /// The assignee's user id.
    pub assignee: Option<String>,
    /// YYYY-MM-DD
    pub due_date: Option<String>,
    /// low | normal | high | urgent
    pub priority: String,
    /// open | in_progress | done | cancelled
    pub status: String,
    pub linked_type: Option<String>,
    pub linked_id: Option<String>,
    pub action_id: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
