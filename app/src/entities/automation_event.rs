use sea_orm::entity::prelude::*;

/// An event posted to `POST /api/v1/events`, stored before it is answered and processed by
/// a worker (status queued → running → done, or dropped). `claimed_until` is the running
/// worker's lease; another worker takes the event over once it has run out.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "automation_events")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    pub org_id: String,
    pub store_id: Option<String>,
    pub trigger_id: String,
    #[sea_orm(column_type = "Text")]
    pub payload: String,
    pub depth: i32,
    pub caused_by_action_id: Option<String>,
    pub only_rule_id: Option<String>,
    pub replay_of_run_id: Option<String>,
    pub status: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub idempotency_scope: Option<String>,
    pub idempotency_key: Option<String>,
    pub request_hash: Option<String>,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<DateTimeUtc>,
    pub attempts: i32,
    pub created_at: DateTimeUtc,
    pub processed_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
