//! Form building blocks: a labelled text field and a labelled select (hint and inline error,
//! both named by the control's `aria-describedby`), the on/off switch, the submit button
//! (optionally disabled until hydrated), the error banner, and `hydrated()` for other
//! controls that need script. No page-specific wording lives here.

use crate::domain::{AppError, ErrorCode};
use crate::Hydrated;
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

/// The message of the field error under `name` in an action's error, if any.
pub fn field_message(error: ActionError, name: &'static str) -> Signal<Option<String>> {
    Signal::derive(move || error.get().and_then(|e| e.field(name).map(str::to_string)))
}

/// True once the browser has hydrated the page: controls that need script stay disabled
/// until then (outside the app, in tests, always true).
pub fn hydrated() -> Signal<bool> {
    match use_context::<Hydrated>() {
        Some(Hydrated(h)) => h.into(),
        None => Signal::derive(|| true),
    }
}

/// The ids of a field's parts, from its control's id: the hint is `{id}-hint` and the
/// inline error `{id}-error`, so the control's `aria-describedby` can name them.
#[derive(Clone, Debug, PartialEq)]
pub struct FieldIds {
    pub control: String,
    pub hint: String,
    pub error: String,
}

impl FieldIds {
    pub fn new(control: impl Into<String>) -> FieldIds {
        let control = control.into();
        FieldIds { hint: format!("{control}-hint"), error: format!("{control}-error"), control }
    }

    /// What the control's `aria-describedby` lists: the hint when there is one, the error
    /// while it is shown ("" for neither).
    pub fn described_by(&self, hint: bool, error: bool) -> String {
        let mut ids = Vec::new();
        if hint {
            ids.push(self.hint.as_str());
        }
        if error {
            ids.push(self.error.as_str());
        }
        ids.join(" ")
    }
}

/// The inline error under a field, with the id its control's `aria-describedby` names.
#[component]
pub fn FieldError(#[prop(into)] id: String, message: Signal<Option<String>>) -> impl IntoView {
    move || message.get().map(|m| view! { <p class="field-error" id=id.clone() role="alert">{m}</p> })
}

/// A labelled input. Its error comes from the action's field errors under `name`. Its id is
/// `field-{name}` unless `id` says otherwise (a form repeated per row needs its own).
#[component]
pub fn Field(
    label: &'static str,
    name: &'static str,
    error: ActionError,
    #[prop(optional, into)] id: Option<String>,
    #[prop(default = "text")] kind: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    #[prop(default = true)] required: bool,
    #[prop(default = false)] autofocus: bool,
    /// To reach the input from code (a write-only secret is emptied after a save).
    #[prop(optional)]
    node_ref: Option<NodeRef<leptos::html::Input>>,
) -> impl IntoView {
    let node_ref = node_ref.unwrap_or_default();
    let ids = FieldIds::new(id.unwrap_or_else(|| format!("field-{name}")));
    let message = field_message(error, name);
    let described = {
        let ids = ids.clone();
        move || ids.described_by(hint.is_some(), message.get().is_some())
    };
    let id = ids.control.clone();
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=ids.hint.clone()>{h}</p> })}
            <input
                id=id.clone()
                name=name
                type=kind
                value=value
                required=required
                autofocus=autofocus
                autocomplete=autocomplete
                node_ref=node_ref
                aria-invalid=move || message.get().is_some().to_string()
                aria-describedby=described
            />
            <FieldError id=ids.error.clone() message/>
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

/// A labelled select of `(value, text)` options, with an optional hint and inline error
/// (both named by its `aria-describedby`). `placeholder` is a first option with the value
/// "". The optional props take a value or an `Option` of it. Uncontrolled (a form posts it), the option equal to `selected` starts selected;
/// controlled, `value` holds the choice and `on_change` runs after each change. Options
/// `children` add after the listed ones (an `<optgroup>`, say).
#[component]
pub fn SelectField(
    #[prop(into)] id: String,
    #[prop(into)] label: String,
    #[prop(into, default = None)] name: Option<&'static str>,
    #[prop(optional, into)] options: Signal<Vec<(String, String)>>,
    #[prop(into, default = None)] selected: Option<String>,
    #[prop(into, default = None)] placeholder: Option<&'static str>,
    #[prop(optional)] required: bool,
    #[prop(into, default = None)] hint: Option<Signal<String>>,
    #[prop(into, default = None)] error: Option<Signal<Option<String>>>,
    #[prop(into, default = None)] testid: Option<String>,
    #[prop(into, default = None)] value: Option<RwSignal<String>>,
    #[prop(into, default = None)] on_change: Option<Callback<String>>,
    #[prop(optional)] children: Option<Children>,
) -> impl IntoView {
    let ids = FieldIds::new(id);
    let message = Signal::derive(move || error.and_then(|e| e.get()));
    let has_hint = hint.is_some();
    let described = {
        let ids = ids.clone();
        move || Some(ids.described_by(has_hint, message.get().is_some())).filter(|d| !d.is_empty())
    };
    let selected = value.map(|v| v.get_untracked()).or(selected);
    let placeholder_selected =
        selected.as_deref() == Some("") || (value.is_none() && selected.as_deref().is_none_or(str::is_empty));
    let is_selected = move |v: &str| selected.as_deref() == Some(v);
    // Controlled: the select follows its signal (an uncontrolled one keeps what was picked).
    let node = NodeRef::<leptos::html::Select>::new();
    Effect::new(move |_| {
        if let (Some(v), Some(el)) = (value, node.get()) {
            el.set_value(&v.get());
        }
    });
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for=ids.control.clone()>{label}</label>
            <select
                id=ids.control.clone()
                name=name
                data-testid=testid
                required=required
                aria-invalid=move || error.map(|_| message.get().is_some().to_string())
                aria-describedby=described
                node_ref=node
                on:change=move |ev| {
                    let v = event_target_value(&ev);
                    if let Some(signal) = value {
                        signal.set(v.clone());
                    }
                    if let Some(f) = on_change {
                        f.run(v);
                    }
                }
            >
                {placeholder.map(|p| view! { <option value="" selected=placeholder_selected>{p}</option> })}
                {move || {
                    options
                        .get()
                        .into_iter()
                        .map(|(v, text)| {
                            let on = is_selected(&v);
                            view! { <option value=v selected=on>{text}</option> }
                        })
                        .collect_view()
                }}
                {children.map(|c| c())}
            </select>
            {hint.map(|h| view! { <p class="field-hint" id=ids.hint.clone()>{move || h.get()}</p> })}
            <FieldError id=ids.error.clone() message/>
        </div>
    }
}

/// An on/off switch (a checkbox with `role="switch"`) and its label. It shows `checked`;
/// a change calls `on_toggle` with the new state, which is expected to update `checked`.
#[component]
pub fn Switch(
    #[prop(into)] id: String,
    label: &'static str,
    #[prop(into)] testid: String,
    #[prop(into)] checked: Signal<bool>,
    #[prop(into)] disabled: Signal<bool>,
    #[prop(optional, into)] described_by: Option<String>,
    #[prop(into)] on_toggle: Callback<bool>,
) -> impl IntoView {
    view! {
        <label class="switch" for=id.clone()>
            <input
                id=id.clone()
                type="checkbox"
                role="switch"
                data-testid=testid
                checked=checked.get_untracked()
                prop:checked=move || checked.get()
                disabled=move || disabled.get()
                aria-describedby=described_by
                on:change=move |ev| on_toggle.run(event_target_checked(&ev))
            />
            <span class="switch-track" aria-hidden="true"></span>
            <span class="switch-label">{label}</span>
        </label>
    }
}

/// The submit button: shows `busy_label` and is disabled while `pending`.
///
/// With `until_hydrated` it also stays disabled until it is hydrated in the browser, for
/// forms whose answer only script can show (a new key's secret, a Try it result) or that
/// have no native fallback. Forms inside `Suspense` hydrate after the app's own hydration
/// flag is set, and a click before their handlers are attached would post the form
/// natively and lose the answer; so the flag flips once the button's own node is loaded,
/// the server's `disabled` and the first hydrated value agree, and the change is then
/// applied. Without it the button works before hydration (the form posts natively).
#[component]
pub fn Submit(
    label: &'static str,
    busy_label: &'static str,
    pending: Signal<bool>,
    #[prop(default = "btn btn-primary")] class: &'static str,
    #[prop(optional)] testid: Option<&'static str>,
    #[prop(optional)] until_hydrated: bool,
) -> impl IntoView {
    let ready = RwSignal::new(!until_hydrated);
    let node = NodeRef::<leptos::html::Button>::new();
    node.on_load(move |_| ready.set(true));
    view! {
        <button
            node_ref=node
            type="submit"
            class=class
            data-testid=testid
            disabled=move || pending.get() || !ready.get()
            aria-busy=move || pending.get().to_string()
        >
            {move || if pending.get() { busy_label } else { label }}
        </button>
    }
}

#[cfg(test)]
mod tests {
    use super::FieldIds;

    #[test]
    fn described_by_names_the_hint_and_the_error_shown() {
        let ids = FieldIds::new("field-email");
        assert_eq!(ids.error, "field-email-error");
        assert_eq!(ids.described_by(true, true), "field-email-hint field-email-error");
        assert_eq!(ids.described_by(false, true), "field-email-error");
        assert_eq!(ids.described_by(false, false), "");
    }
}
