//! Reading the audit trail: the change log's pages and filters, the newest events for the
//! overview, and the chain status of the actor's org. Each needs `audit.read`.
//! Writing and verifying the chain lives in the parent module (`audit`), which never
//! depends on this one.

use crate::domain::access::ScopeRef;
use crate::domain::audit::ChainReport;
pub use crate::domain::changes::AuditEventView;
use crate::domain::changes::{parse_cursor, EventFilter, EventPage, SIGN_IN_ACTION_PREFIX};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::audit_event;
use crate::services::access::authz::authorize;
use crate::services::audit::{to_chained, verify_org};
use crate::services::Actor;
use sea_orm::sea_query::{Condition, Expr, Func, LikeExpr};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The chain status of the actor's org (needs `audit.read`).
pub async fn verify_for(db: &DatabaseConnection, actor: &Actor) -> Result<ChainReport, AppError> {
    authorize(actor, Permission::AuditRead, &ScopeRef::Org)?;
    verify_org(db, &actor.org_id).await
}

/// The newest events of the actor's org (needs `audit.read`).
pub async fn recent_events(
    db: &DatabaseConnection,
    actor: &Actor,
    limit: u64,
) -> Result<Vec<AuditEventView>, AppError> {
    authorize(actor, Permission::AuditRead, &ScopeRef::Org)?;
    let rows = audit_event::Entity::find()
        .filter(audit_event::Column::OrgId.eq(actor.org_id.as_str()))
        .order_by_desc(audit_event::Column::Seq)
        .limit(limit.min(200))
        .all(db)
        .await?;
    Ok(rows.iter().map(to_view).collect())
}

fn to_view(r: &audit_event::Model) -> AuditEventView {
    let c = to_chained(r);
    AuditEventView {
        id: c.id,
        seq: c.body.seq,
        occurred_at: c.body.occurred_at,
        actor: c.body.actor,
        action: c.body.action,
        entity_type: c.body.entity_type,
        entity_id: c.body.entity_id,
        before: c.body.before,
        after: c.body.after,
        ip: c.body.ip,
        request_id: c.body.request_id,
    }
}

/// `?limit=&cursor=` of the change log.
#[derive(Clone, Debug, Default)]
pub struct EventPaging {
    /// The previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–200.
    pub limit: u64,
}

/// The org's audit events matching `filter`, newest first, a page at a time (needs
/// `audit.read` at the org). Sign-in events are left out unless `include_sign_ins`.
pub async fn list_events(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &EventFilter,
    paging: &EventPaging,
) -> Result<EventPage, AppError> {
    authorize(actor, Permission::AuditRead, &ScopeRef::Org)?;
    let cursor = parse_cursor(paging.cursor.as_deref())?;
    let limit = paging.limit.clamp(1, 200);
    let mut q = audit_event::Entity::find().filter(audit_event::Column::OrgId.eq(actor.org_id.as_str()));
    if let Some(t) = &filter.entity_type {
        q = q.filter(audit_event::Column::EntityType.eq(t.as_str()));
    }
    if let Some(id) = &filter.entity_id {
        q = q.filter(audit_event::Column::EntityId.eq(id.as_str()));
    }
    if let Some(who) = &filter.actor {
        let escaped: String = who
            .to_lowercase()
            .chars()
            .flat_map(|c| if matches!(c, '%' | '_' | '\\') { vec!['\\', c] } else { vec![c] })
            .collect();
        q = q.filter(Condition::any().add(audit_event::Column::ActorId.eq(who.as_str())).add(
            sea_orm::sea_query::ExprTrait::like(
                Expr::expr(Func::lower(Expr::col(audit_event::Column::ActorLabel))),
                LikeExpr::new(format!("%{escaped}%")).escape('\\'),
            ),
        ));
    }
    if let Some(from) = filter.from {
        q = q.filter(audit_event::Column::OccurredAt.gte(from));
    }
    if let Some(until) = filter.until {
        q = q.filter(audit_event::Column::OccurredAt.lt(until));
    }
    if !filter.include_sign_ins {
        q = q.filter(audit_event::Column::Action.not_like(format!("{SIGN_IN_ACTION_PREFIX}%")));
    }
    if let Some(c) = cursor {
        q = q.filter(audit_event::Column::Seq.lt(c));
    }
    let mut rows = q.order_by_desc(audit_event::Column::Seq).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.seq.to_string())
    } else {
        None
    };
    Ok(EventPage { events: rows.iter().map(to_view).collect(), next_cursor })
}

/// The entity types the org's events name, for the change log's filter (needs `audit.read`).
pub async fn entity_types(db: &DatabaseConnection, actor: &Actor) -> Result<Vec<String>, AppError> {
    authorize(actor, Permission::AuditRead, &ScopeRef::Org)?;
    let mut types: Vec<String> = audit_event::Entity::find()
        .select_only()
        .column(audit_event::Column::EntityType)
        .distinct()
        .filter(audit_event::Column::OrgId.eq(actor.org_id.as_str()))
        .into_tuple()
        .all(db)
        .await?;
    types.sort();
    Ok(types)
}
