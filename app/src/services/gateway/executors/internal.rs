//! Mandate's own actions: in-app notifications, email through the outbox, tasks, and
//! status changes of Mandate's own records.
//!
//! - `send_notification`: an in-app notification for each recipient (channel in_app or
//!   both) and an email to each through the outbox (channel email or both).
//! - `notifications.send_in_app`: in-app only; a `dedupe_key` already used in the org
//!   answers the earlier notifications instead of sending again.
//! - `email.send`: one outbox email per address in to, cc and bcc (the outbox delivers to one
//!   address at a time). Mandate sends from its configured sender, so `from` is not
//!   honoured; attachments can't be delivered and are refused rather than dropped.
//! - `create_task`: a row in `tasks` (the assignee, a user id or email, must be a person of
//!   the org; they get an in-app notification).
//! - `update_status`: a task's status (open, in_progress, done, cancelled) or a sandbox
//!   order's (open, shipped, cancelled, returned) in the action's store; Mandate keeps no
//!   tickets or customers, so those are NOT_FOUND.
//!
//! Recipients are user ids, email addresses or role names of the org (a role means every
//! active person holding it anywhere in the org). Unknown recipients fail the action with
//! VALIDATION_ERROR naming them: a notification silently sent to nobody helps no one.

use super::contract::{ExecContext, ExecError};
use super::sandbox::ORDER_STATUSES;
use crate::entities::{notification, role, role_assignment, sandbox_operation, sandbox_order, task, user};
use crate::services::infra::db::{new_id, now, rfc3339};
use crate::services::org::outbox;
use sea_orm::sea_query::{Condition, Expr, ExprTrait, Func};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseTransaction, EntityTrait, QueryFilter, QueryOrder, Set,
};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Task statuses.
pub const TASK_STATUSES: [&str; 4] = ["open", "in_progress", "done", "cancelled"];

/// Runs one of Mandate's own actions; None for an internal action it doesn't know.
pub async fn run(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Option<Result<Value, ExecError>> {
    let out = match ctx.def.id.as_str() {
        "send_notification" => send_notification(tx, ctx).await,
        "notifications.send_in_app" => send_in_app(tx, ctx).await,
        "email.send" => send_email(tx, ctx).await,
        "create_task" => create_task(tx, ctx).await,
        "update_status" => update_status(tx, ctx).await,
        other => {
            tracing::warn!(action_type = other, "internal action without an executor; the caller executes");
            return None;
        }
    };
    Some(out)
}

fn str_param<'v>(params: &'v Value, name: &str) -> Option<&'v str> {
    params.get(name).and_then(Value::as_str).map(str::trim).filter(|s| !s.is_empty())
}

fn required<'v>(params: &'v Value, name: &str) -> Result<&'v str, ExecError> {
    str_param(params, name).ok_or_else(|| ExecError::invalid(format!("{name} is required.")))
}

fn strings(params: &Value, name: &str) -> Vec<String> {
    params
        .get(name)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect())
        .unwrap_or_default()
}

/// A person of the org by id or email (case-insensitive).
async fn find_user<C: ConnectionTrait>(conn: &C, org_id: &str, who: &str) -> Result<Option<user::Model>, ExecError> {
    let who = who.trim();
    let by_id = user::Entity::find_by_id(who.to_string()).filter(user::Column::OrgId.eq(org_id)).one(conn).await?;
    if by_id.is_some() {
        return Ok(by_id);
    }
    Ok(user::Entity::find()
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Email.eq(who.to_lowercase()))
        .one(conn)
        .await?)
}

/// The active people the recipients name (ids, emails, role names), each once, in a
/// stable order; unknown recipients are an error naming them.
async fn resolve_recipients<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    recipients: &[String],
) -> Result<Vec<user::Model>, ExecError> {
    let mut ids = BTreeSet::new();
    let mut unknown = Vec::new();
    for r in recipients {
        if let Some(u) = find_user(conn, org_id, r).await? {
            ids.insert(u.id);
            continue;
        }
        let roles = role::Entity::find()
            .filter(Condition::any().add(role::Column::OrgId.is_null()).add(role::Column::OrgId.eq(org_id)))
            .filter(Expr::expr(Func::lower(Expr::col(role::Column::Name))).eq(r.to_lowercase()))
            .all(conn)
            .await?;
        if roles.is_empty() {
            unknown.push(r.clone());
            continue;
        }
        let holders = role_assignment::Entity::find()
            .filter(role_assignment::Column::OrgId.eq(org_id))
            .filter(role_assignment::Column::RoleId.is_in(roles.into_iter().map(|x| x.id)))
            .all(conn)
            .await?;
        ids.extend(holders.into_iter().map(|a| a.user_id));
    }
    if !unknown.is_empty() {
        return Err(ExecError::invalid(format!(
            "No person or role of this organisation is called {}.",
            unknown.iter().map(|u| format!("\u{201c}{u}\u{201d}")).collect::<Vec<_>>().join(", ")
        )));
    }
    let people = if ids.is_empty() {
        Vec::new()
    } else {
        user::Entity::find()
            .filter(user::Column::OrgId.eq(org_id))
            .filter(user::Column::Id.is_in(ids))
            .filter(user::Column::Status.eq(user::STATUS_ACTIVE))
            .order_by_asc(user::Column::Id)
            .all(conn)
            .await?
    };
    if people.is_empty() {
        return Err(ExecError::invalid("None of the recipients is an active person of this organisation."));
    }
    Ok(people)
}

struct Note<'a> {
    title: &'a str,
    body: &'a str,
    severity: &'a str,
    link: Option<&'a str>,
    dedupe_key: Option<&'a str>,
}

async fn notify(
    tx: &DatabaseTransaction,
    ctx: &ExecContext<'_>,
    user_id: &str,
    note: &Note<'_>,
) -> Result<String, ExecError> {
    let row = notification::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id.to_string()),
        user_id: Set(user_id.to_string()),
        title: Set(note.title.to_string()),
        body: Set(note.body.to_string()),
        severity: Set(note.severity.to_string()),
        link: Set(note.link.map(str::to_string)),
        dedupe_key: Set(note.dedupe_key.map(str::to_string)),
        action_id: Set(Some(ctx.action_id.to_string())),
        read_at: Set(None),
        created_at: Set(now()),
    }
    .insert(tx)
    .await?;
    Ok(row.id)
}

fn severity(params: &Value) -> Result<&str, ExecError> {
    match str_param(params, "severity").unwrap_or("info") {
        s @ ("info" | "warning" | "critical") => Ok(s),
        other => {
            Err(ExecError::invalid(format!("Severity is info, warning or critical, not \u{201c}{other}\u{201d}.")))
        }
    }
}

async fn send_notification(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let p = ctx.params;
    let title = required(p, "title")?;
    let body = required(p, "body")?;
    let severity = severity(p)?;
    let channel = str_param(p, "channel").unwrap_or("in_app");
    let (in_app, email) = match channel {
        "in_app" => (true, false),
        "email" => (false, true),
        "both" => (true, true),
        other => {
            return Err(ExecError::invalid(format!("Channel is in_app, email or both, not \u{201c}{other}\u{201d}.")))
        }
    };
    let recipients = strings(p, "recipients");
    if recipients.is_empty() {
        return Err(ExecError::invalid("Name at least one recipient."));
    }
    let people = resolve_recipients(tx, ctx.org_id, &recipients).await?;
    let note = Note { title, body, severity, link: None, dedupe_key: None };
    let mut notification_ids = Vec::new();
    let mut email_ids = Vec::new();
    for u in &people {
        if in_app {
            notification_ids.push(notify(tx, ctx, &u.id, &note).await?);
        }
        if email {
            let subject = match severity {
                "info" => title.to_string(),
                s => format!("[{s}] {title}"),
            };
            email_ids.push(outbox::enqueue(tx, ctx.org_id, &u.email, &subject, body).await?.id);
        }
    }
    Ok(json!({"notification_ids": notification_ids, "email_ids": email_ids}))
}

async fn send_in_app(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let p = ctx.params;
    let title = required(p, "title")?;
    let body = str_param(p, "body").unwrap_or("");
    let severity = severity(p)?;
    let link = str_param(p, "link");
    if let Some(l) = link {
        if !(l.starts_with('/') || l.starts_with("https://")) || l.starts_with("//") {
            return Err(ExecError::invalid("A link is a Mandate page (/…) or an https:// address."));
        }
    }
    let dedupe_key = str_param(p, "dedupe_key");
    let recipients = strings(p, "recipients");
    if recipients.is_empty() {
        return Err(ExecError::invalid("Name at least one recipient."));
    }
    if let Some(key) = dedupe_key {
        let earlier = notification::Entity::find()
            .filter(notification::Column::OrgId.eq(ctx.org_id))
            .filter(notification::Column::DedupeKey.eq(key))
            .order_by_asc(notification::Column::Id)
            .all(tx)
            .await?;
        if !earlier.is_empty() {
            return Ok(json!({"notification_ids": earlier.into_iter().map(|n| n.id).collect::<Vec<_>>()}));
        }
    }
    let people = resolve_recipients(tx, ctx.org_id, &recipients).await?;
    let note = Note { title, body, severity, link, dedupe_key };
    let mut ids = Vec::new();
    for u in &people {
        ids.push(notify(tx, ctx, &u.id, &note).await?);
    }
    Ok(json!({"notification_ids": ids}))
}

fn looks_like_email(s: &str) -> bool {
    let mut parts = s.splitn(2, '@');
    let (local, domain) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    !local.is_empty() && domain.contains('.') && !s.chars().any(char::is_whitespace) && !domain.contains('@')
}

async fn send_email(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let p = ctx.params;
    let subject = required(p, "subject")?;
    let body = required(p, "body")?;
    if p.get("attachments").and_then(Value::as_array).is_some_and(|a| !a.is_empty()) {
        return Err(ExecError::invalid(
            "Mandate's outbox can't send attachments; send the email without them or through your own email connector.",
        ));
    }
    let mut to: Vec<String> = Vec::new();
    for field in ["to", "cc", "bcc"] {
        for address in strings(p, field) {
            if !looks_like_email(&address) {
                return Err(ExecError::invalid(format!(
                    "\u{201c}{address}\u{201d} in {field} is not an email address."
                )));
            }
            if !to.iter().any(|t| t.eq_ignore_ascii_case(&address)) {
                to.push(address);
            }
        }
    }
    if to.is_empty() {
        return Err(ExecError::invalid("Name at least one recipient (to)."));
    }
    let mut first = None;
    for address in &to {
        let row = outbox::enqueue(tx, ctx.org_id, address, subject, body).await?;
        first.get_or_insert(row.id);
    }
    Ok(json!({"message_id": first, "status": "queued"}))
}

async fn create_task(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let p = ctx.params;
    let title = required(p, "title")?;
    let description = str_param(p, "description").unwrap_or("");
    let priority = match str_param(p, "priority").unwrap_or("normal") {
        s @ ("low" | "normal" | "high" | "urgent") => s,
        other => {
            return Err(ExecError::invalid(format!(
                "Priority is low, normal, high or urgent, not \u{201c}{other}\u{201d}."
            )))
        }
    };
    let due_date = match str_param(p, "due_date") {
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ExecError::invalid(format!("\u{201c}{d}\u{201d} is not a date like 2026-12-31.")))?
                .format("%Y-%m-%d")
                .to_string(),
        ),
        None => None,
    };
    let linked = p.get("linked_entity");
    let linked_type = linked.and_then(|l| str_param(l, "type"));
    let linked_id = linked.and_then(|l| str_param(l, "id"));
    let assignee = match str_param(p, "assignee") {
        Some(who) => Some(find_user(tx, ctx.org_id, who).await?.ok_or_else(|| {
            ExecError::invalid(format!("No person of this organisation is \u{201c}{who}\u{201d} (assignee)."))
        })?),
        None => None,
    };
    let at = now();
    let row = task::ActiveModel {
        id: Set(new_id()),
        org_id: Set(ctx.org_id.to_string()),
        store_id: Set(Some(ctx.store.id.clone())),
        title: Set(title.to_string()),
        description: Set(description.to_string()),
        assignee: Set(assignee.as_ref().map(|u| u.id.clone())),
        due_date: Set(due_date),
        priority: Set(priority.to_string()),
        status: Set("open".into()),
        linked_type: Set(linked_type.map(str::to_string)),
        linked_id: Set(linked_id.map(str::to_string)),
        action_id: Set(Some(ctx.action_id.to_string())),
        created_at: Set(at),
        updated_at: Set(at),
    }
    .insert(tx)
    .await?;
    if let Some(u) = &assignee {
        let body = format!("{} ({}): {}", ctx.store.name, priority, description);
        let note =
            Note { title: &format!("New task: {title}"), body: &body, severity: "info", link: None, dedupe_key: None };
        notify(tx, ctx, &u.id, &note).await?;
    }
    Ok(json!({"task_id": row.id, "status": row.status, "created_at": rfc3339(&row.created_at)}))
}

async fn update_status(tx: &DatabaseTransaction, ctx: &ExecContext<'_>) -> Result<Value, ExecError> {
    let p = ctx.params;
    let entity_type = required(p, "entity_type")?;
    let entity_id = required(p, "entity_id")?;
    let status = required(p, "status")?;
    let note = str_param(p, "note");
    let at = now();
    let previous = match entity_type {
        "task" => {
            if !TASK_STATUSES.contains(&status) {
                return Err(ExecError::invalid(format!("A task's status is one of {}.", TASK_STATUSES.join(", "))));
            }
            let t = task::Entity::find_by_id(entity_id.to_string())
                .filter(task::Column::OrgId.eq(ctx.org_id))
                .one(tx)
                .await?
                // Another store's task is not this store's assistant's to change.
                .filter(|t| t.store_id.as_ref().is_none_or(|s| *s == ctx.store.id))
                .ok_or_else(|| ExecError::not_found(format!("There is no task {entity_id} in {}.", ctx.store.name)))?;
            let previous = t.status.clone();
            let mut am: task::ActiveModel = t.into();
            am.status = Set(status.to_string());
            am.updated_at = Set(at);
            am.update(tx).await?;
            previous
        }
        "order" => {
            if !ORDER_STATUSES.contains(&status) {
                return Err(ExecError::invalid(format!("An order's status is one of {}.", ORDER_STATUSES.join(", "))));
            }
            let o = sandbox_order::Entity::find()
                .filter(sandbox_order::Column::OrgId.eq(ctx.org_id))
                .filter(sandbox_order::Column::StoreId.eq(&ctx.store.id))
                .filter(sandbox_order::Column::OrderRef.eq(entity_id))
                .one(tx)
                .await?
                .ok_or_else(|| ExecError::not_found(format!("There is no order {entity_id} in {}.", ctx.store.name)))?;
            let previous = o.status.clone();
            let customer = o.customer_ref.clone();
            let mut am: sandbox_order::ActiveModel = o.into();
            am.status = Set(status.to_string());
            am.updated_at = Set(at);
            am.update(tx).await?;
            sandbox_operation::ActiveModel {
                id: Set(new_id()),
                org_id: Set(ctx.org_id.to_string()),
                store_id: Set(ctx.store.id.clone()),
                order_ref: Set(Some(entity_id.to_string())),
                customer_ref: Set(customer),
                kind: Set("status_change".into()),
                amount: Set(None),
                percentage: Set(None),
                code: Set(None),
                details: Set(json!({"before": previous, "after": status, "note": note}).to_string()),
                action_id: Set(Some(ctx.action_id.to_string())),
                created_at: Set(at),
            }
            .insert(tx)
            .await?;
            previous
        }
        other => {
            return Err(ExecError::not_found(format!(
                "Mandate keeps no {other} records of its own; connect the system that has them (the org's connector)."
            )))
        }
    };
    Ok(json!({
        "entity_type": entity_type, "entity_id": entity_id, "status": status,
        "previous_status": previous, "updated_at": rfc3339(&at),
    }))
}
