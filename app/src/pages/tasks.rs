//! `/tasks`: Mandate's own task list — follow-ups that assistants and automations create
//! with the "Create a task" action. A table with the title, store, who it is assigned to,
//! priority, due date and status, and the action that created it; filters ("Assigned to
//! me", status, store) travel in the URL (a GET form). The assignee, or someone who may
//! approve actions where the task lives, changes its status in the row. Everyone signed in
//! has the page; it shows the tasks of the stores they can see and those assigned to them.

use crate::api::inbox::{list_tasks, SetTaskStatus};
use crate::components::format::task_status_badge;
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::paged::{PagedEmpty, PagedTable};
use crate::domain::actions::{url_encode, Choice};
use crate::domain::inbox::{priority_label, task_status_label, TaskPage, TaskView, TASK_STATUSES};
use crate::domain::ErrorCode;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The filters of the current URL and its page cursor.
#[derive(Clone, Debug, Default, PartialEq)]
struct View {
    status: String,
    store_id: String,
    mine: bool,
    cursor: String,
}

impl View {
    fn href(&self, cursor: Option<&str>) -> String {
        let mut q = Vec::new();
        if self.mine {
            q.push("mine=1".to_string());
        }
        if !self.status.is_empty() {
            q.push(format!("status={}", url_encode(&self.status)));
        }
        if !self.store_id.is_empty() {
            q.push(format!("store_id={}", url_encode(&self.store_id)));
        }
        if let Some(c) = cursor {
            q.push(format!("cursor={}", url_encode(c)));
        }
        if q.is_empty() {
            "/tasks".into()
        } else {
            format!("/tasks?{}", q.join("&"))
        }
    }

    fn filtered(&self) -> bool {
        self.mine || !self.status.is_empty() || !self.store_id.is_empty()
    }
}

fn some(s: &str) -> Option<String> {
    (!s.is_empty()).then(|| s.to_string())
}

#[component]
pub fn TasksPage() -> impl IntoView {
    let query = use_query_map();
    let current = Memo::new(move |_| {
        let q = query.read();
        let get = |k: &str| q.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
        View {
            status: get("status"),
            store_id: get("store_id"),
            mine: matches!(get("mine").as_str(), "1" | "true" | "on"),
            cursor: get("cursor"),
        }
    });
    let set_status = ServerAction::<SetTaskStatus>::new();
    let page = Resource::new(
        move || (current.get(), set_status.version().get()),
        |(v, _)| list_tasks(some(&v.status), some(&v.store_id), Some(v.mine), some(&v.cursor)),
    );
    let notice = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| match set_status.value().get() {
        Some(Ok(t)) => notice.set(Some(Ok(format!(
            "\u{201c}{}\u{201d} is now {}.",
            t.title,
            task_status_label(&t.status).to_lowercase()
        )))),
        Some(Err(e)) => notice.set(Some(Err(match e.fields.first() {
            Some(f) => f.message.clone(),
            None => e.message,
        }))),
        None => {}
    });
    view! {
        <Title text="Tasks"/>
        <div class="page-header">
            <h1>"Tasks"</h1>
            <p class="muted">
                "Follow-ups for your team that assistants and automations created. "
                "Whoever a task is assigned to, or someone who approves actions for its store, can update its status."
            </p>
        </div>
        <ChangeNotice notice testid="tasks-notice"/>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading tasks…"</div> }>
            {move || Suspend::new(async move {
                let v = current.get_untracked();
                match page.await {
                    Ok(p) => view! { <FilterForm v=v.clone() stores=p.stores.clone()/> <TaskTable p v set_status/> }.into_any(),
                    Err(e) if e.code == ErrorCode::ValidationError => view! {
                        <FilterForm v stores=Vec::new()/>
                        <div class="banner banner-error" role="alert" data-testid="tasks-filter-error">
                            {e.fields.first().map(|f| f.message.clone()).unwrap_or(e.message.clone())}
                        </div>
                    }
                    .into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn FilterForm(v: View, stores: Vec<Choice>) -> impl IntoView {
    let mut stores = stores;
    if !v.store_id.is_empty() && !stores.iter().any(|s| s.id == v.store_id) {
        stores.push(Choice { id: v.store_id.clone(), label: v.store_id.clone() });
    }
    let (status, store_id) = (v.status.clone(), v.store_id.clone());
    view! {
        <form method="get" action="/tasks" class="card filters" aria-label="Filter the tasks" data-testid="tasks-filters">
            <div class="field field-check">
                <label>
                    <input type="checkbox" name="mine" value="1" checked=v.mine data-testid="tasks-filter-mine"/>
                    " Assigned to me"
                </label>
            </div>
            <div class="field">
                <label for="tasks-status">"Status"</label>
                <select id="tasks-status" name="status" data-testid="tasks-filter-status">
                    <option value="" selected=status.is_empty()>"Any"</option>
                    {TASK_STATUSES
                        .iter()
                        .map(|s| view! { <option value=*s selected=status == *s>{task_status_label(s)}</option> })
                        .collect_view()}
                </select>
            </div>
            {(!stores.is_empty()).then(|| view! {
                <div class="field">
                    <label for="tasks-store">"Store"</label>
                    <select id="tasks-store" name="store_id" data-testid="tasks-filter-store">
                        <option value="" selected=store_id.is_empty()>"Any"</option>
                        {stores
                            .into_iter()
                            .map(|c| {
                                let is = c.id == store_id;
                                view! { <option value=c.id selected=is>{c.label}</option> }
                            })
                            .collect_view()}
                    </select>
                </div>
            })}
            <div class="filter-actions">
                <button type="submit" class="btn btn-primary" data-testid="tasks-filter-submit">"Filter"</button>
                <a class="btn" href="/tasks" data-testid="tasks-filter-clear">"Clear"</a>
            </div>
        </form>
    }
}

#[component]
fn TaskTable(p: TaskPage, v: View, set_status: ServerAction<SetTaskStatus>) -> impl IntoView {
    let older = p.next_cursor.as_deref().map(|c| v.href(Some(c)));
    let newest = (!v.cursor.is_empty()).then(|| v.href(None));
    if p.items.is_empty() {
        let text = if v.filtered() {
            "No tasks match these filters."
        } else {
            "No tasks yet. Assistants and automations create tasks with the \u{201c}Create a task\u{201d} action \
             (create_task) once it is switched on for a store; they show up here, and the person assigned gets a notification."
        };
        return view! { <PagedEmpty text testid="tasks-empty" newest newest_label="Newest tasks"/> }.into_any();
    }
    view! {
        <PagedTable
            label="Tasks"
            class="tasks-table"
            testid="tasks-table"
            headers=&["Task", "Store", "Assigned to", "Priority", "Due", "Status", "Created by"]
            newest
            older
        >
            {p.items.into_iter().map(|t| view! { <TaskRow t set_status/> }).collect_view()}
        </PagedTable>
    }
    .into_any()
}

#[component]
fn TaskRow(t: TaskView, set_status: ServerAction<SetTaskStatus>) -> impl IntoView {
    let (status_text, status_class) = task_status_badge(&t.status);
    let busy = move || set_status.pending().get();
    let select_id = format!("task-status-{}", t.id);
    let linked = match (&t.linked_type, &t.linked_id) {
        (Some(kind), Some(id)) => Some(format!("About {kind} {id}")),
        _ => None,
    };
    let current = t.status.clone();
    let (form_id, select_label) = (t.id.clone(), format!("Status of \u{201c}{}\u{201d}", t.title));
    let change = t.can_change.then(move || {
        view! {
            <ActionForm action=set_status attr:class="task-status-form">
                <input type="hidden" name="id" value=form_id/>
                <label class="sr-only" for=select_id.clone()>{select_label}</label>
                <select id=select_id.clone() name="status" data-testid="task-status-select">
                    {TASK_STATUSES
                        .iter()
                        .map(|s| view! { <option value=*s selected=current == *s>{task_status_label(s)}</option> })
                        .collect_view()}
                </select>
                <button type="submit" class="btn btn-small" data-testid="task-status-save" disabled=busy>"Update"</button>
            </ActionForm>
        }
    });
    view! {
        <tr data-testid="task-row" data-task-id=t.id.clone()>
            <td>
                <strong data-testid="task-title">{t.title.clone()}</strong>
                {(!t.description.is_empty()).then(|| view! { <div class="muted small">{t.description.clone()}</div> })}
                {linked.map(|l| view! { <div class="muted small">{l}</div> })}
            </td>
            <td>{t.store_name.clone().unwrap_or_else(|| "Whole organisation".into())}</td>
            <td data-testid="task-assignee">{t.assignee_name.clone().unwrap_or_else(|| "Nobody".into())}</td>
            <td>{priority_label(&t.priority)}</td>
            <td class="nowrap">{t.due_date.clone().unwrap_or_else(|| "—".into())}</td>
            <td>
                <span class=status_class data-testid="task-status">{status_text}</span>
                {change}
            </td>
            <td>
                {match t.action_id.clone() {
                    Some(id) => view! { <a href=format!("/audit/actions/{id}") data-testid="task-action">"The action"</a> }.into_any(),
                    None => view! { <span class="muted">"—"</span> }.into_any(),
                }}
            </td>
        </tr>
    }
}
