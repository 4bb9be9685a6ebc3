//! Webhook connectors as the pages and the API see them, and the rules for their settings.
//! A connector is a store's platform webhook (commerce actions of a store not on the sandbox
//! platform) or the org's connector (business-operations actions). The signing secret is
//! write-only: views say whether one is set, never what it is.

use serde::{Deserialize, Serialize};

pub const TIMEOUT_MS_MIN: i64 = 100;
pub const TIMEOUT_MS_MAX: i64 = 30_000;
pub const TIMEOUT_MS_DEFAULT: i64 = 5_000;
pub const MAX_ATTEMPTS_MIN: i64 = 1;
pub const MAX_ATTEMPTS_MAX: i64 = 10;
pub const MAX_ATTEMPTS_DEFAULT: i64 = 3;
pub const SECRET_MIN: usize = 16;
pub const SECRET_MAX: usize = 512;
pub const URL_MAX: usize = 2000;

/// A connector's settings (or that there is none yet).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ConnectorView {
    /// "store" or "org".
    pub scope: String,
    pub store_id: Option<String>,
    /// The store's name and platform, for a store's connector.
    pub store_name: Option<String>,
    pub store_platform: Option<String>,
    pub configured: bool,
    pub id: Option<String>,
    pub url: Option<String>,
    pub timeout_ms: i64,
    pub max_attempts: i64,
    /// A signing secret is stored (it is never shown).
    pub secret_set: bool,
    pub updated_at: Option<String>,
}

/// `PUT …/connector {url, secret?, timeout_ms?, max_attempts?}`. The secret is needed when
/// the connector is created; on a change, leaving it out keeps the stored one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct ConnectorInput {
    pub url: String,
    #[serde(default)]
    pub secret: Option<String>,
    #[serde(default)]
    pub timeout_ms: Option<i64>,
    #[serde(default)]
    pub max_attempts: Option<i64>,
}

/// Hosts plain http:// may go to (a receiver on this machine, for development).
fn is_loopback(host: &str) -> bool {
    let host = host.to_ascii_lowercase();
    host == "localhost" || host == "[::1]" || host.starts_with("127.")
}

/// https://host[:port]/path, or http:// to this machine; no credentials in the URL.
pub fn check_url(url: &str) -> Result<(), String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("Enter the URL Mandate posts actions to, e.g. https://shop.example.com/mandate.".into());
    }
    if url.len() > URL_MAX {
        return Err(format!("Use at most {URL_MAX} characters."));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("A URL has no spaces.".into());
    }
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (s.to_ascii_lowercase(), r),
        None => return Err("Start the URL with https://.".into()),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err("Leave credentials out of the URL; requests are signed with the secret instead.".into());
    }
    let host = if authority.starts_with('[') {
        authority.split_inclusive(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    if host.is_empty() || host == "[]" {
        return Err("The URL needs a host, e.g. https://shop.example.com/mandate.".into());
    }
    match scheme.as_str() {
        "https" => Ok(()),
        "http" if is_loopback(host) => Ok(()),
        "http" => Err("Use https:// (plain http:// only to localhost, for development).".into()),
        _ => Err("Start the URL with https://.".into()),
    }
}

/// The signing secret: 16 to 512 characters, no spaces at the ends.
pub fn check_secret(secret: &str) -> Result<(), String> {
    let n = secret.chars().count();
    if n < SECRET_MIN {
        return Err(format!("Use at least {SECRET_MIN} characters (a long random value, e.g. 32 hex characters)."));
    }
    if n > SECRET_MAX {
        return Err(format!("Use at most {SECRET_MAX} characters."));
    }
    if secret.trim() != secret {
        return Err("Remove the spaces at the start or end.".into());
    }
    Ok(())
}

pub fn check_timeout_ms(ms: i64) -> Result<(), String> {
    if (TIMEOUT_MS_MIN..=TIMEOUT_MS_MAX).contains(&ms) {
        Ok(())
    } else {
        Err(format!("Between {TIMEOUT_MS_MIN} and {TIMEOUT_MS_MAX} milliseconds."))
    }
}

pub fn check_max_attempts(n: i64) -> Result<(), String> {
    if (MAX_ATTEMPTS_MIN..=MAX_ATTEMPTS_MAX).contains(&n) {
        Ok(())
    } else {
        Err(format!("Between {MAX_ATTEMPTS_MIN} and {MAX_ATTEMPTS_MAX} attempts."))
    }
}

/// A whole number typed into a form: empty → None (keep / default).
pub fn parse_whole(text: Option<&str>) -> Result<Option<i64>, String> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(None),
        Some(t) => t.parse::<i64>().map(Some).map_err(|_| "Enter a whole number.".to_string()),
    }
}

/// The form's fields as the service takes them; bad numbers are field errors.
pub fn input_from_form(
    url: String,
    secret: Option<String>,
    timeout_ms: Option<String>,
    max_attempts: Option<String>,
) -> Result<ConnectorInput, super::AppError> {
    let mut v = super::error::Validator::new();
    let timeout = parse_whole(timeout_ms.as_deref());
    let attempts = parse_whole(max_attempts.as_deref());
    v.add("timeout_ms", timeout.clone().map(|_| ()));
    v.add("max_attempts", attempts.clone().map(|_| ()));
    v.finish()?;
    Ok(ConnectorInput {
        url,
        secret: secret.filter(|s| !s.is_empty()),
        timeout_ms: timeout.unwrap_or(None),
        max_attempts: attempts.unwrap_or(None),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(check_url("https://shop.example.com/mandate").is_ok());
        assert!(check_url("https://shop.example.com:8443/hook?x=1").is_ok());
        assert!(check_url("http://127.0.0.1:4000/hook").is_ok());
        assert!(check_url("http://localhost/hook").is_ok());
        assert!(check_url("http://[::1]:80/hook").is_ok());
        assert!(check_url("http://shop.example.com/hook").is_err());
        assert!(check_url("ftp://shop.example.com").is_err());
        assert!(check_url("shop.example.com").is_err());
        assert!(check_url("https://").is_err());
        assert!(check_url("https://user:pw@shop.example.com/").is_err());
        assert!(check_url("https://shop example.com/").is_err());
        assert!(check_url("").is_err());
    }

    #[test]
    fn form_numbers() {
        assert_eq!(parse_whole(None), Ok(None));
        assert_eq!(parse_whole(Some(" ")), Ok(None));
        assert_eq!(parse_whole(Some("2500")), Ok(Some(2500)));
        assert!(parse_whole(Some("2.5s")).is_err());
        let e = input_from_form("https://x.example".into(), Some(String::new()), Some("x".into()), Some("3".into()))
            .unwrap_err();
        assert_eq!(e.fields.len(), 1);
        assert_eq!(e.fields[0].field, "timeout_ms");
        let ok = input_from_form("https://x.example".into(), Some(String::new()), None, Some("3".into())).unwrap();
        assert_eq!((ok.secret, ok.timeout_ms, ok.max_attempts), (None, None, Some(3)));
    }

    #[test]
    fn secrets_and_numbers() {
        assert!(check_secret("0123456789abcdef").is_ok());
        assert!(check_secret("short").is_err());
        assert!(check_secret(" 0123456789abcdef").is_err());
        assert!(check_timeout_ms(5000).is_ok());
        assert!(check_timeout_ms(99).is_err());
        assert!(check_timeout_ms(30_001).is_err());
        assert!(check_max_attempts(1).is_ok());
        assert!(check_max_attempts(0).is_err());
        assert!(check_max_attempts(11).is_err());
    }
}
