use sea_orm::entity::prelude::*;

/// An AI assistant acting for one store. `allowed_actions` is a JSON array of action ids;
/// it can only narrow what the store allows. `status`: active | disabled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assistants")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: String,
    pub name: String,
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub allowed_actions: String,
    pub status: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
