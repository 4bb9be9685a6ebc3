//! `/org/sso`: the organisation's single sign-on through its OpenID Connect provider (Okta,
//! Microsoft Entra, Google, Keycloak…): the addresses to register with the provider, then
//! its issuer, client id and client secret (write-only: shown only as set, "Replace" to
//! change it), the email domains that may sign in, who may (invited people only, or anyone
//! at those domains, added on first sign-in with a chosen role), whether it is on, and the
//! switch that turns password sign-in off for everyone but Owners. Its own page rather than
//! a section of `/org/settings`: it has a dozen inputs, addresses to copy and its own
//! remove action, like the SMS provider. Needs `org.manage` (Owners); the server decides.

use crate::api::sso::{get_sso, DeleteSso, SaveSso, SsoPage};
use crate::components::form::{action_error, field_message, ErrorBanner, Field, FieldError, SelectField, Submit};
use crate::components::notice::ErrorNotice;
use crate::domain::sso::{PROVISIONING_INVITED, PROVISIONING_JIT, SCOPES};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SsoPage() -> impl IntoView {
    let save = ServerAction::<SaveSso>::new();
    let remove = ServerAction::<DeleteSso>::new();
    // Reload only after a success, so a refused save keeps what was typed.
    let refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        // Read both before combining: an effect follows only the signals it read.
        let (saved, removed) = (save.value().get(), remove.value().get());
        if matches!(saved, Some(Ok(_))) || matches!(removed, Some(Ok(()))) {
            refresh.update(|n| *n += 1);
        }
    });
    let data = Resource::new(move || refresh.get(), |_| get_sso());
    view! {
        <Title text="Single sign-on"/>
        <div class="page-header">
            <h1>"Single sign-on"</h1>
            <p class="muted">"People sign in through your identity provider (OpenID Connect): Okta, Microsoft Entra, Google, Keycloak or another."</p>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <SsoBody page save remove/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn SsoBody(page: SsoPage, save: ServerAction<SaveSso>, remove: ServerAction<DeleteSso>) -> impl IntoView {
    let c = page.config;
    let error = action_error(save.value());
    let remove_error = action_error(remove.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let removed = move || remove.value().get().is_some_and(|r| r.is_ok());
    let provider = c.display_name.clone().unwrap_or_default();
    let status = match (c.configured, c.enabled) {
        (false, _) => "Not set up: everyone signs in with a password.".to_string(),
        (true, false) => {
            format!("Set up but switched off: everyone signs in with a password. {provider} is not offered.")
        }
        (true, true) if c.password_sign_in_disabled => {
            format!("On: people sign in with {provider}. Password sign-in is off except for Owners.")
        }
        (true, true) => format!("On: people sign in with {provider} or with a password."),
    };
    let secret_label = if c.client_secret_set { "Replace client secret" } else { "Client secret" };
    let secret_hint = if c.client_secret_set {
        "A secret is set (it is never shown). Leave this empty to keep it, or type a new one to replace it."
    } else {
        "Stored encrypted and never shown again."
    };
    // The secret leaves the page once saved: the field is emptied after a successful save (a
    // refused one keeps what was typed, like every other field).
    let secret_node = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            if let Some(input) = secret_node.get() {
                input.set_value("");
            }
        }
    });
    let secret_message = field_message(error, "client_secret");
    let secret_described = move || {
        if secret_message.get().is_some() {
            "field-client_secret-hint field-client_secret-error"
        } else {
            "field-client_secret-hint"
        }
    };
    let roles: Vec<(String, String)> = page.roles.iter().map(|r| (r.id.clone(), r.name.clone())).collect();
    let domains_message = field_message(error, "allowed_domains");
    let domains_described = move || {
        if domains_message.get().is_some() {
            "field-allowed_domains-hint field-allowed_domains-error"
        } else {
            "field-allowed_domains-hint"
        }
    };
    let provisioning = c.provisioning.clone();
    let provisioning_options = vec![
        (PROVISIONING_INVITED.to_string(), "Invited people only".to_string()),
        (PROVISIONING_JIT.to_string(), "Anyone at the allowed domains (added on first sign-in)".to_string()),
    ];
    let scopes = SCOPES.join(" ");
    view! {
        <section class="card narrow-card" aria-labelledby="sso-register-title">
            <h2 id="sso-register-title">"Register Mandate with your provider"</h2>
            <p class="muted">"Create an OpenID Connect web application (authorization code flow) at your provider and give it:"</p>
            <dl class="sso-addresses">
                <dt>"Redirect URL"</dt>
                <dd><code data-testid="sso-redirect-url">{c.redirect_url.clone()}</code></dd>
                <dt>"Scopes"</dt>
                <dd><code>{scopes}</code></dd>
                <dt>"Sign-in link"</dt>
                <dd><code data-testid="sso-sign-in-url">{c.sign_in_url.clone()}</code></dd>
            </dl>
            <p class="field-hint">"The sign-in link opens your provider directly; people can also type their work email on the sign-in page. README.md has the steps for Okta, Microsoft Entra, Google and Keycloak."</p>
        </section>
        <section class="card narrow-card" aria-labelledby="sso-title">
            <h2 id="sso-title">"Identity provider"</h2>
            <p data-testid="sso-status" class:muted=!c.enabled>{status}</p>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="sso-notice">"Single sign-on saved."</div> })}
            {move || removed().then(|| view! { <div class="banner banner-success" role="status" data-testid="sso-notice">"Single sign-on removed: everyone signs in with a password again."</div> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true attr:data-testid="sso-form">
                <ErrorBanner error/>
                <Field label="Provider name" name="display_name" value=c.display_name.clone().unwrap_or_default() error
                    hint="As people know it: the sign-in button says “Sign in with …”, e.g. Okta."/>
                <Field label="Issuer URL" name="issuer_url" kind="url" value=c.issuer_url.clone().unwrap_or_default() error
                    hint="Exactly as the provider names it, e.g. https://your-company.okta.com or https://login.microsoftonline.com/<tenant id>/v2.0."/>
                <Field label="Client id" name="client_id" value=c.client_id.clone().unwrap_or_default() error autocomplete="off"/>
                <div class="field" class:field-invalid=move || secret_message.get().is_some()>
                    <label for="field-client_secret">{secret_label}</label>
                    <p class="field-hint" id="field-client_secret-hint">{secret_hint}</p>
                    <input
                        id="field-client_secret"
                        name="client_secret"
                        type="password"
                        value=""
                        required=!c.client_secret_set
                        autocomplete="new-password"
                        node_ref=secret_node
                        aria-invalid=move || secret_message.get().is_some().to_string()
                        aria-describedby=secret_described
                    />
                    <FieldError id="field-client_secret-error" message=secret_message/>
                </div>
                <div class="field" class:field-invalid=move || domains_message.get().is_some()>
                    <label for="field-allowed_domains">"Allowed email domains"</label>
                    <p class="field-hint" id="field-allowed_domains-hint">"Only people whose email ends in one of these may sign in, e.g. example.com (separate several with commas or lines)."</p>
                    <textarea
                        id="field-allowed_domains"
                        name="allowed_domains"
                        rows="2"
                        aria-invalid=move || domains_message.get().is_some().to_string()
                        aria-describedby=domains_described
                    >{c.allowed_domains.join(", ")}</textarea>
                    <FieldError id="field-allowed_domains-error" message=domains_message/>
                </div>
                <SelectField
                    id="field-provisioning"
                    label="Who may sign in"
                    name="provisioning"
                    options=provisioning_options
                    selected=provisioning
                    error=field_message(error, "provisioning")
                    hint=Signal::derive(|| "Invited people only: nobody gets in without an invitation. Anyone: people at the allowed domains are added on their first sign-in.".to_string())
                />
                <SelectField
                    id="field-default_role_id"
                    label="Role for people added on first sign-in"
                    name="default_role_id"
                    options=roles
                    selected=c.default_role_id.clone()
                    placeholder="Choose a role"
                    error=field_message(error, "default_role_id")
                    hint=Signal::derive(|| "Applies to the whole organisation; needed when anyone at the allowed domains may sign in.".to_string())
                />
                <div class="field field-check">
                    <label>
                        <input type="checkbox" name="enabled" value="on" checked=c.enabled || !c.configured data-testid="sso-enabled"/>
                        " Single sign-on is on"
                    </label>
                    <p class="field-hint">"Off keeps the settings but hides the provider from the sign-in page."</p>
                </div>
                <div class="field field-check">
                    <label>
                        <input type="checkbox" name="password_sign_in_disabled" value="on" checked=c.password_sign_in_disabled data-testid="sso-password-off"/>
                        " Switch password sign-in off"
                    </label>
                    <p class="field-hint">
                        "Everyone then signs in with your provider. Owners always keep password sign-in as a break-glass path (with their two-step sign-in code if they use one), so a provider outage can't lock the organisation out."
                    </p>
                </div>
                <Submit label="Save single sign-on" busy_label="Saving…" pending=save.pending().into() testid="sso-save"/>
            </ActionForm>
            {c.configured.then(|| view! {
                <details class="confirm">
                    <summary class="btn btn-small btn-danger-outline">"Remove…"</summary>
                    <ActionForm action=remove attr:class="confirm-form">
                        <ErrorBanner error=remove_error/>
                        <p>{format!("Remove {provider}? Sign-in through it stops and everyone signs in with a password again; people it added keep their accounts (they set a password with “Forgot password?”).")}</p>
                        <button type="submit" class="btn btn-small btn-danger">"Remove single sign-on"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
    .into_any()
}
