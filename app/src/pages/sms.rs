//! `/org/sms`: the organisation's SMS provider for notifications (a Twilio-style form post
//! with basic auth): address, account id, sending number and the auth token — write-only,
//! shown only as "set". Needs `secrets.manage` at the org; the server decides, others see
//! "Not allowed".

use crate::api::spend::{get_sms_provider, DeleteSmsProvider, SaveSmsProvider};
use crate::components::form::{action_error, ErrorBanner, Field, Submit};
use crate::components::notice::ErrorNotice;
use crate::domain::notify::SmsProviderView;
use leptos::prelude::*;
use leptos_meta::Title;

#[component]
pub fn SmsPage() -> impl IntoView {
    let save = ServerAction::<SaveSmsProvider>::new();
    let remove = ServerAction::<DeleteSmsProvider>::new();
    // Reload only after a success, so a refused save keeps what was typed.
    let refresh = RwSignal::new(0u32);
    Effect::new(move |_| {
        // Read both before combining: an effect follows only the signals it read.
        let (saved, removed) = (save.value().get(), remove.value().get());
        if matches!(saved, Some(Ok(_))) || matches!(removed, Some(Ok(()))) {
            refresh.update(|n| *n += 1);
        }
    });
    let data = Resource::new(move || refresh.get(), |_| get_sms_provider());
    view! {
        <Title text="SMS provider"/>
        <div class="page-header">
            <h1>"SMS provider"</h1>
            <p class="muted">"Mandate sends text messages through your provider to people who chose SMS for a kind of notification on their account page."</p>
        </div>
        <Transition fallback=|| view! { <div class="page-loading" role="status">"Loading…"</div> }>
            {move || Suspend::new(async move {
                match data.await {
                    Ok(p) => view! { <SmsBody p save remove/> }.into_any(),
                    Err(error) => view! { <ErrorNotice error/> }.into_any(),
                }
            })}
        </Transition>
    }
    .into_any()
}

#[component]
fn SmsBody(
    p: SmsProviderView,
    save: ServerAction<SaveSmsProvider>,
    remove: ServerAction<DeleteSmsProvider>,
) -> impl IntoView {
    let error = action_error(save.value());
    let remove_error = action_error(remove.value());
    let saved = move || save.value().get().is_some_and(|r| r.is_ok());
    let removed = move || remove.value().get().is_some_and(|r| r.is_ok());
    let status = if p.configured {
        format!(
            "Active: messages go from {} through {}.",
            p.from_number.clone().unwrap_or_default(),
            p.url.clone().unwrap_or_default()
        )
    } else {
        "Not set up: SMS notifications wait until a provider is set.".to_string()
    };
    // The token leaves the page once saved (a refused save keeps what was typed).
    let token_node = NodeRef::<leptos::html::Input>::new();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            if let Some(input) = token_node.get() {
                input.set_value("");
            }
        }
    });
    let token_label = if p.token_set { "Replace auth token" } else { "Auth token" };
    let token_hint = if p.token_set {
        "A token is set (it is never shown). Leave this empty to keep it, or type a new one to replace it."
    } else {
        "Your provider's auth token (the password of the basic auth). Stored encrypted and never shown again."
    };
    view! {
        <section class="card narrow-card" aria-labelledby="sms-title">
            <h2 id="sms-title">"Provider"</h2>
            <p data-testid="sms-status" class:muted=!p.configured>{status}</p>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="sms-notice">"SMS provider saved."</div> })}
            {move || removed().then(|| view! { <div class="banner banner-success" role="status" data-testid="sms-notice">"SMS provider removed."</div> })}
            <ActionForm action=save attr:class="form" attr:novalidate=true attr:data-testid="sms-form">
                <ErrorBanner error/>
                <Field label="Address" name="url" kind="url" value=p.url.clone().unwrap_or_default() error
                    hint="Where messages are posted, like https://api.twilio.com/2010-04-01/Accounts/AC…/Messages.json."/>
                <Field label="Account id" name="account_sid" value=p.account_sid.clone().unwrap_or_default() error
                    hint="The user name of the basic auth (Twilio: the Account SID)."/>
                <Field label="Sending number" name="from_number" kind="tel" value=p.from_number.clone().unwrap_or_default() error
                    hint="In international form, like +15005550006."/>
                <Field label=token_label name="auth_token" kind="password" value=String::new() error required=!p.token_set
                    autocomplete="new-password" hint=token_hint node_ref=token_node/>
                <Submit label="Save provider" busy_label="Saving…" pending=save.pending().into() testid="sms-save"/>
            </ActionForm>
            {p.configured.then(|| view! {
                <details class="confirm">
                    <summary class="btn btn-small btn-danger-outline">"Remove…"</summary>
                    <ActionForm action=remove attr:class="confirm-form">
                        <ErrorBanner error=remove_error/>
                        <p>"Remove the SMS provider? Text messages stop until a new one is set."</p>
                        <button type="submit" class="btn btn-small btn-danger">"Remove provider"</button>
                    </ActionForm>
                </details>
            })}
        </section>
    }
    .into_any()
}
