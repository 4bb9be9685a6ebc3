//! `/org/settings`: the organisation's name and whether everyone must use two-step sign-in
//! (needs `org.manage`; the server decides, a Viewer sees "Not allowed").

use crate::api::org_settings::{get_org_settings, OrgSettingsView, UpdateOrgSettings};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let save = ServerAction::<UpdateOrgSettings>::new();
    let settings = Resource::new(move || save.version().get(), |_| get_org_settings());
    view! {
        <Title text="Settings"/>
        <div class="page-header">
            <h1>"Organisation settings"</h1>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) => view! { <SettingsForm s save/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn SettingsForm(s: OrgSettingsView, save: ServerAction<UpdateOrgSettings>) -> impl IntoView {
    let error = action_error(save.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let without = s.members_without_mfa;
    view! {
        <section class="card narrow-card" aria-labelledby="org-settings-title">
            <h2 id="org-settings-title">"General"</h2>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="settings-notice">"Settings saved."</div> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field label="Organisation name" name="name" value=s.name.clone() error autocomplete="organization"/>
                <p class="field-hint">"Short name (used at sign-in and with the API): " <code>{s.slug.clone()}</code></p>
                <div class="field field-check" class:field-invalid=move || error.get().is_some_and(|e| e.field("require_mfa").is_some())>
                    <label>
                        <input type="checkbox" name="require_mfa" value="on" checked=s.require_mfa data-testid="require-mfa"/>
                        " Require two-step sign-in for everyone"
                    </label>
                    <p class="field-hint">
                        "People without it are sent to set it up before they can use anything else. "
                        {format!("{without} active member{} without it now.", if without == 1 { "" } else { "s" })}
                    </p>
                    {move || error.get().and_then(|e| e.field("require_mfa").map(str::to_string)).map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                </div>
                <Submit label="Save" busy_label="Saving…" pending=save.pending().into()/>
            </ActionForm>
        </section>
    }
    .into_any()
}
