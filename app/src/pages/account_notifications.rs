//! The "Notifications" section of `/account`: for each kind of notification (plain name and
//! what it is about) the channels it reaches this person on — In app, Email, SMS — and the
//! mobile number SMS goes to. Saving checks everything on the server; an error shows next to
//! its kind or the number and the choices stay as ticked.

use crate::api::spend::{notification_settings, SaveNotificationSettings};
use crate::components::form::{action_error, hydrated, ErrorBanner, FieldError};
use crate::components::notice::ErrorNotice;
use crate::domain::notify::{channel_name, NotificationChoices, CHANNELS};
use leptos::prelude::*;
use std::collections::BTreeMap;

#[component]
pub fn NotificationsSection() -> impl IntoView {
    let data = Resource::new(|| (), |_| notification_settings());
    view! {
        <section class="card" aria-labelledby="notify-heading" data-testid="account-notifications">
            <h2 id="notify-heading">"Notifications"</h2>
            <p class="muted">"Choose how Mandate tells you about each kind of event."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(c) => view! { <Choices c/> }.into_any(),
                        Err(error) => view! { <ErrorNotice error/> }.into_any(),
                    }
                })}
            </Suspense>
        </section>
    }
    .into_any()
}

#[component]
fn Choices(c: NotificationChoices) -> impl IntoView {
    let save = ServerAction::<SaveNotificationSettings>::new();
    let error = action_error(save.value());
    let ready = hydrated();
    let chosen: RwSignal<BTreeMap<String, Vec<String>>> =
        RwSignal::new(c.kinds.iter().map(|k| (k.key.clone(), k.channels.clone())).collect());
    let number = RwSignal::new(c.sms_number.clone().unwrap_or_default());
    let saved = move || matches!(save.value().get(), Some(Ok(_)));
    let rows = c
        .kinds
        .into_iter()
        .map(|k| {
            let key = k.key.clone();
            let err_key = format!("channels.{key}");
            let message = Signal::derive(move || error.get().and_then(|e| e.field(&err_key).map(str::to_string)));
            let error_id = format!("notify-{key}-error");
            let boxes = CHANNELS
                .iter()
                .map(|ch| {
                    let (k1, k2) = (key.clone(), key.clone());
                    let id = format!("notify-{key}-{ch}");
                    let checked = move || chosen.with(|m| m.get(&k1).is_some_and(|v| v.iter().any(|c| c == ch)));
                    let toggle = move |ev: leptos::ev::Event| {
                        let on = event_target_checked(&ev);
                        chosen.update(|m| {
                            let v = m.entry(k2.clone()).or_default();
                            v.retain(|c| c != ch);
                            if on {
                                v.push(ch.to_string());
                            }
                        });
                    };
                    view! {
                        <label class="checkbox" for=id.clone()>
                            <input type="checkbox" id=id.clone() data-testid=id.clone() prop:checked=checked on:change=toggle disabled=move || !ready.get()/>
                            {channel_name(ch)}
                        </label>
                    }
                })
                .collect_view();
            view! {
                <fieldset class="field notify-kind" class:field-invalid=move || message.get().is_some()
                    aria-describedby=format!("notify-{}-desc", k.key)>
                    <legend>{k.name.clone()}</legend>
                    <p class="field-hint" id=format!("notify-{}-desc", k.key)>{k.description.clone()}</p>
                    <div class="notify-channels">{boxes}</div>
                    <FieldError id=error_id message/>
                </fieldset>
            }
        })
        .collect_view();
    let number_error = Signal::derive(move || error.get().and_then(|e| e.field("sms_number").map(str::to_string)));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let n = number.get_untracked();
        save.dispatch(SaveNotificationSettings {
            channels: chosen.get_untracked(),
            sms_number: (!n.trim().is_empty()).then_some(n),
        });
    };
    view! {
        <form class="form" novalidate on:submit=submit data-testid="notify-form">
            <ErrorBanner error/>
            {rows}
            <div class="field narrow-field" class:field-invalid=move || number_error.get().is_some()>
                <label for="notify-sms-number">"Mobile number for SMS"</label>
                <p class="field-hint" id="notify-sms-number-hint">"In international form, like +49 151 23456789. Needed when you tick SMS."</p>
                <input id="notify-sms-number" type="tel" autocomplete="tel" prop:value=move || number.get()
                    on:input=move |ev| number.set(event_target_value(&ev))
                    aria-invalid=move || number_error.get().is_some().to_string()
                    aria-describedby=move || if number_error.get().is_some() { "notify-sms-number-hint notify-sms-number-error" } else { "notify-sms-number-hint" }/>
                <FieldError id="notify-sms-number-error" message=number_error/>
            </div>
            {move || saved().then(|| view! { <div class="banner banner-success" role="status" data-testid="notify-saved">"Notification choices saved."</div> })}
            <div>
                <button type="submit" class="btn btn-primary" data-testid="notify-save" disabled=move || !ready.get() || save.pending().get()>
                    {move || if save.pending().get() { "Saving…" } else { "Save notification choices" }}
                </button>
            </div>
        </form>
    }
    .into_any()
}
