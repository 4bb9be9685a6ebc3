//! Mandate's Leptos application, compiled twice: with `ssr` for the server (pages rendered
//! there, server functions, services, entities) and with `hydrate` for the browser.
//!
//! Map: `domain` (pure rules) ← `services` (use-cases over the database, ssr) ← `api`
//! (server functions) ← `pages` + `components` (the UI).

#![recursion_limit = "256"]

pub mod api;
pub mod components;
pub mod domain;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod entities;
#[cfg(feature = "ssr")]
pub mod services;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, Link, MetaTags, Stylesheet, Title};
use leptos_router::components::{ParentRoute, Route, Router, Routes};
use leptos_router::{path, SsrMode};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <HydrationScripts options/>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// Set to true once the browser has hydrated the page; exposed as `data-hydrated` on the
/// root so people and tests can tell when the page is interactive.
#[derive(Clone, Copy)]
pub struct Hydrated(pub RwSignal<bool>);

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    let hydrated = RwSignal::new(false);
    provide_context(Hydrated(hydrated));
    Effect::new(move |_| hydrated.set(true));

    view! {
        <Stylesheet id="mandate" href="/pkg/mandate.css"/>
        <Link rel="icon" type_="image/svg+xml" href="/favicon.svg"/>
        <Title formatter=|t: String| if t.is_empty() { "Mandate".to_string() } else { format!("{t} · Mandate") }/>
        <div id="root" data-hydrated=move || hydrated.get().to_string()>
            <Router>
                <Routes fallback=|| view! { <pages::not_found::NotFound/> }>
                    <Route path=path!("/setup") view=pages::setup::SetupPage ssr=SsrMode::Async/>
                    <Route path=path!("/login") view=pages::login::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/login/mfa") view=pages::login_mfa::LoginMfaPage ssr=SsrMode::Async/>
                    <Route path=path!("/invite/:token") view=pages::invite::InvitePage ssr=SsrMode::Async/>
                    <Route path=path!("/forgot-password") view=pages::password_reset::ForgotPasswordPage ssr=SsrMode::Async/>
                    <Route path=path!("/reset-password/:token") view=pages::password_reset::ResetPasswordPage ssr=SsrMode::Async/>
                    <ParentRoute path=path!("") view=components::shell::AppShell ssr=SsrMode::Async>
                        <Route path=path!("") view=pages::overview::OverviewPage/>
                        <Route path=path!("/account/mfa") view=pages::account_mfa::AccountMfaPage/>
                        <Route path=path!("/org/api-keys") view=pages::api_keys::ApiKeysPage/>
                        <Route path=path!("/org/settings") view=pages::org_settings::OrgSettingsPage/>
                        <Route path=path!("/org/settings/config") view=pages::config_transfer::ConfigTransferPage/>
                        <Route path=path!("/audit/changes") view=pages::audit_changes::AuditChangesPage/>
                        <Route path=path!("/audit") view=pages::audit::AuditPage/>
                        <Route path=path!("/audit/actions/:id") view=pages::audit_action::AuditActionPage/>
                        <Route path=path!("/approvals") view=pages::approvals::ApprovalsPage/>
                        <Route path=path!("/notifications") view=pages::notifications::NotificationsPage/>
                        <Route path=path!("/tasks") view=pages::tasks::TasksPage/>
                        <Route path=path!("/org/users") view=pages::users::UsersPage/>
                        <Route path=path!("/org/outbox") view=pages::outbox::OutboxPage/>
                        <Route path=path!("/account") view=pages::account::AccountPage/>
                        <Route path=path!("/org/teams") view=pages::teams::TeamsPage/>
                        <Route path=path!("/org/teams/:id") view=pages::team::TeamPage/>
                        <Route path=path!("/org/users/:id") view=pages::person::PersonPage/>
                        <Route path=path!("/org/roles") view=pages::roles::RolesPage/>
                        <Route path=path!("/stores") view=pages::stores::StoresPage/>
                        <Route path=path!("/stores/:id/assistants") view=pages::store_assistants::StoreAssistantsPage/>
                        <Route path=path!("/stores/:id/actions") view=pages::store_actions::StoreActionsPage/>
                        <Route path=path!("/stores/:id/connector") view=pages::connector::StoreConnectorPage/>
                        <Route path=path!("/org/connector") view=pages::connector::OrgConnectorPage/>
                        <Route path=path!("/org/defaults") view=pages::org_defaults::OrgDefaultsPage/>
                        <Route path=path!("/org/quotas") view=pages::quotas::QuotasPage/>
                        <Route path=path!("/org/usage") view=pages::usage::UsagePage/>
                        <Route path=path!("/org/sms") view=pages::sms::SmsPage/>
                        <Route path=path!("/org/sso") view=pages::sso::SsoPage/>
                        <Route path=path!("/org/secrets") view=pages::secrets::SecretsVaultPage/>
                        <Route path=path!("/automation") view=pages::automation::AutomationPage/>
                        <Route path=path!("/automation/rules/:id") view=pages::automation_rule::AutomationRulePage/>
                        <Route path=path!("/automation/runs") view=pages::automation_runs::AutomationRunsPage/>
                        <Route path=path!("/automation/runs/:id") view=pages::automation_runs::AutomationRunPage/>
                    </ParentRoute>
                </Routes>
            </Router>
        </div>
    }
}
