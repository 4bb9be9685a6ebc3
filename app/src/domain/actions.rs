//! How action attempts look to the audit pages, the Approvals inbox and `GET /api/v1/actions`:
//! the list's filters (read and checked here), rows, the detail with its decision trace and
//! timeline, a pending approval, the overview's sections, and the CSV export's cells. Pure.

use super::changes::{parse_bound, show_value};
use super::error::{AppError, FieldError};
use super::policy::Step;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The statuses an action goes through (DESIGN.md §2).
pub const STATUSES: &[&str] = &["pending", "confirmed", "executed", "failed", "cancelled", "denied", "expired"];

/// The decision's outcomes.
pub const DECISIONS: &[&str] = &["allow", "confirm", "deny"];

/// The filters as typed (query string or form): all optional text; blank means "any".
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActionQuery {
    #[serde(default)]
    pub store_id: Option<String>,
    #[serde(default)]
    pub assistant_id: Option<String>,
    /// The automation rule run that asked.
    #[serde(default)]
    pub rule_run_id: Option<String>,
    #[serde(default)]
    pub action_type: Option<String>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub decision: Option<String>,
    /// `YYYY-MM-DD` (from the start of that day, UTC) or an RFC 3339 instant.
    #[serde(default)]
    pub from: Option<String>,
    /// `YYYY-MM-DD` (through the end of that day, UTC) or an RFC 3339 instant (inclusive).
    #[serde(default)]
    pub to: Option<String>,
}

/// The filters, read and checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ActionFilter {
    pub store_id: Option<String>,
    pub assistant_id: Option<String>,
    pub rule_run_id: Option<String>,
    pub action_type: Option<String>,
    pub status: Option<String>,
    pub decision: Option<String>,
    /// Actions created at or after this instant.
    pub from: Option<DateTime<Utc>>,
    /// Actions created strictly before this instant.
    pub until: Option<DateTime<Utc>>,
}

fn text(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

impl ActionQuery {
    /// Checks the filters: an unknown status or decision, or a bad date, answers
    /// VALIDATION_ERROR naming the field.
    pub fn parse(&self) -> Result<ActionFilter, AppError> {
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
        let status = text(&self.status).map(|s| s.to_lowercase());
        if let Some(s) = &status {
            if !STATUSES.contains(&s.as_str()) {
                fields.push(FieldError {
                    field: "status".into(),
                    message: format!("Unknown status \"{s}\": use one of {}.", STATUSES.join(", ")),
                });
            }
        }
        let decision = text(&self.decision).map(|s| s.to_lowercase());
        if let Some(d) = &decision {
            if !DECISIONS.contains(&d.as_str()) {
                fields.push(FieldError {
                    field: "decision".into(),
                    message: format!("Unknown decision \"{d}\": use allow, confirm or deny."),
                });
            }
        }
        if !fields.is_empty() {
            return Err(AppError::invalid_fields(fields));
        }
        Ok(ActionFilter {
            store_id: text(&self.store_id),
            assistant_id: text(&self.assistant_id),
            rule_run_id: text(&self.rule_run_id),
            action_type: text(&self.action_type),
            status,
            decision,
            from,
            until,
        })
    }

    /// The filters as a query string (`a=1&b=2`, blanks left out), for links that keep them
    /// (the pager, the CSV download).
    pub fn to_query_string(&self) -> String {
        let pairs = [
            ("store_id", &self.store_id),
            ("assistant_id", &self.assistant_id),
            ("rule_run_id", &self.rule_run_id),
            ("action_type", &self.action_type),
            ("status", &self.status),
            ("decision", &self.decision),
            ("from", &self.from),
            ("to", &self.to),
        ];
        pairs
            .iter()
            .filter_map(|(k, v)| text(v).map(|v| format!("{k}={}", url_encode(&v))))
            .collect::<Vec<_>>()
            .join("&")
    }
}

/// Percent-encodes a query-string value.
pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A page cursor: the id of the last action seen (older ones follow). Ids are UUID v7 text,
/// so they sort by creation time.
pub fn parse_cursor(cursor: Option<&str>) -> Result<Option<String>, AppError> {
    match cursor.map(str::trim).filter(|c| !c.is_empty()) {
        None => Ok(None),
        Some(c) if c.len() <= 64 && c.chars().all(|ch| ch.is_ascii_hexdigit() || ch == '-') => {
            Ok(Some(c.to_lowercase()))
        }
        Some(_) => Err(AppError::invalid_fields(vec![FieldError {
            field: "cursor".into(),
            message: "The cursor is not valid: pass the next_cursor of the previous page.".into(),
        }])),
    }
}

/// One action attempt in a list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ActionRow {
    pub id: String,
    pub created_at: String,
    pub store_id: String,
    pub store_name: String,
    pub currency: String,
    pub assistant_id: Option<String>,
    pub assistant_name: Option<String>,
    pub rule_run_id: Option<String>,
    pub action_type: String,
    /// The catalog's plain name ("Refund a payment"); the id when the catalog has none.
    pub action_name: String,
    /// Decimal text, when the action carries money.
    pub amount: Option<String>,
    pub decision: String,
    pub status: String,
    pub code: Option<String>,
    pub reason: String,
    pub confirmation_by: Option<String>,
    pub confirmed_by: Option<String>,
    pub executed_at: Option<String>,
    pub error_code: Option<String>,
}

/// A page of actions, newest first; `next_cursor` fetches the older ones.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ActionPage {
    pub items: Vec<ActionRow>,
    pub next_cursor: Option<String>,
}

/// One entry of an action's timeline: an audit event of the action.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TimelineStep {
    /// `action.requested`, `action.confirmed`, `action.executed`, …
    pub event: String,
    /// Plain words: "Requested", "Confirmed", "Executed", …
    pub label: String,
    /// Who: a person's email, an API key's name, "system".
    pub actor_label: String,
    /// user | api_key | system
    pub actor_kind: String,
    pub at: String,
    /// The event's place in the org's audit chain.
    pub seq: i64,
    /// A short note: the decision and reason, who confirmed, the error.
    pub detail: Option<String>,
}

/// An input as a person reads it: its dotted path and value.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct InputPair {
    pub key: String,
    pub value: String,
}

/// What went wrong when an action failed.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ActionError {
    pub code: String,
    pub message: Option<String>,
}

/// One action with everything the detail page and `GET /actions/{id}` show.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ActionDetail {
    #[serde(flatten)]
    pub row: ActionRow,
    pub action_version: i32,
    pub action_description: String,
    /// The inputs as recorded: redacted fields read "[redacted]".
    pub inputs: Value,
    pub input_list: Vec<InputPair>,
    pub customer_ref: Option<String>,
    pub conversation_id: Option<String>,
    /// Who asked: the API key's name or the person's email (from the request event).
    pub requested_by: Option<String>,
    pub trace: Vec<Step>,
    pub result: Option<Value>,
    pub error: Option<ActionError>,
    pub confirmed_at: Option<String>,
    pub customer_confirmed_at: Option<String>,
    pub expires_at: Option<String>,
    pub timeline: Vec<TimelineStep>,
}

/// An action waiting for a person to approve it, as the inbox shows it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PendingApproval {
    #[serde(flatten)]
    pub row: ActionRow,
    pub action_description: String,
    pub input_list: Vec<InputPair>,
    pub requested_by: Option<String>,
    pub trace: Vec<Step>,
    pub expires_at: Option<String>,
}

/// The overview's action sections; each is None when the viewer may not see it.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct ActionsOverview {
    /// Actions waiting for the viewer's approval (needs `actions.approve` somewhere).
    pub pending: Option<u64>,
    /// The last executed actions (at stores where the viewer holds `audit.read`).
    pub recent: Option<Vec<ActionRow>>,
    /// The last denied attempts (the same stores).
    pub denials: Option<Vec<ActionRow>>,
}

/// What the audit page's filter offers: the stores the viewer may audit, their assistants,
/// and the catalog's actions.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct FilterOptions {
    pub stores: Vec<Choice>,
    pub assistants: Vec<Choice>,
    pub actions: Vec<Choice>,
}

/// A value and its label, for a select.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Choice {
    pub id: String,
    pub label: String,
}

/// The answer to Approve or Reject in the inbox.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ApprovalOutcome {
    pub id: String,
    /// The action's status afterwards: executed, confirmed (the caller executes it),
    /// failed, or cancelled.
    pub status: String,
    /// "Approved — executed", "Rejected", …
    pub message: String,
}

impl ApprovalOutcome {
    /// The notice shown after a decision, from the action's status afterwards.
    pub fn new(id: &str, status: &str, approved: bool, error: Option<&str>) -> ApprovalOutcome {
        let message = match (approved, status) {
            (false, _) => "Rejected".to_string(),
            (true, "executed") => "Approved — executed".to_string(),
            (true, "confirmed") => "Approved — waiting for the caller to carry it out".to_string(),
            (true, "failed") => format!("Approved — but it failed: {}", error.unwrap_or("no reason given")),
            (true, other) => format!("Approved — now {other}"),
        };
        ApprovalOutcome { id: id.to_string(), status: status.to_string(), message }
    }
}

/// Plain words for an action event.
pub fn event_label(event: &str) -> String {
    match event {
        "action.requested" => "Requested",
        "action.confirmed" => "Confirmed",
        "action.executed" => "Executed",
        "action.failed" => "Failed",
        "action.cancelled" => "Cancelled",
        "action.expired" => "Expired",
        other => return other.strip_prefix("action.").unwrap_or(other).replace('_', " "),
    }
    .to_string()
}

/// A short note on an action event from its `after` snapshot.
pub fn event_detail(event: &str, after: Option<&Value>) -> Option<String> {
    let after = after?;
    let s = |k: &str| after.get(k).and_then(Value::as_str).map(str::to_string);
    match event {
        "action.requested" => {
            let decision = s("decision")?;
            let reason = s("reason").unwrap_or_default();
            Some(if reason.is_empty() {
                format!("Decision: {decision}")
            } else {
                format!("Decision: {decision} — {reason}")
            })
        }
        "action.confirmed" => match s("by").as_deref() {
            Some("customer") => Some("Confirmed by the customer".into()),
            Some("staff") => Some(format!("Approved by {}", s("confirmed_by").unwrap_or_else(|| "staff".into()))),
            _ => None,
        },
        "action.failed" => {
            let e = after.get("error")?;
            let code = e.get("code").and_then(Value::as_str).unwrap_or("error");
            Some(match e.get("message").and_then(Value::as_str) {
                Some(m) if !m.is_empty() => format!("{code}: {m}"),
                _ => code.to_string(),
            })
        }
        "action.executed" if after.get("reported").and_then(Value::as_bool) == Some(true) => {
            Some("Reported by the caller".into())
        }
        "action.cancelled" | "action.expired" if after.get("released").and_then(Value::as_bool) == Some(true) => {
            Some("What it reserved against the limits was released".into())
        }
        _ => None,
    }
}

/// Inputs flattened to `a.b` paths in field order, for a readable key/value list.
pub fn input_pairs(v: &Value) -> Vec<InputPair> {
    fn walk(prefix: &str, v: &Value, out: &mut Vec<InputPair>) {
        match v {
            Value::Object(map) if !map.is_empty() => {
                for (k, child) in map {
                    let path = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
                    walk(&path, child, out);
                }
            }
            other => out.push(InputPair {
                key: if prefix.is_empty() { "value".into() } else { prefix.to_string() },
                value: show_value(other),
            }),
        }
    }
    let mut out = Vec::new();
    if !v.is_null() {
        walk("", v, &mut out);
    }
    out
}

/// The CSV export's columns, in order.
pub const CSV_COLUMNS: &[&str] = &[
    "created_at",
    "id",
    "store",
    "assistant",
    "action_type",
    "amount",
    "decision",
    "status",
    "reason",
    "code",
    "confirmed_by",
    "executed_at",
    "error_code",
];

/// One CSV cell (RFC 4180): a cell a spreadsheet would read as a formula (starting with
/// `=`, `+`, `-`, `@`, tab or carriage return) gets a leading `'`; a cell with a comma,
/// quote or line break is quoted, its quotes doubled.
pub fn csv_cell(value: &str) -> String {
    let mut v = String::with_capacity(value.len() + 2);
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        v.push('\'');
    }
    v.push_str(value);
    if v.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", v.replace('"', "\"\""))
    } else {
        v
    }
}

/// One CSV record, ended by CRLF.
pub fn csv_line<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells.iter().map(|c| csv_cell(c.as_ref())).collect::<Vec<_>>().join(",");
    line.push_str("\r\n");
    line
}

/// A row's cells in `CSV_COLUMNS` order.
pub fn csv_record(r: &ActionRow) -> Vec<String> {
    let o = |v: &Option<String>| v.clone().unwrap_or_default();
    vec![
        r.created_at.clone(),
        r.id.clone(),
        r.store_name.clone(),
        o(&r.assistant_name),
        r.action_type.clone(),
        o(&r.amount),
        r.decision.clone(),
        r.status.clone(),
        r.reason.clone(),
        o(&r.code),
        o(&r.confirmed_by),
        o(&r.executed_at),
        o(&r.error_code),
    ]
}

/// An `Idempotency-Key` header: 1 to 255 visible ASCII characters (the gateway's invoke,
/// events and expenditure records all take one).
pub fn check_idempotency_key(key: &str) -> Result<(), AppError> {
    if key.is_empty() || key.len() > 255 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return Err(AppError::invalid_fields(vec![FieldError {
            field: "Idempotency-Key".into(),
            message: "Use 1 to 255 visible ASCII characters, e.g. a UUID.".into(),
        }]));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_quotes_commas_quotes_and_line_breaks() {
        assert_eq!(csv_cell("plain"), "plain");
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("two\nlines"), "\"two\nlines\"");
        assert_eq!(csv_cell("cr\rhere"), "\"cr\rhere\"");
        assert_eq!(csv_cell(""), "");
    }

    #[test]
    fn csv_neutralises_formulas() {
        assert_eq!(csv_cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_cell("+1"), "'+1");
        assert_eq!(csv_cell("-2"), "'-2");
        assert_eq!(csv_cell("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(csv_cell("\tx"), "'\tx");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(csv_line(&["a", "=1,2", "c"]), "a,\"'=1,2\",c\r\n");
    }

    #[test]
    fn filters_are_checked_with_field_errors() {
        let q = ActionQuery {
            status: Some("Pending ".into()),
            decision: Some("deny".into()),
            from: Some("2026-11-01".into()),
            to: Some("2026-11-02".into()),
            store_id: Some("  ".into()),
            ..Default::default()
        };
        let f = q.parse().unwrap();
        assert_eq!(f.status.as_deref(), Some("pending"));
        assert_eq!(f.store_id, None);
        assert_eq!(f.until.unwrap().to_rfc3339(), "2026-11-03T00:00:00+00:00", "to is inclusive");
        let bad = ActionQuery {
            status: Some("done".into()),
            decision: Some("maybe".into()),
            from: Some("yesterday".into()),
            ..Default::default()
        };
        let e = bad.parse().unwrap_err();
        let names: Vec<&str> = e.fields.iter().map(|f| f.field.as_str()).collect();
        assert_eq!(names, ["from", "status", "decision"]);
        let backwards =
            ActionQuery { from: Some("2026-11-05".into()), to: Some("2026-11-01".into()), ..Default::default() };
        assert_eq!(backwards.parse().unwrap_err().fields[0].field, "to");
    }

    #[test]
    fn query_string_keeps_only_given_filters() {
        let q = ActionQuery { status: Some("denied".into()), action_type: Some("a b&c".into()), ..Default::default() };
        assert_eq!(q.to_query_string(), "action_type=a%20b%26c&status=denied");
        assert_eq!(ActionQuery::default().to_query_string(), "");
    }

    #[test]
    fn cursor_must_look_like_an_id() {
        assert_eq!(parse_cursor(None).unwrap(), None);
        assert_eq!(parse_cursor(Some(" ")).unwrap(), None);
        assert!(parse_cursor(Some("0191d3a2-7c1e-7abc-8def-0123456789ab")).unwrap().is_some());
        assert_eq!(parse_cursor(Some("x' OR 1=1")).unwrap_err().fields[0].field, "cursor");
    }

    #[test]
    fn inputs_read_as_pairs() {
        let v = json!({"order_id": "1001", "address": {"city": "Lyon", "zip": 69001}, "card": "[redacted]"});
        let pairs = input_pairs(&v);
        let keys: Vec<&str> = pairs.iter().map(|p| p.key.as_str()).collect();
        assert_eq!(keys, ["address.city", "address.zip", "card", "order_id"]);
        assert_eq!(pairs[1].value, "69001");
        assert!(input_pairs(&Value::Null).is_empty());
    }

    #[test]
    fn timeline_words() {
        assert_eq!(event_label("action.requested"), "Requested");
        assert_eq!(event_label("action.something_new"), "something new");
        let after = json!({"decision": "confirm", "reason": "Needs approval"});
        assert_eq!(event_detail("action.requested", Some(&after)).unwrap(), "Decision: confirm — Needs approval");
        let c = json!({"by": "staff", "confirmed_by": "ann@example.com"});
        assert_eq!(event_detail("action.confirmed", Some(&c)).unwrap(), "Approved by ann@example.com");
        let f = json!({"error": {"code": "TRANSIENT_FAILURE", "message": "timeout"}});
        assert_eq!(event_detail("action.failed", Some(&f)).unwrap(), "TRANSIENT_FAILURE: timeout");
    }

    #[test]
    fn approval_notices() {
        assert_eq!(ApprovalOutcome::new("a", "executed", true, None).message, "Approved — executed");
        assert_eq!(ApprovalOutcome::new("a", "cancelled", false, None).message, "Rejected");
        assert!(ApprovalOutcome::new("a", "confirmed", true, None).message.starts_with("Approved"));
    }
}
