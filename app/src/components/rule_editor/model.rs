//! The rule editor as data (pure, no signals; unit-tested below): comparisons in words,
//! condition values as typed and as JSON, the sample event a trigger's fields make, trigger
//! field names in words, the action palette's groups, search and examples, run and step
//! statuses in words, and which input a server's field error (`conditions.1.type`,
//! `actions.0.parameters.body`) belongs to.

use crate::domain::automation::ConditionType;
use crate::domain::catalog::ActionDef;
use crate::domain::error::FieldError;
use crate::domain::triggers::{FieldKind, TriggerDef};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;

/// A comparison in words, as the condition row's select shows it.
pub fn comparison_label(kind: ConditionType) -> &'static str {
    match kind {
        ConditionType::Equals => "is",
        ConditionType::NotEquals => "is not",
        ConditionType::GreaterThan => "is more than",
        ConditionType::LessThan => "is less than",
        ConditionType::Contains => "contains",
        ConditionType::In => "is one of",
        ConditionType::Exists => "is present",
        ConditionType::ChangedTo => "changed to",
        ConditionType::ValueThreshold => "is at least",
    }
}

/// The hint under a condition's value, when the comparison needs one.
pub fn comparison_hint(kind: ConditionType) -> Option<&'static str> {
    match kind {
        ConditionType::In => Some("Separate the values with commas."),
        ConditionType::ChangedTo => {
            Some("The event must carry the earlier value under previous (e.g. previous.status).")
        }
        ConditionType::Contains => Some("Text containing this, or a list holding it."),
        ConditionType::GreaterThan | ConditionType::LessThan | ConditionType::ValueThreshold => Some("A number."),
        _ => None,
    }
}

/// Whether the comparison takes a value (`is present` does not).
pub fn takes_value(kind: ConditionType) -> bool {
    kind != ConditionType::Exists
}

/// One value as typed: a number or true/false as such, text in double quotes as that text
/// (`"007"` stays text), anything else as the text; empty is no value.
fn scalar(text: &str) -> Value {
    let t = text.trim();
    if t.is_empty() {
        return Value::Null;
    }
    match serde_json::from_str::<Value>(t) {
        Ok(v @ (Value::Number(_) | Value::Bool(_))) => v,
        Ok(v @ Value::String(_)) if t.starts_with('"') => v,
        _ => Value::String(t.to_string()),
    }
}

/// A condition's value from what was typed (a list for `is one of`).
pub fn value_of(kind: ConditionType, text: &str) -> Value {
    match kind {
        ConditionType::Exists => Value::Null,
        ConditionType::In if !text.trim().is_empty() => {
            Value::Array(text.split(',').map(scalar).filter(|v| !v.is_null()).collect())
        }
        _ => scalar(text),
    }
}

/// The text a stored value is typed as (the reverse of `value_of`).
pub fn value_text(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        Value::String(s) if scalar(s) != Value::String(s.trim().to_string()) || s.trim() != s => {
            Value::String(s.clone()).to_string()
        }
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(value_text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// A field name in words: `opportunity_name` → "Opportunity name", `previous.stage` →
/// "Previous stage".
pub fn field_words(name: &str) -> String {
    let words = name.replace(['_', '.'], " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => words,
    }
}

fn example_text(trigger: &TriggerDef, name: &str) -> Value {
    let text = match name {
        "opportunity_name" => "Acme renewal",
        "name" => "Sam Lee",
        "company" => "Acme Ltd",
        "currency" => "EUR",
        "stage" => "Negotiation",
        "status" if trigger.module_type == "crm" => "customer",
        "status" => "open",
        "source" => "web form",
        "channel" => "email",
        "message" => "Where is my parcel?",
        "reason" => "Arrived damaged",
        "phone" => "+44 20 7946 0000",
        _ if name.ends_with("email") => "sam@example.com",
        _ => "",
    };
    if !text.is_empty() {
        return json!(text);
    }
    match name.strip_suffix("_id").or_else(|| name.strip_suffix("_ref")) {
        Some(thing) => json!(format!("{}-1001", thing.replace('_', "-"))),
        None => json!(format!("Example {}", field_words(name).to_lowercase())),
    }
}

/// A sample event for the trigger: every field it carries with a plausible value.
pub fn sample_for(trigger: &TriggerDef) -> Value {
    let mut out = Map::new();
    for f in trigger.fields() {
        let v = match f.kind {
            FieldKind::Text => example_text(trigger, f.name),
            FieldKind::Number => json!(42),
            FieldKind::Money if f.name == "value" => json!(150000),
            FieldKind::Money => json!(120),
            FieldKind::Date => json!("2026-12-15"),
            FieldKind::List if f.name == "items" => {
                json!([{"sku": "MUG-1", "name": "Blue mug", "quantity": 2, "price": 12.5}])
            }
            FieldKind::List if f.name == "changed_fields" => json!(["status"]),
            FieldKind::List => json!([]),
            FieldKind::Object if f.name == "previous" => {
                // The earlier value of what these events report as changed.
                let mut previous = Map::new();
                if trigger.fields().any(|g| g.name == "stage") {
                    previous.insert("stage".into(), json!("Proposal"));
                } else if trigger.fields().any(|g| g.name == "status") {
                    previous.insert("status".into(), json!("lead"));
                }
                Value::Object(previous)
            }
            FieldKind::Object => json!({}),
        };
        out.insert(f.name.to_string(), v);
    }
    Value::Object(out)
}

/// The sample event as the editor's text area shows it: JSON with the fields in the
/// trigger's order, one per line.
pub fn sample_text(trigger: &TriggerDef) -> String {
    let sample = sample_for(trigger);
    let lines: Vec<String> = trigger
        .fields()
        .map(|f| {
            format!("  {}: {}", Value::String(f.name.to_string()), sample.get(f.name).cloned().unwrap_or(Value::Null))
        })
        .collect();
    format!("{{\n{}\n}}", lines.join(",\n"))
}

/// The palette's groups, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ActionGroup {
    BusinessOperations,
    Commerce,
    Automation,
    Other,
}

impl ActionGroup {
    pub const ALL: [ActionGroup; 4] =
        [ActionGroup::BusinessOperations, ActionGroup::Commerce, ActionGroup::Automation, ActionGroup::Other];

    pub fn title(self) -> &'static str {
        match self {
            ActionGroup::BusinessOperations => "Business Operations",
            ActionGroup::Commerce => "Commerce",
            ActionGroup::Automation => "Automation",
            ActionGroup::Other => "Other actions",
        }
    }

    pub fn intro(self) -> &'static str {
        match self {
            ActionGroup::BusinessOperations => {
                "Work in your help desk, CRM, calendar, projects and email (through your connector; email runs in Mandate)."
            }
            ActionGroup::Commerce => "Orders and payments in the store.",
            ActionGroup::Automation => "Mandate's own notifications, tasks and statuses.",
            ActionGroup::Other => "Actions your organisation added.",
        }
    }

    /// `key` for ids and test ids.
    pub fn key(self) -> &'static str {
        match self {
            ActionGroup::BusinessOperations => "business",
            ActionGroup::Commerce => "commerce",
            ActionGroup::Automation => "automation",
            ActionGroup::Other => "other",
        }
    }
}

/// Which palette group an action is in: the business-operations call actions have dotted
/// ids (`tickets.create`), commerce is orders and payments, automation Mandate's own.
pub fn group_of(def: &ActionDef) -> ActionGroup {
    if def.id.contains('.') {
        ActionGroup::BusinessOperations
    } else if def.category == "automation" {
        ActionGroup::Automation
    } else if matches!(def.category.as_str(), "orders" | "payments") {
        ActionGroup::Commerce
    } else {
        ActionGroup::Other
    }
}

/// An example of what a rule might use the action for, in plain words.
pub fn example_of(id: &str) -> Option<&'static str> {
    Some(match id {
        "lookup_order" => "Look up the order a refund request is about.",
        "send_tracking" => "Send the tracking link when a customer asks where their parcel is.",
        "update_address" => "Correct the delivery address a customer wrote in about.",
        "cancel_order" => "Cancel an order the customer asked to cancel before it ships.",
        "initiate_return" => "Start a return when a customer reports a damaged item.",
        "process_refund" => "Refund small amounts at once when a refund is requested.",
        "apply_discount" => "Give 10% off to a customer whose parcel arrived late.",
        "tickets.create" => "Open a ticket for every refund request over 200.",
        "tickets.add_comment" => "Add an internal note to the ticket an earlier step opened.",
        "tickets.update_fields" => "Raise a ticket's priority to urgent for a big client.",
        "tickets.assign" => "Hand new tickets about returns to the returns team.",
        "tickets.close" => "Close the ticket once the refund went through.",
        "tickets.link_entities" => "Link a ticket to the project it is about.",
        "tickets.add_attachment" => "Attach the customer's photo to their ticket.",
        "tickets.find" => "Find the ticket a customer's message refers to.",
        "clients.find" => "Find the client a new opportunity is for.",
        "clients.search" => "Search for clients tagged as key accounts.",
        "contacts.find" => "Find the contact by the email a lead came in with.",
        "contacts.search" => "Search the contacts of a client.",
        "email.send" => "Email the account manager when a deal is won.",
        "notifications.send_in_app" => "Tell the sales team in Mandate about a high-value opportunity.",
        "scheduling.assign_user" => "Book a salesperson for a call with a new lead.",
        "projects.create_task" => "Add an onboarding task to the project when a deal is won.",
        "time.create_entry" => "Log the time spent on a support call.",
        "crm.create_activity_note" => "Note on the contact's record that a deal was lost, and why.",
        "send_notification" => "Notify the Owner when an opportunity over 100,000 comes in.",
        "update_status" => "Put an order on hold when a refund is requested.",
        "create_task" => "Create a follow-up task to call back a customer.",
        _ => return None,
    })
}

/// Whether the action matches what was typed in the palette's search: every word in its
/// name, description, category or id (any case).
pub fn matches_search(def: &ActionDef, query: &str) -> bool {
    let hay = format!(
        "{} {} {} {} {}",
        def.name,
        def.description,
        def.category,
        def.id.replace(['.', '_'], " "),
        example_of(&def.id).unwrap_or_default()
    )
    .to_lowercase();
    query.split_whitespace().all(|w| hay.contains(&w.to_lowercase()))
}

/// A run's status in words, with its badge class.
pub fn run_status_badge(status: &str) -> (&'static str, &'static str) {
    match status {
        "succeeded" => ("Succeeded", "badge badge-ok"),
        "failed" => ("Failed", "badge badge-bad"),
        "waiting" => ("Waiting for confirmation", "badge badge-invited"),
        "running" => ("Running", "badge badge-invited"),
        "skipped" => ("Skipped: conditions not met", "badge badge-muted"),
        "cancelled" => ("Cancelled", "badge badge-muted"),
        _ => ("Unknown", "badge badge-muted"),
    }
}

/// A run status as the filter's options say it.
pub fn run_status_option(status: &str) -> &'static str {
    match status {
        "skipped" => "Skipped",
        other => run_status_badge(other).0,
    }
}

/// A step's status in words, with its badge class.
pub fn step_status_badge(status: crate::domain::rules::StepStatus) -> (&'static str, &'static str) {
    use crate::domain::rules::StepStatus;
    match status {
        StepStatus::Executed => ("Done", "badge badge-ok"),
        StepStatus::Confirmed => ("Allowed: your connected system carries it out", "badge badge-ok"),
        StepStatus::Pending => ("Waiting for confirmation", "badge badge-invited"),
        StepStatus::Denied => ("Refused", "badge badge-bad"),
        StepStatus::Failed => ("Failed", "badge badge-bad"),
        StepStatus::Cancelled => ("Cancelled", "badge badge-muted"),
    }
}

/// A server's field errors on a rule, sorted to the inputs they are about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoutedErrors {
    /// Top-level inputs (`name`, `trigger_id`, `payload`, `conditions`, `actions`…).
    pub top: BTreeMap<String, String>,
    /// Condition `i`'s `type`, `field` or `value`.
    pub conditions: BTreeMap<(usize, String), String>,
    /// Step `i`'s parameters by their path inside the parameters (`body`, `target.id`).
    pub params: BTreeMap<usize, Vec<(String, String)>>,
    /// Step `i`'s other problems (`save_as`, `type`, the parameters as a whole).
    pub steps: BTreeMap<(usize, String), String>,
    /// Anything else.
    pub general: Vec<String>,
}

const TOP: [&str; 8] =
    ["name", "description", "module_type", "trigger_id", "store_id", "payload", "conditions", "actions"];

/// Sorts field errors: `conditions.1.type` → condition 1's type, `actions.0.parameters.body`
/// → step 0's `body`, `actions.2.save_as` → step 2, `name` → the name input.
pub fn route_errors(fields: &[FieldError]) -> RoutedErrors {
    let mut out = RoutedErrors::default();
    for e in fields {
        let parts: Vec<&str> = e.field.splitn(3, '.').collect();
        match parts.as_slice() {
            [top] if TOP.contains(top) => {
                out.top.entry(top.to_string()).or_insert_with(|| e.message.clone());
            }
            ["conditions", i, what] => match i.parse::<usize>() {
                Ok(i) => {
                    out.conditions.entry((i, what.to_string())).or_insert_with(|| e.message.clone());
                }
                Err(_) => out.general.push(e.message.clone()),
            },
            ["actions", i, rest] => match i.parse::<usize>() {
                Ok(i) => match rest.strip_prefix("parameters.") {
                    Some(path) => out.params.entry(i).or_default().push((path.to_string(), e.message.clone())),
                    None => {
                        out.steps.entry((i, rest.to_string())).or_insert_with(|| e.message.clone());
                    }
                },
                Err(_) => out.general.push(e.message.clone()),
            },
            _ => out.general.push(e.message.clone()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::triggers::find;

    #[test]
    fn every_comparison_has_words_and_none_shows_its_key() {
        for k in ConditionType::ALL {
            let words = comparison_label(k);
            assert!(!words.is_empty() && !words.contains('_'), "{k:?}");
        }
        assert_eq!(comparison_label(ConditionType::ValueThreshold), "is at least");
        let all: Vec<&str> = ConditionType::ALL.iter().map(|k| comparison_label(*k)).collect();
        let mut distinct = all.clone();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), all.len(), "two comparisons read the same");
    }

    #[test]
    fn condition_values_round_trip_as_typed() {
        assert_eq!(value_of(ConditionType::ValueThreshold, " 100000 "), json!(100000));
        assert_eq!(value_of(ConditionType::Equals, "won"), json!("won"));
        assert_eq!(value_of(ConditionType::Equals, "\"007\""), json!("007"));
        assert_eq!(value_of(ConditionType::Equals, "true"), json!(true));
        assert_eq!(value_of(ConditionType::Equals, "  "), Value::Null);
        assert_eq!(value_of(ConditionType::Exists, "anything"), Value::Null);
        assert_eq!(value_of(ConditionType::In, "web form, 3, ,import"), json!(["web form", 3, "import"]));
        for (kind, typed) in [
            (ConditionType::Equals, "won"),
            (ConditionType::Equals, "\"007\""),
            (ConditionType::GreaterThan, "49.9"),
            (ConditionType::In, "a, b, 3"),
        ] {
            let v = value_of(kind, typed);
            assert_eq!(value_of(kind, &value_text(&v)), v, "{typed}");
        }
        assert_eq!(value_text(&json!("007")), "007");
        assert_eq!(value_text(&json!("42")), "\"42\"");
        assert_eq!(value_of(ConditionType::Equals, &value_text(&json!("42"))), json!("42"));
        assert_eq!(value_text(&json!(100000)), "100000");
    }

    #[test]
    fn samples_carry_every_field_of_their_trigger() {
        for t in crate::domain::triggers::TRIGGERS {
            let s = sample_for(&t);
            for f in t.fields() {
                assert!(s.get(f.name).is_some(), "{} lacks {}", t.id, f.name);
            }
        }
        let hv = sample_for(find("high_value_opportunity").unwrap());
        assert_eq!(hv["value"], json!(150000));
        assert_eq!(hv["opportunity_name"], json!("Acme renewal"));
        assert_eq!(hv["opportunity_id"], json!("opportunity-1001"));
        assert_eq!(hv["owner_email"], json!("sam@example.com"));
        let text = sample_text(find("high_value_opportunity").unwrap());
        assert_eq!(serde_json::from_str::<Value>(&text).unwrap(), hv);
        assert!(text.starts_with("{\n  \"opportunity_id\": \"opportunity-1001\",\n  \"opportunity_name\""), "{text}");
        let changed = sample_for(find("opportunity_stage_changed").unwrap());
        assert_eq!(changed["previous"]["stage"], json!("Proposal"));
        assert_ne!(changed["previous"]["stage"], changed["stage"]);
    }

    #[test]
    fn field_names_read_as_words() {
        assert_eq!(field_words("opportunity_name"), "Opportunity name");
        assert_eq!(field_words("previous.stage"), "Previous stage");
        assert_eq!(field_words("value"), "Value");
    }

    fn def(id: &str, category: &str) -> ActionDef {
        ActionDef {
            id: id.into(),
            version: 1,
            name: format!("Name of {id}"),
            description: "Does a thing for the team.".into(),
            category: category.into(),
            input_schema: json!({}),
            output_schema: json!({}),
            amount_field: None,
            percentage_field: None,
            order_total_field: None,
            risk: crate::domain::catalog::Risk::Write,
            retryable: false,
            idempotent: false,
            required_permission: None,
            redact_fields: vec![],
            executor: "internal".into(),
            default_enabled: false,
            default_requires_confirmation: true,
        }
    }

    #[test]
    fn the_palette_groups_call_actions_commerce_and_automation() {
        assert_eq!(group_of(&def("tickets.create", "support")), ActionGroup::BusinessOperations);
        assert_eq!(group_of(&def("email.send", "communication")), ActionGroup::BusinessOperations);
        assert_eq!(group_of(&def("process_refund", "payments")), ActionGroup::Commerce);
        assert_eq!(group_of(&def("cancel_order", "orders")), ActionGroup::Commerce);
        assert_eq!(group_of(&def("send_notification", "automation")), ActionGroup::Automation);
        assert_eq!(group_of(&def("our_thing", "warehouse")), ActionGroup::Other);
        let d = def("send_notification", "automation");
        assert!(matches_search(&d, "notify OWNER"));
        assert!(matches_search(&d, "send notification"));
        assert!(!matches_search(&d, "refund"));
        assert!(matches_search(&d, ""));
    }

    #[test]
    fn field_errors_go_to_their_inputs() {
        let e = |f: &str| FieldError { field: f.into(), message: format!("about {f}") };
        let r = route_errors(&[
            e("name"),
            e("conditions.1.type"),
            e("actions.0.parameters.body"),
            e("actions.0.parameters.target.id"),
            e("actions.2.save_as"),
            e("actions"),
            e("limit"),
        ]);
        assert_eq!(r.top["name"], "about name");
        assert_eq!(r.top["actions"], "about actions");
        assert_eq!(r.conditions[&(1, "type".to_string())], "about conditions.1.type");
        assert_eq!(
            r.params[&0],
            vec![
                ("body".to_string(), "about actions.0.parameters.body".to_string()),
                ("target.id".to_string(), "about actions.0.parameters.target.id".to_string())
            ]
        );
        assert_eq!(r.steps[&(2, "save_as".to_string())], "about actions.2.save_as");
        assert_eq!(r.general, vec!["about limit".to_string()]);
    }

    #[test]
    fn statuses_read_as_words() {
        use crate::domain::rules::StepStatus;
        let steps = [
            StepStatus::Executed,
            StepStatus::Confirmed,
            StepStatus::Pending,
            StepStatus::Denied,
            StepStatus::Failed,
            StepStatus::Cancelled,
        ];
        let words: Vec<&str> = steps.iter().map(|s| step_status_badge(*s).0).collect();
        assert!(words.iter().all(|w| !w.is_empty() && !w.contains('_')));
        for s in ["running", "skipped", "succeeded", "failed", "waiting", "cancelled"] {
            assert_ne!(run_status_badge(s).0, "Unknown", "{s}");
        }
    }
}
