//! The webhook connector: executes an action by POSTing it to the merchant's URL.
//!
//! Request: `POST <url>` with the JSON body
//! `{action_id, action_type, action_version, store_id, params, idempotency_key}` and headers
//! - `Content-Type: application/json`
//! - `Idempotency-Key: <key>` (the invoke's key; the action id when the request had none),
//!   the same on every attempt, so the receiver can run the action once;
//! - `X-Mandate-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
//!   signed again on every attempt (fresh `t`) over the exact body bytes sent.
//!
//! Answer mapping: 2xx → executed, the JSON body is the output (empty → `{}`, not JSON →
//! `{"body": <text>}`); 400/422 → VALIDATION_ERROR; 401/403 → PERMISSION_DENIED; 404 →
//! NOT_FOUND; 409 → CONFLICT; 429 → RATE_LIMITED; 408, 5xx, timeouts and connection errors →
//! TRANSIENT_FAILURE; anything else (redirects are not followed, other 4xx) → INTERNAL_ERROR.
//!
//! Retries: only when the catalog marks the action `retryable`, and only for the retryable
//! failures (connection errors, timeouts, 408, 429, 5xx), up to the connector's
//! `max_attempts`, waiting 200 ms, 800 ms, 3.2 s, … (×4, at most 5 s; a 429's Retry-After
//! up to 5 s is honoured). The signing secret is never logged, returned or put in an error;
//! logs name the connector id, not its URL (URLs can carry tokens).

use super::contract::{ExecContext, ExecError};
use crate::domain::secrets;
use crate::domain::ErrorCode;
use crate::entities::connector;
use crate::services::gateway::connectors;
use crate::services::vault;
use hmac::{Hmac, KeyInit, Mac};
use sea_orm::DatabaseConnection;
use serde_json::{json, Value};
use sha2_011::Sha256;
use std::sync::OnceLock;
use std::time::Duration;

/// Per-attempt timeout when the connector doesn't set one.
pub const DEFAULT_TIMEOUT_MS: i32 = 5000;
/// Attempts when the connector doesn't set them.
pub const DEFAULT_MAX_ATTEMPTS: i32 = 3;
/// The first back-off; each next one is 4 times longer, at most `MAX_BACKOFF`.
pub const FIRST_BACKOFF: Duration = Duration::from_millis(200);
pub const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// How much of an error answer's text is kept in the error message.
const DETAIL_CHARS: usize = 300;

/// Where and how to deliver: a connector with its secret decrypted.
pub struct Target {
    pub connector_id: String,
    pub url: String,
    pub secret: Vec<u8>,
    pub timeout: Duration,
    pub max_attempts: u32,
}

impl Target {
    /// The connector's delivery settings, its secret read from the vault.
    pub async fn load(db: &DatabaseConnection, key: &[u8; 32], c: &connector::Model) -> Result<Target, ExecError> {
        let secret = connectors::reveal_secret(db, key, c).await?;
        Ok(Target {
            connector_id: c.id.clone(),
            url: c.url.clone(),
            secret,
            timeout: Duration::from_millis(u64::try_from(c.timeout_ms).unwrap_or(DEFAULT_TIMEOUT_MS as u64).max(1)),
            max_attempts: u32::try_from(c.max_attempts).unwrap_or(1).max(1),
        })
    }
}

/// hex(HMAC-SHA256(secret, "<t>.<body>")).
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(secret) else {
        return String::new();
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    hex::encode(mac.finalize().into_bytes())
}

/// The `X-Mandate-Signature` header value.
pub fn signature_header(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    format!("t={timestamp},v1={}", signature(secret, timestamp, body))
}

/// The idempotency key sent: the invoke's, else the action id (unique per action).
pub fn idempotency_key(ctx: &ExecContext<'_>) -> String {
    ctx.idempotency_key.map(str::to_string).unwrap_or_else(|| ctx.action_id.to_string())
}

/// The JSON body POSTed for an action.
pub fn payload(ctx: &ExecContext<'_>) -> Value {
    json!({
        "action_id": ctx.action_id,
        "action_type": ctx.def.id,
        "action_version": ctx.def.version,
        "store_id": ctx.store.id,
        "params": ctx.params,
        "idempotency_key": idempotency_key(ctx),
    })
}

/// Executes through the configured connector: the store's (`store_id` given) or the org's.
/// None when none is configured (the caller executes and reports back).
pub async fn run_configured(ctx: &ExecContext<'_>, store_id: Option<&str>) -> Option<Result<Value, ExecError>> {
    let found = match connectors::find(ctx.db, ctx.org_id, store_id).await {
        Ok(found) => found?,
        Err(e) => return Some(Err(e.into())),
    };
    let target = match Target::load(ctx.db, ctx.secret_key, &found).await {
        Ok(t) => t,
        Err(e) => return Some(Err(e)),
    };
    // An automation rule's step may name secrets: filled in here, just before sending, and
    // scrubbed from whatever comes back (a receiver echoing a header must not put it into
    // the action's record). Anyone else's `{{secrets.…}}` is sent as the text it is.
    let names = if ctx.rule_run_id.is_some() { secrets::refs_in(ctx.params) } else { Default::default() };
    if names.is_empty() {
        return Some(deliver(&target, &payload(ctx), &idempotency_key(ctx), ctx.def.retryable).await);
    }
    let purpose = format!("sending action {} to the connector", ctx.action_id);
    let values = match vault::reveal_for_step(ctx.db, ctx.secret_key, ctx.store, &names, &purpose).await {
        Ok(v) => v,
        Err(why) => return Some(Err(ExecError::invalid(why))),
    };
    let mut body = payload(ctx);
    match secrets::fill(ctx.params, &values) {
        Ok(filled) => body["params"] = filled,
        Err(why) => return Some(Err(ExecError::invalid(why))),
    }
    let out = deliver(&target, &body, &idempotency_key(ctx), ctx.def.retryable).await;
    Some(match out {
        Ok(v) => Ok(secrets::scrub(&v, &values)),
        Err(mut e) => {
            e.message = secrets::scrub_text(&e.message, &values);
            Err(e)
        }
    })
}

fn client() -> &'static reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .user_agent(concat!("Mandate-Webhook/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_else(|e| {
                tracing::error!(error = %e, "cannot build the webhook HTTP client; using the default one");
                reqwest::Client::new()
            })
    })
}

/// One attempt's result.
enum Attempt {
    Done(Value),
    /// The error, whether another attempt may help, and how long the receiver asked us to wait.
    Failed(ExecError, bool, Option<Duration>),
}

fn code_for(status: u16) -> (ErrorCode, bool) {
    match status {
        400 | 422 => (ErrorCode::ValidationError, false),
        401 | 403 => (ErrorCode::PermissionDenied, false),
        404 => (ErrorCode::NotFound, false),
        409 => (ErrorCode::Conflict, false),
        429 => (ErrorCode::RateLimited, true),
        408 | 500..=599 => (ErrorCode::TransientFailure, true),
        _ => (ErrorCode::InternalError, false),
    }
}

/// A short, single-line excerpt of an error answer: its `detail`, `message` or `error`
/// when it is JSON, else its text.
fn detail_of(text: &str) -> Option<String> {
    let from_json = serde_json::from_str::<Value>(text).ok().and_then(|v| {
        ["detail", "message", "error", "title"]
            .iter()
            .find_map(|k| v.get(*k).and_then(Value::as_str).map(str::to_string))
    });
    let raw = from_json.unwrap_or_else(|| text.to_string());
    let line: String = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let cut: String = line.chars().take(DETAIL_CHARS).collect();
    (!cut.is_empty()).then_some(cut)
}

async fn attempt(target: &Target, body: &[u8], key: &str) -> Attempt {
    let t = chrono::Utc::now().timestamp();
    let sent = client()
        .post(&target.url)
        .timeout(target.timeout)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header("Idempotency-Key", key)
        .header("X-Mandate-Signature", signature_header(&target.secret, t, body))
        .body(body.to_vec())
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            let why = if e.is_timeout() {
                format!("The connector did not answer within {} ms.", target.timeout.as_millis())
            } else if e.is_connect() {
                "The connector could not be reached.".to_string()
            } else {
                "The request to the connector failed.".to_string()
            };
            tracing::warn!(connector = %target.connector_id, timeout = e.is_timeout(), connect = e.is_connect(), "webhook attempt failed");
            return Attempt::Failed(ExecError::new(ErrorCode::TransientFailure, why, true), true, None);
        }
    };
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .map(Duration::from_secs);
    let text = match tokio::time::timeout(target.timeout, response.text()).await {
        Ok(Ok(text)) => text,
        _ => {
            tracing::warn!(connector = %target.connector_id, status, "webhook answer body could not be read");
            String::new()
        }
    };
    if (200..300).contains(&status) {
        let output = if text.trim().is_empty() {
            json!({})
        } else {
            serde_json::from_str::<Value>(&text)
                .unwrap_or_else(|_| json!({"body": text.chars().take(2000).collect::<String>()}))
        };
        return Attempt::Done(output);
    }
    let (code, retry) = code_for(status);
    tracing::warn!(connector = %target.connector_id, status, "webhook answered an error");
    let mut message = format!("The connector answered {status}");
    match detail_of(&text) {
        Some(d) => message.push_str(&format!(": {d}")),
        None => message.push('.'),
    }
    Attempt::Failed(ExecError::new(code, message, retry), retry, retry_after)
}

/// The wait before attempt `n + 1` (n ≥ 1 attempts made): 200 ms × 4^(n-1), at most 5 s.
pub fn backoff(n: u32) -> Duration {
    let factor = 4u32.saturating_pow(n.saturating_sub(1));
    FIRST_BACKOFF.saturating_mul(factor).min(MAX_BACKOFF)
}

/// POSTs `body` to the target, retrying retryable failures when `retry` allows it. The
/// failure's `retryable` says whether the caller may try again (the catalog allows it and
/// the failure was of a passing kind).
pub async fn deliver(target: &Target, body: &Value, key: &str, retry: bool) -> Result<Value, ExecError> {
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let attempts = if retry { target.max_attempts.max(1) } else { 1 };
    let mut n = 0;
    loop {
        n += 1;
        match attempt(target, &bytes, key).await {
            Attempt::Done(v) => return Ok(v),
            Attempt::Failed(mut e, may_retry, asked) => {
                if !(retry && may_retry) || n >= attempts {
                    e.retryable = retry && may_retry;
                    if n > 1 {
                        e.message.push_str(&format!(" ({n} attempts)"));
                    }
                    return Err(e);
                }
                let wait = backoff(n).max(asked.unwrap_or_default().min(MAX_BACKOFF));
                tokio::time::sleep(wait).await;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_sha256_matches_rfc_4231() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_covers_timestamp_and_body() {
        let s = signature(b"secret", 1700000000, b"{\"a\":1}");
        assert_eq!(s.len(), 64);
        assert_ne!(s, signature(b"secret", 1700000001, b"{\"a\":1}"));
        assert_ne!(s, signature(b"secret", 1700000000, b"{\"a\":2}"));
        assert_ne!(s, signature(b"other", 1700000000, b"{\"a\":1}"));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"secret").unwrap();
        mac.update(b"1700000000.{\"a\":1}");
        assert_eq!(s, hex::encode(mac.finalize().into_bytes()));
        assert_eq!(signature_header(b"secret", 1700000000, b"{\"a\":1}"), format!("t=1700000000,v1={s}"));
    }

    #[test]
    fn status_mapping() {
        assert_eq!(code_for(422), (ErrorCode::ValidationError, false));
        assert_eq!(code_for(400), (ErrorCode::ValidationError, false));
        assert_eq!(code_for(401), (ErrorCode::PermissionDenied, false));
        assert_eq!(code_for(403), (ErrorCode::PermissionDenied, false));
        assert_eq!(code_for(404), (ErrorCode::NotFound, false));
        assert_eq!(code_for(409), (ErrorCode::Conflict, false));
        assert_eq!(code_for(429), (ErrorCode::RateLimited, true));
        assert_eq!(code_for(503), (ErrorCode::TransientFailure, true));
        assert_eq!(code_for(500), (ErrorCode::TransientFailure, true));
        assert_eq!(code_for(302), (ErrorCode::InternalError, false));
        assert_eq!(code_for(405), (ErrorCode::InternalError, false));
    }

    #[test]
    fn backoff_grows_four_times_up_to_five_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(200));
        assert_eq!(backoff(2), Duration::from_millis(800));
        assert_eq!(backoff(3), Duration::from_millis(3200));
        assert_eq!(backoff(4), Duration::from_secs(5));
        assert_eq!(backoff(30), Duration::from_secs(5));
    }

    #[test]
    fn details_are_short_single_lines() {
        assert_eq!(detail_of(r#"{"detail": "amount too high"}"#).as_deref(), Some("amount too high"));
        assert_eq!(detail_of("plain\n text").as_deref(), Some("plain text"));
        assert_eq!(detail_of(""), None);
        assert_eq!(detail_of(&"x".repeat(1000)).unwrap().len(), DETAIL_CHARS);
    }
}
