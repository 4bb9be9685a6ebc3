//! Middleware around every request: request id + client IP + tracing span, security
//! headers, the cross-site request check, and the page guard that sends people to set-up or
//! sign-in before a page renders.

use crate::rest::problem::ApiError;
use crate::startup::ServerState;
use app::domain::AppError;
use app::services::identity::auth::user_from_session;
use app::services::org::setup::needs_setup;
use app::services::RequestMeta;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use std::time::Instant;
use tower_sessions::Session;
use tracing::Instrument;

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    /// The id of the request being handled, for error bodies created deep inside it.
    pub static CURRENT_REQUEST_ID: String;
}

/// The current request's id, if called while handling one.
pub fn current_request_id() -> Option<String> {
    CURRENT_REQUEST_ID.try_with(|id| id.clone()).ok()
}

fn acceptable_request_id(v: &HeaderValue) -> Option<String> {
    let s = v.to_str().ok()?;
    (!s.is_empty() && s.len() <= 64 && s.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)))
        .then(|| s.to_string())
}

fn client_ip(req: &Request, trust_proxy: bool) -> Option<String> {
    if trust_proxy {
        if let Some(first) = req
            .headers()
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            return Some(first.to_string());
        }
    }
    req.extensions().get::<ConnectInfo<SocketAddr>>().map(|ci| ci.0.ip().to_string())
}

/// Gives every request an id (kept from `X-Request-Id` when sane), records the client IP,
/// runs the request inside a span carrying the id, and returns the id in the response.
pub async fn request_context(State(state): State<ServerState>, mut req: Request, next: Next) -> Response {
    let request_id = req
        .headers()
        .get(&REQUEST_ID)
        .and_then(acceptable_request_id)
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    let ip = client_ip(&req, state.config.trust_proxy);
    req.extensions_mut().insert(RequestMeta { ip: ip.clone(), request_id: Some(request_id.clone()) });
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let span = tracing::info_span!("request", request_id = %request_id, %method, %path);
    let started = Instant::now();
    let mut response = CURRENT_REQUEST_ID.scope(request_id.clone(), next.run(req).instrument(span.clone())).await;
    let status = response.status().as_u16();
    span.in_scope(|| {
        tracing::info!(status, ms = started.elapsed().as_millis() as u64, ip = ip.as_deref().unwrap_or("-"), "request");
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        response.headers_mut().insert(REQUEST_ID, v);
    }
    response
}

/// The CSP of HTML pages: scripts only from this origin plus the page's nonce (for Leptos'
/// inline hydration script), WebAssembly allowed, no framing.
pub fn page_csp(nonce: &str) -> String {
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval' 'nonce-{nonce}'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )
}

/// For everything that is not a page (API, files): nothing may run or frame it.
const DEFAULT_CSP: &str =
    "default-src 'none'; img-src 'self'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

pub async fn security_headers(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let h = response.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(DEFAULT_CSP));
    }
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("strict-origin-when-cross-origin"));
    h.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    h.insert("permissions-policy", HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"));
    if state.config.secure_cookies {
        h.insert(header::STRICT_TRANSPORT_SECURITY, HeaderValue::from_static("max-age=31536000"));
    }
    response
}

/// The origin a browser must send for a state-changing request to be accepted.
fn origin_allowed(headers: &HeaderMap, public_url: Option<&str>) -> bool {
    let origin = headers.get(header::ORIGIN).map(|v| v.to_str().unwrap_or("null").to_string()).or_else(|| {
        // Some browsers omit Origin on same-origin form posts; fall back to Referer.
        headers.get(header::REFERER).and_then(|v| v.to_str().ok()).and_then(|r| {
            let (scheme, rest) = r.split_once("://")?;
            let host = rest.split('/').next()?;
            Some(format!("{scheme}://{host}"))
        })
    });
    match origin {
        Some(origin) => {
            if let Some(public) = public_url {
                return origin == public.trim_end_matches('/');
            }
            let Some(host) = headers.get(header::HOST).and_then(|v| v.to_str().ok()) else {
                return false;
            };
            origin == format!("http://{host}") || origin == format!("https://{host}")
        }
        // No Origin or Referer: not a browser form (curl, an integration). Browsers that
        // send Sec-Fetch-Site tell us when a request is cross-site even then.
        None => headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) != Some("cross-site"),
    }
}

/// Refuses cross-site state-changing requests to server functions and form posts (CSRF).
/// The REST API under /api/v1 authenticates with bearer keys, never cookies, so it is exempt.
pub async fn refuse_cross_site(State(state): State<ServerState>, req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe
        || req.uri().path().starts_with("/api/v1/")
        || origin_allowed(req.headers(), state.config.public_url.as_deref())
    {
        return next.run(req).await;
    }
    tracing::warn!(origin = ?req.headers().get(header::ORIGIN), "cross-site request refused");
    ApiError::from(AppError::permission_denied(
        "Cross-site request refused: this form must be sent from Mandate's own pages.",
    ))
    .into_response()
}

fn is_page(path: &str) -> bool {
    let last = path.rsplit('/').next().unwrap_or("");
    !(path.starts_with("/api/")
        || path.starts_with("/pkg/")
        || matches!(path, "/healthz" | "/readyz" | "/metrics")
        || last.contains('.'))
}

fn login_redirect(req: &Request) -> Response {
    let next = req.uri().path_and_query().map(|p| p.as_str()).unwrap_or("/");
    if next == "/" {
        Redirect::to("/login").into_response()
    } else {
        let encoded: String = url_encode(next);
        Redirect::to(&format!("/login?next={encoded}")).into_response()
    }
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Before a page renders: no org yet → /setup; signed out → /login?next=…; signed in and
/// on /login or /setup → the overview.
pub async fn page_guard(State(state): State<ServerState>, session: Session, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    if !matches!(*req.method(), Method::GET | Method::HEAD) || !is_page(&path) {
        return next.run(req).await;
    }
    let app = &state.app;
    let setup_needed = match needs_setup(&app.db, &app.setup).await {
        Ok(v) => v,
        Err(e) => return ApiError::from(e).into_response(),
    };
    if setup_needed {
        return if path == "/setup" { next.run(req).await } else { Redirect::to("/setup").into_response() };
    }
    let meta = req.extensions().get::<RequestMeta>().cloned().unwrap_or_default();
    // Signed in, and whether the org's MFA requirement still sends them to set it up.
    let (signed_in, mfa_setup_needed) = match user_from_session(app, &session, &meta).await {
        Ok(Some((_, u, o))) => (true, app::services::identity::mfa::check_policy(&u, &o).is_err()),
        Ok(None) => (false, false),
        Err(e) => return ApiError::from(e).into_response(),
    };
    match (path.as_str(), signed_in) {
        ("/setup", _) => Redirect::to(if signed_in { "/" } else { "/login" }).into_response(),
        ("/login" | "/login/mfa", true) => Redirect::to("/").into_response(),
        ("/login" | "/login/mfa", false) => next.run(req).await,
        (p, true) if mfa_setup_needed && p != app::services::identity::mfa::ENROL_PATH => {
            Redirect::to(app::services::identity::mfa::ENROL_PATH).into_response()
        }
        (p, _)
            if p == "/forgot-password"
                || p.starts_with("/invite/")
                || p.starts_with("/reset-password/")
                || p.starts_with("/auth/oidc/") =>
        {
            next.run(req).await
        }
        (_, false) => login_redirect(&req),
        (_, true) => next.run(req).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn same_origin_is_allowed_cross_origin_refused() {
        assert!(origin_allowed(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://127.0.0.1:3000")]), None));
        assert!(!origin_allowed(&headers(&[("host", "127.0.0.1:3000"), ("origin", "http://evil.example")]), None));
        // An opaque origin (sandboxed frame, cross-site redirect) is never ours.
        assert!(!origin_allowed(&headers(&[("host", "127.0.0.1:3000"), ("origin", "null")]), None));
        assert!(origin_allowed(
            &headers(&[("host", "x"), ("origin", "https://m.example.com")]),
            Some("https://m.example.com/")
        ));
        assert!(!origin_allowed(
            &headers(&[("host", "m.example.com"), ("origin", "http://m.example.com")]),
            Some("https://m.example.com")
        ));
    }

    #[test]
    fn referer_is_used_when_origin_is_missing() {
        assert!(origin_allowed(&headers(&[("host", "h:1"), ("referer", "http://h:1/login?x")]), None));
        assert!(!origin_allowed(&headers(&[("host", "h:1"), ("referer", "http://evil/x")]), None));
    }

    #[test]
    fn non_browser_clients_pass_but_cross_site_fetch_metadata_does_not() {
        assert!(origin_allowed(&headers(&[("host", "h")]), None));
        assert!(!origin_allowed(&headers(&[("host", "h"), ("sec-fetch-site", "cross-site")]), None));
    }

    #[test]
    fn pages_are_told_apart_from_assets_and_api() {
        assert!(is_page("/"));
        assert!(is_page("/org/users"));
        assert!(!is_page("/api/login"));
        assert!(!is_page("/pkg/mandate.js"));
        assert!(!is_page("/favicon.svg"));
        assert!(!is_page("/healthz"));
    }

    #[test]
    fn next_is_encoded() {
        assert_eq!(url_encode("/a b?x=1&y"), "/a%20b%3Fx%3D1%26y");
    }
}
