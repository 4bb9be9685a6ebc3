//! A person's in-app notifications and Mandate's own task list — what the internal
//! executors (`send_notification`, `notifications.send_in_app`, `create_task`) write, made
//! visible: `/notifications` with the navigation badge, and `/tasks`.
//!
//! Permissions: these are people's pages, so API keys (agent or management) are refused.
//! Notifications are personal: a person lists and marks only their own; anyone else's id
//! (another person's, another org's) answers NOT_FOUND. Marking read is personal state and
//! is not audited. A task is visible to whoever holds View at its store (a task without a
//! store, or whose store was deleted: View at the org) and to its assignee; its status may
//! be changed by the assignee or by a holder of `actions.approve` at its store (the org for
//! a task without one). A status change is audited (`task.status_changed`) in its
//! transaction; setting the status it already has changes nothing.

use crate::domain::access::{Need, ScopeRef};
use crate::domain::actions::{parse_cursor, Choice};
use crate::domain::inbox::{
    check_task_status, NotificationPage, NotificationView, TaskFilter, TaskPage, TaskView, PAGE_SIZE,
};
use crate::domain::permission::Permission;
use crate::domain::AppError;
use crate::entities::{notification, store, task, user};
use crate::services::access::authz::can;
use crate::services::access::authz::can_at_store;
use crate::services::audit::{self, NewEvent};
use crate::services::infra::db::{begin_write, now, rfc3339};
use crate::services::{Actor, ActorKind};
use sea_orm::sea_query::{Condition, Expr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};
use serde_json::json;
use std::collections::HashMap;

/// Which notifications to mark read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MarkRead {
    One(String),
    All,
}

/// Only people have notifications and tasks; API keys are refused with a message saying so.
fn person(actor: &Actor) -> Result<(), AppError> {
    if actor.kind != ActorKind::User || actor.agent.is_some() {
        return Err(AppError::permission_denied(
            "Notifications and tasks belong to people signed in to Mandate; API keys have none.",
        ));
    }
    Ok(())
}

fn notification_view(n: notification::Model) -> NotificationView {
    NotificationView {
        id: n.id,
        title: n.title,
        body: n.body,
        severity: n.severity,
        link: n.link,
        action_id: n.action_id,
        created_at: rfc3339(&n.created_at),
        read_at: n.read_at.as_ref().map(rfc3339),
    }
}

fn own_notifications(actor: &Actor) -> sea_orm::Select<notification::Entity> {
    notification::Entity::find()
        .filter(notification::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(notification::Column::UserId.eq(actor.id.as_str()))
}

/// The signed-in person's notifications (only unread ones with `unread_only`), newest first,
/// `PAGE_SIZE` at a time after `cursor` (the previous page's `next_cursor`).
pub async fn my_notifications(
    db: &DatabaseConnection,
    actor: &Actor,
    unread_only: bool,
    cursor: Option<&str>,
) -> Result<NotificationPage, AppError> {
    person(actor)?;
    let cursor = parse_cursor(cursor)?;
    let mut q = own_notifications(actor);
    if unread_only {
        q = q.filter(notification::Column::ReadAt.is_null());
    }
    if let Some(c) = &cursor {
        q = q.filter(notification::Column::Id.lt(c.as_str()));
    }
    let mut rows = q.order_by_desc(notification::Column::Id).limit(PAGE_SIZE + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let unread = unread_count(db, actor).await?;
    Ok(NotificationPage { items: rows.into_iter().map(notification_view).collect(), next_cursor, unread })
}

/// How many of the signed-in person's notifications are unread (the navigation badge).
pub async fn unread_count(db: &DatabaseConnection, actor: &Actor) -> Result<u64, AppError> {
    person(actor)?;
    own_notifications(actor).filter(notification::Column::ReadAt.is_null()).count(db).await.map_err(AppError::from)
}

/// Marks one of the person's notifications read (NOT_FOUND for anyone else's), or all of
/// them; answers how many changed (0 when it was already read). Not audited: personal state.
pub async fn mark_read(db: &DatabaseConnection, actor: &Actor, which: MarkRead) -> Result<u64, AppError> {
    person(actor)?;
    let mut q = notification::Entity::update_many()
        .col_expr(notification::Column::ReadAt, Expr::value(now()))
        .filter(notification::Column::OrgId.eq(actor.org_id.as_str()))
        .filter(notification::Column::UserId.eq(actor.id.as_str()))
        .filter(notification::Column::ReadAt.is_null());
    if let MarkRead::One(id) = &which {
        let id = id.trim();
        let exists = own_notifications(actor).filter(notification::Column::Id.eq(id)).count(db).await?;
        if exists == 0 {
            return Err(AppError::not_found("Notification"));
        }
        q = q.filter(notification::Column::Id.eq(id));
    }
    Ok(q.exec(db).await?.rows_affected)
}

/// The org's stores by id.
async fn org_stores<C: ConnectionTrait>(conn: &C, org_id: &str) -> Result<HashMap<String, store::Model>, AppError> {
    Ok(store::Entity::find()
        .filter(store::Column::OrgId.eq(org_id))
        .all(conn)
        .await?
        .into_iter()
        .map(|s| (s.id.clone(), s))
        .collect())
}

/// Holds `need` where the task lives: its store, or the org for a task without a store (or
/// whose store is gone).
fn can_at_task(actor: &Actor, need: impl Into<Need>, t: &task::Model, stores: &HashMap<String, store::Model>) -> bool {
    let need = need.into();
    match t.store_id.as_ref().and_then(|id| stores.get(id)) {
        Some(s) => can_at_store(actor, need, s),
        None => can(actor, need, &ScopeRef::Org),
    }
}

fn is_assignee(actor: &Actor, t: &task::Model) -> bool {
    t.assignee.as_deref() == Some(actor.id.as_str())
}

fn may_change(actor: &Actor, t: &task::Model, stores: &HashMap<String, store::Model>) -> bool {
    is_assignee(actor, t) || can_at_task(actor, Permission::ActionsApprove, t, stores)
}

/// Display names of the people `ids` name.
async fn people_names<C: ConnectionTrait>(
    conn: &C,
    org_id: &str,
    ids: impl IntoIterator<Item = String>,
) -> Result<HashMap<String, String>, AppError> {
    let mut ids: Vec<String> = ids.into_iter().collect();
    ids.sort();
    ids.dedup();
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let found: Vec<(String, String)> = user::Entity::find()
        .select_only()
        .column(user::Column::Id)
        .column(user::Column::DisplayName)
        .filter(user::Column::OrgId.eq(org_id))
        .filter(user::Column::Id.is_in(ids))
        .into_tuple()
        .all(conn)
        .await?;
    Ok(found.into_iter().collect())
}

fn task_view(
    actor: &Actor,
    t: task::Model,
    stores: &HashMap<String, store::Model>,
    names: &HashMap<String, String>,
) -> TaskView {
    let can_change = may_change(actor, &t, stores);
    let store_name = t
        .store_id
        .as_ref()
        .map(|id| stores.get(id).map(|s| s.name.clone()).unwrap_or_else(|| "(deleted store)".into()));
    let assignee_name =
        t.assignee.as_ref().map(|id| names.get(id).cloned().unwrap_or_else(|| "(deleted person)".into()));
    TaskView {
        id: t.id,
        title: t.title,
        description: t.description,
        store_id: t.store_id,
        store_name,
        assignee_id: t.assignee,
        assignee_name,
        due_date: t.due_date,
        priority: t.priority,
        status: t.status,
        linked_type: t.linked_type,
        linked_id: t.linked_id,
        action_id: t.action_id,
        created_at: rfc3339(&t.created_at),
        updated_at: rfc3339(&t.updated_at),
        can_change,
    }
}

/// The tasks the person may see (View at the task's store, or at the org for tasks without
/// one, or assigned to them) matching `filter`, newest first, `PAGE_SIZE` at a time after
/// `cursor`; with the stores they may filter by. A store filter naming another org's store
/// is NOT_FOUND.
pub async fn tasks(
    db: &DatabaseConnection,
    actor: &Actor,
    filter: &TaskFilter,
    cursor: Option<&str>,
) -> Result<TaskPage, AppError> {
    person(actor)?;
    let filter = filter.checked()?;
    let cursor = parse_cursor(cursor)?;
    let stores = org_stores(db, &actor.org_id).await?;
    if let Some(id) = &filter.store_id {
        if !stores.contains_key(id) {
            return Err(AppError::not_found("Store"));
        }
    }
    let org_wide = can(actor, Need::View, &ScopeRef::Org);
    let visible: Vec<String> =
        stores.values().filter(|s| org_wide || can_at_store(actor, Need::View, s)).map(|s| s.id.clone()).collect();
    let mut q = task::Entity::find().filter(task::Column::OrgId.eq(actor.org_id.as_str()));
    if !org_wide {
        let mut reach = Condition::any().add(task::Column::Assignee.eq(actor.id.as_str()));
        if !visible.is_empty() {
            reach = reach.add(task::Column::StoreId.is_in(visible.clone()));
        }
        q = q.filter(reach);
    }
    if filter.mine {
        q = q.filter(task::Column::Assignee.eq(actor.id.as_str()));
    }
    if let Some(s) = &filter.status {
        q = q.filter(task::Column::Status.eq(s.as_str()));
    }
    if let Some(s) = &filter.store_id {
        q = q.filter(task::Column::StoreId.eq(s.as_str()));
    }
    if let Some(c) = &cursor {
        q = q.filter(task::Column::Id.lt(c.as_str()));
    }
    let mut rows = q.order_by_desc(task::Column::Id).limit(PAGE_SIZE + 1).all(db).await?;
    let next_cursor = if rows.len() as u64 > PAGE_SIZE {
        rows.truncate(PAGE_SIZE as usize);
        rows.last().map(|r| r.id.clone())
    } else {
        None
    };
    let names = people_names(db, &actor.org_id, rows.iter().filter_map(|t| t.assignee.clone())).await?;
    let mut choices: Vec<Choice> = visible
        .iter()
        .filter_map(|id| stores.get(id))
        .map(|s| Choice { id: s.id.clone(), label: s.name.clone() })
        .collect();
    choices.sort_by(|a, b| a.label.to_lowercase().cmp(&b.label.to_lowercase()).then(a.id.cmp(&b.id)));
    let items = rows.into_iter().map(|t| task_view(actor, t, &stores, &names)).collect();
    Ok(TaskPage { items, next_cursor, stores: choices })
}

/// Sets a task's status (open, in_progress, done, cancelled): the assignee, or a holder of
/// `actions.approve` at its store (at the org for a task without one). Another org's task
/// is NOT_FOUND; a task the person can't even see is PERMISSION_DENIED like any other; an
/// unknown status is a field error on `status`. Audited as `task.status_changed` with the
/// status before and after, in the same transaction; the same status again changes nothing.
pub async fn set_task_status(
    db: &DatabaseConnection,
    actor: &Actor,
    id: &str,
    status: &str,
) -> Result<TaskView, AppError> {
    person(actor)?;
    let tx = begin_write(db).await?;
    let t = task::Entity::find_by_id(id.trim().to_string())
        .filter(task::Column::OrgId.eq(actor.org_id.as_str()))
        .lock_exclusive()
        .one(&tx)
        .await?
        .ok_or_else(|| AppError::not_found("Task"))?;
    let stores = org_stores(&tx, &actor.org_id).await?;
    if !may_change(actor, &t, &stores) {
        return Err(AppError::permission_denied(
            "Only the task's assignee or someone with the actions.approve permission where it lives can change its status.",
        ));
    }
    let status = check_task_status(status)?;
    let names = people_names(&tx, &actor.org_id, t.assignee.clone()).await?;
    if t.status == status {
        return Ok(task_view(actor, t, &stores, &names));
    }
    let before = t.status.clone();
    let mut am: task::ActiveModel = t.into();
    am.status = Set(status.clone());
    am.updated_at = Set(now());
    let updated = am.update(&tx).await?;
    audit::append(
        &tx,
        &actor.org_id,
        &actor.audit_actor(),
        &actor.meta,
        NewEvent::new("task.status_changed", "task", Some(&updated.id))
            .before(json!({"status": before}))
            .after(json!({"status": status})),
    )
    .await?;
    tx.commit().await?;
    Ok(task_view(actor, updated, &stores, &names))
}
