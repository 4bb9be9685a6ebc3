//! Appending to and verifying the per-org audit chain. `append` must be called inside the
//! transaction of the change it records (use `db::begin_write`), so the event and the change
//! commit together or not at all.

pub mod log;

use crate::domain::audit::{
    canonical_json, chain_hash, AuditActor, AuditEventBody, ChainHead, ChainReport, ChainVerifier, ChainedEvent,
    GENESIS_HASH,
};
use crate::domain::AppError;
use crate::entities::{audit_event, audit_head, org};
use crate::services::infra::db::now;
use crate::services::RequestMeta;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use serde_json::Value;

/// The entities whose changes can change what an API key may do: recording a change to one
/// moves the org's `access_version` on in the same transaction, which ends every cached
/// resolution of a key's access (`services::access::AccessCache`). Every such change is
/// audited (an invariant), so this one place catches them all.
const ACCESS_ENTITIES: [&str; 6] = ["org", "team", "store", "role", "role_assignment", "api_key"];

/// What happened, to be recorded.
#[derive(Clone, Debug)]
pub struct NewEvent {
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl NewEvent {
    pub fn new(action: &str, entity_type: &str, entity_id: Option<&str>) -> Self {
        NewEvent {
            action: action.to_string(),
            entity_type: entity_type.to_string(),
            entity_id: entity_id.map(str::to_string),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, value: Value) -> Self {
        self.before = Some(value);
        self
    }

    pub fn after(mut self, value: Value) -> Self {
        self.after = Some(value);
        self
    }
}

/// Creates the empty chain of a new org (in the org's creating transaction).
pub async fn start_chain<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<(), AppError> {
    audit_head::ActiveModel { org_id: Set(org_id.to_string()), seq: Set(0), hash: Set(GENESIS_HASH.to_string()) }
        .insert(conn)
        .await?;
    Ok(())
}

/// Appends one event to `org_id`'s chain. Locks the chain head row (FOR UPDATE on
/// PostgreSQL; SQLite's write transaction is already exclusive).
pub async fn append<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    actor: &AuditActor,
    meta: &RequestMeta,
    event: NewEvent,
) -> Result<i64, AppError> {
    let head =
        audit_head::Entity::find_by_id(org_id.to_string()).lock_exclusive().one(conn).await?.ok_or_else(|| {
            tracing::error!(org_id, "audit chain head missing");
            AppError::internal()
        })?;
    let occurred_at = now();
    let before = event.before.as_ref().map(canonical_json);
    let after = event.after.as_ref().map(canonical_json);
    let body = AuditEventBody {
        org_id: org_id.to_string(),
        seq: head.seq + 1,
        occurred_at: format_time(&occurred_at),
        actor: actor.clone(),
        action: event.action,
        entity_type: event.entity_type,
        entity_id: event.entity_id,
        before: event.before,
        after: event.after,
        ip: meta.ip.clone(),
        request_id: meta.request_id.clone(),
    };
    let hash = chain_hash(&head.hash, &body);
    let row = audit_event::ActiveModel {
        org_id: Set(body.org_id.clone()),
        seq: Set(body.seq),
        occurred_at: Set(occurred_at),
        actor_type: Set(body.actor.kind.clone()),
        actor_id: Set(body.actor.id.clone()),
        actor_label: Set(body.actor.label.clone()),
        action: Set(body.action.clone()),
        entity_type: Set(body.entity_type.clone()),
        entity_id: Set(body.entity_id.clone()),
        before_json: Set(before),
        after_json: Set(after),
        ip: Set(body.ip.clone()),
        request_id: Set(body.request_id.clone()),
        prev_hash: Set(head.hash.clone()),
        hash: Set(hash.clone()),
        ..Default::default()
    }
    .insert(conn)
    .await?;
    audit_head::ActiveModel { org_id: Set(org_id.to_string()), seq: Set(body.seq), hash: Set(hash) }
        .update(conn)
        .await?;
    if ACCESS_ENTITIES.contains(&body.entity_type.as_str()) {
        org::Entity::update_many()
            .col_expr(
                org::Column::AccessVersion,
                sea_orm::sea_query::ExprTrait::add(Expr::col(org::Column::AccessVersion), 1),
            )
            .filter(org::Column::Id.eq(org_id))
            .exec(conn)
            .await?;
    }
    Ok(row.id)
}

/// Serialises writes to one org's tree: locks its audit chain head (a row lock on
/// PostgreSQL; SQLite write transactions are already exclusive).
pub async fn lock_org<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<(), AppError> {
    audit_head::Entity::find_by_id(org_id.to_string()).lock_exclusive().one(conn).await?;
    Ok(())
}

/// The stored timestamp as it enters the hash: RFC 3339, UTC, microseconds.
fn format_time(t: &chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

fn parse_json(text: &Option<String>) -> Option<Value> {
    text.as_ref().map(|t| serde_json::from_str(t).unwrap_or(Value::String(t.clone())))
}

pub(super) fn to_chained(row: &audit_event::Model) -> ChainedEvent {
    ChainedEvent {
        id: row.id,
        body: AuditEventBody {
            org_id: row.org_id.clone(),
            seq: row.seq,
            occurred_at: format_time(&row.occurred_at),
            actor: AuditActor {
                kind: row.actor_type.clone(),
                id: row.actor_id.clone(),
                label: row.actor_label.clone(),
            },
            action: row.action.clone(),
            entity_type: row.entity_type.clone(),
            entity_id: row.entity_id.clone(),
            before: parse_json(&row.before_json),
            after: parse_json(&row.after_json),
            ip: row.ip.clone(),
            request_id: row.request_id.clone(),
        },
        prev_hash: row.prev_hash.clone(),
        hash: row.hash.clone(),
    }
}

const VERIFY_PAGE: u64 = 1000;

/// Recomputes one org's whole chain, streaming it page by page.
pub async fn verify_org(db: &DatabaseConnection, org_id: &str) -> Result<ChainReport, AppError> {
    let mut verifier = ChainVerifier::new(org_id);
    let mut after_seq = 0i64;
    loop {
        let rows = audit_event::Entity::find()
            .filter(audit_event::Column::OrgId.eq(org_id))
            .filter(audit_event::Column::Seq.gt(after_seq))
            .order_by_asc(audit_event::Column::Seq)
            .limit(VERIFY_PAGE)
            .all(db)
            .await?;
        let Some(last) = rows.last() else { break };
        after_seq = last.seq;
        for row in &rows {
            if let Err(link) = verifier.push(&to_chained(row)) {
                return Ok(verifier.broken(link));
            }
        }
    }
    let head = audit_head::Entity::find_by_id(org_id.to_string())
        .one(db)
        .await?
        .map(|h| ChainHead { seq: h.seq, hash: h.hash });
    Ok(verifier.finish(head.as_ref()))
}

/// `mandate audit verify`: every org's chain (operator access, no actor).
pub async fn verify_all(db: &DatabaseConnection) -> Result<Vec<(org::Model, ChainReport)>, AppError> {
    let orgs = org::Entity::find().order_by_asc(org::Column::CreatedAt).all(db).await?;
    let mut out = Vec::with_capacity(orgs.len());
    for o in orgs {
        let report = verify_org(db, &o.id).await?;
        out.push((o, report));
    }
    Ok(out)
}
