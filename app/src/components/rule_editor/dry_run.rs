//! What a dry run shows: whether the rule would run, each condition's result in words, and
//! for each step its inputs as filled in and the decision it would get now (allowed, needs
//! confirmation, refused, with the reason; the checks behind it on request).

use super::Ctx;
use crate::components::decision::TraceTable;
use crate::components::schema_form::{choice_label, fields_of, FieldKind, SchemaField};
use crate::domain::policy::{Decision, Outcome};
use crate::domain::rules::{ConditionRecord, DryRun, DryRunStep};
use leptos::prelude::*;
use serde_json::Value;

#[component]
pub(super) fn DryRunResult(r: DryRun) -> impl IntoView {
    let headline = if r.matched {
        "The rule would run: every condition holds for this event."
    } else {
        "The rule would not run: a condition does not hold for this event."
    };
    view! {
        <div class="dry-run" data-testid="dry-run-result" role="status" aria-live="polite">
            <p class="dry-run-verdict" class:ok=r.matched class:bad=!r.matched data-testid="dry-run-matched" data-matched=r.matched.to_string()>
                <span aria-hidden="true">{if r.matched { "✓ " } else { "✕ " }}</span>
                {headline}
            </p>
            {(!r.conditions.is_empty()).then(|| view! {
                <h3>"Conditions"</h3>
                <ul class="condition-results" data-testid="dry-run-conditions">
                    {r.conditions.into_iter().map(|c| view! { <ConditionResultItem c/> }).collect_view()}
                </ul>
            })}
            <h3>{if r.matched { "Actions" } else { "Actions (they would not run; shown for checking)" }}</h3>
            <ol class="dry-run-steps">
                {r.steps.into_iter().map(|s| view! { <DryRunStepItem s/> }).collect_view()}
            </ol>
            {r.note.map(|n| view! { <p class="muted" data-testid="dry-run-note">{n}</p> })}
        </div>
    }
}

/// One condition's result: ✓ or ✕ and the explanation.
#[component]
pub fn ConditionResultItem(c: ConditionRecord) -> impl IntoView {
    let passed = c.result.passed;
    view! {
        <li class="condition-result" class:step-passed=passed class:step-failed=!passed data-testid="condition-result" data-passed=passed.to_string()>
            <span class="step-mark" aria-hidden="true">{if passed { "✓" } else { "✕" }}</span>
            <span class="sr-only">{if passed { "Holds: " } else { "Does not hold: " }}</span>
            <span>{c.result.explanation.clone()}</span>
        </li>
    }
}

/// A parameter as a list shows it: its input's title and its value in words (a choice as
/// "In app", a list of texts joined).
pub fn param_text(fields: &[SchemaField], name: &str, value: &Value) -> (String, String) {
    let field = fields.iter().find(|f| f.path == name);
    let title = field.map(|f| f.title.clone()).unwrap_or_else(|| super::model::field_words(name));
    let text = match (field.map(|f| &f.kind), value) {
        (Some(FieldKind::Choice(_)), Value::String(s)) => choice_label(s),
        (_, Value::String(s)) => s.clone(),
        (_, Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")
        }
        (_, other) => other.to_string(),
    };
    (title, text)
}

/// A step's error with the input it names in words: "body: The event carries no field …"
/// → "Message: The event carries no field …" (other text as it is).
pub fn error_in_words(fields: &[SchemaField], error: &str) -> String {
    match error.split_once(": ") {
        Some((path, rest)) => {
            let top = path.split('.').next().unwrap_or(path);
            match fields.iter().find(|f| f.path == top) {
                Some(f) if path == top => format!("{}: {rest}", f.title),
                Some(f) => format!("{} ({}): {rest}", f.title, super::model::field_words(&path[top.len() + 1..])),
                None => error.to_string(),
            }
        }
        None => error.to_string(),
    }
}

/// Inputs as a list of label and value; `fields` are the action's top-level inputs.
#[component]
pub fn ParamList(params: Value, #[prop(optional)] fields: Vec<SchemaField>) -> impl IntoView {
    let Value::Object(m) = params else {
        return view! { <p class="muted">"No inputs."</p> }.into_any();
    };
    if m.is_empty() {
        return view! { <p class="muted">"No inputs."</p> }.into_any();
    }
    view! {
        <dl class="kv param-list" data-testid="step-params">
            {m.into_iter().map(|(k, v)| {
                let (title, shown) = param_text(&fields, &k, &v);
                view! { <dt>{title}</dt> <dd>{shown}</dd> }
            }).collect_view()}
        </dl>
    }
    .into_any()
}

/// The verdict of a decision in words, with its class.
pub fn verdict(d: &Decision) -> (String, &'static str) {
    match d.outcome {
        Outcome::Allow => ("Allowed".to_string(), "outcome-allow"),
        Outcome::Confirm => (
            match d.confirmation_by {
                Some(by) if by.as_str() == "customer" => "Needs confirmation by the customer".to_string(),
                Some(_) => "Needs confirmation by staff".to_string(),
                None => "Needs confirmation".to_string(),
            },
            "outcome-confirm",
        ),
        Outcome::Deny => ("Refused".to_string(), "outcome-deny"),
    }
}

/// An action's top-level inputs (for titles and choices), when the catalog has it.
pub fn input_fields(def: Option<&crate::domain::catalog::ActionDef>) -> Vec<SchemaField> {
    def.map(|d| fields_of(&d.input_schema, "")).unwrap_or_default()
}

#[component]
fn DryRunStepItem(s: DryRunStep) -> impl IntoView {
    let ctx = expect_context::<Ctx>();
    let name = ctx.def(&s.kind).map(|d| d.name).unwrap_or_else(|| s.kind.clone());
    let fields = input_fields(ctx.def(&s.kind).as_ref());
    let error_fields = fields.clone();
    view! {
        <li class="dry-run-step" data-testid="dry-run-step">
            <h4>{format!("Step {}: {name}", s.index + 1)}</h4>
            {s.parameters.map(|p| view! { <ParamList params=p fields/> })}
            {s.decision.map(|d| {
                let (text, class) = verdict(&d);
                view! {
                    <div class=format!("try-result {class}") data-testid="dry-run-decision" data-outcome=d.outcome.as_str()>
                        <div>
                            <p class="try-verdict">{text}</p>
                            <p class="try-reason" data-testid="dry-run-reason">{d.reason.clone()}</p>
                        </div>
                    </div>
                    <details class="trace-details">
                        <summary>"How it was decided"</summary>
                        <TraceTable trace=d.trace.clone()/>
                    </details>
                }
            })}
            {s.error.map(|e| view! { <p class="banner banner-error" data-testid="dry-run-error">{error_in_words(&error_fields, &e)}</p> })}
            {s.note.map(|n| view! { <p class="muted" data-testid="dry-run-step-note">{n}</p> })}
        </li>
    }
}

#[cfg(test)]
mod tests {
    use super::error_in_words;
    use crate::components::schema_form::fields_of;
    use serde_json::json;

    #[test]
    fn step_errors_name_inputs_by_their_titles() {
        let fields = fields_of(
            &json!({"type": "object", "properties": {
                "body": {"title": "Message", "type": "string"},
                "target": {"title": "Target", "type": "object", "properties": {"id": {"type": "string"}}}
            }}),
            "",
        );
        let missing = "The event carries no field \"opportunity_name\".";
        assert_eq!(error_in_words(&fields, &format!("body: {missing}")), format!("Message: {missing}"));
        assert_eq!(error_in_words(&fields, &format!("target.id: {missing}")), format!("Target (Id): {missing}"));
        assert_eq!(error_in_words(&fields, "Refused: the action is turned off."), "Refused: the action is turned off.");
        assert_eq!(error_in_words(&fields, "No colon here"), "No colon here");
    }
}
