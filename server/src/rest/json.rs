//! Request bodies and list paging for the REST API, with problem+json errors.

use super::problem::ApiError;
use app::domain::AppError;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// A JSON body; a body that is not JSON answers 400, one with wrong fields 422, both as
/// problem+json saying what is wrong.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(AppError::validation(e.body_text()).into()),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(AppError::bad_request("Send the body as JSON with Content-Type: application/json.").into())
            }
            Err(e) => Err(AppError::bad_request(format!("The body is not valid JSON: {}", e.body_text())).into()),
        }
    }
}

/// Query parameters, with the same error style.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(AppError::validation(e.body_text()).into()),
            Err(e) => Err(AppError::bad_request(e.body_text()).into()),
        }
    }
}

/// `?limit=&cursor=` of every list endpoint.
#[derive(Debug, Default, Deserialize)]
pub struct Paging {
    pub limit: Option<u64>,
    pub cursor: Option<String>,
}

impl Paging {
    pub const DEFAULT_LIMIT: u64 = 50;
    pub const MAX_LIMIT: u64 = 200;

    pub fn limit(&self) -> Result<u64, AppError> {
        match self.limit {
            None => Ok(Self::DEFAULT_LIMIT),
            Some(n) if (1..=Self::MAX_LIMIT).contains(&n) => Ok(n),
            Some(_) => Err(AppError::validation(format!("limit must be between 1 and {}.", Self::MAX_LIMIT))),
        }
    }
}
