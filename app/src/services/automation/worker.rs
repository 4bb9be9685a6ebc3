//! The automation worker: claims queued events and runs whose waiting step has been decided,
//! and processes them. Every server process runs one; several on one PostgreSQL never
//! process one event twice:
//!
//! - a claim is a short write transaction that selects due rows `FOR UPDATE SKIP LOCKED`
//!   (PostgreSQL; on SQLite the write transaction is exclusive already) and marks them with a
//!   lease (`claimed_until`); a row whose lease ran out (its worker died) is due again;
//! - a run is unique per (event, rule), and every step's action carries an idempotency key
//!   made of the run id and the step, so a run taken over after a crash replays the answers
//!   its actions already got instead of acting twice.

use super::runs;
use crate::domain::AppError;
use crate::entities::{action, automation_event as event, rule_run};
use crate::services::gateway::actions::Gateway;
use crate::services::infra::db::{begin_write, now};
use chrono::Duration;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, LockBehavior, LockType};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait};

/// How long a claim holds before another worker may take the work over.
pub const LEASE_SECONDS: i64 = 300;
/// At most this many events (and as many runs) per claim.
pub const BATCH: u64 = 20;

/// A name for this worker in claims (host and process), for the events' `claimed_by`.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "mandate".into());
    format!("{host}:{}:{}", std::process::id(), &crate::services::infra::db::new_id()[24..])
}

/// Claims due events for `worker`: queued ones, and running ones whose lease ran out.
pub async fn claim_events(gw: Gateway<'_>, worker: &str) -> Result<Vec<event::Model>, AppError> {
    let at = now();
    let due = || {
        Condition::any()
            .add(event::Column::Status.eq("queued"))
            .add(Condition::all().add(event::Column::Status.eq("running")).add(event::Column::ClaimedUntil.lt(at)))
    };
    // A plain read first: an idle worker never takes the write lock (SQLite has one).
    if event::Entity::find().filter(due()).one(gw.db).await?.is_none() {
        return Ok(Vec::new());
    }
    let tx = begin_write(gw.db).await?;
    let ids: Vec<String> = event::Entity::find()
        .select_only()
        .column(event::Column::Id)
        .filter(due())
        .order_by_asc(event::Column::CreatedAt)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&tx)
        .await?;
    if ids.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    event::Entity::update_many()
        .col_expr(event::Column::Status, Expr::value("running"))
        .col_expr(event::Column::ClaimedBy, Expr::value(worker))
        .col_expr(event::Column::ClaimedUntil, Expr::value(at + Duration::seconds(LEASE_SECONDS)))
        .col_expr(event::Column::Attempts, Expr::col(event::Column::Attempts).add(1))
        .filter(event::Column::Id.is_in(ids.clone()))
        .exec(&tx)
        .await?;
    let rows = event::Entity::find()
        .filter(event::Column::Id.is_in(ids))
        .order_by_asc(event::Column::CreatedAt)
        .all(&tx)
        .await?;
    tx.commit().await?;
    Ok(rows)
}

/// Claims waiting runs whose action has been decided (no longer pending).
pub async fn claim_resumable(gw: Gateway<'_>) -> Result<Vec<rule_run::Model>, AppError> {
    let at = now();
    let resumable = || {
        let free =
            Condition::any().add(rule_run::Column::ClaimedUntil.is_null()).add(rule_run::Column::ClaimedUntil.lt(at));
        let decided = action::Entity::find()
            .select_only()
            .column(action::Column::Id)
            .filter(action::Column::Status.ne("pending"))
            .filter(action::Column::RuleRunId.is_not_null())
            .into_query();
        Condition::all()
            .add(rule_run::Column::Status.eq("waiting"))
            .add(free)
            .add(rule_run::Column::WaitingActionId.in_subquery(decided))
    };
    // A plain read first, as for events.
    if rule_run::Entity::find().filter(resumable()).one(gw.db).await?.is_none() {
        return Ok(Vec::new());
    }
    let tx = begin_write(gw.db).await?;
    let ids: Vec<String> = rule_run::Entity::find()
        .select_only()
        .column(rule_run::Column::Id)
        .filter(resumable())
        .order_by_asc(rule_run::Column::UpdatedAt)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .into_tuple()
        .all(&tx)
        .await?;
    if ids.is_empty() {
        tx.rollback().await?;
        return Ok(Vec::new());
    }
    rule_run::Entity::update_many()
        .col_expr(rule_run::Column::ClaimedUntil, Expr::value(at + Duration::seconds(LEASE_SECONDS)))
        .filter(rule_run::Column::Id.is_in(ids.clone()))
        .exec(&tx)
        .await?;
    let rows = rule_run::Entity::find().filter(rule_run::Column::Id.is_in(ids)).all(&tx).await?;
    tx.commit().await?;
    Ok(rows)
}

/// One round: claims and processes what is due; returns how many events and runs it took.
/// A failure of one event is logged and left for a later round (its lease runs out).
pub async fn run_once(gw: Gateway<'_>, worker: &str) -> Result<usize, AppError> {
    let mut n = 0;
    for e in claim_events(gw, worker).await? {
        n += 1;
        if let Err(err) = runs::process_event(gw, &e).await {
            tracing::warn!(event_id = %e.id, error = %err.message, "event processing failed; it will be retried");
        }
    }
    for r in claim_resumable(gw).await? {
        n += 1;
        if let Err(err) = runs::continue_waiting(gw, r.clone()).await {
            tracing::warn!(run_id = %r.id, error = %err.message, "continuing a waiting run failed; it will be retried");
        }
    }
    Ok(n)
}

/// Processes until nothing is due (tests and the CLI use it).
pub async fn drain(gw: Gateway<'_>, worker: &str) -> Result<usize, AppError> {
    let mut total = 0;
    loop {
        let n = run_once(gw, worker).await?;
        if n == 0 {
            return Ok(total);
        }
        total += n;
    }
}
