//! The settings page's **Try it** panel: pick an assistant (or none) and an action, fill the
//! action's inputs (a form built from its JSON Schema: one labelled field per property,
//! nested objects as grouped fields, lists as JSON; or the whole request as JSON), and see
//! what Mandate would answer — allow, confirm or refuse — with the reason and every check
//! of the trace. The answer comes from `policy_try`, the same `decide` enforcement runs;
//! nothing is executed or recorded, so anyone who may see the store may use it.

use crate::api::check::PolicyTry;
use crate::domain::action_settings::AssistantRef;
use crate::domain::catalog::{ActionDef, Level};
use crate::domain::policy::{Decision, Outcome};
use leptos::prelude::*;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

// ---------------------------------------------------------------------------------------
// The form a schema becomes (pure; unit-tested below)

/// How one input is entered.
#[derive(Clone, Debug, PartialEq)]
pub enum ParamKind {
    /// Free text (`long`: a text area).
    Text {
        long: bool,
    },
    /// A number that may also be sent as a string (money): sent as typed text, exactly.
    Decimal,
    Number,
    Integer,
    Boolean,
    Choice(Vec<String>),
    /// A nested object: its fields, grouped.
    Group(Vec<ParamField>),
    /// Lists and anything else: JSON typed by hand.
    Json,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ParamField {
    /// Dotted path inside `params` ("address.city").
    pub path: String,
    pub title: String,
    pub description: String,
    pub required: bool,
    pub kind: ParamKind,
}

fn types_of(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The fields of an object schema, in the schema's order.
pub fn fields_of(schema: &Value, prefix: &str) -> Vec<ParamField> {
    let required: Vec<&str> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(props) = schema.get("properties").and_then(Value::as_object) else { return Vec::new() };
    // Required inputs first, in the schema's `required` order; then the optional ones.
    let mut props: Vec<(&String, &Value)> = props.iter().collect();
    props.sort_by_key(|(name, _)| required.iter().position(|r| r == name).unwrap_or(usize::MAX));
    props
        .into_iter()
        .map(|(name, p)| {
            let path = if prefix.is_empty() { name.clone() } else { format!("{prefix}.{name}") };
            let types = types_of(p);
            let has = |t: &str| types.iter().any(|x| x == t);
            let kind = if let Some(values) = p.get("enum").and_then(Value::as_array) {
                ParamKind::Choice(
                    values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect(),
                )
            } else if has("object") && p.get("properties").is_some() {
                ParamKind::Group(fields_of(p, &path))
            } else if has("string") && (has("number") || has("integer")) {
                ParamKind::Decimal
            } else if has("integer") {
                ParamKind::Integer
            } else if has("number") {
                ParamKind::Number
            } else if has("boolean") {
                ParamKind::Boolean
            } else if has("string") {
                ParamKind::Text { long: p.get("maxLength").and_then(Value::as_u64).is_some_and(|m| m > 300) }
            } else {
                ParamKind::Json
            };
            ParamField {
                title: p.get("title").and_then(Value::as_str).unwrap_or(name).to_string(),
                description: p.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                required: required.contains(&name.as_str()),
                path,
                kind,
            }
        })
        .collect()
}

/// The request's `params` from what was typed: empty fields are left out; integers and plain
/// numbers are sent as numbers when they read as one (else as typed, so the schema names the
/// field); money is sent as the exact text. Err: fields whose JSON does not parse.
pub fn build_params(
    fields: &[ParamField],
    values: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for f in fields {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path).to_string();
        let raw = values.get(&f.path).map(|s| s.trim()).unwrap_or_default();
        let value = match &f.kind {
            ParamKind::Group(children) => match build_params(children, values) {
                Ok(m) if m.is_empty() => None,
                Ok(m) => Some(Value::Object(m)),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            },
            _ if raw.is_empty() => None,
            ParamKind::Text { .. } | ParamKind::Decimal | ParamKind::Choice(_) => Some(Value::String(raw.to_string())),
            ParamKind::Integer => {
                Some(raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.to_string())))
            }
            ParamKind::Number => Some(match serde_json::from_str::<Value>(raw) {
                Ok(n @ Value::Number(_)) => n,
                _ => Value::String(raw.to_string()),
            }),
            ParamKind::Boolean => Some(Value::Bool(raw == "true")),
            ParamKind::Json => match serde_json::from_str::<Value>(raw) {
                Ok(v) => Some(v),
                Err(e) => {
                    errors.push((f.path.clone(), format!("This is not valid JSON: {e}")));
                    None
                }
            },
        };
        if let Some(v) = value {
            out.insert(name, v);
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

/// The reverse: typed values from a JSON object (when leaving the JSON editor).
pub fn values_from(fields: &[ParamField], params: &Value, values: &mut BTreeMap<String, String>) {
    for f in fields {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path);
        let v = params.get(name);
        match (&f.kind, v) {
            (ParamKind::Group(children), Some(obj)) => values_from(children, obj, values),
            (ParamKind::Group(children), None) => values_from(children, &Value::Null, values),
            (_, None | Some(Value::Null)) => {
                values.remove(&f.path);
            }
            (_, Some(Value::String(s))) => {
                values.insert(f.path.clone(), s.clone());
            }
            (_, Some(other)) => {
                values.insert(f.path.clone(), other.to_string());
            }
        }
    }
}

/// A starting example for the JSON editor: every required field with a plausible value.
pub fn example(fields: &[ParamField]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields.iter().filter(|f| f.required) {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path).to_string();
        let v = match &f.kind {
            ParamKind::Group(children) => Value::Object(example(children)),
            ParamKind::Text { .. } if name.contains("order") => Value::String("A-1001".into()),
            ParamKind::Text { .. } if name == "country" => Value::String("DE".into()),
            ParamKind::Text { .. } => Value::String(format!("example {}", f.title.to_lowercase())),
            ParamKind::Decimal => Value::String("10.00".into()),
            ParamKind::Number | ParamKind::Integer => Value::from(1),
            ParamKind::Boolean => Value::Bool(false),
            ParamKind::Choice(c) => Value::String(c.first().cloned().unwrap_or_default()),
            ParamKind::Json => Value::Array(Vec::new()),
        };
        out.insert(name, v);
    }
    out
}

fn all_paths(fields: &[ParamField], out: &mut Vec<String>) {
    for f in fields {
        out.push(f.path.clone());
        if let ParamKind::Group(c) = &f.kind {
            all_paths(c, out);
        }
    }
}

/// Which input a server field error belongs to: `params.amount` → `amount`,
/// `params.address.city` → `address.city`, `params` with "\"order_id\" is a required
/// property" → `order_id`, a plain `amount` (from the decision's amount reading) → `amount`;
/// inside lists, the list's field. None: not about one input.
pub fn error_path(fields: &[ParamField], field: &str, message: &str) -> Option<String> {
    let mut known = Vec::new();
    all_paths(fields, &mut known);
    let mut path = match field.strip_prefix("params") {
        Some("") => String::new(),
        Some(rest) => rest.trim_start_matches('.').to_string(),
        None => field.to_string(),
    };
    if let Some(rest) = message.strip_prefix('"') {
        if let Some((name, tail)) = rest.split_once('"') {
            if tail.trim_start().starts_with("is a required property") {
                path = if path.is_empty() { name.to_string() } else { format!("{path}.{name}") };
            }
        }
    }
    // The longest known field the path is in.
    let mut candidate = path.as_str();
    loop {
        if known.iter().any(|k| k == candidate) {
            return Some(candidate.to_string());
        }
        match candidate.rsplit_once('.') {
            Some((head, _)) => candidate = head,
            None => return None,
        }
    }
}

// ---------------------------------------------------------------------------------------
// The panel

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
    let ready = super::action_settings::hydrated();

    let fields = Memo::new(move |_| {
        let id = action.get();
        defs.with_value(|d| d.iter().find(|a| a.id == id).map(|a| fields_of(&a.input_schema, "")).unwrap_or_default())
    });
    let current_json = move || -> String {
        let f = fields.get_untracked();
        let map = match build_params(&f, &values.get_untracked()) {
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
            match build_params(&fields.get_untracked(), &values.get_untracked()) {
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
                match error_path(&f, &fe.field, &fe.message) {
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
    provide_context(TryCtx { values, errors: errors_by_path });

    let assistant_options = assistants
        .iter()
        .map(|a| {
            let label = if a.active { a.name.clone() } else { format!("{} (disabled)", a.name) };
            view! { <option value=a.id.clone()>{label}</option> }
        })
        .collect_view();
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
            let label = super::action_settings::category_title(&category);
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
                <div class="field">
                    <label for="try-assistant">"Assistant"</label>
                    <select id="try-assistant" data-testid="try-assistant" prop:value=move || assistant.get() on:change=move |ev| assistant.set(event_target_value(&ev))>
                        <option value="" selected=true>"None: the store's settings only"</option>
                        {assistant_options}
                    </select>
                </div>
                <div class="field">
                    <label for="try-action">"Action"</label>
                    <select
                        id="try-action"
                        data-testid="try-action"
                        prop:value=move || action.get()
                        on:change=move |ev| {
                            action.set(event_target_value(&ev));
                            local_errors.set(Vec::new());
                            if json_mode.get_untracked() {
                                json_text.set(current_json());
                            }
                        }
                    >
                        {action_options}
                    </select>
                    <p class="field-hint">{description}</p>
                </div>
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
                                view! { <p class="field-hint">"Fields marked " <span class="req">"*"</span> " are required."</p> <ParamFields fields=f/> }.into_any()
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
                    <button type="submit" class="btn btn-primary" data-testid="try-submit" disabled=move || !ready.get() || run.pending().get()>
                        {move || if run.pending().get() { "Asking…" } else { "Try it" }}
                    </button>
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

#[derive(Clone, Copy)]
struct TryCtx {
    values: RwSignal<BTreeMap<String, String>>,
    errors: Memo<(BTreeMap<String, String>, Vec<String>)>,
}

#[component]
fn ParamFields(fields: Vec<ParamField>) -> impl IntoView {
    fields.into_iter().map(|f| view! { <ParamInput field=f/> }).collect_view().into_any()
}

#[component]
fn ParamInput(field: ParamField) -> impl IntoView {
    let ctx = expect_context::<TryCtx>();
    let path = field.path.clone();
    let id = format!("param-field-{}", path.replace('.', "-"));
    let testid = format!("param-{path}");
    let hint_id = format!("{id}-hint");
    let err_id = format!("{id}-error");
    let message = {
        let path = path.clone();
        Signal::derive(move || ctx.errors.with(|(by, _)| by.get(&path).cloned()))
    };
    let value = {
        let path = path.clone();
        move || ctx.values.with(|v| v.get(&path).cloned().unwrap_or_default())
    };
    let set = {
        let path = path.clone();
        move |v: String| {
            ctx.values.update(|m| {
                m.insert(path.clone(), v);
            })
        }
    };
    let label = view! {
        <label for=id.clone()>
            {field.title.clone()}
            {field.required.then(|| view! { <span class="req" aria-hidden="true">" *"</span><span class="sr-only">" (required)"</span> })}
        </label>
    };
    let hint = (!field.description.is_empty())
        .then(|| view! { <p class="field-hint" id=hint_id.clone()>{field.description.clone()}</p> });
    let error = move || message.get().map(|m| view! { <p class="field-error" id=err_id.clone() role="alert">{m}</p> });
    let invalid = move || message.get().is_some();
    let input = match field.kind.clone() {
        ParamKind::Group(children) => {
            return view! {
                <fieldset class="param-group" data-testid=format!("param-group-{path}")>
                    <legend>
                        {field.title.clone()}
                        {field.required.then(|| view! { <span class="req" aria-hidden="true">" *"</span><span class="sr-only">" (required)"</span> })}
                    </legend>
                    {hint}
                    {move || message.get().map(|m| view! { <p class="field-error" role="alert">{m}</p> })}
                    <ParamFields fields=children/>
                </fieldset>
            }
            .into_any();
        }
        ParamKind::Choice(options) => view! {
            <select id=id.clone() name=testid.clone() data-testid=testid.clone() aria-describedby=hint_id.clone() aria-invalid=move || invalid().to_string() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"—"</option>
                {options.into_iter().map(|o| view! { <option value=o.clone()>{o.clone()}</option> }).collect_view()}
            </select>
        }
        .into_any(),
        ParamKind::Boolean => view! {
            <select id=id.clone() name=testid.clone() data-testid=testid.clone() aria-describedby=hint_id.clone() aria-invalid=move || invalid().to_string() prop:value=value on:change=move |ev| set(event_target_value(&ev))>
                <option value="">"—"</option>
                <option value="true">"Yes"</option>
                <option value="false">"No"</option>
            </select>
        }
        .into_any(),
        ParamKind::Text { long: true } => view! {
            <textarea id=id.clone() name=testid.clone() data-testid=testid.clone() rows="3" aria-describedby=hint_id.clone() aria-invalid=move || invalid().to_string() prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        ParamKind::Json => view! {
            <textarea id=id.clone() name=testid.clone() data-testid=testid.clone() rows="3" class="mono" spellcheck="false" placeholder="[ ]" aria-describedby=hint_id.clone() aria-invalid=move || invalid().to_string() prop:value=value on:input=move |ev| set(event_target_value(&ev))></textarea>
        }
        .into_any(),
        kind => {
            let inputmode = match kind {
                ParamKind::Decimal | ParamKind::Number => "decimal",
                ParamKind::Integer => "numeric",
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
                    aria-describedby=hint_id.clone()
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
            {label}
            {hint}
            {input}
            {error}
        </div>
    }
    .into_any()
}

fn level_label(l: Level) -> &'static str {
    match l {
        Level::Org => "org",
        Level::Store => "store",
        Level::Assistant => "assistant",
    }
}

#[component]
fn TryResult(decision: Decision, busy: Memo<bool>) -> impl IntoView {
    let (verdict, class) = match decision.outcome {
        Outcome::Allow => ("Allowed".to_string(), "try-result outcome-allow"),
        Outcome::Confirm => (
            match decision.confirmation_by {
                Some(by) => format!(
                    "Needs confirmation by {}",
                    if by.as_str() == "customer" { "the customer" } else { "staff" }
                ),
                None => "Needs confirmation".to_string(),
            },
            "try-result outcome-confirm",
        ),
        Outcome::Deny => ("Refused".to_string(), "try-result outcome-deny"),
    };
    let icon = match decision.outcome {
        Outcome::Allow => "✓",
        Outcome::Confirm => "?",
        Outcome::Deny => "✕",
    };
    let steps = decision
        .trace
        .iter()
        .map(|s| {
            let (mark, cls, words) = match (s.passed, s.outcome) {
                (true, _) => ("✓", "step step-passed", "passed"),
                (false, Some(Outcome::Confirm)) => ("?", "step step-confirm", "asks for confirmation"),
                (false, _) => ("✕", "step step-failed", "failed"),
            };
            view! {
                <li class=cls>
                    <span class="step-mark" aria-hidden="true">{mark}</span>
                    <span class="step-body">
                        <code class="step-check">{s.check.clone()}</code>
                        <span class="badge badge-muted step-level">{level_label(s.level)}</span>
                        <span class="sr-only">{format!(" {words}: ")}</span>
                        <span class="step-detail">{s.detail.clone()}</span>
                    </span>
                </li>
            }
        })
        .collect_view();
    view! {
        <div class="try-output" aria-busy=move || busy.get().to_string()>
            <div class=class data-testid="try-outcome" data-outcome=decision.outcome.as_str() role="status" aria-live="polite">
                <span class="try-icon" aria-hidden="true">{icon}</span>
                <div>
                    <p class="try-verdict">{verdict}</p>
                    <p class="try-reason" data-testid="try-reason">{decision.reason.clone()}</p>
                    {decision.code.clone().map(|c| view! { <p class="try-code"><code>{c}</code></p> })}
                </div>
            </div>
            <h3 class="try-trace-title">"How it was decided"</h3>
            <ol class="try-trace" data-testid="try-trace">{steps}</ol>
        </div>
    }
    .into_any()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema() -> Value {
        json!({
            "type": "object",
            "properties": {
                "order_id": {"title": "Order", "type": "string"},
                "amount": {"title": "Amount", "type": ["number", "string"]},
                "count": {"type": "integer"},
                "channel": {"type": "string", "enum": ["email", "sms"]},
                "address": {"title": "Address", "type": "object", "properties": {
                    "city": {"type": "string"}, "line2": {"type": "string"}
                }, "required": ["city"]},
                "items": {"type": "array"}
            },
            "required": ["order_id", "amount", "address"]
        })
    }

    #[test]
    fn schemas_become_fields() {
        let f = fields_of(&schema(), "");
        let paths: Vec<&str> = f.iter().map(|f| f.path.as_str()).collect();
        assert_eq!(&paths[..3], ["order_id", "amount", "address"], "required first, in the schema's order");
        let by = |p: &str| f.iter().find(|f| f.path == p).unwrap();
        assert_eq!((&by("order_id").kind, by("order_id").required), (&ParamKind::Text { long: false }, true));
        assert_eq!(by("order_id").title, "Order");
        assert_eq!(by("amount").kind, ParamKind::Decimal);
        assert_eq!((&by("count").kind, by("count").required), (&ParamKind::Integer, false));
        assert_eq!(by("channel").kind, ParamKind::Choice(vec!["email".into(), "sms".into()]));
        let ParamKind::Group(children) = &by("address").kind else { panic!("address is a group") };
        assert_eq!(children[0].path, "address.city");
        assert!(children[0].required);
        assert_eq!(by("items").kind, ParamKind::Json);
    }

    #[test]
    fn typed_values_become_params_and_back() {
        let f = fields_of(&schema(), "");
        let mut v = BTreeMap::new();
        v.insert("order_id".to_string(), " A-1 ".to_string());
        v.insert("amount".to_string(), "12.50".to_string());
        v.insert("count".to_string(), "3".to_string());
        v.insert("address.city".to_string(), "Berlin".to_string());
        v.insert("address.line2".to_string(), "".to_string());
        let p = Value::Object(build_params(&f, &v).unwrap());
        assert_eq!(p, json!({"order_id": "A-1", "amount": "12.50", "count": 3, "address": {"city": "Berlin"}}));
        let mut back = BTreeMap::new();
        values_from(&f, &p, &mut back);
        assert_eq!(back.get("address.city").map(String::as_str), Some("Berlin"));
        assert_eq!(back.get("count").map(String::as_str), Some("3"));
        v.insert("items".to_string(), "[oops".to_string());
        assert_eq!(build_params(&f, &v).unwrap_err()[0].0, "items");
        v.insert("count".to_string(), "three".to_string());
        v.remove("items");
        assert_eq!(build_params(&f, &v).unwrap()["count"], json!("three"));
    }

    #[test]
    fn server_errors_land_on_their_inputs() {
        let f = fields_of(&schema(), "");
        assert_eq!(error_path(&f, "params.amount", "x").as_deref(), Some("amount"));
        assert_eq!(error_path(&f, "amount", "x").as_deref(), Some("amount"));
        assert_eq!(error_path(&f, "params", "\"order_id\" is a required property").as_deref(), Some("order_id"));
        assert_eq!(
            error_path(&f, "params.address", "\"city\" is a required property").as_deref(),
            Some("address.city")
        );
        assert_eq!(error_path(&f, "params.items.0.sku", "x").as_deref(), Some("items"));
        assert_eq!(error_path(&f, "params", "Additional properties are not allowed").as_deref(), None);
        assert_eq!(error_path(&f, "store_id", "x"), None);
        let ex = Value::Object(example(&f));
        assert_eq!(ex, json!({"order_id": "A-1001", "amount": "10.00", "address": {"city": "example city"}}));
    }
}
