//! The signed-in layout: navigation (only sections that exist), organisation name, account
//! menu with sign-out, and the page outlet with an error boundary.

use crate::api::auth::{get_session_state, CurrentUser, Logout};
use leptos::prelude::*;
use leptos_router::components::{Outlet, Redirect, A};
use leptos_router::hooks::use_location;

/// A navigation entry, shown when the user holds `permission` somewhere (None: everyone).
struct NavItem {
    href: &'static str,
    label: &'static str,
    permission: Option<&'static str>,
}

/// Navigation sections in order. Add an entry when its page exists.
const NAV: &[NavItem] = &[
    NavItem { href: "/", label: "Overview", permission: None },
    NavItem { href: "/stores", label: "Stores", permission: None },
    NavItem { href: "/approvals", label: "Approvals", permission: Some("actions.approve") },
    NavItem { href: "/notifications", label: "Notifications", permission: None },
    NavItem { href: "/tasks", label: "Tasks", permission: None },
    NavItem { href: "/org/users", label: "People", permission: None },
    NavItem { href: "/org/teams", label: "Teams", permission: None },
    NavItem { href: "/org/roles", label: "Roles", permission: Some("roles.manage") },
    NavItem { href: "/org/defaults", label: "Action defaults", permission: Some("permissions.manage") },
    NavItem { href: "/org/api-keys", label: "API keys", permission: Some("api_keys.manage") },
    NavItem { href: "/org/connector", label: "Connector", permission: Some("secrets.manage") },
    NavItem { href: "/audit", label: "Audit", permission: Some("audit.read") },
    NavItem { href: "/audit/changes", label: "Change log", permission: Some("audit.read") },
    NavItem { href: "/org/settings", label: "Settings", permission: Some("org.manage") },
    NavItem { href: "/org/outbox", label: "Outbox", permission: Some("users.manage") },
];

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
                <ul class="nav">
                    {NAV
                        .iter()
                        .filter(|item| item.permission.is_none_or(|p| user.has(p)))
                        .map(|item| {
                            let (href, label) = (item.href, item.label);
                            let current = move || {
                                let path = location.pathname.get();
                                // The most specific entry wins: /audit/changes is "Change log", not "Audit".
                                let under = |h: &str| if h == "/" { path == "/" } else { path == h || path.starts_with(&format!("{h}/")) };
                                under(href) && !NAV.iter().any(|o| o.href.len() > href.len() && under(o.href))
                            };
                            view! {
                                <li>
                                    <A href=href attr:class="nav-link" attr:aria-current=move || current().then_some("page")>
                                        {label}
                                        {(href == "/approvals").then(|| view! { <crate::pages::approvals::ApprovalsBadge/> })}
                                        {(href == "/notifications").then(|| view! { <crate::pages::notifications::NotificationsBadge/> })}
                                    </A>
                                </li>
                            }
                        })
                        .collect_view()}
                </ul>
            </nav>
        </aside>
    }
    .into_any()
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
