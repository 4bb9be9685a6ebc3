//! `AppError`: the one error type that crosses layers. It carries a stable `code` (the
//! taxonomy of DESIGN.md §4) and a message that is safe to show to the person or
//! integration that made the request. Internal details never go into it; they are
//! logged where the error is created, next to the request id.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Stable error codes; integrations switch on these, so never rename one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    ValidationError,
    Unauthenticated,
    PermissionDenied,
    TenantMismatch,
    NotFound,
    Conflict,
    IdempotencyKeyReused,
    RateLimited,
    TransientFailure,
    InternalError,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 10] = [
        ErrorCode::ValidationError,
        ErrorCode::Unauthenticated,
        ErrorCode::PermissionDenied,
        ErrorCode::TenantMismatch,
        ErrorCode::NotFound,
        ErrorCode::Conflict,
        ErrorCode::IdempotencyKeyReused,
        ErrorCode::RateLimited,
        ErrorCode::TransientFailure,
        ErrorCode::InternalError,
    ];

    /// The HTTP status this code maps to by default.
    pub fn status(self) -> u16 {
        match self {
            ErrorCode::ValidationError => 422,
            ErrorCode::Unauthenticated => 401,
            ErrorCode::PermissionDenied => 403,
            ErrorCode::TenantMismatch => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::IdempotencyKeyReused => 422,
            ErrorCode::RateLimited => 429,
            ErrorCode::TransientFailure => 503,
            ErrorCode::InternalError => 500,
        }
    }

    /// The SCREAMING_SNAKE name, as it appears in problem+json bodies.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "VALIDATION_ERROR",
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::PermissionDenied => "PERMISSION_DENIED",
            ErrorCode::TenantMismatch => "TENANT_MISMATCH",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::TransientFailure => "TRANSIENT_FAILURE",
            ErrorCode::InternalError => "INTERNAL_ERROR",
        }
    }

    /// A short human title for problem+json `title`.
    pub fn title(self) -> &'static str {
        match self {
            ErrorCode::ValidationError => "The request is not valid",
            ErrorCode::Unauthenticated => "Sign-in or API key required",
            ErrorCode::PermissionDenied => "Not allowed",
            ErrorCode::TenantMismatch => "Wrong organisation",
            ErrorCode::NotFound => "Not found",
            ErrorCode::Conflict => "Conflict",
            ErrorCode::IdempotencyKeyReused => "Idempotency key reused",
            ErrorCode::RateLimited => "Too many requests",
            ErrorCode::TransientFailure => "Temporarily unavailable",
            ErrorCode::InternalError => "Something went wrong on our side",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One invalid input field, for forms and for problem+json `errors`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fields: Vec<FieldError>,
    /// Overrides the code's default status (400 for a body that is not JSON at all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    /// Seconds until a rate-limited request may be retried.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after_secs: Option<u64>,
    /// The request that failed, so a person can quote it to an administrator; set at the
    /// edge (problem+json, server functions).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            fields: Vec::new(),
            status: None,
            retry_after_secs: None,
            request_id: None,
        }
    }

    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::ValidationError, message)
    }

    /// A validation error listing the invalid fields; the message summarises them.
    pub fn invalid_fields(fields: Vec<FieldError>) -> Self {
        let message = match fields.as_slice() {
            [one] => one.message.clone(),
            _ => "Some fields need attention.".to_string(),
        };
        AppError { fields, ..Self::new(ErrorCode::ValidationError, message) }
    }

    /// A request whose body could not be read at all (400 rather than 422).
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError { status: Some(400), ..Self::validation(message) }
    }

    pub fn unauthenticated() -> Self {
        Self::new(ErrorCode::Unauthenticated, "Please sign in to continue.")
    }

    pub fn unauthenticated_with(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthenticated, message)
    }

    pub fn permission_denied(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::PermissionDenied, message)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found."))
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn rate_limited(message: impl Into<String>, retry_after_secs: u64) -> Self {
        AppError { retry_after_secs: Some(retry_after_secs), ..Self::new(ErrorCode::RateLimited, message) }
    }

    /// The caller sees only a generic message; log the details where this is created.
    pub fn internal() -> Self {
        Self::new(
            ErrorCode::InternalError,
            "Something went wrong on our side. Try again; if it keeps happening, give the request id to your administrator.",
        )
    }

    pub fn transient(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TransientFailure, message)
    }

    pub fn http_status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.code.status())
    }

    /// The message for one field, if that field is invalid.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.fields.iter().find(|f| f.field == name).map(|f| f.message.as_str())
    }
}

impl fmt::Display for AppError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for AppError {}

/// Collects field errors while validating a form, then turns them into one `AppError`.
#[derive(Default, Debug)]
pub struct Validator {
    fields: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn check(&mut self, ok: bool, field: &str, message: impl Into<String>) -> &mut Self {
        if !ok && self.fields.iter().all(|f| f.field != field) {
            self.fields.push(FieldError { field: field.to_string(), message: message.into() });
        }
        self
    }

    pub fn add(&mut self, field: &str, result: Result<(), String>) -> &mut Self {
        if let Err(message) = result {
            self.check(false, field, message);
        }
        self
    }

    pub fn finish(&mut self) -> Result<(), AppError> {
        if self.fields.is_empty() {
            Ok(())
        } else {
            Err(AppError::invalid_fields(std::mem::take(&mut self.fields)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_stable_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }

    #[test]
    fn validator_keeps_first_message_per_field() {
        let err = Validator::new()
            .check(false, "email", "Enter an email address.")
            .check(false, "email", "second")
            .check(true, "name", "never")
            .finish()
            .unwrap_err();
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(err.field("email"), Some("Enter an email address."));
        assert_eq!(err.fields.len(), 1);
        assert_eq!(err.message, "Enter an email address.");
    }

    #[test]
    fn bad_request_is_400_validation() {
        let err = AppError::bad_request("not JSON");
        assert_eq!(err.http_status(), 400);
        assert_eq!(err.code, ErrorCode::ValidationError);
        assert_eq!(AppError::validation("x").http_status(), 422);
    }
}
