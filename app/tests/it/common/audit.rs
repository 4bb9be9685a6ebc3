//! An org's audit trail as tests read it: its events in chain order, their actions, the
//! events after a point, and the assertion that the hash chain still verifies.

use app::entities::audit_event;
use app::services::audit;
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, Select};

/// The org's audit events in chain order.
pub async fn events(db: &DatabaseConnection, org_id: &str) -> Vec<audit_event::Model> {
    in_chain_order(org_id).all(db).await.unwrap()
}

/// The actions of the org's audit events, in chain order.
pub async fn actions(db: &DatabaseConnection, org_id: &str) -> Vec<String> {
    events(db, org_id).await.into_iter().map(|e| e.action).collect()
}

/// The org's audit events after `after_seq`, in chain order.
pub async fn events_since(db: &DatabaseConnection, org_id: &str, after_seq: i64) -> Vec<audit_event::Model> {
    in_chain_order(org_id).filter(audit_event::Column::Seq.gt(after_seq)).all(db).await.unwrap()
}

/// The seq of the org's latest audit event (0 when there is none).
pub async fn last_seq(db: &DatabaseConnection, org_id: &str) -> i64 {
    events(db, org_id).await.last().map(|e| e.seq).unwrap_or(0)
}

/// Asserts that the org's audit chain verifies.
pub async fn chain_ok(db: &DatabaseConnection, org_id: &str) {
    let report = audit::verify_org(db, org_id).await.unwrap();
    assert!(report.ok, "audit chain broken: {report:?}");
}

fn in_chain_order(org_id: &str) -> Select<audit_event::Entity> {
    audit_event::Entity::find().filter(audit_event::Column::OrgId.eq(org_id)).order_by_asc(audit_event::Column::Seq)
}
