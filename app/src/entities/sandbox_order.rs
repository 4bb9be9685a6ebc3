use sea_orm::entity::prelude::*;

/// An order of a store on the built-in sandbox platform. `order_ref` is the order number
/// agents use (`order_id` in the actions), unique per store; `total` and `refunded_total`
/// are decimal text in `currency`; `items` and `address` are JSON.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_orders")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: String,
    pub order_ref: String,
    pub customer_ref: Option<String>,
    pub customer_email: Option<String>,
    pub total: String,
    pub currency: String,
    /// open | shipped | cancelled | returned
    pub status: String,
    pub refunded_total: String,
    #[sea_orm(column_type = "Text")]
    pub items: String,
    #[sea_orm(column_type = "Text")]
    pub address: String,
    pub tracking_number: Option<String>,
    pub carrier: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
