//! RFC 9457 problem+json for every API error: `{type, title, status, detail, code,
//! request_id, errors?}`. Internal details never reach the body.

use crate::http::current_request_id;
use app::domain::AppError;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug)]
pub struct ApiError(pub AppError);

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        ApiError(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let e = self.0;
        let status = StatusCode::from_u16(e.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let mut body = json!({
            "type": "about:blank",
            "title": e.code.title(),
            "status": status.as_u16(),
            "detail": e.message,
            "code": e.code.as_str(),
            "request_id": e.request_id.clone().or_else(current_request_id),
        });
        if !e.fields.is_empty() {
            body["errors"] =
                json!(e.fields.iter().map(|f| json!({"field": f.field, "message": f.message})).collect::<Vec<_>>());
        }
        let mut response = (status, body.to_string()).into_response();
        let h = response.headers_mut();
        h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if let Some(secs) = e.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.to_string()) {
                h.insert(header::RETRY_AFTER, v);
            }
        }
        if e.code == app::domain::ErrorCode::Unauthenticated {
            h.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
