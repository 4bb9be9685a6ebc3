//! The action catalog's types: what an action is (its id, version, input schema, which input
//! carries money or a percentage, how risky it is) and the small vocabularies permissions and
//! limits are written in. Loading the catalog and validating inputs against its JSON Schemas
//! happen in the services layer; nothing here does I/O.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::str::FromStr;

/// How much harm an action can do, shown next to it and used to order the settings page.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Risk {
    Read,
    Write,
    Money,
}

impl Risk {
    pub fn parse(s: &str) -> Option<Risk> {
        match s {
            "read" => Some(Risk::Read),
            "write" => Some(Risk::Write),
            "money" => Some(Risk::Money),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Risk::Read => "Reads data",
            Risk::Write => "Changes data",
            Risk::Money => "Moves money",
        }
    }
}

/// One version of a catalog action.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ActionDef {
    pub id: String,
    pub version: u32,
    pub name: String,
    pub description: String,
    pub category: String,
    pub input_schema: Value,
    pub output_schema: Value,
    pub amount_field: Option<String>,
    pub percentage_field: Option<String>,
    pub order_total_field: Option<String>,
    pub risk: Risk,
    pub retryable: bool,
    pub idempotent: bool,
    pub required_permission: Option<String>,
    pub redact_fields: Vec<String>,
    pub executor: String,
    pub default_enabled: bool,
    pub default_requires_confirmation: bool,
}

impl ActionDef {
    /// Can a request for this action carry an amount (so amount limits apply)?
    pub fn has_amount(&self) -> bool {
        self.amount_field.is_some()
    }

    /// Can a percentage be read or computed (amount / order total) for this action?
    pub fn has_percentage(&self) -> bool {
        self.percentage_field.is_some() || (self.amount_field.is_some() && self.order_total_field.is_some())
    }
}

/// Who confirms an action that needs confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConfirmationBy {
    Customer,
    Staff,
}

impl ConfirmationBy {
    pub fn parse(s: &str) -> Option<ConfirmationBy> {
        match s {
            "customer" => Some(ConfirmationBy::Customer),
            "staff" => Some(ConfirmationBy::Staff),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ConfirmationBy::Customer => "customer",
            ConfirmationBy::Staff => "staff",
        }
    }
}

/// The kinds of limit (DESIGN.md §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum LimitType {
    MaxAmount,
    MaxPercentage,
    MaxCount,
    MaxTotalAmount,
}

impl LimitType {
    pub const ALL: [LimitType; 4] =
        [LimitType::MaxAmount, LimitType::MaxPercentage, LimitType::MaxCount, LimitType::MaxTotalAmount];

    pub fn parse(s: &str) -> Option<LimitType> {
        match s {
            "max_amount" => Some(LimitType::MaxAmount),
            "max_percentage" => Some(LimitType::MaxPercentage),
            "max_count" => Some(LimitType::MaxCount),
            "max_total_amount" => Some(LimitType::MaxTotalAmount),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            LimitType::MaxAmount => "max_amount",
            LimitType::MaxPercentage => "max_percentage",
            LimitType::MaxCount => "max_count",
            LimitType::MaxTotalAmount => "max_total_amount",
        }
    }

    /// Limits that count over a time window.
    pub fn is_windowed(self) -> bool {
        matches!(self, LimitType::MaxCount | LimitType::MaxTotalAmount)
    }

    pub fn label(self) -> &'static str {
        match self {
            LimitType::MaxAmount => "Largest amount per action",
            LimitType::MaxPercentage => "Largest percentage per action",
            LimitType::MaxCount => "How many per time window",
            LimitType::MaxTotalAmount => "Total amount per time window",
        }
    }
}

/// What happens when a limit is exceeded.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnExceed {
    Deny,
    Confirm,
}

impl OnExceed {
    pub fn parse(s: &str) -> Option<OnExceed> {
        match s {
            "deny" => Some(OnExceed::Deny),
            "confirm" => Some(OnExceed::Confirm),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            OnExceed::Deny => "deny",
            OnExceed::Confirm => "confirm",
        }
    }
}

/// Where a policy value is set: the org's defaults, the store, or one assistant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    Org,
    Store,
    Assistant,
}

impl Level {
    pub fn parse(s: &str) -> Option<Level> {
        match s {
            "org" => Some(Level::Org),
            "store" => Some(Level::Store),
            "assistant" => Some(Level::Assistant),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Level::Org => "org",
            Level::Store => "store",
            Level::Assistant => "assistant",
        }
    }
}

/// Reads a decimal from a JSON number or string ("12.50"). None when absent or null;
/// Err when present but not a decimal.
pub fn decimal_field(params: &Value, field: &str) -> Result<Option<Decimal>, String> {
    match params.get(field) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => {
            let s = n.to_string();
            Decimal::from_str(&s).or_else(|_| Decimal::from_scientific(&s)).map(Some).map_err(|_| not_decimal(field))
        }
        Some(Value::String(s)) => Decimal::from_str(s.trim()).map(Some).map_err(|_| not_decimal(field)),
        Some(_) => Err(not_decimal(field)),
    }
}

fn not_decimal(field: &str) -> String {
    format!("{field} must be a decimal number, like 12.50")
}

/// What replaces a redacted value.
pub const REDACTED: &str = "[redacted]";

/// The inputs with every `redact_fields` path ("card.number", "source.url") replaced by
/// `[redacted]`, for the audit row, logs and pages. Paths that are absent change nothing.
pub fn redact(params: &Value, fields: &[String]) -> Value {
    let mut out = params.clone();
    for path in fields {
        let mut parts: Vec<&str> = path.split('.').collect();
        let Some(last) = parts.pop() else { continue };
        let target = parts.iter().try_fold(&mut out, |cur, p| cur.get_mut(*p));
        if let Some(obj) = target.and_then(Value::as_object_mut) {
            if obj.contains_key(last) {
                obj.insert(last.to_string(), Value::String(REDACTED.into()));
            }
        }
    }
    out
}

/// Checks a limit's values, field by field (the names of the limit form and REST body).
pub fn validate_limit(
    def: &ActionDef,
    limit_type: LimitType,
    value: Decimal,
    time_window_hours: Option<i64>,
) -> Vec<(&'static str, String)> {
    let mut errors = Vec::new();
    if value.is_sign_negative() {
        errors.push(("limit_value", "A limit can't be negative.".to_string()));
    }
    if limit_type == LimitType::MaxPercentage && value > Decimal::from(100) {
        errors.push(("limit_value", "A percentage can't be more than 100.".to_string()));
    }
    if limit_type == LimitType::MaxCount && value.fract() != Decimal::ZERO {
        errors.push(("limit_value", "A count must be a whole number.".to_string()));
    }
    match (limit_type.is_windowed(), time_window_hours) {
        (true, None) => errors.push(("time_window_hours", "Say over how many hours to count (1 to 8760).".into())),
        (true, Some(h)) if !(1..=8760).contains(&h) => {
            errors.push(("time_window_hours", "The window must be between 1 and 8760 hours (a year).".into()))
        }
        (false, Some(_)) => errors.push((
            "time_window_hours",
            format!("{} applies to each action on its own; leave the window empty.", limit_type.as_str()),
        )),
        _ => {}
    }
    match limit_type {
        LimitType::MaxAmount | LimitType::MaxTotalAmount if !def.has_amount() => {
            errors.push(("limit_type", format!("\"{}\" has no amount, so amount limits can't apply.", def.name)))
        }
        LimitType::MaxPercentage if !def.has_percentage() => errors
            .push(("limit_type", format!("\"{}\" has no percentage, so percentage limits can't apply.", def.name))),
        _ => {}
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn refund() -> ActionDef {
        ActionDef {
            id: "process_refund".into(),
            version: 1,
            name: "Refund a payment".into(),
            description: String::new(),
            category: "payments".into(),
            input_schema: json!({}),
            output_schema: json!({}),
            amount_field: Some("amount".into()),
            percentage_field: None,
            order_total_field: Some("order_total".into()),
            risk: Risk::Money,
            retryable: false,
            idempotent: false,
            required_permission: None,
            redact_fields: vec![],
            executor: "platform".into(),
            default_enabled: false,
            default_requires_confirmation: true,
        }
    }

    #[test]
    fn decimals_come_from_numbers_and_strings() {
        let p = json!({"a": 12.5, "b": "7.25", "c": "x", "d": null, "e": true, "f": 1e2});
        assert_eq!(decimal_field(&p, "a").unwrap(), Some(Decimal::new(125, 1)));
        assert_eq!(decimal_field(&p, "b").unwrap(), Some(Decimal::new(725, 2)));
        assert!(decimal_field(&p, "c").is_err());
        assert_eq!(decimal_field(&p, "d").unwrap(), None);
        assert!(decimal_field(&p, "e").is_err());
        assert_eq!(decimal_field(&p, "f").unwrap(), Some(Decimal::from(100)));
        assert_eq!(decimal_field(&p, "missing").unwrap(), None);
    }

    #[test]
    fn redaction_replaces_nested_and_top_level_fields_only() {
        let p = json!({"a": "x", "card": {"number": "4242", "exp": "12/30"}, "keep": 1});
        let r = redact(&p, &["card.number".into(), "a".into(), "missing.path".into(), "keep.deeper".into()]);
        assert_eq!(r, json!({"a": REDACTED, "card": {"number": REDACTED, "exp": "12/30"}, "keep": 1}));
    }

    #[test]
    fn limit_values_are_checked_field_by_field() {
        let d = refund();
        assert!(validate_limit(&d, LimitType::MaxAmount, Decimal::from(100), None).is_empty());
        let e = validate_limit(&d, LimitType::MaxAmount, Decimal::from(-1), Some(3));
        assert_eq!(e.iter().map(|(f, _)| *f).collect::<Vec<_>>(), vec!["limit_value", "time_window_hours"]);
        assert!(!validate_limit(&d, LimitType::MaxPercentage, Decimal::from(101), None).is_empty());
        assert!(validate_limit(&d, LimitType::MaxPercentage, Decimal::from(100), None).is_empty());
        assert!(!validate_limit(&d, LimitType::MaxCount, Decimal::new(15, 1), Some(24)).is_empty());
        assert!(!validate_limit(&d, LimitType::MaxCount, Decimal::from(5), None).is_empty());
        assert!(!validate_limit(&d, LimitType::MaxCount, Decimal::from(5), Some(0)).is_empty());
        assert!(!validate_limit(&d, LimitType::MaxCount, Decimal::from(5), Some(8761)).is_empty());
        assert!(validate_limit(&d, LimitType::MaxCount, Decimal::from(5), Some(8760)).is_empty());
        let mut lookup = refund();
        lookup.amount_field = None;
        lookup.order_total_field = None;
        assert!(!validate_limit(&lookup, LimitType::MaxTotalAmount, Decimal::from(5), Some(1)).is_empty());
        assert!(!validate_limit(&lookup, LimitType::MaxPercentage, Decimal::from(5), None).is_empty());
        assert!(validate_limit(&lookup, LimitType::MaxCount, Decimal::from(5), Some(1)).is_empty());
    }
}
