use sea_orm::entity::prelude::*;

/// Something done to a sandbox order (or, for a discount code, for a customer): refund,
/// discount, return, cancellation, address_change, tracking_sent or status_change, with the
/// action that did it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sandbox_operations")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: String,
    pub order_ref: Option<String>,
    pub customer_ref: Option<String>,
    pub kind: String,
    pub amount: Option<String>,
    pub percentage: Option<String>,
    pub code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub details: String,
    pub action_id: Option<String>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
