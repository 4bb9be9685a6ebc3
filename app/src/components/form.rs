//! Form building blocks: a labelled field with hint and inline error, and the error banner.

use crate::domain::{AppError, ErrorCode};
use leptos::prelude::*;

/// The last error of a server action, as a signal.
pub type ActionError = Signal<Option<AppError>>;

/// The error of a server action's latest result, if it failed.
pub fn action_error<T, S>(value: S) -> ActionError
where
    T: Clone + Send + Sync + 'static,
    S: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(|r| r.err()))
}

/// A labelled input. Its error comes from the action's field errors under `name`.
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    error: ActionError,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(default = false)] autofocus: bool,
) -> impl IntoView {
    let id = format!("field-{name}");
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let message = move || error.get().and_then(|e| e.field(name).map(str::to_string));
    let described = {
        let hint_id = hint_id.clone();
        let err_id = err_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if message().is_some() {
                ids.push(err_id.clone());
            }
            ids.join(" ")
        }
    };
    view! {
        <div class="field" class:field-invalid=move || message().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                required=required
                autofocus=autofocus
                autocomplete=autocomplete
                aria-invalid=move || message().is_some().to_string()
                aria-describedby=described
            />
            {move || message().map(|m| view! { <p class="field-error" id=err_id.clone() role="alert">{m}</p> })}
        </div>
    }
}

/// The general message of a failed action. Field errors are shown next to their fields
/// instead, so the banner stays out of the way when there are any.
#[component]
pub fn ErrorBanner(error: ActionError) -> impl IntoView {
    view! {
        {move || {
            error
                .get()
                .filter(|e| e.fields.is_empty())
                .map(|e| {
                    view! {
                        <div class="banner banner-error" role="alert" data-testid="form-error">
                            {e.message.clone()}
                            {(e.code == ErrorCode::InternalError)
                                .then(|| e.request_id.clone())
                                .flatten()
                                .map(|id| view! { <span class="request-ref">" Reference: " <code>{id}</code></span> })}
                        </div>
                    }
                })
        }}
    }
}

/// A submit button that shows progress while the action runs.
#[component]
pub fn Submit(label: &'static str, busy_label: &'static str, pending: Signal<bool>) -> impl IntoView {
    view! {
        <button type="submit" class="btn btn-primary" disabled=move || pending.get() aria-busy=move || pending.get().to_string()>
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}
