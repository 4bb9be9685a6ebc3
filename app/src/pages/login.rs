//! `/login`: email and password (asking for the organisation only when the email belongs to
//! several), and single sign-on. With `?org=<short name>` of an org whose identity provider
//! is on, the page offers "Sign in with <provider>"; when that org has switched password
//! sign-in off, the password form is folded away as the Owners' break-glass path. Without
//! it, a second small form asks for a work email or an org's short name and comes back here
//! as `?org=` (a plain GET that works before the page is interactive). The provider is then
//! reached through a link, never a form: the page's CSP allows forms to post only to this
//! site, and browsers apply that to a form's redirects too. A refused single sign-on comes
//! back here with its message (`api::sso::get_login_context`).

use crate::api::auth::Login;
use crate::api::sso::get_login_context;
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::domain::actions::url_encode;
use crate::domain::sso::{SsoSignInOption, START_PATH};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let org = move || query.read().get("org").filter(|o| !o.trim().is_empty());
    let context = Resource::new(org, get_login_context);
    view! {
        <Title text="Sign in"/>
        <AuthCard>
            <h1>"Sign in"</h1>
            <Suspense fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
                {move || Suspend::new(async move {
                    let ctx = context.await.unwrap_or_default();
                    let notice = ctx.notice.map(|m| {
                        view! { <div class="banner banner-error" role="alert" data-testid="login-notice">{m}</div> }
                    });
                    let body = match ctx.sso {
                        Some(option) => view! { <SsoSignIn option next=next()/> }.into_any(),
                        None => view! {
                            <PasswordForm next=next() org=None/>
                            <p class="form-footer"><a href="/forgot-password" data-testid="forgot-password">"Forgot password?"</a></p>
                            <SsoStart next=next()/>
                        }
                        .into_any(),
                    };
                    view! { {notice} {body} }
                })}
            </Suspense>
        </AuthCard>
    }
}

/// Email and password. `org`: the short name when the page is for one org.
#[component]
fn PasswordForm(next: String, org: Option<String>) -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = action_error(login.value());
    let has_org = org.is_some();
    let needs_org = move || !has_org && error.get().is_some_and(|e| e.field("org").is_some());
    view! {
        <ActionForm action=login attr:class="form" attr:novalidate=true attr:data-testid="password-form">
            <ErrorBanner error/>
            <input type="hidden" name="next" value=next/>
            {org.map(|o| view! { <input type="hidden" name="org" value=o/> })}
            <Field label="Email" name="email" kind="email" autocomplete="email" error autofocus=!has_org/>
            <Field label="Password" name="password" kind="password" autocomplete="current-password" error/>
            <Show when=needs_org>
                <Field
                    label="Organisation short name"
                    name="org"
                    hint="Your email belongs to several organisations; say which one, e.g. acme-store."
                    error
                />
            </Show>
            <Submit label="Sign in" busy_label="Signing in…" pending=login.pending().into()/>
        </ActionForm>
    }
}

/// The org's identity provider first; the password form below it, or folded away for Owners
/// when the org has switched password sign-in off.
#[component]
fn SsoSignIn(option: SsoSignInOption, next: String) -> impl IntoView {
    let mut href = format!("{START_PATH}?org={}", url_encode(&option.start_with));
    if !next.is_empty() {
        href.push_str(&format!("&next={}", url_encode(&next)));
    }
    let provider = option.provider_name.clone();
    let password = if option.password_sign_in_disabled {
        view! {
            <details class="break-glass" data-testid="break-glass">
                <summary>"Owner? Sign in with a password"</summary>
                <p class="field-hint">
                    {format!(
                        "Password sign-in is switched off at {}. Owners keep it as a break-glass path (with their two-step sign-in code if they use one).",
                        option.org_name
                    )}
                </p>
                <PasswordForm next org=Some(option.org_slug.clone())/>
            </details>
        }
        .into_any()
    } else {
        view! {
            <p class="sso-divider"><span>"or with your password"</span></p>
            <PasswordForm next org=Some(option.org_slug.clone())/>
            <p class="form-footer"><a href="/forgot-password" data-testid="forgot-password">"Forgot password?"</a></p>
        }
        .into_any()
    };
    view! {
        <p class="muted">{format!("{} signs in with {provider}.", option.org_name)}</p>
        // rel="external": a full page load to the server, not the router's in-page navigation.
        <a class="btn btn-primary btn-block" href=href rel="external" data-testid="sso-sign-in">{format!("Sign in with {provider}")}</a>
        {password}
        <p class="form-footer"><a href="/login">"Another organisation"</a></p>
    }
}

/// Finds the org's provider from a work email or an org's short name (a plain GET form back
/// to this page).
#[component]
fn SsoStart(next: String) -> impl IntoView {
    view! {
        <form method="get" action="/login" class="form sso-start" data-testid="sso-start">
            <p class="sso-divider"><span>"or"</span></p>
            <input type="hidden" name="next" value=next/>
            <div class="field">
                <label for="sso-who">"Single sign-on"</label>
                <p class="field-hint" id="sso-who-hint">"Your work email, or your organisation's short name."</p>
                <input id="sso-who" name="org" type="text" autocomplete="email" aria-describedby="sso-who-hint" required=true/>
            </div>
            <button type="submit" class="btn">"Continue with single sign-on"</button>
        </form>
    }
}
