//! The secrets vault's rules (issue 15): what a secret's name, value and description may be,
//! the write-only views, and the `{{secrets.NAME}}` references an automation rule's action
//! parameters may hold — found, filled in at execution and scrubbed from whatever comes back.
//!
//! Two kinds of rows share the vault:
//! - secrets people name and set (`SHIPPING_API_TOKEN`), at the org, a team or a person;
//! - the credentials of Mandate's own integrations (a webhook connector's signing secret, the
//!   SMS provider's token, the single sign-on client secret), kept at the org under a reserved
//!   name (`connector:<id>`, `sms:token`, `sso:client-secret`) that no person can type, shown
//!   with what uses them and managed on those integrations' pages.

use super::error::Validator;
use super::AppError;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

pub const NAME_MAX: usize = 64;
pub const VALUE_MAX: usize = 8192;
pub const DESCRIPTION_MAX: usize = 500;
/// Where a template names a secret: `{{secrets.NAME}}`.
pub const TEMPLATE_PREFIX: &str = "secrets.";

pub const SCOPE_ORG: &str = "org";
pub const SCOPE_TEAM: &str = "team";
pub const SCOPE_USER: &str = "user";
pub const SCOPES: [&str; 3] = [SCOPE_ORG, SCOPE_TEAM, SCOPE_USER];

/// The reserved name of an integration's credential.
pub fn connector_name(connector_id: &str) -> String {
    format!("connector:{connector_id}")
}
pub const SMS_TOKEN_NAME: &str = "sms:token";
pub const SSO_CLIENT_SECRET_NAME: &str = "sso:client-secret";

/// Whether `name` is one of the integrations' reserved names.
pub fn is_integration_name(name: &str) -> bool {
    name.contains(':')
}

/// A secret's name: capital letters, digits and `_`, starting with a letter (as it is
/// written in `{{secrets.NAME}}`).
pub fn check_name(name: &str) -> Result<(), String> {
    let mut chars = name.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_uppercase());
    if name.is_empty() {
        Err("Give the secret a name, e.g. SHIPPING_API_TOKEN.".into())
    } else if name.len() > NAME_MAX {
        Err(format!("Keep the name to {NAME_MAX} characters."))
    } else if !first_ok || !chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_') {
        Err("Use capital letters, digits and _ and start with a letter, e.g. SHIPPING_API_TOKEN.".into())
    } else {
        Ok(())
    }
}

pub fn check_value(value: &str) -> Result<(), String> {
    if value.is_empty() {
        Err("Enter the secret's value.".into())
    } else if value.len() > VALUE_MAX {
        Err(format!("Keep the value to {VALUE_MAX} bytes."))
    } else {
        Ok(())
    }
}

pub fn check_description(description: &str) -> Result<(), String> {
    if description.chars().count() > DESCRIPTION_MAX {
        Err(format!("Keep the description to {DESCRIPTION_MAX} characters."))
    } else {
        Ok(())
    }
}

/// A new secret, or a new value for one of the same name at the same place.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretInput {
    /// org (default), team or user.
    #[serde(default)]
    pub scope_type: Option<String>,
    /// The team's or the person's id (none for the org).
    #[serde(default)]
    pub scope_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    pub value: String,
}

/// A change to a secret: its description, its value, or both.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretPatch {
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub value: Option<String>,
}

impl SecretInput {
    /// The checked name, description and value (field errors name each).
    pub fn check(&self) -> Result<(), AppError> {
        let mut v = Validator::new();
        v.add("name", check_name(self.name.trim()));
        v.add("description", check_description(self.description.as_deref().unwrap_or("")));
        v.add("value", check_value(&self.value));
        if let Some(s) = &self.scope_type {
            v.check(SCOPES.contains(&s.as_str()), "scope_type", "Choose where the secret belongs: org, team or user.");
        }
        v.finish()
    }
}

impl SecretPatch {
    pub fn check(&self) -> Result<(), AppError> {
        let mut v = Validator::new();
        v.check(
            self.description.is_some() || self.value.is_some(),
            "value",
            "Send a new value, a new description or both.",
        );
        if let Some(d) = &self.description {
            v.add("description", check_description(d));
        }
        if let Some(x) = &self.value {
            v.add("value", check_value(x));
        }
        v.finish()
    }
}

/// What anyone may know about a secret: never its value.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretView {
    pub id: String,
    /// org | team | user
    pub scope_type: String,
    pub scope_id: Option<String>,
    /// "The whole organisation", the team's or the person's name.
    pub scope_label: String,
    pub name: String,
    pub description: String,
    pub set_at: String,
    /// Who set the current value.
    pub set_by: String,
    /// For an integration's credential: what uses it ("the SMS provider") and the page that
    /// manages it. None for the secrets people name.
    pub used_by: Option<String>,
    pub manage_at: Option<String>,
}

/// The vault page: the secrets the viewer may manage and where they may add some.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SecretsPage {
    pub secrets: Vec<SecretView>,
    /// Places the viewer may keep secrets: (scope_type, scope_id, label).
    pub places: Vec<SecretPlace>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SecretPlace {
    pub scope_type: String,
    pub scope_id: Option<String>,
    pub label: String,
}

/// The secret names a template string references (`{{secrets.NAME}}`), ignoring other fields
/// and malformed templates (those are reported by the template checks).
fn refs_in_text(text: &str, out: &mut BTreeSet<String>) {
    if let Ok(fields) = super::automation::template_fields(text) {
        out.extend(fields.into_iter().filter_map(|f| f.strip_prefix(TEMPLATE_PREFIX).map(str::to_string)));
    }
}

fn each_string(v: &Value, f: &mut impl FnMut(&str)) {
    match v {
        Value::String(s) => f(s),
        Value::Array(items) => items.iter().for_each(|x| each_string(x, f)),
        Value::Object(m) => m.values().for_each(|x| each_string(x, f)),
        _ => {}
    }
}

/// Every secret name the parameters reference, sorted.
pub fn refs_in(params: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    each_string(params, &mut |s| refs_in_text(s, &mut out));
    out
}

/// Text inserted into a template from an event or an earlier step is data, never a template:
/// a `{{` inside it is broken up so a customer who writes `{{secrets.API_TOKEN}}` into an
/// order note cannot have the vault fill it in.
pub fn defuse(inserted: &str) -> String {
    if inserted.contains("{{") {
        inserted.replace("{{", "{\u{2060}{")
    } else {
        inserted.to_string()
    }
}

/// The parameters with every `{{secrets.NAME}}` replaced by its value from `values`; a
/// reference to a secret not in `values` is an error naming it.
pub fn fill(params: &Value, values: &BTreeMap<String, String>) -> Result<Value, String> {
    fn text(s: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
        let Ok(pieces) = super::automation::parse_template(s) else { return Ok(s.to_string()) };
        let mut out = String::with_capacity(s.len());
        for p in pieces {
            match p {
                super::automation::Piece::Text(t) => out.push_str(t),
                super::automation::Piece::Field(f) => match f.strip_prefix(TEMPLATE_PREFIX) {
                    Some(name) => out.push_str(
                        values.get(name).ok_or_else(|| format!("The secret {name} is not set in the vault."))?,
                    ),
                    None => {
                        out.push_str("{{");
                        out.push_str(f);
                        out.push_str("}}");
                    }
                },
            }
        }
        Ok(out)
    }
    Ok(match params {
        Value::String(s) => Value::String(text(s, values)?),
        Value::Array(items) => Value::Array(items.iter().map(|x| fill(x, values)).collect::<Result<_, _>>()?),
        Value::Object(m) => {
            Value::Object(m.iter().map(|(k, x)| Ok((k.clone(), fill(x, values)?))).collect::<Result<_, String>>()?)
        }
        other => other.clone(),
    })
}

/// `text` with every value of `values` replaced by «secret NAME» (what a receiver echoed back
/// never reaches a run, an action row, the audit trail or a log).
pub fn scrub_text(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = text.to_string();
    for (name, value) in values {
        if !value.is_empty() && out.contains(value.as_str()) {
            out = out.replace(value.as_str(), &format!("\u{ab}secret {name}\u{bb}"));
        }
    }
    out
}

/// `scrub_text` over every string (and object key) of a JSON value.
pub fn scrub(v: &Value, values: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => Value::String(scrub_text(s, values)),
        Value::Array(items) => Value::Array(items.iter().map(|x| scrub(x, values)).collect()),
        Value::Object(m) => Value::Object(m.iter().map(|(k, x)| (scrub_text(k, values), scrub(x, values))).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names() {
        assert!(check_name("SHIPPING_API_TOKEN").is_ok());
        assert!(check_name("A1").is_ok());
        for bad in ["", "lower", "1ABC", "A-B", "A B", "sms:token", &"A".repeat(65)] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(is_integration_name(SMS_TOKEN_NAME) && is_integration_name(&connector_name("x")));
        assert!(!is_integration_name("SMS_TOKEN"));
    }

    #[test]
    fn refs_fill_and_scrub() {
        let p = json!({"headers": {"Authorization": "Bearer {{secrets.API_TOKEN}}"},
                       "list": ["{{secrets.OTHER}} and {{order_id}}"], "n": 3});
        assert_eq!(refs_in(&p).into_iter().collect::<Vec<_>>(), vec!["API_TOKEN", "OTHER"]);
        let mut values = BTreeMap::new();
        values.insert("API_TOKEN".to_string(), "tok-123".to_string());
        assert_eq!(fill(&p, &values).unwrap_err(), "The secret OTHER is not set in the vault.");
        values.insert("OTHER".to_string(), "o-456".to_string());
        let filled = fill(&p, &values).unwrap();
        assert_eq!(filled["headers"]["Authorization"], "Bearer tok-123");
        assert_eq!(filled["list"][0], "o-456 and {{order_id}}");
        assert_eq!(filled["n"], 3);
        let echoed = json!({"got": "Bearer tok-123", "tok-123": 1});
        assert_eq!(scrub(&echoed, &values), json!({"got": "Bearer «secret API_TOKEN»", "«secret API_TOKEN»": 1}));
        assert!(!scrub_text("error: o-456 refused", &values).contains("o-456"));
    }

    #[test]
    fn inserted_text_is_defused() {
        let d = defuse("note {{secrets.API_TOKEN}}");
        assert!(refs_in(&json!(d)).is_empty());
        assert_eq!(defuse("plain"), "plain");
    }
}
