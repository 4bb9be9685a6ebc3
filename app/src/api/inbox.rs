//! Server functions of `/notifications` (the person's own notifications, the navigation
//! badge, marking read) and `/tasks` (the list and status changes). Any signed-in person;
//! the service decides what each may see and change. Each calls one service.

use crate::domain::inbox::{NotificationPage, TaskPage, TaskView};
use crate::domain::AppError;
use leptos::prelude::*;

/// One page of the signed-in person's notifications, newest first.
#[server(endpoint = "notifications_list")]
pub async fn list_notifications(
    unread_only: Option<bool>,
    cursor: Option<String>,
) -> Result<NotificationPage, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::inbox::my_notifications(
            &state.db,
            &actor,
            unread_only.unwrap_or(false),
            cursor.as_deref(),
        )
        .await
    })
    .await
}

/// How many of the person's notifications are unread (the navigation badge).
#[server(endpoint = "notifications_unread_count")]
pub async fn notifications_unread_count() -> Result<u64, AppError> {
    super::ctx::run_aux(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::inbox::unread_count(&state.db, &actor).await
    })
    .await
}

/// Marks one notification (`id`) or, without one, all of the person's notifications read;
/// answers how many changed.
#[server(endpoint = "notifications_mark_read")]
pub async fn mark_notifications_read(id: Option<String>) -> Result<u64, AppError> {
    super::ctx::run(async move {
        use crate::services::gateway::inbox::MarkRead;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let which = match id.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(id) => MarkRead::One(id.to_string()),
            None => MarkRead::All,
        };
        crate::services::gateway::inbox::mark_read(&state.db, &actor, which).await
    })
    .await
}

/// One page of the tasks the person may see. Filters are the form's text; blank means any.
#[server(endpoint = "tasks_list")]
pub async fn list_tasks(
    status: Option<String>,
    store_id: Option<String>,
    mine: Option<bool>,
    cursor: Option<String>,
) -> Result<TaskPage, AppError> {
    super::ctx::run(async move {
        use crate::domain::inbox::TaskFilter;
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        let filter = TaskFilter { status, store_id, mine: mine.unwrap_or(false) };
        crate::services::gateway::inbox::tasks(&state.db, &actor, &filter, cursor.as_deref()).await
    })
    .await
}

/// Changes a task's status (the assignee, or `actions.approve` where the task lives).
#[server(endpoint = "tasks_set_status")]
pub async fn set_task_status(id: String, status: String) -> Result<TaskView, AppError> {
    super::ctx::run(async move {
        let state = super::ctx::state()?;
        let actor = super::ctx::actor().await?;
        crate::services::gateway::inbox::set_task_status(&state.db, &actor, &id, &status).await
    })
    .await
}
