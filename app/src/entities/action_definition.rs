use sea_orm::entity::prelude::*;

/// One version of a catalog action. `org_id` NULL: built in (seeded by migration).
/// Schemas and `redact_fields` are JSON text; `risk`: read | write | money; `executor`:
/// platform (the store's platform executor) | internal (Mandate's own) | connector.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_definitions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub version: i32,
    pub org_id: Option<String>,
    pub name: String,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub category: String,
    #[sea_orm(column_type = "Text")]
    pub input_schema: String,
    #[sea_orm(column_type = "Text")]
    pub output_schema: String,
    pub amount_field: Option<String>,
    pub percentage_field: Option<String>,
    pub order_total_field: Option<String>,
    pub risk: String,
    pub retryable: bool,
    pub idempotent: bool,
    pub required_permission: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub redact_fields: String,
    pub executor: String,
    pub default_enabled: bool,
    pub default_requires_confirmation: bool,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
