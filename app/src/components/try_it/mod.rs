//! The settings page's **Try it** panel: pick an assistant (or none) and an action, fill the
//! action's inputs (a form built from its JSON Schema: one labelled field per property,
//! nested objects as grouped fields, lists as JSON; or the whole request as JSON), and see
//! what Mandate would answer — allow, confirm or refuse — with the reason and every check
//! of the trace. The answer comes from `policy_try`, the same `decide` enforcement runs;
//! nothing is executed or recorded, so anyone who may see the store may use it.

mod result;

use crate::api::check::PolicyTry;
use crate::components::form::{SelectField, Submit};
use crate::components::schema_form::{build_object, error_path, example, fields_of, values_from, SchemaForm};
use crate::domain::action_settings::AssistantRef;
use crate::domain::catalog::ActionDef;
use leptos::prelude::*;
use result::TryResult;
use serde_json::Value;
use std::collections::BTreeMap;

/// The panel's actions in the order of the settings page's categories.
fn order_of(category: &str) -> usize {
    ["orders", "payments", "support", "customers", "communication", "scheduling", "projects", "crm", "automation"]
        .iter()
        .position(|c| *c == category)
        .unwrap_or(99)
}

#[component]
pub fn TryItPanel(
    store_id: String,
    assistants: Vec<AssistantRef>,
    mut actions: Vec<ActionDef>,
    #[prop(optional)] initial_action: Option<String>,
) -> impl IntoView {
    actions.sort_by(|a, b| {
        (order_of(&a.category), &a.category, &a.name).cmp(&(order_of(&b.category), &b.category, &b.name))
    });
    let defs = StoredValue::new(actions.clone());
    let first = initial_action
        .filter(|a| actions.iter().any(|d| &d.id == a))
        .or_else(|| actions.iter().find(|d| d.id == "process_refund").map(|d| d.id.clone()))
        .or_else(|| actions.first().map(|d| d.id.clone()))
        .unwrap_or_default();
    let action = RwSignal::new(first.clone());
    let assistant = RwSignal::new(String::new());
    let customer = RwSignal::new(String::new());
    let values = RwSignal::new(BTreeMap::<String, String>::new());
    let json_mode = RwSignal::new(false);
    let json_text = RwSignal::new(String::new());
    let local_errors = RwSignal::new(Vec::<(String, String)>::new());
    let run = ServerAction::<PolicyTry>::new();

    let fields = Memo::new(move |_| {
        let id = action.get();
        defs.with_value(|d| d.iter().find(|a| a.id == id).map(|a| fields_of(&a.input_schema, "")).unwrap_or_default())
    });
    let current_json = move || -> String {
        let f = fields.get_untracked();
        let map = match build_object(&f, &values.get_untracked()) {
            Ok(m) if !m.is_empty() => m,
            _ => example(&f),
        };
        serde_json::to_string_pretty(&Value::Object(map)).unwrap_or_else(|_| "{}".into())
    };
    let set_json_mode = move |on: bool| {
        if on {
            json_text.set(current_json());
        } else if let Ok(v) = serde_json::from_str::<Value>(&json_text.get_untracked()) {
            let f = fields.get_untracked();
            values.update(|vals| values_from(&f, &v, vals));
        }
        json_mode.set(on);
    };
    let store = store_id.clone();
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        local_errors.set(Vec::new());
        let params = if json_mode.get_untracked() {
            json_text.get_untracked()
        } else {
            match build_object(&fields.get_untracked(), &values.get_untracked()) {
                Ok(m) => Value::Object(m).to_string(),
                Err(e) => {
                    local_errors.set(e);
                    return;
                }
            }
        };
        let a = assistant.get_untracked();
        let c = customer.get_untracked();
        run.dispatch(PolicyTry {
            store_id: store.clone(),
            action_type: action.get_untracked(),
            assistant_id: (!a.is_empty()).then_some(a),
            params,
            customer_ref: (!c.trim().is_empty()).then(|| c.trim().to_string()),
        });
    };
    let result = Signal::derive(move || run.value().get());
    // Bring a new answer into view (the panel may be scrolled to its inputs).
    let output = NodeRef::<leptos::html::Div>::new();
    Effect::new(move |_| {
        if result.with(|r| r.is_some()) {
            if let Some(el) = output.get_untracked() {
                reveal(&el);
            }
        }
    });
    let server_error = Signal::derive(move || result.get().and_then(|r| r.err()));
    // Field errors by input path; the rest shown above the button.
    let errors_by_path = Memo::new(move |_| {
        let f = fields.get();
        let mut by: BTreeMap<String, String> = local_errors.get().into_iter().collect();
        let mut general = Vec::new();
        if let Some(e) = server_error.get() {
            if e.fields.is_empty() {
                general.push(e.message.clone());
            }
            for fe in &e.fields {
                match error_path(&f, "params", &fe.field, &fe.message) {
                    Some(p) if !json_mode.get() => {
                        by.entry(p).or_insert_with(|| fe.message.clone());
                    }
                    _ => general.push(if fe.field.starts_with("params") {
                        fe.message.clone()
                    } else {
                        format!("{}: {}", fe.field, fe.message)
                    }),
                }
            }
            // jsonschema's wording for a missing input, in plain words.
            for m in by.values_mut() {
                if m.contains("is a required property") {
                    *m = "Required: fill this in.".to_string();
                }
            }
        }
        (by, general)
    });
    let field_errors = Signal::derive(move || errors_by_path.get().0);
    let schema = move || {
        let id = action.get_untracked();
        defs.with_value(|d| d.iter().find(|a| a.id == id).map(|a| a.input_schema.clone()).unwrap_or(Value::Null))
    };

    let assistant_options: Vec<(String, String)> = assistants
        .iter()
        .map(|a| (a.id.clone(), if a.active { a.name.clone() } else { format!("{} (disabled)", a.name) }))
        .collect();
    let mut groups: Vec<(String, Vec<ActionDef>)> = Vec::new();
    for d in actions {
        match groups.last_mut() {
            Some((c, v)) if *c == d.category => v.push(d),
            _ => groups.push((d.category.clone(), vec![d])),
        }
    }
    let action_options = groups
        .into_iter()
        .map(|(category, list)| {
            let label = crate::components::action_settings::category_title(&category);
            let first = first.clone();
            view! {
                <optgroup label=label>
                    {list.into_iter().map(|d| view! { <option value=d.id.clone() selected=d.id == first>{d.name.clone()}</option> }).collect_view()}
                </optgroup>
            }
        })
        .collect_view();
    let description = move || {
        let id = action.get();
        defs.with_value(|d| d.iter().find(|a| a.id == id).map(|a| a.description.clone()).unwrap_or_default())
    };

    view! {
        <section class="card try-it" id="try-it" aria-labelledby="try-it-title" data-testid="try-it">
            <h2 id="try-it-title">"Try it"</h2>
            <p class="muted try-intro">
                "See what Mandate would answer an assistant asking for an action right now, with these settings. Nothing is carried out or recorded."
            </p>
            <form class="form try-form" on:submit=submit novalidate=true>
                <SelectField
                    id="try-assistant"
                    label="Assistant"
                    testid="try-assistant".to_string()
                    value=assistant
                    options=assistant_options
                    placeholder="None: the store's settings only"
                />
                <SelectField
                    id="try-action"
                    label="Action"
                    testid="try-action".to_string()
                    value=action
                    hint=Signal::derive(description)
                    on_change=Callback::new(move |_: String| {
                        local_errors.set(Vec::new());
                        if json_mode.get_untracked() {
                            json_text.set(current_json());
                        }
                    })
                >
                    {action_options}
                </SelectField>
                <label class="checkbox try-json-toggle">
                    <input type="checkbox" data-testid="try-json-toggle" prop:checked=move || json_mode.get() on:change=move |ev| set_json_mode(event_target_checked(&ev))/>
                    " Advanced: write the inputs as JSON"
                </label>
                <fieldset class="try-params">
                    <legend>"Inputs"</legend>
                    {move || {
                        if json_mode.get() {
                            view! {
                                <div class="field">
                                    <label for="try-json">"Inputs as JSON"</label>
                                    <textarea id="try-json" data-testid="try-json" rows="10" class="mono" spellcheck="false" bind:value=json_text></textarea>
                                </div>
                            }
                                .into_any()
                        } else {
                            let f = fields.get();
                            if f.is_empty() {
                                view! { <p class="muted">"This action takes no inputs."</p> }.into_any()
                            } else {
                                view! {
                                    <p class="field-hint">"Fields marked " <span class="req">"*"</span> " are required."</p>
                                    <SchemaForm schema=schema() values errors=field_errors/>
                                }
                                .into_any()
                            }
                        }
                    }}
                </fieldset>
                <div class="field">
                    <label for="try-customer">"Customer (optional)"</label>
                    <input id="try-customer" type="text" data-testid="try-customer" autocomplete="off" bind:value=customer/>
                    <p class="field-hint">"Their id or email: per-customer limits count against it."</p>
                </div>
                {move || {
                    let general = errors_by_path.get().1;
                    (!general.is_empty()).then(|| view! {
                        <div class="banner banner-error" role="alert" data-testid="try-errors">
                            <p>"The inputs need attention:"</p>
                            <ul>{general.into_iter().map(|m| view! { <li>{m}</li> }).collect_view()}</ul>
                        </div>
                    })
                }}
                <div>
                    <Submit label="Try it" busy_label="Asking…" pending=run.pending().into() testid="try-submit" until_hydrated=true/>
                </div>
            </form>
            <div node_ref=output class="try-anchor">
                {move || match result.get() {
                    Some(Ok(d)) => view! { <TryResult decision=d busy=run.pending()/> }.into_any(),
                    _ => ().into_any(),
                }}
            </div>
        </section>
    }
    .into_any()
}

/// Scrolls `el` just into view (`block: "nearest"`), in the browser.
fn reveal(el: &leptos::web_sys::Element) {
    use leptos::wasm_bindgen::{JsCast, JsValue};
    use leptos::web_sys::js_sys::{Function, Object, Reflect};
    let options = Object::new();
    let _ = Reflect::set(&options, &JsValue::from_str("block"), &JsValue::from_str("nearest"));
    if let Ok(f) = Reflect::get(el, &JsValue::from_str("scrollIntoView")) {
        if let Some(f) = f.dyn_ref::<Function>() {
            let _ = f.call1(el, &options);
        }
    }
}
