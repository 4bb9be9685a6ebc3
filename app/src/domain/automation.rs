//! Automation rules' pure parts (§2 Automation, §4 automation paths): conditions on an
//! event's payload and the `{{field}}` templates of rule action parameters. No I/O: the
//! services that store rules, accept events and run actions (through `decide`) build on this.
//!
//! - Fields are dotted paths into the payload (`customer.email`, `items.0.sku`).
//! - Every condition must hold for a rule to run; each result says why, for run history and
//!   the dry run.
//! - A template field the payload does not carry is an error naming it, never an empty
//!   string; `{{vars.<step>.<field>}}` reads an earlier step's outputs.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::str::FromStr;

/// How a condition compares the payload's field with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConditionType {
    Equals,
    NotEquals,
    GreaterThan,
    LessThan,
    /// Text containing the value, or a list holding it.
    Contains,
    /// The field's value is one of the listed values.
    In,
    /// The field is present and not null (the value is ignored).
    Exists,
    /// The field now has the value and had another before: the payload carries the earlier
    /// value as `previous.<field>` (e.g. `contact_status_changed` → `previous.status`).
    ChangedTo,
    /// The trigger's `value` (an amount) is at least the condition's value; the field, when
    /// given, names another amount field.
    ValueThreshold,
}

impl ConditionType {
    pub const ALL: [ConditionType; 9] = [
        ConditionType::Equals,
        ConditionType::NotEquals,
        ConditionType::GreaterThan,
        ConditionType::LessThan,
        ConditionType::Contains,
        ConditionType::In,
        ConditionType::Exists,
        ConditionType::ChangedTo,
        ConditionType::ValueThreshold,
    ];

    pub fn key(self) -> &'static str {
        match self {
            ConditionType::Equals => "equals",
            ConditionType::NotEquals => "not_equals",
            ConditionType::GreaterThan => "greater_than",
            ConditionType::LessThan => "less_than",
            ConditionType::Contains => "contains",
            ConditionType::In => "in",
            ConditionType::Exists => "exists",
            ConditionType::ChangedTo => "changed_to",
            ConditionType::ValueThreshold => "value_threshold",
        }
    }

    pub fn from_key(key: &str) -> Option<ConditionType> {
        ConditionType::ALL.into_iter().find(|c| c.key() == key)
    }
}

/// One condition of a rule.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Condition {
    #[serde(rename = "type")]
    pub kind: ConditionType,
    #[serde(default)]
    pub field: String,
    #[serde(default)]
    pub value: Value,
}

/// What one condition came to on one payload, for run history and the dry run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ConditionResult {
    pub passed: bool,
    /// The payload's value the condition looked at (null when absent).
    pub actual: Value,
    /// In plain words: "status is \"won\"", "value 120 is not above 500".
    pub explanation: String,
}

/// The value at a dotted path (`a.b.0.c`; numbers index lists), if present.
pub fn field_at<'a>(payload: &'a Value, path: &str) -> Option<&'a Value> {
    if path.is_empty() {
        return None;
    }
    path.split('.').try_fold(payload, |v, part| match v {
        Value::Object(m) => m.get(part),
        Value::Array(items) => part.parse::<usize>().ok().and_then(|i| items.get(i)),
        _ => None,
    })
}

/// A JSON number, or a string holding one ("49.90"), as an exact decimal.
fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => {
            Decimal::from_str(&n.to_string()).or_else(|_| Decimal::from_scientific(&n.to_string())).ok()
        }
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}

/// Equal as the people writing rules mean it: a number by value (`5` = `5.0` = `"5"`; two
/// texts stay texts, so `"007"` is not `"7"`),
/// text ignoring case and surrounding spaces, anything else exactly.
fn same(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        if !(a.is_string() && b.is_string()) {
            return x == y;
        }
    }
    match (a, b) {
        (Value::String(x), Value::String(y)) => x.trim().eq_ignore_ascii_case(y.trim()),
        _ => a == b,
    }
}

/// The value as a sentence shows it: text without quotes, numbers as written.
pub fn plain(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "nothing".into(),
        other => other.to_string(),
    }
}

/// Evaluates one condition on a payload.
pub fn evaluate(c: &Condition, payload: &Value) -> ConditionResult {
    let field = if c.kind == ConditionType::ValueThreshold && c.field.is_empty() { "value" } else { c.field.as_str() };
    let actual = field_at(payload, field).cloned().unwrap_or(Value::Null);
    let shown = plain(&actual);
    let want = plain(&c.value);
    let (passed, explanation) = match c.kind {
        ConditionType::Equals => {
            let p = same(&actual, &c.value);
            (p, format!("{field} is {shown}{}", if p { String::new() } else { format!(", not {want}") }))
        }
        ConditionType::NotEquals => {
            let p = !same(&actual, &c.value);
            (p, format!("{field} is {shown}{}", if p { format!(", not {want}") } else { String::new() }))
        }
        ConditionType::GreaterThan | ConditionType::LessThan | ConditionType::ValueThreshold => {
            match (number(&actual), number(&c.value)) {
                (Some(x), Some(y)) => {
                    let (p, words) = match c.kind {
                        ConditionType::GreaterThan => (x > y, "above"),
                        ConditionType::LessThan => (x < y, "below"),
                        _ => (x >= y, "at least"),
                    };
                    (p, format!("{field} {shown} is {}{words} {want}", if p { "" } else { "not " }))
                }
                (None, _) => (false, format!("{field} is {shown}, not a number")),
                (_, None) => (false, format!("the rule's value {want} is not a number")),
            }
        }
        ConditionType::Contains => {
            let p = match &actual {
                Value::String(s) => s.to_lowercase().contains(&want.to_lowercase()),
                Value::Array(items) => items.iter().any(|i| same(i, &c.value)),
                _ => false,
            };
            (p, format!("{field} {} {want}", if p { "contains" } else { "does not contain" }))
        }
        ConditionType::In => {
            let options = match &c.value {
                Value::Array(items) => items.clone(),
                other => vec![other.clone()],
            };
            let p = options.iter().any(|o| same(&actual, o));
            let list = options.iter().map(plain).collect::<Vec<_>>().join(", ");
            (p, format!("{field} {shown} is {}one of {list}", if p { "" } else { "not " }))
        }
        ConditionType::Exists => {
            let p = !actual.is_null();
            (p, format!("{field} is {}", if p { "present" } else { "missing" }))
        }
        ConditionType::ChangedTo => {
            let before = field_at(payload, &format!("previous.{field}")).cloned().unwrap_or(Value::Null);
            let p = same(&actual, &c.value) && !same(&before, &c.value);
            (p, format!("{field} changed from {} to {shown}", plain(&before)))
        }
    };
    ConditionResult { passed, actual, explanation }
}

/// Evaluates every condition (all must hold); the results in order.
pub fn evaluate_all(conditions: &[Condition], payload: &Value) -> (bool, Vec<ConditionResult>) {
    let results: Vec<ConditionResult> = conditions.iter().map(|c| evaluate(c, payload)).collect();
    (results.iter().all(|r| r.passed), results)
}

/// Why a template could not be rendered or is not valid for a trigger.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TemplateError {
    /// `{{` without its `}}`.
    Unclosed { at: usize },
    /// `{{}}` or a name with spaces or other characters.
    BadName { name: String },
    /// The payload (or the run's earlier steps) carries no such field.
    Missing { field: String },
}

impl std::fmt::Display for TemplateError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TemplateError::Unclosed { at } => write!(f, "A {{{{ at position {at} has no closing }}}}."),
            TemplateError::BadName { name } => {
                write!(
                    f,
                    "\"{name}\" is not a field name: use letters, digits, _ and dots, like {{{{customer.email}}}}."
                )
            }
            TemplateError::Missing { field } => write!(f, "The event carries no field \"{field}\"."),
        }
    }
}

/// The pieces of a template: literal text and `{{field}}` references.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Field(&'a str),
}

/// Splits a template into text and fields; `{{ name }}` may have spaces around the name.
pub fn parse_template(template: &str) -> Result<Vec<Piece<'_>>, TemplateError> {
    let mut pieces = Vec::new();
    let mut rest = template;
    let mut offset = 0;
    while let Some(start) = rest.find("{{") {
        if start > 0 {
            pieces.push(Piece::Text(&rest[..start]));
        }
        let after = &rest[start + 2..];
        let end = after.find("}}").ok_or(TemplateError::Unclosed { at: offset + start })?;
        let name = after[..end].trim();
        let valid = !name.is_empty()
            && name.split('.').all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        if !valid {
            return Err(TemplateError::BadName { name: name.to_string() });
        }
        pieces.push(Piece::Field(name));
        let consumed = start + 2 + end + 2;
        offset += consumed;
        rest = &rest[consumed..];
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest));
    }
    Ok(pieces)
}

/// The fields a template names, in order (for checking them against a trigger's fields).
pub fn template_fields(template: &str) -> Result<Vec<String>, TemplateError> {
    Ok(parse_template(template)?
        .into_iter()
        .filter_map(|p| match p {
            Piece::Field(f) => Some(f.to_string()),
            Piece::Text(_) => None,
        })
        .collect())
}

/// Renders a template: `{{field}}` from the payload, `{{vars.<step>.<field>}}` from the
/// outputs of the run's earlier steps. Text renders as it is, numbers as written
/// (`${{value}}` with value 150000 → `$150000`), other values as JSON.
pub fn render(template: &str, payload: &Value, vars: &Map<String, Value>) -> Result<String, TemplateError> {
    let mut out = String::with_capacity(template.len());
    for piece in parse_template(template)? {
        match piece {
            Piece::Text(t) => out.push_str(t),
            Piece::Field(name) => {
                // A secret stays a reference: the vault fills it in only when the action
                // executes (`domain::secrets::fill`), so runs, dry runs and audit never hold it.
                if name.starts_with(super::secrets::TEMPLATE_PREFIX) {
                    out.push_str("{{");
                    out.push_str(name);
                    out.push_str("}}");
                    continue;
                }
                let found = match name.strip_prefix("vars.") {
                    Some(path) => {
                        let (step, field) = path.split_once('.').unwrap_or((path, ""));
                        vars.get(step).and_then(|v| if field.is_empty() { Some(v) } else { field_at(v, field) })
                    }
                    None => field_at(payload, name),
                };
                match found {
                    Some(Value::Null) | None => return Err(TemplateError::Missing { field: name.to_string() }),
                    Some(Value::String(s)) => out.push_str(&super::secrets::defuse(s)),
                    Some(v) => out.push_str(&super::secrets::defuse(&v.to_string())),
                }
            }
        }
    }
    Ok(out)
}

/// Renders every string inside an action's parameters (objects and lists included); the
/// first error names the parameter's path (`message`, `target.id`).
pub fn render_parameters(
    params: &Value,
    payload: &Value,
    vars: &Map<String, Value>,
) -> Result<Value, (String, TemplateError)> {
    fn walk(v: &Value, at: &str, payload: &Value, vars: &Map<String, Value>) -> Result<Value, (String, TemplateError)> {
        let join = |k: &str| if at.is_empty() { k.to_string() } else { format!("{at}.{k}") };
        Ok(match v {
            Value::String(s) => Value::String(render(s, payload, vars).map_err(|e| (at.to_string(), e))?),
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .enumerate()
                    .map(|(i, x)| walk(x, &join(&i.to_string()), payload, vars))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(m) => Value::Object(
                m.iter().map(|(k, x)| Ok((k.clone(), walk(x, &join(k), payload, vars)?))).collect::<Result<_, _>>()?,
            ),
            other => other.clone(),
        })
    }
    walk(params, "", payload, vars)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn cond(kind: &str, field: &str, value: Value) -> Condition {
        serde_json::from_value(json!({"type": kind, "field": field, "value": value})).unwrap()
    }

    fn deal() -> Value {
        json!({"opportunity_name": "Acme renewal", "value": 150000, "stage": "Negotiation",
               "owner": {"email": "ann@example.com"}, "tags": ["enterprise", "renewal"],
               "status": "won", "previous": {"status": "open"}, "amount_text": "49.90"})
    }

    #[test]
    fn every_condition_type_on_a_table_of_cases() {
        let p = deal();
        let cases: Vec<(Condition, bool)> = vec![
            (cond("equals", "stage", json!("negotiation")), true),
            (cond("equals", "stage", json!("Won")), false),
            (cond("equals", "value", json!("150000.00")), true),
            (cond("equals", "owner.email", json!("ann@example.com")), true),
            (cond("equals", "missing", json!("x")), false),
            (cond("not_equals", "stage", json!("Won")), true),
            (cond("not_equals", "stage", json!("Negotiation")), false),
            (cond("greater_than", "value", json!(100000)), true),
            (cond("greater_than", "value", json!(150000)), false),
            (cond("greater_than", "stage", json!(1)), false),
            (cond("less_than", "amount_text", json!("50")), true),
            (cond("less_than", "value", json!(1000)), false),
            (cond("contains", "opportunity_name", json!("RENEWAL")), true),
            (cond("contains", "tags", json!("enterprise")), true),
            (cond("contains", "tags", json!("smb")), false),
            (cond("in", "stage", json!(["Proposal", "Negotiation"])), true),
            (cond("in", "stage", json!(["Proposal"])), false),
            (cond("in", "value", json!([1, 150000])), true),
            (cond("exists", "owner.email", Value::Null), true),
            (cond("exists", "owner.phone", Value::Null), false),
            (cond("changed_to", "status", json!("won")), true),
            (cond("changed_to", "status", json!("open")), false),
            (cond("value_threshold", "", json!(100000)), true),
            (cond("value_threshold", "", json!(150000)), true),
            (cond("value_threshold", "", json!(150001)), false),
            (cond("value_threshold", "amount_text", json!("49.9")), true),
            (cond("equals", "tags.1", json!("renewal")), true),
        ];
        for (c, want) in cases {
            let r = evaluate(&c, &p);
            assert_eq!(r.passed, want, "{c:?}: {}", r.explanation);
            assert!(!r.explanation.is_empty());
        }
    }

    #[test]
    fn changed_to_needs_a_different_previous_value() {
        let c = cond("changed_to", "status", json!("won"));
        assert!(!evaluate(&c, &json!({"status": "won", "previous": {"status": "won"}})).passed);
        assert!(evaluate(&c, &json!({"status": "won"})).passed, "no previous value: it changed from nothing");
        assert_eq!(evaluate(&c, &deal()).explanation, "status changed from open to won");
    }

    #[test]
    fn unknown_condition_types_are_refused_when_read() {
        let err =
            serde_json::from_value::<Condition>(json!({"type": "roughly", "field": "a", "value": 1})).unwrap_err();
        assert!(err.to_string().contains("unknown variant `roughly`"), "{err}");
        for c in ConditionType::ALL {
            assert_eq!(ConditionType::from_key(c.key()), Some(c));
            assert_eq!(serde_json::to_value(c).unwrap(), json!(c.key()));
        }
    }

    #[test]
    fn all_conditions_must_hold() {
        let p = deal();
        let (ok, results) =
            evaluate_all(&[cond("value_threshold", "", json!(100000)), cond("equals", "stage", json!("Won"))], &p);
        assert!(!ok);
        assert_eq!(results.iter().map(|r| r.passed).collect::<Vec<_>>(), vec![true, false]);
        assert!(evaluate_all(&[], &p).0, "no conditions: the rule runs on every event of its trigger");
    }

    #[test]
    fn the_seeds_high_value_message_renders_exactly() {
        let t = "New high-value opportunity: {{opportunity_name}} - ${{value}}";
        assert_eq!(render(t, &deal(), &Map::new()).unwrap(), "New high-value opportunity: Acme renewal - $150000");
        assert_eq!(template_fields(t).unwrap(), vec!["opportunity_name", "value"]);
    }

    #[test]
    fn templates_read_nested_fields_and_earlier_steps_outputs() {
        let mut vars = Map::new();
        vars.insert("ticket".into(), json!({"id": "T-42", "url": "https://desk.example/T-42"}));
        assert_eq!(
            render("{{ owner.email }} opened {{vars.ticket.id}} ({{tags.0}})", &deal(), &vars).unwrap(),
            "ann@example.com opened T-42 (enterprise)"
        );
        assert_eq!(render("no fields at all", &deal(), &vars).unwrap(), "no fields at all");
        assert_eq!(render("{{owner}}", &deal(), &vars).unwrap(), r#"{"email":"ann@example.com"}"#);
    }

    #[test]
    fn template_errors_name_what_is_wrong() {
        let p = deal();
        let none = Map::new();
        assert_eq!(
            render("Hi {{customer_name}}", &p, &none),
            Err(TemplateError::Missing { field: "customer_name".into() })
        );
        assert_eq!(
            render("{{vars.ticket.id}}", &p, &none),
            Err(TemplateError::Missing { field: "vars.ticket.id".into() })
        );
        assert_eq!(render("Hi {{name", &p, &none), Err(TemplateError::Unclosed { at: 3 }));
        assert_eq!(render("{{}}", &p, &none), Err(TemplateError::BadName { name: String::new() }));
        assert_eq!(render("{{first name}}", &p, &none), Err(TemplateError::BadName { name: "first name".into() }));
        assert_eq!(render("{{a..b}}", &p, &none), Err(TemplateError::BadName { name: "a..b".into() }));
        assert_eq!(
            TemplateError::Missing { field: "customer_name".into() }.to_string(),
            "The event carries no field \"customer_name\"."
        );
        assert_eq!(TemplateError::Unclosed { at: 3 }.to_string(), "A {{ at position 3 has no closing }}.");
    }

    #[test]
    fn parameters_render_everywhere_and_errors_name_the_parameter() {
        let params = json!({"message": "Deal {{opportunity_name}}", "target": {"id": "{{owner.email}}"},
                            "lines": ["{{stage}}", 3], "priority": 2});
        let out = render_parameters(&params, &deal(), &Map::new()).unwrap();
        assert_eq!(
            out,
            json!({"message": "Deal Acme renewal", "target": {"id": "ann@example.com"}, "lines": ["Negotiation", 3], "priority": 2})
        );
        let bad = json!({"target": {"id": "{{nobody}}"}});
        let (at, e) = render_parameters(&bad, &deal(), &Map::new()).unwrap_err();
        assert_eq!((at.as_str(), e), ("target.id", TemplateError::Missing { field: "nobody".into() }));
    }

    proptest! {
        #[test]
        fn in_with_one_value_is_equals(v in prop_oneof![
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z ]{0,8}".prop_map(|s| json!(s)),
            any::<bool>().prop_map(|b| json!(b)),
        ], w in prop_oneof![
            any::<i64>().prop_map(|n| json!(n)),
            "[a-zA-Z ]{0,8}".prop_map(|s| json!(s)),
        ]) {
            let p = json!({"f": v});
            let as_in = evaluate(&cond("in", "f", json!([w.clone()])), &p).passed;
            let as_eq = evaluate(&cond("equals", "f", w.clone()), &p).passed;
            prop_assert_eq!(as_in, as_eq);
            prop_assert_eq!(evaluate(&cond("not_equals", "f", w), &p).passed, !as_eq);
        }

        #[test]
        fn greater_and_less_agree_with_decimal_order(a in -1_000_000i64..1_000_000, b in -1_000_000i64..1_000_000, scale in 0u32..4) {
            let x = Decimal::new(a, scale);
            let y = Decimal::new(b, scale);
            let p = json!({"n": x.to_string()});
            prop_assert_eq!(evaluate(&cond("greater_than", "n", json!(y.to_string())), &p).passed, x > y);
            prop_assert_eq!(evaluate(&cond("less_than", "n", json!(y.to_string())), &p).passed, x < y);
            prop_assert_eq!(evaluate(&cond("value_threshold", "n", json!(y.to_string())), &p).passed, x >= y);
        }

        #[test]
        fn text_without_braces_renders_as_itself(s in "[^{}]{0,40}") {
            prop_assert_eq!(render(&s, &json!({}), &Map::new()).unwrap(), s);
        }
    }
}
