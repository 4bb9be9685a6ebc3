//! The editor's "Only if" rows: each a field of the event (one the trigger carries, or a
//! dotted path typed by hand), a comparison in words and a value; rows are added and
//! removed with buttons, and a server's error on a row's part shows under that part.

use super::model::{comparison_hint, comparison_label, field_words, takes_value};
use super::{CondRow, Ctx, OTHER_FIELD};
use crate::components::form::{hydrated, FieldError, FieldIds};
use crate::domain::automation::ConditionType;
use crate::domain::triggers;
use leptos::prelude::*;

#[component]
pub(super) fn ConditionsSection(error: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let ready = hydrated();
    let add = move |_| {
        let row = ctx.new_condition("equals", "", &serde_json::Value::Null);
        ctx.server_error.set(None);
        ctx.conditions.update(|c| c.push(row));
        focus_later(format!("cond-{}-field", row.key));
    };
    view! {
        <section class="card editor-section" aria-labelledby="rule-if" data-testid="conditions">
            <h2 id="rule-if">"Only if"</h2>
            <p class="muted">
                {move || if ctx.conditions.with(Vec::is_empty) {
                    "No conditions: the rule runs on every event of its trigger."
                } else {
                    "The rule runs only when every condition holds."
                }}
            </p>
            <FieldError id="rule-conditions-error" message=error/>
            <ol class="condition-list">
                <For each=move || ctx.conditions.get() key=|c| c.key let:row>
                    <ConditionRowView row/>
                </For>
            </ol>
            <button type="button" class="btn" id="add-condition-button" data-testid="add-condition" disabled=move || !ready.get() on:click=add>
                "Add condition"
            </button>
        </section>
    }
}

#[component]
fn ConditionRowView(row: CondRow) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let key = row.key;
    let index = Memo::new(move |_| ctx.conditions.with(|c| c.iter().position(|x| x.key == key).unwrap_or(0)));
    let err = move |part: &'static str| {
        Signal::derive(move || ctx.errors.with(|e| e.conditions.get(&(index.get(), part.to_string())).cloned()))
    };
    let kind = Memo::new(move |_| ConditionType::from_key(&row.kind.get()));
    let ready = hydrated();
    let remove = move |_| {
        ctx.server_error.set(None);
        ctx.conditions.update(|c| c.retain(|x| x.key != key));
        focus_later("add-condition-button".into());
    };
    let field_options = move || {
        let trigger = triggers::find(&ctx.trigger_id.get());
        let mut options: Vec<(String, String)> = trigger
            .map(|t| t.fields().map(|f| (f.name.to_string(), field_words(f.name))).collect())
            .unwrap_or_default();
        let current = row.field.get_untracked();
        if !current.is_empty() && current != OTHER_FIELD && !options.iter().any(|(v, _)| *v == current) {
            options.push((current.clone(), field_words(&current)));
        }
        options.push((OTHER_FIELD.to_string(), "Another field (type its path)".to_string()));
        options
    };
    let field_hint = move || {
        let f = row.field.get();
        if f == OTHER_FIELD {
            return "A dotted path into the event, like previous.stage or items.0.sku.".to_string();
        }
        triggers::find(&ctx.trigger_id.get())
            .and_then(|t| t.fields().find(|x| x.name == f))
            .map(|x| x.description.to_string())
            .unwrap_or_default()
    };
    let id = |part: &str| format!("cond-{key}-{part}");
    let (field_ids, other_ids, kind_ids, value_ids) =
        (FieldIds::new(id("field")), FieldIds::new(id("path")), FieldIds::new(id("kind")), FieldIds::new(id("value")));
    let field_error = err("field");
    let kind_error = err("type");
    let value_error = err("value");
    let group_label = move || format!("Condition {}", index.get() + 1);
    view! {
        <li class="condition-row" data-testid="condition-row" role="group" aria-label=group_label>
            <div class="field" class:field-invalid=move || field_error.get().is_some()>
                <label for=field_ids.control.clone()>"Field"</label>
                <select
                    id=field_ids.control.clone()
                    data-testid="condition-field"
                    aria-describedby=format!("{} {}", field_ids.hint, field_ids.error)
                    aria-invalid=move || field_error.get().is_some().to_string()
                    prop:value=move || row.field.get()
                    on:change=move |ev| row.field.set(event_target_value(&ev))
                >
                    <option value="" disabled=true>"Choose a field"</option>
                    {move || {
                        let chosen = row.field.get_untracked();
                        field_options()
                            .into_iter()
                            .map(|(v, t)| {
                                let selected = v == chosen;
                                view! { <option value=v selected=selected>{t}</option> }
                            })
                            .collect_view()
                    }}
                </select>
                <p class="field-hint" id=field_ids.hint.clone()>{field_hint}</p>
                <FieldError id=field_ids.error.clone() message=field_error/>
            </div>
            {move || (row.field.get() == OTHER_FIELD).then(|| {
                let ids = other_ids.clone();
                view! {
                    <div class="field">
                        <label for=ids.control.clone()>"Field path"</label>
                        <input
                            id=ids.control.clone()
                            type="text"
                            class="mono"
                            data-testid="condition-path"
                            autocomplete="off"
                            spellcheck="false"
                            prop:value=move || row.other.get()
                            on:input=move |ev| row.other.set(event_target_value(&ev))
                        />
                    </div>
                }
            })}
            <div class="field" class:field-invalid=move || kind_error.get().is_some()>
                <label for=kind_ids.control.clone()>"Comparison"</label>
                <select
                    id=kind_ids.control.clone()
                    data-testid="condition-kind"
                    aria-describedby=kind_ids.error.clone()
                    aria-invalid=move || kind_error.get().is_some().to_string()
                    prop:value=move || row.kind.get()
                    on:change=move |ev| row.kind.set(event_target_value(&ev))
                >
                    {ConditionType::ALL
                        .iter()
                        .map(|k| {
                            let selected = row.kind.get_untracked() == k.key();
                            view! { <option value=k.key() selected=selected>{comparison_label(*k)}</option> }
                        })
                        .collect_view()}
                </select>
                <FieldError id=kind_ids.error.clone() message=kind_error/>
            </div>
            {move || kind.get().is_none_or(takes_value).then(|| {
                let ids = value_ids.clone();
                let hint = kind.get().and_then(comparison_hint);
                let described = {
                    let ids = ids.clone();
                    move || ids.described_by(hint.is_some(), value_error.get().is_some())
                };
                view! {
                    <div class="field" class:field-invalid=move || value_error.get().is_some()>
                        <label for=ids.control.clone()>"Value"</label>
                        <input
                            id=ids.control.clone()
                            type="text"
                            data-testid="condition-value"
                            autocomplete="off"
                            aria-describedby=described
                            aria-invalid=move || value_error.get().is_some().to_string()
                            prop:value=move || row.value.get()
                            on:input=move |ev| row.value.set(event_target_value(&ev))
                        />
                        {hint.map(|h| view! { <p class="field-hint" id=ids.hint.clone()>{h}</p> })}
                        <FieldError id=ids.error.clone() message=value_error/>
                    </div>
                }
            })}
            <div class="row-actions">
                <button
                    type="button"
                    class="btn btn-small btn-ghost"
                    data-testid="remove-condition"
                    aria-label=move || format!("Remove condition {}", index.get() + 1)
                    disabled=move || !ready.get()
                    on:click=remove
                >
                    "Remove"
                </button>
            </div>
        </li>
    }
}

/// Moves the keyboard focus to the element with `id` once the view has updated (after a
/// row is added or removed), in the browser.
pub(super) fn focus_later(id: String) {
    request_animation_frame(move || {
        use leptos::wasm_bindgen::JsCast;
        if let Some(el) = document().get_element_by_id(&id) {
            if let Ok(el) = el.dyn_into::<leptos::web_sys::HtmlElement>() {
                let _ = el.focus();
            }
        }
    });
}
