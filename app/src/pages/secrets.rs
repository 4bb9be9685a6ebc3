//! `/org/secrets`: the secrets vault. People keep credentials their automation rules send to
//! the store's platform or the org's connector (`{{secrets.NAME}}` in a rule's action); a
//! value is never shown again once saved, only where it is kept, when and by whom it was
//! set. The integrations' credentials are listed too, with a link to the page that manages
//! them. `secrets.manage` at the place; a person always manages their own; the server decides.

use crate::api::secrets::{load_vault, DeleteSecret, ReplaceSecret, SetSecret};
use crate::components::form::{action_error, ErrorBanner, Field, SelectField, Submit};
use crate::components::format::time_to_minute;
use crate::components::notice::ErrorNotice;
use crate::domain::secrets::{SecretView, SecretsPage};
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SecretsVaultPage() -> impl IntoView {
    let set = ServerAction::<SetSecret>::new();
    let replace = ServerAction::<ReplaceSecret>::new();
    let remove = ServerAction::<DeleteSecret>::new();
    // Reload only after a success, so a refused save keeps what was typed.
    let refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        // Read all three before combining: an effect follows only the signals it read.
        let (saved, replaced, removed) = (set.value().get(), replace.value().get(), remove.value().get());
        let ok = matches!(saved, Some(Ok(_))) || matches!(replaced, Some(Ok(_))) || matches!(removed, Some(Ok(())));
        if ok {
            refresh.update(|n| *n += 1);
        }
    });
    let data = Resource::new(move || refresh.get(), |_| load_vault());
    // One notice at a time: what the last replace or remove did.
    let notice = RwSignal::new(None::<Result<String, String>>);
    Effect::new(move |_| {
        if let Some(r) = replace.value().get() {
            notice.set(Some(r.map(|s| format!("New value saved for {}.", s.name)).map_err(|e| e.message)));
        }
    });
    Effect::new(move |_| {
        if let Some(r) = remove.value().get() {
            let done = "Secret removed. Rules that use it stop at that step until it is set again.".to_string();
            notice.set(Some(r.map(|_| done).map_err(|e| e.message)));
        }
    });
    Effect::new(move |_| {
        if set.value().get().is_some() {
            notice.set(None);
        }
    });
    view! {
        <Title text="Secrets"/>
        <div class="page-header">
            <h1>"Secrets"</h1>
            <p class="muted">
                "Credentials your automation rules send to your store's platform or your connector, like an API token. "
                "In a rule's action write " <code>"{{secrets.NAME}}"</code> " where the value goes: Mandate fills it in only "
                "when the action is sent, and never shows it in runs, tests, the audit trail or here."
            </p>
        </div>
        {move || {
            notice.get().map(|n| match n {
                Ok(text) => view! { <div class="banner banner-success" role="status" data-testid="secrets-notice">{text}</div> }.into_any(),
                Err(text) => view! { <div class="banner banner-error" role="alert">{text}</div> }.into_any(),
            })
        }}
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(page) => view! { <VaultBody page set replace remove/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn VaultBody(
    page: SecretsPage,
    set: ServerAction<SetSecret>,
    replace: ServerAction<ReplaceSecret>,
    remove: ServerAction<DeleteSecret>,
) -> impl IntoView {
    let places: Vec<(String, String)> = page
        .places
        .iter()
        .map(|p| {
            let value = match &p.scope_id {
                Some(id) => format!("{}:{id}", p.scope_type),
                None => p.scope_type.clone(),
            };
            (value, p.label.clone())
        })
        .collect();
    let has_secrets = !page.secrets.is_empty();
    view! {
        <AddSecret places set/>
        <section class="card" aria-labelledby="secrets-title">
            <h2 id="secrets-title">"Kept secrets"</h2>
            {if has_secrets {
                view! {
                    <div class="table-wrap">
                        <table class="table" data-testid="secrets-table">
                            <thead>
                                <tr>
                                    <th scope="col">"Secret"</th>
                                    <th scope="col">"Kept for"</th>
                                    <th scope="col">"Value set"</th>
                                    <th scope="col"><span class="sr-only">"Actions"</span></th>
                                </tr>
                            </thead>
                            <tbody>
                                {page.secrets.into_iter().map(|s| view! { <SecretRow s replace remove/> }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }
                .into_any()
            } else {
                view! { <p class="muted" data-testid="secrets-empty">"No secrets yet."</p> }.into_any()
            }}
        </section>
    }
}

#[component]
fn AddSecret(places: Vec<(String, String)>, set: ServerAction<SetSecret>) -> impl IntoView {
    let error = action_error(set.value());
    let value_node = NodeRef::<leptos::html::Input>::new();
    // The value leaves the page once saved (a refused save keeps what was typed).
    Effect::new(move |_| {
        if matches!(set.value().get(), Some(Ok(_))) {
            if let Some(input) = value_node.get() {
                input.set_value("");
            }
        }
    });
    let place_error = Signal::derive(move || {
        error.get().and_then(|e| {
            e.fields.iter().find(|f| f.field == "scope_type" || f.field == "scope_id").map(|f| f.message.clone())
        })
    });
    view! {
        <section class="card narrow-card" aria-labelledby="add-secret-title">
            <h2 id="add-secret-title">"Add or replace a secret"</h2>
            {move || {
                set.value().get().and_then(|r| r.ok()).map(|s| view! {
                    <div class="banner banner-success" role="status" data-testid="secrets-saved">
                        {format!("{} saved. Use it in a rule's action as {{{{secrets.{}}}}}.", s.name, s.name)}
                    </div>
                })
            }}
            <ActionForm action=set attr:class="form" attr:novalidate=true attr:data-testid="secret-form">
                <ErrorBanner error/>
                <SelectField id="field-place" label="Kept for" name="place" options=places error=place_error
                    hint=Signal::derive(|| "Rules use the secret of the store's team (or a parent team) before the organisation's.".to_string())/>
                <Field label="Name" name="name" error
                    hint="Capital letters, digits and _, e.g. SHIPPING_API_TOKEN. A secret of the same name kept at the same place gets the new value."/>
                <Field label="Description (optional)" name="description" required=false error
                    hint="What it is for, e.g. \"Carrier API token for label printing\"."/>
                <Field label="Value" name="value" kind="password" value=String::new() autocomplete="new-password" error
                    hint="Stored encrypted; it is never shown again." node_ref=value_node/>
                <Submit label="Save secret" busy_label="Saving…" pending=set.pending().into() testid="secret-save"/>
            </ActionForm>
        </section>
    }
}

#[component]
fn SecretRow(s: SecretView, replace: ServerAction<ReplaceSecret>, remove: ServerAction<DeleteSecret>) -> impl IntoView {
    let title = s.used_by.clone().unwrap_or_else(|| s.name.clone());
    let (id, remove_id, name) = (s.id.clone(), s.id.clone(), s.name.clone());
    let (input_id, input_label) = (format!("replace-{id}"), format!("New value for {name}"));
    let remove_text = format!("Remove {name}? Rule steps that use it stop until it is set again.");
    let actions = match &s.manage_at {
        Some(href) => view! { <a class="btn btn-small" href=href.clone()>"Manage on its page"</a> }.into_any(),
        None => view! {
            <details class="confirm">
                <summary class="btn btn-small" data-testid="replace-secret">"Replace value…"</summary>
                <ActionForm action=replace attr:class="confirm-form">
                    <input type="hidden" name="id" value=id/>
                    <label for=input_id.clone()>{input_label}</label>
                    <input id=input_id name="value" type="password" autocomplete="new-password" required/>
                    <button type="submit" class="btn btn-primary btn-small">"Save new value"</button>
                </ActionForm>
            </details>
            <details class="confirm">
                <summary class="btn btn-small btn-danger-outline">"Remove…"</summary>
                <ActionForm action=remove attr:class="confirm-form">
                    <input type="hidden" name="id" value=remove_id/>
                    <p>{remove_text}</p>
                    <button type="submit" class="btn btn-danger btn-small" data-testid="confirm-remove-secret">"Remove secret"</button>
                </ActionForm>
            </details>
        }
        .into_any(),
    };
    view! {
        <tr data-testid="secret-row">
            <td>
                {if s.used_by.is_some() { view! { <span>{title}</span> }.into_any() } else { view! { <code>{title}</code> }.into_any() }}
                {(!s.description.is_empty()).then(|| view! { <div class="muted small">{s.description.clone()}</div> })}
            </td>
            <td>{s.scope_label.clone()}</td>
            <td class="nowrap">{time_to_minute(&s.set_at)}<div class="muted small">{format!("by {}", s.set_by)}</div></td>
            <td>{actions}</td>
        </tr>
    }
}
