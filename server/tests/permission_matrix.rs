//! The permission matrix: every REST route (`rest::ROUTES`) and every server function is
//! listed in `rest_cases()` / `server_fn_cases()` with what it needs. For each built-in role
//! the test proves the route allows exactly the roles holding that need (others get 403
//! PERMISSION_DENIED), and that ids of another org answer 404 NOT_FOUND.
//!
//! Adding a route or server function without a row here fails `every_route_is_in_the_matrix`.

mod support;

use migration::m20261123_000002_rbac::BUILT_IN_ROLES;
#[allow(unused_imports)]
use serde_json::json;
use std::collections::BTreeSet;
use std::sync::Arc;
use support::{BoxFuture, Fixture, Req, Side};

/// What a route needs from the caller.
#[derive(Clone, Copy, Debug)]
pub enum Need {
    /// No sign-in (set-up, sign-in, public pages' server functions).
    Public,
    /// Any role in the org.
    View,
    /// This permission key at the route's scope (the org for org-level fixtures).
    Perm(&'static str),
}

fn role_allows(role: &str, need: Need) -> bool {
    match need {
        Need::Public | Need::View => true,
        Need::Perm(key) => BUILT_IN_ROLES.iter().any(|(_, name, _, perms)| *name == role && perms.contains(&key)),
    }
}

/// One row: how to call a route, what it needs, and whether it addresses another org's id
/// (for the NOT_FOUND check).
pub struct Case {
    pub method: &'static str,
    pub path: &'static str,
    pub need: Need,
    /// Builds the request in one org, creating whatever fresh rows it needs there.
    pub build: fn(Arc<Fixture>, Side) -> BoxFuture<Req>,
    /// True when the path names an entity: called with the other org's entity, it must 404.
    pub addresses_entity: bool,
}

/// `case!("GET" "/teams", Need::View, |fx, org| Req::get(...))`; prefix `entity` for routes
/// naming an entity id. Inside, `fx: &Fixture` and `org: &support::Org` are in scope.
macro_rules! case {
    (entity $method:literal $path:literal, $need:expr, |$fx:ident, $org:ident| $body:expr) => {
        case!(@ $method, $path, $need, true, |$fx, $org| $body)
    };
    ($method:literal $path:literal, $need:expr, |$fx:ident, $org:ident| $body:expr) => {
        case!(@ $method, $path, $need, false, |$fx, $org| $body)
    };
    (@ $method:literal, $path:literal, $need:expr, $entity:expr, |$fx:ident, $org:ident| $body:expr) => {
        Case {
            method: $method,
            path: $path,
            need: $need,
            addresses_entity: $entity,
            build: |fx: Arc<Fixture>, side: Side| -> BoxFuture<Req> {
                Box::pin(async move {
                    #[allow(unused_variables)]
                    let $fx: &Fixture = &fx;
                    #[allow(unused_variables)]
                    let $org = fx.org(side);
                    $body
                })
            },
        }
    };
}

fn rest_cases() -> Vec<Case> {
    vec![
        case!("GET" "/me", Need::View, |fx, org| Req::get("/api/v1/me")),
        case!("GET" "/audit/verify", Need::Perm("audit.read"), |fx, org| Req::get("/api/v1/audit/verify")),
    ]
}

fn server_fn_cases() -> Vec<Case> {
    vec![
        case!("POST" "/api/session_state", Need::Public, |fx, org| Req::form("/api/session_state", &[])),
        case!("POST" "/api/login", Need::Public, |fx, org| {
            Req::form("/api/login", &[("email", "nobody@example.com"), ("password", "wrong wrong wrong")])
        }),
        case!("POST" "/api/setup", Need::Public, |fx, org| {
            Req::form(
                "/api/setup",
                &[("token", "x"), ("org_name", "x"), ("display_name", "x"), ("email", "x@example.com"), ("password", "x"), ("password_confirm", "x")],
            )
        }),
        case!("POST" "/api/logout", Need::Public, |fx, org| Req::form("/api/logout", &[])),
        case!("POST" "/api/overview", Need::View, |fx, org| Req::form("/api/overview", &[])),
    ]
}

#[test]
fn every_route_is_in_the_matrix() {
    let listed: BTreeSet<(String, String)> =
        rest_cases().iter().map(|c| (c.method.to_string(), c.path.to_string())).collect();
    let routes: BTreeSet<(String, String)> =
        server::rest::ROUTES.iter().map(|(m, p)| (m.to_string(), p.to_string())).collect();
    let missing: Vec<_> = routes.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&routes).collect();
    assert!(missing.is_empty(), "REST routes without a row in the permission matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix rows for REST routes that do not exist: {stale:?}");

    let fns: BTreeSet<String> = support::server_fn_paths();
    let listed: BTreeSet<String> = server_fn_cases().iter().map(|c| c.path.to_string()).collect();
    let missing: Vec<_> = fns.difference(&listed).collect();
    let stale: Vec<_> = listed.difference(&fns).collect();
    assert!(missing.is_empty(), "server functions without a row in the permission matrix: {missing:?}");
    assert!(stale.is_empty(), "matrix rows for server functions that do not exist: {stale:?}");
}

fn role_names() -> Vec<&'static str> {
    BUILT_IN_ROLES.iter().map(|(_, name, _, _)| *name).collect()
}

#[tokio::test]
async fn rest_routes_allow_exactly_the_roles_that_hold_their_permission() {
    let fx = Fixture::start().await;
    let mut failures = Vec::new();
    for case in rest_cases() {
        for role in role_names() {
            let req = (case.build)(fx.clone(), Side::A).await;
            let res = fx.call_with_key(&fx.org_a.keys[role], &req).await;
            if let Some(problem) = support::check_access(&res, role_allows(role, case.need)) {
                failures.push(format!("{} {} as {role}: {problem}", case.method, case.path));
            }
        }
        if case.addresses_entity {
            let req = (case.build)(fx.clone(), Side::B).await;
            let res = fx.call_with_key(&fx.org_a.keys["Owner"], &req).await;
            if res.status != 404 || res.code() != Some("NOT_FOUND") {
                failures.push(format!("{} {} with another org's id: expected 404 NOT_FOUND, got {} {:?}", case.method, case.path, res.status, res.body));
            }
        }
    }
    assert!(failures.is_empty(), "permission matrix failures:\n{}", failures.join("\n"));
}

#[tokio::test]
async fn server_functions_allow_exactly_the_roles_that_hold_their_permission() {
    let fx = Fixture::start().await;
    let mut failures = Vec::new();
    for case in server_fn_cases() {
        if matches!(case.need, Need::Public) {
            // Public functions run without a session: never a permission refusal (sign-in
            // may still answer 401 for wrong credentials: that is its outcome, not access).
            let req = (case.build)(fx.clone(), Side::A).await;
            let res = fx.call_anonymous(&req).await;
            if res.status == 403 || res.status >= 500 {
                failures.push(format!("{} as anonymous: refused with {} {:?}", case.path, res.status, res.body));
            }
            continue;
        }
        for role in role_names() {
            let req = (case.build)(fx.clone(), Side::A).await;
            let res = fx.call_as_user(&fx.org_a.users[role], &req).await;
            if let Some(problem) = support::check_access(&res, role_allows(role, case.need)) {
                failures.push(format!("{} as {role}: {problem}", case.path));
            }
        }
        let req = (case.build)(fx.clone(), Side::A).await;
        let res = fx.call_anonymous(&req).await;
        if res.status != 401 {
            failures.push(format!("{} signed out: expected 401, got {} {:?}", case.path, res.status, res.body));
        }
        if case.addresses_entity {
            let req = (case.build)(fx.clone(), Side::B).await;
            let res = fx.call_as_user(&fx.org_a.users["Owner"], &req).await;
            if res.status != 404 {
                failures.push(format!("{} with another org's id: expected 404, got {} {:?}", case.path, res.status, res.body));
            }
        }
    }
    assert!(failures.is_empty(), "permission matrix failures:\n{}", failures.join("\n"));
}
