//! The `mandate` server: configuration, command line, HTTP router and middleware, REST
//! handlers, start-up and shutdown. Business rules live in the `app` crate's services.

pub mod cli;
pub mod config;
pub mod http;
pub mod mailer;
pub mod rest;
pub mod secret;
pub mod sso;
pub mod startup;

/// Logs to stderr with the filter from MANDATE_LOG; every line inside a request carries
/// its request id (from the request span).
pub fn init_tracing(filter: &str) {
    let filter =
        tracing_subscriber::EnvFilter::try_new(filter).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ =
        tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr).with_target(false).try_init();
}
