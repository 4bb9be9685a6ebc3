//! API keys as pages and the REST API show them, the state a key is in, and the rules for
//! its optional expiry. Pure: `now` comes in as a parameter.

use super::roles::Choice;
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// One key in a list: never its secret or hash.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKeyView {
    pub id: String,
    pub name: String,
    /// The visible start of the key, e.g. `mdt_AbC12345`.
    pub prefix: String,
    /// `management` (a role at a scope) or `agent` (bound to a store).
    pub kind: String,
    pub role_id: Option<String>,
    pub role: Option<String>,
    pub scope_type: Option<String>,
    pub scope_id: Option<String>,
    /// "Organisation" or "Team: EU / North".
    pub scope_label: String,
    pub store_id: Option<String>,
    pub assistant_id: Option<String>,
    pub created_by: Option<String>,
    /// Who created it, readable: an email, a key's name, or "mandate CLI".
    pub created_by_label: String,
    pub created_at: String,
    pub last_used_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked_at: Option<String>,
    /// `active`, `revoked` or `expired`.
    pub status: String,
}

/// A page of keys, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKeyList {
    pub keys: Vec<ApiKeyView>,
    pub next_cursor: Option<String>,
}

/// A key just created: the only time its secret exists outside the caller's hands.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct CreatedApiKey {
    pub key: ApiKeyView,
    pub secret: String,
}

/// What the "create a key" form offers: roles (built-in and the org's own) and scopes
/// (`org`, `team:<id>`).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApiKeyOptions {
    pub roles: Vec<Choice>,
    pub scopes: Vec<Choice>,
}

pub const STATUS_ACTIVE: &str = "active";
pub const STATUS_REVOKED: &str = "revoked";
pub const STATUS_EXPIRED: &str = "expired";

/// Revoked wins over expired: it was a decision someone took.
pub fn key_status(
    revoked_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
) -> &'static str {
    if revoked_at.is_some() {
        STATUS_REVOKED
    } else if expires_at.is_some_and(|e| e <= now) {
        STATUS_EXPIRED
    } else {
        STATUS_ACTIVE
    }
}

/// Reads an optional expiry: empty → never; `YYYY-MM-DD` → the key works through that day
/// (UTC) and expires at the next midnight; or an RFC 3339 instant. It must lie in the future.
pub fn parse_expiry(text: Option<&str>, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>, String> {
    let Some(text) = text.map(str::trim).filter(|t| !t.is_empty()) else { return Ok(None) };
    let at = if let Ok(day) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        day.succ_opt()
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .map(|t| t.and_utc())
            .ok_or_else(|| "That date is out of range.".to_string())?
    } else if let Ok(t) = DateTime::parse_from_rfc3339(text) {
        t.with_timezone(&Utc)
    } else {
        return Err("Enter the expiry as a date, YYYY-MM-DD.".into());
    };
    if at <= now {
        return Err("The expiry date must be in the future.".into());
    }
    Ok(Some(at))
}

/// A key's name: 1 to 200 characters, such as the integration that uses it.
pub fn check_key_name(name: &str) -> Result<(), String> {
    let n = name.trim().chars().count();
    if n == 0 || n > 200 {
        return Err("Give the key a name of 1 to 200 characters, such as the integration that uses it.".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn status_prefers_revoked_then_expired() {
        let now = t("2026-11-23T12:00:00Z");
        assert_eq!(key_status(None, None, now), "active");
        assert_eq!(key_status(None, Some(t("2026-11-24T00:00:00Z")), now), "active");
        assert_eq!(key_status(None, Some(now), now), "expired");
        assert_eq!(key_status(Some(now), Some(t("2020-01-01T00:00:00Z")), now), "revoked");
    }

    #[test]
    fn expiry_dates_run_through_the_day() {
        let now = t("2026-11-23T12:00:00Z");
        assert_eq!(parse_expiry(None, now), Ok(None));
        assert_eq!(parse_expiry(Some("  "), now), Ok(None));
        assert_eq!(parse_expiry(Some("2026-11-23"), now), Ok(Some(t("2026-11-24T00:00:00Z"))), "today is allowed");
        assert_eq!(parse_expiry(Some("2027-01-31"), now), Ok(Some(t("2027-02-01T00:00:00Z"))));
        assert_eq!(parse_expiry(Some("2026-12-01T08:00:00+01:00"), now), Ok(Some(t("2026-12-01T07:00:00Z"))));
        assert!(parse_expiry(Some("2026-11-22"), now).unwrap_err().contains("future"));
        assert!(parse_expiry(Some("next week"), now).unwrap_err().contains("YYYY-MM-DD"));
        assert!(parse_expiry(Some("2026-02-30"), now).is_err());
    }

    #[test]
    fn names() {
        assert!(check_key_name("CRM sync").is_ok());
        assert!(check_key_name("  ").is_err());
        assert!(check_key_name(&"x".repeat(201)).is_err());
    }
}
