//! `/stores/:id/connector` (a store's platform webhook) and `/org/connector` (the org's
//! connector for business-operations actions): the URL Mandate posts actions to, the
//! signing secret (write-only: "set" or "replace", never shown), the timeout and attempts.
//! Needs `secrets.manage` there; the server decides, others see "Not allowed".

use crate::api::connectors::{get_connector, DeleteConnector, SaveConnector};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::notice::ErrorNotice;
use crate::domain::connectors::ConnectorView;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

#[component]
pub fn StoreConnectorPage() -> impl IntoView {
    let params = use_params_map();
    let store_id = Signal::derive(move || params.read().get("id"));
    view! { <ConnectorPage store_id/> }
}

#[component]
pub fn OrgConnectorPage() -> impl IntoView {
    view! { <ConnectorPage store_id=Signal::derive(|| None)/> }
}

#[component]
fn ConnectorPage(store_id: Signal<Option<String>>) -> impl IntoView {
    let save = ServerAction::<SaveConnector>::new();
    let remove = ServerAction::<DeleteConnector>::new();
    let data = Resource::new(
        move || (store_id.get(), save.version().get(), remove.version().get()),
        |(id, _, _)| get_connector(id),
    );
    view! {
        <Title text="Connector"/>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(c) => view! { <ConnectorBody c save remove/> }.into_any(),
                    Err(error) => view! {
                        <div class="page-header"><h1>"Connector"</h1></div>
                        <ErrorNotice error/>
                    }
                    .into_any(),
                }
            })}
        </Transition>
    }
}

#[component]
fn ConnectorBody(
    c: ConnectorView,
    save: ServerAction<SaveConnector>,
    remove: ServerAction<DeleteConnector>,
) -> impl IntoView {
    let error = action_error(save.value());
    let remove_error = action_error(remove.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let removed = move || remove.value().get().is_some_and(|r| r.is_ok());
    let store_id = c.store_id.clone().unwrap_or_default();
    let heading = match &c.store_name {
        Some(name) => format!("Connector for {name}"),
        None => "Organisation connector".to_string(),
    };
    let sandbox = c.store_platform.as_deref() == Some("sandbox");
    let explain = if c.scope == "store" {
        "When this store is not on the built-in sandbox, its commerce actions (refunds, cancellations, \
         discounts, …) are carried out by your platform: Mandate posts each allowed action here."
    } else {
        "Business-operations actions (tickets, clients, contacts, scheduling, time entries, …) are carried out \
         by your systems: Mandate posts each allowed action here."
    };
    let status = if c.configured {
        format!("Active: actions are posted to {}.", c.url.clone().unwrap_or_default())
    } else {
        "Not set up: allowed actions wait as \u{201c}confirmed\u{201d} for their caller to carry out and report back."
            .to_string()
    };
    let secret_hint = if c.secret_set {
        "A secret is set (it is never shown). Leave this empty to keep it, or type a new one to replace it."
    } else {
        "At least 16 characters, e.g. 32 random hex characters. Your receiver checks each request's \
         X-Mandate-Signature with it. It is stored encrypted and never shown again."
    };
    let secret_label = if c.secret_set { "Replace signing secret" } else { "Set signing secret" };
    let (sid_save, sid_remove) = (store_id.clone(), store_id.clone());
    let back = (c.scope == "store").then(|| {
        let id = store_id.clone();
        view! {
            <a href="/stores">"All stores"</a>
            " · "
            <a href=format!("/stores/{id}/actions")>"Action settings"</a>
            " · "
            <a href="/org/connector">"Organisation connector"</a>
        }
    });
    view! {
        <div class="page-header">
            <h1>{heading}</h1>
            <p class="muted">{explain}</p>
            <p class="muted small">{back}</p>
        </div>
        <section class="card narrow-card" aria-labelledby="connector-title">
            <h2 id="connector-title">"Webhook"</h2>
            {sandbox.then(|| view! {
                <p class="banner banner-info" data-testid="connector-sandbox">
                    "This store runs on the built-in sandbox: its commerce actions run in the sandbox, not through this webhook."
                </p>
            })}
            <p data-testid="connector-status" class:muted=!c.configured>{status}</p>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="connector-notice">"Connector saved."</div> })}
            {move || removed().then(|| view! { <div class="banner banner-success" role="status" data-testid="connector-notice">"Connector removed."</div> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true attr:data-testid="connector-form">
                <ErrorBanner error/>
                <input type="hidden" name="store_id" value=sid_save/>
                <Field label="URL" name="url" kind="url" value=c.url.clone().unwrap_or_default() error
                    hint="https:// address of your receiver (plain http:// only to localhost, for development)."/>
                <Field label=secret_label name="secret" kind="password" value=String::new() error required=!c.secret_set
                    autocomplete="new-password" hint=secret_hint/>
                <Field label="Timeout per attempt (milliseconds)" name="timeout_ms" kind="number" value=c.timeout_ms.to_string() error
                    hint="100 to 30000; an attempt without an answer by then counts as a temporary failure."/>
                <Field label="Attempts" name="max_attempts" kind="number" value=c.max_attempts.to_string() error
                    hint="1 to 10. Only actions marked retryable are tried again, and only after temporary failures (timeouts, 429, 5xx)."/>
                <Submit label="Save connector" busy_label="Saving…" pending=save.pending().into()/>
            </ActionForm>
            {c.configured.then(|| view! {
                <details class="confirm">
                    <summary class="btn btn-small btn-danger-outline" data-testid="connector-remove">"Remove…"</summary>
                    <ActionForm action=remove attr:class="confirm-form">
                        <ErrorBanner error=remove_error/>
                        <input type="hidden" name="store_id" value=sid_remove.clone()/>
                        <p>"Remove this connector? Its actions will wait for their caller to carry them out."</p>
                        <button type="submit" class="btn btn-small btn-danger" data-testid="connector-confirm-remove">"Remove connector"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
    .into_any()
}
