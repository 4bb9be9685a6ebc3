//! `/login`: email and password; asks for the organisation only when the email belongs to
//! several.

use crate::api::auth::Login;
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn LoginPage() -> impl IntoView {
    let login = ServerAction::<Login>::new();
    let error = action_error(login.value());
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let needs_org = move || error.get().is_some_and(|e| e.field("org").is_some());
    view! {
        <Title text="Sign in"/>
        <AuthCard>
            <h1>"Sign in"</h1>
            <ActionForm action=login attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <input type="hidden" name="next" value=next/>
                <Field label="Email" name="email" kind="email" autocomplete="email" error autofocus=true/>
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
            <p class="form-footer"><a href="/forgot-password" data-testid="forgot-password">"Forgot password?"</a></p>
        </AuthCard>
    }
}
