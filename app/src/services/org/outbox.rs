//! The email outbox: every email Mandate sends (invitations, password resets) is first a
//! row here, written in the transaction of the change that causes it. The server's sender
//! (server/src/mailer.rs) delivers rows through SMTP when one is configured; either way
//! admins can read them at /org/outbox, so an install without SMTP still works.
//!
//! `enqueue` and `list` are use-cases; `claim_due`, `mark_sent` and `mark_failed` are for
//! the background sender, which acts for the system, not for a person (no actor).

use crate::domain::access::ScopeRef;
use crate::domain::permission::Permission;
use crate::domain::users::{mail_status, retry_delay, OutboxItem, OutboxPage, MAIL_MAX_ATTEMPTS};
use crate::domain::AppError;
use crate::entities::outbox;
use crate::services::access::authz::authorize;
use crate::services::infra::db::{new_id, now};
use crate::services::Actor;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

/// How long a sending server holds a message before another may try it.
pub const SEND_LEASE: Duration = Duration::minutes(5);

fn time(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Queues an email inside the caller's transaction, so it exists exactly when the change
/// that caused it commits.
pub async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    to: &str,
    subject: &str,
    body: &str,
) -> Result<outbox::Model, AppError> {
    outbox::ActiveModel {
        id: Set(new_id()),
        org_id: Set(org_id.to_string()),
        to_email: Set(to.to_string()),
        subject: Set(subject.to_string()),
        body: Set(body.to_string()),
        created_at: Set(now()),
        sent_at: Set(None),
        attempts: Set(0),
        last_error: Set(None),
        next_attempt_at: Set(None),
    }
    .insert(conn)
    .await
    .map_err(AppError::from)
}

fn item(m: outbox::Model) -> OutboxItem {
    OutboxItem {
        status: mail_status(m.sent_at.is_some(), m.attempts),
        id: m.id,
        to_email: m.to_email,
        subject: m.subject,
        body: m.body,
        created_at: time(&m.created_at),
        sent_at: m.sent_at.as_ref().map(time),
        attempts: m.attempts,
        last_error: m.last_error,
    }
}

/// The org's outbox, newest first, `limit` at a time after `cursor` (the last id of the
/// previous page: ids are time-ordered). Needs `users.manage` at the org: the mails carry
/// sign-in links.
pub async fn list(
    db: &DatabaseConnection,
    actor: &Actor,
    cursor: Option<&str>,
    limit: u64,
    smtp_configured: bool,
) -> Result<OutboxPage, AppError> {
    authorize(actor, Permission::UsersManage, &ScopeRef::Org)?;
    let limit = limit.clamp(1, 200);
    let mut q = outbox::Entity::find().filter(outbox::Column::OrgId.eq(actor.org_id.as_str()));
    if let Some(c) = cursor.map(str::trim).filter(|c| !c.is_empty()) {
        q = q.filter(outbox::Column::Id.lt(c));
    }
    let mut rows = q.order_by_desc(outbox::Column::Id).limit(limit + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    Ok(OutboxPage { items: rows.into_iter().map(item).collect(), next_cursor, smtp_configured })
}

/// Takes up to `limit` messages that are due (not sent, not given up, not held by another
/// sender or waiting out a back-off) and holds them for `SEND_LEASE`. A message is claimed
/// by one conditional update, so two servers never both get it.
pub async fn claim_due(db: &DatabaseConnection, at: DateTime<Utc>, limit: u64) -> Result<Vec<outbox::Model>, AppError> {
    let due = || {
        Condition::all().add(outbox::Column::SentAt.is_null()).add(outbox::Column::Attempts.lt(MAIL_MAX_ATTEMPTS)).add(
            Condition::any().add(outbox::Column::NextAttemptAt.is_null()).add(outbox::Column::NextAttemptAt.lte(at)),
        )
    };
    let candidates = outbox::Entity::find().filter(due()).order_by_asc(outbox::Column::Id).limit(limit).all(db).await?;
    let mut claimed = Vec::with_capacity(candidates.len());
    for m in candidates {
        let res = outbox::Entity::update_many()
            .col_expr(outbox::Column::NextAttemptAt, Expr::value(at + SEND_LEASE))
            .filter(outbox::Column::Id.eq(m.id.as_str()))
            .filter(due())
            .exec(db)
            .await?;
        if res.rows_affected == 1 {
            claimed.push(m);
        }
    }
    Ok(claimed)
}

/// Records a delivery.
pub async fn mark_sent(db: &DatabaseConnection, id: &str, at: DateTime<Utc>) -> Result<(), AppError> {
    outbox::Entity::update_many()
        .col_expr(outbox::Column::SentAt, Expr::value(at))
        .col_expr(outbox::Column::Attempts, Expr::col(outbox::Column::Attempts).add(1))
        .col_expr(outbox::Column::LastError, Expr::value(Option::<String>::None))
        .col_expr(outbox::Column::NextAttemptAt, Expr::value(Option::<DateTime<Utc>>::None))
        .filter(outbox::Column::Id.eq(id))
        .exec(db)
        .await?;
    Ok(())
}

/// Records a failed attempt: retried after `retry_delay`, or never again when the error is
/// permanent (the server refused the message) or the attempts are used up.
pub async fn mark_failed(
    db: &DatabaseConnection,
    id: &str,
    error: &str,
    permanent: bool,
    at: DateTime<Utc>,
) -> Result<(), AppError> {
    let Some(m) = outbox::Entity::find_by_id(id.to_string()).one(db).await? else {
        return Ok(());
    };
    let attempts = if permanent { std::cmp::max(MAIL_MAX_ATTEMPTS, m.attempts + 1) } else { m.attempts + 1 };
    let error: String = error.chars().take(1000).collect();
    let mut am: outbox::ActiveModel = m.into();
    am.attempts = Set(attempts);
    am.last_error = Set(Some(error));
    am.next_attempt_at = Set(Some(at + retry_delay(attempts)));
    am.update(db).await?;
    Ok(())
}
