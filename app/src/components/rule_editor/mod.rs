//! The rule editor (`/automation/rules/new`, `/automation/rules/:id`): name, description
//! and store; where the events come from and the trigger, with the fields its events carry;
//! condition rows (a field, a comparison in words, a value); action steps picked from a
//! searchable palette, each with a form built from the action's input schema, an optional
//! name for its outputs, the outputs it may use, and a live preview of its parameters on the
//! sample event; the sample event and the dry run; Save, the version history with Restore,
//! and Delete. What the viewer may not do is not offered (the server checks again).
//!
//! The form's state is signals: a failed save or dry run keeps everything typed, and each
//! field error of the answer (`conditions.1.value`, `actions.0.parameters.body`) is shown
//! next to its input. The pure parts (comparisons in words, values, samples, error routing)
//! are `model`'s.

mod conditions;
pub mod dry_run;
mod history;
pub mod model;
mod palette;
mod steps;

use crate::api::automation::{automation_rule_create, automation_rule_preview, automation_rule_update, RuleEditorData};
use crate::components::form::{hydrated, FieldError, FieldIds, Submit, Switch};
use crate::components::schema_form::{build_object, fields_of, missing_required, values_from};
use crate::domain::catalog::ActionDef;
use crate::domain::rules::{ConditionInput, DryRun, RuleAction, RuleDefinition, RuleInput};
use crate::domain::triggers::{self, MODULE_TYPES};
use crate::domain::AppError;
use leptos::prelude::*;
use model::{route_errors, sample_text, value_of, value_text, RoutedErrors};
use std::collections::BTreeMap;

/// What outlives one load of the editor (a save loads it again): the sample event, the
/// store the dry run decides at, the notice of the last change, and the reload counter.
#[derive(Clone, Copy)]
pub struct EditorPage {
    pub sample: RwSignal<String>,
    /// The sample was typed by hand: changing the trigger keeps it.
    pub sample_edited: RwSignal<bool>,
    pub dry_store: RwSignal<String>,
    pub notice: RwSignal<Option<Result<String, String>>>,
    pub reload: RwSignal<u32>,
}

impl EditorPage {
    pub fn new() -> Self {
        EditorPage {
            sample: RwSignal::new(String::new()),
            sample_edited: RwSignal::new(false),
            dry_store: RwSignal::new(String::new()),
            notice: RwSignal::new(None),
            reload: RwSignal::new(0),
        }
    }
}

impl Default for EditorPage {
    fn default() -> Self {
        Self::new()
    }
}

/// The "field" select's choice for a path that is not one of the trigger's fields.
pub(crate) const OTHER_FIELD: &str = "__other";

/// One condition row.
#[derive(Clone, Copy)]
pub(crate) struct CondRow {
    pub key: u64,
    /// The comparison's key (`value_threshold`).
    pub kind: RwSignal<String>,
    /// A trigger field's name, or `OTHER_FIELD`.
    pub field: RwSignal<String>,
    /// The dotted path typed when `field` is `OTHER_FIELD`.
    pub other: RwSignal<String>,
    pub value: RwSignal<String>,
}

impl CondRow {
    pub fn path(&self) -> String {
        let f = self.field.get_untracked();
        if f == OTHER_FIELD {
            self.other.get_untracked().trim().to_string()
        } else {
            f
        }
    }
}

/// One action step.
#[derive(Clone)]
pub(crate) struct StepRow {
    pub key: u64,
    /// The catalog action's id.
    pub kind: String,
    /// The parameters as typed, by path (the schema form's values).
    pub values: RwSignal<BTreeMap<String, String>>,
    pub save_as: RwSignal<String>,
    /// Problems found before sending (JSON that does not parse, required fields left empty).
    pub local: RwSignal<BTreeMap<String, String>>,
}

/// What the editor's parts share.
#[derive(Clone, Copy)]
pub(crate) struct Ctx {
    pub defs: StoredValue<Vec<ActionDef>>,
    pub module_type: RwSignal<String>,
    pub trigger_id: RwSignal<String>,
    pub conditions: RwSignal<Vec<CondRow>>,
    pub steps: RwSignal<Vec<StepRow>>,
    pub sample: RwSignal<String>,
    /// The last answer's field errors (save or dry run), sorted to their inputs.
    pub errors: Memo<RoutedErrors>,
    /// Clears the last answer's errors (rows moved: its indexes no longer fit).
    pub server_error: RwSignal<Option<AppError>>,
    next_key: StoredValue<u64>,
    owner: StoredValue<Option<Owner>>,
}

impl Ctx {
    pub fn def(&self, id: &str) -> Option<ActionDef> {
        self.defs.with_value(|d| d.iter().find(|a| a.id == id).cloned())
    }

    fn key(&self) -> u64 {
        self.next_key.update_value(|k| *k += 1);
        self.next_key.get_value()
    }

    /// Runs `f` under the editor's owner, so signals made in a click handler belong to it.
    fn owned<T>(&self, f: impl FnOnce() -> T) -> T {
        match self.owner.get_value() {
            Some(o) => o.with(f),
            None => f(),
        }
    }

    pub fn new_condition(&self, kind: &str, field: &str, value: &serde_json::Value) -> CondRow {
        let key = self.key();
        let trigger = triggers::find(&self.trigger_id.get_untracked());
        let (field, other) = match (field, trigger) {
            ("", _) if kind == "value_threshold" => ("value".to_string(), String::new()),
            (f, Some(t)) if t.fields().any(|x| x.name == f) => (f.to_string(), String::new()),
            ("", _) => (String::new(), String::new()),
            (f, _) => (OTHER_FIELD.to_string(), f.to_string()),
        };
        self.owned(|| CondRow {
            key,
            kind: RwSignal::new(kind.to_string()),
            field: RwSignal::new(field),
            other: RwSignal::new(other),
            value: RwSignal::new(value_text(value)),
        })
    }

    pub fn new_step(&self, action: &RuleAction) -> StepRow {
        let key = self.key();
        let mut values = BTreeMap::new();
        if let Some(def) = self.def(&action.kind) {
            values_from(&fields_of(&def.input_schema, ""), &action.parameters, &mut values);
        }
        self.owned(|| StepRow {
            key,
            kind: action.kind.clone(),
            values: RwSignal::new(values),
            save_as: RwSignal::new(action.save_as.clone().unwrap_or_default()),
            local: RwSignal::new(BTreeMap::new()),
        })
    }

    /// The steps as rule actions from what is typed so far (fields that do not parse left
    /// out), for the outputs each step may use and the live preview.
    pub fn actions_now(&self) -> Vec<RuleAction> {
        self.steps.with(|steps| {
            steps
                .iter()
                .map(|s| {
                    let parameters = self
                        .def(&s.kind)
                        .map(|d| {
                            let fields = fields_of(&d.input_schema, "");
                            s.values.with(|v| build_object(&fields, v).unwrap_or_default())
                        })
                        .unwrap_or_default();
                    let save_as = s.save_as.get();
                    RuleAction {
                        kind: s.kind.clone(),
                        parameters: serde_json::Value::Object(parameters),
                        save_as: (!save_as.trim().is_empty()).then(|| save_as.trim().to_string()),
                    }
                })
                .collect()
        })
    }
}

/// The editor. `data` is what the server sent; `page` what survives a reload.
#[component]
pub fn RuleEditor(data: RuleEditorData, page: EditorPage) -> impl IntoView {
    let can_save = data.can_save();
    let is_new = data.rule.is_none();
    let rule = data.rule.clone();
    let rule_id = StoredValue::new(rule.as_ref().map(|r| r.id.clone()));
    let d: Option<RuleDefinition> = rule.as_ref().map(|r| r.definition.clone());
    let first_trigger = triggers::TRIGGERS[0];
    let name = RwSignal::new(d.as_ref().map(|d| d.name.clone()).unwrap_or_default());
    let description = RwSignal::new(d.as_ref().map(|d| d.description.clone()).unwrap_or_default());
    let store = RwSignal::new(d.as_ref().and_then(|d| d.store_id.clone()).unwrap_or_else(|| default_store(&data)));
    let module_type =
        RwSignal::new(d.as_ref().map(|d| d.module_type.clone()).unwrap_or_else(|| first_trigger.module_type.into()));
    let trigger_id = RwSignal::new(d.as_ref().map(|d| d.trigger_id.clone()).unwrap_or_else(|| first_trigger.id.into()));
    let is_active = RwSignal::new(d.as_ref().map(|d| d.is_active).unwrap_or(true));
    let server_error = RwSignal::new(None::<AppError>);
    let errors =
        Memo::new(move |_| server_error.with(|e| e.as_ref().map(|e| route_errors(&e.fields)).unwrap_or_default()));
    let ctx = Ctx {
        defs: StoredValue::new(data.actions.clone()),
        module_type,
        trigger_id,
        conditions: RwSignal::new(Vec::new()),
        steps: RwSignal::new(Vec::new()),
        sample: page.sample,
        errors,
        server_error,
        next_key: StoredValue::new(0),
        owner: StoredValue::new(Owner::current()),
    };
    provide_context(ctx);
    if let Some(d) = &d {
        let conds: Vec<CondRow> =
            d.conditions.iter().map(|c| ctx.new_condition(c.kind.key(), &c.field, &c.value)).collect();
        ctx.conditions.set(conds);
        let steps: Vec<StepRow> = d.actions.iter().map(|a| ctx.new_step(a)).collect();
        ctx.steps.set(steps);
    }
    // The sample event: the trigger's example unless typed by hand.
    if page.sample.get_untracked().trim().is_empty() || !page.sample_edited.get_untracked() {
        set_sample(page, &trigger_id.get_untracked());
    }

    // Save: create, or update as the next version; then the page loads the rule again.
    let save = Action::new(move |input: &RuleInput| {
        let input = input.clone();
        let id = rule_id.get_value();
        async move {
            match id {
                Some(id) => automation_rule_update(id, input).await,
                None => automation_rule_create(input).await,
            }
        }
    });
    let navigate = leptos_router::hooks::use_navigate();
    Effect::new(move |_| match save.value().get() {
        Some(Ok(r)) => {
            server_error.set(None);
            let created = rule_id.get_value().is_none();
            page.notice.set(Some(Ok(if created {
                format!("\u{201c}{}\u{201d} is saved as version 1.", r.definition.name)
            } else {
                format!("\u{201c}{}\u{201d} is saved as version {}.", r.definition.name, r.version)
            })));
            if created {
                navigate(&format!("/automation/rules/{}", r.id), Default::default());
            } else {
                page.reload.update(|n| *n += 1);
            }
        }
        Some(Err(e)) => server_error.set(Some(e)),
        None => {}
    });
    let dry = Action::new(move |(input, payload, store): &(RuleInput, String, Option<String>)| {
        let (input, payload, store) = (input.clone(), payload.clone(), store.clone());
        async move { automation_rule_preview(input, payload, store).await }
    });
    let dry_result = RwSignal::new(None::<DryRun>);
    Effect::new(move |_| match dry.value().get() {
        Some(Ok(r)) => {
            server_error.set(None);
            dry_result.set(Some(r));
        }
        Some(Err(e)) => {
            dry_result.set(None);
            server_error.set(Some(e));
        }
        None => {}
    });

    // The whole definition from the form, or None with each problem shown at its input.
    let build = move || -> Option<RuleInput> {
        let mut ok = true;
        let mut actions = Vec::new();
        for s in ctx.steps.get_untracked() {
            let Some(def) = ctx.def(&s.kind) else { continue };
            let fields = fields_of(&def.input_schema, "");
            let values = s.values.get_untracked();
            let mut local: BTreeMap<String, String> = missing_required(&fields, &values).into_iter().collect();
            let parameters = match build_object(&fields, &values) {
                Ok(p) => p,
                Err(e) => {
                    local.extend(e);
                    Default::default()
                }
            };
            ok &= local.is_empty();
            s.local.set(local);
            let save_as = s.save_as.get_untracked().trim().to_string();
            actions.push(RuleAction {
                kind: s.kind.clone(),
                parameters: serde_json::Value::Object(parameters),
                save_as: (!save_as.is_empty()).then_some(save_as),
            });
        }
        if !ok {
            server_error.set(Some(AppError::validation(
                "Some inputs of the actions need attention: each is marked at its input.",
            )));
            return None;
        }
        let conditions = ctx
            .conditions
            .get_untracked()
            .iter()
            .map(|c| {
                let kind = c.kind.get_untracked();
                let value = crate::domain::automation::ConditionType::from_key(&kind)
                    .map(|k| value_of(k, &c.value.get_untracked()))
                    .unwrap_or(serde_json::Value::Null);
                ConditionInput { kind, field: c.path(), value }
            })
            .collect();
        let store_id = store.get_untracked();
        Some(RuleInput {
            name: Some(name.get_untracked()),
            description: Some(description.get_untracked()),
            module_type: Some(module_type.get_untracked()),
            trigger_id: Some(trigger_id.get_untracked()),
            store_id: Some((!store_id.is_empty()).then_some(store_id)),
            conditions: Some(conditions),
            actions: Some(actions),
            is_active: Some(is_active.get_untracked()),
        })
    };
    let on_save = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        page.notice.set(None);
        if let Some(input) = build() {
            save.dispatch(input);
        }
    };
    let on_dry_run = Callback::new(move |_: ()| {
        if let Some(input) = build() {
            let s = store.get_untracked();
            let decide_at = if s.is_empty() { page.dry_store.get_untracked() } else { s };
            dry.dispatch((input, page.sample.get_untracked(), (!decide_at.is_empty()).then_some(decide_at)));
        }
    });

    let top = move |name: &'static str| Signal::derive(move || errors.with(|e| e.top.get(name).cloned()));
    let problem_count = move || {
        server_error.with(|e| match e {
            Some(e) if !e.fields.is_empty() => Some(e.fields.len()),
            _ => None,
        })
    };
    let general = move || {
        let e = server_error.get()?;
        let mut lines = errors.with(|r| r.general.clone());
        if e.fields.is_empty() {
            lines.push(e.message.clone());
        }
        (!lines.is_empty()).then_some(lines)
    };
    let store_options = store_options(
        &data,
        rule.as_ref().and_then(|r| r.definition.store_id.clone().map(|s| (s, r.store_name.clone()))),
        can_save,
    );
    let visible_stores: Vec<(String, String)> = data.stores.iter().map(|s| (s.id.clone(), s.name.clone())).collect();
    if page.dry_store.get_untracked().is_empty() {
        if let Some((id, _)) = visible_stores.first() {
            page.dry_store.set(id.clone());
        }
    }
    let versions = data.versions.clone();
    let busy = Signal::derive(move || save.pending().get());
    let ready = hydrated();
    let title = rule.as_ref().map(|r| r.definition.name.clone()).unwrap_or_else(|| "New rule".into());

    view! {
        {(!can_save).then(|| view! {
            <div class="banner banner-info" role="note" data-testid="rule-read-only">
                {if is_new {
                    "You can try a rule on a sample event here, but not save one: creating rules needs the rules.manage permission."
                } else {
                    "You can see this rule and try it on a sample event, but not change it: that needs the rules.manage permission for its store."
                }}
            </div>
        })}
        <form class="rule-editor" on:submit=on_save novalidate=true aria-label=format!("Rule: {title}")>
            <section class="card editor-section" aria-labelledby="rule-about">
                <h2 id="rule-about">"About the rule"</h2>
                <TextInput id="rule-name" label="Name" value=name error=top("name") testid="rule-name" hint=None/>
                <TextInput id="rule-description" label="Description (optional)" value=description error=top("description") testid="rule-description" long=true hint=Some("What the rule is for, for the people who read it later.")/>
                <StoreSelect store options=store_options error=top("store_id")/>
                <div class="field">
                    <Switch
                        id="rule-active"
                        label="Switched on"
                        testid="rule-active"
                        checked=is_active
                        disabled=Signal::derive(move || !ready.get())
                        described_by="rule-active-hint"
                        on_toggle=Callback::new(move |on| is_active.set(on))
                    />
                    <p class="field-hint" id="rule-active-hint">"A switched-off rule keeps its settings but does not run on new events."</p>
                </div>
            </section>

            <TriggerSection page error_module=top("module_type") error_trigger=top("trigger_id")/>
            <conditions::ConditionsSection error=top("conditions")/>
            <steps::StepsSection error=top("actions")/>

            <section class="card editor-section" aria-labelledby="rule-test">
                <h2 id="rule-test">"Try it on a sample event"</h2>
                <p class="muted">
                    "A dry run checks the conditions on the sample, fills in each action's inputs and shows what Mandate would decide for it now. Nothing is carried out or recorded."
                </p>
                <SampleInput page error=top("payload")/>
                {move || store.get().is_empty().then(|| {
                    let options = visible_stores.clone();
                    view! {
                        <crate::components::form::SelectField
                            id="dry-store"
                            label="Decide as if the event came from"
                            testid="dry-store".to_string()
                            value=page.dry_store
                            options=options
                            hint=Signal::derive(|| "The rule runs for every store: each store's own settings decide its actions.".to_string())
                        />
                    }
                })}
                <div class="editor-actions">
                    <button
                        type="button"
                        class="btn"
                        data-testid="dry-run"
                        disabled=move || !ready.get() || dry.pending().get()
                        aria-busy=move || dry.pending().get().to_string()
                        on:click=move |_| on_dry_run.run(())
                    >
                        {move || if dry.pending().get() { "Running…" } else { "Dry run" }}
                    </button>
                </div>
                {move || dry_result.get().map(|r| view! { <dry_run::DryRunResult r/> })}
            </section>

            {move || problem_count().map(|n| view! {
                <div class="banner banner-error" role="alert" data-testid="rule-errors">
                    {if n == 1 { "One input needs attention: it is marked above.".to_string() } else { format!("{n} inputs need attention: each is marked above.") }}
                </div>
            })}
            {move || general().map(|lines| view! {
                <div class="banner banner-error" role="alert" data-testid="rule-error">
                    <ul class="plain-list">{lines.into_iter().map(|l| view! { <li>{l}</li> }).collect_view()}</ul>
                </div>
            })}
            {can_save.then(|| view! {
                <div class="editor-save">
                    <Submit label="Save rule" busy_label="Saving…" pending=busy testid="rule-save" until_hydrated=true/>
                    <a class="btn btn-ghost" href="/automation">"Back to the rules"</a>
                </div>
            })}
        </form>
        {rule.map(|r| {
            let r2 = r.clone();
            view! {
                <history::History rule_id=r.id.clone() versions can_restore=can_save page/>
                {can_save.then(|| view! { <history::DeleteRule id=r2.id.clone() name=r2.definition.name.clone()/> })}
            }
        })}
    }
    .into_any()
}

/// Where a new rule goes by default: every store when allowed, else the first store the
/// viewer manages rules at.
fn default_store(data: &RuleEditorData) -> String {
    if data.all_stores_allowed {
        return String::new();
    }
    data.stores.iter().find(|s| s.can_manage).map(|s| s.id.clone()).unwrap_or_default()
}

/// The store picker's options: "All stores" and the stores, those the viewer may use (or,
/// read-only, all they see), with the rule's own store always among them.
fn store_options(
    data: &RuleEditorData,
    current: Option<(String, Option<String>)>,
    can_save: bool,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if data.all_stores_allowed || !can_save || data.rule.as_ref().is_some_and(|r| r.definition.store_id.is_none()) {
        out.push((String::new(), "All stores".to_string()));
    }
    for s in &data.stores {
        if s.can_manage || !can_save {
            out.push((s.id.clone(), s.name.clone()));
        }
    }
    if let Some((id, name)) = current {
        if !out.iter().any(|(i, _)| *i == id) {
            out.push((id.clone(), name.unwrap_or(id)));
        }
    }
    out
}

/// Replaces the sample event with the trigger's example.
pub(crate) fn set_sample(page: EditorPage, trigger_id: &str) {
    if let Some(t) = triggers::find(trigger_id) {
        page.sample.set(sample_text(t));
        page.sample_edited.set(false);
    }
}

#[component]
fn TextInput(
    id: &'static str,
    label: &'static str,
    value: RwSignal<String>,
    error: Signal<Option<String>>,
    testid: &'static str,
    hint: Option<&'static str>,
    #[prop(optional)] long: bool,
) -> impl IntoView {
    let ids = FieldIds::new(id);
    let described = {
        let ids = ids.clone();
        move || Some(ids.described_by(hint.is_some(), error.get().is_some())).filter(|d| !d.is_empty())
    };
    let invalid = move || error.get().is_some();
    let input = if long {
        view! {
            <textarea id=id data-testid=testid rows="2" aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))></textarea>
        }
        .into_any()
    } else {
        view! {
            <input id=id type="text" data-testid=testid autocomplete="off" aria-describedby=described aria-invalid=move || invalid().to_string() prop:value=move || value.get() on:input=move |ev| value.set(event_target_value(&ev))/>
        }
        .into_any()
    };
    view! {
        <div class="field" class:field-invalid=invalid>
            <label for=id>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=ids.hint.clone()>{h}</p> })}
            {input}
            <FieldError id=ids.error.clone() message=error/>
        </div>
    }
}

#[component]
fn StoreSelect(
    store: RwSignal<String>,
    options: Vec<(String, String)>,
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <crate::components::form::SelectField
            id="rule-store"
            label="Store"
            testid="rule-store".to_string()
            value=store
            options=options
            error=error
            hint=Signal::derive(|| "All stores: events of any store run the rule, each decided by that store's settings.".to_string())
        />
    }
}

/// The module type in words.
pub fn module_words(module_type: &str) -> &'static str {
    match module_type {
        "crm" => "CRM: contacts and leads",
        "sales" => "Sales: opportunities and deals",
        "store" => "Store: orders and customers",
        _ => "Other",
    }
}

#[component]
fn TriggerSection(
    page: EditorPage,
    error_module: Signal<Option<String>>,
    error_trigger: Signal<Option<String>>,
) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let (module_type, trigger_id) = (ctx.module_type, ctx.trigger_id);
    let modules: Vec<(String, String)> =
        MODULE_TYPES.iter().map(|m| (m.to_string(), module_words(m).to_string())).collect();
    let trigger_options = Signal::derive(move || {
        triggers::list(Some(&module_type.get()))
            .into_iter()
            .map(|t| (t.id.to_string(), t.name.to_string()))
            .collect::<Vec<_>>()
    });
    let change_trigger = move |id: String| {
        if !page.sample_edited.get_untracked() {
            set_sample(page, &id);
        }
    };
    let trigger = Memo::new(move |_| triggers::find(&trigger_id.get()).copied());
    view! {
        <section class="card editor-section" aria-labelledby="rule-when">
            <h2 id="rule-when">"When"</h2>
            <div class="form-row">
                <crate::components::form::SelectField
                    id="rule-module"
                    label="Events from"
                    testid="rule-module".to_string()
                    value=module_type
                    options=modules
                    error=error_module
                    on_change=Callback::new(move |m: String| {
                        if triggers::find(&trigger_id.get_untracked()).is_none_or(|t| t.module_type != m) {
                            let first = triggers::list(Some(&m)).first().map(|t| t.id.to_string()).unwrap_or_default();
                            trigger_id.set(first.clone());
                            change_trigger(first);
                        }
                    })
                />
                <crate::components::form::SelectField
                    id="rule-trigger"
                    label="Trigger"
                    testid="rule-trigger".to_string()
                    value=trigger_id
                    options=trigger_options
                    error=error_trigger
                    hint=Signal::derive(move || trigger.get().map(|t| t.description.replace('`', "")).unwrap_or_default())
                    on_change=Callback::new(change_trigger)
                />
            </div>
            {move || trigger.get().map(|t| view! {
                <details class="trigger-fields" data-testid="trigger-fields" open=true>
                    <summary>{format!("What a \u{201c}{}\u{201d} event carries", t.name)}</summary>
                    <p class="muted small">"Use these in conditions, and in any text of an action as {{name}}."</p>
                    <dl class="kv field-list">
                        {t.fields().map(|f| view! {
                            <dt><code>{format!("{{{{{}}}}}", f.name)}</code></dt>
                            <dd>{f.description}</dd>
                        }).collect_view()}
                    </dl>
                </details>
            })}
        </section>
    }
}

#[component]
fn SampleInput(page: EditorPage, error: Signal<Option<String>>) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let ids = FieldIds::new("rule-sample");
    let parse_error = Memo::new(move |_| {
        page.sample.with(|s| match serde_json::from_str::<serde_json::Value>(s) {
            Ok(v) if v.is_object() => None,
            Ok(_) => Some("Give the sample event as an object of fields, like { \"value\": 150000 }.".to_string()),
            Err(e) => Some(format!("This is not valid JSON yet: {e}")),
        })
    });
    // Checked when the field is left (or a dry run answers), not at every keystroke: a
    // half-typed object is not yet a mistake worth announcing.
    let left = RwSignal::new(false);
    let message = Signal::derive(move || error.get().or_else(|| parse_error.get().filter(|_| left.get())));
    let described = {
        let ids = ids.clone();
        move || ids.described_by(true, message.get().is_some())
    };
    let ready = hydrated();
    view! {
        <div class="field" class:field-invalid=move || message.get().is_some()>
            <label for="rule-sample">"Sample event"</label>
            <p class="field-hint" id=ids.hint.clone()>"The event's fields as JSON. The previews above and the dry run use it."</p>
            <textarea
                id="rule-sample"
                data-testid="rule-sample"
                class="mono"
                rows="8"
                spellcheck="false"
                aria-describedby=described
                aria-invalid=move || message.get().is_some().to_string()
                prop:value=move || page.sample.get()
                on:input=move |ev| {
                    page.sample.set(event_target_value(&ev));
                    page.sample_edited.set(true);
                    left.set(false);
                }
                on:blur=move |_| left.set(true)
            ></textarea>
            <FieldError id=ids.error.clone() message/>
            <button type="button" class="btn btn-small" data-testid="sample-reset" disabled=move || !ready.get() on:click=move |_| set_sample(page, &ctx.trigger_id.get_untracked())>
                "Use the trigger's example"
            </button>
        </div>
    }
}
