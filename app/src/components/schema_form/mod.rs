//! `SchemaForm`: the labelled fields a JSON Schema asks for — one per property, required
//! ones marked, nested objects as grouped fields, lists as JSON — with each field's hint
//! and inline error (both named by its `aria-describedby`). The caller owns the typed
//! values (by dotted path) and the field errors (by the same paths); turning values into
//! JSON and server errors into paths is `model`'s. Used by the Try it panel; nothing here
//! knows about actions or requests.

pub mod model;

pub use model::{
    build_object, choice_label, error_path, example, fields_of, missing_required, values_from, FieldKind, SchemaField,
};

use crate::components::form::{FieldError, FieldIds};
use leptos::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;

/// What every field of one form reads and writes.
#[derive(Clone)]
struct FormCtx {
    values: RwSignal<BTreeMap<String, String>>,
    errors: Signal<BTreeMap<String, String>>,
    prefix: std::sync::Arc<str>,
}

/// The fields of the object schema `schema`, in its order (required first). Typed text goes
/// into `values` under each field's dotted path; `errors` holds messages by the same paths.
/// Ids are `{prefix}-field-{path}` (dots as dashes); names and test ids `{prefix}-{path}`
/// (a page with several forms gives each its own prefix).
#[component]
pub fn SchemaForm(
    schema: Value,
    values: RwSignal<BTreeMap<String, String>>,
    #[prop(into)] errors: Signal<BTreeMap<String, String>>,
    #[prop(default = "param".into(), into)] prefix: String,
) -> impl IntoView {
    provide_context(FormCtx { values, errors, prefix: prefix.into() });
    view! { <SchemaFields fields=fields_of(&schema, "")/> }
}

#[component]
fn SchemaFields(fields: Vec<SchemaField>) -> impl IntoView {
    fields.into_iter().map(|f| view! { <SchemaInput field=f/> }).collect_view().into_any()
}

/// " *" for sighted people, " (required)" for screen readers.
fn required_mark(required: bool) -> impl IntoView {
    required
        .then(|| view! { <span class="req" aria-hidden="true">" *"</span><span class="sr-only">" (required)"</span> })
}

#[component]
fn SchemaInput(field: SchemaField) -> impl IntoView {
    let ctx = expect_context::<FormCtx>();
    let prefix = ctx.prefix.clone();
    let (values, errors) = (ctx.values, ctx.errors);
    let path = field.path.clone();
    let ids = FieldIds::new(format!("{prefix}-field-{}", path.replace('.', "-")));
    let id = ids.control.clone();
    let testid = format!("{prefix}-{path}");
    let message = {
        let path = path.clone();
        Signal::derive(move || errors.with(|by| by.get(&path).cloned()))
    };
    let description = match (&field.kind, field.description.is_empty()) {
        (FieldKind::TextList, true) => "One per line.".to_string(),
        (FieldKind::TextList, false) => format!("{} One per line.", field.description),
        _ => field.description.clone(),
    };
    let has_hint = !description.is_empty();
    let described = {
        let ids = ids.clone();
        move || Some(ids.described_by(has_hint, message.get().is_some())).filter(|d| !d.is_empty())
    };
    let value = {
        let path = path.clone();
        move || values.with(|v| v.get(&path).cloned().unwrap_or_default())
    };
    let set = {
        let path = path.clone();
        move |v: String| {
            values.update(|m| {
                m.insert(path.clone(), v);
            })
        }
    };
    let hint = has_hint.then(|| view! { <p class="field-hint" id=ids.hint.clone()>{description.clone()}</p> });
    let invalid = move || message.get().is_some();
    let input = match field.kind.clone() {
        FieldKind::Group(children) => {
            return view! {
                <fieldset class="param-group" data-testid=format!("{prefix}-group-{path}") aria-describedby=described>
                    <legend>{field.title.clone()} {required_mark(field.required)}</legend>
                    {hint}
                    <FieldError id=ids.error.clone() message/>
                    <SchemaFields fields=children/>
                </fieldset>
            }
            .into_any();
        }
        FieldKind::Choice(options) => view! {
            <select id=id.clone() name=testid.clone() data-testid=testid.clone() aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"—"</option>
                {options.into_iter().map(|o| view! { <option value=o.clone()>{choice_label(&o)}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        FieldKind::Boolean => view! {
            <select id=id.clone() name=testid.clone() data-testid=testid.clone() aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"—"</option>
                <option value="true">"Yes"</option>
                <option value="false">"No"</option>
            </select>
        }
        .into_any(),
        FieldKind::Text { long: true } => view! {
            <textarea id=id.clone() name=testid.clone() data-testid=testid.clone() rows="3" aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        FieldKind::TextList => view! {
            <textarea id=id.clone() name=testid.clone() data-testid=testid.clone() rows="2" aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        FieldKind::Json => view! {
            <textarea id=id.clone() name=testid.clone() data-testid=testid.clone() rows="3" class="mono" spellcheck="false" placeholder="[ ]" aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        kind => {
            let inputmode = match kind {
                FieldKind::Decimal | FieldKind::Number => "decimal",
                FieldKind::Integer => "numeric",
                _ => "text",
            };
            view! {
                <input
                    id=id.clone()
                    type="text"
                    name=testid.clone()
                    data-testid=testid.clone()
                    inputmode=inputmode
                    autocomplete="off"
                    aria-describedby=described
                    aria-invalid=move || invalid().to_string()
                    prop:value=value
                    on:input=move |ev| set(event_target_value(&ev))
                />
            }
            .into_any()
        }
    };
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id.clone()>{field.title.clone()} {required_mark(field.required)}</label>
            {hint}
            {input}
            <FieldError id=ids.error.clone() message/>
        </div>
    }
    .into_any()
}
