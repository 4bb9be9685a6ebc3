use sea_orm::entity::prelude::*;

/// A quota (§2 Spend and quotas): a limit on an entity's spend (`metric` amount) or count per
/// calendar period, enforced (decide denies QUOTA_EXCEEDED) or alert only.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "quotas")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub name: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub item_type: Option<String>,
    pub metric: String,
    pub limit_e4: i64,
    pub currency: Option<String>,
    pub period: String,
    pub enforce: bool,
    pub alert_thresholds: String,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
