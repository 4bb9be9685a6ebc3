use sea_orm::entity::prelude::*;

/// An in-app notification for one person (read when `read_at` is set).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "notifications")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub user_id: String,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// info | warning | critical
    pub severity: String,
    pub link: Option<String>,
    pub dedupe_key: Option<String>,
    pub action_id: Option<String>,
    pub read_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
