use sea_orm::entity::prelude::*;

/// Whether an action is enabled and needs confirmation. `scope_type` "store" (scope_id = the
/// store) or "org" (the org's defaults for new stores; scope_id = the org).
/// `confirmation_by`: customer | staff. UNIQUE(scope_type, scope_id, action_type).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "action_permissions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub scope_type: String,
    pub scope_id: String,
    pub action_type: String,
    pub enabled: bool,
    pub requires_confirmation: bool,
    pub confirmation_by: String,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
