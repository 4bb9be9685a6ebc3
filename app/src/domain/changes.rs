//! The change log (`/audit/changes`, `GET /api/v1/audit/events`): how audit events look to
//! pages and the API, reading the list's filters (dates, cursor), and turning an event's
//! before/after snapshots into a readable "field: old → new" diff. Pure.

use super::audit::AuditActor;
use super::error::{AppError, FieldError};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// An event as pages and the API show it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AuditEventView {
    pub id: i64,
    pub seq: i64,
    pub occurred_at: String,
    pub actor: AuditActor,
    pub action: String,
    pub entity_type: String,
    pub entity_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub ip: Option<String>,
    pub request_id: Option<String>,
}

/// A page of events, newest first; `next_cursor` fetches the older ones.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct EventPage {
    pub events: Vec<AuditEventView>,
    pub next_cursor: Option<String>,
}

/// Sign-in events (`auth.login`, `auth.logout`, `auth.login_failed`, `auth.mfa_failed`):
/// the change log leaves them out unless asked.
pub const SIGN_IN_ACTION_PREFIX: &str = "auth.";

/// The filters as typed (query string or form): all optional text.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct EventQuery {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    /// An actor's id, or part of their label (email, key name), any case.
    pub actor: Option<String>,
    /// `YYYY-MM-DD` (from the start of that day, UTC) or an RFC 3339 instant.
    pub from: Option<String>,
    /// `YYYY-MM-DD` (through the end of that day, UTC) or an RFC 3339 instant (inclusive).
    pub to: Option<String>,
    pub include_sign_ins: bool,
}

/// The filters, read and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub entity_type: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    /// Events at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Events strictly before this instant.
    pub until: Option<DateTime<Utc>>,
    pub include_sign_ins: bool,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

/// Reads a date or instant. `end`: a date means the end of that day (the next midnight).
/// Returns the bound as an exclusive upper limit when `end`, else inclusive lower limit.
pub fn parse_bound(text: &str, end: bool) -> Result<DateTime<Utc>, String> {
    let text = text.trim();
    if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        let day = if end { day.succ_opt().ok_or("That date is out of range.")? } else { day };
        return day.and_hms_opt(0, 0, 0).map(|t| t.and_utc()).ok_or_else(|| "That date is out of range.".to_string());
    }
    match DateTime::parse_from_rfc3339(text) {
        Ok(t) => {
            let t = t.with_timezone(&Utc);
            Ok(if end { t + Duration::microseconds(1) } else { t })
        }
        Err(_) => {
            Err(format!("\"{text}\" is not a date: use YYYY-MM-DD (or an RFC 3339 time such as 2026-11-23T14:00:00Z)."))
        }
    }
}

impl EventQuery {
    /// Checks the filters; bad dates answer VALIDATION_ERROR naming the field.
    pub fn parse(&self) -> Result<EventFilter, AppError> {
        let mut fields = Vec::new();
        let mut bound = |name: &str, value: &Option<String>, end: bool| match text(value) {
            None => None,
            Some(t) => match parse_bound(&t, end) {
                Ok(b) => Some(b),
                Err(message) => {
                    fields.push(FieldError { field: name.into(), message });
                    None
                }
            },
        };
        let from = bound("from", &self.from, false);
        let until = bound("to", &self.to, true);
        if let (Some(f), Some(u)) = (from, until) {
            if f >= u {
                fields.push(FieldError { field: "to".into(), message: "\"To\" must not be before \"from\".".into() });
            }
        }
        if !fields.is_empty() {
            return Err(AppError::invalid_fields(fields));
        }
        Ok(EventFilter {
            entity_type: text(&self.entity_type),
            entity_id: text(&self.entity_id),
            actor: text(&self.actor),
            from,
            until,
            include_sign_ins: self.include_sign_ins,
        })
    }
}

/// A page cursor: the `seq` of the last event seen (older events follow).
pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<i64>, AppError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) => c.parse::<i64>().ok().filter(|n| *n > 0).map(Some).ok_or_else(|| {
            AppError::invalid_fields(vec![FieldError {
                field: "cursor".into(),
                message: "The cursor is not valid: pass the next_cursor of the previous page.".into(),
            }])
        }),
    }
}

/// One changed field: its dotted path, and the value before and after (None: absent).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct FieldChange {
    pub field: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

/// A value as a person reads it: strings without quotes, everything else as compact JSON.
pub fn show_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "(none)".to_string(),
        other => other.to_string(),
    }
}

/// Objects flattened to `a.b` paths; arrays and scalars are leaves.
fn flatten(prefix: &str, v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(map) if !map.is_empty() => {
            for (k, child) in map {
                let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                flatten(&path, child, out);
            }
        }
        other => out.push((if prefix.is_empty() { "value".to_string() } else { prefix.to_string() }, other.clone())),
    }
}

/// What changed between two snapshots, field by field, in field order. A created entity
/// (no before) lists every field as new; a deleted one every field as gone; fields equal on
/// both sides are left out.
pub fn diff(before: Option<&Value>, after: Option<&Value>) -> Vec<FieldChange> {
    let mut b = Vec::new();
    let mut a = Vec::new();
    if let Some(v) = before {
        flatten("", v, &mut b);
    }
    if let Some(v) = after {
        flatten("", v, &mut a);
    }
    let mut names: Vec<String> = b.iter().chain(a.iter()).map(|(k, _)| k.clone()).collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter_map(|name| {
            let old = b.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
            let new = a.iter().find(|(k, _)| *k == name).map(|(_, v)| v);
            (old != new).then(|| FieldChange { field: name, before: old.map(show_value), after: new.map(show_value) })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn dates_cover_whole_days() {
        assert_eq!(parse_bound("2026-11-23", false), Ok(t("2026-11-23T00:00:00Z")));
        assert_eq!(parse_bound("2026-11-23", true), Ok(t("2026-11-24T00:00:00Z")));
        assert_eq!(parse_bound("2026-11-23T10:00:00+01:00", false), Ok(t("2026-11-23T09:00:00Z")));
        assert_eq!(parse_bound("2026-11-23T09:00:00Z", true), Ok(t("2026-11-23T09:00:00.000001Z")));
        assert!(parse_bound("yesterday", false).unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_bound("2026-13-01", false).is_err());
    }

    #[test]
    fn query_errors_name_their_fields() {
        let q = EventQuery { from: Some("soon".into()), to: Some("2026-02-30".into()), ..Default::default() };
        let e = q.parse().unwrap_err();
        assert!(e.field("from").is_some());
        assert!(e.field("to").is_some());
        let q = EventQuery { from: Some("2026-11-24".into()), to: Some("2026-11-23".into()), ..Default::default() };
        assert!(q.parse().unwrap_err().field("to").unwrap().contains("before"));
        let q = EventQuery {
            from: Some("2026-11-23".into()),
            to: Some("2026-11-23".into()),
            actor: Some("  ".into()),
            ..Default::default()
        };
        let f = q.parse().unwrap();
        assert_eq!(f.actor, None, "blank filters are no filters");
        assert_eq!(f.until, Some(t("2026-11-24T00:00:00Z")));
    }

    #[test]
    fn cursors() {
        assert_eq!(parse_cursor(None).unwrap(), None);
        assert_eq!(parse_cursor(Some("")).unwrap(), None);
        assert_eq!(parse_cursor(Some("42")).unwrap(), Some(42));
        assert!(parse_cursor(Some("abc")).unwrap_err().field("cursor").is_some());
        assert!(parse_cursor(Some("-1")).is_err());
    }

    #[test]
    fn diff_lists_changed_fields_only() {
        let before = json!({"id": "t1", "name": "EU", "parent_team_id": null, "meta": {"a": 1, "b": [1, 2]}});
        let after = json!({"id": "t1", "name": "Europe", "parent_team_id": "t0", "meta": {"a": 1, "b": [1, 2, 3]}});
        assert_eq!(
            diff(Some(&before), Some(&after)),
            vec![
                FieldChange { field: "meta.b".into(), before: Some("[1,2]".into()), after: Some("[1,2,3]".into()) },
                FieldChange { field: "name".into(), before: Some("EU".into()), after: Some("Europe".into()) },
                FieldChange { field: "parent_team_id".into(), before: Some("(none)".into()), after: Some("t0".into()) },
            ]
        );
    }

    #[test]
    fn diff_of_created_and_deleted() {
        let v = json!({"name": "CRM", "kind": "management"});
        let created = diff(None, Some(&v));
        assert_eq!(created.len(), 2);
        assert!(created.iter().all(|c| c.before.is_none() && c.after.is_some()));
        let deleted = diff(Some(&v), None);
        assert!(deleted.iter().all(|c| c.before.is_some() && c.after.is_none()));
        assert!(diff(None, None).is_empty());
        assert_eq!(diff(None, Some(&json!("x")))[0].field, "value");
    }
}
