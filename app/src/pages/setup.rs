//! `/setup`: first run only. Creates the organisation and its Owner, then signs them in.

use crate::api::auth::Setup;
use crate::components::auth_card::AuthCard;
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[component]
pub fn SetupPage() -> impl IntoView {
    let setup = ServerAction::<Setup>::new();
    let error = action_error(setup.value());
    let query = use_query_map();
    let token = query.read_untracked().get("token").unwrap_or_default();
    view! {
        <Title text="Set up Mandate"/>
        <AuthCard wide=true>
            <h1>"Set up Mandate"</h1>
            <p class="lead">
                "Create your organisation and the first owner account. You can invite your team afterwards."
            </p>
            <ActionForm action=setup attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field
                    label="Set-up token"
                    name="token"
                    hint="Printed in the server log when Mandate starts (look for \"set-up token\"). It proves you run this server."
                    autocomplete="off"
                    value=token
                    error
                />
                <Field label="Organisation name" name="org_name" hint="Your company or shop, e.g. Acme Store." autocomplete="organization" error autofocus=true/>
                <Field label="Your name" name="display_name" autocomplete="name" error/>
                <Field label="Your email" name="email" kind="email" autocomplete="email" error/>
                <Field
                    label="Password"
                    name="password"
                    kind="password"
                    hint="At least 12 characters. A phrase of a few unrelated words works well."
                    autocomplete="new-password"
                    error
                />
                <Field label="Repeat the password" name="password_confirm" kind="password" autocomplete="new-password" error/>
                <Submit label="Create organisation" busy_label="Creating…" pending=setup.pending().into()/>
            </ActionForm>
        </AuthCard>
    }
}
