//! `/notifications`: the signed-in person's in-app notifications (sent by assistants and
//! automations with the notification actions, or when a task is assigned to them), newest
//! first, a page at a time — severity, title, text, time, the link it carries ("Open") and
//! the action that sent it; "Mark as read" per notification and "Mark all as read".
//! `?unread=1` shows only unread ones. Every signed-in person has this page.
//!
//! Also the navigation badge with the unread count (`NotificationsBadge`), shown next to
//! "Notifications"; `NotificationsTick` tells it to count again after marking read.

use crate::api::inbox::{list_notifications, notifications_unread_count, MarkNotificationsRead};
use crate::components::format::{severity_badge, time_to_second};
use crate::components::notice::{ChangeNotice, ErrorNotice};
use crate::components::paged::{PagedEmpty, Pager};
use crate::domain::actions::url_encode;
use crate::domain::inbox::{NotificationPage, NotificationView};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_location, use_query_map};

/// Bumped after marking notifications read so the navigation badge counts again. Provided
/// by the signed-in shell.
#[derive(Clone, Copy)]
pub struct NotificationsTick(pub RwSignal<u64>);

impl NotificationsTick {
    pub fn new() -> NotificationsTick {
        NotificationsTick(RwSignal::new(0))
    }
}

impl Default for NotificationsTick {
    fn default() -> Self {
        Self::new()
    }
}

/// The number of unread notifications next to "Notifications" in the navigation; nothing
/// when all are read. Screen readers hear "Notifications, 2 unread".
#[component]
pub fn NotificationsBadge() -> impl IntoView {
    let tick = use_context::<NotificationsTick>();
    let location = use_location();
    let count =
        Resource::new(move || (tick.map(|t| t.0.get()), location.pathname.get()), |_| notifications_unread_count());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                count.await.ok().filter(|n| *n > 0).map(|n| view! {
                    <span class="nav-badge" data-testid="notifications-badge">
                        <span aria-hidden="true">{n}</span>
                        <span class="sr-only">{format!(", {n} unread")}</span>
                    </span>
                })
            })}
        </Transition>
    }
}

/// The URL's view: only unread ones, and the page cursor.
#[derive(Clone, Debug, Default, PartialEq)]
struct View {
    unread: bool,
    cursor: String,
}

impl View {
    fn href(&self, cursor: Option<&str>) -> String {
        let mut q = Vec::new();
        if self.unread {
            q.push("unread=1".to_string());
        }
        if let Some(c) = cursor {
            q.push(format!("cursor={}", url_encode(c)));
        }
        if q.is_empty() {
            "/notifications".into()
        } else {
            format!("/notifications?{}", q.join("&"))
        }
    }
}

/// A link a notification may carry: a Mandate page or an https address; anything else is
/// not shown.
fn safe_link(link: &Option<String>) -> Option<(String, bool)> {
    let l = link.as_deref()?.trim();
    if l.starts_with('/') && !l.starts_with("//") && !l.starts_with("/\\") {
        Some((l.to_string(), false))
    } else if l.starts_with("https://") {
        Some((l.to_string(), true))
    } else {
        None
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let current = Memo::new(move |_| {
        let q = query.read();
        View {
            unread: q.get("unread").is_some_and(|v| matches!(v.trim(), "1" | "true" | "on")),
            cursor: q.get("cursor").filter(|c| !c.trim().is_empty()).unwrap_or_default(),
        }
    });
    let mark = ServerAction::<MarkNotificationsRead>::new();
    let page = Resource::new(
        move || (current.get(), mark.version().get()),
        |(v, _)| list_notifications(Some(v.unread), (!v.cursor.is_empty()).then_some(v.cursor)),
    );
    let notice = RwSignal::new(None::<Result<String, String>>);
    let tick = use_context::<NotificationsTick>();
    Effect::new(move |_| match mark.value().get() {
        Some(Ok(n)) => {
            notice.set(Some(Ok(match n {
                0 => "Nothing new to mark.".to_string(),
                1 => "Marked as read.".to_string(),
                n => format!("Marked {n} notifications as read."),
            })));
            if let Some(t) = tick {
                t.0.update(|n| *n += 1);
            }
        }
        Some(Err(e)) => notice.set(Some(Err(e.message))),
        None => {}
    });
    view! {
        <Title text="Notifications"/>
        <div class="page-header">
            <h1>"Notifications"</h1>
            <p class="muted">"Messages for you from your assistants and automations, and tasks assigned to you."</p>
        </div>
        <ChangeNotice notice testid="notifications-notice"/>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading notifications…"</div> }>
            {move || Suspend::new(async move {
                let v = current.get_untracked();
                match page.await {
                    Ok(p) => view! { <NotificationList p v mark/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn NotificationList(p: NotificationPage, v: View, mark: ServerAction<MarkNotificationsRead>) -> impl IntoView {
    let older = p.next_cursor.as_deref().map(|c| v.href(Some(c)));
    let newest = (!v.cursor.is_empty()).then(|| v.href(None));
    let all_href = View { unread: false, cursor: String::new() }.href(None);
    let unread_href = View { unread: true, cursor: String::new() }.href(None);
    let busy = move || mark.pending().get();
    let toolbar = view! {
        <div class="card-header notification-toolbar">
            <nav class="filter-actions" aria-label="Which notifications">
                <a class="btn btn-small" href=all_href aria-current=(!v.unread).then_some("page") data-testid="notifications-all">"All"</a>
                <a class="btn btn-small" href=unread_href aria-current=v.unread.then_some("page") data-testid="notifications-unread">
                    {format!("Unread ({})", p.unread)}
                </a>
            </nav>
            {(p.unread > 0).then(|| view! {
                <ActionForm action=mark>
                    <button type="submit" class="btn btn-small" data-testid="mark-all-read" disabled=busy>"Mark all as read"</button>
                </ActionForm>
            })}
        </div>
    };
    if p.items.is_empty() {
        let text = if v.unread {
            "You have read everything. Nothing new."
        } else {
            "No notifications yet. When an assistant or automation sends you a message, or a task is assigned to you, it appears here."
        };
        return view! {
            <PagedEmpty text testid="notifications-empty" newest newest_label="Newest">
                {toolbar}
            </PagedEmpty>
        }
        .into_any();
    }
    view! {
        <section class="card" aria-label="Notifications">
            {toolbar}
            <ul class="notification-list" data-testid="notification-list">
                {p.items.into_iter().map(|n| view! { <NotificationItem n mark/> }).collect_view()}
            </ul>
            <Pager newest older/>
        </section>
    }
    .into_any()
}

#[component]
fn NotificationItem(n: NotificationView, mark: ServerAction<MarkNotificationsRead>) -> impl IntoView {
    let (severity_text, severity_class) = severity_badge(&n.severity);
    let unread = n.read_at.is_none();
    let title_id = format!("notification-{}", n.id);
    let busy = move || mark.pending().get();
    let link = safe_link(&n.link);
    let (mark_id, described) = (n.id.clone(), title_id.clone());
    view! {
        <li class="notification" class:unread=unread data-testid="notification" data-notification-id=n.id.clone() aria-labelledby=title_id.clone()>
            <div class="notification-head">
                <span class=severity_class>{severity_text}</span>
                {unread.then(|| view! { <span class="badge" data-testid="notification-new">"New"</span> })}
                <strong id=title_id.clone() data-testid="notification-title">{n.title.clone()}</strong>
                <span class="muted small">{format!("{} UTC", time_to_second(&n.created_at))}</span>
            </div>
            {(!n.body.is_empty()).then(|| view! { <p class="notification-body">{n.body.clone()}</p> })}
            <div class="approval-actions">
                {link.map(|(href, external)| if external {
                    view! { <a class="btn btn-small" href=href rel="noopener noreferrer" target="_blank" data-testid="notification-open">"Open"</a> }.into_any()
                } else {
                    view! { <a class="btn btn-small" href=href data-testid="notification-open">"Open"</a> }.into_any()
                })}
                {n.action_id.clone().map(|id| view! {
                    <a class="btn btn-small" href=format!("/audit/actions/{id}") data-testid="notification-action">"Related action"</a>
                })}
                {unread.then(move || view! {
                    <ActionForm action=mark>
                        <input type="hidden" name="id" value=mark_id/>
                        <button type="submit" class="btn btn-small" data-testid="mark-read" disabled=busy aria-describedby=described>
                            "Mark as read"
                        </button>
                    </ActionForm>
                })}
            </div>
        </li>
    }
}
