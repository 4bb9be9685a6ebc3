use sea_orm::entity::prelude::*;

/// One expenditure (§2 Spend): who spent (entity), how much (1/10 000 units of `currency`),
/// on what kind of item, when; `team_id` is the team it counts toward; `action_id` is set for
/// records an invoke made (removed when the action releases its reservation).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "expenditure_records")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub team_id: Option<String>,
    pub amount_e4: i64,
    pub currency: String,
    pub item_type: String,
    pub item_id: Option<String>,
    pub action_id: Option<String>,
    pub occurred_at: DateTimeUtc,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
