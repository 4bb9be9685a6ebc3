//! The form a JSON Schema becomes, as data (pure, no signals; unit-tested below): one
//! `SchemaField` per property (required ones first), nested objects as groups, lists and
//! anything else as JSON typed by hand. Typed values (by dotted path) become the JSON object
//! the schema describes (`build_object`) and back (`values_from`); a starting example
//! (`example`); and which field a server's error is about (`error_path`).

use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// How one input is entered.
#[derive(Clone, Debug, PartialEq)]
pub enum FieldKind {
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
    Group(Vec<SchemaField>),
    /// A list of texts (recipients, tags): one per line.
    TextList,
    /// Other lists and anything else: JSON typed by hand.
    Json,
}

#[derive(Clone, Debug, PartialEq)]
pub struct SchemaField {
    /// Dotted path inside the object ("address.city").
    pub path: String,
    pub title: String,
    pub description: String,
    pub required: bool,
    pub kind: FieldKind,
}

fn types_of(schema: &Value) -> Vec<String> {
    match schema.get("type") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(a)) => a.iter().filter_map(|t| t.as_str().map(str::to_string)).collect(),
        _ => Vec::new(),
    }
}

/// The fields of an object schema, in the schema's order.
pub fn fields_of(schema: &Value, prefix: &str) -> Vec<SchemaField> {
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
                FieldKind::Choice(
                    values.iter().map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())).collect(),
                )
            } else if has("object") && p.get("properties").is_some() {
                FieldKind::Group(fields_of(p, &path))
            } else if has("array") && p.get("items").is_some_and(|i| types_of(i) == ["string"]) {
                FieldKind::TextList
            } else if has("string") && (has("number") || has("integer")) {
                FieldKind::Decimal
            } else if has("integer") {
                FieldKind::Integer
            } else if has("number") {
                FieldKind::Number
            } else if has("boolean") {
                FieldKind::Boolean
            } else if has("string") {
                FieldKind::Text { long: p.get("maxLength").and_then(Value::as_u64).is_some_and(|m| m > 300) }
            } else {
                FieldKind::Json
            };
            SchemaField {
                title: p.get("title").and_then(Value::as_str).unwrap_or(name).to_string(),
                description: p.get("description").and_then(Value::as_str).unwrap_or_default().to_string(),
                required: required.contains(&name.as_str()),
                path,
                kind,
            }
        })
        .collect()
}

/// The JSON object from what was typed: empty fields are left out; integers and plain
/// numbers are sent as numbers when they read as one (else as typed, so the schema names the
/// field); money is sent as the exact text. Err: fields whose JSON does not parse.
pub fn build_object(
    fields: &[SchemaField],
    values: &BTreeMap<String, String>,
) -> Result<Map<String, Value>, Vec<(String, String)>> {
    let mut out = Map::new();
    let mut errors = Vec::new();
    for f in fields {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path).to_string();
        let raw = values.get(&f.path).map(|s| s.trim()).unwrap_or_default();
        let value = match &f.kind {
            FieldKind::Group(children) => match build_object(children, values) {
                Ok(m) if m.is_empty() => None,
                Ok(m) => Some(Value::Object(m)),
                Err(mut e) => {
                    errors.append(&mut e);
                    None
                }
            },
            _ if raw.is_empty() => None,
            FieldKind::Text { .. } | FieldKind::Decimal | FieldKind::Choice(_) => Some(Value::String(raw.to_string())),
            FieldKind::Integer => {
                Some(raw.parse::<i64>().map(Value::from).unwrap_or_else(|_| Value::String(raw.to_string())))
            }
            FieldKind::Number => Some(match serde_json::from_str::<Value>(raw) {
                Ok(n @ Value::Number(_)) => n,
                _ => Value::String(raw.to_string()),
            }),
            FieldKind::Boolean => Some(Value::Bool(raw == "true")),
            FieldKind::TextList => Some(Value::Array(
                raw.lines().map(str::trim).filter(|l| !l.is_empty()).map(|l| Value::String(l.to_string())).collect(),
            )),
            FieldKind::Json => match serde_json::from_str::<Value>(raw) {
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
pub fn values_from(fields: &[SchemaField], params: &Value, values: &mut BTreeMap<String, String>) {
    for f in fields {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path);
        let v = params.get(name);
        match (&f.kind, v) {
            (FieldKind::Group(children), Some(obj)) => values_from(children, obj, values),
            (FieldKind::Group(children), None) => values_from(children, &Value::Null, values),
            (_, None | Some(Value::Null)) => {
                values.remove(&f.path);
            }
            (FieldKind::TextList, Some(Value::Array(items))) if items.iter().all(Value::is_string) => {
                let lines: Vec<&str> = items.iter().filter_map(Value::as_str).collect();
                values.insert(f.path.clone(), lines.join("\n"));
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
pub fn example(fields: &[SchemaField]) -> Map<String, Value> {
    let mut out = Map::new();
    for f in fields.iter().filter(|f| f.required) {
        let name = f.path.rsplit('.').next().unwrap_or(&f.path).to_string();
        let v = match &f.kind {
            FieldKind::Group(children) => Value::Object(example(children)),
            FieldKind::Text { .. } if name.contains("order") => Value::String("A-1001".into()),
            FieldKind::Text { .. } if name == "country" => Value::String("DE".into()),
            FieldKind::Text { .. } => Value::String(format!("example {}", f.title.to_lowercase())),
            FieldKind::Decimal => Value::String("10.00".into()),
            FieldKind::Number | FieldKind::Integer => Value::from(1),
            FieldKind::Boolean => Value::Bool(false),
            FieldKind::Choice(c) => Value::String(c.first().cloned().unwrap_or_default()),
            FieldKind::TextList => Value::Array(vec![Value::String(format!("example {}", f.title.to_lowercase()))]),
            FieldKind::Json => Value::Array(Vec::new()),
        };
        out.insert(name, v);
    }
    out
}

/// A choice's value in words for its option: `in_app` → "In app" (the value sent stays).
pub fn choice_label(value: &str) -> String {
    let words = value.replace('_', " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => words,
    }
}

/// Required fields left empty, as (path, message): the top level's, and inside a group
/// that is required or partly filled in.
pub fn missing_required(fields: &[SchemaField], values: &BTreeMap<String, String>) -> Vec<(String, String)> {
    fn filled(f: &SchemaField, values: &BTreeMap<String, String>) -> bool {
        match &f.kind {
            FieldKind::Group(children) => children.iter().any(|c| filled(c, values)),
            _ => values.get(&f.path).is_some_and(|v| !v.trim().is_empty()),
        }
    }
    let mut out = Vec::new();
    for f in fields {
        match &f.kind {
            FieldKind::Group(children) if f.required || filled(f, values) => {
                out.extend(missing_required(children, values));
            }
            FieldKind::Group(_) => {}
            _ if f.required && !filled(f, values) => out.push((f.path.clone(), "Required: fill this in.".to_string())),
            _ => {}
        }
    }
    out
}

fn all_paths(fields: &[SchemaField], out: &mut Vec<String>) {
    for f in fields {
        out.push(f.path.clone());
        if let FieldKind::Group(c) = &f.kind {
            all_paths(c, out);
        }
    }
}

/// Which input a server field error belongs to, when the object was sent under `root`
/// (Try it sends `params`): `params.amount` → `amount`, `params.address.city` →
/// `address.city`, `params` with "\"order_id\" is a required property" → `order_id`, a plain
/// `amount` (outside `root`) → `amount`; inside lists, the list's field. None: not about
/// one input.
pub fn error_path(fields: &[SchemaField], root: &str, field: &str, message: &str) -> Option<String> {
    let mut known = Vec::new();
    all_paths(fields, &mut known);
    let mut path = match field.strip_prefix(root).filter(|_| !root.is_empty()) {
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
        assert_eq!((&by("order_id").kind, by("order_id").required), (&FieldKind::Text { long: false }, true));
        assert_eq!(by("order_id").title, "Order");
        assert_eq!(by("amount").kind, FieldKind::Decimal);
        assert_eq!((&by("count").kind, by("count").required), (&FieldKind::Integer, false));
        assert_eq!(by("channel").kind, FieldKind::Choice(vec!["email".into(), "sms".into()]));
        let FieldKind::Group(children) = &by("address").kind else { panic!("address is a group") };
        assert_eq!(children[0].path, "address.city");
        assert!(children[0].required);
        assert_eq!(by("items").kind, FieldKind::Json);
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
        let p = Value::Object(build_object(&f, &v).unwrap());
        assert_eq!(p, json!({"order_id": "A-1", "amount": "12.50", "count": 3, "address": {"city": "Berlin"}}));
        let mut back = BTreeMap::new();
        values_from(&f, &p, &mut back);
        assert_eq!(back.get("address.city").map(String::as_str), Some("Berlin"));
        assert_eq!(back.get("count").map(String::as_str), Some("3"));
        v.insert("items".to_string(), "[oops".to_string());
        assert_eq!(build_object(&f, &v).unwrap_err()[0].0, "items");
        v.insert("count".to_string(), "three".to_string());
        v.remove("items");
        assert_eq!(build_object(&f, &v).unwrap()["count"], json!("three"));
    }

    #[test]
    fn lists_of_texts_are_one_per_line() {
        let schema = json!({"type": "object", "properties": {
            "recipients": {"type": "array", "items": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "object"}}
        }, "required": ["recipients"]});
        let f = fields_of(&schema, "");
        assert_eq!(f[0].kind, FieldKind::TextList);
        assert_eq!(f[1].kind, FieldKind::Json);
        let mut v = BTreeMap::new();
        v.insert("recipients".to_string(), "Owner\n\n  sam@example.com \n".to_string());
        let p = Value::Object(build_object(&f, &v).unwrap());
        assert_eq!(p, json!({"recipients": ["Owner", "sam@example.com"]}));
        let mut back = BTreeMap::new();
        values_from(&f, &p, &mut back);
        assert_eq!(back["recipients"], "Owner\nsam@example.com");
    }

    #[test]
    fn required_fields_left_empty_are_named() {
        let f = fields_of(&schema(), "");
        let mut v = BTreeMap::new();
        v.insert("amount".to_string(), "5".to_string());
        let missing: Vec<String> = missing_required(&f, &v).into_iter().map(|(p, _)| p).collect();
        assert_eq!(missing, vec!["order_id", "address.city"]);
        v.insert("order_id".to_string(), "{{order_id}}".to_string());
        v.insert("address.city".to_string(), " ".to_string());
        assert_eq!(missing_required(&f, &v).len(), 1);
        v.insert("address.city".to_string(), "Berlin".to_string());
        assert!(missing_required(&f, &v).is_empty());
        assert_eq!(choice_label("in_app"), "In app");
    }

    #[test]
    fn server_errors_land_on_their_inputs() {
        let f = fields_of(&schema(), "");
        assert_eq!(error_path(&f, "params", "params.amount", "x").as_deref(), Some("amount"));
        assert_eq!(error_path(&f, "params", "amount", "x").as_deref(), Some("amount"));
        assert_eq!(
            error_path(&f, "params", "params", "\"order_id\" is a required property").as_deref(),
            Some("order_id")
        );
        assert_eq!(
            error_path(&f, "params", "params.address", "\"city\" is a required property").as_deref(),
            Some("address.city")
        );
        assert_eq!(error_path(&f, "params", "params.items.0.sku", "x").as_deref(), Some("items"));
        assert_eq!(error_path(&f, "params", "params", "Additional properties are not allowed").as_deref(), None);
        assert_eq!(error_path(&f, "params", "store_id", "x"), None);
        let ex = Value::Object(example(&f));
        assert_eq!(ex, json!({"order_id": "A-1001", "amount": "10.00", "address": {"city": "example city"}}));
    }
}
