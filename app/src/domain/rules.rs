//! Automation rules as people and integrations write them (§2 Automation, §4 automation
//! paths): the definition (`RuleDefinition`: trigger, conditions, action steps with their
//! templated parameters and `save_as` outputs), its validation against the triggers and the
//! action catalog, and what runs and dry runs record. Pure: the services store rules, run
//! them through `decide` and keep their history.
//!
//! A step's outputs are the catalog action's output schema; a step saving them as `ticket`
//! offers `{{vars.ticket.<field>}}` to the steps after it. When an output has exactly one
//! `<thing>_id` field it is also offered as `id` (`{{vars.ticket.id}}` = `ticket_id`).

use super::automation::{evaluate_all, render_parameters, Condition, ConditionResult, ConditionType};
use super::catalog::ActionDef;
use super::error::{AppError, FieldError, Validator};
use super::triggers::{self, check_templates, TriggerDef, MODULE_TYPES};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// At most this many steps in one rule.
pub const MAX_STEPS: usize = 20;
/// At most this many conditions in one rule.
pub const MAX_CONDITIONS: usize = 50;
/// Events caused by rule actions are followed this many levels deep; deeper ones are dropped.
pub const MAX_DEPTH: i32 = 3;
/// A rule whose runs fail this many times in a row is paused and its owner told.
pub const PAUSE_AFTER_FAILURES: i32 = 5;

/// One step of a rule: a catalog action with templated parameters; `save_as` names its
/// outputs for later steps.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleAction {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default = "empty_object")]
    pub parameters: Value,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
}

fn empty_object() -> Value {
    Value::Object(Map::new())
}

/// A condition as sent: its type is checked (and named in the error) rather than refused
/// by the JSON reader.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConditionInput {
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

/// `POST /automation/rules` and `PUT /automation/rules/{id}`: every field optional on
/// update (what is left out stays); create needs name, module type, trigger and actions.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub module_type: Option<String>,
    #[serde(default)]
    pub trigger_id: Option<String>,
    /// Absent: unchanged; null or "": every store of the org.
    #[serde(default, deserialize_with = "super::patch::present")]
    pub store_id: Option<Option<String>>,
    #[serde(default)]
    pub conditions: Option<Vec<ConditionInput>>,
    #[serde(default)]
    pub actions: Option<Vec<RuleAction>>,
    #[serde(default)]
    pub is_active: Option<bool>,
}

/// A rule's whole definition: what is stored, versioned, exported and run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleDefinition {
    pub name: String,
    pub description: String,
    pub module_type: String,
    pub trigger_id: String,
    pub store_id: Option<String>,
    pub conditions: Vec<Condition>,
    pub actions: Vec<RuleAction>,
    pub is_active: bool,
}

/// A catalog action's outputs, as the editor offers them to later steps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputField {
    pub name: String,
    pub title: String,
    pub description: String,
}

/// The fields of an action's output schema (plus `id` when exactly one `<thing>_id` field
/// exists, see the module doc).
pub fn output_fields(def: &ActionDef) -> Vec<OutputField> {
    let mut out: Vec<OutputField> = def
        .output_schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|props| {
            props
                .iter()
                .map(|(name, s)| OutputField {
                    name: name.clone(),
                    title: s.get("title").and_then(Value::as_str).unwrap_or(name).to_string(),
                    description: s.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                })
                .collect()
        })
        .unwrap_or_default();
    if let Some(id_field) = id_alias(def) {
        if out.iter().all(|f| f.name != "id") {
            out.push(OutputField {
                name: "id".into(),
                title: "Id".into(),
                description: format!("The same as {id_field}."),
            });
        }
    }
    out
}

/// The one `<thing>_id` output field, when there is exactly one.
fn id_alias(def: &ActionDef) -> Option<String> {
    let props = def.output_schema.get("properties")?.as_object()?;
    let ids: Vec<&String> = props.keys().filter(|k| k.ends_with("_id")).collect();
    match ids.as_slice() {
        [one] => Some((*one).clone()),
        _ => None,
    }
}

/// What a step's outputs become in `vars`: the executor's answer, with `id` added as the
/// alias `output_fields` offers.
pub fn saved_outputs(def: &ActionDef, output: &Value) -> Value {
    let mut out = output.clone();
    if let (Some(field), Value::Object(m)) = (id_alias(def), &mut out) {
        if !m.contains_key("id") {
            if let Some(v) = m.get(&field).cloned() {
                m.insert("id".into(), v);
            }
        }
    }
    out
}

fn valid_save_as(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && name.len() <= 40
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

impl RuleInput {
    /// The definition this input makes: over `current` for an update, from scratch for a
    /// create (then name, module type, trigger and actions are required). Every problem is
    /// a field error naming where it is (`conditions.0.type`, `actions.1.parameters.body`).
    pub fn resolve<'a>(
        self,
        current: Option<&RuleDefinition>,
        action: impl Fn(&str) -> Option<&'a ActionDef>,
    ) -> Result<RuleDefinition, AppError> {
        let mut v = Validator::new();
        let text = |new: Option<String>, old: Option<&String>| new.or_else(|| old.cloned()).unwrap_or_default();
        let name = text(self.name, current.map(|c| &c.name)).trim().to_string();
        let description = text(self.description, current.map(|c| &c.description)).trim().to_string();
        let module_type = text(self.module_type, current.map(|c| &c.module_type)).trim().to_string();
        let trigger_id = text(self.trigger_id, current.map(|c| &c.trigger_id)).trim().to_string();
        let store_id = match self.store_id {
            Some(s) => s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()),
            None => current.and_then(|c| c.store_id.clone()),
        };
        v.check(!name.is_empty(), "name", "Give the rule a name.");
        v.check(name.chars().count() <= 200, "name", "Keep the name to 200 characters.");
        v.check(description.chars().count() <= 2000, "description", "Keep the description to 2,000 characters.");
        v.check(
            MODULE_TYPES.contains(&module_type.as_str()),
            "module_type",
            format!("Choose where the events come from: {}.", MODULE_TYPES.join(", ")),
        );
        let trigger = triggers::find(&trigger_id);
        match trigger {
            None if trigger_id.is_empty() => {
                v.check(false, "trigger_id", "Choose the trigger the rule listens for.");
            }
            None => {
                v.check(false, "trigger_id", format!("There is no trigger \"{trigger_id}\"."));
            }
            Some(t) if MODULE_TYPES.contains(&module_type.as_str()) && t.module_type != module_type => {
                v.check(
                    false,
                    "trigger_id",
                    format!("\"{}\" is a {} trigger, not a {module_type} one.", t.name, t.module_type),
                );
            }
            Some(_) => {}
        }
        let conditions = match self.conditions {
            Some(list) => conditions_of(list, trigger, &mut v),
            None => current.map(|c| c.conditions.clone()).unwrap_or_default(),
        };
        let actions = self.actions.or_else(|| current.map(|c| c.actions.clone())).unwrap_or_default();
        check_actions(&actions, trigger, &action, &mut v);
        let is_active = self.is_active.or(current.map(|c| c.is_active)).unwrap_or(true);
        v.finish()?;
        Ok(RuleDefinition { name, description, module_type, trigger_id, store_id, conditions, actions, is_active })
    }
}

fn conditions_of(list: Vec<ConditionInput>, trigger: Option<&TriggerDef>, v: &mut Validator) -> Vec<Condition> {
    v.check(list.len() <= MAX_CONDITIONS, "conditions", format!("Use at most {MAX_CONDITIONS} conditions."));
    let mut out = Vec::new();
    for (i, c) in list.into_iter().enumerate() {
        let Some(kind) = ConditionType::from_key(c.kind.trim()) else {
            let known: Vec<&str> = ConditionType::ALL.iter().map(|k| k.key()).collect();
            v.check(
                false,
                &format!("conditions.{i}.type"),
                format!("\"{}\" is not a condition type; use one of {}.", c.kind, known.join(", ")),
            );
            continue;
        };
        let field = c.field.trim().to_string();
        let needs_field = kind != ConditionType::ValueThreshold;
        if needs_field && field.is_empty() {
            v.check(false, &format!("conditions.{i}.field"), "Say which field of the event to look at.");
        } else if let (Some(t), false) = (trigger, field.is_empty()) {
            v.check(
                t.carries(&field),
                &format!("conditions.{i}.field"),
                format!("\"{}\" events carry no field \"{field}\".", t.name),
            );
        } else if let (Some(t), true) = (trigger, field.is_empty()) {
            v.check(
                t.carries("value"),
                &format!("conditions.{i}.field"),
                format!("\"{}\" events carry no value: name the amount field to compare.", t.name),
            );
        }
        let value_needed = !matches!(kind, ConditionType::Exists);
        v.check(
            !value_needed || !c.value.is_null(),
            &format!("conditions.{i}.value"),
            "Give the value to compare with.",
        );
        out.push(Condition { kind, field, value: c.value });
    }
    out
}

fn check_actions<'a>(
    actions: &[RuleAction],
    trigger: Option<&TriggerDef>,
    action: &impl Fn(&str) -> Option<&'a ActionDef>,
    v: &mut Validator,
) {
    v.check(!actions.is_empty(), "actions", "Add at least one action for the rule to take.");
    v.check(actions.len() <= MAX_STEPS, "actions", format!("Use at most {MAX_STEPS} actions."));
    // Outputs saved by earlier steps: (save_as, the action's output fields).
    let mut saved: Vec<(String, Vec<OutputField>)> = Vec::new();
    for (i, a) in actions.iter().enumerate() {
        let at = format!("actions.{i}");
        let def = action(a.kind.trim());
        if def.is_none() {
            v.check(false, &format!("{at}.type"), format!("\"{}\" is not an action of the catalog.", a.kind));
        }
        if let Some(d) = def.filter(|d| d.executor == "internal") {
            v.check(
                super::secrets::refs_in(&a.parameters).is_empty(),
                &format!("{at}.parameters"),
                format!(
                    "Secrets are only sent to your platform or connector; \"{}\" runs inside Mandate, so its parameters cannot use {{{{secrets.…}}}}.",
                    d.name
                ),
            );
        }
        if !a.parameters.is_object() {
            v.check(false, &format!("{at}.parameters"), "Give the parameters as an object of named values.");
        } else if let Some(t) = trigger {
            let names: Vec<&str> = saved.iter().map(|(n, _)| n.as_str()).collect();
            for e in check_templates(t, &format!("{at}.parameters"), &a.parameters, &names) {
                v.check(false, &e.field, e.message);
            }
            for e in check_output_fields(&format!("{at}.parameters"), &a.parameters, &saved) {
                v.check(false, &e.field, e.message);
            }
        }
        if let Some(name) = &a.save_as {
            let name = name.trim();
            if !valid_save_as(name) {
                v.check(
                    false,
                    &format!("{at}.save_as"),
                    "Name the outputs with lower-case letters, digits and _ (e.g. ticket).",
                );
            } else if saved.iter().any(|(n, _)| n == name) {
                v.check(
                    false,
                    &format!("{at}.save_as"),
                    format!("An earlier step already saves its outputs as {name}."),
                );
            } else {
                saved.push((name.to_string(), def.map(output_fields).unwrap_or_default()));
            }
        }
    }
}

/// `{{vars.<step>.<field>}}` naming a field the step's action does not output.
fn check_output_fields(at: &str, params: &Value, saved: &[(String, Vec<OutputField>)]) -> Vec<FieldError> {
    let mut out = Vec::new();
    walk_strings(params, at.to_string(), &mut |path, s| {
        for name in super::automation::template_fields(s).unwrap_or_default() {
            let Some(rest) = name.strip_prefix("vars.") else { continue };
            let mut parts = rest.split('.');
            let (Some(step), Some(field)) = (parts.next(), parts.next()) else { continue };
            if let Some((_, fields)) = saved.iter().find(|(n, _)| n == step) {
                if !fields.is_empty() && fields.iter().all(|f| f.name != field) {
                    let offered: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
                    out.push(FieldError {
                        field: path.clone(),
                        message: format!("{step} has no output \"{field}\"; it offers {}.", offered.join(", ")),
                    });
                }
            }
        }
    });
    out
}

fn walk_strings(v: &Value, path: String, f: &mut impl FnMut(&String, &str)) {
    match v {
        Value::String(s) => f(&path, s),
        Value::Array(items) => {
            for (i, x) in items.iter().enumerate() {
                walk_strings(x, format!("{path}.{i}"), f);
            }
        }
        Value::Object(m) => {
            for (k, x) in m {
                walk_strings(x, format!("{path}.{k}"), f);
            }
        }
        _ => {}
    }
}

/// The outputs each step can use: for step i, the outputs saved by steps before it.
pub fn outputs_available(actions: &[RuleAction], action: impl Fn(&str) -> Option<ActionDef>) -> Vec<Vec<SavedOutputs>> {
    let mut acc: Vec<SavedOutputs> = Vec::new();
    let mut out = Vec::new();
    for a in actions {
        out.push(acc.clone());
        if let Some(name) = a.save_as.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            let fields = action(a.kind.trim()).map(|d| output_fields(&d)).unwrap_or_default();
            acc.push(SavedOutputs { save_as: name.to_string(), action_type: a.kind.clone(), fields });
        }
    }
    out
}

/// The outputs one earlier step saved, as `{{vars.<save_as>.<field>}}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SavedOutputs {
    pub save_as: String,
    pub action_type: String,
    pub fields: Vec<OutputField>,
}

/// One condition's result in a run or a dry run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionRecord {
    #[serde(rename = "type")]
    pub kind: ConditionType,
    pub field: String,
    pub value: Value,
    #[serde(flatten)]
    pub result: ConditionResult,
}

/// Every condition of a rule on a payload: whether all hold, and each result.
pub fn check_conditions(conditions: &[Condition], payload: &Value) -> (bool, Vec<ConditionRecord>) {
    let (all, results) = evaluate_all(conditions, payload);
    let records = conditions
        .iter()
        .zip(results)
        .map(|(c, result)| ConditionRecord { kind: c.kind, field: c.field.clone(), value: c.value.clone(), result })
        .collect();
    (all, records)
}

/// How a step of a run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StepStatus {
    /// Ran; its outputs are saved.
    Executed,
    /// Allowed, but no executor runs it in Mandate (the connected system must).
    Confirmed,
    /// Waiting for a person's (or the customer's) confirmation: the run waits.
    Pending,
    /// Refused by the store's policy (a recorded denial; the run stops).
    Denied,
    /// The action ran and failed, or could not be asked for (bad template, bad inputs).
    Failed,
    /// The confirmation was refused or ran out; the run stops.
    Cancelled,
}

impl StepStatus {
    /// The step status for an action row's status.
    pub fn from_action_status(status: &str) -> StepStatus {
        match status {
            "executed" => StepStatus::Executed,
            "confirmed" => StepStatus::Confirmed,
            "pending" => StepStatus::Pending,
            "denied" => StepStatus::Denied,
            "cancelled" | "expired" => StepStatus::Cancelled,
            _ => StepStatus::Failed,
        }
    }
}

/// One step of a run: the action asked for, with its parameters as rendered (redacted as
/// the audit trail shows them), and what came of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StepRecord {
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub save_as: Option<String>,
    pub parameters: Value,
    pub status: StepStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decision: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The run's variables: each saved step's outputs under its `save_as`.
pub fn vars_of(steps: &[StepRecord]) -> Map<String, Value> {
    steps
        .iter()
        .filter(|s| s.status == StepStatus::Executed)
        .filter_map(|s| Some((s.save_as.clone()?, s.output.clone()?)))
        .collect()
}

/// A step's parameters rendered from the payload and the run's variables; an error names
/// the parameter and the missing field.
pub fn render_step(a: &RuleAction, payload: &Value, vars: &Map<String, Value>) -> Result<Value, String> {
    render_parameters(&a.parameters, payload, vars).map_err(|(at, e)| {
        if at.is_empty() {
            e.to_string()
        } else {
            format!("{at}: {e}")
        }
    })
}

/// A dry run's rendering of a step: earlier steps did not run, so `{{vars.x.y}}` shows as
/// «output y of step x» and the step cannot be decided yet.
pub fn preview_step(a: &RuleAction, payload: &Value, saved: &[SavedOutputs]) -> (Result<Value, String>, bool) {
    let mut vars = Map::new();
    let mut uses_vars = false;
    walk_strings(&a.parameters, String::new(), &mut |_, s| {
        for name in super::automation::template_fields(s).unwrap_or_default() {
            if name.starts_with("vars.") {
                uses_vars = true;
            }
        }
    });
    for s in saved {
        let fields: Map<String, Value> = s
            .fields
            .iter()
            .map(|f| (f.name.clone(), Value::String(format!("\u{ab}{} of step {}\u{bb}", f.name, s.save_as))))
            .collect();
        vars.insert(s.save_as.clone(), Value::Object(fields));
    }
    (render_step(a, payload, &vars), uses_vars)
}

/// Field errors of a rule definition's dry-run sample: it must be an object.
pub fn check_sample(sample: &Value) -> Result<(), AppError> {
    if sample.is_object() {
        Ok(())
    } else {
        Err(AppError::invalid_fields(vec![FieldError {
            field: "payload".into(),
            message: "Give the sample event as an object of fields, like the trigger's.".into(),
        }]))
    }
}

/// What changed between two definitions, field by field, for the version history.
pub fn diff(before: &RuleDefinition, after: &RuleDefinition) -> Vec<String> {
    let b = serde_json::to_value(before).unwrap_or(Value::Null);
    let a = serde_json::to_value(after).unwrap_or(Value::Null);
    let mut out = Vec::new();
    if let (Value::Object(bm), Value::Object(am)) = (&b, &a) {
        for (k, av) in am {
            if bm.get(k) != Some(av) {
                out.push(k.clone());
            }
        }
    }
    out
}

/// A rule as the API and pages show it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RuleView {
    pub id: String,
    #[serde(flatten)]
    pub definition: RuleDefinition,
    /// The trigger's name in plain words ("High-value opportunity").
    pub trigger_name: String,
    /// The store's name, when the rule is for one store.
    pub store_name: Option<String>,
    pub version: i32,
    pub consecutive_failures: i32,
    /// Why the rule was switched off by Mandate (after failing too often), if it was.
    pub paused_reason: Option<String>,
    pub last_run: Option<RunSummary>,
    pub created_at: String,
    pub updated_at: String,
    /// Whether the viewer may change it (`rules.manage` at its store or the org).
    pub can_manage: bool,
}

/// A run in one line: for the rules list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RunSummary {
    pub id: String,
    pub status: String,
    pub at: String,
}

/// One saved version of a rule, with what changed from the one before.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionView {
    pub version: i32,
    pub definition: RuleDefinition,
    pub changed_by: String,
    pub note: String,
    /// The top-level fields that differ from the version before (empty for the first).
    pub changed: Vec<String>,
    pub created_at: String,
}

/// One run of a rule on an event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RunView {
    pub id: String,
    pub event_id: String,
    pub rule_id: String,
    pub rule_name: String,
    pub rule_version: i32,
    pub store_id: Option<String>,
    pub trigger_id: String,
    /// running | skipped | succeeded | failed | waiting | cancelled
    pub status: String,
    pub conditions: Vec<ConditionRecord>,
    pub steps: Vec<StepRecord>,
    pub error: Option<String>,
    /// While waiting: the action a person must confirm.
    pub waiting_action_id: Option<String>,
    pub created_at: String,
    pub finished_at: Option<String>,
}

/// An event as received and what came of it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventView {
    pub id: String,
    pub trigger_id: String,
    pub store_id: Option<String>,
    pub payload: Value,
    /// How many rule actions led to it (0: it came from outside).
    pub depth: i32,
    /// queued | running | done | dropped
    pub status: String,
    pub note: Option<String>,
    pub caused_by_action_id: Option<String>,
    pub replay_of_run_id: Option<String>,
    pub created_at: String,
    pub processed_at: Option<String>,
    pub runs: Vec<RunView>,
}

/// A dry run: the conditions on the sample, and for each step its rendered parameters and
/// the decision it would get. Nothing is executed or counted.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DryRun {
    pub matched: bool,
    pub conditions: Vec<ConditionRecord>,
    pub steps: Vec<DryRunStep>,
    /// Why no decisions are shown (no store to decide at), if so.
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DryRunStep {
    pub index: usize,
    #[serde(rename = "type")]
    pub kind: String,
    pub parameters: Option<Value>,
    /// The decision it would get now, when it can be decided before the run.
    pub decision: Option<super::policy::Decision>,
    /// A template that cannot be rendered, inputs the action refuses, or why it is not
    /// decided yet.
    pub error: Option<String>,
    pub note: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::catalog::Risk;
    use serde_json::json;

    fn def(id: &str, outputs: Value) -> ActionDef {
        ActionDef {
            id: id.into(),
            version: 1,
            name: id.into(),
            description: String::new(),
            category: "automation".into(),
            input_schema: json!({"type": "object"}),
            output_schema: json!({"type": "object", "properties": outputs}),
            amount_field: None,
            percentage_field: None,
            order_total_field: None,
            risk: Risk::Write,
            retryable: false,
            idempotent: false,
            required_permission: None,
            redact_fields: vec![],
            executor: "internal".into(),
            default_enabled: true,
            default_requires_confirmation: false,
        }
    }

    fn catalog() -> Vec<ActionDef> {
        vec![
            def("send_notification", json!({"notification_ids": {"title": "Notification ids"}})),
            def("tickets.create", json!({"ticket_id": {}, "number": {}, "url": {}, "created_at": {}})),
            def("tickets.add_comment", json!({"comment_id": {}, "created_at": {}})),
        ]
    }

    fn resolve(input: Value) -> Result<RuleDefinition, AppError> {
        let defs = catalog();
        let input: RuleInput = serde_json::from_value(input).unwrap();
        input.resolve(None, |id| defs.iter().find(|d| d.id == id))
    }

    fn seed_rule() -> Value {
        json!({
            "name": "High Value Deal Alert",
            "module_type": "sales",
            "trigger_id": "high_value_opportunity",
            "conditions": [{"type": "value_threshold", "field": "value", "value": 100000}],
            "actions": [{"type": "send_notification", "parameters": {
                "recipients": ["Owner"], "title": "Big deal", "channel": "in_app", "severity": "info",
                "body": "New high-value opportunity: {{opportunity_name}} - ${{value}}"}}]
        })
    }

    #[test]
    fn the_seed_rule_is_valid_and_active_by_default() {
        let r = resolve(seed_rule()).unwrap();
        assert!(r.is_active);
        assert_eq!(r.conditions[0].kind, ConditionType::ValueThreshold);
        assert_eq!(r.store_id, None);
    }

    #[test]
    fn each_mistake_is_named_by_its_field() {
        let mut bad = seed_rule();
        bad["conditions"][0]["type"] = json!("bigger_than");
        bad["actions"][0]["type"] = json!("launch_rocket");
        let err = resolve(bad).unwrap_err();
        assert!(err.field("conditions.0.type").unwrap().contains("bigger_than"));
        assert!(err.field("actions.0.type").unwrap().contains("not an action of the catalog"));

        let mut bad = seed_rule();
        bad["trigger_id"] = json!("moon_landing");
        assert!(resolve(bad).unwrap_err().field("trigger_id").is_some());

        let mut bad = seed_rule();
        bad["trigger_id"] = json!("order_created");
        assert!(resolve(bad).unwrap_err().field("trigger_id").unwrap().contains("store trigger"));

        let mut bad = seed_rule();
        bad["actions"][0]["parameters"]["body"] = json!("Hi {{customer_mood}}");
        let err = resolve(bad).unwrap_err();
        assert!(err.field("actions.0.parameters.body").unwrap().contains("customer_mood"), "{err:?}");

        let mut bad = seed_rule();
        bad["conditions"][0]["field"] = json!("weather");
        assert!(resolve(bad).unwrap_err().field("conditions.0.field").is_some());

        let mut bad = seed_rule();
        bad["actions"] = json!([]);
        assert!(resolve(bad).unwrap_err().field("actions").is_some());
    }

    #[test]
    fn outputs_flow_to_later_steps_only() {
        let steps = json!([
            {"type": "tickets.create", "parameters": {"subject": "{{opportunity_name}}"}, "save_as": "ticket"},
            {"type": "tickets.add_comment", "parameters": {"ticket": {"id": "{{vars.ticket.id}}"}, "body": "#{{vars.ticket.number}}", "visibility": "internal"}}
        ]);
        let mut rule = seed_rule();
        rule["actions"] = steps.clone();
        resolve(rule).unwrap();

        let mut before = seed_rule();
        before["actions"] = json!([steps[1], steps[0]]);
        let err = resolve(before).unwrap_err();
        assert!(err.field("actions.0.parameters.ticket.id").unwrap().contains("earlier step"), "{err:?}");

        let mut wrong = seed_rule();
        wrong["actions"] = steps;
        wrong["actions"][1]["parameters"]["body"] = json!("{{vars.ticket.colour}}");
        let err = resolve(wrong).unwrap_err();
        assert!(err.field("actions.1.parameters.body").unwrap().contains("ticket_id"), "{err:?}");
    }

    #[test]
    fn saved_outputs_offer_id_for_the_one_id_field() {
        let defs = catalog();
        let out = saved_outputs(&defs[1], &json!({"ticket_id": "T-1", "number": "42"}));
        assert_eq!(out["id"], "T-1");
        assert!(output_fields(&defs[1]).iter().any(|f| f.name == "id"));
        assert!(output_fields(&defs[0]).iter().all(|f| f.name != "id"));
    }

    #[test]
    fn an_update_keeps_what_it_leaves_out() {
        let defs = catalog();
        let current = resolve(seed_rule()).unwrap();
        let patch: RuleInput = serde_json::from_value(json!({"is_active": false, "name": "Renamed"})).unwrap();
        let next = patch.resolve(Some(&current), |id| defs.iter().find(|d| d.id == id)).unwrap();
        assert_eq!(next.name, "Renamed");
        assert!(!next.is_active);
        assert_eq!(next.actions, current.actions);
        assert_eq!(diff(&current, &next), vec!["is_active".to_string(), "name".to_string()]);
    }

    #[test]
    fn a_dry_run_shows_where_outputs_will_go() {
        let a: RuleAction = serde_json::from_value(
            json!({"type": "tickets.add_comment", "parameters": {"body": "On {{vars.ticket.id}} for {{opportunity_name}}"}}),
        )
        .unwrap();
        let saved = vec![SavedOutputs {
            save_as: "ticket".into(),
            action_type: "tickets.create".into(),
            fields: vec![OutputField { name: "id".into(), title: "Id".into(), description: String::new() }],
        }];
        let (rendered, uses_vars) = preview_step(&a, &json!({"opportunity_name": "Acme"}), &saved);
        assert!(uses_vars);
        assert_eq!(rendered.unwrap()["body"], "On \u{ab}id of step ticket\u{bb} for Acme");
    }
}
