//! The permission matrix: every REST route (`rest::ROUTES`) and every server function is
//! listed in `rest_cases()` / `server_fn_cases()` with what it needs. For each built-in role
//! the test proves the route allows exactly the roles holding that need (others get 403
//! PERMISSION_DENIED), and that ids of another org answer 404 NOT_FOUND.
//!
//! Adding a route or server function without a row here fails `every_route_is_in_the_matrix`.

use crate::support;

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
        case!("GET" "/org", Need::View, |fx, org| Req::get("/api/v1/org")),
        case!(entity "GET" "/preferences/{entity_type}/{entity_id}", Need::View, |fx, org| {
            Req::get(format!("/api/v1/preferences/team/{}", new_team(fx, org).await))
        }),
        case!(entity "PUT" "/preferences/{entity_type}/{entity_id}", Need::Perm("settings.manage"), |fx, org| {
            Req::json("PUT", format!("/api/v1/preferences/team/{}", new_team(fx, org).await), json!({"date_format": "dmy"}))
        }),
        case!("PATCH" "/org", Need::Perm("org.manage"), |fx, org| {
            Req::json("PATCH", "/api/v1/org", json!({"contact_phone": "+49 30 1234567"}))
        }),
        case!("GET" "/audit/verify", Need::Perm("audit.read"), |fx, org| Req::get("/api/v1/audit/verify")),
        // Teams
        case!("GET" "/teams", Need::View, |fx, org| Req::get("/api/v1/teams")),
        case!("POST" "/teams", Need::Perm("teams.manage"), |fx, org| {
            Req::json("POST", "/api/v1/teams", json!({"name": support::unique("Team")}))
        }),
        case!(entity "GET" "/teams/{id}", Need::View, |fx, org| Req::get(format!("/api/v1/teams/{}", new_team(fx, org).await))),
        case!(entity "PATCH" "/teams/{id}", Need::Perm("teams.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/teams/{}", new_team(fx, org).await), json!({"name": support::unique("Renamed")}))
        }),
        case!(entity "DELETE" "/teams/{id}", Need::Perm("teams.manage"), |fx, org| {
            Req::delete(format!("/api/v1/teams/{}", new_team(fx, org).await))
        }),
        // Roles
        case!("GET" "/roles", Need::Perm("roles.manage"), |fx, org| Req::get("/api/v1/roles")),
        case!("POST" "/roles", Need::Perm("roles.manage"), |fx, org| {
            Req::json("POST", "/api/v1/roles", json!({"name": support::unique("Role"), "permissions": []}))
        }),
        case!(entity "GET" "/roles/{id}", Need::Perm("roles.manage"), |fx, org| {
            Req::get(format!("/api/v1/roles/{}", new_role(fx, org).await))
        }),
        case!(entity "PATCH" "/roles/{id}", Need::Perm("roles.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/roles/{}", new_role(fx, org).await), json!({"description": "changed"}))
        }),
        case!(entity "DELETE" "/roles/{id}", Need::Perm("roles.manage"), |fx, org| {
            Req::delete(format!("/api/v1/roles/{}", new_role(fx, org).await))
        }),
        // Role assignments (a Viewer role on a fresh team: nobody escalates by granting it)
        case!("GET" "/role-assignments", Need::Perm("roles.manage"), |fx, org| Req::get("/api/v1/role-assignments")),
        case!("POST" "/role-assignments", Need::Perm("roles.manage"), |fx, org| {
            let team = new_team(fx, org).await;
            Req::json(
                "POST",
                "/api/v1/role-assignments",
                json!({"user_id": org.users["Viewer"].user.id, "role_id": "role-viewer", "scope_type": "team", "scope_id": team}),
            )
        }),
        case!(entity "DELETE" "/role-assignments", Need::Perm("roles.manage"), |fx, org| {
            Req::delete(format!("/api/v1/role-assignments?id={}", new_assignment(fx, org).await))
        }),
        // People
        case!("GET" "/users", Need::View, |fx, org| Req::get("/api/v1/users")),
        case!("POST" "/users", Need::Perm("users.manage"), |fx, org| {
            Req::json("POST", "/api/v1/users", json!({"email": new_email(), "display_name": "Invited person"}))
        }),
        case!(entity "GET" "/users/{id}", Need::View, |fx, org| Req::get(format!("/api/v1/users/{}", new_user(fx, org).await))),
        case!(entity "PATCH" "/users/{id}", Need::Perm("users.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/users/{}", new_user(fx, org).await), json!({"display_name": "Renamed person"}))
        }),
        case!(entity "DELETE" "/users/{id}", Need::Perm("users.manage"), |fx, org| {
            Req::delete(format!("/api/v1/users/{}", new_user(fx, org).await))
        }),
        // Resetting a fresh person's two-step sign-in: allowed roles get 409 (nothing to reset).
        case!(entity "POST" "/users/{id}/mfa-reset", Need::Perm("users.manage"), |fx, org| {
            Req::json("POST", format!("/api/v1/users/{}/mfa-reset", new_user(fx, org).await), json!({}))
        }),
        // API keys
        case!("GET" "/api-keys", Need::Perm("api_keys.manage"), |fx, org| Req::get("/api/v1/api-keys")),
        case!("POST" "/api-keys", Need::Perm("api_keys.manage"), |fx, org| {
            Req::json("POST", "/api/v1/api-keys", json!({"name": support::unique("Key"), "role_id": "role-viewer"}))
        }),
        case!(entity "GET" "/api-keys/{id}", Need::Perm("api_keys.manage"), |fx, org| {
            Req::get(format!("/api/v1/api-keys/{}", new_key(fx, org).await))
        }),
        case!(entity "DELETE" "/api-keys/{id}", Need::Perm("api_keys.manage"), |fx, org| {
            Req::delete(format!("/api/v1/api-keys/{}", new_key(fx, org).await))
        }),
        // Change log
        case!("GET" "/audit/events", Need::Perm("audit.read"), |fx, org| Req::get("/api/v1/audit/events?limit=5")),
        // Stores (writes on fresh stores, so the fixture's store stays as it is)
        case!("GET" "/stores", Need::View, |fx, org| Req::get("/api/v1/stores")),
        case!("POST" "/stores", Need::Perm("stores.manage"), |fx, org| {
            Req::json("POST", "/api/v1/stores", json!({"name": support::unique("Store"), "currency": "EUR"}))
        }),
        case!(entity "GET" "/stores/{id}", Need::View, |fx, org| Req::get(format!("/api/v1/stores/{}", org.store_id))),
        case!(entity "PATCH" "/stores/{id}", Need::Perm("stores.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/stores/{}", new_store(fx, org).await), json!({"actions_paused": true}))
        }),
        case!(entity "DELETE" "/stores/{id}", Need::Perm("stores.manage"), |fx, org| {
            Req::delete(format!("/api/v1/stores/{}", new_store(fx, org).await))
        }),
        // Assistants (store-scoped: the store named in the query or body)
        case!(entity "GET" "/assistants", Need::View, |fx, org| {
            Req::get(format!("/api/v1/assistants?store_id={}", org.store_id))
        }),
        case!(entity "POST" "/assistants", Need::Perm("stores.manage"), |fx, org| {
            Req::json("POST", "/api/v1/assistants", json!({"store_id": org.store_id, "name": support::unique("Assistant")}))
        }),
        case!(entity "GET" "/assistants/{id}", Need::View, |fx, org| {
            Req::get(format!("/api/v1/assistants/{}", org.assistant_id))
        }),
        case!(entity "PATCH" "/assistants/{id}", Need::Perm("stores.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/assistants/{}", new_assistant(fx, org).await), json!({"description": "changed"}))
        }),
        case!(entity "DELETE" "/assistants/{id}", Need::Perm("stores.manage"), |fx, org| {
            Req::delete(format!("/api/v1/assistants/{}", new_assistant(fx, org).await))
        }),
        case!(entity "PATCH" "/assistants/{id}/allowed-actions", Need::Perm("permissions.manage"), |fx, org| {
            Req::json(
                "PATCH",
                format!("/api/v1/assistants/{}/allowed-actions", new_assistant(fx, org).await),
                json!({"allowed_actions": ["lookup_order"]}),
            )
        }),
        case!(entity "GET" "/assistants/{id}/tools", Need::View, |fx, org| {
            Req::get(format!("/api/v1/assistants/{}/tools?format=mcp", org.assistant_id))
        }),
        // The decision and the catalog
        case!(entity "POST" "/check", Need::View, |fx, org| {
            Req::json(
                "POST",
                format!("/api/v1/check?store_id={}", org.store_id),
                json!({"action_type": "lookup_order", "params": {"order_id": "1001"}}),
            )
        }),
        case!("GET" "/actions/catalog", Need::View, |fx, org| Req::get("/api/v1/actions/catalog")),
        // The agent gateway (people and management keys need actions.approve at the store)
        case!(entity "POST" "/actions", Need::Perm("actions.approve"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/actions",
                json!({"store_id": org.store_id, "action_type": "lookup_order", "params": {"order_id": "1001"}}),
            )
        }),
        case!(entity "POST" "/actions/{id}/confirm", Need::Perm("actions.approve"), |fx, org| {
            Req::json("POST", format!("/api/v1/actions/{}/confirm", new_action(fx, org, true).await), json!({"by": "staff"}))
        }),
        case!(entity "POST" "/actions/{id}/cancel", Need::Perm("actions.approve"), |fx, org| {
            Req::json("POST", format!("/api/v1/actions/{}/cancel", new_action(fx, org, true).await), json!({}))
        }),
        case!(entity "POST" "/actions/{id}/result", Need::Perm("actions.approve"), |fx, org| {
            Req::json(
                "POST",
                format!("/api/v1/actions/{}/result", new_action(fx, org, false).await),
                json!({"status": "executed", "output": {"note_id": "n-1"}}),
            )
        }),
        // The read side of actions (audit.read at the store; rows filtered to such stores)
        case!(entity "GET" "/actions", Need::Perm("audit.read"), |fx, org| {
            Req::get(format!("/api/v1/actions?store_id={}", org.store_id))
        }),
        case!(entity "GET" "/actions/{id}", Need::Perm("audit.read"), |fx, org| {
            Req::get(format!("/api/v1/actions/{}", new_action(fx, org, true).await))
        }),
        // Permissions, org defaults and limits (no-op or idempotent changes of an unused action)
        case!(entity "GET" "/permissions", Need::View, |fx, org| {
            Req::get(format!("/api/v1/permissions?store_id={}", org.store_id))
        }),
        case!(entity "PUT" "/permissions/{action_type}", Need::Perm("permissions.manage"), |fx, org| {
            Req::json(
                "PUT",
                format!("/api/v1/permissions/crm.create_activity_note?store_id={}", org.store_id),
                json!({"requires_confirmation": true}),
            )
        }),
        case!("GET" "/permissions/defaults", Need::View, |fx, org| Req::get("/api/v1/permissions/defaults")),
        case!("PUT" "/permissions/defaults/{action_type}", Need::Perm("permissions.manage"), |fx, org| {
            Req::json("PUT", "/api/v1/permissions/defaults/crm.create_activity_note", json!({"requires_confirmation": true}))
        }),
        case!(entity "GET" "/permissions/limits", Need::View, |fx, org| {
            Req::get(format!("/api/v1/permissions/limits?store_id={}", org.store_id))
        }),
        case!(entity "POST" "/permissions/limits", Need::Perm("permissions.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/permissions/limits",
                json!({"store_id": org.store_id, "action_type": "crm.create_activity_note", "limit_type": "max_count", "limit_value": 1000, "time_window_hours": 24}),
            )
        }),
        case!(entity "DELETE" "/permissions/limits/{id}", Need::Perm("permissions.manage"), |fx, org| {
            Req::delete(format!("/api/v1/permissions/limits/{}", new_limit(fx, org).await))
        }),
        // Webhook connectors (secrets.manage; the org's is only ever refused or rejected as
        // invalid here, so no connector action of the fixture starts posting anywhere)
        case!(entity "GET" "/stores/{id}/connector", Need::Perm("secrets.manage"), |fx, org| {
            Req::get(format!("/api/v1/stores/{}/connector", org.store_id))
        }),
        case!(entity "PUT" "/stores/{id}/connector", Need::Perm("secrets.manage"), |fx, org| {
            Req::json(
                "PUT",
                format!("/api/v1/stores/{}/connector", new_store(fx, org).await),
                json!({"url": "https://hooks.example.com/mandate", "secret": "matrix-secret-0123456789"}),
            )
        }),
        case!(entity "DELETE" "/stores/{id}/connector", Need::Perm("secrets.manage"), |fx, org| {
            Req::delete(format!("/api/v1/stores/{}/connector", new_store_with_connector(fx, org).await))
        }),
        case!("GET" "/connector", Need::Perm("secrets.manage"), |fx, org| Req::get("/api/v1/connector")),
        case!("PUT" "/connector", Need::Perm("secrets.manage"), |fx, org| {
            Req::json("PUT", "/api/v1/connector", json!({"url": "not a url"}))
        }),
        case!("DELETE" "/connector", Need::Perm("secrets.manage"), |fx, org| Req::delete("/api/v1/connector")),
        // Automation: rules (rules.manage to change, View to read and dry-run), events
        // (rules.manage to post, audit.read to read), runs (audit.read; replay rules.manage)
        case!("GET" "/automation/triggers", Need::View, |fx, org| Req::get("/api/v1/automation/triggers?module_type=sales")),
        case!("GET" "/automation/rules", Need::View, |fx, org| Req::get("/api/v1/automation/rules")),
        case!("POST" "/automation/rules", Need::Perm("rules.manage"), |fx, org| {
            Req::json("POST", "/api/v1/automation/rules", rule_body())
        }),
        case!(entity "GET" "/automation/rules/{id}", Need::View, |fx, org| {
            Req::get(format!("/api/v1/automation/rules/{}", new_rule(fx, org).await))
        }),
        case!(entity "PUT" "/automation/rules/{id}", Need::Perm("rules.manage"), |fx, org| {
            Req::json("PUT", format!("/api/v1/automation/rules/{}", new_rule(fx, org).await), json!({"description": "changed"}))
        }),
        case!(entity "DELETE" "/automation/rules/{id}", Need::Perm("rules.manage"), |fx, org| {
            Req::delete(format!("/api/v1/automation/rules/{}", new_rule(fx, org).await))
        }),
        case!(entity "PUT" "/automation/rules/{id}/toggle", Need::Perm("rules.manage"), |fx, org| {
            Req::json("PUT", format!("/api/v1/automation/rules/{}/toggle?is_active=false", new_rule(fx, org).await), json!({}))
        }),
        case!(entity "POST" "/automation/rules/{id}/test", Need::View, |fx, org| {
            Req::json(
                "POST",
                format!("/api/v1/automation/rules/{}/test", new_rule(fx, org).await),
                json!({"payload": {"name": "Ann", "email": "ann@example.com"}, "store_id": org.store_id}),
            )
        }),
        case!(entity "GET" "/automation/rules/{id}/versions", Need::View, |fx, org| {
            Req::get(format!("/api/v1/automation/rules/{}/versions", new_rule(fx, org).await))
        }),
        case!(entity "POST" "/automation/rules/{id}/versions/{version}/restore", Need::Perm("rules.manage"), |fx, org| {
            Req::json("POST", format!("/api/v1/automation/rules/{}/versions/1/restore", new_rule(fx, org).await), json!({}))
        }),
        case!(entity "POST" "/events", Need::Perm("rules.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/events",
                json!({"trigger_id": "contact_created", "store_id": org.store_id, "payload": {"name": "Ann"}}),
            )
        }),
        case!(entity "GET" "/events/{id}", Need::Perm("audit.read"), |fx, org| {
            Req::get(format!("/api/v1/events/{}", new_event(fx, org).await))
        }),
        case!("GET" "/automation/runs", Need::Perm("audit.read"), |fx, org| Req::get("/api/v1/automation/runs?limit=5")),
        case!(entity "GET" "/automation/runs/{id}", Need::Perm("audit.read"), |fx, org| {
            Req::get(format!("/api/v1/automation/runs/{}", new_run(fx, org).await))
        }),
        case!(entity "POST" "/automation/runs/{id}/replay", Need::Perm("rules.manage"), |fx, org| {
            Req::json("POST", format!("/api/v1/automation/runs/{}/replay", new_run(fx, org).await), json!({}))
        }),
        // Spend: recording and quotas need quotas.manage at the entity's scope, reading usage.read
        case!(entity "POST" "/expenditures", Need::Perm("quotas.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/expenditures",
                json!({"entity_type": "assistant", "entity_id": org.assistant_id, "amount": "0.01", "currency": "EUR",
                       "item_type": "prompt"}),
            )
        }),
        case!("GET" "/quotas", Need::Perm("usage.read"), |fx, org| Req::get("/api/v1/quotas")),
        case!(entity "POST" "/quotas", Need::Perm("quotas.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/quotas",
                json!({"entity_type": "team", "entity_id": new_team(fx, org).await, "metric": "amount", "limit": 1000000,
                       "period": "month", "enforce": false}),
            )
        }),
        case!(entity "PATCH" "/quotas/{id}", Need::Perm("quotas.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/quotas/{}", new_quota(fx, org).await), json!({"name": support::unique("Quota")}))
        }),
        case!(entity "DELETE" "/quotas/{id}", Need::Perm("quotas.manage"), |fx, org| {
            Req::delete(format!("/api/v1/quotas/{}", new_quota(fx, org).await))
        }),
        // The SMS provider (secrets.manage; the PUT is refused as invalid, so nothing is sent)
        case!("GET" "/sms-provider", Need::Perm("secrets.manage"), |fx, org| Req::get("/api/v1/sms-provider")),
        case!("PUT" "/sms-provider", Need::Perm("secrets.manage"), |fx, org| {
            Req::json("PUT", "/api/v1/sms-provider", json!({"url": "not a url"}))
        }),
        case!("DELETE" "/sms-provider", Need::Perm("secrets.manage"), |fx, org| Req::delete("/api/v1/sms-provider")),
        // Single sign-on: Owners only (org.manage); an invalid body is 422 for them.
        case!("GET" "/sso", Need::Perm("org.manage"), |fx, org| Req::get("/api/v1/sso")),
        case!("PUT" "/sso", Need::Perm("org.manage"), |fx, org| Req::json("PUT", "/api/v1/sso", json!({"issuer_url": "not a url"}))),
        case!("DELETE" "/sso", Need::Perm("org.manage"), |fx, org| Req::delete("/api/v1/sso")),
        // Configuration templates: Owners only (org.manage). The import is a dry run of a
        // file that changes nothing but the org's address.
        case!("GET" "/config/export", Need::Perm("org.manage"), |fx, org| Req::get("/api/v1/config/export")),
        case!("POST" "/config/import", Need::Perm("org.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/v1/config/import?dry_run=true",
                json!({"format": "mandate.config", "version": 1,
                       "org": {"name": "Org A", "address": "Somewhere 1", "time_zone": "UTC", "default_currency": "EUR"}}),
            )
        }),
        case!("GET" "/secrets", Need::View, |fx, org| Req::get("/api/v1/secrets")),
        case!("POST" "/secrets", Need::Perm("secrets.manage"), |fx, org| {
            Req::json("POST", "/api/v1/secrets", json!({"name": secret_name(), "value": "v"}))
        }),
        case!(entity "PATCH" "/secrets/{id}", Need::Perm("secrets.manage"), |fx, org| {
            Req::json("PATCH", format!("/api/v1/secrets/{}", new_secret(fx, org).await), json!({"description": "changed"}))
        }),
        case!(entity "DELETE" "/secrets/{id}", Need::Perm("secrets.manage"), |fx, org| {
            Req::delete(format!("/api/v1/secrets/{}", new_secret(fx, org).await))
        }),
        case!(entity "GET" "/usage", Need::Perm("usage.read"), |fx, org| {
            Req::get(format!("/api/v1/usage?entity_type=assistant&entity_id={}&period=day", org.assistant_id))
        }),
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
        // The catalog and the Try it panel
        case!("POST" "/api/catalog_list", Need::View, |fx, org| Req::form("/api/catalog_list", &[])),
        case!(entity "POST" "/api/policy_try", Need::View, |fx, org| {
            Req::form(
                "/api/policy_try",
                &[("store_id", org.store_id.as_str()), ("action_type", "lookup_order"), ("params", r#"{"order_id":"1001"}"#)],
            )
        }),
        // Store actions page and action defaults
        case!(entity "POST" "/api/permissions_list", Need::View, |fx, org| {
            Req::form("/api/permissions_list", &[("store_id", &org.store_id)])
        }),
        case!(entity "POST" "/api/permissions_set", Need::Perm("permissions.manage"), |fx, org| {
            Req::form(
                "/api/permissions_set",
                &[("store_id", &org.store_id), ("action_type", "crm.create_activity_note"), ("requires_confirmation", "true")],
            )
        }),
        case!("POST" "/api/permissions_defaults", Need::View, |fx, org| Req::form("/api/permissions_defaults", &[])),
        case!("POST" "/api/permissions_set_default", Need::Perm("permissions.manage"), |fx, org| {
            Req::form("/api/permissions_set_default", &[("action_type", "crm.create_activity_note"), ("requires_confirmation", "true")])
        }),
        case!(entity "POST" "/api/permissions_limit_save", Need::Perm("permissions.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/permissions_limit_save",
                json!({"input": {"scope_type": "store", "scope_id": org.store_id, "action_type": "crm.create_activity_note",
                       "limit_type": "max_count", "limit_value": "1000", "time_window_hours": "24"}}),
            )
        }),
        case!(entity "POST" "/api/permissions_limit_delete", Need::Perm("permissions.manage"), |fx, org| {
            Req::form("/api/permissions_limit_delete", &[("id", &new_limit(fx, org).await)])
        }),
        // Teams
        case!("POST" "/api/teams_list", Need::View, |fx, org| Req::form("/api/teams_list", &[])),
        case!("POST" "/api/teams_create", Need::Perm("teams.manage"), |fx, org| {
            Req::form("/api/teams_create", &[("name", &support::unique("Team"))])
        }),
        case!(entity "POST" "/api/teams_rename", Need::Perm("teams.manage"), |fx, org| {
            Req::form("/api/teams_rename", &[("id", &new_team(fx, org).await), ("name", &support::unique("Renamed"))])
        }),
        case!(entity "POST" "/api/teams_move", Need::Perm("teams.manage"), |fx, org| {
            Req::form("/api/teams_move", &[("id", &new_team(fx, org).await), ("parent_team_id", &new_team(fx, org).await)])
        }),
        case!(entity "POST" "/api/teams_delete", Need::Perm("teams.manage"), |fx, org| {
            Req::form("/api/teams_delete", &[("id", &new_team(fx, org).await)])
        }),
        case!(entity "POST" "/api/team_page", Need::View, |fx, org| {
            Req::form("/api/team_page", &[("id", &new_team(fx, org).await)])
        }),
        // Roles and assignments
        case!("POST" "/api/roles_list", Need::Perm("roles.manage"), |fx, org| Req::form("/api/roles_list", &[])),
        case!("POST" "/api/roles_create", Need::Perm("roles.manage"), |fx, org| {
            Req::json("POST", "/api/roles_create", json!({"name": support::unique("Role"), "description": "", "permissions": []}))
        }),
        case!(entity "POST" "/api/roles_update", Need::Perm("roles.manage"), |fx, org| {
            Req::json("POST", "/api/roles_update", json!({"id": new_role(fx, org).await, "description": "changed"}))
        }),
        case!(entity "POST" "/api/roles_set_permission", Need::Perm("roles.manage"), |fx, org| {
            Req::form(
                "/api/roles_set_permission",
                &[("id", &new_role(fx, org).await), ("permission", "audit.read"), ("granted", "true")],
            )
        }),
        case!(entity "POST" "/api/roles_delete", Need::Perm("roles.manage"), |fx, org| {
            Req::form("/api/roles_delete", &[("id", &new_role(fx, org).await)])
        }),
        case!("POST" "/api/role_assignments_list", Need::Perm("roles.manage"), |fx, org| Req::form("/api/role_assignments_list", &[])),
        case!("POST" "/api/role_assignments_options", Need::Perm("roles.manage"), |fx, org| {
            Req::form("/api/role_assignments_options", &[])
        }),
        case!("POST" "/api/role_assignments_create", Need::Perm("roles.manage"), |fx, org| {
            let scope = format!("team:{}", new_team(fx, org).await);
            Req::form(
                "/api/role_assignments_create",
                &[("user_id", &org.users["Viewer"].user.id), ("role_id", "role-viewer"), ("scope", &scope)],
            )
        }),
        case!(entity "POST" "/api/role_assignments_delete", Need::Perm("roles.manage"), |fx, org| {
            Req::form("/api/role_assignments_delete", &[("id", &new_assignment(fx, org).await)])
        }),
        // People and email
        case!("POST" "/api/users_list", Need::View, |fx, org| Req::form("/api/users_list", &[])),
        case!(entity "POST" "/api/person_page", Need::View, |fx, org| {
            Req::form("/api/person_page", &[("id", &new_user(fx, org).await)])
        }),
        case!("POST" "/api/users_form_options", Need::Perm("users.manage"), |fx, org| Req::form("/api/users_form_options", &[])),
        case!("POST" "/api/users_invite", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_invite", &[("email", &new_email()), ("display_name", "Invited person")])
        }),
        case!(entity "POST" "/api/users_resend_invite", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_resend_invite", &[("id", &new_user(fx, org).await)])
        }),
        case!(entity "POST" "/api/users_update", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_update", &[("id", &new_user(fx, org).await), ("display_name", "Renamed person")])
        }),
        case!(entity "POST" "/api/users_set_status", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_set_status", &[("id", &new_user(fx, org).await), ("status", "suspended")])
        }),
        case!(entity "POST" "/api/users_delete", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_delete", &[("id", &new_user(fx, org).await)])
        }),
        case!(entity "POST" "/api/users_reset_mfa", Need::Perm("users.manage"), |fx, org| {
            Req::form("/api/users_reset_mfa", &[("id", &new_user(fx, org).await)])
        }),
        case!("POST" "/api/outbox_list", Need::Perm("users.manage"), |fx, org| Req::form("/api/outbox_list", &[])),
        case!("POST" "/api/invite_info", Need::Public, |fx, org| Req::form("/api/invite_info", &[("token", "not-a-token")])),
        case!("POST" "/api/invite_accept", Need::Public, |fx, org| {
            Req::form("/api/invite_accept", &[("token", "not-a-token"), ("password", "x"), ("password_confirm", "x")])
        }),
        case!("POST" "/api/password_forgot", Need::Public, |fx, org| Req::form("/api/password_forgot", &[("email", "nobody@example.com")])),
        case!("POST" "/api/password_reset_info", Need::Public, |fx, org| {
            Req::form("/api/password_reset_info", &[("token", "not-a-token")])
        }),
        case!("POST" "/api/password_reset", Need::Public, |fx, org| {
            Req::form("/api/password_reset", &[("token", "not-a-token"), ("password", "x"), ("password_confirm", "x")])
        }),
        // One's own account (any role)
        case!("POST" "/api/account_get", Need::View, |fx, org| Req::form("/api/account_get", &[])),
        case!("POST" "/api/account_update_profile", Need::View, |fx, org| {
            Req::form("/api/account_update_profile", &[("display_name", "Same person")])
        }),
        case!("POST" "/api/account_change_password", Need::View, |fx, org| {
            Req::form(
                "/api/account_change_password",
                &[("current_password", "not the password"), ("new_password", "x"), ("new_password_confirm", "x")],
            )
        }),
        case!("POST" "/api/account_end_other_sessions", Need::View, |fx, org| Req::form("/api/account_end_other_sessions", &[])),
        case!("POST" "/api/mfa_status", Need::View, |fx, org| Req::form("/api/mfa_status", &[])),
        case!("POST" "/api/mfa_begin", Need::View, |fx, org| Req::form("/api/mfa_begin", &[])),
        case!("POST" "/api/mfa_confirm", Need::View, |fx, org| Req::form("/api/mfa_confirm", &[("code", "123456")])),
        case!("POST" "/api/mfa_recovery_codes", Need::View, |fx, org| Req::form("/api/mfa_recovery_codes", &[("code", "123456")])),
        case!("POST" "/api/mfa_disable", Need::View, |fx, org| Req::form("/api/mfa_disable", &[("credential", "123456")])),
        case!("POST" "/api/login_mfa_pending", Need::Public, |fx, org| Req::form("/api/login_mfa_pending", &[])),
        case!("POST" "/api/login_mfa", Need::Public, |fx, org| Req::form("/api/login_mfa", &[("code", "123456")])),
        // Organisation settings, API keys, change log
        case!("POST" "/api/overview_sections", Need::View, |fx, org| Req::form("/api/overview_sections", &[])),
        case!("POST" "/api/preferences_page", Need::View, |fx, org| {
            Req::form("/api/preferences_page", &[("entity_type", "org")])
        }),
        case!("POST" "/api/preferences_save", Need::Perm("settings.manage"), |fx, org| {
            Req::json("POST", "/api/preferences_save", json!({"entity_type": "org", "entity_id": null, "settings": {"date_format": "dmy"}}))
        }),
        case!("POST" "/api/org_settings_get", Need::View, |fx, org| Req::form("/api/org_settings_get", &[])),
        case!("POST" "/api/org_settings_update", Need::Perm("org.manage"), |fx, org| {
            Req::form(
                "/api/org_settings_update",
                &[("name", &org.org.name), ("address", ""), ("contact_email", ""), ("contact_phone", ""),
                  ("time_zone", "UTC"), ("default_currency", "EUR")],
            )
        }),
        case!("POST" "/api/api_keys_list", Need::Perm("api_keys.manage"), |fx, org| Req::form("/api/api_keys_list", &[])),
        case!("POST" "/api/api_keys_options", Need::Perm("api_keys.manage"), |fx, org| Req::form("/api/api_keys_options", &[])),
        case!("POST" "/api/api_keys_create", Need::Perm("api_keys.manage"), |fx, org| {
            Req::form("/api/api_keys_create", &[("name", &support::unique("Key")), ("role_id", "role-viewer"), ("scope", "org")])
        }),
        case!(entity "POST" "/api/api_keys_revoke", Need::Perm("api_keys.manage"), |fx, org| {
            Req::form("/api/api_keys_revoke", &[("id", &new_key(fx, org).await)])
        }),
        case!("POST" "/api/audit_changes", Need::Perm("audit.read"), |fx, org| Req::form("/api/audit_changes", &[])),
        case!("POST" "/api/audit_entity_types", Need::Perm("audit.read"), |fx, org| Req::form("/api/audit_entity_types", &[])),
        case!("POST" "/api/audit_chain", Need::Perm("audit.read"), |fx, org| Req::form("/api/audit_chain", &[])),
        // Stores page
        case!("POST" "/api/stores_list", Need::View, |fx, org| Req::form("/api/stores_list", &[])),
        case!("POST" "/api/stores_create", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/stores_create", &[("name", &support::unique("Store")), ("currency", "EUR"), ("team_id", "")])
        }),
        case!(entity "POST" "/api/stores_update", Need::Perm("stores.manage"), |fx, org| {
            Req::form(
                "/api/stores_update",
                &[("id", &new_store(fx, org).await), ("name", &support::unique("Renamed")), ("currency", "USD"), ("team_id", "")],
            )
        }),
        case!(entity "POST" "/api/stores_set_paused", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/stores_set_paused", &[("id", &new_store(fx, org).await), ("paused", "true")])
        }),
        case!(entity "POST" "/api/stores_delete", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/stores_delete", &[("id", &new_store(fx, org).await)])
        }),
        // Assistants page
        case!(entity "POST" "/api/assistants_for_store", Need::View, |fx, org| {
            Req::form("/api/assistants_for_store", &[("store_id", &org.store_id)])
        }),
        case!(entity "POST" "/api/assistants_create", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/assistants_create", &[("store_id", &org.store_id), ("name", &support::unique("Assistant"))])
        }),
        case!(entity "POST" "/api/assistants_update", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/assistants_update", &[("id", &new_assistant(fx, org).await), ("name", &support::unique("Renamed"))])
        }),
        case!(entity "POST" "/api/assistants_set_status", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/assistants_set_status", &[("id", &new_assistant(fx, org).await), ("status", "disabled")])
        }),
        case!(entity "POST" "/api/assistants_delete", Need::Perm("stores.manage"), |fx, org| {
            Req::form("/api/assistants_delete", &[("id", &new_assistant(fx, org).await)])
        }),
        case!(entity "POST" "/api/assistants_set_allowed_actions", Need::Perm("permissions.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/assistants_set_allowed_actions",
                json!({"id": new_assistant(fx, org).await, "allowed_actions": ["lookup_order"]}),
            )
        }),
        case!(entity "POST" "/api/assistants_tool_preview", Need::View, |fx, org| {
            Req::form("/api/assistants_tool_preview", &[("id", &org.assistant_id)])
        }),
        case!(entity "POST" "/api/assistant_keys_list", Need::Perm("api_keys.manage"), |fx, org| {
            Req::form("/api/assistant_keys_list", &[("store_id", &org.store_id), ("assistant_id", &org.assistant_id)])
        }),
        case!(entity "POST" "/api/assistant_keys_create", Need::Perm("api_keys.manage"), |fx, org| {
            Req::form(
                "/api/assistant_keys_create",
                &[("name", &support::unique("Agent key")), ("store_id", &org.store_id), ("assistant_id", &org.assistant_id)],
            )
        }),
        // Audit of actions, the Approvals inbox and the overview's action sections
        case!(entity "POST" "/api/actions_list", Need::Perm("audit.read"), |fx, org| {
            Req::form("/api/actions_list", &[("store_id", &org.store_id)])
        }),
        case!("POST" "/api/actions_filter_options", Need::Perm("audit.read"), |fx, org| {
            Req::form("/api/actions_filter_options", &[])
        }),
        case!(entity "POST" "/api/actions_get", Need::Perm("audit.read"), |fx, org| {
            Req::form("/api/actions_get", &[("id", &new_action(fx, org, true).await)])
        }),
        case!("POST" "/api/approvals_list", Need::Perm("actions.approve"), |fx, org| Req::form("/api/approvals_list", &[])),
        case!("POST" "/api/approvals_count", Need::Perm("actions.approve"), |fx, org| Req::form("/api/approvals_count", &[])),
        case!(entity "POST" "/api/approvals_approve", Need::Perm("actions.approve"), |fx, org| {
            Req::form("/api/approvals_approve", &[("id", &new_action(fx, org, true).await)])
        }),
        case!(entity "POST" "/api/approvals_reject", Need::Perm("actions.approve"), |fx, org| {
            Req::form("/api/approvals_reject", &[("id", &new_action(fx, org, true).await)])
        }),
        case!("POST" "/api/overview_actions", Need::View, |fx, org| Req::form("/api/overview_actions", &[])),
        case!("POST" "/api/actions_chain_status", Need::Perm("audit.read"), |fx, org| {
            Req::form("/api/actions_chain_status", &[])
        }),
        case!(entity "POST" "/api/connector_get", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/connector_get", &[("store_id", &org.store_id)])
        }),
        case!(entity "POST" "/api/connector_save", Need::Perm("secrets.manage"), |fx, org| {
            Req::form(
                "/api/connector_save",
                &[("store_id", &new_store(fx, org).await), ("url", "https://hooks.example.com/mandate"), ("secret", "matrix-secret-0123456789")],
            )
        }),
        case!(entity "POST" "/api/connector_delete", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/connector_delete", &[("store_id", &new_store_with_connector(fx, org).await)])
        }),
        // Spend pages: the quota editor, the usage dashboard, the overview's quota use, a
        // person's notification choices, the SMS provider (its save is refused as invalid)
        case!("POST" "/api/quotas_page", Need::Perm("usage.read"), |fx, org| Req::form("/api/quotas_page", &[])),
        case!(entity "POST" "/api/quota_save", Need::Perm("quotas.manage"), |fx, org| {
            let entity = format!("team:{}", new_team(fx, org).await);
            Req::form(
                "/api/quota_save",
                &[("name", ""), ("entity", &entity), ("item_type", "any"), ("metric", "amount"), ("limit", "1000000"),
                  ("currency", "EUR"), ("period", "month"), ("enforce", "false"), ("alert_thresholds", "50, 80, 100")],
            )
        }),
        case!(entity "POST" "/api/quota_delete", Need::Perm("quotas.manage"), |fx, org| {
            Req::form("/api/quota_delete", &[("id", &new_quota(fx, org).await)])
        }),
        case!("POST" "/api/usage_dashboard", Need::Perm("usage.read"), |fx, org| {
            Req::form("/api/usage_dashboard", &[("period", "week")])
        }),
        // Another person's spend (a team's is the same rule; one's own needs nothing).
        case!(entity "POST" "/api/entity_usage", Need::Perm("usage.read"), |fx, org| {
            Req::form("/api/entity_usage", &[("entity_type", "user"), ("entity_id", &new_user(fx, org).await)])
        }),
        case!("POST" "/api/overview_quotas", Need::View, |fx, org| Req::form("/api/overview_quotas", &[])),
        case!("POST" "/api/notifications_settings", Need::View, |fx, org| Req::form("/api/notifications_settings", &[])),
        case!("POST" "/api/notifications_settings_save", Need::View, |fx, org| {
            Req::json("POST", "/api/notifications_settings_save", json!({"channels": {}, "sms_number": null}))
        }),
        case!("POST" "/api/sms_provider_get", Need::Perm("secrets.manage"), |fx, org| Req::form("/api/sms_provider_get", &[])),
        case!("POST" "/api/sms_provider_save", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/sms_provider_save", &[("url", "not a url"), ("account_sid", ""), ("from_number", "")])
        }),
        case!("POST" "/api/sms_provider_delete", Need::Perm("secrets.manage"), |fx, org| Req::form("/api/sms_provider_delete", &[])),
        // Single sign-on: the page (Owners) and the sign-in page's public question.
        case!("POST" "/api/sso_get", Need::Perm("org.manage"), |fx, org| Req::form("/api/sso_get", &[])),
        case!("POST" "/api/sso_save", Need::Perm("org.manage"), |fx, org| {
            Req::form(
                "/api/sso_save",
                &[("display_name", ""), ("issuer_url", "not a url"), ("client_id", ""), ("allowed_domains", ""), ("provisioning", "invited")],
            )
        }),
        case!("POST" "/api/sso_delete", Need::Perm("org.manage"), |fx, org| Req::form("/api/sso_delete", &[])),
        // Configuration templates (Owners): what the export holds, and a dry-run import.
        case!("POST" "/api/config_contents", Need::Perm("org.manage"), |fx, org| Req::form("/api/config_contents", &[])),
        case!("POST" "/api/config_import", Need::Perm("org.manage"), |fx, org| {
            Req::form(
                "/api/config_import",
                &[("text", r#"{"format": "mandate.config", "version": 1, "org": {"name": "Org A", "time_zone": "UTC", "default_currency": "EUR"}}"#), ("dry_run", "true")],
            )
        }),
        case!("POST" "/api/secrets_page", Need::View, |fx, org| Req::form("/api/secrets_page", &[])),
        case!("POST" "/api/secrets_set", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/secrets_set", &[("place", "org"), ("name", &secret_name()), ("value", "v")])
        }),
        case!(entity "POST" "/api/secrets_replace", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/secrets_replace", &[("id", &new_secret(fx, org).await), ("value", "new")])
        }),
        case!(entity "POST" "/api/secrets_delete", Need::Perm("secrets.manage"), |fx, org| {
            Req::form("/api/secrets_delete", &[("id", &new_secret(fx, org).await)])
        }),
        case!("POST" "/api/login_context", Need::Public, |fx, org| Req::form("/api/login_context", &[("org", "org-a")])),
        // Notifications (each person's own) and tasks
        case!("POST" "/api/notifications_list", Need::View, |fx, org| Req::form("/api/notifications_list", &[])),
        case!("POST" "/api/notifications_unread_count", Need::View, |fx, org| {
            Req::form("/api/notifications_unread_count", &[])
        }),
        case!("POST" "/api/notifications_mark_read", Need::View, |fx, org| Req::form("/api/notifications_mark_read", &[])),
        // The Owner's own notification: other people get NOT_FOUND (it isn't theirs), never a refusal.
        case!(entity "POST" "/api/notifications_mark_read", Need::View, |fx, org| {
            Req::form("/api/notifications_mark_read", &[("id", &new_notification(fx, org).await)])
        }),
        case!(entity "POST" "/api/tasks_list", Need::View, |fx, org| {
            Req::form("/api/tasks_list", &[("store_id", &org.store_id)])
        }),
        case!(entity "POST" "/api/tasks_set_status", Need::Perm("actions.approve"), |fx, org| {
            Req::form("/api/tasks_set_status", &[("id", &new_task(fx, org).await), ("status", "done")])
        }),
        // Automation: rules, the editor's dry run, runs
        case!("POST" "/api/automation_rules_list", Need::View, |fx, org| Req::form("/api/automation_rules_list", &[])),
        case!("POST" "/api/automation_rule_editor", Need::View, |fx, org| Req::form("/api/automation_rule_editor", &[])),
        case!(entity "POST" "/api/automation_rule_editor", Need::View, |fx, org| {
            Req::form("/api/automation_rule_editor", &[("id", &new_rule(fx, org).await)])
        }),
        case!(entity "POST" "/api/automation_rule_create", Need::Perm("rules.manage"), |fx, org| {
            Req::json("POST", "/api/automation_rule_create", json!({"input": rule_input(org)}))
        }),
        case!(entity "POST" "/api/automation_rule_update", Need::Perm("rules.manage"), |fx, org| {
            Req::json(
                "POST",
                "/api/automation_rule_update",
                json!({"id": new_rule(fx, org).await, "input": {"name": support::unique("Renamed rule")}}),
            )
        }),
        case!(entity "POST" "/api/automation_rule_toggle", Need::Perm("rules.manage"), |fx, org| {
            Req::form("/api/automation_rule_toggle", &[("id", &new_rule(fx, org).await), ("is_active", "false")])
        }),
        case!(entity "POST" "/api/automation_rule_delete", Need::Perm("rules.manage"), |fx, org| {
            Req::form("/api/automation_rule_delete", &[("id", &new_rule(fx, org).await)])
        }),
        case!(entity "POST" "/api/automation_rule_versions", Need::View, |fx, org| {
            Req::form("/api/automation_rule_versions", &[("id", &new_rule(fx, org).await)])
        }),
        case!(entity "POST" "/api/automation_rule_restore", Need::Perm("rules.manage"), |fx, org| {
            Req::form("/api/automation_rule_restore", &[("id", &new_rule(fx, org).await), ("version", "1")])
        }),
        // A dry run changes nothing: anyone who may see the store may ask for one.
        case!(entity "POST" "/api/automation_rule_preview", Need::View, |fx, org| {
            Req::json(
                "POST",
                "/api/automation_rule_preview",
                json!({"input": rule_input(org), "payload": r#"{"opportunity_name": "Acme", "value": 150000}"#, "store_id": null}),
            )
        }),
        case!("POST" "/api/automation_runs_list", Need::Perm("audit.read"), |fx, org| Req::form("/api/automation_runs_list", &[])),
        case!(entity "POST" "/api/automation_run_get", Need::Perm("audit.read"), |fx, org| {
            Req::form("/api/automation_run_get", &[("id", &new_run(fx, org).await)])
        }),
        case!(entity "POST" "/api/automation_run_replay", Need::Perm("rules.manage"), |fx, org| {
            Req::form("/api/automation_run_replay", &[("id", &new_run(fx, org).await)])
        }),
    ]
}

async fn new_team(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::services::org::teams::NewTeam { name: support::unique("Team"), parent_team_id: None };
    app::services::org::teams::create(&fx.db, &actor, input).await.unwrap().id
}

fn secret_name() -> String {
    format!("S_{}", uuid::Uuid::new_v4().simple()).to_uppercase()
}

/// An org-wide secret (set with a key of its own: only its metadata matters here).
async fn new_secret(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::domain::secrets::SecretInput { name: secret_name(), value: "v".into(), ..Default::default() };
    app::services::vault::put(&fx.db, &[3u8; 32], &actor, input).await.unwrap().0.id
}

async fn new_role(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::services::access::roles::NewRole {
        name: support::unique("Role"),
        description: String::new(),
        permissions: vec![],
    };
    app::services::access::roles::create(&fx.db, &actor, input).await.unwrap().id
}

async fn new_assignment(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let team = new_team(fx, org).await;
    let input = app::services::access::assignments::NewAssignment {
        user_id: org.users["Viewer"].user.id.clone(),
        role_id: "role-viewer".into(),
        scope_type: "team".into(),
        scope_id: Some(team),
    };
    app::services::access::assignments::create(&fx.db, &actor, input).await.unwrap().id
}

/// A fresh store of the org (the owner creates it through the service).
async fn new_store(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let input =
        app::domain::stores::NewStore { name: support::unique("Store"), currency: "EUR".into(), ..Default::default() };
    app::services::stores::create(&fx.db, &cache, &actor, input).await.unwrap().id
}

/// An action on a fresh store: a CRM note (a connector action, so nothing executes it here),
/// pending staff confirmation or, with `pending` false, confirmed for the caller to report.
async fn new_action(fx: &Fixture, org: &support::Org, pending: bool) -> String {
    let side = side_of(fx, org);
    let actor = fx.owner_actor(side).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let store = new_store(fx, org).await;
    let catalog = cache.catalog(&fx.db).await.unwrap();
    let patch = app::domain::action_settings::PermissionPatch {
        enabled: Some(true),
        requires_confirmation: Some(pending),
        confirmation_by: Some("staff".into()),
    };
    app::services::stores::permissions::set(&fx.db, &catalog, &actor, &store, "crm.create_activity_note", patch)
        .await
        .unwrap();
    let gw = app::services::gateway::actions::Gateway {
        db: &fx.db,
        policy: &cache,
        secret_key: &[7u8; 32],
        pending_ttl: chrono::Duration::hours(24),
    };
    let input = app::services::gateway::actions::InvokeInput {
        request: app::domain::policy::ActionRequest {
            store_id: Some(store),
            action_type: "crm.create_activity_note".into(),
            params: json!({"target": {"type": "client", "id": "c-1"}, "body": "Called back."}),
            ..Default::default()
        },
        ..Default::default()
    };
    let answer = app::services::gateway::actions::invoke(
        gw,
        &actor,
        input,
        Some(&support::unique("key").replace(char::is_whitespace, "-")),
    )
    .await
    .unwrap();
    assert_eq!(answer.body["status"], if pending { "pending" } else { "confirmed" }, "{:?}", answer.body);
    answer.body["id"].as_str().unwrap().to_string()
}

/// A fresh assistant of the org's fixture store.
async fn new_assistant(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let input = app::domain::assistants::NewAssistant {
        store_id: org.store_id.clone(),
        name: support::unique("Assistant"),
        ..Default::default()
    };
    app::services::stores::assistants::create(&fx.db, &cache, &actor, input).await.unwrap().id
}

/// A limit at the org's fixture store (the same row each time until someone deletes it).
async fn new_limit(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let catalog = app::services::stores::catalog::load(&fx.db).await.unwrap();
    let input = app::domain::action_settings::LimitInput {
        store_id: Some(org.store_id.clone()),
        action_type: "crm.create_activity_note".into(),
        limit_type: "max_count".into(),
        limit_value: "500".into(),
        time_window_hours: Some("1".into()),
        ..Default::default()
    };
    app::services::stores::permissions::upsert_limit(&fx.db, &catalog, &actor, input).await.unwrap().limit.id
}

/// A fresh store with a webhook connector (the owner sets it through the service).
async fn new_store_with_connector(fx: &Fixture, org: &support::Org) -> String {
    let store = new_store(fx, org).await;
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::domain::connectors::ConnectorInput {
        url: "https://hooks.example.com/mandate".into(),
        secret: Some("matrix-secret-0123456789".into()),
        ..Default::default()
    };
    let scope = app::services::gateway::connectors::ConnectorScope::Store(store.clone());
    app::services::gateway::connectors::set(&fx.db, &[7u8; 32], &actor, &scope, input).await.unwrap();
    store
}

/// Runs one of Mandate's internal actions at the org's fixture store, as the gateway does
/// after deciding.
async fn run_internal(
    fx: &Fixture,
    org: &support::Org,
    action_type: &str,
    params: serde_json::Value,
) -> serde_json::Value {
    use sea_orm::EntityTrait;
    let catalog = app::services::stores::catalog::load(&fx.db).await.unwrap();
    let def = catalog.get(action_type).unwrap().clone();
    let store = app::entities::store::Entity::find_by_id(org.store_id.clone()).one(&fx.db).await.unwrap().unwrap();
    let action_id = app::services::infra::db::new_id();
    let ctx = app::services::gateway::executors::ExecContext {
        db: &fx.db,
        secret_key: &[7u8; 32],
        org_id: &org.org.id,
        store: &store,
        def: &def,
        action_id: &action_id,
        params: &params,
        idempotency_key: None,
        customer_ref: None,
        rule_run_id: None,
    };
    app::services::gateway::executors::run(&ctx).await.expect("an internal executor").expect("the action runs")
}

/// A fresh unread notification for the org's Owner.
async fn new_notification(fx: &Fixture, org: &support::Org) -> String {
    let params = json!({"recipients": [org.owner.email], "title": support::unique("Note"), "body": "Matrix"});
    run_internal(fx, org, "send_notification", params).await["notification_ids"][0].as_str().unwrap().to_string()
}

/// A fresh open task at the org's fixture store, assigned to nobody.
async fn new_task(fx: &Fixture, org: &support::Org) -> String {
    let params = json!({"title": support::unique("Task")});
    run_internal(fx, org, "create_task", params).await["task_id"].as_str().unwrap().to_string()
}

/// The seed's high-value rule at the org's fixture store, as the editor sends it.
fn rule_input(org: &support::Org) -> serde_json::Value {
    json!({
        "name": support::unique("Rule"),
        "description": "",
        "module_type": "sales",
        "trigger_id": "high_value_opportunity",
        "store_id": org.store_id,
        "conditions": [{"type": "value_threshold", "field": "value", "value": 100000}],
        "actions": [{"type": "send_notification", "parameters": {
            "recipients": ["Owner"], "title": "Big deal", "channel": "in_app", "severity": "info",
            "body": "New high-value opportunity: {{opportunity_name}} - ${{value}}"}}],
        "is_active": true
    })
}

/// A rule for every store that tells the Owner about new contacts (send_notification is
/// disabled in fresh stores, so its runs are recorded denials: nothing is sent).
fn rule_body() -> serde_json::Value {
    json!({
        "name": support::unique("Rule"),
        "module_type": "crm",
        "trigger_id": "contact_created",
        "actions": [{"type": "send_notification", "parameters": {"recipients": ["Owner"], "title": "New contact",
            "body": "{{name}} joined", "channel": "in_app", "severity": "info"}}]
    })
}

async fn new_rule(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let cache = app::services::stores::policy::PolicyCache::new();
    let input: app::domain::rules::RuleInput = serde_json::from_value(rule_body()).unwrap();
    app::services::automation::rules::create(&fx.db, &cache, &actor, input).await.unwrap().id
}

/// An event of the org's fixture store (no rule of its trigger, so it runs nothing).
async fn new_event(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::services::automation::events::EventInput {
        trigger_id: "lead_created".into(),
        store_id: Some(org.store_id.clone()),
        payload: json!({"name": "Lee"}),
        caused_by_action_id: None,
    };
    let answer = app::services::automation::events::accept(&fx.db, &actor, input, None).await.unwrap();
    answer.body["event_id"].as_str().unwrap().to_string()
}

/// A finished run of a fresh rule (the worker of the fixture's server, or this one, runs it).
async fn new_run(fx: &Fixture, org: &support::Org) -> String {
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let rule = new_rule(fx, org).await;
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let input = app::services::automation::events::EventInput {
        trigger_id: "contact_created".into(),
        store_id: Some(org.store_id.clone()),
        payload: json!({"name": "Ann"}),
        caused_by_action_id: None,
    };
    app::services::automation::events::accept(&fx.db, &actor, input, None).await.unwrap();
    let cache = app::services::stores::policy::PolicyCache::new();
    let gw = app::services::gateway::actions::Gateway {
        db: &fx.db,
        policy: &cache,
        secret_key: &[7u8; 32],
        pending_ttl: chrono::Duration::hours(24),
    };
    for _ in 0..100 {
        app::services::automation::worker::drain(gw, "matrix").await.unwrap();
        let run = app::entities::rule_run::Entity::find()
            .filter(app::entities::rule_run::Column::RuleId.eq(&rule))
            .filter(app::entities::rule_run::Column::Status.ne("running"))
            .one(&fx.db)
            .await
            .unwrap();
        if let Some(r) = run {
            return r.id;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the rule's run did not finish");
}

/// An alert-only quota on a fresh team (it never stops the fixture's actions).
async fn new_quota(fx: &Fixture, org: &support::Org) -> String {
    let actor = fx.owner_actor(side_of(fx, org)).await;
    let team = new_team(fx, org).await;
    let input: app::domain::spend::QuotaInput =
        serde_json::from_value(json!({"entity_type": "team", "entity_id": team,
        "metric": "count", "limit": 1000, "period": "day", "enforce": false}))
        .unwrap();
    app::services::spend::create(&fx.db, &actor, input).await.unwrap().id
}

fn new_email() -> String {
    format!("{}@example.com", uuid::Uuid::new_v4().simple())
}

async fn new_user(fx: &Fixture, org: &support::Org) -> String {
    support::add_user(&fx.db, &org.org, &new_email(), app::domain::permission::BuiltInRole::Viewer).await.id
}

async fn new_key(fx: &Fixture, org: &support::Org) -> String {
    let by = app::services::actor::system_actor();
    app::services::access::api_keys::create_management_key(
        &fx.db,
        &org.org,
        &support::unique("Key"),
        app::domain::permission::BuiltInRole::Viewer,
        &by,
        &app::services::RequestMeta::default(),
    )
    .await
    .unwrap()
    .key
    .id
}

fn side_of(fx: &Fixture, org: &support::Org) -> Side {
    if org.org.id == fx.org_a.org.id {
        Side::A
    } else {
        Side::B
    }
}

#[test]
fn every_route_is_in_the_matrix() {
    let mut problems = Vec::new();
    let listed: BTreeSet<String> = rest_cases().iter().map(|c| format!("{} {}", c.method, c.path)).collect();
    let routes: BTreeSet<String> = server::rest::ROUTES.iter().map(|(m, p)| format!("{m} {p}")).collect();
    for missing in routes.difference(&listed) {
        problems.push(format!("REST route without a row: {missing}"));
    }
    for stale in listed.difference(&routes) {
        problems.push(format!("row for a REST route that does not exist: {stale}"));
    }
    let fns: BTreeSet<String> = support::server_fn_paths();
    let listed: BTreeSet<String> = server_fn_cases().iter().map(|c| c.path.to_string()).collect();
    for missing in fns.difference(&listed) {
        problems.push(format!("server function without a row: {missing}"));
    }
    for stale in listed.difference(&fns) {
        problems.push(format!("row for a server function that does not exist: {stale}"));
    }
    assert!(problems.is_empty(), "the permission matrix is incomplete:\n{}", problems.join("\n"));
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
                failures.push(format!(
                    "{} {} with another org's id: expected 404 NOT_FOUND, got {} {:?}",
                    case.method, case.path, res.status, res.body
                ));
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
                failures.push(format!(
                    "{} with another org's id: expected 404, got {} {:?}",
                    case.path, res.status, res.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "permission matrix failures:\n{}", failures.join("\n"));
}
