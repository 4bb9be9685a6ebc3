//! `#[server]` functions: each extracts the session actor, calls one service and returns
//! its result. `AppError` travels to the browser as JSON, so forms can show field errors.

pub mod account;
pub mod actions;
pub mod api_keys;
pub mod assistants;
pub mod audit_changes;
pub mod auth;
pub mod automation;
pub mod check;
pub mod config_transfer;
pub mod connectors;
pub mod inbox;
pub mod mfa;
pub mod org_settings;
pub mod overview;
pub mod permissions;
pub mod preferences;
pub mod roles;
pub mod secrets;
pub mod spend;
pub mod sso;
pub mod stores;
pub mod teams;
pub mod users;

#[cfg(feature = "ssr")]
pub mod ctx;

use crate::domain::{AppError, ErrorCode};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Request(_) | ServerFnErrorErr::Response(_) => AppError::new(
                ErrorCode::TransientFailure,
                "Could not reach the server. Check your connection and try again.",
            ),
            ServerFnErrorErr::Args(m) | ServerFnErrorErr::MissingArg(m) | ServerFnErrorErr::Deserialization(m) => {
                AppError::bad_request(format!("The form could not be read: {m}"))
            }
            ServerFnErrorErr::MiddlewareError(m) => AppError::new(ErrorCode::PermissionDenied, m),
            _ => AppError::internal(),
        }
    }
}
