//! The signed-in layout: navigation in named sections (each a heading and a list; entries
//! filtered by permission, a section without entries left out), organisation name, account
//! menu with sign-out, and the page outlet with an error boundary.

use crate::api::auth::{get_session_state, CurrentUser, Logout};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect};
use leptos_router::hooks::use_location;

/// A navigation entry, shown when the user holds `permission` somewhere (None: everyone).
struct NavItem {
    href: &'static str,
    label: &'static str,
    permission: Option<&'static str>,
}

/// A named group of entries; a section with no entry the user may see is not shown.
struct NavSection {
    /// For the heading's id.
    key: &'static str,
    title: &'static str,
    items: &'static [NavItem],
}

const fn item(href: &'static str, label: &'static str, permission: Option<&'static str>) -> NavItem {
    NavItem { href, label, permission }
}

/// Navigation sections in order. Add an entry when its page exists.
const NAV: &[NavSection] = &[
    NavSection {
        key: "work",
        title: "Work",
        items: &[
            item("/", "Overview", None),
            item("/approvals", "Approvals", Some("actions.approve")),
            item("/notifications", "Notifications", None),
            item("/tasks", "Tasks", None),
        ],
    },
    NavSection {
        key: "stores",
        title: "Stores & automation",
        items: &[
            item("/stores", "Stores", None),
            item("/org/defaults", "Action defaults", Some("permissions.manage")),
            item("/automation", "Automation", None),
            item("/automation/runs", "Automation runs", Some("audit.read")),
        ],
    },
    NavSection {
        key: "spend",
        title: "Spend",
        items: &[item("/org/usage", "Usage", Some("usage.read")), item("/org/quotas", "Quotas", Some("usage.read"))],
    },
    NavSection {
        key: "org",
        title: "Organisation",
        items: &[
            item("/org/users", "People", None),
            item("/org/teams", "Teams", None),
            item("/org/roles", "Roles", Some("roles.manage")),
            item("/org/settings", "Settings", Some("org.manage")),
            item("/org/settings/config", "Export and import", Some("org.manage")),
        ],
    },
    NavSection {
        key: "connections",
        title: "Access & connections",
        items: &[
            item("/org/api-keys", "API keys", Some("api_keys.manage")),
            item("/org/secrets", "Secrets", Some("secrets.manage")),
            item("/org/connector", "Connector", Some("secrets.manage")),
            item("/org/sms", "SMS provider", Some("secrets.manage")),
            item("/org/sso", "Single sign-on", Some("org.manage")),
            item("/org/outbox", "Outbox", Some("users.manage")),
        ],
    },
    NavSection {
        key: "audit",
        title: "Audit",
        items: &[item("/audit", "Audit", Some("audit.read")), item("/audit/changes", "Change log", Some("audit.read"))],
    },
];

/// Whether `href` is the entry for `path`: the path is at or under it, and no longer entry
/// matches too (/audit/changes is "Change log", not "Audit").
fn is_current(path: &str, href: &str) -> bool {
    let under = |h: &str| if h == "/" { path == "/" } else { path == h || path.starts_with(&format!("{h}/")) };
    under(href) && !NAV.iter().flat_map(|s| s.items).any(|o| o.href.len() > href.len() && under(o.href))
}

#[component]
pub fn AppShell() -> impl IntoView {
    let state = Resource::new(|| (), |_| get_session_state());
    view! {
        <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match state.await {
                    Ok(s) if s.needs_setup => view! { <Redirect path="/setup"/> }.into_any(),
                    Ok(s) => match s.user {
                        Some(user) => view! { <SignedIn user/> }.into_any(),
                        None => view! { <Redirect path="/login"/> }.into_any(),
                    },
                    Err(e) => view! { <div class="banner banner-error" role="alert">{e.message}</div> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn SignedIn(user: CurrentUser) -> impl IntoView {
    provide_context(user.clone());
    provide_context(crate::pages::approvals::ApprovalsTick::new());
    provide_context(crate::pages::notifications::NotificationsTick::new());
    view! {
        <a class="skip-link" href="#main">"Skip to content"</a>
        <div class="app">
            <Sidebar user=user.clone()/>
            <div class="main-column">
                <header class="topbar">
                    <div class="topbar-spacer"></div>
                    <AccountMenu user/>
                </header>
                <main id="main" class="content" tabindex="-1">
                    <ErrorBoundary fallback=|errors| {
                        view! {
                            <div class="banner banner-error" role="alert">
                                <p>"This page could not be shown."</p>
                                <ul>
                                    {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
                                </ul>
                            </div>
                        }
                    }>
                        <Outlet/>
                    </ErrorBoundary>
                </main>
            </div>
        </div>
    }
    .into_any()
}

#[component]
fn Sidebar(user: CurrentUser) -> impl IntoView {
    let location = use_location();
    let org_name = user.org_name.clone();
    view! {
        <aside class="sidebar">
            <div class="brand">
                <span class="brand-mark" aria-hidden="true">"M"</span>
                <span class="brand-name">"Mandate"</span>
            </div>
            <p class="org-name" title="Organisation">{org_name}</p>
            <nav aria-label="Main">
                {NAV
                    .iter()
                    .filter_map(|section| {
                        let items: Vec<&NavItem> =
                            section.items.iter().filter(|item| item.permission.is_none_or(|p| user.has(p))).collect();
                        if items.is_empty() {
                            return None;
                        }
                        let heading = format!("nav-{}", section.key);
                        Some(view! {
                            <div class="nav-section">
                                <h2 class="nav-heading" id=heading.clone()>{section.title}</h2>
                                <ul class="nav" aria-labelledby=heading>
                                    {items
                                        .into_iter()
                                        .map(|item| {
                                            let (href, label) = (item.href, item.label);
                                            let current = move || is_current(&location.pathname.get(), href);
                                            view! {
                                                <li>
                                                    // A plain link (the router still navigates in place): the
                                                    // router's <A> would mark every entry the path is under as
                                                    // current, "Automation" on /automation/runs too.
                                                    <a href=href class="nav-link" aria-current=move || current().then_some("page")>
                                                        {label}
                                                        {(href == "/approvals").then(|| view! { <crate::pages::approvals::ApprovalsBadge/> })}
                                                        {(href == "/notifications").then(|| view! { <crate::pages::notifications::NotificationsBadge/> })}
                                                    </a>
                                                </li>
                                            }
                                        })
                                        .collect_view()}
                                </ul>
                            </div>
                        })
                    })
                    .collect_view()}
            </nav>
        </aside>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::{is_current, NAV};

    #[test]
    fn the_most_specific_entry_is_current() {
        assert!(is_current("/", "/"));
        assert!(!is_current("/stores", "/"));
        assert!(is_current("/audit/changes", "/audit/changes"));
        assert!(!is_current("/audit/changes", "/audit"));
        assert!(is_current("/audit/actions/1", "/audit"));
        assert!(is_current("/automation/rules/new", "/automation"));
        assert!(is_current("/automation/runs/1", "/automation/runs"));
        assert!(!is_current("/automation/runs", "/automation"));
    }

    #[test]
    fn every_entry_is_in_exactly_one_section() {
        let mut hrefs: Vec<&str> = NAV.iter().flat_map(|s| s.items).map(|i| i.href).collect();
        let n = hrefs.len();
        hrefs.sort();
        hrefs.dedup();
        assert_eq!(hrefs.len(), n);
        assert!(NAV.iter().all(|s| !s.items.is_empty()));
    }
}

#[component]
fn AccountMenu(user: CurrentUser) -> impl IntoView {
    let logout = ServerAction::<Logout>::new();
    let initials: String = user
        .display_name
        .split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .collect::<String>()
        .to_uppercase();
    view! {
        <details class="account-menu">
            <summary aria-label="Account menu" data-testid="account-menu">
                <span class="avatar" aria-hidden="true">{initials}</span>
                <span class="account-name">{user.display_name.clone()}</span>
            </summary>
            <div class="menu">
                <div class="menu-header">
                    <strong>{user.display_name.clone()}</strong>
                    <span class="muted">{user.email.clone()}</span>
                    <span class="badge">{user.role.clone()}</span>
                </div>
                <a class="menu-item" href="/account" data-testid="account-link">"Account"</a>
                <ActionForm action=logout>
                    <button type="submit" class="menu-item">"Sign out"</button>
                </ActionForm>
            </div>
        </details>
    }
    .into_any()
}
