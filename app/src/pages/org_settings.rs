//! `/org/settings`: the organisation's name, whether everyone must use two-step sign-in,
//! and its profile (address, contact, time zone, default currency). Everyone in the org
//! sees them; those holding `org.manage` (Owners) get the form. A refused save keeps what
//! was typed: the data reloads only after a success.

use crate::api::org_settings::{get_org_settings, OrgSettingsView, UpdateOrgSettings};
use crate::components::form::{action_error, field_message, ErrorBanner, Field, SelectField, Submit};
use crate::components::notice::ErrorNotice;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let save = ServerAction::<UpdateOrgSettings>::new();
    let refresh = RwSignal::new(0usize);
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(()))) {
            refresh.update(|n| *n += 1);
        }
    });
    let settings = Resource::new(move || refresh.get(), |_| get_org_settings());
    view! {
        <Title text="Settings"/>
        <div class="page-header">
            <h1>"Organisation settings"</h1>
            <p class="muted">"Who you are, how to reach you, and the time zone quota periods and reports count in."</p>
            <p><a href="/org/settings/config" data-testid="config-link">"Export or import the configuration"</a></p>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match settings.await {
                    Ok(s) if s.can_manage => view! { <SettingsForm s save/> }.into_any(),
                    Ok(s) => view! { <SettingsFacts s/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
        <super::preferences::PreferencesSection entity_type="org"/>
    }
}

fn or_dash(s: &str) -> String {
    if s.trim().is_empty() {
        "—".into()
    } else {
        s.to_string()
    }
}

/// The profile read-only, for those who may not change it.
#[component]
fn SettingsFacts(s: OrgSettingsView) -> impl IntoView {
    view! {
        <section class="card narrow-card" aria-labelledby="org-profile-title" data-testid="org-profile">
            <h2 id="org-profile-title">{s.name.clone()}</h2>
            <dl class="facts">
                <dt>"Short name"</dt><dd><code>{s.slug.clone()}</code></dd>
                <dt>"Address"</dt><dd class="pre-line">{or_dash(&s.address)}</dd>
                <dt>"Contact email"</dt><dd>{or_dash(&s.contact_email)}</dd>
                <dt>"Contact phone"</dt><dd>{or_dash(&s.contact_phone)}</dd>
                <dt>"Time zone"</dt><dd>{s.time_zone.clone()}</dd>
                <dt>"Default currency"</dt><dd>{s.default_currency.clone()}</dd>
                <dt>"Two-step sign-in"</dt><dd>{if s.require_mfa { "Required for everyone" } else { "Each person's choice" }}</dd>
            </dl>
            <p class="muted small">"Only Owners can change these."</p>
        </section>
    }
    .into_any()
}

#[component]
fn SettingsForm(s: OrgSettingsView, save: ServerAction<UpdateOrgSettings>) -> impl IntoView {
    let error = action_error(save.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let without = s.members_without_mfa;
    let zones: Vec<(String, String)> = s.time_zones.iter().map(|z| (z.clone(), z.replace('_', " "))).collect();
    let address_error = field_message(error, "address");
    view! {
        <section class="card narrow-card" aria-labelledby="org-settings-title" data-testid="org-profile">
            <h2 id="org-settings-title">"Profile"</h2>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="settings-notice">"Settings saved."</div> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true>
                <ErrorBanner error/>
                <Field label="Organisation name" name="name" value=s.name.clone() error autocomplete="organization"/>
                <p class="field-hint">"Short name (used at sign-in and with the API): " <code>{s.slug.clone()}</code></p>
                <div class="field" class:field-invalid=move || address_error.get().is_some()>
                    <label for="field-address">"Address"</label>
                    <p class="field-hint" id="field-address-hint">"As it goes on letters and invoices; one line per line."</p>
                    <textarea id="field-address" name="address" rows="3" autocomplete="street-address"
                        aria-describedby=move || if address_error.get().is_some() { "field-address-hint field-address-error" } else { "field-address-hint" }
                        aria-invalid=move || address_error.get().is_some().to_string()>{s.address.clone()}</textarea>
                    <crate::components::form::FieldError id="field-address-error" message=address_error/>
                </div>
                <Field label="Contact email" name="contact_email" kind="email" value=s.contact_email.clone() error required=false
                    autocomplete="email" hint="Where people and providers can reach the organisation."/>
                <Field label="Contact phone" name="contact_phone" kind="tel" value=s.contact_phone.clone() error required=false
                    autocomplete="tel"/>
                <SelectField id="field-time_zone" label="Time zone" name=Some("time_zone") options=zones selected=Some(s.time_zone.clone())
                    hint=Signal::derive(|| "Days, weeks and months of quotas, the usage pages and the monthly report start at midnight here.".to_string())
                    error=field_message(error, "time_zone") testid="org-time-zone".to_string()/>
                <Field label="Default currency" name="default_currency" value=s.default_currency.clone() error
                    hint="Three letters, like EUR or USD: new stores start with it."/>
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
