//! The JSON REST API under /api/v1 (DESIGN.md §4). Handlers are thin: authenticate the key
//! (`ApiActor`), call one service, answer JSON or problem+json.

pub mod action_views;
pub mod actions;
pub mod api_keys;
pub mod assistants;
pub mod audit_events;
pub mod auth;
pub mod automation;
pub mod check;
pub mod config;
pub mod connectors;
pub mod json;
pub mod notify;
pub mod org;
pub mod permissions;
pub mod problem;
pub mod roles;
pub mod secrets;
pub mod spend;
pub mod sso;
pub mod stores;
pub mod teams;
pub mod users;

use crate::startup::ServerState;
use app::services::audit;
use auth::ApiActor;
use axum::extract::State;
use axum::{Json, Router};
use problem::ApiError;
use serde_json::{json, Value};

/// Declares the REST routes once: builds the router and lists (method, path) in `ROUTES`,
/// which the permission-matrix test walks so no route can be added without a row there.
macro_rules! rest_routes {
    ($($method:ident $path:literal => $handler:path),* $(,)?) => {
        /// Every REST route under /api/v1 as (method, path).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $path)),*];

        pub fn router() -> Router<ServerState> {
            let mut router = Router::new();
            $(router = router.route($path, rest_routes!(@method $method, $handler));)*
            // A catch-all route, not `fallback`: a nested router's fallback is only reached when
            // no outer route matches, and the server functions' `/api/{*fn_name}` matches every
            // unknown /api/v1 path first.
            router.route(
                "/{*path}",
                axum::routing::any(|| async { ApiError::from(app::domain::AppError::not_found("API endpoint")) }),
            )
        }
    };
    (@method GET, $h:path) => { axum::routing::get($h) };
    (@method POST, $h:path) => { axum::routing::post($h) };
    (@method PUT, $h:path) => { axum::routing::put($h) };
    (@method PATCH, $h:path) => { axum::routing::patch($h) };
    (@method DELETE, $h:path) => { axum::routing::delete($h) };
}

rest_routes! {
    GET "/me" => me,
    GET "/org" => org::get,
    PATCH "/org" => org::patch,
    GET "/preferences/{entity_type}/{entity_id}" => org::get_preferences,
    PUT "/preferences/{entity_type}/{entity_id}" => org::put_preferences,
    POST "/check" => check::check,
    GET "/actions/catalog" => check::catalog,
    POST "/actions" => actions::invoke,
    POST "/actions/{id}/confirm" => actions::confirm,
    POST "/actions/{id}/cancel" => actions::cancel,
    POST "/actions/{id}/result" => actions::result,
    GET "/actions" => action_views::list,
    GET "/actions/{id}" => action_views::get,
    GET "/audit/verify" => audit_verify,
    GET "/permissions" => permissions::list,
    PUT "/permissions/{action_type}" => permissions::set,
    GET "/permissions/defaults" => permissions::defaults,
    PUT "/permissions/defaults/{action_type}" => permissions::set_default,
    GET "/permissions/limits" => permissions::list_limits,
    POST "/permissions/limits" => permissions::upsert_limit,
    DELETE "/permissions/limits/{id}" => permissions::delete_limit,
    GET "/audit/events" => audit_events::list,
    GET "/api-keys" => api_keys::list,
    POST "/api-keys" => api_keys::create,
    GET "/api-keys/{id}" => api_keys::get,
    DELETE "/api-keys/{id}" => api_keys::revoke,
    GET "/teams" => teams::list,
    POST "/teams" => teams::create,
    GET "/teams/{id}" => teams::get,
    PATCH "/teams/{id}" => teams::update,
    DELETE "/teams/{id}" => teams::delete,
    GET "/roles" => roles::list,
    POST "/roles" => roles::create,
    GET "/roles/{id}" => roles::get,
    PATCH "/roles/{id}" => roles::update,
    DELETE "/roles/{id}" => roles::delete,
    GET "/role-assignments" => roles::list_assignments,
    POST "/role-assignments" => roles::create_assignment,
    DELETE "/role-assignments" => roles::delete_assignment,
    GET "/users" => users::list,
    POST "/users" => users::invite,
    GET "/users/{id}" => users::get,
    PATCH "/users/{id}" => users::update,
    DELETE "/users/{id}" => users::delete,
    POST "/users/{id}/mfa-reset" => users::reset_mfa,
    GET "/stores" => stores::list,
    POST "/stores" => stores::create,
    GET "/stores/{id}" => stores::get,
    PATCH "/stores/{id}" => stores::update,
    DELETE "/stores/{id}" => stores::delete,
    GET "/stores/{id}/connector" => connectors::store_get,
    PUT "/stores/{id}/connector" => connectors::store_put,
    DELETE "/stores/{id}/connector" => connectors::store_delete,
    GET "/connector" => connectors::org_get,
    PUT "/connector" => connectors::org_put,
    DELETE "/connector" => connectors::org_delete,
    GET "/assistants" => assistants::list,
    POST "/assistants" => assistants::create,
    GET "/assistants/{id}" => assistants::get,
    PATCH "/assistants/{id}" => assistants::update,
    DELETE "/assistants/{id}" => assistants::delete,
    PATCH "/assistants/{id}/allowed-actions" => assistants::set_allowed_actions,
    GET "/assistants/{id}/tools" => assistants::tools,
    GET "/automation/triggers" => automation::triggers,
    GET "/automation/rules" => automation::list,
    POST "/automation/rules" => automation::create,
    GET "/automation/rules/{id}" => automation::get,
    PUT "/automation/rules/{id}" => automation::update,
    DELETE "/automation/rules/{id}" => automation::delete,
    PUT "/automation/rules/{id}/toggle" => automation::toggle,
    POST "/automation/rules/{id}/test" => automation::test,
    GET "/automation/rules/{id}/versions" => automation::versions,
    POST "/automation/rules/{id}/versions/{version}/restore" => automation::restore,
    POST "/events" => automation::post_event,
    GET "/events/{id}" => automation::get_event,
    GET "/automation/runs" => automation::list_runs,
    GET "/automation/runs/{id}" => automation::get_run,
    POST "/automation/runs/{id}/replay" => automation::replay_run,
    POST "/expenditures" => spend::record,
    GET "/quotas" => spend::list,
    POST "/quotas" => spend::create,
    PATCH "/quotas/{id}" => spend::update,
    DELETE "/quotas/{id}" => spend::delete,
    GET "/usage" => spend::usage,
    GET "/sms-provider" => notify::get,
    PUT "/sms-provider" => notify::put,
    DELETE "/sms-provider" => notify::delete,
    GET "/sso" => sso::get,
    PUT "/sso" => sso::put,
    DELETE "/sso" => sso::delete,
    GET "/config/export" => config::export,
    POST "/config/import" => config::import,
    GET "/secrets" => secrets::list,
    POST "/secrets" => secrets::put,
    PATCH "/secrets/{id}" => secrets::patch,
    DELETE "/secrets/{id}" => secrets::delete,
}

/// Who the key is: its org, kind and role.
async fn me(ApiActor { actor, key }: ApiActor) -> Json<Value> {
    Json(json!({
        "org": {"id": actor.org_id, "slug": actor.org_slug},
        "kind": key.kind,
        "key": {"id": key.id, "name": key.name, "prefix": key.prefix},
        "role": actor.access.role_names().first(),
        "scope": {"type": key.scope_type, "id": key.scope_id},
        "store_id": key.store_id,
        "assistant_id": key.assistant_id,
    }))
}

/// Recomputes the org's audit chain: `{ok, events, first_broken?}`.
async fn audit_verify(
    State(state): State<ServerState>,
    ApiActor { actor, .. }: ApiActor,
) -> Result<Json<Value>, ApiError> {
    let report = audit::log::verify_for(&state.app.db, &actor).await?;
    let mut body = json!({"ok": report.ok, "events": report.events});
    if let Some(b) = report.first_broken {
        body["first_broken"] = serde_json::to_value(b).unwrap_or(Value::Null);
    }
    Ok(Json(body))
}
