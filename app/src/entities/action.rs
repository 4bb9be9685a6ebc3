use sea_orm::entity::prelude::*;

/// One action attempt (DESIGN.md §2 `action_audit`): the redacted inputs, the decision and
/// its trace (JSON), the status (pending | confirmed | executed | failed | cancelled | denied |
/// expired), the idempotency key with the first response (NULL while in flight), and what
/// was reserved in the usage counters (released on cancel, failure, expiry).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "actions")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: String,
    pub assistant_id: Option<String>,
    pub rule_run_id: Option<String>,
    pub api_key_id: Option<String>,
    pub user_id: Option<String>,
    pub conversation_id: Option<String>,
    pub customer_ref: Option<String>,
    pub action_type: String,
    pub action_version: i32,
    #[sea_orm(column_type = "Text")]
    pub action_data: String,
    pub amount: Option<String>,
    pub decision: String,
    pub code: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub reason: String,
    #[sea_orm(column_type = "Text")]
    pub trace: String,
    pub confirmation_by: Option<String>,
    pub status: String,
    pub idempotency_scope: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub response_status: Option<i32>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response: Option<String>,
    pub customer_confirmed_at: Option<DateTimeUtc>,
    pub confirmed_by: Option<String>,
    pub confirmed_at: Option<DateTimeUtc>,
    pub executed_at: Option<DateTimeUtc>,
    pub error_code: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub error_message: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub result: Option<String>,
    pub reserved_bucket: Option<i64>,
    pub reserved_amount_e4: i64,
    #[sea_orm(column_type = "Text", nullable)]
    pub reserved_subjects: Option<String>,
    pub released: bool,
    pub expires_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
