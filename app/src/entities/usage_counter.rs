use sea_orm::entity::prelude::*;

/// What window limits count: per store, action and subject ("store", "assistant:<id>",
/// "customer:<ref>", "assistant:<id>|customer:<ref>"), in hour buckets (hours since the
/// Unix epoch). `amount_e4` is the amount in 1/10 000 of the currency unit.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_counters")]
pub struct Model {
    pub org_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub store_id: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub action_type: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub subject: String,
    #[sea_orm(primary_key, auto_increment = false)]
    pub bucket_hour: i64,
    pub count: i64,
    pub amount_e4: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
