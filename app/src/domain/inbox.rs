//! How a person's in-app notifications and Mandate's own tasks look to `/notifications`,
//! `/tasks` and the navigation badge: the views, the task statuses and their plain-word
//! labels, and the status check. Pure.

use super::actions::Choice;
use super::error::{AppError, Validator};
use serde::{Deserialize, Serialize};

/// A task's statuses, in the order a task usually moves through them.
pub const TASK_STATUSES: [&str; 4] = ["open", "in_progress", "done", "cancelled"];

/// How many notifications or tasks one page holds.
pub const PAGE_SIZE: u64 = 50;

/// A status in plain words ("In progress").
pub fn task_status_label(status: &str) -> &'static str {
    match status {
        "open" => "Open",
        "in_progress" => "In progress",
        "done" => "Done",
        "cancelled" => "Cancelled",
        _ => "Unknown",
    }
}

/// A priority in plain words.
pub fn priority_label(priority: &str) -> &'static str {
    match priority {
        "low" => "Low",
        "normal" => "Normal",
        "high" => "High",
        "urgent" => "Urgent",
        _ => "Unknown",
    }
}

/// A severity in plain words.
pub fn severity_label(severity: &str) -> &'static str {
    match severity {
        "info" => "Info",
        "warning" => "Warning",
        "critical" => "Critical",
        _ => "Notice",
    }
}

/// Checks a new task status (trimmed): one of `TASK_STATUSES`, else a field error on `status`.
pub fn check_task_status(status: &str) -> Result<String, AppError> {
    let s = status.trim();
    Validator::new()
        .check(TASK_STATUSES.contains(&s), "status", "Choose one of: open, in progress, done or cancelled.")
        .finish()?;
    Ok(s.to_string())
}

/// The task list's filters as typed; blank means "any".
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskFilter {
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub store_id: Option<String>,
    /// Only tasks assigned to the viewer.
    #[serde(default)]
    pub mine: bool,
}

impl TaskFilter {
    /// The filters trimmed, blanks dropped; a status that isn't one is a field error.
    pub fn checked(&self) -> Result<TaskFilter, AppError> {
        let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string);
        let status = text(&self.status);
        if let Some(s) = &status {
            check_task_status(s)?;
        }
        Ok(TaskFilter { status, store_id: text(&self.store_id), mine: self.mine })
    }
}

/// One in-app notification of the signed-in person.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotificationView {
    pub id: String,
    pub title: String,
    pub body: String,
    /// info | warning | critical
    pub severity: String,
    /// A Mandate page (`/…`) or an https:// address.
    pub link: Option<String>,
    /// The action that sent it, if any.
    pub action_id: Option<String>,
    pub created_at: String,
    pub read_at: Option<String>,
}

/// A page of notifications, newest first, with the cursor of the next (older) page and how
/// many of the person's notifications are unread in all.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct NotificationPage {
    pub items: Vec<NotificationView>,
    pub next_cursor: Option<String>,
    pub unread: u64,
}

/// One task as the list shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskView {
    pub id: String,
    pub title: String,
    pub description: String,
    pub store_id: Option<String>,
    /// The store's name; None for an organisation-wide task.
    pub store_name: Option<String>,
    pub assignee_id: Option<String>,
    pub assignee_name: Option<String>,
    /// YYYY-MM-DD
    pub due_date: Option<String>,
    /// low | normal | high | urgent
    pub priority: String,
    /// open | in_progress | done | cancelled
    pub status: String,
    pub linked_type: Option<String>,
    pub linked_id: Option<String>,
    /// The action that created it.
    pub action_id: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Whether the viewer may change its status (the assignee, or `actions.approve` there).
    pub can_change: bool,
}

/// A page of tasks, newest first, and the stores the viewer may filter by.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TaskPage {
    pub items: Vec<TaskView>,
    pub next_cursor: Option<String>,
    pub stores: Vec<Choice>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_are_checked_with_a_field_error() {
        assert_eq!(check_task_status(" done ").unwrap(), "done");
        let e = check_task_status("finished").unwrap_err();
        assert_eq!(e.fields[0].field, "status");
        assert!(TASK_STATUSES.iter().all(|s| task_status_label(s) != "Unknown"));
    }

    #[test]
    fn filters_drop_blanks_and_refuse_unknown_statuses() {
        let f = TaskFilter { status: Some(" ".into()), store_id: Some(" s1 ".into()), mine: true }.checked().unwrap();
        assert_eq!(f, TaskFilter { status: None, store_id: Some("s1".into()), mine: true });
        let e = TaskFilter { status: Some("later".into()), ..Default::default() }.checked().unwrap_err();
        assert_eq!(e.fields[0].field, "status");
    }
}
